/**
 * @module capture/pcap/flows
 * Turns decoded TCP segments and UDP datagrams into connection-stream events: one reassembler per
 * TCP direction (in-order delivery, bounded out-of-order buffer, retransmissions and overlaps
 * trimmed, gaps reported with their size) and one flow per UDP 5-tuple.
 *
 * How gaps are found: a missing segment is declared lost (a `gap` event of its exact size) as soon
 * as the other side acknowledges bytes past it (it was delivered, the capture just did not see it),
 * when the out-of-order buffer of that direction overflows, when the segment waited longer than
 * `outOfOrderTimeoutNs` of capture time, or when the connection closes. Data after the gap then
 * continues in order.
 *
 * Not safe for concurrent use; one tracker per replay. Bytes in `data` events are views into the
 * reader's chunks (never overwritten); buffered out-of-order segments are copied.
 */
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from '../../streams/events.ts';
import type { ConnectionClosed, Direction, StreamEventSink } from '../../streams/events.ts';
import type { Counters } from '../../util/counters.ts';
import { addressText, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';
import type { DecodedPacket } from './decode.ts';
import { FlowEntry, FlowIndex, sourceIsLow, tupleHash } from './flow-index.ts';

export interface FlowTrackerOptions {
  /** Out-of-order segments buffered per direction before the first hole is declared lost. Default 64. */
  maxOutOfOrderSegments?: number;
  /** Out-of-order bytes buffered per direction before the first hole is declared lost. Default 1 MiB. */
  maxOutOfOrderBytes?: number;
  /** A hole older than this (capture time) is declared lost. Default 1 s (above TCP's minimum RTO). */
  outOfOrderTimeoutNs?: bigint;
  /** TCP connections silent this long are closed with reason 'idle'. Default 5 min. */
  tcpIdleTimeoutNs?: bigint;
  /** UDP flows silent this long are closed with reason 'idle'. Default 30 s. */
  udpIdleTimeoutNs?: bigint;
  /** A closed TCP tuple is remembered this long, so late ACKs and retransmitted FINs do not open a new connection. Default 30 s. */
  closedRetentionNs?: bigint;
  /** TCP connections plus UDP flows tracked at once; the oldest is closed beyond it. Default 200 000. */
  maxFlows?: number;
}

const SWEEP_INTERVAL_NS = 1_000_000_000n;
/** An acknowledgment this far past the data seen is not trusted as proof of loss. */
const MAX_ACK_PROOF = 1 << 30;

/**
 * Ports whose side is taken for the server when the handshake was not seen. A port listed here
 * wins over a lower port that is not.
 */
const SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 22, 25, 53, 80, 110, 123, 143, 443, 1883, 2181, 3000, 3306, 4222, 5000, 5353, 5432, 5672, 6379,
  8000, 8080, 8443, 8888, 9000, 9092, 9200, 11211, 15353, 18080, 27017,
]);

interface Segment {
  seq: number;
  bytes: Uint8Array;
  length: number;
  fin: boolean;
  time: bigint;
}

class TcpSide {
  /** nextSeq is known: from the SYN, or from the first segment seen mid-stream. */
  started = false;
  synSeen = false;
  isn = 0;
  /** Sequence number of the next byte to deliver (uint32). */
  nextSeq = 0;
  /** The FIN was delivered: the direction is over. */
  finished = false;
  pending: Segment[] = [];
  pendingBytes = 0;
}

class TcpConnection extends FlowEntry {
  closed = false;
  closedAt = 0n;
  readonly sides: [TcpSide, TcpSide] = [new TcpSide(), new TcpSide()];
  constructor(
    readonly id: number,
    /** True when the client is the endpoint that sorts lower in the flow's tuple. */
    readonly clientIsLow: boolean,
    public lastTime: bigint,
  ) {
    super();
  }
}

class UdpFlow extends FlowEntry {
  constructor(readonly id: number, readonly clientIsLow: boolean, public lastTime: bigint) {
    super();
  }
}

