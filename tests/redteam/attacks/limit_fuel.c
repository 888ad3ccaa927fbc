/*
 * limit_fuel: an infinite loop against a fuel budget.
 *
 * Run with --fuel 50000000 (and the default timeout). Proves: a tool that
 * never ends is stopped by fuel (exit 4), the host stays in charge.
 */
#include "attack.h"

int main(void)
{
	volatile unsigned long spins = 0;

	for (;;)
		spins++;
}
