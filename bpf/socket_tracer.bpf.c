// SPDX-License-Identifier: GPL-2.0
/*
 * Socket tracer: copies the bytes that processes send and receive on TCP and UDP sockets (IPv4
 * and IPv6) into a ring buffer, with the socket's tuple, role, TCP sequence number and timing.
 * Syscall tracepoints only (no kprobes). The policy and the trade-offs are in bpf/README.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "socket_tracer.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115

/* Load-time configuration: set by the loader in .rodata, so the verifier prunes what is off. */
const volatile __u32 self_tgid = 0;
const volatile __u32 payload_max = FS_DEFAULT_PAYLOAD;
const volatile __u32 detect_events = FS_DEFAULT_DETECT_EVENTS;
const volatile __u32 filter_pid_count = 0;
const volatile __u32 filter_pids[FS_MAX_FILTER_PIDS] = {};
const volatile __u64 filter_cgroup_id = 0;

/* Source of socket ids; 0 is never handed out. */
__u64 last_sock_id = 0;

/* What the tracer knows about one socket, keyed by (tgid << 32 | fd). */
struct sock_state {
	__u64 sock_id;
	__u64 sk;		/* the struct sock behind the fd: a different one means the fd was reused */
	__u64 file;		/* the struct file behind the fd when last checked (0: not yet) */
	__u64 quiet_bytes[2];	/* bytes per FS_DIR_* after the payload stopped */
	__u32 seq_no;		/* next event number */
	__u32 data_events;	/* data events sent with payload */
	__u8 role;
	__u8 flags;		/* FS_FLAG_MIDSTREAM, FS_FLAG_INTERESTING */
	__u8 quiet;		/* 1: no more data events, only byte counts */
	__u8 protocol;
	__u16 family;		/* the tuple, read from the socket when it was met (fixed since) */
	__u16 local_port;
	__u16 remote_port;
	__u16 _pad[3];
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* Sockets by (tgid, fd). LRU: sockets of processes that exit without close() age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} sockets SEC(".maps");

/* A connect() between entry and exit, keyed by pid_tgid (one syscall per thread at a time). The
 * data programs run at exit only and use it as a local holder of their arguments. */
