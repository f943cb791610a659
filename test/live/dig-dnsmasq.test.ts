/**
 * Live, privileged: dig asks a dnsmasq of our own (A, AAAA, MX, a name that does not exist), over
 * UDP and over TCP. Each query dig answered must be a record at the client (dig) and at the
 * server (dnsmasq) with dig's question, rcode and answer, no longer than dig's own query time;
 * anything missing must show in the loss counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../src/records/record.ts';
import { byPorts, freeServicePort, requireLive, runClient, startCapture, startServer, which } from './helpers.ts';
import type { RunResult } from './helpers.ts';

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const SLACK_NS = 2_000_000n;

const QUERIES: { name: string; type: string }[] = [
  { name: 'web.flowscope.test', type: 'A' },
  { name: 'web.flowscope.test', type: 'AAAA' },
  { name: 'flowscope.test', type: 'MX' },
  { name: 'nothing.gone.test', type: 'A' },
];

interface DigAnswer {
  status: string;
  qname: string;
  qtype: string;
  answers: string[];
  queryMs: number;
  run: RunResult;
  transport: 'udp' | 'tcp';
}

/** dig's own view: status, question, answer records and query time. */
function parseDig(out: string): Omit<DigAnswer, 'run' | 'transport'> | null {
  const status = /->>HEADER<<- opcode: QUERY, status: (\w+)/.exec(out)?.[1];
  const question = /;; QUESTION SECTION:\n;(\S+)\s+IN\s+(\S+)/.exec(out);
  const queryMs = /;; Query time: (\d+) msec/.exec(out)?.[1];
  if (!status || !question || queryMs === undefined) return null;
  const answerSection = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? '';
  const answers = answerSection.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(4).join(' '));
  return { status, qname: question[1]!.replace(/\.$/, ''), qtype: question[2]!, answers, queryMs: Number(queryMs) };
}

test('live: dig -> dnsmasq over UDP and TCP, every answered query captured at both ends', async (t) => {
  if (!requireLive(t, ['dnsmasq', 'dig'])) return;
  const port = await freeServicePort();
  const dnsmasq = await startServer('dnsmasq', port, (dir) => ({
    cmd: which('dnsmasq') ?? 'dnsmasq',
    args: [
      '-k', '-p', String(port), '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-negcache',
      '--listen-address=127.0.0.1', '--bind-interfaces', `--pid-file=${dir}/dnsmasq.pid`, '--user=root',
      '--address=/web.flowscope.test/127.0.0.77', '--address=/web.flowscope.test/fd00::77',
      '--mx-host=flowscope.test,mail.flowscope.test,10', '--address=/gone.test/',
    ],
  }));
  const capture = startCapture(byPorts(port));
  const asked: DigAnswer[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      for (const transport of ['udp', 'tcp'] as const) {
        for (const q of QUERIES) {
          const run = await runClient('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3',
            ...(transport === 'tcp' ? ['+tcp'] : []), q.name, q.type], 10_000);
          const parsed = parseDig(run.stdout);
          assert.ok(parsed, `dig ${q.name} ${q.type} ${transport} gave no answer: ${run.stdout}${run.stderr}`);
          assert.equal(parsed.qname, q.name);
          asked.push({ ...parsed, run, transport });
        }
      }
    }
    await capture.stop();

    // dnsmasq answered as configured: the test checks capture, not dnsmasq.
    for (const a of asked) assert.equal(a.status, a.qname.endsWith('gone.test') ? 'NXDOMAIN' : 'NOERROR', `${a.qname} ${a.qtype}`);

    const dns = capture.records.filter((r) => r.protocol === 'dns' && r.server.port === port);
    const loss = capture.lossSignals();
    t.diagnostic(`${asked.length} queries, ${dns.length} records; loss ${JSON.stringify(loss)}; counters ${JSON.stringify(capture.counters.snapshot())}`);
    const used = new Set<RequestRecord>();
    let complete = 0;
    const problems: string[] = [];
    for (const a of asked) {
      const what = `${a.transport} ${a.qname} ${a.qtype}`;
      // The records of this dig run: same transport and question, inside the run's time.
      const mine = dns.filter((r) => !used.has(r) && r.transport === a.transport && r.request_domain === a.qname &&
        r.request_type === a.qtype && r.start_time >= a.run.from - SLACK_NS && r.end_time <= a.run.to + SLACK_NS);
      const client = mine.find((r) => r.observation === 'client');
      const server = mine.find((r) => r.observation === 'server');
      if (!client || !server) {
        problems.push(`${what}: client record ${client ? 'found' : 'missing'}, server record ${server ? 'found' : 'missing'} ` +
          `(records of this query seen as: ${mine.map((r) => r.observation).join(',') || 'none'})`);
        continue;
      }
      used.add(client);
      used.add(server);
      const wrong: string[] = [];
      const check = (ok: boolean, text: string) => { if (!ok) wrong.push(text); };
      for (const r of [client, server]) {
        const who = `${r.observation} record`;
        check(r.response_code === RCODES[a.status], `${who}: rcode ${r.response_code}, dig saw ${a.status}`);
        for (const answer of a.answers) {
          // dig prints "10 mail.flowscope.test." for MX; the summary holds each answer's data.
          check(r.response_summary?.includes(answer.split(' ').pop()!) === true, `${who}: summary ${r.response_summary} lacks ${answer}`);
        }
        // Each end knows its own process; over TCP the two ends are joined, so each knows both.
        if (r.observation === 'client' || a.transport === 'tcp') {
          check(r.client.process?.command === 'dig', `${who}: client process ${r.client.process?.command} (executable ${r.client.process?.executable})`);
        }
        if (r.observation === 'server' || a.transport === 'tcp') {
          check(r.server.process?.command === 'dnsmasq', `${who}: server process ${r.server.process?.command}`);
        }
        // dig reports whole milliseconds: its query took less than queryMs + 1. Over TCP dig starts
        // that clock when its send-completion callback runs, which can come after the answer is
        // already back, so the client's own record is bounded there by dig's run (the `mine`
        // filter above) and the server's record by the query time.
        if (a.transport === 'udp' || r.observation === 'server') {
          check(BigInt(r.duration_ns) <= BigInt(a.queryMs + 1) * 1_000_000n + SLACK_NS, `${who}: took ${r.duration_ns} ns, dig measured ${a.queryMs} ms`);
        }
      }
      check(server.duration_ns <= client.duration_ns, `the server took ${server.duration_ns} ns, longer than the client waited (${client.duration_ns} ns)`);
      if (wrong.length > 0) problems.push(`${what}: ${wrong.join('; ')}`);
      else complete++;
    }
    assert.ok(complete >= Math.ceil(asked.length * 0.99), `captured ${complete} of ${asked.length} queries correctly at both ends:\n${[...new Set(problems)].join('\n')}`);
    if (!loss.any) assert.deepEqual(problems, [], 'queries missing while no loss was counted');
  } finally {
    await capture.stop();
    await dnsmasq.stop();
  }
});
