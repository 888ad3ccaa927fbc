/*
 * compile.c - translates each validated function body, once, into the
 * register form described in code.h.
 *
 * The compiler walks the body with a virtual operand stack. An entry says
 * where its value is right now: in its own stack slot (TEMP), still in a
 * local (LOCAL, after local.get, so no copy is made), or a constant not yet
 * written anywhere (CONST). Consumers read LOCAL entries straight from the
 * local's slot and CONST entries as an immediate when the opcode has an
 * immediate form, else from the function's constant pool (slots filled at
 * entry). A lazy LOCAL entry is written to its own slot only when its local
 * is about to change or a control construct begins, and a result that is
 * immediately stored by local.set/tee is written straight into the local by
 * retargeting the instruction that computed it.
 *
 * Fuel: every wasm instruction costs one unit. Code is cut into straight
 * runs that end at each branching instruction (br, br_if, br_table, if,
 * else, return, unreachable, the final end). Each run's length is charged
 * once when control enters the run: by the branch that jumps to it (the
 * amount is part of the branch instruction, for the taken and the
 * fall-through path separately) or by the call that enters the function.
 * Labels bound in the middle of a run (block ends, loop headers reached by
 * falling in) are charged from the label to the end of the run when
 * branched to; falling into them costs nothing extra because the run that
 * falls in was charged up to its own end. So each executed instruction is
 * paid exactly once, and the count never depends on how we fused things.
 *
 * Validation has already run, but every read is still bounds-checked: on
 * anything unexpected we fail with MALFORMED instead of reading outside the
 * body.
 */
/*
 * The interpreter's opcode tables, dispatch macros and case lists are laid
 * out by hand in columns that clang-format would undo; keep it off here.
 */
/* clang-format off */
#include "code.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Constant-pool slots a frame reserves at most; further constants are
 * written to their stack slot by an instruction instead. */
#define MAX_POOL 256

enum vkind { V_TEMP, V_LOCAL, V_CONST };

struct ventry {
	uint8_t kind;
	uint32_t slot;  /* TEMP: == home; LOCAL: the local's slot          */
	uint32_t home;  /* the slot of this stack position                 */
	uint64_t imm;   /* CONST: raw bits                                  */
};

struct label {
	int64_t pos;    /* cell index, -1 while unbound                    */
	uint32_t start; /* instruction count where it was bound             */
	uint32_t cost;  /* fuel of the run from here to its end             */
	uint32_t refs;  /* branches to it                                   */
};

enum fix_kind { FIX_TARGET, FIX_FUEL_A, FIX_FUEL_B };

struct fix {
	uint32_t cell;
	uint32_t label;
	uint8_t kind;
};

enum ctrl_kind { C_FUNC, C_BLOCK, C_LOOP, C_IF };

struct ctrl {
	uint8_t kind;
	bool has_else;
	uint32_t nparams, nresults;
	uint32_t height;     /* stack height below the block's params    */
	uint32_t label;      /* loop: its start; others: its end          */
	uint32_t else_label; /* if: where the false branch goes           */
	uint32_t stub;       /* br_table: label of a move stub, or NONE   */
};

#define NONE UINT32_MAX

struct comp {
	jmp_buf fail;
	ba_wasm_err err;

	const ba_wasm_module *m;
	ba_wasm_module *mod;     /* the same, for publishing code          */
	struct ba_wasm__code out; /* the body being built (owned until it is
	                             published)                               */
	uint32_t out_frame_slots;
	const void *const *h;
	const uint8_t *buf;
	size_t pos, end;
	size_t instr_off;        /* offset of the instruction being compiled */

	ba_wasm__cell *code;
	size_t n, cap;
	ba_wasm__pos *map;
	size_t map_n, map_cap;
	struct fix *fix;
	size_t fix_n, fix_cap;
	struct label *labels;
	size_t label_n, label_cap;
	uint32_t *pending;       /* labels whose run is still open          */
	size_t pend_n, pend_cap;
	struct ventry *vs;
	size_t vs_n, vs_cap;
	struct ctrl *ctrls;
	size_t ctrl_n, ctrl_cap;
	uint32_t *depths;        /* br_table scratch                         */
	size_t depths_cap;
	uint64_t pool[MAX_POOL];
	uint32_t pool_n, pool_cap;

	const ba_wasm_functype *type;
	uint32_t nlocals;        /* params + declared locals                 */
	uint32_t pool_base, stack_base, max_height;
	uint32_t icount;         /* wasm instructions compiled (live ones)   */
	bool dead;

	/* The last instruction emitted, for retargeting its destination and
	 * for fusing a comparison into the branch that consumes it. */
	bool last_valid;
	bool last_open;          /* no label bound since it was emitted    */
	bool last_tee;           /* its result went to local last_dst      */
	uint16_t last_op;
	size_t last_pos, last_map_n, last_fix_n;
	uint32_t last_dst;
	bool last_is_cmp, last_cmp64;
	int last_cmp;
	struct ventry last_x, last_y;
};

static _Noreturn void die(struct comp *c, ba_wasm_err err)
{
	c->err = err;
	longjmp(c->fail, 1);
}

static void *grow(struct comp *c, void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		die(c, BA_WASM_ERR_NOMEM);
	np = realloc(p, ncap * size);
	if (!np)
		die(c, BA_WASM_ERR_NOMEM);
	*cap = ncap;
	return np;
}

/* The common case, room left, costs a compare and no call. */
#define GROW(c, arr, count, capv, need) \
	((void)((need) <= (c)->capv || \
	        ((c)->arr = grow((c), (c)->arr, &(c)->capv, (need), sizeof(*(c)->arr)))))

/* ------------------------------------------------------------------------ */
/* Reading the body                                                         */
/* ------------------------------------------------------------------------ */

static uint8_t rd_u8(struct comp *c)
{
	if (c->pos >= c->end)
		die(c, BA_WASM_ERR_MALFORMED);
	return c->buf[c->pos++];
}

static __attribute__((noinline)) uint64_t rd_leb_long(struct comp *c, int bits, bool sign)
{
	uint64_t result = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (shift >= (unsigned)bits + 7)
			die(c, BA_WASM_ERR_MALFORMED);
		b = rd_u8(c);
		if (shift < 64)
			result |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		result |= ~(uint64_t)0 << shift;
	return result;
}

/* Most LEB128s in code are one byte: read those inline. */
static inline uint64_t rd_leb(struct comp *c, int bits, bool sign)
{
	uint8_t b;

	if (c->pos >= c->end || (c->buf[c->pos] & 0x80))
		return rd_leb_long(c, bits, sign);
	b = c->buf[c->pos++];
	if (sign && (b & 0x40))
		return (uint64_t)b | ~(uint64_t)0x7f;
	return b;
}

static uint32_t rd_u32(struct comp *c)
{
	return (uint32_t)rd_leb(c, 32, false);
}

static uint64_t rd_fixed(struct comp *c, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)rd_u8(c) << (8 * i);
	return v;
}

static bool is_valtype(uint8_t b)
{
	return b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b || b == 0x70 ||
	       b == 0x6f;
}

static void rd_blocktype(struct comp *c, uint32_t *np, uint32_t *nr)
{
	uint8_t b;
	int64_t idx;

	if (c->pos >= c->end)
		die(c, BA_WASM_ERR_MALFORMED);
	b = c->buf[c->pos];
	if (b == 0x40 || is_valtype(b)) {
		c->pos++;
		*np = 0;
		*nr = b == 0x40 ? 0 : 1;
		return;
	}
	idx = (int64_t)rd_leb(c, 33, true);
	if (idx < 0 || (uint64_t)idx >= c->m->type_count)
		die(c, BA_WASM_ERR_INVALID);
	*np = c->m->types[idx].param_count;
	*nr = c->m->types[idx].result_count;
}

/*
 * Skipping is for passes that only need to find instruction boundaries
 * (counting constants, jumping over dead code), which run over every body,
 * so it is kept cheap: a LEB128 is skipped by its continuation bits (at
 * most 10 bytes; validation already checked its exact form), and the shape
 * of each opcode's immediates comes from a table.
 */
static void skip_leb(struct comp *c)
{
	size_t p = c->pos, lim = c->end - p > 10 ? p + 10 : c->end;

	while (p < lim)
		if (!(c->buf[p++] & 0x80)) {
			c->pos = p;
			return;
		}
	die(c, BA_WASM_ERR_MALFORMED);
}

static void skip_bytes(struct comp *c, uint64_t n)
{
	if (n > c->end - c->pos)
		die(c, BA_WASM_ERR_MALFORMED);
	c->pos += (size_t)n;
}

enum imm_shape {
	IM_NONE,   /* nothing follows                                     */
	IM_LEB,    /* one LEB128: indices, i32/i64.const                  */
	IM_LEB2,   /* two: memarg, call_indirect                          */
	IM_BLOCK,  /* a block type                                        */
	IM_BYTE,   /* one byte: memory.size/grow, ref.null                */
	IM_F32,
	IM_F64,
	IM_TABLE,  /* br_table                                            */
	IM_SELECT, /* select t*                                           */
	IM_FC,     /* 0xFC prefix                                         */
	IM_SIMD    /* 0xFD prefix: refused                                */
};

static const uint8_t imm_shapes[256] = {
	[0x02] = IM_BLOCK, [0x03] = IM_BLOCK, [0x04] = IM_BLOCK,
	[0x0c] = IM_LEB, [0x0d] = IM_LEB, [0x0e] = IM_TABLE, [0x10] = IM_LEB,
	[0x11] = IM_LEB2, [0x1c] = IM_SELECT,
	[0x20] = IM_LEB, [0x21] = IM_LEB, [0x22] = IM_LEB, [0x23] = IM_LEB,
	[0x24] = IM_LEB, [0x25] = IM_LEB, [0x26] = IM_LEB,
	[0x28] = IM_LEB2, [0x29] = IM_LEB2, [0x2a] = IM_LEB2, [0x2b] = IM_LEB2,
	[0x2c] = IM_LEB2, [0x2d] = IM_LEB2, [0x2e] = IM_LEB2, [0x2f] = IM_LEB2,
	[0x30] = IM_LEB2, [0x31] = IM_LEB2, [0x32] = IM_LEB2, [0x33] = IM_LEB2,
	[0x34] = IM_LEB2, [0x35] = IM_LEB2, [0x36] = IM_LEB2, [0x37] = IM_LEB2,
	[0x38] = IM_LEB2, [0x39] = IM_LEB2, [0x3a] = IM_LEB2, [0x3b] = IM_LEB2,
	[0x3c] = IM_LEB2, [0x3d] = IM_LEB2, [0x3e] = IM_LEB2,
	[0x3f] = IM_BYTE, [0x40] = IM_BYTE,
	[0x41] = IM_LEB, [0x42] = IM_LEB, [0x43] = IM_F32, [0x44] = IM_F64,
	[0xd0] = IM_BYTE, [0xd2] = IM_LEB,
	[0xfc] = IM_FC, [0xfd] = IM_SIMD,
};

