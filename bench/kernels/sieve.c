/*
 * sieve - byte stores across a large memory.
 *
 * The sieve of Eratosthenes up to n (at most 32 Mi), one byte a number.
 * Crossing out multiples walks the whole array with growing strides, so
 * this measures memory stores and bounds-checking cost when the working
 * set is far bigger than the caches.
 */
#include "support.h"

#define SIEVE_MAX (32u << 20)

static uint8_t composite[SIEVE_MAX];

uint32_t bench_run(uint32_t n)
{
	uint32_t count = 0, sum = 0, h = 0;

	if (n > SIEVE_MAX)
		n = SIEVE_MAX;
	for (uint32_t i = 0; i < n; i++)
		composite[i] = 0;
	for (uint32_t p = 2; (uint64_t)p * p < n; p++) {
		if (composite[p])
			continue;
		for (uint32_t m = p * p; m < n; m += p)
			composite[m] = 1;
	}
	for (uint32_t i = 2; i < n; i++) {
		if (!composite[i]) {
			count++;
			sum += i;
		}
	}
	h = bench_mix(h, count);
	return bench_mix(h, sum);
}
