/*
 * boxagent.c - the SDK's tool plumbing: input, arguments, results and
 * errors, logs, guest paths, globs, and HTTP through the host's
 * "boxagent" import module (docs/tool-abi.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "boxagent.h"

/* ---------------------------------------------------------------- errors */

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

void bx_verror(const char *fmt, va_list ap)
{
	/* bx_error can be reached again from inside itself (out of memory
	 * while building the message): then a fixed text is the best left. */
	static int depth;
	if (depth++) {
		fflush(stdout);
		write_all(1, "{\"error\":\"out of memory\"}\n", 26);
		_Exit(1);
	}
	bx_buf msg = {0};
	char small[512];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= 0 && (size_t)n < sizeof(small)) {
		bx_buf_append(&msg, small, (size_t)n);
	} else if (n >= 0) {
		/* A message longer than 64 KiB says nothing more useful. */
		size_t cap = (size_t)n + 1 < 65536 ? (size_t)n + 1 : 65536;
		char *big = bx_malloc(cap);
		vsnprintf(big, cap, fmt, ap2);
		bx_buf_puts(&msg, big);
		free(big);
	}
	va_end(ap2);
	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_key(o, "error");
	bx_out_string_n(o, msg.data ? msg.data : "", msg.len);
	bx_out_end_object(o);
	size_t len;
	const char *text = bx_out_text(o, &len);
	fflush(stdout);
	write_all(1, text, len);
	write_all(1, "\n", 1);
	exit(1);
}

void bx_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bx_verror(fmt, ap);
	/* not reached */
}

void bx_result(const char *json)
{
	fflush(stdout);
	write_all(1, json, strlen(json));
	write_all(1, "\n", 1);
	exit(0);
}

void bx_result_out(bx_out *o)
{
	size_t len;
	const char *text = bx_out_text(o, &len);
	fflush(stdout);
	write_all(1, text, len);
	write_all(1, "\n", 1);
	exit(0);
}

void bx_log(int level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	const char *name = level >= 0 && level <= BX_LOG_ERROR ? names[level] : "log";
	char line[2048];
	int n = snprintf(line, sizeof(line), "[%s] ", name);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n;
	if (m > 0)
		len += (size_t)m < sizeof(line) - (size_t)n - 1 ? (size_t)m
		                                                : sizeof(line) - (size_t)n - 2;
	line[len++] = '\n';
	write_all(2, line, len);
}

/* ---------------------------------------------------------------- input */

/* "an array", "a string", "null" - for messages. */
static const char *a_type(bx_type t)
{
	switch (t) {
	case BX_NULL:
		return "null";
	case BX_BOOL:
		return "a boolean";
	case BX_NUMBER:
		return "a number";
	case BX_STRING:
		return "a string";
	case BX_ARRAY:
		return "an array";
	case BX_OBJECT:
		return "an object";
	}
	return "?";
}

char *bx_read_stdin(size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *data = bx_malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(data);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			data = bx_realloc(data, cap + 1);
		}
		ssize_t r = read(0, data + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(data);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(data);
			errno = EFBIG;
			return NULL;
		}
	}
	data[n] = '\0';
	*len = n;
	return data;
}

bx_json *bx_input(void)
{
	size_t len;
	char *text = bx_read_stdin(BX_INPUT_MAX, &len);
	if (!text) {
		if (errno == EFBIG)
			bx_error("input is larger than %u MiB", BX_INPUT_MAX >> 20);
		bx_error("cannot read the input: %s", strerror(errno));
	}
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i == len) {
		free(text);
		return bx_json_parse("{}", 2, NULL, 0);
	}
	char err[256];
	bx_json *in = bx_json_parse(text, len, err, sizeof(err));
	free(text);
	if (!in)
		bx_error("input is not valid JSON: %s", err);
	if (bx_json_type(in) != BX_OBJECT)
		bx_error("input must be a JSON object, not %s", a_type(bx_json_type(in)));
	return in;
}

