/**
 * Measures live capture (root; needs clang or cc to build the workload): the cost per write()
 * to a traced program, and the events per second and CPU of the agent's reader.
 *   node --import tsx test/live/measure-capture.ts [writes=100000]
 * Each traced figure is printed next to the untraced baseline measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LiveSource } from '../../src/capture/ebpf/live-source.ts';
import { Counters } from '../../src/util/counters.ts';
import { which } from './helpers.ts';

const run = promisify(execFile);
const writes = Number(process.argv[2] ?? 100000);
const src = fileURLToPath(new URL('./workload/tcp_writer.c', import.meta.url));
const bin = '/tmp/flowscope-tcp-writer';
execFileSync(which('clang') ?? which('cc') ?? 'cc', ['-O2', '-o', bin, src]);
const taskset = which('taskset');

async function writer(mode: string): Promise<number> {
  // The workload on CPU 1, the agent on CPU 0 (when taskset exists), as a deployment would see it.
  const { stdout } = taskset ? await run(taskset, ['-c', '1', bin, String(writes), mode]) : await run(bin, [String(writes), mode]);
  return Number(stdout.trim());
}

async function median(mode: string, runs = 3): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await writer(mode));
  return xs.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

if (taskset && process.env.PIN_AGENT) execFileSync(taskset, ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const base = { http: await median('http'), junk: await median('junk'), devnull: await median('devnull') };

let events = 0;
const counters = new Counters();
const source = new LiveSource({ onEvent: () => { events++; } }, { counters, pollIntervalMs: 10, ringBytes: Number(process.env.RING_MB ?? 8) << 20 });
source.start();
const traced: Record<string, number> = {};
const reader: Record<string, { events: number; eventsPerS: number; cpuPct: number; lost: number }> = {};
for (const mode of ['http', 'junk', 'devnull'] as const) {
  events = 0;
  const lost0 = source.kernelStats()?.lost ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  traced[mode] = await writer(mode);
  await new Promise((r) => setTimeout(r, 50));
  source.poll();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  reader[mode] = {
    events,
    eventsPerS: Math.round(events / wall),
    cpuPct: Math.round((100 * (cpu.user + cpu.system)) / 1e6 / wall),
    lost: (source.kernelStats()?.lost ?? 0) - lost0,
  };
}
source.stop();

const rows = (['http', 'junk', 'devnull'] as const).map((m) => ({
  workload: m,
  untracedNsPerWrite: base[m],
  tracedNsPerWrite: traced[m],
  addedNsPerWrite: Math.round(traced[m]! - base[m]),
  ratio: +(traced[m]! / base[m]).toFixed(2),
  ...reader[m],
}));
console.table(rows);
console.log(JSON.stringify({ writes, rows, counters: counters.snapshot() }));
