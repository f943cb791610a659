/**
 * @module streams/connection-table
 * Receives connection-stream events from any capture, detects each connection's protocol from
 * its first bytes, runs the protocol's parser per direction and the stitcher per connection, and
 * emits request records. Bounded: connections, idle time and pending requests are all capped.
 */
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from './events.ts';
import type { ConnectionOpened, Direction, StreamData, StreamEvent, StreamEventSink } from './events.ts';
import { DirectionStream, DEFAULT_MAX_BUFFER } from './direction-stream.ts';
import type { Frame, ProtocolSpec, TimedFrame } from '../protocols/protocol.ts';
import { PROTOCOLS } from '../protocols/registry.ts';
import { Stitcher } from '../records/stitcher.ts';
import type { Call } from '../records/stitcher.ts';
import type { RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';

export interface ConnectionTableOptions {
  protocols?: readonly ProtocolSpec<any, any>[];
  /** Requests unanswered this long (capture time) become timeout records. Default 30 s. */
  requestTimeoutNs?: bigint;
  /** Connections silent this long are closed. Default 5 min. */
  idleTimeoutNs?: bigint;
  /**
   * UDP connections silent this long are closed. Default 30 s: a datagram exchange (a DNS query
   * and its answer) is over long before, and clients use a new port for each, so keeping them for
   * the TCP idle time would grow memory with every port ever seen.
   */
  udpIdleTimeoutNs?: bigint;
  maxConnections?: number;
  maxBufferPerDirection?: number;
  /** Data events inspected before a connection is declared unidentified. */
  detectAttempts?: number;
  counters?: Counters;
}

/** Bonus added to a detector's confidence when a port matches the protocol's well-known ports. */
const PORT_HINT = 0.2;
const DETECT_THRESHOLD = 0.5;
const SWEEP_INTERVAL_NS = 1_000_000_000n;

/** Bytes kept per direction while no protocol is detected, so a split first message is not lost. */
const MAX_UNDETECTED_BYTES = 4096;
/** UDP datagrams kept per direction while no protocol is detected. */
const MAX_UNDETECTED_DATAGRAMS = 8;

interface Undetected {
  bytes: Uint8Array;
  time: bigint;
  seq: number;
}

/** What `held` is while a connection keeps nothing; never written to. */
const NOTHING_HELD: readonly Undetected[] = [];

interface Connection {
  open: ConnectionOpened;
  lastTime: bigint;
  spec: ProtocolSpec<any, any> | null;
  /** Set when no protocol was found: the connection's bytes are ignored from then on. */
  unidentified: boolean;
  detectTries: number;
  /** First bytes per direction awaiting detection (complete segments only); null while none are kept. */
  undetected: [Undetected[], Undetected[]] | null;
  streams: [DirectionStream<Frame, unknown>, DirectionStream<Frame, unknown>] | null;
  stitcher: Stitcher<Frame, unknown> | null;
}

export class ConnectionTable implements StreamEventSink {
  readonly counters: Counters;
  private readonly conns = new Map<number, Connection>();
  private readonly protocols: readonly ProtocolSpec<any, any>[];
  private readonly requestTimeoutNs: bigint;
  private readonly idleTimeoutNs: bigint;
  private readonly udpIdleTimeoutNs: bigint;
  private readonly maxConnections: number;
  private readonly maxBuffer: number;
  private readonly detectAttempts: number;
  /** Time of the next sweep (compared, not subtracted: no bigint allocated per event). */
  private nextSweep = SWEEP_INTERVAL_NS;
  private now = 0n;

  constructor(private readonly onRecord: (record: RequestRecord) => void, options: ConnectionTableOptions = {}) {
    this.counters = options.counters ?? new Counters();
    this.protocols = options.protocols ?? PROTOCOLS;
    this.requestTimeoutNs = options.requestTimeoutNs ?? 30_000_000_000n;
    this.idleTimeoutNs = options.idleTimeoutNs ?? 300_000_000_000n;
    this.udpIdleTimeoutNs = options.udpIdleTimeoutNs ?? 30_000_000_000n;
    this.maxConnections = options.maxConnections ?? 100_000;
    this.maxBuffer = options.maxBufferPerDirection ?? DEFAULT_MAX_BUFFER;
    this.detectAttempts = options.detectAttempts ?? 8;
  }

  get size(): number {
    return this.conns.size;
  }

  onEvent(event: StreamEvent): void {
    if (event.time > this.now) this.now = event.time;
    switch (event.kind) {
      case 'open':
        this.opened(event);
        break;
      case 'data': {
        const c = this.conns.get(event.conn);
        if (!c) {
          this.counters.add('streams.data_without_connection');
          break;
        }
        c.lastTime = event.time;
        this.data(c, event);
        break;
      }
      case 'gap': {
        const c = this.conns.get(event.conn);
        this.counters.add('streams.gaps');
        if (c?.streams) c.streams[event.dir].gap(event.length);
        break;
      }
      case 'close': {
        const c = this.conns.get(event.conn);
        if (c) this.closeConnection(event.conn, c, event.time);
        break;
      }
    }
    if (this.now >= this.nextSweep) this.sweep();
  }

  /** End of input: every connection closes at the last time seen. */
  flush(): void {
    for (const [id, c] of this.conns) this.closeConnection(id, c, this.now);
  }

  private opened(open: ConnectionOpened): void {
    const existing = this.conns.get(open.conn);
    if (existing) this.closeConnection(open.conn, existing, open.time);
    if (this.conns.size >= this.maxConnections) this.evictOldest();
    this.conns.set(open.conn, {
      open, lastTime: open.time, spec: null, unidentified: false, detectTries: 0, undetected: null, streams: null, stitcher: null,
    });
    this.counters.add('streams.connections');
  }

  private data(c: Connection, ev: StreamData): void {
    if (c.unidentified) return;
    if (!c.spec) {
      this.detectAndReplay(c, ev);
      return;
    }
    c.streams![ev.dir].push(ev.bytes, ev.length, ev.time, ev.seq);
  }

  /**
   * Runs detection on this direction's first bytes (for TCP joined with earlier undetected ones);
   * once a protocol is found, replays the kept bytes of both directions in time order, then this
   * event. UDP datagrams are kept and replayed one by one: each is a message of its own.
   */
  private detectAndReplay(c: Connection, ev: StreamData): void {
    const held: readonly Undetected[] = c.undetected ? c.undetected[ev.dir] : NOTHING_HELD;
    const complete = ev.bytes.length === ev.length;
    const udp = c.open.transport === 'udp';
    let first = ev.bytes;
    let joined = false;
    if (!udp && held.length === 1 && complete && held[0]!.bytes.length + ev.bytes.length <= MAX_UNDETECTED_BYTES) {
      first = new Uint8Array(held[0]!.bytes.length + ev.bytes.length);
      first.set(held[0]!.bytes, 0);
      first.set(ev.bytes, held[0]!.bytes.length);
      joined = true;
    }
    let spec = this.detect(c, ev, first);
    if (!spec && joined && !c.unidentified) {
      // The kept bytes may be garbage (a stream joined mid-message): try this event alone.
      spec = this.detect(c, ev, ev.bytes);
      if (spec) {
        this.counters.add('streams.undetected_bytes_dropped', held[0]!.bytes.length);
        c.undetected![ev.dir] = [];
        first = ev.bytes;
        joined = false;
      }
    }
    if (!spec) {
      if (c.unidentified) return;
      c.undetected ??= [[], []];
      const kept = c.undetected[ev.dir];
      if (!complete || first.length > MAX_UNDETECTED_BYTES) {
        kept.length = 0;
      } else if (joined) {
        kept[0] = { bytes: first, time: kept[0]!.time, seq: kept[0]!.seq };
      } else if (udp ? kept.length < MAX_UNDETECTED_DATAGRAMS : true) {
        if (!udp) kept.length = 0;
        kept.push({ bytes: ev.bytes.slice(), time: ev.time, seq: ev.seq });
      }
      return;
    }
    this.attach(c, spec);
    if (c.undetected) {
      const replay: { dir: Direction; u: Undetected }[] = [];
      for (const dir of [CLIENT_TO_SERVER, SERVER_TO_CLIENT] as const) {
        if (dir === ev.dir && joined) continue;
        for (const u of c.undetected[dir]) replay.push({ dir, u });
      }
      c.undetected = null;
      replay.sort((a, b) => (a.u.time < b.u.time ? -1 : a.u.time > b.u.time ? 1 : 0));
      for (const { dir, u } of replay) c.streams![dir].push(u.bytes, u.bytes.length, u.time, u.seq);
    }
    if (joined) c.streams![ev.dir].push(first, first.length, held[0]!.time, held[0]!.seq);
    else c.streams![ev.dir].push(ev.bytes, ev.length, ev.time, ev.seq);
  }

  private detect(c: Connection, ev: StreamData, data: Uint8Array): ProtocolSpec<any, any> | null {
    const { open } = c;
    const src = ev.dir === CLIENT_TO_SERVER ? open.client : open.server;
    const dst = ev.dir === CLIENT_TO_SERVER ? open.server : open.client;
    const ctx = { transport: open.transport, dir: ev.dir, srcPort: src.port, dstPort: dst.port };
    let best: ProtocolSpec<any, any> | null = null;
    let bestScore = 0;
    for (const spec of this.protocols) {
      if (!spec.transports.includes(open.transport)) continue;
      let score = spec.detect(data, ctx);
      if (score <= 0) continue;
      if (spec.ports.includes(src.port) || spec.ports.includes(dst.port)) score += PORT_HINT;
      if (score > bestScore) {
        best = spec;
        bestScore = score;
      }
    }
    if (!best || bestScore < DETECT_THRESHOLD) {
      if (++c.detectTries >= this.detectAttempts) {
        c.unidentified = true;
        c.undetected = null;
        this.counters.add('streams.unidentified_connections');
      }
      return null;
    }
    return best;
  }

  private attach(c: Connection, spec: ProtocolSpec<any, any>): void {
    c.spec = spec;
    const state = spec.createState();
    const stitcher = new Stitcher<Frame, unknown>(spec, this.counters, (call) => this.emitCall(c, call));
    const options = {
      datagram: c.open.transport === 'udp',
      maxBuffer: this.maxBuffer,
      midStream: c.open.midStream && c.open.transport === 'tcp',
    };
    const onFrame = (tf: TimedFrame<Frame>) => stitcher.push(tf);
    c.stitcher = stitcher;
    c.streams = [
      new DirectionStream(spec, state, CLIENT_TO_SERVER, onFrame, this.counters, options),
      new DirectionStream(spec, state, SERVER_TO_CLIENT, onFrame, this.counters, options),
    ];
    this.counters.add(`${spec.name}.connections`);
  }

  private emitCall(c: Connection, call: Call<Frame>): void {
    const { open } = c;
    const spec = c.spec!;
    const req = call.request;
    const resp = call.response;
    // The side that sent the request is the client, whatever the capture guessed.
    const swapped = req ? req.dir === SERVER_TO_CLIENT : resp!.dir === CLIENT_TO_SERVER;
    const client = swapped ? open.server : open.client;
    const server = swapped ? open.client : open.server;
    const clientProcess = (swapped ? open.serverProcess : open.clientProcess) ?? null;
    const serverProcess = (swapped ? open.clientProcess : open.serverProcess) ?? null;
    const start = req ? req.time : resp!.time;
    const end = resp ? resp.time : call.giveUpTime ?? start;
    const tcp = open.transport === 'tcp';
    const f = call.fields;
    // The protocol fields written out rather than spread: a spread in mid-literal is a runtime
    // call per record. Same keys, same order (RECORD_KEYS).
    const record: RequestRecord = {
      start_time: start,
      end_time: end,
      duration_ns: end > start ? Number(end - start) : 0,
      protocol: spec.name,
      transport: open.transport,
      observation: open.observation,
      client: { ip: client.ip, port: client.port, process: clientProcess },
      server: { ip: server.ip, port: server.port, process: serverProcess },
      request_type: f.request_type,
      request_domain: f.request_domain,
      request_resource: f.request_resource,
      protocol_version: f.protocol_version,
      response_code: f.response_code,
      response_status: f.response_status,
      response_message: f.response_message,
      response_summary: f.response_summary,
      request_bytes: req ? req.size : 0,
      response_bytes: resp ? resp.size : 0,
      req_tcp_seq: tcp && req && req.seq >= 0 ? req.seq : null,
      resp_tcp_seq: tcp && resp && resp.seq >= 0 ? resp.seq : null,
      trace_id: f.trace_id,
      span_id: f.span_id,
      parent_span_id: f.parent_span_id,
      x_request_id: f.x_request_id,
    };
    this.counters.add('records.emitted');
    this.onRecord(record);
  }

  private closeConnection(id: number, c: Connection, time: bigint): void {
    if (c.streams) {
      c.streams[0].end();
      c.streams[1].end();
    }
    c.stitcher?.close(time);
    this.conns.delete(id);
  }

  private evictOldest(): void {
    // Map iteration order is insertion order: the first entry is the oldest connection.
    for (const [id, c] of this.conns) {
      this.counters.add('streams.connections_evicted');
      this.closeConnection(id, c, this.now);
      return;
    }
  }

  private sweep(): void {
    this.nextSweep = this.now + SWEEP_INTERVAL_NS;
    const requestDeadline = this.now - this.requestTimeoutNs;
    const idleDeadline = this.now - this.idleTimeoutNs;
    const udpIdleDeadline = this.now - this.udpIdleTimeoutNs;
    for (const [id, c] of this.conns) {
      if (c.lastTime < (c.open.transport === 'udp' ? udpIdleDeadline : idleDeadline)) {
        this.counters.add('streams.connections_idle_closed');
        this.closeConnection(id, c, this.now);
      } else if (c.stitcher && c.stitcher.pending > 0) {
        c.stitcher.expire(requestDeadline, this.now);
      }
    }
  }
}

export type { Direction };
