/**
 * @module store/native
 * Encodes rows as one block of ClickHouse's Native format (columnar, binary), which the engine
 * reads about 4x faster than TabSeparated: no text parsing of numbers, timestamps or UUIDs.
 *
 * Block layout: varint column count, varint row count, then per column its name, its type name
 * and its values. Strings are varint length + UTF-8 bytes; integers little-endian; UUID as two
 * little-endian UInt64 (high half first); DateTime64(9) as Int64 nanoseconds; Nullable(T) as a
 * null map (one byte per row) followed by T for every row. LowCardinality(String) as the engine
 * writes it: UInt64 keys version (1), UInt64 flags (index width | has additional keys | needs a
 * dictionary update), UInt64 key count, the keys as Strings ('' first, the default), UInt64 row
 * count, then one index per row. Building the dictionary here spares the engine hashing every value
 * (measured: the engine reads such a block about twice as fast as the same column sent as String).
 */
import type { ColumnSpec } from './schema.ts';
import type { RowValues } from './rows.ts';

type Kind = 'string' | 'lowcardinality' | 'uuid' | 'datetime64' | 'uint64' | 'uint32' | 'uint16' | 'int32';

interface Plan {
  name: string;
  /** Type name written in the block. */
  type: string;
  kind: Kind;
  nullable: boolean;
}

const SUPPORTED: Record<string, Kind> = {
  String: 'string', UUID: 'uuid', 'DateTime64(9)': 'datetime64', UInt64: 'uint64', UInt32: 'uint32', UInt16: 'uint16', Int32: 'int32',
};

