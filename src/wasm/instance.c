/*
 * instance.c - instantiation (import matching, allocation, element and data
 * segments, start function), exports, ba_wasm_call, the caller API and the
 * segment semantics the interpreter shares with instantiation.
 */
#include "store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diag_clear(ba_wasm_diag *diag)
{
	if (!diag)
		return;
	diag->err = BA_WASM_OK;
	diag->trap = BA_WASM_TRAP_NONE;
	diag->offset = SIZE_MAX;
	diag->func_index = UINT32_MAX;
	diag->message[0] = '\0';
}

static ba_wasm_err fail_trap(ba_wasm_diag *diag, ba_wasm_trap trap, size_t offset)
{
	ba_wasm__fail(diag, BA_WASM_ERR_TRAP, offset, "%s", ba_wasm_trap_message(trap));
	if (diag)
		diag->trap = trap;
	return BA_WASM_ERR_TRAP;
}

static const char *kind_name(ba_wasm_extern_kind kind)
{
	switch (kind) {
	case BA_WASM_EXTERN_FUNC:
		return "func";
	case BA_WASM_EXTERN_TABLE:
		return "table";
	case BA_WASM_EXTERN_MEMORY:
		return "memory";
	case BA_WASM_EXTERN_GLOBAL:
		return "global";
	}
	return "unknown extern kind";
}

/* ------------------------------------------------------------------------ */
/* Shared semantics (runtime.h)                                             */
/* ------------------------------------------------------------------------ */

ba_wasm__slot ba_wasm__eval_const(const ba_wasm_instance *inst, const ba_wasm__const_expr *expr)
{
	switch (expr->kind) {
	case BA_WASM__CONST_I32:
	case BA_WASM__CONST_F32:
		return (uint32_t)expr->bits;
	case BA_WASM__CONST_I64:
	case BA_WASM__CONST_F64:
		return expr->bits;
	case BA_WASM__CONST_REF_NULL:
		return 0;
	case BA_WASM__CONST_REF_FUNC:
		return (ba_wasm__slot)(uintptr_t)inst->funcs[expr->index];
	case BA_WASM__CONST_GLOBAL_GET:
		return inst->globals[expr->index]->value;
	}
	return 0;
}

/* [start, start+len) inside [0, size), without overflow. */
static bool in_bounds(uint64_t size, uint64_t start, uint64_t len)
{
	return start <= size && len <= size - start;
}

/*
 * memory.init: both ranges are checked before anything is copied, and a
 * dropped segment has length 0 (so only len == 0 with in-range offsets
 * succeeds).
 */
ba_wasm_trap ba_wasm__memory_init(ba_wasm_instance *inst, uint32_t mem_index, uint32_t data_index,
                                  uint64_t dst, uint64_t src, uint64_t len)
{
	ba_wasm_memory *mem = inst->memories[mem_index];
	const ba_wasm__data_segment *seg = &inst->module->datas[data_index];
	uint64_t seg_len = inst->data_dropped[data_index] ? 0 : seg->bytes.len;

	if (!in_bounds(seg_len, src, len) || !in_bounds(mem->size, dst, len))
		return BA_WASM_TRAP_MEMORY_OOB;
	if (len)
		memcpy(mem->data + dst, inst->module->bytes + seg->bytes.offset + src, (size_t)len);
	return BA_WASM_TRAP_NONE;
}

ba_wasm_trap ba_wasm__table_init(ba_wasm_instance *inst, uint32_t table_index, uint32_t elem_index,
                                 uint64_t dst, uint64_t src, uint64_t len)
{
	ba_wasm_table *table = inst->tables[table_index];
	const ba_wasm__elem_segment *seg = &inst->module->elems[elem_index];
	uint64_t seg_len = inst->elem_dropped[elem_index] ? 0 : seg->item_count;

	if (!in_bounds(seg_len, src, len) || !in_bounds(table->size, dst, len))
		return BA_WASM_TRAP_TABLE_OOB;
	/* Items are evaluated here rather than at instantiation: they are
	 * ref.null, ref.func or global.get of an immutable global, so the
	 * result is the same and passive segments cost nothing until used. */
	for (uint64_t i = 0; i < len; i++)
		table->elems[dst + i] = ba_wasm__eval_const(inst, &seg->items[src + i]);
	return BA_WASM_TRAP_NONE;
}

