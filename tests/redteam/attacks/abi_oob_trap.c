/*
 * abi_oob_trap: loads and stores outside linear memory, and proc_raise.
 *
 * Proves: a guest memory fault is a trap (exit 3) with the host intact.
 */
#include <stdint.h>

#include "attack.h"

int main(void)
{
	uint32_t mem = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(mem + 16);

	*p = 0x41414141;
	escaped("a store 16 bytes past the end of memory did not trap");
}
