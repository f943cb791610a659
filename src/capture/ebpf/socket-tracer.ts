/**
 * @module capture/ebpf/socket-tracer
 * Loads bpf/socket_tracer.bpf.o through libbpf and reads its events: probe the host, open the
 * object, write the load-time configuration (.rodata), load (verifier), attach every program,
 * then read the ring buffer on demand. Each stage fails with a typed error that says what is
 * missing and how to fix it.
 *
 * Lifetime: `SocketTracer.open()` returns an attached tracer; `close()` detaches and frees
 * everything (idempotent). Tracers still open at process exit are closed by an exit hook, and the
 * kernel drops the programs with the process's file descriptors in any case (nothing is pinned).
 * Not safe for concurrent use: one tracer, one thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { CaptureError, LoadError, NotSupportedError } from './errors.ts';
import { BTF_KIND_DATASEC, errno, getLibbpf, getLibc, isNull } from './libbpf.ts';
import type { Libbpf, Ptr } from './libbpf.ts';
import { RingReader } from './ringbuf.ts';
import {
  EventCursor, FS_DEFAULT_DETECT_EVENTS, FS_DEFAULT_PAYLOAD, FS_MAX_FILTER_PIDS, FS_MAX_PAYLOAD,
  FS_STAT_PAYLOAD_FAULT, FS_STAT_QUIET_BYTES, FS_STAT_QUIET_EVENTS, FS_STAT_RINGBUF_FULL,
  FS_STAT_SUBMITTED,
} from './abi.ts';
import type { KernelEvent } from './abi.ts';

export const DEFAULT_OBJECT_PATH = fileURLToPath(new URL('../../../bpf/socket_tracer.bpf.o', import.meta.url));
export const DEFAULT_RING_BYTES = 16 << 20;

export interface SocketTracerOptions {
  /** Compiled object; default bpf/socket_tracer.bpf.o of this checkout. */
  objectPath?: string;
  /** Payload bytes copied per data event: default 1024, at most 16384. */
  payloadBytes?: number;
  /** Trace only these processes (tgids), at most 8. Empty: the whole host. */
  pids?: readonly number[];
  /** Trace only this cgroup (v2 id, the inode number of its directory). */
  cgroupId?: bigint;
  /** Ring buffer size in bytes: a power of two, multiple of the page size. Default 16 MiB (about 65K events of 256 bytes: ~0.5 s of slack at 100K events/s). */
  ringBytes?: number;
  /** Data events per socket before the protocol policy decides. Default 8. */
  detectEvents?: number;
  /** The process never traced (the agent itself). Default: this process. */
  selfPid?: number;
}

/** What the kernel side counted, summed over CPUs. */
export interface KernelStats {
  /** Events lost because the ring buffer was full. */
  lost: number;
  submitted: number;
  payloadFaults: number;
  quietEvents: number;
  quietBytes: number;
}

interface RodataVar {
  offset: number;
  size: number;
}

const openTracers = new Set<SocketTracer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const t of [...openTracers]) t.close();
  });
}

/** Checks what live capture needs, mounting tracefs when it can. Throws NotSupportedError. */
export function probeHost(objectPath = DEFAULT_OBJECT_PATH): void {
  if (process.platform !== 'linux') {
    throw new NotSupportedError('Linux eBPF', 'run flowscope up on Linux (kernel 5.15 or newer)', process.platform);
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    throw new NotSupportedError('kernel BTF (/sys/kernel/btf/vmlinux)',
      'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 11+, Ubuntu 20.10+, RHEL 8.2+ kernels are)');
  }
  if (!hasBpfPrivileges()) {
    throw new NotSupportedError('permission to load eBPF programs (CAP_BPF and CAP_PERFMON)',
      'run as root (sudo flowscope up) or grant them: setcap cap_bpf,cap_perfmon+ep $(which node)');
  }
  ensureTracefs();
  if (!existsSync(objectPath)) {
    throw new NotSupportedError(`the socket tracer object (${objectPath})`,
      'restore it from the repository (git checkout bpf/socket_tracer.bpf.o) or rebuild it: make -C bpf');
  }
  getLibbpf();
}

