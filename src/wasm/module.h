/*
 * module.h - the engine's internal picture of a decoded module.
 *
 * Pipeline (one file per stage):
 *   decode.c    bytes -> struct ba_wasm_module (sections parsed, every index
 *               and size checked against the binary; function bodies kept
 *               as byte ranges)
 *   validate.c  module-level rules and each function body's typing rules
 *   compile.c   each validated body -> the interpreter's internal code
 *   exec.c      runs internal code
 *   instance.c  stores, instantiation, linking, memories, tables, globals
 *
 * Everything here is internal (the ba_wasm__ prefix); embedders use wasm.h.
 * A module is immutable after ba_wasm_module_load() returns, so any number
 * of threads and instances may share it. The one exception is compiled
 * code: unless loaded with options->eager, a body is compiled on its first
 * call, under compile_lock (code.h says how a call sees it safely).
 */
#ifndef BA_WASM_MODULE_H
#define BA_WASM_MODULE_H

#include <pthread.h>
#include <stdatomic.h>

#include "wasm.h"

#define BA_WASM_PAGE_SIZE     65536u
#define BA_WASM_MAX_PAGES     65536u /* 4 GiB, the 32-bit address space */
#define BA_WASM_MAX_TABLE_MAX 0xFFFFFFFFu

/* Internal byte range inside the module's own copy of the binary. */
typedef struct ba_wasm__span {
	uint32_t offset;
	uint32_t len;
} ba_wasm__span;

/* A constant expression: in WebAssembly 2.0 exactly one instruction
 * followed by `end`. */
typedef enum ba_wasm__const_kind {
	BA_WASM__CONST_I32,
	BA_WASM__CONST_I64,
	BA_WASM__CONST_F32,
	BA_WASM__CONST_F64,
	BA_WASM__CONST_REF_NULL,  /* value.reftype says which          */
	BA_WASM__CONST_REF_FUNC,  /* index = function index            */
	BA_WASM__CONST_GLOBAL_GET /* index = (imported) global index   */
} ba_wasm__const_kind;

typedef struct ba_wasm__const_expr {
	ba_wasm__const_kind kind;
	ba_wasm_valtype type; /* the type the expression produces     */
	uint32_t index;       /* REF_FUNC / GLOBAL_GET                */
	uint64_t bits;        /* I32/I64/F32/F64 raw bits             */
	uint32_t offset;      /* where it starts in the binary        */
} ba_wasm__const_expr;

typedef struct ba_wasm__import {
	char *module_name; /* owned, NUL-terminated copy           */
	uint32_t module_name_len;
	char *name; /* owned, NUL-terminated copy           */
	uint32_t name_len;
	ba_wasm_extern_kind kind;
	uint32_t index; /* FUNC: type index; others: index into the
	                   module's tables/memories/globals array
	                   (imports come first in each)           */
} ba_wasm__import;

typedef struct ba_wasm__export {
	char *name; /* owned, NUL-terminated copy           */
	uint32_t name_len;
	ba_wasm_extern_kind kind;
	uint32_t index; /* into the module's index space of that kind */
} ba_wasm__export;

typedef struct ba_wasm__table_type {
	ba_wasm_valtype elem; /* FUNCREF or EXTERNREF                 */
	ba_wasm_limits_range limits;
} ba_wasm__table_type;

typedef struct ba_wasm__global_def {
	ba_wasm_valtype type;
	bool mutable_;
	bool imported;
	ba_wasm__const_expr init; /* defined globals only              */
} ba_wasm__global_def;

struct ba_wasm__code; /* compiled body, defined by compile.c/exec.c */

typedef struct ba_wasm__func_def {
	uint32_t type_index;
	bool imported;
	/* Defined functions only: */
	ba_wasm__span body;           /* from the first local-group count up to
	                                 and including the final `end`          */
	uint32_t code_offset;         /* offset of the first instruction        */
	uint32_t local_count;         /* declared locals, excluding params      */
	ba_wasm_valtype *local_types; /* owned, local_count entries          */
	struct ba_wasm__code *code;   /* owned; made at load, filled in by the
	                                 compiler at load or on first call    */
} ba_wasm__func_def;

typedef enum ba_wasm__segment_mode {
	BA_WASM__SEG_ACTIVE,
	BA_WASM__SEG_PASSIVE,
	BA_WASM__SEG_DECLARATIVE /* element segments only               */
} ba_wasm__segment_mode;