/** How each column is written; throws for a type this encoder does not know. */
export function planColumns(columns: readonly ColumnSpec[]): Plan[] {
  return columns.map((c) => {
    if (c.type === 'LowCardinality(String)') return { name: c.name, type: c.type, kind: 'lowcardinality', nullable: false };
    let type = c.type;
    const nullable = /^Nullable\(/.test(type);
    if (nullable) type = type.slice('Nullable('.length, -1);
    const kind = SUPPORTED[type];
    if (!kind) throw new Error(`native encoder: column ${c.name} has type ${c.type}, which it cannot write`);
    return { name: c.name, type: nullable ? `Nullable(${type})` : type, kind, nullable };
  });
}

/** A growable output buffer. */
class Out {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  string(s: string): void {
    const len = s.length;
    if (len === 0) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    if (len < 128) {
      // Short text is mostly ASCII: copy it byte by byte (cheaper than a native call per value);
      // on the first non-ASCII character, rewind and let Buffer.write encode it.
      this.ensure(len * 3 + 2);
      const b = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const ch = s.charCodeAt(i);
        if (ch >= 0x80) break;
        b[p++] = ch;
      }
      if (i === len) {
        b[start] = len;
        this.pos = p;
        return;
      }
      if (len * 3 < 128) {
        const n = b.write(s, start + 1, 'utf8');
        b[start] = n;
        this.pos = start + 1 + n;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

function uint64(out: Out, v: number | bigint): void {
  if (typeof v === 'bigint') {
    out.buf.writeBigUInt64LE(BigInt.asUintN(64, v), out.pos);
  } else {
    const n = v > 0 ? v : 0;
    out.buf.writeUInt32LE(n % 0x1_0000_0000, out.pos);
    out.buf.writeUInt32LE(Math.floor(n / 0x1_0000_0000), out.pos + 4);
  }
  out.pos += 8;
}

/** Nibble value of each ASCII hex digit, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}
/** Where the 32 hex digits of a UUID's text sit, skipping the dashes. */
const UUID_DIGITS = [...'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'].flatMap((ch, i) => (ch === 'x' ? [i] : []));

function uuid(out: Out, s: string): void {
  if (s.length !== 36 || s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 || s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45) {
    throw new Error(`native encoder: ${JSON.stringify(s.slice(0, 40))} is not a UUID`);
  }
  // Each half is a little-endian UInt64 whose most significant digits come first in the text:
  // byte k of the text (0..15) goes to position 7-k of its half.
  const b = out.buf;
  for (let k = 0; k < 16; k++) {
    const hi = NIBBLE[s.charCodeAt(UUID_DIGITS[2 * k]!)] ?? -1;
    const lo = NIBBLE[s.charCodeAt(UUID_DIGITS[2 * k + 1]!)] ?? -1;
    if (hi < 0 || lo < 0) throw new Error(`native encoder: ${JSON.stringify(s)} is not a UUID`);
    b[out.pos + (k < 8 ? 7 - k : 23 - k)] = (hi << 4) | lo;
  }
  out.pos += 16;
}

const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEED_UPDATE_DICTIONARY = 1 << 10;

function u64(out: Out, n: number): void {
  out.ensure(8);
  out.buf.writeUInt32LE(n % 0x1_0000_0000, out.pos);
  out.buf.writeUInt32LE(Math.floor(n / 0x1_0000_0000), out.pos + 4);
  out.pos += 8;
}

/** Column `c` of `rows` as LowCardinality(String): a dictionary of its distinct values, then indexes. */
function lowCardinality(out: Out, rows: readonly RowValues[], c: number): void {
  const ids = new Map<string, number>([['', 0]]);
  const keys: string[] = [''];
  const index = new Uint32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r]![c];
    const s = v === null || v === undefined ? '' : String(v);
    let id = ids.get(s);
    if (id === undefined) {
      id = keys.length;
      ids.set(s, id);
      keys.push(s);
    }
    index[r] = id;
  }
  const width = keys.length <= 0x100 ? 0 : keys.length <= 0x10000 ? 1 : 2;
  u64(out, 1);
  u64(out, width | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY);
  u64(out, keys.length);
  for (const k of keys) out.string(k);
  u64(out, rows.length);
  out.ensure(rows.length * (1 << width));
  const b = out.buf;
  if (width === 0) for (let r = 0; r < rows.length; r++) b[out.pos++] = index[r]!;
  else if (width === 1) for (let r = 0; r < rows.length; r++, out.pos += 2) b.writeUInt16LE(index[r]!, out.pos);
  else for (let r = 0; r < rows.length; r++, out.pos += 4) b.writeUInt32LE(index[r]!, out.pos);
}

function fixedSize(kind: Kind): number {
  switch (kind) {
    case 'uuid': return 16;
    case 'datetime64': case 'uint64': return 8;
    case 'uint32': case 'int32': return 4;
    case 'uint16': return 2;
    case 'string': case 'lowcardinality': return 0;
  }
}

/**
 * One Native block holding `rows` (positional values in `columns` order).
 * Throws on a value of the wrong shape (a bug upstream: rows are built or checked before here).
 * @example
 *   const block = encodeNative(REQUEST_COLUMNS, rows);
 *   // INSERT INTO requests FROM INFILE '<file holding block>' FORMAT Native
 */
export function encodeNative(columns: readonly ColumnSpec[], rows: readonly RowValues[]): Buffer {
  const plan = planColumns(columns);
  const out = new Out(Math.max(4096, rows.length * 300));
  out.varint(plan.length);
  out.varint(rows.length);
  for (let c = 0; c < plan.length; c++) {
    const p = plan[c]!;
    out.string(p.name);
    out.string(p.type);
    if (p.nullable) {
      out.ensure(rows.length);
      for (let r = 0; r < rows.length; r++) out.buf[out.pos++] = rows[r]![c] === null ? 1 : 0;
    }
    if (p.kind === 'lowcardinality') {
      lowCardinality(out, rows, c);
      continue;
    }
    const size = fixedSize(p.kind);
    if (size > 0) out.ensure(size * rows.length);
    for (let r = 0; r < rows.length; r++) {
      const v = rows[r]![c];
      switch (p.kind) {
        case 'string':
          out.string(v === null || v === undefined ? '' : String(v));
          break;
        case 'uuid':
          uuid(out, v as string);
          break;
        case 'datetime64':
          out.buf.writeBigInt64LE(v as bigint, out.pos);
          out.pos += 8;
          break;
        case 'uint64':
          uint64(out, v === null ? 0 : (v as number | bigint));
          break;
        case 'uint32':
          out.buf.writeUInt32LE(v === null ? 0 : (v as number), out.pos);
          out.pos += 4;
          break;
        case 'int32':
          out.buf.writeInt32LE(v === null ? 0 : (v as number), out.pos);
          out.pos += 4;
          break;
        case 'uint16':
          out.buf.writeUInt16LE(v === null ? 0 : (v as number), out.pos);
          out.pos += 2;
          break;
      }
    }
  }
  return out.buf.subarray(0, out.pos);
}