/* ------------------------------------------------------------------------ */
/* Import matching                                                          */
/* ------------------------------------------------------------------------ */

/* Limits subtyping: `actual` may be used where `expected` is declared. */
static bool limits_match(uint64_t actual_min, bool actual_has_max, uint64_t actual_max,
                         const ba_wasm_limits_range *expected)
{
	if (actual_min < expected->min)
		return false;
	if (!expected->has_max)
		return true;
	return actual_has_max && actual_max <= expected->max;
}

static const ba_wasm__object *extern_object(const ba_wasm_extern *ex)
{
	switch (ex->kind) {
	case BA_WASM_EXTERN_FUNC:
		return ex->of.func ? &ex->of.func->obj : NULL;
	case BA_WASM_EXTERN_TABLE:
		return ex->of.table ? &ex->of.table->obj : NULL;
	case BA_WASM_EXTERN_MEMORY:
		return ex->of.memory ? &ex->of.memory->obj : NULL;
	case BA_WASM_EXTERN_GLOBAL:
		return ex->of.global ? &ex->of.global->obj : NULL;
	}
	return NULL;
}

static bool extern_matches(const ba_wasm_module *module, const ba_wasm__import *imp,
                           const ba_wasm_extern *ex)
{
	if (ex->kind != imp->kind)
		return false;
	switch (imp->kind) {
	case BA_WASM_EXTERN_FUNC:
		return ba_wasm__functype_equal(&ex->of.func->sig->type, &module->types[imp->index]);
	case BA_WASM_EXTERN_TABLE: {
		const ba_wasm__table_type *want = &module->tables[imp->index];
		const ba_wasm_table *t = ex->of.table;
		return t->elem == want->elem &&
		       limits_match(t->size, t->type.has_max, t->type.max, &want->limits);
	}
	case BA_WASM_EXTERN_MEMORY: {
		const ba_wasm_memory *m = ex->of.memory;
		return limits_match(m->size / BA_WASM_PAGE_SIZE, m->type.has_max, m->type.max,
		                    &module->memories[imp->index]);
	}
	case BA_WASM_EXTERN_GLOBAL: {
		const ba_wasm__global_def *want = &module->globals[imp->index];
		const ba_wasm_global *g = ex->of.global;
		return g->type == want->type && g->mutable_ == want->mutable_;
	}
	}
	return false;
}

static ba_wasm_err check_imports(ba_wasm_store *store, const ba_wasm_module *module,
                                 const ba_wasm_extern *imports, ba_wasm_diag *diag)
{
	for (uint32_t i = 0; i < module->import_count; i++) {
		const ba_wasm__import *imp = &module->imports[i];
		const ba_wasm_extern *ex = &imports[i];
		const ba_wasm__object *obj = extern_object(ex);

		if (!obj)
			return ba_wasm__fail(diag, BA_WASM_ERR_LINK, SIZE_MAX,
			                     "unknown import \"%s\".\"%s\"", imp->module_name,
			                     imp->name);
		if (obj->store != store)
			return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
			                     "import \"%s\".\"%s\" belongs to another store",
			                     imp->module_name, imp->name);
		if (!extern_matches(module, imp, ex)) {
			if (ex->kind != imp->kind)
				return ba_wasm__fail(diag, BA_WASM_ERR_LINK, SIZE_MAX,
				                     "incompatible import type for \"%s\".\"%s\": "
				                     "expected %s, got %s",
				                     imp->module_name, imp->name,
				                     kind_name(imp->kind), kind_name(ex->kind));
			return ba_wasm__fail(diag, BA_WASM_ERR_LINK, SIZE_MAX,
			                     "incompatible import type for \"%s\".\"%s\"",
			                     imp->module_name, imp->name);
		}
	}
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Instantiation                                                            */
/* ------------------------------------------------------------------------ */

