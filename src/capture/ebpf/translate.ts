/**
 * @module capture/ebpf/translate
 * Turns socket tracer events (one socket's view of a connection) into connection-stream events:
 * one connection per socket for TCP, one per socket and peer for UDP. Detects lost events from
 * the per-socket event numbers and TCP sequence numbers and reports them as gaps. Pure: no I/O,
 * so it is tested with synthetic events.
 */
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from '../../streams/events.ts';
import type { ConnectionOpened, Direction, Endpoint, StreamEventSink } from '../../streams/events.ts';
import type { ProcessInfo } from '../../records/record.ts';
import { Counters } from '../../util/counters.ts';
import {
  FS_DIR_RECV, FS_DIR_SEND, FS_EV_CLOSE, FS_EV_DATA, FS_EV_OPEN, FS_FLAG_INTERESTING, FS_FLAG_MIDSTREAM,
  FS_FLAG_MMSG_MORE, FS_FLAG_TCP_SEQ, FS_ROLE_CLIENT, FS_ROLE_SERVER, FS_ROLE_UNKNOWN, IPPROTO_TCP,
} from './abi.ts';
import type { KernelEvent } from './abi.ts';

/** Says whether the first bytes of a socket look like a protocol we parse. */
export type Classifier = (bytes: Uint8Array, ctx: { transport: 'tcp' | 'udp'; dir: Direction; srcPort: number; dstPort: number }) => boolean;

export interface TranslatorOptions {
  /** Identity of the process behind a socket. */
  resolveProcess?: (pid: number, comm: string) => ProcessInfo | null;
  /** Kernel monotonic ns -> ns since the epoch. */
  toEpochNs?: (ktimeNs: bigint) => bigint;
  counters?: Counters;
  /** Sockets tracked; the oldest is closed ('idle') beyond this. Default 65536. */
  maxSockets?: number;
  /** UDP peers tracked per socket. Default 1024. */
  maxPeersPerSocket?: number;
  /** First data events of a socket are offered to `classify`; a hit calls `onInteresting`. */
  classify?: Classifier;
  onInteresting?: (sockId: number) => void;
  /** Data events per socket offered to `classify`. Default 8 (the kernel's decision point). */
  classifyEvents?: number;
}

interface Conn {
  id: number;
  open: ConnectionOpened;
  /** Next expected TCP sequence number per Direction, or -1 before the first data. */
  nextSeq: [number, number];
}

interface SocketView {
  sockId: number;
  pid: number;
  transport: 'tcp' | 'udp';
  /**
   * FS_ROLE_CLIENT or FS_ROLE_SERVER: the kernel's, or guessed (TCP: from ports; UDP: from the
   * direction of the first data event). FS_ROLE_UNKNOWN only for a UDP socket before its first data.
   */
  role: number;
  rolesKnown: boolean;
  midStream: boolean;
  process: ProcessInfo | null;
  local: Endpoint;
  /** Next expected per-socket event number. */
  nextSeqNo: number;
  /** Events were lost since the last data event in a direction (index: FS_DIR_*). */
  lossPending: [boolean, boolean];
  classifyTries: number;
  marked: boolean;
  /** TCP: one connection under ''; UDP: one per peer "ip|port". */
  conns: Map<string, Conn>;
  /** TCP: another traced socket on this host at the other end of the same connection. */
  peer: SocketView | null;
  lastTime: bigint;
}

const EPHEMERAL_MIN = 32768;

export class EventTranslator {
  readonly counters: Counters;
  private readonly sockets = new Map<number, SocketView>();
  /** TCP sockets by local endpoint, to join the two ends of a connection seen on one host. */
  private readonly byLocal = new Map<string, SocketView>();
  /** UDP sockets by local endpoint, to join the two ends of an exchange seen on one host. */
  private readonly byLocalUdp = new Map<string, SocketView>();
  private nextConnId = 1;
  private readonly resolveProcess: (pid: number, comm: string) => ProcessInfo | null;
  private readonly toEpochNs: (ktimeNs: bigint) => bigint;
  private readonly maxSockets: number;
  private readonly maxPeers: number;
  private readonly classifyEvents: number;

