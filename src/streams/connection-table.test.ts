import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionTable } from './connection-table.ts';
import { DecodedPacket, PROTO_UDP } from '../capture/pcap/decode.ts';
import { FlowTracker } from '../capture/pcap/flows.ts';
import { DnsBuilder } from '../protocols/dns/testing.ts';
import type { RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';

const BASE = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;

function query(id: number): Uint8Array {
  return new DnsBuilder().header({ id, flags: 0x0100, qd: 1, an: 0 }).question('svc.cluster.local', 1).bytes();
}

function answer(id: number): Uint8Array {
  return new DnsBuilder().header({ id, flags: 0x8180, qd: 1, an: 1 }).question('svc.cluster.local', 1).record(12, 1, [10, 0, 0, 1]).bytes();
}

/** One UDP datagram as the pcap decoder would leave it: the payload is the whole of `buf`. */
function datagram(p: DecodedPacket, src: number, srcPort: number, dst: number, dstPort: number, payload: Uint8Array): Uint8Array {
  p.ipVersion = 4;
  p.protocol = PROTO_UDP;
  p.src0 = src;
  p.dst0 = dst;
  p.srcPort = srcPort;
  p.dstPort = dstPort;
  p.payloadOffset = 0;
  p.payloadCaptured = p.payloadLength = payload.length;
  return payload;
}

test('UDP flows expire after their idle time: 100K client ports keep the tables bounded, every exchange a record', () => {
  const counters = new Counters();
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { counters });
  const tracker = new FlowTracker(table, counters);
  const p = new DecodedPacket();
  const server = 0x0a000035;
  const flows = 100_000;
  // One query every 2 ms, each from a client port never used again: 200 s of capture.
  const spacing = 2n * MS;
  // 30 s of idle time at 2 ms per flow, plus a second of sweep granularity in each table.
  const bound = Number((30_000n * MS) / spacing) + 2 * Number(1_000n * MS / spacing);
  let maxTracked = 0;
  let maxConnections = 0;
  for (let i = 0; i < flows; i++) {
    const client = 0x0a010000 + (i >> 14);
    const port = 1024 + (i & 0x3fff);
    const t = BASE + BigInt(i) * spacing;
    tracker.packet(p, datagram(p, client, port, server, 53, query(i & 0xffff)), t);
    tracker.packet(p, datagram(p, server, 53, client, port, answer(i & 0xffff)), t + 100_000n);
    maxTracked = Math.max(maxTracked, tracker.size);
    maxConnections = Math.max(maxConnections, table.size);
  }
  tracker.finish();
  table.flush();
  assert.ok(maxTracked <= bound, `flow tracker held ${maxTracked} flows at once (bound ${bound})`);
  assert.ok(maxConnections <= bound, `connection table held ${maxConnections} connections at once (bound ${bound})`);
  assert.equal(records.length, flows);
  assert.equal(records.filter((r) => r.response_status === 'ok' && r.request_domain === 'svc.cluster.local').length, flows);
  assert.equal(counters.get('streams.connections'), flows);
  assert.equal(tracker.size, 0);
  assert.equal(table.size, 0);
});

test('the connection table closes a silent UDP connection after udpIdleTimeoutNs; its unanswered query times out', () => {
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { udpIdleTimeoutNs: 30_000n * MS });
  const open = (conn: number, port: number, time: bigint) => table.onEvent({
    kind: 'open', conn, time, transport: 'udp', client: { ip: '10.0.0.1', port }, server: { ip: '10.0.0.2', port: 53 },
    rolesKnown: false, midStream: false, observation: 'client',
  });
  const send = (conn: number, dir: 0 | 1, bytes: Uint8Array, time: bigint) => table.onEvent({ kind: 'data', conn, dir, time, seq: -1, bytes, length: bytes.length });
  open(1, 40000, BASE);
  send(1, 0, query(7), BASE);
  // Another connection stays busy; the first says nothing more.
  open(2, 40001, BASE);
  for (let s = 1n; s <= 29n; s++) send(2, 0, query(Number(s)), BASE + s * 1000n * MS);
  assert.equal(table.size, 2, 'not idle for 30 s yet');
  for (let s = 30n; s <= 32n; s++) send(2, 0, query(Number(s)), BASE + s * 1000n * MS);
  assert.equal(table.size, 1, 'the silent connection is closed');
  const timedOut = records.filter((r) => r.client.port === 40000);
  assert.equal(timedOut.length, 1);
  assert.equal(timedOut[0]!.response_status, 'timeout');
  // A TCP connection keeps the TCP idle time.
  table.onEvent({
    kind: 'open', conn: 3, time: BASE + 40_000n * MS, transport: 'tcp', client: { ip: '10.0.0.1', port: 40002 }, server: { ip: '10.0.0.2', port: 6379 },
    rolesKnown: true, midStream: false, observation: 'client',
  });
  send(2, 0, query(99), BASE + 100_000n * MS);
  assert.ok(table.size >= 2, 'TCP connection still open after 60 s of silence');
});
