/**
 * @module test/oracles/rules
 * The comparison rules: for each oracle source, which facts its expected output pins and how the
 * same fact is computed from our records. docs/conformance.md repeats these rules in prose.
 *
 * Shared rules: a record is one call; it has a request when request_bytes > 0 and a response when
 * response_bytes > 0. HTTP methods and Redis commands compare upper-cased; DNS names lower-cased,
 * without the trailing dot; DNS types by mnemonic (TYPE<n> when there is none); rcodes by name.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProtocolName, RequestRecord } from '../../src/records/record.ts';
import type { CatalogEntry } from './catalog.ts';
import type { Fact } from './facts.ts';
import {
  byStart, dnsName, dnsNameUnicode, finish, hasRequest, hasResponse, ofProtocol, pathOnly, qtype, rcodeName,
  redisArgs, redisCommand, redisIsError, text, unique,
} from './facts.ts';
import { readDeepflowDns, readDeepflowHttp, readDeepflowRedis } from './readers/deepflow.ts';
import {
  readZeekAllHeaders, readZeekLog, readZeekRedisAuth, readZeekRedisSets, readZeekSetCount, zeekBaselineFiles,
} from './readers/zeek.ts';
import { readArkime } from './readers/arkime.ts';
import { readSuricataChecks } from './readers/suricata.ts';
import type { SuricataFilter } from './readers/suricata.ts';
import { readNdpiFlows } from './readers/ndpi.ts';
import type { TsharkCounts } from './readers/tshark.ts';

export interface OracleFacts {
  facts: Fact[];
  /** What the oracle holds that is not compared, and why. */
  notes: string[];
}

type Records = readonly RequestRecord[];

function count(name: string, from: string, expected: number, pick: (rs: Records) => number): Fact {
  return { name, from, expected, ours: pick };
}

function list(name: string, from: string, expected: string[], pick: (rs: Records) => string[], ordered = false): Fact {
  return { name, from, expected: finish(expected, ordered), ours: (rs) => finish(pick(rs), ordered), ordered };
}

const requests = (p: ProtocolName) => (rs: Records): number => ofProtocol(rs, p).filter(hasRequest).length;
const responses = (p: ProtocolName) => (rs: Records): number => ofProtocol(rs, p).filter(hasResponse).length;

// ---------------------------------------------------------------------------------------------
// DeepFlow: one line per message; requests and responses are counted separately.

function deepflowFacts(entry: CatalogEntry, path: string): OracleFacts {
  const result = path.replace(/\.pcap$/, '.result');
  if (!existsSync(result)) return { facts: [], notes: ['no .result file: DeepFlow asserts only TCP performance figures for this capture'] };
  const from = `deepflow ${result.split('/').pop()}`;
  if (entry.protocol === 'http1') {
    const msgs = readDeepflowHttp(result);
    const reqs = msgs.filter((m) => m.msgType === 'Request');
    const resps = msgs.filter((m) => m.msgType === 'Response');
    return {
      facts: [
        count('requests', from, reqs.length, requests('http1')),
        count('responses', from, resps.length, responses('http1')),
        list('method host path per request', from, reqs.map((m) => `${m.method} ${m.host} ${m.path}`), (rs) =>
          ofProtocol(rs, 'http1').filter(hasRequest).map((r) => `${text(r.request_type)} ${text(r.request_domain)} ${text(r.request_resource)}`)),
        list('status per response', from, resps.map((m) => text(m.status)), (rs) =>
          ofProtocol(rs, 'http1').filter(hasResponse).map((r) => text(r.response_code))),
      ],
      notes: [],
    };
  }
  if (entry.protocol === 'dns') {
    const msgs = readDeepflowDns(result);
    const reqs = msgs.filter((m) => m.msgType === 'Request');
    const resps = msgs.filter((m) => m.msgType === 'Response');
    return {
      facts: [
        count('requests', from, reqs.length, requests('dns')),
        count('responses', from, resps.length, responses('dns')),
        list('qtype name per request', from, reqs.map((m) => `${qtype(m.qtype)} ${dnsName(m.qname)}`), (rs) =>
          ofProtocol(rs, 'dns').filter(hasRequest).map((r) => `${qtype(r.request_type)} ${dnsName(r.request_domain)}`)),
        list('qtype name rcode per response', from, resps.map((m) => `${qtype(m.qtype)} ${dnsName(m.qname)} ${rcodeName(m.rcode)}`), (rs) =>
          ofProtocol(rs, 'dns').filter(hasResponse).map((r) => `${qtype(r.request_type)} ${dnsName(r.request_domain)} ${rcodeName(r.response_code)}`)),
      ],
      notes: [],
    };
  }
  const msgs = readDeepflowRedis(result);
  const reqs = msgs.filter((m) => m.msgType === 'Request');
  const resps = msgs.filter((m) => m.msgType === 'Response');
  const commandLine = (line: string): string => {
    const [cmd = '', ...args] = line.split(' ');
    return [cmd.toUpperCase(), ...args].join(' ');
  };
  return {
    facts: [
      count('requests', from, reqs.length, requests('redis')),
      count('responses', from, resps.length, responses('redis')),
      list('command line per request', from, reqs.map((m) => commandLine(m.request)), (rs) =>
        ofProtocol(rs, 'redis').filter(hasRequest).map((r) => [redisCommand(r), ...redisArgs(r)].join(' '))),
      list('error replies', from, resps.filter((m) => m.result === 'Error').map((m) => m.error.replace(/^-/, '')), (rs) =>
        ofProtocol(rs, 'redis').filter(redisIsError).map((r) => text(r.response_message))),
    ],
    notes: ['reply types other than errors are not compared (our record does not keep the RESP type)'],
  };
}

