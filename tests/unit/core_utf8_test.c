/* Tests for src/core/utf8.c: RFC 3629 UTF-8, and replacing what is not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/utf8.h"

#define LEN(s) (sizeof(s) - 1)

TEST(characters_of_each_length)
{
	CHECK_EQ_UINT(ba_utf8_char("a", 1), 1);
	CHECK_EQ_UINT(ba_utf8_char("\0", 1), 1); /* U+0000 is a character */
	CHECK_EQ_UINT(ba_utf8_char("\x7f", 1), 1);
	CHECK_EQ_UINT(ba_utf8_char("\xc2\x80", 2), 2);          /* U+0080 */
	CHECK_EQ_UINT(ba_utf8_char("\xdf\xbf", 2), 2);          /* U+07FF */
	CHECK_EQ_UINT(ba_utf8_char("\xe0\xa0\x80", 3), 3);      /* U+0800 */
	CHECK_EQ_UINT(ba_utf8_char("\xed\x9f\xbf", 3), 3);      /* U+D7FF */
	CHECK_EQ_UINT(ba_utf8_char("\xee\x80\x80", 3), 3);      /* U+E000 */
	CHECK_EQ_UINT(ba_utf8_char("\xef\xbf\xbd", 3), 3);      /* U+FFFD */
	CHECK_EQ_UINT(ba_utf8_char("\xf0\x90\x80\x80", 4), 4);  /* U+10000 */
	CHECK_EQ_UINT(ba_utf8_char("\xf4\x8f\xbf\xbf", 4), 4);  /* U+10FFFF */
	CHECK_EQ_UINT(ba_utf8_char("\xe2\x82\xac rest", 8), 3); /* only the first */
}

TEST(what_is_not_a_character)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
	        {"", 0},                 /* nothing left */
	        {"\x80", 1},             /* a continuation byte */
	        {"\xbf", 1},             /* likewise */
	        {"\xc0\x80", 2},         /* overlong NUL */
	        {"\xc1\xbf", 2},         /* overlong */
	        {"\xe0\x9f\xbf", 3},     /* overlong U+07FF */
	        {"\xf0\x8f\xbf\xbf", 4}, /* overlong U+FFFF */
	        {"\xed\xa0\x80", 3},     /* surrogate U+D800 */
	        {"\xed\xbf\xbf", 3},     /* surrogate U+DFFF */
	        {"\xf4\x90\x80\x80", 4}, /* U+110000 */
	        {"\xf5\x80\x80\x80", 4}, /* lead byte above F4 */
	        {"\xff", 1},             /* never in UTF-8 */
	        {"\xc2", 1},             /* cut short */
	        {"\xe2\x82", 2},         /* cut short */
	        {"\xf0\x90\x80", 3},     /* cut short */
	        {"\xe2\x82\xac", 2},     /* the bytes are there, n says not */
	        {"\xc2\x41", 2},         /* not a continuation */
	        {"\xe2\x28\xa1", 3},     /* likewise, second byte */
	        {"\xe2\x82\x28", 3},     /* likewise, third byte */
	        {"\xf0\x90\x28\xbc", 4}, /* likewise, third of four */
	        {"\xf0\x90\x8c\x28", 4}, /* likewise, fourth */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_UINT(ba_utf8_char(bad[i].s, bad[i].n), 0);
		CHECK(bad[i].n == 0 || !ba_utf8_valid(bad[i].s, bad[i].n));
	}
}

/* Every two-byte sequence, against a decoder written another way. */
TEST(all_short_sequences_agree_with_a_decoder)
{
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++) {
			char s[2] = {(char)a, (char)b};
			size_t want = 0;
			if (a < 0x80)
				want = 1;
			else if (a >= 0xc0 && a < 0xe0 && (b & 0xc0) == 0x80 &&
			         (((a & 0x1fu) << 6) | (b & 0x3fu)) >= 0x80)
				want = 2;
			CHECK_EQ_UINT(ba_utf8_char(s, 2), want);
		}
	/* Three bytes: every lead and second byte, a fixed third. */
	for (unsigned a = 0xe0; a < 0xf0; a++)
		for (unsigned b = 0; b < 256; b++) {
			char s[3] = {(char)a, (char)b, (char)0x80};
			unsigned cp = (a & 0x0fu) << 12 | (b & 0x3fu) << 6;
			size_t want =
			        (b & 0xc0) == 0x80 && cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff)
			                ? 3
			                : 0;
			CHECK_EQ_UINT(ba_utf8_char(s, 3), want);
		}
	/* Four bytes: likewise. */
	for (unsigned a = 0xf0; a < 0x100; a++)
		for (unsigned b = 0; b < 256; b++) {
			char s[4] = {(char)a, (char)b, (char)0x80, (char)0x80};
			unsigned cp = (a & 0x07u) << 18 | (b & 0x3fu) << 12;
			size_t want =
			        a < 0xf8 && (b & 0xc0) == 0x80 && cp >= 0x10000 && cp <= 0x10ffff
			                ? 4
			                : 0;
			CHECK_EQ_UINT(ba_utf8_char(s, 4), want);
		}
}