export class FlowTracker {
  private readonly tcp = new FlowIndex<TcpConnection>();
  private readonly udp = new FlowIndex<UdpFlow>();
  private nextId = 1;
  private now = 0n;
  /** Capture time of the next sweep (compared, not subtracted: no bigint allocated per packet). */
  private nextSweep = SWEEP_INTERVAL_NS;
  private readonly maxSegments: number;
  private readonly maxBytes: number;
  private readonly oooTimeout: bigint;
  private readonly tcpIdle: bigint;
  private readonly udpIdle: bigint;
  private readonly retention: bigint;
  private readonly maxFlows: number;
  /** Of the current packet: whether its source sorts lower, and its tuple's hash. */
  private keyLowIsSrc = true;
  private keyHash = 0;

  constructor(
    private readonly sink: StreamEventSink,
    private readonly counters: Counters,
    options: FlowTrackerOptions = {},
  ) {
    this.maxSegments = options.maxOutOfOrderSegments ?? 64;
    this.maxBytes = options.maxOutOfOrderBytes ?? 1024 * 1024;
    this.oooTimeout = options.outOfOrderTimeoutNs ?? 1_000_000_000n;
    this.tcpIdle = options.tcpIdleTimeoutNs ?? 300_000_000_000n;
    this.udpIdle = options.udpIdleTimeoutNs ?? 30_000_000_000n;
    this.retention = options.closedRetentionNs ?? 30_000_000_000n;
    this.maxFlows = options.maxFlows ?? 200_000;
  }

  /** Connections and flows currently tracked, closed TCP tuples still remembered included. */
  get size(): number {
    return this.tcp.size + this.udp.size;
  }

  /** One decoded TCP or UDP packet; `buf` is the chunk `p`'s offsets point into. */
  packet(p: DecodedPacket, buf: Uint8Array, time: bigint): void {
    if (time > this.now) this.now = time;
    const srcLow = sourceIsLow(p);
    this.keyLowIsSrc = srcLow;
    this.keyHash = tupleHash(p, srcLow);
    if (p.protocol === PROTO_TCP) this.tcpPacket(p, buf, time);
    else this.udpPacket(p, buf, time);
    if (this.now >= this.nextSweep) this.sweep();
  }

  /** End of input: delivers what is buffered and closes every connection and flow ('end'). */
  finish(): void {
    for (let c = this.tcp.first; c; c = this.tcp.after(c)) {
      if (!c.closed) this.closeTcp(c, this.now, 'end');
    }
    this.tcp.clear();
    for (let f = this.udp.first; f; f = this.udp.after(f)) this.emitClose(f.id, this.now, 'end');
    this.udp.clear();
  }

  // --- TCP ------------------------------------------------------------------------------------

