/**
 * Helpers for privileged live tests: decide to run, skip or fail; start a throwaway nginx; list
 * loaded BPF programs.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { probeHost } from '../../src/capture/ebpf/socket-tracer.ts';

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
export async function startNginx(port: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000;
  server {
    listen 127.0.0.1:${port};
    location /ok/ { return 200 "ok\\n"; }
    location / { return 404; }
  }
}
`);
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

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
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
