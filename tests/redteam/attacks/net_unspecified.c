/*
 * net_unspecified: 0.0.0.0 (Linux connects it to this machine).
 *
 * Grant: network:http://<any>:<any> (host and port "*"). http://0.0.0.0:A/text reaches a server
 * bound to 127.0.0.1 on Linux; so can [::] and 0.
 * Proves: the unspecified address is treated as non-public.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://0.0.0.0:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://[::]:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://0:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("0.0.0.0 was refused");
}