/* Skips the immediates of opcode op (already read). */
static void skip_imm(struct comp *c, uint8_t op)
{
	uint32_t n;

	switch (imm_shapes[op]) {
	case IM_NONE:
		break;
	case IM_LEB:
		skip_leb(c);
		break;
	case IM_LEB2:
		skip_leb(c);
		skip_leb(c);
		break;
	case IM_BLOCK:
		/* 0x40, a value type, or a type index as a positive s33 */
		if (c->pos < c->end && (c->buf[c->pos] == 0x40 || is_valtype(c->buf[c->pos])))
			c->pos++;
		else
			skip_leb(c);
		break;
	case IM_BYTE:
		skip_bytes(c, 1);
		break;
	case IM_F32:
		skip_bytes(c, 4);
		break;
	case IM_F64:
		skip_bytes(c, 8);
		break;
	case IM_TABLE:
		n = rd_u32(c);
		for (uint64_t i = 0; i <= n; i++)
			skip_leb(c);
		break;
	case IM_SELECT:
		skip_bytes(c, rd_u32(c));
		break;
	case IM_FC:
		switch (rd_u32(c)) {
		case 8: skip_leb(c); skip_bytes(c, 1); break;
		case 9: case 13: case 15: case 16: case 17: skip_leb(c); break;
		case 10: skip_bytes(c, 2); break;
		case 11: skip_bytes(c, 1); break;
		case 12: case 14: skip_leb(c); skip_leb(c); break;
		default: break;
		}
		break;
	default:
		die(c, BA_WASM_ERR_UNSUPPORTED);
	}
}

/* ------------------------------------------------------------------------ */
/* Emitting                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Room for ncells more cells and one more map entry. Cell indices are
 * 32-bit, and cap is kept at most UINT32_MAX so that emit() tests the limit
 * by testing the room.
 */
static __attribute__((noinline)) void emit_room(struct comp *c, uint32_t ncells)
{
	if (c->n + ncells > UINT32_MAX)
		die(c, BA_WASM_ERR_LIMIT);
	GROW(c, code, n, cap, c->n + ncells);
	GROW(c, map, map_n, map_cap, c->map_n + 1);
	if (c->cap > UINT32_MAX)
		c->cap = UINT32_MAX;
}

static inline uint32_t emit_at(struct comp *c, enum ba_wasm__op op, uint32_t ncells)
{
	ba_wasm__cell *p;
	uint32_t at;

	at = (uint32_t)c->n;
	c->last_pos = at;
	c->last_map_n = c->map_n;
	c->last_fix_n = c->fix_n;
	c->last_valid = false;
	c->last_is_cmp = false;
	c->last_open = true;
	c->last_tee = false;
	c->last_op = (uint16_t)op;
	c->map[c->map_n].cell = at;
	c->map[c->map_n].offset = (uint32_t)c->instr_off;
	c->map_n++;
	/* Most instructions are 2-4 cells: zero them without a call. */
	p = &c->code[at];
	p->h = c->h[op];
	if (ncells > 1)
		p[1].u64 = 0;
	if (ncells > 2)
		p[2].u64 = 0;
	if (ncells > 3)
		p[3].u64 = 0;
	if (ncells > 4)
		memset(&p[4], 0, (ncells - 4) * sizeof(*p));
	c->n += ncells;
	return at;
}

/* The rare part of emit(), out of line and reached by a tail call so
 * that the common path saves no registers. */
static __attribute__((noinline)) uint32_t emit_grow(struct comp *c, enum ba_wasm__op op,
                                                    uint32_t ncells)
{
	emit_room(c, ncells);
	return emit_at(c, op, ncells);
}

static uint32_t emit(struct comp *c, enum ba_wasm__op op, uint32_t ncells)
{
	if (c->n + ncells > c->cap || c->map_n >= c->map_cap)
		return emit_grow(c, op, ncells);
	return emit_at(c, op, ncells);
}

/* Forgets the last instruction (it is about to be fused into the next). */
static void rewind_last(struct comp *c)
{
	c->n = c->last_pos;
	c->map_n = c->last_map_n;
	c->fix_n = c->last_fix_n;
	c->last_valid = false;
	c->last_is_cmp = false;
	c->last_open = false;
	c->last_tee = false;
}

/*
 * If e holds the result of the instruction just emitted and that was op,
 * takes the instruction back and returns its operand cells, so that the
 * consumer can do its work too. The result had no other reader: a TEMP
 * value is consumed exactly once.
 */
static bool take_last(struct comp *c, const struct ventry *e, unsigned op, ba_wasm__cell ops[2])
{
	if (e->kind != V_TEMP || !c->last_valid || c->last_dst != e->slot || c->last_op != op)
		return false;
	ops[0] = c->code[c->last_pos + 1];
	ops[1] = c->last_pos + 2 < c->n ? c->code[c->last_pos + 2] : ops[0];
	rewind_last(c);
	return true;
}

static void set_last_dst(struct comp *c, uint32_t dst)
{
	c->last_valid = true;
	c->last_dst = dst;
}

static void add_fix(struct comp *c, uint32_t cell, uint32_t label, enum fix_kind kind)
{
	GROW(c, fix, fix_n, fix_cap, c->fix_n + 1);
	c->fix[c->fix_n].cell = cell;
	c->fix[c->fix_n].label = label;
	c->fix[c->fix_n].kind = (uint8_t)kind;
	c->fix_n++;
}

static uint32_t new_label(struct comp *c)
{
	GROW(c, labels, label_n, label_cap, c->label_n + 1);
	c->labels[c->label_n].pos = -1;
	c->labels[c->label_n].start = 0;
	c->labels[c->label_n].cost = 0;
	c->labels[c->label_n].refs = 0;
	return (uint32_t)c->label_n++;
}

/* Binds a label here without opening a fuel run (branch stubs). */
static void bind_pos(struct comp *c, uint32_t l)
{
	c->labels[l].pos = (int64_t)c->n;
	c->last_valid = false;
	c->last_is_cmp = false;
	c->last_open = false;
	c->last_tee = false;
}

/* Binds a label here; its run starts at the current instruction count. */
static void bind(struct comp *c, uint32_t l)
{
	bind_pos(c, l);
	c->labels[l].start = c->icount;
	GROW(c, pending, pend_n, pend_cap, c->pend_n + 1);
	c->pending[c->pend_n++] = l;
}

/* Counts a branching instruction and closes the open run. */
static void count_close(struct comp *c)
{
	c->icount++;
	for (size_t i = 0; i < c->pend_n; i++) {
		struct label *l = &c->labels[c->pending[i]];

		l->cost = c->icount - l->start;
	}
	c->pend_n = 0;
}

static void target(struct comp *c, uint32_t cell, uint32_t label)
{
	add_fix(c, cell, label, FIX_TARGET);
	c->labels[label].refs++;
}

/* ------------------------------------------------------------------------ */
/* The virtual operand stack                                                */
/* ------------------------------------------------------------------------ */

static uint32_t home(const struct comp *c, size_t i)
{
	return c->stack_base + (uint32_t)i;
}

static inline struct ventry *push_at(struct comp *c, uint8_t kind, uint32_t slot, uint64_t imm)
{
	struct ventry *e = &c->vs[c->vs_n];

	e->kind = kind;
	e->home = home(c, c->vs_n);
	e->slot = kind == V_TEMP ? e->home : slot;
	e->imm = imm;
	c->vs_n++;
	if (c->vs_n > c->max_height)
		c->max_height = (uint32_t)c->vs_n;
	return e;
}

/* The rare part of push(), out of line (and reached by a tail call) so
 * that the common path saves no registers. */
static __attribute__((noinline)) struct ventry *push_grow(struct comp *c, uint8_t kind,
                                                          uint32_t slot, uint64_t imm)
{
	if (c->vs_n >= UINT32_MAX - c->stack_base - 1)
		die(c, BA_WASM_ERR_LIMIT);
	GROW(c, vs, vs_n, vs_cap, c->vs_n + 1);
	return push_at(c, kind, slot, imm);
}

static struct ventry *push(struct comp *c, uint8_t kind, uint32_t slot, uint64_t imm)
{
	if (c->vs_n >= c->vs_cap || c->vs_n >= UINT32_MAX - c->stack_base - 1)
		return push_grow(c, kind, slot, imm);
	return push_at(c, kind, slot, imm);
}

/* Pushes a result computed into its own slot; returns that slot. */
static uint32_t push_temp(struct comp *c)
{
	return push(c, V_TEMP, 0, 0)->home;
}

static struct ventry pop(struct comp *c)
{
	size_t floor = c->ctrl_n ? c->ctrls[c->ctrl_n - 1].height : 0;

	if (c->vs_n <= floor)
		die(c, BA_WASM_ERR_INVALID);
	return c->vs[--c->vs_n];
}

static struct ventry *top(struct comp *c)
{
	size_t floor = c->ctrl_n ? c->ctrls[c->ctrl_n - 1].height : 0;

	if (c->vs_n <= floor)
		die(c, BA_WASM_ERR_INVALID);
	return &c->vs[c->vs_n - 1];
}

static void emit_const(struct comp *c, uint32_t dst, uint64_t imm)
{
	uint32_t at;

	if (imm <= UINT32_MAX) {
		at = emit(c, BA_WASM__OP_const32, 2);
		c->code[at + 1].s.a = dst;
		c->code[at + 1].s.b = (uint32_t)imm;
	} else {
		at = emit(c, BA_WASM__OP_const64, 3);
		c->code[at + 1].s.a = dst;
		c->code[at + 2].u64 = imm;
	}
}

