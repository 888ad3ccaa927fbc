/*
 * support.h - the little every benchmark kernel shares.
 *
 * A kernel is one freestanding C file that defines
 *
 *	uint32_t bench_run(uint32_t n);
 *
 * and nothing else visible. It is compiled twice from the same source: for
 * the host (linked with bench/native_main.c) and for wasm32 with -nostdlib,
 * so it may not call libc and keeps its data in static arrays instead of
 * malloc. bench_run must set up all of its state itself on every call:
 * drivers call it repeatedly on the same instance or process, and each call
 * has to do the same work and return the same checksum.
 */
#ifndef BENCH_SUPPORT_H
#define BENCH_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

uint32_t bench_run(uint32_t n);

/*
 * wabt's wasm-interp cannot pass arguments to an export (it only has
 * --run-all-exports, which runs functions without parameters), so its copy
 * of each kernel is built with -DBENCH_N=n and exports this instead.
 */
#ifdef BENCH_N
uint32_t bench_main(void);

uint32_t bench_main(void)
{
	return bench_run(BENCH_N);
}
#endif

/*
 * Without libc, clang still turns clearing and copying loops into calls to
 * memset/memcpy (wasm32 has no bulk-memory by default), so the wasm build
 * needs its own. LLVM's loop-idiom pass leaves functions with these names
 * alone, so the loops below do not become calls to themselves. The native
 * build uses the C library's.
 */
#ifdef __wasm__
void *memset(void *dst, int c, size_t len);
void *memcpy(void *restrict dst, const void *restrict src, size_t len);
void *memmove(void *dst, const void *src, size_t len);

void *memset(void *dst, int c, size_t len)
{
	unsigned char *d = dst;

	while (len--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (len--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s) {
		while (len--)
			*d++ = *s++;
	} else {
		while (len--)
			d[len] = s[len];
	}
	return dst;
}
#endif

/* A 32-bit mixing step for folding results into a checksum. */
static inline uint32_t bench_mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* Folds a double by its bits: every engine must compute them exactly. */
static inline uint32_t bench_mix_f64(uint32_t h, double d)
{
	union {
		double d;
		uint64_t u;
	} b = {.d = d};

	h = bench_mix(h, (uint32_t)b.u);
	return bench_mix(h, (uint32_t)(b.u >> 32));
}

/* xorshift32: a cheap deterministic source of test data. */
static inline uint32_t bench_xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

#endif /* BENCH_SUPPORT_H */
