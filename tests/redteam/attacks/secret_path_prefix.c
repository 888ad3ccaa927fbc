/*
 * secret_path_prefix: get the secret injected into a path outside its
 * binding.
 *
 * The manifest binds API_TOKEN to http://127.0.0.1:A/json only (a path
 * prefix) and the operator grants all of A. The tool asks for
 * /json/../echo, /json/%2e%2e/echo and similar: a server that resolves dot
 * segments (nginx, most frameworks) serves /echo - outside the binding -
 * with the secret attached. Any Authorization in the echo, even redacted,
 * means the secret was sent there.
 * Proves: the binding's path prefix is matched on the path the server
 * will use, or such paths are refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	static const char *const paths[] = {"/json/../echo",     "/json/%2e%2e/echo",
	                                    "/json/%2E%2E/echo", "/json/./../echo",
	                                    "/json/..%2fecho",   "/json%2f..%2fecho"};
	const char *a = input_need("port_a");
	char url[256];
	int sent = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		http_result res;
		int32_t st;

		snprintf(url, sizeof(url), "http://127.0.0.1:%s%s", a, paths[i]);
		st = http("GET", url, NULL, NULL, 0, &res);
		if (st != BA_OK) {
			note("%s: %s (%s)", paths[i], ba_status_name(st), res.error);
			continue;
		}
		for (char *p = res.body; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strstr(res.body, "\"authorization\""))
			escaped("%s reached /echo with the secret attached (HTTP %d: %.100s)",
			        paths[i], res.http, strstr(res.body, "\"authorization\""));
		note("%s: sent, HTTP %d, no Authorization reached the server", paths[i], res.http);
		sent++;
		http_result_free(&res);
	}
	blocked("the secret stayed on its bound path (%d of 6 requests were sent without it)",
	        sent);
}
