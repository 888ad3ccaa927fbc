/*
 * egress.c - the network chokepoint (egress.h has the pipeline).
 *
 * Design notes:
 *   - Decisions are made on the parsed URL (url.h), never on the tool's
 *     text; libcurl is handed the canonical form, the addresses we checked
 *     (CURLOPT_RESOLVE) and an open-socket callback that refuses every
 *     other address, so a second DNS answer (rebinding) or a libcurl
 *     surprise cannot reach somewhere the checks did not see.
 *   - libcurl never follows redirects, never uses a proxy, a cookie
 *     engine or .netrc; each hop is a fresh easy handle with its own
 *     checks, audit record and secret headers.
 *   - libcurl is loaded with dlopen on the first request: most tools never
 *     touch the network and should not pay for its start-up. Everything is
 *     called through function pointers; <curl/curl.h> is used for types
 *     and constants only.
 *   - Secret values exist here only in the header lines handed to libcurl;
 *     those buffers are wiped before they are freed. Messages and audit
 *     records name secrets, never their values, and everything recorded
 *     goes through ba_secrets_redact as a last line of defence.
 */
#include "sandbox/egress.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/curl_lib.h"
#include "core/version.h"
#include "sandbox/addr.h"
#include "sandbox/url.h"

#define DEFAULT_MAX_REQUEST   (8u * 1024 * 1024)
#define DEFAULT_MAX_RESPONSE  (16u * 1024 * 1024)
#define DEFAULT_MAX_REDIRECTS 5u
#define MAX_REDIRECTS_CAP     20u /* a config asking for more gets this */
#define DEFAULT_TIMEOUT_NS    (30ull * 1000000000ull)
#define HEADER_LINE_MAX       8192 /* one tool-supplied header line     */
#define HEADER_COUNT_MAX      100  /* tool-supplied header lines        */
#define ADDRS_MAX             16   /* addresses pinned per hop          */
#define WHY_MAX               2048 /* internal reason buffer            */

/* ------------------------------------------------------------- libcurl */

/* libcurl is loaded on demand (core/curl_lib.h); set by ba_egress_fetch
 * before any request is built, so the helpers below can use it. */
static const ba_curl_api *curl_api;
#define curl_fn (*curl_api)

/* ---------------------------------------------------------------- basics */

/* Denials recorded per egress handle (one tool run); past this one
 * "limit" record says the rest were refused but not recorded, so a tool
 * looping on denied requests cannot fill the operator's disk. Allows need
 * a real request each, which the timeout already bounds. */
#define MAX_DENY_RECORDS 1000

struct ba_egress {
	ba_egress_config cfg;
	unsigned denies_recorded;
};

ba_egress *ba_egress_new(const ba_egress_config *config)
{
	ba_egress *e;

	if (!config)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *config;
	if (!e->cfg.max_request_bytes)
		e->cfg.max_request_bytes = DEFAULT_MAX_REQUEST;
	if (!e->cfg.max_response_bytes)
		e->cfg.max_response_bytes = DEFAULT_MAX_RESPONSE;
	if (!e->cfg.max_redirects)
		e->cfg.max_redirects = DEFAULT_MAX_REDIRECTS;
	if (e->cfg.max_redirects > MAX_REDIRECTS_CAP)
		e->cfg.max_redirects = MAX_REDIRECTS_CAP;
	if (!e->cfg.timeout_ns)
		e->cfg.timeout_ns = DEFAULT_TIMEOUT_NS;
	if (e->cfg.static_host_count > BA_EGRESS_STATIC_HOSTS_MAX)
		e->cfg.static_host_count = BA_EGRESS_STATIC_HOSTS_MAX;
	if (!e->cfg.static_hosts)
		e->cfg.static_host_count = 0;
	return e;
}

void ba_egress_free(ba_egress *egress)
{
	free(egress);
}

void ba_egress_response_release(ba_egress_response *resp)
{
	if (!resp)
		return;
	ba_buf_release(&resp->headers);
	ba_buf_release(&resp->body);
}

const char *ba_egress_result_name(ba_egress_result result)
{
	switch (result) {
	case BA_EGRESS_OK:
		return "OK";
	case BA_EGRESS_DENIED:
		return "DENIED";
	case BA_EGRESS_INVALID:
		return "INVALID";
	case BA_EGRESS_FAILED:
		return "FAILED";
	case BA_EGRESS_TOO_LARGE:
		return "TOO_LARGE";
	case BA_EGRESS_TIMEOUT:
		return "TIMEOUT";
	}
	return "UNKNOWN";
}

/* ------------------------------------------------------- one fetch's state */

struct tool_header {
	const char *name; /* into fetch.header_copy */
	size_t name_len;
	const char *value;
};

struct fetch {
	ba_egress *eg;
	const ba_egress_config *cfg;
	const char *tool;
	char why[WHY_MAX];
	/* tool headers, parsed once */
	char *header_copy;
	struct tool_header headers[HEADER_COUNT_MAX];
	size_t header_count;
	/* the current hop */
	const char *method;
	const void *body;
	size_t body_len;
	ba_url *url;
	ba_url *first;
	uint64_t end_ns;
};

