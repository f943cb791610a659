/**
 * @module fuzz/mutate
 * A small deterministic mutator: seeded PRNG and byte-level mutations that tend to break
 * length fields, delimiters and numbers in text and binary protocols.
 */
import { concatBytes } from '../util/bytes.ts';

/** xorshift32: fast, deterministic, good enough to drive mutations reproducibly. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const INTERESTING = [0, 0xff, 0x7f, 0x80, 0x0d, 0x0a, 0x20, 0x3a, 0x2a, 0x24, 0x2d, 0x2b, 0x30, 0x39, 0xc0];
const TOKENS = ['\r\n', '\r\n\r\n', '99999999999', '-1', '0', ' ', ':', 'Content-Length: 999999999\r\n',
  'Transfer-Encoding: chunked\r\n', '*99999999\r\n', '$-1\r\n', '>3\r\n', '|1\r\n', 'HTTP/1.1 101 X\r\n\r\n'];

export function randomBytes(rng: Rng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(max) + 1);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() & 0xff;
  return out;
}

/** Applies 1-4 random mutations to a copy of `input`, sometimes splicing in `other`. */
export function mutate(rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(9)) {
      case 0: // flip a bit
        if (b.length) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // set an interesting byte
        if (b.length) b[rng.int(b.length)] = rng.pick(INTERESTING);
        break;
      case 2: // truncate
        b = b.subarray(0, at);
        break;
      case 3: { // delete a range
        const n = rng.int(Math.min(64, b.length - at) + 1);
        b = concatBytes(b.subarray(0, at), b.subarray(at + n));
        break;
      }
      case 4: { // duplicate a range
        const n = rng.int(Math.min(256, b.length - at) + 1);
        b = concatBytes(b.subarray(0, at + n), b.subarray(at));
        break;
      }
      case 5: // insert a token that confuses lengths and delimiters
        b = concatBytes(b.subarray(0, at), Buffer.from(rng.pick(TOKENS)), b.subarray(at));
        break;
      case 6: // splice with another seed
        b = concatBytes(b.subarray(0, at), other.subarray(rng.int(other.length + 1)));
        break;
      case 7: { // replace a digit run with a huge number
        const i = b.findIndex((c, k) => k >= at && c >= 0x30 && c <= 0x39);
        if (i >= 0) b = concatBytes(b.subarray(0, i), Buffer.from('4294967296999'), b.subarray(i + 1));
        break;
      }
      default: // random bytes in the middle
        b = concatBytes(b.subarray(0, at), randomBytes(rng, 32), b.subarray(at));
    }
    if (b.length > 1 << 20) b = b.subarray(0, 1 << 20);
  }
  return b;
}
