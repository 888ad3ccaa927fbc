/*
 * net_scheme: non-HTTP schemes and malformed URLs straight to
 * http_request.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). file://, ftp://, gopher://, dict://, a
 * single-slash http:/ URL, whitespace and control bytes.
 * Proves: only http and https URLs that parse cleanly are ever sent.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	const char *b = input_need("port_b");
	char urls[9][160];

	snprintf(urls[0], sizeof(urls[0]), "file:///etc/passwd");
	snprintf(urls[1], sizeof(urls[1]), "ftp://127.0.0.1:%s/", b);
	snprintf(urls[2], sizeof(urls[2]), "gopher://127.0.0.1:%s/_GET%%20/text", b);
	snprintf(urls[3], sizeof(urls[3]), "dict://127.0.0.1:%s/info", b);
	snprintf(urls[4], sizeof(urls[4]), "http:/127.0.0.1:%s/text", b);
	snprintf(urls[5], sizeof(urls[5]), "http:127.0.0.1:%s/text", b);
	snprintf(urls[6], sizeof(urls[6]), " http://127.0.0.1:%s/text", b);
	snprintf(urls[7], sizeof(urls[7]), "http://127.0.0.1:%s/te\nxt", b);
	snprintf(urls[8], sizeof(urls[8]), "file://localhost/etc/passwd");
	for (int i = 0; i < 9; i++)
		attempt_request("GET", urls[i], NULL, NULL, 0, NULL);
	blocked("no other scheme or malformed URL was sent");
}
