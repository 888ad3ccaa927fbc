/*
 * net_v4mapped: IPv4 loopback dressed as IPv6.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). [::ffff:127.0.0.1] (v4-mapped), its hex
 * spelling [::ffff:7f00:1], the deprecated v4-compatible [::127.0.0.1],
 * NAT64 [64:ff9b::7f00:1] and 6to4 [2002:7f00:1::].
 * Proves: the address classifier looks inside embedded IPv4 addresses.
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
	/* 6to4 with 127.0.0.1 embedded. */
	snprintf(url, sizeof(url), "http://[2002:7f00:1::]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("v4-mapped loopback was refused");
}
