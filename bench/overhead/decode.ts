/**
 * @module bench/overhead/decode
 * The agent's user-space cost per kernel event, without a kernel: synthetic ring records of
 * HTTP/1.1 keep-alive traffic seen at both ends (the overhead benchmark's nginx + wrk), read
 * through the event decoder and the translator, then through the whole pipeline up to records.
 * Compares decoding each record into an object (decodeEvent) with decoding in place (EventCursor,
 * what SocketTracer.read hands out), in the same run. Deterministic: no root, no eBPF.
 *
 *   node --import tsx bench/overhead/decode.ts [--requests 50000]
 */
import { decodeEvent, EventCursor, EVENT_HEADER_SIZE, EVENT_OFFSETS as O, AF_INET, FS_DIR_RECV, FS_DIR_SEND, FS_EV_DATA, FS_EV_OPEN,
  FS_FLAG_INTERESTING, FS_FLAG_TCP_SEQ, FS_ROLE_CLIENT, FS_ROLE_SERVER, FS_SYS_READ, FS_SYS_WRITEV, FS_SYS_WRITE, IPPROTO_TCP } from '../../src/capture/ebpf/abi.ts';
import type { KernelEvent } from '../../src/capture/ebpf/abi.ts';
import { EventTranslator } from '../../src/capture/ebpf/translate.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import type { StreamEventSink } from '../../src/streams/events.ts';
import { Counters } from '../../src/util/counters.ts';

const args = process.argv.slice(2);
const requests = Number(args[args.indexOf('--requests') + 1]) || 50_000;
const CONNS = 32;
const REQUEST = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 127.0.0.1:28080\r\n\r\n');
const BODY = "hello from flowscope's overhead benchmark\n";
const RESPONSE = new TextEncoder().encode(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 30 Nov 2025 10:00:00 GMT\r\nContent-Type: application/octet-stream\r\n' +
  `Content-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`);

interface Sock { id: number; pid: number; role: number; comm: string; local: number; remote: number; seqNo: number; sendSeq: number; recvSeq: number }

/** Ring-formatted records (8-byte header, data, padding to 8) for `requests` requests on CONNS connections. */
function buildRing(): { bytes: Uint8Array; records: number } {
  const recordSize = (payload: number) => (8 + EVENT_HEADER_SIZE + payload + 7) & ~7;
  const total = CONNS * 2 * recordSize(0) + requests * 2 * (recordSize(REQUEST.length) + recordSize(RESPONSE.length));
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let at = 0;
  let records = 0;
  let now = 1_000_000_000n;
  const put = (s: Sock, kind: number, dir: number, syscall: number, payload: Uint8Array): void => {
    const len = EVENT_HEADER_SIZE + payload.length;
    view.setUint32(at, len, true);
    const e = at + 8;
    now += 2000n;
    view.setBigUint64(e + O.ts_enter_ns, now - 1000n, true);
    view.setBigUint64(e + O.ts_exit_ns, now, true);
    view.setBigUint64(e + O.sock_id, BigInt(s.id), true);
    view.setBigInt64(e + O.ret, BigInt(kind === FS_EV_DATA ? payload.length : 0), true);
    view.setUint32(e + O.pid, s.pid, true);
    view.setUint32(e + O.tid, s.pid, true);
    view.setInt32(e + O.fd, 10, true);
    view.setUint32(e + O.seq_no, s.seqNo++, true);
    let seq = 0;
    if (kind === FS_EV_DATA) {
      seq = dir === FS_DIR_SEND ? s.sendSeq : s.recvSeq;
      if (dir === FS_DIR_SEND) s.sendSeq = (s.sendSeq + payload.length) >>> 0;
      else s.recvSeq = (s.recvSeq + payload.length) >>> 0;
    }
    view.setUint32(e + O.tcp_seq, seq, true);
    view.setUint32(e + O.cap_len, payload.length, true);
    bytes[e + O.kind] = kind;
    bytes[e + O.role] = s.role;
    bytes[e + O.direction] = dir;
    bytes[e + O.flags] = FS_FLAG_TCP_SEQ | FS_FLAG_INTERESTING;
    bytes[e + O.protocol] = IPPROTO_TCP;
    bytes[e + O.syscall] = syscall;
    view.setUint16(e + O.family, AF_INET, true);
    view.setUint16(e + O.local_port, s.local, true);
    view.setUint16(e + O.remote_port, s.remote, true);
    bytes.set([127, 0, 0, 1], e + O.local_addr);
    bytes.set([127, 0, 0, 1], e + O.remote_addr);
    bytes.set(new TextEncoder().encode(s.comm), e + O.comm);
    bytes.set(payload, e + O.payload);
    at += (8 + len + 7) & ~7;
    records++;
  };
  const pairs: [Sock, Sock][] = [];
  for (let c = 0; c < CONNS; c++) {
    const client: Sock = { id: 2 * c + 2, pid: 200, role: FS_ROLE_CLIENT, comm: 'wrk', local: 40000 + c, remote: 28080, seqNo: 0, sendSeq: 1000, recvSeq: 5000 };
    const server: Sock = { id: 2 * c + 1, pid: 100, role: FS_ROLE_SERVER, comm: 'nginx', local: 28080, remote: 40000 + c, seqNo: 0, sendSeq: 5000, recvSeq: 1000 };
    put(client, FS_EV_OPEN, 0, 11, new Uint8Array(0));
    put(server, FS_EV_OPEN, 0, 13, new Uint8Array(0));
    pairs.push([client, server]);
  }
  for (let i = 0; i < requests; i++) {
    const [client, server] = pairs[i % CONNS]!;
    put(client, FS_EV_DATA, FS_DIR_SEND, FS_SYS_WRITE, REQUEST);
    put(server, FS_EV_DATA, FS_DIR_RECV, FS_SYS_READ, REQUEST);
    put(server, FS_EV_DATA, FS_DIR_SEND, FS_SYS_WRITEV, RESPONSE);
    put(client, FS_EV_DATA, FS_DIR_RECV, FS_SYS_READ, RESPONSE);
  }
  return { bytes: bytes.subarray(0, at), records };
}

