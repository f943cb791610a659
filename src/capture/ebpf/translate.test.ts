import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../streams/events.ts';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from '../../streams/events.ts';
import type { ProcessInfo } from '../../records/record.ts';
import {
  AF_INET, FS_DIR_RECV, FS_DIR_SEND, FS_EV_CLOSE, FS_EV_DATA, FS_EV_OPEN, FS_FLAG_INTERESTING, FS_FLAG_MIDSTREAM,
  FS_FLAG_TCP_SEQ, FS_ROLE_CLIENT, FS_ROLE_SERVER, FS_ROLE_UNKNOWN, IPPROTO_TCP, IPPROTO_UDP,
} from './abi.ts';
import type { KernelEvent } from './abi.ts';
import { EventTranslator, guessRole } from './translate.ts';

const text = (s: string) => new TextEncoder().encode(s);

function ev(over: Partial<KernelEvent>): KernelEvent {
  return {
    kind: FS_EV_DATA, tsEnterNs: 1000n, tsExitNs: 2000n, sockId: 1, ret: 0, quietBytesSent: 0, quietBytesReceived: 0,
    pid: 100, tid: 100, fd: 5, seqNo: 0, tcpSeq: 0, role: FS_ROLE_CLIENT, direction: FS_DIR_SEND, flags: 0,
    protocol: IPPROTO_TCP, syscall: 0, family: AF_INET, localPort: 40000, remotePort: 80, localAddr: '127.0.0.1',
    remoteAddr: '127.0.0.1', comm: 'curl', payload: new Uint8Array(), ...over,
  };
}

function proc(pid: number, command: string): ProcessInfo {
  return { pid, command, executable: null, container_id: null, service: command };
}

function setup(options: ConstructorParameters<typeof EventTranslator>[1] = {}) {
  const out: StreamEvent[] = [];
  const tr = new EventTranslator({ onEvent: (e) => out.push(e) }, {
    resolveProcess: (pid, comm) => proc(pid, comm),
    toEpochNs: (t) => t + 1_000_000n,
    ...options,
  });
  return { out, tr };
}

test('a client socket: open with known roles, request client->server stamped at entry, response at exit', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN, seqNo: 0 }));
  const req = text('GET / HTTP/1.1\r\n\r\n');
  tr.push(ev({ seqNo: 1, ret: req.length, payload: req, flags: FS_FLAG_TCP_SEQ, tcpSeq: 100, tsEnterNs: 5000n, tsExitNs: 6000n }));
  tr.push(ev({ seqNo: 2, ret: 30, direction: FS_DIR_RECV, flags: FS_FLAG_TCP_SEQ, tcpSeq: 900, tsEnterNs: 5500n, tsExitNs: 9000n }));
  tr.push(ev({ kind: FS_EV_CLOSE, seqNo: 3, tsExitNs: 10000n }));
  assert.deepEqual(out.map((e) => e.kind), ['open', 'data', 'data', 'close']);
  const open = out[0]!;
  assert.ok(open.kind === 'open');
  assert.equal(open.rolesKnown, true);
  assert.equal(open.midStream, false);
  assert.equal(open.observation, 'client');
  assert.deepEqual(open.client, { ip: '127.0.0.1', port: 40000 });
  assert.deepEqual(open.server, { ip: '127.0.0.1', port: 80 });
  assert.equal(open.clientProcess?.command, 'curl');
  assert.equal(open.serverProcess, null);
  const [d1, d2] = [out[1]!, out[2]!];
  assert.ok(d1.kind === 'data' && d2.kind === 'data');
  assert.equal(d1.dir, CLIENT_TO_SERVER);
  assert.equal(d1.time, 1_005_000n);
  assert.equal(d1.seq, 100);
  assert.equal(d2.dir, SERVER_TO_CLIENT);
  assert.equal(d2.time, 1_009_000n);
  assert.equal(d2.length, 30);
  assert.equal(d2.bytes.length, 0);
  assert.equal(tr.socketCount, 0);
});

