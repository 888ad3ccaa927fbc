/*
 * net_loopback_wildcard: "any host" does not include this machine.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). The tool fetches http://127.0.0.1:A/text,
 * http://localhost:A/text and http://127.0.0.2:A/text from a live server.
 * Proves: loopback needs a grant naming the literal address.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://localhost:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.2:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("loopback was refused under a wildcard grant");
}
