/**
 * The shared conformance suite over real dig/dnsmasq exchanges, for DNS over TCP and over UDP.
 * Expected fields come from tshark's decoding of the same packets (see fixtures.ts).
 */
import { describeConformance } from '../conformance.ts';
import type { ConformanceExchange } from '../conformance.ts';
import type { ProtocolFields } from '../protocol.ts';
import { dns } from './spec.ts';
import { capture, hex } from './fixtures.ts';
import type { CapturedDnsExchange } from './fixtures.ts';

/** Query type names as tshark prints them in its Info column for these captures. */
const TSHARK_TYPE_NAMES: Record<number, string> = { 1: 'A', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV' };

function exchange(name: string, summary?: string | null): ConformanceExchange {
  const c: CapturedDnsExchange = capture(name);
  const expect: Partial<ProtocolFields> = {
    request_type: TSHARK_TYPE_NAMES[c.tshark.qtype]!,
    request_domain: c.tshark.qname,
    request_resource: c.tshark.qname,
  };
  if (c.tshark.rcode !== null) {
    expect.response_code = c.tshark.rcode;
    expect.response_status = c.tshark.rcode === 0 ? 'ok' : c.tshark.rcode === 3 ? 'client_error' : 'server_error';
  }
  if (summary !== undefined) expect.response_summary = summary;
  return { request: hex(c.request), response: c.response === null ? null : hex(c.response), expect };
}

const tcpCname = capture('tcp CNAME chain').tshark;
const tcpMx = capture('tcp MX').tshark;
describeConformance(dns, {
  transport: 'tcp',
  serverPort: 53,
  exchanges: [
    exchange('tcp CNAME chain', `CNAME ${tcpCname.cname}., A ${tcpCname.a}`),
    exchange('tcp NXDOMAIN', null),
    // Preference 10: tshark's Info column reads "MX 10 mail.example.test".
    exchange('tcp MX', `MX 10 ${tcpMx.mx}.`),
    exchange('tcp keepopen A', `A ${capture('tcp keepopen A').tshark.a}`),
    exchange('tcp keepopen AAAA', `AAAA ${capture('tcp keepopen AAAA').tshark.aaaa}`),
    exchange('tcp REFUSED', null),
  ],
});

const srv = capture('udp SRV').tshark;
describeConformance(dns, {
  transport: 'udp',
  serverPort: 53,
  exchanges: [
    exchange('udp A', `A ${capture('udp A').tshark.a}`),
    exchange('udp CNAME chain'),
    exchange('udp AAAA', `AAAA ${capture('udp AAAA').tshark.aaaa}`),
    exchange('udp NXDOMAIN', null),
    // tshark's Info column reads "SRV 10 20 5060 sip.example.test" (priority, weight, port, target).
    exchange('udp SRV', `SRV 10 20 5060 ${srv.srv}.`),
    exchange('udp PTR', `PTR ${capture('udp PTR').tshark.ptr}.`),
    exchange('udp REFUSED', null),
    // Left last: an unanswered query is only recorded (as a timeout) when the connection ends.
    exchange('udp unanswered'),
  ],
});