struct inflight {
	__u64 ts_enter;
	__u64 sk;
	__u64 buf;	/* buffer, iovec array, msghdr or mmsghdr array */
	__u64 addr;	/* sockaddr of sendto/recvfrom/connect */
	__u64 count;	/* buffer length, iovec count or message count */
	__s32 fd;
	__u8 protocol;
	__u8 _pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Socket ids that user space recognised as a known protocol (written by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} interesting SEC(".maps");

/* Per-CPU scratch for data events: header + payload. Twice FS_MAX_PAYLOAD so that every copy
 * at an offset below FS_MAX_PAYLOAD of at most FS_MAX_PAYLOAD bytes is provably in bounds.
 * An array indexed by CPU (the loader sets max_entries), since per-CPU values are capped at 32K. */
struct scratch {
	struct fs_event ev;
	__u8 room[2 * FS_MAX_PAYLOAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Counters by FS_STAT_*, summed over CPUs by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FS_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* The loader sizes it (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* User-space layouts (fixed by the syscall ABI, so no CO-RE). */
struct u_iovec {
	__u64 base;
	__u64 len;
};

struct u_msghdr {
	__u64 name;
	__u32 namelen;
	__u32 _pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
	__u32 _pad2;
};

struct u_mmsghdr {
	struct u_msghdr hdr;
	__u32 len;
	__u32 _pad;
};

struct u_sockaddr_in6 {
	__u16 family;
	__u16 port;
	__u32 flowinfo;
	__u8 addr[16];
};

static __always_inline void stat_add(__u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &key);
	if (v)
		*v += n;
}

static __always_inline bool traced(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;
	if (tgid == self_tgid)
		return false;
	if (filter_pid_count) {
		bool hit = false;
#pragma unroll
		for (int i = 0; i < FS_MAX_FILTER_PIDS; i++)
			if (i < filter_pid_count && filter_pids[i] == tgid)
				hit = true;
		if (!hit)
			return false;
	}
	if (filter_cgroup_id && bpf_get_current_cgroup_id() != filter_cgroup_id)
		return false;
	return true;
}

/* fd -> struct file of the current task (NULL: no such fd). */
static __always_inline struct file *file_of_fd(__s32 fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* struct file -> struct socket -> struct sock (NULL: not a socket). */
static __always_inline struct sock *sock_of_file(struct file *file)
{
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* Is this socket TCP or UDP over IPv4/IPv6 (the only ones traced)? */
static __always_inline bool inet_tcp_udp(struct sock *sk, __u8 *protocol)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return false;
	__u16 proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	*protocol = proto;
	return true;
}

static __always_inline struct sock *socket_of_fd(__s32 fd, __u8 *protocol)
{
	struct sock *sk = sock_of_file(file_of_fd(fd));
	if (!sk || !inet_tcp_udp(sk, protocol))
		return NULL;
	return sk;
}

/* The socket's tuple, read when the tracer meets the socket, into e (a sock_state). */
#define fill_tuple(e, sk) do {									\
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);				\
	(e)->family = family;									\
	(e)->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);				\
	(e)->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));			\
	if (family == AF_INET) {								\
		__u32 local = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);			\
		__u32 remote = BPF_CORE_READ(sk, __sk_common.skc_daddr);			\
		__builtin_memcpy((e)->local_addr, &local, 4);					\
		__builtin_memcpy((e)->remote_addr, &remote, 4);					\
	} else {										\
		BPF_CORE_READ_INTO(&(e)->local_addr, sk, __sk_common.skc_v6_rcv_saddr);		\
		BPF_CORE_READ_INTO(&(e)->remote_addr, sk, __sk_common.skc_v6_daddr);		\
	}											\
} while (0)

/* Data events take the tuple kept since the socket was met: a socket's addresses and ports do not
 * change once it moves data (a UDP connect() makes a new socket state), and it spares five
 * kernel reads per event. */
static __always_inline void copy_tuple(struct fs_event *e, const struct sock_state *s)
{
	e->family = s->family;
	e->local_port = s->local_port;
	e->remote_port = s->remote_port;
	__builtin_memcpy(e->local_addr, s->local_addr, 16);
	__builtin_memcpy(e->remote_addr, s->remote_addr, 16);
}

/*
 * Unconnected UDP: the peer is in the syscall's sockaddr, not in the socket. Called at exit, so a
 * receive's buffer is filled by then. Two bounded reads: family, port and an IPv4 address first
 * (the 8 bytes every sockaddr_in has), the IPv6 address only for AF_INET6, so a 16-byte
 * sockaddr_in at the end of a mapping never faults the read. `namelen` (0: unknown) is the
 * length the kernel reported or the caller passed; shorter than the family's sockaddr: no peer.
 */
static __always_inline void peer_from_sockaddr(struct fs_event *e, __u64 uaddr, __u32 namelen)
{
	struct u_sockaddr_in6 sa = {};
	if (!uaddr || bpf_probe_read_user(&sa, 8, (void *)uaddr))
		return;
	if (sa.family != e->family)
		return;
	if (sa.family == AF_INET) {
		if (namelen && namelen < 16)
			return;
		__builtin_memcpy(e->remote_addr, &sa.flowinfo, 4); /* sin_addr sits where sin6_flowinfo is */
	} else {
		if (namelen && namelen < sizeof(sa))
			return;
		if (bpf_probe_read_user(sa.addr, sizeof(sa.addr), (void *)(uaddr + 8)))
			return;
		__builtin_memcpy(e->remote_addr, sa.addr, 16);
	}
	e->remote_port = bpf_ntohs(sa.port);
	e->flags |= FS_FLAG_PEER_FROM_ADDR;
}

/* The process's name is its thread-group leader's comm (what /proc/<pid>/comm shows), not the
 * calling thread's: dig's network thread is "isc-net-0000", nginx's workers share the leader's. */
