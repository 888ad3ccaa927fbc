/*
 * Tests for src/wasm/store.c, objects.c and instance.c: stores and fuel,
 * memories, tables and globals through the public API, host functions,
 * linking, instantiation order and store teardown.
 *
 * The modules are embedded as bytes; each comment shows the text format
 * they were assembled from (wat2wasm).
 */
#include "test.h"

#include "wasm/wasm.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * (module
 *   (import "env" "f" (func $f (param i32) (result i32)))
 *   (import "env" "mem" (memory 1 4))
 *   (import "env" "tab" (table 2 funcref))
 *   (import "env" "g" (global i32))
 *   (import "env" "gm" (global (mut i64)))
 *   (func (export "call_f") (param i32) (result i32) (call $f (local.get 0)))
 *   (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
 *   (export "f_again" (func $f))
 *   (data (global.get 0) "hi"))
 */
static const uint8_t link_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x02, 0x34, 0x05, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03, 0x65, 0x6e,
        0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x01, 0x01, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74,
        0x61, 0x62, 0x01, 0x70, 0x00, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00,
        0x03, 0x65, 0x6e, 0x76, 0x02, 0x67, 0x6d, 0x03, 0x7e, 0x01, 0x03, 0x03, 0x02, 0x00, 0x00,
        0x07, 0x1b, 0x03, 0x06, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x66, 0x00, 0x01, 0x04, 0x6c, 0x6f,
        0x61, 0x64, 0x00, 0x02, 0x07, 0x66, 0x5f, 0x61, 0x67, 0x61, 0x69, 0x6e, 0x00, 0x00, 0x0a,
        0x10, 0x02, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00,
        0x00, 0x0b, 0x0b, 0x08, 0x01, 0x00, 0x23, 0x00, 0x0b, 0x02, 0x68, 0x69,
};

/*
 * (module
 *   (import "env" "mem" (memory 1))
 *   (import "env" "tab" (table 1 funcref))
 *   (func $f)
 *   (elem (i32.const 0) $f)
 *   (data (i32.const 0) "ok")
 *   (data (i32.const 65535) "xx"))
 */
static const uint8_t segtrap_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
        0x00, 0x02, 0x18, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02,
        0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00,
        0x01, 0x03, 0x02, 0x01, 0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01,
        0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, 0x0b, 0x11, 0x02, 0x00, 0x41, 0x00,
        0x0b, 0x02, 0x6f, 0x6b, 0x00, 0x41, 0xff, 0xff, 0x03, 0x0b, 0x02, 0x78, 0x78,
};

/*
 * (module
 *   (import "env" "tick" (func $tick (param i32)))
 *   (global $g (mut i32) (i32.const 41))
 *   (func $start
 *     (global.set $g (i32.add (global.get $g) (i32.const 1)))
 *     (call $tick (global.get $g)))
 *   (start $start)
 *   (export "g" (global $g)))
 */
static const uint8_t start_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00,
        0x60, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69, 0x63, 0x6b,
        0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x29, 0x0b, 0x07,
        0x05, 0x01, 0x01, 0x67, 0x03, 0x00, 0x08, 0x01, 0x01, 0x0a, 0x0f, 0x01, 0x0d, 0x00, 0x23,
        0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x23, 0x00, 0x10, 0x00, 0x0b,
};

/*
 * (module
 *   (memory (export "mem") 1 4)
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "size") (result i32) (memory.size))
 *   (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
 */
static const uint8_t grow_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60, 0x01, 0x7f,
        0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x03, 0x04, 0x03,
        0x00, 0x01, 0x02, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x1d, 0x04, 0x03, 0x6d,
        0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x04, 0x73, 0x69,
        0x7a, 0x65, 0x00, 0x01, 0x05, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x00, 0x02, 0x0a, 0x17,
        0x03, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x04, 0x00, 0x3f, 0x00, 0x0b, 0x09,
        0x00, 0x20, 0x00, 0x20, 0x01, 0x3a, 0x00, 0x00, 0x0b,
};

/*
 * (module
 *   (memory (export "mem") 2)
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
 */
static const uint8_t nomax_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01,
        0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x02, 0x07,
        0x0e, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77,
        0x00, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
};

/*
 * (module (memory 5))
 */
static const uint8_t bigmem_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x05,
};

/*
 * (module
 *   (memory (export "mem") 0)
 *   (data (i32.const 0) "")
 *   (func (export "size") (result i32) (memory.size))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
 */
static const uint8_t zero_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x00,
        0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05,
        0x03, 0x01, 0x00, 0x00, 0x07, 0x15, 0x03, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
        0x04, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00,
        0x01, 0x0a, 0x0d, 0x02, 0x04, 0x00, 0x3f, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00,
        0x40, 0x00, 0x0b, 0x0b, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00,
};

/*
 * (module
 *   (table (export "t") 1 funcref)
 *   (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
 *   (func (export "size") (result i32) (table.size 0)))
 */
static const uint8_t table_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x04, 0x04, 0x01, 0x70, 0x00,
        0x01, 0x07, 0x13, 0x03, 0x01, 0x74, 0x01, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00,
        0x04, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x01, 0x0a, 0x11, 0x02, 0x09, 0x00, 0xd0, 0x70, 0x20,
        0x00, 0xfc, 0x0f, 0x00, 0x0b, 0x05, 0x00, 0xfc, 0x10, 0x00, 0x0b,
};

/*
 * (module
 *   (func (export "spin") (param $n i32)
 *     (loop $l
 *       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
 *       (br_if $l (local.get $n)))))
 */
