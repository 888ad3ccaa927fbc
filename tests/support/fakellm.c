/*
 * fakellm.c - a fake model provider for tests: replays scripted HTTP
 * responses on loopback.
 *
 * usage: fakellm SCRIPT [--log DIR]
 *
 * Binds 127.0.0.1 on a free port, prints the port number and a newline on
 * stdout (flushed), and serves until its stdin reaches EOF (so a test
 * holding a pipe to it cleans up just by exiting), it is killed, or ten
 * minutes pass. A script error is reported on stderr as "SCRIPT:LINE: what"
 * and ends the program with status 2 before any port is printed.
 *
 * The Nth complete request (counted over all connections, from 1) gets the
 * Nth response of SCRIPT, whatever its method or path. Once the script is
 * exhausted every request gets
 *   500 {"error":{"message":"fakellm: script has only N responses"}}
 * so an extra request shows. Connections are served one at a time in one
 * process, which is what keeps that order exact. Each response carries
 * "Connection: close" and the connection is closed after it, so keep-alive
 * clients simply open a new connection for the next request.
 *
 * With --log DIR (created if missing) every complete request is written to
 * DIR/001.http, DIR/002.http, ... (numbered like the requests) before it is
 * answered: the request line and headers exactly as received (CRLF line
 * ends), the empty line, then the body (a chunked request body decoded).
 *
 * A request that is not valid HTTP/1.1, or exceeds the caps, is answered
 * 400/413/431 with a JSON error; it is neither counted nor logged. Neither
 * is a connection closed before its request is complete.
 *
 * SCRIPT is text, one directive a line. Blank lines and lines whose first
 * non-blank character is '#' are ignored. Each response is a block:
 *
 *   response
 *   status 200                   status code, 200..599 (default 200)
 *   header Name: value           a response header, repeatable; Content-Type
 *                                defaults to text/event-stream. Framing
 *                                headers (Content-Length, Transfer-Encoding,
 *                                Connection) are refused: use framing.
 *   file PATH                    appends the bytes of a file to the body;
 *                                PATH is relative to the script's folder
 *   body TEXT                    appends TEXT (everything after "body ")
 *                                to the body, no newline added; escapes
 *                                \n \r \t \\ (others are an error)
 *   framing chunked|close|length how the body is delimited (default
 *                                chunked): Transfer-Encoding: chunked; no
 *                                length, the end is the close; or
 *                                Content-Length
 *   chunk N                      sends the body in N-byte pieces, each its own
 *                                write (and, chunked, its own HTTP chunk);
 *                                default: the whole body in one piece
 *   delay_ms N                   sleeps N ms between pieces (default 0; at
 *                                most 600000). Only between: without chunk
 *                                there is one piece and so no pause.
 *   cut_after N                  sends only the first N body bytes, then
 *                                closes: chunked without the terminating 0
 *                                chunk (the pieces sent are whole chunks),
 *                                length with fewer bytes than Content-Length
 *   expect_header Name: value    repeatable; if the request has no header
 *                                Name (any case) with exactly this value, the
 *                                answer is instead 401
 *                                {"error":{"message":"fakellm: missing or
 *                                wrong Name","type":"invalid_request_error"}}
 *                                (the request still uses up this response)
 *   end
 *
 * Directives other than body take one argument, surrounding blanks cut;
 * '#' starts a comment only at the start of a line. Single-valued
 * directives may repeat: the last one counts.
 *
 * Sockets use TCP_NODELAY, so with delay_ms a client sees each piece
 * arrive separately. A client that hangs up mid-response (even during a
 * delay) just ends that response; a client silent for 30 s is dropped.
 * Each request past the script is also reported on stderr.
 *
 * In a C test, start it with ba_test_fakellm_start() from
 * tests/support/server.h (fork, stdin and stdout on pipes, exec, read the
 * port line); closing the stdin pipe (or the test process ending) stops
 * it. Shell tests: tests/cli/lib/cli_agent.sh.
 *
 * This is test code but it still faces a network peer, so every size is
 * capped: 64 KiB of request head, 100 headers, 64 MiB of request body;
 * scripts and files 64 MiB each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "support/http_reason.h"

#define HEAD_MAX      (64 * 1024)
#define HEADERS_MAX   100
#define BODY_MAX      (64u * 1024 * 1024)
#define FILE_MAX      (64 * 1024 * 1024)
#define LIFETIME_S    600
#define IO_TIMEOUT_MS 30000
#define DELAY_MAX_MS  600000

/* ------------------------------------------------------------- helpers */

