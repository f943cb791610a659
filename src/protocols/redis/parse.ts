/**
 * @module protocols/redis/parse
 * Parses RESP2/RESP3 commands (arrays of bulk strings, or inline lines) and replies into frames.
 * Replies are walked with an explicit stack and never materialised: only the bytes a frame keeps
 * become strings. Frames too large to buffer are emitted from their first bytes and the rest is
 * skipped as it arrives (`Continuation`).
 */
import type { Direction } from '../../streams/events.ts';
import { NEEDS_MORE, invalid } from '../protocol.ts';
import type { ParseResult } from '../protocol.ts';
import { truncate } from '../../records/record.ts';
import { CONTAINER_COMMANDS, SUBSCRIBE_KINDS, isSecretArg } from './commands.ts';
import type { ArgView } from './commands.ts';
import { Resp } from './types.ts';
import type { Continuation, RedisFrame, RedisState } from './types.ts';

/** Aggregates nested deeper than this are not Redis (the server itself stops at far less in practice). */
export const MAX_DEPTH = 32;
/** Elements in one aggregate; more cannot fit in any buffer we keep and indicates garbage. */
export const MAX_ELEMENTS = 1_000_000;
/** proto-max-bulk-len's default (512 MiB). */
export const MAX_BULK = 512 * 1024 * 1024;
/** Longest line we wait for: Redis's own inline limit (PROTO_INLINE_MAX_SIZE, 64 KiB). */
const MAX_LINE = 64 * 1024;
/** Type lines (`*3`, `$100000`) are short; waiting longer for a CRLF means it is not RESP. */
const MAX_HEADER_LINE = 24;
/** A frame that has buffered this much without completing is emitted and the rest skipped. */
export const STREAM_AFTER = 64 * 1024;
/** Argument bodies this large are skipped as soon as their header is in. */
const EAGER_SKIP = 1024;
/** Cut of each argument in the summary, and of the summary and error texts. */
const MAX_ARG_CHARS = 64;
const MAX_TEXT_CHARS = 256;
/** Arguments looked at for the summary (and for secrets). */
const MAX_KEPT_ARGS = 16;
/** Bound on the (un)subscribes queued while waiting for their confirmations. */
const MAX_PENDING_SUBSCRIBES = 1024;

const CR = 0x0d;
const LF = 0x0a;

const NEED = -1;
const BAD = -2;

/** Walks RESP values without building them. One instance: JavaScript never re-enters a parse. */
class Walker {
  private readonly remaining = new Float64Array(MAX_DEPTH);
  private readonly attribute = new Uint8Array(MAX_DEPTH);
  private depth = 0;
  reason = '';
  /** Offset of the top-level value itself (after any attribute), -1 until it is reached. */
  valueStart = -1;
  /** Offset after the last complete item: where a continuation would resume. May exceed the data. */
  resume = 0;

  start(): void {
    this.depth = 0;
    this.valueStart = -1;
  }

  load(c: Continuation): void {
    this.depth = c.remaining.length;
    for (let i = 0; i < this.depth; i++) {
      this.remaining[i] = c.remaining[i]!;
      this.attribute[i] = c.attribute[i] ? 1 : 0;
    }
    this.valueStart = 0;
  }

  save(): Continuation {
    const remaining: number[] = [];
    const attribute: boolean[] = [];
    for (let i = 0; i < this.depth; i++) {
      remaining.push(this.remaining[i]!);
      attribute.push(this.attribute[i] === 1);
    }
    return { remaining, attribute };
  }

