/**
 * @module capture/pcap/flow-index
 * Finds the flow a decoded packet belongs to without building a key per packet: entries carry
 * their 5-tuple in canonical order (the endpoint that sorts lower first), are found through a Map
 * keyed by a small-integer hash of it (chained on collisions), and are kept in a doubly linked
 * list in insertion order, which is the order eviction and sweeps walk (as a Map's would be).
 *
 * Not safe for concurrent use. The protocol is implied by the index (one per transport).
 */
import type { DecodedPacket } from './decode.ts';

/** What an index entry carries; flows extend it. The fields are the index's, not the flow's. */
export class FlowEntry {
  v6 = false;
  /** The lower endpoint: address words and port. */
  l0 = 0; l1 = 0; l2 = 0; l3 = 0; lPort = 0;
  /** The higher endpoint. */
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; hPort = 0;
  hash = 0;
  bucketNext: FlowEntry | null = null;
  prev: FlowEntry | null = null;
  next: FlowEntry | null = null;
}

/**
 * Whether the packet's source is the endpoint that sorts lower (addresses word by word, then
 * ports): the direction-independent order a flow's tuple is stored in.
 */
export function sourceIsLow(p: DecodedPacket): boolean {
  if (p.src0 !== p.dst0) return p.src0 < p.dst0;
  if (p.src1 !== p.dst1) return p.src1 < p.dst1;
  if (p.src2 !== p.dst2) return p.src2 < p.dst2;
  if (p.src3 !== p.dst3) return p.src3 < p.dst3;
  return p.srcPort <= p.dstPort;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Hash of the packet's tuple in canonical order; a non-negative small integer (a V8 Smi). */
export function tupleHash(p: DecodedPacket, srcLow: boolean): number {
  let h = p.ipVersion === 6 ? 0x6b43a9b5 : 0x2545f491;
  if (srcLow) {
    h = mix(h, p.src0); h = mix(h, p.dst0); h = mix(h, (p.srcPort << 16) | p.dstPort);
    if (p.ipVersion === 6) {
      h = mix(h, p.src1); h = mix(h, p.src2); h = mix(h, p.src3);
      h = mix(h, p.dst1); h = mix(h, p.dst2); h = mix(h, p.dst3);
    }
  } else {
    h = mix(h, p.dst0); h = mix(h, p.src0); h = mix(h, (p.dstPort << 16) | p.srcPort);
    if (p.ipVersion === 6) {
      h = mix(h, p.dst1); h = mix(h, p.dst2); h = mix(h, p.dst3);
      h = mix(h, p.src1); h = mix(h, p.src2); h = mix(h, p.src3);
    }
  }
  return h & 0x3fffffff;
}

export class FlowIndex<E extends FlowEntry> {
  private readonly buckets = new Map<number, E>();
  private head: E | null = null;
  private tail: E | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The oldest entry (first inserted of those still present). */
  get first(): E | null {
    return this.head;
  }

  /** The entry after `e` in insertion order. */
  after(e: E): E | null {
    return e.next as E | null;
  }

  /** The entry for the packet's tuple; `srcLow` and `hash` from {@link sourceIsLow} and {@link tupleHash}. */
  find(p: DecodedPacket, srcLow: boolean, hash: number): E | undefined {
    let e: FlowEntry | null = this.buckets.get(hash) ?? null;
    const v6 = p.ipVersion === 6;
    while (e !== null) {
      if (e.hash === hash && e.v6 === v6 && (srcLow
        ? e.l0 === p.src0 && e.h0 === p.dst0 && e.lPort === p.srcPort && e.hPort === p.dstPort &&
          e.l1 === p.src1 && e.l2 === p.src2 && e.l3 === p.src3 && e.h1 === p.dst1 && e.h2 === p.dst2 && e.h3 === p.dst3
        : e.l0 === p.dst0 && e.h0 === p.src0 && e.lPort === p.dstPort && e.hPort === p.srcPort &&
          e.l1 === p.dst1 && e.l2 === p.dst2 && e.l3 === p.dst3 && e.h1 === p.src1 && e.h2 === p.src2 && e.h3 === p.src3)) {
        return e as E;
      }
      e = e.bucketNext;
    }
    return undefined;
  }

  /** Adds `e` (not in any index) for the packet's tuple, as the newest entry. */
  insert(e: E, p: DecodedPacket, srcLow: boolean, hash: number): void {
    e.v6 = p.ipVersion === 6;
    if (srcLow) {
      e.l0 = p.src0; e.l1 = p.src1; e.l2 = p.src2; e.l3 = p.src3; e.lPort = p.srcPort;
      e.h0 = p.dst0; e.h1 = p.dst1; e.h2 = p.dst2; e.h3 = p.dst3; e.hPort = p.dstPort;
    } else {
      e.l0 = p.dst0; e.l1 = p.dst1; e.l2 = p.dst2; e.l3 = p.dst3; e.lPort = p.dstPort;
      e.h0 = p.src0; e.h1 = p.src1; e.h2 = p.src2; e.h3 = p.src3; e.hPort = p.srcPort;
    }
    e.hash = hash;
    e.bucketNext = this.buckets.get(hash) ?? null;
    this.buckets.set(hash, e);
    e.prev = this.tail;
    e.next = null;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.count++;
  }

  delete(e: E): void {
    const chain = this.buckets.get(e.hash);
    if (chain === e) {
      if (e.bucketNext) this.buckets.set(e.hash, e.bucketNext as E);
      else this.buckets.delete(e.hash);
    } else {
      let before: FlowEntry | null | undefined = chain;
      while (before && before.bucketNext !== e) before = before.bucketNext;
      if (!before) return;
      before.bucketNext = e.bucketNext;
    }
    e.bucketNext = null;
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next as E | null;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev as E | null;
    e.prev = e.next = null;
    this.count--;
  }

  clear(): void {
    for (let e = this.head; e; ) {
      const next = e.next as E | null;
      e.prev = e.next = e.bucketNext = null;
      e = next;
    }
    this.buckets.clear();
    this.head = this.tail = null;
    this.count = 0;
  }
}
