/*
 * imports.h - type-correct stand-ins for every import of a module, shared
 * by the libFuzzer targets and the differential driver.
 *
 * Fuzzed modules import whatever they like, and a module whose imports are
 * not satisfied never gets past instantiation, so the harnesses make a
 * dummy of exactly the declared type for each one: that way the fuzzers
 * reach the code that runs guest functions instead of stopping at LINK.
 */
#ifndef BA_FUZZ_IMPORTS_H
#define BA_FUZZ_IMPORTS_H

#include "wasm/wasm.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * One import of the module being run. A host function made for it gets a
 * pointer to this as its user word, so the array must outlive every call
 * into the instance.
 */
typedef struct ba_fuzz_import {
	ba_wasm_import_desc desc; /* strings owned by the module */
	uint32_t index;           /* position in the import list */
	void *ctx;                /* the harness's own state, passed through */
} ba_fuzz_import;

/* The zero value of a type: 0, +0.0, or a null reference. */
ba_wasm_value ba_fuzz_zero_value(ba_wasm_valtype type);

/*
 * Makes a stand-in in store for each of the module's imports, in order:
 * a host function `fn` (user = &imports[i]) for a function import and, if
 * funcs_only is false, a fresh memory or table with exactly the declared
 * limits or a global holding zero. imports and externs must each have room
 * for ba_wasm_module_import_count(module) entries; ctx is copied into each
 * imports[i].ctx.
 *
 * Returns the index of the first import that could not be provided (not a
 * function while funcs_only, or refused by the store's limits or out of
 * memory), or the import count when all were.
 */
uint32_t ba_fuzz_make_imports(ba_wasm_store *store, const ba_wasm_module *module,
                              ba_wasm_host_fn fn, void *ctx, bool funcs_only,
                              ba_fuzz_import *imports, ba_wasm_extern *externs);

#endif /* BA_FUZZ_IMPORTS_H */
