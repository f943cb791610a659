/**
 * @module protocols/dns/parse
 * Decodes DNS messages (RFC 1035 section 4) from one datagram or from a TCP stream of 2-byte
 * length-prefixed messages (RFC 1035 section 4.2.2, RFC 7766), and finds message starts to resync.
 */
import type { Direction } from '../../streams/events.ts';
import { NEEDS_MORE, invalid } from '../protocol.ts';
import type { ParseResult } from '../protocol.ts';
import { truncate } from '../../records/record.ts';
import { DNS_HEADER_SIZE, FLAG_QR, FLAG_Z, opcodeName, typeName } from './types.ts';
import type { DnsFrame, DnsState } from './types.ts';

/** A name is at most 255 octets on the wire (RFC 1035 section 2.3.4), pointers followed. */
const MAX_NAME_OCTETS = 255;
/** Real messages carry one question (RFC 9619); mDNS batches a few. More means it is not DNS. */
const MAX_QUESTIONS = 32;
/** Answers decoded into the summary, and its length cap. */
const MAX_SUMMARY_ANSWERS = 5;
const MAX_SUMMARY_CHARS = 256;
const MAX_TXT_CHARS = 64;
/** Smallest question: root name (1) + type (2) + class (2). Smallest record adds TTL (4) + RDLENGTH (2). */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;

const OPT = 41;

// readName's results: an offset >= 0, or one of these.
const NAME_SHORT = -1;
const NAME_BAD_LABEL = -2;
const NAME_BAD_POINTER = -3;
const NAME_TOO_LONG = -4;

/** Text of the last name read with `want`; a module slot instead of an object per call. */
let nameText = '';

function u16(d: Uint8Array, at: number): number {
  return (d[at]! << 8) | d[at + 1]!;
}

/**
 * Reads the name at `pos` of the message that starts at `base` and ends at `end`. Returns the offset
 * after the name where it sits (after its first pointer), or a negative NAME_* code. Loop-safe:
 * every pointer must go strictly before the previous target (and before the name itself), which is
 * what compression produces, since it only refers to names written earlier; and at most 255 octets.
 */
function readName(d: Uint8Array, pos: number, end: number, base: number, want: boolean): number {
  let after = -1;
  let octets = 0;
  let limit = pos;
  let text = '';
  for (;;) {
    if (pos >= end) return NAME_SHORT;
    const len = d[pos]!;
    if (len === 0) {
      if (after < 0) after = pos + 1;
      break;
    }
    const tag = len & 0xc0;
    if (tag === 0xc0) {
      if (pos + 1 >= end) return NAME_SHORT;
      const target = base + (((len & 0x3f) << 8) | d[pos + 1]!);
      if (after < 0) after = pos + 2;
      if (target >= limit) return NAME_BAD_POINTER;
      limit = target;
      pos = target;
      continue;
    }
    // 0x40 (extended label types, RFC 6891 deprecated them) and 0x80 are not names we can read.
    if (tag !== 0) return NAME_BAD_LABEL;
    octets += len + 1;
    if (octets + 1 > MAX_NAME_OCTETS) return NAME_TOO_LONG;
    if (pos + 1 + len > end) return NAME_SHORT;
    if (want) text += (text.length > 0 ? '.' : '') + labelText(d, pos + 1, pos + 1 + len);
    pos += 1 + len;
  }
  if (want) nameText = text.length > 0 ? text : '.';
  return after;
}

