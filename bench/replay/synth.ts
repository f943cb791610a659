/**
 * @module bench/replay/synth
 * Writes large synthetic pcap files of realistic HTTP/1.1, DNS and Redis traffic for the replay
 * benchmark: Ethernet + IPv4 + TCP/UDP with correct sequence numbers, handshakes and FINs, so the
 * capture reader, reassembler and parsers all do their real work.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

const SNAPLEN = 65535;

/** Buffered pcap writer (little-endian, microsecond timestamps, Ethernet). */
export class PcapWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  private at = 0;
  packets = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(SNAPLEN, 16);
    h.writeUInt32LE(1, 20);
    writeSync(this.fd, h);
  }

  /** Appends one Ethernet/IPv4 packet carrying a TCP or UDP segment. */
  packet(timeUs: number, l4: 'tcp' | 'udp', src: Addr, dst: Addr, payload: Buffer, tcp?: TcpFields): void {
    const l4len = l4 === 'tcp' ? 20 : 8;
    const ipLen = 20 + l4len + payload.length;
    const frameLen = 14 + ipLen;
    if (this.at + 16 + frameLen > this.buf.length) this.drain();
    const b = this.buf;
    let o = this.at;
    b.writeUInt32LE(Math.floor(timeUs / 1e6), o);
    b.writeUInt32LE(timeUs % 1e6, o + 4);
    b.writeUInt32LE(frameLen, o + 8);
    b.writeUInt32LE(frameLen, o + 12);
    o += 16;
    // Ethernet
    b.fill(0x02, o, o + 12);
    b.writeUInt16BE(0x0800, o + 12);
    o += 14;
    // IPv4
    b[o] = 0x45;
    b[o + 1] = 0;
    b.writeUInt16BE(ipLen, o + 2);
    b.writeUInt32BE(0x40000000, o + 4);
    b[o + 8] = 64;
    b[o + 9] = l4 === 'tcp' ? 6 : 17;
    b.writeUInt16BE(0, o + 10);
    b.writeUInt32BE(src.ip, o + 12);
    b.writeUInt32BE(dst.ip, o + 16);
    o += 20;
    b.writeUInt16BE(src.port, o);
    b.writeUInt16BE(dst.port, o + 2);
    if (l4 === 'tcp') {
      b.writeUInt32BE(tcp!.seq >>> 0, o + 4);
      b.writeUInt32BE(tcp!.ack >>> 0, o + 8);
      b[o + 12] = 0x50;
      b[o + 13] = tcp!.flags;
      b.writeUInt16BE(65535, o + 14);
      b.writeUInt32BE(0, o + 16);
      o += 20;
    } else {
      b.writeUInt16BE(8 + payload.length, o + 4);
      b.writeUInt16BE(0, o + 6);
      o += 8;
    }
    payload.copy(b, o);
    this.at = o + payload.length;
    this.packets++;
  }

  close(): void {
    this.drain();
    closeSync(this.fd);
  }

  private drain(): void {
    writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
}

export interface Addr {
  ip: number;
  port: number;
}

export interface TcpFields {
  seq: number;
  ack: number;
  flags: number;
}

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;

/** A TCP connection writer: handshake, data both ways with the right sequence numbers, FIN. */
export class TcpConversation {
  private cseq = 1000;
  private sseq = 900000;

  constructor(private readonly w: PcapWriter, private readonly client: Addr, private readonly server: Addr, public t: number) {
    w.packet(t, 'tcp', client, server, EMPTY, { seq: this.cseq - 1, ack: 0, flags: SYN });
    w.packet(t + 10, 'tcp', server, client, EMPTY, { seq: this.sseq - 1, ack: this.cseq, flags: SYN | ACK });
    w.packet(t + 20, 'tcp', client, server, EMPTY, { seq: this.cseq, ack: this.sseq, flags: ACK });
    this.t = t + 30;
  }

  request(payload: Buffer): void {
    this.w.packet(this.t, 'tcp', this.client, this.server, payload, { seq: this.cseq, ack: this.sseq, flags: PSH | ACK });
    this.cseq += payload.length;
    this.t += 50;
  }

  response(payload: Buffer): void {
    this.w.packet(this.t, 'tcp', this.server, this.client, payload, { seq: this.sseq, ack: this.cseq, flags: PSH | ACK });
    this.sseq += payload.length;
    this.t += 20;
  }

