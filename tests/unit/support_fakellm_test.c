/*
 * Tests of the fake model provider (tests/support/fakellm.c) as a black
 * box: the real binary ($BUILD/tests/fakellm, or next to this test when
 * BUILD is unset) with scripts in a temporary folder, spoken to over raw
 * sockets so every byte of the framing can be checked.
 */
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/server.h"

/* ------------------------------------------------------------- helpers */

static char tmp_dir[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void cleanup_tmp(void)
{
	if (tmp_dir[0])
		nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary folder for this case, removed when the case passes. */
static const char *tmp(void)
{
	const char *base = getenv("TMPDIR");

	if (tmp_dir[0])
		return tmp_dir;
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/fakellm-test-XXXXXX", base && *base ? base : "/tmp");
	CHECK(mkdtemp(tmp_dir) != NULL);
	atexit(cleanup_tmp);
	return tmp_dir;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmp(), name);
	ba_test_write_file(path, text, strlen(text));
}

/* Starts fakellm on tmp()/script (and --log tmp()/log_dir when given). */
static ba_test_server start(const char *script, const char *log_dir)
{
	char script_path[PATH_MAX], log_path[PATH_MAX] = "";
	const char *args[] = {script_path, log_dir ? "--log" : NULL, log_path, NULL};

	snprintf(script_path, sizeof(script_path), "%s/%s", tmp(), script);
	if (log_dir) {
		snprintf(log_path, sizeof(log_path), "%s/%s", tmp(), log_dir);
		/* Cases run in one process (no arguments) share tmp(). */
		nftw(log_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	return ba_test_server_start("fakellm", args);
}

/* Waits up to ms for pid; returns its wait status, or -1 if it still runs. */
static int wait_for(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		CHECK(r >= 0);
		if (r == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

/* Closes the server's stdin and checks that it ends, cleanly. */
static void stop(ba_test_server *s)
{
	int status = ba_test_server_stop(s);

	if (status == -1)
		ba_test_fail(__FILE__, __LINE__, "fakellm did not exit when its stdin closed");
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

static void send_str(int fd, const char *text)
{
	ba_test_send_all(fd, text, strlen(text));
}

/* A response taken apart. */
struct resp {
	char *raw;
	size_t raw_len;
	int status;
	char head[8192]; /* status line and headers, NUL-terminated */
	char body[65536];
	size_t body_len;
	size_t chunks[64]; /* chunked: the size of each data chunk */
	size_t chunk_count;
	bool terminated; /* chunked: the 0 chunk came */
	unsigned reads;
};

/* The value of header name in r (first one), copied into a static buffer. */
static const char *resp_header(const struct resp *r, const char *name)
{
	static char value[1024];
	size_t name_len = strlen(name);
	const char *line = strstr(r->head, "\r\n");

	while (line && line[2]) {
		const char *next = strstr(line + 2, "\r\n");
		line += 2;
		if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
			const char *v = line + name_len + 1;
			size_t n;
			while (*v == ' ')
				v++;
			n = next ? (size_t)(next - v) : strlen(v);
			CHECK(n < sizeof(value));
			memcpy(value, v, n);
			value[n] = '\0';
			return value;
		}
		line = next;
	}
	return NULL;
}

static int count_headers(const struct resp *r, const char *name)
{
	int count = 0;
	size_t name_len = strlen(name);

	for (const char *line = strstr(r->head, "\r\n"); line && line[2];
	     line = strstr(line + 2, "\r\n"))
		if (strncasecmp(line + 2, name, name_len) == 0 && line[2 + name_len] == ':')
			count++;
	return count;
}

static void parse_resp(struct resp *r)
{
	const char *end = strstr(r->raw, "\r\n\r\n"), *p, *te;
	size_t head_len, left;

	CHECK(end != NULL);
	head_len = (size_t)(end - r->raw);
	CHECK(head_len < sizeof(r->head));
	memcpy(r->head, r->raw, head_len);
	r->head[head_len] = '\0';
	CHECK(strncmp(r->head, "HTTP/1.1 ", 9) == 0);
	r->status = (int)strtol(r->head + 9, NULL, 10);
	p = end + 4;
	left = r->raw_len - (size_t)(p - r->raw);
	te = resp_header(r, "Transfer-Encoding");
	if (te && strcmp(te, "chunked") == 0) {
		while (left) {
			char *e;
			unsigned long size = strtoul(p, &e, 16);
			CHECK(e != p && e[0] == '\r' && e[1] == '\n');
			e += 2;
			left -= (size_t)(e - p);
			p = e;
			if (size == 0) {
				CHECK(left == 2 && p[0] == '\r' && p[1] == '\n');
				r->terminated = true;
				break;
			}
			CHECK(size + 2 <= left);
			CHECK(p[size] == '\r' && p[size + 1] == '\n');
			CHECK(r->body_len + size < sizeof(r->body));
			CHECK(r->chunk_count < 64);
			memcpy(r->body + r->body_len, p, size);
			r->body_len += size;
			r->chunks[r->chunk_count++] = size;
			p += size + 2;
			left -= size + 2;
		}
	} else {
		CHECK(left < sizeof(r->body));
		memcpy(r->body, p, left);
		r->body_len = left;
	}
	r->body[r->body_len] = '\0';
}

/* Sends one raw request on a new connection; returns the response. */
static struct resp *exchange_n(unsigned port, const char *request, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));

	CHECK(r != NULL);
	r->raw = ba_test_http_exchange(port, request, len, &r->raw_len, &r->reads);
	parse_resp(r);
	return r;
}

static struct resp *exchange(unsigned port, const char *request)
{
	return exchange_n(port, request, strlen(request));
}

static struct resp *post(unsigned port, const char *body)
{
	char req[4096];
	int n = snprintf(req, sizeof(req),
	                 "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 strlen(body), body);
	CHECK(n > 0 && (size_t)n < sizeof(req));
	return exchange_n(port, req, (size_t)n);
}

static void free_resp(struct resp *r)
{
	free(r->raw);
	free(r);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* Runs fakellm on a script that must be refused: exit status 2, nothing on
 * stdout, and stderr returned (malloc'd). */
static char *refused(const char *script)
{
	char path[PATH_MAX], *err;
	const char *bin = ba_test_program_path("fakellm");
	int out[2], errp[2], status;
	size_t len;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", tmp(), script);
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	CHECK(pipe2(errp, O_CLOEXEC) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execl(bin, "fakellm", path, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	err = ba_test_read_all(errp[0], &len, NULL);
	{
		size_t out_len;
		char *o = ba_test_read_all(out[0], &out_len, NULL);
		CHECK_EQ_STR(o, "");
		free(o);
	}
	close(out[0]);
	close(errp[0]);
	status = wait_for(pid, 5000);
	CHECK(status != -1);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 2);
	return err;
}

/* ------------------------------------------------------------- answers */

TEST(default_response_is_chunked_event_stream)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "# one answer\n\nresponse\nbody data: {\"a\":1}\\n\\n\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK(strncmp(r->head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK_EQ_STR(resp_header(r, "Content-Type"), "text/event-stream");
	CHECK_EQ_STR(resp_header(r, "Transfer-Encoding"), "chunked");
	CHECK_EQ_STR(resp_header(r, "Connection"), "close");
	CHECK(resp_header(r, "Content-Length") == NULL);
	CHECK(r->terminated);
	CHECK_EQ_UINT(r->chunk_count, 1);
	CHECK_EQ_STR(r->body, "data: {\"a\":1}\n\n");
	free_resp(r);
	stop(&s);
}

TEST(chunk_sends_each_piece_as_its_own_http_chunk)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody abcdefghij\nchunk 4\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK(r->terminated);
	CHECK_EQ_UINT(r->chunk_count, 3);
	CHECK_EQ_UINT(r->chunks[0], 4);
	CHECK_EQ_UINT(r->chunks[1], 4);
	CHECK_EQ_UINT(r->chunks[2], 2);
	CHECK_EQ_STR(r->body, "abcdefghij");
	free_resp(r);
	stop(&s);
}

TEST(delay_ms_spaces_the_pieces)
{
	ba_test_server s;
	struct resp *r;
	double t0;

	write_file("s", "response\nbody abcdef\nchunk 2\ndelay_ms 150\nframing close\nend\n");
	s = start("s", NULL);
	t0 = now_ms();
	r = post(s.port, "{}");
	/* Three pieces, two pauses between them. */
	CHECK(now_ms() - t0 >= 290);
	CHECK_EQ_STR(r->body, "abcdef");
	/* The pieces are 150 ms apart, so they cannot all arrive in one read
	 * (the head and the first piece may). */
	CHECK(r->reads >= 3);
	free_resp(r);
	stop(&s);
}

TEST(framing_length_sends_content_length)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody 0123456789\nframing length\nchunk 3\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_STR(resp_header(r, "Content-Length"), "10");
	CHECK(resp_header(r, "Transfer-Encoding") == NULL);
	CHECK_EQ_STR(r->body, "0123456789");
	free_resp(r);
	stop(&s);
}

TEST(framing_close_ends_the_body_with_the_connection)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody all of it\nframing close\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK(resp_header(r, "Content-Length") == NULL);
	CHECK(resp_header(r, "Transfer-Encoding") == NULL);
	CHECK_EQ_STR(resp_header(r, "Connection"), "close");
	CHECK_EQ_STR(r->body, "all of it");
	free_resp(r);
	stop(&s);
}

TEST(status_and_headers_from_the_script)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\n"
	                "status 429\n"
	                "header Retry-After: 2\n"
	                "header content-type: application/json\n"
	                "header X-Request-Id:   req_1  \n"
	                "body {\"error\":{\"message\":\"slow down\"}}\n"
	                "framing length\n"
	                "end\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 429);
	CHECK_EQ_STR(resp_header(r, "Retry-After"), "2");
	CHECK_EQ_STR(resp_header(r, "X-Request-Id"), "req_1");
	/* The script's Content-Type replaces the default one. */
	CHECK_EQ_INT(count_headers(r, "Content-Type"), 1);
	CHECK_EQ_STR(resp_header(r, "Content-Type"), "application/json");
	CHECK_EQ_STR(r->body, "{\"error\":{\"message\":\"slow down\"}}");
	free_resp(r);
	stop(&s);
}

TEST(body_lines_append_with_escapes_and_files_from_the_script_folder)
{
	ba_test_server s;
	struct resp *r;

	{
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/streams", tmp());
		CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
	}
	write_file("streams/a.sse", "data: from file\n\n");
	write_file("s", "response\r\n"
	                "body one\\ttab \\\\ \\r\\n\r\n"
	                "body  two  \n"
	                "file streams/a.sse\n"
	                "body\n"
	                "body #not a comment\n"
	                "end\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_STR(r->body, "one\ttab \\ \r\n two  data: from file\n\n#not a comment");
	free_resp(r);
	stop(&s);
}

TEST(the_nth_request_gets_the_nth_response_then_500)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody first\nend\n"
	                "response\nstatus 503\nbody second\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK_EQ_STR(r->body, "first");
	free_resp(r);
	/* Any method and path: the order is all that counts. */
	r = exchange(s.port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK_EQ_INT(r->status, 503);
	CHECK_EQ_STR(r->body, "second");
	free_resp(r);
	for (int i = 0; i < 2; i++) {
		r = post(s.port, "{}");
		CHECK_EQ_INT(r->status, 500);
		CHECK_EQ_STR(resp_header(r, "Content-Type"), "application/json");
		CHECK_EQ_STR(r->body, "{\"error\":{\"message\":\"fakellm: script has only 2 "
		                      "responses\"}}");
		free_resp(r);
	}
	stop(&s);
}

TEST(an_empty_script_answers_500)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "# nothing\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 500);
	CHECK_CONTAINS(r->body, "fakellm: script has only 0 responses");
	free_resp(r);
	stop(&s);
}

/* ----------------------------------------------------------------- cuts */

TEST(cut_after_chunked_never_sends_the_last_chunk)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody abcdefghij\nchunk 3\ncut_after 5\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK(!r->terminated);
	CHECK_EQ_UINT(r->chunk_count, 2);
	CHECK_EQ_UINT(r->chunks[0], 3);
	CHECK_EQ_UINT(r->chunks[1], 2);
	CHECK_EQ_STR(r->body, "abcde");
	free_resp(r);
	stop(&s);
}

TEST(cut_after_length_sends_fewer_bytes_than_announced)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody abcdefghij\nframing length\ncut_after 4\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_STR(resp_header(r, "Content-Length"), "10");
	CHECK_EQ_STR(r->body, "abcd");
	free_resp(r);
	stop(&s);
}