/* A growable byte string; out of memory ends the program (test code). */
struct str {
	char *data;
	size_t len, cap;
};

static void oom(void)
{
	fputs("fakellm: out of memory\n", stderr);
	exit(1);
}

static void str_add(struct str *s, const void *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 128;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *d = realloc(s->data, cap);
		if (!d)
			oom();
		s->data = d;
		s->cap = cap;
	}
	if (n)
		memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

static void str_adds(struct str *s, const char *text)
{
	str_add(s, text, strlen(text));
}

static void str_addf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void str_addf(struct str *s, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		str_add(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A whole decimal number in [min, max], or -1. */
static long long parse_number(const char *text, long long min, long long max)
{
	char *end;
	long long v;

	if (!text || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* ---------------------------------------------------------------- script */

enum framing { FRAME_CHUNKED, FRAME_CLOSE, FRAME_LENGTH };

struct expect {
	char *name, *value;
};

struct response {
	int status;
	struct str headers; /* "Name: value\r\n"... */
	bool has_type;
	struct str body;
	enum framing framing;
	size_t chunk;        /* 0: one piece */
	long long delay_ms;  /* between pieces */
	long long cut_after; /* -1: send everything */
	struct expect *expects;
	size_t expect_count;
};

static struct response *responses;
static size_t response_count;

static const char *script_path;
static unsigned script_line;

static void script_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void script_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", script_path, script_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Reads a whole regular file of at most FILE_MAX bytes into out. */
static bool read_file(const char *path, struct str *out, const char **why)
{
	char buf[65536];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*why = NULL;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		*why = "not a regular file of at most 64 MiB";
		close(fd);
		return false;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > FILE_MAX) {
			*why = "grew past 64 MiB";
			close(fd);
			return false;
		}
		str_add(out, buf, (size_t)n);
	}
	close(fd);
	str_add(out, "", 0); /* data is never NULL, even when empty */
	return true;
}

/* "Name: value" -> name, value (in place); false if malformed. The name
 * must be an HTTP token, which also keeps it safe inside the JSON of the
 * 401 answer. */
static bool split_header(char *arg, char **name, char **value)
{
	char *colon = strchr(arg, ':');

	if (!colon || colon == arg)
		return false;
	*colon = '\0';
	for (char *p = arg; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	*name = arg;
	*value = trim(colon + 1);
	return !strpbrk(*value, "\r\n");
}

static void body_append_escaped(struct response *r, const char *text)
{
	for (const char *p = text; *p; p++) {
		char c = *p;
		if (c == '\\') {
			switch (*++p) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
				c = '\\';
				break;
			case '\0':
				script_error("body ends with a lone backslash");
			default:
				script_error(
				        "unknown escape \\%c in body (known: \\n \\r \\t \\\\)",
				        *p);
			}
		}
		str_add(&r->body, &c, 1);
	}
	if (r->body.len > FILE_MAX)
		script_error("body larger than 64 MiB");
}

static void directive(struct response *r, const char *dir, char *word, char *raw_arg)
{
	char *arg;
	long long n;

	if (strcmp(word, "body") == 0) {
		/* Everything after "body " is the text, trailing blanks too. */
		size_t len = strlen(raw_arg);
		if (len && raw_arg[len - 1] == '\r')
			raw_arg[len - 1] = '\0';
		body_append_escaped(r, raw_arg);
		return;
	}
	arg = trim(raw_arg);
	if (strcmp(word, "status") == 0) {
		if ((n = parse_number(arg, 200, 599)) < 0)
			script_error("status needs a number in 200..599");
		r->status = (int)n;
	} else if (strcmp(word, "header") == 0 || strcmp(word, "expect_header") == 0) {
		char *name, *value;
		if (!split_header(arg, &name, &value))
			script_error("%s needs \"Name: value\"", word);
		if (word[0] == 'e') {
			struct expect *e = realloc(r->expects, (r->expect_count + 1) * sizeof(*e));
			if (!e)
				oom();
			r->expects = e;
			e[r->expect_count].name = strdup(name);
			e[r->expect_count].value = strdup(value);
			if (!e[r->expect_count].name || !e[r->expect_count].value)
				oom();
			r->expect_count++;
			return;
		}
		if (strcasecmp(name, "content-length") == 0 ||
		    strcasecmp(name, "transfer-encoding") == 0 ||
		    strcasecmp(name, "connection") == 0)
			script_error("header %s is set by fakellm: use framing", name);
		if (strcasecmp(name, "content-type") == 0)
			r->has_type = true;
		str_addf(&r->headers, "%s: %s\r\n", name, value);
		if (r->headers.len > HEAD_MAX)
			script_error("headers larger than 64 KiB");
	} else if (strcmp(word, "file") == 0) {
		struct str path = {0};
		const char *why;
		if (!*arg)
			script_error("file needs a PATH");
		if (arg[0] != '/')
			str_addf(&path, "%s/", dir);
		str_adds(&path, arg);
		if (!read_file(path.data, &r->body, &why))
			script_error("file %s: %s", path.data, why ? why : strerror(errno));
		if (r->body.len > FILE_MAX)
			script_error("body larger than 64 MiB");
		free(path.data);
	} else if (strcmp(word, "framing") == 0) {
		if (strcmp(arg, "chunked") == 0)
			r->framing = FRAME_CHUNKED;
		else if (strcmp(arg, "close") == 0)
			r->framing = FRAME_CLOSE;
		else if (strcmp(arg, "length") == 0)
			r->framing = FRAME_LENGTH;
		else
			script_error("framing must be chunked, close or length");
	} else if (strcmp(word, "chunk") == 0) {
		if ((n = parse_number(arg, 1, BODY_MAX)) < 0)
			script_error("chunk needs a byte count >= 1");
		r->chunk = (size_t)n;
	} else if (strcmp(word, "delay_ms") == 0) {
		if ((r->delay_ms = parse_number(arg, 0, DELAY_MAX_MS)) < 0)
			script_error("delay_ms needs a number of milliseconds (at most %d)",
			             DELAY_MAX_MS);
	} else if (strcmp(word, "cut_after") == 0) {
		if ((r->cut_after = parse_number(arg, 0, LLONG_MAX)) < 0)
			script_error("cut_after needs a byte count");
	} else {
		script_error("unknown directive \"%s\"", word);
	}
}

static void load_script(const char *path)
{
	struct str text = {0}, dir = {0};
	const char *why, *slash = strrchr(path, '/');
	struct response *cur = NULL;
	unsigned cur_line = 0;
	char *line, *next;

	script_path = path;
	if (!read_file(path, &text, &why)) {
		fprintf(stderr, "fakellm: %s: %s\n", path, why ? why : strerror(errno));
		exit(2);
	}
	if (slash)
		str_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	else
		str_adds(&dir, ".");
	if (memchr(text.data, '\0', text.len)) {
		fprintf(stderr, "fakellm: %s: contains a NUL byte\n", path);
		exit(2);
	}

	for (line = text.data; line; line = next) {
		char *word, *rest;

		script_line++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		word = line;
		while (*word == ' ' || *word == '\t')
			word++;
		if (!*word || *word == '#' || strcmp(word, "\r") == 0)
			continue;
		rest = word + strcspn(word, " \t\r");
		if (*rest == '\r')
			*rest = '\0';
		if (*rest)
			*rest++ = '\0';

		if (strcmp(word, "response") == 0) {
			struct response *r;
			if (cur)
				script_error("response inside a response (missing end?)");
			if (*trim(rest))
				script_error("response takes no argument");
			r = realloc(responses, (response_count + 1) * sizeof(*r));
			if (!r)
				oom();
			responses = r;
			cur = &responses[response_count++];
			cur_line = script_line;
			memset(cur, 0, sizeof(*cur));
			cur->status = 200;
			cur->framing = FRAME_CHUNKED;
			cur->cut_after = -1;
			str_add(&cur->body, "", 0);
			str_add(&cur->headers, "", 0);
		} else if (strcmp(word, "end") == 0) {
			if (!cur)
				script_error("end without response");
			if (*trim(rest))
				script_error("end takes no argument");
			cur = NULL;
		} else if (!cur) {
			script_error("\"%s\" outside a response block", word);
		} else {
			directive(cur, dir.data, word, rest);
		}
	}
	if (cur) {
		script_line = cur_line;
		script_error("response without end");
	}
	free(text.data);
	free(dir.data);
}

/* -------------------------------------------------------------- network */

/* Waits until fd is readable (or writable when out); false on timeout. An
 * EOF on stdin while waiting ends the program: the test is over. */
static bool stdin_open = true;

static bool wait_fd(int fd, bool out, int timeout_ms)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = out ? POLLOUT : POLLIN},
		                      {.fd = 0, .events = POLLIN}};
		int n = poll(p, stdin_open ? 2 : 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		if (stdin_open && p[1].revents) {
			char sink[512];
			ssize_t r;
			if (p[1].revents & POLLNVAL) {
				stdin_open = false; /* no stdin at all: run until killed */
			} else {
				r = read(0, sink, sizeof(sink));
				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
					exit(0);
			}
		}
		if (p[0].revents)
			return true;
	}
}

