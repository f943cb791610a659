/**
 * @module capture/pcap/capture-builder
 * Test fixtures: builds packets (link layers, IPv4/IPv6 with extension headers, TCP, UDP) and
 * whole pcap/pcapng files byte by byte, so tests can write captures that no tool would produce
 * and check them against tshark reading the same bytes.
 */
import { concatBytes as concat } from '../../util/bytes.ts';

export { concat };

/** Appends integers and bytes in a chosen byte order. */
export class ByteWriter {
  private parts: number[] = [];
  constructor(private readonly littleEndian = false) {}

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.littleEndian ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }

  u32(v: number): this {
    return this.littleEndian ? this.u16(v).u16(v >>> 16) : this.u16(v >>> 16).u16(v);
  }

  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.littleEndian ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }

  bytes(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x & 0xff);
    return this;
  }

  /** Zero bytes up to a multiple of 4. */
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}


export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

// --- addresses ---------------------------------------------------------------------------------

export function ipv4Bytes(addr: string): Uint8Array {
  return Uint8Array.from(addr.split('.').map(Number));
}

/** Full or "::"-compressed IPv6 text (no dotted tail) to 16 bytes. */
export function ipv6Bytes(addr: string): Uint8Array {
  const [head, tail] = addr.includes('::') ? addr.split('::') as [string, string] : [addr, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const w = new ByteWriter();
  for (const g of groups) w.u16(parseInt(g, 16));
  return w.build();
}

// --- transport ---------------------------------------------------------------------------------

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpSpec {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  payload?: Uint8Array;
  /** Extra option bytes (a multiple of 4). */
  options?: Uint8Array;
}

/** A TCP header and payload; the checksum is left zero (tshark does not verify it by default). */
export function tcp(s: TcpSpec): Uint8Array {
  const options = s.options ?? new Uint8Array(0);
  const w = new ByteWriter()
    .u16(s.sport).u16(s.dport).u32(s.seq >>> 0).u32((s.ack ?? 0) >>> 0)
    .u8(((20 + options.length) / 4) << 4).u8(s.flags).u16(65535).u16(0).u16(0)
    .bytes(options);
  return concat(w.build(), s.payload ?? new Uint8Array(0));
}

export function udp(sport: number, dport: number, payload: Uint8Array, lengthField?: number): Uint8Array {
  const w = new ByteWriter().u16(sport).u16(dport).u16(lengthField ?? 8 + payload.length).u16(0);
  return concat(w.build(), payload);
}

// --- network -----------------------------------------------------------------------------------

export interface Ipv4Spec {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  /** Fragment offset in 8-byte units, and the more-fragments flag. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Overrides the total length field (to describe bytes a snap length cut). */
  totalLength?: number;
  id?: number;
}

export function ipv4(s: Ipv4Spec): Uint8Array {
  const flagsFrag = (s.moreFragments ? 0x2000 : 0) | (s.fragmentOffset ?? 0) | (!s.moreFragments && !s.fragmentOffset ? 0x4000 : 0);
  const header = new ByteWriter()
    .u8(0x45).u8(0).u16(s.totalLength ?? 20 + s.payload.length).u16(s.id ?? 1).u16(flagsFrag)
    .u8(64).u8(s.protocol).u16(0).bytes(ipv4Bytes(s.src)).bytes(ipv4Bytes(s.dst))
    .build();
  // A correct header checksum, so tshark shows nothing unusual.
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  header[10] = checksum >>> 8;
  header[11] = checksum & 0xff;
  return concat(header, s.payload);
}

export interface Ipv6Extension {
  /** 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options. */
  type: number;
  /** Fragment header only. */
  fragmentOffset?: number;
  moreFragments?: boolean;
}

export function ipv6(src: string, dst: string, protocol: number, payload: Uint8Array, extensions: Ipv6Extension[] = []): Uint8Array {
  const ext = new ByteWriter();
  extensions.forEach((e, i) => {
    const next = extensions[i + 1]?.type ?? protocol;
    if (e.type === 44) {
      ext.u8(next).u8(0).u16(((e.fragmentOffset ?? 0) << 3) | (e.moreFragments ? 1 : 0)).u32(0x1234);
    } else if (e.type === 43) {
      // Type 0 routing header with no addresses left: 8 bytes.
      ext.u8(next).u8(0).u8(0).u8(0).u32(0);
    } else {
      // Hop-by-hop / destination options: 8 bytes, one PadN option of 4 bytes.
      ext.u8(next).u8(0).u8(1).u8(4).u32(0);
    }
  });
  const extBytes = ext.build();
  const header = new ByteWriter()
    .u32(0x60000000).u16(extBytes.length + payload.length).u8(extensions[0]?.type ?? protocol).u8(64)
    .bytes(ipv6Bytes(src)).bytes(ipv6Bytes(dst))
    .build();
  return concat(header, extBytes, payload);
}

// --- link layers -------------------------------------------------------------------------------

export function ethernet(etherType: number, payload: Uint8Array, vlanTags: { tpid: number; vid: number }[] = []): Uint8Array {
  const w = new ByteWriter().bytes([2, 0, 0, 0, 0, 2]).bytes([2, 0, 0, 0, 0, 1]);
  for (const tag of vlanTags) w.u16(tag.tpid).u16(tag.vid);
  w.u16(etherType);
  return concat(w.build(), payload);
}

export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter().u16(0).u16(1).u16(6).bytes([2, 0, 0, 0, 0, 1, 0, 0]).u16(protocol);
  return concat(w.build(), payload);
}

