/*
 * mandel - floating point with data-dependent branches.
 *
 * Escape-time Mandelbrot over an n x n grid of the region around the main
 * cardioid, up to 256 iterations a point. The inner loop is a few f64
 * multiplies and adds plus a compare that decides whether to leave, so it
 * mixes float throughput with a hard-to-predict loop exit.
 */
#include "support.h"

#define MAX_ITER 256

uint32_t bench_run(uint32_t n)
{
	uint32_t h = 0;
	uint32_t total = 0;

	for (uint32_t y = 0; y < n; y++) {
		double ci = -1.25 + 2.5 * (double)y / (double)n;
		uint32_t row = 0;

		for (uint32_t x = 0; x < n; x++) {
			double cr = -2.0 + 2.5 * (double)x / (double)n;
			double zr = 0.0, zi = 0.0;
			uint32_t it = 0;

			while (it < MAX_ITER) {
				double zr2 = zr * zr;
				double zi2 = zi * zi;

				if (zr2 + zi2 > 4.0)
					break;
				zi = 2.0 * zr * zi + ci;
				zr = zr2 - zi2 + cr;
				it++;
			}
			row = row * 31 + it;
			total += it;
		}
		h = bench_mix(h, row);
	}
	return bench_mix(h, total);
}