/* Sleeps ms, but returns false early when the client hangs up. */
static bool pause_ms(int fd, long long ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)(ms / 1000);
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		long long left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long long)(end.tv_sec - now.tv_sec) * 1000 +
		       (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left <= 0)
			return true;
		if (wait_fd(fd, false, (int)left)) {
			char sink[4096];
			ssize_t r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				return false;
		}
	}
}

static bool send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!wait_fd(fd, true, IO_TIMEOUT_MS))
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

struct conn {
	int fd;
	char buf[HEAD_MAX];
	size_t len;  /* bytes in buf */
	size_t used; /* bytes of buf consumed */
};

/* Reads more into c->buf; false at EOF, error, timeout or full buffer. */
static bool fill(struct conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->len == sizeof(c->buf) || !wait_fd(c->fd, false, IO_TIMEOUT_MS))
			return false;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return false;
		c->len += (size_t)n;
		return true;
	}
}

/* Reads exactly n bytes (buffered ones first) into out. */
static bool read_exact(struct conn *c, struct str *out, size_t n)
{
	while (n) {
		size_t have = c->len - c->used;
		if (!have) {
			c->len = c->used = 0;
			if (!fill(c))
				return false;
			continue;
		}
		if (have > n)
			have = n;
		str_add(out, c->buf + c->used, have);
		c->used += have;
		n -= have;
	}
	return true;
}

