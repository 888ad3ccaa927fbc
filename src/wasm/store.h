/*
 * store.h - internals shared by store.c, objects.c and instance.c. The
 * interpreter does not need these; its contract with us is runtime.h.
 */
#ifndef BA_WASM_STORE_H
#define BA_WASM_STORE_H

#include "runtime.h"

/* True for the value types the engine runs (everything but V128). */
bool ba_wasm__valtype_ok(ba_wasm_valtype type);
bool ba_wasm__functype_equal(const ba_wasm_functype *a, const ba_wasm_functype *b);

/* The store's canonical copy of type, made on first sight; NULL only when
 * out of memory. */
const ba_wasm__sig *ba_wasm__intern_sig(ba_wasm_store *store, const ba_wasm_functype *type);

/* Puts obj on the store's list: from then on only ba_wasm_store_free()
 * frees it. */
void ba_wasm__store_link(ba_wasm_store *store, ba_wasm__object *obj);
/* Frees one object of any kind (instances through ba_wasm__instance_free). */
void ba_wasm__object_free(ba_wasm__object *obj);
void ba_wasm__instance_free(ba_wasm_instance *inst);

/*
 * Object constructors that do not link what they make into the store, so
 * that a failed instantiation can throw its half-built objects away. Each
 * returns OK, ARGS (a malformed type), LIMIT (min above the store's cap)
 * or NOMEM.
 */
ba_wasm_err ba_wasm__memory_create(ba_wasm_store *store, ba_wasm_limits_range pages,
                                   ba_wasm_memory **out);
ba_wasm_err ba_wasm__table_create(ba_wasm_store *store, ba_wasm_valtype elem,
                                  ba_wasm_limits_range limits, ba_wasm_table **out);
ba_wasm_global *ba_wasm__global_create(ba_wasm_store *store, ba_wasm_valtype type, bool mutable_,
                                       ba_wasm__slot value);

#endif /* BA_WASM_STORE_H */
