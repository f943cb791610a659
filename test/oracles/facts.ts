/**
 * @module test/oracles/facts
 * A fact is one thing an oracle says about a capture (a count, or the multiset of per-request
 * values) together with the projection that computes the same thing from our records. Also the
 * normalisations the comparison rules share (DNS names, qtypes, rcodes, Redis arguments).
 */
import { domainToUnicode } from 'node:url';
import type { ProtocolName, RequestRecord } from '../../src/records/record.ts';

/** A count, or a list of canonical strings (sorted unless the fact is ordered). */
export type FactValue = number | string[];

export interface Fact {
  /** Unique within one capture, e.g. `requests`, `method host uri status per transaction`. */
  name: string;
  /** Where the expectation comes from, e.g. `zeek http.log (http.http-pipelining)`. */
  from: string;
  expected: FactValue;
  ours: (records: readonly RequestRecord[]) => FactValue;
  /** Lists are compared in order (default: as sorted multisets). */
  ordered?: boolean;
}

export function sameValue(a: FactValue, b: FactValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function finish(values: string[], ordered = false): string[] {
  return ordered ? values : [...values].sort();
}

export function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** Every record carries the request frame size; zero means the request was not seen. */
export function hasRequest(r: RequestRecord): boolean {
  return r.request_bytes > 0;
}

/** Zero response bytes means no response was seen (a timeout record). */
export function hasResponse(r: RequestRecord): boolean {
  return r.response_bytes > 0;
}

export function ofProtocol(records: readonly RequestRecord[], protocol: ProtocolName): RequestRecord[] {
  return records.filter((r) => r.protocol === protocol);
}

/** Records in the order their requests (or unanswered responses) started. */
export function byStart(records: readonly RequestRecord[]): RequestRecord[] {
  return [...records].sort((a, b) => (a.start_time < b.start_time ? -1 : a.start_time > b.start_time ? 1 : 0));
}

export function text(v: string | number | null | undefined): string {
  return v === null || v === undefined ? '-' : String(v);
}

/** DNS names compare case-insensitively and without the root's trailing dot. */
export function dnsName(name: string | null | undefined): string {
  if (name === null || name === undefined) return '-';
  const n = name.toLowerCase();
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n;
}

/** Arkime decodes IDNA names to Unicode; we keep the wire form (`xn--...`). */
export function dnsNameUnicode(name: string | null | undefined): string {
  const n = dnsName(name);
  return n === '-' ? n : n.split('.').map((label) => (label.startsWith('xn--') ? domainToUnicode(label) || label : label)).join('.');
}

const QTYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 29: 'LOC',
  33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3',
  64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};

/** Query types as IANA mnemonics; types without one as `TYPE<n>` (RFC 3597), e.g. Zeek's `query-65534`. */
export function qtype(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === '') return '-';
  const s = String(t).toUpperCase();
  const n = /^(?:QUERY-|TYPE)?(\d+)$/.exec(s);
  if (n) return QTYPE_NAMES[Number(n[1])] ?? `TYPE${n[1]}`;
  return s;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function rcodeName(code: number | null | undefined): string {
  if (code === null || code === undefined) return '-';
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

/** Path without the query string. */
export function pathOnly(resource: string | null): string {
  if (resource === null) return '-';
  const q = resource.indexOf('?');
  return q < 0 ? resource : resource.slice(0, q);
}

/** The arguments of a Redis command as our record keeps them (request_resource), split on spaces. */
export function redisArgs(r: RequestRecord): string[] {
  return (r.request_resource ?? '').split(' ').filter((a) => a !== '');
}

export function redisCommand(r: RequestRecord): string {
  return r.request_type === null ? '-' : r.request_type.toUpperCase();
}

/** Redis replies that are errors: the record carries the error text. */
export function redisIsError(r: RequestRecord): boolean {
  return hasResponse(r) && (r.response_status === 'client_error' || r.response_status === 'server_error');
}

export function formatValue(v: FactValue, max = 6): string {
  if (typeof v === 'number') return String(v);
  if (v.length === 0) return '(none)';
  const shown = v.slice(0, max).map((s) => (s.length > 90 ? `${s.slice(0, 89)}…` : s));
  return shown.join('; ') + (v.length > max ? `; … (${v.length} in all)` : '');
}

/** What differs between two lists, as `-missing` / `+extra` (multiset difference). */
export function diffValues(expected: FactValue, actual: FactValue): string {
  if (typeof expected === 'number' || typeof actual === 'number') return `expected ${formatValue(expected)}, ours ${formatValue(actual)}`;
  const left = new Map<string, number>();
  for (const e of expected) left.set(e, (left.get(e) ?? 0) + 1);
  const extra: string[] = [];
  for (const a of actual) {
    const n = left.get(a) ?? 0;
    if (n > 0) left.set(a, n - 1);
    else extra.push(a);
  }
  const missing = [...left.entries()].flatMap(([k, n]) => Array<string>(n).fill(k));
  const parts: string[] = [];
  if (missing.length) parts.push(`oracle only: ${formatValue(missing, 4)}`);
  if (extra.length) parts.push(`ours only: ${formatValue(extra, 4)}`);
  if (!parts.length) parts.push('same values, different order');
  return parts.join(' | ');
}
