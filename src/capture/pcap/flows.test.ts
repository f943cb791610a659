import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayFiles } from './replay.ts';
import { Counters } from '../../util/counters.ts';
import { ACK, ethernet, FIN, ipv4, pcapFile, PSH, RST, SYN, tcp, text, udp } from './capture-builder.ts';
import type { PacketSpec } from './capture-builder.ts';
import { Recorder, requireTools, run, TempDir } from './test-tools.ts';
import type { FlowTrackerOptions } from './flows.ts';

/** Writes one TCP conversation packet by packet; offsets are relative to each side's ISN + 1. */
class Conversation {
  readonly packets: PacketSpec[] = [];
  private time = 1_700_000_000_000_000_000n;
  constructor(
    readonly client = { ip: '10.0.0.1', port: 40000, isn: 1000 },
    readonly server = { ip: '10.0.0.2', port: 80, isn: 5000 },
  ) {}

  private add(fromClient: boolean, seq: number, ack: number, flags: number, payload?: Uint8Array, snap?: number): this {
    const [a, b] = fromClient ? [this.client, this.server] : [this.server, this.client];
    const frame = ethernet(0x0800, ipv4({ src: a.ip, dst: b.ip, protocol: 6, payload: tcp({ sport: a.port, dport: b.port, seq: seq >>> 0, ack: ack >>> 0, flags, payload }) }));
    this.time += 1_000_000n;
    this.packets.push({ time: this.time, data: snap === undefined ? frame : frame.subarray(0, snap), originalLength: frame.length });
    return this;
  }

  handshake(): this {
    return this.add(true, this.client.isn, 0, SYN)
      .add(false, this.server.isn, this.client.isn + 1, SYN | ACK)
      .add(true, this.client.isn + 1, this.server.isn + 1, ACK);
  }
  /** Client data at `offset`, acknowledging the server's `ack` offset. */
  c(offset: number, payload: string | Uint8Array, ack = 0, flags = ACK | PSH, snap?: number): this {
    return this.add(true, this.client.isn + 1 + offset, this.server.isn + 1 + ack, flags, typeof payload === 'string' ? text(payload) : payload, snap);
  }
  s(offset: number, payload: string | Uint8Array, ack = 0, flags = ACK | PSH): this {
    return this.add(false, this.server.isn + 1 + offset, this.client.isn + 1 + ack, flags, typeof payload === 'string' ? text(payload) : payload);
  }
  wait(ns: bigint): this {
    this.time += ns;
    return this;
  }
}

async function replay(packets: PacketSpec[], options: FlowTrackerOptions = {}): Promise<{ rec: Recorder; counters: Counters; file: string; tmp: TempDir }> {
  const tmp = new TempDir();
  const file = tmp.file('conv.pcap', pcapFile({ linkType: 1, nanosecond: true }, packets));
  const rec = new Recorder();
  const counters = new Counters();
  await replayFiles([file], rec, counters, undefined, options);
  return { rec, counters, file, tmp };
}

/** tshark's own reassembly of TCP stream 0: the bytes each side sent, as text. */
function tsharkFollow(file: string): { client: string; server: string } {
  const out = run('tshark', ['-r', file, '-q', '-z', 'follow,tcp,raw,0']);
  let client = '';
  let server = '';
  for (const line of out.split('\n')) {
    if (/^\t[0-9a-f]+$/.test(line)) server += line.trim();
    else if (/^[0-9a-f]+$/.test(line)) client += line;
  }
  return { client: Buffer.from(client, 'hex').toString('latin1'), server: Buffer.from(server, 'hex').toString('latin1') };
}

test('a whole connection: handshake roles, in-order data with sequence numbers across the 2^32 wrap, close on both FINs', async () => {
  const conv = new Conversation({ ip: '10.0.0.1', port: 40000, isn: 0xfffffff0 }, { ip: '10.0.0.2', port: 80, isn: 0x7fffffff });
  conv.handshake()
    .c(0, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 0)
    .s(0, 'HTTP/1.1 200 OK\r\n\r\n', 27)
    .c(27, '', 19, ACK | FIN)
    .s(19, '', 28, ACK | FIN)
    .c(28, '', 20, ACK);
  const { rec, tmp } = await replay(conv.packets);
  tmp.remove();
  const [open, ...rest] = rec.events;
  assert.deepEqual(open, {
    kind: 'open', conn: 1, time: conv.packets[0]!.time, transport: 'tcp',
    client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '10.0.0.2', port: 80 },
    rolesKnown: true, midStream: false, observation: 'network',
  });
  const data = rec.of('data');
  assert.deepEqual(data.map((d) => [d.dir, d.seq, d.length]), [[0, 0xfffffff1, 27], [1, 0x80000000, 19]]);
  assert.equal(rec.stream(1, 0), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.deepEqual(rest.at(-1), { kind: 'close', conn: 1, time: conv.packets[6]!.time, reason: 'fin' });
  assert.equal(rec.of('close').length, 1, 'the last ACK does not reopen anything');
});

