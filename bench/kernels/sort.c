/*
 * sort - loads, stores and compares over a large array.
 *
 * Sorts n pseudo-random 32-bit keys (at most 4 Mi, 16 MiB) with a
 * hand-written quicksort: median-of-three pivots, an explicit stack of
 * pending ranges instead of recursion, and insertion sort for short runs.
 * Random access to memory plus unpredictable branches.
 */
#include "support.h"

#define SORT_MAX (4u << 20)
#define SMALL    16

static uint32_t keys[SORT_MAX];

static void insertion_sort(uint32_t *a, uint32_t len)
{
	for (uint32_t i = 1; i < len; i++) {
		uint32_t v = a[i];
		uint32_t j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static inline void swap(uint32_t *a, uint32_t i, uint32_t j)
{
	uint32_t t = a[i];

	a[i] = a[j];
	a[j] = t;
}

static void quicksort(uint32_t *a, uint32_t len)
{
	/* Pushing the larger half and looping on the smaller keeps the stack
	 * under log2(SORT_MAX) entries. */
	uint32_t lo_stack[64], hi_stack[64];
	uint32_t top = 0;
	uint32_t lo = 0, hi = len; /* [lo, hi) */

	for (;;) {
		while (hi - lo > SMALL) {
			uint32_t mid = lo + (hi - lo) / 2;
			uint32_t last = hi - 1;

			/* Order a[lo] <= a[mid] <= a[last]; the median is the pivot. */
			if (a[mid] < a[lo])
				swap(a, mid, lo);
			if (a[last] < a[lo])
				swap(a, last, lo);
			if (a[last] < a[mid])
				swap(a, last, mid);
			uint32_t pivot = a[mid];
			uint32_t i = lo, j = last;

			/* Hoare partition: a[lo] and a[last] are sentinels. */
			for (;;) {
				do
					i++;
				while (a[i] < pivot);
				do
					j--;
				while (a[j] > pivot);
				if (i >= j)
					break;
				swap(a, i, j);
			}
			/* [lo, j] <= pivot <= [j + 1, hi) */
			if (j + 1 - lo < hi - (j + 1)) {
				lo_stack[top] = j + 1;
				hi_stack[top++] = hi;
				hi = j + 1;
			} else {
				lo_stack[top] = lo;
				hi_stack[top++] = j + 1;
				lo = j + 1;
			}
		}
		insertion_sort(a + lo, hi - lo);
		if (top == 0)
			break;
		top--;
		lo = lo_stack[top];
		hi = hi_stack[top];
	}
}

uint32_t bench_run(uint32_t n)
{
	uint32_t seed = 0x1b873593u;
	uint32_t h = 0;

	if (n > SORT_MAX)
		n = SORT_MAX;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = bench_xorshift32(&seed);
	quicksort(keys, n);
	for (uint32_t i = 0; i < n; i++) {
		/* An unsorted result must not produce the right checksum. */
		if (i > 0 && keys[i - 1] > keys[i])
			return 0;
		if ((i & 255) == 0)
			h = bench_mix(h, keys[i]);
	}
	return bench_mix(h, n);
}
