/*
 * Tests for src/wasm/decode.c, validate.c and module.c: the binary format's
 * corner cases (LEB128, section order and sizes, UTF-8, counts that must
 * agree), module-level validation, the typing of function bodies, SIMD
 * being UNSUPPORTED, the load caps, and the import/export queries.
 *
 * Modules are assembled from small byte lists with a builder that computes
 * section and body sizes, so each case shows only the bytes it is about.
 */
#include "test.h"

#include "wasm/module.h"
#include "wasm/wasm.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Module builder                                                           */
/* ------------------------------------------------------------------------ */

struct mb {
	uint8_t b[2048];
	size_t n;
};

static void put(struct mb *m, const uint8_t *p, size_t n)
{
	if (m->n + n > sizeof(m->b))
		ba_test_fail(__FILE__, __LINE__, "test module too large");
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_leb(struct mb *m, uint32_t v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		if (v)
			b |= 0x80;
		put(m, &b, 1);
	} while (v);
}

static void start(struct mb *m)
{
	static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

	m->n = 0;
	put(m, header, sizeof(header));
}

static void section(struct mb *m, uint8_t id, const uint8_t *c, size_t n)
{
	put(m, &id, 1);
	put_leb(m, (uint32_t)n);
	put(m, c, n);
}

/* A code section with one body (locals and instructions, `end` included). */
static void code1(struct mb *m, const uint8_t *body, size_t n)
{
	uint8_t c[512];
	struct mb tmp;

	tmp.n = 0;
	put_leb(&tmp, 1);
	put_leb(&tmp, (uint32_t)n);
	memcpy(c, tmp.b, tmp.n);
	if (tmp.n + n > sizeof(c))
		ba_test_fail(__FILE__, __LINE__, "body too large");
	memcpy(c + tmp.n, body, n);
	section(m, 10, c, tmp.n + n);
}

#define SEC(m, id, ...)                                    \
	do {                                               \
		static const uint8_t c_[] = {__VA_ARGS__}; \
		section((m), (id), c_, sizeof(c_));        \
	} while (0)
#define RAW(m, ...)                                        \
	do {                                               \
		static const uint8_t c_[] = {__VA_ARGS__}; \
		put((m), c_, sizeof(c_));                  \
	} while (0)
#define CODE1(m, ...)                                      \
	do {                                               \
		static const uint8_t c_[] = {__VA_ARGS__}; \
		code1((m), c_, sizeof(c_));                \
	} while (0)

/* Type 0 = [] -> [], one function of type 0. */
static void func_void(struct mb *m)
{
	SEC(m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(m, 3, 0x01, 0x00);
}

static ba_wasm_err load(const struct mb *m, const ba_wasm_load_options *o, ba_wasm_diag *d)
{
	ba_wasm_module *mod = NULL;
	ba_wasm_err err = ba_wasm_module_load(m->b, m->n, o, &mod, d);

	if (err == BA_WASM_OK && !mod)
		ba_test_fail(__FILE__, __LINE__, "OK but no module");
	if (err != BA_WASM_OK && mod)
		ba_test_fail(__FILE__, __LINE__, "error but a module");
	ba_wasm_module_release(mod);
	return err;
}

static void expect_load(const char *file, int line, const struct mb *m,
                        const ba_wasm_load_options *o, ba_wasm_err want, const char *msg)
{
	ba_wasm_diag d;
	ba_wasm_err err = load(m, o, &d);

	if (err != want)
		ba_test_fail(file, line, "load: got %s (%s), want %s", ba_wasm_err_name(err),
		             err ? d.message : "", ba_wasm_err_name(want));
	if (err && msg && strncmp(d.message, msg, strlen(msg)) != 0)
		ba_test_fail(file, line, "message \"%s\" does not start with \"%s\"", d.message,
		             msg);
	if (err && !d.message[0])
		ba_test_fail(file, line, "empty diag message");
}

#define EXPECT_OK(m)            expect_load(__FILE__, __LINE__, (m), NULL, BA_WASM_OK, NULL)
#define EXPECT_ERR(m, err, msg) expect_load(__FILE__, __LINE__, (m), NULL, BA_WASM_ERR_##err, (msg))
#define EXPECT_ERR_OPT(m, o, err, msg) \
	expect_load(__FILE__, __LINE__, (m), (o), BA_WASM_ERR_##err, (msg))

/* ------------------------------------------------------------------------ */
/* Header and sections                                                      */
/* ------------------------------------------------------------------------ */

TEST(decode_header)
{
	struct mb m;
	static const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00};
	static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};

	m.n = 0;
	EXPECT_ERR(&m, MALFORMED, "unexpected end");
	RAW(&m, 0x00, 0x61, 0x73, 0x6d);
	EXPECT_ERR(&m, MALFORMED, "unexpected end");
	m.n = 0;
	put(&m, bad_magic, sizeof(bad_magic));
	EXPECT_ERR(&m, MALFORMED, "magic header not detected");
	m.n = 0;
	put(&m, bad_version, sizeof(bad_version));
	EXPECT_ERR(&m, MALFORMED, "unknown binary version");
	start(&m);
	EXPECT_OK(&m);
}