/*
 * Frees an instance and the functions it defines (one block, which starts
 * at funcs[func_import_count]; they are not on the store's list). Its
 * tables, memories and globals are separate store objects.
 */
void ba_wasm__instance_free(ba_wasm_instance *inst)
{
	const ba_wasm_module *module = inst->module;

	if (inst->funcs && module->func_count > module->func_import_count)
		free(inst->funcs[module->func_import_count]);
	free(inst->funcs);
	free(inst->tables);
	free(inst->memories);
	free(inst->globals);
	free(inst->sigs);
	free(inst->elem_dropped);
	free(inst->data_dropped);
	ba_wasm_module_release(inst->module);
	free(inst);
}

/* Undoes a failed allocation phase: nothing has escaped yet, so the
 * defined objects go with the instance. */
static void discard(ba_wasm_instance *inst)
{
	const ba_wasm_module *module = inst->module;

	for (uint32_t i = module->table_import_count; inst->tables && i < module->table_count; i++)
		if (inst->tables[i])
			ba_wasm__object_free(&inst->tables[i]->obj);
	for (uint32_t i = module->memory_import_count; inst->memories && i < module->memory_count;
	     i++)
		if (inst->memories[i])
			ba_wasm__object_free(&inst->memories[i]->obj);
	for (uint32_t i = module->global_import_count; inst->globals && i < module->global_count;
	     i++)
		if (inst->globals[i])
			ba_wasm__object_free(&inst->globals[i]->obj);
	ba_wasm__instance_free(inst);
}

/* Hands the instance and its defined objects to the store. */
static void commit(ba_wasm_instance *inst)
{
	ba_wasm_store *store = inst->store;
	const ba_wasm_module *module = inst->module;

	for (uint32_t i = module->table_import_count; i < module->table_count; i++)
		ba_wasm__store_link(store, &inst->tables[i]->obj);
	for (uint32_t i = module->memory_import_count; i < module->memory_count; i++)
		ba_wasm__store_link(store, &inst->memories[i]->obj);
	for (uint32_t i = module->global_import_count; i < module->global_count; i++)
		ba_wasm__store_link(store, &inst->globals[i]->obj);
	ba_wasm__store_link(store, &inst->obj);
}

/* calloc that never returns NULL for a zero count, so NULL means failure. */
static void *alloc_array(size_t count, size_t size)
{
	return calloc(count ? count : 1, size);
}

static ba_wasm_err alloc_funcs(ba_wasm_instance *inst, const ba_wasm_extern *imports)
{
	const ba_wasm_module *module = inst->module;
	uint32_t imported = module->func_import_count;
	uint32_t defined = module->func_count - imported;
	ba_wasm_func *block = NULL;

	for (uint32_t i = 0, f = 0; i < module->import_count; i++)
		if (module->imports[i].kind == BA_WASM_EXTERN_FUNC)
			inst->funcs[f++] = imports[i].of.func;
	if (!defined)
		return BA_WASM_OK;
	block = calloc(defined, sizeof(*block));
	if (!block)
		return BA_WASM_ERR_NOMEM;
	for (uint32_t i = 0; i < defined; i++) {
		ba_wasm_func *f = &block[i];
		const ba_wasm__func_def *def = &module->funcs[imported + i];

		f->obj.kind = BA_WASM__OBJ_FUNC;
		f->obj.store = inst->store;
		f->sig = inst->sigs[def->type_index];
		f->is_host = false;
		f->instance = inst;
		f->func_index = imported + i;
		f->code = def->code;
		inst->funcs[imported + i] = f;
	}
	return BA_WASM_OK;
}