static const uint8_t spin_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01,
        0x7f, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69,
        0x6e, 0x00, 0x00, 0x0a, 0x12, 0x01, 0x10, 0x00, 0x03, 0x40, 0x20, 0x00, 0x41,
        0x01, 0x6b, 0x21, 0x00, 0x20, 0x00, 0x0d, 0x00, 0x0b, 0x0b,
};

/*
 * (module
 *   (import "env" "add" (func $add (param i32 i32) (result i32)))
 *   (import "env" "peek" (func $peek (param i32) (result i32)))
 *   (memory (export "mem") 1)
 *   (data (i32.const 8) "\2a")
 *   (func (export "add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
 *   (func (export "peek") (param i32) (result i32) (call $peek (local.get 0))))
 */
static const uint8_t hostcall_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f,
        0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x16, 0x02, 0x03, 0x65, 0x6e,
        0x76, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x70, 0x65,
        0x65, 0x6b, 0x00, 0x01, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x14, 0x03, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00,
        0x02, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x03, 0x0a, 0x11, 0x02, 0x08, 0x00, 0x20,
        0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x0b,
        0x07, 0x01, 0x00, 0x41, 0x08, 0x0b, 0x01, 0x2a,
};

/*
 * (module
 *   (func $f (result i32) (i32.const 7))
 *   (table $t 3 funcref)
 *   (memory $m 1)
 *   (global $g i64 (i64.const -1))
 *   (export "f" (func $f))
 *   (export "t" (table $t))
 *   (export "m" (memory $m))
 *   (export "g" (global $g))
 *   (export "" (func $f)))
 */
static const uint8_t exports_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
        0x7f, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x03, 0x05, 0x03, 0x01,
        0x00, 0x01, 0x06, 0x06, 0x01, 0x7e, 0x00, 0x42, 0x7f, 0x0b, 0x07, 0x14, 0x05, 0x01,
        0x66, 0x00, 0x00, 0x01, 0x74, 0x01, 0x00, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03,
        0x00, 0x00, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static ba_wasm_module *load_bytes(const uint8_t *bytes, size_t len, int line)
{
	ba_wasm_module *module = NULL;
	ba_wasm_diag diag;

	if (ba_wasm_module_load(bytes, len, NULL, &module, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, line, "module load failed: %s", diag.message);
	return module;
}
#define LOAD(name) load_bytes(name##_wasm, sizeof(name##_wasm), __LINE__)

static ba_wasm_instance *instantiate_ok(ba_wasm_store *store, ba_wasm_module *module,
                                        const ba_wasm_extern *imports, size_t count, int line)
{
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	if (ba_wasm_instantiate(store, module, imports, count, &inst, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, line, "instantiate failed: %s", diag.message);
	if (!inst)
		ba_test_fail(__FILE__, line, "instantiate returned OK and no instance");
	return inst;
}
#define INSTANTIATE(store, module, imports, count) \
	instantiate_ok(store, module, imports, count, __LINE__)

static ba_wasm_func *export_func(ba_wasm_instance *inst, const char *name)
{
	ba_wasm_extern ex;

	if (!ba_wasm_instance_export(inst, name, &ex) || ex.kind != BA_WASM_EXTERN_FUNC)
		ba_test_fail(__FILE__, __LINE__, "no exported function \"%s\"", name);
	return ex.of.func;
}

static ba_wasm_memory *export_memory(ba_wasm_instance *inst, const char *name)
{
	ba_wasm_extern ex;

	if (!ba_wasm_instance_export(inst, name, &ex) || ex.kind != BA_WASM_EXTERN_MEMORY)
		ba_test_fail(__FILE__, __LINE__, "no exported memory \"%s\"", name);
	return ex.of.memory;
}

/* Calls an (i32...) -> i32 or -> () function; returns the err. */
static ba_wasm_err call_i32(ba_wasm_func *func, const uint32_t *in, size_t n, uint32_t *out,
                            ba_wasm_diag *diag)
{
	ba_wasm_value args[4], result;
	ba_wasm_err err;

	for (size_t i = 0; i < n; i++)
		args[i] = ba_wasm_i32(in[i]);
	err = ba_wasm_call(func, args, n, &result, out ? 1 : 0, diag);
	if (err == BA_WASM_OK && out) {
		CHECK_EQ_INT(result.type, BA_WASM_I32);
		*out = result.of.i32;
	}
	return err;
}

static ba_wasm_limits_range range(uint64_t min, bool has_max, uint64_t max)
{
	ba_wasm_limits_range r = {.min = min, .max = max, .has_max = has_max};
	return r;
}

static const ba_wasm_valtype i32_1[] = {BA_WASM_I32};
static const ba_wasm_valtype i32_2[] = {BA_WASM_I32, BA_WASM_I32};
static const ba_wasm_functype type_i_i = {1, 1, i32_1, i32_1};
static const ba_wasm_functype type_ii_i = {2, 1, i32_2, i32_1};
static const ba_wasm_functype type_i_v = {1, 0, i32_1, NULL};
static const ba_wasm_functype type_v_v = {0, 0, NULL, NULL};

static ba_wasm_err host_double(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	results[0] = ba_wasm_i32(args[0].of.i32 * 2);
	return BA_WASM_OK;
}

static ba_wasm_err host_tick(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	int *seen = user;
	*seen = (int)args[0].of.i32;
	return BA_WASM_OK;
}

static ba_wasm_err host_nop(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                            ba_wasm_value *results)
{
	return BA_WASM_OK;
}

static ba_wasm_err host_add(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                            ba_wasm_value *results)
{
	if (args[0].of.i32 == 99)
		return ba_wasm_caller_trap(caller, "add refused %u", args[0].of.i32);
	results[0] = ba_wasm_i32(args[0].of.i32 + args[1].of.i32);
	return BA_WASM_OK;
}

/* Reads one byte of the caller's memory the only way a host may. */
static ba_wasm_err host_peek(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	ba_wasm_memory *mem = ba_wasm_caller_memory(caller);
	uint8_t byte;

	if (!ba_wasm_caller_instance(caller) || ba_wasm_caller_store(caller) != user)
		return ba_wasm_caller_trap(caller, "wrong caller");
	if (!mem || !ba_wasm_memory_read(mem, args[0].of.i32, &byte, 1))
		return ba_wasm_caller_trap(caller, "peek at %u is out of bounds", args[0].of.i32);
	results[0] = ba_wasm_i32(byte);
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Stores and fuel                                                          */
/* ------------------------------------------------------------------------ */

TEST(store_free_null_and_empty)
{
	ba_wasm_store_free(NULL);
	ba_wasm_store_free(ba_wasm_store_new(NULL));
}

TEST(store_default_limits_allow_4gib_memory_reservation)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	/* Default cap is the 32-bit maximum: a memory without a declared
	 * maximum can grow (address space permitting) up to 65536 pages. */
	ba_wasm_memory *mem = ba_wasm_memory_new(store, range(1, false, 0));

	CHECK(mem != NULL);
	CHECK_EQ_INT(ba_wasm_memory_grow(mem, 65536), -1);
	CHECK(ba_wasm_memory_span(mem, 0, 65536) != NULL);
	ba_wasm_store_free(store);
}

TEST(fuel_accounting_api)
{
	ba_wasm_limits limits = {.fuel = 1000};
	ba_wasm_store *store = ba_wasm_store_new(&limits);
	ba_wasm_module *module = LOAD(spin);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_func *spin = export_func(inst, "spin");
	ba_wasm_diag diag;
	uint32_t n;

	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(store), 1000);
	CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(store), 0);

	n = 1000000;
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(store), 0);
	CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(store), 1000);

	/* 0 = unlimited; the store stays usable after the trap. */
	ba_wasm_store_set_fuel(store, 0);
	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(store), UINT64_MAX);
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_OK);

	ba_wasm_store_set_fuel(store, 1000000000);
	CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(store), 0);
	n = 10;
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_OK);
	CHECK(ba_wasm_store_fuel_consumed(store) > 0);
	CHECK(ba_wasm_store_fuel_consumed(store) < 1000);
	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(store) + ba_wasm_store_fuel_consumed(store),
	              1000000000);

	/* Deterministic: the same call costs the same again. */
	{
		uint64_t first = ba_wasm_store_fuel_consumed(store);
		CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_OK);
		CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(store), 2 * first);
	}
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(interrupt_is_sticky_until_cleared)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(spin);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_func *spin = export_func(inst, "spin");
	ba_wasm_diag diag;
	uint32_t n = 100;

	ba_wasm_store_interrupt(store);
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INTERRUPTED);
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_ERR_TRAP);
	ba_wasm_store_clear_interrupt(store);
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_OK);

	/* A deadline in the past stops the loop too. */
	ba_wasm_store_set_deadline(store, 1);
	n = 100000000;
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INTERRUPTED);
	ba_wasm_store_set_deadline(store, 0);
	n = 10;
	CHECK_EQ_INT(call_i32(spin, &n, 1, NULL, &diag), BA_WASM_OK);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

