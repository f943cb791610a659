/**
 * @module capture/ebpf/ringbuf
 * Reads a BPF ring buffer map from JavaScript through its memory mapping: no native call and no
 * allocation per record. The kernel maps the data pages twice in a row, so a record that wraps
 * around the end is still contiguous in the mapping.
 *
 * Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (ours to write), page 1 producer_pos,
 * then 2 x size bytes of data. Each record: u32 length (bit 31 busy, bit 30 discarded), u32 page
 * offset, then the data, padded to 8 bytes.
 *
 * One reader per map, used from one thread. A record handed to `onRecord` is valid only during
 * the call: the kernel may overwrite it once the consumer position moves on.
 */
import koffi from 'koffi';
import { CaptureError } from './errors.ts';
import { getLibc, isNull, MAP_FAILED, MAP_SHARED, PROT_READ, PROT_WRITE, errno } from './libbpf.ts';
import type { Ptr } from './libbpf.ts';

const BUSY_BIT = 0x8000_0000;
const DISCARD_BIT = 0x4000_0000;
const RECORD_HEADER = 8;
/** Consumer position is published at least this often within one batch, so the kernel can reuse space. */
const PUBLISH_EVERY = 256;

/** Called with the record's data at `off` (after the ring's 8-byte header), `len` bytes long. */
export type RecordHandler = (view: DataView, bytes: Uint8Array, off: number, len: number) => void;

export class RingReader {
  private readonly page: number;
  private readonly mask: number;
  private consumerMap: Ptr;
  private producerMap: Ptr;
  private readonly producerMapLen: number;
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly words: Int32Array;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private pos: number;

  /** `size`: the map's max_entries (a power of two, multiple of the page size, at most 1 GiB). */
  constructor(
    mapFd: number,
    readonly size: number,
  ) {
    if (size <= 0 || (size & (size - 1)) !== 0 || size > 1 << 30) {
      throw new CaptureError(`map ring buffer: size ${size} is not a power of two up to 1 GiB`);
    }
    const libc = getLibc();
    this.page = libc.pageSize();
    this.mask = size - 1;
    this.consumerMap = libc.mmap(null, this.page, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
    if (isNull(this.consumerMap) || this.consumerMap === MAP_FAILED) {
      throw new CaptureError(`map ring buffer consumer page: mmap failed, errno ${errno()}`);
    }
    this.producerMapLen = this.page + 2 * size;
    this.producerMap = libc.mmap(null, this.producerMapLen, PROT_READ, MAP_SHARED, mapFd, this.page);
    if (isNull(this.producerMap) || this.producerMap === MAP_FAILED) {
      libc.munmap(this.consumerMap, this.page);
      throw new CaptureError(`map ring buffer data pages: mmap failed, errno ${errno()}`);
    }
    this.consumerPos = new BigUint64Array(koffi.view(this.consumerMap, 8));
    this.producerPos = new BigUint64Array(koffi.view(this.producerMap, 8));
    const data = koffi.view((this.producerMap as bigint) + BigInt(this.page), 2 * size);
    this.words = new Int32Array(data);
    this.view = new DataView(data);
    this.bytes = new Uint8Array(data);
    this.pos = Number(Atomics.load(this.consumerPos, 0));
  }

  /** Bytes written by the kernel and not yet consumed. */
  pending(): number {
    if (this.consumerMap === null) return 0;
    return Number(Atomics.load(this.producerPos, 0)) - this.pos;
  }

  /**
   * Hands up to `budget` committed records to `onRecord`, in order, and releases their space.
   * Stops early at a record the kernel is still writing. Returns the number of records handled.
   */
  consume(onRecord: RecordHandler, budget = 65536): number {
    if (this.consumerMap === null) return 0;
    const { mask, words, view, bytes } = this;
    let pos = this.pos;
    // Positions are byte counts since the map was created: exact as numbers up to 2^53 (years at GB/s).
    let prod = Number(Atomics.load(this.producerPos, 0));
    let handled = 0;
    let sincePublish = 0;
    try {
      while (pos < prod && handled < budget) {
        const off = pos & mask;
        // Acquire-load of the header: the data behind it is complete once the busy bit is clear.
        const header = Atomics.load(words, off >> 2) >>> 0;
        if (header & BUSY_BIT) break;
        const len = header & ~(BUSY_BIT | DISCARD_BIT);
        if (len > this.size) throw new CaptureError(`read ring buffer: record length ${len} exceeds the ring`);
        pos += (len + RECORD_HEADER + 7) & ~7;
        if (!(header & DISCARD_BIT)) {
          handled++;
          onRecord(view, bytes, off + RECORD_HEADER, len);
        }
        if (++sincePublish === PUBLISH_EVERY) {
          Atomics.store(this.consumerPos, 0, BigInt(pos));
          sincePublish = 0;
        }
        if (pos >= prod) prod = Number(Atomics.load(this.producerPos, 0));
      }
    } finally {
      if (pos !== this.pos) {
        Atomics.store(this.consumerPos, 0, BigInt(pos));
        this.pos = pos;
      }
    }
    return handled;
  }

  close(): void {
    if (this.consumerMap === null) return;
    const libc = getLibc();
    libc.munmap(this.consumerMap, this.page);
    libc.munmap(this.producerMap, this.producerMapLen);
    this.consumerMap = null;
    this.producerMap = null;
  }
}
