/*
 * httpd.c - a small real HTTP/1.1 server for tests.
 *
 * usage: httpd [--port N] [--bind ADDR]
 *
 * Binds 127.0.0.1 (or ADDR, e.g. ::1) on port N (default 0: any free
 * port), prints the port number and a newline on stdout, and serves until
 * it is killed, its stdin reaches EOF (so a test holding a pipe to it
 * cleans up just by exiting) or ten minutes pass. Each connection gets one
 * request and one response ("Connection: close") in a forked child, so a
 * slow request never holds up another.
 *
 * Routes:
 *   GET /text             "hello from httpd\n", text/plain
 *   GET /html             an HTML page (title, headings, paragraphs, links,
 *                         a script and a style block, entities, lists)
 *   GET /json             {"ok":true,"items":[1,2,3]}
 *   ANY /echo             {"method":..,"path":..,"headers":{..},"body":..}
 *                         header names lower-case, repeated headers joined
 *                         with ", ", bytes >= 0x80 in the body as \u00XX
 *   ANY /redirect?to=URL[&code=302]   that 3xx status, Location: URL
 *                         (URL-decoded)
 *   GET /status/N         status N (200..599) with a short body
 *   GET /big?n=BYTES[&chunked=1]   BYTES bytes of 'x' (at most 1 GiB); with
 *                         chunked=1 sent chunked, without a Content-Length
 *   GET /slow?ms=N        sleeps N ms (at most 60000) then answers
 *   GET /count            the number of connections accepted before this
 *                         one, as "N\n" (tests use it to prove that a
 *                         denied request never reached the server)
 * GET routes also answer HEAD. Anything else is 404 (or 405 for a route
 * that exists with another method).
 *
 * This is test code but it still faces a network peer, so every size is
 * capped: 64 KiB of request head, 100 headers, 64 MiB of body.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "support/http_reason.h"

#define HEAD_MAX      (64 * 1024)
#define HEADERS_MAX   100
#define BODY_MAX      (64u * 1024 * 1024)
#define BIG_MAX       (1024ull * 1024 * 1024)
#define SLOW_MAX_MS   60000
#define LIFETIME_S    600
#define CHILD_ALARM_S 120

struct header {
	char *name; /* lower-cased in place */
	char *value;
};

struct request {
	char *method;
	char *target; /* path with query */
	char *path;   /* a copy without the query */
	const char *query;
	struct header headers[HEADERS_MAX];
	size_t header_count;
	char *body;
	size_t body_len;
};

/* A growable string for building responses; out of memory ends the child. */
struct str {
	char *data;
	size_t len, cap;
};