static void set_why(struct fetch *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_why(struct fetch *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

/* Writes one audit record; every string goes through redaction first.
 * Returns 0, or -1 (and says so in f->why) when the log could not be
 * written. */
static int record(struct fetch *f, bool allowed, const char *capability, const char *target,
                  const char *address, int64_t bytes, const char *reason)
{
	static const size_t cap = BA_AUDIT_LINE_MAX;
	char *t, *r;
	ba_audit_event ev;
	int rc;

	if (!f->cfg->audit)
		return 0;
	if (!allowed && f->eg->denies_recorded >= MAX_DENY_RECORDS) {
		if (f->eg->denies_recorded++ > MAX_DENY_RECORDS)
			return 0;
		/* Exactly once: say that recording stops, then stop. */
		ev = (ba_audit_event){
		        .tool = f->cfg->tool_name,
		        .allowed = false,
		        .capability = "limit",
		        .target = "network",
		        .bytes = -1,
		        .reason = "more than 1000 network denials in this run; further denials are "
		                  "refused but not recorded",
		};
		if (ba_audit_record(f->cfg->audit, &ev) != 0) {
			set_why(f, "the audit log could not be written; the request was not made");
			return -1;
		}
		return 0;
	}
	if (!allowed)
		f->eg->denies_recorded++;
	t = malloc(cap);
	r = malloc(cap);
	if (!t || !r) {
		free(t);
		free(r);
		set_why(f, "out of memory writing the audit log; the request was not made");
		return -1;
	}
	ba_secrets_redact(f->cfg->secrets, target ? target : "", t, cap);
	ba_secrets_redact(f->cfg->secrets, reason ? reason : "", r, cap);
	ev = (ba_audit_event){
	        .tool = f->cfg->tool_name, /* f->tool is wording for messages */
	        .allowed = allowed,
	        .capability = capability,
	        .target = t,
	        .address = address,
	        .bytes = bytes,
	        .reason = r,
	};
	rc = ba_audit_record(f->cfg->audit, &ev);
	free(t);
	free(r);
	if (rc != 0) {
		const char *e = ba_audit_error(f->cfg->audit);
		set_why(f, "the audit log could not be written (%s); the request was not made",
		        e ? e : "I/O error");
		return -1;
	}
	return 0;
}

/* Records a deny with f->why as the reason and returns result. An audit
 * failure is appended to the reason; the request is refused either way. */
static ba_egress_result deny(struct fetch *f, ba_egress_result result, const char *capability,
                             const char *target, const char *address)
{
	char saved[WHY_MAX];

	memcpy(saved, f->why, sizeof(saved));
	if (record(f, false, capability, target, address, -1, saved) != 0) {
		char audit_err[WHY_MAX];
		memcpy(audit_err, f->why, sizeof(audit_err));
		snprintf(f->why, sizeof(f->why), "%.1000s; also: %.900s", saved, audit_err);
	}
	return result;
}

/* -------------------------------------------------------- request checks */

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

static bool method_ok(const char *method)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i]) == 0)
			return true;
	return false;
}

/* Splits the tool's header block into names and values, refusing
 * anything that could end a header line early or that the host owns. */
static ba_egress_result parse_tool_headers(struct fetch *f, const char *text, size_t len)
{
	size_t pos = 0;

	if (!text || len == 0)
		return BA_EGRESS_OK;
	if (len > BA_EGRESS_MAX_HEADERS_BYTES) {
		set_why(f, "the request headers are %zu bytes; at most %d are allowed", len,
		        BA_EGRESS_MAX_HEADERS_BYTES);
		return BA_EGRESS_TOO_LARGE;
	}
	if (memchr(text, '\0', len)) {
		set_why(f, "the request headers contain a NUL byte");
		return BA_EGRESS_INVALID;
	}
	f->header_copy = malloc(len + 1);
	if (!f->header_copy) {
		set_why(f, "out of memory");
		return BA_EGRESS_FAILED;
	}
	memcpy(f->header_copy, text, len);
	f->header_copy[len] = '\0';

	while (pos < len) {
		char *line = f->header_copy + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;
		char *colon, *value, *end;

		pos += line_len + (nl ? 1 : 0);
		line[line_len] = '\0';
		if (line_len && line[line_len - 1] == '\r')
			line[--line_len] = '\0';
		if (line_len == 0)
			continue;
		if (line_len > HEADER_LINE_MAX) {
			set_why(f, "a request header line is %zu bytes; at most %d are allowed",
			        line_len, HEADER_LINE_MAX);
			return BA_EGRESS_INVALID;
		}
		if (f->header_count == HEADER_COUNT_MAX) {
			set_why(f, "more than %d request headers", HEADER_COUNT_MAX);
			return BA_EGRESS_INVALID;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			set_why(f,
			        "request header line \"%.80s\" starts with whitespace (folded "
			        "headers are not allowed)",
			        line);
			return BA_EGRESS_INVALID;
		}
		colon = strchr(line, ':');
		if (!colon || colon == line) {
			set_why(f, "request header line \"%.80s\" is not \"Name: value\"", line);
			return BA_EGRESS_INVALID;
		}
		for (const char *p = line; p < colon; p++)
			if (!ba_secrets__is_tchar((unsigned char)*p)) {
				set_why(f,
				        "request header name \"%.*s\" has a character that is not "
				        "allowed in header names",
				        (int)(colon - line > 80 ? 80 : colon - line), line);
				return BA_EGRESS_INVALID;
			}
		if (ba_secrets__header_reserved(line, (size_t)(colon - line))) {
			set_why(f,
			        "request header %.*s may not be set by a tool: the host sets Host, "
			        "Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, "
			        "TE, Trailer and Proxy-* itself",
			        (int)(colon - line > 80 ? 80 : colon - line), line);
			return BA_EGRESS_INVALID;
		}
		value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		end = line + line_len;
		while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		for (const char *p = value; *p; p++) {
			unsigned char c = (unsigned char)*p;
			/* A lone CR would end the line for some servers:
			 * header injection. Other controls are refused too. */
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				set_why(f,
				        "request header %.*s contains a control character (CR, LF "
				        "or similar); header injection is refused",
				        (int)(colon - line > 80 ? 80 : colon - line), line);
				return BA_EGRESS_INVALID;
			}
		}
		*colon = '\0';
		f->headers[f->header_count].name = line;
		f->headers[f->header_count].name_len = (size_t)(colon - line);
		f->headers[f->header_count].value = value;
		f->header_count++;
	}
	return BA_EGRESS_OK;
}

/* The tool's own credentials stay with the origin it gave them to, as
 * browsers and curl do: on a hop to another origin they are not sent. */
static bool header_dropped(const struct tool_header *h, bool cross_origin)
{
	return cross_origin &&
	       (strcasecmp(h->name, "authorization") == 0 || strcasecmp(h->name, "cookie") == 0);
}

/* Does the tool send header `name` on this hop? */
static bool tool_has_header(const struct fetch *f, const char *name, size_t len, bool cross_origin)
{
	for (size_t i = 0; i < f->header_count; i++)
		if (f->headers[i].name_len == len &&
		    strncasecmp(f->headers[i].name, name, len) == 0 &&
		    !header_dropped(&f->headers[i], cross_origin))
			return true;
	return false;
}