TEST(cut_after_close_and_cut_after_zero)
{
	ba_test_server s;
	struct resp *r;

	write_file("s", "response\nbody abcdefghij\nframing close\ncut_after 7\nend\n"
	                "response\nbody abcdefghij\ncut_after 0\nend\n");
	s = start("s", NULL);
	r = post(s.port, "{}");
	CHECK_EQ_STR(r->body, "abcdefg");
	free_resp(r);
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK_EQ_UINT(r->chunk_count, 0);
	CHECK(!r->terminated);
	CHECK_EQ_UINT(r->body_len, 0);
	free_resp(r);
	stop(&s);
}

/* ------------------------------------------------------- expect_header */

TEST(expect_header_answers_401_unless_the_header_matches)
{
	ba_test_server s;
	struct resp *r;
	const char *script = "response\nexpect_header Authorization: Bearer sk-test\n"
	                     "expect_header X-Api-Version: 2\nbody ok\nend\n";
	static const char want_auth[] = "{\"error\":{\"message\":\"fakellm: missing or wrong "
	                                "Authorization\",\"type\":\"invalid_request_error\"}}";

	/* Four tries: four copies of the response. */
	{
		char text[1024];
		snprintf(text, sizeof(text), "%s%s%s%s", script, script, script, script);
		write_file("s", text);
	}
	s = start("s", NULL);
	/* Missing. */
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 401);
	CHECK_EQ_STR(resp_header(r, "Content-Type"), "application/json");
	CHECK_EQ_STR(r->body, want_auth);
	free_resp(r);
	/* Wrong value. */
	{
		static const char req[] = "POST / HTTP/1.1\r\nauthorization: Bearer sk-other\r\n"
		                          "X-Api-Version: 2\r\nContent-Length: 0\r\n\r\n";
		r = exchange(s.port, req);
		CHECK_EQ_INT(r->status, 401);
		CHECK_EQ_STR(r->body, want_auth);
		free_resp(r);
	}
	/* Right first header, second one missing. */
	{
		static const char req[] = "POST / HTTP/1.1\r\nauthorization: Bearer sk-test\r\n"
		                          "Content-Length: 0\r\n\r\n";
		r = exchange(s.port, req);
		CHECK_EQ_INT(r->status, 401);
		CHECK_CONTAINS(r->body, "fakellm: missing or wrong X-Api-Version");
		free_resp(r);
	}
	/* Both right, names in any case, the value after trimmed blanks. */
	{
		static const char req[] = "POST / HTTP/1.1\r\nAUTHORIZATION:  Bearer sk-test \r\n"
		                          "x-api-version: 2\r\nContent-Length: 0\r\n\r\n";
		r = exchange(s.port, req);
		CHECK_EQ_INT(r->status, 200);
		CHECK_EQ_STR(r->body, "ok");
		free_resp(r);
	}
	stop(&s);
}

