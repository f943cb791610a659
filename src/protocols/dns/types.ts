/**
 * @module protocols/dns/types
 * DNS frames and parser state, plus the code-to-name tables (RFC 1035 and the IANA DNS parameters
 * registry) that parse, detect and describe share.
 */
import type { Frame } from '../protocol.ts';

/** One DNS message (RFC 1035 section 4). Strings are decoded at parse time: frames outlive the bytes. */
export interface DnsFrame extends Frame {
  /** From the QR bit: a query is a request, anything with QR=1 a response. */
  kind: 'request' | 'response';
  /** The message ID: matching is per connection, so the ID alone pairs a query with its answer. */
  key: number;
  opcode: number;
  /** The raw 16-bit flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
  flags: number;
  /** RCODE including the upper 8 bits from an EDNS OPT record (RFC 6891 section 6.1.3). */
  rcode: number;
  /** First question's name in presentation form without the trailing dot ('.' for the root); null without a question. */
  qname: string | null;
  /** First question's type and class, -1 without a question. */
  qtype: number;
  qclass: number;
  questionCount: number;
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
  /** Up to five decoded answers, e.g. 'CNAME host.example.test., A 10.0.0.1'; null without answers. */
  answers: string | null;
  /** False when the records after the question could not all be decoded (cut capture, malformed). */
  complete: boolean;
}

/**
 * How messages are framed on this connection: one per datagram, or behind a 2-byte length over TCP.
 * The contract's `createState()` does not say which transport the connection uses, so the first
 * message decides (a datagram parses exactly as one message; a TCP stream starts with its length).
 */
export type DnsFraming = 'unknown' | 'udp' | 'tcp';

export interface DnsState {
  framing: DnsFraming;
}

export const DNS_HEADER_SIZE = 12;
/** Flag bits of the header's second 16-bit word. */
export const FLAG_QR = 0x8000;
export const FLAG_TC = 0x0200;
export const FLAG_Z = 0x0040;

/** Resource record types by number (IANA "Resource Record (RR) TYPEs"). */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL',
  11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB',
  24: 'SIG', 25: 'KEY', 28: 'AAAA', 29: 'LOC', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT',
  39: 'DNAME', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC',
  48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP',
  59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA',
  255: 'ANY', 256: 'URI', 257: 'CAA',
};

/** Response codes (IANA "DNS RCODEs"); 16 is BADVERS in an OPT context, the only place we read it. */
const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 11: 'DSOTYPENI',
  16: 'BADVERS', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG',
  22: 'BADTRUNC', 23: 'BADCOOKIE',
};

/** Assigned opcodes (IANA "DNS OpCodes"); 3 and 7-15 are unassigned. */
const OPCODE_NAMES: readonly (string | undefined)[] = [
  'QUERY', 'IQUERY', 'STATUS', undefined, 'NOTIFY', 'UPDATE', 'DSO',
];

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** Name of an assigned opcode, or undefined for the unassigned ones (which real DNS never sends). */
export function opcodeName(opcode: number): string | undefined {
  return OPCODE_NAMES[opcode];
}

export function className(qclass: number): string {
  // mDNS borrows the top bit of the class (unicast-response / cache-flush): the class is the rest.
  const c = qclass & 0x7fff;
  if (c === 1) return 'IN';
  if (c === 3) return 'CH';
  if (c === 4) return 'HS';
  if (c === 255) return 'ANY';
  return `CLASS${c}`;
}