TEST(decode_section_order_and_sizes)
{
	struct mb m;

	/* Type section of size 5 whose content takes 4 bytes. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00, 0x00);
	EXPECT_ERR(&m, MALFORMED, "section size mismatch");

	/* A size past the end of the input. */
	start(&m);
	RAW(&m, 0x01, 0x09, 0x01, 0x60, 0x00, 0x00);
	EXPECT_ERR(&m, MALFORMED, "length out of bounds");

	/* Memory before type; twice the same section. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x00);
	SEC(&m, 1, 0x00);
	EXPECT_ERR(&m, MALFORMED, "unexpected content after last section");
	start(&m);
	SEC(&m, 1, 0x00);
	SEC(&m, 1, 0x00);
	EXPECT_ERR(&m, MALFORMED, "unexpected content after last section");

	/* DataCount (12) comes between element (9) and code (10). */
	start(&m);
	SEC(&m, 10, 0x00);
	SEC(&m, 12, 0x00);
	EXPECT_ERR(&m, MALFORMED, "unexpected content after last section");

	start(&m);
	SEC(&m, 13, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed section id");

	/* Custom sections go anywhere, even between ordered ones. */
	start(&m);
	SEC(&m, 0, 0x01, 'a', 1, 2, 3);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 0, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	SEC(&m, 0, 0x02, 'h', 'i');
	CODE1(&m, 0x00, 0x0b);
	SEC(&m, 0, 0x01, 'z');
	EXPECT_OK(&m);

	/* A custom section's name must fit in the section. */
	start(&m);
	SEC(&m, 0, 0x05, 'a');
	EXPECT_ERR(&m, MALFORMED, "length out of bounds");
	start(&m);
	RAW(&m, 0x00, 0x00); /* custom section of size 0: no room for a name */
	EXPECT_ERR(&m, MALFORMED, "unexpected end");
}

TEST(decode_utf8_names)
{
	static const struct {
		uint8_t bytes[4];
		uint8_t len;
		bool ok;
	} cases[] = {
	        {{'a', 'b'}, 2, true},
	        {{0xc3, 0xa9}, 2, true},              /* é          */
	        {{0xf0, 0x9f, 0x98, 0x80}, 4, true},  /* U+1F600    */
	        {{0xf4, 0x8f, 0xbf, 0xbf}, 4, true},  /* U+10FFFF   */
	        {{0x00}, 1, true},                    /* NUL is fine */
	        {{0xc0, 0x80}, 2, false},             /* overlong   */
	        {{0xe0, 0x80, 0x80}, 3, false},       /* overlong   */
	        {{0xed, 0xa0, 0x80}, 3, false},       /* surrogate  */
	        {{0xf4, 0x90, 0x80, 0x80}, 4, false}, /* > U+10FFFF */
	        {{0xe2, 0x82}, 2, false},             /* truncated  */
	        {{0x80}, 1, false},                   /* stray cont */
	        {{0xff}, 1, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb m;
		uint8_t c[8];

		/* As a custom section name and as an export name. */
		start(&m);
		c[0] = cases[i].len;
		memcpy(c + 1, cases[i].bytes, cases[i].len);
		section(&m, 0, c, 1u + cases[i].len);
		if (cases[i].ok)
			EXPECT_OK(&m);
		else
			EXPECT_ERR(&m, MALFORMED, "malformed UTF-8 encoding");

		start(&m);
		SEC(&m, 5, 0x01, 0x00, 0x00);
		c[0] = 0x01;
		c[1] = cases[i].len;
		memcpy(c + 2, cases[i].bytes, cases[i].len);
		c[2 + cases[i].len] = 0x02; /* memory */
		c[3 + cases[i].len] = 0x00;
		section(&m, 7, c, 4u + cases[i].len);
		if (cases[i].ok)
			EXPECT_OK(&m);
		else
			EXPECT_ERR(&m, MALFORMED, "malformed UTF-8 encoding");
	}
}

/* ------------------------------------------------------------------------ */
/* LEB128                                                                   */
/* ------------------------------------------------------------------------ */

TEST(decode_leb128_unsigned)
{
	struct mb m;

	/* Memory minimum 2, non-minimal but five bytes: fine. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x00);
	EXPECT_OK(&m);
	/* Six bytes. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00);
	EXPECT_ERR(&m, MALFORMED, "integer representation too long");
	/* Bits above 32 in the fifth byte. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x10);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x70);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* Value bits and a continuation bit in the fifth byte: the value
	 * check comes first, as in the reference interpreter. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x90, 0x00);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* Truncated in the middle. */
	start(&m);
	RAW(&m, 0x05, 0x03, 0x01, 0x00, 0x82);
	EXPECT_ERR(&m, MALFORMED, "unexpected end");
}

static uint64_t global0_bits(const struct mb *m)
{
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;
	uint64_t bits;

	if (ba_wasm_module_load(m->b, m->n, NULL, &mod, &d) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "load failed: %s", d.message);
	bits = mod->globals[0].init.bits;
	ba_wasm_module_release(mod);
	return bits;
}

TEST(decode_leb128_signed)
{
	struct mb m;

	/* i32.const -1 in five bytes, unused bits set as they must be. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x0b);
	CHECK_EQ_UINT(global0_bits(&m), 0xffffffffu);
	/* ... with unused bits unset. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* i32.const 0 with some unused bits set. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x1f, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* INT32_MIN. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0b);
	CHECK_EQ_UINT(global0_bits(&m), 0x80000000u);
	/* Six bytes. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "integer representation too long");

	/* i64.const -1 in ten bytes. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7e, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x7f, 0x0b);
	CHECK_EQ_UINT(global0_bits(&m), UINT64_MAX);
	/* INT64_MIN. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7e, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x7f, 0x0b);
	CHECK_EQ_UINT(global0_bits(&m), UINT64_C(0x8000000000000000));
	/* Tenth byte with bits beyond 64 not copies of the sign. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7e, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x02, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	start(&m);
	SEC(&m, 6, 0x01, 0x7e, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x41, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* Two-byte -1 for i32 (non-minimal, fine). */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0xff, 0x7f, 0x0b);
	CHECK_EQ_UINT(global0_bits(&m), 0xffffffffu);

	/* A type byte written as a two-byte LEB128. */
	start(&m);
	SEC(&m, 1, 0x01, 0xe0, 0x7f, 0x00, 0x00);
	EXPECT_ERR(&m, MALFORMED, "integer representation too long");
}

/* ------------------------------------------------------------------------ */
/* Counts that must agree, locals                                           */
/* ------------------------------------------------------------------------ */

TEST(decode_function_code_counts)
{
	struct mb m;

	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x02, 0x00, 0x00);
	EXPECT_ERR(&m, MALFORMED, "function and code section have inconsistent lengths");

	start(&m);
	SEC(&m, 10, 0x01, 0x02, 0x00, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "function and code section have inconsistent lengths");

	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	SEC(&m, 10, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "function and code section have inconsistent lengths");

	/* Both empty or both absent: fine. */
	start(&m);
	SEC(&m, 3, 0x00);
	SEC(&m, 10, 0x00);
	EXPECT_OK(&m);
}

TEST(decode_data_count)
{
	struct mb m;

	/* DataCount without a data section must be 0. */
	start(&m);
	SEC(&m, 12, 0x01);
	EXPECT_ERR(&m, MALFORMED, "data count and data section have inconsistent lengths");
	start(&m);
	SEC(&m, 12, 0x00);
	EXPECT_OK(&m);

	start(&m);
	SEC(&m, 12, 0x01);
	SEC(&m, 11, 0x02, 0x01, 0x00, 0x01, 0x00);
	EXPECT_ERR(&m, MALFORMED, "data count and data section have inconsistent lengths");

	start(&m);
	SEC(&m, 12, 0x02);
	SEC(&m, 11, 0x02, 0x01, 0x00, 0x01, 0x00);
	EXPECT_OK(&m);
}

