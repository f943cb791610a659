/*
 * Fixed-rate HTTP/1.1 load generator for the overhead benchmark (Debian's wrk 4.1 has no rate
 * option and wrk2 is not packaged). Open loop: request i is due at start + i / rate whatever the
 * server does; it goes out on the first idle keep-alive connection, and its latency is measured
 * from its due time, so a slow server shows as latency, not as a lower request rate
 * (no coordinated omission). Prints one JSON line.
 *
 *   fixed-rate <ip> <port> <path> <requests/s> <seconds> <connections>
 *
 * Built by bench/overhead/main.ts with: cc -O2 -o <tmp>/fixed-rate fixed-rate.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_SIZE 16384
#define HIST_US 1000000 /* latency histogram: 1 us buckets up to 1 s, then one overflow bucket */

struct conn {
	int fd;
	int busy;
	uint64_t due_ns;	/* due time of the request in flight */
	size_t have;		/* response bytes buffered */
	char buf[BUF_SIZE];
};

static struct conn conns[MAX_CONNS];
static uint32_t hist[HIST_US + 1];
static uint64_t completed, status_2xx, status_other, errors, latency_max_us, last_done;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_conn(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Length of a complete response at the start of buf, 0 if incomplete, -1 if unparseable. */
static long response_length(const char *buf, size_t n, int *status)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end)
		return n > BUF_SIZE - 1024 ? -1 : 0;
	if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(buf + 9);
	long body = 0;
	for (const char *p = buf; p < end; p++) {
		if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
			body = strtol(p + 16, NULL, 10);
			break;
		}
	}
	long total = (end - buf) + 4 + body;
	return (long)n >= total ? total : 0;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s <ip> <port> <path> <requests/s> <seconds> <connections>\n", argv[0]);
		return 2;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
	inet_pton(AF_INET, argv[1], &addr.sin_addr);
	double rate = atof(argv[4]);
	double seconds = atof(argv[5]);
	int nconns = atoi(argv[6]);
	if (rate <= 0 || seconds <= 0 || nconns <= 0 || nconns > MAX_CONNS) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	char req[512];
	int req_len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: flowscope-fixed-rate\r\n\r\n",
			       argv[3], argv[1], argv[2]);

	int ep = epoll_create1(0);
	for (int i = 0; i < nconns; i++) {
		conns[i].fd = open_conn(&addr);
		if (conns[i].fd < 0) {
			fprintf(stderr, "connect: %s\n", strerror(errno));
			return 1;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}

	uint64_t interval_ns = (uint64_t)(1e9 / rate);
	uint64_t total = (uint64_t)(rate * seconds);
	uint64_t start = now_ns();
	uint64_t issued = 0; /* requests whose due time has been assigned to a connection */
	uint64_t stop_at = start + (uint64_t)(seconds * 1e9) + 2000000000ull; /* 2 s to drain */
	int idle_hint = 0;
	struct epoll_event events[64];

	for (;;) {
		uint64_t now = now_ns();
		/* Send every due request that has an idle connection; the rest wait (their latency grows). */
		while (issued < total && start + issued * interval_ns <= now) {
			int c = -1;
			for (int k = 0; k < nconns; k++) {
				int i = (idle_hint + k) % nconns;
				if (!conns[i].busy) {
					c = i;
					break;
				}
			}
			if (c < 0)
				break;
			idle_hint = (c + 1) % nconns;
			if (write(conns[c].fd, req, req_len) != req_len) {
				errors++;
				issued++;
				continue;
			}
			conns[c].busy = 1;
			conns[c].have = 0;
			conns[c].due_ns = start + issued * interval_ns;
			issued++;
		}
		int outstanding = 0;
		for (int i = 0; i < nconns; i++)
			outstanding += conns[i].busy;
		if (issued >= total && outstanding == 0)
			break;
		if (now > stop_at)
			break;
		struct timespec timeout = { 0, 0 };
		if (issued < total) {
			uint64_t next = start + issued * interval_ns;
			uint64_t wait = next > now ? next - now : 0;
			timeout.tv_sec = wait / 1000000000ull;
			timeout.tv_nsec = wait % 1000000000ull;
		} else {
			timeout.tv_nsec = 10000000;
		}
		int n = epoll_pwait2(ep, events, 64, &timeout, NULL);
		for (int e = 0; e < n; e++) {
			struct conn *c = &conns[events[e].data.u32];
			ssize_t got = read(c->fd, c->buf + c->have, BUF_SIZE - c->have);
			if (got <= 0) {
				if (got < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr, "connection closed by server\n");
				return 1;
			}
			c->have += (size_t)got;
			int status = 0;
			long len = response_length(c->buf, c->have, &status);
			if (len < 0) {
				fprintf(stderr, "unparseable response\n");
				return 1;
			}
			if (len == 0)
				continue;
			uint64_t lat_us = (now_ns() - c->due_ns) / 1000;
			hist[lat_us < HIST_US ? lat_us : HIST_US]++;
			if (lat_us > latency_max_us)
				latency_max_us = lat_us;
			completed++;
			last_done = now_ns();
			if (status >= 200 && status < 300)
				status_2xx++;
			else
				status_other++;
			c->busy = 0;
			c->have = 0;
		}
	}
	/* Achieved rate: completions over the time until the last one (a backlog stretches it). */
	double elapsed = (double)(last_done - start) / 1e9;
	uint64_t p50 = 0, p99 = 0, seen = 0;
	int have50 = 0;
	for (uint64_t us = 0; us <= HIST_US; us++) {
		seen += hist[us];
		if (!have50 && seen * 2 >= completed) {
			p50 = us;
			have50 = 1;
		}
		if (seen * 100 >= completed * 99) {
			p99 = us;
			break;
		}
	}
	printf("{\"rate\":%.0f,\"planned\":%llu,\"completed\":%llu,\"status2xx\":%llu,\"statusOther\":%llu,\"errors\":%llu,"
	       "\"seconds\":%.3f,\"achieved\":%.1f,\"p50Us\":%llu,\"p99Us\":%llu,\"maxUs\":%llu}\n",
	       rate, (unsigned long long)total, (unsigned long long)completed, (unsigned long long)status_2xx,
	       (unsigned long long)status_other, (unsigned long long)errors, elapsed, elapsed > 0 ? completed / elapsed : 0.0,
	       (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)latency_max_us);
	return 0;
}