  private tcpPacket(p: DecodedPacket, buf: Uint8Array, time: bigint): void {
    const flags = p.flags;
    const fromLow = this.keyLowIsSrc;
    let c = this.tcp.find(p, fromLow, this.keyHash);

    if (flags & TCP_SYN) {
      const synAck = (flags & TCP_ACK) !== 0;
      if (c) {
        const dir = this.dirOf(c.clientIsLow, fromLow);
        const side = c.sides[dir];
        // The same SYN or SYN-ACK again, before any data: a retransmission of the handshake.
        const sameHandshake = side.synSeen && side.isn === p.seq && side.nextSeq === ((p.seq + 1) >>> 0);
        if (sameHandshake && !c.closed && dir === (synAck ? SERVER_TO_CLIENT : CLIENT_TO_SERVER)) {
          this.counters.add('capture.tcp_handshake_retransmissions');
          c.lastTime = time;
          return;
        }
        if (synAck && !c.closed && dir === SERVER_TO_CLIENT && !side.started) {
          side.started = side.synSeen = true;
          side.isn = p.seq;
          side.nextSeq = (p.seq + 1) >>> 0;
          c.lastTime = time;
          this.segment(c, dir, p, buf, (p.seq + 1) >>> 0, time);
          return;
        }
        if (synAck && !c.closed) {
          // A SYN-ACK that fits no known handshake (simultaneous open, or a confused peer).
          this.counters.add('capture.tcp_unexpected_syn');
          return;
        }
        // A new handshake on a known tuple: a new connection. The old one ended unseen if still open.
        if (!c.closed) {
          this.counters.add('capture.tcp_connections_superseded');
          this.closeTcp(c, time, 'end');
        }
        this.tcp.delete(c);
      }
      // The SYN sender is the client; for a SYN-ACK whose SYN was missed, the receiver is.
      const clientIsSrc = !synAck;
      c = this.openTcp(p, clientIsSrc ? fromLow : !fromLow, clientIsSrc, true, false, time);
      const own = c.sides[clientIsSrc ? CLIENT_TO_SERVER : SERVER_TO_CLIENT];
      own.started = own.synSeen = true;
      own.isn = p.seq;
      own.nextSeq = (p.seq + 1) >>> 0;
      if (synAck) {
        // The SYN-ACK acknowledges the client's ISN + 1: the client's stream starts there.
        const client = c.sides[CLIENT_TO_SERVER];
        client.started = client.synSeen = true;
        client.isn = (p.ack - 1) >>> 0;
        client.nextSeq = p.ack;
      }
      this.segment(c, clientIsSrc ? CLIENT_TO_SERVER : SERVER_TO_CLIENT, p, buf, (p.seq + 1) >>> 0, time);
      return;
    }

    if (!c || c.closed) {
      if (c) {
        // Late packets of a closed connection: the last ACK, a retransmitted FIN. Nothing to deliver.
        if (p.payloadLength > 0) this.counters.add('capture.tcp_data_after_close');
        return;
      }
      if (flags & TCP_RST || p.payloadLength === 0) {
        // Control packets of a connection that never carried data in the capture: nothing to open.
        this.counters.add('capture.tcp_packets_without_connection');
        return;
      }
      const serverIsDst = guessServerIsDst(p.srcPort, p.dstPort);
      c = this.openTcp(p, serverIsDst ? fromLow : !fromLow, serverIsDst, false, true, time);
    }
    c.lastTime = time;
    const dir = this.dirOf(c.clientIsLow, fromLow);
    const peer = (1 - dir) as Direction;
    if (flags & TCP_ACK) this.acknowledged(c, peer, p.ack, time);
    if (flags & TCP_RST) {
      this.closeTcp(c, time, 'rst');
      return;
    }
    if (p.payloadLength > 0 || flags & TCP_FIN) this.segment(c, dir, p, buf, p.seq, time);
    const side = c.sides[dir];
    const first = side.pending[0];
    if (first && time - first.time > this.oooTimeout) this.declareLost(c, dir, time, 'capture.tcp_out_of_order_timeouts');
  }

  private openTcp(
    p: DecodedPacket, clientIsLow: boolean, clientIsSrc: boolean, rolesKnown: boolean, midStream: boolean, time: bigint,
  ): TcpConnection {
    this.makeRoom();
    const c = new TcpConnection(this.nextId++, clientIsLow, time);
    this.tcp.insert(c, p, this.keyLowIsSrc, this.keyHash);
    this.counters.add(midStream ? 'capture.tcp_connections_mid_stream' : 'capture.tcp_connections');
    this.emitOpen(c.id, 'tcp', p, clientIsSrc, rolesKnown, midStream, time);
    return c;
  }

