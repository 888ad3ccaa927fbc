/*
 * code.h - the interpreter's internal code, shared by compile.c (which
 * translates each validated function body once) and exec.c (which runs it).
 *
 * The form is a register machine over one frame of 64-bit slots:
 *
 *   fp[0 .. params)                      parameters
 *   fp[params .. params+locals)          declared locals (zeroed at entry)
 *   fp[.. + const_count)                 the function's constant pool
 *                                        (copied in at entry)
 *   fp[stack_base .. stack_base+height)  operand-stack positions
 *
 * Every wasm operand-stack position has a fixed slot known at compile time,
 * so an instruction names its operands and its destination by slot index and
 * never pushes or pops. A call places the arguments at the top of the
 * caller's stack area; the callee's frame starts there, so arguments and
 * results are never copied.
 *
 * Instructions are runs of 8-byte cells. The first cell holds the address of
 * the handler (direct threading via computed goto), the following cells the
 * operands: slot indices and 32-bit immediates as pairs (s.a, s.b), 64-bit
 * immediates and branch targets as whole cells. The layout of each opcode is
 * given next to it below as [h][a|b][...]: "d" is the destination slot,
 * "x", "y", "c" source slots, "k" an immediate, "T" a target cell pointer,
 * "F" fuel charged when a branch is taken, "f" when it falls through.
 *
 * i32 and f32 values live in the low 32 bits of a slot; the upper 32 bits
 * are unspecified inside a frame (so i32.wrap_i64 and the reinterprets cost
 * nothing), and every consumer of a 32-bit value reads only the low half.
 * Values leave the interpreter only through ba_wasm__from_slot(), which
 * truncates, or through global.set of a 32-bit global, which stores them
 * zero-extended.
 */
/*
 * The interpreter's opcode tables, dispatch macros and case lists are laid
 * out by hand in columns that clang-format would undo; keep it off here.
 */
/* clang-format off */
#ifndef BA_WASM_CODE_H
#define BA_WASM_CODE_H

#include "runtime.h"

struct ba_wasm__code;

typedef union ba_wasm__cell {
	const void *h;                     /* handler address              */
	struct {
		uint32_t a, b;
	} s;
	uint64_t u64;
	const union ba_wasm__cell *target; /* branch target                */
	const struct ba_wasm__code *code;  /* direct call                  */
} ba_wasm__cell;

/* Where an instruction came from: the wasm byte offset of each
 * instruction start, sorted by cell index, for trap messages. */
typedef struct ba_wasm__pos {
	uint32_t cell;
	uint32_t offset;
} ba_wasm__pos;

/*
 * One function's code. A module makes one of these for every defined
 * function when it is loaded, so that calls can point straight at their
 * callee's code object, but by default fills it in only when the function
 * is first called (lazy compilation, ba_wasm__compile_lazy()):
 *
 *   uncompiled  frame_slots == BA_WASM__UNCOMPILED; cells, map and init are
 *               NULL and the counts 0. Every other field is already final.
 *   compiled    every field final; the object never changes again.
 *
 * The call paths compare frame_slots with the room left on the value stack
 * before anything else, and BA_WASM__UNCOMPILED is more than any value
 * stack holds (max_stack_bytes is 32-bit, so at most 2^29 slots), so an
 * uncompiled callee always takes the call's existing stack-overflow branch.
 * That slow path compiles the callee and runs the call instruction again,
 * now with the real frame size, entry fuel and initial values: the checks,
 * the fuel charged and the trap positions are exactly those of a module
 * compiled up front, and the hot path has no extra instruction.
 *
 * Threads: a module, and so its code objects, may be shared by stores in
 * several threads, and two of them may call the same uncompiled function at
 * once. Compiling takes the module's compile_lock, builds the code aside,
 * stores every other field and then frame_slots last, with release order.
 * A call reads frame_slots with acquire order (ba_wasm__frame_slots()) and
 * reads the other fields only after it saw a real frame size, so it sees
 * them complete; a call that still sees BA_WASM__UNCOMPILED reads nothing
 * else and goes to the slow path, which takes the lock. On x86-64 an
 * acquire load is the same single mov as a plain load (the order only
 * restrains the compiler); on AArch64 it is an ldar.
 */
#define BA_WASM__UNCOMPILED UINT32_MAX