/* "network:http://host:port/path" with the port always written, for
 * messages that tell the model (and operator) which grant would help. */
static void cap_text_for(const ba_url *u, char *out, size_t out_len)
{
	const char *q = strchr(u->path, '?');
	int path_len = (int)(q ? (size_t)(q - u->path) : strlen(u->path));
	bool v6 = u->is_ip && u->family == AF_INET6;

	snprintf(out, out_len, "network:%s://%s%s%s:%u%.*s", u->scheme, v6 ? "[" : "", u->host,
	         v6 ? "]" : "", (unsigned)u->port, path_len > 200 ? 200 : path_len, u->path);
}

static bool same_origin(const ba_url *a, const ba_url *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
	       a->port == b->port;
}

/* ------------------------------------------------------------- resolving */

struct addrs {
	size_t count;
	struct sockaddr_storage ss[ADDRS_MAX];
	char text[ADDRS_MAX][INET6_ADDRSTRLEN];
};

static bool text_to_sockaddr(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;

	memset(ss, 0, sizeof(*ss));
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, text, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		memcpy(ss, &a4, sizeof(a4));
		return true;
	}
	if (inet_pton(AF_INET6, text, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(port);
		memcpy(ss, &a6, sizeof(a6));
		return true;
	}
	return false;
}

/* Same family and address (ports are compared by the caller). */
static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		struct sockaddr_in x, y;
		memcpy(&x, a, sizeof(x));
		memcpy(&y, b, sizeof(y));
		return x.sin_addr.s_addr == y.sin_addr.s_addr && x.sin_port == y.sin_port;
	}
	if (a->ss_family == AF_INET6) {
		struct sockaddr_in6 x, y;
		memcpy(&x, a, sizeof(x));
		memcpy(&y, b, sizeof(y));
		return memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0 &&
		       x.sin6_port == y.sin6_port;
	}
	return false;
}

static void addrs_add(struct addrs *a, const struct sockaddr_storage *ss)
{
	for (size_t i = 0; i < a->count; i++)
		if (same_address(&a->ss[i], ss))
			return;
	if (a->count == ADDRS_MAX)
		return; /* checked by the caller, just not pinned */
	a->ss[a->count] = *ss;
	ba_addr_format((const struct sockaddr *)ss, a->text[a->count], sizeof(a->text[0]));
	a->count++;
}

/* Is there a grant allowing this URL that names its host literally (the
 * IP literal itself, or "localhost")? Only such a grant may reach
 * non-public addresses. */
static bool literal_grant(const ba_capset *caps, const ba_url *u, const char *method)
{
	bool localhost = !u->is_ip && strcmp(u->host, "localhost") == 0;

	if (!u->is_ip && !localhost)
		return false;
	for (size_t i = 0; caps && i < caps->count; i++) {
		const ba_cap *c = &caps->caps[i];
		if (c->kind != BA_CAP_NETWORK || !ba_cap_allows_url(c, u, method))
			continue;
		if (u->is_ip && c->host_is_ip && strcmp(c->host, u->host) == 0)
			return true;
		if (localhost && strcmp(c->host, "localhost") == 0)
			return true;
	}
	return false;
}

/* Checks one address against the policy; false with f->why set. */
static bool address_allowed(struct fetch *f, const char *text, const struct sockaddr *sa,
                            bool literal)
{
	const ba_url *u = f->url;
	ba_addr_class cls = ba_addr_classify(sa);
	char grant[BA_URL_HOST_MAX + 64];

	if (cls == BA_ADDR_PUBLIC)
		return true;
	/* Nothing sensible listens on these; 0.0.0.0 even means "this host"
	 * to connect(), a loopback in disguise. Never reachable. */
	if (cls == BA_ADDR_UNSPECIFIED || cls == BA_ADDR_MULTICAST || cls == BA_ADDR_BROADCAST) {
		set_why(f, "address %s%s%s is %s; the sandbox never connects to %s addresses", text,
		        u->is_ip ? "" : " of ", u->is_ip ? "" : u->host, ba_addr_class_name(cls),
		        ba_addr_class_name(cls));
		return false;
	}
	if (literal && (u->is_ip || cls == BA_ADDR_LOOPBACK))
		return true;
	cap_text_for(u, grant, sizeof(grant));
	/* Only the scheme://host:port part is useful as a suggestion. */
	{
		char *slash = strchr(grant + strlen("network:") + strlen(u->scheme) + 3, '/');
		if (slash)
			*slash = '\0';
	}
	if (u->is_ip)
		set_why(f,
		        "address %s is %s; only a grant naming the literal address (e.g. %s) may "
		        "reach it",
		        text, ba_addr_class_name(cls), grant);
	else if (strcmp(u->host, "localhost") == 0)
		set_why(f,
		        "address %s of localhost is %s; only a grant naming localhost or the "
		        "literal address may reach it",
		        text, ba_addr_class_name(cls));
	else
		set_why(f,
		        "address %s of %s is %s; only a grant naming the literal address may "
		        "reach it",
		        text, u->host, ba_addr_class_name(cls));
	return false;
}

/* Resolves the hop's host and checks every address. Returns OK with a
 * filled list, or DENIED / FAILED with f->why set (and *bad naming the
 * offending address for the audit record). */
