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

export class Stitcher<F extends Frame, S> {
  private readonly fifo: TimedFrame<F>[] = [];
  private fifoHead = 0;
  private readonly byKey = new Map<number | string, TimedFrame<F>>();
  /** Responses still owed to the last answered request (subscribe-style replies). */
  private absorb = 0;

  constructor(
    private readonly spec: ProtocolSpec<F, S>,
    private readonly counters: Counters,
    private readonly emit: (call: Call<F>) => void,
  ) {}

  get pending(): number {
    return this.fifo.length - this.fifoHead + this.byKey.size;
  }

  push(tf: TimedFrame<F>): void {
    const kind = tf.frame.kind;
    if (kind === 'request') this.request(tf);
    else if (kind === 'response') this.response(tf);
    else this.counters.add(`${this.spec.name}.messages`);
  }

  private request(tf: TimedFrame<F>): void {
    if (this.spec.matching === 'key') {
      const key = tf.frame.key ?? '';
      const previous = this.byKey.get(key);
      if (previous) this.timeout(previous, tf.time);
      if (this.byKey.size >= MAX_PENDING_REQUESTS) {
        this.counters.add(`${this.spec.name}.pending_requests_dropped`);
        return;
      }
      this.byKey.set(key, tf);
      return;
    }
    if (this.pending >= MAX_PENDING_REQUESTS) {
      this.counters.add(`${this.spec.name}.pending_requests_dropped`);
      this.fifoHead++;
    }
    this.fifo.push(tf);
  }

  private response(tf: TimedFrame<F>): void {
    let request: TimedFrame<F> | undefined;
    if (this.spec.matching === 'key') {
      const key = tf.frame.key ?? '';
      request = this.byKey.get(key);
      if (request) this.byKey.delete(key);
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
    if (!request) this.counters.add(`${this.spec.name}.responses_without_request`);
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
    for (const tf of this.byKey.values()) this.timeout(tf, now);
    this.byKey.clear();
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
