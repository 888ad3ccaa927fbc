/*
 * fuzz_load.c - libFuzzer target: arbitrary bytes through the decoder,
 * validator and compiler.
 *
 * Modules are loaded eagerly, so every body is compiled here whether or
 * not anything would call it, and lazily, which only validates: the two
 * must agree, so the compiler never refuses a body validation accepted.
 *
 * Every input must come back as OK or as an error value with a proper diag,
 * never as a crash, a sanitizer report or a leak. A module that loads is
 * then described import by import and export by export, because those
 * descriptions point into memory the loader built.
 */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Tight caps for a second load of a module that loaded with the defaults:
 * they push the loader into its LIMIT paths halfway through a module it
 * otherwise accepts, where partly built state must be freed.
 */
static const ba_wasm_load_options tight = {
        .max_functions = 3,
        .max_locals = 4,
        .max_body_bytes = 48,
        .eager = true,
};

static const ba_wasm_load_options eager = {.eager = true};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ba_wasm_module *module = NULL, *lazy = NULL;
	ba_wasm_load_options capped;
	ba_wasm_diag diag, lazy_diag;
	ba_wasm_err err, lazy_err;
	uint8_t *copy;

	/*
	 * The bytes are only borrowed: load from a private copy and free it
	 * before looking at the module, so ASan reports any pointer the module
	 * kept into its input.
	 */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	err = ba_wasm_module_load(copy, size, &eager, &module, &diag);
	free(copy);

	/* Lazy loading decodes and validates the same way and compiles
	 * nothing: it fails exactly where eager loading fails before the
	 * compiler, and the compiler may only run out of memory. */
	lazy_err = ba_wasm_module_load(data, size, NULL, &lazy, &lazy_diag);
	if (lazy_err == BA_WASM_OK)
		ba_wasm_module_release(lazy);
	else
		ba_fuzz_check_diag(lazy_err, &lazy_diag);
	if (err == BA_WASM_OK && lazy_err != BA_WASM_OK && lazy_err != BA_WASM_ERR_NOMEM)
		ba_fuzz_fail("loads eagerly but lazily fails with %s: %s",
		             ba_wasm_err_name(lazy_err), lazy_diag.message);
	if (err != BA_WASM_OK && lazy_err == BA_WASM_OK && err != BA_WASM_ERR_NOMEM)
		ba_fuzz_fail("the compiler refused a valid module with %s: %s",
		             ba_wasm_err_name(err), diag.message);

	if (err != BA_WASM_OK) {
		ba_fuzz_check_diag(err, &diag);
		return 0;
	}
	if (!module)
		ba_fuzz_fail("load returned OK and a NULL module");

	ba_fuzz_check_module(module);
	ba_wasm_module_release(ba_wasm_module_retain(module));
	ba_fuzz_check_module(module);
	ba_wasm_module_release(module);

	/* The same valid bytes under caps can only fail with LIMIT. */
	module = NULL;
	err = ba_wasm_module_load(data, size, &tight, &module, &diag);
	if (err == BA_WASM_OK)
		ba_wasm_module_release(module);
	else if (err != BA_WASM_ERR_LIMIT && err != BA_WASM_ERR_NOMEM)
		ba_fuzz_fail("a module valid by default failed with %s under caps: %s",
		             ba_wasm_err_name(err), diag.message);
	else
		ba_fuzz_check_diag(err, &diag);

	/* And a size cap one byte short of the module. */
	if (size > 1) {
		capped = (ba_wasm_load_options){.max_module_bytes = size - 1};
		module = NULL;
		err = ba_wasm_module_load(data, size, &capped, &module, &diag);
		if (err != BA_WASM_ERR_LIMIT)
			ba_fuzz_fail("a %zu-byte module under a %zu-byte cap gave %s", size,
			             size - 1, ba_wasm_err_name(err));
		ba_fuzz_check_diag(err, &diag);
	}
	return 0;
}