/** Latin-1 decoding of a byte range by Node's native slice (works on any Uint8Array). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string })
  .latin1Slice;

/** A label in presentation form (RFC 4343 section 2.1): `.` and `\` escaped, non-printables as \DDD. */
function labelText(d: Uint8Array, start: number, end: number): string {
  // Labels are almost always plain printable ASCII: then the text is the bytes themselves.
  let plain = start;
  while (plain < end) {
    const c = d[plain]!;
    if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) break;
    plain++;
  }
  if (plain === end) return latin1Slice.call(d, start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const c = d[i]!;
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

function nameError(code: number, what: string): string {
  switch (code) {
    case NAME_SHORT:
      return `${what} runs past the end of the message`;
    case NAME_BAD_LABEL:
      return `${what} has a reserved label type, which indicates bytes that are not DNS`;
    case NAME_BAD_POINTER:
      return `${what} has a compression pointer that does not point backwards (a loop or garbage)`;
    default:
      return `${what} is longer than 255 octets`;
  }
}

/**
 * Checks the 12-byte header at `at` for what real DNS sends. `strict` (detection and resync) also
 * wants one question, Z clear, and no rcode in a query. Returns a reason, or null when plausible.
 */
function headerProblem(d: Uint8Array, at: number, length: number, strict: boolean): string | null {
  const flags = u16(d, at + 2);
  const opcode = (flags >> 11) & 0xf;
  if (opcodeName(opcode) === undefined) return `opcode ${opcode} is unassigned, which indicates bytes that are not DNS`;
  const qd = u16(d, at + 4);
  const records = u16(d, at + 6) + u16(d, at + 8) + u16(d, at + 10);
  if (qd > MAX_QUESTIONS) return `${qd} questions, which indicates bytes that are not DNS`;
  if (strict) {
    if (flags & FLAG_Z) return 'the reserved Z flag is set';
    const query = (flags & FLAG_QR) === 0;
    if (qd !== 1 && !(qd === 0 && !query)) return `${qd} questions in a message`;
    if (query && (flags & 0xf) !== 0) return 'a query carries a response code';
    if (qd * MIN_QUESTION + records * MIN_RECORD > length - DNS_HEADER_SIZE) {
      return `section counts cannot fit in a ${length}-byte message`;
    }
  }
  return null;
}

/** Offset where the last successfully decoded message's records ended (exact-fit test for UDP). */
let decodedEnd = 0;

/**
 * Decodes the message in d[start, end). Header and question must be whole; records that run past
 * `end` leave the frame `complete: false` (a capture cut short) rather than failing it.
 */
export function decodeMessage(d: Uint8Array, start: number, end: number): DnsFrame | string {
  const length = end - start;
  if (length < DNS_HEADER_SIZE) return `${length} bytes is shorter than the 12-byte DNS header`;
  const problem = headerProblem(d, start, length, false);
  if (problem) return problem;
  const id = u16(d, start);
  const flags = u16(d, start + 2);
  const qd = u16(d, start + 4);
  const an = u16(d, start + 6);
  const ns = u16(d, start + 8);
  const ar = u16(d, start + 10);

  let pos = start + DNS_HEADER_SIZE;
  let qname: string | null = null;
  let qtype = -1;
  let qclass = -1;
  for (let i = 0; i < qd; i++) {
    const after = readName(d, pos, end, start, i === 0);
    if (after < 0) return nameError(after, 'the question name');
    if (after + 4 > end) return 'the question is cut short';
    if (i === 0) {
      qname = nameText;
      qtype = u16(d, after);
      qclass = u16(d, after + 2);
    }
    pos = after + 4;
  }

  let rcode = flags & 0xf;
  let complete = true;
  // The first answers as "TYPE data", joined with ", " as they come (no array per message).
  let summary: string | null = null;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const after = readName(d, pos, end, start, false);
    if (after < 0 || after + 10 > end) {
      complete = false;
      break;
    }
    const type = u16(d, after);
    const rdStart = after + 10;
    const rdEnd = rdStart + u16(d, after + 8);
    if (rdEnd > end) {
      complete = false;
      break;
    }
    if (i < an) {
      if (i < MAX_SUMMARY_ANSWERS) {
        const answer = describeAnswer(d, type, rdStart, rdEnd, start, end);
        summary = summary === null ? answer : summary + ', ' + answer;
      }
    } else if (type === OPT && i >= an + ns) {
      // The OPT "TTL" holds the upper 8 bits of the 12-bit extended RCODE (RFC 6891 section 6.1.3).
      rcode |= d[after + 4]! << 4;
    }
    pos = rdEnd;
  }
  decodedEnd = pos;

  let answers: string | null = null;
  if (summary !== null) {
    let text = summary;
    if (an > MAX_SUMMARY_ANSWERS) text += `, +${an - MAX_SUMMARY_ANSWERS} more`;
    answers = truncate(text, MAX_SUMMARY_CHARS);
  }
  return {
    kind: flags & FLAG_QR ? 'response' : 'request',
    key: id,
    opcode: (flags >> 11) & 0xf,
    flags,
    rcode,
    qname,
    qtype,
    qclass,
    questionCount: qd,
    answerCount: an,
    authorityCount: ns,
    additionalCount: ar,
    answers,
    complete,
  };
}

/** One answer as `TYPE data`; the data of types we do not decode is left out. */
function describeAnswer(d: Uint8Array, type: number, rs: number, re: number, base: number, end: number): string {
  const name = typeName(type);
  const n = re - rs;
  switch (type) {
    case 1:
      return n === 4 ? `A ${d[rs]}.${d[rs + 1]}.${d[rs + 2]}.${d[rs + 3]}` : 'A <malformed>';
    case 28:
      return n === 16 ? `AAAA ${ipv6(d, rs)}` : 'AAAA <malformed>';
    case 2: // NS
    case 5: // CNAME
    case 12: // PTR
    case 39: // DNAME
      return `${name} ${rdataName(d, rs, re, base, end)}`;
    case 15: // MX: preference, exchange
      return n >= 3 ? `MX ${u16(d, rs)} ${rdataName(d, rs + 2, re, base, end)}` : 'MX <malformed>';
    case 33: // SRV: priority, weight, port, target (RFC 2782)
      return n >= 7
        ? `SRV ${u16(d, rs)} ${u16(d, rs + 2)} ${u16(d, rs + 4)} ${rdataName(d, rs + 6, re, base, end)}`
        : 'SRV <malformed>';
    case 16:
      return `TXT ${txt(d, rs, re)}`;
    default:
      return name;
  }
}

/** A name inside RDATA: it may point anywhere earlier in the message, but must end inside the RDATA. */
function rdataName(d: Uint8Array, rs: number, re: number, base: number, end: number): string {
  const after = readName(d, rs, end, base, true);
  if (after < 0 || after > re) return '<malformed>';
  return nameText === '.' ? '.' : nameText + '.';
}