typedef struct ba_wasm__elem_segment {
	ba_wasm__segment_mode mode;
	ba_wasm_valtype elem_type;  /* FUNCREF or EXTERNREF          */
	uint32_t table_index;       /* ACTIVE only                   */
	ba_wasm__const_expr offset; /* ACTIVE only                   */
	uint32_t item_count;
	ba_wasm__const_expr *items; /* owned; REF_FUNC, REF_NULL or
	                               GLOBAL_GET                     */
} ba_wasm__elem_segment;

typedef struct ba_wasm__data_segment {
	ba_wasm__segment_mode mode; /* ACTIVE or PASSIVE             */
	uint32_t memory_index;      /* ACTIVE only                   */
	ba_wasm__const_expr offset; /* ACTIVE only                   */
	ba_wasm__span bytes;        /* inside module->bytes          */
} ba_wasm__data_segment;

struct ba_wasm_module {
	/* Refcount; the module is freed when it drops to zero. Atomic so
	 * modules may be shared across threads. */
	_Atomic uint32_t refcount;

	uint8_t *bytes; /* owned copy of the binary             */
	size_t byte_count;

	uint32_t type_count;
	ba_wasm_functype *types; /* owned; each params/results array owned */

	uint32_t import_count;
	ba_wasm__import *imports; /* owned */

	/* Index spaces: imported entries first, in import order. */
	uint32_t func_count, func_import_count;
	ba_wasm__func_def *funcs; /* owned */
	uint32_t table_count, table_import_count;
	ba_wasm__table_type *tables; /* owned */
	uint32_t memory_count, memory_import_count;
	ba_wasm_limits_range *memories; /* owned, in pages */
	uint32_t global_count, global_import_count;
	ba_wasm__global_def *globals; /* owned */

	uint32_t export_count;
	ba_wasm__export *exports; /* owned */

	bool has_start;
	uint32_t start_func;

	uint32_t elem_count;
	ba_wasm__elem_segment *elems; /* owned */

	bool has_data_count; /* a DataCount section was present */
	uint32_t data_count;
	ba_wasm__data_segment *datas; /* owned */

	/* Functions that may be named by ref.func in code: those referenced
	 * from element segments, exports and global initialisers (C.refs in
	 * the spec). One bit per function index; owned. */
	uint8_t *declared_func_refs;

	/* Lazy compilation (compile.c). The lock serialises compiling, so a
	 * body is compiled once however many threads call it first, and it
	 * guards the scratch buffers the compiler keeps between bodies. */
	pthread_mutex_t compile_lock;
	void *compile_scratch;           /* owned by compile.c; or NULL   */
	_Atomic uint32_t compiled_count; /* bodies compiled so far        */
};

/* Stage entry points; each returns OK or fills diag. */
ba_wasm_err ba_wasm__decode(ba_wasm_module *module, const ba_wasm_load_options *options,
                            ba_wasm_diag *diag);
ba_wasm_err ba_wasm__validate(ba_wasm_module *module, const ba_wasm_load_options *options,
                              ba_wasm_diag *diag);
/* Makes every defined function's code object; with eager, also compiles
 * every body (otherwise each is compiled on its first call). */
ba_wasm_err ba_wasm__compile(ba_wasm_module *module, bool eager, ba_wasm_diag *diag);
/* Frees everything the module owns (not the struct itself, nor the
 * compile_lock, which ba_wasm_module_load/release look after). */
void ba_wasm__module_clear(ba_wasm_module *module);
void ba_wasm__code_free(struct ba_wasm__code *code);
/* Frees the compiler's scratch buffers kept in module->compile_scratch. */
void ba_wasm__compile_scratch_free(ba_wasm_module *module);

/* How many function bodies have been compiled so far (for tests and
 * benchmarks: a function never called is never compiled). */
uint32_t ba_wasm__module_compiled_count(const ba_wasm_module *module);

/* Fills diag (if non-NULL) and returns err. */
ba_wasm_err ba_wasm__fail(ba_wasm_diag *diag, ba_wasm_err err, size_t offset, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;

static inline const ba_wasm_functype *ba_wasm__func_type(const ba_wasm_module *m, uint32_t func)
{
	return &m->types[m->funcs[func].type_index];
}

#endif /* BA_WASM_MODULE_H */
