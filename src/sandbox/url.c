/*
 * url.c - the one URL parser the sandbox trusts (see url.h).
 *
 * The parser is deliberately narrower than RFC 3986 and WHATWG: anything
 * that two URL parsers might read differently (userinfo, backslashes,
 * percent signs in hosts, zone ids, whitespace, odd IPv4 spellings left
 * as names) is either refused or rewritten into one canonical spelling.
 * Nothing downstream ever sees the tool's original text.
 */
#include "sandbox/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char ERR_TOO_LONG[] = "URL is too long";
static const char ERR_CONTROL[] = "control characters and spaces are not allowed in URLs";
static const char ERR_BACKSLASH[] = "backslashes are not allowed in URLs";
static const char ERR_SCHEME[] = "scheme must be http or https";
static const char ERR_NO_SCHEME[] = "URL has no scheme (expected http:// or https://)";
static const char ERR_NO_SLASHES[] = "URL must have \"//\" and a host after the scheme";
static const char ERR_USERINFO[] = "userinfo is not allowed in URLs";
static const char ERR_EMPTY_HOST[] = "host is empty";
static const char ERR_ZONE[] = "zone ids are not allowed in IPv6 addresses";
static const char ERR_PERCENT_HOST[] = "percent-encoding is not allowed in hosts";
static const char ERR_HOST_CHAR[] =
        "invalid character in host (non-ASCII names must be given in punycode)";
static const char ERR_HOST_LABEL[] = "host has an empty or over-long label";
static const char ERR_HOST_LONG[] = "host is too long";
static const char ERR_IPV6[] = "invalid IPv6 address";
static const char ERR_IPV4[] = "invalid IPv4 address";
static const char ERR_PORT[] = "port must be a number from 1 to 65535";
static const char ERR_PERCENT[] = "invalid percent-encoding in path";
static const char ERR_ENCODED_DOTS[] = "encoded dot-segments are not allowed in paths";
static const char ERR_NO_MEMORY[] = "out of memory";

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	return (unsigned)(lower(c) - 'a' + 10);
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

uint16_t ba_url_default_port(const char *scheme)
{
	if (!scheme)
		return 0;
	if (strcmp(scheme, "http") == 0)
		return 80;
	if (strcmp(scheme, "https") == 0)
		return 443;
	return 0;
}

/*
 * One part of an inet_aton spelling: "0x.." hex, "0.." octal, else
 * decimal. Values above max are refused rather than wrapped, as inet_aton
 * does; an empty part is refused.
 */
static bool parse_v4_part(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len == 0)
		return false;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2; /* "0x" alone is 0, as inet_aton and WHATWG both read it */
	} else if (len >= 2 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	for (; i < len; i++) {
		unsigned d;
		if (base == 16 && is_hex(s[i]))
			d = hex_val(s[i]);
		else if (base != 16 && is_digit(s[i]))
			d = (unsigned)(s[i] - '0');
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Parses every IPv4 spelling inet_aton accepts (a, a.b, a.b.c, a.b.c.d). */
static bool parse_v4_any(const char *s, size_t len, uint32_t *addr)
{
	uint32_t parts[4];
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (n == 4)
			return false;
		/* Range-check each part later, when we know how many there are. */
		if (!parse_v4_part(s + start, i - start, UINT32_MAX, &parts[n]))
			return false;
		n++;
		start = i + 1;
	}
	uint32_t v = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (parts[i] > 255)
			return false;
		v |= parts[i] << (24 - 8 * i);
	}
	uint32_t last_max = n == 1 ? UINT32_MAX : (UINT32_MAX >> (8 * (n - 1)));
	if (parts[n - 1] > last_max)
		return false;
	*addr = v | parts[n - 1];
	return true;
}

/*
 * Does the host end in a number? Then it must be an IPv4 address: a name
 * whose last label is numeric would be read as an address by inet_aton in
 * the resolver, so treating it as a name would be a parser differential.
 * (No top-level domain is numeric; WHATWG uses the same rule.)
 */
