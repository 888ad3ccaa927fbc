/*
 * limit_recursion: unbounded recursion.
 *
 * The recursion goes through a function pointer the compiler cannot see
 * through, so it is real wasm call_indirect recursion (no tail call, no
 * loop) and uses no shadow stack: it runs into the engine's call-depth
 * limit, not into linear memory. Proves: deep recursion is stopped
 * cleanly (a trap, exit 3, or a limit, exit 4 - docs/redteam.md says
 * which) instead of overflowing the host's stack.
 */
#include "attack.h"

static int down(int n);
static int (*volatile next)(int) = down;

static int down(int n)
{
	return next(n + 1) + 1;
}

int main(void)
{
	return next(0);
}
