/**
 * Live, privileged: the whole path from syscall tracepoints to request records. A throwaway nginx
 * serves curl; both ends are traced on this host, so every request must appear twice (client and
 * server observation) with the same TCP sequence numbers, and nothing may be lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LiveSource } from '../../src/capture/ebpf/live-source.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import { PROTOCOLS } from '../../src/protocols/registry.ts';
import { classifierFor } from '../../src/cli/up.ts';
import type { RequestRecord } from '../../src/records/record.ts';
import { Counters } from '../../src/util/counters.ts';
import { freePort, loadedPrograms, requireLive, sleep, startNginx } from './helpers.ts';

const run = promisify(execFile);

interface Sent {
  path: string;
  status: number;
  /** Epoch ns bounds of the curl invocation that sent it. */
  from: bigint;
  to: bigint;
}

const epochNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

test('live: curl -> nginx requests become records at both ends, nothing lost, nothing left loaded', async (t) => {
  if (!requireLive(t, ['nginx', 'curl', 'bpftool'])) return;
  const port = await freePort();
  const nginx = await startNginx(port);
  const counters = new Counters();
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { counters });
  const before = new Set(loadedPrograms().map((p) => p.id));
  const source = new LiveSource(table, {
    counters,
    pollIntervalMs: 5,
    // Whole host in the kernel; this test's connections in user space.
    accept: (ev) => ev.localPort === port || ev.remotePort === port,
    classify: classifierFor(PROTOCOLS),
  });
  let ours: number[] = [];
  try {
    source.start();
    ours = loadedPrograms().filter((p) => !before.has(p.id)).map((p) => p.id);
    assert.ok(ours.length >= 15, `expected our 15 programs loaded, saw ${ours.length} new`);

    const base = `http://127.0.0.1:${port}`;
    const sent: Sent[] = [];
    // Ten requests over one keep-alive connection, then ten connections of one request each.
    const keepAlive = Array.from({ length: 10 }, (_, i) => (i % 3 === 2 ? `/missing/${i}` : `/ok/${i}`));
    let from = epochNs();
    await run('curl', ['-s', '-o', '/dev/null', ...keepAlive.map((p) => base + p)]);
    let to = epochNs();
    for (const p of keepAlive) sent.push({ path: p, status: p.startsWith('/ok/') ? 200 : 404, from, to });
    for (let i = 0; i < 10; i++) {
      const p = i % 4 === 3 ? `/missing/single-${i}` : `/ok/single-${i}`;
      from = epochNs();
      await run('curl', ['-s', '-o', '/dev/null', base + p]);
      to = epochNs();
      sent.push({ path: p, status: p.startsWith('/ok/') ? 200 : 404, from, to });
    }
    // Let the poller drain (at most one poll period, plus slack for a busy VM).
    await sleep(200);
    source.stop();
    table.flush();

    const slack = 2_000_000n;
    let complete = 0;
    for (const s of sent) {
      const mine = records.filter((r) => r.request_resource === s.path);
      const client = mine.find((r) => r.observation === 'client');
      const server = mine.find((r) => r.observation === 'server');
      if (!client || !server) continue;
      for (const r of [client, server]) {
        assert.equal(r.protocol, 'http1');
        assert.equal(r.request_type, 'GET');
        assert.equal(r.response_code, s.status, `${s.path} status`);
        assert.equal(r.client.process?.command, 'curl', `${s.path} client process`);
        assert.equal(r.server.process?.command, 'nginx', `${s.path} server process`);
        assert.equal(r.server.port, port);
        assert.ok(r.start_time >= s.from - slack && r.end_time <= s.to + slack,
          `${s.path} ${r.observation} times ${r.start_time}..${r.end_time} outside curl's ${s.from}..${s.to}`);
        assert.ok(BigInt(r.duration_ns) <= s.to - s.from + slack, `${s.path} duration ${r.duration_ns} longer than curl ran`);
      }
      // Two observations of one call: the same bytes on the wire.
      assert.equal(client.req_tcp_seq, server.req_tcp_seq, `${s.path} request seq`);
      assert.equal(client.resp_tcp_seq, server.resp_tcp_seq, `${s.path} response seq`);
      assert.ok(client.req_tcp_seq !== null && client.resp_tcp_seq !== null);
      // The server answered within the time the client waited.
      assert.ok(server.duration_ns <= client.duration_ns, `${s.path} server ${server.duration_ns} > client ${client.duration_ns}`);
      complete++;
    }
    const snapshot = counters.snapshot();
    t.diagnostic(`records ${records.length}, complete requests ${complete}/${sent.length}, counters ${JSON.stringify(snapshot)}`);
    const lost = counters.get('capture.events_lost_kernel') + counters.get('capture.lost_events_detected');
    assert.equal(lost, 0, 'events lost');
    assert.equal(counters.get('capture.gaps'), 0, 'gaps');
    assert.ok(complete >= Math.ceil(sent.length * 0.99), `captured ${complete} of ${sent.length} requests at both ends`);
  } finally {
    source.stop();
    await nginx.stop();
  }
  const left = new Set(loadedPrograms().map((p) => p.id));
  assert.deepEqual(ours.filter((id) => left.has(id)), [], 'programs still loaded after stop');
});
