/*
 * limit_timeout: an infinite loop against the wall clock.
 *
 * Run with --timeout 1s and fuel far beyond it. Proves: the deadline stops
 * a busy guest (exit 4) in about the time given.
 */
#include "attack.h"

int main(void)
{
	volatile unsigned long spins = 0;

	for (;;)
		spins = spins * 3 + 1;
}
