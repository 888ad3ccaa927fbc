/*
 * secret_readback_bytewise: read the reflected secret one byte at a time.
 *
 * Secret setup as in secret_echo_readback. A redaction applied to each
 * http_read chunk (instead of to the whole response) would miss a value
 * split across chunks; so the tool reads A's /echo with capacities of 1
 * and 7 bytes, reads the response headers with small capacities too, and
 * looks for the token in what it reassembled.
 * Proves: redaction happens before any byte reaches the tool.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void check(const char *how, const char *text)
{
	const char *p = strstr(text, "Bearer ");
	size_t n = 0;

	if (!p)
		return;
	p += 7;
	while (p[n] && p[n] != '"' && p[n] != '\\' && p[n] != ' ')
		n++;
	if (n >= 6 && p[0] != '[')
		escaped("%s: read the injected secret \"Bearer %.4s...\" (%zu bytes)", how, p, n);
	note("%s: the token is \"%.*s\"", how, (int)(n < 40 ? n : 40), p);
}

static void read_with(const char *url, uint32_t cap)
{
	static char body[65536];
	char what[64];
	int32_t h = 0, st;
	uint32_t n = 0, total = 0;

	st = ba_http_request(P("GET"), 3, P(url), (uint32_t)strlen(url), 0, 0, 0, 0, P(&h));
	if (st != BA_OK)
		blocked("GET /echo: %s", ba_status_name(st));
	while (total + cap < sizeof(body) &&
	       ba_http_read(h, P(body + total), cap, P(&n)) == BA_OK && n > 0)
		total += n;
	body[total] = '\0';
	snprintf(what, sizeof(what), "body read %u byte(s) at a time", cap);
	check(what, body);
	/* The headers, with a capacity too small for any one line. */
	total = 0;
	if (ba_http_headers(h, P(body), 8, P(&n)) == BA_OK && n < sizeof(body) &&
	    ba_http_headers(h, P(body), n, P(&total)) == BA_OK) {
		body[n] = '\0';
		check("response headers", body);
	}
	ba_http_close(h);
}

int main(void)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", input_need("port_a"));
	read_with(url, 1);
	read_with(url, 7);
	blocked("no chunking revealed the secret");
}
