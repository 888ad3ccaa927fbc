/*
 * secret_redirect: make the bound host redirect to an unbound one, so the
 * injected header follows.
 *
 * As secret_url (A bound, B granted but not bound). GET and a 307 POST to
 * A's /redirect?to=http://127.0.0.1:B/echo: B's echo shows the headers
 * B received. Any Authorization header there - even redacted in the
 * response - means the secret was sent to B.
 * Proves: injected secrets are recomputed for every hop's origin.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void try_code(const char *a, const char *b, int code)
{
	char url[512];
	http_result res;
	int32_t st;

	snprintf(url, sizeof(url),
	         "http://127.0.0.1:%s/redirect?to=http://127.0.0.1:%s/echo&code=%d", a, b, code);
	st = http(code == 307 ? "POST" : "GET", url, NULL, code == 307 ? "x" : NULL,
	          code == 307 ? 1 : 0, &res);
	if (st != BA_OK)
		unexpected("the redirect from A to the granted B failed: %s (%s)",
		           ba_status_name(st), res.error);
	for (char *p = res.body; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strstr(res.body, "authorization") || strstr(res.body, "bearer"))
		escaped("after a %d from A, B received an Authorization header: %.120s", code,
		        strstr(res.body, "authorization") ? strstr(res.body, "authorization")
		                                          : strstr(res.body, "bearer"));
	note("%d: B's echo shows no Authorization", code);
	http_result_free(&res);
}

int main(void)
{
	const char *a = input_need("port_a"), *b = input_need("port_b");

	try_code(a, b, 302);
	try_code(a, b, 307);
	blocked("the secret did not follow redirects to B");
}
