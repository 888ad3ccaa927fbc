/*
 * attack.c - the helpers of attack.h, linked into every red-team tool.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

__attribute__((noreturn)) static void verdict(const char *tag, int code, const char *fmt,
                                              va_list ap)
{
	fputs(tag, stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	fflush(stderr);
	exit(code);
}

void escaped(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("ESCAPED: ", 0, fmt, ap);
}

void blocked(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("blocked: ", 1, fmt, ap);
}

void unexpected(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("UNEXPECTED: ", 5, fmt, ap);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("note: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- input --------------------------------------------------------------- */

static char input_text[65536];
static int input_loaded;

static void load_input(void)
{
	size_t n = 0, got;

	if (input_loaded)
		return;
	input_loaded = 1;
	while (n < sizeof(input_text) - 1 &&
	       (got = fread(input_text + n, 1, sizeof(input_text) - 1 - n, stdin)) > 0)
		n += got;
	input_text[n] = '\0';
}

const char *input_get(const char *key)
{
	char pattern[256];
	const char *p, *end;
	char *out;
	size_t n = 0;

	load_input();
	snprintf(pattern, sizeof(pattern), "\"%s\"", key);
	p = strstr(input_text, pattern);
	if (!p)
		return NULL;
	p += strlen(pattern);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p == '"') {
		p++;
		out = malloc(strlen(p) + 1);
		if (!out)
			return NULL;
		for (; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			out[n++] = *p;
		}
		out[n] = '\0';
		return out;
	}
	end = p + strcspn(p, ",} \n");
	out = malloc((size_t)(end - p) + 1);
	if (!out)
		return NULL;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return out;
}

const char *input_need(const char *key)
{
	const char *v = input_get(key);

	if (!v || !*v) {
		printf("HARNESS: input has no \"%s\"\n", key);
		exit(2);
	}
	return v;
}

/* --- HTTP ---------------------------------------------------------------- */

const char *ba_status_name(int32_t status)
{
	static const char *const names[] = {"OK",        "DENIED",  "INVALID", "FAILED",
	                                    "TOO_LARGE", "TIMEOUT", "FAULT",   "LIMIT"};
	static char other[32];

	if (status >= 0 && status < (int32_t)(sizeof(names) / sizeof(names[0])))
		return names[status];
	snprintf(other, sizeof(other), "status %d", (int)status);
	return other;
}

const char *last_error_text(char *buf, size_t cap)
{
	uint32_t len = 0;
	int32_t st;

	buf[0] = '\0';
	st = ba_last_error(P(buf), (uint32_t)(cap - 1), P(&len));
	if (st != BA_OK) {
		snprintf(buf, cap, "(last_error: %s)", ba_status_name(st));
		return buf;
	}
	buf[len < cap - 1 ? len : cap - 1] = '\0';
	return buf;
}

int32_t http(const char *method, const char *url, const char *headers, const void *body,
             size_t body_len, http_result *res)
{
	int32_t handle = 0, st;
	uint32_t hlen = 0, n = 0;
	size_t cap = 65536;

	memset(res, 0, sizeof(*res));
	st = ba_http_request(P(method), (uint32_t)strlen(method), P(url), (uint32_t)strlen(url),
	                     headers ? P(headers) : 0, headers ? (uint32_t)strlen(headers) : 0,
	                     body ? P(body) : 0, (uint32_t)body_len, P(&handle));
	res->status = st;
	if (st != BA_OK) {
		last_error_text(res->error, sizeof(res->error));
		return st;
	}
	res->http = ba_http_status(handle);
	if (ba_http_headers(handle, P(res->headers), sizeof(res->headers) - 1, P(&hlen)) == BA_OK)
		res->headers[hlen < sizeof(res->headers) - 1 ? hlen : sizeof(res->headers) - 1] =
		        '\0';
	res->body = malloc(cap);
	if (!res->body) {
		ba_http_close(handle);
		return res->status = BA_LIMIT;
	}
	for (;;) {
		if (cap - res->body_len < 65536 + 1) {
			char *bigger;
			if (cap >= 64u << 20)
				break; /* enough evidence; stop reading */
			bigger = realloc(res->body, cap * 2);
			if (!bigger)
				break;
			res->body = bigger;
			cap *= 2;
		}
		st = ba_http_read(handle, P(res->body + res->body_len), 65536, P(&n));
		if (st != BA_OK) {
			last_error_text(res->error, sizeof(res->error));
			res->status = st;
			break;
		}
		if (n == 0)
			break;
		res->body_len += n;
	}
	res->body[res->body_len] = '\0';
	ba_http_close(handle);
	return res->status;
}

void http_result_free(http_result *res)
{
	free(res->body);
	res->body = NULL;
}

/* --- files --------------------------------------------------------------- */

int find_preopen(const char *guest)
{
	for (int fd = 3; fd < 64; fd++) {
		__wasi_prestat_t ps;
		char name[512];

		if (raw_fd_prestat_get((uint32_t)fd, P(&ps)) != 0)
			continue;
		if (ps.tag != __WASI_PREOPENTYPE_DIR || ps.u.dir.pr_name_len >= sizeof(name))
			continue;
		if (raw_fd_prestat_dir_name((uint32_t)fd, P(name), (uint32_t)ps.u.dir.pr_name_len))
			continue;
		name[ps.u.dir.pr_name_len] = '\0';
		if (strcmp(name, guest) == 0)
			return fd;
	}
	return -1;
}

