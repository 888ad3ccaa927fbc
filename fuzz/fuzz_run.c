/*
 * fuzz_run.c - libFuzzer target: load, instantiate and run every exported
 * function of whatever module the input is, inside small limits.
 *
 * Two input forms:
 *
 *   plain   the whole input is a module. Every import gets a type-correct
 *           dummy (host functions return zeros; fresh memories, tables and
 *           zero globals of exactly the declared types) and every exported
 *           function is called once, in export order, with zero arguments.
 *
 *   tape    "BAFZ", a little-endian u32 length L, L bytes of module, then
 *           a tape of bytes that the run draws from: the fuel budget,
 *           argument values, host-function results, and what each host
 *           call does besides returning (trap, grow memory, call back into
 *           the guest). Random arguments and re-entry reach far more of the
 *           interpreter than zeros do, while the module part still mutates
 *           like a plain module. fuzz/make-corpus.sh writes tape seeds.
 *
 * Every outcome must be a value (OK, TRAP, LIMIT, ...) and the store's
 * limits must hold afterwards; anything else aborts (check.h).
 */
#include "check.h"
#include "imports.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUEL           100000u
#define MAX_MEMORY     (16u << 20)
#define MAX_CALL_DEPTH 200u
#define MAX_TABLE      10000u
/* Host functions calling back into the guest may nest this deep. */
#define MAX_REENTRY 3

static const uint8_t tape_magic[4] = {'B', 'A', 'F', 'Z'};

struct tape {
	const uint8_t *p;
	size_t len, pos;
};

struct run {
	struct tape tape;
	bool tape_mode;
	ba_wasm_store *store;
	ba_wasm_instance *instance; /* NULL until instantiation returns */
	ba_wasm_module *module;
	int depth;
};

/* The next n (<= 8) tape bytes as a little-endian number; the tape wraps
 * around, and an empty tape reads as zeros. */
static uint64_t tape_bytes(struct tape *t, unsigned n)
{
	uint64_t v = 0;

	if (t->len == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		v |= (uint64_t)t->p[t->pos] << (8 * i);
		t->pos = (t->pos + 1) % t->len;
	}
	return v;
}

/* A value of the given type from the tape. Function references stay null:
 * the tape cannot name a real function. */
static ba_wasm_value tape_value(struct run *run, ba_wasm_valtype type)
{
	ba_wasm_value v = ba_fuzz_zero_value(type);

	if (!run->tape_mode)
		return v;
	switch (type) {
	case BA_WASM_I32:
		v.of.i32 = (uint32_t)tape_bytes(&run->tape, 4);
		break;
	case BA_WASM_F32:
		v.of.f32_bits = (uint32_t)tape_bytes(&run->tape, 4);
		break;
	case BA_WASM_I64:
		v.of.i64 = tape_bytes(&run->tape, 8);
		break;
	case BA_WASM_F64:
		v.of.f64_bits = tape_bytes(&run->tape, 8);
		break;
	case BA_WASM_EXTERNREF:
		/* Opaque to the engine, which must never dereference it. */
		v.of.externref = (uintptr_t)tape_bytes(&run->tape, 8);
		break;
	case BA_WASM_FUNCREF:
	case BA_WASM_V128:
		break;
	}
	return v;
}

/* The memory and table caps hold after anything the guest did. */
static void check_limits(const struct run *run)
{
	ba_wasm_memory *mem;

	if (!run->instance)
		return;
	mem = ba_wasm_instance_memory(run->instance);
	if (mem && ba_wasm_memory_size(mem) > MAX_MEMORY)
		ba_fuzz_fail("memory is %llu bytes, cap %u",
		             (unsigned long long)ba_wasm_memory_size(mem), MAX_MEMORY);
}