test('a server socket maps send to server->client and observes as server', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN, role: FS_ROLE_SERVER, localPort: 80, remotePort: 40000, comm: 'nginx' }));
  tr.push(ev({ seqNo: 1, role: FS_ROLE_SERVER, direction: FS_DIR_RECV, ret: 5, localPort: 80, remotePort: 40000 }));
  tr.push(ev({ seqNo: 2, role: FS_ROLE_SERVER, direction: FS_DIR_SEND, ret: 5, localPort: 80, remotePort: 40000 }));
  const open = out[0]!;
  assert.ok(open.kind === 'open');
  assert.equal(open.observation, 'server');
  assert.equal(open.serverProcess?.command, 'nginx');
  assert.deepEqual(open.client, { ip: '127.0.0.1', port: 40000 });
  assert.deepEqual(out.slice(1).map((e) => (e.kind === 'data' ? e.dir : -1)), [CLIENT_TO_SERVER, SERVER_TO_CLIENT]);
});

test('a TCP sequence jump becomes a gap of the missing byte count', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN }));
  tr.push(ev({ seqNo: 1, ret: 10, flags: FS_FLAG_TCP_SEQ, tcpSeq: 0xffff_fffa }));
  // Event 2 lost; event 3 starts 25 bytes after where event 1 ended (with 32-bit wrap-around).
  tr.push(ev({ seqNo: 3, ret: 10, flags: FS_FLAG_TCP_SEQ, tcpSeq: (0xffff_fffa + 10 + 25) >>> 0 }));
  const gap = out.find((e) => e.kind === 'gap');
  assert.ok(gap && gap.kind === 'gap');
  assert.equal(gap.length, 25);
  assert.equal(gap.dir, CLIENT_TO_SERVER);
  assert.equal(tr.counters.get('capture.lost_events_detected'), 1);
  assert.equal(tr.counters.get('capture.gaps'), 1);
});

test('a skipped event number without TCP sequence gives a gap of unknown length', () => {
  const { out, tr } = setup();
  const udp = { protocol: IPPROTO_UDP, remotePort: 53, localPort: 50000 };
  tr.push(ev({ kind: FS_EV_OPEN, ...udp }));
  tr.push(ev({ seqNo: 1, ret: 30, ...udp }));
  tr.push(ev({ seqNo: 4, ret: 30, direction: FS_DIR_RECV, ...udp }));
  const gaps = out.filter((e) => e.kind === 'gap');
  assert.equal(gaps.length, 1);
  assert.ok(gaps[0]!.kind === 'gap' && gaps[0]!.length === -1 && gaps[0]!.dir === SERVER_TO_CLIENT);
  assert.equal(tr.counters.get('capture.lost_events_detected'), 2);
});

test('unconnected UDP: one connection per peer, opened on first data', () => {
  const { out, tr } = setup();
  const server = { protocol: IPPROTO_UDP, role: FS_ROLE_UNKNOWN, localPort: 53, comm: 'dnsmasq' };
  tr.push(ev({ ...server, direction: FS_DIR_RECV, ret: 30, remotePort: 50001, remoteAddr: '10.0.0.1' }));
  tr.push(ev({ ...server, seqNo: 1, direction: FS_DIR_SEND, ret: 60, remotePort: 50001, remoteAddr: '10.0.0.1' }));
  tr.push(ev({ ...server, seqNo: 2, direction: FS_DIR_RECV, ret: 30, remotePort: 50002, remoteAddr: '10.0.0.2' }));
  const opens = out.filter((e) => e.kind === 'open');
  assert.equal(opens.length, 2);
  for (const o of opens) {
    assert.ok(o.kind === 'open');
    assert.equal(o.transport, 'udp');
    assert.equal(o.rolesKnown, false);
    assert.equal(o.midStream, false);
    assert.equal(o.server.port, 53);
  }
  const data = out.filter((e) => e.kind === 'data');
  assert.deepEqual(data.map((d) => (d.kind === 'data' ? d.dir : -1)), [CLIENT_TO_SERVER, SERVER_TO_CLIENT, CLIENT_TO_SERVER]);
});