/* ------------------------------------------------------------- requests */

TEST(log_holds_each_request_before_its_answer)
{
	ba_test_server s;
	struct resp *r;
	char path[PATH_MAX], *text;
	size_t len;
	static const char chunked[] = "POST /v1/messages HTTP/1.1\r\nHost: h\r\n"
	                              "x-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\n"
	                              "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n";

	write_file("s", "response\nbody a\nend\nresponse\nbody b\nend\n");
	s = start("s", "log");
	r = post(s.port, "{\"messages\":[]}");
	free_resp(r);
	snprintf(path, sizeof(path), "%s/log/001.http", tmp());
	text = ba_test_read_file(path, &len);
	CHECK(text != NULL);
	CHECK_EQ_STR(text, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                   "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n"
	                   "{\"messages\":[]}");
	free(text);

	/* A chunked request body is logged decoded. */
	r = exchange(s.port, chunked);
	CHECK_EQ_STR(r->body, "b");
	free_resp(r);
	snprintf(path, sizeof(path), "%s/log/002.http", tmp());
	text = ba_test_read_file(path, &len);
	CHECK(text != NULL);
	CHECK_EQ_STR(text, "POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-api-key: k\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\nhello, world");
	free(text);

	/* Requests past the script are logged too. */
	r = post(s.port, "");
	CHECK_EQ_INT(r->status, 500);
	free_resp(r);
	snprintf(path, sizeof(path), "%s/log/003.http", tmp());
	text = ba_test_read_file(path, &len);
	CHECK(text != NULL);
	free(text);
	snprintf(path, sizeof(path), "%s/log/004.http", tmp());
	CHECK(access(path, F_OK) != 0);
	stop(&s);
}

