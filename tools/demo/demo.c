/*
 * demo.c - the tool `make run` demonstrates: one well-behaved function and
 * several that misbehave the way a hostile or buggy tool would. Built
 * freestanding for wasm32 (no imports at all), so every effect it can have
 * is on its own linear memory, and the host's limits decide how far it gets.
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

static uint8_t sieve[1 << 20];
static volatile int32_t recursion_sink;

/* Freestanding: the compiler may still emit calls to memset. */
void *memset(void *dst, int c, unsigned long n);
void *memset(void *dst, int c, unsigned long n)
{
	volatile uint8_t *p = dst;
	while (n--)
		*p++ = (uint8_t)c;
	return dst;
}

/* Counts the primes below n (n capped at the sieve size). */
EXPORT("primes_below") int32_t primes_below(int32_t n)
{
	int32_t count = 0;

	if (n > (int32_t)sizeof(sieve))
		n = (int32_t)sizeof(sieve);
	for (int32_t i = 0; i < n; i++)
		sieve[i] = 1;
	for (int32_t i = 2; i < n; i++) {
		if (!sieve[i])
			continue;
		count++;
		for (int64_t j = (int64_t)i * i; j < n; j += i)
			sieve[j] = 0;
	}
	return count;
}

/* Never returns: only fuel or the deadline stops it. */
EXPORT("spin") int32_t spin(void)
{
	volatile uint32_t x = 1;
	for (;;)
		x = x * 1664525u + 1013904223u;
	return (int32_t)x;
}

/* Asks for 64 KiB pages until refused; returns how many pages it holds. */
EXPORT("hog") int32_t hog(void)
{
	while (__builtin_wasm_memory_grow(0, 1) != (unsigned long)-1)
		;
	return (int32_t)__builtin_wasm_memory_size(0);
}

/* Reads far past the end of its memory: the sandbox traps it. */
EXPORT("escape") int32_t escape(void)
{
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)0xFFFFFF00u;
	return (int32_t)*p;
}

/* Recursion that only ends at n == 0: a huge n stands for a runaway
 * recursion, which the call-depth limit stops long before it returns. */
EXPORT("recurse") int32_t recurse(int32_t n)
{
	int32_t below;

	if (n == 0)
		return 0;
	below = recurse(n - 1);
	recursion_sink = below; /* work after the call: no tail call to optimise */
	return below + 1;
}
