/*
 * net_resolve_private: a name that resolves to loopback.
 *
 * The operator maps evil.test to 127.0.0.1 and evil6.test to
 * ::ffff:127.0.0.1 (--resolve) and grants network:http://evil.test:A and
 * network:http://evil6.test:A - grants that name a name, not the literal
 * address. The tool fetches both. (DNS rebinding is the same attack with a
 * real DNS server.)
 * Proves: addresses are classified after resolving; a name grant never
 * reaches loopback.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://evil.test:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://evil6.test:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("names resolving to loopback were refused");
}
