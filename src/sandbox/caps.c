/*
 * caps.c - the permission grammar (see caps.h and docs/capabilities.md).
 *
 * Hosts and paths in network capabilities go through the same code as
 * URLs (ba_url_canon_host, ba_url_parse), so a grant and a request can
 * never be canonicalised differently: "network:http://2130706433" is the
 * same capability as "network:http://127.0.0.1", and "/v1/../admin" is
 * "/admin" on both sides.
 */
#include "sandbox/caps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
        {"GET", BA_METHOD_GET},         {"HEAD", BA_METHOD_HEAD},   {"POST", BA_METHOD_POST},
        {"PUT", BA_METHOD_PUT},         {"PATCH", BA_METHOD_PATCH}, {"DELETE", BA_METHOD_DELETE},
        {"OPTIONS", BA_METHOD_OPTIONS},
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static char upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

const char *ba_cap_kind_name(ba_cap_kind kind)
{
	switch (kind) {
	case BA_CAP_FS_READ:
		return "fs.read";
	case BA_CAP_FS_WRITE:
		return "fs.write";
	case BA_CAP_NETWORK:
		return "network";
	case BA_CAP_ENV:
		return "env";
	case BA_CAP_SECRET:
		return "secret";
	}
	return "?";
}

/*
 * Writes `capability "TEXT" is not valid: WHY` into err. TEXT is shown as
 * given, except that control bytes become '?' (the message goes to a
 * terminal) and very long strings are cut with "...".
 */
__attribute__((format(printf, 4, 5))) static const char *
cap_error(char *err, size_t err_len, const char *text, const char *fmt, ...)
{
	char shown[160];
	size_t n = 0, len = strnlen(text, BA_CAP_TEXT_MAX + 1);
	size_t max = sizeof(shown) - 4;
	for (size_t i = 0; i < len && n < max; i++) {
		unsigned char c = (unsigned char)text[i];
		shown[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (len > max) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';

	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err && err_len > 0) {
		snprintf(err, err_len, "capability \"%s\" is not valid: %s", shown, why);
		return err;
	}
	return "capability is not valid";
}

const char *ba_guest_path_normalize(const char *path, char *out, size_t out_len)
{
	if (!out || out_len < 2)
		return "the path is too long";
	out[0] = '\0';
	if (!path || path[0] != '/')
		return "the path must be absolute";
	size_t n = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *seg = p;
		while (*p && *p != '/') {
			unsigned char c = (unsigned char)*p;
			if (c < 0x20 || c == 0x7f)
				return "the path contains a control character";
			p++;
		}
		size_t len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			/* Lexically up one level, never above "/". */
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n + 1 + len + 1 > out_len)
			return "the path is too long";
		out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return NULL;
}

bool ba_guest_path_within(const char *outer, const char *inner)
{
	if (!outer || !inner)
		return false;
	if (strcmp(outer, "/") == 0)
		return inner[0] == '/';
	size_t n = strlen(outer);
	return strncmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

/* Is `inner` equal to or below network path prefix `outer` ("" = any)? */
static bool prefix_within(const char *outer, const char *inner)
{
	size_t n = strlen(outer);
	if (n == 0)
		return true;
	return strncmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

/* Builds cap->text from the parsed fields; false when it does not fit. */
static bool network_text(ba_cap *cap)
{
	char mtext[64] = "";
	size_t mn = 0;
	if (cap->methods != BA_METHOD_ALL) {
		for (size_t i = 0; i < N_METHODS; i++) {
			if (!(cap->methods & methods[i].bit))
				continue;
			int w = snprintf(mtext + mn, sizeof(mtext) - mn, "%s%s", mn ? "," : "",
			                 methods[i].name);
			mn += (size_t)w;
		}
		mtext[mn++] = ':';
		mtext[mn] = '\0';
	}
	bool v6 = cap->host_is_ip && strchr(cap->host, ':');
	char port[8];
	if (cap->port)
		snprintf(port, sizeof(port), "%u", (unsigned)cap->port);
	else
		snprintf(port, sizeof(port), "*");
	int w = snprintf(cap->text, sizeof(cap->text), "network:%s%s://%s%s%s:%s%s", mtext,
	                 cap->scheme, v6 ? "[" : "", cap->host, v6 ? "]" : "", port,
	                 cap->path_prefix);
	return w >= 0 && (size_t)w < sizeof(cap->text);
}

static bool valid_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = c >= '0' && c <= '9';
		if (!alpha && !(digit && i > 0))
			return false;
	}
	return true;
}

