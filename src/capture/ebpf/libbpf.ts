/**
 * @module capture/ebpf/libbpf
 * koffi bindings to the system libbpf (libbpf.so.1, 1.1 or newer) and the few libc calls the
 * capture needs (mmap, mount, clock_gettime). Loaded lazily: importing this module never touches
 * the system, so code that only decodes events runs anywhere.
 *
 * libbpf 1.x reports failures as NULL pointers with errno set, or as negative error codes.
 * Pointers are BigInt (koffi 3). Not safe for concurrent use: call from the main thread only.
 */
import koffi from 'koffi';
import { NotSupportedError } from './errors.ts';

/** An opaque native pointer; 0n or null means NULL. */
export type Ptr = bigint | null;

export interface Libbpf {
  version: string;
  openFile(path: string): Ptr;
  load(obj: Ptr): number;
  close(obj: Ptr): void;
  findMap(obj: Ptr, name: string): Ptr;
  nextMap(obj: Ptr, prev: Ptr): Ptr;
  mapName(map: Ptr): string;
  mapFd(map: Ptr): number;
  mapInitialValue(map: Ptr, size: BigUint64Array): Ptr;
  mapSetMaxEntries(map: Ptr, n: number): number;
  mapUpdate(map: Ptr, key: Uint8Array, keySize: number, value: Uint8Array, valueSize: number, flags: bigint): number;
  mapLookup(map: Ptr, key: Uint8Array, keySize: number, value: Uint8Array, valueSize: number, flags: bigint): number;
  nextProgram(obj: Ptr, prev: Ptr): Ptr;
  programName(prog: Ptr): string;
  attach(prog: Ptr): Ptr;
  destroyLink(link: Ptr): number;
  numPossibleCpus(): number;
  objectBtf(obj: Ptr): Ptr;
  btfFindByNameKind(btf: Ptr, name: string, kind: number): number;
  btfTypeById(btf: Ptr, id: number): Ptr;
  btfNameByOffset(btf: Ptr, offset: number): string | null;
  /** Lines libbpf printed (warnings, verifier logs), newest last, at most `maxLines`. */
  log: string[];
}

export interface Libc {
  mmap(addr: Ptr, len: number, prot: number, flags: number, fd: number, offset: number): Ptr;
  munmap(addr: Ptr, len: number): number;
  mount(source: string, target: string, fstype: string, flags: number, data: Ptr): number;
  pageSize(): number;
  /** Nanoseconds of a clock (CLOCK_REALTIME 0, CLOCK_MONOTONIC 1). */
  clockNs(clock: number): bigint;
}

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
export const BTF_KIND_VAR = 14;
export const BTF_KIND_DATASEC = 15;

const LOG_MAX_LINES = 400;

let libbpf: Libbpf | null = null;
let libc: Libc | null = null;
// Kept alive for as long as libbpf may call it.
let printCallback: unknown = null;

/** True when a native call returned NULL. */
export function isNull(p: Ptr): boolean {
  return p === null || p === 0n;
}

export function errno(): number {
  return koffi.errno();
}

