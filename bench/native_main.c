/*
 * native_main.c - runs one benchmark kernel compiled for the host, as the
 * baseline every engine is compared with.
 *
 *	usage: native/KERNEL N [REPEATS]
 *
 * Calls bench_run(N) REPEATS times (default 3) and prints the checksum and
 * the fastest call:
 *
 *	checksum=1234abcd seconds=0.123456
 *
 * Only the call is timed, the same span bench_engine and run_node.mjs time.
 */
/* clock_gettime is POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "driver_util.h"

uint32_t bench_run(uint32_t n);

int main(int argc, char **argv)
{
	uint32_t n, repeats = 3, checksum = 0;
	double best = -1.0;

	if (argc < 2 || argc > 3 || parse_u32(argv[1], &n) != 0 ||
	    (argc == 3 && (parse_u32(argv[2], &repeats) != 0 || repeats == 0))) {
		fprintf(stderr, "usage: %s N [REPEATS]\n", argv[0]);
		return 2;
	}
	for (uint32_t r = 0; r < repeats; r++) {
		double t0 = now_seconds();
		uint32_t c = bench_run(n);
		double t = now_seconds() - t0;

		/* A kernel that forgets to reset its state shows up here. */
		if (r > 0 && c != checksum) {
			fprintf(stderr, "checksum changed between runs: %08x then %08x\n",
			        (unsigned)checksum, (unsigned)c);
			return 1;
		}
		checksum = c;
		if (best < 0 || t < best)
			best = t;
	}
	printf("checksum=%08x seconds=%.6f\n", (unsigned)checksum, best);
	return 0;
}
