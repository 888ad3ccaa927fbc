/*
 * fuzz_secrets.c - libFuzzer target: the exfiltration scanner and the
 * redactor (sandbox/secrets.h).
 *
 * ba_secrets_scan reads everything a tool asks to send (URL, headers,
 * body), so its input is fully tool-controlled. The table holds a few
 * fixed secrets (a token, one with a space so form decoding is on, one of
 * non-ASCII bytes whose base64 has '+' and '/', one exactly
 * BA_SECRET_MIN_SCAN long, one with tabs, one too short to scan) and, when
 * the input asks for it, one whose value comes from the input. Besides
 * crashes, leaks and sanitizer reports this target aborts when:
 *
 *   - the data holds a scanned value (in any ASCII case) and the scan
 *     finds nothing;
 *   - a scanned value is planted into the data in one of the encodings
 *     secrets.h lists - raw in mixed case; base64 (standard or URL-safe,
 *     inside a longer stream at any alignment, optionally wrapped at 76
 *     columns with CRLF); hex (lower, upper, mixed); percent-encoding of
 *     every byte, of only the reserved bytes, of a random mix, or as a
 *     form with '+' for spaces - and the scan finds nothing;
 *   - a scan reports an encoding outside that list, or one without a hit;
 *   - ba_secrets_redact overflows its output, leaves it unterminated, or
 *     leaves a raw value in it.
 *
 * Input: 6 control bytes, then the data. byte 0: bit 0 add a secret made
 * of the data's first byte 3 % 64 + 1 bytes; bits 1-4 the encoding to
 * plant (0 = none); bit 5 wrap base64; byte 1 which secret; byte 2 where
 * to plant it; byte 4 the redaction buffer's size; byte 5 base64 context
 * and case bits.
 */
#include "check.h"
#include "sandbox/secrets.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	const char *value;
} fixed[] = {
        {"API_KEY", "sk-live-4f9a8b7c6d5e"},
        {"PASS", "hunter2 correct horse"},
        {"BIN", "\xff\xfe>?~\xfb\xef\xbe binary"},
        {"SIX", "AbCdEf"},
        {"TAB", "a\tb\tc\td!"},
        {"SHORT", "tok"},
};
#define N_FIXED (sizeof(fixed) / sizeof(fixed[0]))

static const char *const dests[] = {"https://api.example.com"};

/* The fixed secrets, in a table made once (a table is ~1 MB). */
static ba_secrets *table(void)
{
	ba_secrets *t = ba_secrets_new();
	char err[512];

	if (!t)
		abort();
	for (size_t i = 0; i < N_FIXED; i++)
		if (ba_secrets_add(t, fixed[i].name, fixed[i].value, strlen(fixed[i].value),
		                   "Authorization: Bearer {}", dests, 1, err, sizeof(err)))
			ba_fuzz_fail("fixed secret %s: %s", fixed[i].name, err);
	return t;
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool has_nocase(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; m && i + m <= n; i++) {
		size_t j = 0;
		while (j < m && fold(hay[i + j]) == fold(needle[j]))
			j++;
		if (j == m)
			return true;
	}
	return false;
}

/* A growable output for planted encodings (enough for the longest). */
typedef struct out {
	char *p;
	size_t n;
} out;

static void put(out *o, const void *s, size_t n)
{
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void put_c(out *o, char c)
{
	o->p[o->n++] = c;
}

/* Base64 of s; with wrap, a CRLF every 76 columns, the stream having
 * started col columns before s (so the break can fall anywhere in s). */
static void base64(out *o, const uint8_t *s, size_t n, bool url, bool wrap, size_t col)
{
	const char *alpha =
	        url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	            : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = {alpha[v >> 18 & 63], alpha[v >> 12 & 63],
		             i + 1 < n ? alpha[v >> 6 & 63] : '=', i + 2 < n ? alpha[v & 63] : '='};
		for (int k = 0; k < 4; k++) {
			if (wrap && col == 76) {
				put(o, "\r\n", 2);
				col = 0;
			}
			put_c(o, q[k]);
			col++;
		}
	}
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Plants value into o in encoding kind; bits choose cases and mixes. */
static void plant(out *o, int kind, const uint8_t *v, size_t n, const uint8_t *ctx,
                  unsigned ctx_bits, bool wrap)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	uint8_t buf[BA_SECRET_VALUE_MAX + 4];
	size_t pre = ctx_bits % 3, post = (ctx_bits / 3) % 3;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];
		bool bit = (ctx_bits >> (i % 8)) & 1;
		const char *hex = bit ? up : lo;
		switch (kind) {
		case 1: /* raw, letters in mixed case */
			put_c(o, (char)(bit && c >= 'a' && c <= 'z'   ? c - 'a' + 'A'
			                : bit && c >= 'A' && c <= 'Z' ? c - 'A' + 'a'
			                                              : c));
			break;
		case 4: /* hex, lower */
			put_c(o, lo[c >> 4]);
			put_c(o, lo[c & 15]);
			break;
		case 5: /* hex, upper */
			put_c(o, up[c >> 4]);
			put_c(o, up[c & 15]);
			break;
		case 6: /* hex, mixed */
			put_c(o, hex[c >> 4]);
			put_c(o, ((ctx_bits >> ((i + 3) % 8)) & 1 ? up : lo)[c & 15]);
			break;
		case 7: /* every byte percent-encoded */
			put_c(o, '%');
			put_c(o, hex[c >> 4]);
			put_c(o, hex[c & 15]);
			break;
		case 8:  /* reserved bytes only */
		case 9:  /* as a form: also ' ' as '+' */
		case 10: /* a random mix ('%' must always be encoded) */
			if (kind == 9 && c == ' ') {
				put_c(o, '+');
			} else if ((kind == 10 && !bit && c != '%' && c != '+') ||
			           (kind != 10 && unreserved(c))) {
				put_c(o, (char)c);
			} else {
				put_c(o, '%');
				put_c(o, hex[c >> 4]);
				put_c(o, hex[c & 15]);
			}
			break;
		default:
			break;
		}
	}
	if (kind == 2 || kind == 3) { /* base64 inside a longer stream */
		memcpy(buf, ctx, pre);
		memcpy(buf + pre, v, n);
		memcpy(buf + pre + n, ctx + 2, post);
		base64(o, buf, pre + n + post, kind == 3, wrap, ctx_bits % 76);
	}
}

