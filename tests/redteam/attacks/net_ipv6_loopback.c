/*
 * net_ipv6_loopback: [::1] under a wildcard grant.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). [::1] and [0:0:0:0:0:0:0:1].
 * Proves: IPv6 loopback is loopback too.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://[::1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://[0:0:0:0:0:0:0:1]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("[::1] was refused under a wildcard grant");
}