/* ------------------------------------------------------------------------ */
/* Memories                                                                 */
/* ------------------------------------------------------------------------ */

TEST(memory_zero_pages)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_memory *none = ba_wasm_memory_new(store, range(0, true, 0));
	ba_wasm_module *module = LOAD(zero);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_memory *mem = export_memory(inst, "mem");
	uint8_t byte = 0;
	uint32_t out;

	CHECK(none != NULL);
	CHECK_EQ_UINT(ba_wasm_memory_size(none), 0);
	CHECK(ba_wasm_memory_span(none, 0, 0) != NULL);
	CHECK(ba_wasm_memory_span(none, 0, 1) == NULL);
	CHECK(ba_wasm_memory_span(none, 1, 0) == NULL);
	CHECK(!ba_wasm_memory_read(none, 0, &byte, 1));
	CHECK(ba_wasm_memory_read(none, 0, &byte, 0));
	CHECK_EQ_INT(ba_wasm_memory_grow(none, 1), -1);
	CHECK_EQ_INT(ba_wasm_memory_grow(none, 0), 0);

	CHECK(ba_wasm_instance_memory(inst) == mem);
	CHECK_EQ_UINT(ba_wasm_memory_size(mem), 0);
	CHECK_EQ_INT(call_i32(export_func(inst, "size"), NULL, 0, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 0);
	CHECK_EQ_INT(ba_wasm_memory_grow(mem, 1), 0);
	CHECK_EQ_INT(call_i32(export_func(inst, "size"), NULL, 0, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 1);
	CHECK(ba_wasm_memory_read(mem, 65535, &byte, 1));
	CHECK_EQ_UINT(byte, 0);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(memory_growth_keeps_host_pointers_and_zeroes)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(grow);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_memory *mem = export_memory(inst, "mem");
	ba_wasm_func *grow = export_func(inst, "grow");
	uint8_t *p = ba_wasm_memory_span(mem, 65535, 1);
	uint32_t args[2], out;

	CHECK(p != NULL);
	*p = 0x5a;
	args[0] = 2;
	CHECK_EQ_INT(call_i32(grow, args, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 1);
	CHECK_EQ_UINT(ba_wasm_memory_size(mem), 3 * 65536);
	/* The memory grew in place: the old pointer still sees the data. */
	CHECK(ba_wasm_memory_span(mem, 65535, 1) == p);
	CHECK_EQ_UINT(*p, 0x5a);
	for (uint64_t a = 65536; a < 3 * 65536; a += 4096)
		CHECK_EQ_UINT(*ba_wasm_memory_span(mem, a, 1), 0);
	/* Guest stores through the grown range are visible to the host. */
	args[0] = 3 * 65536 - 1;
	args[1] = 7;
	CHECK_EQ_INT(call_i32(export_func(inst, "store"), args, 2, NULL, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(p[2 * 65536], 7);

	/* Declared maximum 4: one more page fits, then -1 and no change. */
	args[0] = 2;
	CHECK_EQ_INT(call_i32(grow, args, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, (uint32_t)-1);
	CHECK_EQ_INT(ba_wasm_memory_grow(mem, 1), 3);
	CHECK_EQ_INT(ba_wasm_memory_grow(mem, 1), -1);
	CHECK_EQ_INT(ba_wasm_memory_grow(mem, UINT64_MAX), -1);
	CHECK_EQ_UINT(ba_wasm_memory_size(mem), 4 * 65536);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(memory_capped_by_store_limit)
{
	/* Not a page multiple: the cap rounds down to 3 pages. */
	ba_wasm_limits limits = {.max_memory_bytes = 3 * 65536 + 100};
	ba_wasm_store *store = ba_wasm_store_new(&limits);
	ba_wasm_module *nomax = LOAD(nomax);
	ba_wasm_module *big = LOAD(bigmem);
	ba_wasm_instance *inst = INSTANTIATE(store, nomax, NULL, 0);
	ba_wasm_instance *none = NULL;
	ba_wasm_func *grow = export_func(inst, "grow");
	ba_wasm_diag diag;
	uint32_t delta = 2, out;

	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, (uint32_t)-1);
	delta = 1;
	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 2);
	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, (uint32_t)-1);

	/* A module whose minimum is above the cap cannot be instantiated. */
	CHECK_EQ_INT(ba_wasm_instantiate(store, big, NULL, 0, &none, &diag), BA_WASM_ERR_LIMIT);
	CHECK(none == NULL);
	CHECK_EQ_INT(diag.err, BA_WASM_ERR_LIMIT);
	CHECK_CONTAINS(diag.message, "memory 0");

	/* The same for standalone memories; a declared max above the cap
	 * is allowed and capped. */
	CHECK(ba_wasm_memory_new(store, range(4, false, 0)) == NULL);
	{
		ba_wasm_memory *mem = ba_wasm_memory_new(store, range(1, true, 100));
		CHECK(mem != NULL);
		CHECK_EQ_INT(ba_wasm_memory_grow(mem, 3), -1);
		CHECK_EQ_INT(ba_wasm_memory_grow(mem, 2), 1);
	}
	ba_wasm_store_free(store);
	ba_wasm_module_release(nomax);
	ba_wasm_module_release(big);
}

TEST(memory_bad_types_refused)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);

	CHECK(ba_wasm_memory_new(store, range(2, true, 1)) == NULL);
	CHECK(ba_wasm_memory_new(store, range(65537, false, 0)) == NULL);
	CHECK(ba_wasm_memory_new(store, range(0, true, 65537)) == NULL);
	CHECK(ba_wasm_memory_new(NULL, range(0, false, 0)) == NULL);
	ba_wasm_store_free(store);
}

TEST(memory_accessors_are_bounds_checked)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_memory *mem = ba_wasm_memory_new(store, range(1, true, 2));
	char buf[8] = "abcdefg";

	CHECK(ba_wasm_memory_write(mem, 65536 - 4, buf, 4));
	CHECK(!ba_wasm_memory_write(mem, 65536 - 3, buf, 4));
	CHECK(ba_wasm_memory_write(mem, 65536, buf, 0));
	CHECK(!ba_wasm_memory_write(mem, 65537, buf, 0));
	memset(buf, 0, sizeof(buf));
	CHECK(ba_wasm_memory_read(mem, 65536 - 4, buf, 4));
	CHECK_EQ_STR(buf, "abcd");
	/* Nothing is touched on failure. */
	memset(buf, 'z', 4);
	CHECK(!ba_wasm_memory_read(mem, 65536 - 3, buf, 4));
	CHECK_EQ_INT(buf[0], 'z');
	/* addr + len would wrap around 64 bits if computed naively. */
	CHECK(!ba_wasm_memory_read(mem, UINT64_MAX, buf, 2));
	CHECK(!ba_wasm_memory_read(mem, UINT64_MAX - 1, buf, 4));
	CHECK(!ba_wasm_memory_write(mem, UINT64_MAX, buf, 2));
	CHECK(ba_wasm_memory_span(mem, 1, UINT64_MAX) == NULL);
	CHECK(ba_wasm_memory_span(mem, UINT64_MAX, 1) == NULL);
	CHECK(ba_wasm_memory_span(mem, 0, 65536) != NULL);
	CHECK(ba_wasm_memory_span(mem, 0, 65537) == NULL);
	ba_wasm_store_free(store);
}

