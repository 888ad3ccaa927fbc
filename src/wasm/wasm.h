/*
 * wasm.h - the embedding API of boxagent's WebAssembly engine.
 *
 * The engine runs WebAssembly 2.0 core modules (binary format, no SIMD yet)
 * inside hard limits. Every failure, including every trap raised by guest
 * code, comes back as a ba_wasm_err value plus a ba_wasm_diag that says what
 * happened and where; nothing a guest does can crash or exit the host.
 *
 * Life cycle:
 *
 *   bytes --ba_wasm_module_load--> ba_wasm_module   (decoded, validated,
 *                                                     compiled (lazily by
 *                                                     default); immutable,
 *                                                     shareable, refcounted)
 *   ba_wasm_store_new(limits)  --> ba_wasm_store    (owns every runtime object:
 *                                                     instances, memories,
 *                                                     tables, globals, host
 *                                                     functions; one thread
 *                                                     at a time)
 *   ba_wasm_instantiate(store, module, imports) --> ba_wasm_instance
 *   ba_wasm_call(func, args, results)
 *   ba_wasm_store_free(store)                        (frees everything in it)
 *   ba_wasm_module_release(module)
 *
 * Ownership words used below:
 *   borrowed - the callee only looks at it during the call;
 *   taken    - the callee becomes responsible for freeing it;
 *   owned    - the object belongs to its store/module; the caller must not
 *              free it and must not use it after the owner is freed.
 *
 * Threads: a module may be used from many threads at once. A store and all
 * objects in it must be used by one thread at a time, except
 * ba_wasm_store_interrupt(), which any thread may call at any time.
 */
#ifndef BA_WASM_H
#define BA_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define BA_WASM_MUST_USE __attribute__((warn_unused_result))
#else
#define BA_WASM_MUST_USE
#endif

/* ------------------------------------------------------------------------ */
/* Errors and diagnostics                                                   */
/* ------------------------------------------------------------------------ */

typedef enum ba_wasm_err {
	BA_WASM_OK = 0,
	BA_WASM_ERR_MALFORMED,   /* bytes are not a well-formed binary module  */
	BA_WASM_ERR_INVALID,     /* well-formed but fails validation           */
	BA_WASM_ERR_UNSUPPORTED, /* valid, but uses a feature we do not run yet
	                            (e.g. SIMD)                                 */
	BA_WASM_ERR_LINK,        /* an import is missing or has the wrong type */
	BA_WASM_ERR_TRAP,        /* guest code trapped; diag.trap says how     */
	BA_WASM_ERR_LIMIT,       /* a configured limit was hit (too big a
	                            module, memory/table above the cap at
	                            instantiation, ...)                         */
	BA_WASM_ERR_NOMEM,       /* the host could not allocate                */
	BA_WASM_ERR_ARGS         /* the embedder called the API wrongly (wrong
	                            argument count or types, unknown export)    */
} ba_wasm_err;

/* Why guest execution stopped. BA_WASM_TRAP_NONE unless err == TRAP. */
typedef enum ba_wasm_trap {
	BA_WASM_TRAP_NONE = 0,
	BA_WASM_TRAP_UNREACHABLE,           /* "unreachable"                     */
	BA_WASM_TRAP_MEMORY_OOB,            /* "out of bounds memory access"     */
	BA_WASM_TRAP_TABLE_OOB,             /* "out of bounds table access"      */
	BA_WASM_TRAP_UNDEFINED_ELEMENT,     /* "undefined element" (call_indirect
	                                       index past the table end)          */
	BA_WASM_TRAP_UNINITIALIZED_ELEMENT, /* "uninitialized element" (null)  */
	BA_WASM_TRAP_INDIRECT_TYPE,         /* "indirect call type mismatch"     */
	BA_WASM_TRAP_DIV_ZERO,              /* "integer divide by zero"          */
	BA_WASM_TRAP_INT_OVERFLOW,          /* "integer overflow"                */
	BA_WASM_TRAP_INVALID_CONVERSION,    /* "invalid conversion to integer"   */
	BA_WASM_TRAP_STACK_EXHAUSTED,       /* "call stack exhausted": call depth
	                                       or value-stack cap reached          */
	BA_WASM_TRAP_FUEL_EXHAUSTED,        /* the store's fuel ran out          */
	BA_WASM_TRAP_INTERRUPTED,           /* ba_wasm_store_interrupt() or the
	                                       deadline                            */
	BA_WASM_TRAP_HOST,                  /* a host function reported an error */
	BA_WASM_TRAP_COMPILE                /* a function could not be compiled
	                                       on its first call (out of memory
	                                       or a limit); the message says which
	                                       and why                            */
} ba_wasm_trap;

