/**
 * @module capture/ebpf/abi
 * The TypeScript mirror of bpf/socket_tracer.h: constants, the byte offsets of struct fs_event,
 * and its decoder. abi.test.ts checks every value here against the header and the object's BTF.
 */

export const FS_DEFAULT_PAYLOAD = 1024;
export const FS_MAX_PAYLOAD = 16384;
export const FS_MAX_IOV = 8;
export const FS_MAX_FILTER_PIDS = 8;
export const FS_DEFAULT_DETECT_EVENTS = 8;
export const FS_TASK_COMM_LEN = 16;

export const FS_EV_DATA = 1;
export const FS_EV_OPEN = 2;
export const FS_EV_CLOSE = 3;

export const FS_ROLE_UNKNOWN = 0;
export const FS_ROLE_CLIENT = 1;
export const FS_ROLE_SERVER = 2;

export const FS_DIR_SEND = 0;
export const FS_DIR_RECV = 1;

export const FS_FLAG_MIDSTREAM = 0x01;
export const FS_FLAG_TCP_SEQ = 0x02;
export const FS_FLAG_INTERESTING = 0x04;
export const FS_FLAG_MMSG_MORE = 0x08;
export const FS_FLAG_PEER_FROM_ADDR = 0x10;

export const FS_SYS_READ = 1;
export const FS_SYS_WRITE = 2;
export const FS_SYS_READV = 3;
export const FS_SYS_WRITEV = 4;
export const FS_SYS_SENDTO = 5;
export const FS_SYS_RECVFROM = 6;
export const FS_SYS_SENDMSG = 7;
export const FS_SYS_RECVMSG = 8;
export const FS_SYS_SENDMMSG = 9;
export const FS_SYS_RECVMMSG = 10;
export const FS_SYS_CONNECT = 11;
export const FS_SYS_ACCEPT = 12;
export const FS_SYS_ACCEPT4 = 13;
export const FS_SYS_CLOSE = 14;

export const FS_STAT_RINGBUF_FULL = 0;
export const FS_STAT_PAYLOAD_FAULT = 1;
export const FS_STAT_QUIET_EVENTS = 2;
export const FS_STAT_QUIET_BYTES = 3;
export const FS_STAT_SUBMITTED = 4;
export const FS_STAT_COUNT = 5;

/** Byte offsets of struct fs_event's members (x86-64 and arm64 lay it out identically). */
export const EVENT_OFFSETS = {
  ts_enter_ns: 0,
  ts_exit_ns: 8,
  sock_id: 16,
  ret: 24,
  quiet_bytes: 32,
  pid: 48,
  tid: 52,
  fd: 56,
  seq_no: 60,
  tcp_seq: 64,
  cap_len: 68,
  kind: 72,
  role: 73,
  direction: 74,
  flags: 75,
  protocol: 76,
  syscall: 77,
  family: 78,
  local_port: 80,
  remote_port: 82,
  _pad: 84,
  local_addr: 88,
  remote_addr: 104,
  comm: 120,
  payload: 136,
} as const;

/** sizeof(struct fs_event): the header before the payload. */
export const EVENT_HEADER_SIZE = 136;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * One kernel event. `payload` is a copy: the ring's memory is reused after decoding. Events handed
 * out by SocketTracer.read are EventCursors, valid only during the callback: never keep one.
 */
export interface KernelEvent {
  kind: number;
  /** Syscall entry; 0 when not observed (data events: their programs run at exit only). */
  tsEnterNs: bigint;
  tsExitNs: bigint;
  /** A counter from 1: exact as a number. */
  sockId: number;
  /** Bytes moved (data), the syscall result (open). */
  ret: number;
  quietBytesSent: number;
  quietBytesReceived: number;
  pid: number;
  tid: number;
  fd: number;
  seqNo: number;
  tcpSeq: number;
  role: number;
  direction: number;
  flags: number;
  protocol: number;
  syscall: number;
  family: number;
  localPort: number;
  remotePort: number;
  localAddr: string;
  remoteAddr: string;
  comm: string;
  payload: Uint8Array;
}

const O = EVENT_OFFSETS;

/**
 * Decodes the event at `off` (header start) in `view`, of `len` bytes as the ring reported them.
 * Returns null for a record too short or inconsistent to be an event: never throws.
 */
