/*
 * limit_response_hoard: keep the largest responses the host allows open
 * at once.
 *
 * Grant: network:http://127.0.0.1:A. Sixteen open responses (the cap) of
 * /big just under the 16 MiB response cap, none read or closed, chunked
 * and not. The harness reports boxagent's peak memory and fails above
 * 1 GiB.
 * Proves: what a tool can make the host hold is bounded (16 x 16 MiB).
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	const char *a = input_need("port_a");
	char url[160];
	int32_t h[16];
	int open = 0;

	for (int i = 0; i < 16; i++) {
		int32_t st;
		snprintf(url, sizeof(url), "http://127.0.0.1:%s/big?n=%u%s", a, (16u << 20) - 4096,
		         i % 2 ? "&chunked=1" : "");
		st = ba_http_request(P("GET"), 3, P(url), (uint32_t)strlen(url), 0, 0, 0, 0,
		                     P(&h[i]));
		if (st == BA_OK)
			open++;
		else
			note("response %d: %s", i, ba_status_name(st));
	}
	blocked("%d responses of ~16 MiB held open; the host's memory is bounded by its caps",
	        open);
}
