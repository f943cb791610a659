import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/store.ts';
import type { Store } from '../store/store.ts';
import { RecordWriter } from '../store/writer.ts';
import { makeRecord, rng } from '../store/fixtures.ts';
import type { RequestRecord, ResponseStatus } from '../records/record.ts';
import { Counters } from '../util/counters.ts';
import { startApiServer } from './api.ts';
import type { ApiServer } from './api.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowscope-api-'));
// Minute-aligned, recent (inside the 3-day TTL), 10 minutes ago.
const BASE_MS = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const SPAN_MS = 200_000;
const N = 20_000;

interface Gen {
  record: RequestRecord;
  startMs: number;
  client: string;
  server: string;
  endpoint: string;
  error: boolean;
}

const PATHS: Record<string, [string, string, string][]> = {
  api: [['GET', '/users/{id}', '/users/'], ['POST', '/orders', '/orders'], ['GET', '/health', '/health']],
  db: [['GET', '/query', '/query']],
  cache: [['GET', '/items/{id}', '/items/']],
};

function generate(): Gen[] {
  const r = rng(42);
  const out: Gen[] = [];
  for (let i = 0; i < N; i++) {
    const server = ['api', 'api', 'db', 'cache'][Math.floor(r() * 4)]!;
    const client = server === 'api' ? 'web' : (r() < 0.5 ? 'api' : 'worker');
    const paths = PATHS[server]!;
    const [method, endpointPath, prefix] = paths[Math.floor(r() * paths.length)]!;
    const path = endpointPath.includes('{id}') ? `${prefix}${Math.floor(r() * 1000)}?x=${i}` : `${prefix}?n=${i}`;
    const u = r();
    const status: ResponseStatus = u < 0.05 ? 'server_error' : u < 0.07 ? 'timeout' : u < 0.1 ? 'client_error' : 'ok';
    const code = status === 'server_error' ? 503 : status === 'client_error' ? 404 : status === 'timeout' ? null : 200;
    // Log-uniform durations from 0.1 ms to 1 s, scaled per service so percentiles differ.
    const scale = server === 'db' ? 3 : 1;
    const durationNs = Math.round(1e5 * Math.pow(1e4, r()) * scale) + (i % 997);
    // Unique start per record: i nanoseconds break ties.
    const startMs = BASE_MS + Math.floor(r() * SPAN_MS);
    const startNs = BigInt(startMs) * 1_000_000n + BigInt(Math.floor(r() * 1e6) % 999_000) + BigInt(i % 1000);
    const record = makeRecord({ startNs, durationNs, clientService: client, serverService: server, method, path, status, code });
    out.push({ record, startMs: Number(startNs / 1_000_000n), client, server, endpoint: `${method} ${endpointPath}`, error: status === 'server_error' || status === 'timeout' });
  }
  return out;
}

const gen = generate();
const counters = new Counters();
let store: Store;
let writer: RecordWriter;
let api: ApiServer;

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + path, { headers });
  return { status: res.status, body: await res.json() };
}

async function postSql(sql: string): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + '/api/v1/sql', { method: 'POST', body: JSON.stringify({ sql }), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  store = await openStore({ dataDir: dir });
  writer = new RecordWriter(store, { counters, batchRows: 3000, host: 'test-host' });
  for (const g of gen) writer.write(g.record);
  await writer.flush();
  api = await startApiServer(store, counters, { port: 0, writer });
});