/* Writes the value of e into slot dst unless it is already there. */
static void emit_move(struct comp *c, uint32_t dst, const struct ventry *e)
{
	uint32_t at;

	if (e->kind == V_CONST) {
		emit_const(c, dst, e->imm);
		return;
	}
	if (e->slot == dst)
		return;
	/* Runs of moves (block results, shuffled locals) pair up. */
	if (c->last_open && c->last_op == BA_WASM__OP_mov && c->last_pos + 2 == c->n) {
		if (c->n + 1 > c->cap)
			emit_room(c, 1);
		c->code[c->last_pos].h = c->h[BA_WASM__OP_mov2];
		c->code[c->n].s.a = dst;
		c->code[c->n].s.b = e->slot;
		c->n++;
		c->last_op = BA_WASM__OP_mov2;
		return;
	}
	at = emit(c, BA_WASM__OP_mov, 2);
	c->code[at + 1].s.a = dst;
	c->code[at + 1].s.b = e->slot;
}

/* Makes stack entry i live in its own slot. */
static void materialize(struct comp *c, size_t i)
{
	struct ventry *e = &c->vs[i];

	if (e->kind == V_TEMP)
		return;
	emit_move(c, e->home, e);
	e->kind = V_TEMP;
	e->slot = e->home;
}

/* Before local x changes, copies out every entry that still reads it. */
static void flush_local(struct comp *c, uint32_t x)
{
	for (size_t i = 0; i < c->vs_n; i++)
		if (c->vs[i].kind == V_LOCAL && c->vs[i].slot == x)
			materialize(c, i);
}

/*
 * At the start of a block: its params must sit in their own slots (branches
 * back to a loop and the else arm rely on it), and no entry below may keep
 * reading a local that some path through the block could change.
 */
static void flush_block(struct comp *c, uint32_t nparams)
{
	for (size_t i = 0; i < c->vs_n; i++)
		if (c->vs[i].kind == V_LOCAL || i >= c->vs_n - nparams)
			materialize(c, i);
}

/* The slot an instruction should read e from. */
static uint32_t in_slot(struct comp *c, const struct ventry *e)
{
	if (e->kind != V_CONST)
		return e->slot;
	for (uint32_t i = 0; i < c->pool_n; i++)
		if (c->pool[i] == e->imm)
			return c->pool_base + i;
	if (c->pool_n < c->pool_cap) {
		c->pool[c->pool_n] = e->imm;
		return c->pool_base + c->pool_n++;
	}
	/* Pool full: the entry's own stack slot is free (it was popped or is
	 * about to be overwritten by the consumer's result), so put it there. */
	emit_const(c, e->home, e->imm);
	return e->home;
}

/* ------------------------------------------------------------------------ */
/* Numeric instructions                                                     */
/* ------------------------------------------------------------------------ */

enum { NK_NONE, NK_UN, NK_BIN, NK_NOP };
enum { F_COMM = 1, F_SUB = 2, F_W32 = 4, F_SHIFT = 8, F_CMP = 16, F_64 = 32 };

struct numop {
	uint16_t op, kop;  /* opcode and its immediate form (0 = none) */
	uint8_t kind, flags, cmp;
};

#define O(x) BA_WASM__OP_##x
#define UN(x) { O(x), 0, NK_UN, 0, 0 }
#define BIN(x) { O(x), 0, NK_BIN, 0, 0 }
#define BINK(x, k, f) { O(x), O(k), NK_BIN, (f), 0 }
#define CMP32(x, c) { O(x), O(x##_k), NK_BIN, F_CMP | F_W32, BA_WASM__CMP_##c }
#define CMP64(x, c) { O(x), O(x##_k), NK_BIN, F_CMP | F_64, BA_WASM__CMP_##c }
#define NOP { 0, 0, NK_NOP, 0, 0 }

static const struct numop numops[256] = {
	[0x45] = { O(i32_eqz), 0, NK_UN, F_CMP | F_W32, BA_WASM__CMP_EQZ },
	[0x46] = CMP32(i32_eq, EQ), [0x47] = CMP32(i32_ne, NE),
	[0x48] = CMP32(i32_lt_s, LT_S), [0x49] = CMP32(i32_lt_u, LT_U),
	[0x4a] = CMP32(i32_gt_s, GT_S), [0x4b] = CMP32(i32_gt_u, GT_U),
	[0x4c] = CMP32(i32_le_s, LE_S), [0x4d] = CMP32(i32_le_u, LE_U),
	[0x4e] = CMP32(i32_ge_s, GE_S), [0x4f] = CMP32(i32_ge_u, GE_U),
	[0x50] = { O(i64_eqz), 0, NK_UN, F_CMP | F_64, BA_WASM__CMP_EQZ },
	[0x51] = CMP64(i64_eq, EQ), [0x52] = CMP64(i64_ne, NE),
	[0x53] = CMP64(i64_lt_s, LT_S), [0x54] = CMP64(i64_lt_u, LT_U),
	[0x55] = CMP64(i64_gt_s, GT_S), [0x56] = CMP64(i64_gt_u, GT_U),
	[0x57] = CMP64(i64_le_s, LE_S), [0x58] = CMP64(i64_le_u, LE_U),
	[0x59] = CMP64(i64_ge_s, GE_S), [0x5a] = CMP64(i64_ge_u, GE_U),
	[0x5b] = BIN(f32_eq), [0x5c] = BIN(f32_ne), [0x5d] = BIN(f32_lt),
	[0x5e] = BIN(f32_gt), [0x5f] = BIN(f32_le), [0x60] = BIN(f32_ge),
	[0x61] = BIN(f64_eq), [0x62] = BIN(f64_ne), [0x63] = BIN(f64_lt),
	[0x64] = BIN(f64_gt), [0x65] = BIN(f64_le), [0x66] = BIN(f64_ge),
	[0x67] = UN(i32_clz), [0x68] = UN(i32_ctz), [0x69] = UN(i32_popcnt),
	[0x6a] = BINK(i64_add, i64_add_k, F_COMM | F_W32),
	[0x6b] = BINK(i64_sub, i64_add_k, F_SUB | F_W32),
	[0x6c] = BINK(i64_mul, i64_mul_k, F_COMM | F_W32),
	[0x6d] = BIN(i32_div_s), [0x6e] = BIN(i32_div_u),
	[0x6f] = BIN(i32_rem_s), [0x70] = BIN(i32_rem_u),
	[0x71] = BINK(i64_and, i64_and_k, F_COMM | F_W32),
	[0x72] = BINK(i64_or, i64_or_k, F_COMM | F_W32),
	[0x73] = BINK(i64_xor, i64_xor_k, F_COMM | F_W32),
	[0x74] = BINK(i32_shl, i32_shl_k, F_SHIFT | F_W32),
	[0x75] = BINK(i32_shr_s, i32_shr_s_k, F_SHIFT | F_W32),
	[0x76] = BINK(i32_shr_u, i32_shr_u_k, F_SHIFT | F_W32),
	[0x77] = BINK(i32_rotl, i32_rotl_k, F_SHIFT | F_W32),
	[0x78] = BINK(i32_rotr, i32_rotr_k, F_SHIFT | F_W32),
	[0x79] = UN(i64_clz), [0x7a] = UN(i64_ctz), [0x7b] = UN(i64_popcnt),
	[0x7c] = BINK(i64_add, i64_add_k, F_COMM | F_64),
	[0x7d] = BINK(i64_sub, i64_add_k, F_SUB | F_64),
	[0x7e] = BINK(i64_mul, i64_mul_k, F_COMM | F_64),
	[0x7f] = BIN(i64_div_s), [0x80] = BIN(i64_div_u),
	[0x81] = BIN(i64_rem_s), [0x82] = BIN(i64_rem_u),
	[0x83] = BINK(i64_and, i64_and_k, F_COMM | F_64),
	[0x84] = BINK(i64_or, i64_or_k, F_COMM | F_64),
	[0x85] = BINK(i64_xor, i64_xor_k, F_COMM | F_64),
	[0x86] = BINK(i64_shl, i64_shl_k, F_SHIFT | F_64),
	[0x87] = BINK(i64_shr_s, i64_shr_s_k, F_SHIFT | F_64),
	[0x88] = BINK(i64_shr_u, i64_shr_u_k, F_SHIFT | F_64),
	[0x89] = BINK(i64_rotl, i64_rotl_k, F_SHIFT | F_64),
	[0x8a] = BINK(i64_rotr, i64_rotr_k, F_SHIFT | F_64),
	[0x8b] = UN(f32_abs), [0x8c] = UN(f32_neg), [0x8d] = UN(f32_ceil),
	[0x8e] = UN(f32_floor), [0x8f] = UN(f32_trunc), [0x90] = UN(f32_nearest),
	[0x91] = UN(f32_sqrt),
	[0x92] = BIN(f32_add), [0x93] = BIN(f32_sub), [0x94] = BIN(f32_mul),
	[0x95] = BIN(f32_div), [0x96] = BIN(f32_min), [0x97] = BIN(f32_max),
	[0x98] = BIN(f32_copysign),
	[0x99] = UN(f64_abs), [0x9a] = UN(f64_neg), [0x9b] = UN(f64_ceil),
	[0x9c] = UN(f64_floor), [0x9d] = UN(f64_trunc), [0x9e] = UN(f64_nearest),
	[0x9f] = UN(f64_sqrt),
	[0xa0] = BIN(f64_add), [0xa1] = BIN(f64_sub), [0xa2] = BIN(f64_mul),
	[0xa3] = BIN(f64_div), [0xa4] = BIN(f64_min), [0xa5] = BIN(f64_max),
	[0xa6] = BIN(f64_copysign),
	[0xa7] = NOP, /* i32.wrap_i64 */
	[0xa8] = UN(i32_trunc_f32_s), [0xa9] = UN(i32_trunc_f32_u),
	[0xaa] = UN(i32_trunc_f64_s), [0xab] = UN(i32_trunc_f64_u),
	[0xac] = UN(i64_extend_i32_s), [0xad] = UN(i64_extend_i32_u),
	[0xae] = UN(i64_trunc_f32_s), [0xaf] = UN(i64_trunc_f32_u),
	[0xb0] = UN(i64_trunc_f64_s), [0xb1] = UN(i64_trunc_f64_u),
	[0xb2] = UN(f32_convert_i32_s), [0xb3] = UN(f32_convert_i32_u),
	[0xb4] = UN(f32_convert_i64_s), [0xb5] = UN(f32_convert_i64_u),
	[0xb6] = UN(f32_demote_f64),
	[0xb7] = UN(f64_convert_i32_s), [0xb8] = UN(f64_convert_i32_u),
	[0xb9] = UN(f64_convert_i64_s), [0xba] = UN(f64_convert_i64_u),
	[0xbb] = UN(f64_promote_f32),
	[0xbc] = NOP, [0xbd] = NOP, [0xbe] = NOP, [0xbf] = NOP, /* reinterprets */
	[0xc0] = UN(extend8_s), [0xc1] = UN(extend16_s),
	[0xc2] = UN(extend8_s), [0xc3] = UN(extend16_s),
	[0xc4] = UN(i64_extend_i32_s),
	[0xd1] = UN(ref_is_null),
};