TEST(decode_locals)
{
	struct mb m;
	ba_wasm_load_options o = {.max_locals = 4};
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;

	/* 0xFFFFFFFF + 2 locals: more than 2^32, malformed. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "too many locals");

	/* 4 x 2^30 = 2^32. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x04, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7f, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7e,
	      0x80, 0x80, 0x80, 0x80, 0x04, 0x7d, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7c, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "too many locals");

	/* 50,001 locals: well-formed, but over the default cap. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x01, 0xd1, 0x86, 0x03, 0x7f, 0x0b);
	EXPECT_ERR(&m, LIMIT, "too many locals");

	/* 50,000 is still fine. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x01, 0xd0, 0x86, 0x03, 0x7f, 0x0b);
	EXPECT_OK(&m);

	/* Groups are concatenated in order; zero-sized groups allowed. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x03, 0x00, 0x7f, 0x02, 0x7e, 0x01, 0x70, 0x0b);
	CHECK_EQ_INT(ba_wasm_module_load(m.b, m.n, NULL, &mod, &d), BA_WASM_OK);
	CHECK_EQ_UINT(mod->funcs[0].local_count, 3);
	CHECK_EQ_UINT(mod->funcs[0].local_types[0], BA_WASM_I64);
	CHECK_EQ_UINT(mod->funcs[0].local_types[1], BA_WASM_I64);
	CHECK_EQ_UINT(mod->funcs[0].local_types[2], BA_WASM_FUNCREF);
	ba_wasm_module_release(mod);

	/* A caller's cap. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x01, 0x05, 0x7f, 0x0b);
	EXPECT_ERR_OPT(&m, &o, LIMIT, "too many locals");
	o.max_locals = 5;
	expect_load(__FILE__, __LINE__, &m, &o, BA_WASM_OK, NULL);

	/* A bad local type. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x01, 0x01, 0x40, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "malformed value type");
}

TEST(decode_load_caps)
{
	struct mb m;
	ba_wasm_load_options o = {0};

	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x03, 0x00, 0x00, 0x00);
	SEC(&m, 10, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x01, 0x0b);
	EXPECT_OK(&m);

	o.max_functions = 2;
	EXPECT_ERR_OPT(&m, &o, LIMIT, "too many functions");
	o.max_functions = 0;
	o.max_body_bytes = 2;
	EXPECT_ERR_OPT(&m, &o, LIMIT, "function body too large");
	o.max_body_bytes = 3;
	expect_load(__FILE__, __LINE__, &m, &o, BA_WASM_OK, NULL);
	o.max_module_bytes = m.n - 1;
	EXPECT_ERR_OPT(&m, &o, LIMIT, NULL);
	o.max_module_bytes = m.n;
	expect_load(__FILE__, __LINE__, &m, &o, BA_WASM_OK, NULL);

	/* At most 1000 parameters and 1000 results per function type. */
	for (uint32_t n = 1000; n <= 1001; n++) {
		uint8_t c[1100];
		size_t k = 0;

		c[k++] = 0x01;
		c[k++] = 0x60;
		c[k++] = (uint8_t)(0x80 | (n & 0x7f));
		c[k++] = (uint8_t)(n >> 7);
		memset(c + k, 0x7f, n);
		k += n;
		c[k++] = 0x00;
		start(&m);
		section(&m, 1, c, k);
		if (n == 1000)
			EXPECT_OK(&m);
		else
			EXPECT_ERR(&m, LIMIT, "function type has 1001 parameters");
	}
}

/* ------------------------------------------------------------------------ */
/* Limits, memories, exports, start, imports                                */
/* ------------------------------------------------------------------------ */

TEST(validate_limits)
{
	struct mb m;

	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x80, 0x80, 0x04); /* 65536 pages */
	EXPECT_OK(&m);
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x81, 0x80, 0x04); /* 65537 */
	EXPECT_ERR(&m, INVALID, "memory size must be at most 65536 pages (4GiB)");
	start(&m);
	SEC(&m, 5, 0x01, 0x01, 0x00, 0x81, 0x80, 0x04); /* max 65537 */
	EXPECT_ERR(&m, INVALID, "memory size must be at most 65536 pages (4GiB)");
	start(&m);
	SEC(&m, 5, 0x01, 0x01, 0x02, 0x01);
	EXPECT_ERR(&m, INVALID, "size minimum must not be greater than maximum");
	start(&m);
	SEC(&m, 4, 0x01, 0x70, 0x01, 0x02, 0x01);
	EXPECT_ERR(&m, INVALID, "size minimum must not be greater than maximum");
	/* A table may be as large as 2^32-1. */
	start(&m);
	SEC(&m, 4, 0x01, 0x70, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f);
	EXPECT_OK(&m);
	/* The flag is 0 or 1. */
	start(&m);
	SEC(&m, 5, 0x01, 0x02, 0x00);
	EXPECT_ERR(&m, MALFORMED, "integer too large");
	/* One memory only in 2.0, imported or not. */
	start(&m);
	SEC(&m, 5, 0x02, 0x00, 0x00, 0x00, 0x00);
	EXPECT_ERR(&m, INVALID, "multiple memories");
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'x', 0x02, 0x00, 0x00);
	SEC(&m, 5, 0x01, 0x00, 0x00);
	EXPECT_ERR(&m, INVALID, "multiple memories");
	/* Reference types in tables only. */
	start(&m);
	SEC(&m, 4, 0x01, 0x7f, 0x00, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed reference type");
}

TEST(validate_exports_and_start)
{
	struct mb m;

	start(&m);
	func_void(&m);
	SEC(&m, 7, 0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'a', 0x00, 0x00);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "duplicate export name");

	/* Same prefix, different lengths: distinct. */
	start(&m);
	func_void(&m);
	SEC(&m, 7, 0x02, 0x01, 'a', 0x00, 0x00, 0x02, 'a', 'a', 0x00, 0x00);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_OK(&m);

	start(&m);
	func_void(&m);
	SEC(&m, 7, 0x01, 0x01, 'a', 0x00, 0x05);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "unknown function 5");
	start(&m);
	SEC(&m, 7, 0x01, 0x01, 'g', 0x03, 0x00);
	EXPECT_ERR(&m, INVALID, "unknown global 0");
	start(&m);
	SEC(&m, 7, 0x01, 0x01, 'k', 0x04, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed export kind");

	/* Start function of type [i32] -> []. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x01, 0x7f, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	SEC(&m, 8, 0x00);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "start function");
	start(&m);
	func_void(&m);
	SEC(&m, 8, 0x01);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "unknown function 1");

	/* Imports: unknown type, bad kind, bad mutability. */
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00);
	EXPECT_ERR(&m, INVALID, "unknown type 0");
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'f', 0x04, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed import kind");
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x02);
	EXPECT_ERR(&m, MALFORMED, "malformed mutability");
}

