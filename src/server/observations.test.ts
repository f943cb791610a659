/**
 * One call, two observations: a call between two traced processes is recorded at both ends
 * (observation 'client' and 'server'); RED, the service map and endpoints must count it once,
 * while request search keeps both and filters by observation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/store.ts';
import type { Store } from '../store/store.ts';
import { RecordWriter } from '../store/writer.ts';
import { makeRecord, rng } from '../store/fixtures.ts';
import type { Observation, RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';
import { startApiServer } from './api.ts';
import type { ApiServer } from './api.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowscope-obs-'));
const BASE_MS = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const SPAN_MS = 150_000;

interface Call {
  edge: string;
  client: string;
  server: string;
  protocol: 'http1' | 'redis';
  endpoint: string;
  /** The observation RED must count: server, else network, else client. */
  counted: RequestRecord;
  records: RequestRecord[];
  error: boolean;
}

/** Edges and which ends see their calls. */
const EDGES = [
  { edge: 'web->api', client: 'web', server: 'api', protocol: 'http1', ends: ['client', 'server'], n: 900 },
  { edge: 'api->db', client: 'api', server: 'db', protocol: 'http1', ends: ['client', 'server'], n: 400 },
  // A remote server (not on this host): only the client end is traced, the server is ip:port.
  { edge: 'api->remote redis', client: 'api', server: '10.9.9.9:6379', protocol: 'redis', ends: ['client'], n: 300 },
  // Seen by a capture (peers named as the server names them) and by the server process: the server's records win.
  { edge: 'lb->api (capture + server)', client: 'lb', server: 'api', protocol: 'http1', ends: ['network', 'server'], n: 200 },
  // Seen only by a capture.
  { edge: 'lb->cache (capture)', client: 'lb', server: 'cache', protocol: 'http1', ends: ['network'], n: 100 },
] as const;

function generate(): Call[] {
  const r = rng(11);
  const calls: Call[] = [];
  for (const e of EDGES) {
    for (let i = 0; i < e.n; i++) {
      const startNs = BigInt(BASE_MS + Math.floor(r() * SPAN_MS)) * 1_000_000n + BigInt(Math.floor(r() * 999_000));
      const error = r() < 0.1;
      const serverDuration = 100_000 + Math.floor(r() * 5_000_000);
      const path = e.protocol === 'http1' ? `/things/${i % 3}x` : 'GET';
      const seq = (calls.length * 7919) >>> 0;
      const records = e.ends.map((end: Observation) => {
        const rec = makeRecord({
          // The client sees the call start a little earlier and last a little longer.
          startNs: end === 'client' ? startNs - 20_000n : startNs,
          durationNs: end === 'client' ? serverDuration + 40_000 : serverDuration,
          clientService: e.client, serverService: e.server, protocol: e.protocol, method: e.protocol === 'http1' ? 'GET' : 'GET',
          path, status: error ? 'server_error' : 'ok', code: e.protocol === 'http1' ? (error ? 500 : 200) : null,
        });
        rec.observation = end;
        rec.req_tcp_seq = seq;
        rec.resp_tcp_seq = seq + 1;
        if (e.server.includes(':')) {
          rec.server = { ip: '10.9.9.9', port: 6379, process: null };
        }
        return rec;
      });
      const counted = records.find((x) => x.observation === 'server') ?? records.find((x) => x.observation === 'network') ?? records[0]!;
      calls.push({ edge: e.edge, client: e.client, server: e.server, protocol: e.protocol, endpoint: e.protocol === 'http1' ? `GET /things/${i % 3}x` : 'GET', counted, records, error });
    }
  }
  return calls;
}

/** Services as the store names them: an unknown server process is ip:port, an unknown client the ip. */
function serviceOf(rec: RequestRecord, side: 'client' | 'server'): string {
  const p = rec[side].process;
  if (p) return p.service;
  return side === 'server' ? `${rec.server.ip}:${rec.server.port}` : rec.client.ip;
}

const calls = generate();
let store: Store;
let api: ApiServer;

