/*
 * module.c - loading, sharing and querying modules; error texts.
 *
 * ba_wasm_module_load() runs the pipeline decode -> validate -> compile on
 * a private copy of the bytes. The result is immutable except for code
 * compiled on first call (under the module's compile_lock, see code.h), so
 * otherwise the refcount is the only thing threads ever write.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

#define DEFAULT_MAX_MODULE_BYTES ((size_t)256 << 20)

ba_wasm_err ba_wasm__fail(ba_wasm_diag *diag, ba_wasm_err err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	diag->err = err;
	diag->trap = BA_WASM_TRAP_NONE;
	diag->offset = offset;
	diag->func_index = UINT32_MAX;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	/* One line, whatever a name in the message contained. */
	for (char *p = diag->message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return err;
}

const char *ba_wasm_err_name(ba_wasm_err err)
{
	switch (err) {
	case BA_WASM_OK:
		return "ok";
	case BA_WASM_ERR_MALFORMED:
		return "malformed module";
	case BA_WASM_ERR_INVALID:
		return "invalid module";
	case BA_WASM_ERR_UNSUPPORTED:
		return "unsupported feature";
	case BA_WASM_ERR_LINK:
		return "link error";
	case BA_WASM_ERR_TRAP:
		return "trap";
	case BA_WASM_ERR_LIMIT:
		return "limit exceeded";
	case BA_WASM_ERR_NOMEM:
		return "out of memory";
	case BA_WASM_ERR_ARGS:
		return "invalid arguments";
	}
	return "unknown error";
}

const char *ba_wasm_trap_message(ba_wasm_trap trap)
{
	switch (trap) {
	case BA_WASM_TRAP_NONE:
		return "no trap";
	case BA_WASM_TRAP_UNREACHABLE:
		return "unreachable";
	case BA_WASM_TRAP_MEMORY_OOB:
		return "out of bounds memory access";
	case BA_WASM_TRAP_TABLE_OOB:
		return "out of bounds table access";
	case BA_WASM_TRAP_UNDEFINED_ELEMENT:
		return "undefined element";
	case BA_WASM_TRAP_UNINITIALIZED_ELEMENT:
		return "uninitialized element";
	case BA_WASM_TRAP_INDIRECT_TYPE:
		return "indirect call type mismatch";
	case BA_WASM_TRAP_DIV_ZERO:
		return "integer divide by zero";
	case BA_WASM_TRAP_INT_OVERFLOW:
		return "integer overflow";
	case BA_WASM_TRAP_INVALID_CONVERSION:
		return "invalid conversion to integer";
	case BA_WASM_TRAP_STACK_EXHAUSTED:
		return "call stack exhausted";
	case BA_WASM_TRAP_FUEL_EXHAUSTED:
		return "fuel exhausted";
	case BA_WASM_TRAP_INTERRUPTED:
		return "interrupted";
	case BA_WASM_TRAP_HOST:
		return "host function error";
	case BA_WASM_TRAP_COMPILE:
		return "cannot compile function";
	}
	return "unknown trap";
}

const char *ba_wasm_valtype_name(ba_wasm_valtype type)
{
	switch (type) {
	case BA_WASM_I32:
		return "i32";
	case BA_WASM_I64:
		return "i64";
	case BA_WASM_F32:
		return "f32";
	case BA_WASM_F64:
		return "f64";
	case BA_WASM_V128:
		return "v128";
	case BA_WASM_FUNCREF:
		return "funcref";
	case BA_WASM_EXTERNREF:
		return "externref";
	}
	return "unknown";
}

void ba_wasm__module_clear(ba_wasm_module *m)
{
	/* The public ba_wasm_functype has const arrays; the module owns and
	 * allocated them (decode.c), hence the qualifier-dropping cast. */
	for (uint32_t i = 0; i < m->type_count; i++) {
		free((void *)(uintptr_t)m->types[i].params);
		free((void *)(uintptr_t)m->types[i].results);
	}
	free(m->types);
	m->types = NULL;
	m->type_count = 0;

	for (uint32_t i = 0; i < m->import_count; i++) {
		free(m->imports[i].module_name);
		free(m->imports[i].name);
	}
	free(m->imports);
	m->imports = NULL;
	m->import_count = 0;

	for (uint32_t i = 0; i < m->func_count; i++) {
		free(m->funcs[i].local_types);
		if (m->funcs[i].code)
			ba_wasm__code_free(m->funcs[i].code);
	}
	free(m->funcs);
	m->funcs = NULL;
	ba_wasm__compile_scratch_free(m);
	atomic_store_explicit(&m->compiled_count, 0, memory_order_relaxed);
	m->func_count = m->func_import_count = 0;

	free(m->tables);
	m->tables = NULL;
	m->table_count = m->table_import_count = 0;
	free(m->memories);
	m->memories = NULL;
	m->memory_count = m->memory_import_count = 0;
	free(m->globals);
	m->globals = NULL;
	m->global_count = m->global_import_count = 0;

	for (uint32_t i = 0; i < m->export_count; i++)
		free(m->exports[i].name);
	free(m->exports);
	m->exports = NULL;
	m->export_count = 0;

	m->has_start = false;
	m->start_func = 0;

	for (uint32_t i = 0; i < m->elem_count; i++)
		free(m->elems[i].items);
	free(m->elems);
	m->elems = NULL;
	m->elem_count = 0;

	free(m->datas);
	m->datas = NULL;
	m->data_count = 0;
	m->has_data_count = false;

	free(m->declared_func_refs);
	m->declared_func_refs = NULL;

	free(m->bytes);
	m->bytes = NULL;
	m->byte_count = 0;
}

