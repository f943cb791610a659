/**
 * @module records/trace-context
 * Reads the trace context that applications already propagate in request headers (W3C
 * `traceparent`, B3 single and multi, Jaeger `uber-trace-id`, SkyWalking `sw8`) and
 * `X-Request-ID`, so records can be linked to traces without instrumentation. Protocol-neutral:
 * any protocol with string headers (HTTP/1, HTTP/2, gRPC metadata, Kafka headers) can use it.
 *
 * What the ids mean in a record. A propagation header is written by the CALLER and names the
 * caller's span for this outgoing call: W3C calls it `parent-id` ("the ID of this request as
 * known by the caller"), OpenTelemetry puts the CLIENT span's id there, B3 puts the id of the
 * RPC span shared by client and server. A record is that call as seen on the wire, so we store:
 * - `span_id`: the header's span id, i.e. the caller's client span for this call. A callee
 *   instrumented with OpenTelemetry creates its SERVER span with this id as its parent, so the
 *   record links straight into that trace.
 * - `parent_span_id`: the parent of that client span, only where the header carries it (B3
 *   `ParentSpanId`, Jaeger `parent-span-id` when not 0); null for W3C and sw8.
 * - SkyWalking numbers spans within a segment, so `span_id` is `<segmentId>-<spanId>` (the
 *   parent segment and span the sw8 header names), and `trace_id` is the decoded trace id text.
 * - 64-bit trace ids (B3, Jaeger) are left-padded with zeros to 32 hex digits, as the
 *   OpenTelemetry B3 and Jaeger propagators do, so the same trace has one id whatever the header.
 *
 * Invalid headers yield null; nothing here throws. When several headers are present the first
 * valid one in this order wins: traceparent, b3, X-B3-*, uber-trace-id, sw8.
 */
import { truncate } from './record.ts';

export interface TraceContext {
  trace_id: string;
  span_id: string | null;
  parent_span_id: string | null;
}

/** Raw header values as received (null when absent); names are matched case-insensitively upstream. */
export interface TraceHeaders {
  traceparent: string | null;
  b3: string | null;
  xB3TraceId: string | null;
  xB3SpanId: string | null;
  xB3ParentSpanId: string | null;
  uberTraceId: string | null;
  sw8: string | null;
}

/** Longest X-Request-ID kept; longer values are truncated with an ellipsis. */
export const MAX_REQUEST_ID = 128;
/** Longest decoded SkyWalking trace or segment id accepted. */
const MAX_SW8_ID = 128;

export function emptyTraceHeaders(): TraceHeaders {
  return { traceparent: null, b3: null, xB3TraceId: null, xB3SpanId: null, xB3ParentSpanId: null, uberTraceId: null, sw8: null };
}

/** The first valid context among the headers, in the documented precedence order. */
export function traceContextFrom(h: TraceHeaders): TraceContext | null {
  return (
    (h.traceparent !== null ? parseTraceparent(h.traceparent) : null) ??
    (h.b3 !== null ? parseB3Single(h.b3) : null) ??
    (h.xB3TraceId !== null ? parseB3Multi(h.xB3TraceId, h.xB3SpanId, h.xB3ParentSpanId) : null) ??
    (h.uberTraceId !== null ? parseUberTraceId(h.uberTraceId) : null) ??
    (h.sw8 !== null ? parseSw8(h.sw8) : null)
  );
}

/**
 * W3C Trace Context `traceparent`: `version-traceid-parentid-flags`, lowercase hex only.
 * @example parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 *   // { trace_id: '4bf92f...4736', span_id: '00f067aa0ba902b7', parent_span_id: null }
 */
export function parseTraceparent(value: string): TraceContext | null {
  const v = value.trim();
  if (v.length < 55) return null;
  const version = v.slice(0, 2);
  if (!isHex(version, true) || version === 'ff') return null;
  // Version 00 is exactly 55 characters; later versions may append fields after a dash.
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return null;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return null;
  const traceId = v.slice(3, 35);
  const spanId = v.slice(36, 52);
  if (!isNonZeroHex(traceId, true) || !isNonZeroHex(spanId, true) || !isHex(v.slice(53, 55), true)) return null;
  return { trace_id: traceId, span_id: spanId, parent_span_id: null };
}

/**
 * B3 single header: `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`; a lone sampling
 * decision (`0`, `1`, `d`) carries no ids and yields null.
 */
export function parseB3Single(value: string): TraceContext | null {
  const parts = value.trim().split('-');
  if (parts.length < 2 || parts.length > 4) return null;
  const [traceId, spanId, sampling, parent] = parts as [string, string, string?, string?];
  if (sampling !== undefined && sampling !== '0' && sampling !== '1' && sampling !== 'd') return null;
  return b3Context(traceId, spanId, parent ?? null);
}