void bx_check_fields(const bx_json *obj, ...)
{
	for (size_t i = 0; i < bx_json_len(obj); i++) {
		const char *key = bx_json_key_at(obj, i);
		bool known = false;
		va_list ap;
		va_start(ap, obj);
		for (const char *name; (name = va_arg(ap, const char *));)
			if (strcmp(name, key) == 0)
				known = true;
		va_end(ap);
		if (known)
			continue;
		bx_buf list = {0};
		va_start(ap, obj);
		for (const char *name; (name = va_arg(ap, const char *));) {
			if (list.len)
				bx_buf_puts(&list, ", ");
			bx_buf_puts(&list, name);
		}
		va_end(ap);
		bx_error("unknown field \"%s\" (this tool takes: %s)", key,
		         list.len ? list.data : "no fields");
	}
}

/* The member, or NULL when missing or null ("not given"). */
static const bx_json *member(const bx_json *obj, const char *key)
{
	const bx_json *v = bx_json_get(obj, key);
	return bx_json_type(v) == BX_NULL ? NULL : v;
}

BX_NORETURN static void wrong_type(const char *key, const char *want, const bx_json *v)
{
	bx_error("field \"%s\" must be %s, not %s", key, want, a_type(bx_json_type(v)));
}

const char *bx_arg_string_opt(const bx_json *obj, const char *key, const char *def)
{
	const bx_json *v = member(obj, key);
	if (!v)
		return def;
	if (bx_json_type(v) != BX_STRING)
		wrong_type(key, "a string", v);
	return bx_json_string(v);
}

const char *bx_arg_string(const bx_json *obj, const char *key)
{
	const char *s = bx_arg_string_opt(obj, key, NULL);
	if (!s)
		bx_error("missing required field \"%s\" (a string)", key);
	return s;
}

const char *bx_arg_name(const bx_json *obj, const char *key)
{
	const char *s = bx_arg_string(obj, key);
	const bx_json *v = bx_json_get(obj, key);
	if (bx_json_string_len(v) == 0)
		bx_error("field \"%s\" must not be empty", key);
	if (strlen(s) != bx_json_string_len(v))
		bx_error("field \"%s\" contains a NUL character", key);
	return s;
}

bool bx_arg_bool_opt(const bx_json *obj, const char *key, bool def)
{
	const bx_json *v = member(obj, key);
	if (!v)
		return def;
	if (bx_json_type(v) != BX_BOOL)
		wrong_type(key, "a boolean (true or false)", v);
	return bx_json_bool(v, def);
}

int64_t bx_arg_int_opt(const bx_json *obj, const char *key, int64_t def, int64_t min, int64_t max)
{
	const bx_json *v = member(obj, key);
	if (!v)
		return def;
	if (bx_json_type(v) != BX_NUMBER)
		wrong_type(key, "an integer", v);
	int64_t n;
	if (!bx_json_is_int(v, &n))
		bx_error("field \"%s\" must be an integer, got %g", key, bx_json_number(v, 0));
	if (n < min || n > max)
		bx_error("field \"%s\" must be between %lld and %lld, got %lld", key,
		         (long long)min, (long long)max, (long long)n);
	return n;
}

const bx_json *bx_arg_object_opt(const bx_json *obj, const char *key)
{
	const bx_json *v = member(obj, key);
	if (v && bx_json_type(v) != BX_OBJECT)
		wrong_type(key, "an object", v);
	return v;
}

const bx_json *bx_arg_array_opt(const bx_json *obj, const char *key)
{
	const bx_json *v = member(obj, key);
	if (v && bx_json_type(v) != BX_ARRAY)
		wrong_type(key, "an array", v);
	return v;
}

/* ---------------------------------------------------------------- paths */

const char *bx_path_resolve(const char *in, size_t in_len, char *out, size_t out_cap)
{
	if (in_len == 0)
		return "path is empty";
	if (memchr(in, '\0', in_len))
		return "path contains a NUL character";
	if (out_cap < 2)
		return "path is too long";
	/* Join with the workspace for relative paths, then normalise in
	 * place: segments are appended one by one, ".." pops one. */
	size_t n = 1;
	out[0] = '/';
	const char *prefix = in[0] == '/' ? "" : BX_WORKSPACE;
	for (int part = 0; part < 2; part++) {
		const char *s = part == 0 ? prefix : in;
		size_t len = part == 0 ? strlen(prefix) : in_len;
		size_t i = 0;
		while (i < len) {
			while (i < len && s[i] == '/')
				i++;
			size_t start = i;
			while (i < len && s[i] != '/')
				i++;
			size_t seg = i - start;
			if (seg == 0 || (seg == 1 && s[start] == '.'))
				continue;
			if (seg == 2 && s[start] == '.' && s[start + 1] == '.') {
				while (n > 1 && out[n - 1] != '/')
					n--;
				if (n > 1)
					n--; /* the slash before the popped segment */
				continue;
			}
			if (n + (n > 1) + seg + 1 > out_cap || n + seg + 1 > BX_PATH_MAX)
				return "path is too long";
			if (n > 1)
				out[n++] = '/';
			memcpy(out + n, s + start, seg);
			n += seg;
		}
	}
	out[n] = '\0';
	return NULL;
}