static __always_inline void read_process_comm(char *dst)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	if (!leader || bpf_core_read_str(dst, FS_TASK_COMM_LEN, &leader->comm) <= 1)
		bpf_get_current_comm(dst, FS_TASK_COMM_LEN);
}

static __always_inline void fill_common(struct fs_event *e, __u64 pid_tgid, __s32 fd, __u8 kind)
{
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->fd = fd;
	e->kind = kind;
	read_process_comm(e->comm);
}

static __always_inline struct sock_state *new_socket(__u64 key, __u64 sk, __u64 file, __u8 protocol, __u8 role,
						       __u8 flags)
{
	struct sock_state s = {};
	s.sock_id = __sync_fetch_and_add(&last_sock_id, 1) + 1;
	s.sk = sk;
	s.file = file;
	fill_tuple(&s, (struct sock *)sk);
	s.role = role;
	s.flags = flags;
	s.protocol = protocol;
	bpf_map_update_elem(&sockets, &key, &s, BPF_ANY);
	return bpf_map_lookup_elem(&sockets, &key);
}

/* Open and close events carry no payload: reserved at their exact size. Open events carry the
 * socket's tuple; close events none (user space knows it). */
static __always_inline void emit_conn_event(struct sock_state *s, __u64 pid_tgid, __s32 fd,
					    __u8 kind, __u8 syscall, __u64 ts_enter, __s64 ret)
{
	__u32 seq_no = __sync_fetch_and_add(&s->seq_no, 1);
	struct fs_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(FS_STAT_RINGBUF_FULL, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_common(e, pid_tgid, fd, kind);
	e->ts_enter_ns = ts_enter;
	e->ts_exit_ns = bpf_ktime_get_ns();
	e->sock_id = s->sock_id;
	e->ret = ret;
	e->seq_no = seq_no;
	e->role = s->role;
	e->flags = s->flags & FS_FLAG_MIDSTREAM;
	e->protocol = s->protocol;
	e->syscall = syscall;
	if (kind == FS_EV_CLOSE) {
		e->quiet_bytes[0] = s->quiet_bytes[0];
		e->quiet_bytes[1] = s->quiet_bytes[1];
	}
	if (kind == FS_EV_OPEN)
		copy_tuple(e, s);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	stat_add(FS_STAT_SUBMITTED, 1);
}

/* Cheap first-bytes check: does this look like a protocol user space parses? */
static __always_inline bool looks_known(const __u8 *p, __u32 n, __u8 protocol, __u16 lport, __u16 rport)
{
	if (protocol == IPPROTO_UDP)
		return lport == 53 || rport == 53 || lport == 5353 || rport == 5353;
	if (n < 4)
		return false;
	__u32 w = (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
#define W(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
	switch (w) {
	case W('G', 'E', 'T', ' '):
	case W('P', 'O', 'S', 'T'):
	case W('P', 'U', 'T', ' '):
	case W('H', 'E', 'A', 'D'):
	case W('D', 'E', 'L', 'E'):
	case W('P', 'A', 'T', 'C'):
	case W('O', 'P', 'T', 'I'):
	case W('C', 'O', 'N', 'N'):
	case W('T', 'R', 'A', 'C'):
	case W('H', 'T', 'T', 'P'):
	case W('P', 'R', 'I', ' '):
		return true;
	}
#undef W
	/* RESP: arrays (commands) and the reply types, followed by a digit or a letter. */
	__u8 c = p[0];
	return c == '*' || c == '+' || c == '-' || c == ':' || c == '$';
}

/* Copies up to `limit` bytes from an iovec array into dst; returns the bytes copied. */
static __always_inline __u32 copy_iov(__u8 *dst, __u64 iov, __u64 iovcnt, __u32 limit)
{
	__u32 off = 0;
#pragma unroll
	for (int i = 0; i < FS_MAX_IOV; i++) {
		if (i >= iovcnt || off >= limit)
			break;
		struct u_iovec v;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(iov + i * sizeof(v))))
			break;
		__u64 n = v.len;
		if (n > limit - off)
			n = limit - off;
		if (n > FS_MAX_PAYLOAD)
			n = FS_MAX_PAYLOAD;
		__u32 at = off & (FS_MAX_PAYLOAD - 1);
		if (n == 0)
			continue;
		if (bpf_probe_read_user(dst + at, n, (void *)v.base)) {
			stat_add(FS_STAT_PAYLOAD_FAULT, 1);
			break;
		}
		off += n;
	}
	return off;
}

