/*
 * fround.h - WebAssembly's float rounding (ceil, floor, trunc, nearest)
 * without libm.
 *
 * Why not ceil()/floor()/rint() from <math.h>: without SSE4.1 clang calls
 * them in libm, and boxagent links libm statically (a shared libm costs
 * every tool run its start-up); glibc's static libm resolves these through
 * ifuncs that need the static libc, so a clang build would not link. These
 * are exact for every input the interpreter passes (NaN is handled by the
 * caller): values of magnitude 2^52 (2^23 for f32) and above, infinities
 * included, are already integers and come back unchanged; below that the
 * value fits an integer conversion, and "nearest" uses the classic add and
 * subtract of 2^52, which rounds ties to even in the default rounding mode.
 * The sign of a zero result follows the input, as the spec requires
 * (ceil(-0.5) = -0, nearest(-0.4) = -0).
 */
#ifndef BA_WASM_FROUND_H
#define BA_WASM_FROUND_H

#include <stdint.h>

static inline double ba_f64_trunc(double x)
{
	if (!(__builtin_fabs(x) < 0x1p52))
		return x;
	return __builtin_copysign((double)(int64_t)x, x);
}

static inline double ba_f64_floor(double x)
{
	double t = ba_f64_trunc(x);
	return t > x ? t - 1.0 : t;
}

static inline double ba_f64_ceil(double x)
{
	double t = ba_f64_trunc(x);
	return t < x ? t + 1.0 : t;
}

static inline double ba_f64_nearest(double x)
{
	double m = __builtin_fabs(x);
	if (!(m < 0x1p52))
		return x;
	return __builtin_copysign((m + 0x1p52) - 0x1p52, x);
}

static inline float ba_f32_trunc(float x)
{
	if (!(__builtin_fabsf(x) < 0x1p23f))
		return x;
	return __builtin_copysignf((float)(int32_t)x, x);
}

static inline float ba_f32_floor(float x)
{
	float t = ba_f32_trunc(x);
	return t > x ? t - 1.0f : t;
}

static inline float ba_f32_ceil(float x)
{
	float t = ba_f32_trunc(x);
	return t < x ? t + 1.0f : t;
}

static inline float ba_f32_nearest(float x)
{
	float m = __builtin_fabsf(x);
	if (!(m < 0x1p23f))
		return x;
	return __builtin_copysignf((m + 0x1p23f) - 0x1p23f, x);
}

#endif /* BA_WASM_FROUND_H */
