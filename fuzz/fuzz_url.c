/*
 * fuzz_url.c - libFuzzer target: the sandbox's URL parser (sandbox/url.h).
 *
 * Every network decision starts from ba_url_parse / ba_url_resolve, and
 * both read text a tool or a server controls (a tool's URL, a redirect's
 * Location). Besides crashes and sanitizer reports this target aborts when
 * a parsed URL breaks a promise of url.h:
 *
 *   - the canonical form parses again to exactly the same URL, and is
 *     spelled scheme://host[:port]/path with the port only when it is not
 *     the scheme's default;
 *   - a host never holds '@', '/', '\', '%', whitespace, control or
 *     non-ASCII bytes; a name is lower-case [a-z0-9._-] labels with no
 *     trailing dot that inet_aton() does not read as an address (that
 *     would be the parser differential the header promises away); an IP
 *     host is the address's own inet_ntop() text;
 *   - a path starts with '/', holds only printable ASCII, no fragment,
 *     only well-formed %XX escapes, and no dot-segments (plain or
 *     percent-encoded, also between encoded slashes);
 *   - resolving a reference without a scheme or "//" never leaves the
 *     base's scheme, host and port; "//host" keeps the scheme; an
 *     absolute reference resolves exactly as ba_url_parse reads it.
 *
 * Input: "TEXT" or "TEXT\nREF". TEXT is parsed (and, as bytes, given to
 * ba_url_canon_host); REF is resolved against TEXT when that parsed and
 * against a few fixed bases.
 */
#include "check.h"
#include "sandbox/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bases for relative references: a plain name with a query, an IPv6
 * literal on an explicit port, an IPv4 literal with a deep path. */
static const char *const bases[] = {
        "http://example.com/a/b/c?q=1",
        "https://[2001:db8::1]:8443/",
        "http://10.0.0.1:8080/x/y/",
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Is s[0..len) "." or "..", counting "%2e" (any case) as a dot? */
static bool dot_segment(const char *s, size_t len)
{
	size_t dots = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == '.') {
			i++;
		} else if (i + 2 < len && s[i] == '%' && s[i + 1] == '2' &&
		           lower(s[i + 2]) == 'e') {
			i += 3;
		} else {
			return false;
		}
		dots++;
	}
	return dots == 1 || dots == 2;
}

/* Is there a "%2f" or "%5c" (any case) at s[i]? */
static bool encoded_slash(const char *s, size_t len, size_t i)
{
	return i + 2 < len && s[i] == '%' &&
	       ((s[i + 1] == '2' && lower(s[i + 2]) == 'f') ||
	        (s[i + 1] == '5' && lower(s[i + 2]) == 'c'));
}

static void check_host(const char *host, bool is_ip, int family, const char *what)
{
	size_t n = strnlen(host, BA_URL_HOST_MAX);

	if (n == 0 || n >= BA_URL_HOST_MAX)
		ba_fuzz_fail("%s: host has length %zu", what, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)host[i];
		if (c <= 0x20 || c >= 0x7f || c == '@' || c == '/' || c == '\\' || c == '%' ||
		    c == '[' || c == ']' || c == '?' || c == '#')
			ba_fuzz_fail("%s: host \"%s\" has byte 0x%02x", what, host, c);
	}
	if (!is_ip) {
		struct in_addr a4;
		if (family != 0)
			ba_fuzz_fail("%s: name \"%s\" with family %d", what, host, family);
		if (host[n - 1] == '.' || host[0] == '.' || strstr(host, ".."))
			ba_fuzz_fail("%s: name \"%s\" has an empty label", what, host);
		for (size_t i = 0; i < n; i++) {
			char c = host[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '-' || c == '_'))
				ba_fuzz_fail("%s: name \"%s\" has '%c'", what, host, c);
		}
		/* A resolver would take this "name" for an address. */
		if (inet_aton(host, &a4) != 0)
			ba_fuzz_fail("%s: name \"%s\" is an IPv4 address to inet_aton", what, host);
		return;
	}
	char back[INET6_ADDRSTRLEN];
	if (family == AF_INET) {
		struct in_addr a4;
		if (inet_pton(AF_INET, host, &a4) != 1 ||
		    !inet_ntop(AF_INET, &a4, back, sizeof(back)) || strcmp(back, host) != 0)
			ba_fuzz_fail("%s: IPv4 host \"%s\" is not canonical", what, host);
	} else if (family == AF_INET6) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1 ||
		    !inet_ntop(AF_INET6, &a6, back, sizeof(back)) || strcmp(back, host) != 0)
			ba_fuzz_fail("%s: IPv6 host \"%s\" is not canonical", what, host);
	} else {
		ba_fuzz_fail("%s: IP host \"%s\" with family %d", what, host, family);
	}
}

