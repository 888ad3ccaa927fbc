/*
 * fib - function calls.
 *
 * Naive doubly recursive Fibonacci: almost nothing but call, compare, add
 * and return, so it measures the cost of a wasm-to-wasm call and of
 * setting up and tearing down a frame. The result is folded with the
 * argument so a compiler cannot reuse one call for another.
 */
#include "support.h"

/* noinline keeps the native build honest about doing the calls too. */
static uint32_t __attribute__((noinline)) fib(uint32_t k)
{
	if (k < 2)
		return k;
	return fib(k - 1) + fib(k - 2);
}

uint32_t bench_run(uint32_t n)
{
	uint32_t h = 0;

	/* Two neighbouring depths, so the checksum also covers fib(n-1). */
	h = bench_mix(h, fib(n));
	h = bench_mix(h, fib(n - 1));
	return h;
}
