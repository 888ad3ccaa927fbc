/*
 * abi_handle_exhaustion: open responses until the host runs out.
 *
 * Grant: network:http://127.0.0.1:A. Open 16 responses (the ABI's cap)
 * without closing; the 17th and 1000 more must be LIMIT; after closing
 * them all, 300 open/close cycles must all work (no leaked slot).
 * Proves: the response table is bounded and does not leak.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	char url[128];
	int32_t handles[16], h = 0, st;
	uint32_t ul;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_a"));
	ul = (uint32_t)strlen(url);
	for (int i = 0; i < 16; i++) {
		st = ba_http_request(P("GET"), 3, P(url), ul, 0, 0, 0, 0, P(&handles[i]));
		if (st != BA_OK)
			unexpected("open response %d of 16: %s", i + 1, ba_status_name(st));
	}
	for (int i = 0; i < 1001; i++) {
		st = ba_http_request(P("GET"), 3, P(url), ul, 0, 0, 0, 0, P(&h));
		if (st == BA_OK)
			escaped("response %d opened past the cap of 16 (handle %d)", 17 + i,
			        (int)h);
		if (st != BA_LIMIT)
			unexpected("response %d past the cap: %s; expected LIMIT", 17 + i,
			           ba_status_name(st));
	}
	for (int i = 0; i < 16; i++)
		if (ba_http_close(handles[i]) != BA_OK)
			unexpected("closing handle %d failed", (int)handles[i]);
	for (int i = 0; i < 300; i++) {
		st = ba_http_request(P("GET"), 3, P(url), ul, 0, 0, 0, 0, P(&h));
		if (st != BA_OK)
			unexpected("cycle %d after closing everything: %s (a leaked slot?)", i,
			           ba_status_name(st));
		ba_http_close(h);
	}
	blocked("the cap of 16 open responses held and nothing leaked");
}
