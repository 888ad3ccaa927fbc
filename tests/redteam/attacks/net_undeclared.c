/*
 * net_undeclared: a request to a host:port the tool never declared.
 *
 * The manifest declares and the operator grants network:http://127.0.0.1:A;
 * the tool fetches http://127.0.0.1:B/text (a live server) and the same
 * host on another scheme.
 * Proves: a grant is for the named origin only; the denial is recorded.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_b"));
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	snprintf(url, sizeof(url), "https://127.0.0.1:%s/text", input_need("port_a"));
	attempt_request("GET", url, NULL, NULL, 0, NULL);
	blocked("undeclared destinations were refused");
}
