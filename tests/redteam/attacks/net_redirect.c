/*
 * net_redirect: a granted host redirects to a forbidden one.
 *
 * Grant: network:http://127.0.0.1:A only. The tool fetches
 * http://127.0.0.1:A/redirect?to=http://127.0.0.1:B/text; B is a live
 * server that was never granted. (First, a redirect from A to A must work,
 * or the attack proves nothing.)
 * Proves: every redirect hop is checked again; the refusal names B.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[512];
	http_result res;
	const char *a = input_need("port_a"), *b = input_need("port_b");
	int32_t st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/redirect?to=http://127.0.0.1:%s/text", a,
	         a);
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st != BA_OK || res.http != 200)
		unexpected("a redirect from A to A does not work: %s, HTTP %d (%s)",
		           ba_status_name(st), res.http, res.error);
	http_result_free(&res);

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/redirect?to=http://127.0.0.1:%s/text", a,
	         b);
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st == BA_OK && res.http == 200)
		escaped("followed A's redirect to B: HTTP 200, %s", first_line(res.body));
	if (st == BA_OK)
		blocked("the host returned A's HTTP %d instead of following", res.http);
	if (st == BA_DENIED || st == BA_INVALID)
		blocked("redirect to B refused: %s (%s)", ba_status_name(st), res.error);
	unexpected("redirect to a live B: %s (%s)", ba_status_name(st), res.error);
}