/* One CRLF-ended line of a chunked body (at most 255 bytes), CRLF cut. */
static bool read_line(struct conn *c, char *line, size_t cap)
{
	struct str s = {0};
	bool ok = true;

	for (;;) {
		size_t before = s.len;
		if (!read_exact(c, &s, 1) || s.len >= cap) {
			ok = false;
			break;
		}
		if (s.data[before] == '\n')
			break;
	}
	if (ok) {
		s.len--;
		if (s.len && s.data[s.len - 1] == '\r')
			s.len--;
		memcpy(line, s.data, s.len);
		line[s.len] = '\0';
	}
	free(s.data);
	return ok;
}

/* Decodes a chunked body; returns the status to fail with, or 0. */
static int read_chunked(struct conn *c, struct str *body)
{
	char line[256];

	for (;;) {
		char *end;
		unsigned long long size;

		if (!read_line(c, line, sizeof(line)))
			return 400;
		errno = 0;
		size = strtoull(line, &end, 16);
		if (errno || end == line || (*end && *end != ';' && *end != ' '))
			return 400;
		if (size == 0)
			break;
		if (size > BODY_MAX || body->len + size > BODY_MAX)
			return 413;
		if (!read_exact(c, body, (size_t)size))
			return 400;
		if (!read_line(c, line, sizeof(line)) || line[0])
			return 400;
	}
	for (int i = 0;; i++) { /* trailers, up to the empty line */
		if (i > HEADERS_MAX || !read_line(c, line, sizeof(line)))
			return 400;
		if (!line[0])
			return 0;
	}
}

