/*
 * net_path_prefix: leave a path-prefix grant with dot segments.
 *
 * Grant: network:http://127.0.0.1:A/json (only /json and below). The tool
 * asks for /json/../text, /json/%2e%2e/text and similar. A server that
 * resolves dot segments (nginx, most frameworks) serves /text, which was
 * never granted; our test server does not, so the evidence is that the
 * request was sent at all: the policy matched "/json" on a path that
 * means "/text". A refusal (DENIED/INVALID) or a rewrite to /text that is
 * then denied is the fix.
 * Proves: path prefixes are matched on normalised paths.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	static const char *const paths[] = {
	        "/json/../text",   "/json/%2e%2e/text", "/json/%2E%2E/text", "/json/./../text",
	        "/json/..%2ftext", "/json%2f..%2ftext", "/json/.%2e/text"};
	const char *a = input_need("port_a");
	char url[256];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		http_result res;
		int32_t st;

		snprintf(url, sizeof(url), "http://127.0.0.1:%s%s", a, paths[i]);
		st = http("GET", url, NULL, NULL, 0, &res);
		if (st == BA_OK && res.http == 200)
			escaped("%s was served: %s", paths[i], first_line(res.body));
		if (st == BA_OK)
			escaped("%s was sent under a grant for /json (HTTP %d here; a server that "
			        "resolves dot segments serves /text)",
			        paths[i], res.http);
		note("%s: %s (%s)", paths[i], ba_status_name(st), res.error);
	}
	blocked("no dot-segment path left the /json prefix");
}