  /** A segment of `dir` whose payload starts at sequence number `seq` (after a SYN's own number). */
  private segment(c: TcpConnection, dir: Direction, p: DecodedPacket, buf: Uint8Array, seq: number, time: bigint): void {
    const side = c.sides[dir];
    const fin = (p.flags & TCP_FIN) !== 0;
    const length = p.payloadLength;
    if (!side.started) {
      side.started = true;
      side.nextSeq = seq;
    }
    if (side.finished) {
      if (length > 0) this.counters.add('capture.tcp_retransmissions');
      return;
    }
    const bytes = buf.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured);
    if (p.payloadCaptured < length) this.counters.add('capture.truncated_packets');
    const ahead = (seq - side.nextSeq) | 0;
    if (ahead > 0) {
      this.buffer(c, dir, { seq, bytes: bytes.slice(), length, fin, time }, time);
      return;
    }
    this.deliver(c, dir, seq, bytes, length, fin, time);
    this.drain(c, dir);
  }

  /** Deliver a segment that starts at or before nextSeq, trimming bytes already delivered. */
  private deliver(c: TcpConnection, dir: Direction, seq: number, bytes: Uint8Array, length: number, fin: boolean, time: bigint): void {
    const side = c.sides[dir];
    const behind = (side.nextSeq - seq) | 0;
    if (length > 0) {
      if (behind >= length) {
        // Keep-alive probes resend the last byte (or none) before nextSeq.
        this.counters.add(behind === 1 && length <= 1 ? 'capture.tcp_keepalives' : 'capture.tcp_retransmissions');
      } else {
        if (behind > 0) this.counters.add('capture.tcp_overlap_bytes', behind);
        const data = behind > 0 ? bytes.subarray(Math.min(behind, bytes.length)) : bytes;
        this.sink.onEvent({ kind: 'data', conn: c.id, dir, time, seq: side.nextSeq, bytes: data, length: length - behind });
        side.nextSeq = (seq + length) >>> 0;
      }
    }
    if (fin && ((seq + length - side.nextSeq) | 0) === 0) {
      side.nextSeq = (side.nextSeq + 1) >>> 0;
      side.finished = true;
      if (c.sides[0].finished && c.sides[1].finished) this.closeTcp(c, time, 'fin');
    }
  }

  /** Deliver buffered segments that have become contiguous. */
  private drain(c: TcpConnection, dir: Direction): void {
    const side = c.sides[dir];
    while (!c.closed && side.pending.length > 0) {
      const s = side.pending[0]!;
      if (((s.seq - side.nextSeq) | 0) > 0) return;
      side.pending.shift();
      side.pendingBytes -= s.bytes.length;
      this.deliver(c, dir, s.seq, s.bytes, s.length, s.fin, s.time);
    }
  }

  private buffer(c: TcpConnection, dir: Direction, s: Segment, time: bigint): void {
    const side = c.sides[dir];
    this.counters.add('capture.tcp_out_of_order');
    // Sorted by distance from nextSeq; new segments usually go last.
    const ahead = (s.seq - side.nextSeq) | 0;
    let i = side.pending.length;
    while (i > 0 && ((side.pending[i - 1]!.seq - side.nextSeq) | 0) > ahead) i--;
    side.pending.splice(i, 0, s);
    side.pendingBytes += s.bytes.length;
    while (side.pending.length > this.maxSegments || side.pendingBytes > this.maxBytes) {
      this.declareLost(c, dir, time, 'capture.tcp_out_of_order_overflows');
    }
  }

  /** The bytes before the first buffered segment are not coming: report them as a gap and go on. */
  private declareLost(c: TcpConnection, dir: Direction, time: bigint, counter: string): void {
    const side = c.sides[dir];
    const first = side.pending[0];
    if (!first) return;
    this.counters.add(counter);
    const missing = (first.seq - side.nextSeq) | 0;
    if (missing > 0) {
      this.gap(c, dir, missing, time);
      side.nextSeq = first.seq;
    }
    this.drain(c, dir);
  }

  /** The peer acknowledged `ack`: bytes of `dir` before it were sent; those we never saw are lost. */
  private acknowledged(c: TcpConnection, dir: Direction, ack: number, time: bigint): void {
    const side = c.sides[dir];
    if (!side.started || side.finished) return;
    let missing = (ack - side.nextSeq) | 0;
    if (missing <= 0 || missing > MAX_ACK_PROOF) return;
    while (missing > 0 && !c.closed && !side.finished) {
      const first = side.pending[0];
      if (first && ((first.seq - side.nextSeq) | 0) < missing) {
        this.declareLost(c, dir, time, 'capture.tcp_lost_segments');
      } else {
        this.counters.add('capture.tcp_lost_segments');
        this.gap(c, dir, missing, time);
        side.nextSeq = ack;
        this.drain(c, dir);
        return;
      }
      missing = (ack - side.nextSeq) | 0;
    }
  }

  private gap(c: TcpConnection, dir: Direction, length: number, time: bigint): void {
    if (length <= 0) return;
    this.counters.add('capture.tcp_gap_bytes', length);
    this.sink.onEvent({ kind: 'gap', conn: c.id, dir, time, length });
  }

  private closeTcp(c: TcpConnection, time: bigint, reason: ConnectionClosed['reason']): void {
    if (c.closed) return;
    // Whatever is still buffered was seen: deliver it behind the holes before closing.
    for (const dir of [CLIENT_TO_SERVER, SERVER_TO_CLIENT] as const) {
      while (c.sides[dir].pending.length > 0 && !c.closed) this.declareLost(c, dir, time, 'capture.tcp_out_of_order_at_close');
    }
    if (c.closed) return;
    c.closed = true;
    c.closedAt = time;
    this.emitClose(c.id, time, reason);
  }

  // --- UDP ------------------------------------------------------------------------------------

  private udpPacket(p: DecodedPacket, buf: Uint8Array, time: bigint): void {
    const fromLow = this.keyLowIsSrc;
    let f = this.udp.find(p, fromLow, this.keyHash);
    if (!f) {
      this.makeRoom();
      const serverIsDst = guessServerIsDst(p.srcPort, p.dstPort);
      f = new UdpFlow(this.nextId++, serverIsDst ? fromLow : !fromLow, time);
      this.udp.insert(f, p, fromLow, this.keyHash);
      this.counters.add('capture.udp_flows');
      this.emitOpen(f.id, 'udp', p, serverIsDst, false, false, time);
    }
    f.lastTime = time;
    if (p.payloadCaptured < p.payloadLength) this.counters.add('capture.truncated_packets');
    this.sink.onEvent({
      kind: 'data', conn: f.id, dir: this.dirOf(f.clientIsLow, fromLow), time, seq: -1,
      bytes: buf.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured), length: p.payloadLength,
    });
  }

  // --- shared ---------------------------------------------------------------------------------

  private dirOf(clientIsLow: boolean, fromLow: boolean): Direction {
    return clientIsLow === fromLow ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
  }

  private emitOpen(
    conn: number, transport: 'tcp' | 'udp', p: DecodedPacket, clientIsSrc: boolean, rolesKnown: boolean, midStream: boolean, time: bigint,
  ): void {
    const src = { ip: addressText(p, 0), port: p.srcPort };
    const dst = { ip: addressText(p, 1), port: p.dstPort };
    this.sink.onEvent({
      kind: 'open', conn, time, transport,
      client: clientIsSrc ? src : dst,
      server: clientIsSrc ? dst : src,
      rolesKnown, midStream, observation: 'network',
    });
  }

  private emitClose(conn: number, time: bigint, reason: ConnectionClosed['reason']): void {
    this.sink.onEvent({ kind: 'close', conn, time, reason });
  }

  /** Keep the number of tracked flows under the cap by closing the oldest. */
  private makeRoom(): void {
    while (this.tcp.size + this.udp.size >= this.maxFlows) {
      const oldestTcp = this.tcp.first;
      const oldestUdp = this.udp.first;
      if (oldestTcp && (!oldestUdp || oldestTcp.lastTime <= oldestUdp.lastTime)) {
        if (!oldestTcp.closed) {
          this.counters.add('capture.flows_evicted');
          this.closeTcp(oldestTcp, this.now, 'idle');
        }
        this.tcp.delete(oldestTcp);
      } else if (oldestUdp) {
        this.counters.add('capture.flows_evicted');
        this.emitClose(oldestUdp.id, this.now, 'idle');
        this.udp.delete(oldestUdp);
      } else {
        return;
      }
    }
  }

  private sweep(): void {
    const now = this.now;
    this.nextSweep = now + SWEEP_INTERVAL_NS;
    for (let c = this.tcp.first, next = c && this.tcp.after(c); c; c = next, next = c && this.tcp.after(c)) {
      if (c.closed) {
        if (now - c.closedAt > this.retention) this.tcp.delete(c);
        continue;
      }
      if (now - c.lastTime > this.tcpIdle) {
        this.counters.add('capture.tcp_idle_closed');
        this.closeTcp(c, now, 'idle');
        this.tcp.delete(c);
        continue;
      }
      for (const dir of [CLIENT_TO_SERVER, SERVER_TO_CLIENT] as const) {
        const side = c.sides[dir];
        while (!c.closed && side.pending.length > 0 && now - side.pending[0]!.time > this.oooTimeout) {
          this.declareLost(c, dir, now, 'capture.tcp_out_of_order_timeouts');
        }
      }
    }
    for (let f = this.udp.first, next = f && this.udp.after(f); f; f = next, next = f && this.udp.after(f)) {
      if (now - f.lastTime > this.udpIdle) {
        this.emitClose(f.id, now, 'idle');
        this.udp.delete(f);
      }
    }
  }
}

/** Without a handshake: the side on a well-known service port is the server, else the lower port. */
export function guessServerIsDst(srcPort: number, dstPort: number): boolean {
  const srcKnown = SERVER_PORTS.has(srcPort);
  const dstKnown = SERVER_PORTS.has(dstPort);
  if (srcKnown !== dstKnown) return dstKnown;
  return dstPort <= srcPort;
}
