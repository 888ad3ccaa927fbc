/*
 * secrets.c - the secret table and the exfiltration scanner (secrets.h).
 *
 * Values live only here: copied in by ba_secrets_add, read by the egress
 * chokepoint when it builds an injected header, wiped with explicit_bzero
 * before their memory is freed so a later heap dump or reuse does not
 * reveal them.
 *
 * The scanner is a best-effort tripwire, not a proof: a tool that wants to
 * smuggle a value out can always invent its own encoding. What it does
 * guarantee is that the obvious ways (the value itself, the encodings HTTP
 * clients and APIs apply on their own) never leave the host unnoticed.
 * Each request part is looked at through a few "views": the bytes as
 * given, the bytes with percent-escapes decoded (which covers every mix of
 * encoded and plain bytes and both hex cases at once), and for base64 the
 * bytes with line breaks removed (MIME wraps base64 at 76 columns).
 */
#include "sandbox/secrets.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The widest base64 needle: 4/3 of the longest value, rounded up. */
#define B64_NEEDLE_MAX ((BA_SECRET_VALUE_MAX + 4) / 3 * 4 + 4)

ba_secrets *ba_secrets_new(void)
{
	return calloc(1, sizeof(ba_secrets));
}

void ba_secrets_free(ba_secrets *secrets)
{
	if (!secrets)
		return;
	for (size_t i = 0; i < secrets->count; i++) {
		ba_secret *s = &secrets->items[i];
		if (s->value) {
			explicit_bzero(s->value, s->value_len);
			free(s->value);
		}
	}
	/* The table itself holds no value bytes, but wipe the used entries
	 * anyway so pointers and lengths do not linger either (only those:
	 * wiping the whole ~1 MB table would fault in every page of it). */
	explicit_bzero(secrets->items, secrets->count * sizeof(secrets->items[0]));
	explicit_bzero(&secrets->count, sizeof(secrets->count));
	free(secrets);
}

/* --------------------------------------------------------------- adding */

/* Formats the message into err and returns what ba_secrets_add returns:
 * err, or a static text when the caller gave no buffer (never NULL, which
 * would mean success). */
static const char *fail(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static const char *fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return "invalid secret";
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return err;
}

bool ba_secrets__is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Message framing, the connection and proxies: a header setting them could
 * smuggle a second request or change where this one goes. */