static const uint16_t trunc_sat_ops[8] = {
	O(i32_trunc_sat_f32_s), O(i32_trunc_sat_f32_u), O(i32_trunc_sat_f64_s),
	O(i32_trunc_sat_f64_u), O(i64_trunc_sat_f32_s), O(i64_trunc_sat_f32_u),
	O(i64_trunc_sat_f64_s), O(i64_trunc_sat_f64_u),
};

static void unop(struct comp *c, uint16_t op, const struct numop *info)
{
	struct ventry x = pop(c);
	uint32_t xs = in_slot(c, &x);
	uint32_t d = push_temp(c);
	uint32_t at = emit(c, (enum ba_wasm__op)op, 2);

	c->code[at + 1].s.a = d;
	c->code[at + 1].s.b = xs;
	set_last_dst(c, d);
	if (info && (info->flags & F_CMP)) {
		c->last_is_cmp = true;
		c->last_cmp = info->cmp;
		c->last_cmp64 = info->flags & F_64;
		c->last_x = x;
	}
}

/* Comparison with its operands swapped: a < b iff b > a. */
static int mirror_cmp(int cmp)
{
	switch (cmp) {
	case BA_WASM__CMP_LT_S: return BA_WASM__CMP_GT_S;
	case BA_WASM__CMP_GT_S: return BA_WASM__CMP_LT_S;
	case BA_WASM__CMP_LE_S: return BA_WASM__CMP_GE_S;
	case BA_WASM__CMP_GE_S: return BA_WASM__CMP_LE_S;
	case BA_WASM__CMP_LT_U: return BA_WASM__CMP_GT_U;
	case BA_WASM__CMP_GT_U: return BA_WASM__CMP_LT_U;
	case BA_WASM__CMP_LE_U: return BA_WASM__CMP_GE_U;
	case BA_WASM__CMP_GE_U: return BA_WASM__CMP_LE_U;
	default: return cmp;
	}
}

static const uint16_t cmp_ops32[10] = {
	O(i32_eq), O(i32_ne), O(i32_lt_s), O(i32_ge_s), O(i32_lt_u),
	O(i32_ge_u), O(i32_gt_s), O(i32_le_s), O(i32_gt_u), O(i32_le_u),
};
static const uint16_t cmp_ops64[10] = {
	O(i64_eq), O(i64_ne), O(i64_lt_s), O(i64_ge_s), O(i64_lt_u),
	O(i64_ge_u), O(i64_gt_s), O(i64_le_s), O(i64_gt_u), O(i64_le_u),
};

/* Emits a three-operand instruction [h][d|a][b|z] with a fresh result. */
static void emit_fused(struct comp *c, enum ba_wasm__op op, uint32_t a, uint32_t b, uint32_t z)
{
	uint32_t d = push_temp(c), at = emit(c, op, 3);

	c->code[at + 1].s.a = d;
	c->code[at + 1].s.b = a;
	c->code[at + 2].s.a = b;
	c->code[at + 2].s.b = z;
	set_last_dst(c, d);
}

/*
 * Pairs worth one dispatch instead of two, where the first result feeds
 * only the second: shift-and-add (array indexing), shift-and-mask
 * (bit fields), multiply-add (rounded twice, as wasm requires). Both
 * operands are already popped and their slots known.
 */
static bool fuse_binop(struct comp *c, unsigned op, const struct ventry *x, const struct ventry *y,
                       uint32_t xs, uint32_t ys, uint64_t k)
{
	ba_wasm__cell ops[2];

	switch (op) {
	case BA_WASM__OP_i64_add_k:
		if (k > UINT32_MAX || !take_last(c, x, BA_WASM__OP_i32_shl_k, ops))
			return false;
		emit_fused(c, BA_WASM__OP_i32_shl_add_k, ops[0].s.b, (uint32_t)ops[1].u64,
		           (uint32_t)k);
		return true;
	case BA_WASM__OP_i64_and_k:
		if (k > UINT32_MAX || !take_last(c, x, BA_WASM__OP_i32_shr_u_k, ops))
			return false;
		emit_fused(c, BA_WASM__OP_i32_shr_and_k, ops[0].s.b, (uint32_t)ops[1].u64,
		           (uint32_t)k);
		return true;
	case BA_WASM__OP_i64_add:
		if (take_last(c, y, BA_WASM__OP_i64_add, ops))
			emit_fused(c, BA_WASM__OP_i64_add3, ops[0].s.b, ops[1].s.a, xs);
		else if (take_last(c, x, BA_WASM__OP_i64_add, ops))
			emit_fused(c, BA_WASM__OP_i64_add3, ops[0].s.b, ops[1].s.a, ys);
		else
			return false;
		return true;
	case BA_WASM__OP_i64_xor: {
		/* x ^ shift(y, k), the mixing step of hashes and generators.
		 * The producer's width tells whether this is i32.xor. */
		static const uint16_t pairs[][2] = {
			{ BA_WASM__OP_i32_rotl_k, BA_WASM__OP_i32_xor_rotl_k },
			{ BA_WASM__OP_i32_shl_k, BA_WASM__OP_i32_xor_shl_k },
			{ BA_WASM__OP_i32_shr_u_k, BA_WASM__OP_i32_xor_shr_u_k },
			{ BA_WASM__OP_i64_rotl_k, BA_WASM__OP_i64_xor_rotl_k },
			{ BA_WASM__OP_i64_shl_k, BA_WASM__OP_i64_xor_shl_k },
			{ BA_WASM__OP_i64_shr_u_k, BA_WASM__OP_i64_xor_shr_u_k },
		};

		if (!c->last_valid)
			return false;
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			if (c->last_op != pairs[i][0])
				continue;
			if (take_last(c, y, pairs[i][0], ops))
				emit_fused(c, pairs[i][1], xs, ops[0].s.b, (uint32_t)ops[1].u64);
			else if (take_last(c, x, pairs[i][0], ops))
				emit_fused(c, pairs[i][1], ys, ops[0].s.b, (uint32_t)ops[1].u64);
			else
				return false;
			return true;
		}
		return false;
	}
	case BA_WASM__OP_f32_add:
	case BA_WASM__OP_f64_add: {
		unsigned mul = op == BA_WASM__OP_f32_add ? BA_WASM__OP_f32_mul : BA_WASM__OP_f64_mul;
		enum ba_wasm__op fused = op == BA_WASM__OP_f32_add ? BA_WASM__OP_f32_mul_add
		                                                   : BA_WASM__OP_f64_mul_add;

		/* z + x * y: the addition commutes exactly in IEEE arithmetic. */
		if (take_last(c, y, mul, ops))
			emit_fused(c, fused, ops[0].s.b, ops[1].s.a, xs);
		else if (take_last(c, x, mul, ops))
			emit_fused(c, fused, ops[0].s.b, ops[1].s.a, ys);
		else
			return false;
		return true;
	}
	default:
		return false;
	}
}

static void binop(struct comp *c, const struct numop *info)
{
	struct ventry y = pop(c), x = pop(c);
	uint16_t op = info->op;
	int cmp = info->cmp;
	uint32_t xs, ys = 0, d, at;
	uint64_t k = 0;
	bool use_k = false;

	if (info->kop && x.kind == V_CONST && y.kind != V_CONST && (info->flags & (F_COMM | F_CMP))) {
		struct ventry t = x;

		x = y;
		y = t;
		if (info->flags & F_CMP) {
			cmp = mirror_cmp(cmp);
			op = (info->flags & F_64) ? cmp_ops64[cmp] : cmp_ops32[cmp];
		}
	}
	if (info->kop && y.kind == V_CONST) {
		use_k = true;
		k = y.imm;
		if (info->flags & F_W32)
			k = (uint32_t)k;
		if (info->flags & F_SUB)
			k = (uint64_t)0 - k;
		if (info->flags & F_SHIFT)
			k &= (info->flags & F_64) ? 63 : 31;
		op = (info->flags & F_CMP) ? (uint16_t)(op + (O(i32_eq_k) - O(i32_eq))) : info->kop;
	}
	xs = in_slot(c, &x);
	if (!use_k)
		ys = in_slot(c, &y);
	if (fuse_binop(c, op, &x, &y, xs, ys, k))
		return;
	d = push_temp(c);
	at = emit(c, (enum ba_wasm__op)op, 3);
	c->code[at + 1].s.a = d;
	c->code[at + 1].s.b = xs;
	if (use_k)
		c->code[at + 2].u64 = k;
	else
		c->code[at + 2].s.a = ys;
	set_last_dst(c, d);
	if (info->flags & F_CMP) {
		c->last_is_cmp = true;
		c->last_cmp = cmp;
		c->last_cmp64 = info->flags & F_64;
		c->last_x = x;
		c->last_y = y;
	}
}

/* ------------------------------------------------------------------------ */
/* Branches                                                                 */
/* ------------------------------------------------------------------------ */

static struct ctrl *ctrl_at(struct comp *c, uint32_t depth)
{
	if (depth >= c->ctrl_n)
		die(c, BA_WASM_ERR_INVALID);
	return &c->ctrls[c->ctrl_n - 1 - depth];
}

static uint32_t br_arity(const struct ctrl *t)
{
	return t->kind == C_LOOP ? t->nparams : t->nresults;
}

/*
 * Moves the top `count` values to the slots starting at stack height
 * `height`. Ascending order is safe: a TEMP source never sits below its
 * destination, and locals lie below every stack slot.
 */
static void emit_moves(struct comp *c, uint32_t height, uint32_t count)
{
	if (count > c->vs_n)
		die(c, BA_WASM_ERR_INVALID);
	for (uint32_t i = 0; i < count; i++)
		emit_move(c, home(c, height + i), &c->vs[c->vs_n - count + i]);
}

static bool moves_needed(const struct comp *c, uint32_t height, uint32_t count)
{
	if (count > c->vs_n)
		return true;
	for (uint32_t i = 0; i < count; i++) {
		const struct ventry *e = &c->vs[c->vs_n - count + i];

		if (e->kind == V_CONST || e->slot != home(c, height + i))
			return true;
	}
	return false;
}

/* Results go to fp[0..). A local source below its own destination index
 * would be overwritten by an earlier move, so such sources are first copied
 * to their stack slots (which never lie below their destination). */
