/**
 * Helpers for privileged live tests: decide to run, skip or fail; start a throwaway nginx; list
 * loaded BPF programs.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { probeHost } from '../../src/capture/ebpf/socket-tracer.ts';
import { LiveSource } from '../../src/capture/ebpf/live-source.ts';
import type { KernelEvent } from '../../src/capture/ebpf/abi.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import { PROTOCOLS } from '../../src/protocols/registry.ts';
import { classifierFor } from '../../src/cli/up.ts';
import type { RequestRecord } from '../../src/records/record.ts';
import { Counters } from '../../src/util/counters.ts';
import { nginxConfig } from './nginx-config.ts';

/**
 * Why live capture cannot run here, or null when it can. Missing tools count too.
 * Mounts tracefs when it is root and tracefs is missing (what probeHost does).
 */
export function liveUnavailableReason(tools: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return 'live capture needs Linux';
  if (process.getuid?.() !== 0) return 'live capture needs root (run the live tests with sudo)';
  try {
    probeHost();
  } catch (err) {
    return (err as Error).message;
  }
  for (const tool of tools) {
    if (!which(tool)) return `${tool} is not installed (scripts/install.sh installs it)`;
  }
  return null;
}

/** In CI a missing capability is a failure; elsewhere the test skips and says why. */
export function requireLive(t: TestContext, tools: readonly string[] = []): boolean {
  const reason = liveUnavailableReason(tools);
  if (!reason) return true;
  if (process.env.CI === 'true') throw new Error(`live test cannot run: ${reason}`);
  t.skip(reason);
  return false;
}

export function which(tool: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not here
    }
  }
  return null;
}

export interface Nginx {
  port: number;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

/** nginx in the foreground on 127.0.0.1:<port>, with its own config and temp directory. */
export async function startNginx(port: number, workers = 1): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({
    dir, port, workers, keepaliveRequests: 1000,
    locations: [
      '    location /ok/ { return 200 "ok\\n"; }',
      '    location /post/ { client_body_buffer_size 64k; return 201 "created\\n"; }',
      '    location / { return 404; }',
    ].join('\n'),
  }));
  const bin = which('nginx') ?? 'nginx';
  const proc = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not start on port ${port}`);
    }
    await sleep(50);
  }
  return {
    port,
    proc,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGQUIT');
        await Promise.race([exited, sleep(3000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ids and names of loaded BPF programs (bpftool prog show). */
export function loadedPrograms(): { id: number; name: string }[] {
  const out = execFileSync(which('bpftool') ?? 'bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' });
  const list = JSON.parse(out) as { id: number; name?: string }[];
  return list.map((p) => ({ id: p.id, name: p.name ?? '' }));
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Epoch nanoseconds now (ms resolution: the bounds tests compare against get a slack). */
export const epochNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export interface Capture {
  records: RequestRecord[];
  counters: Counters;
  source: LiveSource;
  /** Drains the ring, stops capture and closes every connection. Idempotent. */
  stop(): Promise<void>;
  /** Kernel events lost (ring full) plus losses detected from event numbers and TCP sequences. */
  lossSignals(): { kernelLost: number; eventsLost: number; gaps: number; any: boolean };
}

/**
 * Live capture in this process: LiveSource -> ConnectionTable -> `records`. The kernel traces the
 * whole host (or `pids`); user space keeps only the events `accept` passes (a test's own ports), so
 * other tests on the host do not interfere.
 */
export function startCapture(
  accept: (ev: KernelEvent) => boolean,
  options: { pids?: number[]; ringBytes?: number } = {},
): Capture {
  const counters = new Counters();
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { counters });
  const source = new LiveSource(table, {
    counters, pollIntervalMs: 5, accept, pids: options.pids ?? [], ringBytes: options.ringBytes, classify: classifierFor(PROTOCOLS),
  });
  source.start();
  let stopped = false;
  return {
    records,
    counters,
    source,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Let the poller drain (a poll period, plus slack for a busy VM), then drain the rest.
      await sleep(200);
      source.stop();
      table.flush();
    },
    lossSignals() {
      const kernelLost = counters.get('capture.events_lost_kernel');
      const eventsLost = counters.get('capture.lost_events_detected');
      const gaps = counters.get('capture.gaps') + counters.get('streams.gaps');
      return { kernelLost, eventsLost, gaps, any: kernelLost + eventsLost + gaps > 0 };
    },
  };
}

/** Only events of connections to or from one of `ports`. */
export function byPorts(...ports: number[]): (ev: KernelEvent) => boolean {
  const set = new Set(ports);
  return (ev) => set.has(ev.localPort) || set.has(ev.remotePort);
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  /** Epoch ns just before the spawn and just after the exit. */
  from: bigint;
  to: bigint;
}

/** Runs a client to completion (killed after `timeoutMs`), without blocking the event loop (the poller runs meanwhile). */
export function runClient(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const from = epochNs();
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const to = epochNs();
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      if (err && (err as { killed?: boolean }).killed) {
        reject(new Error(`${cmd} ${args.join(' ')}: killed after ${timeoutMs} ms`));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr), code, from, to });
    });
  });
}

export interface Server {
  proc: ChildProcess;
  dir: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Spawns a server in a temp directory and waits until `ready()` says it is up (at most 5 s).
 * `stop()` kills it by pid (SIGTERM, then SIGKILL) and removes the directory.
 */
export async function startServer(
  name: string,
  port: number,
  make: (dir: string) => { cmd: string; args: string[]; options?: SpawnOptions },
  ready: () => Promise<boolean> = () => canConnect(port),
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `flowscope-${name}-`));
  const { cmd, args, options } = make(dir);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...options });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  while (!(await ready())) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(`${name} did not start on port ${port}: ${stderr.trim().slice(0, 500)}`);
    }
    await sleep(50);
  }
  return { proc, dir, port, stop };
}

/** A redis-server of our own on 127.0.0.1:<port>, no persistence. */
export function startRedis(port: number): Promise<Server> {
  return startServer('redis', port, (dir) => ({
    cmd: which('redis-server') ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
  }));
}

/** Count of records per key. */
export function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const it of items) {
    const k = key(it);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/**
 * A port below the ephemeral range (32768+) free for both TCP and UDP on 127.0.0.1. Servers on such
 * ports look like real services (53, 6379): a socket met mid-life (a forked child's inherited
 * fd, an unconnected UDP socket) gets its role guessed from the ports, as on a real host.
 */
export async function freeServicePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const { createSocket } = await import('node:dgram');
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const tcpOk = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (!tcpOk) continue;
    const udpOk = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => { sock.close(); resolve(false); });
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udpOk) return port;
  }
  throw new Error('no free service port in 20000..32000 after 50 tries');
}
