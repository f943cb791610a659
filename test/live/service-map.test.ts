/**
 * Live, privileged, end to end: `flowscope up` (capture + store + API in one process) watches
 * curl -> nginx and redis-benchmark / redis-cli -> redis-server on this host; the service map from
 * its API must have exactly those edges, each counting every call once (both ends are traced, so
 * each call is two records) with the number of requests the clients and the server report. Then
 * `up` is stopped and started again on the same data directory, and every record stored before
 * must still be there.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freeServicePort, requireLive, runClient, sleep, startNginx, startRedis } from './helpers.ts';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
/** curl requests (one keep-alive connection), and redis-benchmark requests per test (SET, GET). */
const N1 = 40;
const N2 = 500;

interface Up {
  proc: ChildProcess;
  api: string;
  stderr(): string;
  /** SIGTERM (up flushes what it accepted, then exits); SIGKILL after 15 s. Returns the exit code. */
  stop(): Promise<number | null>;
}

/** `flowscope up` as a child process, capturing only connections to `ports`; resolves once capture runs. */
async function startUp(dataDir: string, apiPort: number, ports: number[]): Promise<Up> {
  const proc = spawn(process.execPath, [
    '--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'up', '--data-dir', dataDir, '--listen', `127.0.0.1:${apiPort}`,
    '--port', ports.join(','), '--format', 'jsonl', '--no-stats',
  ], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const up: Up = {
    proc,
    api: `http://127.0.0.1:${apiPort}/api/v1`,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  // Ready when the API reports kernel counters: the tracer is loaded and attached.
  const deadline = Date.now() + 25_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`flowscope up exited with ${proc.exitCode}: ${stderr.trim().slice(-1500)}`);
    try {
      const res = await fetch(`${up.api}/metrics`);
      if (res.ok && ((await res.json()) as { gauges: Record<string, number> }).gauges['kernel.events_submitted'] !== undefined) return up;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await up.stop();
      throw new Error(`flowscope up did not start capturing within 25 s: ${stderr.trim().slice(-1500)}`);
    }
    await sleep(100);
  }
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  const body = await res.json();
  assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
  return body;
}