/** TXT character-strings, quoted and escaped like dig, cut at MAX_TXT_CHARS. */
function txt(d: Uint8Array, rs: number, re: number): string {
  let out = '';
  let pos = rs;
  while (pos < re && out.length < MAX_TXT_CHARS) {
    const len = d[pos]!;
    const stop = Math.min(pos + 1 + len, re);
    let s = '"';
    for (let i = pos + 1; i < stop; i++) {
      const c = d[i]!;
      if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
      else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
      else s += '\\' + String(c).padStart(3, '0');
    }
    out += (out.length > 0 ? ' ' : '') + s + '"';
    pos += 1 + len;
  }
  return truncate(out, MAX_TXT_CHARS);
}

/** RFC 5952 text: lower-case hex, leading zeros dropped, the longest run of 2+ zero groups as `::`. */
function ipv6(d: Uint8Array, at: number): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (u16(d, at + 2 * i) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && u16(d, at + 2 * j) === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return hexGroups(d, at, 0, 8);
  return `${hexGroups(d, at, 0, bestStart)}::${hexGroups(d, at, bestStart + bestLen, 8)}`;
}

/** Groups [from, to) of the address at `at` in hex, joined with ':'. */
function hexGroups(d: Uint8Array, at: number, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += (i > from ? ':' : '') + u16(d, at + 2 * i).toString(16);
  return s;
}

/** Parses one message: the whole datagram over UDP, one length-prefixed message over TCP. */
export function parseDns(data: Uint8Array, _dir: Direction, state: DnsState): ParseResult<DnsFrame> {
  if (state.framing === 'udp') return parseDatagram(data);
  if (state.framing === 'tcp') return parseLengthPrefixed(data);
  // First message of the connection: a datagram decodes exactly as one message; a TCP stream
  // starts with a length that a datagram's ID would match only by accident.
  if (data.length >= DNS_HEADER_SIZE) {
    const frame = decodeMessage(data, 0, data.length);
    if (typeof frame !== 'string' && frame.complete && decodedEnd === data.length) {
      state.framing = 'udp';
      return { state: 'ok', frame, consumed: data.length };
    }
  }
  const result = parseLengthPrefixed(data);
  if (result.state === 'ok') state.framing = 'tcp';
  return result;
}

function parseDatagram(data: Uint8Array): ParseResult<DnsFrame> {
  const frame = decodeMessage(data, 0, data.length);
  if (typeof frame === 'string') return invalid(frame);
  return { state: 'ok', frame, consumed: data.length };
}

function parseLengthPrefixed(data: Uint8Array): ParseResult<DnsFrame> {
  if (data.length < 2) return NEEDS_MORE;
  const length = u16(data, 0);
  if (length < DNS_HEADER_SIZE) {
    return invalid(`length prefix ${length} is shorter than a DNS header, which indicates lost framing or bytes that are not DNS`);
  }
  // Reject a bad header as soon as it is in, instead of waiting for up to 64 KiB that never come.
  if (data.length >= 2 + DNS_HEADER_SIZE) {
    const problem = headerProblem(data, 2, length, false);
    if (problem) return invalid(problem);
  }
  if (data.length < 2 + length) return NEEDS_MORE;
  const frame = decodeMessage(data, 2, 2 + length);
  if (typeof frame === 'string') return invalid(frame);
  return { state: 'ok', frame, consumed: 2 + length };
}

/**
 * True when a message plausibly starts at `at` (its header, and its question when in `d`), for
 * detection and resync: stricter than parsing, so that other protocols' bytes do not pass.
 */
export function plausibleMessageAt(d: Uint8Array, at: number, length: number): boolean {
  if (length < DNS_HEADER_SIZE || at + DNS_HEADER_SIZE > d.length) return false;
  if (headerProblem(d, at, length, true) !== null) return false;
  if (u16(d, at + 4) === 0) return true;
  const end = Math.min(d.length, at + length);
  const after = readName(d, at + DNS_HEADER_SIZE, end, at, false);
  if (after === NAME_SHORT) return end < at + length; // the rest has not arrived yet
  return after >= 0 && (after + 4 <= end || end < at + length);
}

/** Next offset >= `from` where a message plausibly starts, or -1. */
export function findDnsBoundary(data: Uint8Array, _dir: Direction, from: number, state: DnsState): number {
  // A datagram is a fresh start; before the framing is known, that reading comes first too.
  if (state.framing !== 'tcp') {
    if (plausibleMessageAt(data, from, data.length - from)) return from;
    if (state.framing === 'udp') return -1;
  }
  for (let i = from; i + 2 + DNS_HEADER_SIZE <= data.length; i++) {
    if (plausibleMessageAt(data, i + 2, u16(data, i))) return i;
  }
  return -1;
}

/** Length and exact-fit check used by detection. */
export function decodesExactly(d: Uint8Array, start: number, end: number): DnsFrame | null {
  const frame = decodeMessage(d, start, end);
  if (typeof frame === 'string' || !frame.complete || decodedEnd !== end) return null;
  return frame;
}
