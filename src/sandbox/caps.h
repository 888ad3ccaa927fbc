/*
 * caps.h - the permission grammar: parsing capability strings, matching
 * requests against them, and intersecting what a tool declares with what
 * the operator grants. docs/capabilities.md is the user-facing reference.
 *
 *   fs.read:PATH      read PATH (a guest path: absolute, normalised; a
 *   fs.write:PATH     directory grants everything below it, a file grants
 *                     that file). Write implies read.
 *   network:SCHEME://HOST[:PORT][/PATH-PREFIX]
 *                     HOST: a name, "*.example.com" (any subdomain, not
 *                     example.com itself), "*" (any host), an IPv4 literal
 *                     or a bracketed IPv6 literal. PORT: a number or "*";
 *                     none means the scheme's default. PATH-PREFIX matches
 *                     on segment boundaries ("/v1" matches "/v1", "/v1/x",
 *                     "/v1?q", not "/v10").
 *   network:METHODS:SCHEME://...   the structured form: METHODS is a
 *                     comma list of GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS
 *                     (e.g. "network:GET,HEAD:https://api.example.com").
 *                     Without it every method is allowed.
 *   env:NAME          the tool sees environment variable NAME.
 *   secret:NAME       the host may inject secret NAME into requests that
 *                     its binding allows (see secrets.h); the tool never
 *                     sees the value.
 *
 * A string that does not parse is an error naming it. Canonical text:
 * ba_cap_parse() fills cap->text with a normalised spelling (lower-case
 * host and scheme, explicit port, methods in fixed order) used in the
 * audit log and in messages.
 */
#ifndef BA_SANDBOX_CAPS_H
#define BA_SANDBOX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/url.h"

#define BA_CAP_TEXT_MAX 1024 /* longest capability string accepted */
#define BA_CAPSET_MAX   128  /* most capabilities in one set        */

typedef enum ba_cap_kind {
	BA_CAP_FS_READ,
	BA_CAP_FS_WRITE,
	BA_CAP_NETWORK,
	BA_CAP_ENV,
	BA_CAP_SECRET,
} ba_cap_kind;

/* HTTP method bits for network capabilities; BA_METHOD_ALL = no limit. */
enum {
	BA_METHOD_GET = 1 << 0,
	BA_METHOD_HEAD = 1 << 1,
	BA_METHOD_POST = 1 << 2,
	BA_METHOD_PUT = 1 << 3,
	BA_METHOD_PATCH = 1 << 4,
	BA_METHOD_DELETE = 1 << 5,
	BA_METHOD_OPTIONS = 1 << 6,
	BA_METHOD_ALL = (1 << 7) - 1,
};

typedef struct ba_cap {
	ba_cap_kind kind;
	char text[BA_CAP_TEXT_MAX]; /* canonical spelling                       */
	/* fs.read / fs.write: normalised absolute guest path ("/" allowed). */
	char path[BA_CAP_TEXT_MAX];
	/* network */
	char scheme[8];
	char host[BA_URL_HOST_MAX]; /* lower-case; "*", "*.suffix", name, or IP
	                               literal text without brackets        */
	bool host_is_ip;
	uint16_t port;                     /* 0 = any port ("*")                              */
	char path_prefix[BA_CAP_TEXT_MAX]; /* "" = any path                   */
	unsigned methods;                  /* BA_METHOD_* bits               */
	/* env / secret */
	char name[256];
} ba_cap;

/* Parses text (borrowed). Returns NULL on success, else writes a message
 * naming the string and what is wrong into err and returns err. */
const char *ba_cap_parse(const char *text, ba_cap *out, char *err, size_t err_len);

/* "fs.read", "fs.write", "network", "env", "secret" */
const char *ba_cap_kind_name(ba_cap_kind kind);

/* A set of capabilities. caps grows on demand up to BA_CAPSET_MAX: a
 * capability is ~3.5 KB and most sets hold a handful, so a fixed array
 * would cost every tool run hundreds of KB of page faults. */
typedef struct ba_capset {
	size_t count;
	size_t capacity;
	ba_cap *caps; /* owned */
} ba_capset;

/* Allocates an empty set; free with ba_capset_free(). NULL when out of
 * memory. */
ba_capset *ba_capset_new(void);
void ba_capset_free(ba_capset *set);
/* Replaces dst's contents with a copy of src's. 0, or -1 out of memory. */
int ba_capset_copy(ba_capset *dst, const ba_capset *src);
/* Adds a parsed capability (copied) unless present. 0, or -1 when full or
 * out of memory. */
int ba_capset_push(ba_capset *set, const ba_cap *cap);

/* Parses text and adds it (duplicates are kept once). NULL or err as for
 * ba_cap_parse; also an error when the set is full. */
const char *ba_capset_add(ba_capset *set, const char *text, char *err, size_t err_len);

/*
 * out = declared ∩ granted, component-wise:
 *   fs:      pairs whose paths nest give the deeper path with the weaker
 *            mode (read < write);
 *   network: same scheme, compatible ports (0 = any), hosts where one
 *            pattern covers the other, path prefixes where one extends the
 *            other - giving the narrower of each, methods ANDed;
 *   env, secret: equal names.
 * out must not alias the inputs. Returns the number of capabilities in out.
 * Results equal to one already in out are kept once; should out fill up
 * (BA_CAPSET_MAX), the rest are dropped, which only ever narrows access.
 */
size_t ba_capset_intersect(const ba_capset *declared, const ba_capset *granted, ba_capset *out);

/* Does network capability cap allow this request? url is parsed; method
 * is the upper-case method text. Host rules: "*" matches any host,
 * "*.example.com" any name ending in ".example.com", names compare
 * exactly (case already folded), IP literals compare in canonical form.
 * Returns false for non-network caps and for a NULL method. A method
 * outside the list above ("TRACE", or "get" in lower case) is allowed only
 * by a capability without a method list. A path prefix is stored without
 * a trailing '/' ("/v1/" and "/v1" are the same capability). */
bool ba_cap_allows_url(const ba_cap *cap, const ba_url *url, const char *method);

/* The first network capability in set allowing url+method, or NULL. */
const ba_cap *ba_capset_find_network(const ba_capset *set, const ba_url *url, const char *method);

/* Does set hold env:NAME (or secret:NAME when kind is BA_CAP_SECRET)? */
bool ba_capset_has_name(const ba_capset *set, ba_cap_kind kind, const char *name);

/* Normalises an absolute guest path: collapses "//", removes "." and
 * trailing "/", resolves ".." lexically (never above "/"). Returns NULL
 * or a static error (relative path, too long, NUL/control character). */
const char *ba_guest_path_normalize(const char *path, char *out, size_t out_len);

/* Is guest path `inner` equal to or below `outer` (both normalised)? */
bool ba_guest_path_within(const char *outer, const char *inner);

#endif