  /**
   * Walks from `pos` to the end of the value open at the start (a fresh one after `start()`).
   * Returns its end offset (which may lie beyond `d` when the value ends with a bulk body we do not
   * need), NEED or BAD. A bulk string of `skipFrom` bytes or more that runs past `d` in the middle of
   * the value is stepped over too: NEED is returned with `resume` beyond `d`.
   */
  walk(d: Uint8Array, pos: number, skipFrom: number): number {
    const len = d.length;
    for (;;) {
      this.resume = pos;
      if (pos >= len) return NEED;
      const t = d[pos]!;
      if (this.depth === 0 && t !== Resp.Attribute) this.valueStart = pos;
      const cr = lineEnd(d, pos + 1, len);
      if (cr === BAD) return this.bad('a CR not followed by LF inside a RESP line');
      if (cr === NEED) {
        const limit = t === Resp.SimpleString || t === Resp.SimpleError ? MAX_LINE : MAX_HEADER_LINE;
        if (len - pos > limit) return this.bad(`no CRLF within ${limit} bytes of a '${String.fromCharCode(t)}' line`);
        return NEED;
      }
      let next = cr + 2;
      switch (t) {
        case Resp.SimpleString:
        case Resp.SimpleError:
        case Resp.Double:
        case Resp.BigNumber:
          break;
        case Resp.Integer:
          if (!isInteger(d, pos + 1, cr)) return this.bad('an integer reply that is not a number');
          break;
        case Resp.Boolean:
          if (cr !== pos + 2 || (d[pos + 1] !== 0x74 && d[pos + 1] !== 0x66)) return this.bad('a boolean that is not #t or #f');
          break;
        case Resp.Null:
          if (cr !== pos + 1) return this.bad('a RESP3 null with content');
          break;
        case Resp.BulkString:
        case Resp.BulkError:
        case Resp.VerbatimString: {
          const n = readLength(d, pos + 1, cr);
          if (n === -1 && t === Resp.BulkString) break; // RESP2 null bulk string
          if (n < 0 || n > MAX_BULK) return this.bad(`bulk length '${text(d, pos + 1, cr, 16)}' is not valid`);
          next = cr + 2 + n + 2;
          if (next > len) {
            // Bulk errors are kept as text; other bodies are only counted.
            if (t !== Resp.BulkError && this.isLastItem()) {
              this.depth = 0;
              return next;
            }
            if (n >= skipFrom) {
              this.close();
              this.resume = next;
            }
            return NEED;
          }
          if (d[next - 2] !== CR || d[next - 1] !== LF) return this.bad(`a ${n}-byte bulk string is not followed by CRLF`);
          break;
        }
        case Resp.Array:
        case Resp.Map:
        case Resp.Set:
        case Resp.Push:
        case Resp.Attribute: {
          const n = readLength(d, pos + 1, cr);
          if (n === -1 && t === Resp.Array) break; // RESP2 null array
          if (n < 0 || n > MAX_ELEMENTS) return this.bad(`aggregate length '${text(d, pos + 1, cr, 16)}' is not valid`);
          if (n === 0) {
            if (t === Resp.Attribute) {
              pos = next;
              continue;
            }
            break;
          }
          if (this.depth >= MAX_DEPTH) return this.bad(`aggregates nested deeper than ${MAX_DEPTH}`);
          this.remaining[this.depth] = t === Resp.Map || t === Resp.Attribute ? 2 * n : n;
          this.attribute[this.depth] = t === Resp.Attribute ? 1 : 0;
          this.depth++;
          pos = next;
          continue;
        }
        default:
          return this.bad(`type byte 0x${t.toString(16).padStart(2, '0')} is not RESP, which indicates traffic misclassified as Redis or lost framing`);
      }
      pos = next;
      if (this.close()) {
        this.resume = pos;
        return pos;
      }
    }
  }

  /** An item ended: closes every aggregate it completes. True when the top-level value is complete. */
  private close(): boolean {
    for (;;) {
      if (this.depth === 0) return true;
      const i = this.depth - 1;
      if (--this.remaining[i]! > 0) return false;
      this.depth--;
      // An attribute annotates the value that follows it: that value is still to come.
      if (this.attribute[i] === 1) return false;
    }
  }

  /** True when the item being read is the last byte-consuming item of the whole value. */
  private isLastItem(): boolean {
    for (let i = 0; i < this.depth; i++) {
      if (this.remaining[i] !== 1 || this.attribute[i] === 1) return false;
    }
    return true;
  }

  private bad(reason: string): number {
    this.reason = reason;
    return BAD;
  }
}

