/*
 * Unit tests for src/sandbox/secrets.c: adding secrets, the scanner in
 * every encoding and alignment, and redaction.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/secrets.h"

/* A value whose base64 uses '+' and '/' (0xfb 0xff ...) at some alignment,
 * so the URL-safe alphabet differs from the standard one. */
static const char token[] = "tok_3f>?~\xc3\xbb-live-9Zq";

static ba_secrets *one_secret(const char *value)
{
	static const char *const dests[] = {"https://api.example.com"};
	ba_secrets *s = ba_secrets_new();
	char err[512];

	CHECK(s != NULL);
	CHECK(ba_secrets_add(s, "api_key", value, strlen(value), "Authorization: Bearer {}", dests,
	                     1, err, sizeof(err)) == NULL);
	return s;
}

/* An independent base64 encoder for the tests. */
static void b64(const unsigned char *in, size_t n, bool url_safe, char *out)
{
	const char *abc =
	        url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;

	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static const char *scan_str(const ba_secrets *s, const char *data, const char **enc)
{
	const ba_secret *hit = ba_secrets_scan(s, data, strlen(data), enc);
	return hit ? hit->name : NULL;
}

TEST(add_copies_value_and_parses_destinations)
{
	const char *dests[] = {"https://api.example.com",
	                       "network:GET:https://*.example.org:8443/v1"};
	ba_secrets *s = ba_secrets_new();
	char value[] = "s3cr3t-value";
	char err[512];
	const ba_secret *sec;

	CHECK(ba_secrets_add(s, "gh", value, strlen(value), "X-Token: {}", dests, 2, err,
	                     sizeof(err)) == NULL);
	memset(value, 'z', strlen(value)); /* the table has its own copy */
	sec = ba_secrets_find(s, "gh");
	CHECK(sec != NULL);
	CHECK_EQ_STR(sec->value, "s3cr3t-value");
	CHECK_EQ_UINT(sec->value_len, 12);
	CHECK_EQ_STR(sec->header, "X-Token: {}");
	CHECK_EQ_UINT(sec->dest_count, 2);
	CHECK_EQ_INT(sec->dests[0].kind, BA_CAP_NETWORK);
	CHECK_EQ_STR(sec->dests[0].host, "api.example.com");
	CHECK_EQ_STR(sec->dests[0].scheme, "https");
	CHECK_EQ_STR(sec->dests[1].host, "*.example.org");
	CHECK_EQ_UINT(sec->dests[1].port, 8443);
	CHECK_EQ_UINT(sec->dests[1].methods, BA_METHOD_GET);
	CHECK(ba_secrets_find(s, "nope") == NULL);
	CHECK(ba_secrets_find(NULL, "gh") == NULL);
	ba_secrets_free(s);
	ba_secrets_free(NULL);
}

TEST(add_refuses_bad_input)
{
	const char *dests[] = {"https://api.example.com"};
	const char *bad_dest[] = {"fs.read:/etc"};
	const char *junk_dest[] = {"ftp://x"};
	ba_secrets *s = ba_secrets_new();
	char err[512];
	const char *v = "value-123456";
	size_t n = strlen(v);

	CHECK(ba_secrets_add(s, "a", v, n, "Authorization: {}", dests, 1, err, sizeof(err)) ==
	      NULL);
	/* duplicate name */
	CHECK(ba_secrets_add(s, "a", v, n, "Authorization: {}", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "twice");
	/* bad names */
	CHECK(ba_secrets_add(s, "", v, n, "A: {}", dests, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "a b", v, n, "A: {}", dests, 1, err, sizeof(err)));
	/* templates */
	CHECK(ba_secrets_add(s, "b", v, n, "Authorization: Bearer", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "{}");
	CHECK(ba_secrets_add(s, "b", v, n, "A: {} {}", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "more than one");
	CHECK(ba_secrets_add(s, "b", v, n, "no colon {}", dests, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "b", v, n, ": {}", dests, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "b", v, n, "A: {}\r\nX-Evil: 1", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "control character");
	CHECK(ba_secrets_add(s, "b", v, n, "Host: {}", dests, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "b", v, n, "Proxy-Authorization: {}", dests, 1, err, sizeof(err)));
	/* values */
	CHECK(ba_secrets_add(s, "b", v, 0, "A: {}", dests, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "b", "ab\r\nX: y", 8, "A: {}", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "control character");
	CHECK(ba_secrets_add(s, "b", "ab\0cdefg", 8, "A: {}", dests, 1, err, sizeof(err)));
	{
		char *big = malloc(BA_SECRET_VALUE_MAX + 1);
		CHECK(big != NULL);
		memset(big, 'q', BA_SECRET_VALUE_MAX + 1);
		CHECK(ba_secrets_add(s, "b", big, BA_SECRET_VALUE_MAX + 1, "A: {}", dests, 1, err,
		                     sizeof(err)));
		CHECK(ba_secrets_add(s, "b", big, BA_SECRET_VALUE_MAX, "A: {}", dests, 1, err,
		                     sizeof(err)) == NULL);
		free(big);
	}
	/* destinations */
	CHECK(ba_secrets_add(s, "c", v, n, "A: {}", dests, 0, err, sizeof(err)));
	CHECK_CONTAINS(err, "no destinations");
	CHECK(ba_secrets_add(s, "c", v, n, "A: {}", bad_dest, 1, err, sizeof(err)));
	CHECK(ba_secrets_add(s, "c", v, n, "A: {}", junk_dest, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "secret c");
	/* a NULL error buffer still reports failure */
	CHECK(ba_secrets_add(s, "c", v, n, "A: no hole", dests, 1, NULL, 0) != NULL);
	/* nothing was added by the failures */
	CHECK_EQ_UINT(s->count, 2);
	ba_secrets_free(s);
}

TEST(table_is_capped)
{
	const char *dests[] = {"https://api.example.com"};
	ba_secrets *s = ba_secrets_new();
	char err[512], name[32];

	for (int i = 0; i < BA_SECRET_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		CHECK(ba_secrets_add(s, name, "value-long", 10, "A: {}", dests, 1, err,
		                     sizeof(err)) == NULL);
	}
	CHECK(ba_secrets_add(s, "one_more", "value-long", 10, "A: {}", dests, 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "more than");
	ba_secrets_free(s);
}

TEST(scan_raw)
{
	ba_secrets *s = one_secret("hunter2-abcdef");
	const char *enc = NULL;

	CHECK_EQ_STR(scan_str(s, "https://x/?k=hunter2-abcdef&z=1", &enc), "api_key");
	CHECK_EQ_STR(enc, "raw");
	CHECK(scan_str(s, "https://x/?k=hunter2-abcde&z=1", &enc) == NULL);
	CHECK(enc == NULL);
	CHECK(scan_str(s, "", &enc) == NULL);
	/* binary data with NULs around it */
	{
		char bin[64] = {0};
		memcpy(bin + 20, "hunter2-abcdef", 14);
		CHECK(ba_secrets_scan(s, bin, sizeof(bin), &enc) != NULL);
	}
	CHECK(ba_secrets_scan(NULL, "hunter2-abcdef", 14, &enc) == NULL);
	ba_secrets_free(s);
}

TEST(scan_base64_every_alignment_and_alphabet)
{
	ba_secrets *s = one_secret(token);
	const unsigned char fill[] = {0xff, 0xfe, 0x00, 0x7f, 0x80, 0x41};
	bool url_differs = false;

	for (size_t pre = 0; pre <= 5; pre++) {
		for (size_t post = 0; post <= 3; post++) {
			for (int url_safe = 0; url_safe < 2; url_safe++) {
				unsigned char in[128];
				char enc_std[256], enc[256];
				const char *how = NULL;
				size_t n = 0;

				memcpy(in, fill, pre);
				n = pre;
				memcpy(in + n, token, strlen(token));
				n += strlen(token);
				memcpy(in + n, fill, post);
				n += post;
				b64(in, n, url_safe, enc);
				b64(in, n, false, enc_std);
				if (strcmp(enc, enc_std) != 0)
					url_differs = true;
				/* nothing raw is left in the encoded text */
				CHECK(strstr(enc, "live") == NULL);
				if (!scan_str(s, enc, &how))
					ba_test_fail(
					        __FILE__, __LINE__,
					        "base64 not found: pre %zu post %zu url %d: %s",
					        pre, post, url_safe, enc);
				CHECK_EQ_STR(how, "base64");
			}
		}
	}
	/* The test value really exercises the URL-safe alphabet. */
	CHECK(url_differs);
	ba_secrets_free(s);
}

TEST(scan_base64_in_context_and_wrapped)
{
	ba_secrets *s = one_secret("correct-horse-battery-staple");
	char enc[256], body[512], wrapped[512];
	const char *how;
	size_t o = 0;

	b64((const unsigned char *)"user:correct-horse-battery-staple", 33, false, enc);
	snprintf(body, sizeof(body), "Authorization: Basic %s\r\n", enc);
	CHECK_EQ_STR(scan_str(s, body, &how), "api_key");
	CHECK_EQ_STR(how, "base64");

	/* MIME wraps base64 lines; a line break inside must not hide it. */
	for (size_t i = 0; enc[i]; i++) {
		if (i && i % 10 == 0) {
			wrapped[o++] = '\r';
			wrapped[o++] = '\n';
		}
		wrapped[o++] = enc[i];
	}
	wrapped[o] = '\0';
	CHECK_EQ_STR(scan_str(s, wrapped, &how), "api_key");
	CHECK_EQ_STR(how, "base64");

	/* percent-encoded base64 (as in a query string) */
	{
		char q[512];
		size_t k = 0;
		for (size_t i = 0; enc[i]; i++) {
			if (enc[i] == '+' || enc[i] == '/' || enc[i] == '=')
				k += (size_t)snprintf(q + k, sizeof(q) - k, "%%%02X",
				                      (unsigned char)enc[i]);
			else
				q[k++] = enc[i];
		}
		q[k] = '\0';
		CHECK(scan_str(s, q, &how) != NULL);
	}
	ba_secrets_free(s);
}

TEST(scan_hex_both_cases)
{
	ba_secrets *s = one_secret("Key!9xyz");
	const char *how;

	/* "Key!9xyz" = 4b 65 79 21 39 78 79 7a */
	CHECK(scan_str(s, "data=4b657921397879 7a", &how) == NULL);
	CHECK_EQ_STR(scan_str(s, "data=4b6579213978797a;", &how), "api_key");
	CHECK_EQ_STR(how, "hex");
	CHECK_EQ_STR(scan_str(s, "data=4B6579213978797A;", &how), "api_key");
	CHECK_EQ_STR(how, "hex");
	CHECK_EQ_STR(scan_str(s, "00ff4B6579213978797aff", &how), "api_key");
	ba_secrets_free(s);
}

TEST(scan_url_encoded_forms)
{
	ba_secrets *s = one_secret("a b/c?d=e&f");
	const char *how;

	/* only reserved bytes encoded, upper and lower hex */
	CHECK_EQ_STR(scan_str(s, "/x?q=a%20b%2Fc%3Fd%3De%26f", &how), "api_key");
	CHECK_EQ_STR(how, "url-encoded");
	CHECK_EQ_STR(scan_str(s, "/x?q=a%20b%2fc%3fd%3de%26f", &how), "api_key");
	/* every byte encoded */
	CHECK_EQ_STR(scan_str(s, "%61%20%62%2F%63%3F%64%3D%65%26%66", &how), "api_key");
	CHECK_EQ_STR(scan_str(s, "%61%20%62%2f%63%3f%64%3d%65%26%66", &how), "api_key");
	CHECK_EQ_STR(how, "url-encoded");
	/* form encoding: space as '+' */
	CHECK_EQ_STR(scan_str(s, "q=a+b%2Fc%3Fd%3De%26f", &how), "api_key");
	/* not the value */
	CHECK(scan_str(s, "q=a+b%2Fc%3Fd%3De%26g", &how) == NULL);
	ba_secrets_free(s);

	s = one_secret("plainvalue42");
	CHECK_EQ_STR(scan_str(s, "%70%6c%61%69%6e%76%61%6c%75%65%34%32", &how), "api_key");
	CHECK_EQ_STR(how, "url-encoded");
	CHECK_EQ_STR(scan_str(s, "%70%6C%61%69%6E%76%61%6C%75%65%34%32", &how), "api_key");
	ba_secrets_free(s);
}

TEST(short_values_are_not_scanned)
{
	const char *dests[] = {"https://api.example.com"};
	ba_secrets *s = ba_secrets_new();
	char err[256];
	const char *how;
	char enc[64];

	CHECK(BA_SECRET_MIN_SCAN == 6);
	CHECK(ba_secrets_add(s, "pin", "12345", 5, "X-Pin: {}", dests, 1, err, sizeof(err)) ==
	      NULL);
	CHECK(scan_str(s, "my pin is 12345", &how) == NULL);
	CHECK(ba_secrets_add(s, "six", "abcdef", 6, "X-Six: {}", dests, 1, err, sizeof(err)) ==
	      NULL);
	CHECK_EQ_STR(scan_str(s, "xxabcdefxx", &how), "six");
	b64((const unsigned char *)"abcdef", 6, false, enc);
	CHECK_EQ_STR(scan_str(s, enc, &how), "six");
	ba_secrets_free(s);
}

TEST(scan_finds_no_false_positive_in_ordinary_text)
{
	ba_secrets *s = one_secret(token);
	static const char text[] =
	        "GET /search?q=hello+world&lang=en HTTP/1.1\r\nAccept: */*\r\n"
	        "{\"items\":[1,2,3],\"token\":\"dG9rXzNmPj9+\",\"hex\":\"746f6b5f\"}";
	const char *how;

	CHECK(scan_str(s, text, &how) == NULL);
	ba_secrets_free(s);
}

TEST(redact_replaces_every_value)
{
	const char *dests[] = {"https://api.example.com"};
	ba_secrets *s = ba_secrets_new();
	char err[256], out[256];

	CHECK(ba_secrets_add(s, "short", "abc", 3, "X-A: {}", dests, 1, err, sizeof(err)) == NULL);
	CHECK(ba_secrets_add(s, "long", "abcdefgh", 8, "X-B: {}", dests, 1, err, sizeof(err)) ==
	      NULL);
	ba_secrets_redact(s, "1 abcdefgh 2 abc 3 ab", out, sizeof(out));
	CHECK_EQ_STR(out, "1 [secret:long] 2 [secret:short] 3 ab");

	/* truncation never leaves part of a value behind */
	ba_secrets_redact(s, "xx abcdefgh", out, 8);
	CHECK_EQ_STR(out, "xx ");
	ba_secrets_redact(s, "hello", out, 3);
	CHECK_EQ_STR(out, "he");
	ba_secrets_redact(NULL, "no secrets", out, sizeof(out));
	CHECK_EQ_STR(out, "no secrets");
	ba_secrets_redact(s, NULL, out, sizeof(out));
	CHECK_EQ_STR(out, "");
	ba_secrets_free(s);
}
