/*
 * objects.c - functions, linear memories, tables and globals: creation,
 * growth, the bounds-checked host accessors, and freeing.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------------ */
/* Functions                                                                */
/* ------------------------------------------------------------------------ */

ba_wasm_func *ba_wasm_func_new_host(ba_wasm_store *store, const ba_wasm_functype *type,
                                    ba_wasm_host_fn fn, void *user)
{
	const ba_wasm__sig *sig;
	ba_wasm_func *func;

	if (!store || !type || !fn)
		return NULL;
	if ((type->param_count && !type->params) || (type->result_count && !type->results))
		return NULL;
	for (uint32_t i = 0; i < type->param_count; i++)
		if (!ba_wasm__valtype_ok(type->params[i]))
			return NULL;
	for (uint32_t i = 0; i < type->result_count; i++)
		if (!ba_wasm__valtype_ok(type->results[i]))
			return NULL;
	sig = ba_wasm__intern_sig(store, type);
	if (!sig)
		return NULL;
	func = calloc(1, sizeof(*func));
	if (!func)
		return NULL;
	func->obj.kind = BA_WASM__OBJ_FUNC;
	func->sig = sig;
	func->is_host = true;
	func->host = fn;
	func->host_user = user;
	ba_wasm__store_link(store, &func->obj);
	return func;
}

const ba_wasm_functype *ba_wasm_func_type(const ba_wasm_func *func)
{
	return &func->sig->type;
}

/* ------------------------------------------------------------------------ */
/* Linear memories                                                          */
/* ------------------------------------------------------------------------ */

/*
 * A memory reserves address space for its effective maximum up front
 * (PROT_NONE, MAP_NORESERVE: no commit charge) and makes pages accessible
 * as it grows. So `data` never moves and growth never copies. A memory with
 * a maximum of 0 pages still reserves one page so that `data` is a real,
 * non-NULL address for zero-length spans.
 */
static uint64_t cap_pages(const ba_wasm_store *store)
{
	uint64_t pages = store->limits.max_memory_bytes / BA_WASM_PAGE_SIZE;

	return pages < BA_WASM_MAX_PAGES ? pages : BA_WASM_MAX_PAGES;
}

static void *reserve_pages(uint64_t bytes)
{
	return mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
	            0);
}

ba_wasm_err ba_wasm__memory_create(ba_wasm_store *store, ba_wasm_limits_range pages,
                                   ba_wasm_memory **out)
{
	uint64_t max_pages, reserve, initial;
	ba_wasm_memory *mem;
	void *data;

	*out = NULL;
	if (pages.min > BA_WASM_MAX_PAGES ||
	    (pages.has_max && (pages.max > BA_WASM_MAX_PAGES || pages.max < pages.min)))
		return BA_WASM_ERR_ARGS;
	max_pages = cap_pages(store);
	if (pages.has_max && pages.max < max_pages)
		max_pages = pages.max;
	if (pages.min > max_pages)
		return BA_WASM_ERR_LIMIT;

	initial = pages.min * BA_WASM_PAGE_SIZE;
	if (initial > SIZE_MAX)
		return BA_WASM_ERR_NOMEM;
	reserve = max_pages ? max_pages * BA_WASM_PAGE_SIZE : BA_WASM_PAGE_SIZE;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return BA_WASM_ERR_NOMEM;
	data = reserve <= SIZE_MAX ? reserve_pages(reserve) : MAP_FAILED;
	if (data == MAP_FAILED && reserve > initial && reserve > BA_WASM_PAGE_SIZE) {
		/* Address space is short (RLIMIT_AS, a 32-bit host): make do with
		 * the minimum. memory.grow then returns -1, which the spec allows,
		 * instead of instantiation failing. */
		reserve = initial ? initial : BA_WASM_PAGE_SIZE;
		data = reserve_pages(reserve);
	}
	if (data == MAP_FAILED) {
		free(mem);
		return BA_WASM_ERR_NOMEM;
	}
	if (initial && mprotect(data, (size_t)initial, PROT_READ | PROT_WRITE) != 0) {
		munmap(data, (size_t)reserve);
		free(mem);
		return BA_WASM_ERR_NOMEM;
	}
	mem->obj.kind = BA_WASM__OBJ_MEMORY;
	mem->obj.store = store;
	mem->data = data;
	mem->size = initial;
	mem->max_pages = max_pages;
	mem->type = pages;
	mem->reserved = reserve;
	*out = mem;
	return BA_WASM_OK;
}