static const char *parse_methods(const char *text, const char *s, size_t len, ba_cap *out,
                                 char *err, size_t err_len)
{
	unsigned bits = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		size_t n = i - start;
		char word[16];
		if (n == 0)
			return cap_error(err, err_len, text, "empty method in the method list");
		if (n >= sizeof(word))
			return cap_error(
			        err, err_len, text,
			        "unknown method \"%.*s\" (expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)",
			        (int)(n > 40 ? 40 : n), s + start);
		for (size_t k = 0; k < n; k++)
			word[k] = upper(s[start + k]);
		word[n] = '\0';
		unsigned bit = 0;
		for (size_t k = 0; k < N_METHODS; k++)
			if (strcmp(word, methods[k].name) == 0)
				bit = methods[k].bit;
		if (!bit)
			return cap_error(
			        err, err_len, text,
			        "unknown method \"%.*s\" (expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)",
			        (int)n, s + start);
		bits |= bit;
		start = i + 1;
	}
	out->methods = bits;
	return NULL;
}

static const char *parse_network(const char *text, const char *v, ba_cap *out, char *err,
                                 size_t err_len)
{
	static const char usage[] = "expected network:[METHODS:]SCHEME://HOST[:PORT][/PATH]";
	const char *sep = strstr(v, "://");
	if (!sep)
		return cap_error(err, err_len, text, "%s", usage);

	/* Optional "METHODS:" before the scheme. */
	const char *scheme = v;
	const char *colon = memchr(v, ':', (size_t)(sep - v));
	out->methods = BA_METHOD_ALL;
	if (colon) {
		const char *e = parse_methods(text, v, (size_t)(colon - v), out, err, err_len);
		if (e)
			return e;
		scheme = colon + 1;
	}
	size_t slen = (size_t)(sep - scheme);
	char sch[8];
	if (slen == 0)
		return cap_error(err, err_len, text, "%s", usage);
	if (slen >= sizeof(sch))
		return cap_error(err, err_len, text, "scheme must be http or https");
	for (size_t i = 0; i < slen; i++)
		sch[i] = lower(scheme[i]);
	sch[slen] = '\0';
	uint16_t default_port = ba_url_default_port(sch);
	if (!default_port)
		return cap_error(err, err_len, text, "scheme must be http or https");
	memcpy(out->scheme, sch, slen + 1);

	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *rest = auth + alen;
	if (strpbrk(rest, "?#"))
		return cap_error(err, err_len, text,
		                 "a query or fragment is not allowed in a network capability");
	if (memchr(auth, '@', alen))
		return cap_error(err, err_len, text, "userinfo is not allowed in URLs");

	/* Host and port. */
	size_t hlen = alen;
	const char *port = NULL;
	if (alen > 0 && auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);
		if (!close)
			return cap_error(err, err_len, text, "invalid IPv6 address");
		hlen = (size_t)(close - auth) + 1;
		if (hlen < alen) {
			if (auth[hlen] != ':')
				return cap_error(err, err_len, text, "invalid IPv6 address");
			port = auth + hlen + 1;
		}
	} else {
		const char *c = memchr(auth, ':', alen);
		if (c) {
			hlen = (size_t)(c - auth);
			port = c + 1;
		}
	}
	if (hlen == 0)
		return cap_error(err, err_len, text, "host is empty");
	if (hlen == 1 && auth[0] == '*') {
		memcpy(out->host, "*", 2);
	} else if (hlen > 2 && auth[0] == '*' && auth[1] == '.') {
		bool ip;
		int fam;
		char suffix[BA_URL_HOST_MAX];
		if (memchr(auth + 2, '*', hlen - 2))
			return cap_error(
			        err, err_len, text,
			        "\"*\" is allowed only as the whole host or as a leading \"*.\"");
		const char *e = ba_url_canon_host(auth + 2, hlen - 2, suffix, &ip, &fam);
		if (e)
			return cap_error(err, err_len, text, "%s", e);
		if (ip)
			return cap_error(
			        err, err_len, text,
			        "a wildcard must be followed by a domain name (\"*.example.com\")");
		size_t sn = strlen(suffix);
		if (sn + 2 >= sizeof(out->host))
			return cap_error(err, err_len, text, "host is too long");
		memcpy(out->host, "*.", 2);
		memcpy(out->host + 2, suffix, sn + 1);
	} else {
		if (memchr(auth, '*', hlen))
			return cap_error(
			        err, err_len, text,
			        "\"*\" is allowed only as the whole host or as a leading \"*.\"");
		int fam;
		const char *e = ba_url_canon_host(auth, hlen, out->host, &out->host_is_ip, &fam);
		if (e)
			return cap_error(err, err_len, text, "%s", e);
	}

	out->port = default_port;
	if (port) {
		size_t plen = (size_t)(auth + alen - port);
		uint32_t p = 0;
		if (plen == 1 && port[0] == '*') {
			out->port = 0;
		} else {
			bool ok = plen > 0 && plen <= 5;
			for (size_t i = 0; ok && i < plen; i++) {
				ok = port[i] >= '0' && port[i] <= '9';
				p = p * 10 + (uint32_t)(port[i] - '0');
			}
			if (!ok || p == 0 || p > 65535)
				return cap_error(err, err_len, text,
				                 "port must be a number from 1 to 65535, or *");
			out->port = (uint16_t)p;
		}
	}

	/* The path prefix is normalised by the URL parser itself, so that it
	 * is compared with request paths canonicalised the same way. */
	if (*rest == '/') {
		size_t cap = strlen(rest) + 16;
		char *buf = malloc(cap);
		ba_url *u = malloc(sizeof(*u));
		const char *e = "out of memory";
		if (buf && u) {
			snprintf(buf, cap, "http://h%s", rest);
			e = ba_url_parse(buf, u);
		}
		if (!e) {
			size_t n = strlen(u->path);
			/* "/v1/" and "/v1" grant the same thing: segment matching
			 * already stops "/v1" from matching "/v10". */
			while (n > 0 && u->path[n - 1] == '/')
				n--;
			if (n >= sizeof(out->path_prefix))
				e = "the path is too long";
			else {
				memcpy(out->path_prefix, u->path, n);
				out->path_prefix[n] = '\0';
			}
		}
		free(buf);
		free(u);
		if (e)
			return cap_error(err, err_len, text, "%s", e);
	}
	if (!network_text(out))
		return cap_error(err, err_len, text, "it is too long");
	return NULL;
}