  close(): void {
    this.w.packet(this.t, 'tcp', this.client, this.server, EMPTY, { seq: this.cseq, ack: this.sseq, flags: FIN | ACK });
    this.w.packet(this.t + 10, 'tcp', this.server, this.client, EMPTY, { seq: this.sseq, ack: this.cseq + 1, flags: FIN | ACK });
    this.w.packet(this.t + 20, 'tcp', this.client, this.server, EMPTY, { seq: this.cseq + 1, ack: this.sseq + 1, flags: ACK });
  }
}

const EMPTY = Buffer.alloc(0);
const BASE_US = 1_700_000_000_000_000;

export interface SynthResult {
  path: string;
  requests: number;
  packets: number;
}

/** HTTP/1.1: `connections` keep-alive connections, `perConnection` requests each, ~1 in 20 a 404. */
export function writeHttp(path: string, connections: number, perConnection: number): SynthResult {
  const w = new PcapWriter(path);
  const body = Buffer.from('{"items":[1,2,3,4,5],"next":null,"ok":true}');
  const ok = Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 10:00:00 GMT\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`);
  const missing = Buffer.from(
    'HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found');
  let requests = 0;
  for (let c = 0; c < connections; c++) {
    const client = { ip: 0x0a000000 + (c % 250) + 1, port: 10000 + (c % 50000) };
    const server = { ip: 0x0a0001fe, port: 8080 };
    const conv = new TcpConversation(w, client, server, BASE_US + c * 1000);
    for (let i = 0; i < perConnection; i++) {
      const id = requests++;
      conv.request(Buffer.from(
        `GET /api/v1/items/${id % 997}?page=${i} HTTP/1.1\r\nHost: shop.internal:8080\r\nUser-Agent: wrk/4.2\r\n` +
        `Accept: */*\r\ntraceparent: 00-${id.toString(16).padStart(32, '0')}-00f067aa0ba902b7-01\r\n\r\n`));
      conv.response(id % 20 === 0 ? missing : ok);
    }
    conv.close();
  }
  w.close();
  return { path, requests, packets: w.packets };
}

/** Redis: SET/GET pairs on keep-alive connections, some pipelined in batches of 10. */
export function writeRedis(path: string, connections: number, perConnection: number): SynthResult {
  const w = new PcapWriter(path);
  let requests = 0;
  for (let c = 0; c < connections; c++) {
    const conv = new TcpConversation(w, { ip: 0x0a000100 + (c % 250) + 1, port: 20000 + (c % 40000) }, { ip: 0x0a0001fd, port: 6379 }, BASE_US + c * 1000);
    for (let i = 0; i < perConnection; i += 2) {
      const key = `user:${(requests * 7919) % 100000}`;
      const value = 'x'.repeat(32);
      conv.request(Buffer.from(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`));
      conv.response(Buffer.from('+OK\r\n'));
      conv.request(Buffer.from(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`));
      conv.response(Buffer.from(`$${value.length}\r\n${value}\r\n`));
      requests += 2;
    }
    conv.close();
  }
  w.close();
  return { path, requests, packets: w.packets };
}

/** DNS over UDP: A and AAAA queries from many client ports, answered (1 in 10 NXDOMAIN). */
export function writeDns(path: string, queries: number): SynthResult {
  const w = new PcapWriter(path);
  const server = { ip: 0x0a0001fc, port: 53 };
  for (let q = 0; q < queries; q++) {
    const client = { ip: 0x0a000200 + (q % 250) + 1, port: 30000 + (q % 30000) };
    const name = `svc${q % 5000}.default.svc.cluster.local`;
    const id = q & 0xffff;
    const qtype = q % 2 === 0 ? 1 : 28;
    const question = encodeQuestion(name, qtype);
    const query = Buffer.concat([header(id, 0x0100, 1, 0), question]);
    const nx = q % 10 === 0;
    const answer = nx ? Buffer.alloc(0) : qtype === 1
      ? Buffer.concat([Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4]), Buffer.from([10, 96, (q >> 8) & 255, q & 255])])
      : Buffer.concat([Buffer.from([0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16]), Buffer.alloc(16, 0xfd)]);
    const response = Buffer.concat([header(id, nx ? 0x8183 : 0x8180, 1, nx ? 0 : 1), question, answer]);
    const t = BASE_US + q * 100;
    w.packet(t, 'udp', client, server, query);
    w.packet(t + 40, 'udp', server, client, response);
  }
  w.close();
  return { path, requests: queries, packets: w.packets };
}

function header(id: number, flags: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

function encodeQuestion(name: string, qtype: number): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.')) parts.push(Buffer.from([label.length]), Buffer.from(label));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 255, 0, 1]));
  return Buffer.concat(parts);
}