static void emit_return(struct comp *c)
{
	uint32_t nr = c->type->result_count;
	size_t base;

	if (nr > c->vs_n)
		die(c, BA_WASM_ERR_INVALID);
	base = c->vs_n - nr;
	if (nr == 1) {
		const struct ventry *e = &c->vs[base];
		uint32_t at;

		/* The common single result: computed straight into fp[0], or
		 * moved there by the return itself. */
		if (e->kind == V_TEMP && c->last_valid && c->last_dst == e->slot) {
			c->code[c->last_pos + 1].s.a = 0;
		} else if (e->kind != V_CONST && e->slot != 0) {
			at = emit(c, BA_WASM__OP_ret1, 2);
			c->code[at + 1].s.a = e->slot;
			return;
		} else {
			emit_move(c, 0, e);
		}
		emit(c, BA_WASM__OP_ret, 1);
		return;
	}
	for (uint32_t i = 0; i < nr; i++)
		if (c->vs[base + i].kind == V_LOCAL && c->vs[base + i].slot < i)
			materialize(c, base + i);
	for (uint32_t i = 0; i < nr; i++)
		emit_move(c, i, &c->vs[base + i]);
	emit(c, BA_WASM__OP_ret, 1);
}

/* Unconditional jump to t's label, the branch values already moved. */
static void emit_jump(struct comp *c, struct ctrl *t)
{
	uint32_t at = emit(c, t->kind == C_LOOP ? BA_WASM__OP_br_p : BA_WASM__OP_br, 3);

	target(c, at + 1, t->label);
	add_fix(c, at + 2, t->label, FIX_FUEL_A);
}

/* Full branch to t: moves, then a jump or a return. */
static void emit_branch(struct comp *c, struct ctrl *t)
{
	if (t->kind == C_FUNC) {
		emit_return(c);
		return;
	}
	emit_moves(c, t->height, br_arity(t));
	emit_jump(c, t);
}

static bool fits_k32(uint64_t v, bool is64)
{
	return !is64 || (uint64_t)(int64_t)(int32_t)(uint32_t)v == v;
}

/*
 * Conditional branch "if (x cmp y) goto label": fuel F from `label` and f
 * from `fall` (NONE: the fall-through path is charged by what follows).
 */
static void emit_cbr(struct comp *c, int cmp, bool is64, struct ventry x, struct ventry y,
                     uint32_t label, bool poll, uint32_t fall)
{
	uint32_t xs, ys = 0, at;
	bool k = false;
	unsigned op;

	if (cmp != BA_WASM__CMP_EQZ && cmp != BA_WASM__CMP_NEZ) {
		if (x.kind == V_CONST && y.kind != V_CONST) {
			struct ventry t = x;

			x = y;
			y = t;
			cmp = mirror_cmp(cmp);
		}
		if (y.kind == V_CONST && fits_k32(y.imm, is64)) {
			k = true;
			ys = (uint32_t)y.imm;
		}
	}
	xs = in_slot(c, &x);
	if (cmp != BA_WASM__CMP_EQZ && cmp != BA_WASM__CMP_NEZ && !k)
		ys = in_slot(c, &y);
	op = BA_WASM__OP_brc32_eq + (unsigned)cmp * 8 + (is64 ? 4 : 0) + (k ? 1 : 0) + (poll ? 2 : 0);
	at = emit(c, (enum ba_wasm__op)op, 4);
	c->code[at + 1].s.a = xs;
	c->code[at + 1].s.b = ys;
	target(c, at + 2, label);
	add_fix(c, at + 3, label, FIX_FUEL_A);
	if (fall != NONE)
		add_fix(c, at + 3, fall, FIX_FUEL_B);
}

/*
 * Pops a condition. When it is the result of the comparison just emitted,
 * that instruction is taken back and its operands returned, so the branch
 * can test them directly.
 */
static void pop_cond(struct comp *c, int *cmp, bool *is64, struct ventry *x, struct ventry *y)
{
	struct ventry cond = pop(c);

	if (c->last_valid && c->last_is_cmp && cond.kind == V_TEMP &&
	    cond.slot == c->last_dst) {
		*cmp = c->last_cmp;
		*is64 = c->last_cmp64;
		*x = c->last_x;
		*y = c->last_y;
		rewind_last(c);
		return;
	}
	*cmp = BA_WASM__CMP_NEZ;
	*is64 = false;
	*x = cond;
	memset(y, 0, sizeof(*y));
}

static void compile_br_if(struct comp *c, uint32_t depth)
{
	int cmp;
	bool is64;
	struct ventry x, y;
	struct ctrl *t;

	pop_cond(c, &cmp, &is64, &x, &y);
	count_close(c);
	t = ctrl_at(c, depth);
	if (t->kind == C_FUNC || moves_needed(c, t->height, br_arity(t))) {
		uint32_t skip = new_label(c);

		emit_cbr(c, cmp ^ 1, is64, x, y, skip, false, NONE);
		emit_branch(c, t);
		bind(c, skip);
	} else {
		uint32_t fall = new_label(c);

		emit_cbr(c, cmp, is64, x, y, t->label, t->kind == C_LOOP, fall);
		bind(c, fall);
	}
}

static void compile_br_table(struct comp *c)
{
	uint32_t n = rd_u32(c), at;
	struct ventry idx;
	uint32_t xs;

	if ((uint64_t)n + 1 > (c->end - c->pos) + 1)
		die(c, BA_WASM_ERR_MALFORMED);
	GROW(c, depths, depths_n, depths_cap, (size_t)n + 1);
	for (uint64_t i = 0; i <= n; i++)
		c->depths[i] = rd_u32(c);
	idx = pop(c);
	xs = in_slot(c, &idx);
	count_close(c);
	for (size_t i = 0; i < c->ctrl_n; i++)
		c->ctrls[i].stub = NONE;
	if ((uint64_t)n + 1 > (UINT32_MAX - 2) / 2)
		die(c, BA_WASM_ERR_LIMIT);
	at = emit(c, BA_WASM__OP_br_table, 2 + 2 * (n + 1));
	c->code[at + 1].s.a = xs;
	c->code[at + 1].s.b = n;
	for (uint64_t i = 0; i <= n; i++) {
		struct ctrl *t = ctrl_at(c, c->depths[i]);
		uint32_t cell = at + 2 + 2 * (uint32_t)i;

		if (t->kind == C_FUNC || moves_needed(c, t->height, br_arity(t))) {
			if (t->stub == NONE)
				t->stub = new_label(c);
			target(c, cell, t->stub);
		} else {
			target(c, cell, t->label);
			add_fix(c, cell + 1, t->label, FIX_FUEL_A);
		}
	}
	/* Out-of-line stubs for targets whose values must move first. */
	for (size_t i = 0; i < c->ctrl_n; i++) {
		struct ctrl *t = &c->ctrls[i];

		if (t->stub == NONE)
			continue;
		bind_pos(c, t->stub);
		emit_branch(c, t);
	}
}

/* ------------------------------------------------------------------------ */
/* Blocks                                                                   */
/* ------------------------------------------------------------------------ */

static struct ctrl *push_ctrl(struct comp *c, uint8_t kind, uint32_t np, uint32_t nr)
{
	struct ctrl *t;

	if (np > c->vs_n - (c->ctrl_n ? c->ctrls[c->ctrl_n - 1].height : 0))
		die(c, BA_WASM_ERR_INVALID);
	GROW(c, ctrls, ctrl_n, ctrl_cap, c->ctrl_n + 1);
	t = &c->ctrls[c->ctrl_n++];
	t->kind = kind;
	t->has_else = false;
	t->nparams = np;
	t->nresults = nr;
	t->height = (uint32_t)(c->vs_n - np);
	t->label = new_label(c);
	t->else_label = NONE;
	t->stub = NONE;
	return t;
}

/* Resets the stack to height h plus n values in their own slots. */
static void reset_stack(struct comp *c, uint32_t h, uint32_t n)
{
	c->vs_n = h;
	for (uint32_t i = 0; i < n; i++)
		push_temp(c);
}

static void compile_if(struct comp *c)
{
	uint32_t np, nr, fall;
	int cmp;
	bool is64;
	struct ventry x, y;
	uint32_t else_label;

	rd_blocktype(c, &np, &nr);
	pop_cond(c, &cmp, &is64, &x, &y);
	count_close(c);
	flush_block(c, np);
	push_ctrl(c, C_IF, np, nr);
	else_label = new_label(c);
	c->ctrls[c->ctrl_n - 1].else_label = else_label;
	fall = new_label(c);
	emit_cbr(c, cmp ^ 1, is64, x, y, else_label, false, fall);
	bind(c, fall);
}

static void compile_else(struct comp *c)
{
	struct ctrl *t;

	if (!c->ctrl_n || c->ctrls[c->ctrl_n - 1].kind != C_IF)
		die(c, BA_WASM_ERR_INVALID);
	t = &c->ctrls[c->ctrl_n - 1];
	if (!c->dead) {
		count_close(c);
		emit_moves(c, t->height, t->nresults);
		emit_jump(c, t);
	}
	t->has_else = true;
	bind(c, t->else_label);
	reset_stack(c, t->height, t->nparams);
	c->dead = false;
}