static ba_wasm_err alloc_defined(ba_wasm_instance *inst, const ba_wasm_extern *imports,
                                 ba_wasm_diag *diag)
{
	ba_wasm_store *store = inst->store;
	const ba_wasm_module *module = inst->module;
	uint32_t t = 0, m = 0, g = 0;
	ba_wasm_err err;

	for (uint32_t i = 0; i < module->import_count; i++) {
		switch (module->imports[i].kind) {
		case BA_WASM_EXTERN_FUNC:
			break;
		case BA_WASM_EXTERN_TABLE:
			inst->tables[t++] = imports[i].of.table;
			break;
		case BA_WASM_EXTERN_MEMORY:
			inst->memories[m++] = imports[i].of.memory;
			break;
		case BA_WASM_EXTERN_GLOBAL:
			inst->globals[g++] = imports[i].of.global;
			break;
		}
	}

	for (uint32_t i = module->table_import_count; i < module->table_count; i++) {
		const ba_wasm__table_type *tt = &module->tables[i];

		err = ba_wasm__table_create(store, tt->elem, tt->limits, &inst->tables[i]);
		if (err == BA_WASM_ERR_LIMIT)
			return ba_wasm__fail(diag, err, SIZE_MAX,
			                     "table %u: %" PRIu64
			                     " elements exceed the limit of %u",
			                     i, tt->limits.min, store->limits.max_table_elems);
		if (err != BA_WASM_OK)
			return ba_wasm__fail(diag, err, SIZE_MAX, "table %u: cannot allocate", i);
	}
	for (uint32_t i = module->memory_import_count; i < module->memory_count; i++) {
		const ba_wasm_limits_range *mt = &module->memories[i];

		err = ba_wasm__memory_create(store, *mt, &inst->memories[i]);
		if (err == BA_WASM_ERR_LIMIT)
			return ba_wasm__fail(diag, err, SIZE_MAX,
			                     "memory %u: %" PRIu64
			                     " pages exceed the limit of %" PRIu64 " bytes",
			                     i, mt->min, store->limits.max_memory_bytes);
		if (err != BA_WASM_OK)
			return ba_wasm__fail(diag, err, SIZE_MAX, "memory %u: cannot allocate", i);
	}
	/* In order, so an initialiser sees the globals before it. */
	for (uint32_t i = module->global_import_count; i < module->global_count; i++) {
		const ba_wasm__global_def *gd = &module->globals[i];

		inst->globals[i] = ba_wasm__global_create(store, gd->type, gd->mutable_,
		                                          ba_wasm__eval_const(inst, &gd->init));
		if (!inst->globals[i])
			return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
			                     "global %u: cannot allocate", i);
	}
	return BA_WASM_OK;
}

static ba_wasm_err allocate(ba_wasm_store *store, ba_wasm_module *module,
                            const ba_wasm_extern *imports, ba_wasm_instance **out,
                            ba_wasm_diag *diag)
{
	ba_wasm_instance *inst;
	ba_wasm_err err;

	*out = NULL;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	inst->obj.kind = BA_WASM__OBJ_INSTANCE;
	inst->obj.store = store;
	inst->store = store;
	inst->module = ba_wasm_module_retain(module);
	inst->funcs = alloc_array(module->func_count, sizeof(*inst->funcs));
	inst->tables = alloc_array(module->table_count, sizeof(*inst->tables));
	inst->memories = alloc_array(module->memory_count, sizeof(*inst->memories));
	inst->globals = alloc_array(module->global_count, sizeof(*inst->globals));
	inst->sigs = alloc_array(module->type_count, sizeof(*inst->sigs));
	inst->elem_dropped = alloc_array(module->elem_count, sizeof(*inst->elem_dropped));
	inst->data_dropped = alloc_array(module->data_count, sizeof(*inst->data_dropped));
	if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals || !inst->sigs ||
	    !inst->elem_dropped || !inst->data_dropped) {
		discard(inst);
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	}
	for (uint32_t i = 0; i < module->type_count; i++) {
		inst->sigs[i] = ba_wasm__intern_sig(store, &module->types[i]);
		if (!inst->sigs[i]) {
			discard(inst);
			return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
		}
	}
	err = alloc_funcs(inst, imports);
	if (err != BA_WASM_OK) {
		discard(inst);
		return ba_wasm__fail(diag, err, SIZE_MAX, "out of memory");
	}
	err = alloc_defined(inst, imports, diag);
	if (err != BA_WASM_OK) {
		discard(inst);
		return err;
	}
	inst->memory0 = module->memory_count ? inst->memories[0] : NULL;
	/* Declarative segments only declare ref.func targets; the spec drops
	 * them at once. */
	for (uint32_t i = 0; i < module->elem_count; i++)
		if (module->elems[i].mode == BA_WASM__SEG_DECLARATIVE)
			inst->elem_dropped[i] = true;
	commit(inst);
	*out = inst;
	return BA_WASM_OK;
}

