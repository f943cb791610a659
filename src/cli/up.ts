/**
 * @module cli/up
 * `flowscope up`: live capture on this host. eBPF socket tracer -> connection streams -> protocol
 * frames -> request records -> every registered record sink (stdout now; the store later).
 */
import { readFileSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LiveSource } from '../capture/ebpf/live-source.ts';
import type { Classifier } from '../capture/ebpf/translate.ts';
import type { KernelEvent } from '../capture/ebpf/abi.ts';
import { FS_MAX_FILTER_PIDS, FS_MAX_PAYLOAD } from '../capture/ebpf/abi.ts';
import { CaptureError, NotSupportedError } from '../capture/ebpf/errors.ts';
import { ProcessTable } from '../process/process-table.ts';
import { globToRegExp, parseRules } from '../process/rules.ts';
import { ConnectionTable } from '../streams/connection-table.ts';
import type { ProtocolSpec } from '../protocols/protocol.ts';
import type { RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';
import { LineWriter } from '../sinks/line-writer.ts';
import { recordToJson } from '../sinks/jsonl.ts';
import { recordToRow, TABLE_HEADER } from '../sinks/table.ts';
import { collect, parseProtocols } from './options.ts';
import { parseListen, runServer } from './server.ts';
import type { RunningServer } from './server.ts';
import { DEFAULT_API_PORT } from '../server/api.ts';

export interface UpOptions {
  format: 'table' | 'jsonl';
  pid?: string[];
  cgroup?: string;
  comm?: string[];
  port?: string[];
  protocol?: string[];
  duration?: number;
  payloadBytes: number;
  rules?: string;
  stats: boolean;
  /** Store records and serve the API (default); `--no-store` only prints. */
  store: boolean;
  dataDir?: string;
  clickhouse?: string;
  listen: string;
  token?: string;
}

/** Receives every record; sinks are called in order and must not throw (errors are counted). */
export type RecordSink = (record: RequestRecord) => void;

/** Flush period for stdout while capturing, so records appear promptly. */
const OUTPUT_FLUSH_MS = 200;

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Capture live traffic on this host (eBPF, needs root) and print request records')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .option('--pid <pid>', 'only these processes (repeat or comma-separate)', collect)
    .option('--cgroup <path>', 'only processes in this cgroup v2 directory (e.g. /sys/fs/cgroup/system.slice/nginx.service)')
    .option('--comm <name>', 'only processes whose name matches (glob; repeat or comma-separate)', collect)
    .option('--port <port>', 'only connections with this local or remote port (repeat or comma-separate)', collect)
    .option('-p, --protocol <name>', 'only these protocols (repeat or comma-separate)', collect)
    .option('--duration <seconds>', 'stop after this many seconds', positiveNumber('--duration'))
    .option('--payload-bytes <n>', `bytes copied per socket read/write (1..${FS_MAX_PAYLOAD})`, payloadBytes, 1024)
    .option('--rules <file>', 'service-name rules ("match <field> <glob> -> service <name>" lines)')
    .option('--no-stats', 'do not print the counters to stderr at the end')
    .option('--no-store', 'only print records: no storage, no API')
    .option('--data-dir <dir>', 'embedded store directory (default: /var/lib/flowscope as root, else ~/.local/share/flowscope)')
    .option('--clickhouse <url>', 'store in this ClickHouse server instead of the embedded engine')
    .option('--listen <addr>', 'query API address (anything but loopback needs --token)', `127.0.0.1:${DEFAULT_API_PORT}`)
    .option('--token <token>', 'bearer token API clients must send (default: $FLOWSCOPE_TOKEN)')
    .action(async (options: UpOptions) => {
      process.exitCode = await up(options);
    });
}

/**
 * Runs live capture until --duration elapses or SIGINT/SIGTERM arrives. Records go to stdout
 * and to every sink in `extraSinks`. Returns the exit status.
 */