ba_wasm_err ba_wasm_module_load(const uint8_t *bytes, size_t len,
                                const ba_wasm_load_options *options, ba_wasm_module **out,
                                ba_wasm_diag *diag)
{
	size_t max_bytes = DEFAULT_MAX_MODULE_BYTES;
	ba_wasm_module *m;
	ba_wasm_err err;

	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->offset = SIZE_MAX;
		diag->func_index = UINT32_MAX;
	}
	if (out)
		*out = NULL;
	if (!out || (!bytes && len))
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "ba_wasm_module_load: NULL bytes or out");
	if (options && options->max_module_bytes)
		max_bytes = options->max_module_bytes;
	/* Offsets inside a module are 32-bit. */
	if (max_bytes > UINT32_MAX)
		max_bytes = UINT32_MAX;
	if (len > max_bytes)
		return ba_wasm__fail(diag, BA_WASM_ERR_LIMIT, SIZE_MAX,
		                     "module is %zu bytes, the limit is %zu", len, max_bytes);

	m = calloc(1, sizeof(*m));
	if (!m)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	atomic_init(&m->refcount, 1);
	atomic_init(&m->compiled_count, 0);
	if (pthread_mutex_init(&m->compile_lock, NULL) != 0) {
		free(m);
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	}
	m->bytes = malloc(len ? len : 1);
	if (!m->bytes) {
		pthread_mutex_destroy(&m->compile_lock);
		free(m);
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	}
	if (len)
		memcpy(m->bytes, bytes, len);
	m->byte_count = len;

	err = ba_wasm__decode(m, options, diag);
	if (!err)
		err = ba_wasm__validate(m, options, diag);
	if (!err)
		err = ba_wasm__compile(m, options && options->eager, diag);
	if (err) {
		ba_wasm__module_clear(m);
		pthread_mutex_destroy(&m->compile_lock);
		free(m);
		return err;
	}
	*out = m;
	return BA_WASM_OK;
}

ba_wasm_module *ba_wasm_module_retain(ba_wasm_module *module)
{
	if (module)
		atomic_fetch_add_explicit(&module->refcount, 1, memory_order_relaxed);
	return module;
}

void ba_wasm_module_release(ba_wasm_module *module)
{
	if (!module)
		return;
	/* acq_rel: the last releaser must see every other thread's uses
	 * finished before it frees. */
	if (atomic_fetch_sub_explicit(&module->refcount, 1, memory_order_acq_rel) != 1)
		return;
	ba_wasm__module_clear(module);
	pthread_mutex_destroy(&module->compile_lock);
	free(module);
}

uint32_t ba_wasm__module_compiled_count(const ba_wasm_module *module)
{
	return atomic_load_explicit(&module->compiled_count, memory_order_relaxed);
}

uint32_t ba_wasm_module_import_count(const ba_wasm_module *module)
{
	return module ? module->import_count : 0;
}

uint32_t ba_wasm_module_export_count(const ba_wasm_module *module)
{
	return module ? module->export_count : 0;
}

/* The type of entity `index` of the given kind (an index into the
 * module's index space of that kind; for FUNC a function index). */
static void extern_type(const ba_wasm_module *m, ba_wasm_extern_kind kind, uint32_t index,
                        ba_wasm_externtype *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	switch (kind) {
	case BA_WASM_EXTERN_FUNC:
		out->func = *ba_wasm__func_type(m, index);
		break;
	case BA_WASM_EXTERN_TABLE:
		out->table.elem = m->tables[index].elem;
		out->table.limits = m->tables[index].limits;
		break;
	case BA_WASM_EXTERN_MEMORY:
		out->memory = m->memories[index];
		break;
	case BA_WASM_EXTERN_GLOBAL:
		out->global.type = m->globals[index].type;
		out->global.mutable_ = m->globals[index].mutable_;
		break;
	}
}

void ba_wasm_module_import(const ba_wasm_module *module, uint32_t index, ba_wasm_import_desc *out)
{
	const ba_wasm__import *imp;

	memset(out, 0, sizeof(*out));
	if (!module || index >= module->import_count)
		return;
	imp = &module->imports[index];
	out->module_name = imp->module_name;
	out->module_name_len = imp->module_name_len;
	out->name = imp->name;
	out->name_len = imp->name_len;
	if (imp->kind == BA_WASM_EXTERN_FUNC) {
		memset(&out->type, 0, sizeof(out->type));
		out->type.kind = BA_WASM_EXTERN_FUNC;
		out->type.func = module->types[imp->index];
	} else {
		extern_type(module, imp->kind, imp->index, &out->type);
	}
}

void ba_wasm_module_export(const ba_wasm_module *module, uint32_t index, ba_wasm_export_desc *out)
{
	const ba_wasm__export *ex;

	memset(out, 0, sizeof(*out));
	if (!module || index >= module->export_count)
		return;
	ex = &module->exports[index];
	out->name = ex->name;
	out->name_len = ex->name_len;
	extern_type(module, ex->kind, ex->index, &out->type);
}
