import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/store.ts';
import type { Store } from '../store/store.ts';
import { RecordWriter } from '../store/writer.ts';
import { makeRecord } from '../store/fixtures.ts';
import { Counters } from '../util/counters.ts';
import { startApiServer } from '../server/api.ts';
import type { ApiServer } from '../server/api.ts';
import { startShipper } from './shipper.ts';
import { Spool } from './spool.ts';

const BASE_NS = BigInt(Math.floor(Date.now() / 1000) * 1000 - 60_000) * 1_000_000n;
const rec = (i: number) => makeRecord({ startNs: BASE_NS + BigInt(i) * 1000n, durationNs: 1000 + i, clientService: 'agent-test', serverService: 'svc', path: `/r/${i}` });

interface Server {
  store: Store;
  writer: RecordWriter;
  api: ApiServer;
}

async function startServer(dataDir: string, port: number, token: string): Promise<Server> {
  const store = await openStore({ dataDir });
  const counters = new Counters();
  const writer = new RecordWriter(store, { counters, flushIntervalMs: 50 });
  const api = await startApiServer(store, counters, { port, token, writer });
  return { store, writer, api };
}

async function stopServer(s: Server): Promise<void> {
  await s.api.close();
  await s.writer.close();
  await s.store.close();
}

test('agent -> server: server stopped and restarted mid-way, the spool loses nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowscope-srv-'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'flowscope-spool-'));
  const token = 'agent-token';
  let server = await startServer(dataDir, 0, token);
  const port = server.api.port;
  const counters = new Counters();
  const shipper = startShipper({
    server: server.api.url, token, spoolDir, batchRows: 500, flushIntervalMs: 20, retryBaseMs: 50, retryMaxMs: 200,
    counters, host: 'agent-1', log: () => {},
  });
  try {
    for (let i = 0; i < 3000; i++) shipper.onRecord(rec(i));
    await shipper.flush();
    assert.equal(counters.get('agent.sent_records'), 3000);

    await stopServer(server);
    for (let i = 3000; i < 7000; i++) shipper.onRecord(rec(i));
    // Wait until the batches are on disk while the server is away.
    for (let t = 0; t < 600 && shipper.stats().spool_batches < 4; t++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(shipper.stats().spool_batches >= 4, `spooled ${shipper.stats().spool_batches} batches`);
    assert.ok(counters.get('agent.send_errors') > 0);

    server = await startServer(dataDir, port, token);
    for (let i = 7000; i < 8000; i++) shipper.onRecord(rec(i));
    await shipper.flush();
    const rows = await server.store.query<{ n: string; u: string; h: string }>(
      "SELECT count() AS n, uniqExact(request_resource) AS u, any(host) AS h FROM requests WHERE client_service = 'agent-test'");
    assert.equal(Number(rows[0]!.n), 8000, 'every record stored exactly once');
    assert.equal(Number(rows[0]!.u), 8000);
    assert.equal(rows[0]!.h, 'agent-1');
    assert.equal(readdirSync(spoolDir).length, 0, 'spool emptied');
    assert.equal(counters.get('agent.spool_dropped_records'), 0);
  } finally {
    await shipper.close(1000);
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  }
});

test('wrong token: batches are kept (401 is retried), not dropped', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowscope-srv-'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'flowscope-spool-'));
  const server = await startServer(dataDir, 0, 'right');
  const counters = new Counters();
  const shipper = startShipper({ server: server.api.url, token: 'wrong', spoolDir, batchRows: 100, flushIntervalMs: 10, retryBaseMs: 20, retryMaxMs: 50, counters, log: () => {} });
  try {
    for (let i = 0; i < 300; i++) shipper.onRecord(rec(i));
    for (let t = 0; t < 100 && counters.get('agent.send_errors') < 3; t++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(counters.get('agent.send_errors') >= 3);
    assert.equal(counters.get('agent.sent_records'), 0);
    assert.equal(counters.get('agent.rejected_records'), 0);
  } finally {
    await shipper.close(100);
    const left = new Spool(spoolDir, 1e9, new Counters());
    assert.equal(left.rows, 300, 'everything left in the spool for the next start');
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  }
});

test('spool bound: oldest batches dropped and counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-spool-'));
  try {
    const counters = new Counters();
    const spool = new Spool(dir, 2500, counters);
    for (let i = 0; i < 10; i++) spool.put(Buffer.alloc(1000, i), 10 + i);
    assert.equal(spool.size, 2);
    assert.equal(counters.get('agent.spool_dropped_records'), [10, 11, 12, 13, 14, 15, 16, 17].reduce((a, b) => a + b));
    assert.equal(spool.read(spool.oldest()!)[0], 8, 'the newest two remain');
    const reopened = new Spool(dir, 2500, counters);
    assert.equal(reopened.rows, 18 + 19);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
