import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodedPacket } from './decode.ts';
import { FlowEntry, FlowIndex, sourceIsLow, tupleHash } from './flow-index.ts';

function packet(src: number, srcPort: number, dst: number, dstPort: number, v6 = false): DecodedPacket {
  const p = new DecodedPacket();
  p.ipVersion = v6 ? 6 : 4;
  p.src0 = src;
  p.dst0 = dst;
  if (v6) p.src3 = p.dst3 = 7;
  p.srcPort = srcPort;
  p.dstPort = dstPort;
  return p;
}

class Flow extends FlowEntry {
  constructor(readonly name: string) {
    super();
  }
}

function find(index: FlowIndex<Flow>, p: DecodedPacket, hash?: number): Flow | undefined {
  const low = sourceIsLow(p);
  return index.find(p, low, hash ?? tupleHash(p, low));
}

function add(index: FlowIndex<Flow>, f: Flow, p: DecodedPacket, hash?: number): void {
  const low = sourceIsLow(p);
  index.insert(f, p, low, hash ?? tupleHash(p, low));
}

test('a flow is found from packets in either direction, and only by its own tuple', () => {
  const index = new FlowIndex<Flow>();
  const a = new Flow('a');
  add(index, a, packet(0x0a000001, 40000, 0x0a000002, 53));
  assert.equal(find(index, packet(0x0a000001, 40000, 0x0a000002, 53)), a);
  assert.equal(find(index, packet(0x0a000002, 53, 0x0a000001, 40000)), a);
  assert.equal(find(index, packet(0x0a000001, 40001, 0x0a000002, 53)), undefined);
  assert.equal(find(index, packet(0x0a000001, 40000, 0x0a000002, 53, true)), undefined, 'IPv6 is another flow');
  assert.equal(index.size, 1);
});

test('entries sharing a hash are told apart, and deleting any of them keeps the others', () => {
  const index = new FlowIndex<Flow>();
  const packets = [packet(1, 1000, 2, 53), packet(1, 1001, 2, 53), packet(1, 1002, 2, 53)];
  const flows = packets.map((p, i) => new Flow(`f${i}`));
  packets.forEach((p, i) => add(index, flows[i]!, p, 42));
  packets.forEach((p, i) => assert.equal(find(index, p, 42), flows[i]));
  index.delete(flows[1]!);
  assert.equal(find(index, packets[1]!, 42), undefined);
  assert.equal(find(index, packets[0]!, 42), flows[0]);
  assert.equal(find(index, packets[2]!, 42), flows[2]);
  index.delete(flows[2]!);
  index.delete(flows[0]!);
  assert.equal(index.size, 0);
  assert.equal(index.first, null);
});

test('entries are walked oldest first, as inserted, after deletions and re-insertions', () => {
  const index = new FlowIndex<Flow>();
  const flows = [0, 1, 2, 3].map((i) => new Flow(`f${i}`));
  const packets = [0, 1, 2, 3].map((i) => packet(1, 1000 + i, 2, 80));
  flows.forEach((f, i) => add(index, f, packets[i]!));
  index.delete(flows[0]!);
  index.delete(flows[2]!);
  add(index, flows[0]!, packets[0]!);
  const names: string[] = [];
  for (let f = index.first; f; f = index.after(f)) names.push(f.name);
  assert.deepEqual(names, ['f1', 'f3', 'f0']);
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(find(index, packets[1]!), undefined);
});
