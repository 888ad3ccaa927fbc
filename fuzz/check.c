/*
 * check.c - the engine's documented promises, checked by the fuzzers
 * (check.h).
 */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 4 GiB of 64 KiB pages: the most a 32-bit memory may declare. */
#define MAX_PAGES 65536u

void ba_fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void ba_fuzz_check_diag(ba_wasm_err err, const ba_wasm_diag *diag)
{
	const char *end = memchr(diag->message, '\0', sizeof(diag->message));

	if (diag->err != err)
		ba_fuzz_fail("call returned %s but diag.err is %s", ba_wasm_err_name(err),
		             ba_wasm_err_name(diag->err));
	if (!end)
		ba_fuzz_fail("diag.message is not NUL-terminated (%s)", ba_wasm_err_name(err));
	if (memchr(diag->message, '\n', (size_t)(end - diag->message)))
		ba_fuzz_fail("diag.message has a newline: \"%s\"", diag->message);
	if ((err == BA_WASM_ERR_TRAP) != (diag->trap != BA_WASM_TRAP_NONE))
		ba_fuzz_fail("err %s with trap kind %d", ba_wasm_err_name(err), (int)diag->trap);
	/* A body is compiled on its first call; for the small modules a
	 * fuzzer makes only running out of memory may stop that. */
	if (diag->trap == BA_WASM_TRAP_COMPILE && !strstr(diag->message, "out of memory"))
		ba_fuzz_fail("a body validation accepted did not compile: %s", diag->message);
}

/*
 * Strict UTF-8 as the spec's name grammar wants it: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
static bool valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		uint32_t cp, min;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static void check_name(const char *what, const char *name, size_t len)
{
	if (!name)
		ba_fuzz_fail("%s name is NULL", what);
	if (!valid_utf8((const unsigned char *)name, len))
		ba_fuzz_fail("%s name is not valid UTF-8", what);
	/* Reading name[len] also lets ASan check the copy is long enough. */
	if (name[len] != '\0')
		ba_fuzz_fail("%s name is not NUL-terminated", what);
}

static bool is_valtype(ba_wasm_valtype t)
{
	switch (t) {
	case BA_WASM_I32:
	case BA_WASM_I64:
	case BA_WASM_F32:
	case BA_WASM_F64:
	case BA_WASM_V128:
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		return true;
	}
	return false;
}

static void check_valtypes(const char *what, const ba_wasm_valtype *types, uint32_t n)
{
	if (n > 0 && !types)
		ba_fuzz_fail("%s: %u types but a NULL array", what, n);
	for (uint32_t i = 0; i < n; i++)
		if (!is_valtype(types[i]))
			ba_fuzz_fail("%s: type %u is 0x%x", what, i, (unsigned)types[i]);
}

static void check_limits(const char *what, ba_wasm_limits_range r, uint64_t cap)
{
	if (r.min > cap || (r.has_max && (r.max > cap || r.max < r.min)))
		ba_fuzz_fail("%s limits {min %llu, max %llu (%s)} are not valid", what,
		             (unsigned long long)r.min, (unsigned long long)r.max,
		             r.has_max ? "set" : "unset");
}

static void check_externtype(const char *what, const ba_wasm_externtype *t)
{
	switch (t->kind) {
	case BA_WASM_EXTERN_FUNC:
		check_valtypes(what, t->func.params, t->func.param_count);
		check_valtypes(what, t->func.results, t->func.result_count);
		return;
	case BA_WASM_EXTERN_TABLE:
		if (t->table.elem != BA_WASM_FUNCREF && t->table.elem != BA_WASM_EXTERNREF)
			ba_fuzz_fail("%s: table of 0x%x", what, (unsigned)t->table.elem);
		check_limits(what, t->table.limits, UINT32_MAX);
		return;
	case BA_WASM_EXTERN_MEMORY:
		check_limits(what, t->memory, MAX_PAGES);
		return;
	case BA_WASM_EXTERN_GLOBAL:
		if (!is_valtype(t->global.type))
			ba_fuzz_fail("%s: global of 0x%x", what, (unsigned)t->global.type);
		return;
	}
	ba_fuzz_fail("%s: extern kind %d", what, (int)t->kind);
}

void ba_fuzz_check_module(const ba_wasm_module *module)
{
	uint32_t n = ba_wasm_module_import_count(module);

	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_import_desc d;

		ba_wasm_module_import(module, i, &d);
		check_name("import module", d.module_name, d.module_name_len);
		check_name("import", d.name, d.name_len);
		check_externtype("import", &d.type);
	}
	n = ba_wasm_module_export_count(module);
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_export_desc d;

		ba_wasm_module_export(module, i, &d);
		check_name("export", d.name, d.name_len);
		check_externtype("export", &d.type);
	}
}

void ba_fuzz_check_results(const ba_wasm_functype *type, const ba_wasm_value *results)
{
	for (uint32_t i = 0; i < type->result_count; i++)
		if (results[i].type != type->results[i])
			ba_fuzz_fail("result %u has type 0x%x, declared 0x%x", i,
			             (unsigned)results[i].type, (unsigned)type->results[i]);
}