enum buf_kind { BUF_PLAIN, BUF_IOV, BUF_MSG, BUF_MMSG };

/* connect entry: keep the arguments of socket fds only (the open event's time is the entry). */
static __always_inline int on_enter(struct trace_event_raw_sys_enter *ctx, __u64 buf, __u64 count, __u64 addr)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!traced(id))
		return 0;
	__s32 fd = (__s32)ctx->args[0];
	__u8 protocol = 0;
	struct sock *sk = socket_of_fd(fd, &protocol);
	if (!sk)
		return 0;
	struct inflight in = {
		.ts_enter = bpf_ktime_get_ns(),
		.sk = (__u64)sk,
		.buf = buf,
		.addr = addr,
		.count = count,
		.fd = fd,
		.protocol = protocol,
	};
	bpf_map_update_elem(&inflight, &id, &in, BPF_ANY);
	return 0;
}

/*
 * Data syscalls are traced at exit only: the arguments come from the user registers the kernel
 * saved at syscall entry (unchanged by the call), so no per-thread map entry is written at entry
 * and the many calls that move nothing (EAGAIN reads, errors) cost one comparison. The entry
 * time is not known: data events carry ts_enter_ns = 0 (see bpf/README.md).
 */
static __always_inline int on_data_exit(struct trace_event_raw_sys_exit *ctx, __u8 syscall, __u8 dir,
					enum buf_kind kind, int addr_arg)
{
	long ret = ctx->ret;
	if (ret <= 0)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!traced(id))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct inflight in = {};
	in.fd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
	struct file *file = file_of_fd(in.fd);
	if (!file)
		return 0;

	/* A known socket was checked when it was met (TCP or UDP, which, its tuple): the same struct
	 * file behind the fd is enough; else the same struct sock (and the file is remembered). */
	__u64 key = (id & 0xffffffff00000000ULL) | (__u32)in.fd;
	struct sock_state *s = bpf_map_lookup_elem(&sockets, &key);
	struct sock *sk;
	if (s && s->file == (__u64)file) {
		sk = (struct sock *)s->sk;
		in.protocol = s->protocol;
	} else {
		sk = sock_of_file(file);
		if (!sk)
			return 0;
		if (s && s->sk == (__u64)sk) {
			s->file = (__u64)file;
			in.protocol = s->protocol;
			goto known;
		}
		if (!inet_tcp_udp(sk, &in.protocol))
			return 0;
		__u8 flags = in.protocol == IPPROTO_TCP ? FS_FLAG_MIDSTREAM : 0;
		s = new_socket(key, (__u64)sk, (__u64)file, in.protocol, FS_ROLE_UNKNOWN, flags);
		if (!s)
			return 0;
		emit_conn_event(s, id, in.fd, FS_EV_OPEN, syscall, 0, 0);
	}
