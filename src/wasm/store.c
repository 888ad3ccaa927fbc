/*
 * store.c - stores: limits, fuel, deadline, interrupts, the object list and
 * signature interning.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_MEMORY_BYTES ((uint64_t)BA_WASM_MAX_PAGES * BA_WASM_PAGE_SIZE)
#define DEFAULT_MAX_TABLE_ELEMS  10000000u
#define DEFAULT_MAX_CALL_DEPTH   10000u
#define DEFAULT_MAX_STACK_BYTES  (8u * 1024 * 1024)

ba_wasm_store *ba_wasm_store_new(const ba_wasm_limits *limits)
{
	ba_wasm_store *store = calloc(1, sizeof(*store));

	if (!store)
		return NULL;
	if (limits)
		store->limits = *limits;
	if (!store->limits.max_memory_bytes)
		store->limits.max_memory_bytes = DEFAULT_MAX_MEMORY_BYTES;
	if (!store->limits.max_table_elems)
		store->limits.max_table_elems = DEFAULT_MAX_TABLE_ELEMS;
	if (!store->limits.max_call_depth)
		store->limits.max_call_depth = DEFAULT_MAX_CALL_DEPTH;
	if (!store->limits.max_stack_bytes)
		store->limits.max_stack_bytes = DEFAULT_MAX_STACK_BYTES;
	store->deadline_ns = store->limits.deadline_ns;
	atomic_init(&store->interrupt_requested, 0);
	ba_wasm_store_set_fuel(store, store->limits.fuel);
	return store;
}

void ba_wasm_store_free(ba_wasm_store *store)
{
	ba_wasm__object *obj, *next;
	ba_wasm__sig *sig, *next_sig;

	if (!store)
		return;
	/* Objects may point at each other (tables hold funcs, instances hold
	 * imports), but freeing one never looks at another, so any order
	 * works. */
	for (obj = store->objects; obj; obj = next) {
		next = obj->next_in_store;
		ba_wasm__object_free(obj);
	}
	for (sig = store->sigs; sig; sig = next_sig) {
		next_sig = sig->next;
		free(sig);
	}
	free(store->sig_index);
	free(store->value_stack);
	free(store->frame_stack);
	free(store);
}

void ba_wasm__store_link(ba_wasm_store *store, ba_wasm__object *obj)
{
	obj->store = store;
	obj->next_in_store = store->objects;
	store->objects = obj;
}

/* ------------------------------------------------------------------------ */
/* Fuel, deadline, interrupts                                               */
/* ------------------------------------------------------------------------ */

/*
 * fuel_left is what the interpreter charges. With fuel disabled it starts at
 * INT64_MAX so that counting can go on (fuel_consumed stays meaningful) with
 * no risk of reaching zero in any realistic run.
 */
void ba_wasm_store_set_fuel(ba_wasm_store *store, uint64_t fuel)
{
	store->fuel_set = fuel;
	store->fuel_enabled = fuel != 0;
	if (fuel == 0 || fuel > (uint64_t)INT64_MAX)
		store->fuel_left = INT64_MAX;
	else
		store->fuel_left = (int64_t)fuel;
}

uint64_t ba_wasm_store_fuel_remaining(const ba_wasm_store *store)
{
	if (!store->fuel_enabled)
		return UINT64_MAX;
	return store->fuel_left > 0 ? (uint64_t)store->fuel_left : 0;
}

uint64_t ba_wasm_store_fuel_consumed(const ba_wasm_store *store)
{
	uint64_t start = INT64_MAX;
	uint64_t left = store->fuel_left > 0 ? (uint64_t)store->fuel_left : 0;

	if (store->fuel_enabled && store->fuel_set < start)
		start = store->fuel_set;
	/* A charge that overdrew the budget trapped before its block ran, so
	 * what was consumed is at most the budget itself. */
	return left < start ? start - left : 0;
}

void ba_wasm_store_set_deadline(ba_wasm_store *store, uint64_t deadline_ns)
{
	store->deadline_ns = deadline_ns;
}

/* A lock-free atomic store: safe from signal handlers and other threads. */
void ba_wasm_store_interrupt(ba_wasm_store *store)
{
	atomic_store(&store->interrupt_requested, 1);
}