static bool ends_in_number(const char *s, size_t len)
{
	size_t start = len;
	while (start > 0 && s[start - 1] != '.')
		start--;
	const char *label = s + start;
	size_t n = len - start;
	if (n == 0)
		return false;
	if (n >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
		for (size_t i = 2; i < n; i++)
			if (!is_hex(label[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_digit(label[i]))
			return false;
	return true;
}

const char *ba_url_canon_host(const char *host, size_t len, char out[BA_URL_HOST_MAX], bool *is_ip,
                              int *family)
{
	*is_ip = false;
	*family = 0;
	out[0] = '\0';
	if (len == 0)
		return ERR_EMPTY_HOST;

	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']')
			return ERR_IPV6;
		char tmp[INET6_ADDRSTRLEN + 8];
		size_t n = len - 2;
		if (memchr(host + 1, '%', n))
			return ERR_ZONE;
		if (n >= sizeof(tmp))
			return ERR_IPV6;
		memcpy(tmp, host + 1, n);
		tmp[n] = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return ERR_IPV6;
		/* inet_ntop writes the RFC 5952 form (lower case, "::" for the
		 * longest zero run, ::ffff:a.b.c.d for mapped addresses). */
		if (!inet_ntop(AF_INET6, &a6, out, BA_URL_HOST_MAX))
			return ERR_IPV6;
		*is_ip = true;
		*family = AF_INET6;
		return NULL;
	}

	for (size_t i = 0; i < len; i++) {
		char c = host[i];
		if (c == '%')
			return ERR_PERCENT_HOST;
		if (c == '\\')
			return ERR_BACKSLASH;
		if ((unsigned char)c <= 0x20 || c == 0x7f)
			return ERR_CONTROL;
		if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_'))
			return ERR_HOST_CHAR;
	}

	/* One trailing dot names the same host; drop it so "a.com." and
	 * "a.com" cannot be granted or matched differently. */
	if (host[len - 1] == '.')
		len--;
	if (len == 0)
		return ERR_EMPTY_HOST;

	if (ends_in_number(host, len)) {
		uint32_t v4;
		if (!parse_v4_any(host, len, &v4))
			return ERR_IPV4;
		struct in_addr a4 = {.s_addr = htonl(v4)};
		if (!inet_ntop(AF_INET, &a4, out, BA_URL_HOST_MAX))
			return ERR_IPV4;
		*is_ip = true;
		*family = AF_INET;
		return NULL;
	}

	if (len > 253)
		return ERR_HOST_LONG;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		if (host[i] == '.') {
			if (label == 0)
				return ERR_HOST_LABEL;
			label = 0;
		} else if (++label > 63) {
			return ERR_HOST_LABEL;
		}
		out[i] = lower(host[i]);
	}
	if (label == 0)
		return ERR_HOST_LABEL;
	out[len] = '\0';
	return NULL;
}

/* "." or its percent-encoded spelling, which some servers decode first. */
static bool is_dot(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') ||
	       (len == 3 && s[0] == '%' && s[1] == '2' && lower(s[2]) == 'e');
}

static bool is_dotdot(const char *s, size_t len)
{
	if (len == 2)
		return s[0] == '.' && s[1] == '.';
	if (len == 4)
		return (is_dot(s, 1) && is_dot(s + 1, 3)) || (is_dot(s, 3) && is_dot(s + 3, 1));
	if (len == 6)
		return is_dot(s, 3) && is_dot(s + 3, 3);
	return false;
}

/* Is there a percent-encoded '/' or '\' at s[i]? */
static bool encoded_slash_at(const char *s, size_t len, size_t i)
{
	return i + 2 < len && s[i] == '%' &&
	       ((s[i + 1] == '2' && lower(s[i + 2]) == 'f') ||
	        (s[i + 1] == '5' && lower(s[i + 2]) == 'c'));
}

/*
 * A segment such as "..%2f" or "%2e%2e%5cadmin" is not a dot-segment to
 * us, but a server that decodes before normalising walks up a directory
 * with it, escaping a path-prefix grant. Refuse such segments: split the
 * segment at encoded slashes and look for "." or ".." pieces.
 */
static bool hides_traversal(const char *s, size_t len)
{
	bool any_slash = false;
	for (size_t i = 0; i < len; i++)
		any_slash |= encoded_slash_at(s, len, i);
	if (!any_slash)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && !encoded_slash_at(s, len, i))
			continue;
		if (is_dot(s + start, i - start) || is_dotdot(s + start, i - start))
			return true;
		i += 2;
		start = i + 1;
	}
	return false;
}

/*
 * Appends src[0..len) to out (capacity cap, current length *n), escaping
 * non-ASCII bytes as %XX so that only ASCII reaches the wire. Malformed
 * escapes ("%zz", a trailing "%") are refused so that no two servers can
 * decode them differently.
 */
static const char *append_escaped(char *out, size_t cap, size_t *n, const char *src, size_t len)
{
	static const char hexd[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '%' && (i + 2 >= len || !is_hex(src[i + 1]) || !is_hex(src[i + 2])))
			return ERR_PERCENT;
		if (c >= 0x80) {
			if (*n + 3 >= cap)
				return ERR_TOO_LONG;
			out[(*n)++] = '%';
			out[(*n)++] = hexd[c >> 4];
			out[(*n)++] = hexd[c & 15];
		} else {
			if (*n + 1 >= cap)
				return ERR_TOO_LONG;
			out[(*n)++] = (char)c;
		}
	}
	out[*n] = '\0';
	return NULL;
}