/* Calls func with arguments from the tape (zeros in plain mode). */
static void call_func(struct run *run, ba_wasm_func *func)
{
	const ba_wasm_functype *type = ba_wasm_func_type(func);
	ba_wasm_value *args, *results;
	ba_wasm_diag diag;
	ba_wasm_err err;

	args = calloc(type->param_count + 1u, sizeof(*args));
	results = calloc(type->result_count + 1u, sizeof(*results));
	if (!args || !results)
		goto out;
	for (uint32_t i = 0; i < type->param_count; i++)
		args[i] = tape_value(run, type->params[i]);
	err = ba_wasm_call(func, args, type->param_count, results, type->result_count, &diag);
	if (err == BA_WASM_OK)
		ba_fuzz_check_results(type, results);
	else
		ba_fuzz_check_diag(err, &diag);
	/* The arguments match the signature exactly, so ARGS is a bug. */
	if (err == BA_WASM_ERR_ARGS)
		ba_fuzz_fail("call with matching arguments gave ARGS: %s", diag.message);
	check_limits(run);
out:
	free(args);
	free(results);
}

/* A host function re-entering the guest calls its first exported function. */
static void reenter(struct run *run)
{
	uint32_t n = ba_wasm_module_export_count(run->module);

	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_export_desc d;
		ba_wasm_extern ext;

		ba_wasm_module_export(run->module, i, &d);
		if (d.type.kind != BA_WASM_EXTERN_FUNC || strlen(d.name) != d.name_len)
			continue;
		if (ba_wasm_instance_export(run->instance, d.name, &ext) &&
		    ext.kind == BA_WASM_EXTERN_FUNC) {
			run->depth++;
			call_func(run, ext.of.func);
			run->depth--;
		}
		return;
	}
}

/*
 * The dummy for every imported function: results from the tape (zeros in
 * plain mode) and, in tape mode, sometimes a side effect the engine has to
 * survive while guest frames are live below the host frame.
 */
static ba_wasm_err host_dummy(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	const ba_fuzz_import *imp = user;
	const ba_wasm_functype *type = &imp->desc.type.func;
	struct run *run = imp->ctx;
	ba_wasm_memory *mem;
	uint8_t byte;

	if (ba_wasm_caller_store(caller) != run->store)
		ba_fuzz_fail("host function sees a caller store that is not its own");
	/* A re-exported import called straight from the host has no calling
	 * instance; any other caller is the one instance there is. */
	if (run->instance && ba_wasm_caller_instance(caller) &&
	    ba_wasm_caller_instance(caller) != run->instance)
		ba_fuzz_fail("host function sees a caller instance that is not the only one");

	for (uint32_t i = 0; i < type->result_count; i++)
		results[i] = tape_value(run, type->results[i]);
	if (!run->tape_mode)
		return BA_WASM_OK;

	switch (tape_bytes(&run->tape, 1) % 8) {
	case 0:
		return ba_wasm_caller_trap(caller, "fuzz host trap in %s", imp->desc.name);
	case 1:
		mem = ba_wasm_caller_memory(caller);
		if (mem)
			(void)ba_wasm_memory_grow(mem, tape_bytes(&run->tape, 1) % 4);
		break;
	case 2:
		/* Bounds-checked reads at guest-chosen addresses must not fault. */
		mem = ba_wasm_caller_memory(caller);
		if (mem && type->param_count > 0 && type->params[0] == BA_WASM_I32)
			(void)ba_wasm_memory_read(mem, args[0].of.i32, &byte, 1);
		else if (mem)
			(void)ba_wasm_memory_read(mem, tape_bytes(&run->tape, 4), &byte, 1);
		break;
	case 3:
		/* Instantiation runs the start function before run->instance
		 * is known; re-entry waits until then. */
		if (run->instance && run->depth < MAX_REENTRY)
			reenter(run);
		break;
	default:
		break;
	}
	return BA_WASM_OK;
}

/* Splits a tape-form input; false for a plain one. */
static bool split_tape(const uint8_t *data, size_t size, struct run *run, const uint8_t **wasm,
                       size_t *wasm_len)
{
	uint32_t len;

	if (size < 8 || memcmp(data, tape_magic, sizeof(tape_magic)) != 0)
		return false;
	len = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
	      (uint32_t)data[7] << 24;
	if (len > size - 8)
		return false;
	*wasm = data + 8;
	*wasm_len = len;
	run->tape.p = data + 8 + len;
	run->tape.len = size - 8 - len;
	run->tape_mode = true;
	return true;
}