// ---------------------------------------------------------------------------------------------
// Zeek: one log row per transaction (request and its response), plus a few script outputs.

function zeekFacts(entry: CatalogEntry, path: string): OracleFacts {
  const files = zeekBaselineFiles(path);
  const facts: Fact[] = [];
  const notes: string[] = [];
  const firstLog = (name: string) => files.find((f) => f.name === name);
  if (files.length === 0) notes.push('no Zeek baseline for this capture (used only by non-protocol tests upstream)');

  if (entry.protocol === 'http1') {
    const log = firstLog('http.log');
    if (log) {
      const from = `zeek http.log (${log.btest})`;
      const rows = readZeekLog(log.path);
      facts.push(
        count('requests', from, rows.filter((r) => r.method !== null).length, requests('http1')),
        count('responses', from, rows.filter((r) => r.status_code !== null).length, responses('http1')),
        list('method host uri status per transaction', from,
          rows.map((r) => `${text(r.method)} ${text(r.host)} ${text(r.uri)} ${text(r.status_code)}`),
          (rs) => ofProtocol(rs, 'http1').map((r) =>
            `${hasRequest(r) ? text(r.request_type) : '-'} ${hasRequest(r) ? text(r.request_domain) : '-'} ${hasRequest(r) ? text(r.request_resource) : '-'} ${hasResponse(r) ? text(r.response_code) : '-'}`)),
      );
    }
    const headers = files.find((f) => f.btest.endsWith('http.all-headers-event') && f.name === 'out');
    if (!log && headers) {
      const from = `zeek all-headers-event out (${headers.btest})`;
      const h = readZeekAllHeaders(headers.path);
      facts.push(
        list('Host header per request', from, h.requestHosts, (rs) => ofProtocol(rs, 'http1').filter(hasRequest).map((r) => text(r.request_domain))),
        count('responses', from, h.responses, responses('http1')),
      );
    }
  } else if (entry.protocol === 'dns') {
    const log = firstLog('dns.log');
    if (log) {
      const from = `zeek dns.log (${log.btest})`;
      const rows = readZeekLog(log.path);
      facts.push(
        count('transactions', from, rows.length, (rs) => ofProtocol(rs, 'dns').length),
        // Zeek fills qtype only from a query it saw, and rcode only from a response.
        list('name qtype rcode per transaction', from,
          rows.map((r) => `${dnsName(r.query)} ${r.qtype_name === null ? '-' : qtype(r.qtype_name)} ${text(r.rcode_name)}`),
          (rs) => ofProtocol(rs, 'dns').map((r) =>
            `${dnsName(r.request_domain)} ${hasRequest(r) ? qtype(r.request_type) : '-'} ${hasResponse(r) ? rcodeName(r.response_code) : '-'}`)),
      );
    }
  } else {
    const log = firstLog('redis.log');
    if (log) {
      const from = `zeek redis.log (${log.btest})`;
      const rows = readZeekLog(log.path);
      // Zeek extracts cmd.key only for the commands it knows the key of (GET, SET and a few more).
      const keyed = new Set(rows.filter((r) => r['cmd.key'] !== null).map((r) => r['cmd.name']!.toUpperCase()));
      facts.push(
        count('calls', from, rows.length, (rs) => ofProtocol(rs, 'redis').length),
        list('command success per call', from,
          rows.map((r) => `${(r['cmd.name'] ?? '-').toUpperCase()} ${text(r.success)}`),
          (rs) => ofProtocol(rs, 'redis').map((r) =>
            `${hasRequest(r) ? redisCommand(r) : '-'} ${hasResponse(r) ? (redisIsError(r) ? 'F' : 'T') : '-'}`)),
      );
      if (keyed.size > 0) {
        facts.push(list(`key of ${[...keyed].sort().join('/')}`, from,
          rows.filter((r) => r['cmd.key'] !== null).map((r) => `${r['cmd.name']!.toUpperCase()} ${r['cmd.key']}`),
          (rs) => ofProtocol(rs, 'redis').filter((r) => keyed.has(redisCommand(r))).map((r) => `${redisCommand(r)} ${redisArgs(r)[0] ?? '-'}`)));
      }
    }
    for (const f of files) {
      if (f.name !== 'output') continue;
      const from = `zeek output (${f.btest})`;
      if (f.btest.endsWith('redis.auth')) {
        const auths = readZeekRedisAuth(f.path);
        facts.push(list('AUTH outcomes in order', from, auths.map((a) => (a.ok ? 'T' : 'F')), (rs) =>
          byStart(ofProtocol(rs, 'redis')).filter((r) => redisCommand(r) === 'AUTH').map((r) => (redisIsError(r) ? 'F' : hasResponse(r) ? 'T' : '-')), true));
      }
      const sets = readZeekRedisSets(f.path);
      if (sets.length > 0 && !log) {
        facts.push(list('SET key value', from, sets.map((s) => `${s.key} ${s.value}`), (rs) =>
          ofProtocol(rs, 'redis').filter((r) => redisCommand(r) === 'SET').map((r) => redisArgs(r).slice(0, 2).join(' '))));
      }
      const setCount = readZeekSetCount(f.path);
      if (setCount !== null) {
        facts.push(count('SET commands', from, setCount, (rs) => ofProtocol(rs, 'redis').filter((r) => redisCommand(r) === 'SET').length));
      }
    }
  }
  const used = new Set(facts.map((f) => f.from));
  for (const f of files) {
    if (![...used].some((u) => u.includes(f.btest) && (u.includes(f.name) || u.includes('output') || u.includes(' out ')))) {
      notes.push(`${f.btest}/${f.name}: not compared (no per-request facts for ${entry.protocol})`);
    }
  }
  return { facts, notes };
}