/*
 * Resolves dot-segments (RFC 3986 5.2.4, with "%2e" counted as ".") in
 * the path part src[0..len), which starts with '/', appending the result
 * to out. Empty segments are kept: "/a//b" is a different resource.
 */
static const char *remove_dots(char *out, size_t cap, size_t *n, const char *src, size_t len)
{
	size_t base = *n; /* never pop above the path's own root */
	size_t i = 1;
	for (;;) {
		size_t start = i;
		while (i < len && src[i] != '/')
			i++;
		const char *seg = src + start;
		size_t seg_len = i - start;
		bool last = i >= len;
		if (is_dot(seg, seg_len) || is_dotdot(seg, seg_len)) {
			if (is_dotdot(seg, seg_len)) {
				while (*n > base && out[*n - 1] != '/')
					(*n)--;
				if (*n > base)
					(*n)--; /* the slash before the popped segment */
			}
			if (last) {
				if (*n + 1 >= cap)
					return ERR_TOO_LONG;
				out[(*n)++] = '/';
			}
		} else {
			if (hides_traversal(seg, seg_len))
				return ERR_ENCODED_DOTS;
			if (*n + 1 >= cap)
				return ERR_TOO_LONG;
			out[(*n)++] = '/';
			const char *err = append_escaped(out, cap, n, seg, seg_len);
			if (err)
				return err;
		}
		if (last)
			break;
		i++; /* skip the '/' */
	}
	if (*n == base) {
		if (*n + 1 >= cap)
			return ERR_TOO_LONG;
		out[(*n)++] = '/';
	}
	out[*n] = '\0';
	return NULL;
}

const char *ba_url_parse(const char *text, ba_url *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return ERR_EMPTY_HOST;
	size_t len = strnlen(text, BA_URL_MAX + 1);
	if (len > BA_URL_MAX)
		return ERR_TOO_LONG;
	/* Whole-text checks first: libcurl and servers disagree about what
	 * whitespace and backslashes mean, so neither may appear anywhere. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= 0x20 || c == 0x7f)
			return ERR_CONTROL;
		if (c == '\\')
			return ERR_BACKSLASH;
	}

	/* Scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	size_t i = 0;
	while (i < len && (is_alpha(text[i]) || (i > 0 && (is_digit(text[i]) || text[i] == '+' ||
	                                                   text[i] == '-' || text[i] == '.'))))
		i++;
	if (i == 0 || i >= len || text[i] != ':')
		return ERR_NO_SCHEME;
	if (i >= sizeof(out->scheme))
		return ERR_SCHEME;
	for (size_t k = 0; k < i; k++)
		out->scheme[k] = lower(text[k]);
	out->scheme[i] = '\0';
	uint16_t default_port = ba_url_default_port(out->scheme);
	if (default_port == 0)
		return ERR_SCHEME;
	i++;
	if (i + 1 >= len || text[i] != '/' || text[i + 1] != '/')
		return ERR_NO_SLASHES;
	i += 2;

	/* Authority: up to the first '/', '?' or '#'. */
	size_t auth = i;
	while (i < len && text[i] != '/' && text[i] != '?' && text[i] != '#')
		i++;
	size_t auth_end = i;
	if (memchr(text + auth, '@', auth_end - auth))
		return ERR_USERINFO;

	size_t host_end = auth_end;
	const char *port_text = NULL;
	if (auth < auth_end && text[auth] == '[') {
		const char *close = memchr(text + auth, ']', auth_end - auth);
		if (!close)
			return ERR_IPV6;
		host_end = (size_t)(close - text) + 1;
		if (host_end < auth_end) {
			if (text[host_end] != ':')
				return ERR_IPV6;
			port_text = text + host_end + 1;
		}
	} else {
		const char *colon = memchr(text + auth, ':', auth_end - auth);
		if (colon) {
			host_end = (size_t)(colon - text);
			port_text = colon + 1;
		}
	}
	const char *err = ba_url_canon_host(text + auth, host_end - auth, out->host, &out->is_ip,
	                                    &out->family);
	if (err)
		return err;

	out->port = default_port;
	if (port_text) {
		size_t plen = (size_t)(text + auth_end - port_text);
		uint32_t port = 0;
		if (plen == 0 || plen > 5)
			return ERR_PORT;
		for (size_t k = 0; k < plen; k++) {
			if (!is_digit(port_text[k]))
				return ERR_PORT;
			port = port * 10 + (uint32_t)(port_text[k] - '0');
		}
		if (port == 0 || port > 65535)
			return ERR_PORT;
		out->port = (uint16_t)port;
		out->port_explicit = true;
	}

	/* Path and query; the fragment is never sent, so it is dropped. */
	size_t path_start = auth_end;
	size_t end = path_start;
	while (end < len && text[end] != '#')
		end++;
	size_t query = path_start;
	while (query < end && text[query] != '?')
		query++;
	size_t n = 0;
	if (query > path_start) {
		err = remove_dots(out->path, sizeof(out->path), &n, text + path_start,
		                  query - path_start);
	} else {
		out->path[n++] = '/';
		out->path[n] = '\0';
	}
	if (!err && query < end)
		err = append_escaped(out->path, sizeof(out->path), &n, text + query, end - query);
	if (err)
		return err;

	const char *lb = out->family == AF_INET6 ? "[" : "";
	const char *rb = out->family == AF_INET6 ? "]" : "";
	int w;
	if (out->port != default_port)
		w = snprintf(out->canonical, sizeof(out->canonical), "%s://%s%s%s:%u%s",
		             out->scheme, lb, out->host, rb, (unsigned)out->port, out->path);
	else
		w = snprintf(out->canonical, sizeof(out->canonical), "%s://%s%s%s%s", out->scheme,
		             lb, out->host, rb, out->path);
	if (w < 0 || (size_t)w >= sizeof(out->canonical))
		return ERR_TOO_LONG;
	return NULL;
}

