/**
 * @module records/stitcher
 * Pairs request frames with response frames of one connection and describes each call as a
 * record: in order for pipelined protocols, by key for id-matched ones (DNS). Requests left
 * unanswered become `timeout` records; responses without a request still become records.
 */
import type { Frame, ProtocolFields, ProtocolSpec, TimedFrame } from '../protocols/protocol.ts';
import type { Counters } from '../util/counters.ts';

/** Cap on requests awaiting a response on one connection; older ones are dropped and counted. */
export const MAX_PENDING_REQUESTS = 1024;

/** One call, as the stitcher hands it to the connection for addressing and emitting. */
export interface Call<F extends Frame> {
  request: TimedFrame<F> | null;
  response: TimedFrame<F> | null;
  fields: ProtocolFields;
  /** For timeouts: when the request was given up on. */
  giveUpTime?: bigint;
}

interface CounterNames {
  messages: string;
  dropped: string;
  unanswered: string;
}

/** Counter names per protocol, built once (not per connection, nor per call). */
const COUNTER_NAMES = new Map<string, CounterNames>();

function counterNames(protocol: string): CounterNames {
  let names = COUNTER_NAMES.get(protocol);
  if (!names) {
    names = {
      messages: `${protocol}.messages`,
      dropped: `${protocol}.pending_requests_dropped`,
      unanswered: `${protocol}.responses_without_request`,
    };
    COUNTER_NAMES.set(protocol, names);
  }
  return names;
}

export class Stitcher<F extends Frame, S> {
  private readonly fifo: TimedFrame<F>[] = [];
  private fifoHead = 0;
  /**
   * Requests awaiting a response by key. The usual case, one at a time (a DNS query on its own
   * port), lives in `oneKey`/`one` without a Map; `byKey` is made when a second is pending, and
   * `one` is used only while `byKey` is empty, so pending requests stay in arrival order.
   */
  private one: TimedFrame<F> | null = null;
  private oneKey: number | string = '';
  private byKey: Map<number | string, TimedFrame<F>> | null = null;
  private readonly byKeyMatching: boolean;
  private readonly names: CounterNames;
  /** Responses still owed to the last answered request (subscribe-style replies). */
  private absorb = 0;

  constructor(
    private readonly spec: ProtocolSpec<F, S>,
    private readonly counters: Counters,
    private readonly emit: (call: Call<F>) => void,
  ) {
    this.byKeyMatching = spec.matching === 'key';
    this.names = counterNames(spec.name);
  }

  get pending(): number {
    return this.fifo.length - this.fifoHead + this.keyedPending();
  }

  private keyedPending(): number {
    return (this.one !== null ? 1 : 0) + (this.byKey !== null ? this.byKey.size : 0);
  }

  push(tf: TimedFrame<F>): void {
    const kind = tf.frame.kind;
    if (kind === 'request') this.request(tf);
    else if (kind === 'response') this.response(tf);
    else this.counters.add(this.names.messages);
  }

  private request(tf: TimedFrame<F>): void {
    if (this.byKeyMatching) {
      const key = tf.frame.key ?? '';
      // A request reusing a pending key times the earlier one out and takes its place.
      const previous = this.one !== null && sameKey(this.oneKey, key) ? this.one : this.byKey?.get(key);
      if (previous) this.timeout(previous, tf.time);
      if (this.keyedPending() >= MAX_PENDING_REQUESTS) {
        this.counters.add(this.names.dropped);
        return;
      }
      if (previous !== undefined && previous === this.one) {
        this.one = tf;
        return;
      }
      if (this.one === null && (this.byKey === null || this.byKey.size === 0)) {
        this.one = tf;
        this.oneKey = key;
        return;
      }
      this.byKey ??= new Map();
      if (this.one !== null) {
        this.byKey.set(this.oneKey, this.one);
        this.one = null;
      }
      this.byKey.set(key, tf);
      return;
    }
    if (this.pending >= MAX_PENDING_REQUESTS) {
      this.counters.add(this.names.dropped);
      this.fifoHead++;
    }
    this.fifo.push(tf);
  }

  private response(tf: TimedFrame<F>): void {
    let request: TimedFrame<F> | undefined;
    if (this.byKeyMatching) {
      request = this.takeKeyed(tf.frame.key ?? '') ?? undefined;
    } else {
      // In-order protocols answer strictly in order: replies still owed to the last answered
      // request (subscribe confirmations) come before the answer to any later request.
      if (this.absorb > 0) {
        this.absorb--;
        return;
      }
      if (this.fifoHead < this.fifo.length) {
        request = this.fifo[this.fifoHead++];
        this.compact();
      }
    }
    if (!request) this.counters.add(this.names.unanswered);
    this.absorb = tf.frame.expectMore ?? 0;
    const req = request ?? null;
    this.emit({ request: req, response: tf, fields: this.spec.describe(req?.frame ?? null, tf.frame) });
  }

  /** Give up on requests first seen before `deadline`; `now` is the time they are given up. */
  expire(deadline: bigint, now: bigint): void {
    while (this.fifoHead < this.fifo.length && this.fifo[this.fifoHead]!.time < deadline) {
      this.timeout(this.fifo[this.fifoHead++]!, now);
    }
    this.compact();
    if (this.one !== null && this.one.time < deadline) {
      const tf = this.one;
      this.one = null;
      this.timeout(tf, now);
    }
    if (this.byKey === null) return;
    for (const [key, tf] of this.byKey) {
      if (tf.time < deadline) {
        this.byKey.delete(key);
        this.timeout(tf, now);
      }
    }
  }

  /** The connection closed: every request still waiting timed out. */
  close(now: bigint): void {
    while (this.fifoHead < this.fifo.length) this.timeout(this.fifo[this.fifoHead++]!, now);
    this.compact();
    if (this.one !== null) {
      const tf = this.one;
      this.one = null;
      this.timeout(tf, now);
    }
    if (this.byKey === null) return;
    for (const tf of this.byKey.values()) this.timeout(tf, now);
    this.byKey.clear();
  }

  /** Removes and returns the request pending under `key`, if any. */
  private takeKeyed(key: number | string): TimedFrame<F> | null {
    if (this.one !== null && sameKey(this.oneKey, key)) {
      const tf = this.one;
      this.one = null;
      return tf;
    }
    if (this.byKey === null) return null;
    const tf = this.byKey.get(key);
    if (tf === undefined) return null;
    this.byKey.delete(key);
    return tf;
  }

  private timeout(tf: TimedFrame<F>, now: bigint): void {
    const fields = { ...this.spec.describe(tf.frame, null), response_status: 'timeout' as const };
    this.emit({ request: tf, response: null, fields, giveUpTime: now });
  }

  private compact(): void {
    if (this.fifoHead === this.fifo.length) {
      this.fifo.length = 0;
      this.fifoHead = 0;
    } else if (this.fifoHead > 64 && this.fifoHead * 2 > this.fifo.length) {
      this.fifo.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
  }
}

/** Map key equality (SameValueZero): NaN matches NaN. */
function sameKey(a: number | string, b: number | string): boolean {
  return a === b || (a !== a && b !== b);
}
