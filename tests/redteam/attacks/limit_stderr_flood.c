/*
 * limit_stderr_flood: write to stderr without end.
 *
 * Run with --max-output 256KiB. stderr is streamed to the operator as it
 * comes; it must be capped like stdout. Proves: exit 4, bounded output.
 */
#include <string.h>
#include <unistd.h>

#include "attack.h"

int main(void)
{
	static char chunk[65536];

	memset(chunk, 'E', sizeof(chunk));
	for (;;)
		if (write(2, chunk, sizeof(chunk)) < 0)
			blocked("write to stderr failed");
}