ba_wasm_memory *ba_wasm_memory_new(ba_wasm_store *store, ba_wasm_limits_range pages)
{
	ba_wasm_memory *mem;

	if (!store || ba_wasm__memory_create(store, pages, &mem) != BA_WASM_OK)
		return NULL;
	ba_wasm__store_link(store, &mem->obj);
	return mem;
}

int64_t ba_wasm__memory_grow_pages(ba_wasm_memory *memory, uint64_t delta_pages)
{
	uint64_t old_pages = memory->size / BA_WASM_PAGE_SIZE;
	uint64_t new_size;

	if (delta_pages > memory->max_pages - old_pages)
		return -1;
	if (delta_pages == 0)
		return (int64_t)old_pages;
	new_size = (old_pages + delta_pages) * BA_WASM_PAGE_SIZE;
	if (new_size > memory->reserved)
		return -1;
	/* The new pages have never been accessible, so they read as zero. */
	if (mprotect(memory->data + memory->size, (size_t)(new_size - memory->size),
	             PROT_READ | PROT_WRITE) != 0)
		return -1;
	memory->size = new_size;
	memory->type.min = old_pages + delta_pages;
	return (int64_t)old_pages;
}

int64_t ba_wasm_memory_grow(ba_wasm_memory *memory, uint64_t delta_pages)
{
	return memory ? ba_wasm__memory_grow_pages(memory, delta_pages) : -1;
}

uint64_t ba_wasm_memory_size(const ba_wasm_memory *memory)
{
	return memory ? memory->size : 0;
}

/* [addr, addr+len) inside [0, size), without overflow. */
static bool in_bounds(uint64_t size, uint64_t addr, uint64_t len)
{
	return addr <= size && len <= size - addr;
}

bool ba_wasm_memory_read(const ba_wasm_memory *memory, uint64_t addr, void *dst, size_t len)
{
	if (!memory || !in_bounds(memory->size, addr, len))
		return false;
	if (len)
		memcpy(dst, memory->data + addr, len);
	return true;
}

bool ba_wasm_memory_write(ba_wasm_memory *memory, uint64_t addr, const void *src, size_t len)
{
	if (!memory || !in_bounds(memory->size, addr, len))
		return false;
	if (len)
		memcpy(memory->data + addr, src, len);
	return true;
}

