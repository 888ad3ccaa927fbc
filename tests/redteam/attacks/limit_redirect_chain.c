/*
 * limit_redirect_chain: an endless chain of redirects on a granted host.
 *
 * Grant: network:http://127.0.0.1:A. A's /redirect is nested ten deep (each
 * level URL-encoded once more), past the host's redirect cap (5 by
 * default). The request must end with an error (or the last 3xx), never
 * follow all ten hops to /text. The harness checks A saw at most 7
 * connections.
 * Proves: redirects are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

static char *encode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 3 + 1);

	if (!out)
		unexpected("out of memory");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 4, "%%%02X", c);
	}
	out[o] = '\0';
	return out;
}

int main(void)
{
	const char *a = input_need("port_a");
	char *url = malloc(8192), *enc;
	http_result res;
	int32_t st;

	snprintf(url, 8192, "http://127.0.0.1:%s/text", a);
	for (int i = 0; i < 10; i++) {
		enc = encode(url);
		snprintf(url, 8192, "http://127.0.0.1:%s/redirect?to=%s", a, enc);
		free(enc);
	}
	note("the chain's URL is %zu bytes", strlen(url));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st == BA_OK && res.http == 200)
		escaped("followed ten redirects to /text: %s", first_line(res.body));
	blocked("the chain stopped: %s, HTTP %d (%s)", ba_status_name(st), res.http, res.error);
}
