/*
 * limit_slow_response: a granted server that answers in a minute (the most it waits).
 *
 * Grant: network:http://127.0.0.1:A; run with --timeout 2s. GET
 * /slow?ms=60000. The request must end at the tool's deadline (TIMEOUT,
 * or the tool stopped with exit 4), not after the server's minute.
 * Proves: time inside a host call counts against the deadline.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	http_result res;
	int32_t st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/slow?ms=60000", input_need("port_a"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st == BA_OK)
		escaped("a one-minute response arrived under a 2 s deadline (HTTP %d)", res.http);
	if (st != BA_TIMEOUT)
		unexpected("GET /slow: %s (%s); expected TIMEOUT", ba_status_name(st), res.error);
	blocked("the slow response ended at the deadline: %s", res.error);
}
