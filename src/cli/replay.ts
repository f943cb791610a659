/**
 * @module cli/replay
 * `flowscope replay <file>...`: the offline pipeline. Captures -> TCP/UDP streams -> protocol
 * frames -> request records -> a table or JSON lines on stdout, with the loss counters on stderr.
 */
import { Command, Option } from 'commander';
import { replayFiles, CaptureError } from '../capture/pcap/replay.ts';
import { ConnectionTable } from '../streams/connection-table.ts';
import { Counters } from '../util/counters.ts';
import { LineWriter } from '../sinks/line-writer.ts';
import { recordToJson } from '../sinks/jsonl.ts';
import { recordToRow, TABLE_HEADER } from '../sinks/table.ts';
import { collect, parseProtocols } from './options.ts';
import type { RequestRecord } from '../records/record.ts';

interface ReplayOptions {
  format: 'table' | 'jsonl';
  protocol?: string[];
  stats: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Parse pcap/pcapng captures into request records')
    .argument('<files...>', 'pcap or pcapng files, replayed in the order given')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .option('-p, --protocol <name>', 'only these protocols (repeat or comma-separate)', collect)
    .option('--no-stats', 'do not print the counters to stderr at the end')
    .action(async (files: string[], options: ReplayOptions) => {
      process.exitCode = await replay(files, options);
    });
}

export async function replay(files: string[], options: ReplayOptions): Promise<number> {
  const protocols = parseProtocols(options.protocol);
  const counters = new Counters();
  const out = new LineWriter(process.stdout);
  const format = options.format === 'jsonl' ? recordToJson : recordToRow;
  if (options.format === 'table') out.line(TABLE_HEADER);
  const onRecord = (r: RequestRecord): void => out.line(format(r));
  const table = new ConnectionTable(onRecord, { protocols, counters });
  let status = 0;
  try {
    await replayFiles(files, table, counters, () => out.ready());
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    process.stderr.write(`flowscope replay: ${err.message}\n`);
    status = 1;
  }
  // Close every connection still open so unanswered requests are reported, even after an error.
  table.flush();
  await out.flush();
  if (options.stats) process.stderr.write(formatCounters(counters.snapshot()));
  return status;
}

function formatCounters(values: Record<string, number>): string {
  const lines = Object.entries(values).map(([k, v]) => `  ${k.padEnd(40)} ${v}`);
  return `counters:\n${lines.join('\n')}\n`;
}
