/*
 * check.h - the engine's documented promises, checked by the fuzzers.
 *
 * A sanitizer only catches memory and UB errors. These checks turn a broken
 * API promise (an export name that is not valid UTF-8, a diag without a
 * message, a memory grown past the store's cap) into an abort, which
 * libFuzzer treats like any crash: it saves the input that caused it.
 */
#ifndef BA_FUZZ_CHECK_H
#define BA_FUZZ_CHECK_H

#include "wasm/wasm.h"

/* Prints "fuzz: invariant broken: ..." to stderr and aborts. */
_Noreturn void ba_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failed call filled diag as wasm.h says: same err, a terminated
 * one-line message, a trap kind only for TRAP. */
void ba_fuzz_check_diag(ba_wasm_err err, const ba_wasm_diag *diag);

/* Every import and export description is well formed: names are valid
 * UTF-8 and NUL-terminated, types and limits are ones validation allows. */
void ba_fuzz_check_module(const ba_wasm_module *module);

/* The result values of a successful call have the declared types. */
void ba_fuzz_check_results(const ba_wasm_functype *type, const ba_wasm_value *results);

#endif /* BA_FUZZ_CHECK_H */