/*
 * WebAssembly 2.0 instantiation, after allocation: every active element
 * segment (table.init, elem.drop), then every active data segment
 * (memory.init, data.drop), then the start function. A trap stops the
 * sequence; what earlier segments wrote stays, as the spec requires.
 */
static ba_wasm_err initialize(ba_wasm_instance *inst, ba_wasm_diag *diag)
{
	const ba_wasm_module *module = inst->module;

	for (uint32_t i = 0; i < module->elem_count; i++) {
		const ba_wasm__elem_segment *seg = &module->elems[i];
		uint32_t dst;

		if (seg->mode != BA_WASM__SEG_ACTIVE)
			continue;
		dst = (uint32_t)ba_wasm__eval_const(inst, &seg->offset);
		if (ba_wasm__table_init(inst, seg->table_index, i, dst, 0, seg->item_count) !=
		    BA_WASM_TRAP_NONE)
			return fail_trap(diag, BA_WASM_TRAP_TABLE_OOB, seg->offset.offset);
		inst->elem_dropped[i] = true;
	}
	for (uint32_t i = 0; i < module->data_count; i++) {
		const ba_wasm__data_segment *seg = &module->datas[i];
		uint32_t dst;

		if (seg->mode != BA_WASM__SEG_ACTIVE)
			continue;
		dst = (uint32_t)ba_wasm__eval_const(inst, &seg->offset);
		if (ba_wasm__memory_init(inst, seg->memory_index, i, dst, 0, seg->bytes.len) !=
		    BA_WASM_TRAP_NONE)
			return fail_trap(diag, BA_WASM_TRAP_MEMORY_OOB, seg->offset.offset);
		inst->data_dropped[i] = true;
	}
	if (module->has_start) {
		ba_wasm__slot slot = 0;

		return ba_wasm__invoke(inst->store, inst->funcs[module->start_func], &slot, diag);
	}
	return BA_WASM_OK;
}

