/*
 * limit_initial_memory: a module that asks for 4 GiB of memory up front.
 *
 * Linked with --initial-memory of 65535 pages (mk/redteam.mk), so the
 * request is in the module itself, before any code runs. Under the default
 * memory cap (256 MiB) instantiation must be refused - a clear error, exit
 * 2 or 4 - without the host trying to allocate 4 GiB.
 * Proves: the memory cap applies to a module's declared minimum too.
 */
#include "attack.h"

int main(void)
{
	escaped("running with %lu pages of memory under the default cap",
	        (unsigned long)__builtin_wasm_memory_size(0));
}