static void check_path(const char *path, const char *what)
{
	size_t n = strnlen(path, BA_URL_MAX);
	size_t query = strcspn(path, "?");

	if (n == 0 || n >= BA_URL_MAX || path[0] != '/')
		ba_fuzz_fail("%s: path \"%.100s\" (length %zu)", what, path, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#')
			ba_fuzz_fail("%s: path \"%.100s\" has byte 0x%02x", what, path, c);
		if (c == '%' && (i + 2 >= n || !is_hex(path[i + 1]) || !is_hex(path[i + 2])))
			ba_fuzz_fail("%s: path \"%.100s\" has a bad escape", what, path);
	}
	/* No dot-segments, and none hidden between encoded slashes. */
	for (size_t seg = 1; seg <= query;) {
		size_t end = seg;
		while (end < query && path[end] != '/')
			end++;
		size_t piece = seg;
		for (size_t i = seg; i <= end; i++) {
			if (i < end && !encoded_slash(path, end, i))
				continue;
			if (dot_segment(path + piece, i - piece))
				ba_fuzz_fail("%s: path \"%.100s\" keeps a dot-segment", what, path);
			i += 2;
			piece = i + 1;
		}
		seg = end + 1;
	}
}

static void check_same(const ba_url *a, const ba_url *b, const char *what)
{
	if (strcmp(a->scheme, b->scheme) != 0 || strcmp(a->host, b->host) != 0 ||
	    a->is_ip != b->is_ip || a->family != b->family || a->port != b->port ||
	    strcmp(a->path, b->path) != 0 || strcmp(a->canonical, b->canonical) != 0)
		ba_fuzz_fail("%s: \"%.200s\" and \"%.200s\" differ", what, a->canonical,
		             b->canonical);
}

static void check_url(const ba_url *u, const char *what)
{
	uint16_t def = ba_url_default_port(u->scheme);
	char want[sizeof(u->canonical)];
	const char *e;

	if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0)
		ba_fuzz_fail("%s: scheme \"%.8s\"", what, u->scheme);
	if (u->port == 0 || (!u->port_explicit && u->port != def))
		ba_fuzz_fail("%s: port %u (explicit %d)", what, (unsigned)u->port,
		             (int)u->port_explicit);
	check_host(u->host, u->is_ip, u->family, what);
	check_path(u->path, what);

	bool v6 = u->family == AF_INET6;
	if (u->port != def)
		snprintf(want, sizeof(want), "%s://%s%s%s:%u%s", u->scheme, v6 ? "[" : "", u->host,
		         v6 ? "]" : "", (unsigned)u->port, u->path);
	else
		snprintf(want, sizeof(want), "%s://%s%s%s%s", u->scheme, v6 ? "[" : "", u->host,
		         v6 ? "]" : "", u->path);
	if (strcmp(want, u->canonical) != 0)
		ba_fuzz_fail("%s: canonical \"%.200s\", expected \"%.200s\"", what, u->canonical,
		             want);

	/* The canonical form is a fixed point: parsing it, or resolving it as
	 * an absolute reference, or resolving "#frag" gives the same URL. */
	ba_url *again = malloc(sizeof(*again));
	if (!again)
		return;
	if ((e = ba_url_parse(u->canonical, again)) != NULL)
		ba_fuzz_fail("%s: canonical \"%.200s\" does not parse: %s", what, u->canonical, e);
	check_same(u, again, "canonical re-parse");
	if ((e = ba_url_resolve(u, u->canonical, again)) != NULL)
		ba_fuzz_fail("%s: resolving its own canonical \"%.200s\": %s", what, u->canonical,
		             e);
	check_same(u, again, "resolve of the canonical form");
	if ((e = ba_url_resolve(u, "#f", again)) != NULL)
		ba_fuzz_fail("%s: resolving \"#f\" against \"%.200s\": %s", what, u->canonical, e);
	check_same(u, again, "resolve of a fragment");
	free(again);
}

