/*
 * imports.c - type-correct stand-ins for a module's imports (imports.h).
 */
#include "imports.h"

#include <string.h>

ba_wasm_value ba_fuzz_zero_value(ba_wasm_valtype type)
{
	ba_wasm_value v;

	/* Zero the whole union first so a 32-bit value has no stray high bits
	 * and a reference is a real null. */
	memset(&v, 0, sizeof(v));
	v.type = type;
	return v;
}

/* Makes the stand-in for one import; false when the store refused it. */
static bool make_one(ba_wasm_store *store, ba_wasm_host_fn fn, bool funcs_only, ba_fuzz_import *imp,
                     ba_wasm_extern *ext)
{
	const ba_wasm_externtype *type = &imp->desc.type;

	ext->kind = type->kind;
	switch (type->kind) {
	case BA_WASM_EXTERN_FUNC:
		ext->of.func = ba_wasm_func_new_host(store, &type->func, fn, imp);
		return ext->of.func != NULL;
	case BA_WASM_EXTERN_TABLE:
		if (funcs_only)
			return false;
		ext->of.table = ba_wasm_table_new(store, type->table.elem, type->table.limits);
		return ext->of.table != NULL;
	case BA_WASM_EXTERN_MEMORY:
		if (funcs_only)
			return false;
		ext->of.memory = ba_wasm_memory_new(store, type->memory);
		return ext->of.memory != NULL;
	case BA_WASM_EXTERN_GLOBAL:
		if (funcs_only)
			return false;
		ext->of.global = ba_wasm_global_new(store, type->global.type, type->global.mutable_,
		                                    ba_fuzz_zero_value(type->global.type));
		return ext->of.global != NULL;
	}
	return false;
}

uint32_t ba_fuzz_make_imports(ba_wasm_store *store, const ba_wasm_module *module,
                              ba_wasm_host_fn fn, void *ctx, bool funcs_only,
                              ba_fuzz_import *imports, ba_wasm_extern *externs)
{
	uint32_t n = ba_wasm_module_import_count(module);

	for (uint32_t i = 0; i < n; i++) {
		imports[i].index = i;
		imports[i].ctx = ctx;
		ba_wasm_module_import(module, i, &imports[i].desc);
		if (!make_one(store, fn, funcs_only, &imports[i], &externs[i]))
			return i;
	}
	return n;
}
