/*
 * net_v4mapped: IPv4 loopback dressed as IPv6.
 *
 * Grant: the wildcard network grant (host "*", port "*"). [::ffff:127.0.0.1] (v4-mapped), its hex
 * spelling [::ffff:7f00:1], and the deprecated v4-compatible [::127.0.0.1].
 * Proves: the address classifier looks inside mapped addresses.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://[::ffff:127.0.0.1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://[::ffff:7f00:1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://[::127.0.0.1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://[64:ff9b::7f00:1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("v4-mapped loopback was refused");
}
