/*
 * abi_http_pointers: boxagent host calls with pointers outside memory.
 *
 * Grant: network:http://127.0.0.1:A. For every pointer argument of
 * http_request, http_headers, http_read and last_error: one byte past the
 * end of memory, 0xffffffff ("negative"), 0xfffffff0 with a length that
 * wraps past 2^32, and a range that starts inside and ends outside.
 * Proves: every pointer is bounds-checked (FAULT), never a host crash and
 * never a write outside the guest.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void expect_fault(const char *what, int32_t st)
{
	if (st == BA_OK)
		escaped("%s was accepted", what);
	if (st != BA_FAULT)
		unexpected("%s: %s; expected FAULT", what, ba_status_name(st));
	note("%s: FAULT", what);
}

int main(void)
{
	char url[128];
	uint32_t mem = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
	/* Lengths below are within every cap (a method is at most 16 bytes),
	 * so only the pointer is wrong. */
	uint32_t bad[4] = {mem, 0xffffffffu, 0xfffffff0u, mem - 2};
	const char *names[4] = {"end of memory", "0xffffffff", "0xfffffff0 (wraps)",
	                        "straddling the end"};
	uint32_t u = P(url), ul, n = 0;
	int32_t handle = 0, st;
	char buf[256], what[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_a"));
	ul = (uint32_t)strlen(url);
	for (int i = 0; i < 4; i++) {
		uint32_t b = bad[i];
		snprintf(what, sizeof(what), "http_request method at %s", names[i]);
		expect_fault(what, ba_http_request(b, 8, u, ul, 0, 0, 0, 0, P(&handle)));
		snprintf(what, sizeof(what), "http_request url at %s", names[i]);
		expect_fault(what, ba_http_request(P("GET"), 3, b, 32, 0, 0, 0, 0, P(&handle)));
		snprintf(what, sizeof(what), "http_request headers at %s", names[i]);
		expect_fault(what, ba_http_request(P("GET"), 3, u, ul, b, 32, 0, 0, P(&handle)));
		snprintf(what, sizeof(what), "http_request body at %s", names[i]);
		expect_fault(what, ba_http_request(P("POST"), 4, u, ul, 0, 0, b, 32, P(&handle)));
		snprintf(what, sizeof(what), "http_request handle_out at %s", names[i]);
		expect_fault(what, ba_http_request(P("GET"), 3, u, ul, 0, 0, 0, 0, b));
		snprintf(what, sizeof(what), "last_error buf at %s", names[i]);
		expect_fault(what, ba_last_error(b, 32, P(&n)));
		snprintf(what, sizeof(what), "last_error len_out at %s", names[i]);
		expect_fault(what, ba_last_error(P(buf), sizeof(buf), b));
	}

	st = ba_http_request(P("GET"), 3, u, ul, 0, 0, 0, 0, P(&handle));
	if (st != BA_OK)
		unexpected("a plain GET of the granted A failed: %s", ba_status_name(st));
	for (int i = 0; i < 4; i++) {
		snprintf(what, sizeof(what), "http_headers buf at %s", names[i]);
		expect_fault(what, ba_http_headers(handle, bad[i], 64, P(&n)));
		snprintf(what, sizeof(what), "http_headers len_out at %s", names[i]);
		expect_fault(what, ba_http_headers(handle, P(buf), sizeof(buf), bad[i]));
		snprintf(what, sizeof(what), "http_read buf at %s", names[i]);
		expect_fault(what, ba_http_read(handle, bad[i], 64, P(&n)));
		snprintf(what, sizeof(what), "http_read n_out at %s", names[i]);
		expect_fault(what, ba_http_read(handle, P(buf), sizeof(buf), bad[i]));
	}
	ba_http_close(handle);
	blocked("every bad pointer gave FAULT");
}
