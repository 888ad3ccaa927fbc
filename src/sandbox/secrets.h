/*
 * secrets.h - values the host injects into requests and the tool never
 * sees, and the scanner that stops a tool from sending them itself.
 *
 * A secret has a name (as in secret:NAME), a value supplied by the
 * operator, the destinations it may be sent to (network capability
 * patterns; see caps.h) and a header template saying how it is sent, e.g.
 * "Authorization: Bearer {}" ("{}" is replaced by the value). The manifest
 * declares the binding; the operator supplies the value and grants
 * secret:NAME.
 *
 * The scanner looks for every secret value in what a tool asks to send
 * (URL, its own headers, body) in these encodings: raw; base64 (standard
 * and URL-safe alphabets, at all three byte alignments, so a secret inside
 * a longer base64 stream is found); hex (lower and upper case); URL
 * percent-encoding (every byte encoded, and only reserved bytes encoded).
 * Values shorter than BA_SECRET_MIN_SCAN bytes are not scanned (they would
 * match by chance) - the operator is warned at load time instead. Raw,
 * hex and URL-encoded matches ignore ASCII case (a value lower-cased into
 * a host name still leaks); base64, whose case is meaningful, does not.
 */
#ifndef BA_SANDBOX_SECRETS_H
#define BA_SANDBOX_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/caps.h"

#define BA_SECRET_MAX       32   /* secrets per run                 */
#define BA_SECRET_VALUE_MAX 4096 /* bytes of one value              */
#define BA_SECRET_DEST_MAX  8    /* destinations per secret         */
#define BA_SECRET_MIN_SCAN  6

typedef struct ba_secret {
	char name[256];
	char *value; /* owned; wiped and freed by ba_secrets_free    */
	size_t value_len;
	char header[512]; /* template with one "{}"                 */
	size_t dest_count;
	ba_cap dests[BA_SECRET_DEST_MAX]; /* network capabilities          */
} ba_secret;

typedef struct ba_secrets {
	size_t count;
	ba_secret items[BA_SECRET_MAX];
} ba_secrets;

/* Allocates an empty table; free with ba_secrets_free (wipes values). */
ba_secrets *ba_secrets_new(void);
void ba_secrets_free(ba_secrets *secrets);

/* Adds a secret; value is copied; dests are capability strings
 * ("https://api.example.com" or "network:https://..."; either is
 * accepted). header is the template (must contain "{}" once and look like
 * "Name: ..."). NULL on success, else err. */
const char *ba_secrets_add(ba_secrets *secrets, const char *name, const char *value,
                           size_t value_len, const char *header, const char *const *dests,
                           size_t dest_count, char *err, size_t err_len);

/* Finds a secret by name, or NULL. */
const ba_secret *ba_secrets_find(const ba_secrets *secrets, const char *name);

/* Scans data for every secret value in every encoding above. Returns the
 * first secret found (and its encoding name in *encoding: "raw", "base64",
 * "hex", "url-encoded"), or NULL. */
const ba_secret *ba_secrets_scan(const ba_secrets *secrets, const void *data, size_t len,
                                 const char **encoding);

/* Internal, shared with egress.c, which applies the same rules to a tool's
 * own headers: is c an RFC 9110 token character (the only ones allowed in
 * a header name)? Is name (len bytes, any case) a header the host sets
 * itself - Host, Content-Length, Transfer-Encoding, Connection,
 * Keep-Alive, Upgrade, TE, Trailer, Proxy-*? */
bool ba_secrets__is_tchar(unsigned char c);
bool ba_secrets__header_reserved(const char *name, size_t len);

/* Writes data into out with every secret value (raw encoding) replaced by
 * "[secret:NAME]" - for log and error text that might echo one. */
void ba_secrets_redact(const ba_secrets *secrets, const char *data, char *out, size_t out_len);

#endif
