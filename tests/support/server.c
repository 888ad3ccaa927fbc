/*
 * server.c - test peers as child processes and a small client side; see
 * server.h.
 */
#include "support/server.h"

#include "test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a peer may take to print its port, and a read to deliver. */
#define WAIT_MS 10000

/* Arguments handed to one peer at the most (argv[0] and NULL aside). */
#define MAX_ARGS 16

const char *ba_test_own_build_dir(void)
{
	static char path[PATH_MAX];
	const char *b = getenv("BUILD");
	ssize_t n;

	if (b && *b)
		return b;
	/* Run by hand: this program is BUILD/tests/NAME. */
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	CHECK(n > 0);
	path[n] = '\0';
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(path, '/');
		CHECK(slash != NULL);
		*slash = '\0';
	}
	return path;
}

const char *ba_test_program_path(const char *name)
{
	static char path[PATH_MAX + 80];
	const char *build = ba_test_own_build_dir();

	snprintf(path, sizeof(path), "%.*s/tests/%.60s", PATH_MAX - 1, build, name);
	if (access(path, X_OK) != 0)
		ba_test_fail(__FILE__, __LINE__,
		             "%s is missing: build it (make BUILD=%s %s, see mk/testsupport.mk "
		             "and mk/fakellm.mk)",
		             path, build, path);
	return path;
}

/* Runs the peer and fills in pid, port and stdin_fd (nothing else). */
static void run_peer(const char *name, const char *const *args, ba_test_server *s)
{
	const char *argv[MAX_ARGS + 2];
	const char *path = ba_test_program_path(name);
	char line[64] = "";
	size_t argc = 0, len = 0;
	int in[2], out[2];

	argv[argc++] = name;
	for (; args && args[argc - 1]; argc++) {
		CHECK(argc <= MAX_ARGS);
		argv[argc] = args[argc - 1];
	}
	argv[argc] = NULL;
	/* Close-on-exec: the peer gets them only as its stdin and stdout, and
	 * no other child (a second server) inherits this one's stdin. */
	CHECK(pipe2(in, O_CLOEXEC) == 0);
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	s->pid = fork();
	CHECK(s->pid >= 0);
	if (s->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		/* execv's argv is char *const[] for history's sake; it does not
		 * write to the strings. */
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		struct pollfd p = {.fd = out[0], .events = POLLIN};
		ssize_t n;
		CHECK(poll(&p, 1, WAIT_MS) == 1);
		n = read(out[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
	}
	close(out[0]);
	s->port = (unsigned)strtoul(line, NULL, 10);
	if (s->port == 0)
		ba_test_fail(__FILE__, __LINE__, "%s did not print a port (got \"%s\")", name,
		             line);
	s->stdin_fd = in[1];
}

ba_test_server ba_test_server_start(const char *name, const char *const *args)
{
	ba_test_server s = {.stdin_fd = -1};

	run_peer(name, args, &s);
	return s;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int ba_test_server_stop(ba_test_server *s)
{
	int status = -1;

	if (s->stdin_fd >= 0) {
		pid_t r = 0;
		close(s->stdin_fd);
		s->stdin_fd = -1;
		for (int i = 0; i < 500 && r == 0; i++) {
			r = waitpid(s->pid, &status, WNOHANG);
			if (r == 0)
				usleep(10000);
		}
		if (r != s->pid) {
			status = -1;
			/* Only a child still running is killed: after an error
			 * the pid may no longer be ours. */
			if (r == 0) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, NULL, 0);
			}
		}
	}
	if (s->dir[0]) {
		nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		s->dir[0] = '\0';
	}
	return status;
}

/* ------------------------------------------------------------ fakellm */

ba_test_server ba_test_server_dir(void)
{
	ba_test_server s = {.stdin_fd = -1};

	/* Named after the test program, so a folder left behind (a case that
	 * failed) says where it came from. */
	snprintf(s.dir, sizeof(s.dir), "/tmp/ba-%.64s-XXXXXX", program_invocation_short_name);
	CHECK(mkdtemp(s.dir) != NULL);
	return s;
}

void ba_test_fakellm_start_in(ba_test_server *s, const char *script)
{
	char script_path[sizeof(s->dir) + 16];
	const char *args[] = {script_path, "--log", s->log, NULL};

	CHECK(s->dir[0] != '\0');
	snprintf(script_path, sizeof(script_path), "%s/script", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	ba_test_write_file(script_path, script, strlen(script));
	run_peer("fakellm", args, s);
}

ba_test_server ba_test_fakellm_start(const char *script)
{
	ba_test_server s = ba_test_server_dir();

	ba_test_fakellm_start_in(&s, script);
	return s;
}

int ba_test_fakellm_request_count(const char *log_dir)
{
	DIR *d = opendir(log_dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".http"))
			n++;
	closedir(d);
	return n;
}

char *ba_test_fakellm_request(const char *log_dir, int n, size_t *len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%.*s/%03d.http", PATH_MAX - 32, log_dir, n);
	return ba_test_read_file(path, len);
}

/* ------------------------------------------------------------- files */

void ba_test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		ba_test_fail(__FILE__, __LINE__, "fopen %s: %s", path, strerror(errno));
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

/* Grows data (len bytes used of *cap) so at least 4 KiB more and a NUL
 * fit. What tests read - logs, fixtures, answers - stays far below the
 * cap, so hitting it means a runaway peer. */
static char *room_for_more(char *data, size_t len, size_t *cap)
{
	if (*cap - len >= 4096)
		return data;
	CHECK(*cap < ((size_t)256 << 20));
	*cap = *cap ? *cap * 2 : 8192;
	data = realloc(data, *cap + 1);
	CHECK(data != NULL);
	return data;
}

char *ba_test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;
		data = room_for_more(data, len, &cap);
		n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	CHECK(!ferror(f));
	fclose(f);
	data[len] = '\0';
	if (len_out)
		*len_out = len;
	return data;
}

