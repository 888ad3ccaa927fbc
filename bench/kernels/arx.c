/*
 * arx - bit operations in the style of a SHA-2 compression function.
 *
 * A made-up (not cryptographic) hash with SHA-256's shape: each 64-byte
 * block is expanded to a 64-word schedule with rotate/shift mixers, then
 * run through 64 rounds over eight 32-bit working variables using choose,
 * majority and rotate sums. That is add-rotate-xor code with many live
 * values, so an interpreter's local-variable traffic shows up here.
 * The round constants are generated, not taken from any standard.
 */
#include "support.h"

static uint32_t round_k[64];
static uint32_t block[16];

static inline uint32_t rotr(uint32_t x, unsigned r)
{
	return (x >> r) | (x << (32 - r));
}

static void compress(uint32_t st[8], const uint32_t in[16])
{
	uint32_t w[64];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

	for (int i = 0; i < 16; i++)
		w[i] = in[i];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 5) ^ rotr(w[i - 15], 14) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 13) ^ rotr(w[i - 2], 21) ^ (w[i - 2] >> 7);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (int i = 0; i < 64; i++) {
		uint32_t big1 = rotr(e, 4) ^ rotr(e, 9) ^ rotr(e, 27);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + big1 + ch + round_k[i] + w[i];
		uint32_t big0 = rotr(a, 3) ^ rotr(a, 12) ^ rotr(a, 20);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = big0 + maj;

		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
	st[4] += e;
	st[5] += f;
	st[6] += g;
	st[7] += h;
}

/* Hashes n generated blocks; the result is a fold of the final state. */
uint32_t bench_run(uint32_t n)
{
	uint32_t st[8];
	uint32_t seed = 0x6d2b79f5u;
	uint32_t h = 0;

	for (int i = 0; i < 64; i++)
		round_k[i] = bench_xorshift32(&seed);
	for (int i = 0; i < 8; i++)
		st[i] = bench_xorshift32(&seed);
	for (uint32_t blk = 0; blk < n; blk++) {
		/* Cheap block contents that still differ in every word. */
		for (uint32_t i = 0; i < 16; i++)
			block[i] = (blk * 16 + i) * 0x9e3779b9u ^ st[i & 7];
		compress(st, block);
	}
	for (int i = 0; i < 8; i++)
		h = bench_mix(h, st[i]);
	return h;
}