// ---------------------------------------------------------------------------------------------
// Arkime: per-session sets of HTTP values with per-method counts; one DNS entry per query.

function arkimeFacts(entry: CatalogEntry, path: string): OracleFacts {
  const testFile = path.replace(/\.pcap$/, '.test');
  const from = `arkime ${testFile.split('/').pop()}`;
  const sessions = readArkime(testFile);
  if (entry.protocol === 'http1') {
    const http = sessions.flatMap((s) => (s.http ? [s.http] : []));
    const methods = http.flatMap((h) => Object.entries(h.methodCounts).flatMap(([m, n]) => Array<string>(n).fill(m)));
    const http1 = (rs: Records) => ofProtocol(rs, 'http1');
    return {
      facts: [
        list('method per request', from, methods, (rs) => http1(rs).filter(hasRequest).map((r) => text(r.request_type))),
        list('paths (set)', from, unique(http.flatMap((h) => h.paths)), (rs) => unique(http1(rs).filter(hasRequest).map((r) => pathOnly(r.request_resource)))),
        list('host+uri (set)', from, unique(http.flatMap((h) => h.uris)), (rs) =>
          unique(http1(rs).filter(hasRequest).map((r) => `${r.request_domain ?? ''}${r.request_resource ?? ''}`))),
        list('status codes (set)', from, unique(http.flatMap((h) => h.statusCodes.map(String))), (rs) =>
          unique(http1(rs).filter(hasResponse).map((r) => text(r.response_code)))),
      ],
      notes: ['Arkime keeps distinct values per session, so paths, URIs and status codes compare as sets; methods as counts'],
    };
  }
  const queries = sessions.flatMap((s) => s.dns);
  return {
    facts: [
      list('name qtype status per query', from, queries.map((q) => `${dnsName(q.queryHost)} ${qtype(q.qt)} ${q.status ?? '-'}`), (rs) =>
        ofProtocol(rs, 'dns').map((r) => `${dnsNameUnicode(r.request_domain)} ${qtype(r.request_type)} ${hasResponse(r) ? rcodeName(r.response_code) : '-'}`)),
    ],
    notes: ['Arkime shows IDNA names in Unicode: our names are decoded before comparing'],
  };
}