const char *ba_cap_parse(const char *text, ba_cap *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return cap_error(err, err_len, "", "it is empty");
	size_t len = strnlen(text, BA_CAP_TEXT_MAX);
	if (len >= BA_CAP_TEXT_MAX)
		return cap_error(err, err_len, text, "it is longer than %d bytes",
		                 BA_CAP_TEXT_MAX - 1);
	if (len == 0)
		return cap_error(err, err_len, text, "it is empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= 0x20 || c == 0x7f)
			return cap_error(err, err_len, text,
			                 "spaces and control characters are not allowed");
	}

	size_t klen = strcspn(text, ":");
	static const struct {
		const char *name;
		ba_cap_kind kind;
	} kinds[] = {
	        {"fs.read", BA_CAP_FS_READ}, {"fs.write", BA_CAP_FS_WRITE},
	        {"network", BA_CAP_NETWORK}, {"env", BA_CAP_ENV},
	        {"secret", BA_CAP_SECRET},
	};
	size_t k = 0;
	while (k < sizeof(kinds) / sizeof(kinds[0]) &&
	       !(strlen(kinds[k].name) == klen && memcmp(kinds[k].name, text, klen) == 0))
		k++;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return cap_error(
		        err, err_len, text,
		        "unknown kind \"%.*s\" (expected fs.read, fs.write, network, env or "
		        "secret)",
		        (int)(klen > 40 ? 40 : klen), text);
	out->kind = kinds[k].kind;
	if (text[klen] != ':')
		return cap_error(err, err_len, text, "expected \"%s:\" followed by a value",
		                 kinds[k].name);
	const char *v = text + klen + 1;
	size_t vlen = len - klen - 1;

	switch (out->kind) {
	case BA_CAP_FS_READ:
	case BA_CAP_FS_WRITE: {
		const char *e = ba_guest_path_normalize(v, out->path, sizeof(out->path));
		if (e)
			return cap_error(err, err_len, text, "%s", e);
		int w = snprintf(out->text, sizeof(out->text), "%s:%s", kinds[k].name, out->path);
		if (w < 0 || (size_t)w >= sizeof(out->text))
			return cap_error(err, err_len, text, "it is too long");
		return NULL;
	}
	case BA_CAP_ENV:
	case BA_CAP_SECRET:
		if (vlen == 0)
			return cap_error(err, err_len, text, "the name is empty");
		if (vlen > 255)
			return cap_error(err, err_len, text,
			                 "the name is longer than 255 characters");
		if (!valid_name(v, vlen))
			return cap_error(err, err_len, text,
			                 "the name must be letters, digits and underscores, not "
			                 "starting with a digit");
		memcpy(out->name, v, vlen + 1);
		snprintf(out->text, sizeof(out->text), "%s:%s", kinds[k].name, out->name);
		return NULL;
	case BA_CAP_NETWORK:
		return parse_network(text, v, out, err, err_len);
	}
	return cap_error(err, err_len, text, "unknown kind");
}