/* Does ref begin with a scheme ("x:")? Then it is an absolute URL. */
static bool has_scheme(const char *ref)
{
	if (!is_alpha(ref[0]))
		return false;
	size_t i = 1;
	while (is_alpha(ref[i]) || is_digit(ref[i]) || ref[i] == '+' || ref[i] == '-' ||
	       ref[i] == '.')
		i++;
	return ref[i] == ':';
}

const char *ba_url_resolve(const ba_url *base, const char *ref, ba_url *out)
{
	if (!ref)
		return ERR_NO_SCHEME;
	size_t ref_len = strnlen(ref, BA_URL_MAX + 1);
	if (ref_len > BA_URL_MAX) {
		memset(out, 0, sizeof(*out));
		return ERR_TOO_LONG;
	}
	if (has_scheme(ref))
		return ba_url_parse(ref, out);

	/* Everything else is joined textually and then parsed, so a resolved
	 * URL passes exactly the checks an absolute one does. */
	size_t cap = 2 * BA_URL_MAX + 2 * BA_URL_HOST_MAX;
	char *buf = malloc(cap);
	if (!buf) {
		memset(out, 0, sizeof(*out));
		return ERR_NO_MEMORY;
	}
	const char *lb = base->family == AF_INET6 ? "[" : "";
	const char *rb = base->family == AF_INET6 ? "]" : "";
	char authority[BA_URL_HOST_MAX + 16];
	if (base->port != ba_url_default_port(base->scheme))
		snprintf(authority, sizeof(authority), "%s%s%s:%u", lb, base->host, rb,
		         (unsigned)base->port);
	else
		snprintf(authority, sizeof(authority), "%s%s%s", lb, base->host, rb);

	/* The base path without its query. */
	size_t base_path_len = strcspn(base->path, "?");
	int w;
	if (ref[0] == '/' && ref[1] == '/') {
		w = snprintf(buf, cap, "%s:%s", base->scheme, ref);
	} else if (ref[0] == '/') {
		w = snprintf(buf, cap, "%s://%s%s", base->scheme, authority, ref);
	} else if (ref[0] == '?') {
		w = snprintf(buf, cap, "%s://%s%.*s%s", base->scheme, authority, (int)base_path_len,
		             base->path, ref);
	} else if (ref[0] == '#' || ref[0] == '\0') {
		w = snprintf(buf, cap, "%s://%s%s", base->scheme, authority, base->path);
	} else {
		/* Relative path: replace the last segment of the base path. */
		size_t dir = base_path_len;
		while (dir > 0 && base->path[dir - 1] != '/')
			dir--;
		w = snprintf(buf, cap, "%s://%s%.*s%s", base->scheme, authority, (int)dir,
		             base->path, ref);
	}
	const char *err;
	if (w < 0 || (size_t)w >= cap) {
		memset(out, 0, sizeof(*out));
		err = ERR_TOO_LONG;
	} else {
		err = ba_url_parse(buf, out);
	}
	free(buf);
	return err;
}
