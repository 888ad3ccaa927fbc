/*
 * net_redirect_307: a 307/308 redirect that carries the method and body
 * to a forbidden host.
 *
 * Grant: network:http://127.0.0.1:A only. POST with a body to
 * /redirect?to=http://127.0.0.1:B/echo&code=307 (and 308): a 307 keeps
 * method and body, so following it would post the tool's data to B.
 * Proves: the hop check applies to every redirect code.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void try_code(const char *a, const char *b, int code)
{
	char url[512];
	http_result res;
	const char *body = "{\"stolen\":\"data\"}";
	int32_t st;

	snprintf(url, sizeof(url),
	         "http://127.0.0.1:%s/redirect?to=http://127.0.0.1:%s/echo&code=%d", a, b, code);
	st = http("POST", url, "Content-Type: application/json", body, strlen(body), &res);
	if (st == BA_OK && res.http == 200)
		escaped("POST followed a %d to B: %s", code, first_line(res.body));
	if (st == BA_OK) {
		note("the host returned A's HTTP %d instead of following", res.http);
		return;
	}
	if (st != BA_DENIED && st != BA_INVALID)
		unexpected("%d redirect to a live B: %s (%s)", code, ba_status_name(st), res.error);
	note("%d redirect to B refused: %s (%s)", code, ba_status_name(st), res.error);
}

int main(void)
{
	const char *a = input_need("port_a"), *b = input_need("port_b");

	try_code(a, b, 307);
	try_code(a, b, 308);
	blocked("307 and 308 redirects to B were refused");
}
