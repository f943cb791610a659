/**
 * @module protocols/protocol
 * The contract every protocol folder implements: detect from first bytes, parse frames as values,
 * find a frame boundary to resynchronise, and turn matched request/response frames into records.
 * The generic machinery (buffers, holes, gaps, matching, timeouts) lives in streams/ and records/.
 */
import type { Direction } from '../streams/events.ts';
import type { ProtocolName, RequestRecord } from '../records/record.ts';

/** What a frame is for the stitcher. `message` frames (pub/sub pushes) are counted, not paired. */
export type FrameKind = 'request' | 'response' | 'message';

export interface Frame {
  kind: FrameKind;
  /** Matching key for protocols that match by id (DNS); undefined for in-order protocols. */
  key?: number | string;
  /**
   * For responses: how many more responses this request still expects after this one
   * (Redis SUBSCRIBE to three channels gets three replies). Default 0.
   */
  expectMore?: number;
}

/**
 * The result of parsing one frame from the start of the buffered bytes. Never thrown.
 * - ok: a complete frame. `consumed` may exceed the bytes given when the parser knows the size
 *   of a body it does not need (Content-Length): the stream skips the rest as it arrives, across
 *   holes. `Infinity` skips to the end of the stream (close-delimited body).
 * - needs-more: the frame is incomplete; call again with more bytes.
 * - invalid: these bytes are not a frame of this protocol; the stream resynchronises.
 * - ignored: `consumed` bytes carry nothing to record (interim responses, keep-alives, chunks).
 */
export type ParseResult<F extends Frame> =
  | { state: 'ok'; frame: F; consumed: number }
  | { state: 'needs-more' }
  | { state: 'invalid'; reason: string }
  | { state: 'ignored'; consumed: number };

export const NEEDS_MORE: { state: 'needs-more' } = Object.freeze({ state: 'needs-more' as const });

export function invalid(reason: string): { state: 'invalid'; reason: string } {
  return { state: 'invalid', reason };
}

export interface DetectContext {
  transport: 'tcp' | 'udp';
  dir: Direction;
  /** Ports of the sending and receiving end: a hint, never the answer. */
  srcPort: number;
  dstPort: number;
}

/** A frame with where and when it was seen; built by the stream layer, read by the stitcher. */
export interface TimedFrame<F extends Frame> {
  frame: F;
  dir: Direction;
  /** Time of the first byte of the frame (ns since epoch). */
  time: bigint;
  /** TCP sequence number of the first byte, or -1. */
  seq: number;
  /** Bytes the frame spans on the wire, including skipped body bytes. */
  size: number;
}

/** Fields of a record that a protocol fills from its frames; the rest comes from the connection. */
export type ProtocolFields = Pick<
  RequestRecord,
  | 'request_type' | 'request_domain' | 'request_resource' | 'protocol_version'
  | 'response_code' | 'response_status' | 'response_message' | 'response_summary'
  | 'trace_id' | 'span_id' | 'parent_span_id' | 'x_request_id'
>;

export interface ProtocolSpec<F extends Frame = Frame, S = unknown> {
  name: ProtocolName;
  transports: readonly ('tcp' | 'udp')[];
  /** Well-known server ports: raise detection confidence, never decide it alone. */
  ports: readonly number[];
  /**
   * Confidence in [0, 1] that `data`, the first bytes seen in one direction of a connection,
   * belong to this protocol. 0 = certainly not. Must never throw.
   */
  detect(data: Uint8Array, ctx: DetectContext): number;
  /** Fresh per-connection parser state shared by both directions (HEAD requests, upgrades). */
  createState(): S;
  /** Parse one frame from the start of `data`. Must never throw, on any input. */
  parse(data: Uint8Array, dir: Direction, state: S): ParseResult<F>;
  /**
   * Optional: the bytes of a frame that will never complete (a gap or hole inside it, or the end
   * of the stream). Return the frame those bytes still describe (an HTTP start line whose headers
   * were cut), or null. Must never throw.
   */
  parsePartial?(data: Uint8Array, dir: Direction, state: S): F | null;
  /** Offset >= from where a frame plausibly starts, or -1: used to resynchronise. */
  findFrameBoundary(data: Uint8Array, dir: Direction, from: number, state: S): number;
  /** How responses are paired with requests: in order (pipelining) or by `Frame.key`. */
  matching: 'fifo' | 'key';
  /**
   * Describe one call. `request` is null for a response whose request was not seen; `response`
   * is null for a request that got no answer (the stitcher then sets status `timeout`).
   */
  describe(request: F | null, response: F | null): ProtocolFields;
}

/** Fields with nothing known yet; protocols spread this and fill what they know. */
export const EMPTY_FIELDS: ProtocolFields = Object.freeze({
  request_type: null, request_domain: null, request_resource: null, protocol_version: null,
  response_code: null, response_status: 'unknown', response_message: null, response_summary: null,
  trace_id: null, span_id: null, parent_span_id: null, x_request_id: null,
});