test('a socket first seen mid-life guesses roles from ports and says so', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN, role: FS_ROLE_UNKNOWN, flags: FS_FLAG_MIDSTREAM, localPort: 6379, remotePort: 51000 }));
  const open = out[0]!;
  assert.ok(open.kind === 'open');
  assert.equal(open.midStream, true);
  assert.equal(open.rolesKnown, false);
  assert.equal(open.server.port, 6379);
  assert.equal(open.observation, 'server');
  assert.equal(guessRole(51000, 443), FS_ROLE_CLIENT);
  assert.equal(guessRole(8080, 9090), FS_ROLE_SERVER);
});

test('data for a socket whose open was lost opens a mid-stream connection', () => {
  const { out, tr } = setup();
  tr.push(ev({ seqNo: 7, ret: 4, payload: text('PING') }));
  assert.deepEqual(out.map((e) => e.kind), ['open', 'data']);
  assert.equal(tr.counters.get('capture.sockets_without_open'), 1);
  assert.equal(tr.counters.get('capture.lost_events_detected'), 0);
});

test('both ends of a local connection learn each other\'s process', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 1, pid: 100, comm: 'curl', localPort: 40000, remotePort: 80 }));
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 2, pid: 200, comm: 'nginx', role: FS_ROLE_SERVER, localPort: 80, remotePort: 40000 }));
  const [a, b] = out;
  assert.ok(a?.kind === 'open' && b?.kind === 'open');
  assert.equal(a.serverProcess?.command, 'nginx');
  assert.equal(b.clientProcess?.command, 'curl');
  assert.equal(tr.counters.get('capture.local_peers_joined'), 1);
});

test('classify marks a socket once, and not when the kernel already recognised it', () => {
  const marked: number[] = [];
  const { tr } = setup({ classify: (bytes) => bytes[0] === 0x16, onInteresting: (id) => marked.push(id) });
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 9 }));
  tr.push(ev({ sockId: 9, seqNo: 1, ret: 1, payload: new Uint8Array([0x16]) }));
  tr.push(ev({ sockId: 9, seqNo: 2, ret: 1, payload: new Uint8Array([0x16]) }));
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 10 }));
  tr.push(ev({ sockId: 10, seqNo: 1, ret: 1, payload: new Uint8Array([0x16]), flags: FS_FLAG_INTERESTING }));
  assert.deepEqual(marked, [9]);
});

test('sockets are bounded: the oldest is closed as idle', () => {
  const { out, tr } = setup({ maxSockets: 2 });
  for (let i = 1n; i <= 3n; i++) tr.push(ev({ kind: FS_EV_OPEN, sockId: Number(i), localPort: 40000 + Number(i) }));
  assert.equal(tr.socketCount, 2);
  const close = out.find((e) => e.kind === 'close');
  assert.ok(close?.kind === 'close' && close.reason === 'idle' && close.conn === 1);
  assert.equal(tr.counters.get('capture.sockets_evicted'), 1);
});

test('sockets of exited processes are closed by closeWhere', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 1, pid: 100 }));
  tr.push(ev({ kind: FS_EV_OPEN, sockId: 2, pid: 200, localPort: 40001 }));
  tr.closeWhere((pid) => pid === 100, 5n);
  assert.equal(tr.socketCount, 1);
  assert.equal(out.filter((e) => e.kind === 'close').length, 1);
});

test('an unconnected UDP socket opened before its first data is a server when it receives first', () => {
  const { out, tr } = setup();
  // The kernel's open event of a socket first met in recvmsg: role unknown, remote port 0.
  const sock = { protocol: IPPROTO_UDP, role: FS_ROLE_UNKNOWN, localPort: 5300, comm: 'dnsmasq', sockId: 3 };
  tr.push(ev({ ...sock, kind: FS_EV_OPEN, remotePort: 0, remoteAddr: '0.0.0.0' }));
  tr.push(ev({ ...sock, seqNo: 1, direction: FS_DIR_RECV, ret: 30, remotePort: 50001 }));
  const open = out.find((e) => e.kind === 'open');
  assert.ok(open?.kind === 'open');
  assert.equal(open.observation, 'server');
  assert.equal(open.serverProcess?.command, 'dnsmasq');
  assert.deepEqual(open.client, { ip: '127.0.0.1', port: 50001 });
  assert.equal(guessRole(5300, 0), FS_ROLE_SERVER, 'remote port 0 never makes a client');
});

