/**
 * @module streams/direction-stream
 * Turns the bytes of one direction of one connection into timed frames. Owns the bounded buffer,
 * skips bodies of known size across holes, and resynchronises after invalid bytes or gaps.
 */
import type { Direction } from './events.ts';
import type { Frame, ProtocolSpec, TimedFrame } from '../protocols/protocol.ts';
import type { Counters } from '../util/counters.ts';

/** Default cap on bytes buffered for one incomplete frame in one direction. */
export const DEFAULT_MAX_BUFFER = 256 * 1024;
/** Bytes kept when resync finds no boundary: a boundary may straddle two segments. */
const RESYNC_TAIL = 64;
/** Parse attempts per data event before the stream gives up on it (a parser that loops). */
const MAX_FRAMES_PER_EVENT = 100_000;

/** The empty buffer, shared: `buf` is only ever read or re-pointed, never written through. */
const EMPTY = new Uint8Array(0);


export class DirectionStream<F extends Frame, S> {
  private buf: Uint8Array = EMPTY;
  /** Owned storage `buf` lives in once bytes must be kept across events; grows geometrically. */
  private store: Uint8Array | null = null;
  /** True while `buf` is a view of caller memory that must be copied before we keep it. */
  private borrowed = false;
  /** Absolute offset of buf[0] in the stream of captured + skipped bytes. */
  private base = 0;
  /**
   * Marks: per appended segment, the absolute stream offset of its first byte, its time and its
   * sequence number. Parallel arrays used as a queue [markHead, markEnd) and overwritten in place,
   * so that a segment costs no allocation.
   */
  private readonly markOffset: number[] = [];
  private readonly markTime: bigint[] = [];
  private readonly markSeq: number[] = [];
  private markHead = 0;
  private markEnd = 0;
  private skipRemaining = 0;
  private resync: boolean;

  constructor(
    private readonly spec: ProtocolSpec<F, S>,
    private readonly state: S,
    private readonly dir: Direction,
    private readonly emit: (frame: TimedFrame<F>) => void,
    private readonly counters: Counters,
    private readonly options: { datagram: boolean; maxBuffer: number; midStream: boolean },
  ) {
    this.resync = options.midStream;
  }

  /** Feed one data event: `bytes` captured, of `length` really sent. */
  push(bytes: Uint8Array, length: number, time: bigint, seq: number): void {
    let input = bytes;
    let hole = Math.max(0, length - bytes.length);
    if (this.options.datagram) this.reset(false);

    if (this.skipRemaining > 0) {
      const n = Math.min(this.skipRemaining, input.length);
      this.skipRemaining -= n;
      this.base += n;
      input = input.subarray(n);
      if (seq >= 0) seq = (seq + n) >>> 0;
    }
    if (input.length > 0) {
      this.append(input, time, seq);
      this.parseLoop();
    }
    if (hole > 0) this.hole(hole);
    if (this.options.datagram) {
      if (this.buf.length > 0) this.counters.add(`${this.spec.name}.datagram_incomplete`);
      this.reset(false);
    } else if (this.buf.length > this.options.maxBuffer) {
      this.counters.add(`${this.spec.name}.buffer_overflow_bytes`, this.buf.length);
      this.reset(true);
    } else if (this.borrowed && this.buf.length > 0) {
      // Keep the tail beyond this call: the caller may reuse its memory (the live ring buffer).
      if (!this.store || this.store.length < this.buf.length) {
        this.store = new Uint8Array(Math.max(4096, this.buf.length * 2));
      }
      this.store.set(this.buf, 0);
      this.buf = this.store.subarray(0, this.buf.length);
      this.borrowed = false;
    }
  }

  /** Bytes lost in this direction; `length` -1 when unknown. */
  gap(length: number): void {
    this.hole(length < 0 ? Infinity : length);
  }

  private hole(length: number): void {
    if (this.skipRemaining >= length) {
      this.skipRemaining -= length;
      this.base += length;
      return;
    }
    // The hole reaches into bytes we needed: whatever was buffered can no longer complete.
    if (this.buf.length > 0) {
      this.emitPartial(length);
      this.counters.add(`${this.spec.name}.bytes_discarded_at_gap`, this.buf.length);
    }
    this.counters.add(`${this.spec.name}.resyncs_after_gap`);
    this.reset(true);
  }

  /** The stream ended: a frame still incomplete may yet say what it was. */
  end(): void {
    if (this.buf.length > 0 && !this.options.datagram) this.emitPartial(0);
    this.reset(false);
  }

  /** Emits what the parser can still make of an incomplete frame about to be discarded. */
  private emitPartial(missing: number): void {
    if (this.resync || !this.spec.parsePartial) return;
    const frame = this.spec.parsePartial(this.buf, this.dir, this.state);
    if (!frame) return;
    const m = this.markAt(this.base);
    this.counters.add(`${this.spec.name}.partial_frames`);
    this.emit({
      frame,
      dir: this.dir,
      time: this.timeAt(m),
      seq: this.seqAt(m),
      size: this.buf.length + (Number.isFinite(missing) ? missing : 0),
    });
  }

