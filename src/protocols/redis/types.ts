/**
 * @module protocols/redis/types
 * Redis frames, the per-connection state that pub/sub and MONITOR need, and the RESP type bytes.
 */
import type { Frame, FrameKind } from '../protocol.ts';

/** One command, one reply, or one out-of-band message. Strings are decoded at parse time. */
export interface RedisFrame extends Frame {
  kind: FrameKind;
  expectMore?: number;
  /** Requests: the command upper-cased, with its subcommand for container commands ("CONFIG SET"). */
  command: string | null;
  /** Requests: the arguments after the command, key first, each cut short, secrets as '***'. */
  args: string | null;
  /** Replies: the RESP type byte of the reply itself (after any attribute), e.g. 0x2b for '+'. */
  type: number;
  /** Replies: the text of a simple error ('-') or bulk error ('!'). */
  error: string | null;
  /** Replies: a short description that never includes bulk payloads (values may be secrets). */
  summary: string | null;
}

/**
 * A reply (or command) larger than we are willing to buffer, walked piece by piece: the frame was
 * emitted from its first bytes; the rest is skipped with an explicit stack, never materialised.
 */
export interface Continuation {
  /** Items still to walk in each open aggregate, outermost first. */
  remaining: number[];
  /** Whether each open aggregate is an attribute (it does not count as a value of its parent). */
  attribute: boolean[];
}

export interface RedisState {
  /** Commands seen minus replies seen (floored at 0): 0 means no reply is owed. */
  outstanding: number;
  /** Confirmations each pending (P|S)(UN)SUBSCRIBE still has to get, oldest first. */
  pendingConfirmations: number[];
  /** Confirmations still to come for the (un)subscribe being answered now. */
  confirmationsLeft: number;
  /** Subscriptions as the server last counted them (third element of each confirmation). */
  channels: number;
  patterns: number;
  shardChannels: number;
  /** MONITOR was sent: its +OK turns the reply stream into a feed of messages. */
  monitorRequested: boolean;
  monitoring: boolean;
  /** Per direction: the rest of an oversized frame being skipped, or null. */
  continuation: [Continuation | null, Continuation | null];
}

export function createRedisState(): RedisState {
  return {
    outstanding: 0,
    pendingConfirmations: [],
    confirmationsLeft: 0,
    channels: 0,
    patterns: 0,
    shardChannels: 0,
    monitorRequested: false,
    monitoring: false,
    continuation: [null, null],
  };
}

/** RESP2 and RESP3 type bytes (https://redis.io/docs/latest/develop/reference/protocol-spec/). */
export const enum Resp {
  SimpleString = 0x2b, // +
  SimpleError = 0x2d, // -
  Integer = 0x3a, // :
  BulkString = 0x24, // $
  Array = 0x2a, // *
  Null = 0x5f, // _
  Boolean = 0x23, // #
  Double = 0x2c, // ,
  BigNumber = 0x28, // (
  BulkError = 0x21, // !
  VerbatimString = 0x3d, // =
  Map = 0x25, // %
  Set = 0x7e, // ~
  Attribute = 0x7c, // |
  Push = 0x3e, // >
}