/** B3 multi headers `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`. */
export function parseB3Multi(traceId: string, spanId: string | null, parentSpanId: string | null): TraceContext | null {
  if (spanId === null) return null;
  return b3Context(traceId.trim(), spanId.trim(), parentSpanId === null ? null : parentSpanId.trim());
}

function b3Context(traceId: string, spanId: string, parent: string | null): TraceContext | null {
  const t = traceId.toLowerCase();
  const s = spanId.toLowerCase();
  if ((t.length !== 16 && t.length !== 32) || !isNonZeroHex(t, true)) return null;
  if (s.length !== 16 || !isNonZeroHex(s, true)) return null;
  let p: string | null = null;
  if (parent !== null && parent !== '') {
    p = parent.toLowerCase();
    if (p.length !== 16 || !isNonZeroHex(p, true)) return null;
  }
  return { trace_id: t.padStart(32, '0'), span_id: s, parent_span_id: p };
}

/**
 * Jaeger `uber-trace-id`: `{trace-id}:{span-id}:{parent-span-id}:{flags}`, hex of variable
 * length (leading zeros may be dropped), colons possibly URL-encoded as `%3A`.
 */
export function parseUberTraceId(value: string): TraceContext | null {
  let v = value.trim();
  if (v.includes('%')) v = v.replace(/%3a/gi, ':');
  const parts = v.split(':');
  if (parts.length !== 4) return null;
  const [traceId, spanId, parent, flags] = (parts as [string, string, string, string]).map((p) => p.toLowerCase()) as [string, string, string, string];
  if (traceId.length === 0 || traceId.length > 32 || !isNonZeroHex(traceId, true)) return null;
  if (spanId.length === 0 || spanId.length > 16 || !isNonZeroHex(spanId, true)) return null;
  if (parent.length === 0 || parent.length > 16 || !isHex(parent, true)) return null;
  if (flags.length === 0 || flags.length > 2 || !isHex(flags, true)) return null;
  const parentId = isNonZeroHex(parent, true) ? parent.padStart(16, '0') : null;
  return { trace_id: traceId.padStart(32, '0'), span_id: spanId.padStart(16, '0'), parent_span_id: parentId };
}

/**
 * SkyWalking v3 `sw8`: `sample-traceId-parentSegmentId-parentSpanId-parentService-
 * parentServiceInstance-parentEndpoint-addressUsedAtClient`, ids base64-encoded.
 */
export function parseSw8(value: string): TraceContext | null {
  const parts = value.trim().split('-');
  if (parts.length !== 8) return null;
  const [sample, traceB64, segmentB64, spanId] = parts as [string, string, string, string];
  if (sample !== '0' && sample !== '1') return null;
  if (spanId.length === 0 || spanId.length > 10 || !isDigits(spanId)) return null;
  const traceId = decodeBase64Id(traceB64);
  const segmentId = decodeBase64Id(segmentB64);
  if (traceId === null || segmentId === null) return null;
  return { trace_id: traceId, span_id: `${segmentId}-${spanId}`, parent_span_id: null };
}

/** `X-Request-ID` as sent, if it is visible ASCII; truncated to {@link MAX_REQUEST_ID}. */
export function parseRequestId(value: string): string | null {
  const v = value.trim();
  if (v.length === 0) return null;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return null;
  }
  return truncate(v, MAX_REQUEST_ID);
}

/** Standard base64 (padding optional) decoding to visible ASCII, or null. */
function decodeBase64Id(b64: string): string | null {
  const n = b64.length;
  if (n === 0 || n % 4 === 1 || n > ((MAX_SW8_ID + 2) / 3) * 4 + 4) return null;
  let pad = 0;
  for (let i = 0; i < n; i++) {
    const c = b64.charCodeAt(i);
    if (c === 0x3d /* = */) {
      pad++;
      continue;
    }
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok || pad > 0) return null; // a data character after padding
  }
  if (pad > 2) return null;
  const text = Buffer.from(b64, 'base64').toString('latin1');
  if (text.length === 0 || text.length > MAX_SW8_ID) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return null;
  }
  return text;
}

function isHex(s: string, lowerOnly: boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    const lower = c >= 0x61 && c <= 0x66;
    const upper = !lowerOnly && c >= 0x41 && c <= 0x46;
    if (!digit && !lower && !upper) return false;
  }
  return true;
}

function isNonZeroHex(s: string, lowerOnly: boolean): boolean {
  if (!isHex(s, lowerOnly)) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 0x30) return true;
  return false;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
