/*
 * exec.c - the interpreter: runs code made by compile.c (layout in code.h)
 * and calls host functions.
 *
 * One C function, run(), executes a whole chain of wasm calls: a wasm call
 * pushes a record on the store's frame stack and jumps; it never recurses in
 * C. Only a host function that calls back into wasm (ba_wasm_call from the
 * host) nests a new run(), and that nesting is capped.
 *
 * Hot state lives in run()'s locals: the instruction pointer, the frame
 * pointer, the memory base and size, the fuel counter. Memory base and size
 * are reloaded after every call and every memory.grow, because a callee or a
 * host function may grow the memory.
 *
 * Limits: fuel is a register count, decremented by the amount each branch
 * or call carries (see compile.c) and tested for sign. When a deadline is
 * set the count is handed out in chunks and the clock is read between
 * them, so the deadline costs nothing per instruction. The interrupt flag
 * is loaded (relaxed) at every loop back-edge and call. Call depth and the
 * value stack are checked on entry to each function.
 *
 * Traps leave through one exit that fills the diag with the trap kind, the
 * function index and the wasm byte offset of the instruction, found in the
 * code's position map.
 */
/*
 * The interpreter's opcode tables, dispatch macros and case lists are laid
 * out by hand in columns that clang-format would undo; keep it off here.
 */
/* clang-format off */
#include "code.h"
#include "fround.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter accesses linear memory as little-endian host words"
#endif

#define unlikely(x) __builtin_expect(!!(x), 0)

/* Wasm rounds every operation: never contract a * b + c into an FMA. */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

/*
 * With a deadline, fuel is handed to the running code in chunks of this
 * many units and the clock is read between chunks: about every 10-50 us,
 * so a deadline stops code within well under a millisecond while the clock
 * costs nothing measurable.
 */
#define DEADLINE_CHUNK 16384

/* Host functions calling back into wasm nest run() on the C stack; this caps
 * that nesting independently of max_call_depth. */
#define MAX_NESTING 200

/* The frame stack is allocated whole (32 bytes a frame) on first use, so a
 * max_call_depth above this acts as this. */
#define MAX_FRAMES 1000000u

typedef struct frame {
	const ba_wasm__cell *ip;  /* where to continue in the caller */
	ba_wasm__slot *fp;
	const struct ba_wasm__code *code;
	ba_wasm_instance *inst;
} frame;

/* What store->frame_stack points to: one allocation, freed with free(). */
typedef struct vm {
	uint32_t frame_cap;
	uint32_t frame_top;   /* frames in use, published before host calls */
	uint32_t nesting;     /* active run()s                              */
	ba_wasm__slot *sp;    /* first free value-stack slot, published
	                         before host calls                          */
	/* Fuel not yet handed to run()'s countdown: while code runs, the
	 * store's fuel_left is this plus the countdown. */
	int64_t bank;
	ba_wasm_trap refuel_trap;
	frame frames[];
} vm;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * run() counts fuel down in a register and comes here when the count goes
 * below zero: either the fuel is really used up (trap), or only the chunk
 * is, and the deadline is checked before the next chunk is handed out.
 * Returns the new count, or -1 with v->refuel_trap set.
 */
static __attribute__((noinline)) int64_t refuel(ba_wasm_store *store, vm *v, int64_t count)
{
	int64_t real = v->bank + count, chunk;

	if (real < 0) {
		if (store->fuel_enabled) {
			v->bank = real;
			v->refuel_trap = BA_WASM_TRAP_FUEL_EXHAUSTED;
			return -1;
		}
		real = INT64_MAX; /* counting only; cannot happen in practice */
	}
	if (store->deadline_ns && now_ns() >= store->deadline_ns) {
		v->bank = real;
		v->refuel_trap = BA_WASM_TRAP_INTERRUPTED;
		return -1;
	}
	chunk = store->deadline_ns && real > DEADLINE_CHUNK ? DEADLINE_CHUNK : real;
	v->bank = real - chunk;
	return chunk;
}

