/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * The kernel/user ABI of the socket tracer: the one source of truth for the event layout, the
 * constants and the map keys. src/capture/ebpf/abi.ts mirrors it, and abi.test.ts checks that
 * mirror against this file and against the BTF of the committed object.
 */
#ifndef FLOWSCOPE_SOCKET_TRACER_H
#define FLOWSCOPE_SOCKET_TRACER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Payload bytes copied per data event: the load-time default and the hard maximum. */
#define FS_DEFAULT_PAYLOAD 1024
#define FS_MAX_PAYLOAD 16384
/* iovecs copied per readv/writev/sendmsg/recvmsg (the rest is counted in `ret`, not copied). */
#define FS_MAX_IOV 8
/* pids (tgids) a load-time filter can name. */
#define FS_MAX_FILTER_PIDS 8
/* Data events with payload per socket before the protocol policy decides (see bpf/README.md). */
#define FS_DEFAULT_DETECT_EVENTS 8
#define FS_TASK_COMM_LEN 16

/* fs_event.kind */
#define FS_EV_DATA 1
#define FS_EV_OPEN 2
#define FS_EV_CLOSE 3

/* fs_event.role: which end of the connection this socket is. */
#define FS_ROLE_UNKNOWN 0
#define FS_ROLE_CLIENT 1
#define FS_ROLE_SERVER 2

/* fs_event.direction (data events): bytes leaving or entering this socket. */
#define FS_DIR_SEND 0
#define FS_DIR_RECV 1

/* fs_event.flags */
#define FS_FLAG_MIDSTREAM 0x01   /* socket first seen mid-life (no connect/accept observed) */
#define FS_FLAG_TCP_SEQ 0x02     /* tcp_seq is valid */
#define FS_FLAG_INTERESTING 0x04 /* the kernel's first-bytes check recognised a protocol */
#define FS_FLAG_MMSG_MORE 0x08   /* sendmmsg/recvmmsg moved more messages than this event shows */
#define FS_FLAG_PEER_FROM_ADDR 0x10 /* remote address taken from the syscall's sockaddr (UDP) */

/* fs_event.syscall */
#define FS_SYS_READ 1
#define FS_SYS_WRITE 2
#define FS_SYS_READV 3
#define FS_SYS_WRITEV 4
#define FS_SYS_SENDTO 5
#define FS_SYS_RECVFROM 6
#define FS_SYS_SENDMSG 7
#define FS_SYS_RECVMSG 8
#define FS_SYS_SENDMMSG 9
#define FS_SYS_RECVMMSG 10
#define FS_SYS_CONNECT 11
#define FS_SYS_ACCEPT 12
#define FS_SYS_ACCEPT4 13
#define FS_SYS_CLOSE 14

/* Keys of the per-CPU `stats` map: what the kernel side dropped or skipped, and why. */
#define FS_STAT_RINGBUF_FULL 0     /* event lost: ring buffer full (reserve/output failed) */
#define FS_STAT_PAYLOAD_FAULT 1    /* payload could not be read from user memory */
#define FS_STAT_QUIET_EVENTS 2     /* data events not sent: socket judged uninteresting */
#define FS_STAT_QUIET_BYTES 3      /* bytes of those events */
#define FS_STAT_SUBMITTED 4        /* events written to the ring buffer */
#define FS_STAT_COUNT 5

/*
 * One event in the ring buffer. Fixed header, then `cap_len` payload bytes (data events only).
 * Addresses are in network byte order (IPv4 in the first 4 bytes), ports in host order.
 * `local`/`remote` are this socket's own end and its peer.
 */
struct fs_event {
	__u64 ts_enter_ns;	/* syscall entry, bpf_ktime_get_ns (CLOCK_MONOTONIC); 0: not observed (data events) */
	__u64 ts_exit_ns;	/* syscall exit */
	__u64 sock_id;		/* per load, never reused; 0 never appears */
	__s64 ret;		/* data: bytes moved; open: syscall result; close: 0 */
	__u64 quiet_bytes[2];	/* close: bytes sent [0] and received [1] after payload stopped */
	__u32 pid;		/* tgid */
	__u32 tid;
	__s32 fd;
	__u32 seq_no;		/* per-socket event number, from 0; a skip means lost events */
	__u32 tcp_seq;		/* TCP sequence number of the first byte (FS_FLAG_TCP_SEQ) */
	__u32 cap_len;		/* payload bytes that follow this header */
	__u8 kind;		/* FS_EV_* */
	__u8 role;		/* FS_ROLE_* */
	__u8 direction;		/* FS_DIR_* */
	__u8 flags;		/* FS_FLAG_* */
	__u8 protocol;		/* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 syscall;		/* FS_SYS_* */
	__u16 family;		/* AF_INET (2) or AF_INET6 (10) */
	__u16 local_port;
	__u16 remote_port;
	__u32 _pad;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	char comm[FS_TASK_COMM_LEN];	/* the process's name: the thread-group leader's comm */
	__u8 payload[];
};

#endif /* FLOWSCOPE_SOCKET_TRACER_H */