TEST(log_is_complete_when_a_slow_answer_starts)
{
	ba_test_server s;
	char path[PATH_MAX], *text, buf[256];
	int fd;
	size_t len;
	ssize_t n;

	write_file("s", "response\nbody ab\nchunk 1\ndelay_ms 2000\nend\n");
	s = start("s", "log");
	fd = ba_test_connect(s.port);
	send_str(fd, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz");
	/* The head has arrived: the log must be there already, whole. */
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};
		CHECK(poll(&p, 1, 10000) == 1);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		CHECK(n > 0);
	}
	snprintf(path, sizeof(path), "%s/log/001.http", tmp());
	text = ba_test_read_file(path, &len);
	CHECK(text != NULL);
	CHECK_EQ_STR(text, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz");
	free(text);
	/* Hanging up mid-answer ends it early; the server serves on. */
	close(fd);
	stop(&s);
}

TEST(a_client_hanging_up_mid_answer_frees_the_server)
{
	ba_test_server s;
	struct resp *r;
	char buf[256];
	double t0;
	int fd;

	/* Nine seconds of answer, unless the client goes away. */
	write_file("s", "response\nbody abcd\nchunk 1\ndelay_ms 3000\nend\n"
	                "response\nbody second\nend\n");
	s = start("s", NULL);
	fd = ba_test_connect(s.port);
	send_str(fd, "GET / HTTP/1.1\r\n\r\n");
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};
		CHECK(poll(&p, 1, 10000) == 1);
		CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
	}
	close(fd);
	t0 = now_ms();
	r = post(s.port, "{}");
	CHECK_EQ_STR(r->body, "second");
	CHECK(now_ms() - t0 < 2500);
	free_resp(r);
	stop(&s);
}

