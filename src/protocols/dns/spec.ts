/**
 * @module protocols/dns/spec
 * DNS over UDP and TCP (RFC 1035, RFC 7766), mDNS (RFC 6762) and LLMNR (RFC 4795): the spec the
 * registry lists. Queries and answers are paired by message ID within a connection.
 */
import type { ProtocolSpec } from '../protocol.ts';
import { detectDns } from './detect.ts';
import { describeDns } from './describe.ts';
import { findDnsBoundary, parseDns } from './parse.ts';
import type { DnsFrame, DnsState } from './types.ts';

export const dns: ProtocolSpec<DnsFrame, DnsState> = {
  name: 'dns',
  transports: ['udp', 'tcp'],
  ports: [53, 5353, 5355],
  detect: detectDns,
  createState: () => ({ framing: 'unknown' }),
  parse: parseDns,
  findFrameBoundary: findDnsBoundary,
  matching: 'key',
  describe: describeDns,
};
