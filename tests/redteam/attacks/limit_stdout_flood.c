/*
 * limit_stdout_flood: write to stdout without end.
 *
 * Run with --max-output 256KiB. Proves: output is capped (exit 4), the
 * host does not buffer without bound; the harness checks that what
 * reached its stdout is not far over the cap.
 */
#include <string.h>
#include <unistd.h>

#include "attack.h"

int main(void)
{
	static char chunk[65536];

	memset(chunk, 'A', sizeof(chunk));
	for (;;)
		if (write(1, chunk, sizeof(chunk)) < 0)
			blocked("write to stdout failed");
}
