// Measurement workload: N small send()s over a loopback TCP connection to a child that drains it.
// Prints nanoseconds per send. Usage: tcp_writer <count> <http|junk|devnull>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *mode = argc > 2 ? argv[2] : "http";
	char msg[100];
	memset(msg, 'x', sizeof(msg));
	if (strcmp(mode, "http") == 0) memcpy(msg, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", 29);
	int out;
	pid_t child = -1;
	if (strcmp(mode, "devnull") == 0) {
		out = open("/dev/null", O_WRONLY);
	} else {
		int srv = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(a);
		if (bind(srv, (void *)&a, sizeof(a)) || listen(srv, 1) || getsockname(srv, (void *)&a, &len)) return 1;
		child = fork();
		if (child == 0) {
			int c = accept(srv, NULL, NULL);
			char buf[65536];
			while (read(c, buf, sizeof(buf)) > 0) {}
			_exit(0);
		}
		out = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(out, (void *)&a, sizeof(a))) return 1;
	}
	long long t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(out, msg, sizeof(msg)) != sizeof(msg)) return 2;
	long long t1 = now_ns();
	close(out);
	if (child > 0) waitpid(child, NULL, 0);
	printf("%.1f\n", (double)(t1 - t0) / n);
	return 0;
}
