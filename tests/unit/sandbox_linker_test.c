/*
 * sandbox_linker_test.c - the import linker: signatures, resolution by
 * name, and the messages for imports boxagent does not provide.
 *
 * Modules are encoded by hand (a few bytes each) so each case states
 * exactly which imports exist.
 */
#include "test.h"

#include <stdlib.h>

#include "sandbox/linker.h"

/* One import of a test module: a function type given as a signature
 * string in the linker's own notation, or a memory when sig is NULL. */
typedef struct imp {
	const char *module;
	const char *name;
	const char *sig;
} imp;

typedef struct bytes {
	uint8_t data[4096];
	size_t len;
} bytes;

static void put(bytes *b, uint8_t v)
{
	CHECK(b->len < sizeof(b->data));
	b->data[b->len++] = v;
}

static void put_name(bytes *b, const char *s)
{
	size_t n = strlen(s);
	CHECK(n < 128);
	put(b, (uint8_t)n);
	for (size_t i = 0; i < n; i++)
		put(b, (uint8_t)s[i]);
}

static uint8_t valtype(char c)
{
	switch (c) {
	case 'i':
		return 0x7f;
	case 'I':
		return 0x7e;
	case 'f':
		return 0x7d;
	default:
		return 0x7c;
	}
}

/* Appends a section: id, size (one LEB byte, < 128), contents. */
static void put_section(bytes *b, uint8_t id, const bytes *content)
{
	CHECK(content->len < 128);
	put(b, id);
	put(b, (uint8_t)content->len);
	for (size_t i = 0; i < content->len; i++)
		put(b, content->data[i]);
}

/* A module with one type per function import, the imports, and every
 * imported function re-exported as "f0", "f1", ... */
