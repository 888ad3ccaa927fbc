/*
 * net_decimal: 127.0.0.1 spelled as one decimal number.
 *
 * Grant: network:http://<any>:<any> (host and port "*"). http://2130706433:A/text - getaddrinfo
 * and browsers read it as 127.0.0.1.
 * Proves: odd spellings are either refused as URLs or classified after
 * resolving.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];

	snprintf(url, sizeof(url), "http://2130706433:%s/text", input_need("port_a"));
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("2130706433 was refused");
}