known:
	in.sk = (__u64)sk;
	in.buf = PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (kind != BUF_MSG)
		in.count = PT_REGS_PARM3_CORE_SYSCALL(regs);
	if (addr_arg == 5)
		in.addr = PT_REGS_PARM5_CORE_SYSCALL(regs);

	/* Message syscalls: find the iovecs, the peer address and the byte count. */
	__u64 iov = in.buf, iovcnt = in.count, addr = in.addr, bytes = ret;
	__u32 namelen = 0;
	__u8 flags = 0;
	if (kind == BUF_MSG || kind == BUF_MMSG) {
		struct u_mmsghdr m = {};
		if (bpf_probe_read_user(&m, kind == BUF_MSG ? sizeof(m.hdr) : sizeof(m), (void *)in.buf))
			return 0;
		iov = m.hdr.iov;
		iovcnt = m.hdr.iovlen;
		/* msg_namelen: what the caller passed (send) or the kernel wrote back (receive); 0: no name. */
		namelen = m.hdr.namelen;
		addr = namelen ? m.hdr.name : 0;
		if (kind == BUF_MMSG) {
			bytes = m.len;
			if (ret > 1)
				flags |= FS_FLAG_MMSG_MORE;
		}
	}

	if (s->quiet) {
		__sync_fetch_and_add(&s->quiet_bytes[dir & 1], bytes);
		stat_add(FS_STAT_QUIET_EVENTS, 1);
		stat_add(FS_STAT_QUIET_BYTES, bytes);
		return 0;
	}

	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	struct fs_event *e = &sc->ev;
	__builtin_memset(e, 0, sizeof(*e));
	fill_common(e, id, in.fd, FS_EV_DATA);
	e->ts_exit_ns = bpf_ktime_get_ns();	/* ts_enter_ns stays 0: not observed */
	e->sock_id = s->sock_id;
	e->ret = bytes;
	e->seq_no = __sync_fetch_and_add(&s->seq_no, 1);
	e->role = s->role;
	e->direction = dir;
	e->protocol = in.protocol;
	e->syscall = syscall;
	copy_tuple(e, s);
	e->flags = flags | (s->flags & (FS_FLAG_MIDSTREAM | FS_FLAG_INTERESTING));
	if (in.protocol == IPPROTO_UDP && e->remote_port == 0)
		peer_from_sockaddr(e, addr, namelen);
	if (in.protocol == IPPROTO_TCP) {
		/* write_seq/copied_seq are the stream positions of the application's bytes; this
		 * syscall moved the `bytes` just before them. */
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		__u32 end = dir == FS_DIR_SEND ? BPF_CORE_READ(tp, write_seq) : BPF_CORE_READ(tp, copied_seq);
		e->tcp_seq = end - (__u32)bytes;
		e->flags |= FS_FLAG_TCP_SEQ;
	}

	__u32 limit = payload_max;
	if (limit > FS_MAX_PAYLOAD)
		limit = FS_MAX_PAYLOAD;
	if (bytes < limit)
		limit = bytes;
	__u32 cap = 0;
	if (kind == BUF_PLAIN) {
		if (limit > 0) {
			if (bpf_probe_read_user(sc->ev.payload, limit, (void *)in.buf) == 0)
				cap = limit;
			else
				stat_add(FS_STAT_PAYLOAD_FAULT, 1);
		}
	} else {
		cap = copy_iov(sc->ev.payload, iov, iovcnt, limit);
	}
	if (cap > FS_MAX_PAYLOAD)
		cap = FS_MAX_PAYLOAD;
	e->cap_len = cap;

	/* Protocol policy: recognised in the kernel, or marked by user space within the first
	 * detect_events data events; otherwise only byte counts from then on. */
	__u32 seen = __sync_fetch_and_add(&s->data_events, 1) + 1;
	if (seen == 1 && looks_known(sc->ev.payload, cap, in.protocol, e->local_port, e->remote_port)) {
		s->flags |= FS_FLAG_INTERESTING;
		e->flags |= FS_FLAG_INTERESTING;
	}
	if (seen >= detect_events && !(s->flags & FS_FLAG_INTERESTING)) {
		if (bpf_map_lookup_elem(&interesting, &s->sock_id))
			s->flags |= FS_FLAG_INTERESTING;
		else
			s->quiet = 1;
	}

	if (bpf_ringbuf_output(&events, e, sizeof(*e) + cap, BPF_RB_NO_WAKEUP)) {
		stat_add(FS_STAT_RINGBUF_FULL, 1);
		return 0;
	}
	stat_add(FS_STAT_SUBMITTED, 1);
	return 0;
}

