/**
 * @module bench/replay/run-one
 * One measured replay in a fresh process: `run-one.ts <mode> <file>` prints a JSON line with
 * records, CPU seconds, wall seconds and peak RSS. Modes: `full` (capture -> records),
 * `capture` (capture reader and reassembler only: the baseline the parsers add to).
 */
import { replayFiles } from '../../src/capture/pcap/replay.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import { Counters } from '../../src/util/counters.ts';
import type { StreamEvent } from '../../src/streams/events.ts';

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'full' && mode !== 'capture')) {
  console.error('usage: run-one.ts full|capture <file>');
  process.exit(2);
}

const counters = new Counters();
let records = 0;
let events = 0;
const sink = mode === 'full'
  ? new ConnectionTable(() => { records++; }, { counters })
  : { onEvent(_e: StreamEvent) { events++; } };

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await replayFiles([file], sink, counters);
if (sink instanceof ConnectionTable) sink.flush();
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  mode, file, records, events,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  wallSeconds: wall,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  parseErrors: Object.entries(counters.snapshot()).filter(([k]) => k.endsWith('parse_errors')),
}));
