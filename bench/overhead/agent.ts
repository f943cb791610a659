/**
 * @module bench/overhead/agent
 * The agent as the overhead benchmark runs it, in a process of its own so its CPU and memory can
 * be read from /proc: LiveSource -> ConnectionTable -> a sink that counts records. Prints "ready"
 * once attached; on SIGTERM drains, then prints one JSON line of counts and exits.
 *
 *   node --import tsx bench/overhead/agent.ts [--port N] [--pids 1,2]
 * --port keeps only connections with that port in user space (the kernel still traces the host);
 * --pids restricts the kernel itself to those processes. --discard only loads the tracer and
 * releases its events unread: the kernel side's cost without the agent's. --profile <file> writes a V8 CPU profile
 * of the capture (started after the programs load: `node --cpu-prof` sends SIGPROF, and a signal
 * during verification makes the kernel refuse the load with EAGAIN).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { LiveSource } from '../../src/capture/ebpf/live-source.ts';
import { SocketTracer } from '../../src/capture/ebpf/socket-tracer.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import { PROTOCOLS } from '../../src/protocols/registry.ts';
import { classifierFor } from '../../src/cli/up.ts';
import { Counters } from '../../src/util/counters.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = opt('--port') ? Number(opt('--port')) : null;
const pids = (opt('--pids') ?? '').split(',').filter(Boolean).map(Number);

if (args.includes('--discard')) {
  const tracer = SocketTracer.open({ pids });
  let events = 0;
  const timer = setInterval(() => { events += tracer.skip(); }, 10);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    clearInterval(timer);
    events += tracer.skip();
    const kernel = tracer.kernelStats();
    tracer.close();
    const records = { total: 0, client: 0, server: 0, ok: 0 };
    process.stdout.write(JSON.stringify({ records, kernel, counters: { events } }) + '\n', () => process.exit(0));
  });
} else {
  runAgent();
}

function runAgent(): void {
  const counters = new Counters();
  const records = { total: 0, client: 0, server: 0, ok: 0 };
  const table = new ConnectionTable((r) => {
    records.total++;
    if (r.observation === 'client') records.client++;
    else if (r.observation === 'server') records.server++;
    if (r.response_code === 200) records.ok++;
  }, { counters });
  const source = new LiveSource(table, {
    counters,
    pids,
    accept: port === null ? undefined : (ev) => ev.localPort === port || ev.remotePort === port,
    classify: classifierFor(PROTOCOLS),
  });
  source.start();
  const profileFile = opt('--profile');
  const session = profileFile ? new Session() : null;
  if (session) {
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 200 });
    session.post('Profiler.start');
  }
  process.stdout.write('ready\n');

  const stop = (): void => {
    if (session && profileFile) {
      session.post('Profiler.stop', (err, res) => {
        if (!err) writeFileSync(profileFile, JSON.stringify(res.profile));
        session.disconnect();
        finish();
      });
    } else {
      finish();
    }
  };
  const finish = (): void => {
    const kernel = source.kernelStats();
    source.stop();
    table.flush();
    process.stdout.write(JSON.stringify({ records, kernel, counters: counters.snapshot() }) + '\n', () => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
