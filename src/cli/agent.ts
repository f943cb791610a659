/**
 * @module cli/agent
 * `flowscope agent`: ships records from a source on this host to a flowscope server. Sources are
 * pluggable (`RecordSource`): records as JSON lines on stdin are built in; live capture
 * registers itself through `registerAgent(program, { live })`.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { RequestRecord } from '../records/record.ts';
import { recordFromJson } from '../sinks/jsonl.ts';
import { Counters } from '../util/counters.ts';
import { defaultDataDir } from '../store/store.ts';
import { startShipper } from '../agent/shipper.ts';

/**
 * Produces records until stopped: calls `onRecord` per record and resolves with a stop function
 * once running. `done` resolves when the source ends by itself (end of input).
 */
export type RecordSource = (onRecord: (record: RequestRecord) => void, counters: Counters) =>
  Promise<{ stop(): Promise<void>; done: Promise<void> }>;

/** Records as JSON lines (the `--format jsonl` output of replay/up) on stdin. */
export const stdinSource: RecordSource = async (onRecord, counters) => {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const done = (async () => {
    for await (const line of rl) {
      if (line.trim() === '') continue;
      try {
        onRecord(recordFromJson(line));
      } catch {
        counters.add('agent.bad_input_lines');
      }
    }
  })();
  return { stop: async () => rl.close(), done };
};

export interface AgentCliOptions {
  server: string;
  token?: string;
  source: string;
  spoolDir?: string;
  spoolMb: number;
  host?: string;
}

function megabytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError(`--spool-mb must be a whole number of MiB (1..1000000), got "${value}"`);
  return n;
}

export function registerAgent(program: Command, sources: { live?: RecordSource } = {}): void {
  const names = ['stdin', ...(sources.live ? ['live'] : [])];
  program
    .command('agent')
    .description('Ship records from this host to a flowscope server (gzip batches, retries, bounded disk spool)')
    .requiredOption('--server <url>', 'flowscope server, e.g. http://flowscope.internal:7070')
    .option('--token <token>', 'bearer token (default: $FLOWSCOPE_TOKEN)')
    .option('--source <name>', `where records come from: ${names.join(' | ')}`, sources.live ? 'live' : 'stdin')
    .option('--spool-dir <dir>', 'batches waiting for the server (default: <data dir>/spool)')
    .option('--spool-mb <n>', 'spool bound; oldest batches are dropped (and counted) beyond it', megabytes, 256)
    .option('--host <name>', 'host name stamped on records (default: this host\'s name)')
    .action(async (o: AgentCliOptions) => {
      const source = o.source === 'stdin' ? stdinSource : o.source === 'live' ? sources.live : undefined;
      if (!source) throw new InvalidArgumentError(`--source must be one of ${names.join(', ')}, got "${o.source}"`);
      const counters = new Counters();
      const shipper = startShipper({
        server: o.server,
        token: o.token ?? process.env.FLOWSCOPE_TOKEN,
        spoolDir: o.spoolDir ?? join(defaultDataDir(), 'spool'),
        spoolMaxBytes: o.spoolMb * 1024 * 1024,
        counters,
        ...(o.host ? { host: o.host } : {}),
      });
      const running = await source(shipper.onRecord, counters);
      const signalled = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await Promise.race([running.done, signalled]);
      await running.stop();
      await shipper.close(10_000);
      process.stderr.write(`flowscope agent: ${JSON.stringify(counters.snapshot())}\n`);
    });
}