TEST(module_import_export_queries)
{
	struct mb m;
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;
	ba_wasm_import_desc imp;
	ba_wasm_export_desc ex;

	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7e);
	SEC(&m, 2, 0x04, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00, 0x03, 'e', 'n', 'v', 0x03, 'm',
	    'e', 'm', 0x02, 0x01, 0x01, 0x04, 0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x6f, 0x00,
	    0x02, 0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7d, 0x01);
	SEC(&m, 7, 0x03, 0x01, 'f', 0x00, 0x00, 0x01, 'm', 0x02, 0x00, 0x01, 'g', 0x03, 0x00);
	CHECK_EQ_INT(ba_wasm_module_load(m.b, m.n, NULL, &mod, &d), BA_WASM_OK);

	CHECK_EQ_UINT(ba_wasm_module_import_count(mod), 4);
	ba_wasm_module_import(mod, 0, &imp);
	CHECK_EQ_STR(imp.module_name, "env");
	CHECK_EQ_UINT(imp.module_name_len, 3);
	CHECK_EQ_STR(imp.name, "f");
	CHECK_EQ_INT(imp.type.kind, BA_WASM_EXTERN_FUNC);
	CHECK_EQ_UINT(imp.type.func.param_count, 1);
	CHECK_EQ_UINT(imp.type.func.params[0], BA_WASM_I32);
	CHECK_EQ_UINT(imp.type.func.result_count, 1);
	CHECK_EQ_UINT(imp.type.func.results[0], BA_WASM_I64);
	ba_wasm_module_import(mod, 1, &imp);
	CHECK_EQ_STR(imp.name, "mem");
	CHECK_EQ_INT(imp.type.kind, BA_WASM_EXTERN_MEMORY);
	CHECK_EQ_UINT(imp.type.memory.min, 1);
	CHECK(imp.type.memory.has_max);
	CHECK_EQ_UINT(imp.type.memory.max, 4);
	ba_wasm_module_import(mod, 2, &imp);
	CHECK_EQ_INT(imp.type.kind, BA_WASM_EXTERN_TABLE);
	CHECK_EQ_UINT(imp.type.table.elem, BA_WASM_EXTERNREF);
	CHECK_EQ_UINT(imp.type.table.limits.min, 2);
	CHECK(!imp.type.table.limits.has_max);
	ba_wasm_module_import(mod, 3, &imp);
	CHECK_EQ_INT(imp.type.kind, BA_WASM_EXTERN_GLOBAL);
	CHECK_EQ_UINT(imp.type.global.type, BA_WASM_F32);
	CHECK(imp.type.global.mutable_);

	CHECK_EQ_UINT(ba_wasm_module_export_count(mod), 3);
	ba_wasm_module_export(mod, 0, &ex);
	CHECK_EQ_STR(ex.name, "f");
	CHECK_EQ_INT(ex.type.kind, BA_WASM_EXTERN_FUNC);
	CHECK_EQ_UINT(ex.type.func.results[0], BA_WASM_I64);
	ba_wasm_module_export(mod, 1, &ex);
	CHECK_EQ_INT(ex.type.kind, BA_WASM_EXTERN_MEMORY);
	CHECK_EQ_UINT(ex.type.memory.max, 4);
	ba_wasm_module_export(mod, 2, &ex);
	CHECK_EQ_INT(ex.type.kind, BA_WASM_EXTERN_GLOBAL);
	CHECK_EQ_UINT(ex.type.global.type, BA_WASM_F32);

	/* Out-of-range queries are cleared, not read. */
	ba_wasm_module_export(mod, 3, &ex);
	CHECK(ex.name == NULL);

	/* Refcount: an extra reference keeps the module alive. */
	CHECK(ba_wasm_module_retain(mod) == mod);
	ba_wasm_module_release(mod);
	CHECK_EQ_UINT(ba_wasm_module_export_count(mod), 3);
	ba_wasm_module_release(mod);
	ba_wasm_module_release(NULL);
}

/* ------------------------------------------------------------------------ */
/* Segments and constant expressions                                        */
/* ------------------------------------------------------------------------ */

TEST(decode_elem_segments_all_encodings)
{
	struct mb m;
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;

	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x01, 0x70, 0x00, 0x0a);
	SEC(&m, 9, 0x08, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,            /* active, funcs        */
	    0x01, 0x00, 0x01, 0x00,                                     /* passive, funcs       */
	    0x02, 0x00, 0x41, 0x01, 0x0b, 0x00, 0x01, 0x00,             /* active table, funcs  */
	    0x03, 0x00, 0x01, 0x00,                                     /* declarative, funcs   */
	    0x04, 0x41, 0x02, 0x0b, 0x01, 0xd2, 0x00, 0x0b,             /* active, exprs        */
	    0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b,       /* passive, exprs       */
	    0x06, 0x00, 0x41, 0x03, 0x0b, 0x70, 0x01, 0xd0, 0x70, 0x0b, /* active table  */
	    0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b);                        /* declarative, exprs   */
	CODE1(&m, 0x00, 0x0b);
	CHECK_EQ_INT(ba_wasm_module_load(m.b, m.n, NULL, &mod, &d), BA_WASM_OK);
	CHECK_EQ_UINT(mod->elem_count, 8);
	CHECK_EQ_INT(mod->elems[0].mode, BA_WASM__SEG_ACTIVE);
	CHECK_EQ_INT(mod->elems[1].mode, BA_WASM__SEG_PASSIVE);
	CHECK_EQ_INT(mod->elems[2].mode, BA_WASM__SEG_ACTIVE);
	CHECK_EQ_UINT(mod->elems[2].offset.bits, 1);
	CHECK_EQ_INT(mod->elems[3].mode, BA_WASM__SEG_DECLARATIVE);
	CHECK_EQ_INT(mod->elems[4].items[0].kind, BA_WASM__CONST_REF_FUNC);
	CHECK_EQ_UINT(mod->elems[5].item_count, 2);
	CHECK_EQ_INT(mod->elems[5].items[1].kind, BA_WASM__CONST_REF_NULL);
	CHECK_EQ_UINT(mod->elems[6].offset.bits, 3);
	CHECK_EQ_INT(mod->elems[7].mode, BA_WASM__SEG_DECLARATIVE);
	CHECK(mod->declared_func_refs[0] & 1);
	ba_wasm_module_release(mod);

	/* Kind 8 does not exist; elemkind must be 0. */
	start(&m);
	SEC(&m, 9, 0x01, 0x08, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed elements segment kind");
	start(&m);
	func_void(&m);
	SEC(&m, 9, 0x01, 0x01, 0x01, 0x01, 0x00);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "malformed element kind");

	/* externref items in a funcref segment; funcref segment in an
	 * externref table. */
	start(&m);
	SEC(&m, 9, 0x01, 0x05, 0x70, 0x01, 0xd0, 0x6f, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	start(&m);
	SEC(&m, 4, 0x01, 0x6f, 0x00, 0x01);
	SEC(&m, 9, 0x01, 0x04, 0x41, 0x00, 0x0b, 0x00);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	/* Unknown table, unknown function. */
	start(&m);
	SEC(&m, 9, 0x01, 0x04, 0x41, 0x00, 0x0b, 0x00);
	EXPECT_ERR(&m, INVALID, "unknown table 0");
	start(&m);
	SEC(&m, 9, 0x01, 0x01, 0x00, 0x01, 0x07);
	EXPECT_ERR(&m, INVALID, "unknown function 7");
}