struct request {
	char *raw;       /* the head as received, for the log */
	char *head;      /* a copy of it, NUL-split while parsing */
	size_t head_len; /* bytes of head, including the empty line */
	char *names[HEADERS_MAX], *values[HEADERS_MAX];
	size_t header_count;
	struct str body;
};

static const char *header(const struct request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (strcasecmp(req->names[i], name) == 0)
			return req->values[i];
	return NULL;
}

/* Reads one request; returns 0, the status to answer, or -1 when the
 * connection ended (or went silent) before a request was complete. */
static int read_request(struct conn *c, struct request *req)
{
	char *end, *line, *next, *p;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (!fill(c))
			return c->len == sizeof(c->buf) ? 431 : -1;
	req->head_len = (size_t)(end - c->buf) + 4;
	c->used = req->head_len;
	req->raw = malloc(req->head_len);
	req->head = malloc(req->head_len + 1);
	if (!req->raw || !req->head)
		oom();
	memcpy(req->raw, c->buf, req->head_len);
	memcpy(req->head, c->buf, req->head_len);
	req->head[req->head_len - 4] = '\0';

	line = req->head;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	/* METHOD SP TARGET SP HTTP/1.x */
	p = strchr(line, ' ');
	if (!p || p == line || !(p = strchr(p + 1, ' ')) || strncmp(p + 1, "HTTP/1.", 7) != 0)
		return 400;

	while (next) {
		char *colon;
		line = next + 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		if (req->header_count == HEADERS_MAX)
			return 431;
		colon = strchr(line, ':');
		if (!colon || colon == line)
			return 400;
		*colon = '\0';
		for (p = line; *p; p++)
			if (*p <= ' ' || *p >= 0x7f)
				return 400;
		req->names[req->header_count] = line;
		req->values[req->header_count] = trim(colon + 1);
		req->header_count++;
	}

	{
		const char *te = header(req, "transfer-encoding");
		const char *cl = header(req, "content-length");
		const char *expect = header(req, "expect");
		long long n = 0;

		if (te && (strcasecmp(te, "chunked") != 0 || cl))
			return 400;
		if (cl && (n = parse_number(cl, 0, LLONG_MAX)) < 0)
			return 400;
		if (n > (long long)BODY_MAX)
			return 413;
		if (expect && strcasecmp(expect, "100-continue") == 0) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			if (!send_all(c->fd, cont, sizeof(cont) - 1))
				return -1;
		}
		str_add(&req->body, "", 0);
		if (te)
			return read_chunked(c, &req->body);
		return read_exact(c, &req->body, (size_t)n) ? 0 : -1;
	}
}

/* ------------------------------------------------------------- answers */

/* message is plain text without '"' or '\\' (all callers' are). */
static void answer_json(int fd, int status, const char *message, const char *type)
{
	struct str body = {0}, head = {0};

	str_addf(&body, "{\"error\":{\"message\":\"%s\"", message);
	if (type)
		str_addf(&body, ",\"type\":\"%s\"", type);
	str_adds(&body, "}}");
	str_addf(&head,
	         "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n",
	         status, ba_test_reason_phrase(status), body.len);
	str_add(&head, body.data, body.len);
	send_all(fd, head.data, head.len);
	free(body.data);
	free(head.data);
}

static void answer_scripted(int fd, const struct response *r)
{
	struct str head = {0};
	size_t total = r->body.len, sent = 0;

	if (r->cut_after >= 0 && (unsigned long long)r->cut_after < total)
		total = (size_t)r->cut_after;
	str_addf(&head, "HTTP/1.1 %d %s\r\n", r->status, ba_test_reason_phrase(r->status));
	if (!r->has_type)
		str_adds(&head, "Content-Type: text/event-stream\r\n");
	str_add(&head, r->headers.data, r->headers.len);
	if (r->framing == FRAME_CHUNKED)
		str_adds(&head, "Transfer-Encoding: chunked\r\n");
	else if (r->framing == FRAME_LENGTH)
		str_addf(&head, "Content-Length: %zu\r\n", r->body.len);
	str_adds(&head, "Connection: close\r\n\r\n");
	if (!send_all(fd, head.data, head.len))
		goto out;

	while (sent < total) {
		size_t n = r->chunk && r->chunk < total - sent ? r->chunk : total - sent;
		struct str piece = {0};
		bool ok;

		if (sent && r->delay_ms && !pause_ms(fd, r->delay_ms))
			goto out;
		if (r->framing == FRAME_CHUNKED)
			str_addf(&piece, "%zx\r\n", n);
		str_add(&piece, r->body.data + sent, n);
		if (r->framing == FRAME_CHUNKED)
			str_adds(&piece, "\r\n");
		ok = send_all(fd, piece.data, piece.len);
		free(piece.data);
		if (!ok)
			goto out;
		sent += n;
	}
	if (r->framing == FRAME_CHUNKED && r->cut_after < 0)
		send_all(fd, "0\r\n\r\n", 5);
out:
	free(head.data);
}