static ba_egress_result resolve_and_check(struct fetch *f, struct addrs *out, char *bad,
                                          size_t bad_len)
{
	const ba_url *u = f->url;
	bool literal = literal_grant(f->cfg->caps, u, f->method);
	const char *fixed[2] = {NULL, NULL};
	size_t fixed_count = 0;

	out->count = 0;
	bad[0] = '\0';
	if (u->is_ip) {
		fixed[fixed_count++] = u->host;
	} else {
		for (size_t i = 0; i < f->cfg->static_host_count; i++)
			if (strcasecmp(f->cfg->static_hosts[i].host, u->host) == 0) {
				fixed[fixed_count++] = f->cfg->static_hosts[i].address;
				break;
			}
		/* RFC 6761: localhost is loopback; do not ask /etc/hosts or
		 * DNS, which could say otherwise. */
		if (!fixed_count && strcmp(u->host, "localhost") == 0) {
			fixed[fixed_count++] = "127.0.0.1";
			fixed[fixed_count++] = "::1";
		}
	}

	if (fixed_count) {
		for (size_t i = 0; i < fixed_count; i++) {
			struct sockaddr_storage ss;
			if (!text_to_sockaddr(fixed[i], u->port, &ss)) {
				set_why(f,
				        "the static address \"%.64s\" for %s is not an IP address",
				        fixed[i], u->host);
				return BA_EGRESS_FAILED;
			}
			if (!address_allowed(f, fixed[i], (const struct sockaddr *)&ss, literal)) {
				snprintf(bad, bad_len, "%s", fixed[i]);
				return BA_EGRESS_DENIED;
			}
			addrs_add(out, &ss);
		}
		return BA_EGRESS_OK;
	}

	{
		struct addrinfo hints, *res = NULL;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(u->host, NULL, &hints, &res);
		if (rc != 0) {
			set_why(f, "could not resolve %s: %s", u->host,
			        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
			return BA_EGRESS_FAILED;
		}
		/* Every address must pass, not just the first: libcurl may
		 * try any of them. */
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			struct sockaddr_storage ss;
			char text[INET6_ADDRSTRLEN];

			if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
			    ai->ai_addrlen > sizeof(ss))
				continue;
			memset(&ss, 0, sizeof(ss));
			memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
			if (ss.ss_family == AF_INET) {
				struct sockaddr_in a4;
				memcpy(&a4, &ss, sizeof(a4));
				a4.sin_port = htons(u->port);
				memcpy(&ss, &a4, sizeof(a4));
			} else {
				struct sockaddr_in6 a6;
				memcpy(&a6, &ss, sizeof(a6));
				a6.sin6_port = htons(u->port);
				memcpy(&ss, &a6, sizeof(a6));
			}
			ba_addr_format((const struct sockaddr *)&ss, text, sizeof(text));
			if (!address_allowed(f, text, (const struct sockaddr *)&ss, literal)) {
				snprintf(bad, bad_len, "%s", text);
				freeaddrinfo(res);
				return BA_EGRESS_DENIED;
			}
			addrs_add(out, &ss);
		}
		freeaddrinfo(res);
	}
	if (!out->count) {
		set_why(f, "%s has no IPv4 or IPv6 address", u->host);
		return BA_EGRESS_FAILED;
	}
	return BA_EGRESS_OK;
}

/* --------------------------------------------------------------- transfer */

struct transfer {
	ba_egress_response *resp;
	bool body_too_large, headers_too_large;
	const struct addrs *pinned;
	bool pin_refused;
	char refused[INET6_ADDRSTRLEN];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb;

	if (ba_buf_append(&t->resp->body, data, n) != 0) {
		t->body_too_large = true;
		return 0; /* not n: libcurl aborts with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Keeps the header lines of the last response as "name: value\n" with the
 * name in lower case; a new status line (1xx interim responses come
 * first) starts over. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb, len = n, name_len;
	const char *colon, *value;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		ba_buf_reset(&t->resp->headers);
		return n;
	}
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0)
		return n;
	colon = memchr(data, ':', len);
	if (!colon || data[0] == ' ' || data[0] == '\t')
		return n; /* obsolete folding or junk: not kept */
	name_len = (size_t)(colon - data);
	value = colon + 1;
	while (value < data + len && (*value == ' ' || *value == '\t'))
		value++;
	{
		char lower[256];
		size_t shown = name_len < sizeof(lower) ? name_len : sizeof(lower) - 1;
		for (size_t i = 0; i < shown; i++) {
			char c = data[i];
			lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		if (ba_buf_append(&t->resp->headers, lower, shown) != 0 ||
		    ba_buf_append(&t->resp->headers, ": ", 2) != 0 ||
		    ba_buf_append(&t->resp->headers, value, (size_t)(data + len - value)) != 0 ||
		    ba_buf_append(&t->resp->headers, "\n", 1) != 0) {
			t->headers_too_large = true;
			return 0;
		}
	}
	return n;
}

/* The belt to CURLOPT_RESOLVE's braces: libcurl may connect only to an
 * address that was checked. */
static curl_socket_t on_open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct transfer *t = user;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (addr->addrlen <= sizeof(ss))
		memcpy(&ss, &addr->addr, addr->addrlen);
	if (purpose == CURLSOCKTYPE_IPCXN && addr->addrlen <= sizeof(ss)) {
		for (size_t i = 0; i < t->pinned->count; i++)
			if (same_address(&t->pinned->ss[i], &ss))
				return socket(addr->family, addr->socktype | SOCK_CLOEXEC,
				              addr->protocol);
	}
	t->pin_refused = true;
	ba_addr_format((const struct sockaddr *)&ss, t->refused, sizeof(t->refused));
	return CURL_SOCKET_BAD;
}

/* Wipes every line of a header list (it may hold secret values) and frees
 * it. */
static void slist_free_wiped(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	if (list)
		curl_fn.slist_free_all(list);
}

static bool slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_fn.slist_append(*list, line);
	if (!n)
		return false;
	*list = n;
	return true;
}

/*
 * Builds the header list for this hop: the tool's headers (minus
 * credentials on a cross-origin redirect), then the injected secrets. A
 * tool header with the name of an injected one is refused outright: the
 * tool may neither override a secret header nor send a second copy of it.
 * On failure f->why says why and *result what to return.
 */