/* The scheme rule of ba_url_resolve: ALPHA *(ALPHA / DIGIT / + - .) ":" */
static bool has_scheme(const char *ref)
{
	size_t i = 0;
	if (!((ref[0] >= 'a' && ref[0] <= 'z') || (ref[0] >= 'A' && ref[0] <= 'Z')))
		return false;
	while ((ref[i] >= 'a' && ref[i] <= 'z') || (ref[i] >= 'A' && ref[i] <= 'Z') ||
	       (ref[i] >= '0' && ref[i] <= '9') || ref[i] == '+' || ref[i] == '-' || ref[i] == '.')
		i++;
	return ref[i] == ':';
}

static void check_resolve(const ba_url *base, const char *ref)
{
	ba_url *out = malloc(sizeof(*out)), *direct = malloc(sizeof(*direct));
	const char *e;

	if (!out || !direct)
		goto done;
	e = ba_url_resolve(base, ref, out);
	if (has_scheme(ref)) {
		/* An absolute reference is read exactly as parse reads it. */
		const char *e2 = ba_url_parse(ref, direct);
		if ((e == NULL) != (e2 == NULL) || (e && strcmp(e, e2) != 0))
			ba_fuzz_fail("absolute \"%.200s\": resolve says %s, parse says %s", ref,
			             e ? e : "ok", e2 ? e2 : "ok");
		if (!e)
			check_same(out, direct, "absolute reference");
	}
	if (e)
		goto done;
	check_url(out, "resolved");
	if (strcmp(out->scheme, base->scheme) != 0 && !has_scheme(ref))
		ba_fuzz_fail("\"%.200s\" against %s changed the scheme to %s", ref, base->canonical,
		             out->scheme);
	if (!has_scheme(ref) && !(ref[0] == '/' && ref[1] == '/') &&
	    (strcmp(out->host, base->host) != 0 || out->port != base->port ||
	     out->family != base->family))
		ba_fuzz_fail("relative \"%.200s\" against %s left the origin: %s", ref,
		             base->canonical, out->canonical);
done:
	free(out);
	free(direct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[BA_URL_HOST_MAX], host2[BA_URL_HOST_MAX], again[BA_URL_HOST_MAX + 2];
	bool is_ip, is_ip2;
	int family, family2;
	const char *e;

	if (size > 2 * BA_URL_MAX + 64)
		return 0;

	/* The host canonicaliser on the raw bytes, from an exact-size copy:
	 * its input need not be NUL-terminated, so any read past len is a
	 * heap overflow ASan reports. */
	char *raw = malloc(size ? size : 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	if (ba_url_canon_host(raw, size, host, &is_ip, &family) == NULL) {
		check_host(host, is_ip, family, "canon_host");
		/* Canonical hosts are fixed points (IPv6 goes back in brackets). */
		int n = snprintf(again, sizeof(again), family == AF_INET6 ? "[%s]" : "%s", host);
		e = ba_url_canon_host(again, (size_t)n, host2, &is_ip2, &family2);
		if (e || strcmp(host, host2) != 0 || is_ip2 != is_ip || family2 != family)
			ba_fuzz_fail("canon_host: \"%s\" is not a fixed point (%s, \"%s\")", again,
			             e ? e : "ok", host2);
	}
	free(raw);

	/* "TEXT\nREF", each NUL-terminated in a copy of its own. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t text_len = nl ? (size_t)(nl - data) : size;
	char *text = malloc(text_len + 1);
	char *ref = nl ? malloc(size - text_len) : NULL;
	ba_url *url = malloc(sizeof(*url)), *base = malloc(sizeof(*base));
	if (!text || (nl && !ref) || !url || !base)
		goto done;
	memcpy(text, data, text_len);
	text[text_len] = '\0';
	if (ref) {
		memcpy(ref, nl + 1, size - text_len - 1);
		ref[size - text_len - 1] = '\0';
	}

	e = ba_url_parse(text, url);
	if (!e)
		check_url(url, "parsed");
	if (!ref)
		goto done;
	if (!e)
		check_resolve(url, ref);
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (ba_url_parse(bases[i], base) != NULL)
			ba_fuzz_fail("fixed base %s does not parse", bases[i]);
		check_resolve(base, ref);
	}
done:
	free(text);
	free(ref);
	free(url);
	free(base);
	return 0;
}
