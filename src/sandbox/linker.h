/*
 * linker.h - resolves a module's imports against host functions by name.
 *
 * The WASI host (wasi.h) and the boxagent ABI (tool/abi.c) each define
 * their functions here; instantiation then fills the import array in the
 * module's order. An import nobody defined, or one whose type differs
 * from the definition, fails instantiation with a message naming it
 * ("tool imports env.system (func (param i32) (result i32)), which
 * boxagent does not provide") - never a silent stub.
 */
#ifndef BA_SANDBOX_LINKER_H
#define BA_SANDBOX_LINKER_H

#include <stddef.h>

#include "wasm/wasm.h"

#define BA_LINKER_MAX_FUNCS 256

typedef struct ba_linker ba_linker;

ba_linker *ba_linker_new(void);
void ba_linker_free(ba_linker *linker);

/*
 * Defines module.name with the signature sig: parameter letters, ':',
 * result letters, with i = i32, I = i64, f = f32, F = f64. "iii:i" is
 * (i32 i32 i32) -> i32; ":" is () -> (). Strings are borrowed and must
 * outlive the linker (string literals in practice). 0, or -1 when the
 * table is full or sig is malformed.
 */
int ba_linker_define(ba_linker *linker, const char *module, const char *name, const char *sig,
                     ba_wasm_host_fn fn, void *user);

/*
 * Creates the host functions in store and instantiates module.
 * On failure returns the error; diag->message says what (for unresolved
 * imports as above). *out is owned by the store.
 */
ba_wasm_err ba_linker_instantiate(ba_linker *linker, ba_wasm_store *store, ba_wasm_module *module,
                                  ba_wasm_instance **out, ba_wasm_diag *diag);

#endif
