/*
 * limit_response_bomb: a granted server sends a 1 GiB body.
 *
 * Grant: network:http://127.0.0.1:A. GET /big?n=1073741824, chunked (no
 * length announced) and with a Content-Length. The response
 * cap (16 MiB by default) must turn this into TOO_LARGE; the harness
 * checks the host's peak memory stayed far below 1 GiB.
 * Proves: a response cannot exhaust the host's memory.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	http_result res;
	int32_t st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/big?n=1073741824&chunked=1",
	         input_need("port_a"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st != BA_TOO_LARGE)
		unexpected("chunked GET /big: %s (%s); expected TOO_LARGE", ba_status_name(st),
		           res.error);
	http_result_free(&res);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/big?n=1073741824", input_need("port_a"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st == BA_OK && res.body_len > (32u << 20))
		escaped("read %zu bytes of a 1 GiB body past the cap", res.body_len);
	if (st == BA_OK)
		unexpected("GET /big returned OK with %zu bytes; expected TOO_LARGE", res.body_len);
	if (st != BA_TOO_LARGE)
		unexpected("GET /big: %s (%s); expected TOO_LARGE", ba_status_name(st), res.error);
	blocked("the 1 GiB response was refused: %s (%s)", ba_status_name(st), res.error);
}
