/**
 * @module process/process-table
 * Who a pid is: command, executable, container id and service name, read from /proc and cached
 * in a bounded LRU. A process that already exited keeps the name the kernel reported for it.
 */
import { closeSync, existsSync, openSync, readlinkSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProcessInfo } from '../records/record.ts';
import { containerIdFromCgroup } from './container.ts';
import { matchService } from './rules.ts';
import type { ServiceRule } from './rules.ts';

export interface ProcessTableOptions {
  /** Where procfs is mounted; tests point it at a fixture tree. Default /proc. */
  procRoot?: string;
  /** Processes cached; the least recently used is forgotten first. Default 4096. */
  maxEntries?: number;
  /** Cached identities are re-read after this long (exec, container moves). Default 30 s. */
  ttlMs?: number;
  rules?: readonly ServiceRule[];
  now?: () => number;
}

interface Entry {
  info: ProcessInfo;
  loadedAt: number;
}

const MAX_PROC_FILE = 64 * 1024;
const readBuffer = Buffer.alloc(MAX_PROC_FILE);

export class ProcessTable {
  private readonly cache = new Map<number, Entry>();
  private readonly procRoot: string;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly rules: readonly ServiceRule[];
  private readonly now: () => number;
  /** Lookups answered from /proc (misses) and evictions, for self-metrics. */
  reads = 0;
  evictions = 0;

  constructor(options: ProcessTableOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.maxEntries = options.maxEntries ?? 4096;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.rules = options.rules ?? [];
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * The identity of `pid`. `comm`, when the caller knows it (the kernel reports the process's
   * name, its thread-group leader's comm, with every event), wins over /proc and detects an exec
   * since the entry was cached. It must be the process's name, not a thread's: a thread name
   * (dig's `isc-net-0000`) would become the command and, differing from the leader's, force a
   * /proc re-read on every lookup. Never throws.
   */
  lookup(pid: number, comm?: string): ProcessInfo {
    const now = this.now();
    const hit = this.cache.get(pid);
    if (hit && now - hit.loadedAt < this.ttlMs && (comm === undefined || hit.info.command === comm)) {
      // Refresh the LRU position.
      this.cache.delete(pid);
      this.cache.set(pid, hit);
      return hit.info;
    }
    const info = this.read(pid, comm);
    this.cache.delete(pid);
    this.cache.set(pid, { info, loadedAt: now });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
      this.evictions++;
    }
    return info;
  }

  /** True while /proc/<pid> exists. */
  alive(pid: number): boolean {
    return existsSync(`${this.procRoot}/${pid}`);
  }

  forget(pid: number): void {
    this.cache.delete(pid);
  }

  private read(pid: number, comm?: string): ProcessInfo {
    this.reads++;
    const dir = `${this.procRoot}/${pid}`;
    const command = comm ?? readSmall(`${dir}/comm`)?.trim() ?? `pid-${pid}`;
    let executable: string | null = null;
    try {
      executable = readlinkSync(`${dir}/exe`);
      if (executable.endsWith(' (deleted)')) executable = executable.slice(0, -' (deleted)'.length);
    } catch {
      executable = null;
    }
    const cgroup = readSmall(`${dir}/cgroup`);
    const containerId = cgroup ? containerIdFromCgroup(cgroup) : null;
    const ruled = matchService(this.rules, { pid, comm: command, exe: executable, container: containerId });
    let service = ruled;
    if (!service && containerId) {
      // A container's hostname is its name where it matters (Kubernetes pod, compose service).
      const host = readSmall(`${dir}/root/etc/hostname`)?.trim();
      if (host && /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(host)) service = host;
    }
    if (!service) {
      // The command name is what the process calls itself (redis-server's executable is a link to
      // redis-check-rdb); the kernel cuts it at 15 bytes, where the executable's name is whole.
      const exeName = executable ? basename(executable) : null;
      service = command.length >= 15 && exeName?.startsWith(command) ? exeName : command;
    }
    return { pid, command, executable, container_id: containerId, service };
  }
}

/** Reads up to 64 KiB of a small text file; null if it cannot be read. */
function readSmall(path: string): string | null {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const buf = readBuffer;
    let len = 0;
    while (len < buf.length) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n <= 0) break;
      len += n;
    }
    return buf.toString('utf8', 0, len);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