void ba_wasm_store_clear_interrupt(ba_wasm_store *store)
{
	atomic_store(&store->interrupt_requested, 0);
}

/* ------------------------------------------------------------------------ */
/* Signature interning                                                      */
/* ------------------------------------------------------------------------ */

bool ba_wasm__valtype_ok(ba_wasm_valtype type)
{
	switch (type) {
	case BA_WASM_I32:
	case BA_WASM_I64:
	case BA_WASM_F32:
	case BA_WASM_F64:
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		return true;
	case BA_WASM_V128:
		break;
	}
	return false;
}

static bool types_equal(const ba_wasm_valtype *a, const ba_wasm_valtype *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

bool ba_wasm__functype_equal(const ba_wasm_functype *a, const ba_wasm_functype *b)
{
	return a->param_count == b->param_count && a->result_count == b->result_count &&
	       types_equal(a->params, b->params, a->param_count) &&
	       types_equal(a->results, b->results, a->result_count);
}

/* FNV-1a over the counts and the type bytes. */
static uint64_t hash_step(uint64_t h, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		h ^= (v >> (8 * i)) & 0xFF;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t functype_hash(const ba_wasm_functype *t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_step(h, t->param_count);
	for (uint32_t i = 0; i < t->param_count; i++)
		h = hash_step(h, (uint32_t)t->params[i]);
	h = hash_step(h, t->result_count);
	for (uint32_t i = 0; i < t->result_count; i++)
		h = hash_step(h, (uint32_t)t->results[i]);
	return h;
}

static void index_put(ba_wasm__sig **index, size_t cap, ba_wasm__sig *sig)
{
	size_t i = (size_t)functype_hash(&sig->type) & (cap - 1);

	while (index[i])
		i = (i + 1) & (cap - 1);
	index[i] = sig;
}

/* Keeps the index at most half full. */
static bool index_reserve(ba_wasm_store *store)
{
	size_t cap = store->sig_index_cap ? store->sig_index_cap : 64;
	ba_wasm__sig **index;

	while ((store->sig_count + 1) * 2 > cap) {
		if (cap > SIZE_MAX / 2 / sizeof(*index))
			return false;
		cap *= 2;
	}
	if (cap == store->sig_index_cap)
		return true;
	index = calloc(cap, sizeof(*index));
	if (!index)
		return false;
	for (ba_wasm__sig *s = store->sigs; s; s = s->next)
		index_put(index, cap, s);
	free(store->sig_index);
	store->sig_index = index;
	store->sig_index_cap = cap;
	return true;
}

const ba_wasm__sig *ba_wasm__intern_sig(ba_wasm_store *store, const ba_wasm_functype *type)
{
	size_t n, i;
	ba_wasm__sig *sig;
	ba_wasm_valtype *arrays;

	if (store->sig_index_cap) {
		i = (size_t)functype_hash(type) & (store->sig_index_cap - 1);
		for (; store->sig_index[i]; i = (i + 1) & (store->sig_index_cap - 1))
			if (ba_wasm__functype_equal(&store->sig_index[i]->type, type))
				return store->sig_index[i];
	}
	if (!index_reserve(store))
		return NULL;

	/* One allocation: the sig followed by its params and results. */
	n = (size_t)type->param_count + type->result_count;
	if (n > (SIZE_MAX - sizeof(*sig)) / sizeof(ba_wasm_valtype))
		return NULL;
	sig = malloc(sizeof(*sig) + n * sizeof(ba_wasm_valtype));
	if (!sig)
		return NULL;
	arrays = (ba_wasm_valtype *)(sig + 1);
	if (type->param_count)
		memcpy(arrays, type->params, type->param_count * sizeof(ba_wasm_valtype));
	if (type->result_count)
		memcpy(arrays + type->param_count, type->results,
		       type->result_count * sizeof(ba_wasm_valtype));
	sig->type.param_count = type->param_count;
	sig->type.result_count = type->result_count;
	sig->type.params = arrays;
	sig->type.results = arrays + type->param_count;
	sig->param_slots = type->param_count;
	sig->result_slots = type->result_count;
	sig->next = store->sigs;
	store->sigs = sig;
	store->sig_count++;
	index_put(store->sig_index, store->sig_index_cap, sig);
	return sig;
}