TEST(whole_strings)
{
	CHECK(ba_utf8_valid("", 0));
	CHECK(ba_utf8_valid("plain ascii", 11));
	CHECK(ba_utf8_valid("a\0b", 3));
	static const char mixed[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	CHECK(ba_utf8_valid(mixed, LEN(mixed)));
	CHECK(!ba_utf8_valid(mixed, LEN(mixed) - 1)); /* cut */
	CHECK(!ba_utf8_valid("ok\xffok", 5));
	CHECK(!ba_utf8_valid("\xed\xa0\x80", 3));
	/* Only len bytes are looked at. */
	CHECK(ba_utf8_valid("ok\xff", 2));
}

TEST(invalid_bytes_become_replacement_characters)
{
	size_t n = 99;
	char *s = ba_utf8_replace_invalid("caf\xc3\xa9", 5, &n);
	CHECK(s != NULL);
	CHECK_EQ_STR(s, "caf\xc3\xa9");
	CHECK_EQ_UINT(n, 5);
	free(s);
	/* Each bad byte is one U+FFFD: a cut sequence gives one per byte. */
	static const char bad[] = "a\xffz\xe2\x82!\xed\xa0\x80";
	s = ba_utf8_replace_invalid(bad, LEN(bad), &n);
	CHECK(s != NULL);
	static const char want[] = "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd!"
	                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd";
	CHECK_EQ_UINT(n, LEN(want));
	CHECK(memcmp(s, want, sizeof(want)) == 0);
	CHECK(ba_utf8_valid(s, n));
	free(s);
	/* NUL bytes are kept (valid U+0000); the copy is terminated. */
	s = ba_utf8_replace_invalid("a\0\x80", 3, &n);
	CHECK(s != NULL);
	CHECK_EQ_UINT(n, 5);
	CHECK(memcmp(s, "a\0\xef\xbf\xbd", 6) == 0);
	free(s);
	s = ba_utf8_replace_invalid("", 0, NULL);
	CHECK(s != NULL);
	CHECK_EQ_STR(s, "");
	free(s);
}

TEST(cut_never_splits_a_character)
{
	static const char s[] = "a\xc3\xa9z\xf0\x9f\x98\x80!"; /* a é z 😀 ! */
	static const size_t want[] = {0, 1, 1, 3, 4, 4, 4, 4, 8, 9};
	for (size_t max = 0; max <= LEN(s); max++) {
		size_t n = ba_utf8_cut(s, LEN(s), max);
		CHECK_EQ_UINT(n, want[max]);
		CHECK(ba_utf8_valid(s, n)); /* a prefix of valid text stays valid */
	}
	CHECK_EQ_UINT(ba_utf8_cut(s, LEN(s), 100), LEN(s));
	CHECK_EQ_UINT(ba_utf8_cut(s, LEN(s), SIZE_MAX), LEN(s));
	CHECK_EQ_UINT(ba_utf8_cut("", 0, 0), 0);
	/* Only len bytes are looked at: a cut at len is never moved. */
	CHECK_EQ_UINT(ba_utf8_cut("ab\x80", 2, 2), 2);
	/* A cut before a lead byte or an ASCII byte stays. */
	CHECK_EQ_UINT(ba_utf8_cut("ab\xe2\x82\xac", 5, 2), 2);
}

TEST(cut_of_garbage_backs_up_at_most_three_bytes)
{
	static const char junk[] = "\x80\x80\x80\x80\x80\x80";
	CHECK_EQ_UINT(ba_utf8_cut(junk, 6, 5), 2);
	CHECK_EQ_UINT(ba_utf8_cut(junk, 6, 2), 0);
	/* A lone lead byte is kept; what follows it decides. */
	CHECK_EQ_UINT(ba_utf8_cut("a\xff\x80z", 4, 2), 1);
	CHECK_EQ_UINT(ba_utf8_cut("a\xffzz", 4, 2), 2);
}
