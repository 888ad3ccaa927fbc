/*
 * abi_unknown_import: import host functions that do not exist.
 *
 * boxagent.exec, boxagent.spawn and wasi_snapshot_preview1.sock_open (a
 * WASIX extension). Proves: unknown imports are refused when the module
 * is linked (a clear error, exit 2), never bound to something by accident.
 */
#include "attack.h"

BOXAGENT_IMPORT("exec") int32_t ba_exec(uint32_t cmd, uint32_t len);
BOXAGENT_IMPORT("spawn") int32_t ba_spawn(uint32_t cmd, uint32_t len);
WASI_IMPORT("sock_open") int32_t raw_sock_open(uint32_t af, uint32_t type, uint32_t fd_out);

int main(void)
{
	uint32_t fd = 0;

	if (ba_exec(P("/bin/sh"), 7) == 0 || ba_spawn(P("/bin/sh"), 7) == 0 ||
	    raw_sock_open(1, 1, P(&fd)) == 0)
		escaped("an unknown import ran and reported success");
	blocked("unknown imports ran but failed (they should not have linked)");
}
