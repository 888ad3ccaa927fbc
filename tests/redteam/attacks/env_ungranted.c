/*
 * env_ungranted: read an environment variable that was declared but not
 * granted.
 *
 * The manifest declares env:AWS_SECRET_ACCESS_KEY and env:LANG; the
 * operator grants only env:LANG. The harness sets AWS_SECRET_ACCESS_KEY in
 * boxagent's own environment. The tool asks getenv() and scans the raw
 * environ_get block.
 * Proves: the guest environment holds granted variables only, and the
 * refusal is recorded ("declared but not granted").
 */
#include <stdlib.h>
#include <string.h>

#include "attack.h"

extern char **environ;

int main(void)
{
	const char *v = getenv("AWS_SECRET_ACCESS_KEY");

	if (v)
		escaped("getenv(AWS_SECRET_ACCESS_KEY) = %.6s... (%zu bytes)", v, strlen(v));
	for (char **e = environ; e && *e; e++)
		if (strstr(*e, "AWS_SECRET") || strstr(*e, "hunter2"))
			escaped("environ holds %.30s...", *e);
	blocked("AWS_SECRET_ACCESS_KEY is not in the tool's environment");
}
