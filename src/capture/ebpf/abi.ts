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

/** One decoded kernel event. `payload` is a copy: the ring's memory is reused after decoding. */
export interface KernelEvent {
  kind: number;
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
