/*
 * driver_util.h - the little the two benchmark drivers (native_main.c and
 * bench_engine.c) share: a monotonic clock and strict argument parsing.
 * Header-only because native_main.c is built alone with each kernel.
 */
#ifndef BA_BENCH_DRIVER_UTIL_H
#define BA_BENCH_DRIVER_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A whole decimal number that fits in 32 bits; -1 for anything else. */
static inline int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

#endif /* BA_BENCH_DRIVER_UTIL_H */
