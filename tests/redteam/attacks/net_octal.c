/*
 * net_octal: 127.0.0.1 spelled in octal.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). http://0177.0.0.1:A/text (inet_aton
 * reads 0177 as 127), and 0177.1.
 * Proves: odd spellings are either refused as URLs or classified after
 * resolving.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	const char *a = input_need("port_a");

	snprintf(url, sizeof(url), "http://0177.0.0.1:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "http://0177.1:%s/text", a);
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("octal 127.0.0.1 was refused");
}