/* ------------------------------------------------------------ clients */

int ba_test_connect(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

void ba_test_send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		CHECK(w > 0);
		p += w;
		len -= (size_t)w;
	}
}

char *ba_test_read_all(int fd, size_t *len_out, unsigned *reads)
{
	char *data = NULL;
	size_t len = 0, cap = 0;

	if (reads)
		*reads = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		data = room_for_more(data, len, &cap);
		CHECK(poll(&p, 1, WAIT_MS) == 1);
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == ECONNRESET)
			ba_test_fail(__FILE__, __LINE__, "the server reset the connection");
		CHECK(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
		if (reads)
			(*reads)++;
	}
	data[len] = '\0';
	if (len_out)
		*len_out = len;
	return data;
}

char *ba_test_http_exchange(unsigned port, const char *request, size_t len, size_t *out_len,
                            unsigned *reads)
{
	int fd = ba_test_connect(port);
	char *answer;

	ba_test_send_all(fd, request, len);
	answer = ba_test_read_all(fd, out_len, reads);
	close(fd);
	return answer;
}

unsigned ba_test_closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ------------------------------------------------------------ threads */

static void *cancel_thread(void *arg)
{
	ba_test_canceller *c = arg;
	struct timespec ts = {.tv_sec = c->after_ms / 1000,
	                      .tv_nsec = (long)(c->after_ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
	atomic_store(c->flag, true);
	return NULL;
}

void ba_test_cancel_later(ba_test_canceller *c, atomic_bool *flag, unsigned after_ms)
{
	c->flag = flag;
	c->after_ms = after_ms;
	CHECK(pthread_create(&c->thread, NULL, cancel_thread, c) == 0);
}

void ba_test_canceller_join(ba_test_canceller *c)
{
	pthread_join(c->thread, NULL);
}