uint8_t *ba_wasm_memory_span(ba_wasm_memory *memory, uint64_t addr, uint64_t len)
{
	if (!memory || !in_bounds(memory->size, addr, len))
		return NULL;
	return memory->data + addr;
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

ba_wasm_err ba_wasm__table_create(ba_wasm_store *store, ba_wasm_valtype elem,
                                  ba_wasm_limits_range limits, ba_wasm_table **out)
{
	uint64_t max;
	ba_wasm_table *table;

	*out = NULL;
	if (elem != BA_WASM_FUNCREF && elem != BA_WASM_EXTERNREF)
		return BA_WASM_ERR_ARGS;
	if (limits.min > UINT32_MAX ||
	    (limits.has_max && (limits.max > UINT32_MAX || limits.max < limits.min)))
		return BA_WASM_ERR_ARGS;
	max = limits.has_max ? limits.max : UINT32_MAX;
	if (max > store->limits.max_table_elems)
		max = store->limits.max_table_elems;
	if (limits.min > max)
		return BA_WASM_ERR_LIMIT;
	table = calloc(1, sizeof(*table));
	if (!table)
		return BA_WASM_ERR_NOMEM;
	/* Never a zero-sized allocation, so elems is NULL only on failure. */
	table->elems = calloc(limits.min ? (size_t)limits.min : 1, sizeof(ba_wasm__slot));
	if (!table->elems) {
		free(table);
		return BA_WASM_ERR_NOMEM;
	}
	table->obj.kind = BA_WASM__OBJ_TABLE;
	table->obj.store = store;
	table->elem = elem;
	table->size = (uint32_t)limits.min;
	table->max = (uint32_t)max;
	table->type = limits;
	*out = table;
	return BA_WASM_OK;
}

ba_wasm_table *ba_wasm_table_new(ba_wasm_store *store, ba_wasm_valtype elem,
                                 ba_wasm_limits_range limits)
{
	ba_wasm_table *table;

	if (!store || ba_wasm__table_create(store, elem, limits, &table) != BA_WASM_OK)
		return NULL;
	ba_wasm__store_link(store, &table->obj);
	return table;
}

int64_t ba_wasm__table_grow(ba_wasm_table *table, uint64_t delta, ba_wasm__slot init)
{
	uint32_t old = table->size;
	uint64_t new_size;
	ba_wasm__slot *elems;

	if (delta > (uint64_t)(table->max - old))
		return -1;
	if (delta == 0)
		return old;
	new_size = old + delta;
	if (new_size > SIZE_MAX / sizeof(*elems))
		return -1;
	elems = realloc(table->elems, (size_t)new_size * sizeof(*elems));
	if (!elems)
		return -1;
	for (uint64_t i = old; i < new_size; i++)
		elems[i] = init;
	table->elems = elems;
	table->size = (uint32_t)new_size;
	table->type.min = new_size;
	return old;
}

uint32_t ba_wasm_table_size(const ba_wasm_table *table)
{
	return table ? table->size : 0;
}

/* ------------------------------------------------------------------------ */
/* Globals                                                                  */
/* ------------------------------------------------------------------------ */

ba_wasm_global *ba_wasm__global_create(ba_wasm_store *store, ba_wasm_valtype type, bool mutable_,
                                       ba_wasm__slot value)
{
	ba_wasm_global *global = calloc(1, sizeof(*global));

	if (!global)
		return NULL;
	global->obj.kind = BA_WASM__OBJ_GLOBAL;
	global->obj.store = store;
	global->type = type;
	global->mutable_ = mutable_;
	global->value = value;
	return global;
}

/* A value the store may hold: right type, and a funcref of this store. */
static bool value_fits(const ba_wasm_store *store, ba_wasm_valtype type, ba_wasm_value v)
{
	if (v.type != type)
		return false;
	if (type == BA_WASM_FUNCREF && v.of.funcref && v.of.funcref->obj.store != store)
		return false;
	return true;
}

ba_wasm_global *ba_wasm_global_new(ba_wasm_store *store, ba_wasm_valtype type, bool mutable_,
                                   ba_wasm_value init)
{
	ba_wasm_global *global;

	if (!store || !ba_wasm__valtype_ok(type) || !value_fits(store, type, init))
		return NULL;
	global = ba_wasm__global_create(store, type, mutable_, ba_wasm__to_slot(init));
	if (global)
		ba_wasm__store_link(store, &global->obj);
	return global;
}

ba_wasm_value ba_wasm_global_get(const ba_wasm_global *global)
{
	return ba_wasm__from_slot(global->type, global->value);
}

ba_wasm_err ba_wasm_global_set(ba_wasm_global *global, ba_wasm_value value)
{
	if (!global || !global->mutable_ || !value_fits(global->obj.store, global->type, value))
		return BA_WASM_ERR_ARGS;
	global->value = ba_wasm__to_slot(value);
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Freeing                                                                  */
/* ------------------------------------------------------------------------ */

void ba_wasm__object_free(ba_wasm__object *obj)
{
	switch (obj->kind) {
	case BA_WASM__OBJ_FUNC:
		free(obj);
		return;
	case BA_WASM__OBJ_TABLE: {
		ba_wasm_table *table = (ba_wasm_table *)obj;
		free(table->elems);
		free(table);
		return;
	}
	case BA_WASM__OBJ_MEMORY: {
		ba_wasm_memory *mem = (ba_wasm_memory *)obj;
		munmap(mem->data, (size_t)mem->reserved);
		free(mem);
		return;
	}
	case BA_WASM__OBJ_GLOBAL:
		free(obj);
		return;
	case BA_WASM__OBJ_INSTANCE:
		ba_wasm__instance_free((ba_wasm_instance *)obj);
		return;
	}
}