const char *bx_path_display(const char *path)
{
	size_t w = strlen(BX_WORKSPACE);
	if (strncmp(path, BX_WORKSPACE, w) != 0)
		return path;
	if (path[w] == '\0')
		return ".";
	if (path[w] == '/')
		return path + w + 1;
	return path;
}

const char *bx_errno_text(int err)
{
#ifdef ENOTCAPABLE
	if (err == ENOTCAPABLE)
		return "not permitted (the tool has no capability for this path)";
#endif
	if (err == EACCES || err == EPERM)
		return "permission denied";
	if (err == EROFS)
		return "read-only (the tool may only read here)";
	return strerror(err);
}

/* ---------------------------------------------------------------- globs */

/* Matches one path segment s[0..sn) against pattern p[0..pn) (no '/'). */
static bool seg_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0;
	size_t star_p = (size_t)-1, star_s = 0;
	while (si < sn) {
		if (pi < pn) {
			char c = p[pi];
			if (c == '*') {
				while (pi < pn && p[pi] == '*')
					pi++;
				star_p = pi;
				star_s = si;
				continue;
			}
			if (c == '?') {
				pi++;
				si++;
				continue;
			}
			if (c == '[') {
				size_t j = pi + 1;
				bool negate = false;
				if (j < pn && (p[j] == '!' || p[j] == '^')) {
					negate = true;
					j++;
				}
				bool matched = false, closed = false;
				size_t first = j;
				while (j < pn) {
					if (p[j] == ']' && j > first) {
						closed = true;
						break;
					}
					char lo = p[j], hi = p[j];
					if (j + 2 < pn && p[j + 1] == '-' && p[j + 2] != ']') {
						hi = p[j + 2];
						j += 3;
					} else {
						j++;
					}
					if ((unsigned char)s[si] >= (unsigned char)lo &&
					    (unsigned char)s[si] <= (unsigned char)hi)
						matched = true;
				}
				if (closed) {
					if (matched != negate) {
						pi = j + 1;
						si++;
						continue;
					}
					goto backtrack;
				}
				/* An unclosed '[' is a literal. */
			}
			if (c == '\\' && pi + 1 < pn) {
				pi++;
				c = p[pi];
			}
			if (c == s[si]) {
				pi++;
				si++;
				continue;
			}
		}
	backtrack:
		if (star_p == (size_t)-1)
			return false;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Next segment of s at *i: sets start/len, returns false at the end. */
static bool next_seg(const char *s, size_t *i, size_t *start, size_t *len)
{
	while (s[*i] == '/')
		(*i)++;
	if (!s[*i])
		return false;
	*start = *i;
	while (s[*i] && s[*i] != '/')
		(*i)++;
	*len = *i - *start;
	return true;
}

/* Matches the rest of pattern p (from pi) against the rest of s (from si),
 * segment by segment; "**" takes any number of path segments. */
static bool path_match(const char *p, size_t pi, const char *s, size_t si, int depth)
{
	size_t ps, pl, ss, sl;
	if (depth > 64)
		return false;
	for (;;) {
		if (!next_seg(p, &pi, &ps, &pl)) {
			size_t tmp = si;
			return !next_seg(s, &tmp, &ss, &sl);
		}
		if (pl == 2 && p[ps] == '*' && p[ps + 1] == '*') {
			/* Collapse runs of "**" segments, then try every split. */
			size_t after = pi;
			size_t q = pi, qs, ql;
			while (next_seg(p, &q, &qs, &ql) && ql == 2 && p[qs] == '*' &&
			       p[qs + 1] == '*')
				after = q;
			size_t tmp = after;
			if (!next_seg(p, &tmp, &qs, &ql))
				return true; /* trailing "**" matches everything */
			size_t k = si;
			for (;;) {
				if (path_match(p, after, s, k, depth + 1))
					return true;
				if (!next_seg(s, &k, &ss, &sl))
					return false;
			}
		}
		if (!next_seg(s, &si, &ss, &sl))
			return false;
		if (!seg_match(p + ps, pl, s + ss, sl))
			return false;
	}
}

bool bx_glob_match(const char *pattern, const char *path)
{
	/* A leading "./" adds nothing: the paths matched never start with it. */
	while (pattern[0] == '.' && pattern[1] == '/')
		pattern += 2;
	if (!strchr(pattern, '/')) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		return seg_match(pattern, strlen(pattern), base, strlen(base));
	}
	return path_match(pattern, 0, path, 0, 0);
}

