import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as abi from './abi.ts';
import { decodeEvent, EventCursor, EVENT_HEADER_SIZE, EVENT_OFFSETS, formatAddr } from './abi.ts';

const header = readFileSync(fileURLToPath(new URL('../../../bpf/socket_tracer.h', import.meta.url)), 'utf8');
const objectPath = fileURLToPath(new URL('../../../bpf/socket_tracer.bpf.o', import.meta.url));

test('every #define in bpf/socket_tracer.h has the same value in abi.ts', () => {
  const defines = [...header.matchAll(/^#define\s+(FS_[A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)];
  assert.ok(defines.length >= 39, `found only ${defines.length} constants in the header`);
  const exported = abi as unknown as Record<string, unknown>;
  for (const [, name, value] of defines) {
    assert.equal(exported[name!], Number(value), `${name} in abi.ts`);
  }
});

test('struct fs_event offsets match the header (member order) and the BTF of the committed object', (t) => {
  const body = /struct fs_event \{([\s\S]*?)\n\};/.exec(header)?.[1] ?? '';
  const members = [...body.matchAll(/^\s*(?:__[us]\d+|char)\s+(\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(members, Object.keys(EVENT_OFFSETS), 'members and their order');

  let json: string;
  try {
    json = execFileSync('bpftool', ['btf', 'dump', 'file', objectPath, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    t.skip(`bpftool cannot read the object (${(err as Error).message.split('\n')[0]}); install bpftool to check offsets`);
    return;
  }
  const types = (JSON.parse(json) as { types: { kind: string; name: string; size: number; members?: { name: string; bits_offset: number }[] }[] }).types;
  const ev = types.find((x) => x.kind === 'STRUCT' && x.name === 'fs_event');
  assert.ok(ev?.members, 'struct fs_event in the object BTF');
  assert.equal(ev.size, EVENT_HEADER_SIZE);
  const fromBtf = Object.fromEntries(ev.members.map((m) => [m.name, m.bits_offset / 8]));
  assert.deepEqual(fromBtf, { ...EVENT_OFFSETS });
});

function eventBytes(fields: Partial<Record<keyof typeof EVENT_OFFSETS, number | bigint>>, payload = new Uint8Array()): Uint8Array {
  const b = new Uint8Array(EVENT_HEADER_SIZE + payload.length);
  const v = new DataView(b.buffer);
  const O = EVENT_OFFSETS;
  v.setBigUint64(O.sock_id, BigInt(fields.sock_id ?? 7n), true);
  v.setBigInt64(O.ret, BigInt(fields.ret ?? payload.length), true);
  v.setUint32(O.pid, Number(fields.pid ?? 42), true);
  v.setUint32(O.cap_len, Number(fields.cap_len ?? payload.length), true);
  v.setUint8(O.kind, Number(fields.kind ?? abi.FS_EV_DATA));
  v.setUint16(O.family, Number(fields.family ?? abi.AF_INET), true);
  v.setUint16(O.local_port, 8080, true);
  v.setUint16(O.remote_port, 40000, true);
  b.set([127, 0, 0, 1], O.local_addr);
  b.set([10, 1, 2, 3], O.remote_addr);
  b.set(new TextEncoder().encode('nginx'), O.comm);
  b.set(payload, O.payload);
  return b;
}

test('decodeEvent reads fields in place and copies exactly cap_len payload bytes', () => {
  const payload = new TextEncoder().encode('GET / HTTP/1.1\r\n');
  const b = eventBytes({ ret: 500 }, payload);
  const ev = decodeEvent(new DataView(b.buffer), b, 0, b.length)!;
  assert.equal(ev.sockId, 7);
  assert.equal(ev.ret, 500);
  assert.equal(ev.pid, 42);
  assert.equal(ev.comm, 'nginx');
  assert.equal(ev.localAddr, '127.0.0.1');
  assert.equal(ev.remoteAddr, '10.1.2.3');
  assert.equal(ev.localPort, 8080);
  assert.deepEqual([...ev.payload], [...payload]);
  b[EVENT_OFFSETS.payload] = 0; // the copy must not alias the ring
  assert.equal(ev.payload[0], 'G'.charCodeAt(0));
});

test('decodeEvent returns null for records that cannot be events', () => {
  const b = eventBytes({}, new Uint8Array(10));
  const v = new DataView(b.buffer);
  assert.equal(decodeEvent(v, b, 0, EVENT_HEADER_SIZE - 1), null, 'short record');
  v.setUint32(EVENT_OFFSETS.cap_len, 11, true);
  assert.equal(decodeEvent(v, b, 0, b.length), null, 'cap_len beyond the record');
  v.setUint32(EVENT_OFFSETS.cap_len, abi.FS_MAX_PAYLOAD + 1, true);
  assert.equal(decodeEvent(v, b, 0, 1 << 20), null, 'cap_len beyond the maximum');
});

test('EventCursor reads the same fields as decodeEvent, in place, and rejects what decodeEvent rejects', () => {
  const payload = new TextEncoder().encode('*1\r\n$4\r\nPING\r\n');
  const b = new Uint8Array(64 + eventBytes({ ret: 14 }, payload).length);
  b.set(eventBytes({ ret: 14 }, payload), 64); // not at offset 0, as in the ring
  const v = new DataView(b.buffer);
  const cursor = new EventCursor();
  assert.ok(cursor.at(v, b, 64, b.length - 64));
  assert.deepEqual(cursor.toEvent(), decodeEvent(v, b, 64, b.length - 64));
  const copy = cursor.payload;
  assert.equal(cursor.payload, copy, 'one copy per event');
  b[64 + EVENT_OFFSETS.payload] = 0;
  assert.equal(copy[0], '*'.charCodeAt(0), 'the payload does not alias the ring');
  assert.equal(cursor.at(v, b, 64, EVENT_HEADER_SIZE - 1), false, 'short record');
});

test('formatAddr prints IPv6 compressed and IPv4-mapped IPv6 as IPv4', () => {
  const v6 = new Uint8Array(16);
  v6[15] = 1;
  assert.equal(formatAddr(v6, 0, abi.AF_INET6), '::1');
  const mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 9]);
  assert.equal(formatAddr(mapped, 0, abi.AF_INET6), '192.168.1.9');
  const full = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42]);
  assert.equal(formatAddr(full, 0, abi.AF_INET6), '2001:db8::42');
});