TEST(decode_data_segments_all_encodings)
{
	struct mb m;
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;

	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	SEC(&m, 12, 0x03);
	SEC(&m, 11, 0x03, 0x00, 0x41, 0x00, 0x0b, 0x02, 'a', 'b', 0x01, 0x01, 'c', 0x02, 0x00, 0x41,
	    0x04, 0x0b, 0x01, 'd');
	CHECK_EQ_INT(ba_wasm_module_load(m.b, m.n, NULL, &mod, &d), BA_WASM_OK);
	CHECK_EQ_UINT(mod->data_count, 3);
	CHECK(mod->has_data_count);
	CHECK_EQ_INT(mod->datas[0].mode, BA_WASM__SEG_ACTIVE);
	CHECK_EQ_UINT(mod->datas[0].bytes.len, 2);
	CHECK_EQ_UINT(mod->bytes[mod->datas[0].bytes.offset], 'a');
	CHECK_EQ_INT(mod->datas[1].mode, BA_WASM__SEG_PASSIVE);
	CHECK_EQ_UINT(mod->bytes[mod->datas[1].bytes.offset], 'c');
	CHECK_EQ_UINT(mod->datas[2].offset.bits, 4);
	ba_wasm_module_release(mod);

	start(&m);
	SEC(&m, 11, 0x01, 0x03, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed data segment kind");
	start(&m);
	SEC(&m, 11, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00);
	EXPECT_ERR(&m, INVALID, "unknown memory 0");
	/* Bytes running past the end. */
	start(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	RAW(&m, 0x0b, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x05, 'a');
	EXPECT_ERR(&m, MALFORMED, "length out of bounds");
}

TEST(validate_constant_expressions)
{
	struct mb m;

	/* Not a constant instruction. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b);
	EXPECT_ERR(&m, INVALID, "constant expression required");
	/* Two values, no value, wrong type. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	start(&m);
	SEC(&m, 6, 0x01, 0x7e, 0x00, 0x41, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	/* global.get: only imported, immutable globals (2.0). */
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x01);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "constant expression required");
	start(&m);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
	EXPECT_OK(&m);
	start(&m);
	SEC(&m, 6, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "unknown global 0");
	/* An illegal opcode in a constant expression is malformed. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x06, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "illegal opcode");

	/* Decoding finishes before validation: a malformed body after an
	 * invalid initialiser makes the module malformed. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b);
	CODE1(&m, 0x00, 0x06, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "illegal opcode");
	/* ... and a later malformed section too. */
	start(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x0b);
	SEC(&m, 7, 0x01, 0x01, 0xff, 0x03, 0x00);
	EXPECT_ERR(&m, MALFORMED, "malformed UTF-8 encoding");
}

/* ------------------------------------------------------------------------ */
/* Function bodies                                                          */
/* ------------------------------------------------------------------------ */