// ---------------------------------------------------------------------------------------------
// Suricata: `count` eve events matching `match`. HTTP events are transactions; DNS events (eve v3)
// are one per message: `dns.type: request` is our record's request, `response` its response.

/** Keys that identify an event but are not facts our record keeps. */
const SURICATA_IDENTITY = /^(tx_id|pcap_cnt|app_proto|direction|dns\.(id|tx_id|version|flags|qr|rd|ra|aa|tc|z))$/;

interface View {
  type: 'request' | 'response' | 'transaction';
  r: RequestRecord;
}

function suricataValue(key: string, v: View): string | undefined {
  const { r } = v;
  const requestView = v.type !== 'response';
  const src = requestView ? r.client : r.server;
  const dst = requestView ? r.server : r.client;
  switch (key) {
    case 'event_type': return r.protocol === 'http1' ? 'http' : r.protocol;
    case 'proto': return r.transport.toUpperCase();
    case 'src_ip': return src.ip;
    case 'dest_ip': return dst.ip;
    case 'src_port': return String(src.port);
    case 'dest_port': return String(dst.port);
    case 'http.http_method': return text(r.request_type);
    case 'http.url': return text(r.request_resource);
    case 'http.hostname': return text(r.request_domain);
    case 'http.status': return hasResponse(r) ? text(r.response_code) : '-';
    case 'http.protocol': return r.protocol_version === null ? '-' : `HTTP/${r.protocol_version}`;
    case 'dns.type': return v.type;
    case 'dns.queries[0].rrname':
    case 'dns.rrname': return dnsName(r.request_domain);
    case 'dns.queries[0].rrtype':
    case 'dns.rrtype': return qtype(r.request_type);
    case 'dns.rcode': return v.type === 'response' ? rcodeName(r.response_code) : '-';
    default: return undefined;
  }
}

function normaliseSuricata(key: string, value: string): string {
  if (key.endsWith('rrname')) return dnsName(value);
  if (key.endsWith('rrtype')) return qtype(value);
  return value;
}

function suricataViews(rs: Records, protocol: ProtocolName): View[] {
  const records = ofProtocol(rs, protocol);
  if (protocol !== 'dns') return records.map((r) => ({ type: 'transaction', r }));
  return records.flatMap((r) => [
    ...(hasRequest(r) ? [{ type: 'request' as const, r }] : []),
    ...(hasResponse(r) ? [{ type: 'response' as const, r }] : []),
  ]);
}

function suricataFilterFact(filter: SuricataFilter, protocol: ProtocolName, from: string, notes: string[], index: number): Fact | null {
  const eventType = filter.match.event_type;
  const isOurs = eventType === (protocol === 'http1' ? 'http' : protocol) || (eventType === undefined && Object.keys(filter.match).some((k) => k.startsWith('dns.') && protocol === 'dns'));
  if (!isOurs) {
    notes.push(`check ${index + 1} (${eventType ?? 'any event'}${filter.match['alert.signature_id'] ? ` sid ${filter.match['alert.signature_id']}` : ''}): not comparable, it tests Suricata's ${eventType === 'alert' ? 'rule engine' : `${eventType} events`}`);
    return null;
  }
  const compared: [string, string][] = [];
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(filter.match)) {
    if (SURICATA_IDENTITY.test(key)) continue;
    const probe = suricataValue(key, { type: 'response', r: PROBE_RECORD });
    if (probe === undefined) dropped.push(key);
    else compared.push([key, normaliseSuricata(key, value)]);
  }
  if (dropped.length > 0) notes.push(`check ${index + 1}: fields not in our record, not compared: ${dropped.join(', ')}`);
  const label = compared.filter(([k]) => k !== 'event_type').map(([k, v]) => `${k}=${v}`).join(' ') || 'any';
  return {
    name: `check ${index + 1}: eve ${eventType ?? 'dns'} events with ${label}`,
    from,
    expected: filter.count,
    ours: (rs) => suricataViews(rs, protocol).filter((v) => compared.every(([k, want]) => suricataValue(k, v) === want)).length,
  };
}

/** A record used only to ask which keys suricataValue knows. */
const PROBE_RECORD: RequestRecord = {
  start_time: 0n, end_time: 0n, duration_ns: 0, protocol: 'dns', transport: 'udp', observation: 'network',
  client: { ip: '', port: 0, process: null }, server: { ip: '', port: 0, process: null },
  request_type: null, request_domain: null, request_resource: null, protocol_version: null, response_code: null,
  response_status: 'unknown', response_message: null, response_summary: null, request_bytes: 0, response_bytes: 0,
  req_tcp_seq: null, resp_tcp_seq: null, trace_id: null, span_id: null, parent_span_id: null, x_request_id: null,
};

