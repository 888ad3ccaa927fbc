/*
 * net_redirect_scheme: redirects to other schemes and to loopback
 * spellings.
 *
 * Grant: network:http://127.0.0.1:A only. A redirects to
 * file:///etc/passwd, gopher://, http://[::1]:B, http://0.0.0.0:B,
 * http://localhost:B and http://169.254.169.254/.
 * Proves: a redirect cannot switch protocol (libcurl is limited to http
 * and https) or reach what a direct request could not.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	const char *a = input_need("port_a"), *b = input_need("port_b");
	char targets[6][128], url[512];

	snprintf(targets[0], sizeof(targets[0]), "file:///etc/passwd");
	snprintf(targets[1], sizeof(targets[1]), "gopher://127.0.0.1:%s/_GET%%20/text", b);
	snprintf(targets[2], sizeof(targets[2]), "http://[::1]:%s/text", b);
	snprintf(targets[3], sizeof(targets[3]), "http://0.0.0.0:%s/text", b);
	snprintf(targets[4], sizeof(targets[4]), "http://localhost:%s/text", b);
	snprintf(targets[5], sizeof(targets[5]), "http://169.254.169.254/latest/meta-data/");
	for (int i = 0; i < 6; i++) {
		http_result res;
		int32_t st;

		snprintf(url, sizeof(url), "http://127.0.0.1:%s/redirect?to=%s", a, targets[i]);
		st = http("GET", url, NULL, NULL, 0, &res);
		if (st == BA_OK && res.http == 200)
			escaped("followed a redirect to %s: %s", targets[i], first_line(res.body));
		if (st == BA_OK && strstr(res.body ? res.body : "", "root:"))
			escaped("redirect to %s returned /etc/passwd", targets[i]);
		if (st == BA_FAILED || st == BA_TIMEOUT)
			escaped("the redirect to %s was let out and failed at the network: %s",
			        targets[i], res.error);
		note("redirect to %s: %s, HTTP %d (%s)", targets[i], ba_status_name(st), res.http,
		     res.error);
		http_result_free(&res);
	}
	blocked("no redirect reached another scheme or a loopback spelling");
}