static struct curl_slist *build_headers(struct fetch *f, ba_egress_result *result, char *injected,
                                        size_t injected_len)
{
	struct curl_slist *list = NULL;
	bool cross_origin = !same_origin(f->url, f->first);
	const ba_secrets *secrets = f->cfg->secrets;
	char *line = NULL;
	size_t line_cap = HEADER_LINE_MAX + BA_SECRET_VALUE_MAX + 600;
	size_t inj = 0;
	bool sent[BA_SECRET_MAX] = {false};

	*result = BA_EGRESS_FAILED;
	injected[0] = '\0';
	line = malloc(line_cap);
	if (!line) {
		set_why(f, "out of memory");
		return NULL;
	}

	for (size_t i = 0; i < f->header_count; i++) {
		const struct tool_header *h = &f->headers[i];
		if (header_dropped(h, cross_origin))
			continue;
		/* "Name;" is libcurl's spelling of an empty value ("Name:"
		 * would remove the header instead). */
		if (*h->value)
			snprintf(line, line_cap, "%s: %s", h->name, h->value);
		else
			snprintf(line, line_cap, "%s;", h->name);
		if (!slist_add(&list, line))
			goto oom;
	}
	if (!tool_has_header(f, "Expect", 6, cross_origin) && !slist_add(&list, "Expect:"))
		goto oom; /* no 100-continue round trip */

	for (size_t i = 0; secrets && i < secrets->count; i++) {
		const ba_secret *s = &secrets->items[i];
		const char *colon = strchr(s->header, ':');
		const char *hole = strstr(s->header, "{}");
		size_t name_len;
		bool bound = false, dup = false;
		int n;

		if (!colon || !hole || !ba_capset_has_name(f->cfg->caps, BA_CAP_SECRET, s->name))
			continue;
		for (size_t d = 0; d < s->dest_count && !bound; d++)
			bound = ba_cap_allows_url(&s->dests[d], f->url, f->method);
		if (!bound)
			continue;
		name_len = (size_t)(colon - s->header);
		if (tool_has_header(f, s->header, name_len, cross_origin)) {
			set_why(f,
			        "request header %.*s is set by the host for secret:%s on this "
			        "destination; a tool may not set it itself",
			        (int)name_len, s->header, s->name);
			*result = BA_EGRESS_DENIED;
			goto fail;
		}
		/* Two secrets for one header: the first one wins. */
		for (size_t j = 0; j < i; j++) {
			const char *other = secrets->items[j].header;
			const char *oc = strchr(other, ':');
			if (sent[j] && oc && (size_t)(oc - other) == name_len &&
			    strncasecmp(other, s->header, name_len) == 0)
				dup = true;
		}
		if (dup)
			continue;
		n = snprintf(line, line_cap, "%.*s%.*s%s", (int)(hole - s->header), s->header,
		             (int)s->value_len, s->value, hole + 2);
		if (n < 0 || (size_t)n >= line_cap || !slist_add(&list, line)) {
			explicit_bzero(line, line_cap);
			goto oom;
		}
		explicit_bzero(line, line_cap);
		sent[i] = true;
		n = snprintf(injected + inj, injected_len - inj, "%s%s", inj ? "," : "", s->name);
		if (n > 0 && (size_t)n < injected_len - inj)
			inj += (size_t)n;
	}
	free(line);
	*result = BA_EGRESS_OK;
	return list;

oom:
	set_why(f, "out of memory building request headers");
fail:
	free(line);
	slist_free_wiped(list);
	return NULL;
}

/* Sets an option, counting failures: one failed option fails the hop
 * (an option that silently did not apply could be a hole). */
#define SETOPT(h, opt, val)                                             \
	do {                                                            \
		if (curl_fn.easy_setopt((h), (opt), (val)) != CURLE_OK) \
			bad_opt = bad_opt ? bad_opt : #opt;             \
	} while (0)

/* Sends one hop. Returns OK with the status in resp, or an error with
 * f->why set. */
static ba_egress_result send_hop(struct fetch *f, const struct addrs *pinned,
                                 struct curl_slist *headers, ba_egress_response *resp)
{
	const ba_url *u = f->url;
	CURL *h;
	struct curl_slist *resolve = NULL;
	struct transfer t;
	char errbuf[CURL_ERROR_SIZE];
	char *resolve_line;
	size_t rl_cap = BA_URL_HOST_MAX + 16 + ADDRS_MAX * (INET6_ADDRSTRLEN + 3);
	const char *bad_opt = NULL;
	uint64_t now = ba_mono_ns();
	long remaining_ms, status = 0;
	CURLcode rc;

	if (now >= f->end_ns) {
		set_why(f, "the request to %s ran out of time before it was sent", u->canonical);
		return BA_EGRESS_TIMEOUT;
	}
	remaining_ms = (long)((f->end_ns - now + 999999) / 1000000);

	memset(&t, 0, sizeof(t));
	t.resp = resp;
	t.pinned = pinned;
	ba_buf_reset(&resp->headers);
	ba_buf_reset(&resp->body);
	errbuf[0] = '\0';

	h = curl_fn.easy_init();
	resolve_line = malloc(rl_cap);
	if (!h || !resolve_line) {
		if (h)
			curl_fn.easy_cleanup(h);
		free(resolve_line);
		set_why(f, "out of memory starting the request");
		return BA_EGRESS_FAILED;
	}
	/* host:port:addr,addr - IP literal hosts need no entry (libcurl does
	 * not resolve them); the socket callback still checks them. */
	if (!u->is_ip) {
		size_t o = 0;
		int n = snprintf(resolve_line, rl_cap, "%s:%u:", u->host, (unsigned)u->port);
		o = n > 0 ? (size_t)n : 0;
		for (size_t i = 0; i < pinned->count && o < rl_cap; i++) {
			bool v6 = pinned->ss[i].ss_family == AF_INET6;
			n = snprintf(resolve_line + o, rl_cap - o, "%s%s%s%s", i ? "," : "",
			             v6 ? "[" : "", pinned->text[i], v6 ? "]" : "");
			o += n > 0 ? (size_t)n : 0;
		}
		if (o >= rl_cap || !(resolve = curl_fn.slist_append(NULL, resolve_line))) {
			free(resolve_line);
			curl_fn.easy_cleanup(h);
			set_why(f, "out of memory starting the request");
			return BA_EGRESS_FAILED;
		}
	}
	free(resolve_line);

