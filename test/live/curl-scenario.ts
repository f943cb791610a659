/**
 * The curl scenario shared by the HTTP server tests (nginx, Python, Node): GETs over one keep-alive
 * connection (200 and 404), POSTs with a body (201 and 404), and single-request connections, each
 * checked against what curl itself reported for that transfer (-w: method, URL, status, total time).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { byPorts, runClient, startCapture } from './helpers.ts';

/** Per transfer, one line: method, path, status, seconds to the end of the transfer. */
const WRITE_OUT = '%{method} %{url_effective} %{response_code} %{time_total}\\n';
const SLACK_NS = 2_000_000n;

interface Transfer {
  method: string;
  path: string;
  status: number;
  totalNs: bigint;
  from: bigint;
  to: bigint;
}

async function curl(urls: string[], extra: string[] = []): Promise<Transfer[]> {
  // -o once per URL: curl applies each -o to the next URL only.
  const args = ['-s', '-w', WRITE_OUT, ...extra];
  for (const u of urls) args.push('-o', '/dev/null', u);
  const run = await runClient('curl', args, 15_000);
  assert.equal(run.code, 0, `curl failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').map((line) => {
    const [method, url, status, total] = line.split(' ');
    return {
      method: method!, path: new URL(url!).pathname, status: Number(status),
      totalNs: BigInt(Math.round(Number(total) * 1e9)), from: run.from, to: run.to,
    };
  });
}

/**
 * Runs the scenario against an HTTP server on 127.0.0.1:<port> whose process is `serverCommand`,
 * and asserts every transfer curl reported was captured at both ends, right, in time.
 */
export async function curlScenario(t: TestContext, port: number, serverCommand: string): Promise<void> {
  const capture = startCapture(byPorts(port));
  const base = `http://127.0.0.1:${port}`;
  const transfers: Transfer[] = [];
  try {
    const keepAlive = Array.from({ length: 12 }, (_, i) => `${base}${i % 4 === 3 ? '/missing' : '/ok'}/keep-alive-${i}`);
    transfers.push(...await curl(keepAlive));
    const posts = [`${base}/post/form-1`, `${base}/post/form-2`, `${base}/missing/post-3`];
    transfers.push(...await curl(posts, ['--data-binary', 'name=flowscope&body=' + 'x'.repeat(300)]));
    for (let i = 0; i < 4; i++) transfers.push(...await curl([`${base}${i === 2 ? '/missing' : '/ok'}/single-${i}`]));
    await capture.stop();

    // The server did what the scenario expects: the test checks capture, not the server.
    for (const x of transfers) {
      const expected = x.path.startsWith('/missing/') ? 404 : x.method === 'POST' ? 201 : 200;
      assert.equal(x.status, expected, `${x.method} ${x.path}: curl saw ${x.status}`);
    }
    const http = capture.records.filter((r) => r.protocol === 'http1' && r.server.port === port);
    const loss = capture.lossSignals();
    t.diagnostic(`${transfers.length} transfers, ${http.length} records; loss ${JSON.stringify(loss)}; counters ${JSON.stringify(capture.counters.snapshot())}`);
    const problems: string[] = [];
    let complete = 0;
    for (const x of transfers) {
      const what = `${x.method} ${x.path}`;
      const mine = http.filter((r) => r.request_resource === x.path);
      const client = mine.find((r) => r.observation === 'client');
      const server = mine.find((r) => r.observation === 'server');
      if (!client || !server || mine.length !== 2) {
        problems.push(`${what}: ${mine.length} records (${mine.map((r) => r.observation).join(',') || 'none'}), want one per end`);
        continue;
      }
      const wrong: string[] = [];
      const check = (ok: boolean, text: string) => { if (!ok) wrong.push(text); };
      for (const r of [client, server]) {
        const who = `${r.observation} record`;
        check(r.request_type === x.method, `${who}: method ${r.request_type}`);
        check(r.response_code === x.status, `${who}: status ${r.response_code}, curl saw ${x.status}`);
        check(r.client.process?.command === 'curl', `${who}: client process ${r.client.process?.command}`);
        check(r.server.process?.command === serverCommand, `${who}: server process ${r.server.process?.command}`);
        check(r.start_time >= x.from - SLACK_NS && r.end_time <= x.to + SLACK_NS, `${who}: outside curl's run`);
        // Records end at the first response byte; curl's total ends at the last.
        check(BigInt(r.duration_ns) <= x.totalNs + SLACK_NS, `${who}: took ${r.duration_ns} ns, curl's transfer took ${x.totalNs} ns`);
        if (x.method === 'POST') check(r.request_bytes > 300, `${who}: request bytes ${r.request_bytes} do not include the body`);
      }
      check(server.duration_ns <= client.duration_ns, `the server took ${server.duration_ns} ns, longer than the client waited (${client.duration_ns} ns)`);
      check(client.req_tcp_seq !== null && client.req_tcp_seq === server.req_tcp_seq, 'request TCP sequence numbers differ between the ends');
      if (wrong.length > 0) problems.push(`${what}: ${wrong.join('; ')}`);
      else complete++;
    }
    assert.ok(complete >= Math.ceil(transfers.length * 0.99), `captured ${complete} of ${transfers.length} transfers correctly at both ends:\n${problems.join('\n')}`);
    if (!loss.any) assert.deepEqual(problems, [], 'transfers missing while no loss was counted');
  } finally {
    await capture.stop();
  }
}

