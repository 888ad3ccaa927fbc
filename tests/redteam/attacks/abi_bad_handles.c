/*
 * abi_bad_handles: response handles that were never issued, or closed.
 *
 * Grant: network:http://127.0.0.1:A. http_status, http_headers, http_read
 * and http_close on 0, -1, 17, 0x7fffffff and INT32_MIN; then on a real
 * handle after closing it (use after close, double close).
 * Proves: handles are checked (INVALID, http_status -2), never an index
 * into host memory.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void expect_invalid(const char *what, int32_t handle, int32_t st)
{
	if (st == BA_OK || st > 7)
		escaped("%s on handle %d gave %d", what, (int)handle, (int)st);
	if (st != BA_INVALID && st != -2)
		unexpected("%s on handle %d: %d; expected INVALID", what, (int)handle, (int)st);
}

static void all_calls(int32_t h)
{
	char buf[64];
	uint32_t n = 0;

	expect_invalid("http_status", h, ba_http_status(h));
	expect_invalid("http_headers", h, ba_http_headers(h, P(buf), sizeof(buf), P(&n)));
	expect_invalid("http_read", h, ba_http_read(h, P(buf), sizeof(buf), P(&n)));
	expect_invalid("http_close", h, ba_http_close(h));
}

int main(void)
{
	const int32_t bad[] = {0, -1, 2, 17, 1000, 0x7fffffff, (int32_t)0x80000000u};
	char url[128];
	int32_t handle = 0, st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		all_calls(bad[i]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_a"));
	st = ba_http_request(P("GET"), 3, P(url), (uint32_t)strlen(url), 0, 0, 0, 0, P(&handle));
	if (st != BA_OK)
		unexpected("a plain GET of the granted A failed: %s", ba_status_name(st));
	if (ba_http_status(handle) != 200)
		unexpected("a fresh handle has status %d", (int)ba_http_status(handle));
	if (ba_http_close(handle) != BA_OK)
		unexpected("closing a fresh handle failed");
	all_calls(handle);
	blocked("every bad handle was INVALID");
}
