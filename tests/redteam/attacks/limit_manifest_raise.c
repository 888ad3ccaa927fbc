/*
 * limit_manifest_raise: a tool that raises its own limits in its manifest.
 *
 * The manifest says limits: { memory: 4GiB, timeout: 100h, output: 1TiB }
 * and the operator passes no limit flags. A tool's manifest is written by
 * the tool's author - the party the sandbox defends against - so it may
 * ask for less than the host's defaults, never more without the
 * operator's say-so. The tool grows its memory past the 256 MiB default,
 * then writes 8 MiB to stderr past the 1 MiB default (an output cap of
 * 1 TiB would let it make the host buffer without bound).
 * Proves: the host's default limits are ceilings a manifest cannot lift
 * (expected: the output flood is stopped, exit 4).
 */
#include <string.h>
#include <unistd.h>

#include "attack.h"

int main(void)
{
	static char chunk[65536];
	size_t pages = __builtin_wasm_memory_size(0);
	size_t want = (320u << 20) / 65536;

	if (__builtin_wasm_memory_grow(0, want - pages) != (size_t)-1)
		escaped("memory grew to %zu MiB, past the 256 MiB default, on the manifest's word",
		        __builtin_wasm_memory_size(0) / 16);
	note("memory.grow to 320 MiB refused");
	memset(chunk, 'E', sizeof(chunk));
	for (int i = 0; i < 128; i++)
		if (write(2, chunk, sizeof(chunk)) < 0)
			blocked("write to stderr failed after %d KiB", i * 64);
	escaped("wrote 8 MiB to stderr, past the 1 MiB default, on the manifest's word");
}