test('out-of-order, retransmitted and overlapping segments come out as tshark reassembles them', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const conv = new Conversation();
  conv.handshake()
    .c(0, 'AAAA')
    .c(8, 'CCCC') // ahead of time
    .c(4, 'BBBB') // fills the hole
    .c(4, 'BBBB') // retransmission
    .c(10, 'CCDDDD') // overlaps the end of CCCC
    .c(0, 'AAAABBBBCCCCDDDDEE') // a resend covering everything, plus 2 new bytes
    .s(0, 'ok', 18);
  const { rec, counters, file, tmp } = await replay(conv.packets);
  try {
    const expected = tsharkFollow(file);
    assert.equal(expected.client, 'AAAABBBBCCCCDDDDEE');
    assert.equal(rec.stream(1, 0), expected.client);
    assert.equal(rec.stream(1, 1), expected.server);
    assert.equal(rec.of('gap').length, 0);
    // Sequence numbers of data events tile the stream without holes or overlaps.
    let next = 1001;
    for (const d of rec.of('data').filter((e) => e.dir === 0)) {
      assert.equal(d.seq, next);
      next += d.length;
    }
    assert.equal(counters.get('capture.tcp_out_of_order'), 1);
    assert.equal(counters.get('capture.tcp_retransmissions'), 1);
    assert.equal(counters.get('capture.tcp_overlap_bytes'), 2 + 16);
  } finally {
    tmp.remove();
  }
});

test('a missing segment becomes a gap of its exact size once the peer acknowledges past it; data continues', async () => {
  const conv = new Conversation();
  conv.handshake()
    .c(0, '0123456789')
    // bytes 10..19 were never captured
    .c(20, 'KLMNOPQRST')
    .s(0, 'ack', 30); // the server acknowledges everything: the hole is capture loss
  const { rec, counters, tmp } = await replay(conv.packets);
  tmp.remove();
  const clientEvents = rec.events.filter((e) => e.kind !== 'open' && e.kind !== 'close' && e.dir === 0);
  assert.deepEqual(clientEvents.map((e) => (e.kind === 'gap' ? ['gap', e.length] : [e.kind, e.kind === 'data' ? e.seq : 0])), [
    ['data', 1001], ['gap', 10], ['data', 1021],
  ]);
  assert.equal(rec.stream(1, 0), '0123456789KLMNOPQRST');
  assert.equal(counters.get('capture.tcp_gap_bytes'), 10);
});

test('without acknowledgments, a hole is declared after the out-of-order buffer overflows, times out, or at the end', async () => {
  const overflow = new Conversation();
  overflow.handshake().c(0, 'aa').c(4, 'cc').c(6, 'dd').c(8, 'ee');
  let r = await replay(overflow.packets, { maxOutOfOrderSegments: 2 });
  r.tmp.remove();
  assert.deepEqual(r.rec.of('gap').map((g) => g.length), [2]);
  assert.equal(r.rec.stream(1, 0), 'aaccddee');
  assert.equal(r.counters.get('capture.tcp_out_of_order_overflows'), 1);

  const timeout = new Conversation();
  timeout.handshake().c(0, 'aa').c(4, 'cc').wait(3_000_000_000n).c(6, 'dd');
  r = await replay(timeout.packets);
  r.tmp.remove();
  const gapAt = r.rec.events.findIndex((e) => e.kind === 'gap');
  assert.ok(gapAt > 0 && r.rec.events[gapAt + 1]!.kind === 'data', 'the gap comes before the data behind it');
  assert.equal(r.counters.get('capture.tcp_out_of_order_timeouts'), 1);
  assert.equal(r.rec.stream(1, 0), 'aaccdd');

  const atEnd = new Conversation();
  atEnd.handshake().c(0, 'aa').c(4, 'cc');
  r = await replay(atEnd.packets);
  r.tmp.remove();
  assert.deepEqual(r.rec.events.slice(-3).map((e) => e.kind), ['gap', 'data', 'close']);
  assert.equal((r.rec.events.at(-1) as { reason: string }).reason, 'end');
});

test('a connection whose handshake was not captured opens mid-stream with guessed roles', async () => {
  // The client's port is lower than the server's, but 6379 is a well-known service port.
  const conv = new Conversation({ ip: '10.0.0.1', port: 1000, isn: 1 }, { ip: '10.0.0.9', port: 6379, isn: 9 });
  conv.s(0, '+OK\r\n', 0).c(0, '*1\r\n$4\r\nPING\r\n', 5).s(5, '+PONG\r\n', 14);
  const { rec, tmp } = await replay(conv.packets);
  tmp.remove();
  const open = rec.of('open')[0]!;
  assert.equal(open.rolesKnown, false);
  assert.equal(open.midStream, true);
  assert.deepEqual(open.server, { ip: '10.0.0.9', port: 6379 });
  assert.equal(rec.stream(1, 1), '+OK\r\n+PONG\r\n');
  assert.equal(rec.stream(1, 0), '*1\r\n$4\r\nPING\r\n');
});