/* ------------------------------------------------------------------------ */
/* Tables and globals                                                       */
/* ------------------------------------------------------------------------ */

TEST(table_growth_capped)
{
	ba_wasm_limits limits = {.max_table_elems = 5};
	ba_wasm_store *store = ba_wasm_store_new(&limits);
	ba_wasm_module *module = LOAD(table);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_func *grow = export_func(inst, "grow");
	ba_wasm_extern ex;
	uint32_t delta, out;

	CHECK(ba_wasm_instance_export(inst, "t", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_TABLE);
	CHECK_EQ_UINT(ba_wasm_table_size(ex.of.table), 1);
	delta = 5;
	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, (uint32_t)-1);
	delta = 4;
	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 1);
	CHECK_EQ_UINT(ba_wasm_table_size(ex.of.table), 5);
	delta = 0;
	CHECK_EQ_INT(call_i32(grow, &delta, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 5);

	CHECK(ba_wasm_table_new(store, BA_WASM_FUNCREF, range(6, false, 0)) == NULL);
	CHECK(ba_wasm_table_new(store, BA_WASM_I32, range(1, false, 0)) == NULL);
	CHECK(ba_wasm_table_new(store, BA_WASM_EXTERNREF, range(3, true, 2)) == NULL);
	CHECK_EQ_UINT(ba_wasm_table_size(
	                      ba_wasm_table_new(store, BA_WASM_EXTERNREF, range(5, true, 100))),
	              5);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(global_get_set_rules)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_store *other = ba_wasm_store_new(NULL);
	ba_wasm_global *c = ba_wasm_global_new(store, BA_WASM_I32, false, ba_wasm_i32(5));
	ba_wasm_global *v = ba_wasm_global_new(store, BA_WASM_I64, true, ba_wasm_i64(6));
	ba_wasm_global *r = ba_wasm_global_new(store, BA_WASM_FUNCREF, true,
	                                       (ba_wasm_value){.type = BA_WASM_FUNCREF});
	ba_wasm_func *mine = ba_wasm_func_new_host(store, &type_v_v, host_nop, NULL);
	ba_wasm_func *theirs = ba_wasm_func_new_host(other, &type_v_v, host_nop, NULL);
	ba_wasm_value fv = {.type = BA_WASM_FUNCREF};

	CHECK(c && v && r && mine && theirs);
	CHECK_EQ_UINT(ba_wasm_global_get(c).of.i32, 5);
	CHECK_EQ_INT(ba_wasm_global_set(c, ba_wasm_i32(1)), BA_WASM_ERR_ARGS);
	CHECK_EQ_UINT(ba_wasm_global_get(c).of.i32, 5);
	CHECK_EQ_INT(ba_wasm_global_set(v, ba_wasm_i32(1)), BA_WASM_ERR_ARGS);
	CHECK_EQ_INT(ba_wasm_global_set(v, ba_wasm_i64(UINT64_MAX)), BA_WASM_OK);
	CHECK_EQ_UINT(ba_wasm_global_get(v).of.i64, UINT64_MAX);
	CHECK_EQ_INT(ba_wasm_global_get(v).type, BA_WASM_I64);
	fv.of.funcref = mine;
	CHECK_EQ_INT(ba_wasm_global_set(r, fv), BA_WASM_OK);
	CHECK(ba_wasm_global_get(r).of.funcref == mine);
	/* A function of another store would dangle when that store goes. */
	fv.of.funcref = theirs;
	CHECK_EQ_INT(ba_wasm_global_set(r, fv), BA_WASM_ERR_ARGS);
	CHECK(ba_wasm_global_new(store, BA_WASM_FUNCREF, false, fv) == NULL);
	CHECK(ba_wasm_global_new(store, BA_WASM_I32, false, ba_wasm_i64(1)) == NULL);
	ba_wasm_store_free(store);
	ba_wasm_store_free(other);
}