static void check_scan(const ba_secrets *t, const uint8_t *d, size_t n, bool must_find,
                       const char *what)
{
	const char *enc = "unset";
	const ba_secret *hit = ba_secrets_scan(t, d, n, &enc);

	if (!hit) {
		if (enc)
			ba_fuzz_fail("%s: no hit but encoding \"%s\"", what, enc);
		if (must_find)
			ba_fuzz_fail("%s: the scan missed a secret in %zu bytes", what, n);
		return;
	}
	if (!enc || (strcmp(enc, "raw") && strcmp(enc, "base64") && strcmp(enc, "hex") &&
	             strcmp(enc, "url-encoded")))
		ba_fuzz_fail("%s: hit %s with encoding \"%s\"", what, hit->name,
		             enc ? enc : "NULL");
	if (hit->value_len < BA_SECRET_MIN_SCAN)
		ba_fuzz_fail("%s: hit on %s, shorter than BA_SECRET_MIN_SCAN", what, hit->name);
}

static void check_redact(const ba_secrets *t, const uint8_t *d, size_t n, unsigned sel)
{
	char *text = malloc(n + 1);
	if (!text)
		return;
	memcpy(text, d, n);
	text[n] = '\0';
	size_t len = strlen(text);
	size_t out_len = sel == 255 ? 2 * len + 64 : 1 + sel % (len + 32);
	char *o = malloc(out_len);
	if (!o) {
		free(text);
		return;
	}
	ba_secrets_redact(t, text, o, out_len);
	if (!memchr(o, '\0', out_len))
		ba_fuzz_fail("redact: output not terminated");
	for (size_t i = 0; i < t->count; i++) {
		const ba_secret *s = &t->items[i];
		/* A value made of marker text could be rebuilt by the markers
		 * themselves; such values are not checked. */
		bool markerish =
		        memchr(s->value, '[', s->value_len) || memchr(s->value, ']', s->value_len);
		for (size_t k = 0; k < t->count && !markerish; k++) {
			char marker[300];
			snprintf(marker, sizeof(marker), "[secret:%s]", t->items[k].name);
			markerish = memmem(marker, strlen(marker), s->value, s->value_len) != NULL;
		}
		if (!markerish && memmem(o, strlen(o), s->value, s->value_len))
			ba_fuzz_fail("redact: %s is still in the output", s->name);
	}
	free(o);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ba_secrets *t;
	char err[512];

	if (size < 6)
		return 0;
	unsigned flags = data[0], which = data[1], where = data[2], dyn_len = data[3] % 64 + 1;
	unsigned redact_sel = data[4], ctx_bits = data[5];
	const uint8_t *d = data + 6;
	size_t n = size - 6;

	if (!t)
		t = table();
	/* Optionally one more secret, made of the data's first bytes; it is
	 * taken out of the table again at the end (the table's layout is
	 * public: the entry's value is freed and the count goes back). */
	if ((flags & 1) && n >= dyn_len) {
		(void)ba_secrets_add(t, "DYN", (const char *)d, dyn_len, "X-Dyn: {}", dests, 1, err,
		                     sizeof(err));
		d += dyn_len;
		n -= dyn_len;
	}

	/* A copy of exactly n bytes, so over-reads are reported. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		goto done;
	memcpy(copy, d, n);
	bool present = false;
	for (size_t i = 0; i < t->count; i++) {
		const ba_secret *s = &t->items[i];
		if (s->value_len >= BA_SECRET_MIN_SCAN &&
		    has_nocase(copy, n, (const uint8_t *)s->value, s->value_len))
			present = true;
	}
	check_scan(t, copy, n, present, "data");
	check_redact(t, copy, n, redact_sel);
	free(copy);

	/* Plant a scanned value in an encoding, between '&'s so that the
	 * data around it cannot turn its first or last bytes into a
	 * percent-escape of something else. */
	int kind = (int)((flags >> 1) & 15) % 11;
	const ba_secret *s = &t->items[which % t->count];
	if (kind == 0 || s->value_len < BA_SECRET_MIN_SCAN)
		goto done;
	size_t cap = n + 4 * s->value_len + (4 * s->value_len / 76 + 2) * 2 + 32;
	out o = {malloc(cap), 0};
	if (!o.p)
		goto done;
	size_t pos = n ? (size_t)where * n / 255 : 0;
	uint8_t ctx[4] = {'x', 'y', 'z', 'w'};
	memcpy(ctx, d, n < 4 ? n : 4);
	put(&o, d, pos);
	put_c(&o, '&');
	plant(&o, kind, (const uint8_t *)s->value, s->value_len, ctx, ctx_bits, flags & 32);
	put_c(&o, '&');
	put(&o, d + pos, n - pos);
	check_scan(t, (const uint8_t *)o.p, o.n, true, "planted");
	free(o.p);
done:
	if (t->count > N_FIXED) {
		t->count--;
		free(t->items[t->count].value);
		memset(&t->items[t->count], 0, sizeof(t->items[0]));
	}
	return 0;
}
