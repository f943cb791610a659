import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionTable } from '../../streams/connection-table.ts';
import type { StreamEvent } from '../../streams/events.ts';
import type { RequestRecord } from '../../records/record.ts';
import { dns } from './spec.ts';
import { capture, hex } from './fixtures.ts';

/** Runs events for one connection (id 1) through the real connection table with DNS only. */
function records(transport: 'tcp' | 'udp', sends: Array<[0 | 1, Uint8Array]>): RequestRecord[] {
  const out: RequestRecord[] = [];
  const table = new ConnectionTable((r) => out.push(r), { protocols: [dns] });
  let time = 1_000_000_000n;
  const events: StreamEvent[] = [{
    kind: 'open', conn: 1, time, transport, client: { ip: '127.0.0.1', port: 45114 },
    server: { ip: '127.0.0.1', port: 53 }, rolesKnown: true, midStream: false, observation: 'network',
  }];
  for (const [dir, bytes] of sends) {
    time += 1_000_000n;
    events.push({ kind: 'data', conn: 1, dir, time, seq: -1, bytes, length: bytes.length });
  }
  for (const e of events) table.onEvent(e);
  table.flush();
  return out;
}

describe('dns through the connection table', () => {
  it('pairs UDP answers with queries by id even when they come back out of order', () => {
    const a = capture('udp A');
    const aaaa = capture('udp AAAA');
    const out = records('udp', [
      [0, hex(a.request)], [0, hex(aaaa.request)], [1, hex(aaaa.response!)], [1, hex(a.response!)],
    ]);
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((r) => r.request_domain), [aaaa.tshark.qname, a.tshark.qname]);
    assert.deepEqual(out.map((r) => r.response_summary), [`AAAA ${aaaa.tshark.aaaa}`, `A ${a.tshark.a}`]);
    assert.ok(out.every((r) => r.duration_ns > 0));
  });

  it('keeps the query when its first TCP segment carries a single byte', () => {
    const c = capture('tcp MX');
    const request = hex(c.request);
    const out = records('tcp', [[0, request.subarray(0, 1)], [0, request.subarray(1)], [1, hex(c.response!)]]);
    assert.equal(out.length, 1);
    // tshark: the query segment is tcp.len 55 and the answer 76.
    assert.equal(out[0]!.request_bytes, 55);
    assert.equal(out[0]!.response_bytes, 76);
    assert.equal(out[0]!.request_type, 'MX');
  });

  it('records two answers that arrive in one TCP segment', () => {
    const a = capture('tcp keepopen A');
    const aaaa = capture('tcp keepopen AAAA');
    const out = records('tcp', [
      [0, new Uint8Array([...hex(a.request), ...hex(aaaa.request)])],
      [1, new Uint8Array([...hex(a.response!), ...hex(aaaa.response!)])],
    ]);
    assert.deepEqual(out.map((r) => r.request_domain), [a.tshark.qname, aaaa.tshark.qname]);
    assert.deepEqual(out.map((r) => r.response_status), ['ok', 'ok']);
  });
});