ba_capset *ba_capset_new(void)
{
	return calloc(1, sizeof(ba_capset));
}

void ba_capset_free(ba_capset *set)
{
	if (!set)
		return;
	free(set->caps);
	free(set);
}

static bool set_contains(const ba_capset *set, const ba_cap *cap)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->caps[i].kind == cap->kind && strcmp(set->caps[i].text, cap->text) == 0)
			return true;
	return false;
}

/* Makes room for one more capability. */
static int set_reserve(ba_capset *set)
{
	if (set->count < set->capacity)
		return 0;
	if (set->capacity >= BA_CAPSET_MAX)
		return -1;
	size_t cap = set->capacity ? set->capacity * 2 : 4;
	if (cap > BA_CAPSET_MAX)
		cap = BA_CAPSET_MAX;
	ba_cap *caps = realloc(set->caps, cap * sizeof(*caps));
	if (!caps)
		return -1;
	set->caps = caps;
	set->capacity = cap;
	return 0;
}

int ba_capset_push(ba_capset *set, const ba_cap *cap)
{
	if (set_contains(set, cap))
		return 0;
	if (set_reserve(set) != 0)
		return -1;
	set->caps[set->count++] = *cap;
	return 0;
}

int ba_capset_copy(ba_capset *dst, const ba_capset *src)
{
	dst->count = 0;
	for (size_t i = 0; i < src->count; i++)
		if (ba_capset_push(dst, &src->caps[i]) != 0)
			return -1;
	return 0;
}

const char *ba_capset_add(ba_capset *set, const char *text, char *err, size_t err_len)
{
	ba_cap *cap = malloc(sizeof(*cap));
	if (!cap)
		return cap_error(err, err_len, text ? text : "", "out of memory");
	const char *e = ba_cap_parse(text, cap, err, err_len);
	if (!e && ba_capset_push(set, cap) != 0)
		e = cap_error(err, err_len, text,
		              "too many capabilities (at most %d) or out of memory", BA_CAPSET_MAX);
	free(cap);
	return e;
}

/* Adds cap to out unless it is there already or out is full. Dropping a
 * capability when full only ever narrows what the tool may do. */
static void out_add(ba_capset *out, const ba_cap *cap)
{
	(void)ba_capset_push(out, cap);
}

static bool is_fs(ba_cap_kind k)
{
	return k == BA_CAP_FS_READ || k == BA_CAP_FS_WRITE;
}

/* Does host pattern a cover everything host pattern b matches? */
static bool host_covers(const char *a, const char *b, bool b_is_ip)
{
	if (strcmp(a, "*") == 0)
		return true;
	if (strcmp(a, b) == 0)
		return true;
	if (a[0] == '*' && a[1] == '.' && !b_is_ip && strcmp(b, "*") != 0) {
		const char *suffix = a + 1; /* ".example.com" */
		const char *name = (b[0] == '*' && b[1] == '.') ? b + 1 : b;
		size_t sn = strlen(suffix), nn = strlen(name);
		return nn > sn && strcmp(name + nn - sn, suffix) == 0;
	}
	return false;
}

