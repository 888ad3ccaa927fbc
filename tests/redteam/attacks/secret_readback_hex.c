/*
 * secret_readback_hex: the bound host reflects the request hex-encoded.
 *
 * Secret setup as in secret_echo_readback. A's /echo?hex=1 answers with
 * the echo JSON hex-encoded, so a redaction of the raw value finds
 * nothing. The tool decodes whatever it gets and looks for the token.
 * Proves: a response holding the secret in any encoding the scanner knows
 * is withheld (and recorded), not handed over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(void)
{
	char url[128];
	http_result res;
	int32_t st;
	char *plain, *p;
	size_t n = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?hex=1", input_need("port_a"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st != BA_OK)
		blocked("GET /echo?hex=1: %s (%s)", ba_status_name(st), res.error);
	plain = malloc(res.body_len / 2 + 1);
	if (!plain)
		unexpected("out of memory");
	for (size_t i = 0; i + 1 < res.body_len; i += 2) {
		int hi = hexval(res.body[i]), lo = hexval(res.body[i + 1]);
		if (hi < 0 || lo < 0)
			break;
		plain[n++] = (char)(hi << 4 | lo);
	}
	plain[n] = '\0';
	p = strstr(plain, "Bearer ");
	if (p && p[7] != '[' && strlen(p) > 13)
		escaped("decoded the hex echo: \"Bearer %.4s...\"", p + 7);
	blocked("the hex echo held no usable token (%zu bytes decoded)", n);
}
