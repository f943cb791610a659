/**
 * @module cli/server
 * `flowscope server`: receives agent batches and serves the query API, storing in the embedded
 * engine (--data-dir) or a ClickHouse server/cluster (--clickhouse, --cluster).
 */
import { Command, InvalidArgumentError } from 'commander';
import { openStore } from '../store/store.ts';
import type { OpenStoreOptions, Store } from '../store/store.ts';
import { RecordWriter } from '../store/writer.ts';
import { DEFAULT_API_PORT, startApiServer } from '../server/api.ts';
import type { ApiServer } from '../server/api.ts';
import { Counters } from '../util/counters.ts';

export interface ServerCliOptions {
  listen: string;
  token?: string;
  dataDir?: string;
  clickhouse?: string;
  cluster?: string;
  ttlDays: number;
}

/** `host:port`, `:port` or `port`; host defaults to 127.0.0.1. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+)?:)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError(`--listen must be host:port, :port or port, got "${value}"`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 36500) throw new InvalidArgumentError(`--ttl-days must be a whole number of days (1..36500), got "${value}"`);
  return n;
}

/** The pieces `flowscope server` runs; `up` can build the same from its own options. */
export interface RunningServer {
  store: Store;
  writer: RecordWriter;
  api: ApiServer;
  counters: Counters;
  close(): Promise<void>;
}

/** Open the store, start the writer and the API (with ingest). Stops in reverse order on close. */
export async function runServer(options: { listen: { host: string; port: number }; token?: string; store: OpenStoreOptions; counters?: Counters; gauges?: () => Record<string, number> }): Promise<RunningServer> {
  const counters = options.counters ?? new Counters();
  const store = await openStore(options.store);
  const writer = new RecordWriter(store, { counters });
  let api: ApiServer;
  try {
    api = await startApiServer(store, counters, { host: options.listen.host, port: options.listen.port, token: options.token, writer, gauges: options.gauges });
  } catch (err) {
    await writer.close();
    await store.close();
    throw err;
  }
  return {
    store, writer, api, counters,
    async close() {
      await api.close();
      await writer.close();
      await store.close();
    },
  };
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('Receive records from agents and serve the query API (embedded store, or a ClickHouse server/cluster)')
    .option('--listen <addr>', 'address to listen on (anything but loopback needs --token)', `127.0.0.1:${DEFAULT_API_PORT}`)
    .option('--token <token>', 'bearer token agents and API clients must send (default: $FLOWSCOPE_TOKEN)')
    .option('--data-dir <dir>', 'embedded store directory (default: /var/lib/flowscope as root, else ~/.local/share/flowscope)')
    .option('--clickhouse <url>', 'store in this ClickHouse server instead: http://user:password@host:8123/database')
    .option('--cluster <name>', 'with --clickhouse: create replicated + distributed tables ON CLUSTER <name>')
    .option('--ttl-days <n>', 'days raw requests and per-second rollups are kept', days, 3)
    .action(async (o: ServerCliOptions) => {
      const listen = parseListen(o.listen);
      const token = o.token ?? process.env.FLOWSCOPE_TOKEN;
      const running = await runServer({
        listen, token,
        store: { dataDir: o.dataDir, clickhouse: o.clickhouse, cluster: o.cluster, ttlDays: o.ttlDays },
      });
      process.stderr.write(`flowscope server: API on ${running.api.url} (store: ${running.store.kind} ${running.store.location})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stderr.write('flowscope server: stopping, flushing accepted records\n');
      await running.close();
    });
}
