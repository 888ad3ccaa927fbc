/*
 * limit_memory: allocate until something gives.
 *
 * Run with --max-memory 32MiB (input "cap_mib": 32). First malloc and touch
 * 1 MiB blocks; then memory.grow one page at a time. Either the host
 * refuses the growth (malloc returns NULL, memory.grow -1: the tool stops
 * with "blocked", exit 1) or stops the tool (exit 4). Holding more than
 * the cap is an escape.
 * Proves: linear memory never grows past the cap.
 */
#include <stdlib.h>
#include <string.h>

#include "attack.h"

/* Every block is kept here, so the compiler cannot drop the allocations
 * (clang removes a malloc whose result is never used). */
static char *volatile blocks[4096];

int main(void)
{
	long cap_mib = strtol(input_need("cap_mib"), NULL, 10);
	size_t got = 0;
	long pages = 0;

	for (;;) {
		char *p = malloc(1 << 20);
		if (!p)
			break;
		memset(p, 0xa5, 1 << 20);
		blocks[got % 4096] = p;
		got++;
		if ((long)got > cap_mib + 1)
			escaped("malloc gave %zu MiB under a %ld MiB cap", got, cap_mib);
	}
	note("malloc failed after %zu MiB", got);
	while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1) {
		pages++;
		if ((long)__builtin_wasm_memory_size(0) > (cap_mib + 1) * 16)
			escaped("memory.grow reached %lu pages under a %ld MiB cap",
			        (unsigned long)__builtin_wasm_memory_size(0), cap_mib);
	}
	blocked("memory stopped at %lu pages (%ld MiB cap): malloc %zu MiB, %ld more pages",
	        (unsigned long)__builtin_wasm_memory_size(0), cap_mib, got, pages);
}
