/**
 * @module bench/store/main
 * Store benchmark: rows/s through RecordWriter into the embedded engine (the real insert path),
 * then query latency (p50/p95) for the service map, endpoint percentiles, request search and
 * one request by id with 10M stored requests. Data lives in a temporary directory, removed at
 * the end. Usage: node --import tsx bench/store/main.ts [--rows 10000000] [--insert 1000000] [--batch 10000] [--runs 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.ts';
import { RecordWriter } from '../../src/store/writer.ts';
import { makeRecord, rng } from '../../src/store/fixtures.ts';
import { getRequest, searchRequests, serviceMap, endpoints, services } from '../../src/store/queries.ts';
import { recordToValues } from '../../src/store/rows.ts';
import { encodeNative } from '../../src/store/native.ts';
import { REQUEST_COLUMNS } from '../../src/store/schema.ts';
import { Counters } from '../../src/util/counters.ts';
import type { RequestRecord } from '../../src/records/record.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const FILL_ROWS = arg('--rows', 10_000_000);
const INSERT_ROWS = arg('--insert', 1_000_000);
const RUNS = arg('--runs', 30);
const BATCH = arg('--batch', 10_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function timeIt(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm caches once
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(44)} p50 ${percentile(t, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(t, 0.95).toFixed(1).padStart(7)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'flowscope-bench-'));
try {
  const store = await openStore({ dataDir: dir });
  const nowMs = Math.floor(Date.now() / 1000) * 1000;

  // 1. The real insert path: records -> positional values -> Native block -> chdb, batches of 10K.
  // Live-like traffic: start times advance in order at 300K requests/s; 20 services, 3 callers
  // each, 10 endpoints each (600 series), so the rollups see realistic groups per second.
  // Records come from a pool of 50K, restamped before each write (the writer copies what it needs
  // at once): like a live pipeline, the heap never holds a million records at a time.
  const r = rng(7);
  const POOL = Math.min(50_000, INSERT_ROWS);
  const pool: RequestRecord[] = [];
  const insertStartNs = BigInt(nowMs - 7_200_000) * 1_000_000n;
  for (let i = 0; i < POOL; i++) {
    const s = Math.floor(r() * 20);
    pool.push(makeRecord({
      startNs: insertStartNs, durationNs: Math.floor(1e5 * Math.exp(r() * 9)), clientService: `client-${(s + Math.floor(r() * 3)) % 30}`,
      serverService: `svc-${s}`, path: `/api/v${Math.floor(r() * 10)}/items/${i}`, status: r() < 0.03 ? 'server_error' : 'ok',
    }));
  }
  const recordAt = (i: number): RequestRecord => {
    const rec = pool[i % POOL]!;
    rec.start_time = insertStartNs + BigInt(Math.floor(i * 3333.3));
    rec.end_time = rec.start_time + BigInt(rec.duration_ns);
    return rec;
  };
  {
    const t0 = performance.now();
    let n = 0;
    for (let off = 0; off < INSERT_ROWS; off += 10_000) {
      const rows = [];
      for (let i = off; i < Math.min(INSERT_ROWS, off + 10_000); i++) rows.push(recordToValues(recordAt(i), 'bench'));
      n += encodeNative(REQUEST_COLUMNS, rows).length;
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`serialize only (record -> values -> Native): ${Math.round(INSERT_ROWS / s).toLocaleString()} rows/s on the main thread (${(n / INSERT_ROWS).toFixed(0)} bytes/row)`);
  }
  const counters = new Counters();
  const writer = new RecordWriter(store, { counters, batchRows: BATCH, maxBufferedRows: 2_000_000, host: 'bench' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < INSERT_ROWS; i++) {
    writer.write(recordAt(i));
    if (i % 50_000 === 49_999) await new Promise((res) => setImmediate(res));
  }
  await writer.flush();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`insert via RecordWriter into chdb:        ${Math.round(INSERT_ROWS / wall).toLocaleString()} rows/s wall ` +
    `(${INSERT_ROWS.toLocaleString()} rows in ${wall.toFixed(2)} s, process CPU ${((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)} cores, ` +
    `dropped ${counters.get('store.dropped_records')}, batches of ${BATCH.toLocaleString()}, rollups included)`);
  await writer.close();

  // 2. Fill to FILL_ROWS with generated rows over the last hour (materialized views feed the rollups).
  const fill = FILL_ROWS - INSERT_ROWS;
  if (fill > 0) {
    const t1 = performance.now();
    const chunk = 2_000_000;
    for (let off = 0; off < fill; off += chunk) {
      const n = Math.min(chunk, fill - off);
      await store.exec(`INSERT INTO requests
        SELECT generateUUIDv7() AS request_id,
          fromUnixTimestamp64Nano(toInt64({now_ns:Int64} - 3600000000000 + intDiv((number + {off:UInt64}) * 3600000, {total:UInt64}) * 1000000 + number % 1000000)) AS start_time,
          start_time + toIntervalNanosecond(duration_ns) AS end_time,
          toUInt64(100000 * exp(9 * randCanonical())) AS duration_ns,
          if(number % 10 = 0, 'redis', 'http1') AS protocol, 'tcp', 'server', concat('host-', toString(number % 50)),
          '10.0.0.1', 40000, 100, 'client', '', '', concat('client-', toString((cityHash64(number) % 20 + number % 3) % 30)) AS client_service,
          '10.0.0.2', 8080, 200, 'server', '', '', concat('svc-', toString(cityHash64(number) % 20)) AS server_service,
          concat('GET /api/v', toString(number % 10), '/items/{id}') AS endpoint, 'GET', 'svc.local',
          concat('/api/v', toString(number % 10), '/items/', toString(number)) AS request_resource, '1.1',
          if(number % 33 = 0, 503, 200) AS response_code, if(number % 33 = 0, 'server_error', 'ok') AS response_status,
          '', '', 120, 1500, toUInt32(number % 4294967295), NULL, '', '', '', ''
        FROM numbers({n:UInt64})`, { now_ns: String(BigInt(nowMs) * 1_000_000n), off: String(off), total: String(fill), n: String(n) });
    }
    const s = (performance.now() - t1) / 1000;
    console.log(`fill with INSERT ... SELECT numbers():     ${fill.toLocaleString()} rows in ${s.toFixed(1)} s (${Math.round(fill / s).toLocaleString()} rows/s)`);
  }
  const counts = await store.query<{ n: string; s: string; m: string }>(
    'SELECT (SELECT count() FROM requests) AS n, (SELECT count() FROM requests_1s) AS s, (SELECT count() FROM requests_1m) AS m');
  console.log(`stored requests: ${Number(counts[0]!.n).toLocaleString()} (rollup rows: 1s ${Number(counts[0]!.s).toLocaleString()}, 1m ${Number(counts[0]!.m).toLocaleString()})`);

  // 3. Query latency. Ranges deliberately not aligned to minutes or seconds.
  const lastHour = { fromMs: nowMs - 3_600_000 + 1234, toMs: nowMs - 567 };
  const last15 = { fromMs: nowMs - 900_000 + 321, toMs: nowMs - 123 };
  const page = await searchRequests(store, last15, { service: 'svc-3' }, 50, null);
  const someId = page.requests[0]?.request_id;
  console.log(`query latency over ${RUNS} runs (ranges cut at ms, so raw + 1s + 1m tables are all read):`);
  await timeIt('service map, last hour', () => serviceMap(store, lastHour));
  await timeIt('services RED, last hour', () => services(store, lastHour));
  await timeIt('endpoint percentiles of svc-3, last hour', () => endpoints(store, lastHour, 'svc-3'));
  await timeIt('request search svc-3, newest 50, last 15 min', () => searchRequests(store, last15, { service: 'svc-3' }, 50, null));
  await timeIt('request search errors >100ms, all services, 1 h', () => searchRequests(store, lastHour, { status: 'server_error', min_duration_ns: 100e6 }, 50, null));
  await timeIt('request search text "/items/777", 1 h', () => searchRequests(store, lastHour, { text: '/items/777' }, 50, null));
  if (!someId) throw new Error('bench: no request found for svc-3 in the last 15 minutes; the fill is wrong');
  await timeIt('one request by id', () => getRequest(store, someId));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