/**
 * Alert checks that, read with their rule, pin a fact about the traffic. Each entry says which
 * rule and why; everything else about alerts is Suricata's rule engine and is not compared.
 */
const SURICATA_ALERT_FACTS: Record<string, (from: string) => Fact[]> = {
  'suricata-verify/dns/dns-rcode/input.pcap': (from) => [
    list('response rcodes (sid 1: dns.rcode:3, to_client, alerts once)', from, ['NXDOMAIN'], (rs) =>
      ofProtocol(rs, 'dns').filter(hasResponse).map((r) => rcodeName(r.response_code))),
  ],
  'suricata-verify/http/http-chunked/input.pcap': (from) => [
    count('requests (sids 11-46: request-header content, to_server, each alerts once)', from, 1, requests('http1')),
  ],
  'suricata-verify/http/http-close-headers/input.pcap': (from) => [
    count('responses (sid 1: Server header content, from_server, alerts once)', from, 1, responses('http1')),
  ],
};

function suricataFacts(entry: CatalogEntry, path: string): OracleFacts {
  const yaml = join(dirname(path), 'test.yaml');
  const from = `suricata-verify ${entry.file.split('/').slice(-2, -1)[0]}/test.yaml`;
  const notes: string[] = [];
  const facts: Fact[] = [];
  readSuricataChecks(yaml).forEach((filter, i) => {
    const fact = suricataFilterFact(filter, entry.protocol, from, notes, i);
    if (fact) facts.push(fact);
  });
  facts.push(...(SURICATA_ALERT_FACTS[entry.file]?.(`${from} + test.rules`) ?? []));
  return { facts, notes };
}

// ---------------------------------------------------------------------------------------------
// nDPI: protocol per flow. We must have detected the same protocol on each flow it names.

function ndpiFacts(entry: CatalogEntry, path: string): OracleFacts {
  const from = `ndpi ${path.split('/').pop()}.out`;
  const master = entry.protocol === 'http1' ? 'HTTP' : entry.protocol === 'dns' ? 'DNS' : 'Redis';
  const facts: Fact[] = [];
  const notes: string[] = ['nDPI reports detection per flow, not requests: only the protocol of each flow is compared'];
  for (const flow of readNdpiFlows(`${path}.out`)) {
    if (flow.master !== master) {
      notes.push(`flow ${flow.a.ip}:${flow.a.port} <-> ${flow.b.ip}:${flow.b.port} is ${flow.label}: not compared`);
      continue;
    }
    const key = (ip: string, port: number) => `${ip.toLowerCase()}:${port}`;
    const ends = new Set([key(flow.a.ip, flow.a.port), key(flow.b.ip, flow.b.port)]);
    facts.push(list(`protocol on ${flow.transport} ${key(flow.a.ip, flow.a.port)} <-> ${key(flow.b.ip, flow.b.port)}`, from, [entry.protocol], (rs) =>
      unique(rs.filter((r) => ends.has(key(r.client.ip, r.client.port)) && ends.has(key(r.server.ip, r.server.port))).map((r) => r.protocol))));
  }
  return { facts, notes };
}

// ---------------------------------------------------------------------------------------------

function tsharkFacts(entry: CatalogEntry, counts: TsharkCounts | undefined): Fact[] {
  if (!counts) return [];
  const from = 'tshark-counts.json (weak: used only where the tool pins nothing per request)';
  return [
    count('requests (tshark)', from, counts.req, requests(entry.protocol)),
    count('responses (tshark)', from, counts.resp, responses(entry.protocol)),
  ];
}

export function oracleFacts(entry: CatalogEntry, oraclesDir: string, tshark: Map<string, TsharkCounts>): OracleFacts {
  const path = join(oraclesDir, entry.file);
  let result: OracleFacts;
  switch (entry.source) {
    case 'deepflow': result = deepflowFacts(entry, path); break;
    case 'zeek': result = zeekFacts(entry, path); break;
    case 'arkime': result = arkimeFacts(entry, path); break;
    case 'suricata-verify': result = suricataFacts(entry, path); break;
    case 'ndpi': result = ndpiFacts(entry, path); break;
  }
  // nDPI's flow facts are about detection only: add tshark counts so requests are checked too.
  if (result.facts.length === 0 || entry.source === 'ndpi') {
    result.facts.push(...tsharkFacts(entry, tshark.get(entry.file)));
    if (entry.source !== 'ndpi') result.notes.push('the source tool pins no per-request fact here: tshark counts used instead');
  }
  return result;
}