async function get(path: string): Promise<any> {
  const res = await fetch(api.url + path);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

before(async () => {
  store = await openStore({ dataDir: dir });
  const writer = new RecordWriter(store, { counters: new Counters(), batchRows: 500 });
  for (const c of calls) for (const rec of c.records) writer.write(rec);
  await writer.close();
  api = await startApiServer(store, new Counters(), { port: 0 });
});

after(async () => {
  await api?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Ranges: everything, and one that cuts minutes, seconds and milliseconds. */
const RANGES = [
  { name: 'all', fromMs: BASE_MS - 1000, toMs: BASE_MS + SPAN_MS + 1000 },
  { name: 'cut', fromMs: BASE_MS + 1_234, toMs: BASE_MS + SPAN_MS - 61_567 },
];
const inRange = (rec: RequestRecord, r: { fromMs: number; toMs: number }): boolean => {
  const ms = Number(rec.start_time / 1_000_000n);
  return ms >= r.fromMs && ms < r.toMs;
};

for (const range of RANGES) {
  test(`service map counts each call once, whichever ends saw it (${range.name})`, async () => {
    const body = await get(`/api/v1/map?from=${range.fromMs}&to=${range.toMs}`);
    const expected = new Map<string, { requests: number; errors: number; durationSum: number }>();
    for (const c of calls) {
      if (!inRange(c.counted, range)) continue;
      const key = `${serviceOf(c.counted, 'client')}|${serviceOf(c.counted, 'server')}|${c.protocol}`;
      const e = expected.get(key) ?? { requests: 0, errors: 0, durationSum: 0 };
      e.requests++;
      if (c.error) e.errors++;
      e.durationSum += c.counted.duration_ns;
      expected.set(key, e);
    }
    const got = new Map<string, any>(body.edges.map((e: any) => [`${e.client}|${e.server}|${e.protocol}`, e]));
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), 'edges');
    for (const [key, e] of expected) {
      const g = got.get(key)!;
      assert.equal(g.requests, e.requests, `${key} requests`);
      assert.equal(g.errors, e.errors, `${key} errors`);
      // The average is the counted observation's, not a blend of client and server durations.
      assert.ok(Math.abs(g.duration_avg_ms - e.durationSum / e.requests / 1e6) < 0.002, `${key} avg ${g.duration_avg_ms}`);
    }
    const apiNode = body.nodes.find((n: any) => n.service === 'api');
    const callsTo = (server: string) => calls.filter((c) => c.server === server && inRange(c.counted, range)).length;
    assert.equal(apiNode.requests_in, callsTo('api'), 'api requests in');
  });

  test(`services and endpoints count each call once (${range.name})`, async () => {
    const services = (await get(`/api/v1/services?from=${range.fromMs}&to=${range.toMs}`)).services;
    for (const s of services) {
      const n = calls.filter((c) => serviceOf(c.counted, 'server') === s.service && inRange(c.counted, range)).length;
      assert.equal(s.requests, n, `${s.service} requests`);
    }
    assert.equal(services.reduce((a: number, s: any) => a + s.requests, 0), calls.filter((c) => inRange(c.counted, range)).length, 'every call once');
    const endpoints = (await get(`/api/v1/services/api/endpoints?from=${range.fromMs}&to=${range.toMs}`)).endpoints;
    for (const ep of endpoints) {
      const n = calls.filter((c) => c.server === 'api' && c.endpoint === ep.endpoint && inRange(c.counted, range)).length;
      assert.equal(ep.requests, n, `api ${ep.endpoint}`);
    }
    assert.equal(endpoints.length, 3);
  });
}

test('request search keeps both observations and filters by observation', async () => {
  const range = RANGES[0]!;
  const count = async (extra: string): Promise<number> => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const body: any = await get(`/api/v1/requests?from=${range.fromMs}&to=${range.toMs}&limit=1000${extra}${cursor ? `&cursor=${cursor}` : ''}`);
      n += body.requests.length;
      cursor = body.next_cursor;
    } while (cursor);
    return n;
  };
  const all = calls.flatMap((c) => c.records);
  assert.equal(await count(''), all.length, 'both observations are stored');
  for (const end of ['client', 'server', 'network'] as const) {
    assert.equal(await count(`&observation=${end}`), all.filter((r) => r.observation === end).length, end);
  }
  const webApi = await count('&service=api&client_service=web&observation=server');
  assert.equal(webApi, calls.filter((c) => c.edge === 'web->api').length);
  const bad = await fetch(api.url + '/api/v1/requests?observation=both');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /observation: expected one of client, server, network/);
});