/*
 * Details for people. Every API function that takes a diag fills it on
 * failure (a NULL diag is allowed and means "don't care").
 */
typedef struct ba_wasm_diag {
	ba_wasm_err err;
	ba_wasm_trap trap;
	size_t offset;       /* byte offset in the module binary of the failing
	                        construct or instruction; SIZE_MAX if none      */
	uint32_t func_index; /* function index for traps/validation errors, or
	                        UINT32_MAX                                      */
	char message[256];   /* one line, no trailing newline                   */
} ba_wasm_diag;

/* Static text for an error or a trap kind; never NULL. */
const char *ba_wasm_err_name(ba_wasm_err err);
const char *ba_wasm_trap_message(ba_wasm_trap trap);

/* ------------------------------------------------------------------------ */
/* Values and types                                                         */
/* ------------------------------------------------------------------------ */

typedef enum ba_wasm_valtype {
	BA_WASM_I32 = 0x7F,
	BA_WASM_I64 = 0x7E,
	BA_WASM_F32 = 0x7D,
	BA_WASM_F64 = 0x7C,
	BA_WASM_V128 = 0x7B, /* reserved for the SIMD issue */
	BA_WASM_FUNCREF = 0x70,
	BA_WASM_EXTERNREF = 0x6F
} ba_wasm_valtype;

typedef struct ba_wasm_func ba_wasm_func;

/*
 * A typed value. Floats are carried as raw bits so that NaN payloads survive
 * every copy exactly (the spec requires it). A null reference is NULL /
 * 0; an externref is an opaque host word the engine never dereferences.
 */
typedef struct ba_wasm_value {
	ba_wasm_valtype type;
	union {
		uint32_t i32;
		uint64_t i64;
		uint32_t f32_bits;
		uint64_t f64_bits;
		ba_wasm_func *funcref; /* owned by its store; NULL = null */
		uintptr_t externref;   /* 0 = null                         */
	} of;
} ba_wasm_value;

const char *ba_wasm_valtype_name(ba_wasm_valtype type); /* "i32", ... */

static inline ba_wasm_value ba_wasm_i32(uint32_t v)
{
	ba_wasm_value r = {.type = BA_WASM_I32, .of.i32 = v};
	return r;
}
static inline ba_wasm_value ba_wasm_i64(uint64_t v)
{
	ba_wasm_value r = {.type = BA_WASM_I64, .of.i64 = v};
	return r;
}

/* A function signature. Arrays are owned by whoever owns the type. */
typedef struct ba_wasm_functype {
	uint32_t param_count;
	uint32_t result_count;
	const ba_wasm_valtype *params;
	const ba_wasm_valtype *results;
} ba_wasm_functype;

typedef struct ba_wasm_limits_range {
	uint64_t min;
	uint64_t max; /* valid only if has_max */
	bool has_max;
} ba_wasm_limits_range;

typedef enum ba_wasm_extern_kind {
	BA_WASM_EXTERN_FUNC = 0,
	BA_WASM_EXTERN_TABLE = 1,
	BA_WASM_EXTERN_MEMORY = 2,
	BA_WASM_EXTERN_GLOBAL = 3
} ba_wasm_extern_kind;

