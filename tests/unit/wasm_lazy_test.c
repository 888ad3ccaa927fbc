/*
 * Tests for compiling function bodies on their first call (lazy
 * compilation, src/wasm/compile.c, exec.c, code.h): a body never called is
 * never compiled; every way into a function compiles it (call,
 * call_indirect, an export, the start function, a host function calling
 * back); and nothing observable differs from compiling everything at load
 * (ba_wasm_load_options.eager): results, traps with their positions, the
 * call-stack limits and, to the unit, the fuel charged.
 *
 * The modules are embedded as bytes; each comment shows the text format
 * they were assembled from (wat2wasm).
 */
#include "test.h"

#include "wasm/module.h"
#include "wasm/wasm.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * (module
 *   (type $i_i (func (param i32) (result i32)))
 *   (import "env" "host" (func $host (param i32) (result i32)))
 *   (table 2 funcref)
 *   (elem (i32.const 0) $double $never)
 *   (global $started (export "started") (mut i32) (i32.const 0))
 *   (func $start_fn (global.set $started (call $inc (i32.const 41))))
 *   (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
 *   (func $double (type $i_i) (i32.mul (local.get 0) (i32.const 2)))
 *   (func $never (type $i_i) (unreachable))
 *   (func (export "direct") (param i32) (result i32) (call $inc (local.get 0)))
 *   (func (export "indirect") (param i32 i32) (result i32)
 *     (call_indirect (type $i_i) (local.get 0) (local.get 1)))
 *   (func (export "via_host") (param i32) (result i32) (call $host (local.get 0)))
 *   (func (export "inner") (param i32) (result i32) (call $double (call $triple (local.get 0))))
 *   (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
 *   (func $fib (export "fib") (param i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
 *       (then (local.get 0))
 *       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
 *                      (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
 *   (func (export "unused") (result i32) (i32.const 7))
 *   (start $start_fn))
 *
 * Function indices: 0 host, 1 start_fn, 2 inc, 3 double, 4 never, 5 direct,
 * 6 indirect, 7 via_host, 8 inner, 9 triple, 10 fib, 11 unused.
 */
static const uint8_t lazy_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x13, 0x04, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02,
        0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x00, 0x03, 0x0c,
        0x0b, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0x04, 0x01,
        0x70, 0x00, 0x02, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x41, 0x07, 0x07,
        0x73, 0x74, 0x61, 0x72, 0x74, 0x65, 0x64, 0x03, 0x00, 0x06, 0x64, 0x69, 0x72, 0x65, 0x63,
        0x74, 0x00, 0x05, 0x08, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65, 0x63, 0x74, 0x00, 0x06, 0x08,
        0x76, 0x69, 0x61, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x07, 0x05, 0x69, 0x6e, 0x6e, 0x65,
        0x72, 0x00, 0x08, 0x03, 0x66, 0x69, 0x62, 0x00, 0x0a, 0x06, 0x75, 0x6e, 0x75, 0x73, 0x65,
        0x64, 0x00, 0x0b, 0x08, 0x01, 0x01, 0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x03,
        0x04, 0x0a, 0x69, 0x0b, 0x08, 0x00, 0x41, 0x29, 0x10, 0x02, 0x24, 0x00, 0x0b, 0x07, 0x00,
        0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x0b, 0x03,
        0x00, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x02, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20,
        0x01, 0x11, 0x00, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x08, 0x00, 0x20,
        0x00, 0x10, 0x09, 0x10, 0x03, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x03, 0x6c, 0x0b, 0x1c,
        0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01,
        0x6b, 0x10, 0x0a, 0x20, 0x00, 0x41, 0x02, 0x6b, 0x10, 0x0a, 0x6a, 0x0b, 0x0b, 0x04, 0x00,
        0x41, 0x07, 0x0b,
};

#define LAZY_DEFINED 11

/*
 * (module
 *   (type $i_i (func (param i32) (result i32)))
 *   (table 3 funcref)
 *   (elem (i32.const 0) $sq $dec $big)
 *   (func $rec (export "rec") (param i32) (result i32)
 *     (i32.add (call $rec (local.get 0)) (i32.const 1)))
 *   (func $big (param i32) (result i32)
 *     (local i64 * 64)
 *     (local.set 63 (i64.const 5))
 *     (i32.add (local.get 0) (i32.wrap_i64 (local.get 63))))
 *   (func (export "call_big") (param i32) (result i32)
 *     (i32.add (i32.const 1) (call $big (local.get 0))))
 *   (func (export "call_big_indirect") (param i32) (result i32)
 *     (i32.add (i32.const 1) (call_indirect (type $i_i) (local.get 0) (i32.const 2))))
 *   (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
 *   (func $dec (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
 *   (func $work (export "work") (param i32) (result i32) (local $acc i32)
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.eqz (local.get 0)))
 *         (local.set $acc (i32.add (local.get $acc)
 *           (call_indirect (type $i_i) (local.get 0) (i32.and (local.get 0) (i32.const 1)))))
 *         (local.set $acc (i32.add (local.get $acc) (call $big (local.get 0))))
 *         (local.set 0 (call $dec (local.get 0)))
 *         (br $l)))
 *     (local.get $acc)))
 */
static const uint8_t deep_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x03, 0x08, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70,
        0x00, 0x03, 0x07, 0x2d, 0x04, 0x03, 0x72, 0x65, 0x63, 0x00, 0x00, 0x08, 0x63, 0x61, 0x6c,
        0x6c, 0x5f, 0x62, 0x69, 0x67, 0x00, 0x02, 0x11, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x62, 0x69,
        0x67, 0x5f, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65, 0x63, 0x74, 0x00, 0x03, 0x04, 0x77, 0x6f,
        0x72, 0x6b, 0x00, 0x06, 0x09, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x04, 0x05, 0x01,
        0x0a, 0x73, 0x07, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x0e, 0x01,
        0x40, 0x7e, 0x42, 0x05, 0x21, 0x3f, 0x20, 0x00, 0x20, 0x3f, 0xa7, 0x6a, 0x0b, 0x09, 0x00,
        0x41, 0x01, 0x20, 0x00, 0x10, 0x01, 0x6a, 0x0b, 0x0c, 0x00, 0x41, 0x01, 0x20, 0x00, 0x41,
        0x02, 0x11, 0x00, 0x00, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0x6c, 0x0b, 0x07,
        0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x0b, 0x31, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40,
        0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x71, 0x11,
        0x00, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00, 0x10, 0x01, 0x6a, 0x21, 0x01, 0x20,
        0x00, 0x10, 0x05, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
};

/*
 * (module
 *   (type $i_i (func (param i32) (result i32)))
 *   (table 4 funcref)
 *   (elem (i32.const 0) $f4 $f5 $f6 $f7)
 *   (func $f0 (param i32) (result i32) (call $f1 (i32.add (local.get 0) (i32.const 1))))
 *   (func $f1 (param i32) (result i32) (call $f2 (i32.mul (local.get 0) (i32.const 3))))
 *   (func $f2 (param i32) (result i32) (call $f3 (i32.xor (local.get 0) (i32.const 0x55))))
 *   (func $f3 (param i32) (result i32)
 *     (call_indirect (type $i_i) (local.get 0) (i32.and (local.get 0) (i32.const 3))))
 *   (func $f4 (param i32) (result i32) (i32.add (local.get 0) (i32.const 4)))
 *   ... $f5, $f6, $f7 likewise with 5, 6, 7
 *   (func (export "run") (param i32) (result i32) (local $acc i32)
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.eqz (local.get 0)))
 *         (local.set $acc (i32.add (local.get $acc) (call $f0 (local.get 0))))
 *         (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *         (br $l)))
 *     (local.get $acc)))
 */
static const uint8_t threads_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x03, 0x0a, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x04,
        0x01, 0x70, 0x00, 0x04, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x08, 0x09, 0x0a,
        0x01, 0x00, 0x41, 0x00, 0x0b, 0x04, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x71, 0x09, 0x09, 0x00,
        0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x01, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x03, 0x6c,
        0x10, 0x02, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x41, 0xd5, 0x00, 0x73, 0x10, 0x03, 0x0b, 0x0c,
        0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x03, 0x71, 0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20,
        0x00, 0x41, 0x04, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x05, 0x6a, 0x0b, 0x07, 0x00,
        0x20, 0x00, 0x41, 0x06, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x07, 0x6a, 0x0b, 0x23,
        0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20,
        0x00, 0x10, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00,
        0x0b, 0x0b, 0x20, 0x01, 0x0b,
};

#define THREADS_DEFINED 9

static const ba_wasm_load_options eager_options = {.eager = true};

static ba_wasm_module *load(const uint8_t *bytes, size_t len, bool eager)
{
	ba_wasm_module *m = NULL;
	ba_wasm_diag diag;

	if (ba_wasm_module_load(bytes, len, eager ? &eager_options : NULL, &m, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "load: %s", diag.message);
	return m;
}

static ba_wasm_instance *instantiate(ba_wasm_store *store, ba_wasm_module *m,
                                     const ba_wasm_extern *imports, size_t nimports)
{
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	if (ba_wasm_instantiate(store, m, imports, nimports, &inst, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "instantiate: %s", diag.message);
	return inst;
}

static ba_wasm_func *export_func(ba_wasm_instance *inst, const char *name)
{
	ba_wasm_extern ex;

	if (!ba_wasm_instance_export(inst, name, &ex) || ex.kind != BA_WASM_EXTERN_FUNC)
		ba_test_fail(__FILE__, __LINE__, "no exported function %s", name);
	return ex.of.func;
}

static uint32_t call1(ba_wasm_instance *inst, const char *name, uint32_t a)
{
	ba_wasm_value arg = ba_wasm_i32(a), r;
	ba_wasm_diag diag;

	if (ba_wasm_call(export_func(inst, name), &arg, 1, &r, 1, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "%s trapped: %s", name, diag.message);
	return r.of.i32;
}

static uint32_t compiled(const ba_wasm_module *m)
{
	return ba_wasm__module_compiled_count(m);
}

/* The host import of lazy_wasm: calls the instance's "inner" export back. */
struct host_ctx {
	ba_wasm_instance *inst;
};

static ba_wasm_err host_reenter(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                ba_wasm_value *results)
{
	struct host_ctx *ctx = user;
	ba_wasm_diag diag;
	ba_wasm_err err;

	err = ba_wasm_call(export_func(ctx->inst, "inner"), args, 1, results, 1, &diag);
	if (err != BA_WASM_OK)
		return ba_wasm_caller_trap(caller, "inner: %s", diag.message);
	return BA_WASM_OK;
}

static const ba_wasm_valtype i32_1[] = {BA_WASM_I32};
static const ba_wasm_functype i_i = {1, 1, i32_1, i32_1};

/* Instantiates lazy_wasm in store with the re-entering host import. */
static ba_wasm_instance *lazy_instance(ba_wasm_store *store, ba_wasm_module *m,
                                       struct host_ctx *ctx)
{
	ba_wasm_extern imp = {BA_WASM_EXTERN_FUNC, .of.func = NULL};

	imp.of.func = ba_wasm_func_new_host(store, &i_i, host_reenter, ctx);
	CHECK(imp.of.func != NULL);
	ctx->inst = instantiate(store, m, &imp, 1);
	return ctx->inst;
}

TEST(eager_load_compiles_everything_lazy_load_nothing)
{
	ba_wasm_module *lazy = load(lazy_wasm, sizeof(lazy_wasm), false);
	ba_wasm_module *eager = load(lazy_wasm, sizeof(lazy_wasm), true);

	CHECK_EQ_UINT(compiled(lazy), 0);
	CHECK_EQ_UINT(compiled(eager), LAZY_DEFINED);
	ba_wasm_module_release(lazy);
	ba_wasm_module_release(eager);
}

TEST(each_way_in_compiles_the_callee_once)
{
	ba_wasm_module *m = load(lazy_wasm, sizeof(lazy_wasm), false);
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	struct host_ctx ctx;
	ba_wasm_instance *inst;
	ba_wasm_value args[2], r;
	ba_wasm_diag diag;
	ba_wasm_extern g;

	/* The start function, and the function it calls. */
	inst = lazy_instance(store, m, &ctx);
	CHECK_EQ_UINT(compiled(m), 2);
	CHECK(ba_wasm_instance_export(inst, "started", &g));
	CHECK_EQ_UINT(ba_wasm_global_get(g.of.global).of.i32, 42);

	/* An export calling an already compiled function. */
	CHECK_EQ_UINT(call1(inst, "direct", 5), 6);
	CHECK_EQ_UINT(compiled(m), 3);
	CHECK_EQ_UINT(call1(inst, "direct", 6), 7);
	CHECK_EQ_UINT(compiled(m), 3);

	/* call_indirect. */
	args[0] = ba_wasm_i32(5);
	args[1] = ba_wasm_i32(0);
	CHECK_EQ_INT(ba_wasm_call(export_func(inst, "indirect"), args, 2, &r, 1, &diag),
	             BA_WASM_OK);
	CHECK_EQ_UINT(r.of.i32, 10);
	CHECK_EQ_UINT(compiled(m), 5);
	/* A function compiled on the call that then traps in it. */
	args[1] = ba_wasm_i32(1);
	CHECK_EQ_INT(ba_wasm_call(export_func(inst, "indirect"), args, 2, &r, 1, &diag),
	             BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_UNREACHABLE);
	CHECK_EQ_UINT(diag.func_index, 4);
	CHECK_EQ_UINT(compiled(m), 6);

	/* A host function calling back into uncompiled code: via_host,
	 * inner and triple are new (double is compiled already). */
	CHECK_EQ_UINT(call1(inst, "via_host", 4), 24);
	CHECK_EQ_UINT(compiled(m), 9);

	/* Recursion on the first call. */
	CHECK_EQ_UINT(call1(inst, "fib", 20), 6765);
	CHECK_EQ_UINT(compiled(m), 10);

	/* "unused" was never called, so never compiled. */
	CHECK_EQ_UINT(compiled(m), LAZY_DEFINED - 1);
	ba_wasm_store_free(store);
	ba_wasm_module_release(m);
}

TEST(compiled_code_is_shared_by_stores_and_instances)
{
	ba_wasm_module *m = load(lazy_wasm, sizeof(lazy_wasm), false);
	ba_wasm_store *s1 = ba_wasm_store_new(NULL), *s2 = ba_wasm_store_new(NULL);
	struct host_ctx c1, c2;
	ba_wasm_instance *i1 = lazy_instance(s1, m, &c1);
	ba_wasm_instance *i2;

	CHECK_EQ_UINT(call1(i1, "fib", 10), 55);
	CHECK_EQ_UINT(compiled(m), 3);
	/* A second store reuses what the first one compiled. */
	ba_wasm_store_free(s1);
	i2 = lazy_instance(s2, m, &c2);
	CHECK_EQ_UINT(call1(i2, "fib", 11), 89);
	CHECK_EQ_UINT(compiled(m), 3);
	ba_wasm_store_free(s2);
	ba_wasm_module_release(m);
}

/* The outcome of one call, for comparing lazy and eager loading. */
struct outcome {
	ba_wasm_err err;
	uint32_t result;
	ba_wasm_diag diag;
	uint64_t fuel_consumed;
};

/* Loads deep_wasm (eagerly or not), calls name(arg) in a fresh store with
 * limits and fuel (0: unlimited), and records what happened. */
static struct outcome run_deep(bool eager, const char *name, uint32_t arg,
                               const ba_wasm_limits *limits, uint64_t fuel)
{
	ba_wasm_module *m = load(deep_wasm, sizeof(deep_wasm), eager);
	ba_wasm_store *store = ba_wasm_store_new(limits);
	ba_wasm_instance *inst;
	ba_wasm_value a = ba_wasm_i32(arg), r = ba_wasm_i32(0);
	struct outcome o;

	memset(&o, 0, sizeof(o));
	CHECK(store != NULL);
	inst = instantiate(store, m, NULL, 0);
	ba_wasm_store_set_fuel(store, fuel);
	o.err = ba_wasm_call(export_func(inst, name), &a, 1, &r, 1, &o.diag);
	o.result = o.err == BA_WASM_OK ? r.of.i32 : 0;
	o.fuel_consumed = ba_wasm_store_fuel_consumed(store);
	if (o.err == BA_WASM_OK)
		memset(&o.diag, 0, sizeof(o.diag));
	ba_wasm_store_free(store);
	ba_wasm_module_release(m);
	return o;
}

#define CHECK_SAME_OUTCOME(a, b)                                         \
	do {                                                             \
		CHECK_EQ_INT((a).err, (b).err);                          \
		CHECK_EQ_UINT((a).result, (b).result);                   \
		CHECK_EQ_INT((a).diag.trap, (b).diag.trap);              \
		CHECK_EQ_UINT((a).diag.func_index, (b).diag.func_index); \
		CHECK_EQ_UINT((a).diag.offset, (b).diag.offset);         \
		CHECK_EQ_STR((a).diag.message, (b).diag.message);        \
		CHECK_EQ_UINT((a).fuel_consumed, (b).fuel_consumed);     \
	} while (0)

TEST(runaway_recursion_traps_as_with_eager_loading)
{
	ba_wasm_limits limits = {.max_call_depth = 300};
	struct outcome lazy = run_deep(false, "rec", 0, &limits, 1000000);
	struct outcome eager = run_deep(true, "rec", 0, &limits, 1000000);

	CHECK_EQ_INT(lazy.err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(lazy.diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
	CHECK_EQ_UINT(lazy.diag.func_index, 0);
	CHECK_SAME_OUTCOME(lazy, eager);

	/* The value stack running out instead of the frame count. */
	limits = (ba_wasm_limits){.max_stack_bytes = 4096};
	lazy = run_deep(false, "rec", 0, &limits, 1000000);
	eager = run_deep(true, "rec", 0, &limits, 1000000);
	CHECK_EQ_INT(lazy.diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
	CHECK_SAME_OUTCOME(lazy, eager);
}

TEST(first_call_whose_frame_does_not_fit_traps_at_the_call)
{
	/* 64 slots hold call_big's frame but not big's 65 locals: the first
	 * call of big must trap in call_big, at the call, as eager code does
	 * (and not in big, which an uncompiled frame size might suggest). */
	ba_wasm_limits limits = {.max_stack_bytes = 64 * 8};
	const char *callers[] = {"call_big", "call_big_indirect"};

	for (size_t i = 0; i < 2; i++) {
		struct outcome lazy = run_deep(false, callers[i], 3, &limits, 1000);
		struct outcome eager = run_deep(true, callers[i], 3, &limits, 1000);

		CHECK_EQ_INT(lazy.err, BA_WASM_ERR_TRAP);
		CHECK_EQ_INT(lazy.diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
		CHECK_EQ_UINT(lazy.diag.func_index, i == 0 ? 2 : 3);
		CHECK_SAME_OUTCOME(lazy, eager);
	}
	/* With room, the same calls work. */
	{
		struct outcome lazy = run_deep(false, "call_big", 3, NULL, 1000);
		struct outcome eager = run_deep(true, "call_big", 3, NULL, 1000);

		CHECK_EQ_INT(lazy.err, BA_WASM_OK);
		CHECK_EQ_UINT(lazy.result, 9);
		CHECK_SAME_OUTCOME(lazy, eager);
	}
}

TEST(fuel_is_charged_exactly_as_with_eager_loading)
{
	struct outcome lazy = run_deep(false, "work", 6, NULL, 1000000);
	struct outcome eager = run_deep(true, "work", 6, NULL, 1000000);
	uint64_t total = eager.fuel_consumed;

	CHECK_EQ_INT(lazy.err, BA_WASM_OK);
	CHECK_SAME_OUTCOME(lazy, eager);
	CHECK(total > 50);
	/* Every budget that runs out part way (a budget of exactly the
	 * total is enough), including on the first call
	 * of each function (each run loads the module afresh, so lazy code
	 * is compiled in the middle of it), stops at the same instruction
	 * with the same fuel used. */
	for (uint64_t fuel = 1; fuel <= total; fuel++) {
		lazy = run_deep(false, "work", 6, NULL, fuel);
		eager = run_deep(true, "work", 6, NULL, fuel);
		if (fuel < total) {
			CHECK_EQ_INT(lazy.err, BA_WASM_ERR_TRAP);
			CHECK_EQ_INT(lazy.diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
		} else {
			CHECK_EQ_INT(lazy.err, BA_WASM_OK);
		}
		CHECK_SAME_OUTCOME(lazy, eager);
	}
}

TEST(interrupt_before_a_first_call_stops_it_as_eager_code)
{
	for (int eager = 0; eager < 2; eager++) {
		ba_wasm_module *m = load(deep_wasm, sizeof(deep_wasm), eager);
		ba_wasm_store *store = ba_wasm_store_new(NULL);
		ba_wasm_instance *inst = instantiate(store, m, NULL, 0);
		ba_wasm_value a = ba_wasm_i32(3), r;
		ba_wasm_diag diag;

		ba_wasm_store_set_fuel(store, 1000);
		ba_wasm_store_interrupt(store);
		CHECK_EQ_INT(ba_wasm_call(export_func(inst, "work"), &a, 1, &r, 1, &diag),
		             BA_WASM_ERR_TRAP);
		CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INTERRUPTED);
		CHECK_EQ_UINT(diag.func_index, 6);
		ba_wasm_store_clear_interrupt(store);
		CHECK_EQ_UINT(call1(inst, "work", 3), 27);
		ba_wasm_store_free(store);
		ba_wasm_module_release(m);
	}
}

/* Threads calling the same uncompiled functions of one module, each in a
 * store of its own. */
struct racer {
	pthread_t thread;
	ba_wasm_module *module;
	pthread_barrier_t *start;
	uint32_t result;
	bool ok;
	char why[256];
};

static void *race(void *p)
{
	struct racer *r = p;
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_value a = ba_wasm_i32(50), res;
	ba_wasm_diag diag;

	diag.message[0] = '\0';
	r->ok = store && ba_wasm_instantiate(store, r->module, NULL, 0, &inst, &diag) == BA_WASM_OK;
	pthread_barrier_wait(r->start);
	if (r->ok) {
		ba_wasm_extern ex;

		r->ok = ba_wasm_instance_export(inst, "run", &ex) &&
		        ba_wasm_call(ex.of.func, &a, 1, &res, 1, &diag) == BA_WASM_OK;
		r->result = res.of.i32;
	}
	snprintf(r->why, sizeof(r->why), "%s", diag.message);
	ba_wasm_store_free(store);
	return NULL;
}

TEST_TIMEOUT(threads_compile_each_body_once, 60)
{
	enum { THREADS = 4, ROUNDS = 1000 };
	ba_wasm_module *eager = load(threads_wasm, sizeof(threads_wasm), true);
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	uint32_t want = call1(instantiate(store, eager, NULL, 0), "run", 50);

	ba_wasm_store_free(store);
	ba_wasm_module_release(eager);
	for (int round = 0; round < ROUNDS; round++) {
		ba_wasm_module *m = load(threads_wasm, sizeof(threads_wasm), false);
		struct racer racers[THREADS];
		pthread_barrier_t start;

		CHECK_EQ_INT(pthread_barrier_init(&start, NULL, THREADS), 0);
		for (int i = 0; i < THREADS; i++) {
			racers[i] = (struct racer){.module = m, .start = &start};
			CHECK_EQ_INT(pthread_create(&racers[i].thread, NULL, race, &racers[i]), 0);
		}
		for (int i = 0; i < THREADS; i++) {
			CHECK_EQ_INT(pthread_join(racers[i].thread, NULL), 0);
			if (!racers[i].ok)
				ba_test_fail(__FILE__, __LINE__, "thread %d: %s", i, racers[i].why);
			CHECK_EQ_UINT(racers[i].result, want);
		}
		pthread_barrier_destroy(&start);
		CHECK_EQ_UINT(compiled(m), THREADS_DEFINED);
		ba_wasm_module_release(m);
	}
}

/* A module with two exported functions: "big", whose body is n nops and
 * (i32.const 7), cheap to validate but the compiler sizes its buffers by
 * the body's length, and "small", (i32.const 1). */
static uint8_t *big_module(size_t n, size_t *len)
{
	static const uint8_t head[] = {
	        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, /* magic, version */
	        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,       /* type () -> i32 */
	        0x03, 0x03, 0x02, 0x00, 0x00,                   /* funcs 0, 1     */
	        0x07, 0x0f, 0x02,                               /* exports:       */
	        0x03, 'b',  'i',  'g',  0x00, 0x00,             /* "big" func 0   */
	        0x05, 's',  'm',  'a',  'l',  'l',  0x00, 0x01, /* "small" func 1 */
	};
	static const uint8_t small_body[] = {0x04, 0x00, 0x41, 0x01, 0x0b};
	size_t body = 1 + n + 3, at;
	uint8_t *b = malloc(sizeof(head) + 16 + body + sizeof(small_body));

	CHECK(b != NULL);
	memcpy(b, head, sizeof(head));
	at = sizeof(head);
	b[at++] = 0x0a; /* code section: size, count, bodies (sizes as 5-byte LEBs) */
	for (size_t v = 1 + 5 + body + sizeof(small_body), i = 0; i < 5; i++, v >>= 7)
		b[at++] = (uint8_t)((v & 0x7f) | (i < 4 ? 0x80 : 0));
	b[at++] = 0x02;
	for (size_t v = body, i = 0; i < 5; i++, v >>= 7)
		b[at++] = (uint8_t)((v & 0x7f) | (i < 4 ? 0x80 : 0));
	b[at++] = 0x00; /* no locals */
	memset(b + at, 0x01, n);
	at += n;
	b[at++] = 0x41;
	b[at++] = 0x07;
	b[at++] = 0x0b;
	memcpy(b + at, small_body, sizeof(small_body));
	at += sizeof(small_body);
	*len = at;
	return b;
}

/* Bytes of address space in use, from /proc/self/statm. */
static unsigned long vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

TEST(out_of_memory_on_a_first_call_is_a_compile_trap)
{
	size_t len;
	uint8_t *bytes;
	ba_wasm_module *m;
	ba_wasm_store *store;
	ba_wasm_instance *inst;
	ba_wasm_func *big;
	struct rlimit old, tight;
	ba_wasm_value r;
	ba_wasm_diag diag;
	ba_wasm_err err;

#ifdef UNDER_ASAN
	TEST_SKIP("an address-space limit and ASan's shadow memory do not mix");
#endif
	bytes = big_module((size_t)4 << 20, &len);
	m = load(bytes, len, false);
	free(bytes);
	store = ba_wasm_store_new(NULL);
	inst = instantiate(store, m, NULL, 0);
	big = export_func(inst, "big");
	/* The interpreter's stacks are made on the first call: make them
	 * before memory gets tight. */
	CHECK_EQ_UINT(ba_wasm_call(export_func(inst, "small"), NULL, 0, &r, 1, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(compiled(m), 1);

	/* 1 MiB of address space to spare: compiling a 4 MiB body needs
	 * more than that. */
	CHECK_EQ_INT(getrlimit(RLIMIT_AS, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)(vm_bytes() + ((unsigned long)1 << 20));
	CHECK_EQ_INT(setrlimit(RLIMIT_AS, &tight), 0);
	err = ba_wasm_call(big, NULL, 0, &r, 1, &diag);
	CHECK_EQ_INT(setrlimit(RLIMIT_AS, &old), 0);
	CHECK_EQ_INT(err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_COMPILE);
	CHECK_EQ_UINT(diag.func_index, 0);
	CHECK_CONTAINS(diag.message,
	               "cannot compile function 0: out of memory in function 0 (big)");
	CHECK_EQ_UINT(compiled(m), 1);
	/* Nothing was half published: with memory back, the same call
	 * compiles the body and runs. */
	CHECK_EQ_INT(ba_wasm_call(big, NULL, 0, &r, 1, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(r.of.i32, 7);
	CHECK_EQ_UINT(compiled(m), 2);
	ba_wasm_store_free(store);
	ba_wasm_module_release(m);
}