TEST(validate_body_diag_position)
{
	struct mb m;
	ba_wasm_diag d;

	/* (func (result i32) (i64.const 0)): the mismatch is found at the
	 * function's `end`, byte 26 of the module. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x01, 0x7f); /*  8..14 */
	SEC(&m, 3, 0x01, 0x00);                   /* 15..18 */
	CODE1(&m, 0x00, 0x42, 0x00, 0x0b);        /* 19..26 */
	CHECK_EQ_INT(load(&m, NULL, &d), BA_WASM_ERR_INVALID);
	CHECK_EQ_STR(d.message, "type mismatch");
	CHECK_EQ_UINT(d.offset, 26);
	CHECK_EQ_UINT(d.func_index, 0);

	/* With an imported function first, the body is function 1. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	CODE1(&m, 0x00, 0x20, 0x00, 0x0b);
	CHECK_EQ_INT(load(&m, NULL, &d), BA_WASM_ERR_INVALID);
	CHECK_EQ_STR(d.message, "unknown local 0");
	CHECK_EQ_UINT(d.func_index, 1);
}

TEST(validate_body_typing)
{
	static const struct {
		const char *name;
		uint8_t body[24];
		uint8_t len;
		ba_wasm_err err;
		const char *msg;
	} cases[] = {
	        /* Unreachable code: the stack is polymorphic. */
	        {"unreachable add", {0x00, 0x00, 0x6a, 0x1a, 0x0b}, 5, BA_WASM_OK, NULL},
	        {"unreachable select", {0x00, 0x00, 0x1b, 0x1a, 0x0b}, 5, BA_WASM_OK, NULL},
	        {"unreachable then extra",
	         {0x00, 0x00, 0x41, 0x00, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        {"br then anything",
	         {0x00, 0x02, 0x40, 0x0c, 0x00, 0x6a, 0x6a, 0x1a, 0x0b, 0x0b},
	         10,
	         BA_WASM_OK,
	         NULL},
	        /* Empty stack. */
	        {"drop nothing", {0x00, 0x1a, 0x0b}, 3, BA_WASM_ERR_INVALID, "type mismatch"},
	        /* Operand types. */
	        {"i32.add of i64",
	         {0x00, 0x42, 0x00, 0x41, 0x00, 0x6a, 0x1a, 0x0b},
	         8,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        {"conversion",
	         {0x00, 0x42, 0x00, 0xa7, 0xb7, 0xbd, 0x1a, 0x0b},
	         8,
	         BA_WASM_OK,
	         NULL},
	        {"sat trunc",
	         {0x00, 0x43, 0, 0, 0, 0, 0xfc, 0x05, 0x1a, 0x0b},
	         10,
	         BA_WASM_OK,
	         NULL},
	        {"sign ext", {0x00, 0x42, 0x00, 0xc4, 0x1a, 0x0b}, 6, BA_WASM_OK, NULL},
	        /* br_table: every label needs the same arity. */
	        {"br_table arity",
	         {0x00, 0x02, 0x7f, 0x02, 0x40, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x41,
	          0x00, 0x0b, 0x1a, 0x0b},
	         17,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        {"br_table unknown label",
	         {0x00, 0x41, 0x00, 0x0e, 0x00, 0x01, 0x0b},
	         7,
	         BA_WASM_ERR_INVALID,
	         "unknown label"},
	        /* if without else must pass its parameters through. */
	        {"if no else",
	         {0x00, 0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x0b, 0x1a, 0x0b},
	         10,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        {"if else",
	         {0x00, 0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x1a, 0x0b},
	         13,
	         BA_WASM_OK,
	         NULL},
	        /* Structure. */
	        {"else in block",
	         {0x00, 0x02, 0x40, 0x05, 0x0b, 0x0b},
	         6,
	         BA_WASM_ERR_MALFORMED,
	         "END opcode expected"},
	        {"two elses",
	         {0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b},
	         9,
	         BA_WASM_ERR_MALFORMED,
	         "END opcode expected"},
	        {"no end", {0x00, 0x01}, 2, BA_WASM_ERR_MALFORMED, "unexpected end"},
	        {"after end",
	         {0x00, 0x0b, 0x01},
	         3,
	         BA_WASM_ERR_MALFORMED,
	         "section size mismatch"},
	        {"illegal opcode", {0x00, 0x06, 0x0b}, 3, BA_WASM_ERR_MALFORMED, "illegal opcode"},
	        {"illegal 0xfc",
	         {0x00, 0xfc, 0x12, 0x0b},
	         4,
	         BA_WASM_ERR_MALFORMED,
	         "illegal opcode"},
	        /* select. */
	        {"select t*",
	         {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1c, 0x02, 0x7f, 0x7f, 0x1a, 0x0b},
	         13,
	         BA_WASM_ERR_INVALID,
	         "invalid result arity"},
	        {"select t",
	         {0x00, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0x00, 0x1c, 0x01, 0x70, 0x1a, 0x0b},
	         12,
	         BA_WASM_OK,
	         NULL},
	        {"select refs",
	         {0x00, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0x00, 0x1b, 0x1a, 0x0b},
	         10,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        /* Indices. */
	        {"unknown local",
	         {0x00, 0x20, 0x05, 0x1a, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "unknown local 5"},
	        {"unknown global",
	         {0x00, 0x23, 0x00, 0x1a, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "unknown global 0"},
	        {"unknown function",
	         {0x00, 0x10, 0x09, 0x0b},
	         4,
	         BA_WASM_ERR_INVALID,
	         "unknown function 9"},
	        {"unknown memory",
	         {0x00, 0x3f, 0x00, 0x1a, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "unknown memory 0"},
	        {"unknown table",
	         {0x00, 0xfc, 0x10, 0x00, 0x1a, 0x0b},
	         6,
	         BA_WASM_ERR_INVALID,
	         "unknown table 0"},
	        {"unknown elem",
	         {0x00, 0xfc, 0x0d, 0x00, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "unknown elem segment 0"},
	        {"unknown type",
	         {0x00, 0x02, 0x05, 0x0b, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "unknown type 5"},
	        {"negative s33",
	         {0x00, 0x02, 0xff, 0x7f, 0x0b, 0x0b},
	         6,
	         BA_WASM_ERR_MALFORMED,
	         NULL},
	        {"ref.func undeclared",
	         {0x00, 0xd2, 0x00, 0x1a, 0x0b},
	         5,
	         BA_WASM_ERR_INVALID,
	         "undeclared function reference"},
	        {"ref.is_null of i32",
	         {0x00, 0x41, 0x00, 0xd1, 0x1a, 0x0b},
	         6,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        /* br_table in unreachable code: the Unknown popped for the first
	         * label stays Unknown, so labels of different types agree. */
	        {"br_table unknowns",
	         {0x00, 0x02, 0x7f, 0x02, 0x7d, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x1a, 0x41,
	          0x00, 0x0b, 0x1a, 0x0b},
	         17,
	         BA_WASM_OK,
	         NULL},
	        {"br_table real value",
	         {0x00, 0x02, 0x7f, 0x02, 0x7d, 0x43, 0,    0,    0,    0,    0x41, 0x00,
	          0x0e, 0x01, 0x00, 0x01, 0x0b, 0x1a, 0x41, 0x00, 0x0b, 0x1a, 0x0b},
	         23,
	         BA_WASM_ERR_INVALID,
	         "type mismatch"},
	        {"ref.null bad type",
	         {0x00, 0xd0, 0x7f, 0x1a, 0x0b},
	         5,
	         BA_WASM_ERR_MALFORMED,
	         "malformed reference type"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb m;
		ba_wasm_diag d;
		ba_wasm_err err;

		start(&m);
		func_void(&m);
		code1(&m, cases[i].body, cases[i].len);
		err = load(&m, NULL, &d);
		if (err != cases[i].err)
			ba_test_fail(__FILE__, __LINE__, "%s: got %s (%s), want %s", cases[i].name,
			             ba_wasm_err_name(err), err ? d.message : "",
			             ba_wasm_err_name(cases[i].err));
		if (err && cases[i].msg && strncmp(d.message, cases[i].msg, strlen(cases[i].msg)))
			ba_test_fail(__FILE__, __LINE__, "%s: message \"%s\", want \"%s\"",
			             cases[i].name, d.message, cases[i].msg);
		if (err && d.func_index != 0)
			ba_test_fail(__FILE__, __LINE__, "%s: func_index %u", cases[i].name,
			             d.func_index);
	}
}

TEST(validate_multi_value_blocks)
{
	struct mb m;

	/* Type 1 = [i32] -> [i32 i32] as a block type. */
	start(&m);
	SEC(&m, 1, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7f);
	SEC(&m, 3, 0x01, 0x00);
	CODE1(&m, 0x00, 0x41, 0x01, 0x02, 0x01, 0x41, 0x02, 0x0b, 0x6a, 0x1a, 0x0b);
	EXPECT_OK(&m);
	/* A loop's label takes its parameters. */
	start(&m);
	SEC(&m, 1, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7f);
	SEC(&m, 3, 0x01, 0x00);
	CODE1(&m, 0x00, 0x41, 0x01, 0x03, 0x01, 0x0c, 0x00, 0x0b, 0x1a, 0x1a, 0x0b);
	EXPECT_OK(&m);
}

TEST(validate_memory_instructions)
{
	struct mb m;

	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b);
	EXPECT_OK(&m);
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b);
	EXPECT_ERR(&m, INVALID, "alignment must not be larger than natural");
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x31, 0x01, 0x00, 0x1a, 0x0b); /* i64.load8_u */
	EXPECT_ERR(&m, INVALID, "alignment must not be larger than natural");
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	CODE1(&m, 0x00, 0x3f, 0x01, 0x1a, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "zero byte expected");

	/* memory.init needs the DataCount section when it names a segment. */
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b);
	SEC(&m, 11, 0x01, 0x01, 0x00);
	EXPECT_ERR(&m, MALFORMED, "data count section required");
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	SEC(&m, 12, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b);
	SEC(&m, 11, 0x01, 0x01, 0x00);
	EXPECT_OK(&m);
	start(&m);
	func_void(&m);
	SEC(&m, 5, 0x01, 0x00, 0x01);
	SEC(&m, 12, 0x01);
	CODE1(&m, 0x00, 0xfc, 0x09, 0x01, 0x0b);
	SEC(&m, 11, 0x01, 0x01, 0x00);
	EXPECT_ERR(&m, INVALID, "unknown data segment 1");
}

TEST(validate_tables_and_refs)
{
	struct mb m;

	/* ref.func of an exported function is declared. */
	start(&m);
	func_void(&m);
	SEC(&m, 7, 0x01, 0x01, 'f', 0x00, 0x00);
	CODE1(&m, 0x00, 0xd2, 0x00, 0x1a, 0x0b);
	EXPECT_OK(&m);
	/* call_indirect needs a funcref table. */
	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x01, 0x6f, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x01, 0x70, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b);
	EXPECT_OK(&m);
	/* table.copy between element types. */
	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x02, 0x70, 0x00, 0x01, 0x6f, 0x00, 0x01);
	CODE1(&m, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0e, 0x00, 0x01, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	/* table.grow / table.fill take the table's element type. */
	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x01, 0x6f, 0x00, 0x01);
	CODE1(&m, 0x00, 0xd0, 0x6f, 0x41, 0x01, 0xfc, 0x0f, 0x00, 0x1a, 0x41, 0x00, 0xd0, 0x6f,
	      0x41, 0x01, 0xfc, 0x11, 0x00, 0x0b);
	EXPECT_OK(&m);
	start(&m);
	func_void(&m);
	SEC(&m, 4, 0x01, 0x6f, 0x00, 0x01);
	CODE1(&m, 0x00, 0xd0, 0x70, 0x41, 0x01, 0xfc, 0x0f, 0x00, 0x1a, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
	/* global.set of an immutable global. */
	start(&m);
	func_void(&m);
	SEC(&m, 6, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b);
	CODE1(&m, 0x00, 0x41, 0x00, 0x24, 0x00, 0x0b);
	EXPECT_ERR(&m, INVALID, "global is immutable");
}

TEST(validate_malformed_body_outranks_invalid)
{
	struct mb m;

	/* Function 0 is invalid, function 1 malformed: malformed wins,
	 * because the spec decodes the whole module first. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x02, 0x00, 0x00);
	SEC(&m, 10, 0x02, 0x03, 0x00, 0x1a, 0x0b, 0x03, 0x00, 0x06, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "illegal opcode");
	/* ... and after a module-level error too. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	SEC(&m, 5, 0x01, 0x00, 0x81, 0x80, 0x04);
	CODE1(&m, 0x00, 0x3f, 0x01, 0x1a, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "zero byte expected");
}

/* ------------------------------------------------------------------------ */
/* SIMD                                                                     */
/* ------------------------------------------------------------------------ */

TEST(validate_simd_unsupported)
{
	struct mb m;

	/* A v128 parameter. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x01, 0x7b, 0x00);
	SEC(&m, 3, 0x01, 0x00);
	CODE1(&m, 0x00, 0x0b);
	EXPECT_ERR(&m, UNSUPPORTED, "SIMD not supported");
	/* v128.const; drop. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x00, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x0b);
	EXPECT_ERR(&m, UNSUPPORTED, "SIMD not supported");
	/* A v128 local. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x01, 0x01, 0x7b, 0x0b);
	EXPECT_ERR(&m, UNSUPPORTED, "SIMD not supported");
	/* Malformed stays malformed: an unassigned SIMD opcode, a
	 * truncated v128.const. */
	start(&m);
	func_void(&m);
	CODE1(&m, 0x00, 0xfd, 0x9a, 0x01, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "illegal opcode");
	start(&m);
	func_void(&m);
	CODE1(&m, 0x00, 0xfd, 0x0c, 0, 0, 0, 0x0b);
	EXPECT_ERR(&m, MALFORMED, "unexpected end");
	/* Invalid stays invalid. */
	start(&m);
	SEC(&m, 1, 0x01, 0x60, 0x01, 0x7b, 0x00);
	SEC(&m, 3, 0x02, 0x00, 0x00);
	SEC(&m, 10, 0x02, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x1a, 0x0b);
	EXPECT_ERR(&m, INVALID, "type mismatch");
}

/* ------------------------------------------------------------------------ */
/* Robustness and texts                                                     */
/* ------------------------------------------------------------------------ */

/* Every prefix and many one-byte mutations of a module with every section
 * must load or fail cleanly with a message (ASan/UBSan catch the rest). */
TEST(decode_truncations_and_mutations)
{
	struct mb m;
	static const uint8_t values[] = {0x00, 0x01, 0x0b, 0x40, 0x7f, 0x80, 0xff};

	start(&m);
	SEC(&m, 1, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f);
	SEC(&m, 2, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00);
	SEC(&m, 3, 0x02, 0x00, 0x01);
	SEC(&m, 4, 0x01, 0x70, 0x00, 0x02);
	SEC(&m, 5, 0x01, 0x01, 0x01, 0x02);
	SEC(&m, 6, 0x01, 0x7e, 0x01, 0x42, 0x07, 0x0b);
	SEC(&m, 7, 0x01, 0x01, 'f', 0x00, 0x01);
	SEC(&m, 8, 0x00);
	SEC(&m, 9, 0x01, 0x00, 0x23, 0x00, 0x0b, 0x02, 0x00, 0x01);
	SEC(&m, 12, 0x01);
	SEC(&m, 10, 0x02, 0x02, 0x00, 0x0b, 0x15, 0x01, 0x01, 0x7f, 0x20, 0x00, 0x41, 0x00, 0x28,
	    0x02, 0x04, 0x6a, 0x02, 0x7f, 0x41, 0x01, 0x0b, 0x6a, 0xfc, 0x09, 0x00, 0x0b);
	SEC(&m, 11, 0x01, 0x01, 0x02, 'h', 'i');
	SEC(&m, 0, 0x04, 'n', 'a', 'm', 'e');
	EXPECT_OK(&m);

	for (size_t n = 0; n < m.n; n++) {
		struct mb t = m;
		ba_wasm_diag d;
		ba_wasm_err err;

		t.n = n;
		err = load(&t, NULL, &d);
		if (err != BA_WASM_OK && err != BA_WASM_ERR_MALFORMED && err != BA_WASM_ERR_INVALID)
			ba_test_fail(__FILE__, __LINE__, "prefix %zu: %s", n,
			             ba_wasm_err_name(err));
		if (err && !d.message[0])
			ba_test_fail(__FILE__, __LINE__, "prefix %zu: no message", n);
	}
	for (size_t i = 8; i < m.n; i++) {
		for (size_t k = 0; k < sizeof(values); k++) {
			struct mb t = m;
			ba_wasm_diag d;
			ba_wasm_err err;

			t.b[i] = values[k];
			err = load(&t, NULL, &d);
			if (err && !d.message[0])
				ba_test_fail(__FILE__, __LINE__, "byte %zu = %u: no message", i,
				             values[k]);
			if (err && err != BA_WASM_ERR_LIMIT && d.offset != SIZE_MAX &&
			    d.offset > t.n)
				ba_test_fail(__FILE__, __LINE__,
				             "byte %zu: offset %zu past the end", i, d.offset);
		}
	}
}

TEST(module_texts)
{
	CHECK_EQ_STR(ba_wasm_trap_message(BA_WASM_TRAP_UNREACHABLE), "unreachable");
	CHECK_EQ_STR(ba_wasm_trap_message(BA_WASM_TRAP_MEMORY_OOB), "out of bounds memory access");
	CHECK_EQ_STR(ba_wasm_trap_message(BA_WASM_TRAP_INDIRECT_TYPE),
	             "indirect call type mismatch");
	CHECK_EQ_STR(ba_wasm_trap_message(BA_WASM_TRAP_INVALID_CONVERSION),
	             "invalid conversion to integer");
	CHECK_EQ_STR(ba_wasm_trap_message(BA_WASM_TRAP_STACK_EXHAUSTED), "call stack exhausted");
	CHECK(ba_wasm_trap_message((ba_wasm_trap)999) != NULL);
	for (int e = BA_WASM_OK; e <= BA_WASM_ERR_ARGS; e++)
		CHECK(ba_wasm_err_name((ba_wasm_err)e)[0] != '\0');
	CHECK(ba_wasm_err_name((ba_wasm_err)999) != NULL);
	CHECK_EQ_STR(ba_wasm_valtype_name(BA_WASM_I32), "i32");
	CHECK_EQ_STR(ba_wasm_valtype_name(BA_WASM_EXTERNREF), "externref");
	CHECK_EQ_STR(ba_wasm_valtype_name((ba_wasm_valtype)0), "unknown");
}

TEST(module_load_arguments)
{
	ba_wasm_module *mod = (ba_wasm_module *)&mod; /* must be overwritten */
	ba_wasm_diag d;

	CHECK_EQ_INT(ba_wasm_module_load(NULL, 8, NULL, &mod, &d), BA_WASM_ERR_ARGS);
	CHECK_EQ_INT(ba_wasm_module_load((const uint8_t *)"", 0, NULL, NULL, &d), BA_WASM_ERR_ARGS);
	CHECK_EQ_INT(ba_wasm_module_load(NULL, 0, NULL, &mod, NULL), BA_WASM_ERR_MALFORMED);
	CHECK(mod == NULL);
}

/*
 * Found by fuzz_load: a br_table of arity 0 as the function's first
 * operand-stack use touched the (then unallocated, NULL) stack; clang's
 * UBSan reports even NULL + 0.
 */
TEST(validate_regression_empty_stack_br_table)
{
	static const uint8_t wasm[] = {
	        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02,
	        0x60, 0x00, 0x00, 0x60, 0x00, 0x02, 0x7f, 0x7f, 0x03, 0x02, 0x01,
	        0x00, 0x0a, 0x12, 0x01, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0e,
	        0x02, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x0c, 0x00, 0x0b, 0x0b,
	};
	struct mb m;

	m.n = 0;
	put(&m, wasm, sizeof(wasm));
	EXPECT_ERR(&m, MALFORMED, "section size mismatch");
}

/* 672 functions of 50,000 locals each: every body is within the per-function
 * cap, but together they pass the module's budget of 32 Mi locals. */
TEST(decode_module_locals_budget)
{
	const uint32_t funcs = 672;
	size_t cap = 64 + funcs * 8, n = 0;
	uint8_t *b = malloc(cap);
	ba_wasm_module *mod = NULL;
	ba_wasm_diag d;
	static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
	                               0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00};
	static const uint8_t body[] = {0x06, 0x01, 0xd0, 0x86, 0x03, 0x7f, 0x0b};
	uint32_t size;

	CHECK(b != NULL);
	memcpy(b, head, sizeof(head));
	n = sizeof(head);
	/* Function section: 672 = 0xa0 0x05; size 2 + 672. */
	size = 2 + funcs;
	b[n++] = 0x03;
	b[n++] = (uint8_t)(0x80 | (size & 0x7f));
	b[n++] = (uint8_t)(size >> 7);
	b[n++] = 0xa0;
	b[n++] = 0x05;
	memset(b + n, 0x00, funcs);
	n += funcs;
	size = 2 + funcs * (uint32_t)sizeof(body);
	b[n++] = 0x0a;
	b[n++] = (uint8_t)(0x80 | (size & 0x7f));
	b[n++] = (uint8_t)(size >> 7);
	b[n++] = 0xa0;
	b[n++] = 0x05;
	for (uint32_t i = 0; i < funcs; i++, n += sizeof(body))
		memcpy(b + n, body, sizeof(body));
	CHECK_EQ_INT(ba_wasm_module_load(b, n, NULL, &mod, &d), BA_WASM_ERR_LIMIT);
	CHECK_CONTAINS(d.message, "too many locals in the module");
	CHECK(mod == NULL);
	free(b);
}
