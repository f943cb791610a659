/**
 * @module capture/pcap/reader
 * Streams the packet records out of one pcap or pcapng file, chunk by chunk, without copying
 * packet bytes: each record is handed over as an offset into the chunk it was read into.
 *
 * Formats: pcap in both byte orders with micro- or nanosecond timestamps, and the "modified"
 * (Kuznetzov) pcap variant; pcapng with any number of sections (each with its own byte order) and
 * interfaces (each with its own link type, if_tsresol and if_tsoffset), reading Enhanced, Simple
 * and the obsolete Packet blocks and skipping every other block.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CaptureError } from './errors.ts';
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES_TEXT } from './link-types.ts';

/**
 * One packet record. The reader reuses a single instance for every record: read the fields in the
 * callback and do not keep the object. `buf` is never overwritten, so views into it stay valid.
 */
export interface PacketRecord {
  linkType: number;
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  /** The chunk holding the packet; the packet is buf[offset, offset + capturedLength). */
  buf: Uint8Array;
  /** A DataView over the whole of `buf`. */
  view: DataView;
  offset: number;
  capturedLength: number;
  /** Length of the packet on the wire; >= capturedLength for well-formed files. */
  originalLength: number;
  /** pcapng interface index; 0 for pcap. */
  interfaceId: number;
}

export type PacketHandler = (packet: PacketRecord) => void;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface ReadSummary {
  format: CaptureFormat;
  /** Packet records read, whatever their link type. */
  packets: number;
  /** Records whose link type is not decoded (pcapng interfaces of an unsupported type). */
  unsupportedLinkTypePackets: number;
}

export interface ReadOptions {
  /** Bytes read per chunk. Default 2 MiB. */
  chunkSize?: number;
  /** Awaited after each chunk is parsed: lets a slow consumer pause the reader (backpressure). */
  betweenChunks?: () => Promise<void> | void;
}

const DEFAULT_CHUNK = 2 * 1024 * 1024;
/** A record or block claiming more than this is corrupt: no link layer carries packets this big. */
const MAX_RECORD = 64 * 1024 * 1024;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** What a format parser reports when it stops before the end of the data it was given. */
type Stop =
  | { kind: 'more'; need: number }
  | { kind: 'error'; code: 'malformed' | 'unsupported-link-type'; message: string };

interface FormatParser {
  readonly format: CaptureFormat;
  /**
   * Parse whole records from buf[start, end). Returns the offset after the last whole record;
   * `stop` says why it stopped before `end`.
   */
  parse(buf: Uint8Array, view: DataView, start: number, end: number, fileOffset: number): number;
  stop: Stop | null;
  /** Called at the end of input: an error to raise about the file as a whole, if any. */
  finish(): Stop | null;
  packets: number;
  unsupportedLinkTypePackets: number;
}

/**
 * Reads every packet record of `path`, calling `onPacket` for each, in file order.
 * Rejects with a CaptureError (not found, unreadable, not a capture, truncated, malformed,
 * unsupported link type); for truncated and malformed files every packet before the damage has
 * been delivered first.
 */