const walker = new Walker();

/** Offset of the CR of the CRLF ending the line that starts before `from`; NEED or BAD. */
function lineEnd(d: Uint8Array, from: number, len: number): number {
  const cr = d.indexOf(CR, from);
  if (cr < 0 || cr + 1 >= len) return NEED;
  return d[cr + 1] === LF ? cr : BAD;
}

/** A RESP length: digits, or exactly -1. Anything else is -2. */
function readLength(d: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 10) return -2;
  if (d[start] === 0x2d) return end - start === 2 && d[start + 1] === 0x31 ? -1 : -2;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = d[i]! - 0x30;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
}

function isInteger(d: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (d[i] === 0x2d || d[i] === 0x2b) i++;
  if (i >= end) return false;
  for (; i < end; i++) {
    const c = d[i]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Bytes as display text: printable ASCII kept, the rest as \xNN (like redis-cli), cut at `max` chars. */
function text(d: Uint8Array, start: number, end: number, max: number): string {
  let s = '';
  const stop = Math.min(end, d.length);
  for (let i = start; i < stop; i++) {
    if (s.length >= max) return s.slice(0, max - 1) + '…';
    const c = d[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '\\x' + (c < 16 ? '0' : '') + c.toString(16);
  }
  return stop < end ? s + '…' : s;
}

function upperWord(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = d[i]!;
    s += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return s;
}

/** Bytes equal `word` (upper-case ASCII), ignoring case. */
function equalsWord(d: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const c = d[start + i]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

// ---- commands ------------------------------------------------------------------------------

/** Byte ranges of the elements of the command being parsed (index 0 is the command name). */
const argStart = new Int32Array(MAX_KEPT_ARGS + 1);
const argEnd = new Int32Array(MAX_KEPT_ARGS + 1);
let argData: Uint8Array = new Uint8Array(0);
/** Arguments (after the command name) known to exist, kept or not. */
let argTotal = 0;
/** Elements whose ranges were recorded (the command name included). */
let argRecorded = 0;

function recorded(i: number): boolean {
  return i < argTotal && i + 1 < argRecorded;
}

const args: ArgView = {
  get count() {
    return argTotal;
  },
  is(i: number, word: string): boolean {
    return recorded(i) && equalsWord(argData, argStart[i + 1]!, argEnd[i + 1]!, word);
  },
  firstByte(i: number): number {
    if (!recorded(i) || argEnd[i + 1]! <= argStart[i + 1]!) return -1;
    return argData[argStart[i + 1]!]!;
  },
  contains(i: number, lower: string): boolean {
    if (!recorded(i)) return false;
    const s = argStart[i + 1]!;
    const e = argEnd[i + 1]!;
    outer: for (let p = s; p + lower.length <= e; p++) {
      for (let k = 0; k < lower.length; k++) {
        const c = argData[p + k]!;
        if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(k)) continue outer;
      }
      return true;
    }
    return false;
  },
};

function parseRequest(d: Uint8Array, state: RedisState): ParseResult<RedisFrame> {
  if (d[0] !== Resp.Array) return parseInline(d, state);
  const len = d.length;
  const cr = lineEnd(d, 1, len);
  if (cr === BAD) return invalid('a CR not followed by LF in a command header');
  if (cr === NEED) return len > MAX_HEADER_LINE ? invalid('a command header without CRLF, which indicates traffic misclassified as Redis') : NEEDS_MORE;
  const n = readLength(d, 1, cr);
  // Redis skips empty multibulks ("*0", "*-1") without replying.
  if (n === 0 || n === -1) return { state: 'ignored', consumed: cr + 2 };
  if (n < 0 || n > MAX_ELEMENTS) return invalid(`command length '${text(d, 1, cr, 16)}' is not valid, which indicates traffic misclassified as Redis`);
  let pos = cr + 2;
  for (let i = 0; i < n; i++) {
    if (pos >= len) return NEEDS_MORE;
    if (d[pos] !== Resp.BulkString) {
      return invalid(`element ${i + 1} of a command is not a bulk string, which indicates traffic misclassified as Redis or lost framing`);
    }
    const lcr = lineEnd(d, pos + 1, len);
    if (lcr === BAD) return invalid('a CR not followed by LF in a bulk string header');
    if (lcr === NEED) return len - pos > MAX_HEADER_LINE ? invalid('a bulk string header without CRLF') : NEEDS_MORE;
    const blen = readLength(d, pos + 1, lcr);
    if (blen < 0 || blen > MAX_BULK) return invalid(`bulk length '${text(d, pos + 1, lcr, 16)}' in a command is not valid`);
    const body = lcr + 2;
    const next = body + blen + 2;
    if (i <= MAX_KEPT_ARGS) {
      argStart[i] = body;
      argEnd[i] = body + blen; // may lie beyond the data: text() marks the cut
    }
    if (next > len) {
      // Once the summary's cut of an argument is in, the rest of its body need not be buffered;
      // a large body is not waited for at all (a capture that keeps only the first bytes of each
      // write would otherwise lose the command).
      if (i === 0 || (len - body < MAX_ARG_CHARS && blen < EAGER_SKIP)) return NEEDS_MORE;
      if (i === n - 1) return command(d, n, i + 1, next, state, null);
      if (blen >= STREAM_AFTER) {
        return command(d, n, i + 1, next, state, { remaining: [n - i - 1], attribute: [false] });
      }
      return NEEDS_MORE;
    }
    if (d[next - 2] !== CR || d[next - 1] !== LF) return invalid(`a ${blen}-byte argument is not followed by CRLF`);
    if (i === 0 && !isCommandName(d, body, body + blen)) {
      return invalid(`command name '${text(d, body, body + blen, 32)}' is not a word, which indicates traffic misclassified as Redis`);
    }
    pos = next;
  }
  return command(d, n, Math.min(n, MAX_KEPT_ARGS + 1), pos, state, null);
}

/** Command names are short printable words ("GET", "FT.SEARCH", "json.set"). */
function isCommandName(d: Uint8Array, start: number, end: number): boolean {
  if (end <= start || end - start > 64) return false;
  for (let i = start; i < end; i++) {
    const c = d[i]!;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  const c0 = d[start]! | 0x20;
  return c0 >= 0x61 && c0 <= 0x7a;
}

/** An inline command: one line of space-separated words (Redis's telnet-friendly form). */
function parseInline(d: Uint8Array, state: RedisState): ParseResult<RedisFrame> {
  const nl = d.indexOf(LF);
  if (nl < 0) {
    return d.length > MAX_LINE ? invalid('an inline command longer than 64 KiB, which indicates traffic misclassified as Redis') : NEEDS_MORE;
  }
  const end = nl > 0 && d[nl - 1] === CR ? nl - 1 : nl;
  let count = 0;
  let pos = 0;
  while (pos < end) {
    const c = d[pos]!;
    if (c === 0x20 || c === 0x09) {
      pos++;
      continue;
    }
    let start = pos;
    let stop: number;
    if ((c === 0x22 || c === 0x27) && count > 0) {
      // A quoted argument: kept without its quotes; escapes inside are left as written.
      const close = d.indexOf(c, pos + 1);
      stop = close < 0 || close > end ? end : close;
      start = pos + 1;
      pos = stop + 1;
    } else {
      while (pos < end && d[pos] !== 0x20 && d[pos] !== 0x09) pos++;
      stop = pos;
    }
    if (count <= MAX_KEPT_ARGS) {
      argStart[count] = start;
      argEnd[count] = stop;
    }
    count++;
  }
  // Redis ignores empty lines between commands.
  if (count === 0) return { state: 'ignored', consumed: nl + 1 };
  if (!isCommandName(d, argStart[0]!, argEnd[0]!)) {
    return invalid(`inline command '${text(d, 0, end, 32)}' does not start with a command name, which indicates traffic misclassified as Redis`);
  }
  return command(d, count, Math.min(count, MAX_KEPT_ARGS + 1), nl + 1, state, null);
}

/** Builds a command frame from the recorded element ranges and updates pub/sub and MONITOR state. */
function command(
  d: Uint8Array, elements: number, recordedElements: number, consumed: number, state: RedisState,
  rest: Continuation | null,
): ParseResult<RedisFrame> {
  argData = d;
  argTotal = elements - 1;
  argRecorded = recordedElements;
  let name = upperWord(d, argStart[0]!, argEnd[0]!);
  let first = 0;
  if (CONTAINER_COMMANDS.has(name) && argTotal > 0) {
    name += ' ' + upperWord(d, argStart[1]!, Math.min(argEnd[1]!, argStart[1]! + 32, d.length));
    first = 1;
  }
  const base = first === 1 ? name.slice(0, name.indexOf(' ')) : name;
  let summary = '';
  const kept = Math.min(argTotal, recordedElements - 1);
  for (let i = first; i < kept; i++) {
    const piece = isSecretArg(base, args, i) ? '***' : text(d, argStart[i + 1]!, argEnd[i + 1]!, MAX_ARG_CHARS);
    summary += (summary.length > 0 ? ' ' : '') + piece;
    if (summary.length >= MAX_TEXT_CHARS) break;
  }
  if (kept < argTotal) summary += ' …';
  noteCommand(base, name, state);
  if (rest) state.continuation[0] = rest;
  return {
    state: 'ok',
    consumed,
    frame: {
      kind: 'request',
      command: name,
      args: summary.length > 0 ? truncate(summary, MAX_TEXT_CHARS) : null,
      type: 0,
      error: null,
      summary: null,
    },
  };
}

function noteCommand(base: string, name: string, state: RedisState): void {
  state.outstanding++;
  const kind = SUBSCRIBE_KINDS[base];
  if (kind) {
    // Each named channel gets one confirmation; unsubscribing from all gets one per subscription
    // (at least one, "unsubscribed from nothing").
    const confirmations = argTotal > 0 ? argTotal : Math.max(1, state[kind]);
    if (state.pendingConfirmations.length >= MAX_PENDING_SUBSCRIBES) state.pendingConfirmations.shift();
    state.pendingConfirmations.push(confirmations);
  } else if (name === 'MONITOR') {
    state.monitorRequested = true;
  } else if (name === 'RESET') {
    state.channels = 0;
    state.patterns = 0;
    state.shardChannels = 0;
    state.monitoring = false;
  }
}

// ---- replies -------------------------------------------------------------------------------

function parseReply(d: Uint8Array, state: RedisState): ParseResult<RedisFrame> {
  walker.start();
  const end = walker.walk(d, 0, STREAM_AFTER);
  if (end === BAD) return invalid(walker.reason);
  if (end === NEED) {
    // Too big to buffer: describe it from its first bytes and skip the rest as it arrives.
    const streaming = walker.resume > d.length || (d.length >= STREAM_AFTER && walker.resume > 0);
    if (!streaming || walker.valueStart < 0) return NEEDS_MORE;
    state.continuation[1] = walker.save();
    return reply(d, walker.valueStart, walker.resume, state);
  }
  return reply(d, walker.valueStart, end, state);
}

const SUBSCRIBE_REPLY = ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'];

/** Classifies the reply whose value starts at `v` and builds its frame. */
function reply(d: Uint8Array, v: number, consumed: number, state: RedisState): ParseResult<RedisFrame> {
  const t = d[v]!;
  const cr = d.indexOf(CR, v + 1);
  const frame: RedisFrame = { kind: 'response', type: t, command: null, args: null, error: null, summary: null };
  switch (t) {
    case Resp.SimpleError:
      frame.error = text(d, v + 1, cr, MAX_TEXT_CHARS);
      break;
    case Resp.BulkError:
      frame.error = text(d, cr + 2, cr + 2 + readLength(d, v + 1, cr), MAX_TEXT_CHARS);
      break;
    case Resp.SimpleString:
      if (state.monitoring && d[v + 1]! >= 0x30 && d[v + 1]! <= 0x39) {
        frame.kind = 'message'; // a MONITOR line: "+1796033982.414465 [0 127.0.0.1:35546] "SET" ..."
        return { state: 'ok', frame, consumed };
      }
      frame.summary = text(d, v + 1, cr, MAX_ARG_CHARS);
      if (state.monitorRequested && frame.summary === 'OK') {
        state.monitorRequested = false;
        state.monitoring = true;
      }
      break;
    case Resp.Integer:
      frame.summary = '(integer) ' + text(d, v + 1, cr, 24);
      break;
    case Resp.Double:
      frame.summary = '(double) ' + text(d, v + 1, cr, 32);
      break;
    case Resp.BigNumber:
      frame.summary = '(big number) ' + text(d, v + 1, cr, 32);
      break;
    case Resp.Boolean:
      frame.summary = d[v + 1] === 0x74 ? '(true)' : '(false)';
      break;
    case Resp.Null:
      frame.summary = '(nil)';
      break;
    case Resp.BulkString:
    case Resp.VerbatimString: {
      const n = readLength(d, v + 1, cr);
      frame.summary = n < 0 ? '(nil)' : `(${t === Resp.BulkString ? 'bulk' : 'verbatim'} ${n} bytes)`;
      break;
    }
    case Resp.Map:
    case Resp.Set:
    case Resp.Array:
    case Resp.Push: {
      const n = readLength(d, v + 1, cr);
      const label = t === Resp.Map ? 'map' : t === Resp.Set ? 'set' : t === Resp.Push ? 'push' : 'array';
      frame.summary = n < 0 ? '(nil)' : `(${label} ${n})`;
      if ((t === Resp.Array || t === Resp.Push) && n >= 3 && n <= 4) {
        const handled = pubsub(d, cr + 2, n, t === Resp.Push, frame, state);
        if (handled) return { state: 'ok', frame, consumed };
      }
      if (t === Resp.Push) {
        frame.kind = 'message'; // out-of-band: invalidations, DEBUG PROTOCOL push, ...
        return { state: 'ok', frame, consumed };
      }
      break;
    }
  }
  if (state.outstanding > 0) state.outstanding--;
  return { state: 'ok', frame, consumed };
}

/**
 * Pub/sub arrays (RESP2 `*`, RESP3 `>`): (un)subscribe confirmations are replies; message,
 * pmessage and smessage deliveries are messages. Returns false for any other array.
 */
function pubsub(d: Uint8Array, pos: number, n: number, push: boolean, frame: RedisFrame, state: RedisState): boolean {
  if (d[pos] !== Resp.BulkString) return false;
  const cr = lineEnd(d, pos + 1, d.length);
  if (cr < 0) return false;
  const len = readLength(d, pos + 1, cr);
  const start = cr + 2;
  if (len < 7 || len > 12 || start + len > d.length) return false;
  const subscribedNow = state.channels + state.patterns + state.shardChannels > 0;
  if ((n === 3 && (equalsWord(d, start, start + len, 'MESSAGE') || equalsWord(d, start, start + len, 'SMESSAGE'))) ||
      (n === 4 && equalsWord(d, start, start + len, 'PMESSAGE'))) {
    // In RESP2 a message looks like a reply: it is one when subscribed, or when no reply is owed.
    if (!push && !subscribedNow && state.outstanding > 0) return false;
    frame.kind = 'message';
    return true;
  }
  if (n !== 3) return false;
  let which = -1;
  for (let i = 0; i < SUBSCRIBE_REPLY.length; i++) {
    if (equalsWord(d, start, start + len, SUBSCRIBE_REPLY[i]!)) which = i;
  }
  if (which < 0) return false;
  const count = thirdInteger(d, start + len + 2);
  const kind = SUBSCRIBE_KINDS[SUBSCRIBE_REPLY[which]!]!;
  if (count >= 0) {
    // The count is the connection's total: channels + patterns (shard channels counted apart).
    if (kind === 'channels') state.channels = Math.max(0, count - state.patterns);
    else if (kind === 'patterns') state.patterns = Math.max(0, count - state.channels);
    else state.shardChannels = count;
  }
  frame.kind = 'response';
  if (state.confirmationsLeft > 0) {
    // One of the N replies to one (un)subscribe: the stitcher absorbs it (expectMore).
    state.confirmationsLeft--;
    return true;
  }
  const total = state.pendingConfirmations.shift() ?? 1;
  state.confirmationsLeft = total - 1;
  if (total > 1) frame.expectMore = total - 1;
  if (state.outstanding > 0) state.outstanding--;
  return true;
}

/** The integer that follows the channel element of a confirmation at `pos`, or -1. */
function thirdInteger(d: Uint8Array, pos: number): number {
  // Skip the channel: a bulk string, or a null ($-1 / _) when unsubscribing from nothing.
  if (d[pos] === Resp.Null) pos += 3;
  else if (d[pos] === Resp.BulkString) {
    const cr = lineEnd(d, pos + 1, d.length);
    if (cr < 0) return -1;
    const n = readLength(d, pos + 1, cr);
    pos = n < 0 ? cr + 2 : cr + 2 + n + 2;
  } else return -1;
  if (d[pos] !== Resp.Integer) return -1;
  const cr = lineEnd(d, pos + 1, d.length);
  return cr < 0 ? -1 : readLength(d, pos + 1, cr);
}

// ---- entry points --------------------------------------------------------------------------

/** Parses one command (dir 0) or one reply (dir 1), or skips on through an oversized one. */
export function parseRedis(data: Uint8Array, dir: Direction, state: RedisState): ParseResult<RedisFrame> {
  if (data.length === 0) return NEEDS_MORE;
  if (state.continuation[dir]) return skipContinuation(data, dir, state);
  return dir === 0 ? parseRequest(data, state) : parseReply(data, state);
}

function skipContinuation(d: Uint8Array, dir: Direction, state: RedisState): ParseResult<RedisFrame> {
  walker.load(state.continuation[dir]!);
  const end = walker.walk(d, 0, 0);
  if (end === BAD) {
    state.continuation[dir] = null;
    return invalid(walker.reason);
  }
  if (end >= 0) {
    state.continuation[dir] = null;
    return { state: 'ignored', consumed: end };
  }
  if (walker.resume === 0) return NEEDS_MORE;
  state.continuation[dir] = walker.save();
  return { state: 'ignored', consumed: walker.resume };
}

/**
 * Where a frame plausibly starts at or after `from`, to resynchronise: a command header
 * (`*<n>\r\n$`) from the client, a reply line from the server. Drops any skip in progress.
 */
export function findRedisBoundary(d: Uint8Array, dir: Direction, from: number, state: RedisState): number {
  state.continuation[dir] = null;
  for (let i = from; i < d.length; i++) {
    const c = d[i]!;
    if (i > 0 && d[i - 1] !== LF) continue; // frames start at the beginning of a line
    if (dir === 0) {
      if (c === Resp.Array) {
        const cr = lineEnd(d, i + 1, d.length);
        if (cr > i + 1 && readLength(d, i + 1, cr) > 0 && (cr + 2 >= d.length || d[cr + 2] === Resp.BulkString)) return i;
      }
    } else if (plausibleReplyStart(d, i)) {
      return i;
    }
  }
  return -1;
}

function plausibleReplyStart(d: Uint8Array, i: number): boolean {
  const c = d[i]!;
  const cr = lineEnd(d, i + 1, d.length);
  if (cr === BAD) return false;
  switch (c) {
    case Resp.SimpleString:
    case Resp.SimpleError:
      return cr > i + 1 || cr === NEED;
    case Resp.Integer:
      return cr === NEED || isInteger(d, i + 1, cr);
    case Resp.BulkString:
    case Resp.Array:
    case Resp.Map:
    case Resp.Set:
    case Resp.Push:
    case Resp.Attribute:
      return cr === NEED || readLength(d, i + 1, cr) >= -1;
    case Resp.Null:
      return cr === i + 1;
    default:
      return false;
  }
}

export { walker as _walkerForTests };