static bool ensure_vm(ba_wasm_store *store)
{
	vm *v;
	size_t slots, cap;

	if (store->frame_stack && store->value_stack)
		return true;
	cap = store->limits.max_call_depth ? store->limits.max_call_depth : 1;
	if (cap > MAX_FRAMES)
		cap = MAX_FRAMES;
	slots = store->limits.max_stack_bytes / sizeof(ba_wasm__slot);
	if (slots < 16)
		slots = 16;
	v = malloc(sizeof(*v) + cap * sizeof(frame));
	if (!v)
		return false;
	/* Untouched pages of these are never committed, so reserving the
	 * whole cap up front costs address space only; and no pointer into
	 * them ever moves. */
	store->value_stack = malloc(slots * sizeof(ba_wasm__slot));
	if (!store->value_stack) {
		free(v);
		return false;
	}
	store->value_stack_slots = slots;
	memset(v, 0, sizeof(*v));
	v->frame_cap = (uint32_t)cap;
	v->sp = store->value_stack;
	free(store->frame_stack);
	store->frame_stack = v;
	store->frame_stack_cap = cap;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Traps                                                                    */
/* ------------------------------------------------------------------------ */

static size_t code_offset_at(const struct ba_wasm__code *code, const ba_wasm__cell *ip)
{
	size_t pos, lo = 0, hi;

	if (!code || !code->map_count || ip < code->cells || ip >= code->cells + code->cell_count)
		return code ? code->code_offset : SIZE_MAX;
	pos = (size_t)(ip - code->cells);
	hi = code->map_count;
	/* the last entry whose cell is <= pos */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (code->map[mid].cell <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return code->map[lo].offset;
}

/*
 * The name a person knows a function by: its first export name, if any,
 * copied into out (out_size bytes) fit for a one-line message. Export names
 * are any UTF-8, so control characters become '?', and a name that must be
 * cut is cut at a character boundary. Returns false when there is none.
 */
static bool export_name_of(const ba_wasm_module *module, uint32_t func_index, char *out,
                           size_t out_size)
{
	if (!module)
		return false;
	for (uint32_t i = 0; i < module->export_count; i++) {
		const ba_wasm__export *e = &module->exports[i];
		size_t n = e->name_len;

		if (e->kind != BA_WASM_EXTERN_FUNC || e->index != func_index)
			continue;
		if (n >= out_size) {
			n = out_size - 1;
			while (n > 0 && ((unsigned char)e->name[n] & 0xC0) == 0x80)
				n--;
		}
		for (size_t j = 0; j < n; j++) {
			unsigned char c = (unsigned char)e->name[j];
			out[j] = c < 0x20 || c == 0x7F ? '?' : (char)c;
		}
		out[n] = '\0';
		return true;
	}
	return false;
}

/*
 * Fills diag for a trap: "WHAT in function N (NAME) at offset 0xOFF". The
 * export name is looked up only here, on the slow path; module may be NULL
 * (host functions).
 */
static ba_wasm_err fill_trap(ba_wasm_store *store, ba_wasm_diag *diag, ba_wasm_trap trap,
                             const ba_wasm_module *module, uint32_t func_index, size_t offset)
{
	const char *what = ba_wasm_trap_message(trap);
	char name[61], where[96];
	bool named = export_name_of(module, func_index, name, sizeof(name));

	if (!diag)
		return BA_WASM_ERR_TRAP;
	if (trap == BA_WASM_TRAP_HOST && store->host_trap_message[0])
		what = store->host_trap_message;
	if (trap == BA_WASM_TRAP_COMPILE && store->compile_trap_message[0])
		what = store->compile_trap_message;
	diag->err = BA_WASM_ERR_TRAP;
	diag->trap = trap;
	diag->func_index = func_index;
	diag->offset = offset;
	if (func_index == UINT32_MAX)
		snprintf(where, sizeof(where), "a host function");
	else if (named)
		snprintf(where, sizeof(where), "function %u (%s)", (unsigned)func_index, name);
	else
		snprintf(where, sizeof(where), "function %u", (unsigned)func_index);
	if (offset == SIZE_MAX)
		snprintf(diag->message, sizeof(diag->message), "%.120s in %.95s", what, where);
	else
		snprintf(diag->message, sizeof(diag->message), "%.120s in %.95s at offset 0x%zx", what,
		         where, offset);
	return BA_WASM_ERR_TRAP;
}

/* ------------------------------------------------------------------------ */
/* Host functions                                                           */
/* ------------------------------------------------------------------------ */

#define HOST_INLINE 16

/*
 * Calls a host function with its arguments in slots[0..params) and writes
 * its results to slots[0..results). Returns OK or TRAP (message in
 * store->host_trap_message).
 */
static ba_wasm_err call_host(ba_wasm_store *store, ba_wasm_func *f, ba_wasm_instance *inst,
                             ba_wasm__slot *slots)
{
	const ba_wasm_functype *t = &f->sig->type;
	ba_wasm_value in_buf[HOST_INLINE], out_buf[HOST_INLINE];
	ba_wasm_value *args = in_buf, *res = out_buf;
	ba_wasm_caller caller = { store, inst };
	ba_wasm_err err;

	if (t->param_count > HOST_INLINE || t->result_count > HOST_INLINE) {
		args = calloc((size_t)t->param_count + 1, sizeof(*args));
		res = calloc((size_t)t->result_count + 1, sizeof(*res));
		if (!args || !res) {
			free(args == in_buf ? NULL : args);
			free(res == out_buf ? NULL : res);
			snprintf(store->host_trap_message, sizeof(store->host_trap_message),
			         "out of memory calling a host function");
			return BA_WASM_ERR_TRAP;
		}
	}
	for (uint32_t i = 0; i < t->param_count; i++)
		args[i] = ba_wasm__from_slot(t->params[i], slots[i]);
	for (uint32_t i = 0; i < t->result_count; i++)
		res[i] = ba_wasm__from_slot(t->results[i], 0);
	store->host_trap_message[0] = '\0';
	err = f->host(&caller, f->host_user, args, res);
	if (err == BA_WASM_OK) {
		for (uint32_t i = 0; i < t->result_count; i++) {
			if (res[i].type != t->results[i]) {
				snprintf(store->host_trap_message, sizeof(store->host_trap_message),
				         "host function returned %s for result %u, declared %s",
				         ba_wasm_valtype_name(res[i].type), (unsigned)i,
				         ba_wasm_valtype_name(t->results[i]));
				err = BA_WASM_ERR_TRAP;
				break;
			}
			if (res[i].type == BA_WASM_FUNCREF && res[i].of.funcref &&
			    res[i].of.funcref->obj.store != store) {
				snprintf(store->host_trap_message, sizeof(store->host_trap_message),
				         "host function returned a function of another store");
				err = BA_WASM_ERR_TRAP;
				break;
			}
		}
		if (err == BA_WASM_OK)
			for (uint32_t i = 0; i < t->result_count; i++)
				slots[i] = ba_wasm__to_slot(res[i]);
	} else if (err != BA_WASM_ERR_TRAP) {
		snprintf(store->host_trap_message, sizeof(store->host_trap_message),
		         "host function failed: %s", ba_wasm_err_name(err));
		err = BA_WASM_ERR_TRAP;
	} else if (!store->host_trap_message[0]) {
		snprintf(store->host_trap_message, sizeof(store->host_trap_message),
		         "host function trapped");
	}
	if (args != in_buf)
		free(args);
	if (res != out_buf)
		free(res);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Numeric helpers                                                          */
/* ------------------------------------------------------------------------ */

static inline float f32_of(ba_wasm__slot s)
{
	uint32_t u = (uint32_t)s;
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static inline ba_wasm__slot f32_slot(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static inline double f64_of(ba_wasm__slot s)
{
	double d;

	memcpy(&d, &s, sizeof(d));
	return d;
}

static inline ba_wasm__slot f64_slot(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* min/max per the spec: NaN in, NaN out (a + b keeps an input NaN's
 * payload, quieted); -0 is below +0. */
static inline float fmin32(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

static inline float fmax32(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

static inline double fmin64(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

static inline double fmax64(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t a, uint32_t b)
{
	b &= 31;
	return (a << b) | (a >> ((32 - b) & 31));
}

static inline uint32_t rotr32(uint32_t a, uint32_t b)
{
	b &= 31;
	return (a >> b) | (a << ((32 - b) & 31));
}

static inline uint64_t rotl64(uint64_t a, uint64_t b)
{
	b &= 63;
	return (a << b) | (a >> ((64 - b) & 63));
}

static inline uint64_t rotr64(uint64_t a, uint64_t b)
{
	b &= 63;
	return (a >> b) | (a << ((64 - b) & 63));
}

/* Saturating truncations: NaN gives 0, out-of-range values the bound. */
static inline uint32_t sat_i32_s(double d)
{
	if (d != d)
		return 0;
	if (d <= -2147483649.0)
		return 0x80000000u;
	if (d >= 2147483648.0)
		return 0x7fffffffu;
	return (uint32_t)(int32_t)d;
}

static inline uint32_t sat_i32_u(double d)
{
	if (d != d || d <= -1.0)
		return 0;
	if (d >= 4294967296.0)
		return 0xffffffffu;
	return (uint32_t)d;
}

static inline uint64_t sat_i64_s(double d)
{
	if (d != d)
		return 0;
	if (d < -9223372036854775808.0)
		return (uint64_t)1 << 63;
	if (d >= 9223372036854775808.0)
		return ((uint64_t)1 << 63) - 1;
	return (uint64_t)(int64_t)d;
}

static inline uint64_t sat_i64_u(double d)
{
	if (d != d || d <= -1.0)
		return 0;
	if (d >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)d;
}

/* ------------------------------------------------------------------------ */
/* The dispatch loop                                                        */
/* ------------------------------------------------------------------------ */

#define DISPATCH() goto *ip->h
#define NEXT(n)                \
	do {                   \
		ip += (n);     \
		DISPATCH();    \
	} while (0)
#define TRAP(kind)                          \
	do {                                \
		trap = BA_WASM_TRAP_##kind; \
		goto trap_out;              \
	} while (0)

#define RELOAD_MEM()                                      \
	do {                                              \
		ba_wasm_memory *m_ = inst->memory0;       \
		if (m_) {                                 \
			mbase = m_->data;                 \
			msize = m_->size;                 \
		} else {                                  \
			mbase = NULL;                     \
			msize = 0;                        \
		}                                         \
	} while (0)

#define CHARGE(n)                                                          \
	do {                                                               \
		fuel -= (int64_t)(n);                                      \
		if (unlikely(fuel < 0) && (fuel = refuel(store, vmp, fuel)) < 0) \
			goto trap_refuel;                                  \
	} while (0)

#define POLL()                                                                   \
	do {                                                                     \
		if (unlikely(atomic_load_explicit(&store->interrupt_requested,   \
		                                  memory_order_relaxed)))        \
			goto trap_interrupt;                                     \
	} while (0)
#define NOPOLL() ((void)0)

/* Operand shorthands. */
#define D1 fp[ip[1].s.a]
#define X1 fp[ip[1].s.b]
#define Y2 fp[ip[2].s.a]
#define K2 ip[2].u64

#define UNOP(name, expr)                       \
	op_##name:                             \
	{                                      \
		ba_wasm__slot x = X1;          \
		(void)x;                       \
		D1 = (expr);                   \
		NEXT(2);                       \
	}

#define BINOP32(name, expr)                                      \
	op_##name:                                               \
	{                                                        \
		uint32_t a = (uint32_t)X1, b = (uint32_t)Y2;     \
		D1 = (ba_wasm__slot)(expr);                      \
		NEXT(3);                                         \
	}                                                        \
	op_##name##_k:                                           \
	{                                                        \
		uint32_t a = (uint32_t)X1, b = (uint32_t)K2;     \
		D1 = (ba_wasm__slot)(expr);                      \
		NEXT(3);                                         \
	}

#define BINOP64(name, expr)                          \
	op_##name:                                   \
	{                                            \
		uint64_t a = X1, b = Y2;             \
		D1 = (ba_wasm__slot)(expr);          \
		NEXT(3);                             \
	}                                            \
	op_##name##_k:                               \
	{                                            \
		uint64_t a = X1, b = K2;             \
		D1 = (ba_wasm__slot)(expr);          \
		NEXT(3);                             \
	}

#define BINOP64_NOK(name, expr)                      \
	op_##name:                                   \
	{                                            \
		uint64_t a = X1, b = Y2;             \
		D1 = (ba_wasm__slot)(expr);          \
		NEXT(3);                             \
	}

#define F32BIN(name, expr)                                   \
	op_##name:                                           \
	{                                                    \
		float a = f32_of(X1), b = f32_of(Y2);        \
		D1 = f32_slot(expr);                         \
		NEXT(3);                                     \
	}
#define F32CMP(name, expr)                                   \
	op_##name:                                           \
	{                                                    \
		float a = f32_of(X1), b = f32_of(Y2);        \
		D1 = (ba_wasm__slot)(expr);                  \
		NEXT(3);                                     \
	}
#define F32UN(name, expr)                            \
	op_##name:                                   \
	{                                            \
		float a = f32_of(X1);                \
		D1 = f32_slot(expr);                 \
		NEXT(2);                             \
	}
#define F64BIN(name, expr)                                   \
	op_##name:                                           \
	{                                                    \
		double a = f64_of(X1), b = f64_of(Y2);       \
		D1 = f64_slot(expr);                         \
		NEXT(3);                                     \
	}
#define F64CMP(name, expr)                                   \
	op_##name:                                           \
	{                                                    \
		double a = f64_of(X1), b = f64_of(Y2);       \
		D1 = (ba_wasm__slot)(expr);                  \
		NEXT(3);                                     \
	}
#define F64UN(name, expr)                            \
	op_##name:                                   \
	{                                            \
		double a = f64_of(X1);               \
		D1 = f64_slot(expr);                 \
		NEXT(2);                             \
	}

/* Trapping float-to-int truncation: lo < x < hi must hold (exclusive bounds
 * chosen per type so that the comparison is exact). */
#define TRUNC(name, FT, get, lo, hi, CT, RT)                 \
	op_##name:                                           \
	{                                                    \
		FT a = get(X1);                              \
		if (unlikely(a != a))                        \
			TRAP(INVALID_CONVERSION);            \
		if (unlikely(!(a > (lo) && a < (hi))))       \
			TRAP(INT_OVERFLOW);                  \
		D1 = (ba_wasm__slot)(RT)(CT)a;               \
		NEXT(2);                                     \
	}

#define LOAD(name, N, T, conv)                                              \
	op_##name:                                                          \
	{                                                                   \
		uint64_t ea = (uint64_t)(uint32_t)X1 + ip[2].s.a;           \
		T v;                                                        \
		if (unlikely(ea + (N) > msize))                             \
			TRAP(MEMORY_OOB);                                   \
		memcpy(&v, mbase + ea, (N));                                \
		D1 = (ba_wasm__slot)(conv);                                 \
		NEXT(3);                                                    \
	}

#define LOAD_A(name, N, T, conv)                                                     \
	op_##name##_a:                                                               \
	{                                                                            \
		uint64_t ea = (uint64_t)(uint32_t)((uint32_t)X1 + ip[2].s.b) + ip[2].s.a; \
		T v;                                                                 \
		if (unlikely(ea + (N) > msize))                                      \
			TRAP(MEMORY_OOB);                                            \
		memcpy(&v, mbase + ea, (N));                                         \
		D1 = (ba_wasm__slot)(conv);                                          \
		NEXT(3);                                                             \
	}

#define STORE_A(name, N, T)                                                            \
	op_##name##_a:                                                                 \
	{                                                                              \
		uint64_t ea =                                                          \
			(uint64_t)(uint32_t)((uint32_t)fp[ip[1].s.a] + ip[2].s.b) + ip[2].s.a; \
		T v = (T)X1;                                                           \
		if (unlikely(ea + (N) > msize))                                        \
			TRAP(MEMORY_OOB);                                              \
		memcpy(mbase + ea, &v, (N));                                           \
		NEXT(3);                                                               \
	}

#define LOAD_R(name, N, T, conv)                                                     \
	op_##name##_r:                                                               \
	{                                                                            \
		uint64_t ea =                                                        \
			(uint64_t)(uint32_t)((uint32_t)X1 + (uint32_t)fp[ip[2].s.b]) + ip[2].s.a; \
		T v;                                                                 \
		if (unlikely(ea + (N) > msize))                                      \
			TRAP(MEMORY_OOB);                                            \
		memcpy(&v, mbase + ea, (N));                                         \
		D1 = (ba_wasm__slot)(conv);                                          \
		NEXT(3);                                                             \
	}

#define STORE_R(name, N, T)                                                            \
	op_##name##_r:                                                                 \
	{                                                                              \
		uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[ip[1].s.a] +           \
		                                   (uint32_t)fp[ip[2].s.b]) +          \
		              ip[2].s.a;                                               \
		T v = (T)X1;                                                           \
		if (unlikely(ea + (N) > msize))                                        \
			TRAP(MEMORY_OOB);                                              \
		memcpy(mbase + ea, &v, (N));                                           \
		NEXT(3);                                                               \
	}

/*
 * Address forms with a side effect or a scale, for the common widths.
 * The sum is stored to local t before a stored value is read, as in the
 * wasm order (the value may be that very local).
 */
#define ADDR_TA ((uint32_t)X1 + ip[2].s.b)
#define ADDR_TR ((uint32_t)X1 + (uint32_t)fp[ip[2].s.b])
#define ADDR_TA_ST ((uint32_t)fp[ip[1].s.a] + ip[2].s.b)
#define ADDR_TR_ST ((uint32_t)fp[ip[1].s.a] + (uint32_t)fp[ip[2].s.b])

#define LOAD_T(name, N, T, sfx, sum)                                  \
	op_##name##_##sfx:                                            \
	{                                                             \
		uint32_t a = (sum);                                   \
		uint64_t ea = (uint64_t)a + ip[2].s.a;                \
		T v;                                                  \
		fp[ip[3].s.a] = a;                                    \
		if (unlikely(ea + (N) > msize))                       \
			TRAP(MEMORY_OOB);                             \
		memcpy(&v, mbase + ea, (N));                          \
		D1 = (ba_wasm__slot)v;                                \
		NEXT(4);                                              \
	}

#define STORE_T(name, N, T, sfx, sum)                                 \
	op_##name##_##sfx:                                            \
	{                                                             \
		uint32_t a = (sum);                                   \
		uint64_t ea = (uint64_t)a + ip[2].s.a;                \
		T v;                                                  \
		fp[ip[3].s.a] = a;                                    \
		v = (T)X1;                                            \
		if (unlikely(ea + (N) > msize))                       \
			TRAP(MEMORY_OOB);                             \
		memcpy(mbase + ea, &v, (N));                          \
		NEXT(4);                                              \
	}

#define LOAD_S(name, N, T)                                                            \
	op_##name##_s:                                                                \
	{                                                                             \
		uint64_t ea = (uint64_t)(uint32_t)(((uint32_t)X1 << ip[3].s.a) + ip[2].s.b) + \
		              ip[2].s.a;                                              \
		T v;                                                                  \
		if (unlikely(ea + (N) > msize))                                       \
			TRAP(MEMORY_OOB);                                             \
		memcpy(&v, mbase + ea, (N));                                          \
		D1 = (ba_wasm__slot)v;                                                \
		NEXT(4);                                                              \
	}

#define STORE_S(name, N, T)                                                         \
	op_##name##_s:                                                              \
	{                                                                           \
		uint64_t ea = (uint64_t)(uint32_t)(((uint32_t)fp[ip[1].s.a] << ip[3].s.a) + \
		                                   ip[2].s.b) +                     \
		              ip[2].s.a;                                            \
		T v = (T)X1;                                                        \
		if (unlikely(ea + (N) > msize))                                     \
			TRAP(MEMORY_OOB);                                           \
		memcpy(mbase + ea, &v, (N));                                        \
		NEXT(4);                                                            \
	}

#define STORE(name, N, T)                                                   \
	op_##name:                                                          \
	{                                                                   \
		uint64_t ea = (uint64_t)(uint32_t)fp[ip[1].s.a] + ip[2].s.a;\
		T v = (T)X1;                                                \
		if (unlikely(ea + (N) > msize))                             \
			TRAP(MEMORY_OOB);                                   \
		memcpy(mbase + ea, &v, (N));                                \
		NEXT(3);                                                    \
	}

/* Fused compare-and-branch: [h][x|y][T][F|f]. */
#define BRC_BODY(cond, poll_stmt)                    \
	{                                            \
		if (cond) {                          \
			CHARGE(ip[3].s.a);           \
			poll_stmt;                   \
			ip = ip[2].target;           \
			DISPATCH();                  \
		}                                    \
		CHARGE(ip[3].s.b);                   \
		NEXT(4);                             \
	}

#define C_eq(a, b, S) ((a) == (b))
#define C_ne(a, b, S) ((a) != (b))
#define C_lt_s(a, b, S) ((S)(a) < (S)(b))
#define C_ge_s(a, b, S) ((S)(a) >= (S)(b))
#define C_lt_u(a, b, S) ((a) < (b))
#define C_ge_u(a, b, S) ((a) >= (b))
#define C_gt_s(a, b, S) ((S)(a) > (S)(b))
#define C_le_s(a, b, S) ((S)(a) <= (S)(b))
#define C_gt_u(a, b, S) ((a) > (b))
#define C_le_u(a, b, S) ((a) <= (b))
#define C_eqz(a, b, S) ((a) == 0)
#define C_nez(a, b, S) ((a) != 0)

#define A32 ((uint32_t)fp[ip[1].s.a])
#define B32 ((uint32_t)fp[ip[1].s.b])
#define K32 (ip[1].s.b)
#define A64 (fp[ip[1].s.a])
#define B64 (fp[ip[1].s.b])
#define K64 ((uint64_t)(int64_t)(int32_t)ip[1].s.b)

#define BRC_HANDLERS(c)                                                    \
	op_brc32_##c: BRC_BODY(C_##c(A32, B32, int32_t), NOPOLL())         \
	op_brc32_##c##_k: BRC_BODY(C_##c(A32, K32, int32_t), NOPOLL())     \
	op_brc32_##c##_p: BRC_BODY(C_##c(A32, B32, int32_t), POLL())       \
	op_brc32_##c##_k_p: BRC_BODY(C_##c(A32, K32, int32_t), POLL())     \
	op_brc64_##c: BRC_BODY(C_##c(A64, B64, int64_t), NOPOLL())         \
	op_brc64_##c##_k: BRC_BODY(C_##c(A64, K64, int64_t), NOPOLL())     \
	op_brc64_##c##_p: BRC_BODY(C_##c(A64, B64, int64_t), POLL())       \
	op_brc64_##c##_k_p: BRC_BODY(C_##c(A64, K64, int64_t), POLL())

/*
 * Runs entry (a wasm function) with its arguments already at vm->sp.
 * Called with store == NULL it only returns the handler table.
 */
static ba_wasm_err run(ba_wasm_store *store, ba_wasm_func *entry, ba_wasm_diag *diag,
                       const void *const **table_out)
{
#define LABEL_ADDR(name) &&op_##name,
	static const void *const table[BA_WASM__OP_COUNT] = { BA_WASM__OPS(LABEL_ADDR) };
#undef LABEL_ADDR
	vm *vmp;
	frame *fbase, *fsp, *fend;
	ba_wasm__slot *vend, *fp, *nfp, *entry_sp;
	const ba_wasm__cell *ip, *ret_ip;
	const struct ba_wasm__code *code, *cc;
	ba_wasm_instance *inst;
	ba_wasm_func *cf;
	uint8_t *mbase;
	uint64_t msize;
	int64_t fuel;
	uint32_t entry_top;
	ba_wasm_trap trap;
	ba_wasm__cell exit_cell[1];

	if (!store) {
		*table_out = table;
		return BA_WASM_OK;
	}
	vmp = store->frame_stack;
	fbase = vmp->frames;
	entry_top = vmp->frame_top;
	fsp = fbase + entry_top;
	fend = fbase + vmp->frame_cap;
	vend = store->value_stack + store->value_stack_slots;
	entry_sp = vmp->sp;
	/* The first charge finds the count empty and refuels from the bank,
	 * which also checks the deadline. */
	vmp->bank = store->fuel_left;
	fuel = 0;
	exit_cell[0].h = &&op_exit;

	/* Enter the entry function as if called from a sentinel frame whose
	 * return lands on op_exit. */
	code = NULL;
	inst = entry->instance;
	fp = entry_sp;
	ip = exit_cell;
	cf = entry;
	nfp = fp;
	ret_ip = exit_cell;
	mbase = NULL;
	msize = 0;
	goto do_call;

	/* ---------------------------------------------------------------- */
	/* control                                                          */

op_exit:
	store->fuel_left = vmp->bank + fuel;
	vmp->frame_top = entry_top;
	vmp->sp = entry_sp;
	store->call_depth = entry_top;
	return BA_WASM_OK;

op_unreachable:
	TRAP(UNREACHABLE);

op_br:
	CHARGE(ip[2].s.a);
	ip = ip[1].target;
	DISPATCH();

op_br_p:
	CHARGE(ip[2].s.a);
	POLL();
	ip = ip[1].target;
	DISPATCH();

op_br_table:
{
	uint32_t i = (uint32_t)fp[ip[1].s.a], n = ip[1].s.b;
	const ba_wasm__cell *e;

	if (i > n)
		i = n;
	e = ip + 2 + 2 * (size_t)i;
	CHARGE(e[1].s.a);
	POLL();
	ip = e[0].target;
	DISPATCH();
}

	BA_WASM__CMP_NAMES(BRC_HANDLERS)

op_ret1:
	fp[0] = fp[ip[1].s.a];
	/* fall through */
op_ret:
	fsp--;
	ip = fsp->ip;
	fp = fsp->fp;
	code = fsp->code;
	inst = fsp->inst;
	RELOAD_MEM();
	DISPATCH();

op_call:
	cc = ip[1].code;
	nfp = fp + ip[2].s.a;
	/* An uncompiled callee fails this test too (code.h). */
	if (unlikely(fsp == fend || ba_wasm__frame_slots(cc) > (size_t)(vend - nfp))) {
		cf = NULL; /* for call_slow: this is op_call */
		goto call_slow;
	}
	CHARGE(cc->entry_fuel);
	POLL();
	fsp->ip = ip + 3;
	fsp->fp = fp;
	fsp->code = code;
	fsp->inst = inst;
	fsp++;
	{
		ba_wasm__slot *d = nfp + cc->param_count;
		const ba_wasm__slot *s = cc->init;

		for (uint32_t i = 0, n = cc->init_count; i < n; i++)
			d[i] = s[i];
	}
	fp = nfp;
	code = cc;
	ip = cc->cells;
	DISPATCH();

op_call_import:
	cf = inst->funcs[ip[1].s.a];
	nfp = fp + ip[1].s.b;
	ret_ip = ip + 2;
	goto do_call;

op_call_indirect:
{
	ba_wasm_table *t = inst->tables[ip[1].s.b];
	uint32_t i = (uint32_t)fp[ip[2].s.b];

	if (unlikely(i >= t->size))
		TRAP(UNDEFINED_ELEMENT);
	cf = (ba_wasm_func *)(uintptr_t)t->elems[i];
	if (unlikely(!cf))
		TRAP(UNINITIALIZED_ELEMENT);
	if (unlikely(cf->sig != inst->sigs[ip[1].s.a]))
		TRAP(INDIRECT_TYPE);
	nfp = fp + ip[2].s.a;
	ret_ip = ip + 3;
	goto do_call;
}

do_call:
	/* cf called with its frame at nfp, returning to ret_ip; ip is still
	 * the call instruction, for traps. */
	if (cf->is_host) {
		ba_wasm_err herr;

		POLL();
		store->fuel_left = vmp->bank + fuel;
		vmp->frame_top = (uint32_t)(fsp - fbase);
		/* code is running, so compiled, and this thread has seen
		 * it so (code.h): no ordering needed. */
		vmp->sp = fp + atomic_load_explicit(&code->frame_slots, memory_order_relaxed);
		store->call_depth = vmp->frame_top;
		herr = call_host(store, cf, inst, nfp);
		vmp->sp = entry_sp;
		/* The host may have used or reset the fuel; the next charge
		 * refuels from the bank. */
		vmp->bank = store->fuel_left;
		fuel = 0;
		RELOAD_MEM();
		if (herr != BA_WASM_OK)
			TRAP(HOST);
		ip = ret_ip;
		DISPATCH();
	}
	cc = cf->code;
	if (unlikely(fsp == fend || ba_wasm__frame_slots(cc) > (size_t)(vend - nfp)))
		goto call_slow;
	CHARGE(cc->entry_fuel);
	POLL();
	fsp->ip = ret_ip;
	fsp->fp = fp;
	fsp->code = code;
	fsp->inst = inst;
	fsp++;
	{
		ba_wasm__slot *d = nfp + cc->param_count;
		const ba_wasm__slot *s = cc->init;

		for (uint32_t i = 0, n = cc->init_count; i < n; i++)
			d[i] = s[i];
	}
	fp = nfp;
	code = cc;
	ip = cc->cells;
	inst = cf->instance;
	RELOAD_MEM();
	DISPATCH();

	/*
	 * A call whose callee's frame does not fit, or whose callee is not
	 * compiled yet (code.h): compile it and run the call again, which now
	 * checks the real frame size and charges the real entry fuel, exactly
	 * as if the module had been compiled at load. ip is still the call
	 * instruction, so a trap here is reported at the call. The frame size
	 * is read again after compiling: another thread may have compiled the
	 * callee since the call read it, and then it is no reason to trap.
	 */
call_slow:
	if (fsp == fend)
		TRAP(STACK_EXHAUSTED);
	if (ba_wasm__compile_lazy(cc, store->compile_trap_message,
	                          sizeof(store->compile_trap_message)) != BA_WASM_OK)
		TRAP(COMPILE);
	if (ba_wasm__frame_slots(cc) > (size_t)(vend - nfp))
		TRAP(STACK_EXHAUSTED);
	/* op_call runs again from its instruction; calls of a function
	 * object (cf) from do_call, which has what it needs. */
	if (!cf)
		DISPATCH();
	goto do_call;

	/* ---------------------------------------------------------------- */
	/* data movement                                                    */

op_mov:
	D1 = X1;
	NEXT(2);

op_mov2:
	D1 = X1;
	fp[ip[2].s.a] = fp[ip[2].s.b];
	NEXT(3);

op_const32:
	D1 = ip[1].s.b;
	NEXT(2);

op_const64:
	D1 = K2;
	NEXT(3);

op_select:
	D1 = (uint32_t)X1 ? fp[ip[2].s.a] : fp[ip[2].s.b];
	NEXT(3);

op_global_get:
	D1 = inst->globals[ip[1].s.b]->value;
	NEXT(2);

op_global_set:
	inst->globals[ip[1].s.b]->value = fp[ip[1].s.a];
	NEXT(2);

op_global_set32:
	inst->globals[ip[1].s.b]->value = (uint32_t)fp[ip[1].s.a];
	NEXT(2);

	/* ---------------------------------------------------------------- */
	/* references and tables                                            */

op_ref_func:
	D1 = (ba_wasm__slot)(uintptr_t)inst->funcs[ip[1].s.b];
	NEXT(2);

	UNOP(ref_is_null, x == 0)

op_table_get:
{
	ba_wasm_table *t = inst->tables[ip[2].s.a];
	uint32_t i = (uint32_t)X1;

	if (unlikely(i >= t->size))
		TRAP(TABLE_OOB);
	D1 = t->elems[i];
	NEXT(3);
}

op_table_set:
{
	ba_wasm_table *t = inst->tables[ip[2].s.a];
	uint32_t i = (uint32_t)fp[ip[1].s.a];

	if (unlikely(i >= t->size))
		TRAP(TABLE_OOB);
	t->elems[i] = X1;
	NEXT(3);
}

op_table_size:
	D1 = inst->tables[ip[1].s.b]->size;
	NEXT(2);

op_table_grow:
{
	int64_t r = ba_wasm__table_grow(inst->tables[ip[2].s.b], (uint32_t)Y2, X1);

	D1 = (uint32_t)(int32_t)r;
	NEXT(3);
}

op_table_fill:
{
	ba_wasm_table *t = inst->tables[ip[2].s.b];
	uint64_t i = (uint32_t)fp[ip[1].s.a], n = (uint32_t)Y2;
	ba_wasm__slot val = X1;

	if (unlikely(i + n > t->size))
		TRAP(TABLE_OOB);
	for (uint64_t k = 0; k < n; k++)
		t->elems[i + k] = val;
	NEXT(3);
}

op_table_copy:
{
	ba_wasm_table *dt = inst->tables[ip[3].s.a], *st = inst->tables[ip[3].s.b];
	uint64_t d = (uint32_t)fp[ip[1].s.a], s = (uint32_t)X1, n = (uint32_t)Y2;

	if (unlikely(s + n > st->size || d + n > dt->size))
		TRAP(TABLE_OOB);
	if (n)
		memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(ba_wasm__slot));
	NEXT(4);
}

op_table_init:
	trap = ba_wasm__table_init(inst, ip[3].s.a, ip[3].s.b, (uint32_t)fp[ip[1].s.a],
	                           (uint32_t)X1, (uint32_t)Y2);
	if (unlikely(trap != BA_WASM_TRAP_NONE))
		goto trap_out;
	NEXT(4);

op_elem_drop:
	inst->elem_dropped[ip[1].s.a] = true;
	NEXT(2);

	/* ---------------------------------------------------------------- */
	/* memory                                                           */

	LOAD(load8_s, 1, int8_t, (int64_t)v)
	LOAD(load8_u, 1, uint8_t, v)
	LOAD(load16_s, 2, int16_t, (int64_t)v)
	LOAD(load16_u, 2, uint16_t, v)
	LOAD(load32_s, 4, int32_t, (int64_t)v)
	LOAD(load32_u, 4, uint32_t, v)
	LOAD(load64, 8, uint64_t, v)
	STORE(store8, 1, uint8_t)
	STORE(store16, 2, uint16_t)
	STORE(store32, 4, uint32_t)
	STORE(store64, 8, uint64_t)
	LOAD_A(load8_s, 1, int8_t, (int64_t)v)
	LOAD_A(load8_u, 1, uint8_t, v)
	LOAD_A(load16_s, 2, int16_t, (int64_t)v)
	LOAD_A(load16_u, 2, uint16_t, v)
	LOAD_A(load32_s, 4, int32_t, (int64_t)v)
	LOAD_A(load32_u, 4, uint32_t, v)
	LOAD_A(load64, 8, uint64_t, v)
	STORE_A(store8, 1, uint8_t)
	STORE_A(store16, 2, uint16_t)
	STORE_A(store32, 4, uint32_t)
	STORE_A(store64, 8, uint64_t)
	LOAD_R(load8_s, 1, int8_t, (int64_t)v)
	LOAD_R(load8_u, 1, uint8_t, v)
	LOAD_R(load16_s, 2, int16_t, (int64_t)v)
	LOAD_R(load16_u, 2, uint16_t, v)
	LOAD_R(load32_s, 4, int32_t, (int64_t)v)
	LOAD_R(load32_u, 4, uint32_t, v)
	LOAD_R(load64, 8, uint64_t, v)
	STORE_R(store8, 1, uint8_t)
	STORE_R(store16, 2, uint16_t)
	STORE_R(store32, 4, uint32_t)
	STORE_R(store64, 8, uint64_t)
	LOAD_T(load8_u, 1, uint8_t, ta, ADDR_TA)
	LOAD_T(load32_u, 4, uint32_t, ta, ADDR_TA)
	LOAD_T(load64, 8, uint64_t, ta, ADDR_TA)
	STORE_T(store8, 1, uint8_t, ta, ADDR_TA_ST)
	STORE_T(store32, 4, uint32_t, ta, ADDR_TA_ST)
	STORE_T(store64, 8, uint64_t, ta, ADDR_TA_ST)
	LOAD_T(load8_u, 1, uint8_t, tr, ADDR_TR)
	LOAD_T(load32_u, 4, uint32_t, tr, ADDR_TR)
	LOAD_T(load64, 8, uint64_t, tr, ADDR_TR)
	STORE_T(store8, 1, uint8_t, tr, ADDR_TR_ST)
	STORE_T(store32, 4, uint32_t, tr, ADDR_TR_ST)
	STORE_T(store64, 8, uint64_t, tr, ADDR_TR_ST)
	LOAD_S(load8_u, 1, uint8_t)
	LOAD_S(load32_u, 4, uint32_t)
	LOAD_S(load64, 8, uint64_t)
	STORE_S(store8, 1, uint8_t)
	STORE_S(store32, 4, uint32_t)
	STORE_S(store64, 8, uint64_t)

op_memory_size:
	D1 = msize / BA_WASM_PAGE_SIZE;
	NEXT(2);

op_memory_grow:
{
	ba_wasm_memory *m = inst->memory0;
	int64_t r = m ? ba_wasm__memory_grow_pages(m, (uint32_t)X1) : -1;

	RELOAD_MEM();
	D1 = (uint32_t)(int32_t)r;
	NEXT(2);
}

op_memory_copy:
{
	uint64_t d = (uint32_t)fp[ip[1].s.a], s = (uint32_t)X1, n = (uint32_t)Y2;

	if (unlikely(s + n > msize || d + n > msize))
		TRAP(MEMORY_OOB);
	if (n)
		memmove(mbase + d, mbase + s, (size_t)n);
	NEXT(3);
}

op_memory_fill:
{
	uint64_t d = (uint32_t)fp[ip[1].s.a], n = (uint32_t)Y2;

	if (unlikely(d + n > msize))
		TRAP(MEMORY_OOB);
	if (n)
		memset(mbase + d, (uint8_t)X1, (size_t)n);
	NEXT(3);
}

op_memory_init:
	trap = ba_wasm__memory_init(inst, 0, ip[2].s.b, (uint32_t)fp[ip[1].s.a], (uint32_t)X1,
	                            (uint32_t)Y2);
	if (unlikely(trap != BA_WASM_TRAP_NONE))
		goto trap_out;
	NEXT(3);

op_data_drop:
	inst->data_dropped[ip[1].s.a] = true;
	NEXT(2);

	/* ---------------------------------------------------------------- */
	/* i32                                                              */

	UNOP(i32_eqz, (uint32_t)x == 0)
	BINOP32(i32_eq, a == b)
	BINOP32(i32_ne, a != b)
	BINOP32(i32_lt_s, (int32_t)a < (int32_t)b)
	BINOP32(i32_lt_u, a < b)
	BINOP32(i32_gt_s, (int32_t)a > (int32_t)b)
	BINOP32(i32_gt_u, a > b)
	BINOP32(i32_le_s, (int32_t)a <= (int32_t)b)
	BINOP32(i32_le_u, a <= b)
	BINOP32(i32_ge_s, (int32_t)a >= (int32_t)b)
	BINOP32(i32_ge_u, a >= b)
	UNOP(i32_clz, (uint32_t)x ? (uint32_t)__builtin_clz((uint32_t)x) : 32u)
	UNOP(i32_ctz, (uint32_t)x ? (uint32_t)__builtin_ctz((uint32_t)x) : 32u)
	UNOP(i32_popcnt, (uint32_t)__builtin_popcount((uint32_t)x))
	BINOP32(i32_shl, a << (b & 31))
	BINOP32(i32_shr_s, (uint32_t)((int32_t)a >> (b & 31)))
	BINOP32(i32_shr_u, a >> (b & 31))
	BINOP32(i32_rotl, rotl32(a, b))
	BINOP32(i32_rotr, rotr32(a, b))

op_i32_shl_add_k:
	D1 = ((uint32_t)X1 << (ip[2].s.a & 31)) + ip[2].s.b;
	NEXT(3);

op_i32_xor_rotl_k:
	D1 = (uint32_t)X1 ^ rotl32((uint32_t)Y2, ip[2].s.b);
	NEXT(3);

op_i32_xor_shl_k:
	D1 = (uint32_t)X1 ^ ((uint32_t)Y2 << (ip[2].s.b & 31));
	NEXT(3);

op_i32_xor_shr_u_k:
	D1 = (uint32_t)X1 ^ ((uint32_t)Y2 >> (ip[2].s.b & 31));
	NEXT(3);

op_i64_xor_shl_k:
	D1 = X1 ^ (Y2 << (ip[2].s.b & 63));
	NEXT(3);

op_i64_xor_shr_u_k:
	D1 = X1 ^ (Y2 >> (ip[2].s.b & 63));
	NEXT(3);

op_i64_xor_rotl_k:
	D1 = X1 ^ rotl64(Y2, ip[2].s.b);
	NEXT(3);

op_i64_add3:
	D1 = X1 + Y2 + fp[ip[2].s.b];
	NEXT(3);

op_i32_shr_and_k:
	D1 = ((uint32_t)X1 >> (ip[2].s.a & 31)) & ip[2].s.b;
	NEXT(3);

op_i32_div_s:
{
	uint32_t a = (uint32_t)X1, b = (uint32_t)Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	if (unlikely(a == 0x80000000u && b == 0xffffffffu))
		TRAP(INT_OVERFLOW);
	D1 = (uint32_t)((int32_t)a / (int32_t)b);
	NEXT(3);
}

op_i32_div_u:
{
	uint32_t a = (uint32_t)X1, b = (uint32_t)Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = a / b;
	NEXT(3);
}

op_i32_rem_s:
{
	uint32_t a = (uint32_t)X1, b = (uint32_t)Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
	NEXT(3);
}

op_i32_rem_u:
{
	uint32_t a = (uint32_t)X1, b = (uint32_t)Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = a % b;
	NEXT(3);
}

	/* ---------------------------------------------------------------- */
	/* i64                                                              */

	UNOP(i64_eqz, x == 0)
	BINOP64(i64_eq, a == b)
	BINOP64(i64_ne, a != b)
	BINOP64(i64_lt_s, (int64_t)a < (int64_t)b)
	BINOP64(i64_lt_u, a < b)
	BINOP64(i64_gt_s, (int64_t)a > (int64_t)b)
	BINOP64(i64_gt_u, a > b)
	BINOP64(i64_le_s, (int64_t)a <= (int64_t)b)
	BINOP64(i64_le_u, a <= b)
	BINOP64(i64_ge_s, (int64_t)a >= (int64_t)b)
	BINOP64(i64_ge_u, a >= b)
	UNOP(i64_clz, x ? (uint64_t)__builtin_clzll(x) : 64u)
	UNOP(i64_ctz, x ? (uint64_t)__builtin_ctzll(x) : 64u)
	UNOP(i64_popcnt, (uint64_t)__builtin_popcountll(x))
	BINOP64(i64_add, a + b)
	BINOP64_NOK(i64_sub, a - b)
	BINOP64(i64_mul, a * b)
	BINOP64(i64_and, a & b)
	BINOP64(i64_or, a | b)
	BINOP64(i64_xor, a ^ b)
	BINOP64(i64_shl, a << (b & 63))
	BINOP64(i64_shr_s, (uint64_t)((int64_t)a >> (b & 63)))
	BINOP64(i64_shr_u, a >> (b & 63))
	BINOP64(i64_rotl, rotl64(a, b))
	BINOP64(i64_rotr, rotr64(a, b))

op_i64_div_s:
{
	uint64_t a = X1, b = Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	if (unlikely(a == (uint64_t)1 << 63 && b == UINT64_MAX))
		TRAP(INT_OVERFLOW);
	D1 = (uint64_t)((int64_t)a / (int64_t)b);
	NEXT(3);
}

op_i64_div_u:
{
	uint64_t a = X1, b = Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = a / b;
	NEXT(3);
}

op_i64_rem_s:
{
	uint64_t a = X1, b = Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
	NEXT(3);
}

op_i64_rem_u:
{
	uint64_t a = X1, b = Y2;

	if (unlikely(b == 0))
		TRAP(DIV_ZERO);
	D1 = a % b;
	NEXT(3);
}

	/* ---------------------------------------------------------------- */
	/* f32 / f64                                                        */

	F32CMP(f32_eq, a == b)
	F32CMP(f32_ne, a != b)
	F32CMP(f32_lt, a < b)
	F32CMP(f32_gt, a > b)
	F32CMP(f32_le, a <= b)
	F32CMP(f32_ge, a >= b)
	UNOP(f32_abs, (uint32_t)x & 0x7fffffffu)
	UNOP(f32_neg, (uint32_t)x ^ 0x80000000u)
	F32UN(f32_ceil, a != a ? a + a : ba_f32_ceil(a))
	F32UN(f32_floor, a != a ? a + a : ba_f32_floor(a))
	F32UN(f32_trunc, a != a ? a + a : ba_f32_trunc(a))
	F32UN(f32_nearest, a != a ? a + a : ba_f32_nearest(a))
	F32UN(f32_sqrt, sqrtf(a))
	F32BIN(f32_add, a + b)
	F32BIN(f32_sub, a - b)
	F32BIN(f32_mul, a * b)
	F32BIN(f32_div, a / b)
	F32BIN(f32_min, fmin32(a, b))
	F32BIN(f32_max, fmax32(a, b))

op_f32_mul_add:
{
	/* Two statements: the product is rounded before the sum, never
	 * contracted into a fused multiply-add. */
	float p = f32_of(X1) * f32_of(Y2);

	D1 = f32_slot(p + f32_of(fp[ip[2].s.b]));
	NEXT(3);
}

op_f32_copysign:
	D1 = ((uint32_t)X1 & 0x7fffffffu) | ((uint32_t)Y2 & 0x80000000u);
	NEXT(3);

	F64CMP(f64_eq, a == b)
	F64CMP(f64_ne, a != b)
	F64CMP(f64_lt, a < b)
	F64CMP(f64_gt, a > b)
	F64CMP(f64_le, a <= b)
	F64CMP(f64_ge, a >= b)
	UNOP(f64_abs, x & 0x7fffffffffffffffu)
	UNOP(f64_neg, x ^ 0x8000000000000000u)
	F64UN(f64_ceil, a != a ? a + a : ba_f64_ceil(a))
	F64UN(f64_floor, a != a ? a + a : ba_f64_floor(a))
	F64UN(f64_trunc, a != a ? a + a : ba_f64_trunc(a))
	F64UN(f64_nearest, a != a ? a + a : ba_f64_nearest(a))
	F64UN(f64_sqrt, sqrt(a))
	F64BIN(f64_add, a + b)
	F64BIN(f64_sub, a - b)
	F64BIN(f64_mul, a * b)
	F64BIN(f64_div, a / b)
	F64BIN(f64_min, fmin64(a, b))
	F64BIN(f64_max, fmax64(a, b))

op_f64_mul_add:
{
	double p = f64_of(X1) * f64_of(Y2);

	D1 = f64_slot(p + f64_of(fp[ip[2].s.b]));
	NEXT(3);
}

op_f64_copysign:
	D1 = (X1 & 0x7fffffffffffffffu) | (Y2 & 0x8000000000000000u);
	NEXT(3);

	/* ---------------------------------------------------------------- */
	/* conversions                                                      */

	TRUNC(i32_trunc_f32_s, float, f32_of, -2147483904.0f, 2147483648.0f, int32_t, uint32_t)
	TRUNC(i32_trunc_f32_u, float, f32_of, -1.0f, 4294967296.0f, uint32_t, uint32_t)
	TRUNC(i32_trunc_f64_s, double, f64_of, -2147483649.0, 2147483648.0, int32_t, uint32_t)
	TRUNC(i32_trunc_f64_u, double, f64_of, -1.0, 4294967296.0, uint32_t, uint32_t)
	TRUNC(i64_trunc_f32_s, float, f32_of, -9223373136366403584.0f, 9223372036854775808.0f,
	      int64_t, uint64_t)
	TRUNC(i64_trunc_f32_u, float, f32_of, -1.0f, 18446744073709551616.0f, uint64_t, uint64_t)
	TRUNC(i64_trunc_f64_s, double, f64_of, -9223372036854777856.0, 9223372036854775808.0,
	      int64_t, uint64_t)
	TRUNC(i64_trunc_f64_u, double, f64_of, -1.0, 18446744073709551616.0, uint64_t, uint64_t)

	UNOP(i32_trunc_sat_f32_s, sat_i32_s(f32_of(x)))
	UNOP(i32_trunc_sat_f32_u, sat_i32_u(f32_of(x)))
	UNOP(i32_trunc_sat_f64_s, sat_i32_s(f64_of(x)))
	UNOP(i32_trunc_sat_f64_u, sat_i32_u(f64_of(x)))
	UNOP(i64_trunc_sat_f32_s, sat_i64_s(f32_of(x)))
	UNOP(i64_trunc_sat_f32_u, sat_i64_u(f32_of(x)))
	UNOP(i64_trunc_sat_f64_s, sat_i64_s(f64_of(x)))
	UNOP(i64_trunc_sat_f64_u, sat_i64_u(f64_of(x)))

	UNOP(i64_extend_i32_s, (uint64_t)(int64_t)(int32_t)x)
	UNOP(i64_extend_i32_u, (uint32_t)x)
	UNOP(extend8_s, (uint64_t)(int64_t)(int8_t)x)
	UNOP(extend16_s, (uint64_t)(int64_t)(int16_t)x)

	UNOP(f32_convert_i32_s, f32_slot((float)(int32_t)x))
	UNOP(f32_convert_i32_u, f32_slot((float)(uint32_t)x))
	UNOP(f32_convert_i64_s, f32_slot((float)(int64_t)x))
	UNOP(f32_convert_i64_u, f32_slot((float)x))
	UNOP(f64_convert_i32_s, f64_slot((double)(int32_t)x))
	UNOP(f64_convert_i32_u, f64_slot((double)(uint32_t)x))
	UNOP(f64_convert_i64_s, f64_slot((double)(int64_t)x))
	UNOP(f64_convert_i64_u, f64_slot((double)x))
	UNOP(f32_demote_f64, f32_slot((float)f64_of(x)))
	UNOP(f64_promote_f32, f64_slot((double)f32_of(x)))

	/* ---------------------------------------------------------------- */
	/* leaving                                                          */

trap_refuel:
	trap = vmp->refuel_trap;
	fuel = 0; /* refuel() left everything in the bank */
	goto trap_out;

trap_interrupt:
	trap = BA_WASM_TRAP_INTERRUPTED;
	goto trap_out;

trap_out:
	store->fuel_left = vmp->bank + fuel;
	vmp->frame_top = entry_top;
	vmp->sp = entry_sp;
	store->call_depth = entry_top;
	if (code)
		return fill_trap(store, diag, trap, inst ? inst->module : NULL, code->func_index,
		                 code_offset_at(code, ip));
	return fill_trap(store, diag, trap, entry->instance ? entry->instance->module : NULL,
	                 entry->func_index,
	                 entry->code ? entry->code->code_offset : SIZE_MAX);
}

const void *const *ba_wasm__handlers(void)
{
	const void *const *table = NULL;

	(void)run(NULL, NULL, NULL, &table);
	return table;
}

ba_wasm_err ba_wasm__invoke(ba_wasm_store *store, ba_wasm_func *func, ba_wasm__slot *slots,
                            ba_wasm_diag *diag)
{
	const struct ba_wasm__code *code;
	const ba_wasm_module *module;
	vm *vmp;
	ba_wasm__slot *fp;
	ba_wasm_err err;

	if (func->is_host) {
		err = call_host(store, func, NULL, slots);
		if (err != BA_WASM_OK)
			return fill_trap(store, diag, BA_WASM_TRAP_HOST, NULL, UINT32_MAX, SIZE_MAX);
		return BA_WASM_OK;
	}
	code = func->code;
	if (!code)
		return ba_wasm__fail(diag, BA_WASM_ERR_ARGS, SIZE_MAX,
		                     "function %u has no code", (unsigned)func->func_index);
	if (!ensure_vm(store))
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
		                     "out of memory for the interpreter stacks");
	vmp = store->frame_stack;
	fp = vmp->sp;
	module = func->instance ? func->instance->module : NULL;
	if (vmp->nesting >= MAX_NESTING || vmp->frame_top >= vmp->frame_cap)
		return fill_trap(store, diag, BA_WASM_TRAP_STACK_EXHAUSTED, module,
		                 func->func_index, code->code_offset);
	/* The entry is compiled here, not by run()'s slow path, because the
	 * test below needs its frame size. */
	if (ba_wasm__compile_lazy(code, store->compile_trap_message,
	                          sizeof(store->compile_trap_message)) != BA_WASM_OK)
		return fill_trap(store, diag, BA_WASM_TRAP_COMPILE, module, func->func_index,
		                 code->code_offset);
	if (ba_wasm__frame_slots(code) >
	    (size_t)(store->value_stack + store->value_stack_slots - fp))
		return fill_trap(store, diag, BA_WASM_TRAP_STACK_EXHAUSTED, module,
		                 func->func_index, code->code_offset);
	memcpy(fp, slots, code->param_count * sizeof(*fp));
	vmp->nesting++;
	err = run(store, func, diag, NULL);
	vmp->nesting--;
	if (err == BA_WASM_OK)
		memcpy(slots, fp, code->result_count * sizeof(*fp));
	return err;
}