  constructor(
    private readonly sink: StreamEventSink,
    private readonly options: TranslatorOptions = {},
  ) {
    this.counters = options.counters ?? new Counters();
    this.resolveProcess = options.resolveProcess ?? (() => null);
    this.toEpochNs = options.toEpochNs ?? ((t) => t);
    this.maxSockets = options.maxSockets ?? 65536;
    this.maxPeers = options.maxPeersPerSocket ?? 1024;
    this.classifyEvents = options.classifyEvents ?? 8;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  push(ev: KernelEvent): void {
    this.counters.add('capture.events');
    switch (ev.kind) {
      case FS_EV_OPEN:
        this.onOpen(ev);
        break;
      case FS_EV_DATA:
        this.onData(ev);
        break;
      case FS_EV_CLOSE:
        this.onClose(ev);
        break;
      default:
        this.counters.add('capture.malformed_events');
    }
  }

  /** Closes every connection of sockets whose process is gone (exit closes fds without close()). */
  closeWhere(gone: (pid: number) => boolean, time: bigint): void {
    const dead = new Map<number, boolean>();
    for (const s of [...this.sockets.values()]) {
      let isGone = dead.get(s.pid);
      if (isGone === undefined) dead.set(s.pid, (isGone = gone(s.pid)));
      if (isGone) {
        this.counters.add('capture.sockets_closed_process_gone');
        this.dropSocket(s, time, 'end');
      }
    }
  }

  /** End of capture: every connection closes. */
  flush(time: bigint): void {
    for (const s of [...this.sockets.values()]) this.dropSocket(s, time, 'end');
  }

  private checkSeqNo(s: SocketView, ev: KernelEvent): void {
    const seqNo = ev.seqNo;
    if (seqNo === s.nextSeqNo) {
      s.nextSeqNo = seqNo + 1;
      return;
    }
    if (seqNo > s.nextSeqNo) {
      this.counters.add('capture.lost_events_detected', seqNo - s.nextSeqNo);
      s.lossPending[0] = true;
      s.lossPending[1] = true;
      s.nextSeqNo = seqNo + 1;
    } else {
      // Two threads on one socket can reach the ring in the other order than they numbered.
      this.counters.add('capture.reordered_events');
    }
  }

  private onOpen(ev: KernelEvent): void {
    const old = this.sockets.get(ev.sockId);
    if (old) this.dropSocket(old, this.toEpochNs(ev.tsExitNs), 'end');
    const s = this.newSocket(ev, false);
    this.checkSeqNo(s, ev);
    if (s.transport === 'tcp') this.connFor(s, ev);
  }

  private onData(ev: KernelEvent): void {
    let s = this.sockets.get(ev.sockId);
    if (!s) {
      // The open event was lost or filtered: start from what this event says.
      this.counters.add('capture.sockets_without_open');
      s = this.newSocket(ev, true);
    }
    this.checkSeqNo(s, ev);
    // Each field of a ring event is a read from the ring: read each once.
    const direction = ev.direction & 1;
    if (s.role === FS_ROLE_UNKNOWN) s.role = udpRoleFromFirstData(direction);
    const conn = this.connFor(s, ev);
    if (!conn) return;
    const flags = ev.flags;
    const sending = direction === FS_DIR_SEND;
    const dir: Direction = (s.role === FS_ROLE_CLIENT) === sending ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
    // A receive is stamped when the bytes were delivered (its exit: a blocking read may have
    // waited long before they arrived). A send at its entry when the kernel saw it (when the
    // application handed the bytes over), else at its exit: the data programs are exit-only, so
    // today's kernel side reports ts_enter_ns = 0 for data events (bpf/README.md, "Timestamps").
    const time = this.toEpochNs(sending ? ev.tsEnterNs || ev.tsExitNs : ev.tsExitNs);
    s.lastTime = time;
    const length = ev.ret;
    let seq = -1;
    if (flags & FS_FLAG_TCP_SEQ) {
      seq = ev.tcpSeq;
      const expected = conn.nextSeq[dir];
      if (expected >= 0 && seq !== expected) {
        const ahead = (seq - expected) >>> 0;
        if (ahead === 1 && direction === FS_DIR_RECV && !s.lossPending[direction]) {
          // The kernel reports copied_seq - bytes; a read that also consumed the peer's FIN moved
          // copied_seq one further (the FIN takes a sequence number). No event was lost (the
          // event numbers are contiguous), so the one "missing" byte is that FIN: not a gap.
          seq = expected;
          this.counters.add('capture.fin_seq_corrected');
        } else if (ahead < 0x8000_0000) {
          // Bytes we never saw: lost events, or moved by syscalls we do not trace (sendfile, splice).
          this.counters.add('capture.gaps');
          this.counters.add('capture.gap_bytes', ahead);
          this.sink.onEvent({ kind: 'gap', conn: conn.id, dir, time, length: ahead });
        } else {
          this.counters.add('capture.seq_rewinds');
        }
      }
      conn.nextSeq[dir] = (seq + length) >>> 0;
      s.lossPending[direction] = false;
    } else if (s.lossPending[direction]) {
      s.lossPending[direction] = false;
      this.counters.add('capture.gaps');
      this.sink.onEvent({ kind: 'gap', conn: conn.id, dir, time, length: -1 });
    }
    if (flags & FS_FLAG_MMSG_MORE) this.counters.add('capture.mmsg_messages_unseen');
    const bytes = ev.payload;
    if (bytes.length < length) this.counters.add('capture.payload_truncated');
    this.sink.onEvent({ kind: 'data', conn: conn.id, dir, time, seq, bytes, length });
    if (!s.marked && s.classifyTries < this.classifyEvents && !(flags & FS_FLAG_INTERESTING)) this.maybeClassify(s, ev, conn, dir);
  }

  private onClose(ev: KernelEvent): void {
    const s = this.sockets.get(ev.sockId);
    if (!s) return;
    this.checkSeqNo(s, ev);
    const quiet = ev.quietBytesSent + ev.quietBytesReceived;
    if (quiet > 0) this.counters.add('capture.quiet_bytes', quiet);
    this.dropSocket(s, this.toEpochNs(ev.tsExitNs), 'fin');
  }

  private maybeClassify(s: SocketView, ev: KernelEvent, conn: Conn, dir: Direction): void {
    const classify = this.options.classify;
    if (!classify || s.marked || (ev.flags & FS_FLAG_INTERESTING) || s.classifyTries >= this.classifyEvents) return;
    if (ev.payload.length === 0) return;
    s.classifyTries++;
    const src = dir === CLIENT_TO_SERVER ? conn.open.client : conn.open.server;
    const dst = dir === CLIENT_TO_SERVER ? conn.open.server : conn.open.client;
    let hit = false;
    try {
      hit = classify(ev.payload, { transport: s.transport, dir, srcPort: src.port, dstPort: dst.port });
    } catch {
      this.counters.add('capture.classifier_errors');
    }
    if (hit) {
      s.marked = true;
      this.counters.add('capture.sockets_marked');
      this.options.onInteresting?.(s.sockId);
    }
  }

  private newSocket(ev: KernelEvent, withoutOpen: boolean): SocketView {
    if (this.sockets.size >= this.maxSockets) {
      const oldest = this.sockets.values().next().value as SocketView;
      this.counters.add('capture.sockets_evicted');
      this.dropSocket(oldest, oldest.lastTime, 'idle');
    }
    const transport = ev.protocol === IPPROTO_TCP ? 'tcp' : 'udp';
    const rolesKnown = ev.role === FS_ROLE_CLIENT || ev.role === FS_ROLE_SERVER;
    // UDP without connect()/accept() seen: ports say little (an unconnected server socket has
    // remote port 0), the first datagram's direction says more; decided on the first data event.
    const role = rolesKnown ? ev.role
      : transport === 'udp' ? (ev.kind === FS_EV_DATA ? udpRoleFromFirstData(ev.direction & 1) : FS_ROLE_UNKNOWN)
        : guessRole(ev.localPort, ev.remotePort);
    const s: SocketView = {
      sockId: ev.sockId,
      pid: ev.pid,
      transport,
      role,
      rolesKnown,
      midStream: transport === 'tcp' && ((ev.flags & FS_FLAG_MIDSTREAM) !== 0 || withoutOpen),
      process: this.resolveProcess(ev.pid, ev.comm),
      local: { ip: ev.localAddr, port: ev.localPort },
      nextSeqNo: withoutOpen ? ev.seqNo : 0,
      lossPending: [false, false],
      classifyTries: 0,
      marked: false,
      conns: new Map(),
      peer: null,
      lastTime: this.toEpochNs(ev.tsExitNs),
    };
    this.sockets.set(ev.sockId, s);
    return s;
  }

  private connFor(s: SocketView, ev: KernelEvent): Conn | null {
    const key = s.transport === 'tcp' ? '' : `${ev.remoteAddr}|${ev.remotePort}`;
    const existing = s.conns.get(key);
    if (existing) return existing;
    if (s.conns.size >= this.maxPeers) {
      const [oldKey, oldest] = s.conns.entries().next().value as [string, Conn];
      this.counters.add('capture.udp_peers_evicted');
      s.conns.delete(oldKey);
      this.sink.onEvent({ kind: 'close', conn: oldest.id, time: s.lastTime, reason: 'idle' });
    }
    const local = { ip: ev.localAddr, port: ev.localPort };
    const remote = { ip: ev.remoteAddr, port: ev.remotePort };
    const client = s.role === FS_ROLE_CLIENT ? local : remote;
    const server = s.role === FS_ROLE_CLIENT ? remote : local;
    const open: ConnectionOpened = {
      kind: 'open',
      conn: this.nextConnId++,
      time: this.toEpochNs(ev.tsEnterNs || ev.tsExitNs),
      transport: s.transport,
      client,
      server,
      rolesKnown: s.rolesKnown,
      midStream: s.midStream,
      observation: s.role === FS_ROLE_CLIENT ? 'client' : 'server',
      clientProcess: s.role === FS_ROLE_CLIENT ? s.process : null,
      serverProcess: s.role === FS_ROLE_CLIENT ? null : s.process,
    };
    const conn: Conn = { id: open.conn, open, nextSeq: [-1, -1] };
    s.conns.set(key, conn);
    if (s.transport === 'tcp') this.joinLocalPeer(s, conn, remote);
    else this.joinLocalUdpPeer(s, conn, remote);
    this.counters.add('capture.connections');
    this.sink.onEvent(open);
    return conn;
  }

  /**
   * When both ends of a TCP connection are traced on this host, each connection learns the other
   * end's process. The other end's open event was already emitted: it is completed in place,
   * which the connection table sees because it keeps that object and reads it when it emits records.
   */
  private joinLocalPeer(s: SocketView, conn: Conn, remote: Endpoint): void {
    const myKey = `${s.local.ip}|${s.local.port}`;
    const prior = this.byLocal.get(myKey);
    if (prior && prior !== s && this.sockets.get(prior.sockId) !== prior) this.byLocal.delete(myKey);
    this.byLocal.set(myKey, s);
    const other = this.byLocal.get(`${remote.ip}|${remote.port}`);
    if (!other || other === s) return;
    const otherConn = other.conns.get('');
    if (!otherConn) return;
    const otherRemote = other.role === FS_ROLE_CLIENT ? otherConn.open.server : otherConn.open.client;
    if (otherRemote.ip !== s.local.ip || otherRemote.port !== s.local.port) return;
    s.peer = other;
    other.peer = s;
    if (s.role === FS_ROLE_CLIENT) conn.open.serverProcess = other.process;
    else conn.open.clientProcess = other.process;
    if (other.role === FS_ROLE_CLIENT) otherConn.open.serverProcess = s.process;
    else otherConn.open.clientProcess = s.process;
    this.counters.add('capture.local_peers_joined');
  }

  /**
   * UDP counterpart of joinLocalPeer, per datagram peer: when the socket at the other end of this
   * peer is traced on this host and already talks to us, both connections learn the other process.
   * The two stay two observations (client and server), as over TCP. A socket bound to the wildcard
   * address reports 0.0.0.0 / :: as its local address; it is found by port, and the peer's
   * connection to it is looked up under the address the peer used, guessed to be the peer's own
   * (true on loopback, where both ends are on this host anyway).
   */
  private joinLocalUdpPeer(s: SocketView, conn: Conn, remote: Endpoint): void {
    const myKey = `${s.local.ip}|${s.local.port}`;
    if (this.byLocalUdp.get(myKey) !== s) this.byLocalUdp.set(myKey, s);
    const other = this.byLocalUdp.get(`${remote.ip}|${remote.port}`) ??
      this.byLocalUdp.get(`0.0.0.0|${remote.port}`) ?? this.byLocalUdp.get(`::|${remote.port}`);
    if (!other || other === s || this.sockets.get(other.sockId) !== other) return;
    const otherConn = other.conns.get(`${s.local.ip}|${s.local.port}`) ??
      (isWildcard(s.local.ip) ? other.conns.get(`${remote.ip}|${s.local.port}`) : undefined);
    if (!otherConn || other.role === s.role) return;
    if (s.role === FS_ROLE_CLIENT) conn.open.serverProcess = other.process;
    else conn.open.clientProcess = other.process;
    if (other.role === FS_ROLE_CLIENT) otherConn.open.serverProcess = s.process;
    else otherConn.open.clientProcess = s.process;
    this.counters.add('capture.local_peers_joined');
  }

  private dropSocket(s: SocketView, time: bigint, reason: 'fin' | 'idle' | 'end'): void {
    for (const conn of s.conns.values()) this.sink.onEvent({ kind: 'close', conn: conn.id, time, reason });
    s.conns.clear();
    this.sockets.delete(s.sockId);
    const key = `${s.local.ip}|${s.local.port}`;
    if (this.byLocal.get(key) === s) this.byLocal.delete(key);
    if (this.byLocalUdp.get(key) === s) this.byLocalUdp.delete(key);
    if (s.peer?.peer === s) s.peer.peer = null;
  }
}

/** For a socket seen mid-life: the end on a well-known (non-ephemeral) or lower port is the server. */
export function guessRole(localPort: number, remotePort: number): number {
  // Remote port 0 is no peer at all (an unconnected socket), so never a server we are a client of.
  if (remotePort === 0) return FS_ROLE_SERVER;
  const localEphemeral = localPort >= EPHEMERAL_MIN;
  const remoteEphemeral = remotePort >= EPHEMERAL_MIN;
  if (localEphemeral !== remoteEphemeral) return localEphemeral ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
  return localPort > remotePort ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
}

/** A UDP socket whose first datagram was received answers (server); one that sent first asks (client). */
export function udpRoleFromFirstData(direction: number): number {
  return direction === FS_DIR_RECV ? FS_ROLE_SERVER : FS_ROLE_CLIENT;
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}
