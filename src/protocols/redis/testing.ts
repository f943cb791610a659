/**
 * @module protocols/redis/testing
 * Test helpers: parse every frame in a buffer, and replay captured connections through the real
 * connection table.
 */
import { ConnectionTable } from '../../streams/connection-table.ts';
import type { ConnectionTableOptions } from '../../streams/connection-table.ts';
import type { StreamEvent } from '../../streams/events.ts';
import type { RequestRecord } from '../../records/record.ts';
import type { ParseResult } from '../protocol.ts';
import { redis } from './spec.ts';
import { latin1 } from './fixtures.ts';
import type { CapturedSegment } from './fixtures.ts';
import type { RedisFrame, RedisState } from './types.ts';

/** Every result of parsing `data` from the start until it runs out or stops being ok/ignored. */
export function parseAll(data: Uint8Array, dir: 0 | 1, state: RedisState = redis.createState()): Array<ParseResult<RedisFrame>> {
  const results: Array<ParseResult<RedisFrame>> = [];
  let at = 0;
  while (at < data.length) {
    const r = redis.parse(data.subarray(at), dir, state);
    results.push(r);
    if (r.state !== 'ok' && r.state !== 'ignored') break;
    at += r.consumed;
  }
  return results;
}

export interface Replayed {
  records: RequestRecord[];
  counters: Record<string, number>;
}

/** Replays segments on one connection (client port 40000, server 6379) through the connection table. */
export function replay(segments: readonly CapturedSegment[], options: ConnectionTableOptions = {}): Replayed {
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { protocols: [redis], ...options });
  let time = 1_000_000_000n;
  const events: StreamEvent[] = [{
    kind: 'open', conn: 1, time, transport: 'tcp', client: { ip: '127.0.0.1', port: 40000 },
    server: { ip: '127.0.0.1', port: 6379 }, rolesKnown: true, midStream: false, observation: 'network',
  }];
  for (const s of segments) {
    time += 1_000_000n;
    events.push({ kind: 'data', conn: 1, dir: s.dir, time, seq: -1, bytes: latin1(s.bytes), length: s.length });
  }
  for (const e of events) table.onEvent(e);
  table.flush();
  return { records, counters: table.counters.snapshot() };
}
