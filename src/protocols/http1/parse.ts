/**
 * @module protocols/http1/parse
 * HTTP/1.x message framing (RFC 9112) on raw bytes: one frame per start line + header section,
 * bodies skipped by length (Content-Length), walked chunk by chunk (chunked) or to the end of the
 * stream (close-delimited). Works on char codes; decodes only the few values a record keeps.
 */
import type { Direction } from '../../streams/events.ts';
import type { ParseResult } from '../protocol.ts';
import * as protocol from '../protocol.ts';
import * as traceContext from '../../records/trace-context.ts';
import type { TraceHeaders } from '../../records/trace-context.ts';
import type { Http1Frame, Http1State } from './types.ts';
import * as types from './types.ts';

// Imported values copied into module constants: a transpiled import can be a getter call per use,
// which showed up in profiles of this hot path.
const BODY_NONE = types.BODY_NONE;
const NEEDS_MORE = protocol.NEEDS_MORE;
const invalid = protocol.invalid;
const BODY_CHUNK_SIZE = types.BODY_CHUNK_SIZE;
const BODY_TRAILERS = types.BODY_TRAILERS;
const REQ_HEAD = types.REQ_HEAD;
const REQ_CONNECT = types.REQ_CONNECT;
const REQ_UPGRADE = types.REQ_UPGRADE;
const { emptyTraceHeaders, parseRequestId, traceContextFrom } = traceContext;

/** Start line + header section larger than this is not HTTP we can use: invalid. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Header fields per message; more is invalid (nginx and Apache reject far fewer). */
export const MAX_HEADER_FIELDS = 256;
/** Longest request target kept in a frame; longer ones are cut with an ellipsis. */
export const MAX_TARGET = 1024;
/** Longest Host value kept. */
export const MAX_HOST = 256;
/** Longest method token accepted (the longest registered one is 17). */
export const MAX_METHOD = 24;
/** A chunk-size line (with extensions) or trailer line longer than this is invalid. */
export const MAX_CHUNK_LINE = 4096;
/** Requests remembered while waiting for responses; beyond this the oldest is forgotten. */
export const MAX_PENDING = 1024;

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;
const COLON = 58;
const COMMA = 44;

/** Registered methods (IANA HTTP Method Registry) except PRI, the HTTP/2 preface. */
export const KNOWN_METHODS: readonly string[] = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY',
  'ACL', 'BASELINE-CONTROL', 'BIND', 'CHECKIN', 'CHECKOUT', 'COPY', 'LABEL', 'LINK', 'LOCK',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MKREDIRECTREF', 'MKWORKSPACE', 'MOVE',
  'ORDERPATCH', 'PROPFIND', 'PROPPATCH', 'REBIND', 'REPORT', 'SEARCH', 'UNBIND', 'UNCHECKOUT',
  'UNLINK', 'UNLOCK', 'UPDATE', 'UPDATEREDIRECTREF', 'VERSION-CONTROL',
];

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const KNOWN_METHOD_BYTES = KNOWN_METHODS.map(ascii);

/** True latin1 (ISO-8859-1) decoding of a byte range; Node's native slice works on any Uint8Array. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string })
  .latin1Slice;
function latin1(data: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(data, start, end);
}

/** Method token characters we accept: upper-case letters, digits, '-' and '_' (the shape of every registered method). */
function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f || (c >= 0x30 && c <= 0x39);
}

/** The registered method spelled by data[start, end), interned; null when not registered. */
export function knownMethod(data: Uint8Array, start: number, end: number): string | null {
  const len = end - start;
  for (let m = 0; m < KNOWN_METHOD_BYTES.length; m++) {
    const bytes = KNOWN_METHOD_BYTES[m]!;
    if (bytes.length !== len) continue;
    let k = 0;
    while (k < len && data[start + k] === bytes[k]) k++;
    if (k === len) return KNOWN_METHODS[m]!;
  }
  return null;
}