function hasBpfPrivileges(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    if (!m) return false;
    const caps = BigInt('0x' + m[1]);
    const has = (bit: number) => (caps >> BigInt(bit)) & 1n;
    const CAP_SYS_ADMIN = 21;
    const CAP_PERFMON = 38;
    const CAP_BPF = 39;
    return has(CAP_SYS_ADMIN) === 1n || (has(CAP_BPF) === 1n && has(CAP_PERFMON) === 1n);
  } catch {
    return false;
  }
}

const TRACEFS_DIRS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

function syscallEventsPresent(): boolean {
  return TRACEFS_DIRS.some((d) => existsSync(`${d}/events/syscalls/sys_enter_write`));
}

/** Syscall tracepoints are attached through tracefs: mount it when it is missing and we may. */
function ensureTracefs(): void {
  if (syscallEventsPresent()) return;
  const target = '/sys/kernel/tracing';
  let detail = 'not mounted';
  if (existsSync(target)) {
    const rc = getLibc().mount('tracefs', target, 'tracefs', 0, null);
    if (rc === 0 && syscallEventsPresent()) return;
    detail = rc === 0 ? 'mounted, but it has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)' : `mount failed, errno ${errno()}`;
  }
  throw new NotSupportedError('tracefs with syscall tracepoints', 'mount it: mount -t tracefs tracefs /sys/kernel/tracing', detail);
}

export class SocketTracer {
  private obj: Ptr;
  private links: Ptr[] = [];
  private ring: RingReader | null = null;
  private readonly maps = new Map<string, Ptr>();
  private readonly ncpu: number;
  private readonly statsValue: Uint8Array;
  private readonly u64key = new Uint8Array(8);
  private readonly u32key = new Uint8Array(4);
  private readonly one = new Uint8Array([1]);
  private readonly cursor = new EventCursor();
  /** Records the ring held that did not decode as events (a bug or an ABI mismatch). */
  malformed = 0;

  private constructor(
    private readonly bpf: Libbpf,
    obj: Ptr,
  ) {
    this.obj = obj;
    this.ncpu = bpf.numPossibleCpus();
    this.statsValue = new Uint8Array(8 * Math.max(1, this.ncpu));
  }

  /** Probes the host, then opens, configures, loads and attaches the socket tracer. */
  static open(options: SocketTracerOptions = {}): SocketTracer {
    const objectPath = options.objectPath ?? DEFAULT_OBJECT_PATH;
    probeHost(objectPath);
    const payload = options.payloadBytes ?? FS_DEFAULT_PAYLOAD;
    if (!Number.isInteger(payload) || payload < 0 || payload > FS_MAX_PAYLOAD) {
      throw new CaptureError(`configure tracer: payload bytes ${payload} not in 0..${FS_MAX_PAYLOAD}`);
    }
    const pids = options.pids ?? [];
    if (pids.length > FS_MAX_FILTER_PIDS) {
      throw new CaptureError(`configure tracer: ${pids.length} pids given, the kernel filter takes at most ${FS_MAX_FILTER_PIDS}`);
    }
    const ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
    const bpf = getLibbpf();
    bpf.log.length = 0;
    const obj = bpf.openFile(objectPath);
    if (isNull(obj)) {
      throw new LoadError(`open ${objectPath}: errno ${errno()}`, logTail(bpf));
    }
    const tracer = new SocketTracer(bpf, obj);
    try {
      for (const name of ['events', 'sockets', 'inflight', 'interesting', 'scratch', 'stats']) {
        const map = bpf.findMap(obj, name);
        if (isNull(map)) throw new CaptureError(`find map ${name}: not in ${objectPath} (an object from another version?)`);
        tracer.maps.set(name, map);
      }
      tracer.check(bpf.mapSetMaxEntries(tracer.map('events'), ringBytes), `size ring buffer to ${ringBytes} bytes`);
      tracer.check(bpf.mapSetMaxEntries(tracer.map('scratch'), tracer.ncpu), 'size scratch map');
      tracer.setRodata({
        self_tgid: options.selfPid ?? process.pid,
        payload_max: payload,
        detect_events: options.detectEvents ?? FS_DEFAULT_DETECT_EVENTS,
        filter_pid_count: pids.length,
        filter_pids: pids,
        filter_cgroup_id: options.cgroupId ?? 0n,
      });
      const rc = bpf.load(obj);
      if (rc !== 0) throw new LoadError(`load socket tracer: error ${rc} (the verifier or a CO-RE relocation refused it)`, logTail(bpf));
      tracer.attachAll();
      tracer.ring = new RingReader(bpf.mapFd(tracer.map('events')), ringBytes);
    } catch (err) {
      tracer.close();
      throw err;
    }
    openTracers.add(tracer);
    installExitHook();
    return tracer;
  }