/* The declared type of an import or export. */
typedef struct ba_wasm_externtype {
	ba_wasm_extern_kind kind;
	ba_wasm_functype func; /* kind == FUNC   */
	struct {
		ba_wasm_valtype elem;
		ba_wasm_limits_range limits;
	} table;                     /* kind == TABLE  */
	ba_wasm_limits_range memory; /* kind == MEMORY, in 64 KiB pages */
	struct {
		ba_wasm_valtype type;
		bool mutable_;
	} global; /* kind == GLOBAL */
} ba_wasm_externtype;

/* ------------------------------------------------------------------------ */
/* Modules                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct ba_wasm_module ba_wasm_module;

/* Caps on what a module may declare; 0 in a field means the default. */
typedef struct ba_wasm_load_options {
	size_t max_module_bytes; /* default 256 MiB                        */
	uint32_t max_functions;  /* default 1,000,000                      */
	uint32_t max_locals;     /* per function, default 50,000           */
	uint32_t max_body_bytes; /* per function, default 8 MiB            */
	/* Compile every function body at load. By default (false) a body is
	 * validated at load, so an invalid module still fails here, but is
	 * compiled only when the function is first called: a program pays
	 * only for the code it runs. Eager loading is for callers that want
	 * every cost and every failure up front (fuzzers, benchmarks). */
	bool eager;
} ba_wasm_load_options;

/*
 * Decodes, validates and compiles a binary module (each body on its first
 * call unless options->eager; a failure then, which only running out of
 * memory or a body too big for the compiler's 32-bit code can cause, is a
 * BA_WASM_TRAP_COMPILE trap of that call).
 * bytes: borrowed (the module keeps its own copy of what it needs).
 * options: borrowed, may be NULL for defaults.
 * *out: owned by the caller, released with ba_wasm_module_release().
 * Returns MALFORMED, INVALID, UNSUPPORTED, LIMIT or NOMEM on failure, with
 * the byte offset and reason in diag.
 */
BA_WASM_MUST_USE ba_wasm_err ba_wasm_module_load(const uint8_t *bytes, size_t len,
                                                 const ba_wasm_load_options *options,
                                                 ba_wasm_module **out, ba_wasm_diag *diag);

/* Reference counting: each instance holds a reference of its own. */
ba_wasm_module *ba_wasm_module_retain(ba_wasm_module *module);
void ba_wasm_module_release(ba_wasm_module *module);

/* Imports and exports, in declaration order. Strings are owned by the
 * module and are not NUL-terminated inside the binary, so a length is
 * given; the engine guarantees they are valid UTF-8 and also NUL-terminates
 * its copies so they can be printed with %s. */
typedef struct ba_wasm_import_desc {
	const char *module_name;
	size_t module_name_len;
	const char *name;
	size_t name_len;
	ba_wasm_externtype type;
} ba_wasm_import_desc;

typedef struct ba_wasm_export_desc {
	const char *name;
	size_t name_len;
	ba_wasm_externtype type;
} ba_wasm_export_desc;

uint32_t ba_wasm_module_import_count(const ba_wasm_module *module);
uint32_t ba_wasm_module_export_count(const ba_wasm_module *module);
/* index < count; out filled with pointers owned by the module. */
void ba_wasm_module_import(const ba_wasm_module *module, uint32_t index, ba_wasm_import_desc *out);
void ba_wasm_module_export(const ba_wasm_module *module, uint32_t index, ba_wasm_export_desc *out);

/* ------------------------------------------------------------------------ */
/* Stores and limits                                                        */
/* ------------------------------------------------------------------------ */

typedef struct ba_wasm_store ba_wasm_store;
typedef struct ba_wasm_instance ba_wasm_instance;
typedef struct ba_wasm_memory ba_wasm_memory;
typedef struct ba_wasm_table ba_wasm_table;
typedef struct ba_wasm_global ba_wasm_global;

/*
 * Hard limits for everything that runs in a store. 0 in a field means the
 * default given here. They are enforced, not advisory: passing one is a trap
 * (or, for growth, a failed memory.grow/table.grow returning -1).
 */