/* ------------------------------------------------------------------------ */
/* Host functions and calls                                                 */
/* ------------------------------------------------------------------------ */

TEST(host_function_called_directly_and_argument_checks)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_func *add = ba_wasm_func_new_host(store, &type_ii_i, host_add, NULL);
	ba_wasm_value args[2] = {ba_wasm_i32(2), ba_wasm_i32(40)}, result;
	ba_wasm_diag diag;

	CHECK(add != NULL);
	CHECK_EQ_UINT(ba_wasm_func_type(add)->param_count, 2);
	CHECK_EQ_UINT(ba_wasm_func_type(add)->result_count, 1);
	CHECK_EQ_INT(ba_wasm_call(add, args, 2, &result, 1, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(result.of.i32, 42);

	CHECK_EQ_INT(ba_wasm_call(add, args, 1, &result, 1, &diag), BA_WASM_ERR_ARGS);
	CHECK_EQ_INT(diag.err, BA_WASM_ERR_ARGS);
	CHECK_CONTAINS(diag.message, "2 arguments");
	CHECK_EQ_INT(ba_wasm_call(add, args, 2, &result, 0, &diag), BA_WASM_ERR_ARGS);
	CHECK_CONTAINS(diag.message, "1 results");
	args[1] = ba_wasm_i64(1);
	CHECK_EQ_INT(ba_wasm_call(add, args, 2, &result, 1, &diag), BA_WASM_ERR_ARGS);
	CHECK_CONTAINS(diag.message, "argument 1 is i64, expected i32");
	CHECK_EQ_INT(ba_wasm_call(NULL, NULL, 0, NULL, 0, &diag), BA_WASM_ERR_ARGS);

	/* A host trap carries the host's message. */
	args[0] = ba_wasm_i32(99);
	args[1] = ba_wasm_i32(1);
	CHECK_EQ_INT(ba_wasm_call(add, args, 2, &result, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_HOST);
	CHECK_CONTAINS(diag.message, "add refused 99");
	/* ... and the store is still usable. */
	args[0] = ba_wasm_i32(1);
	CHECK_EQ_INT(ba_wasm_call(add, args, 2, &result, 1, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(result.of.i32, 2);

	/* Bad types are refused up front. */
	{
		const ba_wasm_valtype v128[] = {BA_WASM_V128};
		const ba_wasm_functype bad = {1, 0, v128, NULL};
		CHECK(ba_wasm_func_new_host(store, &bad, host_nop, NULL) == NULL);
		CHECK(ba_wasm_func_new_host(store, &type_v_v, NULL, NULL) == NULL);
	}
	ba_wasm_store_free(store);
}

TEST(equal_signatures_are_interned_once)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_valtype params[2] = {BA_WASM_I32, BA_WASM_I32};
	ba_wasm_functype copy = {2, 1, params, i32_1};
	ba_wasm_func *a = ba_wasm_func_new_host(store, &type_ii_i, host_add, NULL);
	ba_wasm_func *b = ba_wasm_func_new_host(store, &copy, host_add, NULL);
	ba_wasm_func *c = ba_wasm_func_new_host(store, &type_i_i, host_double, NULL);

	/* The type was copied, not borrowed. */
	params[0] = BA_WASM_F64;
	CHECK(ba_wasm_func_type(a) == ba_wasm_func_type(b));
	CHECK(ba_wasm_func_type(a) != ba_wasm_func_type(c));
	CHECK_EQ_INT(ba_wasm_func_type(b)->params[0], BA_WASM_I32);
	ba_wasm_store_free(store);
}

TEST(host_functions_see_their_caller)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(hostcall);
	ba_wasm_extern imports[2] = {
	        {.kind = BA_WASM_EXTERN_FUNC,
	         .of.func = ba_wasm_func_new_host(store, &type_ii_i, host_add, NULL)},
	        {.kind = BA_WASM_EXTERN_FUNC,
	         .of.func = ba_wasm_func_new_host(store, &type_i_i, host_peek, store)},
	};
	ba_wasm_instance *inst = INSTANTIATE(store, module, imports, 2);
	ba_wasm_diag diag;
	uint32_t args[2] = {8, 0}, out;

	CHECK(ba_wasm_instance_module(inst) == module);
	CHECK_EQ_INT(call_i32(export_func(inst, "peek"), args, 1, &out, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(out, 0x2a);
	args[0] = 65536;
	CHECK_EQ_INT(call_i32(export_func(inst, "peek"), args, 1, &out, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_HOST);
	CHECK_CONTAINS(diag.message, "peek at 65536 is out of bounds");
	args[0] = 40;
	args[1] = 2;
	CHECK_EQ_INT(call_i32(export_func(inst, "add"), args, 2, &out, &diag), BA_WASM_OK);
	CHECK_EQ_UINT(out, 42);
	args[0] = 99;
	CHECK_EQ_INT(call_i32(export_func(inst, "add"), args, 2, &out, &diag), BA_WASM_ERR_TRAP);
	CHECK_CONTAINS(diag.message, "add refused 99");
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

/* ------------------------------------------------------------------------ */
/* Linking                                                                  */
/* ------------------------------------------------------------------------ */

struct link_env {
	ba_wasm_store *store;
	ba_wasm_module *module;
	ba_wasm_extern imports[5];
	ba_wasm_memory *mem;
	ba_wasm_table *tab;
};

/* Imports that satisfy link.wat. */
static void link_env_init(struct link_env *env)
{
	env->store = ba_wasm_store_new(NULL);
	env->module = LOAD(link);
	env->mem = ba_wasm_memory_new(env->store, range(1, true, 2));
	env->tab = ba_wasm_table_new(env->store, BA_WASM_FUNCREF, range(2, false, 0));
	env->imports[0].kind = BA_WASM_EXTERN_FUNC;
	env->imports[0].of.func = ba_wasm_func_new_host(env->store, &type_i_i, host_double, NULL);
	env->imports[1].kind = BA_WASM_EXTERN_MEMORY;
	env->imports[1].of.memory = env->mem;
	env->imports[2].kind = BA_WASM_EXTERN_TABLE;
	env->imports[2].of.table = env->tab;
	env->imports[3].kind = BA_WASM_EXTERN_GLOBAL;
	env->imports[3].of.global =
	        ba_wasm_global_new(env->store, BA_WASM_I32, false, ba_wasm_i32(100));
	env->imports[4].kind = BA_WASM_EXTERN_GLOBAL;
	env->imports[4].of.global =
	        ba_wasm_global_new(env->store, BA_WASM_I64, true, ba_wasm_i64(0));
}

static void link_env_free(struct link_env *env)
{
	ba_wasm_store_free(env->store);
	ba_wasm_module_release(env->module);
}

/* Instantiation must fail with LINK naming the import. */
static void expect_link_error(struct link_env *env, const char *text, int line)
{
	/* Not NULL, to see that a failure really clears *out. */
	ba_wasm_instance *inst = (ba_wasm_instance *)&inst;
	ba_wasm_diag diag;
	ba_wasm_err err =
	        ba_wasm_instantiate(env->store, env->module, env->imports, 5, &inst, &diag);

	if (err != BA_WASM_ERR_LINK)
		ba_test_fail(__FILE__, line, "expected LINK, got %s (%s)", ba_wasm_err_name(err),
		             diag.message);
	if (inst != NULL)
		ba_test_fail(__FILE__, line, "an instance came back from a failed link");
	if (!strstr(diag.message, text))
		ba_test_fail(__FILE__, line, "\"%s\" does not contain \"%s\"", diag.message, text);
}
#define EXPECT_LINK_ERROR(env, text) expect_link_error(env, text, __LINE__)

TEST(link_succeeds_with_matching_imports)
{
	struct link_env env;
	ba_wasm_instance *inst;
	ba_wasm_extern ex;
	uint32_t arg = 21, out;

	link_env_init(&env);
	inst = INSTANTIATE(env.store, env.module, env.imports, 5);
	CHECK_EQ_INT(call_i32(export_func(inst, "call_f"), &arg, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 42);
	/* The data segment's offset came from the imported global. */
	arg = 101;
	CHECK_EQ_INT(call_i32(export_func(inst, "load"), &arg, 1, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 'i');
	/* Re-exporting an import gives back the very same object. */
	CHECK(ba_wasm_instance_export(inst, "f_again", &ex));
	CHECK(ex.of.func == env.imports[0].of.func);
	CHECK(ba_wasm_instance_memory(inst) == env.mem);

	/* A bigger memory and table than declared are fine (subtyping). */
	env.imports[1].of.memory = ba_wasm_memory_new(env.store, range(3, true, 4));
	env.imports[2].of.table = ba_wasm_table_new(env.store, BA_WASM_FUNCREF, range(5, true, 9));
	INSTANTIATE(env.store, env.module, env.imports, 5);
	link_env_free(&env);
}

TEST(link_errors)
{
	struct link_env env;
	ba_wasm_extern saved;
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	link_env_init(&env);

	/* Import count must match. */
	CHECK_EQ_INT(ba_wasm_instantiate(env.store, env.module, env.imports, 4, &inst, &diag),
	             BA_WASM_ERR_LINK);
	CHECK(inst == NULL);

	/* Missing. */
	saved = env.imports[0];
	env.imports[0].of.func = NULL;
	EXPECT_LINK_ERROR(&env, "unknown import \"env\".\"f\"");
	/* Wrong kind. */
	env.imports[0] = env.imports[1];
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"f\"");
	/* Wrong signature. */
	env.imports[0].kind = BA_WASM_EXTERN_FUNC;
	env.imports[0].of.func = ba_wasm_func_new_host(env.store, &type_i_v, host_nop, NULL);
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"f\"");
	env.imports[0] = saved;

	/* Memory: min too small; no max while one is declared; max too big. */
	saved = env.imports[1];
	env.imports[1].of.memory = ba_wasm_memory_new(env.store, range(0, true, 2));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"mem\"");
	env.imports[1].of.memory = ba_wasm_memory_new(env.store, range(1, false, 0));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"mem\"");
	env.imports[1].of.memory = ba_wasm_memory_new(env.store, range(1, true, 5));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"mem\"");
	env.imports[1] = saved;

	/* Table: element type and size. */
	saved = env.imports[2];
	env.imports[2].of.table =
	        ba_wasm_table_new(env.store, BA_WASM_EXTERNREF, range(2, false, 0));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"tab\"");
	env.imports[2].of.table = ba_wasm_table_new(env.store, BA_WASM_FUNCREF, range(1, false, 0));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"tab\"");
	env.imports[2] = saved;

	/* Globals: type and mutability must both match. */
	saved = env.imports[3];
	env.imports[3].of.global =
	        ba_wasm_global_new(env.store, BA_WASM_I64, false, ba_wasm_i64(1));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"g\"");
	env.imports[3].of.global = ba_wasm_global_new(env.store, BA_WASM_I32, true, ba_wasm_i32(1));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"g\"");
	env.imports[3] = saved;
	saved = env.imports[4];
	env.imports[4].of.global =
	        ba_wasm_global_new(env.store, BA_WASM_I64, false, ba_wasm_i64(1));
	EXPECT_LINK_ERROR(&env, "incompatible import type for \"env\".\"gm\"");
	env.imports[4] = saved;

	/* Everything restored: it links now. */
	INSTANTIATE(env.store, env.module, env.imports, 5);
	link_env_free(&env);
}