	SETOPT(h, CURLOPT_URL, u->canonical);
	SETOPT(h, CURLOPT_PATH_AS_IS, 1L); /* send exactly the path that was checked */
	if (resolve)
		SETOPT(h, CURLOPT_RESOLVE, resolve);
	SETOPT(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SETOPT(h, CURLOPT_OPENSOCKETDATA, &t);
	SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
	if (curl_fn.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_fn.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK)
#endif
	{
		/* A libcurl older than the header (7.85 added the _STR forms). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
		SETOPT(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#pragma GCC diagnostic pop
	}
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_TIMEOUT_MS, remaining_ms);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, remaining_ms);
	SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->cfg->max_response_bytes);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &t);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &t);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_USERAGENT, "boxagent/" BA_VERSION);
	SETOPT(h, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE);
	if (headers)
		SETOPT(h, CURLOPT_HTTPHEADER, headers);

	if (strcmp(f->method, "HEAD") == 0) {
		SETOPT(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(f->method, "GET") == 0 && f->body_len == 0) {
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	} else {
		/* POSTFIELDS sends the body with any method; CUSTOMREQUEST
		 * only changes the method word. */
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
		SETOPT(h, CURLOPT_POSTFIELDS, f->body_len ? (const char *)f->body : "");
		if (strcmp(f->method, "POST") != 0)
			SETOPT(h, CURLOPT_CUSTOMREQUEST, f->method);
	}

	if (bad_opt) {
		curl_fn.easy_cleanup(h);
		if (resolve)
			curl_fn.slist_free_all(resolve);
		set_why(f, "libcurl refused option %s; the request was not made", bad_opt);
		return BA_EGRESS_FAILED;
	}

	rc = curl_fn.easy_perform(h);
	curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_fn.easy_cleanup(h);
	if (resolve)
		curl_fn.slist_free_all(resolve);
	resp->status = (int)status;

	if (t.pin_refused && rc != CURLE_OK) {
		set_why(f, "the connection to %s was refused: address %s was not checked", u->host,
		        t.refused);
		return BA_EGRESS_DENIED;
	}
	if (t.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		set_why(f, "the response body from %s is larger than the limit of %zu bytes",
		        u->canonical, f->cfg->max_response_bytes);
		return BA_EGRESS_TOO_LARGE;
	}
	if (t.headers_too_large) {
		set_why(f, "the response headers from %s are larger than %d bytes", u->canonical,
		        BA_EGRESS_MAX_RESPONSE_HEADERS_BYTES);
		return BA_EGRESS_TOO_LARGE;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		set_why(f, "the request to %s timed out after %ld ms", u->canonical, remaining_ms);
		return BA_EGRESS_TIMEOUT;
	}
	if (rc != CURLE_OK) {
		set_why(f, "the request to %s failed: %s%s%s", u->canonical,
		        curl_fn.easy_strerror(rc), errbuf[0] ? ": " : "", errbuf);
		return BA_EGRESS_FAILED;
	}
	return BA_EGRESS_OK;
}

#undef SETOPT

/* The value of header `name` (lower case) in a "name: value\n" block. */
static bool find_header(const ba_buf *headers, const char *name, char *out, size_t out_len)
{
	size_t name_len = strlen(name);
	const char *p = headers->data;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > name_len + 1 && strncmp(p, name, name_len) == 0 && p[name_len] == ':') {
			const char *v = p + name_len + 1;
			while (*v == ' ')
				v++;
			if ((size_t)(p + len - v) >= out_len)
				return false;
			memcpy(out, v, (size_t)(p + len - v));
			out[p + len - v] = '\0';
			return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* ------------------------------------------------------------ the fetch */

/* The audit target for a request that carried a secret: never the URL
 * when the URL itself is what carried it. */
static void secret_target(struct fetch *f, const char *url_text, bool in_url, char *out,
                          size_t out_len)
{
	if (!in_url) {
		snprintf(out, out_len, "%s", url_text);
		return;
	}
	{
		ba_url *u = malloc(sizeof(*u));
		const char *enc;
		if (u && !ba_url_parse(url_text, u) &&
		    !ba_secrets_scan(f->cfg->secrets, u->host, strlen(u->host), &enc))
			snprintf(out, out_len,
			         "%s://%s%s%s:%u/... (the rest is withheld: it holds a "
			         "secret)",
			         u->scheme, u->family == AF_INET6 ? "[" : "", u->host,
			         u->family == AF_INET6 ? "]" : "", (unsigned)u->port);
		else
			snprintf(out, out_len, "(URL withheld: it holds a secret)");
		free(u);
	}
}

/* Step 5a: the tool may not send any secret itself, in any encoding. */
static ba_egress_result scan_request(struct fetch *f, const ba_egress_request *req)
{
	const struct {
		const void *data;
		size_t len;
		const char *where;
	} parts[3] = {
	        {req->url, strlen(req->url), "the URL"},
	        {req->headers, req->headers ? req->headers_len : 0, "a request header"},
	        {req->body, req->body ? req->body_len : 0, "the request body"},
	};

	for (size_t i = 0; i < 3; i++) {
		const char *enc = NULL;
		const ba_secret *s =
		        ba_secrets_scan(f->cfg->secrets, parts[i].data, parts[i].len, &enc);
		if (s) {
			char target[BA_URL_MAX + 128];
			set_why(f,
			        "%s contains the value of secret:%s (%s); secrets are added by the "
			        "host to requests their binding allows and may not be sent by the "
			        "tool",
			        parts[i].where, s->name, enc ? enc : "raw");
			secret_target(f, req->url, i == 0, target, sizeof(target));
			return deny(f, BA_EGRESS_DENIED, "secret", target, NULL);
		}
	}
	return BA_EGRESS_OK;
}

static ba_egress_result fetch_hops(struct fetch *f, const ba_egress_request *req,
                                   ba_egress_response *resp)
{
	ba_url *next = NULL;
	ba_egress_result r;
	const char *err;

	err = ba_url_parse(req->url, f->url);
	if (err) {
		set_why(f, "URL \"%.200s\" is not valid: %s", req->url, err);
		return deny(f, BA_EGRESS_INVALID, "network", req->url, NULL);
	}
	*f->first = *f->url;
	next = malloc(sizeof(*next));
	if (!next) {
		set_why(f, "out of memory");
		return BA_EGRESS_FAILED;
	}

	for (unsigned hop = 0;; hop++) {
		const ba_url *u = f->url;
		const ba_cap *cap = ba_capset_find_network(f->cfg->caps, u, f->method);
		struct addrs addrs;
		char bad[INET6_ADDRSTRLEN + 1];
		char address_list[ADDRS_MAX * (INET6_ADDRSTRLEN + 1) + 1];
		char injected[BA_SECRET_MAX * 260 + 1];
		char allow_reason[BA_CAP_TEXT_MAX + sizeof(injected) + 64];
		struct curl_slist *headers;
		char location[BA_URL_MAX + 1];
		size_t o = 0;

		/* 2. the grant */
		if (!cap) {
			char grant[BA_URL_MAX + 64];
			bool other_method = false;
			for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
				if (ba_capset_find_network(f->cfg->caps, u, methods[m]))
					other_method = true;
			cap_text_for(u, grant, sizeof(grant));
			if (other_method)
				set_why(f, "%s is granted to %s, but not for method %s", grant,
				        f->tool, f->method);
			else
				set_why(f, "%s is not granted to %s", grant, f->tool);
			r = deny(f, BA_EGRESS_DENIED, "network", u->canonical, NULL);
			break;
		}

		/* 3. resolve and classify */
		r = resolve_and_check(f, &addrs, bad, sizeof(bad));
		if (r == BA_EGRESS_DENIED) {
			r = deny(f, r, "network", u->canonical, bad);
			break;
		}
		if (r != BA_EGRESS_OK)
			break;
		for (size_t i = 0; i < addrs.count; i++) {
			int n = snprintf(address_list + o, sizeof(address_list) - o, "%s%s",
			                 i ? "," : "", addrs.text[i]);
			if (n > 0 && (size_t)n < sizeof(address_list) - o)
				o += (size_t)n;
		}
		address_list[o] = '\0';

		/* libcurl is loaded only now, once the grant and the addresses
		 * passed: denied requests neither need it nor pay to load it. */
		const char *curl_err = NULL;
		const ba_curl_api *api = ba_curl(&curl_err);
		if (!api) {
			set_why(f, "%s", curl_err);
			r = BA_EGRESS_FAILED;
			break;
		}
		curl_api = api;

		/* 5b. the secrets this destination may receive */
		headers = build_headers(f, &r, injected, sizeof(injected));
		if (r != BA_EGRESS_OK) {
			if (r == BA_EGRESS_DENIED)
				r = deny(f, r, "secret", u->canonical, address_list);
			break;
		}

		/* The decision is recorded before anything is sent; a decision
		 * that cannot be recorded is not made. */
		snprintf(allow_reason, sizeof(allow_reason), "granted by %s%s%s%s", cap->text,
		         injected[0] ? "; injected secret:" : "", injected,
		         hop ? " (redirect)" : "");
		if (record(f, true, "network", u->canonical, address_list,
		           (int64_t)(f->body ? f->body_len : 0), allow_reason) != 0) {
			slist_free_wiped(headers);
			r = BA_EGRESS_FAILED;
			break;
		}

		/* 4 + 6. pin and send */
		r = send_hop(f, &addrs, headers, resp);
		slist_free_wiped(headers);
		if (r == BA_EGRESS_DENIED) {
			r = deny(f, r, "network", u->canonical, address_list);
			break;
		}
		if (r != BA_EGRESS_OK)
			break;
		snprintf(resp->final_url, sizeof(resp->final_url), "%s", u->canonical);

		if (!(resp->status == 301 || resp->status == 302 || resp->status == 303 ||
		      resp->status == 307 || resp->status == 308) ||
		    !find_header(&resp->headers, "location", location, sizeof(location)))
			break; /* the final response */

		if (hop >= f->cfg->max_redirects) {
			set_why(f, "more than %u redirects; the last one was from %s", hop,
			        u->canonical);
			r = BA_EGRESS_FAILED;
			break;
		}
		err = ba_url_resolve(u, location, next);
		if (err) {
			set_why(f, "the redirect from %s to \"%.200s\" was refused: %s",
			        u->canonical, location, err);
			r = deny(f, BA_EGRESS_DENIED, "network", location, NULL);
			break;
		}
		/* 303 always, 301/302 as browsers do: GET without a body. */
		if (resp->status != 307 && resp->status != 308) {
			if (strcmp(f->method, "HEAD") != 0)
				f->method = "GET";
			f->body = NULL;
			f->body_len = 0;
		}
		*f->url = *next;
	}
	free(next);
	return r;
}

/* Replaces every raw occurrence of a secret value in buf with
 * "[secret:NAME]". -1 when the result would not fit the buffer's cap. */
static int redact_buf(ba_buf *buf, const ba_secrets *secrets)
{
	for (size_t s = 0; secrets && s < secrets->count; s++) {
		const ba_secret *sec = &secrets->items[s];
		if (sec->value_len == 0 || buf->len < sec->value_len ||
		    !memmem(buf->data, buf->len, sec->value, sec->value_len))
			continue;
		char marker[300];
		int mlen = snprintf(marker, sizeof(marker), "[secret:%.280s]", sec->name);
		ba_buf out;
		ba_buf_init(&out, buf->limit);
		const char *p = buf->data, *end = buf->data + buf->len;
		int rc = 0;
		while (rc == 0 && p < end) {
			const char *hit = memmem(p, (size_t)(end - p), sec->value, sec->value_len);
			size_t keep = hit ? (size_t)(hit - p) : (size_t)(end - p);
			if (keep)
				rc = ba_buf_append(&out, p, keep);
			if (rc == 0 && hit)
				rc = ba_buf_append(&out, marker, (size_t)mlen);
			p = hit ? hit + sec->value_len : end;
		}
		if (rc != 0) {
			ba_buf_release(&out);
			return -1;
		}
		explicit_bzero(buf->data, buf->len);
		ba_buf_release(buf);
		*buf = out;
	}
	return 0;
}

/*
 * A response may echo what the host injected (an endpoint that reflects
 * request headers, an error page quoting the Authorization header). The
 * tool must never see a secret value, so raw occurrences are redacted
 * and a response still holding one in another encoding (base64, hex,
 * URL-encoded, other case) is withheld entirely.
 */
static ba_egress_result withhold_secrets(struct fetch *f, ba_egress_response *resp)
{
	const ba_secrets *secrets = f->cfg->secrets;
	if (!secrets || secrets->count == 0)
		return BA_EGRESS_OK;
	if (redact_buf(&resp->headers, secrets) != 0 || redact_buf(&resp->body, secrets) != 0) {
		set_why(f,
		        "the response from %s echoed a secret and could not be redacted; it was "
		        "withheld",
		        resp->final_url);
		return deny(f, BA_EGRESS_DENIED, "secret", resp->final_url, NULL);
	}
	const char *encoding = NULL;
	const ba_secret *hit = NULL;
	if (resp->headers.len)
		hit = ba_secrets_scan(secrets, resp->headers.data, resp->headers.len, &encoding);
	if (!hit && resp->body.len)
		hit = ba_secrets_scan(secrets, resp->body.data, resp->body.len, &encoding);
	if (hit) {
		set_why(f,
		        "the response from %s contains secret:%s (%s); it was withheld from %s, "
		        "which may never see secret values",
		        resp->final_url, hit->name, encoding ? encoding : "encoded", f->tool);
		if (resp->body.data)
			explicit_bzero(resp->body.data, resp->body.len);
		if (resp->headers.data)
			explicit_bzero(resp->headers.data, resp->headers.len);
		ba_buf_reset(&resp->body);
		ba_buf_reset(&resp->headers);
		return deny(f, BA_EGRESS_DENIED, "secret", resp->final_url, NULL);
	}
	return BA_EGRESS_OK;
}

ba_egress_result ba_egress_fetch(ba_egress *egress, const ba_egress_request *req,
                                 ba_egress_response *resp, char *reason, size_t reason_len)
{
	struct fetch *f;
	ba_egress_result r = BA_EGRESS_OK;
	uint64_t now;

	if (reason && reason_len)
		reason[0] = '\0';
	if (!resp)
		return BA_EGRESS_INVALID;
	memset(resp, 0, sizeof(*resp));
	ba_buf_init(&resp->headers, BA_EGRESS_MAX_RESPONSE_HEADERS_BYTES);
	ba_buf_init(&resp->body, egress ? egress->cfg.max_response_bytes : 0);
	if (!egress || !req) {
		if (reason && reason_len)
			snprintf(reason, reason_len, "no egress handle or request");
		return BA_EGRESS_INVALID;
	}

	f = calloc(1, sizeof(*f));
	if (f) {
		f->url = malloc(sizeof(*f->url));
		f->first = malloc(sizeof(*f->first));
	}
	if (!f || !f->url || !f->first) {
		if (f) {
			free(f->url);
			free(f->first);
		}
		free(f);
		if (reason && reason_len)
			snprintf(reason, reason_len, "out of memory");
		return BA_EGRESS_FAILED;
	}
	f->eg = egress;
	f->cfg = &egress->cfg;
	f->tool = egress->cfg.tool_name && *egress->cfg.tool_name ? egress->cfg.tool_name
	                                                          : "the tool";
	f->method = req->method;
	f->body = req->body;
	f->body_len = req->body_len;
	now = ba_mono_ns();
	f->end_ns = now + f->cfg->timeout_ns;
	if (f->cfg->deadline_ns && f->cfg->deadline_ns < f->end_ns)
		f->end_ns = f->cfg->deadline_ns;

	/* 1. the request's shape, before anything else looks at it */
	if (!req->url || !*req->url) {
		set_why(f, "the request has no URL");
		r = BA_EGRESS_INVALID;
	} else if (strlen(req->url) > BA_URL_MAX) {
		set_why(f, "the URL is longer than %d bytes", BA_URL_MAX);
		r = BA_EGRESS_INVALID;
	} else if (!req->method || !method_ok(req->method)) {
		set_why(f,
		        "method \"%.20s\" is not supported; use GET, HEAD, POST, PUT, PATCH, DELETE "
		        "or OPTIONS (upper case)",
		        req->method ? req->method : "");
		r = BA_EGRESS_INVALID;
	} else if (!req->body && req->body_len) {
		set_why(f, "the request body is missing but its length is %zu", req->body_len);
		r = BA_EGRESS_INVALID;
	} else if (req->body_len > f->cfg->max_request_bytes) {
		set_why(f, "the request body is %zu bytes; the limit is %zu", req->body_len,
		        f->cfg->max_request_bytes);
		r = BA_EGRESS_TOO_LARGE;
	} else if (req->headers && req->headers_len > BA_EGRESS_MAX_HEADERS_BYTES) {
		set_why(f, "the request headers are %zu bytes; at most %d are allowed",
		        req->headers_len, BA_EGRESS_MAX_HEADERS_BYTES);
		r = BA_EGRESS_TOO_LARGE;
	} else if (f->cfg->deadline_ns && now >= f->cfg->deadline_ns) {
		set_why(f, "the tool's deadline has passed; no more requests");
		r = BA_EGRESS_TIMEOUT;
	}
	/* 5a. secrets first of all: even a DNS lookup of a name carrying a
	 * secret would leak it. */
	if (r == BA_EGRESS_OK)
		r = scan_request(f, req);
	if (r == BA_EGRESS_OK)
		r = parse_tool_headers(f, req->headers, req->headers ? req->headers_len : 0);
	if (r == BA_EGRESS_INVALID || r == BA_EGRESS_TOO_LARGE || r == BA_EGRESS_TIMEOUT) {
		/* Refused before any policy step: still recorded, so the
		 * operator sees what the tool tried. */
		char target[BA_URL_MAX + 128];
		/* This URL may not have been scanned yet. */
		bool in_url = req->url &&
		              ba_secrets_scan(f->cfg->secrets, req->url, strlen(req->url), NULL);
		secret_target(f, req->url ? req->url : "", in_url, target, sizeof(target));
		r = deny(f, r, "network", target, NULL);
	}
	if (r == BA_EGRESS_OK)
		r = fetch_hops(f, req, resp);
	if (r == BA_EGRESS_OK)
		r = withhold_secrets(f, resp);

	if (r != BA_EGRESS_OK && !f->why[0])
		set_why(f, "%s", ba_egress_result_name(r));
	if (reason && reason_len) {
		/* Reasons come from policy text and URLs the scanner passed,
		 * but redact anyway: a redirect target is the server's text. */
		ba_secrets_redact(f->cfg->secrets, f->why, reason, reason_len);
	}
	if (f->header_copy) {
		explicit_bzero(f->header_copy, req->headers_len);
		free(f->header_copy);
	}
	free(f->url);
	free(f->first);
	free(f);
	return r;
}