  /** Number of programs attached. */
  get attached(): number {
    return this.links.length;
  }

  /**
   * Hands up to `budget` events from the ring to `onEvent`, in order. Returns the count read.
   * Each event is decoded in place (an EventCursor) and valid only during its call.
   */
  read(onEvent: (event: KernelEvent) => void, budget = 65536): number {
    if (!this.ring) return 0;
    const cursor = this.cursor;
    return this.ring.consume((view, bytes, off, len) => {
      if (cursor.at(view, bytes, off, len)) onEvent(cursor);
      else this.malformed++;
    }, budget);
  }

  /** Releases up to `budget` events without decoding them (benchmarks: the kernel side's cost alone). */
  skip(budget = 65536): number {
    if (!this.ring) return 0;
    return this.ring.consume(() => {}, budget);
  }

  /** Bytes waiting in the ring. */
  pendingBytes(): number {
    return this.ring?.pending() ?? 0;
  }

  /** Tells the kernel that a socket carries a protocol we parse, so it keeps sending its payload. */
  markInteresting(sockId: number): boolean {
    const map = this.maps.get('interesting');
    if (!map || isNull(this.obj)) return false;
    new DataView(this.u64key.buffer).setBigUint64(0, BigInt(sockId), true);
    return this.bpf.mapUpdate(map, this.u64key, 8, this.one, 1, 0n) === 0;
  }

  kernelStats(): KernelStats {
    const sum = (key: number): number => {
      const map = this.maps.get('stats');
      if (!map || isNull(this.obj)) return 0;
      new DataView(this.u32key.buffer).setUint32(0, key, true);
      if (this.bpf.mapLookup(map, this.u32key, 4, this.statsValue, this.statsValue.length, 0n) !== 0) return 0;
      const v = new DataView(this.statsValue.buffer);
      let total = 0;
      for (let cpu = 0; cpu < this.ncpu; cpu++) total += Number(v.getBigUint64(cpu * 8, true));
      return total;
    };
    return {
      lost: sum(FS_STAT_RINGBUF_FULL),
      submitted: sum(FS_STAT_SUBMITTED),
      payloadFaults: sum(FS_STAT_PAYLOAD_FAULT),
      quietEvents: sum(FS_STAT_QUIET_EVENTS),
      quietBytes: sum(FS_STAT_QUIET_BYTES),
    };
  }

  /** Detaches every program and frees the object. Safe to call twice. */
  close(): void {
    this.ring?.close();
    this.ring = null;
    for (const link of this.links) this.bpf.destroyLink(link);
    this.links = [];
    if (!isNull(this.obj)) this.bpf.close(this.obj);
    this.obj = null;
    this.maps.clear();
    openTracers.delete(this);
  }

