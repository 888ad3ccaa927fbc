/*
 * utf8.c - UTF-8 validation (see utf8.h).
 */
#include "core/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t ba_utf8_char(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	unsigned char c = u[0];
	if (c < 0x80)
		return 1;
	/* The lead byte gives the length; the second byte's range rules out
	 * overlong forms, surrogates and code points above U+10FFFF (the
	 * table of well-formed sequences in the Unicode standard, 3.9). */
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0, C1 or F5..FF */
	}
	if (n < len || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool ba_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		/* ASCII without a call: it is most of what is checked. */
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = ba_utf8_char(s + i, len - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

size_t ba_utf8_cut(const char *s, size_t len, size_t max)
{
	if (max >= len)
		return len;
	size_t n = max;
	/* s[n] is the first byte left out: while it is a continuation byte
	 * (10xxxxxx), the cut is inside a character. Bounded, so garbage of
	 * continuation bytes cannot empty the prefix. */
	for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; k++)
		n--;
	return n;
}

char *ba_utf8_replace_invalid(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t bad = 0;
	for (size_t i = 0; i < len;) {
		size_t k = u[i] < 0x80 ? 1 : ba_utf8_char(s + i, len - i);
		bad += k == 0;
		i += k ? k : 1;
	}
	/* Each invalid byte (1) becomes U+FFFD (3). */
	if (bad > (SIZE_MAX - 1 - len) / 2)
		return NULL;
	char *out = malloc(len + 2 * bad + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = ba_utf8_char(s + i, len - i);
		if (k) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, replacement, 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	if (out_len)
		*out_len = (size_t)(o - out);
	return out;
}
