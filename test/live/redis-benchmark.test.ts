/**
 * Live, privileged: redis-benchmark against a redis-server of our own, without and with
 * pipelining. Every command redis-benchmark reports must be a record at the client and at the
 * server, with the command and key it sent, from redis-benchmark to redis-server, no slower than
 * redis-benchmark's own slowest latency for that test; anything missing must show in the loss
 * counters.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { byPorts, countBy, freeServicePort, requireLive, runClient, startCapture, startRedis } from './helpers.ts';

const REQUESTS = 2000;
const CLIENTS = 4;
const SLACK_NS = 2_000_000;
/** The key each benchmark test uses (redis-benchmark without -r sends the placeholder as is). */
const KEYS: Record<string, string> = { SET: 'key:__rand_int__', GET: 'key:__rand_int__', INCR: 'counter:__rand_int__', LPUSH: 'mylist' };

interface BenchTest {
  completed: number;
  maxLatencyMs: number;
}

/** Per test ("SET", ...): requests completed and the slowest latency, from redis-benchmark's report. */
function parseReport(out: string): Map<string, BenchTest> {
  const tests = new Map<string, BenchTest>();
  // Progress lines end in \r: keep only what follows the last one on each line.
  const text = out.split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1)).join('\n');
  for (const block of text.split(/^\s*====== /m).slice(1)) {
    const name = /^(\S+) ======/.exec(block)?.[1];
    const completed = /(\d+) requests completed in/.exec(block)?.[1];
    // latency summary (msec):\n avg min p50 p95 p99 max\n <six numbers>
    const summary = /latency summary \(msec\):\s*\n\s*avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.\s]+)/.exec(block)?.[1];
    if (!name || !completed || !summary) continue;
    const max = Number(summary.trim().split(/\s+/)[5]);
    tests.set(name, { completed: Number(completed), maxLatencyMs: max });
  }
  return tests;
}

async function benchmark(t: TestContext, pipeline: number): Promise<void> {
  if (!requireLive(t, ['redis-server', 'redis-benchmark'])) return;
  const port = await freeServicePort();
  const redis = await startRedis(port);
  const capture = startCapture(byPorts(port));
  try {
    const run = await runClient('redis-benchmark', [
      '-h', '127.0.0.1', '-p', String(port), '-n', String(REQUESTS), '-c', String(CLIENTS), '-P', String(pipeline),
      '-t', 'set,get,incr,lpush',
    ], 30_000);
    await capture.stop();
    assert.equal(run.code, 0, `redis-benchmark failed: ${run.stderr}`);
    const report = parseReport(run.stdout);
    assert.deepEqual([...report.keys()].sort(), ['GET', 'INCR', 'LPUSH', 'SET'], `redis-benchmark report: ${run.stdout.slice(-2000)}`);

    const redisRecords = capture.records.filter((r) => r.protocol === 'redis' && r.server.port === port);
    const loss = capture.lossSignals();
    t.diagnostic(`report ${JSON.stringify([...report])}; records ${JSON.stringify([...countBy(redisRecords, (r) => `${r.observation} ${r.request_type}`)])}; ` +
      `loss ${JSON.stringify(loss)}; counters ${JSON.stringify(capture.counters.snapshot())}`);
    for (const observation of ['client', 'server'] as const) {
      const seen = redisRecords.filter((r) => r.observation === observation);
      const byCommand = countBy(seen, (r) => r.request_type ?? '(none)');
      // Besides the tests, redis-benchmark asks for the server's config once (CONFIG GET save, appendonly).
      const unexpected = [...byCommand.keys()].filter((c) => !(c in KEYS) && c !== 'CONFIG GET');
      assert.deepEqual(unexpected, [], `${observation}: commands redis-benchmark did not send`);
      for (const [command, bench] of report) {
        const got = byCommand.get(command) ?? 0;
        // With -P, each client's last batch may run past -n: up to pipeline-1 commands more per client.
        const most = bench.completed + CLIENTS * Math.max(0, pipeline - 1);
        assert.ok(got <= most, `${observation} ${command}: ${got} records for ${bench.completed} requests`);
        assert.ok(got >= Math.ceil(bench.completed * 0.99), `${observation} ${command}: captured ${got} of ${bench.completed} (< 99%)`);
        if (!loss.any) assert.ok(got >= bench.completed, `${observation} ${command}: ${bench.completed - got} missing while no loss was counted`);
      }
      for (const r of seen) {
        const what = `${observation} ${r.request_type} ${r.request_resource}`;
        assert.equal(r.client.process?.command, 'redis-benchmark', `${what}: client process`);
        assert.equal(r.server.process?.command, 'redis-server', `${what}: server process`);
        assert.equal(r.response_status, 'ok', `${what}: ${r.response_message}`);
        assert.ok(r.start_time >= run.from - BigInt(SLACK_NS) && r.end_time <= run.to + BigInt(SLACK_NS), `${what}: outside the benchmark's run`);
        const bench = report.get(r.request_type ?? '');
        if (!bench) continue;
        assert.ok(r.request_resource?.startsWith(KEYS[r.request_type!]!), `${what}: key`);
        assert.ok(r.duration_ns <= bench.maxLatencyMs * 1e6 + SLACK_NS,
          `${what}: took ${r.duration_ns} ns, redis-benchmark's slowest ${r.request_type} took ${bench.maxLatencyMs} ms`);
      }
    }
  } finally {
    await capture.stop();
    await redis.stop();
  }
}

test('live: redis-benchmark -> redis-server, one command at a time, every command captured at both ends', async (t) => {
  await benchmark(t, 1);
});

test('live: redis-benchmark -P 16 -> redis-server, pipelined, every command captured at both ends', async (t) => {
  await benchmark(t, 16);
});
