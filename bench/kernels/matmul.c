/*
 * matmul - double-precision floating point.
 *
 * Repeatedly multiplies a 96x96 matrix by a fixed row-stochastic matrix
 * (rows sum to 1, so values stay in range however many rounds run), using
 * the i-k-j loop order. It is f64 load/multiply/add/store in a tight
 * inner loop: the float and memory-addressing paths of an engine. IEEE
 * arithmetic is exact and the order of additions is fixed by the source,
 * so every engine must produce the same bits.
 */
#include "support.h"

#define DIM 96

static double ma[DIM][DIM];
static double mb[DIM][DIM];
static double mc[DIM][DIM];

static void setup(void)
{
	uint32_t seed = 0x2f6b8f1du;

	for (int i = 0; i < DIM; i++) {
		double sum = 0.0;

		for (int j = 0; j < DIM; j++) {
			/* Positive entries in [1, 256]. */
			mb[i][j] = (double)(bench_xorshift32(&seed) % 256 + 1);
			sum += mb[i][j];
			ma[i][j] = (double)(bench_xorshift32(&seed) % 1000) / 8.0;
		}
		for (int j = 0; j < DIM; j++)
			mb[i][j] /= sum;
	}
}

uint32_t bench_run(uint32_t n)
{
	uint32_t h = 0;

	setup();
	for (uint32_t round = 0; round < n; round++) {
		for (int i = 0; i < DIM; i++) {
			for (int j = 0; j < DIM; j++)
				mc[i][j] = 0.0;
			for (int k = 0; k < DIM; k++) {
				double aik = ma[i][k];

				for (int j = 0; j < DIM; j++)
					mc[i][j] += aik * mb[k][j];
			}
		}
		/* Feed the product back, nudged so rounds never settle. */
		for (int i = 0; i < DIM; i++)
			for (int j = 0; j < DIM; j++)
				ma[i][j] = mc[i][j] + (double)((i + j + round) & 7);
	}
	for (int i = 0; i < DIM; i++)
		h = bench_mix_f64(h, ma[i][(i * 7) % DIM]);
	return h;
}