test('a UDP socket with unknown role that sends first is a client', () => {
  const { out, tr } = setup();
  tr.push(ev({ protocol: IPPROTO_UDP, role: FS_ROLE_UNKNOWN, localPort: 1000, remotePort: 40000, direction: FS_DIR_SEND, ret: 5 }));
  const open = out.find((e) => e.kind === 'open');
  assert.ok(open?.kind === 'open');
  assert.equal(open.observation, 'client');
  assert.equal(open.server.port, 40000);
});

test('a read that also consumed the FIN (sequence one too high) is no gap; a real 1-byte loss still is', () => {
  const { out, tr } = setup();
  tr.push(ev({ kind: FS_EV_OPEN }));
  tr.push(ev({ seqNo: 1, ret: 10, flags: FS_FLAG_TCP_SEQ, tcpSeq: 100 }));
  tr.push(ev({ seqNo: 2, ret: 20, direction: FS_DIR_RECV, flags: FS_FLAG_TCP_SEQ, tcpSeq: 500 }));
  // copied_seq - bytes, where copied_seq counted the FIN: 521 instead of 520.
  tr.push(ev({ seqNo: 3, ret: 5, direction: FS_DIR_RECV, flags: FS_FLAG_TCP_SEQ, tcpSeq: 521 }));
  assert.equal(out.filter((e) => e.kind === 'gap').length, 0);
  const last = out.at(-1)!;
  assert.ok(last.kind === 'data' && last.seq === 520);
  assert.equal(tr.counters.get('capture.fin_seq_corrected'), 1);
  // An event lost before a read one byte further on is a gap.
  tr.push(ev({ seqNo: 5, ret: 5, direction: FS_DIR_RECV, flags: FS_FLAG_TCP_SEQ, tcpSeq: 526 }));
  const gap = out.find((e) => e.kind === 'gap');
  assert.ok(gap?.kind === 'gap' && gap.length === 1);
});

test('both ends of a local UDP exchange stay two observations and learn each other\'s process', () => {
  const { out, tr } = setup();
  const udp = { protocol: IPPROTO_UDP, ret: 30 };
  // dig: connected UDP client 127.0.0.1:40000 -> 127.0.0.1:53.
  tr.push(ev({ ...udp, kind: FS_EV_OPEN, sockId: 1, pid: 100, comm: 'dig', localPort: 40000, remotePort: 53 }));
  tr.push(ev({ ...udp, sockId: 1, pid: 100, comm: 'dig', seqNo: 1, localPort: 40000, remotePort: 53 }));
  // dnsmasq: unconnected, bound to the wildcard address; peer from the datagram's address.
  const srv = { ...udp, sockId: 2, pid: 200, comm: 'dnsmasq', role: FS_ROLE_UNKNOWN, localAddr: '0.0.0.0', localPort: 53 };
  tr.push(ev({ ...srv, kind: FS_EV_OPEN, remotePort: 0, remoteAddr: '0.0.0.0' }));
  tr.push(ev({ ...srv, seqNo: 1, direction: FS_DIR_RECV, remotePort: 40000 }));
  const opens = out.filter((e) => e.kind === 'open');
  assert.equal(opens.length, 2);
  const [c, s] = opens;
  assert.ok(c?.kind === 'open' && s?.kind === 'open');
  assert.equal(c.observation, 'client');
  assert.equal(s.observation, 'server');
  assert.equal(c.serverProcess?.command, 'dnsmasq');
  assert.equal(s.clientProcess?.command, 'dig');
  assert.equal(tr.counters.get('capture.local_peers_joined'), 1);
});