const ring = buildRing();
const ringView = new DataView(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength);

/** Walks the records as RingReader.consume does, handing each to `onRecord`. */
function walk(onRecord: (view: DataView, bytes: Uint8Array, off: number, len: number) => void): void {
  const { bytes } = ring;
  for (let pos = 0; pos < bytes.length;) {
    const len = ringView.getUint32(pos, true);
    onRecord(ringView, bytes, pos + 8, len);
    pos += (len + 8 + 7) & ~7;
  }
}

type Mode = 'object' | 'cursor';
type Stage = 'decode' | 'translate' | 'records';

function run(mode: Mode, stage: Stage): { usPerEvent: number; records: number } {
  const counters = new Counters();
  let records = 0;
  const nullSink: StreamEventSink = { onEvent: () => {} };
  const table = new ConnectionTable(() => { records++; }, { counters });
  const translator = new EventTranslator(stage === 'records' ? table : nullSink, { counters, toEpochNs: (t) => t + 1_700_000_000_000_000_000n });
  const cursor = new EventCursor();
  let sum = 0;
  const use: (ev: KernelEvent) => void = stage === 'decode' ? (ev) => { sum += ev.sockId + ev.payload.length; } : (ev) => translator.push(ev);
  const t0 = process.cpuUsage();
  if (mode === 'object') {
    walk((view, bytes, off, len) => {
      const ev = decodeEvent(view, bytes, off, len);
      if (ev) use(ev);
    });
  } else {
    walk((view, bytes, off, len) => {
      if (cursor.at(view, bytes, off, len)) use(cursor);
    });
  }
  table.flush();
  const cpu = process.cpuUsage(t0);
  if (sum < 0) console.log(sum);
  return { usPerEvent: (cpu.user + cpu.system) / ring.records, records };
}

console.log(`decode benchmark: ${requests.toLocaleString('en-US')} requests on ${CONNS} connections seen at both ends, ` +
  `${ring.records.toLocaleString('en-US')} ring records, node ${process.version}; best of 5 after a warm-up`);
console.log('stage                         object us/event  cursor us/event  cursor/object  records');
for (const stage of ['decode', 'translate', 'records'] as const) {
  const best: Record<Mode, number> = { object: Infinity, cursor: Infinity };
  let recs = 0;
  for (let i = 0; i < 6; i++) {
    for (const mode of ['object', 'cursor'] as const) {
      const r = run(mode, stage);
      if (i > 0) best[mode] = Math.min(best[mode], r.usPerEvent);
      recs = r.records;
    }
  }
  const label = { decode: 'decode only', translate: 'decode + translate', records: 'decode + translate + records' }[stage];
  console.log(`${label.padEnd(29)} ${best.object.toFixed(3).padStart(15)} ${best.cursor.toFixed(3).padStart(16)} ${(best.cursor / best.object).toFixed(2).padStart(14)} ${String(recs).padStart(8)}`);
}