/** The system libbpf, bound on first use. Throws NotSupportedError when libbpf1 is missing. */
export function getLibbpf(): Libbpf {
  if (libbpf) return libbpf;
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load('libbpf.so.1');
  } catch (err) {
    throw new NotSupportedError('libbpf (libbpf.so.1)', 'install it: apt-get install libbpf1', String((err as Error).message));
  }
  const c = getLibc();
  const f = (sig: string) => lib.func(sig);
  const versionString = f('const char *libbpf_version_string(void)');
  const openFile = f('void *bpf_object__open_file(const char *path, const void *opts)');
  const load = f('int bpf_object__load(void *obj)');
  const close = f('void bpf_object__close(void *obj)');
  const findMap = f('void *bpf_object__find_map_by_name(void *obj, const char *name)');
  const nextMap = f('void *bpf_object__next_map(void *obj, void *prev)');
  const mapName = f('const char *bpf_map__name(void *map)');
  const mapFd = f('int bpf_map__fd(void *map)');
  const mapInitialValue = f('void *bpf_map__initial_value(void *map, _Out_ uint64_t *psize)');
  const mapSetMaxEntries = f('int bpf_map__set_max_entries(void *map, uint32_t n)');
  const mapUpdate = f('int bpf_map__update_elem(void *map, const void *key, size_t ksz, const void *value, size_t vsz, uint64_t flags)');
  const mapLookup = f('int bpf_map__lookup_elem(void *map, const void *key, size_t ksz, _Out_ void *value, size_t vsz, uint64_t flags)');
  const nextProgram = f('void *bpf_object__next_program(void *obj, void *prev)');
  const programName = f('const char *bpf_program__name(void *prog)');
  const attach = f('void *bpf_program__attach(void *prog)');
  const destroyLink = f('int bpf_link__destroy(void *link)');
  const numPossibleCpus = f('int libbpf_num_possible_cpus(void)');
  const objectBtf = f('void *bpf_object__btf(void *obj)');
  const btfFindByNameKind = f('int btf__find_by_name_kind(void *btf, const char *name, uint32_t kind)');
  const btfTypeById = f('void *btf__type_by_id(void *btf, uint32_t id)');
  const btfNameByOffset = f('const char *btf__name_by_offset(void *btf, uint32_t off)');

  // libbpf prints through a printf-style callback; va_list arrives as a pointer (x86-64, arm64),
  // which libc's vsnprintf formats for us.
  const PrintFn = koffi.proto('int flowscope_libbpf_print(int level, const char *fmt, void *args)');
  const setPrint = lib.func('void *libbpf_set_print(flowscope_libbpf_print *fn)');
  const log: string[] = [];
  const buf = Buffer.alloc(8192);
  printCallback = koffi.register((_level: number, fmt: string, args: bigint) => {
    const n = c.vsnprintf(buf, buf.length, fmt, args);
    const text = buf.toString('utf8', 0, Math.max(0, Math.min(n, buf.length - 1)));
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      log.push(line);
      if (log.length > LOG_MAX_LINES) log.shift();
    }
    return 0;
  }, koffi.pointer(PrintFn));
  setPrint(printCallback);

  libbpf = {
    version: versionString() as string,
    openFile: (path) => openFile(path, null),
    load: (obj) => load(obj),
    close: (obj) => close(obj),
    findMap: (obj, name) => findMap(obj, name),
    nextMap: (obj, prev) => nextMap(obj, prev),
    mapName: (map) => mapName(map),
    mapFd: (map) => mapFd(map),
    mapInitialValue: (map, size) => mapInitialValue(map, size),
    mapSetMaxEntries: (map, n) => mapSetMaxEntries(map, n),
    mapUpdate: (map, key, ks, value, vs, flags) => mapUpdate(map, key, ks, value, vs, flags),
    mapLookup: (map, key, ks, value, vs, flags) => mapLookup(map, key, ks, value, vs, flags),
    nextProgram: (obj, prev) => nextProgram(obj, prev),
    programName: (prog) => programName(prog),
    attach: (prog) => attach(prog),
    destroyLink: (link) => destroyLink(link),
    numPossibleCpus: () => numPossibleCpus(),
    objectBtf: (obj) => objectBtf(obj),
    btfFindByNameKind: (btf, name, kind) => btfFindByNameKind(btf, name, kind),
    btfTypeById: (btf, id) => btfTypeById(btf, id),
    btfNameByOffset: (btf, off) => btfNameByOffset(btf, off),
    log,
  };
  return libbpf;
}

interface LibcInternal extends Libc {
  vsnprintf(buf: Buffer, size: number, fmt: string, args: bigint): number;
}

export function getLibc(): LibcInternal {
  if (libc) return libc as LibcInternal;
  const lib = koffi.load('libc.so.6');
  const mmap = lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
  const munmap = lib.func('int munmap(void *addr, size_t len)');
  const mount = lib.func('int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const void *data)');
  const sysconf = lib.func('long sysconf(int name)');
  const vsnprintf = lib.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *ap)');
  const Timespec = koffi.struct('flowscope_timespec', { tv_sec: 'int64_t', tv_nsec: 'int64_t' });
  const clockGettime = lib.func('int clock_gettime(int clk, _Out_ flowscope_timespec *ts)');
  void Timespec;
  const SC_PAGESIZE = 30;
  const page = Number(sysconf(SC_PAGESIZE));
  const inner: LibcInternal = {
    mmap: (addr, len, prot, flags, fd, off) => mmap(addr, len, prot, flags, fd, off),
    munmap: (addr, len) => munmap(addr, len),
    mount: (src, target, fstype, flags, data) => mount(src, target, fstype, flags, data),
    pageSize: () => page,
    clockNs(clk) {
      const ts = { tv_sec: 0, tv_nsec: 0 };
      clockGettime(clk, ts);
      return BigInt(ts.tv_sec) * 1_000_000_000n + BigInt(ts.tv_nsec);
    },
    vsnprintf: (buf, size, fmt, args) => vsnprintf(buf, size, fmt, args),
  };
  libc = inner;
  return inner;
}