long read_fd(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t got;

	while (n < cap - 1 && (got = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return (long)n;
}

long read_path(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	long n;
	int saved;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read_fd(fd, buf, cap);
	saved = errno;
	close(fd);
	errno = saved;
	return n;
}

int32_t open_at(int dirfd, const char *path, int *fd)
{
	uint32_t out = 0;
	int32_t err;

	err = raw_path_open((uint32_t)dirfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, P(path),
	                    (uint32_t)strlen(path), 0,
	                    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
	                            __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR,
	                    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
	                            __WASI_RIGHTS_FD_READDIR,
	                    0, P(&out));
	*fd = err == 0 ? (int)out : -1;
	return err;
}

const char *first_line(const char *text)
{
	static char line[160];
	size_t n = strcspn(text, "\n");

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, text, n);
	line[n] = '\0';
	return line;
}

int32_t attempt_open_at(int dirfd, const char *label, const char *path)
{
	static char buf[4096];
	int fd;
	int32_t err = open_at(dirfd, path, &fd);

	if (err == 0) {
		long n = read_fd(fd, buf, sizeof(buf));
		escaped("opened %s + \"%s\" (fd %d, read %ld bytes): %s", label, path, fd, n,
		        n > 0 ? first_line(buf) : "(directory or empty)");
	}
	note("path_open(%s, \"%s\") refused: errno %d (%s)", label, path, (int)err,
	     strerror((int)err));
	return err;
}

int attempt_open(const char *path)
{
	static char buf[4096];
	long n = read_path(path, buf, sizeof(buf));

	if (n >= 0)
		escaped("open(\"%s\") read %ld bytes: %s", path, n,
		        n > 0 ? first_line(buf) : "(empty)");
	note("open(\"%s\") refused: errno %d (%s)", path, errno, strerror(errno));
	return errno;
}

int32_t attempt_request(const char *method, const char *url, const char *headers, const void *body,
                        size_t body_len, const char *label)
{
	http_result res;
	int32_t st = http(method, url, headers, body, body_len, &res);
	const char *what = label ? label : url;

	switch (st) {
	case BA_OK:
		escaped("%s %s -> HTTP %d, %zu bytes: %s", method, what, res.http, res.body_len,
		        first_line(res.body));
	case BA_FAILED:
		/* A name that does not resolve fails before any connection:
		 * nothing left the machine but a DNS query. */
		if (strstr(res.error, "resolve") || strstr(res.error, "DNS") ||
		    strstr(res.error, "Name or service")) {
			note("%s %s did not resolve: %s", method, what, res.error);
			return st;
		}
		escaped("%s %s was let out by the policy and failed only at the network: %s (%s)",
		        method, what, ba_status_name(st), res.error);
	case BA_TIMEOUT:
		escaped("%s %s was let out by the policy and failed only at the network: %s (%s)",
		        method, what, ba_status_name(st), res.error);
	case BA_DENIED:
	case BA_INVALID:
		note("%s %s refused: %s (%s)", method, what, ba_status_name(st), res.error);
		return st;
	default:
		unexpected("%s %s: %s (%s); expected DENIED or INVALID", method, what,
		           ba_status_name(st), res.error);
	}
}

/* --- secrets --------------------------------------------------------------- */

static int starts_with_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (!*s || (*s | 0x20) != (*prefix | 0x20))
			return 0;
	return 1;
}

const char *secret_readback(int *seen_header, char *why, size_t why_len)
{
	static char token[4096];
	char url[128];
	http_result res;
	int32_t st;
	const char *p;
	size_t n = 0;

	*seen_header = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", input_need("port_a"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st != BA_OK) {
		snprintf(why, why_len, "GET /echo on the bound host: %s (%s)", ba_status_name(st),
		         res.error);
		return NULL;
	}
	for (p = res.body; *p; p++)
		if (starts_with_ci(p, "authorization"))
			*seen_header = 1;
	p = strstr(res.body, "Bearer ");
	if (!p) {
		snprintf(why, why_len, "the echo has %s Authorization header and no \"Bearer \"",
		         *seen_header ? "an" : "no");
		http_result_free(&res);
		return NULL;
	}
	p += 7;
	while (*p && *p != '"' && *p != '\\' && *p != ' ' && *p != '\r' && *p != '\n' &&
	       n < sizeof(token) - 1)
		token[n++] = *p++;
	token[n] = '\0';
	http_result_free(&res);
	if (n < 6 || token[0] == '[' || token[0] == '*' || strstr(token, "REDACTED") ||
	    strstr(token, "redacted") || strstr(token, "secret:")) {
		snprintf(why, why_len, "the echo shows the token redacted as \"%.40s\"", token);
		return NULL;
	}
	snprintf(why, why_len, "read back from the echo");
	return token;
}

const char *learn_secret(const char **how)
{
	char why[512];
	int seen;
	const char *v = secret_readback(&seen, why, sizeof(why));

	if (v) {
		*how = "read back from the bound host's /echo";
		return v;
	}
	note("readback failed (%s); using the value from the input", why);
	*how = "given in the input";
	return input_need("leak");
}