export async function readCaptureFile(path: string, onPacket: PacketHandler, options: ReadOptions = {}): Promise<ReadSummary> {
  const chunkSize = Math.max(64, options.chunkSize ?? DEFAULT_CHUNK);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  try {
    return await readFrom(handle, path, onPacket, chunkSize, options.betweenChunks);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readFrom(
  handle: FileHandle, path: string, onPacket: PacketHandler, chunkSize: number,
  betweenChunks: (() => Promise<void> | void) | undefined,
): Promise<ReadSummary> {
  let buf = new Uint8Array(0);
  let start = 0;
  let end = 0;
  /** File offset of buf[0]. */
  let base = 0;
  let eof = false;

  /** Ensure at least `need` unparsed bytes in buf, keeping the unparsed tail; false at end of file. */
  const fill = async (need: number): Promise<boolean> => {
    while (end - start < need && !eof) {
      const keep = end - start;
      const size = Math.max(chunkSize, need);
      // A fresh buffer each time: records already handed out keep pointing at valid bytes.
      const next = new Uint8Array(size);
      next.set(buf.subarray(start, end), 0);
      base += start;
      buf = next;
      start = 0;
      end = keep;
      let read: number;
      try {
        ({ bytesRead: read } = await handle.read(buf, end, size - end, null));
      } catch (err) {
        throw new CaptureError('unreadable', path, `cannot read at byte ${base + end}: ${(err as Error).message}`, base + end, { cause: err });
      }
      if (read === 0) eof = true;
      end += read;
    }
    return end - start >= need;
  };

  if (!(await fill(4))) {
    if (end - start === 0) throw new CaptureError('not-a-capture', path, 'is empty, not a pcap or pcapng file');
    throw notACapture(path, buf.subarray(start, end));
  }
  const magicView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const parser = createParser(path, magicView.getUint32(start, false), buf.subarray(start, end), onPacket);

  let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let viewOf = buf;
  let need = 1;
  for (;;) {
    if (!(await fill(need))) break;
    if (viewOf !== buf) {
      view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      viewOf = buf;
    }
    start = parser.parse(buf, view, start, end, base);
    const stop = parser.stop;
    if (stop?.kind === 'error') {
      throw new CaptureError(stop.code, path, `${stop.message} (the ${parser.packets} packets before it were read)`, base + start);
    }
    need = stop ? stop.need : 1;
    if (betweenChunks) await betweenChunks();
    if (need > MAX_RECORD) {
      throw new CaptureError('malformed', path, `record at byte ${base + start} claims ${need} bytes, which cannot be right: the file is corrupt from there on (the ${parser.packets} packets before it were read)`, base + start);
    }
  }
  if (end > start) {
    throw new CaptureError(
      'truncated', path,
      `truncated at byte ${base + start}: the file ends ${end - start} bytes into a ${parser.format} record or header of at least ${need} bytes ` +
        `(the ${parser.packets} packets before it were read; a capture that was still being written, or cut short)`,
      base + start,
    );
  }
  const final = parser.finish();
  if (final?.kind === 'error') throw new CaptureError(final.code, path, final.message);
  return { format: parser.format, packets: parser.packets, unsupportedLinkTypePackets: parser.unsupportedLinkTypePackets };
}

function openError(path: string, err: unknown): CaptureError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CaptureError('not-found', path, 'no such file (check the path)', null, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') {
    return new CaptureError('unreadable', path, 'permission denied (captures written by tcpdump/dumpcap as root may need chmod or sudo)', null, { cause: err });
  }
  if (code === 'EISDIR') return new CaptureError('unreadable', path, 'is a directory, not a capture file', null, { cause: err });
  return new CaptureError('unreadable', path, `cannot open: ${(err as Error).message}`, null, { cause: err });
}

function notACapture(path: string, first: Uint8Array): CaptureError {
  const bytes = first.subarray(0, 4);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return new CaptureError(
    'not-a-capture', path,
    `not a pcap or pcapng file: it starts with ${hex} ("${text}"), not a pcap magic (a1b2c3d4, a1b23c4d, either byte order) ` +
      'or a pcapng section header (0a0d0d0a). Convert other formats with `editcap -F pcapng in out`',
  );
}

function createParser(path: string, magicBE: number, first: Uint8Array, onPacket: PacketHandler): FormatParser {
  if (magicBE === PCAPNG_SHB) return new PcapngParser(onPacket);
  const swapped = swap32(magicBE);
  for (const [magic, littleEndian] of [[magicBE, false], [swapped, true]] as const) {
    if (magic === PCAP_MAGIC_US) return new PcapParser(onPacket, littleEndian, false, false);
    if (magic === PCAP_MAGIC_NS) return new PcapParser(onPacket, littleEndian, true, false);
    if (magic === PCAP_MAGIC_MODIFIED) return new PcapParser(onPacket, littleEndian, false, true);
  }
  throw notACapture(path, first);
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

class PcapParser implements FormatParser {
  readonly format = 'pcap' as const;
  stop: Stop | null = null;
  packets = 0;
  unsupportedLinkTypePackets = 0;
  private headerDone = false;
  private linkType = 0;
  private readonly recordHeader: number;
  private readonly record: PacketRecord;

  constructor(
    private readonly onPacket: PacketHandler,
    private readonly le: boolean,
    private readonly nano: boolean,
    modified: boolean,
  ) {
    // The modified format appends ifindex (4), protocol (2), pkt_type (1) and padding (1).
    this.recordHeader = modified ? 24 : 16;
    this.record = {
      linkType: 0, time: 0n, buf: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)),
      offset: 0, capturedLength: 0, originalLength: 0, interfaceId: 0,
    };
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number): number {
    const le = this.le;
    let pos = start;
    this.stop = null;
    if (!this.headerDone) {
      if (end - pos < 24) return this.more(24, pos);
      // The link type is the low 16 bits; the high bits may carry FCS information.
      this.linkType = view.getUint32(pos + 20, le) & 0xffff;
      if (!isSupportedLinkType(this.linkType)) {
        this.stop = {
          kind: 'error', code: 'unsupported-link-type',
          message: `unsupported link type ${linkTypeName(this.linkType)}: flowscope decodes ${SUPPORTED_LINK_TYPES_TEXT}`,
        };
        return pos;
      }
      this.headerDone = true;
      pos += 24;
    }
    const rec = this.record;
    rec.buf = buf;
    rec.view = view;
    rec.linkType = this.linkType;
    const hdr = this.recordHeader;
    const onPacket = this.onPacket;
    while (end - pos >= hdr) {
      const capLen = view.getUint32(pos + 8, le);
      if (end - pos - hdr < capLen) return this.more(hdr + capLen, pos);
      const sec = view.getUint32(pos, le);
      const frac = view.getUint32(pos + 4, le);
      // sec * 1e6 + usec stays below 2^53, so one BigInt conversion suffices for microseconds.
      rec.time = this.nano ? BigInt(sec) * 1_000_000_000n + BigInt(frac) : BigInt(sec * 1_000_000 + frac) * 1000n;
      rec.originalLength = view.getUint32(pos + 12, le);
      rec.offset = pos + hdr;
      rec.capturedLength = capLen;
      this.packets++;
      onPacket(rec);
      pos += hdr + capLen;
    }
    return this.more(hdr, pos);
  }

  finish(): Stop | null {
    return null;
  }

  private more(need: number, pos: number): number {
    this.stop = { kind: 'more', need };
    return pos;
  }
}