after(async () => {
  await api?.close();
  await writer?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function inRange(g: Gen, from: number, to: number): boolean {
  return g.startMs >= from && g.startMs < to;
}

/** Share of values at or below v: the rank a returned quantile actually has. */
function rankOf(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

function checkPercentiles(label: string, durationsNs: number[], got: { p50_ms: number; p90_ms: number; p99_ms: number }): void {
  const sorted = [...durationsNs].sort((a, b) => a - b);
  // Returned values are rounded to 1 µs; allow for that by taking the rank half a µs either side.
  for (const [level, value, tol] of [[0.5, got.p50_ms, 0.02], [0.9, got.p90_ms, 0.02], [0.99, got.p99_ms, 0.01]] as const) {
    const lo = rankOf(sorted, value * 1e6 - 500);
    const hi = rankOf(sorted, value * 1e6 + 500);
    const ok = hi >= level - tol && lo <= level + tol;
    assert.ok(ok, `${label} p${level * 100}: ${value} ms has rank ${lo.toFixed(4)}..${hi.toFixed(4)}, want ${level}±${tol}`);
  }
}

// Ranges chosen to cut minutes and seconds at both ends, stay inside one second, or cover all.
const RANGES: [string, number, number][] = [
  ['all', BASE_MS - 1000, BASE_MS + SPAN_MS + 1000],
  ['cuts minutes and seconds', BASE_MS + 12_345, BASE_MS + 187_654],
  ['inside one second', BASE_MS + 60_100, BASE_MS + 60_900],
  ['seconds within a minute', BASE_MS + 61_500, BASE_MS + 65_250],
  ['exact minutes', BASE_MS + 60_000, BASE_MS + 180_000],
];

for (const [label, from, to] of RANGES) {
  test(`services: exact counts and error rates, percentiles within t-digest error (${label})`, async () => {
    const { status, body } = await get(`/api/v1/services?from=${from}&to=${new Date(to).toISOString()}`);
    assert.equal(status, 200);
    const expected = new Map<string, Gen[]>();
    for (const g of gen) if (inRange(g, from, to)) expected.set(g.server, [...(expected.get(g.server) ?? []), g]);
    assert.deepEqual(body.services.map((s: any) => s.service).sort(), [...expected.keys()].sort());
    for (const s of body.services) {
      const list = expected.get(s.service)!;
      assert.equal(s.requests, list.length, `${s.service} requests`);
      const errors = list.filter((g) => g.error).length;
      assert.equal(s.errors, errors, `${s.service} errors`);
      assert.ok(Math.abs(s.error_rate - errors / list.length) < 1e-12);
      assert.ok(Math.abs(s.rate_per_s - list.length / ((to - from) / 1000)) < 0.001);
      if (list.length >= 300) checkPercentiles(`${label} ${s.service}`, list.map((g) => g.record.duration_ns), s);
    }
  });
}

test('service map: nodes and edges with exact counts per (client, server, protocol)', async () => {
  const [, from, to] = RANGES[1]!;
  const { status, body } = await get(`/api/v1/map?from=${from}&to=${to}`);
  assert.equal(status, 200);
  const edges = new Map<string, Gen[]>();
  for (const g of gen) if (inRange(g, from, to)) {
    const k = `${g.client}>${g.server}`;
    edges.set(k, [...(edges.get(k) ?? []), g]);
  }
  assert.equal(body.edges.length, edges.size);
  for (const e of body.edges) {
    const list = edges.get(`${e.client}>${e.server}`);
    assert.ok(list, `unexpected edge ${e.client}>${e.server}`);
    assert.equal(e.protocol, 'http1');
    assert.equal(e.requests, list.length);
    assert.equal(e.errors, list.filter((g) => g.error).length);
    checkPercentiles(`edge ${e.client}>${e.server}`, list.map((g) => g.record.duration_ns), e);
  }
  const names = new Set([...edges.keys()].flatMap((k) => k.split('>')));
  assert.deepEqual(body.nodes.map((n: any) => n.service).sort(), [...names].sort());
});

test('endpoints of a service: ids and query strings collapsed, exact counts', async () => {
  const [, from, to] = RANGES[1]!;
  const { status, body } = await get(`/api/v1/services/api/endpoints?from=${from}&to=${to}`);
  assert.equal(status, 200);
  const by = new Map<string, Gen[]>();
  for (const g of gen) if (g.server === 'api' && inRange(g, from, to)) by.set(g.endpoint, [...(by.get(g.endpoint) ?? []), g]);
  assert.deepEqual(body.endpoints.map((e: any) => e.endpoint).sort(), [...by.keys()].sort());
  for (const e of body.endpoints) {
    const list = by.get(e.endpoint)!;
    assert.equal(e.requests, list.length, e.endpoint);
    assert.equal(e.errors, list.filter((g) => g.error).length);
    checkPercentiles(`endpoint ${e.endpoint}`, list.map((g) => g.record.duration_ns), e);
  }
});

test('request search: filters, newest first, cursor pages cover every match once', async () => {
  const [, from, to] = RANGES[0]!;
  const minMs = 50;
  const want = gen.filter((g) => g.server === 'db' && g.record.response_status === 'server_error' && g.record.duration_ns >= minMs * 1e6 && inRange(g, from, to));
  assert.ok(want.length > 20, 'fixture has enough matches');
  const seen = new Set<string>();
  let cursor: string | null = null;
  let lastStart = BigInt('99999999999999999999');
  let pages = 0;
  do {
    const { status, body }: { status: number; body: any } = await get(`/api/v1/requests?service=db&status=server_error&min_duration_ms=${minMs}&from=${from}&to=${to}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(status, 200);
    for (const r of body.requests) {
      assert.ok(!seen.has(r.request_id), 'no request twice');
      seen.add(r.request_id);
      assert.equal(r.server.service, 'db');
      assert.equal(r.response_status, 'server_error');
      assert.ok(Number(r.duration_ns) >= minMs * 1e6);
      const start = BigInt(r.start_time);
      assert.ok(start <= lastStart, 'newest first');
      lastStart = start;
    }
    cursor = body.next_cursor;
    pages++;
  } while (cursor && pages < 100);
  assert.equal(seen.size, want.length);

  const text = gen.filter((g) => inRange(g, from, to) && g.record.request_resource!.toLowerCase().includes('/users/12')).length;
  const t = await get(`/api/v1/requests?q=${encodeURIComponent('/USERS/12')}&limit=1000&from=${from}&to=${to}`);
  assert.equal(t.body.requests.length, text);
  const byCode = gen.filter((g) => inRange(g, from, to) && g.record.response_code === 404).length;
  const c = await get(`/api/v1/requests?status=404&limit=1000&from=${from}&to=${to}`);
  assert.equal(c.body.requests.length, Math.min(1000, byCode));
});

test('one request in full, by id, equals the record that was written', async () => {
  const { body } = await get(`/api/v1/requests?service=cache&limit=3&from=${RANGES[0]![1]}&to=${RANGES[0]![2]}`);
  for (const r of body.requests) {
    const one = await get(`/api/v1/requests/${r.request_id}`);
    assert.equal(one.status, 200);
    const g = gen.find((x) => x.record.start_time === BigInt(one.body.start_time) && x.record.request_resource === one.body.request_resource)!;
    assert.ok(g, 'stored request maps back to a generated record');
    const rec = g.record;
    assert.equal(one.body.end_time, rec.end_time.toString());
    assert.equal(Number(one.body.duration_ns), rec.duration_ns);
    assert.equal(one.body.response_code, rec.response_code);
    assert.equal(one.body.response_status, rec.response_status);
    assert.equal(one.body.host, 'test-host');
    assert.equal(one.body.client.process.pid, rec.client.process!.pid);
    assert.equal(one.body.server.process.executable, rec.server.process!.executable);
    assert.equal(one.body.req_tcp_seq, rec.req_tcp_seq);
    assert.equal(one.body.resp_tcp_seq, null);
    assert.equal(one.body.trace_id, null);
  }
  const missing = await get('/api/v1/requests/01a22bf0-7a52-7bf7-8662-3a5cca91c8bd');
  assert.equal(missing.status, 404);
});

test('read-only SQL answers reads and rejects writes, escapes and oversized results', async () => {
  const ok = await postSql('SELECT count() AS n FROM requests;');
  assert.equal(ok.status, 200);
  assert.equal(Number(ok.body.rows[0].n), N);
  const get1 = await get(`/api/v1/sql?q=${encodeURIComponent("SELECT server_service, count() AS n FROM requests GROUP BY server_service ORDER BY server_service -- trailing comment")}`);
  assert.equal(get1.status, 200);
  assert.equal(get1.body.rows.length, 3);
  const rejected: [string, number][] = [
    ["INSERT INTO requests (request_id) VALUES (generateUUIDv4())", 400],
    ['SELECT 1; DROP TABLE requests', 400],
    ['DROP TABLE requests', 400],
    ["ALTER TABLE requests DELETE WHERE 1", 400],
    ["SELECT * FROM (SELECT * FROM file('/etc/hostname', 'LineAsString') SETTINGS readonly = 0)", 400],
    ["SELECT 1 INTO OUTFILE '/tmp/flowscope-should-not-exist'", 400],
    ["DESCRIBE file('/etc/hostname')", 400],
    ["SELECT $$x$$", 400],
    ["SELECT 'unterminated", 400],
    ["SELECT * FROM file('/etc/hostname', 'LineAsString')", 403],
    ["SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", 403],
    ['SELECT number FROM system.numbers LIMIT 20000', 413],
    ['SELECT nonsense(', 400],
  ];
  for (const [sql, status] of rejected) {
    const r = await postSql(sql);
    assert.equal(r.status, status, `${sql} -> ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body.error, 'string');
  }
  const still = await postSql('SELECT count() AS n FROM requests');
  assert.equal(Number(still.body.rows[0].n), N, 'nothing was dropped or deleted');
});

test('bad parameters get a 4xx JSON error saying what is wrong', async () => {
  const cases: [string, number, RegExp][] = [
    ['/api/v1/services?from=abc', 400, /from/],
    ['/api/v1/services?from=2000&to=1000', 400, /before/],
    ['/api/v1/services?from=2024-13-45T00:00:00Z', 400, /ISO/],
    ['/api/v1/services?window=5m', 400, /unknown parameter/],
    ['/api/v1/requests?limit=0', 400, /limit/],
    ['/api/v1/requests?limit=abc', 400, /limit/],
    ['/api/v1/requests?status=weird', 400, /status/],
    ['/api/v1/requests?cursor=garbage', 400, /cursor/],
    ['/api/v1/requests?min_duration_ms=-1', 400, /min_duration_ms/],
    ['/api/v1/requests?service=', 400, /service/],
    ['/api/v1/requests/not-a-uuid', 400, /UUID/],
    ['/api/v1/nope', 404, /no route/],
    ['/elsewhere', 404, /api/],
  ];
  for (const [path, status, re] of cases) {
    const r = await get(path);
    assert.equal(r.status, status, path);
    assert.match(r.body.error, re, path);
  }
  const post = await fetch(api.url + '/api/v1/services', { method: 'POST' });
  assert.equal(post.status, 405);
  const badJson = await fetch(api.url + '/api/v1/sql', { method: 'POST', body: '{not json' });
  assert.equal(badJson.status, 400);
  // A service name full of SQL is just a name: bound as a parameter, it matches nothing.
  const inj = await get(`/api/v1/services/${encodeURIComponent("x' OR 1=1 --")}/endpoints`);
  assert.equal(inj.status, 200);
  assert.deepEqual(inj.body.endpoints, []);
});

test('health and self-metrics report the store and the writer', async () => {
  const h = await get('/api/v1/health');
  assert.equal(h.status, 200);
  assert.equal(h.body.store.ok, true);
  const m = await get('/api/v1/metrics');
  assert.equal(m.body.counters['store.inserted_records'], N);
  assert.equal(m.body.summary.records_stored, N);
  assert.equal(m.body.gauges['store.pending_rows'], 0);
});

test('off loopback: refuses to start without a token; with one, every route but health needs it', async () => {
  await assert.rejects(startApiServer(store, counters, { host: '0.0.0.0', port: 0 }), /without a token/);
  const guarded = await startApiServer(store, counters, { host: '0.0.0.0', port: 0, token: 's3cret' });
  try {
    const base = `http://127.0.0.1:${guarded.port}`;
    assert.equal((await fetch(`${base}/api/v1/services`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/services`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${base}/api/v1/services`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await fetch(`${base}/api/v1/health`)).status, 200);
  } finally {
    await guarded.close();
  }
});

test('restart: close the store, reopen the same data dir, every acknowledged record is there', async () => {
  const more = 1234;
  for (let i = 0; i < more; i++) writer.write(makeRecord({ startNs: BigInt(BASE_MS + 5000) * 1_000_000n + BigInt(i), durationNs: 1000 + i, clientService: 'late', serverService: 'restart' }));
  const nasty = 'a\tb\nc\\d"é\u2028\\N\r\0end';
  writer.write(makeRecord({ startNs: BigInt(BASE_MS + 6000) * 1_000_000n, durationNs: 7, clientService: 'late', serverService: 'nasty', path: nasty }));
  await writer.flush();
  const back = await store.query<{ r: string }>("SELECT request_resource AS r FROM requests WHERE server_service = 'nasty'");
  assert.deepEqual(back.map((x) => x.r), [nasty], 'control characters and backslashes survive the trip');
  await api.close();
  await writer.close();
  await store.close();
  store = await openStore({ dataDir: dir });
  writer = new RecordWriter(store, { counters });
  api = await startApiServer(store, counters, { port: 0, writer });
  const rows = await store.query<{ n: string; s: string }>("SELECT count() AS n, countIf(server_service = 'restart') AS s FROM requests");
  assert.equal(Number(rows[0]!.n), N + more + 1);
  assert.equal(Number(rows[0]!.s), more);
  const roll = await store.query<{ n: string }>('SELECT sum(requests) AS n FROM requests_1m');
  assert.equal(Number(roll[0]!.n), N + more + 1, 'rollups persisted too');
});