bool ba_secrets__header_reserved(const char *name, size_t len)
{
	static const char *const names[] = {"host",       "content-length", "transfer-encoding",
	                                    "connection", "keep-alive",     "upgrade",
	                                    "te",         "trailer"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
			return true;
	return len >= 6 && strncasecmp(name, "proxy-", 6) == 0;
}

/* Checks a template "Name: text{}text": a token name, a colon, exactly one
 * "{}", and nothing that could end the header line early. */
static const char *check_header_template(const char *header)
{
	const char *colon = strchr(header, ':');
	const char *hole;

	if (!colon || colon == header)
		return "must look like \"Name: ...{}...\"";
	for (const char *p = header; p < colon; p++)
		if (!ba_secrets__is_tchar((unsigned char)*p))
			return "has a character that is not allowed in a header name";
	if (ba_secrets__header_reserved(header, (size_t)(colon - header)))
		return "names a header the host sets itself";
	for (const char *p = colon + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "contains a control character (CR/LF would inject headers)";
	}
	hole = strstr(colon + 1, "{}");
	if (!hole)
		return "has no \"{}\" where the value goes";
	if (strstr(hole + 2, "{}"))
		return "has more than one \"{}\"";
	return NULL;
}

static bool name_ok(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

const char *ba_secrets_add(ba_secrets *secrets, const char *name, const char *value,
                           size_t value_len, const char *header, const char *const *dests,
                           size_t dest_count, char *err, size_t err_len)
{
	ba_secret *s;
	const char *why;

	if (!secrets || !name || !header || (!dests && dest_count))
		return fail(err, err_len, "secret: missing argument");
	if (strlen(name) >= sizeof(s->name) || !name_ok(name))
		return fail(
		        err, err_len,
		        "secret name \"%.200s\" is not valid (use letters, digits, '_', '-', '.')",
		        name);
	if (ba_secrets_find(secrets, name))
		return fail(err, err_len, "secret %s is defined twice", name);
	if (secrets->count == BA_SECRET_MAX)
		return fail(err, err_len, "secret %s: more than 32 secrets", name);
	if (!value || value_len == 0)
		return fail(err, err_len, "secret %s has an empty value", name);
	if (value_len > BA_SECRET_VALUE_MAX)
		return fail(err, err_len, "secret %s: the value is longer than 4096 bytes", name);
	/* The value is pasted into a header line: a CR or LF would let it add
	 * headers of its own, and other control bytes have no business there. */
	for (size_t i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(
			        err, err_len,
			        "secret %s: the value contains a control character (CR, LF, NUL...); "
			        "it must fit in a header line",
			        name);
	}
	if (strlen(header) >= sizeof(s->header))
		return fail(err, err_len, "secret %s: the header template is longer than 511 bytes",
		            name);
	why = check_header_template(header);
	if (why)
		return fail(err, err_len, "secret %s: header template %s", name, why);
	if (dest_count == 0)
		return fail(err, err_len,
		            "secret %s has no destinations; it could never be sent (add e.g. "
		            "\"https://api.example.com\")",
		            name);
	if (dest_count > BA_SECRET_DEST_MAX)
		return fail(err, err_len, "secret %s: more than 8 destinations", name);

	s = &secrets->items[secrets->count];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < dest_count; i++) {
		char text[BA_CAP_TEXT_MAX + 16];
		char cap_err[BA_CAP_TEXT_MAX + 128];
		const char *d = dests[i];
		int n;

		if (!d)
			return fail(err, err_len, "secret %s: destination is missing", name);
		/* A destination is a network capability; the "network:" prefix
		 * is optional because nothing else makes sense here. */
		if (strncmp(d, "network:", 8) == 0)
			n = snprintf(text, sizeof(text), "%s", d);
		else
			n = snprintf(text, sizeof(text), "network:%s", d);
		if (n < 0 || (size_t)n >= sizeof(text))
			return fail(err, err_len, "secret %s: destination \"%.200s\" is too long",
			            name, d);
		if (ba_cap_parse(text, &s->dests[i], cap_err, sizeof(cap_err)))
			return fail(err, err_len, "secret %s: destination: %s", name, cap_err);
		if (s->dests[i].kind != BA_CAP_NETWORK)
			return fail(err, err_len, "secret %s: destination \"%.200s\" is not a URL",
			            name, d);
	}
	s->value = malloc(value_len + 1);
	if (!s->value)
		return fail(err, err_len, "secret %s: out of memory", name);
	memcpy(s->value, value, value_len);
	s->value[value_len] = '\0';
	s->value_len = value_len;
	memcpy(s->name, name, strlen(name) + 1);
	memcpy(s->header, header, strlen(header) + 1);
	s->dest_count = dest_count;
	secrets->count++;
	return NULL;
}

const ba_secret *ba_secrets_find(const ba_secrets *secrets, const char *name)
{
	if (!secrets || !name)
		return NULL;
	for (size_t i = 0; i < secrets->count; i++)
		if (strcmp(secrets->items[i].name, name) == 0)
			return &secrets->items[i];
	return NULL;
}

/* ------------------------------------------------------------- scanning */

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* memmem that folds ASCII letters: for hex, whose case carries nothing,
 * and for raw values, because host names are case-insensitive (a value
 * lower-cased into a DNS label still leaks) and a value in another case
 * is still the value to anyone who knows how it was changed. */
static bool contains_nocase(const unsigned char *hay, size_t hay_len, const unsigned char *needle,
                            size_t needle_len)
{
	if (needle_len == 0 || needle_len > hay_len)
		return false;
	for (size_t i = 0; i + needle_len <= hay_len; i++) {
		size_t j = 0;
		while (j < needle_len && fold(hay[i + j]) == fold(needle[j]))
			j++;
		if (j == needle_len)
			return true;
	}
	return false;
}

static bool contains(const unsigned char *hay, size_t hay_len, const unsigned char *needle,
                     size_t needle_len)
{
	return needle_len && needle_len <= hay_len && memmem(hay, hay_len, needle, needle_len);
}

/* Percent-decodes src into dst (at most src_len bytes); with plus_space,
 * '+' becomes ' ' as in form bodies. Returns the decoded length. */
static size_t url_decode(const unsigned char *src, size_t src_len, unsigned char *dst,
                         bool plus_space)
{
	size_t o = 0;
	for (size_t i = 0; i < src_len; i++) {
		int hi, lo;
		if (src[i] == '%' && i + 2 < src_len && (hi = hex_value(src[i + 1])) >= 0 &&
		    (lo = hex_value(src[i + 2])) >= 0) {
			dst[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (plus_space && src[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = src[i];
		}
	}
	return o;
}

/* The view without CR and LF, for base64 wrapped into lines. */
static size_t strip_breaks(const unsigned char *src, size_t src_len, unsigned char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < src_len; i++)
		if (src[i] != '\r' && src[i] != '\n')
			dst[o++] = src[i];
	return o;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The base64 characters that a value produces at byte alignment k (the
 * value starts k bytes into a 3-byte group) no matter what surrounds it.
 * Character j of a stream covers bits 6j..6j+5; it depends on the value
 * alone when those bits all lie within the value's bits 8k..8(k+n)-1.
 * Encoding k zero bytes + value + two zero bytes and keeping exactly those
 * characters gives a needle found inside any longer base64 stream that
 * carries the value at that alignment.
 */
static size_t b64_stable(const unsigned char *value, size_t n, unsigned k, const char *alphabet,
                         char *out)
{
	size_t bits_begin = 8 * (size_t)k, bits_end = 8 * ((size_t)k + n); /* exclusive */
	size_t first = (bits_begin + 5) / 6, last;                         /* inclusive */
	size_t o = 0;

	if (bits_end < 6 + bits_begin)
		return 0;
	last = (bits_end - 6) / 6;
	for (size_t j = first; j <= last; j++) {
		unsigned v = 0;
		for (size_t b = 6 * j; b < 6 * j + 6; b++) {
			size_t byte = b / 8 - k; /* bits_begin <= b < bits_end */
			unsigned bit = (value[byte] >> (7 - b % 8)) & 1u;
			v = v << 1 | bit;
		}
		out[o++] = alphabet[v];
	}
	return o;
}

struct view {
	const unsigned char *data;
	size_t len;
};

static bool found_base64(const ba_secret *s, const struct view *views, size_t view_count)
{
	char needle[B64_NEEDLE_MAX];
	const char *alphabets[2] = {b64_std, b64_url};

	for (unsigned k = 0; k < 3; k++) {
		for (size_t a = 0; a < 2; a++) {
			size_t n = b64_stable((const unsigned char *)s->value, s->value_len, k,
			                      alphabets[a], needle);
			/* The URL-safe needle equals the standard one when the
			 * value never produces '+' or '/'; skip the repeat. */
			if (a == 1 && !memchr(needle, '-', n) && !memchr(needle, '_', n))
				continue;
			for (size_t v = 0; v < view_count; v++)
				if (contains(views[v].data, views[v].len,
				             (const unsigned char *)needle, n))
					return true;
		}
	}
	return false;
}

static bool found_hex(const ba_secret *s, const struct view *views, size_t view_count)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char needle[2 * BA_SECRET_VALUE_MAX];
	size_t n = 0;

	for (size_t i = 0; i < s->value_len; i++) {
		unsigned char c = (unsigned char)s->value[i];
		needle[n++] = (unsigned char)digits[c >> 4];
		needle[n++] = (unsigned char)digits[c & 15];
	}
	/* Case-insensitive: lower, upper and any mix of the two. */
	for (size_t v = 0; v < view_count; v++)
		if (contains_nocase(views[v].data, views[v].len, needle, n))
			return true;
	return false;
}

const ba_secret *ba_secrets_scan(const ba_secrets *secrets, const void *data, size_t len,
                                 const char **encoding)
{
	const unsigned char *raw = data;
	unsigned char *decoded = NULL, *form = NULL, *stripped = NULL;
	size_t decoded_len = 0, form_len = 0, stripped_len = 0;
	struct view views[4];
	size_t view_count;
	const ba_secret *hit = NULL;
	const char *how = NULL;
	bool any_space = false, any_scanned = false;

	if (encoding)
		*encoding = NULL;
	if (!secrets || !data || len == 0)
		return NULL;
	for (size_t i = 0; i < secrets->count; i++) {
		const ba_secret *s = &secrets->items[i];
		if (s->value_len < BA_SECRET_MIN_SCAN)
			continue;
		any_scanned = true;
		if (memchr(s->value, ' ', s->value_len))
			any_space = true;
	}
	if (!any_scanned)
		return NULL;

	/* The decoded views are needed only when the data has something to
	 * decode; they are never longer than the data. */
	if (memchr(raw, '%', len) || (any_space && memchr(raw, '+', len))) {
		decoded = malloc(len);
		form = any_space ? malloc(len) : NULL;
		if (!decoded || (any_space && !form)) {
			/* Out of memory: fail closed with a match on the first
			 * scanned secret rather than let the request through. */
			free(decoded);
			free(form);
			for (size_t i = 0; i < secrets->count; i++)
				if (secrets->items[i].value_len >= BA_SECRET_MIN_SCAN) {
					if (encoding)
						*encoding =
						        "unknown (out of memory while scanning)";
					return &secrets->items[i];
				}
			return NULL;
		}
		decoded_len = url_decode(raw, len, decoded, false);
		if (form)
			form_len = url_decode(raw, len, form, true);
	}
	if (memchr(raw, '\n', len) || memchr(raw, '\r', len)) {
		stripped = malloc(len);
		if (stripped)
			stripped_len = strip_breaks(raw, len, stripped);
	}

	for (size_t i = 0; i < secrets->count && !hit; i++) {
		const ba_secret *s = &secrets->items[i];
		const unsigned char *value = (const unsigned char *)s->value;

		if (s->value_len < BA_SECRET_MIN_SCAN)
			continue;
		if (contains_nocase(raw, len, value, s->value_len)) {
			hit = s, how = "raw";
			break;
		}
		if ((decoded && contains_nocase(decoded, decoded_len, value, s->value_len)) ||
		    (form && contains_nocase(form, form_len, value, s->value_len))) {
			hit = s, how = "url-encoded";
			break;
		}
		view_count = 0;
		views[view_count++] = (struct view){raw, len};
		if (decoded)
			views[view_count++] = (struct view){decoded, decoded_len};
		if (stripped)
			views[view_count++] = (struct view){stripped, stripped_len};
		if (found_base64(s, views, view_count)) {
			hit = s, how = "base64";
			break;
		}
		if (found_hex(s, views, decoded ? 2 : 1)) {
			hit = s, how = "hex";
			break;
		}
	}
	free(decoded);
	free(form);
	free(stripped);
	if (hit && encoding)
		*encoding = how;
	return hit;
}

/* ------------------------------------------------------------ redaction */

void ba_secrets_redact(const ba_secrets *secrets, const char *data, char *out, size_t out_len)
{
	size_t o = 0, len;

	if (!out || out_len == 0)
		return;
	out[0] = '\0';
	if (!data)
		return;
	len = strlen(data);
	for (size_t i = 0; i < len;) {
		const ba_secret *best = NULL;

		/* Every value is redacted, however short: over-redacting a log
		 * line costs little, leaking a value into it does not. The
		 * longest value starting here wins. */
		for (size_t k = 0; secrets && k < secrets->count; k++) {
			const ba_secret *s = &secrets->items[k];
			if (s->value_len && s->value_len <= len - i &&
			    memcmp(data + i, s->value, s->value_len) == 0 &&
			    (!best || s->value_len > best->value_len))
				best = s;
		}
		if (best) {
			int n = snprintf(out + o, out_len - o, "[secret:%s]", best->name);
			if (n < 0 || (size_t)n >= out_len - o) {
				/* A marker that does not fit is dropped whole. */
				out[o] = '\0';
				return;
			}
			o += (size_t)n;
			i += best->value_len;
		} else {
			if (o + 1 >= out_len)
				break;
			out[o++] = data[i++];
		}
	}
	out[o] = '\0';
}