TEST(expect_100_continue_gets_an_interim_answer)
{
	ba_test_server s;
	char buf[256];
	int fd;
	ssize_t n;
	size_t len;
	char *rest;

	write_file("s", "response\nbody ok\nframing length\nend\n");
	s = start("s", NULL);
	fd = ba_test_connect(s.port);
	send_str(fd, "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};
		CHECK(poll(&p, 1, 10000) == 1);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		CHECK(n > 0);
		buf[n] = '\0';
	}
	CHECK_EQ_STR(buf, "HTTP/1.1 100 Continue\r\n\r\n");
	send_str(fd, "body");
	rest = ba_test_read_all(fd, &len, NULL);
	CHECK(strncmp(rest, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(len >= 2 && strcmp(rest + len - 2, "ok") == 0);
	free(rest);
	close(fd);
	stop(&s);
}

TEST(keep_alive_clients_get_connection_close)
{
	ba_test_server s;
	struct resp *r;
	static const char req[] = "POST / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
	                          "Content-Length: 2\r\n\r\n{}";

	write_file("s", "response\nbody one\nframing length\nend\n"
	                "response\nbody two\nframing length\nend\n");
	s = start("s", NULL);
	/* exchange() reads up to EOF: the server closes after the answer. */
	r = exchange(s.port, req);
	CHECK_EQ_STR(resp_header(r, "Connection"), "close");
	CHECK_EQ_STR(r->body, "one");
	free_resp(r);
	r = exchange(s.port, req);
	CHECK_EQ_STR(r->body, "two");
	free_resp(r);
	stop(&s);
}

TEST(connections_waiting_together_are_answered_in_order)
{
	ba_test_server s;
	int fds[4];

	write_file("s", "response\nbody r1\nend\nresponse\nbody r2\nend\n"
	                "response\nbody r3\nend\nresponse\nbody r4\nend\n");
	s = start("s", NULL);
	/* Four connections open at once, requests sent in order: each gets
	 * the response of its place. */
	for (int i = 0; i < 4; i++)
		fds[i] = ba_test_connect(s.port);
	for (int i = 0; i < 4; i++)
		send_str(fds[i], "GET / HTTP/1.1\r\n\r\n");
	for (int i = 0; i < 4; i++) {
		struct resp r = {0};
		char want[8];
		r.raw = ba_test_read_all(fds[i], &r.raw_len, NULL);
		close(fds[i]);
		parse_resp(&r);
		snprintf(want, sizeof(want), "r%d", i + 1);
		CHECK_EQ_STR(r.body, want);
		free(r.raw);
	}
	stop(&s);
}

TEST(incomplete_and_bad_requests_are_not_counted)
{
	ba_test_server s;
	struct resp *r;
	int fd;

	write_file("s", "response\nbody first\nend\n");
	s = start("s", "log");
	/* A connection that says nothing. */
	fd = ba_test_connect(s.port);
	close(fd);
	/* One that stops inside the body. */
	fd = ba_test_connect(s.port);
	send_str(fd, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	shutdown(fd, SHUT_WR);
	{
		size_t len;
		char *rest = ba_test_read_all(fd, &len, NULL);
		CHECK_EQ_UINT(len, 0);
		free(rest);
	}
	close(fd);
	/* Malformed ones get 400 and no log. */
	r = exchange(s.port, "NONSENSE\r\n\r\n");
	CHECK_EQ_INT(r->status, 400);
	CHECK_CONTAINS(r->body, "fakellm: malformed request");
	free_resp(r);
	r = exchange(s.port, "GET / HTTP/1.1\r\nbad header\r\n\r\n");
	CHECK_EQ_INT(r->status, 400);
	free_resp(r);
	{
		static const char both[] = "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
		                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
		r = exchange(s.port, both);
		CHECK_EQ_INT(r->status, 400);
		free_resp(r);
	}
	r = post(s.port, "{}");
	CHECK_EQ_INT(r->status, 200);
	CHECK_EQ_STR(r->body, "first");
	free_resp(r);
	{
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/log/001.http", tmp());
		CHECK(access(path, F_OK) == 0);
		snprintf(path, sizeof(path), "%s/log/002.http", tmp());
		CHECK(access(path, F_OK) != 0);
	}
	stop(&s);
}

TEST(request_caps)
{
	ba_test_server s;
	struct resp *r;
	char *big;
	size_t len = 0;

	write_file("s", "response\nbody first\nend\n");
	s = start("s", NULL);
	/* A head of more than 64 KiB. */
	big = malloc(70 * 1024 + 64);
	CHECK(big != NULL);
	len = (size_t)snprintf(big, 64, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + len, 'a', 70 * 1024);
	len += 70 * 1024;
	memcpy(big + len, "\r\n\r\n", 4);
	len += 4;
	r = exchange_n(s.port, big, len);
	CHECK_EQ_INT(r->status, 431);
	free_resp(r);
	/* 101 headers. */
	len = (size_t)snprintf(big, 64, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 101; i++)
		len += (size_t)snprintf(big + len, 32, "X-H%d: v\r\n", i);
	memcpy(big + len, "\r\n", 2);
	len += 2;
	r = exchange_n(s.port, big, len);
	CHECK_EQ_INT(r->status, 431);
	free_resp(r);
	/* 100 headers are fine, but not yet: first a body over 64 MiB. */
	{
		static const char huge[] = "POST / HTTP/1.1\r\nContent-Length: 67108865\r\n\r\n";
		r = exchange(s.port, huge);
		CHECK_EQ_INT(r->status, 413);
		free_resp(r);
	}
	{
		static const char huge[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		                           "4000001\r\n";
		r = exchange(s.port, huge);
		CHECK_EQ_INT(r->status, 413);
		free_resp(r);
	}
	len = (size_t)snprintf(big, 64, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(big + len, 32, "X-H%d: v\r\n", i);
	memcpy(big + len, "\r\n", 2);
	len += 2;
	r = exchange_n(s.port, big, len);
	CHECK_EQ_INT(r->status, 200);
	CHECK_EQ_STR(r->body, "first");
	free_resp(r);
	free(big);
	stop(&s);
}

TEST(a_large_body_arrives_whole)
{
	ba_test_server s;
	struct resp *r;
	char *req, path[PATH_MAX], *logged;
	size_t n = 3 * 1024 * 1024, head, logged_len;

	write_file("s", "response\nbody ok\nend\n");
	s = start("s", "log");
	req = malloc(n + 128);
	CHECK(req != NULL);
	head = (size_t)snprintf(req, 128, "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
	for (size_t i = 0; i < n; i++)
		req[head + i] = (char)('a' + i % 26);
	r = exchange_n(s.port, req, head + n);
	CHECK_EQ_STR(r->body, "ok");
	free_resp(r);
	snprintf(path, sizeof(path), "%s/log/001.http", tmp());
	logged = ba_test_read_file(path, &logged_len);
	CHECK(logged != NULL);
	CHECK_EQ_UINT(logged_len, head + n);
	CHECK(memcmp(logged, req, head + n) == 0);
	free(logged);
	free(req);
	stop(&s);
}

/* ------------------------------------------------------- start and stop */

TEST(stdin_eof_ends_the_server)
{
	ba_test_server s;

	write_file("s", "response\nend\n");
	s = start("s", NULL);
	stop(&s);
	/* And the port is closed for good. */
	{
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.port)};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0);
		close(fd);
	}
}

TEST(script_errors_name_the_line_and_exit_2)
{
	static const struct {
		const char *script, *want;
	} cases[] = {
	        {"response\nbody x\nstatuss 200\nend\n", "/s:3: unknown directive \"statuss\""},
	        {"# c\nresponse\nfile missing.sse\nend\n", "/s:3: file "},
	        {"status 200\n", "/s:1: \"status\" outside a response block"},
	        {"response\nbody x\n", "/s:1: response without end"},
	        {"response\nresponse\n", "/s:2: response inside a response"},
	        {"end\n", "/s:1: end without response"},
	        {"response\nstatus 99\nend\n", "/s:2: status needs"},
	        {"response\nstatus 2x\nend\n", "/s:2: status needs"},
	        {"response\nframing gzip\nend\n", "/s:2: framing must be"},
	        {"response\nchunk 0\nend\n", "/s:2: chunk needs"},
	        {"response\ndelay_ms -1\nend\n", "/s:2: delay_ms needs"},
	        {"response\ncut_after x\nend\n", "/s:2: cut_after needs"},
	        {"response\nheader NoColon\nend\n", "/s:2: header needs"},
	        {"response\nheader Content-Length: 3\nend\n", "/s:2: header Content-Length"},
	        {"response\nexpect_header : v\nend\n", "/s:2: expect_header needs"},
	        {"response\nexpect_header A\"b: v\nend\n", "/s:2: expect_header needs"},
	        {"response\nheader A b: v\nend\n", "/s:2: header needs"},
	        {"response\nbody a\\qb\nend\n", "/s:2: unknown escape \\q"},
	        {"response\nbody a\\\nend\n", "/s:2: body ends with a lone backslash"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err;
		write_file("s", cases[i].script);
		err = refused("s");
		CHECK_CONTAINS(err, cases[i].want);
		free(err);
	}
	{
		char *err = refused("no-such-script");
		CHECK_CONTAINS(err, "no-such-script");
		free(err);
	}
	{
		char *err;
		write_file("s", "response\nfile missing.sse\nend\n");
		err = refused("s");
		CHECK_CONTAINS(err, "missing.sse");
		CHECK_CONTAINS(err, "No such file");
		free(err);
	}
}