test('SYN-ACK without its SYN still gives known roles', async () => {
  const conv = new Conversation({ ip: '10.0.0.1', port: 8080, isn: 100 }, { ip: '10.0.0.2', port: 9999, isn: 200 });
  conv.handshake();
  conv.packets.shift();
  conv.c(0, 'hi', 0);
  const { rec, tmp } = await replay(conv.packets);
  tmp.remove();
  const open = rec.of('open')[0]!;
  assert.deepEqual([open.rolesKnown, open.midStream, open.client.port, open.server.port], [true, false, 8080, 9999]);
  assert.equal(rec.of('data')[0]!.seq, 101);
});

test('RST closes; a new SYN on the same tuple is a new connection; keep-alives deliver nothing', async () => {
  const conv = new Conversation();
  conv.handshake().c(0, 'one').s(0, 'x', 3)
    .c(2, 'e', 1, ACK) // keep-alive probe: the last byte again
    .c(3, '', 1, RST | ACK)
    .handshake().c(0, 'two').s(0, 'y', 3);
  const { rec, counters, tmp } = await replay(conv.packets);
  tmp.remove();
  assert.deepEqual(rec.of('open').map((o) => o.conn), [1, 2]);
  assert.deepEqual(rec.of('close').map((c) => [c.conn, c.reason]), [[1, 'rst'], [2, 'end']]);
  assert.equal(rec.stream(1, 0), 'one');
  assert.equal(rec.stream(2, 0), 'two');
  assert.equal(counters.get('capture.tcp_keepalives'), 1);
});

test('a segment cut by the snap length reports its real length and the stream stays aligned', async () => {
  const conv = new Conversation();
  conv.handshake().c(0, 'x'.repeat(500), 0, ACK | PSH, 14 + 20 + 20 + 100).c(500, 'tail');
  const { rec, counters, tmp } = await replay(conv.packets);
  tmp.remove();
  const data = rec.of('data');
  assert.deepEqual(data.map((d) => [d.seq, d.bytes.length, d.length]), [[1001, 100, 500], [1501, 4, 4]]);
  assert.equal(rec.of('gap').length, 0);
  assert.equal(counters.get('capture.truncated_packets'), 1);
});

test('UDP: one flow per 5-tuple with the port-53 side as server, one data event per datagram', async () => {
  const dns = (fromClient: boolean, payload: string, time: bigint): PacketSpec => ({
    time,
    data: ethernet(0x0800, ipv4({
      src: fromClient ? '10.0.0.1' : '10.0.0.53', dst: fromClient ? '10.0.0.53' : '10.0.0.1', protocol: 17,
      payload: fromClient ? udp(33333, 53, text(payload)) : udp(53, 33333, text(payload)),
    })),
  });
  const { rec, tmp } = await replay([dns(false, 'unsolicited', 1n), dns(true, 'query', 2n), dns(false, 'answer', 3n)]);
  tmp.remove();
  const open = rec.of('open');
  assert.equal(open.length, 1);
  assert.deepEqual([open[0]!.transport, open[0]!.server.port, open[0]!.rolesKnown], ['udp', 53, false]);
  assert.deepEqual(rec.of('data').map((d) => [d.dir, d.seq, Buffer.from(d.bytes).toString()]), [[1, -1, 'unsolicited'], [0, -1, 'query'], [1, -1, 'answer']]);
  assert.deepEqual(rec.of('close').map((c) => c.reason), ['end']);
});

test('a connection that continues into the next file stays one connection', async () => {
  const conv = new Conversation();
  conv.handshake().c(0, 'first half ').s(0, 'ok', 11).c(11, 'second half', 2);
  const tmp = new TempDir();
  try {
    const a = tmp.file('a.pcap', pcapFile({ linkType: 1 }, conv.packets.slice(0, 5)));
    const b = tmp.file('b.pcap', pcapFile({ linkType: 1 }, conv.packets.slice(5)));
    const rec = new Recorder();
    const counters = new Counters();
    await replayFiles([a, b], rec, counters);
    assert.equal(rec.of('open').length, 1);
    assert.equal(rec.stream(1, 0), 'first half second half');
    assert.equal(counters.get('capture.files'), 2);
  } finally {
    tmp.remove();
  }
});

test('a retransmitted SYN or SYN-ACK does not open a second connection', async () => {
  const conv = new Conversation();
  conv.handshake();
  const [syn, synAck] = conv.packets as [PacketSpec, PacketSpec];
  conv.packets.splice(1, 0, { ...syn, time: syn.time + 1n });
  conv.packets.splice(3, 0, { ...synAck, time: synAck.time + 1n });
  conv.c(0, 'hello', 0);
  const { rec, counters, tmp } = await replay(conv.packets);
  tmp.remove();
  assert.equal(rec.of('open').length, 1);
  assert.equal(rec.stream(1, 0), 'hello');
  assert.equal(counters.get('capture.tcp_handshake_retransmissions'), 2);
});