struct ba_wasm__code {
	ba_wasm__cell *cells;       /* owned; the instruction stream        */
	size_t cell_count;
	ba_wasm__pos *map;          /* owned; map_count entries              */
	size_t map_count;
	/* Entry: fp[param_count .. param_count+init_count) = init[...]
	 * (zeros for the locals, then the constant pool). */
	ba_wasm__slot *init;        /* owned                                 */
	uint32_t init_count;
	uint32_t param_count;
	uint32_t result_count;
	/* Slots the frame needs beyond fp; BA_WASM__UNCOMPILED until the
	 * body is compiled. Read it with ba_wasm__frame_slots(). */
	_Atomic uint32_t frame_slots;
	uint32_t entry_fuel;        /* fuel of the first straight-line run   */
	uint32_t func_index;
	uint32_t code_offset;       /* offset of the first instruction       */
	ba_wasm_module *module;     /* the owner (not a reference): what
	                               compiling on first call reads         */
};

/* The frame size, or BA_WASM__UNCOMPILED; acquire, see above. */
static inline uint32_t ba_wasm__frame_slots(const struct ba_wasm__code *code)
{
	return atomic_load_explicit(&code->frame_slots, memory_order_acquire);
}

/*
 * compile.c: compiles code's body unless that is done already (by this or
 * any other thread); thread-safe. Returns OK, or NOMEM/LIMIT (or, should
 * the compiler find a body it cannot translate, the error it found) with
 * a one-line reason in why (why_size bytes), and leaves code uncompiled.
 */
ba_wasm_err ba_wasm__compile_lazy(const struct ba_wasm__code *code, char *why, size_t why_size);

/*
 * Comparisons that can be fused into a conditional branch, in an order where
 * cmp ^ 1 is the negation (used to invert a condition for `if`).
 */
enum ba_wasm__cmp {
	BA_WASM__CMP_EQ, BA_WASM__CMP_NE,
	BA_WASM__CMP_LT_S, BA_WASM__CMP_GE_S,
	BA_WASM__CMP_LT_U, BA_WASM__CMP_GE_U,
	BA_WASM__CMP_GT_S, BA_WASM__CMP_LE_S,
	BA_WASM__CMP_GT_U, BA_WASM__CMP_LE_U,
	BA_WASM__CMP_EQZ, BA_WASM__CMP_NEZ,
	BA_WASM__CMP_COUNT
};

/*
 * Fused compare-and-branch opcodes, generated for each comparison: for i32
 * and i64, with the right operand a slot or an immediate (i64 immediates
 * must fit in a sign-extended 32-bit field), and with or without the
 * interrupt poll that back-edges need. Layout [h][x|y-or-k][T][F|f]; EQZ/NEZ
 * use only x.
 */
#define BA_WASM__CMP_NAMES(X) \
	X(eq) X(ne) X(lt_s) X(ge_s) X(lt_u) X(ge_u) X(gt_s) X(le_s) X(gt_u) X(le_u) X(eqz) X(nez)

