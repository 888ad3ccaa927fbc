/*
 * intmix - integer arithmetic.
 *
 * A long dependent chain of 64- and 32-bit multiplies, shifts, rotates and
 * xors (a xorshift generator feeding a multiply-rotate hash), with no
 * memory traffic at all. It shows the raw cost an engine pays per simple
 * ALU instruction: dispatch, operand fetch and result store.
 */
#include "support.h"

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint32_t rotl32(uint32_t x, unsigned r)
{
	return (x << r) | (x >> (32 - r));
}

uint32_t bench_run(uint32_t n)
{
	uint64_t s = 0x243f6a8885a308d3ull; /* generator state, never 0 */
	uint64_t acc = 0x13198a2e03707344ull;
	uint32_t lo = 0xa4093822u;

	for (uint32_t i = 0; i < n; i++) {
		s ^= s << 7;
		s ^= s >> 9;
		acc = rotl64(acc ^ s, 23) * 0x2545f4914f6cdd1dull;
		acc += i;
		/* A 32-bit lane too, so both widths get exercised. */
		lo = rotl32(lo + (uint32_t)(acc >> 29), 11) * 0x85ebca6bu;
		lo ^= lo >> 13;
	}
	return bench_mix(bench_mix((uint32_t)acc, (uint32_t)(acc >> 32)), lo);
}
