/*
 * clock.h - the monotonic clock in nanoseconds, the unit every deadline
 * in the project uses (ba_wasm_limits, ba_llm_request, ba_wasi_config,
 * the egress and HTTP deadlines are all CLOCK_MONOTONIC nanoseconds).
 *
 * One definition instead of a private now_ns() per file.
 */
#ifndef BA_CORE_CLOCK_H
#define BA_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC now, in nanoseconds. That clock cannot fail on Linux
 * with a valid pointer, so there is no error to report. */
static inline uint64_t ba_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