/** True when data[start, end) is a proper prefix of some registered method. */
export function isKnownMethodPrefix(data: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  for (const bytes of KNOWN_METHOD_BYTES) {
    if (bytes.length <= len) continue;
    let k = 0;
    while (k < len && data[start + k] === bytes[k]) k++;
    if (k === len) return true;
  }
  return false;
}

// Results of the start-line scanners, kept in module scope so the hot path allocates nothing.
let rlMethodEnd = 0;
let rlTargetStart = 0;
let rlTargetEnd = 0;
let lineMinor = 0;
let slStatus = 0;
let slReasonStart = 0;
let slReasonEnd = 0;

/** Scanner verdicts: the line is not this kind of start line, or is consistent but cut short. */
export const LINE_INVALID = -1;
export const LINE_PARTIAL = 0;

/**
 * Scans `METHOD SP request-target SP HTTP/1.x CRLF` at `at`. Returns the offset after the line
 * feed, LINE_PARTIAL when the bytes end before the line does, or LINE_INVALID.
 */
export function scanRequestLine(d: Uint8Array, at: number): number {
  const n = d.length;
  let i = at;
  while (i < n && isMethodChar(d[i]!)) {
    if (++i - at > MAX_METHOD) return LINE_INVALID;
  }
  if (i >= n) return LINE_PARTIAL;
  if (d[i] !== SP || i === at) return LINE_INVALID;
  rlMethodEnd = i;
  rlTargetStart = ++i;
  while (i < n) {
    const c = d[i]!;
    if (c === SP) break;
    // Visible characters only; bytes >= 0x80 are tolerated (raw UTF-8 paths are common).
    if (c < 0x21 || c === 0x7f) return LINE_INVALID;
    i++;
  }
  if (i >= n) return i - at > MAX_HEADER_BYTES ? LINE_INVALID : LINE_PARTIAL;
  if (i === rlTargetStart) return LINE_INVALID;
  rlTargetEnd = i++;
  return scanVersionEnd(d, i);
}

/** `HTTP/1.x` then CRLF (or a bare LF) at `i`. */
function scanVersionEnd(d: Uint8Array, i: number): number {
  const n = d.length;
  if (n - i >= 8) {
    if (d[i] !== 0x48 || d[i + 1] !== 0x54 || d[i + 2] !== 0x54 || d[i + 3] !== 0x50 || d[i + 4] !== 0x2f ||
      d[i + 5] !== 0x31 || d[i + 6] !== 0x2e) return LINE_INVALID;
  } else {
    return matchesPrefix(d, i, HTTP1_PREFIX) ? LINE_PARTIAL : LINE_INVALID;
  }
  const minor = d[i + 7]!;
  if (minor < 0x30 || minor > 0x39) return LINE_INVALID;
  lineMinor = minor;
  i += 8;
  if (i >= n) return LINE_PARTIAL;
  if (d[i] === CR) {
    if (++i >= n) return LINE_PARTIAL;
  }
  return d[i] === LF ? i + 1 : LINE_INVALID;
}

const HTTP1_PREFIX = ascii('HTTP/1.');

/** True when the bytes from `at` to the end agree with `prefix` as far as both go. */
function matchesPrefix(d: Uint8Array, at: number, prefix: Uint8Array): boolean {
  const m = Math.min(prefix.length, d.length - at);
  for (let k = 0; k < m; k++) if (d[at + k] !== prefix[k]) return false;
  return true;
}

/**
 * Scans `HTTP/1.x SP 3DIGIT [SP reason] CRLF` at `at`; same verdicts as {@link scanRequestLine}.
 * A missing space before an empty reason is tolerated (some servers send `HTTP/1.1 200\r\n`).
 */