/* ---------------------------------------------------------------- HTTP */

static char last_error_text[2048];

static void set_last_error(const char *msg)
{
	snprintf(last_error_text, sizeof(last_error_text), "%s", msg);
}

const char *bx_last_error(void)
{
	return last_error_text;
}

const char *bx_status_name(int status)
{
	switch (status) {
	case BX_OK:
		return "ok";
	case BX_DENIED:
		return "denied";
	case BX_INVALID:
		return "invalid request";
	case BX_FAILED:
		return "network error";
	case BX_TOO_LARGE:
		return "too large";
	case BX_TIMEOUT:
		return "timed out";
	case BX_FAULT:
		return "bad pointer";
	case BX_LIMIT:
		return "limit reached";
	}
	return "unknown status";
}

#if defined(__wasm__)
#define BX_IMPORT(name) __attribute__((import_module("boxagent"), import_name(name)))

BX_IMPORT("http_request")
int32_t bx__http_request(const char *method, int32_t method_len, const char *url, int32_t url_len,
                         const char *headers, int32_t headers_len, const void *body,
                         int32_t body_len, int32_t *handle_out);
BX_IMPORT("http_status") int32_t bx__http_status(int32_t handle);
BX_IMPORT("http_headers")
int32_t bx__http_headers(int32_t handle, char *buf, int32_t buf_cap, int32_t *len_out);
BX_IMPORT("http_read")
int32_t bx__http_read(int32_t handle, void *buf, int32_t buf_cap, int32_t *n_out);
BX_IMPORT("http_close") int32_t bx__http_close(int32_t handle);
BX_IMPORT("last_error") int32_t bx__last_error(char *buf, int32_t buf_cap, int32_t *len_out);

/* Fetches the host's reason for the last failed call. */
static int host_failed(int status, const char *what)
{
	int32_t len = 0;
	if (bx__last_error(last_error_text, (int32_t)sizeof(last_error_text) - 1, &len) != BX_OK)
		len = 0;
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(last_error_text))
		len = (int32_t)sizeof(last_error_text) - 1;
	last_error_text[len] = '\0';
	if (!len)
		snprintf(last_error_text, sizeof(last_error_text), "%s: %s", what,
		         bx_status_name(status));
	return status;
}
#else
/* Native builds (unit checks on the build machine) have no host. */
static int32_t bx__http_request(const char *method, int32_t method_len, const char *url,
                                int32_t url_len, const char *headers, int32_t headers_len,
                                const void *body, int32_t body_len, int32_t *handle_out)
{
	(void)method, (void)method_len, (void)url, (void)url_len, (void)headers, (void)headers_len,
	        (void)body, (void)body_len, (void)handle_out;
	return BX_INVALID;
}
static int32_t bx__http_status(int32_t h)
{
	(void)h;
	return -BX_INVALID;
}
static int32_t bx__http_headers(int32_t h, char *b, int32_t c, int32_t *l)
{
	(void)h, (void)b, (void)c, (void)l;
	return BX_INVALID;
}
static int32_t bx__http_read(int32_t h, void *b, int32_t c, int32_t *n)
{
	(void)h, (void)b, (void)c, (void)n;
	return BX_INVALID;
}
static int32_t bx__http_close(int32_t h)
{
	(void)h;
	return BX_INVALID;
}
static int host_failed(int status, const char *what)
{
	snprintf(last_error_text, sizeof(last_error_text),
	         "%s: HTTP is only available inside boxagent", what);
	return status;
}
#endif