TEST(link_refuses_objects_of_another_store)
{
	struct link_env env;
	ba_wasm_store *other = ba_wasm_store_new(NULL);
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	link_env_init(&env);
	env.imports[1].of.memory = ba_wasm_memory_new(other, range(1, true, 2));
	CHECK_EQ_INT(ba_wasm_instantiate(env.store, env.module, env.imports, 5, &inst, &diag),
	             BA_WASM_ERR_ARGS);
	CHECK(inst == NULL);
	CHECK_CONTAINS(diag.message, "another store");
	link_env_free(&env);
	ba_wasm_store_free(other);
}

/* ------------------------------------------------------------------------ */
/* Instantiation order                                                      */
/* ------------------------------------------------------------------------ */

TEST(segment_trap_keeps_earlier_effects)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(segtrap);
	ba_wasm_memory *mem = ba_wasm_memory_new(store, range(1, false, 0));
	ba_wasm_table *tab = ba_wasm_table_new(store, BA_WASM_FUNCREF, range(1, false, 0));
	ba_wasm_extern imports[2] = {
	        {.kind = BA_WASM_EXTERN_MEMORY, .of.memory = mem},
	        {.kind = BA_WASM_EXTERN_TABLE, .of.table = tab},
	};
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;
	char buf[3] = {0};

	CHECK_EQ_INT(ba_wasm_instantiate(store, module, imports, 2, &inst, &diag),
	             BA_WASM_ERR_TRAP);
	CHECK(inst == NULL);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_MEMORY_OOB);
	CHECK_CONTAINS(diag.message, "out of bounds memory access");
	/* The first data segment was written, the failing one not at all. */
	CHECK(ba_wasm_memory_read(mem, 0, buf, 2));
	CHECK_EQ_STR(buf, "ok");
	CHECK(ba_wasm_memory_read(mem, 65535, buf, 1));
	CHECK_EQ_INT(buf[0], 0);
	/* The element segment ran before the data segments; the table now
	 * holds a function of the failed instance, which must stay valid
	 * until the store is freed (ASan would catch it otherwise). */
	CHECK_EQ_UINT(ba_wasm_table_size(tab), 1);
	ba_wasm_module_release(module);
	ba_wasm_store_free(store);
}

