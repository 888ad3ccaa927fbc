/*
 * net_loopback_wildcard: "any host" does not include this machine.
 *
 * Grant: the wildcard network grant (host "*", port "*") (any public host, any port). The tool
 * fetches http://127.0.0.1:A/text and http://localhost:A/text from a live server. Proves: loopback
 * needs a grant naming the literal address.
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