ba_wasm_err ba_wasm_instantiate(ba_wasm_store *store, ba_wasm_module *module,
                                const ba_wasm_extern *imports, size_t import_count,
                                ba_wasm_instance **out, ba_wasm_diag *diag)
{
	ba_wasm_instance *inst;
	ba_wasm_err err;

	diag_clear(diag);
	if (out)
		*out = NULL;
	if (!store || !module || !out)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_instantiate: store, module and out are required");
	if (import_count != module->import_count)
		return ba_wasm__fail(diag, BA_WASM_ERR_LINK, SIZE_MAX,
		                     "the module declares %u imports but %zu were given",
		                     module->import_count, import_count);
	if (import_count && !imports)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_instantiate: imports is NULL");
	err = check_imports(store, module, imports, diag);
	if (err != BA_WASM_OK)
		return err;
	err = allocate(store, module, imports, &inst, diag);
	if (err != BA_WASM_OK)
		return err;
	/* From here on, a failure leaves the instance in the store: its
	 * functions may already sit in imported tables. */
	err = initialize(inst, diag);
	if (err != BA_WASM_OK)
		return err;
	*out = inst;
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

bool ba_wasm_instance_export(ba_wasm_instance *instance, const char *name, ba_wasm_extern *out)
{
	if (!name)
		return false;
	return ba_wasm_instance_export_n(instance, name, strlen(name), out);
}

bool ba_wasm_instance_export_n(ba_wasm_instance *instance, const char *name, size_t len,
                               ba_wasm_extern *out)
{
	const ba_wasm_module *module;

	if (!instance || !name || !out)
		return false;
	module = instance->module;
	for (uint32_t i = 0; i < module->export_count; i++) {
		const ba_wasm__export *e = &module->exports[i];

		if (e->name_len != len || memcmp(e->name, name, len) != 0)
			continue;
		out->kind = e->kind;
		switch (e->kind) {
		case BA_WASM_EXTERN_FUNC:
			out->of.func = instance->funcs[e->index];
			break;
		case BA_WASM_EXTERN_TABLE:
			out->of.table = instance->tables[e->index];
			break;
		case BA_WASM_EXTERN_MEMORY:
			out->of.memory = instance->memories[e->index];
			break;
		case BA_WASM_EXTERN_GLOBAL:
			out->of.global = instance->globals[e->index];
			break;
		}
		return true;
	}
	return false;
}

ba_wasm_module *ba_wasm_instance_module(ba_wasm_instance *instance)
{
	return instance ? instance->module : NULL;
}

ba_wasm_memory *ba_wasm_instance_memory(ba_wasm_instance *instance)
{
	return instance ? instance->memory0 : NULL;
}

/* ------------------------------------------------------------------------ */
/* Calls                                                                    */
/* ------------------------------------------------------------------------ */

#define INLINE_SLOTS 16

ba_wasm_err ba_wasm_call(ba_wasm_func *func, const ba_wasm_value *args, size_t arg_count,
                         ba_wasm_value *results, size_t result_count, ba_wasm_diag *diag)
{
	const ba_wasm_functype *type;
	ba_wasm__slot inline_slots[INLINE_SLOTS];
	ba_wasm__slot *slots = inline_slots;
	size_t n;
	ba_wasm_err err;

	diag_clear(diag);
	if (!func)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_call: func is NULL");
	type = &func->sig->type;
	if (arg_count != type->param_count)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_call: the function takes %u arguments, %zu given",
		                     type->param_count, arg_count);
	if (result_count != type->result_count)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_call: the function returns %u results, room for %zu "
		                     "given",
		                     type->result_count, result_count);
	if ((arg_count && !args) || (result_count && !results))
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_call: args or results is NULL");
	for (size_t i = 0; i < arg_count; i++) {
		if (args[i].type != type->params[i])
			return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
			                     "ba_wasm_call: argument %zu is %s, expected %s", i,
			                     ba_wasm_valtype_name(args[i].type),
			                     ba_wasm_valtype_name(type->params[i]));
		if (args[i].type == BA_WASM_FUNCREF && args[i].of.funcref &&
		    args[i].of.funcref->obj.store != func->obj.store)
			return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
			                     "ba_wasm_call: argument %zu is a function of another "
			                     "store",
			                     i);
	}

	n = arg_count > result_count ? arg_count : result_count;
	if (n > INLINE_SLOTS) {
		slots = malloc(n * sizeof(*slots));
		if (!slots)
			return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	}
	for (size_t i = 0; i < arg_count; i++)
		slots[i] = ba_wasm__to_slot(args[i]);
	err = ba_wasm__invoke(func->obj.store, func, slots, diag);
	if (err == BA_WASM_OK)
		for (size_t i = 0; i < result_count; i++)
			results[i] = ba_wasm__from_slot(type->results[i], slots[i]);
	if (slots != inline_slots)
		free(slots);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Callers                                                                  */
/* ------------------------------------------------------------------------ */

ba_wasm_memory *ba_wasm_caller_memory(ba_wasm_caller *caller)
{
	return caller && caller->instance ? caller->instance->memory0 : NULL;
}

ba_wasm_instance *ba_wasm_caller_instance(ba_wasm_caller *caller)
{
	return caller ? caller->instance : NULL;
}

ba_wasm_store *ba_wasm_caller_store(ba_wasm_caller *caller)
{
	return caller ? caller->store : NULL;
}

ba_wasm_err ba_wasm_caller_trap(ba_wasm_caller *caller, const char *fmt, ...)
{
	va_list ap;

	if (!caller || !caller->store)
		return BA_WASM_ERR_TRAP;
	va_start(ap, fmt);
	vsnprintf(caller->store->host_trap_message, sizeof(caller->store->host_trap_message), fmt,
	          ap);
	va_end(ap);
	return BA_WASM_ERR_TRAP;
}
