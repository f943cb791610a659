/**
 * @module streams/events
 * Connection-stream events: the one interface between capture (pcap replay, live eBPF) and the
 * protocol code. Protocol parsers never learn where bytes came from.
 */
import type { Observation, ProcessInfo } from '../records/record.ts';

/** Direction of bytes within a connection: from the client end, or from the server end. */
export type Direction = 0 | 1;
export const CLIENT_TO_SERVER = 0 as const;
export const SERVER_TO_CLIENT = 1 as const;

export interface Endpoint {
  ip: string;
  port: number;
}

/** A connection became known: by its handshake, by connect/accept, or by its first bytes. */
export interface ConnectionOpened {
  kind: 'open';
  /** Unique per capture session; never reused while the connection lives. */
  conn: number;
  time: bigint;
  transport: 'tcp' | 'udp';
  client: Endpoint;
  server: Endpoint;
  /**
   * True when the roles come from the handshake or the syscall (SYN, connect, accept); false when
   * the source had to guess. Protocols may swap guessed roles once they see which side asks.
   */
  rolesKnown: boolean;
  /** True when the start of the byte streams was not seen (a capture or agent that joined late). */
  midStream: boolean;
  observation: Observation;
  clientProcess?: ProcessInfo | null;
  serverProcess?: ProcessInfo | null;
}

/**
 * Bytes sent in one direction. `bytes` may hold fewer than `length` bytes (snap length, the live
 * capture's copy limit): the rest is a hole of known size that a parser can skip.
 * For UDP each data event is one datagram.
 */
export interface StreamData {
  kind: 'data';
  conn: number;
  dir: Direction;
  time: bigint;
  /** TCP sequence number of the first byte, or -1 when unknown (UDP, or not captured). */
  seq: number;
  bytes: Uint8Array;
  /** The real number of bytes sent, >= bytes.length. */
  length: number;
}

/** Bytes were lost in one direction (a capture gap, lost kernel events). `length` is -1 if unknown. */
export interface StreamGap {
  kind: 'gap';
  conn: number;
  dir: Direction;
  time: bigint;
  length: number;
}

export interface ConnectionClosed {
  kind: 'close';
  conn: number;
  time: bigint;
  reason: 'fin' | 'rst' | 'idle' | 'end';
}

export type StreamEvent = ConnectionOpened | StreamData | StreamGap | ConnectionClosed;

/** Anything that consumes stream events: the connection table, a test recorder. */
export interface StreamEventSink {
  onEvent(event: StreamEvent): void;
}