export function decodeEvent(view: DataView, bytes: Uint8Array, off: number, len: number): KernelEvent | null {
  if (len < EVENT_HEADER_SIZE || off + len > view.byteLength) return null;
  const capLen = view.getUint32(off + O.cap_len, true);
  if (capLen > FS_MAX_PAYLOAD || EVENT_HEADER_SIZE + capLen > len) return null;
  const family = view.getUint16(off + O.family, true);
  const p = off + O.payload;
  return {
    kind: view.getUint8(off + O.kind),
    tsEnterNs: view.getBigUint64(off + O.ts_enter_ns, true),
    tsExitNs: view.getBigUint64(off + O.ts_exit_ns, true),
    sockId: u64(view, off + O.sock_id),
    ret: view.getInt32(off + O.ret + 4, true) * 0x1_0000_0000 + view.getUint32(off + O.ret, true),
    quietBytesSent: u64(view, off + O.quiet_bytes),
    quietBytesReceived: u64(view, off + O.quiet_bytes + 8),
    pid: view.getUint32(off + O.pid, true),
    tid: view.getUint32(off + O.tid, true),
    fd: view.getInt32(off + O.fd, true),
    seqNo: view.getUint32(off + O.seq_no, true),
    tcpSeq: view.getUint32(off + O.tcp_seq, true),
    role: view.getUint8(off + O.role),
    direction: view.getUint8(off + O.direction),
    flags: view.getUint8(off + O.flags),
    protocol: view.getUint8(off + O.protocol),
    syscall: view.getUint8(off + O.syscall),
    family,
    localPort: view.getUint16(off + O.local_port, true),
    remotePort: view.getUint16(off + O.remote_port, true),
    localAddr: formatAddr(bytes, off + O.local_addr, family),
    remoteAddr: formatAddr(bytes, off + O.remote_addr, family),
    comm: cString(bytes, off + O.comm, FS_TASK_COMM_LEN),
    payload: bytes.slice(p, p + capLen),
  };
}

/**
 * The event under a ring record, decoded in place: each field is read from the ring when asked
 * for, so the hot path pays only for the fields it uses (a data event on a known socket needs a
 * handful of integers, one timestamp and the payload) and allocates no event object per record.
 * `payload` is copied on first access and `comm` comes from a small cache.
 *
 * Lifetime: one cursor is reused for every record. It is valid only until the callback it was
 * handed to returns; keep what you need (`payload` is a copy, strings are immutable), or use
 * `toEvent()` for a detached copy of every field.
 */
export class EventCursor implements KernelEvent {
  private view: DataView = new DataView(new ArrayBuffer(EVENT_HEADER_SIZE));
  private bytes: Uint8Array = new Uint8Array(this.view.buffer);
  private off = 0;
  private capLen = 0;
  private payloadCopy: Uint8Array | null = null;

  /** Points the cursor at the record at `off`; false (and the cursor unusable) if it cannot be an event. */
  at(view: DataView, bytes: Uint8Array, off: number, len: number): boolean {
    if (len < EVENT_HEADER_SIZE || off + len > view.byteLength) return false;
    const capLen = view.getUint32(off + O.cap_len, true);
    if (capLen > FS_MAX_PAYLOAD || EVENT_HEADER_SIZE + capLen > len) return false;
    this.view = view;
    this.bytes = bytes;
    this.off = off;
    this.capLen = capLen;
    this.payloadCopy = null;
    return true;
  }

  get kind(): number { return this.bytes[this.off + O.kind]!; }
  get tsEnterNs(): bigint { return this.view.getBigUint64(this.off + O.ts_enter_ns, true); }
  get tsExitNs(): bigint { return this.view.getBigUint64(this.off + O.ts_exit_ns, true); }
  get sockId(): number { return u64(this.view, this.off + O.sock_id); }
  get ret(): number {
    const at = this.off + O.ret;
    return this.view.getInt32(at + 4, true) * 0x1_0000_0000 + this.view.getUint32(at, true);
  }
  get quietBytesSent(): number { return u64(this.view, this.off + O.quiet_bytes); }
  get quietBytesReceived(): number { return u64(this.view, this.off + O.quiet_bytes + 8); }
  get pid(): number { return this.view.getUint32(this.off + O.pid, true); }
  get tid(): number { return this.view.getUint32(this.off + O.tid, true); }
  get fd(): number { return this.view.getInt32(this.off + O.fd, true); }
  get seqNo(): number { return this.view.getUint32(this.off + O.seq_no, true); }
  get tcpSeq(): number { return this.view.getUint32(this.off + O.tcp_seq, true); }
  get role(): number { return this.bytes[this.off + O.role]!; }
  get direction(): number { return this.bytes[this.off + O.direction]!; }
  get flags(): number { return this.bytes[this.off + O.flags]!; }
  get protocol(): number { return this.bytes[this.off + O.protocol]!; }
  get syscall(): number { return this.bytes[this.off + O.syscall]!; }
  get family(): number { return this.view.getUint16(this.off + O.family, true); }
  get localPort(): number { return this.view.getUint16(this.off + O.local_port, true); }
  get remotePort(): number { return this.view.getUint16(this.off + O.remote_port, true); }
  get localAddr(): string { return formatAddr(this.bytes, this.off + O.local_addr, this.family); }
  get remoteAddr(): string { return formatAddr(this.bytes, this.off + O.remote_addr, this.family); }
  get comm(): string { return cachedComm(this.view, this.bytes, this.off + O.comm); }
  get payload(): Uint8Array {
    if (this.payloadCopy === null) this.payloadCopy = copyOut(this.bytes, this.off + O.payload, this.capLen);
    return this.payloadCopy;
  }

