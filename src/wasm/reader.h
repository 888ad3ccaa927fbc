/*
 * reader.h - bounds-checked reading of the WebAssembly binary format.
 *
 * Shared by decode.c (sections) and validate.c (function bodies). Every
 * read checks r->pos against r->end first, so no input can make us read
 * outside the buffer. The LEB128 rules follow the reference interpreter
 * exactly (spec test binary-leb128.wast): for an N-bit integer at most
 * ceil(N/7) bytes; the bits of the last byte that lie beyond N must be zero
 * (unsigned) or copies of the sign bit (signed), else "integer too large";
 * a continuation bit on that last byte is "integer representation too long".
 */
#ifndef BA_WASM_READER_H
#define BA_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"

#define BA_WASM__EOF_MSG "unexpected end of section or function"

typedef struct ba_wasm__reader {
	const uint8_t *buf;
	size_t pos;
	size_t end; /* one past the last readable byte */
	ba_wasm_diag *diag;
} ba_wasm__reader;

/*
 * The error helpers return a constant rather than ba_wasm__fail()'s result
 * so that the compiler, seeing a non-zero return on every error path of the
 * inlined readers, knows their outputs are set whenever they return OK.
 */
static inline ba_wasm_err ba_wasm__malformed(ba_wasm__reader *r, size_t offset, const char *msg)
{
	ba_wasm__fail(r->diag, BA_WASM_ERR_MALFORMED, offset, "%s", msg);
	return BA_WASM_ERR_MALFORMED;
}

static inline ba_wasm_err ba_wasm__eof(ba_wasm__reader *r)
{
	return ba_wasm__malformed(r, r->end, BA_WASM__EOF_MSG);
}

/* Outputs are written even on failure (zero), which keeps compilers from
 * seeing "maybe uninitialized" paths in callers. */
static inline ba_wasm_err ba_wasm__rd_byte(ba_wasm__reader *r, uint8_t *out)
{
	*out = 0;
	if (r->pos >= r->end)
		return ba_wasm__eof(r);
	*out = r->buf[r->pos++];
	return BA_WASM_OK;
}

static inline ba_wasm_err ba_wasm__rd_bytes(ba_wasm__reader *r, size_t n, size_t *start)
{
	*start = r->pos;
	if (n > r->end - r->pos) {
		r->pos = r->end;
		return ba_wasm__eof(r);
	}
	*start = r->pos;
	r->pos += n;
	return BA_WASM_OK;
}

/* Unsigned LEB128 of at most `bits` (<= 64) bits. */
static inline ba_wasm_err ba_wasm__rd_uleb(ba_wasm__reader *r, int bits, uint64_t *out)
{
	uint64_t result = 0;
	unsigned shift = 0;
	int n = bits;

	*out = 0;
	for (;;) {
		uint8_t b;

		if (n <= 0)
			return ba_wasm__malformed(r, r->pos, "integer representation too long");
		if (r->pos >= r->end)
			return ba_wasm__eof(r);
		b = r->buf[r->pos++];
		if (n < 7 && (b & 0x7f) >= (1u << n))
			return ba_wasm__malformed(r, r->pos - 1, "integer too large");
		result |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		n -= 7;
	}
	*out = result;
	return BA_WASM_OK;
}

/* Signed LEB128 of at most `bits` (<= 64) bits, sign-extended to 64. */
static inline ba_wasm_err ba_wasm__rd_sleb(ba_wasm__reader *r, int bits, int64_t *out)
{
	uint64_t result = 0;
	unsigned shift = 0;
	int n = bits;
	uint8_t b;

	*out = 0;
	for (;;) {
		if (n <= 0)
			return ba_wasm__malformed(r, r->pos, "integer representation too long");
		if (r->pos >= r->end)
			return ba_wasm__eof(r);
		b = r->buf[r->pos++];
		if (n < 7) {
			uint8_t mask = (uint8_t)((0x7fu << (n - 1)) & 0x7f);

			if ((b & mask) != 0 && (b & mask) != mask)
				return ba_wasm__malformed(r, r->pos - 1, "integer too large");
		}
		result |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
		n -= 7;
	}
	if (shift < 64 && (b & 0x40))
		result |= ~(uint64_t)0 << shift;
	*out = (int64_t)result;
	return BA_WASM_OK;
}

static inline ba_wasm_err ba_wasm__rd_u32(ba_wasm__reader *r, uint32_t *out)
{
	uint64_t v = 0;
	ba_wasm_err err;

	/* Most immediates are a single byte; skip the loop for them. */
	if (r->pos < r->end && r->buf[r->pos] < 0x80) {
		*out = r->buf[r->pos++];
		return BA_WASM_OK;
	}
	if ((err = ba_wasm__rd_uleb(r, 32, &v)))
		return err;
	*out = (uint32_t)v;
	return BA_WASM_OK;
}

/*
 * A length (of a vector or a byte string) must not exceed what is left of
 * the input, counted from the length's own first byte. That is the
 * reference interpreter's rule, and it decides between "length out of
 * bounds" and "unexpected end" in the spec tests.
 */
static inline ba_wasm_err ba_wasm__rd_len(ba_wasm__reader *r, uint32_t *out)
{
	size_t at = r->pos;
	ba_wasm_err err = ba_wasm__rd_u32(r, out);

	if (err)
		return err;
	if (*out > r->end - at)
		return ba_wasm__malformed(r, at, "length out of bounds");
	return BA_WASM_OK;
}

/* Decoding and checking of whole instructions lives in validate.c. It is
 * also used by decode.c to get past constant expressions that are not the
 * plain one-instruction form. */

/*
 * Reads instructions from r up to and including the `end` that closes the
 * expression (nested blocks are followed), checking only the encoding.
 * *all_const (may be NULL) says whether every instruction was one a
 * constant expression may contain; *count the number of instructions
 * before the final `end`. Returns OK or MALFORMED.
 */
ba_wasm_err ba_wasm__skim_expr(const ba_wasm_module *m, ba_wasm__reader *r, bool *all_const,
                               uint32_t *count, ba_wasm_diag *diag);

/*
 * Checks the encoding (not the typing) of the bodies of defined functions
 * first..(count-1), so that a malformed body wins over an earlier
 * validation error as in the spec. Returns OK or MALFORMED.
 */
ba_wasm_err ba_wasm__skim_bodies(const ba_wasm_module *m, uint32_t first_defined,
                                 ba_wasm_diag *diag);

#endif /* BA_WASM_READER_H */