typedef struct ba_wasm_limits {
	uint64_t max_memory_bytes; /* per linear memory; default 4 GiB (the
	                              32-bit maximum)                         */
	uint32_t max_table_elems;  /* per table; default 10,000,000          */
	uint32_t max_call_depth;   /* nested wasm calls; default 10,000      */
	uint32_t max_stack_bytes;  /* value stack of one call chain; default
	                              8 MiB                                   */
	uint64_t fuel;             /* instruction budget; 0 = unlimited.
	                              Charged per basic block, deterministic. */
	uint64_t deadline_ns;      /* CLOCK_MONOTONIC time after which running
	                              code traps with INTERRUPTED; 0 = none   */
} ba_wasm_limits;

/* limits: borrowed, may be NULL. Returns NULL only when out of memory. */
ba_wasm_store *ba_wasm_store_new(const ba_wasm_limits *limits);
/* Frees the store and every instance, memory, table, global and function
 * in it. NULL is allowed. */
void ba_wasm_store_free(ba_wasm_store *store);

/* Fuel: set a new budget (0 = unlimited) and read what is left. */
void ba_wasm_store_set_fuel(ba_wasm_store *store, uint64_t fuel);
uint64_t ba_wasm_store_fuel_remaining(const ba_wasm_store *store);
/* Fuel consumed since the store was made or since the last set_fuel. */
uint64_t ba_wasm_store_fuel_consumed(const ba_wasm_store *store);
void ba_wasm_store_set_deadline(ba_wasm_store *store, uint64_t deadline_ns);

/* Ask running code to stop with BA_WASM_TRAP_INTERRUPTED as soon as it
 * reaches a loop back-edge or a call. Async-signal-safe and thread-safe.
 * The request stays pending until ba_wasm_store_clear_interrupt(). */
void ba_wasm_store_interrupt(ba_wasm_store *store);
void ba_wasm_store_clear_interrupt(ba_wasm_store *store);

/* ------------------------------------------------------------------------ */
/* Host functions and externs                                              */
/* ------------------------------------------------------------------------ */

/* What a host function sees of its caller. */
typedef struct ba_wasm_caller ba_wasm_caller;

/*
 * A host function. args has type->param_count values, results room for
 * type->result_count values whose types the host must set as declared.
 * Return BA_WASM_OK, or BA_WASM_ERR_TRAP after ba_wasm_caller_trap() to
 * stop the guest with a BA_WASM_TRAP_HOST trap carrying that message.
 */
typedef ba_wasm_err (*ba_wasm_host_fn)(ba_wasm_caller *caller, void *user,
                                       const ba_wasm_value *args, ba_wasm_value *results);

/* type: borrowed (copied). user: borrowed, passed back on each call.
 * The function is owned by the store. NULL when out of memory. */
ba_wasm_func *ba_wasm_func_new_host(ba_wasm_store *store, const ba_wasm_functype *type,
                                    ba_wasm_host_fn fn, void *user);

/* The calling instance's memory 0 (NULL when it has none); owned. */
ba_wasm_memory *ba_wasm_caller_memory(ba_wasm_caller *caller);
ba_wasm_instance *ba_wasm_caller_instance(ba_wasm_caller *caller);
ba_wasm_store *ba_wasm_caller_store(ba_wasm_caller *caller);
/* Records a host trap message (printf-style); returns BA_WASM_ERR_TRAP so a
 * host function can `return ba_wasm_caller_trap(caller, "...")`. */
