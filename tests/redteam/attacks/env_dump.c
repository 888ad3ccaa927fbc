/*
 * env_dump: dump the whole environment and the arguments.
 *
 * Same manifest as env_ungranted; the operator grants env:LANG, the
 * harness's boxagent runs with AWS_SECRET_ACCESS_KEY, HOME, PATH and more
 * in its environment, and passes --env API_KEY=... for a variable the tool
 * never declared. Anything but LANG in the guest environment, or any value
 * of the host's secret anywhere in environ or argv, is an escape.
 * Proves: nothing of the host environment leaks besides granted names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

extern char **environ;

static void scan(const char *where, const char *text)
{
	if (strstr(text, "hunter2"))
		escaped("%s holds a host secret: %.40s", where, text);
}

int main(int argc, char **argv)
{
	uint32_t count = 0, size = 0;

	for (char **e = environ; e && *e; e++) {
		scan("environ", *e);
		if (strncmp(*e, "LANG=", 5) != 0)
			escaped("environ holds the ungranted %.40s", *e);
	}
	for (int i = 0; i < argc; i++)
		scan("argv", argv[i]);
	/* The raw block, in case libc filtered something. */
	if (raw_environ_sizes_get(P(&count), P(&size)) == 0 && size < (1u << 20)) {
		char **ptrs = calloc(count + 1, sizeof(char *));
		char *buf = malloc(size + 1);
		if (ptrs && buf && raw_environ_get(P(ptrs), P(buf)) == 0) {
			for (uint32_t i = 0; i < count; i++) {
				scan("environ_get", ptrs[i]);
				if (strncmp(ptrs[i], "LANG=", 5) != 0)
					escaped("environ_get holds the ungranted %.40s", ptrs[i]);
			}
		}
		note("environ_get: %u variables, %u bytes", count, size);
	}
	blocked("the environment holds only the granted LANG");
}
