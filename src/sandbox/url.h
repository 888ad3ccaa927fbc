/*
 * url.h - the one URL parser the sandbox trusts.
 *
 * Every network decision starts here: a tool's URL is parsed once, into
 * parts that the grant check, the resolver and libcurl all use, so no two
 * components can disagree about which host a URL names (the classic SSRF
 * parser differential). libcurl is handed the canonical form rebuilt from
 * these parts, never the tool's original text.
 *
 * Accepted: http and https only (scheme case-insensitive), a host, an
 * optional port, a path and a query. Refused with a reason: userinfo
 * ("user@"), other schemes, control characters, spaces, backslashes,
 * percent signs or other non-host characters in the host, empty hosts,
 * ports outside 1..65535, URLs over BA_URL_MAX bytes. A fragment is dropped.
 *
 * Host canonical forms:
 *   - registered names are lower-cased; a trailing dot is removed;
 *   - IPv4 in any spelling inet_aton accepts (decimal 2130706433, octal
 *     0177.0.0.1, hex 0x7f.1, short forms 127.1) becomes dotted-quad
 *     "127.0.0.1" with is_ip = true, family AF_INET;
 *   - bracketed IPv6 "[::1]" becomes the RFC 5952 text "::1" (no brackets
 *     in host; url_canonical has them) with is_ip = true, family AF_INET6.
 *     Zone ids ("%25eth0") are refused.
 * The path is kept as given (it must start with '/'; an empty path becomes
 * "/"); dot-segments "/./" and "/../" are resolved so "/v1/../admin"
 * cannot match a grant for "/v1".
 */
#ifndef BA_SANDBOX_URL_H
#define BA_SANDBOX_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BA_URL_MAX      8192 /* bytes of URL text accepted */
#define BA_URL_HOST_MAX 256

typedef struct ba_url {
	char scheme[8];                  /* "http" or "https"                        */
	char host[BA_URL_HOST_MAX];      /* canonical host, no brackets              */
	bool is_ip;                      /* host is an IP literal                    */
	int family;                      /* AF_INET / AF_INET6 when is_ip, else 0    */
	uint16_t port;                   /* explicit or the scheme's default         */
	bool port_explicit;              /* the URL text named a port                */
	char path[BA_URL_MAX];           /* "/..." including "?query"; no fragment   */
	char canonical[BA_URL_MAX + 64]; /* scheme://host[:port]/path?query, IPv6 in
	                                    brackets, port only if not default    */
} ba_url;

/* Parses text (NUL-terminated, borrowed). Returns NULL on success, or a
 * static string saying what is wrong ("userinfo is not allowed in URLs"). */
const char *ba_url_parse(const char *text, ba_url *out);

/* Resolves a redirect target (absolute, scheme-relative "//h/p", or
 * relative "/p", "p", "?q") against base into out. Same errors as parse. */
const char *ba_url_resolve(const ba_url *base, const char *ref, ba_url *out);

/* The default port of a scheme ("http" 80, "https" 443), 0 if unknown. */
uint16_t ba_url_default_port(const char *scheme);

/* Canonicalises one host exactly as ba_url_parse does (so capability
 * parsing and URL parsing cannot disagree): host is the authority's host
 * text as written, len bytes (borrowed, need not be NUL-terminated), IPv6
 * in brackets. Writes the canonical host (no brackets) into out, sets
 * *is_ip and *family (AF_INET / AF_INET6, 0 for names). Returns NULL or a
 * static error as for ba_url_parse. */
const char *ba_url_canon_host(const char *host, size_t len, char out[BA_URL_HOST_MAX], bool *is_ip,
                              int *family);

#endif