  private map(name: string): Ptr {
    return this.maps.get(name)!;
  }

  private check(rc: number, what: string): void {
    if (rc !== 0) throw new CaptureError(`${what}: error ${rc}`);
  }

  private attachAll(): void {
    for (let p = this.bpf.nextProgram(this.obj, null); !isNull(p); p = this.bpf.nextProgram(this.obj, p)) {
      const link = this.bpf.attach(p);
      if (isNull(link)) {
        const name = this.bpf.programName(p);
        throw new CaptureError(`attach ${name}: errno ${errno()}${logTail(this.bpf, 5) ? `\n${logTail(this.bpf, 5)}` : ''}`);
      }
      this.links.push(link);
    }
  }

  /** Writes load-time configuration into .rodata, locating each variable through the object's BTF. */
  private setRodata(values: Record<string, number | bigint | readonly number[]>): void {
    let rodata: Ptr = null;
    for (let m = this.bpf.nextMap(this.obj, null); !isNull(m); m = this.bpf.nextMap(this.obj, m)) {
      if (this.bpf.mapName(m).endsWith('.rodata')) rodata = m;
    }
    if (isNull(rodata)) throw new CaptureError('configure tracer: the object has no .rodata');
    const sizeOut = new BigUint64Array(1);
    const ptr = this.bpf.mapInitialValue(rodata, sizeOut);
    if (isNull(ptr)) throw new CaptureError('configure tracer: .rodata has no initial value');
    const size = Number(sizeOut[0]);
    const mem = new DataView(koffi.view(ptr, size));
    const vars = this.rodataVars();
    for (const [name, value] of Object.entries(values)) {
      const v = vars.get(name);
      if (!v) throw new CaptureError(`configure tracer: no .rodata variable ${name} in the object`);
      if (v.offset + v.size > size) throw new CaptureError(`configure tracer: ${name} lies outside .rodata`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length && (i + 1) * 4 <= v.size; i++) mem.setUint32(v.offset + i * 4, value[i]!, true);
      } else if (v.size === 8) {
        mem.setBigUint64(v.offset, BigInt(value as number | bigint), true);
      } else if (v.size === 4) {
        mem.setUint32(v.offset, Number(value), true);
      } else {
        throw new CaptureError(`configure tracer: ${name} has unexpected size ${v.size}`);
      }
    }
  }

  private rodataVars(): Map<string, RodataVar> {
    const btf = this.bpf.objectBtf(this.obj);
    if (isNull(btf)) throw new CaptureError('configure tracer: the object has no BTF');
    const secId = this.bpf.btfFindByNameKind(btf, '.rodata', BTF_KIND_DATASEC);
    if (secId < 0) throw new CaptureError('configure tracer: no .rodata section in the BTF');
    const sec = this.bpf.btfTypeById(btf, secId);
    // struct btf_type { u32 name_off; u32 info; u32 size; } then vlen x { u32 type; u32 offset; u32 size; }
    const info = new DataView(koffi.view(sec, 12)).getUint32(4, true);
    const vlen = info & 0xffff;
    const entries = new DataView(koffi.view((sec as bigint) + 12n, vlen * 12));
    const out = new Map<string, RodataVar>();
    for (let i = 0; i < vlen; i++) {
      const typeId = entries.getUint32(i * 12, true);
      const varType = this.bpf.btfTypeById(btf, typeId);
      if (isNull(varType)) continue;
      const nameOff = new DataView(koffi.view(varType, 4)).getUint32(0, true);
      const name = this.bpf.btfNameByOffset(btf, nameOff);
      if (name) out.set(name, { offset: entries.getUint32(i * 12 + 4, true), size: entries.getUint32(i * 12 + 8, true) });
    }
    return out;
  }
}

function logTail(bpf: Libbpf, lines = 40): string {
  return bpf.log.slice(-lines).join('\n');
}