async function sql(up: Up, text: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${up.api}/sql`, { method: 'POST', body: JSON.stringify({ sql: text }) });
  const body = (await res.json()) as { rows: Record<string, unknown>[]; error?: string };
  assert.equal(res.status, 200, `sql ${text}: ${body.error}`);
  return body.rows;
}

/** Commands the server executed, by name, from its own INFO commandstats (cmdstat_<name>:calls=N,...). */
function commandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

type Edge = { client: string; server: string; protocol: string; requests: number; errors: number; client_errors: number };
const edgeKey = (e: { client: string; server: string; protocol: string }): string => `${e.client} -> ${e.server} (${e.protocol})`;

/** The map's edges, polled (at least once) until their requests equal `expected` or `ms` pass. */
async function settledMap(up: Up, range: { from: number; to: number }, expected: Map<string, number>, ms: number): Promise<Map<string, Edge>> {
  const deadline = Date.now() + ms;
  let edges = new Map<string, Edge>();
  const same = (): boolean => edges.size === expected.size && [...expected].every(([k, n]) => edges.get(k)?.requests === n);
  for (;;) {
    const body = await getJson(`${up.api}/map?from=${range.from}&to=${range.to}`);
    edges = new Map((body.edges as Edge[]).map((e) => [edgeKey(e), e]));
    if (same() || Date.now() >= deadline) return edges;
    await sleep(250);
  }
}

test('live end to end: flowscope up maps curl -> nginx and redis clients -> redis-server with the clients\' counts, and keeps them across a restart', { timeout: 90_000 }, async (t: TestContext) => {
  if (!requireLive(t, ['nginx', 'curl', 'redis-server', 'redis-cli', 'redis-benchmark'])) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'flowscope-e2e-'));
  const nginxPort = await freeServicePort();
  let redisPort = await freeServicePort();
  while (redisPort === nginxPort) redisPort = await freeServicePort();
  const nginx = await startNginx(nginxPort);
  const redis = await startRedis(redisPort);
  let up: Up | null = null;
  try {
    up = await startUp(dataDir, await freePort(), [nginxPort, redisPort]);
    const from = Date.now() - 1000;

    // curl: N1 requests on one keep-alive connection; -w prints one status line per request.
    const paths = Array.from({ length: N1 }, (_, i) => (i % 10 === 9 ? `/missing/${i}` : `/ok/${i}`));
    const curl = await runClient('curl', ['-s', '-w', '%{http_code}\\n', ...paths.flatMap((p) => ['-o', '/dev/null', `http://127.0.0.1:${nginxPort}${p}`])]);
    assert.equal(curl.code, 0, `curl failed: ${curl.stderr}`);
    const codes = curl.stdout.trim().split('\n');
    assert.equal(codes.length, N1, `curl reported ${codes.length} requests`);
    const curl404 = codes.filter((c) => c === '404').length;
    assert.equal(codes.filter((c) => c === '200').length + curl404, N1, `curl status codes: ${codes.join(' ')}`);

    // redis-benchmark: N2 SETs and N2 GETs over 2 connections, plus whatever it sends first.
    const bench = await runClient('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redisPort), '-n', String(N2), '-c', '2', '-t', 'set,get'], 30_000);
    assert.equal(bench.code, 0, `redis-benchmark failed: ${bench.stderr}`);
    const completed = [...bench.stdout.split(/\r|\n/).join('\n').matchAll(/(\d+) requests completed in/g)].map((m) => Number(m[1]));
    assert.deepEqual(completed, [N2, N2], `redis-benchmark report: ${bench.stdout.slice(-1500)}`);

    // The server's own count of what it executed: INFO commandstats, asked twice by redis-cli. The
    // first answer counts everything redis-benchmark sent; the difference to the second is what one
    // redis-cli invocation sends (the INFO itself and any handshake), and we ran it twice.
    const info = async () => {
      const r = await runClient('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), 'INFO', 'commandstats']);
      assert.equal(r.code, 0, `redis-cli failed: ${r.stderr}`);
      return commandStats(r.stdout);
    };
    const afterBench = await info();
    const afterCli = await info();
    const benchCommands = total(afterBench);
    const cliCommands = 2 * (total(afterCli) - total(afterBench));
    // Cross-check the server against the benchmark's own report: SET and GET match it exactly,
    // and anything else is its start-up handshake (CONFIG GET save / appendonly).
    assert.equal(afterBench.get('set'), N2, `server counted SETs: ${JSON.stringify([...afterBench])}`);
    assert.equal(afterBench.get('get'), N2, 'server counted GETs');
    const handshake = [...afterBench].filter(([c]) => c !== 'set' && c !== 'get');
    assert.ok(handshake.every(([c]) => c.startsWith('config')), `unexpected redis-benchmark commands ${JSON.stringify(handshake)}`);
    t.diagnostic(`curl ${N1} (404: ${curl404}); redis-benchmark ${benchCommands} (handshake ${JSON.stringify(handshake)}); redis-cli ${cliCommands}`);

    const expected = new Map([
      [edgeKey({ client: 'curl', server: 'nginx', protocol: 'http1' }), N1],
      [edgeKey({ client: 'redis-benchmark', server: 'redis-server', protocol: 'redis' }), benchCommands],
      [edgeKey({ client: 'redis-cli', server: 'redis-server', protocol: 'redis' }), cliCommands],
    ]);
    const range = { from, to: Date.now() + 60_000 };
    // The writer flushes every second; allow for a busy host, then look once more for stragglers.
    await settledMap(up, range, expected, 15_000);
    await sleep(1500);
    const edges = await settledMap(up, range, expected, 0);
    const metrics = await getJson(`${up.api}/metrics`);
    const got = new Map([...edges].map(([k, e]) => [k, e.requests]));
    assert.deepEqual(got, expected, `service map edges (requests); loss: ${JSON.stringify(metrics.summary)}`);
    const http = edges.get(edgeKey({ client: 'curl', server: 'nginx', protocol: 'http1' }))!;
    assert.equal(http.client_errors, curl404, 'curl -> nginx 404s');
    assert.equal(http.errors, 0, 'curl -> nginx server errors');

    // Both ends were traced (so the map had to count each call once), and search keeps both.
    const observed = await sql(up, `SELECT observation, count() AS n FROM requests WHERE server_service = 'nginx' GROUP BY observation ORDER BY observation`);
    t.diagnostic(`nginx records by observation: ${JSON.stringify(observed)}`);
    assert.deepEqual(observed.map((r) => r.observation), ['client', 'server'], 'curl -> nginx seen at both ends');
    const serverSide = await getJson(`${up.api}/requests?from=${range.from}&to=${range.to}&service=nginx&observation=server&limit=1000`);
    assert.equal(serverSide.requests.length, N1, 'request search, server observation only');

    // Restart: every record stored before the stop is found after it.
    const before = new Set((await sql(up, 'SELECT toString(request_id) AS id FROM requests')).map((r) => String(r.id)));
    assert.ok(before.size >= 2 * N1, `stored ${before.size} records`);
    assert.equal(await up.stop(), 0, `flowscope up exit status; stderr: ${up.stderr().slice(-1000)}`);
    up = await startUp(dataDir, await freePort(), [nginxPort, redisPort]);
    const after = new Set((await sql(up, 'SELECT toString(request_id) AS id FROM requests')).map((r) => String(r.id)));
    const missing = [...before].filter((id) => !after.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${before.size} records missing after the restart`);
    const again = new Map([...(await settledMap(up, range, expected, 0))].map(([k, e]) => [k, e.requests]));
    assert.deepEqual(again, expected, 'service map after the restart');
  } finally {
    await up?.stop();
    await nginx.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