/* connect: a socket becomes a client; a fresh id even if the fd was seen before (UDP re-connect). */
static __always_inline int on_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *inp = bpf_map_lookup_elem(&inflight, &id);
	if (!inp)
		return 0;
	struct inflight in = *inp;
	bpf_map_delete_elem(&inflight, &id);
	long ret = ctx->ret;
	if (ret != 0 && ret != -EINPROGRESS)
		return 0;
	__u64 key = (id & 0xffffffff00000000ULL) | (__u32)in.fd;
	struct sock_state *s = new_socket(key, in.sk, 0, in.protocol, FS_ROLE_CLIENT, 0);
	if (s)
		emit_conn_event(s, id, in.fd, FS_EV_OPEN, FS_SYS_CONNECT, in.ts_enter, ret);
	return 0;
}

/* accept/accept4: the returned fd is a new server-side socket. */
static __always_inline int on_accept_exit(struct trace_event_raw_sys_exit *ctx, __u8 syscall)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!traced(id))
		return 0;
	long fd = ctx->ret;
	if (fd < 0)
		return 0;
	__u8 protocol = 0;
	struct sock *sk = socket_of_fd((__s32)fd, &protocol);
	if (!sk)
		return 0;
	__u64 key = (id & 0xffffffff00000000ULL) | (__u32)fd;
	struct sock_state *s = new_socket(key, (__u64)sk, 0, protocol, FS_ROLE_SERVER, 0);
	if (s)
		emit_conn_event(s, id, (__s32)fd, FS_EV_OPEN, syscall, 0, 0);
	return 0;
}

#define DATA_PROBE(name, sys, dir, kind, addr_arg)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                            \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                                 \
	{                                                                                     \
		return on_data_exit(ctx, sys, dir, kind, addr_arg);                           \
	}

/* Arguments (from the saved registers): 1 is the fd, 2 the buffer/iovec/msghdr, 3 the
 * length/count, and sendto/recvfrom carry the peer's sockaddr in argument 5 (addr_arg). */
DATA_PROBE(read, FS_SYS_READ, FS_DIR_RECV, BUF_PLAIN, 0)
DATA_PROBE(write, FS_SYS_WRITE, FS_DIR_SEND, BUF_PLAIN, 0)
DATA_PROBE(readv, FS_SYS_READV, FS_DIR_RECV, BUF_IOV, 0)
DATA_PROBE(writev, FS_SYS_WRITEV, FS_DIR_SEND, BUF_IOV, 0)
DATA_PROBE(sendto, FS_SYS_SENDTO, FS_DIR_SEND, BUF_PLAIN, 5)
DATA_PROBE(recvfrom, FS_SYS_RECVFROM, FS_DIR_RECV, BUF_PLAIN, 5)
DATA_PROBE(sendmsg, FS_SYS_SENDMSG, FS_DIR_SEND, BUF_MSG, 0)
DATA_PROBE(recvmsg, FS_SYS_RECVMSG, FS_DIR_RECV, BUF_MSG, 0)
DATA_PROBE(sendmmsg, FS_SYS_SENDMMSG, FS_DIR_SEND, BUF_MMSG, 0)
DATA_PROBE(recvmmsg, FS_SYS_RECVMMSG, FS_DIR_RECV, BUF_MMSG, 0)

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter(ctx, 0, 0, ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return on_connect_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx, FS_SYS_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx, FS_SYS_ACCEPT4);
}

/* close: entry only (at exit the fd no longer leads to the socket). */
SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!traced(id))
		return 0;
	__s32 fd = (__s32)ctx->args[0];
	__u64 key = (id & 0xffffffff00000000ULL) | (__u32)fd;
	struct sock_state *s = bpf_map_lookup_elem(&sockets, &key);
	if (!s)
		return 0;
	emit_conn_event(s, id, fd, FS_EV_CLOSE, FS_SYS_CLOSE, bpf_ktime_get_ns(), 0);
	bpf_map_delete_elem(&sockets, &key);
	return 0;
}
