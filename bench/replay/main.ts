/**
 * @module bench/replay/main
 * Replay benchmark: builds large synthetic captures (HTTP/1.1, DNS, Redis; about 1M requests
 * each by default), replays each in a fresh process and prints records per second per core and
 * peak memory, against two baselines measured in the same run: our capture layer alone (what
 * parsing and stitching add) and tshark dissecting a sample of the same capture.
 *
 *   npm run bench:replay -- [--requests N] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHttp, writeDns, writeRedis } from './synth.ts';
import type { SynthResult } from './synth.ts';

const args = process.argv.slice(2);
const requests = Number(args[args.indexOf('--requests') + 1]) || 1_000_000;
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowscope-bench-'));

interface Run { records: number; events: number; cpuSeconds: number; wallSeconds: number; maxRssMB: number }

function runOne(mode: 'full' | 'capture', file: string): Run {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'run-one.ts'), mode, file], {
    encoding: 'utf8', maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** tshark's time to dissect `file` fully (all layers, as it would to print requests). */
function tsharkSeconds(file: string, filter: string): number | null {
  if (spawnSync('tshark', ['-v']).status !== 0) return null;
  const t0 = process.hrtime.bigint();
  spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number', '-Y', filter], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

try {
  const cases: { name: string; synth: SynthResult; sample: SynthResult; filter: string }[] = [
    { name: 'http1', synth: writeHttp(join(dir, 'http.pcap'), requests / 100, 100), sample: writeHttp(join(dir, 'http-sample.pcap'), requests / 1000, 100), filter: 'http.response' },
    { name: 'redis', synth: writeRedis(join(dir, 'redis.pcap'), requests / 100, 100), sample: writeRedis(join(dir, 'redis-sample.pcap'), requests / 1000, 100), filter: 'redis' },
    { name: 'dns', synth: writeDns(join(dir, 'dns.pcap'), requests), sample: writeDns(join(dir, 'dns-sample.pcap'), requests / 10), filter: 'dns.flags.response == 1' },
  ];
  console.log(`replay benchmark: ${fmt(requests)} requests per protocol, node ${process.version}, one process per run\n`);
  console.log('protocol  requests   records   rec/s/core  wall s  peak RSS MB  capture-only ev/s/core  parse share  tshark req/s  ratio vs tshark');
  for (const c of cases) {
    const full = runOne('full', c.synth.path);
    const base = runOne('capture', c.synth.path);
    const perCore = full.records / full.cpuSeconds;
    const share = 1 - base.cpuSeconds / full.cpuSeconds;
    const ts = tsharkSeconds(c.sample.path, c.filter);
    const tsRate = ts ? c.sample.requests / ts : null;
    console.log([
      c.name.padEnd(9), fmt(c.synth.requests).padStart(9), fmt(full.records).padStart(9), fmt(perCore).padStart(12),
      full.wallSeconds.toFixed(1).padStart(7), full.maxRssMB.toFixed(0).padStart(12),
      fmt(base.events / base.cpuSeconds).padStart(23), `${(share * 100).toFixed(0)}%`.padStart(12),
      (tsRate ? fmt(tsRate) : 'n/a').padStart(13), (tsRate ? `${(perCore / tsRate).toFixed(1)}x` : 'n/a').padStart(16),
    ].join(' '));
    if (full.records !== c.synth.requests) console.log(`  WARNING: ${c.name} produced ${full.records} records for ${c.synth.requests} requests`);
  }
} finally {
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else if (existsSync(dir)) console.log(`captures kept in ${dir}`);
}