export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter().u16(protocol).u16(0).u32(1).u16(1).u8(0).u8(6).bytes([2, 0, 0, 0, 0, 1, 0, 0]);
  return concat(w.build(), payload);
}

/** BSD loopback header: the address family as a 32-bit value in the given byte order. */
export function nullHeader(family: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  return concat(new ByteWriter(littleEndian).u32(family).build(), payload);
}

// --- files -------------------------------------------------------------------------------------

export interface PacketSpec {
  /** Nanoseconds since the epoch. */
  time: bigint;
  data: Uint8Array;
  /** Wire length; defaults to data.length. */
  originalLength?: number;
  /** pcapng interface. */
  interfaceId?: number;
}

export interface PcapSpec {
  linkType: number;
  littleEndian?: boolean;
  nanosecond?: boolean;
  snapLen?: number;
}

export function pcapFile(spec: PcapSpec, packets: PacketSpec[]): Uint8Array {
  const w = new ByteWriter(spec.littleEndian ?? true)
    .u32(spec.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0)
    .u32(spec.snapLen ?? 262144).u32(spec.linkType);
  for (const p of packets) {
    const sec = Number(p.time / 1_000_000_000n);
    const ns = Number(p.time % 1_000_000_000n);
    w.u32(sec).u32(spec.nanosecond ? ns : Math.floor(ns / 1000)).u32(p.data.length).u32(p.originalLength ?? p.data.length).bytes(p.data);
  }
  return w.build();
}

export interface PcapngInterface {
  linkType: number;
  snapLen?: number;
  /** Raw if_tsresol byte; omitted means microseconds. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
}

export type PcapngBlock =
  | { type: 'section'; littleEndian: boolean }
  | { type: 'interface'; iface: PcapngInterface }
  | { type: 'epb'; packet: PacketSpec }
  | { type: 'spb'; data: Uint8Array; originalLength?: number }
  | { type: 'other'; blockType: number; body: Uint8Array };

/**
 * A pcapng file from a list of blocks; the byte order follows the last section header. EPB
 * timestamps are written in the units of their interface's if_tsresol.
 */
export function pcapngFile(blocks: PcapngBlock[]): Uint8Array {
  const out: Uint8Array[] = [];
  let le = true;
  let interfaces: PcapngInterface[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const w = new ByteWriter(le).u32(type).u32(12 + body.length + ((4 - (body.length % 4)) % 4));
    w.bytes(body).pad4();
    w.u32(w.length + 4);
    out.push(w.build());
  };
  for (const b of blocks) {
    if (b.type === 'section') {
      le = b.littleEndian;
      interfaces = [];
      block(0x0a0d0d0a, new ByteWriter(le).u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn).build());
    } else if (b.type === 'interface') {
      interfaces.push(b.iface);
      const w = new ByteWriter(le).u16(b.iface.linkType).u16(0).u32(b.iface.snapLen ?? 0);
      if (b.iface.tsresol !== undefined) w.u16(9).u16(1).u8(b.iface.tsresol).pad4();
      if (b.iface.tsoffset !== undefined) w.u16(14).u16(8).u64(b.iface.tsoffset);
      w.u16(0).u16(0);
      block(1, w.build());
    } else if (b.type === 'epb') {
      const ifId = b.packet.interfaceId ?? 0;
      const units = unitsOf(interfaces[ifId]!);
      const ts = (b.packet.time - (interfaces[ifId]!.tsoffset ?? 0n) * 1_000_000_000n) * units / 1_000_000_000n;
      const w = new ByteWriter(le).u32(ifId).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
        .u32(b.packet.data.length).u32(b.packet.originalLength ?? b.packet.data.length).bytes(b.packet.data).pad4();
      block(6, w.build());
    } else if (b.type === 'spb') {
      block(3, new ByteWriter(le).u32(b.originalLength ?? b.data.length).bytes(b.data).pad4().build());
    } else {
      block(b.blockType, b.body);
    }
  }
  return concat(...out);
}

function unitsOf(iface: PcapngInterface): bigint {
  const r = iface.tsresol ?? 6;
  return r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
}
