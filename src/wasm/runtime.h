/*
 * runtime.h - internal layout of runtime objects shared by instance.c (store,
 * instantiation, linking, the public object API) and exec.c (the
 * interpreter). Embedders use wasm.h.
 *
 * Values inside the engine are 64-bit slots (uint64_t): i32 zero-extended,
 * f32/f64 as raw bits, references as the pointer value (funcref) or the
 * host word (externref), 0 meaning null.
 */
#ifndef BA_WASM_RUNTIME_H
#define BA_WASM_RUNTIME_H

#include <stdatomic.h>

#include "module.h"

typedef uint64_t ba_wasm__slot;

/*
 * A canonical signature. The store interns every function type it sees, so
 * two functions have structurally equal types iff their sig pointers are
 * equal: call_indirect checks one pointer.
 */
typedef struct ba_wasm__sig {
	ba_wasm_functype type; /* arrays owned by the sig            */
	uint32_t param_slots;  /* == param_count (one slot a value)  */
	uint32_t result_slots;
	struct ba_wasm__sig *next; /* intern list in the store           */
} ba_wasm__sig;

/* Every object lives in exactly one store and is freed with it. */
typedef enum ba_wasm__object_kind {
	BA_WASM__OBJ_FUNC,
	BA_WASM__OBJ_TABLE,
	BA_WASM__OBJ_MEMORY,
	BA_WASM__OBJ_GLOBAL,
	BA_WASM__OBJ_INSTANCE
} ba_wasm__object_kind;

typedef struct ba_wasm__object {
	ba_wasm__object_kind kind;
	/* The owning store: host functions need it to be called through
	 * ba_wasm_call, and linking uses it to refuse objects of another
	 * store (their sigs are not ours, and they die with their store). */
	ba_wasm_store *store;
	struct ba_wasm__object *next_in_store;
} ba_wasm__object;

struct ba_wasm_func {
	ba_wasm__object obj;
	const ba_wasm__sig *sig; /* owned by the store             */
	bool is_host;
	/* Wasm functions: */
	ba_wasm_instance *instance;       /* the defining instance          */
	uint32_t func_index;              /* in that instance's module      */
	const struct ba_wasm__code *code; /* owned by the module            */
	/* Host functions: */
	ba_wasm_host_fn host;
	void *host_user;
};

struct ba_wasm_memory {
	ba_wasm__object obj;
	uint8_t *data;             /* size bytes are addressable              */
	uint64_t size;             /* current size in bytes                   */
	uint64_t max_pages;        /* effective maximum: declared max capped by
	                              the store's max_memory_bytes             */
	ba_wasm_limits_range type; /* current type (min = current pages)   */
	uint64_t reserved;         /* bytes of address space reserved at data
	                              (implementation detail of instance.c)    */
};

struct ba_wasm_table {
	ba_wasm__object obj;
	ba_wasm_valtype elem; /* FUNCREF or EXTERNREF                     */
	uint32_t size;
	uint32_t max; /* effective maximum                        */
	ba_wasm_limits_range type;
	ba_wasm__slot *elems; /* size entries; 0 = null                   */
};

struct ba_wasm_global {
	ba_wasm__object obj;
	ba_wasm_valtype type;
	bool mutable_;
	ba_wasm__slot value;
};

struct ba_wasm_instance {
	ba_wasm__object obj;
	ba_wasm_store *store;
	ba_wasm_module *module;    /* one reference held              */
	ba_wasm_func **funcs;      /* module->func_count entries      */
	ba_wasm_table **tables;    /* module->table_count             */
	ba_wasm_memory **memories; /* module->memory_count            */
	ba_wasm_global **globals;  /* module->global_count            */
	const ba_wasm__sig **sigs; /* canonical sig per type index    */
	bool *elem_dropped;        /* module->elem_count              */
	bool *data_dropped;        /* module->data_count              */
	ba_wasm_memory *memory0;   /* memories[0] or NULL             */
};

struct ba_wasm_store {
	ba_wasm_limits limits;    /* defaults filled in              */
	ba_wasm__object *objects; /* every object, newest first      */
	ba_wasm__sig *sigs;       /* interned signatures             */
	/* Open-addressing hash index over sigs, so interning stays O(1) for
	 * modules with very many types (owned by instance.c). */
	ba_wasm__sig **sig_index;
	size_t sig_index_cap; /* 0 or a power of two             */
	size_t sig_count;