static ba_wasm_module *build(const imp *imps, size_t n)
{
	static const uint8_t header[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	bytes mod = {.len = 0}, types = {.len = 0}, imports = {.len = 0}, exports = {.len = 0};
	size_t nfunc = 0;
	ba_wasm_module *m = NULL;
	ba_wasm_diag diag;

	for (size_t i = 0; i < sizeof(header); i++)
		put(&mod, header[i]);
	for (size_t i = 0; i < n; i++)
		if (imps[i].sig)
			nfunc++;
	put(&types, (uint8_t)nfunc);
	for (size_t i = 0; i < n; i++) {
		const char *s = imps[i].sig, *colon;
		if (!s)
			continue;
		colon = strchr(s, ':');
		put(&types, 0x60);
		put(&types, (uint8_t)(colon - s));
		for (const char *p = s; p < colon; p++)
			put(&types, valtype(*p));
		put(&types, (uint8_t)strlen(colon + 1));
		for (const char *p = colon + 1; *p; p++)
			put(&types, valtype(*p));
	}
	put(&imports, (uint8_t)n);
	for (size_t i = 0, t = 0; i < n; i++) {
		put_name(&imports, imps[i].module);
		put_name(&imports, imps[i].name);
		if (imps[i].sig) {
			put(&imports, 0x00);
			put(&imports, (uint8_t)t++);
		} else {
			put(&imports, 0x02); /* memory, min 1 page */
			put(&imports, 0x00);
			put(&imports, 0x01);
		}
	}
	put(&exports, (uint8_t)nfunc);
	for (size_t f = 0; f < nfunc; f++) {
		char name[8];
		snprintf(name, sizeof(name), "f%zu", f);
		put_name(&exports, name);
		put(&exports, 0x00);
		put(&exports, (uint8_t)f);
	}
	if (nfunc)
		put_section(&mod, 1, &types);
	put_section(&mod, 2, &imports);
	if (nfunc)
		put_section(&mod, 7, &exports);
	CHECK_EQ_INT(ba_wasm_module_load(mod.data, mod.len, NULL, &m, &diag), BA_WASM_OK);
	return m;
}

static ba_wasm_err add(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                       ba_wasm_value *results)
{
	int *calls = user;
	(*calls)++;
	results[0] = ba_wasm_i32(args[0].of.i32 + args[1].of.i32);
	return BA_WASM_OK;
}

static ba_wasm_err wide(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                        ba_wasm_value *results)
{
	results[0] = ba_wasm_i64(args[0].of.i64 * 2);
	return BA_WASM_OK;
}

static ba_wasm_err nothing(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                           ba_wasm_value *results)
{
	return BA_WASM_OK;
}

TEST(resolves_and_calls_with_user_pointer)
{
	static const imp imps[] = {{"env", "add", "ii:i"}, {"env", "wide", "I:I"}};
	ba_wasm_module *m = build(imps, 2);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;
	ba_wasm_extern ex;
	ba_wasm_value args[2] = {ba_wasm_i32(40), ba_wasm_i32(2)}, res[1];
	int calls = 0;

	CHECK(l && s);
	CHECK_EQ_INT(ba_linker_define(l, "env", "wide", "I:I", wide, NULL), 0);
	CHECK_EQ_INT(ba_linker_define(l, "env", "add", "ii:i", add, &calls), 0);
	/* Defined but not imported: never created, never an error. */
	CHECK_EQ_INT(ba_linker_define(l, "env", "unused", ":", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_OK);
	CHECK(inst);
	CHECK(ba_wasm_instance_export(inst, "f0", &ex));
	CHECK_EQ_INT(ba_wasm_call(ex.of.func, args, 2, res, 1, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(res[0].of.i32, 42);
	CHECK_EQ_INT(calls, 1);
	CHECK(ba_wasm_instance_export(inst, "f1", &ex));
	args[0] = ba_wasm_i64(0x100000000ull);
	CHECK_EQ_INT(ba_wasm_call(ex.of.func, args, 1, res, 1, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(res[0].of.i64, 0x200000000ull);
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(unresolved_import_names_module_name_and_type)
{
	static const imp imps[] = {{"env", "system", "i:i"}};
	ba_wasm_module *m = build(imps, 1);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = (ba_wasm_instance *)1;
	ba_wasm_diag diag;

	CHECK_EQ_INT(ba_linker_define(l, "env", "systemx", "i:i", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_ERR_LINK);
	CHECK(inst == NULL);
	CHECK_EQ_INT(diag.err, BA_WASM_ERR_LINK);
	CHECK_EQ_STR(diag.message, "tool imports env.system (func (param i32) (result i32)), "
	                           "which boxagent does not provide");
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(type_mismatch_names_both_types)
{
	static const imp imps[] = {{"wasi_snapshot_preview1", "fd_write", "i:i"}};
	ba_wasm_module *m = build(imps, 1);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	CHECK_EQ_INT(
	        ba_linker_define(l, "wasi_snapshot_preview1", "fd_write", "iiii:i", nothing, NULL),
	        0);
	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_ERR_LINK);
	CHECK_EQ_STR(
	        diag.message,
	        "tool imports wasi_snapshot_preview1.fd_write as (func (param i32) (result "
	        "i32)), but boxagent defines it as (func (param i32 i32 i32 i32) (result i32))");
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(empty_signature_and_all_value_types)
{
	static const imp imps[] = {{"m", "v", ":"}, {"m", "all", "iIfF:fF"}};
	ba_wasm_module *m = build(imps, 2);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	CHECK_EQ_INT(ba_linker_define(l, "m", "v", ":", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_define(l, "m", "all", "iIfF:Ff", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_ERR_LINK);
	CHECK_CONTAINS(diag.message, "m.all as (func (param i32 i64 f32 f64) (result f32 f64))");
	CHECK_CONTAINS(diag.message,
	               "defines it as (func (param i32 i64 f32 f64) (result f64 f32))");
	/* Redefining replaces, so the corrected signature now links. */
	CHECK_EQ_INT(ba_linker_define(l, "m", "all", "iIfF:fF", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_OK);
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(memory_import_is_refused)
{
	static const imp imps[] = {{"env", "memory", NULL}};
	ba_wasm_module *m = build(imps, 1);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_ERR_LINK);
	CHECK_EQ_STR(diag.message,
	             "tool imports memory env.memory, which boxagent does not provide "
	             "(only functions are linked)");
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(no_imports_instantiates)
{
	ba_wasm_module *m = build(NULL, 0);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_OK);
	CHECK(inst);
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}

TEST(malformed_signatures_are_refused)
{
	ba_linker *l = ba_linker_new();
	static const char *const bad[] = {"",    "i",    "ii",   "x:i", "i:x",
	                                  "i::", ":i:i", "i i:", "ii:q"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(ba_linker_define(l, "m", "n", bad[i], nothing, NULL), -1);
	CHECK_EQ_INT(ba_linker_define(l, "m", "n", "iiiiiiiiiiiiiiiii:", nothing, NULL), -1);
	CHECK_EQ_INT(ba_linker_define(l, "m", "n", "iiiiiiiiiiiiiiii:", nothing, NULL), 0);
	CHECK_EQ_INT(ba_linker_define(l, NULL, "n", ":", nothing, NULL), -1);
	CHECK_EQ_INT(ba_linker_define(l, "m", "n", ":", NULL, NULL), -1);
	ba_linker_free(l);
}

TEST(table_full)
{
	ba_linker *l = ba_linker_new();
	static char names[BA_LINKER_MAX_FUNCS + 1][8];

	for (int i = 0; i < BA_LINKER_MAX_FUNCS; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		CHECK_EQ_INT(ba_linker_define(l, "m", names[i], ":", nothing, NULL), 0);
	}
	snprintf(names[BA_LINKER_MAX_FUNCS], 8, "over");
	CHECK_EQ_INT(ba_linker_define(l, "m", names[BA_LINKER_MAX_FUNCS], ":", nothing, NULL), -1);
	/* Replacing an existing name still works when full. */
	CHECK_EQ_INT(ba_linker_define(l, "m", names[3], "i:", nothing, NULL), 0);
	ba_linker_free(l);
}

TEST(unprintable_import_names_are_escaped)
{
	static const imp imps[] = {{"env", "a\nb", ":"}};
	ba_wasm_module *m = build(imps, 1);
	ba_linker *l = ba_linker_new();
	ba_wasm_store *s = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	CHECK_EQ_INT(ba_linker_instantiate(l, s, m, &inst, &diag), BA_WASM_ERR_LINK);
	CHECK_EQ_STR(diag.message, "tool imports env.a?b (func), which boxagent does not provide");
	ba_wasm_store_free(s);
	ba_linker_free(l);
	ba_wasm_module_release(m);
}