ba_wasm_err ba_wasm_caller_trap(ba_wasm_caller *caller, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/* An import or export value. Pointers are owned by a store. */
typedef struct ba_wasm_extern {
	ba_wasm_extern_kind kind;
	union {
		ba_wasm_func *func;
		ba_wasm_table *table;
		ba_wasm_memory *memory;
		ba_wasm_global *global;
	} of;
} ba_wasm_extern;

/* Standalone objects (the spec test harness imports these). */
ba_wasm_global *ba_wasm_global_new(ba_wasm_store *store, ba_wasm_valtype type, bool mutable_,
                                   ba_wasm_value init);
ba_wasm_memory *ba_wasm_memory_new(ba_wasm_store *store, ba_wasm_limits_range pages);
ba_wasm_table *ba_wasm_table_new(ba_wasm_store *store, ba_wasm_valtype elem,
                                 ba_wasm_limits_range limits);

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Instantiates module in store. imports: borrowed array of exactly
 * ba_wasm_module_import_count(module) externs, in import order; each is
 * checked against the declared type (LINK error naming the import when it
 * does not match). Runs the start function; a trap there returns TRAP and
 * no instance (but, per the spec, writes already made by active data and
 * element segments stay visible in imported memories and tables).
 * *out is owned by the store.
 */
BA_WASM_MUST_USE ba_wasm_err ba_wasm_instantiate(ba_wasm_store *store, ba_wasm_module *module,
                                                 const ba_wasm_extern *imports, size_t import_count,
                                                 ba_wasm_instance **out, ba_wasm_diag *diag);

/* Finds an export by name (NUL-terminated). Returns false if absent. */
bool ba_wasm_instance_export(ba_wasm_instance *instance, const char *name, ba_wasm_extern *out);
/* The same for a name of len bytes, which may hold NUL bytes (export names
 * are any valid UTF-8, and U+0000 is valid). */
bool ba_wasm_instance_export_n(ba_wasm_instance *instance, const char *name, size_t len,
                               ba_wasm_extern *out);
ba_wasm_module *ba_wasm_instance_module(ba_wasm_instance *instance); /* owned */
/* The instance's memory 0 or NULL. */
ba_wasm_memory *ba_wasm_instance_memory(ba_wasm_instance *instance);

/* ------------------------------------------------------------------------ */
/* Calls                                                                    */
/* ------------------------------------------------------------------------ */

/* The function's signature, owned by the function's store. */
const ba_wasm_functype *ba_wasm_func_type(const ba_wasm_func *func);

/*
 * Calls func with args (borrowed; count and types must match the signature
 * or ARGS is returned) and writes result_count results (must equal the
 * signature's). A trap returns TRAP with the kind, the function index and
 * instruction offset in diag. The store stays usable after a trap.
 */
BA_WASM_MUST_USE ba_wasm_err ba_wasm_call(ba_wasm_func *func, const ba_wasm_value *args,
                                          size_t arg_count, ba_wasm_value *results,
                                          size_t result_count, ba_wasm_diag *diag);

/* ------------------------------------------------------------------------ */
/* Memories, tables, globals                                               */
/* ------------------------------------------------------------------------ */

/* Current size in bytes. */
uint64_t ba_wasm_memory_size(const ba_wasm_memory *memory);
/*
 * Bounds-checked access for host functions: the only way the host reads or
 * writes guest memory. Each returns false (and touches nothing) when
 * [addr, addr+len) is not entirely inside the memory.
 */
bool ba_wasm_memory_read(const ba_wasm_memory *memory, uint64_t addr, void *dst, size_t len);
bool ba_wasm_memory_write(ba_wasm_memory *memory, uint64_t addr, const void *src, size_t len);
/*
 * A direct pointer to [addr, addr+len), or NULL when out of bounds. It is
 * valid until the guest runs again (memory.grow may move it).
 */
uint8_t *ba_wasm_memory_span(ba_wasm_memory *memory, uint64_t addr, uint64_t len);
/* Grows by delta pages; returns the old size in pages or -1 (limit hit). */
int64_t ba_wasm_memory_grow(ba_wasm_memory *memory, uint64_t delta_pages);

ba_wasm_value ba_wasm_global_get(const ba_wasm_global *global);
/* ARGS if the global is immutable or the type differs. */
BA_WASM_MUST_USE ba_wasm_err ba_wasm_global_set(ba_wasm_global *global, ba_wasm_value value);

uint32_t ba_wasm_table_size(const ba_wasm_table *table);

#endif /* BA_WASM_H */