interface Interface {
  linkType: number;
  supported: boolean;
  snapLen: number;
  /** Timestamp units per second is 10^exp or 2^exp; nanoseconds = ts * mul / div. */
  mul: bigint;
  div: bigint;
  /** if_tsoffset, in nanoseconds. */
  offsetNs: bigint;
}

class PcapngParser implements FormatParser {
  readonly format = 'pcapng' as const;
  stop: Stop | null = null;
  packets = 0;
  unsupportedLinkTypePackets = 0;
  private supportedPackets = 0;
  private firstUnsupported = -1;
  private le = true;
  private inSection = false;
  private interfaces: Interface[] = [];
  private lastTime = 0n;
  private readonly record: PacketRecord;

  constructor(private readonly onPacket: PacketHandler) {
    this.record = {
      linkType: 0, time: 0n, buf: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)),
      offset: 0, capturedLength: 0, originalLength: 0, interfaceId: 0,
    };
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, fileOffset: number): number {
    let pos = start;
    this.stop = null;
    const rec = this.record;
    rec.buf = buf;
    rec.view = view;
    while (end - pos >= 12) {
      const typeBE = view.getUint32(pos, false);
      if (typeBE === PCAPNG_SHB) {
        const bom = view.getUint32(pos + 8, false);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.le = false;
        else if (bom === swap32(PCAPNG_BYTE_ORDER_MAGIC)) this.le = true;
        else return this.error('malformed', `section header at byte ${fileOffset + pos} has byte-order magic ${bom.toString(16).padStart(8, '0')}, not 1a2b3c4d: the file is corrupt`, pos);
      } else if (!this.inSection) {
        return this.error('malformed', `byte ${fileOffset + pos} should start a pcapng section header block but holds block type ${typeBE.toString(16)}`, pos);
      }
      const le = this.le;
      const type = view.getUint32(pos, le);
      const total = view.getUint32(pos + 4, le);
      if (total < 12 || total % 4 !== 0) {
        return this.error('malformed', `block at byte ${fileOffset + pos} has length ${total}, which is not a multiple of 4 of at least 12: the file is corrupt from there on`, pos);
      }
      if (end - pos < total) return this.more(total, pos);
      if (view.getUint32(pos + total - 4, le) !== total) {
        return this.error('malformed', `block at byte ${fileOffset + pos} has different leading and trailing lengths: the file is corrupt from there on`, pos);
      }
      switch (type) {
        case PCAPNG_SHB:
          this.inSection = true;
          this.interfaces = [];
          break;
        case BLOCK_IDB:
          this.interfaceBlock(view, pos, total);
          break;
        case BLOCK_EPB:
        case BLOCK_PB: {
          if (total < 32) return this.error('malformed', `packet block at byte ${fileOffset + pos} is too short (${total} bytes)`, pos);
          const enhanced = type === BLOCK_EPB;
          const ifId = enhanced ? view.getUint32(pos + 8, le) : view.getUint16(pos + 8, le);
          const capLen = view.getUint32(pos + 20, le);
          if (capLen > total - 32) {
            return this.error('malformed', `packet block at byte ${fileOffset + pos} claims ${capLen} captured bytes in a block of ${total}`, pos);
          }
          const iface = this.interfaces[ifId];
          if (!iface) {
            return this.error('malformed', `packet block at byte ${fileOffset + pos} refers to interface ${ifId}, but the section describes ${this.interfaces.length}`, pos);
          }
          const ts = (BigInt(view.getUint32(pos + 12, le)) << 32n) | BigInt(view.getUint32(pos + 16, le));
          const time = (iface.mul === 1n && iface.div === 1n ? ts : (ts * iface.mul) / iface.div) + iface.offsetNs;
          this.lastTime = time;
          this.deliver(iface, ifId, time, pos + 28, capLen, view.getUint32(pos + 24, le));
          break;
        }
        case BLOCK_SPB: {
          if (total < 16) return this.error('malformed', `simple packet block at byte ${fileOffset + pos} is too short (${total} bytes)`, pos);
          const iface = this.interfaces[0];
          if (!iface) return this.error('malformed', `simple packet block at byte ${fileOffset + pos} comes before any interface description`, pos);
          const origLen = view.getUint32(pos + 8, le);
          let capLen = Math.min(origLen, total - 16);
          if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
          // Simple packet blocks carry no timestamp: they get the previous packet's time.
          this.deliver(iface, 0, this.lastTime, pos + 12, capLen, origLen);
          break;
        }
        default:
          break;
      }
      pos += total;
    }
    return this.more(12, pos);
  }

  finish(): Stop | null {
    if (this.supportedPackets === 0 && this.unsupportedLinkTypePackets > 0) {
      return {
        kind: 'error', code: 'unsupported-link-type',
        message: `all ${this.unsupportedLinkTypePackets} packets use unsupported link type ${linkTypeName(this.firstUnsupported)}: flowscope decodes ${SUPPORTED_LINK_TYPES_TEXT}`,
      };
    }
    return null;
  }

  private deliver(iface: Interface, ifId: number, time: bigint, offset: number, capLen: number, origLen: number): void {
    this.packets++;
    if (!iface.supported) {
      // One interface of an unsupported type does not stop the others: its packets are counted.
      this.unsupportedLinkTypePackets++;
      if (this.firstUnsupported < 0) this.firstUnsupported = iface.linkType;
      return;
    }
    this.supportedPackets++;
    const rec = this.record;
    rec.linkType = iface.linkType;
    rec.interfaceId = ifId;
    rec.time = time;
    rec.offset = offset;
    rec.capturedLength = capLen;
    rec.originalLength = origLen;
    this.onPacket(rec);
  }

  private interfaceBlock(view: DataView, pos: number, total: number): void {
    const le = this.le;
    const iface: Interface = { linkType: 0xffff, supported: false, snapLen: 0, mul: 1000n, div: 1n, offsetNs: 0n };
    if (total >= 20) {
      iface.linkType = view.getUint16(pos + 8, le);
      iface.supported = isSupportedLinkType(iface.linkType);
      iface.snapLen = view.getUint32(pos + 12, le);
      // Options run from byte 16 to the trailing length; malformed options end the walk.
      let o = pos + 16;
      const optEnd = pos + total - 4;
      while (o + 4 <= optEnd) {
        const code = view.getUint16(o, le);
        const len = view.getUint16(o + 2, le);
        if (code === OPT_END || o + 4 + len > optEnd) break;
        if (code === OPT_IF_TSRESOL && len >= 1) {
          const r = view.getUint8(o + 4);
          const exp = BigInt(r & 0x7f);
          const unitsPerSecond = r & 0x80 ? 1n << exp : 10n ** exp;
          const g = gcd(1_000_000_000n, unitsPerSecond);
          iface.mul = 1_000_000_000n / g;
          iface.div = unitsPerSecond / g;
        } else if (code === OPT_IF_TSOFFSET && len >= 8) {
          iface.offsetNs = view.getBigInt64(o + 4, le) * 1_000_000_000n;
        }
        o += 4 + ((len + 3) & ~3);
      }
    }
    this.interfaces.push(iface);
  }

  private error(code: 'malformed', message: string, pos: number): number {
    this.stop = { kind: 'error', code, message };
    return pos;
  }

  private more(need: number, pos: number): number {
    this.stop = { kind: 'more', need };
    return pos;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