  private append(input: Uint8Array, time: bigint, seq: number): void {
    const offset = this.base + this.buf.length;
    if (this.buf.length === 0) {
      // The common case: parse straight from the caller's bytes, copy only a leftover tail.
      this.buf = input;
      this.borrowed = true;
      this.markHead = this.markEnd = 0;
    } else {
      const length = this.buf.length + input.length;
      const at = this.borrowed || !this.store ? -1 : this.buf.byteOffset - this.store.byteOffset;
      if (at >= 0 && at + length <= this.store!.length) {
        this.store!.set(input, at + this.buf.length);
        this.buf = this.store!.subarray(at, at + length);
      } else {
        // Grow geometrically so a frame trickling in small segments costs linear copying.
        const store = new Uint8Array(Math.max(4096, length * 2));
        store.set(this.buf, 0);
        store.set(input, this.buf.length);
        this.store = store;
        this.buf = store.subarray(0, length);
      }
      this.borrowed = false;
    }
    this.addMark(offset, time, seq);
  }

  private parseLoop(): void {
    const { spec, state, dir } = this;
    for (let i = 0; i < MAX_FRAMES_PER_EVENT && this.buf.length > 0; i++) {
      if (this.resync) {
        const at = spec.findFrameBoundary(this.buf, dir, 0, state);
        if (at < 0) {
          this.consume(Math.max(0, this.buf.length - RESYNC_TAIL));
          return;
        }
        this.consume(at);
        this.resync = false;
      }
      const result = spec.parse(this.buf, dir, state);
      switch (result.state) {
        case 'ok': {
          const m = this.markAt(this.base);
          const size = result.consumed;
          this.emit({
            frame: result.frame,
            dir,
            time: this.timeAt(m),
            seq: this.seqAt(m),
            size: Number.isFinite(size) ? size : this.buf.length,
          });
          this.consumeOrSkip(size);
          break;
        }
        case 'ignored':
          this.consumeOrSkip(result.consumed);
          break;
        case 'needs-more':
          return;
        case 'invalid':
          this.counters.add(`${spec.name}.parse_errors`);
          // Step past the byte that failed so the boundary search cannot find the same start.
          this.consume(1);
          this.resync = true;
          break;
      }
    }
  }

  private consumeOrSkip(size: number): void {
    if (!(size > 0)) {
      // A parser that consumes nothing would loop forever: treat it as invalid input.
      this.counters.add(`${this.spec.name}.parse_errors`);
      this.consume(1);
      this.resync = true;
      return;
    }
    if (size <= this.buf.length) {
      this.consume(size);
    } else {
      this.skipRemaining = size - this.buf.length;
      this.consume(this.buf.length);
    }
  }

  private consume(n: number): void {
    if (n <= 0) return;
    // Whole buffer consumed (one frame per segment, the common case): no new view needed.
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
    this.base += n;
  }

  private addMark(offset: number, time: bigint, seq: number): void {
    let end = this.markEnd;
    if (end === this.markOffset.length && this.markHead > 0) {
      // Full: move the live marks down before growing.
      const head = this.markHead;
      for (let i = head; i < end; i++) {
        this.markOffset[i - head] = this.markOffset[i]!;
        this.markTime[i - head] = this.markTime[i]!;
        this.markSeq[i - head] = this.markSeq[i]!;
      }
      end -= head;
      this.markHead = 0;
    }
    if (end === this.markOffset.length) {
      this.markOffset.push(offset);
      this.markTime.push(time);
      this.markSeq.push(seq);
    } else {
      this.markOffset[end] = offset;
      this.markTime[end] = time;
      this.markSeq[end] = seq;
    }
    this.markEnd = end + 1;
  }

  /** Index of the mark of the segment holding absolute offset `at` (dropping those wholly before it), or -1. */
  private markAt(at: number): number {
    let i = this.markHead;
    while (i + 1 < this.markEnd && this.markOffset[i + 1]! <= at) i++;
    this.markHead = i;
    return i < this.markEnd ? i : -1;
  }

  /** Time of the frame starting at `base` in mark `m`. */
  private timeAt(m: number): bigint {
    return m < 0 ? 0n : this.markTime[m]!;
  }

  /** Sequence number of the byte at `base`, inside mark `m`'s segment; -1 when unknown. */
  private seqAt(m: number): number {
    if (m < 0) return -1;
    const seq = this.markSeq[m]!;
    return seq < 0 ? -1 : (seq + (this.base - this.markOffset[m]!)) >>> 0;
  }

  private reset(resync: boolean): void {
    this.base += this.buf.length;
    this.buf = EMPTY;
    this.store = null;
    this.borrowed = false;
    this.markHead = this.markEnd = 0;
    this.skipRemaining = 0;
    if (resync) this.resync = true;
  }
}