  /** Every field, detached from the ring. */
  toEvent(): KernelEvent {
    return {
      kind: this.kind, tsEnterNs: this.tsEnterNs, tsExitNs: this.tsExitNs, sockId: this.sockId, ret: this.ret,
      quietBytesSent: this.quietBytesSent, quietBytesReceived: this.quietBytesReceived, pid: this.pid, tid: this.tid,
      fd: this.fd, seqNo: this.seqNo, tcpSeq: this.tcpSeq, role: this.role, direction: this.direction,
      flags: this.flags, protocol: this.protocol, syscall: this.syscall, family: this.family,
      localPort: this.localPort, remotePort: this.remotePort, localAddr: this.localAddr, remoteAddr: this.remoteAddr,
      comm: this.comm, payload: this.payload,
    };
  }
}

// Payload copies are carved from shared slabs, never reused: one ArrayBuffer per 64 KiB of
// payload instead of one per event (allocating ArrayBuffers dominated the decoder's time). A slab
// lives while any copy from it does; consumers keep copies only briefly (DirectionStream copies a
// frame's tail into its own buffer), so a slab rarely outlives the next few polls.
const SLAB_BYTES = 64 * 1024;
const SMALL_COPY = 16;
const EMPTY_PAYLOAD = new Uint8Array(0);
let slab = new Uint8Array(SLAB_BYTES);
let slabPos = 0;

function copyOut(src: Uint8Array, from: number, len: number): Uint8Array {
  if (len === 0) return EMPTY_PAYLOAD;
  if (slabPos + len > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabPos = 0;
  }
  const at = slabPos;
  if (len <= SMALL_COPY) {
    for (let i = 0; i < len; i++) slab[at + i] = src[from + i]!;
  } else {
    slab.set(src.subarray(from, from + len), at);
  }
  slabPos = (at + len + 7) & ~7;
  return new Uint8Array(slab.buffer, at, len);
}

// Few distinct command names cross a host: their text is cached by their 16 bytes (bounded).
const commText = new Map<string, string>();
const COMM_CACHE_MAX = 4096;

function cachedComm(view: DataView, bytes: Uint8Array, at: number): string {
  // The key is the raw bytes as four 32-bit words: cheaper than decoding the name itself.
  const key = `${view.getUint32(at, true)},${view.getUint32(at + 4, true)},${view.getUint32(at + 8, true)},${view.getUint32(at + 12, true)}`;
  let text = commText.get(key);
  if (text === undefined) {
    text = cString(bytes, at, FS_TASK_COMM_LEN);
    if (commText.size >= COMM_CACHE_MAX) commText.clear();
    commText.set(key, text);
  }
  return text;
}

/** A 64-bit unsigned counter as a number (exact below 2^53: byte and event counts). */
function u64(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * 0x1_0000_0000 + view.getUint32(at, true);
}

// Few distinct IPv4 addresses cross a host: their text is cached (bounded).
const ipv4Text = new Map<number, string>();
const IPV4_CACHE_MAX = 4096;

/** An IPv4 or IPv6 address in text form; IPv4-mapped IPv6 addresses print as IPv4. */
export function formatAddr(b: Uint8Array, at: number, family: number): string {
  if (family === AF_INET) return ipv4(b, at);
  let mapped = b[at + 10] === 0xff && b[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[at + i] !== 0) mapped = false;
  if (mapped) return ipv4(b, at + 12);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[at + i]! << 8) | b[at + i + 1]!);
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function ipv4(b: Uint8Array, at: number): string {
  const key = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  let text = ipv4Text.get(key);
  if (text === undefined) {
    text = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
    if (ipv4Text.size >= IPV4_CACHE_MAX) ipv4Text.clear();
    ipv4Text.set(key, text);
  }
  return text;
}

function cString(b: Uint8Array, at: number, max: number): string {
  let end = at;
  while (end < at + max && b[end] !== 0) end++;
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
