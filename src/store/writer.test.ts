import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordWriter, DroppedError } from './writer.ts';
import type { InsertFormat, QueryParams, Store } from './store.ts';
import { makeRecord } from './fixtures.ts';
import { valuesToLine } from './rows.ts';
import type { RowValues } from './rows.ts';
import type { ColumnSpec } from './schema.ts';
import { Counters } from '../util/counters.ts';

/** A store that keeps inserted lines in memory; inserts wait on `gate` and may fail on demand. */
class FakeStore implements Store {
  readonly kind = 'chdb' as const;
  readonly location = 'memory';
  lines: string[] = [];
  batches = 0;
  failNext = 0;
  delayMs = 0;
  async exec(_sql: string, _p?: QueryParams): Promise<void> {}
  async query<T>(): Promise<T[]> {
    return [];
  }
  async insert(_t: string, _c: readonly string[], body: string, _f: InsertFormat): Promise<number> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Code: 241. Memory limit exceeded');
    }
    const ls = body.split('\n');
    this.lines.push(...ls);
    this.batches++;
    return ls.length;
  }
  async insertRows(t: string, _c: readonly ColumnSpec[], rows: readonly RowValues[]): Promise<number> {
    return this.insert(t, [], rows.map(valuesToLine).join('\n'), 'TabSeparated');
  }
  async close(): Promise<void> {}
}

const rec = (i: number) => makeRecord({ startNs: 1_800_000_000_000_000_000n + BigInt(i), durationNs: i, clientService: 'c', serverService: 's', path: `/p/${i}` });
const startOf = (line: string) => line.split('\t')[1]!;

test('batches by size, flush stores everything accepted, in order', async () => {
  const store = new FakeStore();
  const w = new RecordWriter(store, { batchRows: 100, flushIntervalMs: 10_000 });
  for (let i = 0; i < 1050; i++) w.write(rec(i));
  await w.flush();
  assert.equal(store.lines.length, 1050);
  assert.ok(store.batches >= 11, `batches ${store.batches}`);
  assert.equal(startOf(store.lines[0]!), '1800000000.000000000');
  assert.equal(startOf(store.lines[1049]!), '1800000000.000001049');
  await w.close();
});

test('sends a partial batch after the flush interval without being asked', async () => {
  const store = new FakeStore();
  const w = new RecordWriter(store, { batchRows: 10_000, flushIntervalMs: 50 });
  for (let i = 0; i < 5; i++) w.write(rec(i));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(store.lines.length, 5);
  await w.close();
});

test('slow store: oldest unsent rows are dropped and counted, memory stays bounded', async () => {
  const store = new FakeStore();
  store.delayMs = 50;
  const counters = new Counters();
  const w = new RecordWriter(store, { counters, batchRows: 1000, maxBufferedRows: 5000, flushIntervalMs: 10 });
  const total = 40_000;
  for (let i = 0; i < total; i++) {
    w.write(rec(i));
    assert.ok(w.stats().pending_rows <= 5000 + 1000, 'bounded: buffer + one batch in flight');
  }
  await w.close();
  const dropped = counters.get('store.dropped_records');
  assert.ok(dropped > 0, 'some rows dropped');
  assert.equal(store.lines.length + dropped, total, 'every row either stored or counted as dropped');
  // Oldest dropped: the newest rows all made it.
  const last = store.lines.map(startOf).sort();
  assert.equal(last[last.length - 1], '1800000000.000039999');
  const stored = new Set(store.lines.map(startOf));
  for (let i = total - 4000; i < total; i++) assert.ok(stored.has(`1800000000.${String(i).padStart(9, '0')}`), `row ${i} kept`);
});

test('failed inserts are retried, counted and logged once; writeValues acks after storing', async () => {
  const store = new FakeStore();
  store.failNext = 2;
  const counters = new Counters();
  const logs: string[] = [];
  const w = new RecordWriter(store, { counters, retryDelayMs: 5, log: (m) => logs.push(m) });
  await w.writeValues([['1'], ['2'], ['3']]);
  assert.deepEqual(store.lines, ['1', '2', '3']);
  assert.equal(counters.get('store.write_errors'), 2);
  assert.equal(logs.length, 1, 'same kind of error logged once');
  store.failNext = 100;
  await assert.rejects(w.writeValues([['4']]), DroppedError);
  assert.equal(counters.get('store.dropped_records'), 1);
  await w.close();
  w.write(rec(1));
  assert.equal(counters.get('store.dropped_records'), 2, 'writes after close are counted, not lost silently');
});