export function scanStatusLine(d: Uint8Array, at: number): number {
  const n = d.length;
  if (n - at < 12) {
    if (!matchesPrefix(d, at, HTTP1_PREFIX)) return LINE_INVALID;
    for (let k = at + 7; k < n; k++) {
      const c = d[k]!;
      const ok = k === at + 7 || k >= at + 9 ? c >= 0x30 && c <= 0x39 : c === SP;
      if (!ok) return LINE_INVALID;
    }
    return LINE_PARTIAL;
  }
  if (d[at] !== 0x48 || d[at + 1] !== 0x54 || d[at + 2] !== 0x54 || d[at + 3] !== 0x50 || d[at + 4] !== 0x2f ||
    d[at + 5] !== 0x31 || d[at + 6] !== 0x2e) return LINE_INVALID;
  const minor = d[at + 7]!;
  const s0 = d[at + 9]! - 0x30;
  const s1 = d[at + 10]! - 0x30;
  const s2 = d[at + 11]! - 0x30;
  if (minor < 0x30 || minor > 0x39 || d[at + 8] !== SP) return LINE_INVALID;
  if (s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return LINE_INVALID;
  lineMinor = minor;
  slStatus = s0 * 100 + s1 * 10 + s2;
  let i = at + 12;
  if (i >= n) return LINE_PARTIAL;
  let c = d[i]!;
  if (c === SP) {
    slReasonStart = ++i;
    while (i < n) {
      c = d[i]!;
      if (c === LF) break;
      if ((c < 0x20 && c !== HT && c !== CR) || c === 0x7f) return LINE_INVALID;
      i++;
    }
    if (i >= n) return i - at > MAX_HEADER_BYTES ? LINE_INVALID : LINE_PARTIAL;
    slReasonEnd = d[i - 1] === CR ? i - 1 : i;
    return i + 1;
  }
  slReasonStart = slReasonEnd = i;
  if (c === CR) {
    if (++i >= n) return LINE_PARTIAL;
    c = d[i]!;
  }
  return c === LF ? i + 1 : LINE_INVALID;
}

// Lower-case header names we read; every other field is skipped without decoding (Authorization,
// Cookie and Set-Cookie values are never read, so they cannot leak into records).
const N_HOST = ascii('host');
const N_CONTENT_LENGTH = ascii('content-length');
const N_TRANSFER_ENCODING = ascii('transfer-encoding');
const N_CONNECTION = ascii('connection');
const N_UPGRADE = ascii('upgrade');
const N_TRACEPARENT = ascii('traceparent');
const N_B3 = ascii('b3');
const N_X_B3_TRACEID = ascii('x-b3-traceid');
const N_X_B3_SPANID = ascii('x-b3-spanid');
const N_X_B3_PARENTSPANID = ascii('x-b3-parentspanid');
const N_UBER_TRACE_ID = ascii('uber-trace-id');
const N_SW8 = ascii('sw8');
const N_X_REQUEST_ID = ascii('x-request-id');
const T_CHUNKED = ascii('chunked');
const T_CLOSE = ascii('close');
const T_KEEP_ALIVE = ascii('keep-alive');
const T_UPGRADE = N_UPGRADE;

/** Case-insensitive match of data[at, at + lower.length) against a lower-case ASCII name. */
function isName(d: Uint8Array, at: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if ((d[at + k]! | 0x20) !== lower[k]) return false;
  return true;
}

// Fields gathered from one header section (module scope: no allocation per message).
let hHost = '';
let hHasHost = false;
let hContentLength = -1;
let hTransferEncoding = false;
let hChunked = false;
let hClose = false;
let hKeepAlive = false;
let hConnectionUpgrade = false;
let hUpgrade = false;
let hTrace: TraceHeaders | null = null;
let hRequestId: string | null = null;
let headerError = '';

/** Content-Length value (a list of identical values is accepted, RFC 9112 6.3), or -2 if invalid. */
function contentLengthValue(d: Uint8Array, s: number, e: number): number {
  let result = -1;
  let i = s;
  while (i < e) {
    while (i < e && (d[i] === SP || d[i] === HT)) i++;
    let v = 0;
    let digits = 0;
    while (i < e) {
      const c = d[i]! - 0x30;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      if (++digits > 15) return -2;
      i++;
    }
    if (digits === 0) return -2;
    while (i < e && (d[i] === SP || d[i] === HT)) i++;
    if (result !== -1 && result !== v) return -2;
    result = v;
    if (i < e) {
      if (d[i] !== COMMA) return -2;
      i++;
    }
  }
  return result === -1 ? -2 : result;
}

/** Reads the connection options we act on from a comma-separated token list. */
function connectionTokens(d: Uint8Array, s: number, e: number): void {
  let i = s;
  while (i < e) {
    while (i < e && (d[i] === SP || d[i] === HT || d[i] === COMMA)) i++;
    const t = i;
    while (i < e && d[i] !== COMMA && d[i] !== SP && d[i] !== HT) i++;
    const len = i - t;
    if (len === 5 && isName(d, t, T_CLOSE)) hClose = true;
    else if (len === 10 && isName(d, t, T_KEEP_ALIVE)) hKeepAlive = true;
    else if (len === 7 && isName(d, t, T_UPGRADE)) hConnectionUpgrade = true;
  }
}

function traceHeaders(): TraceHeaders {
  return (hTrace ??= emptyTraceHeaders());
}

/** Applies one header field whose name is d[ns, ns + nameLen) and trimmed value d[vs, ve). */
function field(d: Uint8Array, ns: number, nameLen: number, vs: number, ve: number): boolean {
  switch (nameLen) {
    case 2:
      if (isName(d, ns, N_B3)) traceHeaders().b3 = latin1(d, vs, Math.min(ve, vs + 256));
      return true;
    case 3:
      if (isName(d, ns, N_SW8)) traceHeaders().sw8 = latin1(d, vs, Math.min(ve, vs + 1024));
      return true;
    case 4:
      if (isName(d, ns, N_HOST)) {
        hHost = ve - vs > MAX_HOST ? latin1(d, vs, vs + MAX_HOST - 1) + '…' : latin1(d, vs, ve);
        hHasHost = true;
      }
      return true;
    case 7:
      if (isName(d, ns, N_UPGRADE)) hUpgrade = true;
      return true;
    case 10:
      if (isName(d, ns, N_CONNECTION)) connectionTokens(d, vs, ve);
      return true;
    case 11:
      if (isName(d, ns, N_TRACEPARENT)) traceHeaders().traceparent = latin1(d, vs, Math.min(ve, vs + 256));
      else if (isName(d, ns, N_X_B3_SPANID)) traceHeaders().xB3SpanId = latin1(d, vs, Math.min(ve, vs + 64));
      return true;
    case 12:
      if (isName(d, ns, N_X_REQUEST_ID)) hRequestId = parseRequestId(latin1(d, vs, Math.min(ve, vs + 1024)));
      else if (isName(d, ns, N_X_B3_TRACEID)) traceHeaders().xB3TraceId = latin1(d, vs, Math.min(ve, vs + 64));
      return true;
    case 13:
      if (isName(d, ns, N_UBER_TRACE_ID)) traceHeaders().uberTraceId = latin1(d, vs, Math.min(ve, vs + 256));
      return true;
    case 14:
      if (isName(d, ns, N_CONTENT_LENGTH)) {
        const v = contentLengthValue(d, vs, ve);
        if (v < 0 || (hContentLength >= 0 && hContentLength !== v)) {
          headerError = 'invalid or conflicting Content-Length';
          return false;
        }
        hContentLength = v;
      }
      return true;
    case 17:
      if (isName(d, ns, N_TRANSFER_ENCODING)) {
        hTransferEncoding = true;
        // The final coding decides the framing (RFC 9112 6.3); a later field line overrides.
        let j = ve;
        while (j > vs && (d[j - 1] === SP || d[j - 1] === HT || d[j - 1] === COMMA)) j--;
        let k = j;
        while (k > vs && d[k - 1] !== COMMA && d[k - 1] !== SP && d[k - 1] !== HT) k--;
        hChunked = j - k === 7 && isName(d, k, T_CHUNKED);
      } else if (isName(d, ns, N_X_B3_PARENTSPANID)) {
        traceHeaders().xB3ParentSpanId = latin1(d, vs, Math.min(ve, vs + 64));
      }
      return true;
    default:
      return true;
  }
}

/**
 * Scans header field lines from `pos` to the blank line. Returns the offset after the blank line,
 * LINE_PARTIAL when the section is cut short, or LINE_INVALID with `headerError` set.
 * obs-fold continuation lines (RFC 9112 5.2) are tolerated and their content ignored.
 */
function scanHeaders(d: Uint8Array, pos: number): number {
  hHasHost = false;
  hContentLength = -1;
  hTransferEncoding = false;
  hChunked = false;
  hClose = false;
  hKeepAlive = false;
  hConnectionUpgrade = false;
  hUpgrade = false;
  hTrace = null;
  hRequestId = null;
  const n = d.length;
  let fields = 0;
  for (;;) {
    if (pos >= n) return LINE_PARTIAL;
    const c = d[pos]!;
    if (c === LF) return pos + 1;
    if (c === CR) {
      if (pos + 1 >= n) return LINE_PARTIAL;
      if (d[pos + 1] === LF) return pos + 2;
      headerError = 'bare CR in the header section';
      return LINE_INVALID;
    }
    if (++fields > MAX_HEADER_FIELDS) {
      headerError = `more than ${MAX_HEADER_FIELDS} header fields`;
      return LINE_INVALID;
    }
    if (c === SP || c === HT) {
      // obs-fold: continues the previous field; we keep only first lines of the few fields we read.
      while (pos < n && d[pos] !== LF) pos++;
      if (pos >= n) return LINE_PARTIAL;
      pos++;
      continue;
    }
    const ns = pos;
    while (pos < n) {
      const ch = d[pos]!;
      if (ch === COLON) break;
      if (ch === LF || ch < 0x20 || ch === 0x7f) {
        headerError = 'header line without a colon (not an HTTP header section)';
        return LINE_INVALID;
      }
      pos++;
    }
    if (pos >= n) return LINE_PARTIAL;
    const nameLen = pos - ns;
    let vs = pos + 1;
    while (vs < n && (d[vs] === SP || d[vs] === HT)) vs++;
    pos = vs;
    while (pos < n && d[pos] !== LF) pos++;
    if (pos >= n) return LINE_PARTIAL;
    let ve = pos++;
    while (ve > vs && (d[ve - 1] === CR || d[ve - 1] === SP || d[ve - 1] === HT)) ve--;
    if (nameLen === 0) {
      headerError = 'header line with an empty name';
      return LINE_INVALID;
    }
    if (!field(d, ns, nameLen, vs, ve)) return LINE_INVALID;
  }
}

// Chunk walking reports a malformed chunk here; the offset it returns is the last good one.
let walkError = '';

/**
 * Walks chunk-size lines and trailers of a chunked body from `pos` while they are in `d`,
 * updating the direction's body mode. Returns the offset reached, which may lie beyond `d` when
 * the last chunk's data has not arrived yet (the stream skips it). Sets `walkError` on bad input.
 */
function walkChunks(d: Uint8Array, pos: number, state: Http1State, dir: Direction): number {
  const n = d.length;
  let mode = state.body[dir];
  walkError = '';
  while (pos < n && mode !== BODY_NONE) {
    if (mode === BODY_CHUNK_SIZE) {
      let i = pos;
      let size = 0;
      while (i < n) {
        const c = d[i]!;
        const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
        if (v < 0) break;
        size = size * 16 + v;
        if (i - pos >= 13) {
          walkError = 'chunk size too large';
          break;
        }
        i++;
      }
      if (walkError) break;
      if (i >= n) break;
      if (i === pos) {
        walkError = 'chunk size is not hexadecimal (lost track of a chunked body)';
        break;
      }
      const c = d[i]!;
      if (c !== CR && c !== LF && c !== 0x3b /* ; */ && c !== SP && c !== HT) {
        walkError = 'unexpected byte after a chunk size';
        break;
      }
      // Chunk extensions (";name=value") are skipped: RFC 9112 7.1.1 lets recipients ignore them.
      while (i < n && d[i] !== LF) i++;
      if (i >= n) {
        if (i - pos > MAX_CHUNK_LINE) walkError = 'chunk-size line too long';
        break;
      }
      const lineEnd = i + 1;
      if (size === 0) {
        mode = BODY_TRAILERS;
        pos = lineEnd;
        continue;
      }
      const next = lineEnd + size + 2;
      if ((next - 2 < n && d[next - 2] !== CR) || (next - 1 < n && d[next - 1] !== LF)) {
        walkError = 'chunk data not followed by CRLF';
        break;
      }
      pos = next;
    } else {
      const c = d[pos]!;
      if (c === LF) {
        pos++;
        mode = BODY_NONE;
        break;
      }
      if (c === CR) {
        if (pos + 1 >= n) break;
        if (d[pos + 1] !== LF) {
          walkError = 'bare CR in chunked trailers';
          break;
        }
        pos += 2;
        mode = BODY_NONE;
        break;
      }
      // A trailer field: skipped whole, its value is never read.
      let i = pos;
      while (i < n && d[i] !== LF) i++;
      if (i >= n) {
        if (i - pos > MAX_CHUNK_LINE) walkError = 'trailer line too long';
        break;
      }
      pos = i + 1;
    }
  }
  state.body[dir] = mode;
  return pos;
}

const IGNORE_REST: ParseResult<Http1Frame> = Object.freeze({ state: 'ignored' as const, consumed: Infinity });

function newFrame(kind: 'request' | 'response', headerBytes: number): Http1Frame {
  const trace = hTrace === null ? null : traceContextFrom(hTrace);
  return {
    kind,
    method: null,
    target: null,
    host: hHasHost ? hHost : null,
    version: lineMinor === 0x31 ? '1.1' : lineMinor === 0x30 ? '1.0' : '1.' + String.fromCharCode(lineMinor),
    status: 0,
    reason: null,
    contentLength: hTransferEncoding ? -1 : hContentLength,
    chunked: hChunked,
    close: hClose || (lineMinor === 0x30 && !hKeepAlive),
    headerBytes,
    traceId: trace ? trace.trace_id : null,
    spanId: trace ? trace.span_id : null,
    parentSpanId: trace ? trace.parent_span_id : null,
    xRequestId: hRequestId,
  };
}

function headerInvalid(n: number, at: number): ParseResult<Http1Frame> {
  if (at === LINE_INVALID) return invalid(headerError);
  return n >= MAX_HEADER_BYTES ? invalid(`header section longer than ${MAX_HEADER_BYTES} bytes`) : NEEDS_MORE;
}

function parseRequest(d: Uint8Array, dir: Direction, state: Http1State, partial = false): ParseResult<Http1Frame> {
  const lineEnd = scanRequestLine(d, 0);
  if (lineEnd === LINE_INVALID) {
    return invalid('not an HTTP/1.x request line (method SP target SP HTTP/1.x): traffic is probably not HTTP/1');
  }
  if (lineEnd === LINE_PARTIAL) return headerInvalid(d.length, LINE_PARTIAL);
  // Copy the scanner's results before the header scan (it does not touch them, but be explicit).
  const methodEnd = rlMethodEnd;
  const targetStart = rlTargetStart;
  const targetEnd = rlTargetEnd;
  const minor = lineMinor;
  let end = scanHeaders(d, lineEnd);
  // A header section that will never complete (gap, end of stream) still tells the start line.
  if (end === LINE_PARTIAL && partial) end = d.length;
  if (end <= 0) return headerInvalid(d.length, end);
  lineMinor = minor;
  if (hTransferEncoding && !hChunked) {
    return invalid('request with a Transfer-Encoding whose final coding is not chunked (RFC 9112 6.3)');
  }
  const frame = newFrame('request', end);
  const method = knownMethod(d, 0, methodEnd) ?? latin1(d, 0, methodEnd);
  frame.method = method;
  frame.target = targetEnd - targetStart > MAX_TARGET
    ? latin1(d, targetStart, targetStart + MAX_TARGET - 1) + '…'
    : latin1(d, targetStart, targetEnd);

  let flags = 0;
  if (method === 'HEAD') flags = REQ_HEAD;
  else if (method === 'CONNECT') flags = REQ_CONNECT;
  if (hUpgrade && hConnectionUpgrade) flags |= REQ_UPGRADE;
  const pending = state.pending;
  if (pending.length >= MAX_PENDING) pending.shift();
  pending.push(flags);
  // Until the answer says whether the connection stays HTTP, what follows may be another protocol.
  if (flags & (REQ_CONNECT | REQ_UPGRADE)) state.holdDir = dir;

  let consumed = end;
  if (hChunked) {
    state.body[dir] = BODY_CHUNK_SIZE;
    consumed = walkChunks(d, end, state, dir);
  } else if (hContentLength > 0) {
    consumed = end + hContentLength;
  }
  return { state: 'ok', frame, consumed };
}

function parseResponse(d: Uint8Array, dir: Direction, state: Http1State, partial = false): ParseResult<Http1Frame> {
  const lineEnd = scanStatusLine(d, 0);
  if (lineEnd === LINE_INVALID) return invalid('malformed HTTP/1.x status line');
  if (lineEnd === LINE_PARTIAL) return headerInvalid(d.length, LINE_PARTIAL);
  const status = slStatus;
  const reasonStart = slReasonStart;
  const reasonEnd = slReasonEnd;
  const minor = lineMinor;
  let end = scanHeaders(d, lineEnd);
  // A header section that will never complete (gap, end of stream) still tells the start line.
  if (end === LINE_PARTIAL && partial) end = d.length;
  if (end <= 0) return headerInvalid(d.length, end);
  lineMinor = minor;

  // Interim responses (100 Continue, 102, 103) precede the final one and are not calls.
  if (status < 200 && status !== 101) return { state: 'ignored', consumed: end };

  const frame = newFrame('response', end);
  frame.status = status;
  frame.reason = reasonEnd - reasonStart === 2 && d[reasonStart] === 0x4f && d[reasonStart + 1] === 0x4b
    ? 'OK'
    : latin1(d, reasonStart, Math.min(reasonEnd, reasonStart + 256));

  const flags = state.pending.length > 0 ? state.pending.shift()! : 0;
  if (flags & (REQ_CONNECT | REQ_UPGRADE)) state.holdDir = -1;
  const connectOk = (flags & REQ_CONNECT) !== 0 && status < 300;
  if (status === 101 || connectOk) {
    // RFC 9110 15.2.2 and 9.3.6: after these the connection carries another protocol.
    state.tunnel = true;
    state.holdDir = -1;
    return { state: 'ok', frame, consumed: end };
  }
  // RFC 9112 6.3: no content after HEAD, 204 and 304, whatever the headers announce.
  if ((flags & REQ_HEAD) !== 0 || status === 204 || status === 304) return { state: 'ok', frame, consumed: end };
  let consumed: number;
  if (hChunked) {
    state.body[dir] = BODY_CHUNK_SIZE;
    consumed = walkChunks(d, end, state, dir);
  } else if (hTransferEncoding || hContentLength < 0) {
    // No length: the body runs until the server closes the connection.
    consumed = Infinity;
  } else {
    consumed = end + hContentLength;
  }
  return { state: 'ok', frame, consumed };
}

/** True when `d` starts like a status line ("HTTP/" so far): responses never start otherwise. */
function startsAsResponse(d: Uint8Array): boolean {
  return d[0] === 0x48 && (d.length < 2 || d[1] === 0x54) && (d.length < 3 || d[2] === 0x54) &&
    (d.length < 4 || d[3] === 0x50) && (d.length < 5 || d[4] === 0x2f);
}

/** {@link ProtocolSpec.parse} for HTTP/1.x. Never throws. */
export function parseHttp1(d: Uint8Array, dir: Direction, state: Http1State): ParseResult<Http1Frame> {
  if (state.tunnel) return IGNORE_REST;
  if (d.length === 0 || state.holdDir === dir) return NEEDS_MORE;
  if (state.body[dir] !== BODY_NONE) {
    const reached = walkChunks(d, 0, state, dir);
    if (reached > 0) return { state: 'ignored', consumed: reached };
    return walkError ? invalid(walkError) : NEEDS_MORE;
  }
  // Both kinds are accepted in either direction: the capture may have guessed the roles wrong.
  return startsAsResponse(d) ? parseResponse(d, dir, state) : parseRequest(d, dir, state);
}

/**
 * {@link ProtocolSpec.parsePartial} for HTTP/1.x: the bytes of a message whose header section
 * will never complete. A complete start line still gives a frame (method, target, status).
 */
export function parseHttp1Partial(d: Uint8Array, dir: Direction, state: Http1State): Http1Frame | null {
  if (state.tunnel || d.length === 0 || state.body[dir] !== BODY_NONE) return null;
  const result = startsAsResponse(d) ? parseResponse(d, dir, state, true) : parseRequest(d, dir, state, true);
  return result.state === 'ok' ? result.frame : null;
}

export function createHttp1State(): Http1State {
  return { pending: [], body: [BODY_NONE, BODY_NONE], holdDir: -1, tunnel: false };
}

/**
 * Offset >= `from` where a message plausibly starts: a status line anywhere, a registered
 * method's request line anywhere, an extension method's only at a line start. Resets the
 * direction's chunk tracking, since the stream only asks after losing its place.
 */
export function findHttp1Boundary(d: Uint8Array, dir: Direction, from: number, state: Http1State): number {
  state.body[dir] = BODY_NONE;
  if (state.tunnel) return from < d.length ? from : -1;
  for (let i = Math.max(0, from); i < d.length; i++) {
    const c = d[i]!;
    if (c === 0x48 /* H */) {
      if (scanStatusLine(d, i) !== LINE_INVALID) return i;
    }
    if (c < 0x41 || c > 0x5a) continue;
    const verdict = scanRequestLine(d, i);
    if (verdict === LINE_INVALID) continue;
    if (verdict === LINE_PARTIAL) {
      // A cut-short line: trust only a registered method (or its prefix) at a line or buffer start.
      const lineStart = i === 0 || d[i - 1] === LF;
      if (lineStart && (rlMethodEndValid(d, i) || isKnownMethodPrefix(d, i, d.length))) return i;
      continue;
    }
    if (knownMethod(d, i, rlMethodEnd) !== null || (i > 0 && d[i - 1] === LF)) return i;
  }
  return -1;
}

/** After a LINE_PARTIAL verdict: whether the method token ended (a space was seen) and is registered. */
function rlMethodEndValid(d: Uint8Array, at: number): boolean {
  let i = at;
  while (i < d.length && isMethodChar(d[i]!)) i++;
  return i < d.length && d[i] === SP && knownMethod(d, at, i) !== null;
}
