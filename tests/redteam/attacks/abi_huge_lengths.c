/*
 * abi_huge_lengths: host-call lengths far over memory and over the caps.
 *
 * Grant: network:http://127.0.0.1:A (so a request that got through the
 * argument checks could really be sent). url_len, headers_len, body_len
 * and method_len of 2 GiB and 4 GiB - 1; a URL of 9000 bytes and headers
 * of 65 KiB that fit in memory but not under the caps; a 9 MiB body; and
 * buffer capacities of 4 GiB - 1 for http_read, http_headers and
 * last_error.
 * Proves: every length is checked against memory and against its cap
 * before use (FAULT / LIMIT / TOO_LARGE / INVALID), the host survives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

static char url[128];

static void expect(const char *what, int32_t st, int ok_allowed)
{
	if (st == BA_OK && !ok_allowed)
		escaped("%s was accepted", what);
	if (st != BA_OK && st != BA_FAULT && st != BA_LIMIT && st != BA_TOO_LARGE &&
	    st != BA_INVALID)
		unexpected("%s: %s; expected FAULT, LIMIT, TOO_LARGE or INVALID", what,
		           ba_status_name(st));
	note("%s: %s", what, ba_status_name(st));
}

static int32_t req(uint32_t method_len, uint32_t url_p, uint32_t url_len, uint32_t hdr_p,
                   uint32_t hdr_len, uint32_t body_p, uint32_t body_len)
{
	int32_t handle = 0;
	int32_t st = ba_http_request(P("GET"), method_len, url_p, url_len, hdr_p, hdr_len, body_p,
	                             body_len, P(&handle));
	if (st == BA_OK)
		ba_http_close(handle);
	return st;
}

int main(void)
{
	uint32_t u = P(url), ul;
	char *big;
	int32_t handle = 0, st;
	uint32_t n = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_a"));
	ul = (uint32_t)strlen(url);
	expect("url_len 2 GiB", req(3, u, 0x80000000u, 0, 0, 0, 0), 0);
	expect("url_len 4 GiB - 1", req(3, u, 0xffffffffu, 0, 0, 0, 0), 0);
	expect("method_len 4 GiB - 1", req(0xffffffffu, u, ul, 0, 0, 0, 0), 0);
	expect("headers_len 4 GiB - 1", req(3, u, ul, P("X-A: 1"), 0xffffffffu, 0, 0), 0);
	expect("headers_len 2 GiB", req(3, u, ul, P("X-A: 1"), 0x80000000u, 0, 0), 0);
	expect("body_len 2 GiB", req(3, u, ul, 0, 0, P("x"), 0x7fffffffu), 0);
	expect("body_len 4 GiB - 1", req(3, u, ul, 0, 0, P("x"), 0xffffffffu), 0);

	big = malloc(9u << 20);
	if (!big)
		unexpected("cannot allocate 9 MiB for the in-memory cases");
	memset(big, 'a', 9u << 20);
	memcpy(big, url, ul);
	big[ul] = '?';
	expect("a 9000-byte URL", req(3, P(big), 9000, 0, 0, 0, 0), 0);
	memset(big, 'a', 9u << 20);
	memcpy(big, "X-Big: ", 7);
	expect("65 KiB of headers", req(3, u, ul, P(big), 65 * 1024 + 1, 0, 0), 0);
	st = ba_http_request(P("POST"), 4, u, ul, 0, 0, P(big), 9u << 20, P(&handle));
	expect("a 9 MiB body", st, 0);

	st = ba_http_request(P("GET"), 3, u, ul, 0, 0, 0, 0, P(&handle));
	if (st != BA_OK)
		unexpected("a plain GET of the granted A failed: %s", ba_status_name(st));
	/* A capacity past memory: FAULT, or OK if the host clamps to what it
	 * has (it then writes only the few bytes of the body). */
	expect("http_headers cap 4 GiB - 1", ba_http_headers(handle, P(big), 0xffffffffu, P(&n)),
	       1);
	expect("http_read cap 4 GiB - 1", ba_http_read(handle, P(big), 0xffffffffu, P(&n)), 1);
	expect("last_error cap 4 GiB - 1", ba_last_error(P(big), 0xffffffffu, P(&n)), 1);
	ba_http_close(handle);
	blocked("every oversized length was refused");
}