static bool write_log(const char *dir, unsigned long n, const struct request *req)
{
	char path[PATH_MAX];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%03lu.http", dir, n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	ok = write(fd, req->raw, req->head_len) == (ssize_t)req->head_len &&
	     write(fd, req->body.data, req->body.len) == (ssize_t)req->body.len;
	return close(fd) == 0 && ok;
}

static unsigned long request_count;

static void serve(int fd, const char *log_dir)
{
	static struct conn c;
	struct request req;
	int status;

	memset(&req, 0, sizeof(req));
	c.fd = fd;
	c.len = c.used = 0;
	status = read_request(&c, &req);
	if (status > 0) {
		answer_json(fd, status,
		            status == 431   ? "fakellm: request head too large"
		            : status == 413 ? "fakellm: request body too large"
		                            : "fakellm: malformed request",
		            "invalid_request_error");
	} else if (status == 0) {
		unsigned long n = ++request_count;
		if (log_dir && !write_log(log_dir, n, &req))
			fprintf(stderr, "fakellm: cannot write the log of request %lu to %s: %s\n",
			        n, log_dir, strerror(errno));
		if (n > response_count) {
			char msg[128];
			snprintf(msg, sizeof(msg), "fakellm: script has only %zu responses",
			         response_count);
			fprintf(stderr, "fakellm: request %lu: %s\n", n, msg);
			answer_json(fd, 500, msg, NULL);
		} else {
			const struct response *r = &responses[n - 1];
			const struct expect *bad = NULL;
			for (size_t i = 0; i < r->expect_count && !bad; i++) {
				bool found = false;
				for (size_t h = 0; h < req.header_count && !found; h++)
					found = strcasecmp(req.names[h], r->expects[i].name) == 0 &&
					        strcmp(req.values[h], r->expects[i].value) == 0;
				if (!found)
					bad = &r->expects[i];
			}
			if (bad) {
				char msg[512];
				snprintf(msg, sizeof(msg), "fakellm: missing or wrong %s",
				         bad->name);
				answer_json(fd, 401, msg, "invalid_request_error");
			} else {
				answer_scripted(fd, r);
			}
		}
	}
	/* Stop sending, throw away whatever the client sent beyond the
	 * request (so the close is a FIN, not a reset that could destroy
	 * the response in flight), and close. */
	shutdown(fd, SHUT_WR);
	{
		char sink[4096];
		while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	close(fd);
	free(req.raw);
	free(req.head);
	free(req.body.data);
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fputs("usage: fakellm SCRIPT [--log DIR]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *script = NULL, *log_dir = NULL;
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	struct sigaction sa;
	int lfd, one = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log_dir = argv[++i];
		else if (argv[i][0] != '-' && !script)
			script = argv[i];
		else
			usage();
	}
	if (!script)
		usage();
	load_script(script);
	if (log_dir && mkdir(log_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "fakellm: --log %s: %s\n", log_dir, strerror(errno));
		exit(2);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Never outlive a forgotten test by much. */
	alarm(LIFETIME_S);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(lfd, 128) != 0 || getsockname(lfd, (struct sockaddr *)&addr, &addr_len) != 0) {
		fprintf(stderr, "fakellm: listening on 127.0.0.1: %s\n", strerror(errno));
		exit(1);
	}
	printf("%u\n", ntohs(addr.sin_port));
	fflush(stdout);

	for (;;) {
		int cfd;
		if (!wait_fd(lfd, false, -1))
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			continue;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(cfd, log_dir);
	}
}