static void intersect_network(const ba_cap *d, const ba_cap *g, ba_capset *out)
{
	if (strcmp(d->scheme, g->scheme) != 0)
		return;
	if (d->port && g->port && d->port != g->port)
		return;
	ba_cap *c = malloc(sizeof(*c));
	if (!c)
		return;
	*c = *d;
	c->port = d->port ? d->port : g->port;
	if (host_covers(d->host, g->host, g->host_is_ip)) {
		memcpy(c->host, g->host, sizeof(c->host));
		c->host_is_ip = g->host_is_ip;
	} else if (!host_covers(g->host, d->host, d->host_is_ip)) {
		free(c);
		return;
	}
	if (prefix_within(d->path_prefix, g->path_prefix))
		memcpy(c->path_prefix, g->path_prefix, sizeof(c->path_prefix));
	else if (!prefix_within(g->path_prefix, d->path_prefix)) {
		free(c);
		return;
	}
	c->methods = d->methods & g->methods;
	if (c->methods && network_text(c))
		out_add(out, c);
	free(c);
}

size_t ba_capset_intersect(const ba_capset *declared, const ba_capset *granted, ba_capset *out)
{
	out->count = 0;
	ba_cap *c = malloc(sizeof(*c));
	if (!c)
		return 0;
	for (size_t i = 0; i < declared->count; i++) {
		const ba_cap *d = &declared->caps[i];
		for (size_t j = 0; j < granted->count; j++) {
			const ba_cap *g = &granted->caps[j];
			if (is_fs(d->kind) && is_fs(g->kind)) {
				const char *deeper;
				if (ba_guest_path_within(d->path, g->path))
					deeper = g->path;
				else if (ba_guest_path_within(g->path, d->path))
					deeper = d->path;
				else
					continue;
				memset(c, 0, sizeof(*c));
				c->kind = (d->kind == BA_CAP_FS_WRITE && g->kind == BA_CAP_FS_WRITE)
				                  ? BA_CAP_FS_WRITE
				                  : BA_CAP_FS_READ;
				snprintf(c->path, sizeof(c->path), "%s", deeper);
				int w = snprintf(c->text, sizeof(c->text), "%s:%s",
				                 ba_cap_kind_name(c->kind), c->path);
				if (w > 0 && (size_t)w < sizeof(c->text))
					out_add(out, c);
			} else if (d->kind == BA_CAP_NETWORK && g->kind == BA_CAP_NETWORK) {
				intersect_network(d, g, out);
			} else if ((d->kind == BA_CAP_ENV || d->kind == BA_CAP_SECRET) &&
			           d->kind == g->kind && strcmp(d->name, g->name) == 0) {
				out_add(out, d);
			}
		}
	}
	free(c);
	return out->count;
}

static unsigned method_bit(const char *method)
{
	for (size_t i = 0; method && i < N_METHODS; i++)
		if (strcmp(method, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

bool ba_cap_allows_url(const ba_cap *cap, const ba_url *url, const char *method)
{
	if (!cap || !url || !method || cap->kind != BA_CAP_NETWORK)
		return false;
	if (strcmp(cap->scheme, url->scheme) != 0)
		return false;
	if (cap->port != 0 && cap->port != url->port)
		return false;
	/* Methods outside the known list (TRACE, CONNECT, ...) pass only a
	 * capability without a method list. */
	if (cap->methods != BA_METHOD_ALL && !(cap->methods & method_bit(method)))
		return false;

	if (strcmp(cap->host, "*") == 0) {
		/* any host */
	} else if (cap->host[0] == '*' && cap->host[1] == '.') {
		const char *suffix = cap->host + 1;
		size_t sn = strlen(suffix), hn = strlen(url->host);
		if (url->is_ip || hn <= sn || strcmp(url->host + hn - sn, suffix) != 0)
			return false;
	} else if (cap->host_is_ip != url->is_ip || strcmp(cap->host, url->host) != 0) {
		return false;
	}

	size_t n = strlen(cap->path_prefix);
	if (n == 0)
		return true;
	if (strncmp(url->path, cap->path_prefix, n) != 0)
		return false;
	char next = url->path[n];
	return next == '\0' || next == '/' || next == '?';
}

const ba_cap *ba_capset_find_network(const ba_capset *set, const ba_url *url, const char *method)
{
	for (size_t i = 0; set && i < set->count; i++)
		if (ba_cap_allows_url(&set->caps[i], url, method))
			return &set->caps[i];
	return NULL;
}

bool ba_capset_has_name(const ba_capset *set, ba_cap_kind kind, const char *name)
{
	if (!set || !name || (kind != BA_CAP_ENV && kind != BA_CAP_SECRET))
		return false;
	for (size_t i = 0; i < set->count; i++)
		if (set->caps[i].kind == kind && strcmp(set->caps[i].name, name) == 0)
			return true;
	return false;
}