#define BA_WASM__BRC_OPS(X, cmp) \
	X(brc32_##cmp) X(brc32_##cmp##_k) X(brc32_##cmp##_p) X(brc32_##cmp##_k_p) \
	X(brc64_##cmp) X(brc64_##cmp##_k) X(brc64_##cmp##_p) X(brc64_##cmp##_k_p)

#define BA_WASM__OPS_BRC(X) \
	BA_WASM__BRC_OPS(X, eq) BA_WASM__BRC_OPS(X, ne) BA_WASM__BRC_OPS(X, lt_s) \
	BA_WASM__BRC_OPS(X, ge_s) BA_WASM__BRC_OPS(X, lt_u) BA_WASM__BRC_OPS(X, ge_u) \
	BA_WASM__BRC_OPS(X, gt_s) BA_WASM__BRC_OPS(X, le_s) BA_WASM__BRC_OPS(X, gt_u) \
	BA_WASM__BRC_OPS(X, le_u) BA_WASM__BRC_OPS(X, eqz) BA_WASM__BRC_OPS(X, nez)

/*
 * Every other opcode. Binary ops are [h][d|x][y|-]; their "_k" forms
 * [h][d|x][k64]. Unary ops are [h][d|x].
 */
#define BA_WASM__OPS_MAIN(X) \
	/* control */ \
	X(exit)          /* [h]  leaves the interpreter (sentinel frame)    */ \
	X(unreachable)   /* [h]                                             */ \
	X(br)            /* [h][T][F|-]                                     */ \
	X(br_p)          /* same, with the interrupt poll (back-edge)       */ \
	X(br_table)      /* [h][x|n][T][F|-] * (n+1); polls                 */ \
	X(ret)           /* [h]  results already in fp[0..)                 */ \
	X(ret1)          /* [h][x|-]  fp[0] = x, then ret                   */ \
	X(call)          /* [h][code][argbase|-]  function of this module   */ \
	X(call_import)   /* [h][funcidx|argbase]                            */ \
	X(call_indirect) /* [h][type|table][argbase|x]                      */ \
	/* data movement */ \
	X(mov)           /* [h][d|x]                                        */ \
	X(mov2)          /* [h][d|x][d2|x2]  two moves, in order            */ \
	X(const32)       /* [h][d|k]  k zero-extended                       */ \
	X(const64)       /* [h][d|-][k64]                                   */ \
	X(select)        /* [h][d|c][x|y]                                   */ \
	X(global_get)    /* [h][d|idx]                                      */ \
	X(global_set)    /* [h][x|idx]                                      */ \
	X(global_set32)  /* [h][x|idx]  stores the low 32 bits              */ \
	/* references and tables */ \
	X(ref_func)      /* [h][d|funcidx]                                  */ \
	X(ref_is_null)   /* [h][d|x]                                        */ \
	X(table_get)     /* [h][d|x][table|-]                               */ \
	X(table_set)     /* [h][x|y][table|-]  x index, y value             */ \
	X(table_size)    /* [h][d|table]                                    */ \
	X(table_grow)    /* [h][d|x][y|table]  x init value, y delta        */ \
	X(table_fill)    /* [h][x|y][c|table]  x index, y value, c count    */ \
	X(table_copy)    /* [h][x|y][c|-][dt|st]                            */ \
	X(table_init)    /* [h][x|y][c|-][table|elem]                       */ \
	X(elem_drop)     /* [h][elem|-]                                     */ \
	/* memory */ \
	X(load8_s) X(load8_u) X(load16_s) X(load16_u) X(load32_s) X(load32_u) \
	X(load64)        /* [h][d|x][off|-]  8/16/32_s sign-extend to 64    */ \
	X(store8) X(store16) X(store32) \
	X(store64)       /* [h][x|y][off|-]  x address, y value             */ \
	/* the same with the address (u32)(x + k): a fused i32.add */ \
	X(load8_s_a) X(load8_u_a) X(load16_s_a) X(load16_u_a) X(load32_s_a) \
	X(load32_u_a) X(load64_a)          /* [h][d|x][off|k]       */ \
	X(store8_a) X(store16_a) X(store32_a) X(store64_a) /* [h][x|y][off|k] */ \
	/* ... and with the address (u32)(x + z): a fused register add */ \
	X(load8_s_r) X(load8_u_r) X(load16_s_r) X(load16_u_r) X(load32_s_r) \
	X(load32_u_r) X(load64_r)          /* [h][d|x][off|z]       */ \
	X(store8_r) X(store16_r) X(store32_r) X(store64_r) /* [h][x|y][off|z] */ \
	/* common widths only: the add also stored in local t (tee'd pointer \
	 * bumps), or the address ((x << s) + k) (array indexing) */ \
	X(load8_u_ta) X(load32_u_ta) X(load64_ta)  /* [h][d|x][off|k][t|-] */ \
	X(store8_ta) X(store32_ta) X(store64_ta)   /* [h][x|y][off|k][t|-] */ \
	X(load8_u_tr) X(load32_u_tr) X(load64_tr)  /* [h][d|x][off|z][t|-] */ \
	X(store8_tr) X(store32_tr) X(store64_tr)   /* [h][x|y][off|z][t|-] */ \
	X(load8_u_s) X(load32_u_s) X(load64_s)     /* [h][d|x][off|k][s|-] */ \
	X(store8_s) X(store32_s) X(store64_s)      /* [h][x|y][off|k][s|-] */ \
	X(memory_size)   /* [h][d|-]                                        */ \
	X(memory_grow)   /* [h][d|x]                                        */ \
	X(memory_copy)   /* [h][x|y][c|-]  dst, src, len                    */ \
	X(memory_fill)   /* [h][x|y][c|-]  dst, value, len                  */ \
	X(memory_init)   /* [h][x|y][c|seg]                                 */ \
	X(data_drop)     /* [h][seg|-]                                      */ \
	/* i32 (add/sub/mul/and/or/xor use the 64-bit forms: the low half   \
	 * of the result only depends on the low halves of the operands) */ \
	X(i32_eqz) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) \
	X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) \
	X(i32_eq_k) X(i32_ne_k) X(i32_lt_s_k) X(i32_lt_u_k) X(i32_gt_s_k) X(i32_gt_u_k) \
	X(i32_le_s_k) X(i32_le_u_k) X(i32_ge_s_k) X(i32_ge_u_k) \
	X(i32_clz) X(i32_ctz) X(i32_popcnt) \
	X(i32_shl_add_k) /* [h][d|x][s|k]  (x << s) + k                     */ \
	X(i32_shr_and_k) /* [h][d|x][s|k]  (x >> s) & k, unsigned           */ \
	X(i32_xor_rotl_k) /* [h][d|x][y|k]  x ^ rotl(y, k)                  */ \
	X(i32_xor_shl_k) X(i32_xor_shr_u_k)  /* x ^ (y << k), x ^ (y >> k)   */ \
	X(i32_div_s) X(i32_div_u) X(i32_rem_s) X(i32_rem_u) \
	X(i32_shl) X(i32_shr_s) X(i32_shr_u) X(i32_rotl) X(i32_rotr) \
	X(i32_shl_k) X(i32_shr_s_k) X(i32_shr_u_k) X(i32_rotl_k) X(i32_rotr_k) \
	/* i64 */ \
	X(i64_eqz) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) \
	X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) \
	X(i64_eq_k) X(i64_ne_k) X(i64_lt_s_k) X(i64_lt_u_k) X(i64_gt_s_k) X(i64_gt_u_k) \
	X(i64_le_s_k) X(i64_le_u_k) X(i64_ge_s_k) X(i64_ge_u_k) \
	X(i64_clz) X(i64_ctz) X(i64_popcnt) \
	X(i64_add) X(i64_sub) X(i64_mul) X(i64_and) X(i64_or) X(i64_xor) \
	X(i64_add_k) X(i64_mul_k) X(i64_and_k) X(i64_or_k) X(i64_xor_k) \
	X(i64_add3)      /* [h][d|x][y|z]  x + y + z                        */ \
	X(i64_xor_shl_k) X(i64_xor_shr_u_k) X(i64_xor_rotl_k) /* as for i32  */ \
	X(i64_div_s) X(i64_div_u) X(i64_rem_s) X(i64_rem_u) \
	X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) \
	X(i64_shl_k) X(i64_shr_s_k) X(i64_shr_u_k) X(i64_rotl_k) X(i64_rotr_k) \
	/* f32 */ \
	X(f32_eq) X(f32_ne) X(f32_lt) X(f32_gt) X(f32_le) X(f32_ge) \
	X(f32_abs) X(f32_neg) X(f32_ceil) X(f32_floor) X(f32_trunc) X(f32_nearest) X(f32_sqrt) \
	X(f32_add) X(f32_sub) X(f32_mul) X(f32_div) X(f32_min) X(f32_max) X(f32_copysign) \
	X(f32_mul_add)   /* [h][d|x][y|z]  x * y + z, rounded twice (no FMA) */ \
	/* f64 */ \
	X(f64_eq) X(f64_ne) X(f64_lt) X(f64_gt) X(f64_le) X(f64_ge) \
	X(f64_abs) X(f64_neg) X(f64_ceil) X(f64_floor) X(f64_trunc) X(f64_nearest) X(f64_sqrt) \
	X(f64_add) X(f64_sub) X(f64_mul) X(f64_div) X(f64_min) X(f64_max) X(f64_copysign) \
	X(f64_mul_add) \
	/* conversions (wrap and the reinterprets compile to nothing) */ \
	X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) X(i32_trunc_f64_u) \
	X(i64_trunc_f32_s) X(i64_trunc_f32_u) X(i64_trunc_f64_s) X(i64_trunc_f64_u) \
	X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) \
	X(i32_trunc_sat_f64_u) X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) \
	X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u) \
	X(i64_extend_i32_s) X(i64_extend_i32_u) \
	X(f32_convert_i32_s) X(f32_convert_i32_u) X(f32_convert_i64_s) X(f32_convert_i64_u) \
	X(f64_convert_i32_s) X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) \
	X(f32_demote_f64) X(f64_promote_f32) \
	X(extend8_s) X(extend16_s) /* to 64 bits; serves i32 and i64 */

#define BA_WASM__OPS(X) BA_WASM__OPS_MAIN(X) BA_WASM__OPS_BRC(X)

enum ba_wasm__op {
#define BA_WASM__OP_ENUM(name) BA_WASM__OP_##name,
	BA_WASM__OPS(BA_WASM__OP_ENUM)
#undef BA_WASM__OP_ENUM
	BA_WASM__OP_COUNT
};

/* exec.c: the handler address of every opcode, indexed by enum
 * ba_wasm__op. The table is static and immutable. */
const void *const *ba_wasm__handlers(void);

#endif /* BA_WASM_CODE_H */