void bx_http_response_free(bx_http_response *resp)
{
	if (!resp)
		return;
	free(resp->headers);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

int bx_http_capped(const char *method, const char *url, const char *headers, const void *body,
                   size_t body_len, size_t max_body, bx_http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	last_error_text[0] = '\0';
	if (!headers)
		headers = "";
	if (!body)
		body_len = 0;
	size_t method_len = strlen(method), url_len = strlen(url), headers_len = strlen(headers);
	/* Lengths travel as i32; the host caps them far lower anyway. */
	if (method_len > INT32_MAX || url_len > INT32_MAX || headers_len > INT32_MAX ||
	    body_len > INT32_MAX) {
		set_last_error("request is too large");
		return BX_TOO_LARGE;
	}
	int32_t handle = 0;
	int st = bx__http_request(method, (int32_t)method_len, url, (int32_t)url_len, headers,
	                          (int32_t)headers_len, body, (int32_t)body_len, &handle);
	if (st != BX_OK)
		return host_failed(st, "request failed");

	int32_t status = bx__http_status(handle);
	if (status < 0) {
		st = host_failed(-status, "cannot read the status");
		bx__http_close(handle);
		return st;
	}
	resp->status = status;

	/* Headers: try a small buffer, retry once with the full length. */
	size_t cap = 4096;
	for (int attempt = 0; attempt < 2; attempt++) {
		int32_t len = 0;
		free(resp->headers);
		resp->headers = bx_malloc(cap + 1);
		st = bx__http_headers(handle, resp->headers, (int32_t)cap, &len);
		if (st != BX_OK) {
			st = host_failed(st, "cannot read the headers");
			goto fail;
		}
		if (len < 0)
			len = 0;
		if ((size_t)len <= cap) {
			resp->headers_len = (size_t)len;
			break;
		}
		if ((size_t)len > BX_HTTP_MAX_HEADERS) {
			set_last_error("response headers are larger than 1 MiB");
			st = BX_TOO_LARGE;
			goto fail;
		}
		cap = (size_t)len;
		resp->headers_len = 0;
	}
	resp->headers[resp->headers_len] = '\0';

	/* Body: read in chunks up to max_body, then probe for more. */
	size_t body_cap = 0;
	for (;;) {
		if (resp->body_len == max_body) {
			char probe;
			int32_t n = 0;
			st = bx__http_read(handle, &probe, 1, &n);
			if (st != BX_OK) {
				st = host_failed(st, "cannot read the body");
				goto fail;
			}
			resp->truncated = n > 0;
			break;
		}
		if (resp->body_len == body_cap) {
			size_t grow = body_cap ? body_cap : 16384;
			if (grow > max_body - body_cap)
				grow = max_body - body_cap;
			body_cap += grow;
			resp->body = bx_realloc(resp->body, body_cap + 1);
		}
		size_t want = body_cap - resp->body_len;
		if (want > (1u << 20))
			want = 1u << 20;
		int32_t n = 0;
		st = bx__http_read(handle, resp->body + resp->body_len, (int32_t)want, &n);
		if (st != BX_OK) {
			st = host_failed(st, "cannot read the body");
			goto fail;
		}
		if (n <= 0)
			break;
		if ((size_t)n > want)
			n = (int32_t)want; /* never trust the host's count blindly */
		resp->body_len += (size_t)n;
	}
	if (!resp->body)
		resp->body = bx_malloc(1);
	resp->body[resp->body_len] = '\0';
	bx__http_close(handle);
	return BX_OK;
fail:
	bx__http_close(handle);
	bx_http_response_free(resp);
	return st;
}

int bx_http(const char *method, const char *url, const char *headers, const void *body,
            size_t body_len, bx_http_response *resp)
{
	return bx_http_capped(method, url, headers, body, body_len, BX_HTTP_MAX_BODY, resp);
}

char *bx_http_header(const bx_http_response *resp, const char *name)
{
	if (!resp->headers)
		return NULL;
	size_t name_len = strlen(name);
	bx_buf out = {0};
	bool found = false;
	const char *s = resp->headers, *end = resp->headers + resp->headers_len;
	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		const char *colon = memchr(s, ':', (size_t)(eol - s));
		if (colon && (size_t)(colon - s) == name_len &&
		    strncasecmp(s, name, name_len) == 0) {
			const char *v = colon + 1;
			const char *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			if (found)
				bx_buf_puts(&out, ", ");
			bx_buf_append(&out, v, (size_t)(ve - v));
			found = true;
		}
		s = eol + 1;
	}
	return found ? out.data : NULL;
}
