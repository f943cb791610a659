/**
 * @module protocols/http1/types
 * HTTP/1.x frames (one per request or response header block) and the per-connection parser state.
 */
import type { Frame } from '../protocol.ts';

export interface Http1Frame extends Frame {
  kind: 'request' | 'response';
  /** Request method as sent (case-sensitive), null on responses. */
  method: string | null;
  /** Request target (origin-form path and query, or absolute/authority form), at most 1024 chars. */
  target: string | null;
  /** Host header value as sent (port included when sent), null when absent. */
  host: string | null;
  /** "1.1" or "1.0" (the digits after "HTTP/"). */
  version: string;
  /** Status code of a response, 0 on requests. */
  status: number;
  /** Reason phrase of a response ("" when the server sent none), null on requests. */
  reason: string | null;
  /** Content-Length value, -1 when absent or overridden by Transfer-Encoding. */
  contentLength: number;
  /** The message body uses the chunked transfer coding. */
  chunked: boolean;
  /** The sender will close the connection after this message (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Bytes of the start line and header section, including the blank line. */
  headerBytes: number;
  /** Trace context from this message's headers (see records/trace-context.ts for the meaning). */
  traceId: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  /** X-Request-ID as sent (truncated), null when absent. */
  xRequestId: string | null;
}

/** Body modes: what each direction's parser is in the middle of. */
/** At a message start. */
export const BODY_NONE = 0;
/** Inside a chunked body, at a chunk-size line. */
export const BODY_CHUNK_SIZE = 1;
/** After the last chunk, reading trailer fields up to the blank line. */
export const BODY_TRAILERS = 2;
export type BodyMode = typeof BODY_NONE | typeof BODY_CHUNK_SIZE | typeof BODY_TRAILERS;

/** Flags remembered for each request until its final response arrives. */
export const REQ_HEAD = 1;
export const REQ_CONNECT = 2;
export const REQ_UPGRADE = 4;

/** Per-connection state, shared by both directions. */
export interface Http1State {
  /** Flags of requests still waiting for a final response, oldest first (bounded). */
  pending: number[];
  /** Body mode per direction, indexed by Direction. */
  body: [BodyMode, BodyMode];
  /**
   * Direction whose bytes are held (needs-more) until the final response to a CONNECT or Upgrade
   * request says whether the connection stays HTTP; -1 when none.
   */
  holdDir: -1 | 0 | 1;
  /** After a 2xx to CONNECT or a 101: the connection is no longer HTTP, both directions ignored. */
  tunnel: boolean;
}