/* Calls every exported function once, in export order. */
static void call_exports(struct run *run, uint64_t fuel)
{
	uint32_t n = ba_wasm_module_export_count(run->module);

	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_export_desc d;
		ba_wasm_extern ext;

		ba_wasm_module_export(run->module, i, &d);
		/* The lookup takes a C string; a name with a NUL inside cannot
		 * be asked for. */
		if (strlen(d.name) != d.name_len)
			continue;
		if (!ba_wasm_instance_export(run->instance, d.name, &ext))
			ba_fuzz_fail("export %u \"%s\" is declared but not found", i, d.name);
		if (ext.kind != d.type.kind)
			ba_fuzz_fail("export \"%s\" is kind %d, declared %d", d.name, (int)ext.kind,
			             (int)d.type.kind);
		if (ext.kind != BA_WASM_EXTERN_FUNC)
			continue;
		if (ba_wasm_func_type(ext.of.func)->param_count != d.type.func.param_count)
			ba_fuzz_fail("export \"%s\" has a different arity than declared", d.name);
		/* Each export gets a fresh budget so an early spin does not starve
		 * the rest. */
		ba_wasm_store_set_fuel(run->store, fuel);
		call_func(run, ext.of.func);
		if (ba_wasm_store_fuel_remaining(run->store) > fuel)
			ba_fuzz_fail("fuel remaining %llu is above the budget %llu",
			             (unsigned long long)ba_wasm_store_fuel_remaining(run->store),
			             (unsigned long long)fuel);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ba_wasm_limits limits = {
	        .max_memory_bytes = MAX_MEMORY,
	        .max_table_elems = MAX_TABLE,
	        .max_call_depth = MAX_CALL_DEPTH,
	        .fuel = FUEL,
	};
	struct run run = {0};
	const uint8_t *wasm = data;
	size_t wasm_len = size;
	ba_fuzz_import *imports = NULL;
	ba_wasm_extern *externs = NULL;
	uint32_t n_imports;
	uint64_t fuel = FUEL;
	ba_wasm_diag diag;
	ba_wasm_err err;

	if (split_tape(data, size, &run, &wasm, &wasm_len))
		/* From 1000 to 256000, so fuel runs out at many different
		 * places, each of which must unwind cleanly. */
		fuel = 1000u * (tape_bytes(&run.tape, 1) + 1);

	err = ba_wasm_module_load(wasm, wasm_len, NULL, &run.module, &diag);
	if (err != BA_WASM_OK) {
		ba_fuzz_check_diag(err, &diag);
		return 0;
	}
	run.store = ba_wasm_store_new(&limits);
	if (!run.store)
		goto out;
	ba_wasm_store_set_fuel(run.store, fuel);

	n_imports = ba_wasm_module_import_count(run.module);
	imports = calloc(n_imports + 1u, sizeof(*imports));
	externs = calloc(n_imports + 1u, sizeof(*externs));
	if (!imports || !externs)
		goto out;
	/* An import the store refuses (a memory above the cap, say) leaves
	 * nothing to run; that is a fine outcome, not a finding. */
	if (ba_fuzz_make_imports(run.store, run.module, host_dummy, &run, false, imports,
	                         externs) != n_imports)
		goto out;

	err = ba_wasm_instantiate(run.store, run.module, externs, n_imports, &run.instance, &diag);
	if (err != BA_WASM_OK) {
		ba_fuzz_check_diag(err, &diag);
		/* Every import has exactly the declared type. */
		if (err == BA_WASM_ERR_LINK || err == BA_WASM_ERR_ARGS)
			ba_fuzz_fail("dummy imports rejected with %s: %s", ba_wasm_err_name(err),
			             diag.message);
		goto out;
	}
	if (ba_wasm_instance_module(run.instance) != run.module)
		ba_fuzz_fail("instance reports a different module");
	check_limits(&run);
	call_exports(&run, fuel);
out:
	ba_wasm_store_free(run.store);
	ba_wasm_module_release(run.module);
	free(imports);
	free(externs);
	return 0;
}