/* Returns true at the end of the function. */
static bool compile_end(struct comp *c)
{
	struct ctrl t;
	bool reach;

	if (!c->ctrl_n)
		die(c, BA_WASM_ERR_INVALID);
	t = c->ctrls[c->ctrl_n - 1];
	if (t.kind == C_FUNC) {
		if (!c->dead) {
			count_close(c);
			emit_return(c);
		}
		c->ctrl_n--;
		return true;
	}
	reach = !c->dead;
	if (!c->dead) {
		c->icount++;
		emit_moves(c, t.height, t.nresults);
	}
	if (t.kind != C_LOOP) {
		bind(c, t.label);
		if (c->labels[t.label].refs)
			reach = true;
	}
	if (t.kind == C_IF && !t.has_else) {
		bind(c, t.else_label);
		reach = true;
	}
	c->ctrl_n--;
	if (reach) {
		reset_stack(c, t.height, t.nresults);
		c->dead = false;
	} else {
		c->vs_n = t.height;
		c->dead = true;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Locals, memory, tables                                                   */
/* ------------------------------------------------------------------------ */

static uint32_t rd_local(struct comp *c)
{
	uint32_t x = rd_u32(c);

	if (x >= c->nlocals)
		die(c, BA_WASM_ERR_INVALID);
	return x;
}

/* local.set / local.tee x with value v (already popped for set). */
static void set_local(struct comp *c, uint32_t x, struct ventry v, bool tee)
{
	bool others = false;

	if (v.kind == V_LOCAL && v.slot == x) {
		if (tee)
			push(c, V_LOCAL, x, 0);
		return;
	}
	for (size_t i = 0; i < c->vs_n; i++)
		if (c->vs[i].kind == V_LOCAL && c->vs[i].slot == x)
			others = true;
	/* The instruction that computed v can write x directly, unless
	 * other entries still need x's old value (their copies would have
	 * to come first). */
	if (!others && v.kind == V_TEMP && c->last_valid && c->last_dst == v.slot) {
		c->code[c->last_pos + 1].s.a = x;
		c->last_valid = false;
		c->last_is_cmp = false;
		c->last_tee = true;
		c->last_dst = x;
		if (tee)
			push(c, V_LOCAL, x, 0);
		return;
	}
	if (others)
		flush_local(c, x);
	emit_move(c, x, &v);
	if (tee) {
		/* The value now sits in x; a TEMP also still has it in its own
		 * slot, which spares a later flush when x changes again. */
		if (v.kind == V_CONST)
			push(c, V_CONST, 0, v.imm);
		else if (v.kind == V_TEMP)
			push(c, V_TEMP, 0, 0);
		else
			push(c, V_LOCAL, x, 0);
	}
}

enum { ADDR_PLAIN, ADDR_K, ADDR_REG, ADDR_TEE_K, ADDR_TEE_REG, ADDR_SHIFT };

/*
 * When the address was computed by the instruction just emitted as x + k
 * or x + z, takes that instruction back: the access computes (u32)(x + k)
 * itself, which keeps the wrap-around of the wasm i32.add exact.
 */
static int fuse_address(struct comp *c, const struct ventry *a, uint32_t *xs, uint32_t *k,
                        uint32_t *t, bool wide)
{
	ba_wasm__cell ops[2];

	/* Forms that exist only for the common widths. */
	if (wide && a->kind == V_LOCAL && c->last_tee && c->last_dst == a->slot &&
	    (c->last_op == BA_WASM__OP_i64_add_k || c->last_op == BA_WASM__OP_i64_add)) {
		bool reg = c->last_op == BA_WASM__OP_i64_add;

		*xs = c->code[c->last_pos + 1].s.b;
		*k = reg ? c->code[c->last_pos + 2].s.a : (uint32_t)c->code[c->last_pos + 2].u64;
		*t = a->slot;
		rewind_last(c);
		return reg ? ADDR_TEE_REG : ADDR_TEE_K;
	}
	if (wide && take_last(c, a, BA_WASM__OP_i32_shl_add_k, ops)) {
		*xs = ops[0].s.b;
		*t = ops[1].s.a & 31;
		*k = ops[1].s.b;
		return ADDR_SHIFT;
	}

	if (take_last(c, a, BA_WASM__OP_i64_add_k, ops)) {
		*xs = ops[0].s.b;
		*k = (uint32_t)ops[1].u64;
		return ADDR_K;
	}
	if (take_last(c, a, BA_WASM__OP_i64_add, ops)) {
		*xs = ops[0].s.b;
		*k = ops[1].s.a;
		return ADDR_REG;
	}
	return ADDR_PLAIN;
}

/* The widths that have the tee and shift address forms: their index in
 * each group of three, or -1. */
static int wide_index(unsigned op)
{
	switch (op) {
	case BA_WASM__OP_load8_u: case BA_WASM__OP_store8: return 0;
	case BA_WASM__OP_load32_u: case BA_WASM__OP_store32: return 1;
	case BA_WASM__OP_load64: case BA_WASM__OP_store64: return 2;
	default: return -1;
	}
}

static enum ba_wasm__op addr_form(unsigned op, int form)
{
	bool store = op >= BA_WASM__OP_store8 && op <= BA_WASM__OP_store64;
	unsigned first = store ? BA_WASM__OP_store8 : BA_WASM__OP_load8_s;
	int w = wide_index(op);

	if (form == ADDR_TEE_K)
		return (enum ba_wasm__op)((store ? BA_WASM__OP_store8_ta : BA_WASM__OP_load8_u_ta) + w);
	if (form == ADDR_TEE_REG)
		return (enum ba_wasm__op)((store ? BA_WASM__OP_store8_tr : BA_WASM__OP_load8_u_tr) + w);
	if (form == ADDR_SHIFT)
		return (enum ba_wasm__op)((store ? BA_WASM__OP_store8_s : BA_WASM__OP_load8_u_s) + w);

	if (form == ADDR_K)
		return (enum ba_wasm__op)(op - first +
		                          (store ? BA_WASM__OP_store8_a : BA_WASM__OP_load8_s_a));
	if (form == ADDR_REG)
		return (enum ba_wasm__op)(op - first +
		                          (store ? BA_WASM__OP_store8_r : BA_WASM__OP_load8_s_r));
	return (enum ba_wasm__op)op;
}

static void compile_load(struct comp *c, enum ba_wasm__op op)
{
	uint32_t off, xs, d, at, k = 0, t = 0;
	struct ventry a;
	int form;

	rd_u32(c); /* alignment hint */
	off = rd_u32(c);
	a = pop(c);
	form = fuse_address(c, &a, &xs, &k, &t, wide_index(op) >= 0);
	if (form == ADDR_PLAIN)
		xs = in_slot(c, &a);
	d = push_temp(c);
	at = emit(c, addr_form(op, form), form >= ADDR_TEE_K ? 4 : 3);
	c->code[at + 1].s.a = d;
	c->code[at + 1].s.b = xs;
	c->code[at + 2].s.a = off;
	c->code[at + 2].s.b = k;
	if (form >= ADDR_TEE_K)
		c->code[at + 3].s.a = t;
	set_last_dst(c, d);
}

static void compile_store(struct comp *c, enum ba_wasm__op op)
{
	uint32_t off, xs, ys, at, k = 0, t = 0;
	struct ventry v, a;
	int form;

	rd_u32(c);
	off = rd_u32(c);
	v = pop(c);
	a = pop(c);
	/* The value first: if it needs an instruction, the address is no
	 * longer the last one and stays as it is. */
	ys = in_slot(c, &v);
	form = fuse_address(c, &a, &xs, &k, &t, wide_index(op) >= 0);
	if (form == ADDR_PLAIN)
		xs = in_slot(c, &a);
	at = emit(c, addr_form(op, form), form >= ADDR_TEE_K ? 4 : 3);
	c->code[at + 1].s.a = xs;
	c->code[at + 1].s.b = ys;
	c->code[at + 2].s.a = off;
	c->code[at + 2].s.b = k;
	if (form >= ADDR_TEE_K)
		c->code[at + 3].s.a = t;
}

/* Emits op with n popped operands (in push order) in the layout
 * [h][o0|o1][o2|k0][k1|k2]: the common form of the bulk instructions. */
static uint32_t emit_popped(struct comp *c, enum ba_wasm__op op, uint32_t n, uint32_t ncells)
{
	struct ventry e[3];
	uint32_t s[3] = { 0, 0, 0 }, at;

	for (uint32_t i = n; i-- > 0;)
		e[i] = pop(c);
	for (uint32_t i = 0; i < n; i++)
		s[i] = in_slot(c, &e[i]);
	at = emit(c, op, ncells);
	c->code[at + 1].s.a = s[0];
	c->code[at + 1].s.b = s[1];
	if (ncells > 2)
		c->code[at + 2].s.a = s[2];
	return at;
}

/* Materializes the top np values as call arguments; returns their base. */
static uint32_t call_args(struct comp *c, uint32_t np)
{
	if (np > c->vs_n - (c->ctrl_n ? c->ctrls[c->ctrl_n - 1].height : 0))
		die(c, BA_WASM_ERR_INVALID);
	for (size_t i = c->vs_n - np; i < c->vs_n; i++)
		materialize(c, i);
	return home(c, c->vs_n - np);
}

static void call_results(struct comp *c, uint32_t np, uint32_t nr)
{
	c->vs_n -= np;
	for (uint32_t i = 0; i < nr; i++)
		push_temp(c);
}

static void compile_fc(struct comp *c)
{
	uint32_t sub = rd_u32(c), at, d, a, b;
	const ba_wasm_module *m = c->m;

	switch (sub) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
		unop(c, trunc_sat_ops[sub], NULL);
		break;
	case 8: /* memory.init seg mem */
		a = rd_u32(c);
		rd_u8(c);
		if (a >= m->data_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit_popped(c, BA_WASM__OP_memory_init, 3, 3);
		c->code[at + 2].s.b = a;
		break;
	case 9:
		a = rd_u32(c);
		if (a >= m->data_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit(c, BA_WASM__OP_data_drop, 2);
		c->code[at + 1].s.a = a;
		break;
	case 10:
		rd_u8(c);
		rd_u8(c);
		emit_popped(c, BA_WASM__OP_memory_copy, 3, 3);
		break;
	case 11:
		rd_u8(c);
		emit_popped(c, BA_WASM__OP_memory_fill, 3, 3);
		break;
	case 12: /* table.init elem table */
		a = rd_u32(c);
		b = rd_u32(c);
		if (a >= m->elem_count || b >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit_popped(c, BA_WASM__OP_table_init, 3, 4);
		c->code[at + 3].s.a = b;
		c->code[at + 3].s.b = a;
		break;
	case 13:
		a = rd_u32(c);
		if (a >= m->elem_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit(c, BA_WASM__OP_elem_drop, 2);
		c->code[at + 1].s.a = a;
		break;
	case 14: /* table.copy dst src */
		a = rd_u32(c);
		b = rd_u32(c);
		if (a >= m->table_count || b >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit_popped(c, BA_WASM__OP_table_copy, 3, 4);
		c->code[at + 3].s.a = a;
		c->code[at + 3].s.b = b;
		break;
	case 15: { /* table.grow: init, delta -> old size */
		struct ventry delta, init;
		uint32_t is, ds;

		a = rd_u32(c);
		if (a >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		delta = pop(c);
		init = pop(c);
		is = in_slot(c, &init);
		ds = in_slot(c, &delta);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_table_grow, 3);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = is;
		c->code[at + 2].s.a = ds;
		c->code[at + 2].s.b = a;
		break;
	}
	case 16:
		a = rd_u32(c);
		if (a >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_table_size, 2);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = a;
		break;
	case 17:
		a = rd_u32(c);
		if (a >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit_popped(c, BA_WASM__OP_table_fill, 3, 3);
		c->code[at + 2].s.b = a;
		break;
	default:
		die(c, BA_WASM_ERR_INVALID);
	}
}

/* ------------------------------------------------------------------------ */
/* One instruction                                                          */
/* ------------------------------------------------------------------------ */

static const uint8_t load_ops[14] = {
	O(load32_u), O(load64), O(load32_u), O(load64),  /* i32 i64 f32 f64 */
	O(load8_s), O(load8_u), O(load16_s), O(load16_u), /* i32 narrow      */
	O(load8_s), O(load8_u), O(load16_s), O(load16_u), /* i64 narrow      */
	O(load32_s), O(load32_u),
};
static const uint8_t store_ops[9] = {
	O(store32), O(store64), O(store32), O(store64),
	O(store8), O(store16), O(store8), O(store16), O(store32),
};

/* Skips an unreachable stretch up to the else/end that closes the current
 * block (left unread). */
static void skip_dead(struct comp *c)
{
	uint32_t depth = 0;

	for (;;) {
		size_t at = c->pos;
		uint8_t op = rd_u8(c);

		if (op == 0x0b || op == 0x05) {
			if (depth == 0) {
				c->pos = at;
				return;
			}
			if (op == 0x0b)
				depth--;
			continue;
		}
		if (op == 0x02 || op == 0x03 || op == 0x04)
			depth++;
		skip_imm(c, op);
	}
}

/* Compiles one instruction; returns true after the function's final end. */
static bool compile_instr(struct comp *c)
{
	const ba_wasm_module *m = c->m;
	uint8_t op;
	uint32_t x, at, d, np, nr;
	struct ventry v;

	c->instr_off = c->pos;
	op = rd_u8(c);

	/* Branching instructions count themselves in count_close(). */
	switch (op) {
	case 0x00: /* unreachable */
		count_close(c);
		emit(c, BA_WASM__OP_unreachable, 1);
		c->dead = true;
		return false;
	case 0x02: /* block */
	case 0x03: /* loop */
		rd_blocktype(c, &np, &nr);
		c->icount++;
		flush_block(c, np);
		push_ctrl(c, op == 0x02 ? C_BLOCK : C_LOOP, np, nr);
		if (op == 0x03)
			bind(c, c->ctrls[c->ctrl_n - 1].label);
		return false;
	case 0x04:
		compile_if(c);
		return false;
	case 0x05:
		compile_else(c);
		return false;
	case 0x0b:
		return compile_end(c);
	case 0x0c: /* br */
		x = rd_u32(c);
		count_close(c);
		emit_branch(c, ctrl_at(c, x));
		c->dead = true;
		return false;
	case 0x0d:
		compile_br_if(c, rd_u32(c));
		return false;
	case 0x0e:
		compile_br_table(c);
		c->dead = true;
		return false;
	case 0x0f: /* return */
		count_close(c);
		emit_return(c);
		c->dead = true;
		return false;
	default:
		break;
	}

	c->icount++;
	switch (op) {
	case 0x01: /* nop */
		break;
	case 0x10: { /* call */
		const ba_wasm_functype *ft;
		uint32_t base;

		x = rd_u32(c);
		if (x >= m->func_count)
			die(c, BA_WASM_ERR_INVALID);
		ft = ba_wasm__func_type(m, x);
		base = call_args(c, ft->param_count);
		if (x < m->func_import_count || !m->funcs[x].code) {
			at = emit(c, BA_WASM__OP_call_import, 2);
			c->code[at + 1].s.a = x;
			c->code[at + 1].s.b = base;
		} else {
			at = emit(c, BA_WASM__OP_call, 3);
			c->code[at + 1].code = m->funcs[x].code;
			c->code[at + 2].s.a = base;
		}
		call_results(c, ft->param_count, ft->result_count);
		break;
	}
	case 0x11: { /* call_indirect type table */
		const ba_wasm_functype *ft;
		uint32_t tbl, xs, base;

		x = rd_u32(c);
		tbl = rd_u32(c);
		if (x >= m->type_count || tbl >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		ft = &m->types[x];
		v = pop(c);
		xs = in_slot(c, &v);
		base = call_args(c, ft->param_count);
		at = emit(c, BA_WASM__OP_call_indirect, 3);
		c->code[at + 1].s.a = x;
		c->code[at + 1].s.b = tbl;
		c->code[at + 2].s.a = base;
		c->code[at + 2].s.b = xs;
		call_results(c, ft->param_count, ft->result_count);
		break;
	}
	case 0x1a: /* drop */
		pop(c);
		break;
	case 0x1b: /* select */
	case 0x1c: { /* select t* */
		struct ventry cond, b, a;
		uint32_t cs, as, bs;

		if (op == 0x1c) {
			uint32_t n = rd_u32(c);

			for (uint32_t i = 0; i < n; i++)
				rd_u8(c);
		}
		cond = pop(c);
		b = pop(c);
		a = pop(c);
		as = in_slot(c, &a);
		bs = in_slot(c, &b);
		cs = in_slot(c, &cond);
		{
			ba_wasm__cell ops[2];

			/* select(a, b, eqz c) is select(b, a, c). */
			if (take_last(c, &cond, BA_WASM__OP_i32_eqz, ops)) {
				uint32_t t = as;

				as = bs;
				bs = t;
				cs = ops[0].s.b;
			}
		}
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_select, 3);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = cs;
		c->code[at + 2].s.a = as;
		c->code[at + 2].s.b = bs;
		set_last_dst(c, d);
		break;
	}
	case 0x20: /* local.get */
		x = rd_local(c);
		push(c, V_LOCAL, x, 0);
		break;
	case 0x21: /* local.set */
		x = rd_local(c);
		set_local(c, x, pop(c), false);
		break;
	case 0x22: /* local.tee */
		x = rd_local(c);
		set_local(c, x, pop(c), true);
		break;
	case 0x23: /* global.get */
		x = rd_u32(c);
		if (x >= m->global_count)
			die(c, BA_WASM_ERR_INVALID);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_global_get, 2);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = x;
		set_last_dst(c, d);
		break;
	case 0x24: { /* global.set */
		ba_wasm_valtype t;
		uint32_t xs;

		x = rd_u32(c);
		if (x >= m->global_count)
			die(c, BA_WASM_ERR_INVALID);
		t = m->globals[x].type;
		v = pop(c);
		xs = in_slot(c, &v);
		at = emit(c, t == BA_WASM_I32 || t == BA_WASM_F32 ? BA_WASM__OP_global_set32
		                                                  : BA_WASM__OP_global_set,
		          2);
		c->code[at + 1].s.a = xs;
		c->code[at + 1].s.b = x;
		break;
	}
	case 0x25: { /* table.get */
		uint32_t xs;

		x = rd_u32(c);
		if (x >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		v = pop(c);
		xs = in_slot(c, &v);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_table_get, 3);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = xs;
		c->code[at + 2].s.a = x;
		break;
	}
	case 0x26: /* table.set */
		x = rd_u32(c);
		if (x >= m->table_count)
			die(c, BA_WASM_ERR_INVALID);
		at = emit_popped(c, BA_WASM__OP_table_set, 2, 3);
		c->code[at + 2].s.a = x;
		break;
	case 0x3f: /* memory.size */
		rd_u8(c);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_memory_size, 2);
		c->code[at + 1].s.a = d;
		break;
	case 0x40: /* memory.grow */
		rd_u8(c);
		unop(c, BA_WASM__OP_memory_grow, NULL);
		break;
	case 0x41:
		push(c, V_CONST, 0, (uint32_t)rd_leb(c, 32, true));
		break;
	case 0x42:
		push(c, V_CONST, 0, rd_leb(c, 64, true));
		break;
	case 0x43:
		push(c, V_CONST, 0, rd_fixed(c, 4));
		break;
	case 0x44:
		push(c, V_CONST, 0, rd_fixed(c, 8));
		break;
	case 0xd0: /* ref.null t */
		rd_u8(c);
		push(c, V_CONST, 0, 0);
		break;
	case 0xd2: /* ref.func */
		x = rd_u32(c);
		if (x >= m->func_count)
			die(c, BA_WASM_ERR_INVALID);
		d = push_temp(c);
		at = emit(c, BA_WASM__OP_ref_func, 2);
		c->code[at + 1].s.a = d;
		c->code[at + 1].s.b = x;
		set_last_dst(c, d);
		break;
	case 0xfc:
		compile_fc(c);
		break;
	default:
		if (op >= 0x28 && op <= 0x35) {
			compile_load(c, (enum ba_wasm__op)load_ops[op - 0x28]);
		} else if (op >= 0x36 && op <= 0x3e) {
			compile_store(c, (enum ba_wasm__op)store_ops[op - 0x36]);
		} else if (numops[op].kind == NK_UN) {
			unop(c, numops[op].op, &numops[op]);
		} else if (numops[op].kind == NK_BIN) {
			binop(c, &numops[op]);
		} else if (numops[op].kind == NK_NOP) {
			top(c);
		} else if (op == 0xfd) {
			die(c, BA_WASM_ERR_UNSUPPORTED);
		} else {
			die(c, BA_WASM_ERR_MALFORMED);
		}
		break;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Functions                                                                */
/* ------------------------------------------------------------------------ */

/* Counts the constant instructions, up to MAX_POOL: the pool never needs
 * more slots, and never has more. */
static uint32_t count_consts(struct comp *c)
{
	uint32_t n = 0;
	size_t save = c->pos;

	while (c->pos < c->end && n < MAX_POOL) {
		uint8_t op = c->buf[c->pos++];
		uint8_t shape = imm_shapes[op];

		n += op >= 0x41 && op <= 0x44;
		/* The common shapes inline; a one-byte LEB128 costs a test. */
		if (shape == IM_NONE)
			continue;
		if (shape != IM_LEB && shape != IM_LEB2) {
			skip_imm(c, op);
			continue;
		}
		for (int k = shape == IM_LEB2 ? 2 : 1; k > 0; k--) {
			if (c->pos < c->end && !(c->buf[c->pos] & 0x80))
				c->pos++;
			else
				skip_leb(c);
		}
	}
	c->pos = save;
	return n;
}

/*
 * Sizes the buffers for a body of len bytes up front, so that they are not
 * grown a step at a time: clang -O2 code makes about 0.6 cells, 0.2
 * instructions, 0.15 fixups and 0.08 labels per body byte. Capped, so a
 * huge body only starts big and grows like any other.
 */
#define PRESIZE_MAX ((size_t)1 << 20)

static void presize(struct comp *c, size_t len)
{
	if (len > PRESIZE_MAX)
		len = PRESIZE_MAX;
	GROW(c, code, n, cap, len - len / 4 + 16);
	GROW(c, map, map_n, map_cap, len / 4 + 16);
	GROW(c, fix, fix_n, fix_cap, len / 6 + 16);
	GROW(c, labels, label_n, label_cap, len / 8 + 16);
}

static void compile_body(struct comp *c, uint32_t fi)
{
	const ba_wasm_module *m = c->m;
	const ba_wasm__func_def *f = &m->funcs[fi];
	struct ba_wasm__code *out = &c->out;
	uint32_t entry, consts;
	uint64_t nlocals, frame;
	ba_wasm__cell *cells;

	c->type = ba_wasm__func_type(m, fi);
	c->pos = f->code_offset;
	c->instr_off = f->code_offset;
	c->end = (size_t)f->body.offset + f->body.len;
	if (c->end > m->byte_count || c->pos > c->end)
		die(c, BA_WASM_ERR_MALFORMED);
	nlocals = (uint64_t)c->type->param_count + f->local_count;
	if (nlocals > UINT32_MAX / 4)
		die(c, BA_WASM_ERR_LIMIT);
	c->nlocals = (uint32_t)nlocals;
	consts = count_consts(c);
	c->pool_cap = consts;
	c->pool_n = 0;
	c->pool_base = c->nlocals;
	c->stack_base = c->nlocals + c->pool_cap;
	c->max_height = 0;
	c->icount = 0;
	c->dead = false;
	c->n = c->map_n = c->fix_n = c->label_n = c->pend_n = c->vs_n = c->ctrl_n = 0;
	c->last_valid = c->last_is_cmp = false;
	presize(c, c->end - c->pos);

	entry = new_label(c);
	bind(c, entry);
	push_ctrl(c, C_FUNC, 0, c->type->result_count);
	for (;;) {
		if (c->dead)
			skip_dead(c);
		if (compile_instr(c))
			break;
	}
	if (c->pos != c->end)
		die(c, BA_WASM_ERR_MALFORMED);
	frame = (uint64_t)c->stack_base + c->max_height;
	if (frame < c->type->result_count)
		frame = c->type->result_count;
	/* UINT32_MAX itself is BA_WASM__UNCOMPILED. */
	if (frame >= UINT32_MAX)
		die(c, BA_WASM_ERR_LIMIT);

	/* Final placement, into c->out (freed by compile_one() if anything
	 * below fails); targets become pointers only now. */
	cells = malloc((c->n ? c->n : 1) * sizeof(*cells));
	out->cells = cells;
	out->map = malloc((c->map_n ? c->map_n : 1) * sizeof(*out->map));
	out->init = malloc(((size_t)f->local_count + c->pool_n + 1) * sizeof(*out->init));
	if (!cells || !out->map || !out->init)
		die(c, BA_WASM_ERR_NOMEM);
	memcpy(cells, c->code, c->n * sizeof(*cells));
	out->cell_count = c->n;
	memcpy(out->map, c->map, c->map_n * sizeof(*out->map));
	out->map_count = c->map_n;
	for (size_t i = 0; i < c->fix_n; i++) {
		const struct fix *fx = &c->fix[i];
		const struct label *l = &c->labels[fx->label];

		switch (fx->kind) {
		case FIX_TARGET:
			if (l->pos < 0)
				die(c, BA_WASM_ERR_INVALID);
			cells[fx->cell].target = &cells[l->pos];
			break;
		case FIX_FUEL_A:
			cells[fx->cell].s.a = l->cost;
			break;
		case FIX_FUEL_B:
			cells[fx->cell].s.b = l->cost;
			break;
		}
	}
	memset(out->init, 0, f->local_count * sizeof(*out->init));
	memcpy(out->init + f->local_count, c->pool, c->pool_n * sizeof(*out->init));
	out->init_count = f->local_count + c->pool_n;
	out->entry_fuel = c->labels[entry].cost;
	c->out_frame_slots = (uint32_t)frame;

}

void ba_wasm__code_free(struct ba_wasm__code *code)
{
	if (!code)
		return;
	free(code->cells);
	free(code->map);
	free(code->init);
	free(code);
}

/* The compiler's state and scratch buffers; NULL when out of memory. */
static struct comp *comp_new(ba_wasm_module *module)
{
	struct comp *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->m = module;
	c->mod = module;
	c->h = ba_wasm__handlers();
	c->buf = module->bytes;
	return c;
}

static void comp_free(struct comp *c)
{
	if (!c)
		return;
	free(c->code);
	free(c->map);
	free(c->fix);
	free(c->labels);
	free(c->pending);
	free(c->vs);
	free(c->ctrls);
	free(c->depths);
	free(c);
}

/* Bytes of scratch buffers c holds. */
static size_t comp_bytes(const struct comp *c)
{
	return c->cap * sizeof(*c->code) + c->map_cap * sizeof(*c->map) +
	       c->fix_cap * sizeof(*c->fix) + c->label_cap * sizeof(*c->labels) +
	       c->pend_cap * sizeof(*c->pending) + c->vs_cap * sizeof(*c->vs) +
	       c->ctrl_cap * sizeof(*c->ctrls) + c->depths_cap * sizeof(*c->depths);
}

/*
 * Compiles function fi and publishes it into its code object (see code.h
 * for the order of the stores). On failure the code object is untouched,
 * everything built for it is freed, and the error is returned.
 */
static ba_wasm_err compile_one(struct comp *c, uint32_t fi)
{
	struct ba_wasm__code *code = c->mod->funcs[fi].code;

	memset(&c->out, 0, sizeof(c->out));
	if (setjmp(c->fail) != 0) {
		free(c->out.cells);
		free(c->out.map);
		free(c->out.init);
		memset(&c->out, 0, sizeof(c->out));
		return c->err;
	}
	compile_body(c, fi);
	code->cells = c->out.cells;
	code->cell_count = c->out.cell_count;
	code->map = c->out.map;
	code->map_count = c->out.map_count;
	code->init = c->out.init;
	code->init_count = c->out.init_count;
	code->entry_fuel = c->out.entry_fuel;
	/* Last, and with release order: a call that reads this frame size
	 * (with acquire order) sees every field above complete. */
	atomic_store_explicit(&code->frame_slots, c->out_frame_slots, memory_order_release);
	memset(&c->out, 0, sizeof(c->out));
	atomic_fetch_add_explicit(&c->mod->compiled_count, 1, memory_order_relaxed);
	return BA_WASM_OK;
}

void ba_wasm__compile_scratch_free(ba_wasm_module *module)
{
	comp_free(module->compile_scratch);
	module->compile_scratch = NULL;
}

ba_wasm_err ba_wasm__compile(ba_wasm_module *module, bool eager, ba_wasm_diag *diag)
{
	struct comp *c;
	uint32_t fi;
	ba_wasm_err err = BA_WASM_OK;

	/* All code objects exist before any body is compiled, so a call can
	 * point straight at its callee's code, compiled or not. */
	for (fi = module->func_import_count; fi < module->func_count; fi++) {
		const ba_wasm_functype *t = ba_wasm__func_type(module, fi);
		struct ba_wasm__code *code;

		if (module->funcs[fi].code)
			continue;
		code = calloc(1, sizeof(*code));
		if (!code)
			return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
		code->param_count = t->param_count;
		code->result_count = t->result_count;
		code->func_index = fi;
		code->code_offset = module->funcs[fi].code_offset;
		code->module = module;
		atomic_init(&code->frame_slots, BA_WASM__UNCOMPILED);
		module->funcs[fi].code = code;
	}
	if (!eager)
		return BA_WASM_OK;

	c = comp_new(module);
	if (!c)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX, "out of memory");
	for (fi = module->func_import_count; fi < module->func_count; fi++) {
		if (ba_wasm__frame_slots(module->funcs[fi].code) != BA_WASM__UNCOMPILED)
			continue;
		err = compile_one(c, fi);
		if (err)
			break;
	}
	if (err == BA_WASM_ERR_NOMEM)
		ba_wasm__fail(diag, err, SIZE_MAX, "out of memory compiling function %u",
		              (unsigned)fi);
	else if (err == BA_WASM_ERR_UNSUPPORTED)
		ba_wasm__fail(diag, err, c->instr_off, "unsupported instruction in function %u",
		              (unsigned)fi);
	else if (err)
		ba_wasm__fail(diag, err, c->instr_off, "cannot compile function %u at offset 0x%zx",
		              (unsigned)fi, c->instr_off);
	if (err && diag)
		diag->func_index = fi;
	comp_free(c);
	return err;
}

/*
 * Scratch kept between lazy compiles of one module is capped: what one
 * huge body needed is not held for the module's lifetime.
 */
#define MAX_KEPT_SCRATCH ((size_t)1 << 20)

ba_wasm_err ba_wasm__compile_lazy(const struct ba_wasm__code *code, char *why, size_t why_size)
{
	ba_wasm_module *m = code->module;
	uint32_t fi = code->func_index;
	ba_wasm_err err = BA_WASM_OK;
	size_t where = SIZE_MAX;
	struct comp *c;

	if (ba_wasm__frame_slots(code) != BA_WASM__UNCOMPILED)
		return BA_WASM_OK;
	pthread_mutex_lock(&m->compile_lock);
	/* Another thread may have compiled it while this one waited; the
	 * lock orders its stores before this load. */
	if (atomic_load_explicit(&code->frame_slots, memory_order_relaxed) == BA_WASM__UNCOMPILED) {
		c = m->compile_scratch;
		if (!c)
			c = m->compile_scratch = comp_new(m);
		if (!c) {
			err = BA_WASM_ERR_NOMEM;
		} else {
			err = compile_one(c, fi);
			where = c->instr_off;
			if (err || comp_bytes(c) > MAX_KEPT_SCRATCH)
				ba_wasm__compile_scratch_free(m);
		}
	}
	pthread_mutex_unlock(&m->compile_lock);
	if (err == BA_WASM_ERR_NOMEM)
		snprintf(why, why_size, "cannot compile function %u: out of memory", (unsigned)fi);
	else if (err == BA_WASM_ERR_LIMIT)
		snprintf(why, why_size, "cannot compile function %u: too big for the compiler",
		         (unsigned)fi);
	else if (err)
		/* Validation passed, so this is the compiler's own bug; say
		 * where, as eager loading would have. */
		snprintf(why, why_size, "cannot compile function %u at offset 0x%zx: %s",
		         (unsigned)fi, where, ba_wasm_err_name(err));
	return err;
}