export async function up(options: UpOptions, extraSinks: RecordSink[] = []): Promise<number> {
  const counters = new Counters();
  const protocols = parseProtocols(options.protocol);
  const pids = (options.pid ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`--pid must be a process id, got "${p}"`);
    return n;
  });
  const ports = new Set((options.port ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError(`--port must be 1..65535, got "${p}"`);
    return n;
  }));
  const comms = (options.comm ?? []).map(globToRegExp);
  const cgroup = options.cgroup ? cgroupId(options.cgroup) : undefined;

  let processes = new ProcessTable();
  if (options.rules) {
    const { rules, errors } = parseRules(readFileSync(options.rules, 'utf8'));
    for (const e of errors) process.stderr.write(`flowscope up: ${options.rules}: ${e}\n`);
    processes = new ProcessTable({ rules });
  }

  const out = new LineWriter(process.stdout);
  const format = options.format === 'jsonl' ? recordToJson : (r: RequestRecord) => `${recordToRow(r)}  ${r.observation}`;
  if (options.format === 'table') out.line(`${TABLE_HEADER}  SEEN-AT`);
  const sinks: RecordSink[] = [(r) => out.line(format(r)), ...extraSinks];
  const onRecord = (r: RequestRecord): void => {
    counters.add('records.live');
    for (const sink of sinks) {
      try {
        sink(r);
      } catch {
        counters.add('records.sink_errors');
      }
    }
  };
  const table = new ConnectionTable(onRecord, { protocols, counters });

  // Agent and server in one process: records go straight to the writer, no network hop.
  let server: RunningServer | null = null;
  let source: LiveSource | null = null;
  if (options.store) {
    try {
      server = await runServer({
        listen: parseListen(options.listen),
        token: options.token ?? process.env.FLOWSCOPE_TOKEN,
        store: { dataDir: options.dataDir, clickhouse: options.clickhouse },
        counters,
        gauges: (): Record<string, number> => {
          const k = source?.kernelStats();
          return k ? { 'kernel.events_submitted': k.submitted, 'kernel.events_lost': k.lost } : {};
        },
      });
    } catch (err) {
      process.stderr.write(`flowscope up: cannot start the store and API: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    const writer = server.writer;
    sinks.push((r) => writer.write(r));
    process.stderr.write(`flowscope up: storing in ${server.store.location}; query API on ${server.api.url}\n`);
  }

  // Kernel filter for a few pids; in user space for more, and for names and ports.
  const kernelPids = pids.length <= FS_MAX_FILTER_PIDS ? pids : [];
  const userPids = pids.length > FS_MAX_FILTER_PIDS ? new Set(pids) : null;
  const accept = userPids || comms.length > 0 || ports.size > 0
    ? (ev: KernelEvent): boolean =>
      (!userPids || userPids.has(ev.pid)) &&
      (comms.length === 0 || comms.some((re) => re.test(ev.comm))) &&
      (ports.size === 0 || ports.has(ev.localPort) || ports.has(ev.remotePort))
    : undefined;

  source = new LiveSource(table, {
    counters,
    processes,
    pids: kernelPids,
    cgroupId: cgroup,
    payloadBytes: options.payloadBytes,
    accept,
    classify: classifierFor(protocols),
  });
  try {
    source.start();
  } catch (err) {
    await server?.close();
    if (err instanceof NotSupportedError || err instanceof CaptureError) {
      process.stderr.write(`flowscope up: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  await new Promise<void>((resolve) => {
    const flushTimer = setInterval(() => void out.flush(), OUTPUT_FLUSH_MS);
    const stop = (): void => {
      clearInterval(flushTimer);
      if (durationTimer) clearTimeout(durationTimer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    const durationTimer = options.duration ? setTimeout(stop, options.duration * 1000) : null;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  const kernel = source.kernelStats();
  source.stop();
  table.flush();
  await out.flush();
  // Everything accepted is written before the store closes.
  await server?.close();
  if (options.stats) {
    const snapshot = counters.snapshot();
    if (kernel) {
      snapshot['kernel.events_submitted'] = kernel.submitted;
      snapshot['kernel.events_lost'] = kernel.lost;
      snapshot['kernel.quiet_events'] = kernel.quietEvents;
      snapshot['kernel.payload_faults'] = kernel.payloadFaults;
    }
    process.stderr.write(formatCounters(snapshot));
  }
  return 0;
}

/** A cgroup v2 id is the inode number of its directory; the kernel filters on it. */
export function cgroupId(path: string): bigint {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch (err) {
    throw new InvalidArgumentError(`--cgroup: cannot read ${path} (${(err as NodeJS.ErrnoException).code}); give a cgroup v2 directory under /sys/fs/cgroup`);
  }
  if (!st.isDirectory()) throw new InvalidArgumentError(`--cgroup: ${path} is not a directory; give a cgroup v2 directory under /sys/fs/cgroup`);
  return st.ino;
}

/**
 * A socket is worth its payload when a protocol's detector is confident about its first bytes.
 * Same scoring as the connection table: detector score, plus a bonus for a well-known port.
 */
export function classifierFor(protocols: readonly ProtocolSpec<any, any>[]): Classifier {
  const PORT_HINT = 0.2;
  const THRESHOLD = 0.5;
  return (bytes, ctx) => {
    for (const spec of protocols) {
      if (!spec.transports.includes(ctx.transport)) continue;
      let score = spec.detect(bytes, ctx);
      if (score <= 0) continue;
      if (spec.ports.includes(ctx.srcPort) || spec.ports.includes(ctx.dstPort)) score += PORT_HINT;
      if (score >= THRESHOLD) return true;
    }
    return false;
  };
}

function payloadBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > FS_MAX_PAYLOAD) {
    throw new InvalidArgumentError(`--payload-bytes must be a whole number between 1 and ${FS_MAX_PAYLOAD}, got "${value}"`);
  }
  return n;
}

function positiveNumber(label: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive number, got "${value}"`);
    return n;
  };
}

function formatCounters(values: Record<string, number>): string {
  const lines = Object.entries(values).map(([k, v]) => `  ${k.padEnd(40)} ${v}`);
  return `counters:\n${lines.join('\n')}\n`;
}
