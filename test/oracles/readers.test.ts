// The oracle readers against the real expected-output files they are written for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { oraclesDir, skipReason } from './paths.ts';
import { readCatalog } from './catalog.ts';
import { readDeepflowDns, readDeepflowHttp, readDeepflowRedis, debugField } from './readers/deepflow.ts';
import { readZeekAllHeaders, readZeekLog, readZeekRedisAuth, readZeekRedisSets, readZeekSetCount } from './readers/zeek.ts';
import { readArkime } from './readers/arkime.ts';
import { readSuricataChecks } from './readers/suricata.ts';
import { readNdpiFlows } from './readers/ndpi.ts';
import { qtype, dnsName, dnsNameUnicode } from './facts.ts';

const skip = skipReason() ?? false;
const at = (p: string) => join(oraclesDir(), p);
const zeek = (pcap: string, btest: string, file: string) => at(`zeek/${pcap}.zeek-baseline/scripts.base.protocols.${btest}/${file}`);

describe('oracle readers', { skip }, () => {
  it('catalog lists every HTTP/1.x, DNS and Redis capture of the index', () => {
    const entries = readCatalog(oraclesDir());
    const per = (p: string) => entries.filter((e) => e.protocol === p).length;
    assert.deepEqual([per('http1'), per('dns'), per('redis')], [35, 33, 13]);
  });

  it('deepflow: Debug dumps, DNS JSON lines, Redis requests and replies', () => {
    const http = readDeepflowHttp(at('deepflow/http/sw8.result'));
    assert.equal(http.length, 6, 'the three is_http: false lines carry no message');
    assert.deepEqual(http[0], { msgType: 'Request', method: 'POST', path: '/createOrder', host: '10.100.18.175:20880', status: null, version: 'V1_1' });
    assert.equal(http[1]!.status, 200);
    assert.equal(debugField('X { status_code: Some(404), grpc_status_code: None }', 'status_code'), 'Some(404)');
    const dns = readDeepflowDns(at('deepflow/dns/nxdomain.result'));
    assert.deepEqual(dns.map((d) => `${d.msgType} ${d.qtype} ${d.rcode}`), [
      'Request AAAA null', 'Response AAAA 3', 'Request A null', 'Response A 0', 'Request AAAA null', 'Response AAAA 3',
    ]);
    const redis = readDeepflowRedis(at('deepflow/redis/redis-error.result'));
    assert.deepEqual(redis.map((r) => [r.msgType, r.command, r.error]), [['Request', 'get', ''], ['Response', '', '-NOAUTH Authentication required.']]);
    assert.equal(readDeepflowRedis(at('deepflow/redis/redis.result')).length, 20);
  });

  it('zeek: TSV logs with unset and empty fields, and script outputs', () => {
    const rows = readZeekLog(zeek('http/methods.pcap', 'http.http-methods', 'http.log'));
    assert.equal(rows.length, 49);
    assert.equal(rows[1]!.uri, '', '(empty) is the empty string');
    assert.equal(rows[2]!.method, null, '- is unset');
    const dns = readZeekLog(zeek('dns/dns-two-responses.pcap', 'dns.duplicate-reponses', 'dns.log'));
    assert.deepEqual(dns.map((r) => [r.query, r.qtype_name, r.rcode_name]), [['www.cmu.edu', 'A', 'NOERROR'], ['www.cmu.edu', null, 'NOERROR']]);
    assert.deepEqual(readZeekRedisAuth(zeek('redis/auth.pcap', 'redis.auth', 'output')).map((a) => a.ok), [false, true, false]);
    assert.equal(readZeekRedisSets(zeek('redis/bulk-loading.pcap', 'redis.bulk', 'output')).length, 1000);
    assert.deepEqual(readZeekRedisSets(zeek('redis/set.pcap', 'redis.set', 'output'))[1], { key: 'one:1', value: '2' });
    assert.equal(readZeekSetCount(zeek('redis/django-cloud.pcapng', 'redis.django-cloud', 'output')), 152);
    assert.deepEqual(readZeekAllHeaders(zeek('http/get.pcap', 'http.all-headers-event', 'out')), { requestHosts: ['bro.org'], responses: 1 });
  });

  it('arkime: per-method counts, value sets and one DNS entry per query', () => {
    const [upload] = readArkime(at('arkime/http/http-post-upload.test'));
    assert.deepEqual(upload!.http!.methodCounts, { GET: 2, POST: 1 });
    assert.deepEqual(readArkime(at('arkime/http/http-100-continue.test'))[0]!.http!.statusCodes, [100, 404]);
    const queries = readArkime(at('arkime/dns/dns-wiresharkrepo.test')).flatMap((s) => s.dns);
    assert.equal(queries.length, 19);
    assert.equal(readArkime(at('arkime/dns/dns-udp.test'))[2]!.dns[0]!.status, null, 'no response seen');
  });

  it('suricata: filters with counts and scalar matches', () => {
    const checks = readSuricataChecks(at('suricata-verify/http/http-connect-simple/test.yaml'));
    assert.deepEqual(checks[0], { count: 1, match: { event_type: 'http', tx_id: '0', 'http.http_method': 'CONNECT', 'http.protocol': 'HTTP/1.1', 'http.status': '200' } });
    const txt = readSuricataChecks(at('suricata-verify/dns/dns-udp-eve-txt/test.yaml'));
    assert.equal(txt.length, 6);
    assert.equal(txt[2]!.match['dns.flags'], '8180');
  });

  it('ndpi: flows with endpoints, encapsulation and sub-protocols', () => {
    const [gtp] = readNdpiFlows(at('ndpi/http/http_origin_different_than_host.pcap.out'));
    assert.equal(gtp!.master, 'HTTP');
    const dns = readNdpiFlows(at('ndpi/dns/dns_fragmented.pcap.out'));
    assert.equal(dns.length, 21);
    assert.deepEqual(dns[0]!.a, { ip: '2001:470:1f0b:16b0:20c:29ff:fe7c:a4cb', port: 57089 });
    assert.equal(readNdpiFlows(at('ndpi/dns/dns.pcap.out'))[0]!.label, 'DNS.WhatsApp');
  });

  it('normalises DNS names and types the way the rules document', () => {
    assert.equal(dnsName('Example.COM.'), 'example.com');
    assert.equal(dnsNameUnicode('xn--80a0adav.xn--80ao21a'), 'уаноо.қаз');
    assert.deepEqual([qtype('query-65534'), qtype(65), qtype('TYPE28'), qtype('srv')], ['TYPE65534', 'HTTPS', 'AAAA', 'SRV']);
  });
});
