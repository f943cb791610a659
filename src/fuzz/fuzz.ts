/**
 * @module fuzz/fuzz
 * Drives mutated and random inputs through detection, parsing and stitching of one protocol,
 * via the real connection table: random chunking, directions, truncation (captured < length)
 * and gaps. Reports any exception that escapes, the slowest input, and heap growth.
 */
import type { ProtocolSpec } from '../protocols/protocol.ts';
import { ConnectionTable } from '../streams/connection-table.ts';
import type { StreamEvent } from '../streams/events.ts';
import { Counters } from '../util/counters.ts';
import { Rng, mutate, randomBytes } from './mutate.ts';

export interface FuzzOptions {
  spec: ProtocolSpec<any, any>;
  seeds: Uint8Array[];
  iterations: number;
  seed?: number;
  /** An input taking longer than this is reported as a hang. */
  maxInputMs?: number;
  onProgress?: (done: number) => void;
}

export interface FuzzReport {
  iterations: number;
  /** Inputs whose processing threw; the first few are kept in `failures`. */
  failureCount: number;
  failures: { input: Uint8Array; error: string }[];
  slowest: { ms: number; input: Uint8Array | null };
  hangs: number;
  records: number;
  heapGrowthMB: number;
  seconds: number;
  counters: Record<string, number>;
}

const MAX_FAILURES_KEPT = 10;

export function fuzz(options: FuzzOptions): FuzzReport {
  const { spec, iterations } = options;
  const maxInputMs = options.maxInputMs ?? 1000;
  const rng = new Rng(options.seed ?? 1);
  const seeds = options.seeds.length > 0 ? options.seeds : [new Uint8Array([0])];
  const counters = new Counters();
  let records = 0;
  const report: FuzzReport = {
    iterations: 0, failureCount: 0, failures: [], slowest: { ms: 0, input: null }, hangs: 0, records: 0, heapGrowthMB: 0, seconds: 0, counters: {},
  };
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const transport = spec.transports[rng.int(spec.transports.length)]!;
  // One long-lived table, as in the agent: state must not leak across connections.
  const table = new ConnectionTable(() => { records++; }, { protocols: [spec], counters, detectAttempts: 2 });
  let time = 1_700_000_000_000_000_000n;
  for (let i = 0; i < iterations; i++) {
    const input = rng.int(10) === 0
      ? randomBytes(rng, 512)
      : mutate(rng, rng.pick(seeds), rng.pick(seeds));
    const start = performance.now();
    try {
      spec.detect(input, { transport, dir: 0, srcPort: 40000, dstPort: spec.ports[0] ?? 1 });
      spec.parse(input, (rng.int(2)) as 0 | 1, spec.createState());
      spec.findFrameBoundary(input, 0, rng.int(input.length + 1), spec.createState());
      time = feed(table, rng, i, input, transport, spec.ports[0] ?? 1, time);
    } catch (err) {
      report.failureCount++;
      if (report.failures.length < MAX_FAILURES_KEPT) {
        report.failures.push({ input, error: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    }
    const ms = performance.now() - start;
    if (ms > report.slowest.ms) report.slowest = { ms, input };
    if (ms > maxInputMs) report.hangs++;
    report.iterations++;
    if (options.onProgress && i % 10000 === 0) options.onProgress(i);
  }
  table.flush();
  global.gc?.();
  report.heapGrowthMB = (process.memoryUsage().heapUsed - heap0) / 1048576;
  report.seconds = (performance.now() - t0) / 1000;
  report.records = records;
  report.counters = counters.snapshot();
  return report;
}

/** One connection carrying `input` cut into random pieces, directions, truncations and gaps. */
function feed(table: ConnectionTable, rng: Rng, id: number, input: Uint8Array, transport: 'tcp' | 'udp', port: number, time: bigint): bigint {
  const conn = id + 1;
  const events: StreamEvent[] = [{
    kind: 'open', conn, time, transport, client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '10.0.0.2', port },
    rolesKnown: rng.int(2) === 0, midStream: rng.int(4) === 0, observation: 'network',
  }];
  let at = 0;
  const seq = [rng.next(), rng.next()];
  while (at < input.length) {
    const n = 1 + rng.int(Math.max(1, input.length - at));
    const dir = (rng.int(3) === 0 ? 1 : 0) as 0 | 1;
    const piece = input.subarray(at, at + n);
    time += BigInt(1 + rng.int(1_000_000));
    const roll = rng.int(10);
    if (roll === 0) {
      events.push({ kind: 'gap', conn, dir, time, length: rng.int(2) ? -1 : rng.int(4096) });
    }
    const captured = roll === 1 ? piece.subarray(0, rng.int(piece.length + 1)) : piece;
    const length = roll === 1 ? piece.length + rng.int(100_000) : piece.length;
    events.push({ kind: 'data', conn, dir, time, seq: transport === 'tcp' ? seq[dir]! : -1, bytes: captured, length });
    seq[dir] = (seq[dir]! + length) >>> 0;
    at += n;
  }
  if (rng.int(4) !== 0) events.push({ kind: 'close', conn, time: time + 1n, reason: rng.int(2) ? 'fin' : 'rst' });
  for (const e of events) table.onEvent(e);
  return time + 1n;
}