TEST(start_function_runs_after_segments)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(start);
	int seen = 0;
	ba_wasm_extern import = {.kind = BA_WASM_EXTERN_FUNC,
	                         .of.func =
	                                 ba_wasm_func_new_host(store, &type_i_v, host_tick, &seen)};
	ba_wasm_instance *inst = INSTANTIATE(store, module, &import, 1);
	ba_wasm_extern ex;

	CHECK_EQ_INT(seen, 42);
	CHECK(ba_wasm_instance_export(inst, "g", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_GLOBAL);
	CHECK_EQ_UINT(ba_wasm_global_get(ex.of.global).of.i32, 42);
	/* Each instance gets its own globals. */
	seen = 0;
	INSTANTIATE(store, module, &import, 1);
	CHECK_EQ_INT(seen, 42);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(start_trap_returns_no_instance)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(start);
	ba_wasm_extern import = {.kind = BA_WASM_EXTERN_FUNC};
	ba_wasm_instance *inst = NULL;
	ba_wasm_diag diag;

	import.of.func = ba_wasm_func_new_host(store, &type_i_v, host_nop, NULL);
	CHECK_EQ_INT(ba_wasm_instantiate(store, module, &import, 1, &inst, &diag), BA_WASM_OK);
	CHECK(inst != NULL);
	/* Too little fuel for the start function's body: it traps. */
	ba_wasm_store_set_fuel(store, 1);
	CHECK_EQ_INT(ba_wasm_instantiate(store, module, &import, 1, &inst, &diag),
	             BA_WASM_ERR_TRAP);
	CHECK(inst == NULL);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

TEST(exports_by_name)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(exports);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	ba_wasm_extern ex;
	uint32_t out;

	CHECK(ba_wasm_instance_export(inst, "f", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_FUNC);
	CHECK_EQ_INT(call_i32(ex.of.func, NULL, 0, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 7);
	CHECK(ba_wasm_instance_export(inst, "", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_FUNC);
	CHECK(ba_wasm_instance_export(inst, "t", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_TABLE);
	CHECK_EQ_UINT(ba_wasm_table_size(ex.of.table), 3);
	CHECK(ba_wasm_instance_export(inst, "m", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_MEMORY);
	CHECK(ex.of.memory == ba_wasm_instance_memory(inst));
	CHECK(ba_wasm_instance_export(inst, "g", &ex));
	CHECK_EQ_INT(ex.kind, BA_WASM_EXTERN_GLOBAL);
	CHECK_EQ_UINT(ba_wasm_global_get(ex.of.global).of.i64, UINT64_MAX);
	CHECK_EQ_INT(ba_wasm_global_set(ex.of.global, ba_wasm_i64(0)), BA_WASM_ERR_ARGS);
	CHECK(!ba_wasm_instance_export(inst, "missing", &ex));
	CHECK(!ba_wasm_instance_export(inst, "ff", &ex));
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                 */
/* ------------------------------------------------------------------------ */

TEST(instances_keep_their_module_alive)
{
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *module = LOAD(exports);
	ba_wasm_instance *inst = INSTANTIATE(store, module, NULL, 0);
	uint32_t out;

	/* The caller's reference goes; the instance's own keeps the code. */
	ba_wasm_module_release(module);
	CHECK_EQ_INT(call_i32(export_func(inst, "f"), NULL, 0, &out, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(out, 7);
	ba_wasm_store_free(store);
}

TEST(store_teardown_frees_everything)
{
	/* Under LeakSanitizer this fails if anything outlives the store. */
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_module *link = LOAD(link);
	ba_wasm_module *start = LOAD(start);
	ba_wasm_module *segtrap = LOAD(segtrap);
	int seen = 0;
	ba_wasm_extern tick = {.kind = BA_WASM_EXTERN_FUNC,
	                       .of.func =
	                               ba_wasm_func_new_host(store, &type_i_v, host_tick, &seen)};
	ba_wasm_memory *mem = ba_wasm_memory_new(store, range(1, true, 2));
	ba_wasm_table *tab = ba_wasm_table_new(store, BA_WASM_FUNCREF, range(2, false, 0));
	ba_wasm_extern link_imports[5] = {
	        {.kind = BA_WASM_EXTERN_FUNC,
	         .of.func = ba_wasm_func_new_host(store, &type_i_i, host_double, NULL)},
	        {.kind = BA_WASM_EXTERN_MEMORY, .of.memory = mem},
	        {.kind = BA_WASM_EXTERN_TABLE, .of.table = tab},
	        {.kind = BA_WASM_EXTERN_GLOBAL,
	         .of.global = ba_wasm_global_new(store, BA_WASM_I32, false, ba_wasm_i32(0))},
	        {.kind = BA_WASM_EXTERN_GLOBAL,
	         .of.global = ba_wasm_global_new(store, BA_WASM_I64, true, ba_wasm_i64(0))},
	};
	ba_wasm_extern seg_imports[2] = {
	        {.kind = BA_WASM_EXTERN_MEMORY, .of.memory = mem},
	        {.kind = BA_WASM_EXTERN_TABLE, .of.table = tab},
	};
	ba_wasm_instance *inst;
	ba_wasm_diag diag;

	for (int i = 0; i < 20; i++) {
		INSTANTIATE(store, link, link_imports, 5);
		INSTANTIATE(store, start, &tick, 1);
		CHECK_EQ_INT(ba_wasm_instantiate(store, segtrap, seg_imports, 2, &inst, &diag),
		             BA_WASM_ERR_TRAP);
		CHECK_EQ_INT(ba_wasm_instantiate(store, start, NULL, 0, &inst, &diag),
		             BA_WASM_ERR_LINK);
	}
	ba_wasm_module_release(link);
	ba_wasm_module_release(start);
	ba_wasm_module_release(segtrap);
	ba_wasm_store_free(store);
}
