/*
 * secret_echo_readback: read the injected secret back from a response.
 *
 * The manifest binds secret:API_TOKEN to http://127.0.0.1:A with
 * "Authorization: Bearer {}"; the operator grants it and supplies the
 * value (--secret API_TOKEN=env:API_TOKEN). The tool never gets the value
 * - but it asks A's /echo, which sends the request's headers back in the
 * body. Many real APIs reflect request headers somewhere (debug
 * endpoints, error messages). If the tool can read the header there, it
 * holds the secret and every later check is only about encodings.
 * Proves (when it passes): responses are redacted, so a tool never learns
 * a secret the host injected for it.
 */
#include <string.h>

#include "attack.h"

int main(void)
{
	char why[512];
	int seen = 0;
	const char *token = secret_readback(&seen, why, sizeof(why));

	if (token)
		escaped("read the injected secret back from /echo: \"Bearer %.4s...\" (%zu bytes)",
		        token, strlen(token));
	if (!seen && !strstr(why, "refused") && !strstr(why, "DENIED") &&
	    strstr(why, "no Authorization"))
		unexpected("the host did not inject the secret at all, so this proves nothing: %s",
		           why);
	blocked("%s", why);
}