static void die(const char *what)
{
	fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static void str_add(struct str *s, const void *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *d = realloc(s->data, cap);
		if (!d)
			die("out of memory");
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

static void str_addf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void str_addf(struct str *s, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf");
	str_add(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void json_string(struct str *s, const char *p, size_t n)
{
	str_add(s, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (c) {
		case '"':
			str_add(s, "\\\"", 2);
			break;
		case '\\':
			str_add(s, "\\\\", 2);
			break;
		case '\n':
			str_add(s, "\\n", 2);
			break;
		case '\r':
			str_add(s, "\\r", 2);
			break;
		case '\t':
			str_add(s, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				str_addf(s, "\\u%04x", c);
			else
				str_add(s, &p[i], 1);
		}
	}
	str_add(s, "\"", 1);
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(0); /* the client went away; nothing left to do */
		}
		c += w;
		n -= (size_t)w;
	}
}

static bool status_has_body(int status)
{
	return status != 204 && status != 304;
}

/* Writes a whole response. extra is more header lines ("Name: v\r\n"...),
 * may be NULL. head_only leaves the body out (HEAD). */
static void respond(int fd, int status, const char *type, const char *extra, const void *body,
                    size_t len, bool head_only)
{
	struct str h = {0};

	if (!status_has_body(status))
		len = 0;
	str_addf(&h, "HTTP/1.1 %d %s\r\n", status, ba_test_reason_phrase(status));
	if (len || status_has_body(status))
		str_addf(&h, "Content-Type: %s\r\n", type);
	if (status_has_body(status))
		str_addf(&h, "Content-Length: %zu\r\n", len);
	if (extra)
		str_add(&h, extra, strlen(extra));
	str_addf(&h, "Connection: close\r\n\r\n");
	write_all(fd, h.data, h.len);
	free(h.data);
	if (!head_only && len)
		write_all(fd, body, len);
}

static void respond_text(int fd, int status, const char *text, bool head_only)
{
	respond(fd, status, "text/plain; charset=utf-8", NULL, text, strlen(text), head_only);
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The URL-decoded value of query parameter name ('+' is a space), or NULL.
 * Returns malloc'd text; NUL bytes in it are kept out by refusing %00. */
static char *query_param(const char *query, const char *name)
{
	size_t name_len = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
			const char *v = p + name_len + 1;
			size_t vlen = len - name_len - 1, o = 0;
			char *out = malloc(vlen + 1);
			if (!out)
				die("out of memory");
			for (size_t i = 0; i < vlen; i++) {
				int hi, lo;
				if (v[i] == '%' && i + 2 < vlen &&
				    (hi = hex_value(v[i + 1])) >= 0 &&
				    (lo = hex_value(v[i + 2])) >= 0 && (hi | lo)) {
					out[o++] = (char)(hi << 4 | lo);
					i += 2;
				} else if (v[i] == '+') {
					out[o++] = ' ';
				} else {
					out[o++] = v[i];
				}
			}
			out[o] = '\0';
			return out;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* A whole decimal number in [min, max], or -1. */
static long long parse_number(const char *text, long long min, long long max)
{
	char *end;
	long long v;

	if (!text || !*text || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

static const char *header_value(const struct request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (strcmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* ------------------------------------------------------------- reading */

struct conn {
	int fd;
	char buf[HEAD_MAX + 1];
	size_t len;  /* bytes in buf */
	size_t used; /* bytes of buf consumed by the parser */
};

/* Reads more into conn->buf; 0 at EOF. */
static size_t fill(struct conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->len == HEAD_MAX)
			return 0;
		n = read(c->fd, c->buf + c->len, HEAD_MAX - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		return (size_t)n;
	}
}

/* Reads exactly n body bytes into out, first from what is buffered. */
static bool read_exact(struct conn *c, char *out, size_t n)
{
	size_t have = c->len - c->used;
	if (have > n)
		have = n;
	memcpy(out, c->buf + c->used, have);
	c->used += have;
	while (have < n) {
		ssize_t r = read(c->fd, out + have, n - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		have += (size_t)r;
	}
	return true;
}

/* One line of a chunked body ("1a;ext\r\n"), into line (cap bytes). */
static bool read_line(struct conn *c, char *line, size_t cap)
{
	size_t o = 0;
	for (;;) {
		char ch;
		if (!read_exact(c, &ch, 1))
			return false;
		if (ch == '\n')
			break;
		if (o + 1 >= cap)
			return false;
		line[o++] = ch;
	}
	if (o && line[o - 1] == '\r')
		o--;
	line[o] = '\0';
	return true;
}

static bool read_chunked(struct conn *c, struct request *req)
{
	struct str body = {0};
	char line[256];

	for (;;) {
		char *end;
		unsigned long long size;

		if (!read_line(c, line, sizeof(line)))
			return false;
		errno = 0;
		size = strtoull(line, &end, 16);
		if (errno || end == line || (*end && *end != ';'))
			return false;
		if (size == 0)
			break;
		if (size > BODY_MAX || body.len + size > BODY_MAX)
			return false;
		if (!body.data)
			str_add(&body, "", 0);
		{
			char *chunk = malloc(size);
			if (!chunk)
				die("out of memory");
			if (!read_exact(c, chunk, size)) {
				free(chunk);
				return false;
			}
			str_add(&body, chunk, size);
			free(chunk);
		}
		if (!read_line(c, line, sizeof(line)) || line[0])
			return false;
	}
	/* Trailers, up to the empty line. */
	do {
		if (!read_line(c, line, sizeof(line)))
			return false;
	} while (line[0]);
	req->body = body.data;
	req->body_len = body.len;
	return true;
}

/* Parses the request head; returns the status to fail with, or 0. */
static int read_request(struct conn *c, struct request *req)
{
	char *end, *line, *next;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (!fill(c))
			return c->len == HEAD_MAX ? 431 : 400;
	*end = '\0';
	c->used = (size_t)(end - c->buf) + 4;

	line = c->buf;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	req->method = line;
	req->target = strchr(line, ' ');
	if (!req->target)
		return 400;
	*req->target++ = '\0';
	{
		char *version = strchr(req->target, ' ');
		if (!version || strncmp(version + 1, "HTTP/1.", 7) != 0)
			return 400;
		*version = '\0';
	}
	if (req->target[0] != '/')
		return 400;
	req->path = strdup(req->target);
	if (!req->path)
		die("out of memory");
	{
		char *q = strchr(req->path, '?');
		if (q) {
			*q = '\0';
			req->query = strchr(req->target, '?') + 1;
		}
	}

	while (next) {
		char *colon, *v, *e;
		line = next + 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		if (!*line)
			continue;
		if (req->header_count == HEADERS_MAX)
			return 431;
		colon = strchr(line, ':');
		if (!colon || colon == line)
			return 400;
		*colon = '\0';
		for (char *p = line; *p; p++) {
			if (*p == ' ' || *p == '\t')
				return 400;
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		}
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		req->headers[req->header_count].name = line;
		req->headers[req->header_count].value = v;
		req->header_count++;
	}

	{
		const char *expect = header_value(req, "expect");
		if (expect && strcasecmp(expect, "100-continue") == 0) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			write_all(c->fd, cont, sizeof(cont) - 1);
		}
	}
	{
		const char *te = header_value(req, "transfer-encoding");
		const char *cl = header_value(req, "content-length");
		if (te) {
			if (strcasecmp(te, "chunked") != 0 || cl)
				return 400;
			return read_chunked(c, req) ? 0 : 400;
		}
		if (cl) {
			long long n = parse_number(cl, 0, BODY_MAX);
			if (n < 0)
				return 413;
			req->body = malloc((size_t)n + 1);
			if (!req->body)
				die("out of memory");
			if (!read_exact(c, req->body, (size_t)n))
				return 400;
			req->body[n] = '\0';
			req->body_len = (size_t)n;
		}
	}
	return 0;
}

/* -------------------------------------------------------------- routes */

static const char html_page[] =
        "<!DOCTYPE html>\n"
        "<html lang=\"en\">\n"
        "<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<title>Test page &amp; friends</title>\n"
        "<style>\n"
        "body { font-family: sans-serif; }\n"
        "h1 { color: #333; }\n"
        "</style>\n"
        "<script>\n"
        "var hidden = \"script text must not show\";\n"
        "if (1 < 2) { document.title = hidden; }\n"
        "</script>\n"
        "</head>\n"
        "<body>\n"
        "<h1>Main heading</h1>\n"
        "<p>First paragraph with <a href=\"/text\">a relative link</a> and\n"
        "<a href=\"https://example.com/page?a=1&amp;b=2\">an absolute link</a>.</p>\n"
        "<h2>Second heading</h2>\n"
        "<p>Entities: 1 &lt; 2 &amp;&amp; 3 &gt; 2, it&#39;s &quot;quoted&quot;.</p>\n"
        "<ul>\n"
        "<li>first item</li>\n"
        "<li>second item</li>\n"
        "</ul>\n"
        "<ol>\n"
        "<li>one</li>\n"
        "<li>two</li>\n"
        "</ol>\n"
        "</body>\n"
        "</html>\n";

static void route_echo(int fd, const struct request *req)
{
	struct str s = {0};
	bool first = true;

	str_add(&s, "{\"method\":", 10);
	json_string(&s, req->method, strlen(req->method));
	str_add(&s, ",\"path\":", 8);
	json_string(&s, req->target, strlen(req->target));
	str_add(&s, ",\"headers\":{", 12);
	for (size_t i = 0; i < req->header_count; i++) {
		struct str joined = {0};
		bool seen = false;

		/* Repeated names are joined into the first occurrence. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(req->headers[j].name, req->headers[i].name) == 0)
				seen = true;
		if (seen)
			continue;
		for (size_t j = i; j < req->header_count; j++) {
			if (strcmp(req->headers[j].name, req->headers[i].name) != 0)
				continue;
			if (joined.len)
				str_add(&joined, ", ", 2);
			str_add(&joined, req->headers[j].value, strlen(req->headers[j].value));
		}
		if (!first)
			str_add(&s, ",", 1);
		first = false;
		json_string(&s, req->headers[i].name, strlen(req->headers[i].name));
		str_add(&s, ":", 1);
		json_string(&s, joined.data ? joined.data : "", joined.len);
		free(joined.data);
	}
	str_add(&s, "},\"body\":", 9);
	json_string(&s, req->body ? req->body : "", req->body_len);
	str_add(&s, "}\n", 2);
	/* /echo?hex=1 answers with the same JSON hex-encoded: a server that
	 * reflects a request in an encoding, for the secret-withholding tests. */
	if (strstr(req->target, "hex=1")) {
		static const char digits[] = "0123456789abcdef";
		struct str hex = {0};
		for (size_t i = 0; i < s.len; i++) {
			char pair[2] = {digits[(unsigned char)s.data[i] >> 4],
			                digits[(unsigned char)s.data[i] & 15]};
			str_add(&hex, pair, 2);
		}
		respond(fd, 200, "text/plain", NULL, hex.data, hex.len,
		        strcmp(req->method, "HEAD") == 0);
		free(hex.data);
	} else {
		respond(fd, 200, "application/json", NULL, s.data, s.len,
		        strcmp(req->method, "HEAD") == 0);
	}
	free(s.data);
}

static void route_redirect(int fd, const struct request *req, bool head)
{
	char *to = query_param(req->query, "to");
	char *code_text = query_param(req->query, "code");
	long long code = code_text ? parse_number(code_text, 300, 399) : 302;
	struct str extra = {0};
	char body[64];

	if (!to || code < 0 || strpbrk(to, "\r\n")) {
		respond_text(fd, 400, "redirect needs to=URL (no CR/LF) and code=3xx\n", head);
	} else {
		str_add(&extra, "Location: ", 10);
		str_add(&extra, to, strlen(to));
		str_add(&extra, "\r\n", 2);
		snprintf(body, sizeof(body), "redirecting (%lld)\n", code);
		respond(fd, (int)code, "text/plain", extra.data, body, strlen(body), head);
	}
	free(to);
	free(code_text);
	free(extra.data);
}

static void route_big(int fd, const struct request *req, bool head)
{
	char *n_text = query_param(req->query, "n");
	char *chunked_text = query_param(req->query, "chunked");
	long long n = parse_number(n_text, 0, (long long)BIG_MAX);
	bool chunked = chunked_text && strcmp(chunked_text, "1") == 0;
	char head_text[256];
	char chunk[4096];

	free(n_text);
	free(chunked_text);
	if (n < 0) {
		respond_text(fd, 400, "big needs n=BYTES (at most 1 GiB)\n", head);
		return;
	}
	/* chunked=1: no Content-Length, so the client only learns the size
	 * as the bytes arrive. */
	if (chunked)
		snprintf(head_text, sizeof(head_text),
		         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		         "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	else
		snprintf(head_text, sizeof(head_text),
		         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %lld\r\n"
		         "Connection: close\r\n\r\n",
		         n);
	write_all(fd, head_text, strlen(head_text));
	if (head)
		return;
	memset(chunk, 'x', sizeof(chunk));
	while (n > 0) {
		size_t part = n > 4096 ? 4096 : (size_t)n;
		if (chunked) {
			char size_line[32];
			snprintf(size_line, sizeof(size_line), "%zx\r\n", part);
			write_all(fd, size_line, strlen(size_line));
		}
		write_all(fd, chunk, part);
		if (chunked)
			write_all(fd, "\r\n", 2);
		n -= (long long)part;
	}
	if (chunked)
		write_all(fd, "0\r\n\r\n", 5);
}

static void route_slow(int fd, const struct request *req, bool head)
{
	char *ms_text = query_param(req->query, "ms");
	long long ms = parse_number(ms_text, 0, SLOW_MAX_MS);
	struct timespec ts;
	char body[64];

	free(ms_text);
	if (ms < 0) {
		respond_text(fd, 400, "slow needs ms=N (at most 60000)\n", head);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	snprintf(body, sizeof(body), "slept %lld ms\n", ms);
	respond_text(fd, 200, body, head);
}

static void route(int fd, struct request *req, unsigned long count)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	bool get = head || strcmp(req->method, "GET") == 0;
	const char *path = req->path;

	if (strcmp(path, "/echo") == 0) {
		route_echo(fd, req);
		return;
	}
	/* Any method, so 307/308 can be tested with a POST. */
	if (strcmp(path, "/redirect") == 0) {
		route_redirect(fd, req, head);
		return;
	}
	if (strcmp(path, "/text") != 0 && strcmp(path, "/html") != 0 &&
	    strcmp(path, "/json") != 0 && strcmp(path, "/redirect") != 0 &&
	    strncmp(path, "/status/", 8) != 0 && strcmp(path, "/big") != 0 &&
	    strcmp(path, "/slow") != 0 && strcmp(path, "/count") != 0) {
		respond_text(fd, 404, "not found\n", head);
		return;
	}
	if (!get) {
		respond(fd, 405, "text/plain", "Allow: GET, HEAD\r\n", "method not allowed\n", 19,
		        false);
		return;
	}
	if (strcmp(path, "/text") == 0) {
		respond_text(fd, 200, "hello from httpd\n", head);
	} else if (strcmp(path, "/html") == 0) {
		respond(fd, 200, "text/html; charset=utf-8", NULL, html_page, sizeof(html_page) - 1,
		        head);
	} else if (strcmp(path, "/json") == 0) {
		static const char json[] = "{\"ok\":true,\"items\":[1,2,3]}";
		respond(fd, 200, "application/json", NULL, json, sizeof(json) - 1, head);
	} else if (strcmp(path, "/redirect") == 0) {
		route_redirect(fd, req, head);
	} else if (strncmp(path, "/status/", 8) == 0) {
		long long status = parse_number(path + 8, 200, 599);
		char body[64];
		if (status < 0) {
			respond_text(fd, 400, "status must be 200..599\n", head);
			return;
		}
		snprintf(body, sizeof(body), "status %lld\n", status);
		respond_text(fd, (int)status, body, head);
	} else if (strcmp(path, "/big") == 0) {
		route_big(fd, req, head);
	} else if (strcmp(path, "/slow") == 0) {
		route_slow(fd, req, head);
	} else {
		char body[64];
		snprintf(body, sizeof(body), "%lu\n", count);
		respond_text(fd, 200, body, head);
	}
}

static void serve_connection(int fd, unsigned long count)
{
	static struct conn c;
	struct request req;
	int status;

	memset(&req, 0, sizeof(req));
	c.fd = fd;
	status = read_request(&c, &req);
	if (status)
		respond_text(fd, status, "bad request\n", false);
	else
		route(fd, &req, count);
	/* Let the client read everything before the close turns into a
	 * reset: stop sending, then drain briefly. */
	shutdown(fd, SHUT_WR);
	{
		char sink[4096];
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (poll(&p, 1, 1000) > 0 && read(fd, sink, sizeof(sink)) > 0)
			;
	}
	close(fd);
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: httpd [--port N] [--bind ADDR]\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	long long port = 0;
	struct sockaddr_storage ss;
	socklen_t ss_len;
	int lfd, one = 1;
	unsigned long count = 0;
	double deadline = now_s() + LIFETIME_S;
	bool watch_stdin = true;
	pid_t parent = getpid();
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = parse_number(argv[++i], 0, 65535);
			if (port < 0)
				usage();
		} else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
			bind_addr = argv[++i];
		} else {
			usage();
		}
	}

	memset(&ss, 0, sizeof(ss));
	if (strchr(bind_addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) != 1)
			usage();
		ss_len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, bind_addr, &a4->sin_addr) != 1)
			usage();
		ss_len = sizeof(*a4);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Children are reaped by the kernel: nothing here waits for them. */
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);

	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, ss_len) != 0)
		die("bind");
	if (listen(lfd, 128) != 0)
		die("listen");
	ss_len = sizeof(ss);
	if (getsockname(lfd, (struct sockaddr *)&ss, &ss_len) != 0)
		die("getsockname");
	printf("%u\n", ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	                                        : ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);

	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
		double left = deadline - now_s();
		int n;

		if (left <= 0)
			return 0;
		n = poll(p, watch_stdin ? 2 : 1, (int)(left * 1000) + 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (watch_stdin && p[1].revents) {
			char sink[512];
			ssize_t r;
			if (p[1].revents & POLLNVAL) {
				watch_stdin = false; /* no stdin at all: run until killed */
			} else {
				r = read(0, sink, sizeof(sink));
				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
					return 0;
			}
		}
		if (p[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			pid_t pid;
			if (cfd < 0)
				continue;
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			pid = fork();
			if (pid == 0) {
				close(lfd);
				/* Die with the parent, and never outlive a stuck
				 * client by much. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(0);
				alarm(CHILD_ALARM_S);
				serve_connection(cfd, count);
				_exit(0);
			}
			if (pid < 0)
				respond_text(cfd, 503, "fork failed\n", false);
			close(cfd);
			count++;
		}
	}
}