	/* Fuel. fuel_enabled false means unlimited; the interpreter then
	 * still counts but never traps. fuel_left is signed so a charge can
	 * take it below zero, which is the exhaustion test. */
	bool fuel_enabled;
	int64_t fuel_left;
	uint64_t fuel_set; /* what set_fuel last gave          */

	uint64_t deadline_ns; /* 0 = none                         */
	atomic_int interrupt_requested;

	/* The interpreter's stacks, allocated on first call and reused. */
	ba_wasm__slot *value_stack;
	size_t value_stack_slots;
	void *frame_stack; /* layout owned by exec.c           */
	size_t frame_stack_cap;
	uint32_t call_depth; /* nested ba_wasm__invoke (host
	                        re-entry) plus wasm frames        */

	/* Set by ba_wasm_caller_trap() while a host function runs. */
	char host_trap_message[200];
	/* Why the last BA_WASM_TRAP_COMPILE happened: which function could
	 * not be compiled on its first call, and why (exec.c). */
	char compile_trap_message[200];
};

/* What a host function receives as ba_wasm_caller. */
struct ba_wasm_caller {
	ba_wasm_store *store;
	ba_wasm_instance *instance; /* the calling wasm instance       */
};

/*
 * exec.c: runs func (wasm or host) with its parameters in slots[0..params)
 * and leaves its results in slots[0..results). slots must have room for
 * max(params, results). Fills diag on a trap (kind, function, offset).
 * Re-entrant: a host function may call back into wasm in the same store.
 */
ba_wasm_err ba_wasm__invoke(ba_wasm_store *store, ba_wasm_func *func, ba_wasm__slot *slots,
                            ba_wasm_diag *diag);

/*
 * instance.c: the shared semantics of operations the interpreter and
 * instantiation both perform. Each returns BA_WASM_TRAP_NONE or the trap.
 */
ba_wasm_trap ba_wasm__memory_init(ba_wasm_instance *inst, uint32_t mem_index, uint32_t data_index,
                                  uint64_t dst, uint64_t src, uint64_t len);
ba_wasm_trap ba_wasm__table_init(ba_wasm_instance *inst, uint32_t table_index, uint32_t elem_index,
                                 uint64_t dst, uint64_t src, uint64_t len);
/* Returns old size or -1. */
int64_t ba_wasm__table_grow(ba_wasm_table *table, uint64_t delta, ba_wasm__slot init);
/* Returns old size in pages or -1. Updates memory->data/size. */
int64_t ba_wasm__memory_grow_pages(ba_wasm_memory *memory, uint64_t delta_pages);
/* Evaluates a constant expression in an instance (globals resolved). */
ba_wasm__slot ba_wasm__eval_const(const ba_wasm_instance *inst, const ba_wasm__const_expr *expr);

/* Converting between typed values and slots. */
static inline ba_wasm__slot ba_wasm__to_slot(ba_wasm_value v)
{
	switch (v.type) {
	case BA_WASM_I32:
		return v.of.i32;
	case BA_WASM_F32:
		return v.of.f32_bits;
	case BA_WASM_I64:
		return v.of.i64;
	case BA_WASM_F64:
		return v.of.f64_bits;
	case BA_WASM_FUNCREF:
		return (ba_wasm__slot)(uintptr_t)v.of.funcref;
	case BA_WASM_EXTERNREF:
		return (ba_wasm__slot)v.of.externref;
	case BA_WASM_V128:
		break;
	}
	return 0;
}

static inline ba_wasm_value ba_wasm__from_slot(ba_wasm_valtype type, ba_wasm__slot s)
{
	ba_wasm_value v;
	v.type = type;
	switch (type) {
	case BA_WASM_I32:
		v.of.i32 = (uint32_t)s;
		break;
	case BA_WASM_F32:
		v.of.f32_bits = (uint32_t)s;
		break;
	case BA_WASM_FUNCREF:
		v.of.funcref = (ba_wasm_func *)(uintptr_t)s;
		break;
	case BA_WASM_EXTERNREF:
		v.of.externref = (uintptr_t)s;
		break;
	default:
		v.of.i64 = s;
		break;
	}
	return v;
}

#endif /* BA_WASM_RUNTIME_H */
