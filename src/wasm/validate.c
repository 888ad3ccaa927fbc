/*
 * validate.c - WebAssembly 2.0 validation.
 *
 * Module-level rules first, then every function body with the typing
 * algorithm of the spec's appendix ("Validation Algorithm"): one forward
 * pass, an operand stack of types in which UNKNOWN stands for the
 * polymorphic stack of unreachable code, and a control stack of frames.
 * Both stacks are growable arrays reused for every function, so checking
 * an instruction never allocates.
 *
 * Errors follow the spec's classification: encoding problems found while
 * reading a body are MALFORMED, typing problems INVALID. Since the spec
 * decodes the whole module before validating any of it, an INVALID finding
 * does not end the work: the remaining bodies are still skimmed (decoded
 * without typing) and a MALFORMED one wins.
 *
 * SIMD is decoded (so that malformed SIMD code stays malformed) but not
 * typed: a module that uses v128 or a 0xFD instruction and has no other
 * error is UNSUPPORTED.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "reader.h"

#define UNKNOWN    0x00       /* the spec's Unknown operand type */
#define MAX_VALS   (1u << 24) /* operand stack entries            */
#define MAX_FRAMES (1u << 20) /* nested blocks                    */

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };
enum { BT_EMPTY, BT_VAL, BT_TYPE };

/* Prefixed opcodes are numbered prefix << 8 | sub-opcode. */
#define OP_FC(n) (0xFC00u | (n))
#define OP_FD(n) (0xFD00u | (n))

/* One decoded instruction. */
struct ins {
	size_t off; /* offset of the opcode                         */
	uint32_t op;
	uint32_t x, y;  /* indices; memarg align (x) and offset (y);
	                   br_table default label (x)                  */
	uint32_t count; /* br_table label count; select t* length        */
	size_t tbl;     /* br_table: offset of the first label           */
	uint64_t bits;  /* constants                                     */
	uint8_t bt;     /* block type kind (BT_*), index in x            */
	uint8_t vt;     /* BT_VAL type; select t; ref.null type          */
	bool simd;      /* uses v128 or is a 0xFD instruction            */
};

/* ------------------------------------------------------------------------ */
/* Instruction decoding                                                     */
/* ------------------------------------------------------------------------ */

static ba_wasm_err malformed(ba_wasm__reader *r, size_t off, const char *msg)
{
	return ba_wasm__malformed(r, off, msg);
}

static bool is_valtype(uint8_t b)
{
	switch (b) {
	case BA_WASM_I32:
	case BA_WASM_I64:
	case BA_WASM_F32:
	case BA_WASM_F64:
	case BA_WASM_V128:
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		return true;
	default:
		return false;
	}
}

static ba_wasm_err rd_valtype(ba_wasm__reader *r, uint8_t *out, bool ref_only)
{
	uint8_t b;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_byte(r, &b)))
		return err;
	if (ref_only ? (b == BA_WASM_FUNCREF || b == BA_WASM_EXTERNREF) : is_valtype(b)) {
		*out = b;
		return BA_WASM_OK;
	}
	/* One-byte signed LEB128 in the reference interpreter. */
	if (b & 0x80)
		return malformed(r, r->pos, "integer representation too long");
	return malformed(r, r->pos - 1,
	                 ref_only ? "malformed reference type" : "malformed value type");
}

static ba_wasm_err rd_blocktype(ba_wasm__reader *r, struct ins *in)
{
	uint8_t b;
	int64_t v;
	ba_wasm_err err;

	if (r->pos >= r->end)
		return ba_wasm__eof(r);
	b = r->buf[r->pos];
	if (b == 0x40) {
		r->pos++;
		in->bt = BT_EMPTY;
		return BA_WASM_OK;
	}
	if ((b & 0xC0) == 0x40) {
		/* A one-byte negative s33: must be a value type. */
		r->pos++;
		if (!is_valtype(b))
			return malformed(r, r->pos - 1, "malformed value type");
		in->bt = BT_VAL;
		in->vt = b;
		in->simd |= b == BA_WASM_V128;
		return BA_WASM_OK;
	}
	if ((err = ba_wasm__rd_sleb(r, 33, &v)))
		return err;
	if (v < 0)
		return malformed(r, in->off + 1, "malformed block type");
	in->bt = BT_TYPE;
	in->x = (uint32_t)v;
	return BA_WASM_OK;
}

static ba_wasm_err zero_byte(ba_wasm__reader *r)
{
	uint8_t b;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_byte(r, &b)))
		return err;
	if (b != 0)
		return malformed(r, r->pos - 1, "zero byte expected");
	return BA_WASM_OK;
}

static ba_wasm_err rd_memarg(ba_wasm__reader *r, struct ins *in)
{
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(r, &in->x)))
		return err;
	return ba_wasm__rd_u32(r, &in->y);
}

static ba_wasm_err illegal(ba_wasm__reader *r, const struct ins *in)
{
	return malformed(r, in->off, "illegal opcode");
}

/* SIMD sub-opcodes that are not assigned in the final SIMD proposal. */
static bool simd_unassigned(uint32_t n)
{
	static const uint16_t holes[] = {154, 162, 165, 166, 175, 176, 178, 179, 180, 187,
	                                 194, 197, 198, 207, 208, 210, 211, 212, 226, 238};

	if (n > 255)
		return true;
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
		if (holes[i] == n)
			return true;
	return false;
}

/* Decodes the immediates of a 0xFD instruction, so that malformed SIMD
 * code is still reported as malformed. */
static ba_wasm_err rd_simd(ba_wasm__reader *r, struct ins *in)
{
	uint32_t n;
	size_t at;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(r, &n)))
		return err;
	in->simd = true;
	if (simd_unassigned(n))
		return illegal(r, in);
	in->op = OP_FD(n);
	if (n <= 11 || n == 92 || n == 93)
		return rd_memarg(r, in);
	if (n >= 84 && n <= 91) {
		if ((err = rd_memarg(r, in)))
			return err;
		return ba_wasm__rd_bytes(r, 1, &at);
	}
	if (n == 12 || n == 13)
		return ba_wasm__rd_bytes(r, 16, &at);
	if (n >= 21 && n <= 34)
		return ba_wasm__rd_bytes(r, 1, &at);
	return BA_WASM_OK;
}

static ba_wasm_err rd_prefixed(const ba_wasm_module *m, ba_wasm__reader *r, struct ins *in)
{
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(r, &n)))
		return err;
	if (n > 17)
		return illegal(r, in);
	in->op = OP_FC(n);
	switch (n) {
	case 8: /* memory.init dataidx 0x00 */
		if ((err = ba_wasm__rd_u32(r, &in->x)))
			return err;
		if ((err = zero_byte(r)))
			return err;
		goto needs_datacount;
	case 9: /* data.drop dataidx */
		if ((err = ba_wasm__rd_u32(r, &in->x)))
			return err;
		goto needs_datacount;
	case 10: /* memory.copy 0x00 0x00 */
		if ((err = zero_byte(r)))
			return err;
		return zero_byte(r);
	case 11: /* memory.fill 0x00 */
		return zero_byte(r);
	case 12: /* table.init elemidx tableidx */
	case 14: /* table.copy dst src */
		if ((err = ba_wasm__rd_u32(r, &in->x)))
			return err;
		return ba_wasm__rd_u32(r, &in->y);
	case 13: /* elem.drop */
	case 15: /* table.grow */
	case 16: /* table.size */
	case 17: /* table.fill */
		return ba_wasm__rd_u32(r, &in->x);
	default: /* 0..7: saturating truncations */
		return BA_WASM_OK;
	}

needs_datacount:
	/*
	 * A rule of the binary format, not of validation: single-pass
	 * compilers must know the data count before the code section.
	 * Without the section, data_count is the number of data segments.
	 * An index past them makes the instruction invalid anyway, and then
	 * we let validation report it ("unknown data segment", or "unknown
	 * memory 0" before that): the spec's text-format tests expect those,
	 * and wast2json leaves the DataCount section out of modules that have
	 * no data segments.
	 */
	if (!m->has_data_count && in->x < m->data_count)
		return malformed(r, in->off, "data count section required");
	return BA_WASM_OK;
}

static ba_wasm_err read_ins(const ba_wasm_module *m, ba_wasm__reader *r, struct ins *in)
{
	uint8_t op;
	size_t at;
	int64_t s;
	ba_wasm_err err;

	in->off = r->pos;
	in->simd = false;
	if (r->pos >= r->end)
		return ba_wasm__eof(r);
	op = r->buf[r->pos++];
	in->op = op;
	switch (op) {
	case 0x00:
	case 0x01:
	case 0x05:
	case 0x0B:
	case 0x0F:
	case 0x1A:
	case 0x1B:
	case 0xD1:
		return BA_WASM_OK;
	case 0x02:
	case 0x03:
	case 0x04:
		return rd_blocktype(r, in);
	case 0x0C:
	case 0x0D:
	case 0x10:
	case 0xD2:
		return ba_wasm__rd_u32(r, &in->x);
	case 0x0E: {
		uint32_t label;

		if ((err = ba_wasm__rd_len(r, &in->count)))
			return err;
		in->tbl = r->pos;
		for (uint32_t i = 0; i < in->count; i++)
			if ((err = ba_wasm__rd_u32(r, &label)))
				return err;
		return ba_wasm__rd_u32(r, &in->x);
	}
	case 0x11: /* call_indirect typeidx tableidx */
		if ((err = ba_wasm__rd_u32(r, &in->x)))
			return err;
		return ba_wasm__rd_u32(r, &in->y);
	case 0x1C: {
		uint8_t t;

		if ((err = ba_wasm__rd_len(r, &in->count)))
			return err;
		in->vt = 0;
		for (uint32_t i = 0; i < in->count; i++) {
			if ((err = rd_valtype(r, &t, false)))
				return err;
			if (i == 0)
				in->vt = t;
			in->simd |= t == BA_WASM_V128;
		}
		return BA_WASM_OK;
	}
	case 0x3F:
	case 0x40:
		return zero_byte(r);
	case 0x41:
		if ((err = ba_wasm__rd_sleb(r, 32, &s)))
			return err;
		in->bits = (uint32_t)s;
		return BA_WASM_OK;
	case 0x42:
		if ((err = ba_wasm__rd_sleb(r, 64, &s)))
			return err;
		in->bits = (uint64_t)s;
		return BA_WASM_OK;
	case 0x43:
		return ba_wasm__rd_bytes(r, 4, &at);
	case 0x44:
		return ba_wasm__rd_bytes(r, 8, &at);
	case 0xD0:
		return rd_valtype(r, &in->vt, true);
	case 0xFC:
		return rd_prefixed(m, r, in);
	case 0xFD:
		return rd_simd(r, in);
	default:
		if (op >= 0x20 && op <= 0x26) /* locals, globals, tables */
			return ba_wasm__rd_u32(r, &in->x);
		if (op >= 0x28 && op <= 0x3E) /* loads and stores */
			return rd_memarg(r, in);
		if (op >= 0x45 && op <= 0xC4) /* numeric */
			return BA_WASM_OK;
		return illegal(r, in);
	}
}

static bool is_const_op(uint32_t op)
{
	return (op >= 0x41 && op <= 0x44) || op == 0xD0 || op == 0xD2 || op == 0x23 ||
	       op == OP_FD(12);
}

/* ------------------------------------------------------------------------ */
/* Skimming: structure and encoding only                                    */
/* ------------------------------------------------------------------------ */

static ba_wasm_err skim(const ba_wasm_module *m, ba_wasm__reader *r, bool *all_const,
                        uint32_t *count)
{
	uint8_t small[64], *kinds = small;
	uint32_t depth = 1, cap = sizeof(small), n = 0;
	bool ac = true;
	struct ins in;
	ba_wasm_err err = BA_WASM_OK;

	kinds[0] = K_FUNC;
	for (;;) {
		if ((err = read_ins(m, r, &in)))
			break;
		if (in.op == 0x0B) {
			if (--depth == 0)
				break;
		} else if (in.op == 0x05) {
			if (kinds[depth - 1] != K_IF) {
				err = malformed(r, in.off, "END opcode expected");
				break;
			}
			kinds[depth - 1] = K_ELSE;
		} else if (in.op >= 0x02 && in.op <= 0x04) {
			if (depth == cap) {
				uint8_t *p;

				if (cap >= MAX_FRAMES) {
					err = ba_wasm__fail(r->diag, BA_WASM_ERR_LIMIT, in.off,
					                    "blocks nested too deeply");
					break;
				}
				p = kinds == small ? malloc(cap * 2) : realloc(kinds, cap * 2);
				if (!p) {
					err = ba_wasm__fail(r->diag, BA_WASM_ERR_NOMEM, in.off,
					                    "out of memory while validating");
					break;
				}
				if (kinds == small)
					memcpy(p, small, sizeof(small));
				kinds = p;
				cap *= 2;
			}
			kinds[depth++] = in.op == 0x04 ? K_IF : K_BLOCK;
		}
		if (!is_const_op(in.op))
			ac = false;
		n++;
	}
	if (kinds != small)
		free(kinds);
	if (all_const)
		*all_const = ac;
	if (count)
		*count = n;
	return err;
}

ba_wasm_err ba_wasm__skim_expr(const ba_wasm_module *m, ba_wasm__reader *r, bool *all_const,
                               uint32_t *count, ba_wasm_diag *diag)
{
	ba_wasm_diag *saved = r->diag;
	ba_wasm_err err;

	r->diag = diag;
	err = skim(m, r, all_const, count);
	r->diag = saved;
	return err;
}

static ba_wasm__reader body_reader(const ba_wasm_module *m, const ba_wasm__func_def *f,
                                   ba_wasm_diag *diag)
{
	ba_wasm__reader r;

	r.buf = m->bytes;
	r.pos = f->code_offset;
	r.end = (size_t)f->body.offset + f->body.len;
	r.diag = diag;
	return r;
}

static ba_wasm_err body_trailer(ba_wasm__reader *r)
{
	/* The function's final `end` came before the end of its body. The
	 * reference interpreter words it like this (the body is a sized
	 * entry of the code section). */
	if (r->pos != r->end)
		return malformed(r, r->pos, "section size mismatch");
	return BA_WASM_OK;
}

static void set_func(ba_wasm_diag *diag, uint32_t func)
{
	if (diag)
		diag->func_index = func;
}

static ba_wasm_err skim_body(const ba_wasm_module *m, uint32_t func, ba_wasm_diag *diag)
{
	ba_wasm__reader r = body_reader(m, &m->funcs[func], diag);
	ba_wasm_err err;

	err = skim(m, &r, NULL, NULL);
	if (!err)
		err = body_trailer(&r);
	if (err)
		set_func(diag, func);
	return err;
}

ba_wasm_err ba_wasm__skim_bodies(const ba_wasm_module *m, uint32_t first_defined,
                                 ba_wasm_diag *diag)
{
	for (uint32_t i = m->func_import_count + first_defined; i < m->func_count; i++) {
		ba_wasm_err err = skim_body(m, i, diag);

		if (err)
			return err;
	}
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Typing of function bodies                                                */
/* ------------------------------------------------------------------------ */

/*
 * A function type as the validator uses it: value types as bytes, the
 * encoding of the operand stack, so that matching a type list against the
 * stack is a memcmp and pushing one a memcpy.
 */
struct vtype {
	const uint8_t *params, *results;
	uint32_t nparams, nresults;
};

struct frame {
	const uint8_t *params, *results;
	uint32_t nparams, nresults;
	uint32_t height; /* operand stack height at entry */
	uint8_t kind;
	bool unreachable;
};

struct vstate {
	ba_wasm_module *m;
	ba_wasm_diag *diag;
	uint8_t *vals;
	uint32_t nvals, capvals;
	struct frame *frames;
	uint32_t nframes, capframes;
	struct vtype *types; /* one per module type             */
	uint8_t *type_bytes; /* storage for their value types   */
	bool simd;           /* some body used SIMD              */
	size_t simd_off;
	uint32_t simd_func;
};

/* Storage for one-value block types. */
static const uint8_t one_type[] = {BA_WASM_I32,  BA_WASM_I64,     BA_WASM_F32,      BA_WASM_F64,
                                   BA_WASM_V128, BA_WASM_FUNCREF, BA_WASM_EXTERNREF};

static const uint8_t *single(uint8_t t)
{
	const uint8_t *p = memchr(one_type, t, sizeof(one_type));

	return p ? p : one_type;
}

static ba_wasm_err build_vtypes(struct vstate *v, ba_wasm_diag *diag)
{
	const ba_wasm_module *m = v->m;
	size_t total = 0, at = 0;

	for (uint32_t i = 0; i < m->type_count; i++)
		total += (size_t)m->types[i].param_count + m->types[i].result_count;
	v->types = calloc((size_t)m->type_count + 1, sizeof(*v->types));
	v->type_bytes = malloc(total + 1);
	if (!v->types || !v->type_bytes)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
		                     "out of memory while validating");
	for (uint32_t i = 0; i < m->type_count; i++) {
		const ba_wasm_functype *ft = &m->types[i];
		struct vtype *t = &v->types[i];

		t->nparams = ft->param_count;
		t->nresults = ft->result_count;
		t->params = v->type_bytes + at;
		for (uint32_t k = 0; k < ft->param_count; k++)
			v->type_bytes[at++] = (uint8_t)ft->params[k];
		t->results = v->type_bytes + at;
		for (uint32_t k = 0; k < ft->result_count; k++)
			v->type_bytes[at++] = (uint8_t)ft->results[k];
	}
	return BA_WASM_OK;
}

static ba_wasm_err grow_vals(struct vstate *v, uint64_t need, size_t off)
{
	uint64_t ncap = v->capvals ? (uint64_t)v->capvals * 2 : 256;
	uint8_t *p;

	if (need > MAX_VALS)
		return ba_wasm__fail(v->diag, BA_WASM_ERR_LIMIT, off, "operand stack too deep");
	while (ncap < need)
		ncap *= 2;
	if (ncap > MAX_VALS)
		ncap = MAX_VALS;
	p = realloc(v->vals, (size_t)ncap);
	if (!p)
		return ba_wasm__fail(v->diag, BA_WASM_ERR_NOMEM, off,
		                     "out of memory while validating");
	v->vals = p;
	v->capvals = (uint32_t)ncap;
	return BA_WASM_OK;
}

static inline struct frame *top(struct vstate *v)
{
	return &v->frames[v->nframes - 1];
}

/* Pops a value that must match `expect` (UNKNOWN: anything). Returns the
 * popped type or -1 on a mismatch. */
static inline int pop(struct vstate *v, uint8_t expect)
{
	struct frame *f = top(v);
	uint8_t actual;

	if (v->nvals == f->height)
		return f->unreachable ? UNKNOWN : -1;
	actual = v->vals[--v->nvals];
	if (actual != expect && actual != UNKNOWN && expect != UNKNOWN)
		return -1;
	return actual;
}

/*
 * Whether the n stack values s match the type list t, where an Unknown on
 * the stack matches anything (t itself never holds Unknown). Eight bytes
 * at a time: a byte is bad when it differs from t and is not Unknown (0).
 * Calls, branches and block ends of high arity make this the hot loop of
 * adversarial modules.
 */
static inline bool stack_matches(const uint8_t *s, const uint8_t *t, uint32_t n)
{
	const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f), high = UINT64_C(0x8080808080808080);
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t a, b, d;

		memcpy(&a, s + i, 8);
		memcpy(&b, t + i, 8);
		d = a ^ b;
		/* High bit of each byte: set iff the byte is non-zero. */
		if (((((d & low7) + low7) | d) & ((((a & low7) + low7) | a) & high)) != 0)
			return false;
	}
	for (; i < n; i++)
		if (s[i] != t[i] && s[i] != UNKNOWN)
			return false;
	return true;
}

/*
 * pop_vals of the spec, in one step: the values present above the frame's
 * height must match the last types of t, and any types beyond them come
 * from the polymorphic base of unreachable code (Unknown, matching
 * anything) -- or are a mismatch in reachable code. The cost depends on
 * what is actually on the stack, not on the length of t.
 */
static inline bool pop_vals(struct vstate *v, const uint8_t *t, uint32_t n)
{
	struct frame *f = top(v);
	uint32_t avail = v->nvals - f->height;
	uint32_t k = n < avail ? n : avail;

	if (k < n && !f->unreachable)
		return false;
	/* k == 0 covers empty type lists, which may be NULL. */
	if (k && !stack_matches(v->vals + v->nvals - k, t + (n - k), k))
		return false;
	v->nvals -= k;
	return true;
}

static inline ba_wasm_err push(struct vstate *v, uint8_t t, size_t off)
{
	ba_wasm_err err;

	if (v->nvals == v->capvals && (err = grow_vals(v, (uint64_t)v->nvals + 1, off)))
		return err;
	v->vals[v->nvals++] = t;
	return BA_WASM_OK;
}

static ba_wasm_err push_vals(struct vstate *v, const uint8_t *t, uint32_t n, size_t off)
{
	ba_wasm_err err;

	if ((uint64_t)v->nvals + n > v->capvals &&
	    (err = grow_vals(v, (uint64_t)v->nvals + n, off)))
		return err;
	if (n)
		memcpy(v->vals + v->nvals, t, n);
	v->nvals += n;
	return BA_WASM_OK;
}

static ba_wasm_err push_frame(struct vstate *v, uint8_t kind, const uint8_t *params, uint32_t np,
                              const uint8_t *results, uint32_t nr, size_t off)
{
	struct frame *f;

	if (v->nframes == v->capframes) {
		uint32_t ncap = v->capframes ? v->capframes * 2 : 64;
		struct frame *p;

		if (v->capframes >= MAX_FRAMES)
			return ba_wasm__fail(v->diag, BA_WASM_ERR_LIMIT, off,
			                     "blocks nested too deeply");
		p = realloc(v->frames, ncap * sizeof(*p));
		if (!p)
			return ba_wasm__fail(v->diag, BA_WASM_ERR_NOMEM, off,
			                     "out of memory while validating");
		v->frames = p;
		v->capframes = ncap;
	}
	f = &v->frames[v->nframes++];
	f->kind = kind;
	f->params = params;
	f->nparams = np;
	f->results = results;
	f->nresults = nr;
	f->height = v->nvals;
	f->unreachable = false;
	return push_vals(v, params, np, off);
}

static void set_unreachable(struct vstate *v)
{
	struct frame *f = top(v);

	v->nvals = f->height;
	f->unreachable = true;
}

static bool same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* br_table: push_vals(pop_vals(labels)) keeps the *actual* popped types,
 * which differ from the label types where Unknown was popped. */
static bool pop_push_label(struct vstate *v, const uint8_t *t, uint32_t n, size_t off,
                           ba_wasm_err *err)
{
	uint32_t before = v->nvals, real, h;

	/* All n values already on the stack: popping and pushing them back
	 * leaves it as it is, so only the check remains. */
	if (v->nvals - top(v)->height >= n)
		return stack_matches(v->vals + v->nvals - n, t, n);
	if (!pop_vals(v, t, n))
		return false;
	/* The values popped from the real stack are still in place above
	 * nvals; the rest were Unknown from the polymorphic base. */
	real = before - v->nvals;
	h = v->nvals;
	if ((uint64_t)h + n > v->capvals && (*err = grow_vals(v, (uint64_t)h + n, off)))
		return false;
	memmove(v->vals + h + (n - real), v->vals + h, real);
	memset(v->vals + h, UNKNOWN, n - real);
	v->nvals = h + n;
	return true;
}

/* Operand and result types of plain numeric instructions; a = first
 * operand, b = second (0 for unary). False for anything else. */
static bool numeric_sig(uint32_t op, uint8_t *a, uint8_t *b, uint8_t *res)
{
	enum { I = BA_WASM_I32, L = BA_WASM_I64, F = BA_WASM_F32, D = BA_WASM_F64 };
	static const uint8_t conv[][2] = {
	        /* 0xA7..0xC4: from, to */
	        {L, I}, {F, I}, {F, I}, {D, I}, {D, I},         /* A7 */
	        {I, L}, {I, L}, {F, L}, {F, L}, {D, L}, {D, L}, /* AC */
	        {I, F}, {I, F}, {L, F}, {L, F}, {D, F},         /* B2 */
	        {I, D}, {I, D}, {L, D}, {L, D}, {F, D},         /* B7 */
	        {F, I}, {D, L}, {I, F}, {L, D},                 /* BC */
	        {I, I}, {I, I}, {L, L}, {L, L}, {L, L},         /* C0 */
	};
	static const uint8_t sat[][2] = {
	        /* 0xFC 0..7 */
	        {F, I}, {F, I}, {D, I}, {D, I}, {F, L}, {F, L}, {D, L}, {D, L},
	};
	uint8_t t1 = 0, t2 = 0, r = 0;

	if (op >= OP_FC(0) && op <= OP_FC(7)) {
		t1 = sat[op - OP_FC(0)][0];
		r = sat[op - OP_FC(0)][1];
	} else if (op > 0xFF) {
		return false;
	} else if (op == 0x45) {
		t1 = I, r = I;
	} else if (op <= 0x4F) {
		if (op < 0x45)
			return false;
		t1 = t2 = I, r = I;
	} else if (op == 0x50) {
		t1 = L, r = I;
	} else if (op <= 0x5A) {
		t1 = t2 = L, r = I;
	} else if (op <= 0x60) {
		t1 = t2 = F, r = I;
	} else if (op <= 0x66) {
		t1 = t2 = D, r = I;
	} else if (op <= 0x69) {
		t1 = I, r = I;
	} else if (op <= 0x78) {
		t1 = t2 = I, r = I;
	} else if (op <= 0x7B) {
		t1 = L, r = L;
	} else if (op <= 0x8A) {
		t1 = t2 = L, r = L;
	} else if (op <= 0x91) {
		t1 = F, r = F;
	} else if (op <= 0x98) {
		t1 = t2 = F, r = F;
	} else if (op <= 0x9F) {
		t1 = D, r = D;
	} else if (op <= 0xA6) {
		t1 = t2 = D, r = D;
	} else if (op <= 0xC4) {
		t1 = conv[op - 0xA7][0];
		r = conv[op - 0xA7][1];
	} else {
		return false;
	}
	*a = t1;
	*b = t2;
	*res = r;
	return true;
}

/* Value type and natural alignment (log2) of loads 0x28.. and stores. */
static const struct {
	uint8_t type;
	uint8_t align;
} memop[0x3E - 0x28 + 1] = {
        {BA_WASM_I32, 2}, /* 0x28 i32.load */
        {BA_WASM_I64, 3}, /* 0x29 i64.load */
        {BA_WASM_F32, 2}, /* 0x2A f32.load */
        {BA_WASM_F64, 3}, /* 0x2B f64.load */
        {BA_WASM_I32, 0}, /* 0x2C i32.load8_s */
        {BA_WASM_I32, 0}, /* 0x2D i32.load8_u */
        {BA_WASM_I32, 1}, /* 0x2E i32.load16_s */
        {BA_WASM_I32, 1}, /* 0x2F i32.load16_u */
        {BA_WASM_I64, 0}, /* 0x30 i64.load8_s */
        {BA_WASM_I64, 0}, /* 0x31 i64.load8_u */
        {BA_WASM_I64, 1}, /* 0x32 i64.load16_s */
        {BA_WASM_I64, 1}, /* 0x33 i64.load16_u */
        {BA_WASM_I64, 2}, /* 0x34 i64.load32_s */
        {BA_WASM_I64, 2}, /* 0x35 i64.load32_u */
        {BA_WASM_I32, 2}, /* 0x36 i32.store */
        {BA_WASM_I64, 3}, /* 0x37 i64.store */
        {BA_WASM_F32, 2}, /* 0x38 f32.store */
        {BA_WASM_F64, 3}, /* 0x39 f64.store */
        {BA_WASM_I32, 0}, /* 0x3A i32.store8 */
        {BA_WASM_I32, 1}, /* 0x3B i32.store16 */
        {BA_WASM_I64, 0}, /* 0x3C i64.store8 */
        {BA_WASM_I64, 1}, /* 0x3D i64.store16 */
        {BA_WASM_I64, 2}, /* 0x3E i64.store32 */
};

static bool declared_ref(const ba_wasm_module *m, uint32_t func)
{
	return m->declared_func_refs[func >> 3] & (1u << (func & 7));
}

static void note_simd(struct vstate *v, size_t off, uint32_t func)
{
	if (!v->simd) {
		v->simd = true;
		v->simd_off = off;
		v->simd_func = func;
	}
}

static ba_wasm_err check_body(struct vstate *v, uint32_t fi)
{
	const ba_wasm_module *m = v->m;
	const ba_wasm__func_def *fd = &m->funcs[fi];
	const struct vtype *ft = &v->types[fd->type_index];
	ba_wasm__reader rd = body_reader(m, fd, v->diag);
	const uint64_t nlocals = (uint64_t)ft->nparams + fd->local_count;
	struct ins in;
	ba_wasm_err err;

	v->nvals = 0;
	v->nframes = 0;
	in.off = rd.pos;
	if ((err = push_frame(v, K_FUNC, NULL, 0, ft->results, ft->nresults, rd.pos)))
		return err;

#define FAIL(kind, ...)                                                                \
	do {                                                                           \
		err = ba_wasm__fail(v->diag, BA_WASM_ERR_##kind, in.off, __VA_ARGS__); \
		goto out;                                                              \
	} while (0)
#define POP(t)                         \
	do {                           \
		if (pop(v, (t)) < 0)   \
			goto mismatch; \
	} while (0)
#define POPN(ts, n)                          \
	do {                                 \
		if (!pop_vals(v, (ts), (n))) \
			goto mismatch;       \
	} while (0)
#define PUSH(t)                                            \
	do {                                               \
		if ((err = push(v, (uint8_t)(t), in.off))) \
			goto out;                          \
	} while (0)
#define PUSHN(ts, n)                                         \
	do {                                                 \
		if ((err = push_vals(v, (ts), (n), in.off))) \
			goto out;                            \
	} while (0)
#define NEED_MEMORY()                                      \
	do {                                               \
		if (m->memory_count == 0)                  \
			FAIL(INVALID, "unknown memory 0"); \
	} while (0)
#define NEED_TABLE(i)                                           \
	do {                                                    \
		if ((i) >= m->table_count)                      \
			FAIL(INVALID, "unknown table %u", (i)); \
	} while (0)

	for (;;) {
		if ((err = read_ins(m, &rd, &in)))
			goto out;
		if (in.simd) {
			note_simd(v, in.off, fi);
			if (in.op >= OP_FD(0)) {
				/* Cannot type it: stop here, the caller skims
				 * the rest of the body. */
				err = BA_WASM_ERR_UNSUPPORTED;
				goto out;
			}
		}

		switch (in.op) {
		case 0x00: /* unreachable */
			set_unreachable(v);
			break;
		case 0x01: /* nop */
			break;
		case 0x02:   /* block */
		case 0x03:   /* loop */
		case 0x04: { /* if */
			const uint8_t *p = NULL, *r = NULL;
			uint32_t np = 0, nr = 0;

			if (in.bt == BT_VAL) {
				r = single(in.vt);
				nr = 1;
			} else if (in.bt == BT_TYPE) {
				if (in.x >= m->type_count)
					FAIL(INVALID, "unknown type %u", in.x);
				p = v->types[in.x].params;
				np = v->types[in.x].nparams;
				r = v->types[in.x].results;
				nr = v->types[in.x].nresults;
			}
			if (in.op == 0x04)
				POP(BA_WASM_I32);
			POPN(p, np);
			err = push_frame(v,
			                 in.op == 0x02   ? K_BLOCK
			                 : in.op == 0x03 ? K_LOOP
			                                 : K_IF,
			                 p, np, r, nr, in.off);
			if (err)
				goto out;
			break;
		}
		case 0x05: { /* else */
			struct frame *f = top(v);

			if (f->kind != K_IF)
				FAIL(MALFORMED, "END opcode expected");
			POPN(f->results, f->nresults);
			if (v->nvals != f->height)
				goto mismatch;
			f->kind = K_ELSE;
			f->unreachable = false;
			PUSHN(f->params, f->nparams);
			break;
		}
		case 0x0B: { /* end */
			struct frame *f = top(v);

			POPN(f->results, f->nresults);
			if (v->nvals != f->height)
				goto mismatch;
			/* `if` without `else`: the missing branch passes the
			 * parameters through as its results. */
			if (f->kind == K_IF &&
			    !same_types(f->params, f->nparams, f->results, f->nresults))
				goto mismatch;
			v->nframes--;
			if (v->nframes == 0) {
				err = body_trailer(&rd);
				goto out;
			}
			PUSHN(f->results, f->nresults);
			break;
		}
		case 0x0C:   /* br */
		case 0x0D: { /* br_if */
			const struct frame *f;
			const uint8_t *t;
			uint32_t n;

			if (in.x >= v->nframes)
				FAIL(INVALID, "unknown label %u", in.x);
			if (in.op == 0x0D)
				POP(BA_WASM_I32);
			f = &v->frames[v->nframes - 1 - in.x];
			t = f->kind == K_LOOP ? f->params : f->results;
			n = f->kind == K_LOOP ? f->nparams : f->nresults;
			POPN(t, n);
			if (in.op == 0x0C)
				set_unreachable(v);
			else
				PUSHN(t, n);
			break;
		}
		case 0x0E: { /* br_table */
			ba_wasm__reader lr = rd;
			const struct frame *f;
			const uint8_t *t, *checked = NULL;
			uint32_t arity;

			POP(BA_WASM_I32);
			if (in.x >= v->nframes)
				FAIL(INVALID, "unknown label %u", in.x);
			f = &v->frames[v->nframes - 1 - in.x];
			arity = f->kind == K_LOOP ? f->nparams : f->nresults;
			lr.pos = in.tbl;
			for (uint32_t i = 0; i < in.count; i++) {
				uint32_t l;

				/* Already decoded once: cannot fail. */
				if ((err = ba_wasm__rd_u32(&lr, &l)))
					goto out;
				if (l >= v->nframes)
					FAIL(INVALID, "unknown label %u", l);
				f = &v->frames[v->nframes - 1 - l];
				if ((f->kind == K_LOOP ? f->nparams : f->nresults) != arity)
					goto mismatch;
				/* Checking the same type list twice in a row
				 * changes nothing (the first check left exactly
				 * matching values on the stack), so a long table
				 * of equal labels costs one check. */
				t = f->kind == K_LOOP ? f->params : f->results;
				if (arity == 0 || t == checked)
					continue;
				if (!pop_push_label(v, t, arity, in.off, &err)) {
					if (err)
						goto out;
					goto mismatch;
				}
				checked = t;
			}
			f = &v->frames[v->nframes - 1 - in.x];
			POPN(f->kind == K_LOOP ? f->params : f->results, arity);
			set_unreachable(v);
			break;
		}
		case 0x0F: /* return */
			POPN(ft->results, ft->nresults);
			set_unreachable(v);
			break;
		case 0x10: { /* call */
			const struct vtype *t;

			if (in.x >= m->func_count)
				FAIL(INVALID, "unknown function %u", in.x);
			t = &v->types[m->funcs[in.x].type_index];
			POPN(t->params, t->nparams);
			PUSHN(t->results, t->nresults);
			break;
		}
		case 0x11: { /* call_indirect */
			const struct vtype *t;

			NEED_TABLE(in.y);
			if (in.x >= m->type_count)
				FAIL(INVALID, "unknown type %u", in.x);
			if (m->tables[in.y].elem != BA_WASM_FUNCREF)
				goto mismatch;
			t = &v->types[in.x];
			POP(BA_WASM_I32);
			POPN(t->params, t->nparams);
			PUSHN(t->results, t->nresults);
			break;
		}
		case 0x1A: /* drop */
			POP(UNKNOWN);
			break;
		case 0x1B: { /* select */
			int t1, t2;

			POP(BA_WASM_I32);
			if ((t1 = pop(v, UNKNOWN)) < 0 || (t2 = pop(v, UNKNOWN)) < 0)
				goto mismatch;
			/* Without a type annotation only numeric (and vector)
			 * operands are allowed. */
			if (t1 == BA_WASM_FUNCREF || t1 == BA_WASM_EXTERNREF ||
			    t2 == BA_WASM_FUNCREF || t2 == BA_WASM_EXTERNREF)
				goto mismatch;
			if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN)
				goto mismatch;
			PUSH(t1 == UNKNOWN ? t2 : t1);
			break;
		}
		case 0x1C: /* select t */
			if (in.count != 1)
				FAIL(INVALID, "invalid result arity");
			POP(BA_WASM_I32);
			POP(in.vt);
			POP(in.vt);
			PUSH(in.vt);
			break;
		case 0x20:   /* local.get */
		case 0x21:   /* local.set */
		case 0x22: { /* local.tee */
			uint8_t t;

			if (in.x >= nlocals)
				FAIL(INVALID, "unknown local %u", in.x);
			t = in.x < ft->nparams ? ft->params[in.x]
			                       : (uint8_t)fd->local_types[in.x - ft->nparams];
			if (in.op != 0x20)
				POP(t);
			if (in.op != 0x21)
				PUSH(t);
			break;
		}
		case 0x23: /* global.get */
			if (in.x >= m->global_count)
				FAIL(INVALID, "unknown global %u", in.x);
			PUSH(m->globals[in.x].type);
			break;
		case 0x24: /* global.set */
			if (in.x >= m->global_count)
				FAIL(INVALID, "unknown global %u", in.x);
			if (!m->globals[in.x].mutable_)
				FAIL(INVALID, "global is immutable");
			POP(m->globals[in.x].type);
			break;
		case 0x25: /* table.get */
			NEED_TABLE(in.x);
			POP(BA_WASM_I32);
			PUSH(m->tables[in.x].elem);
			break;
		case 0x26: /* table.set */
			NEED_TABLE(in.x);
			POP(m->tables[in.x].elem);
			POP(BA_WASM_I32);
			break;
		case 0x3F: /* memory.size */
			NEED_MEMORY();
			PUSH(BA_WASM_I32);
			break;
		case 0x40: /* memory.grow */
			NEED_MEMORY();
			POP(BA_WASM_I32);
			PUSH(BA_WASM_I32);
			break;
		case 0x41:
			PUSH(BA_WASM_I32);
			break;
		case 0x42:
			PUSH(BA_WASM_I64);
			break;
		case 0x43:
			PUSH(BA_WASM_F32);
			break;
		case 0x44:
			PUSH(BA_WASM_F64);
			break;
		case 0xD0: /* ref.null */
			PUSH(in.vt);
			break;
		case 0xD1: { /* ref.is_null */
			int t = pop(v, UNKNOWN);

			if (t < 0 ||
			    (t != UNKNOWN && t != BA_WASM_FUNCREF && t != BA_WASM_EXTERNREF))
				goto mismatch;
			PUSH(BA_WASM_I32);
			break;
		}
		case 0xD2: /* ref.func */
			if (in.x >= m->func_count)
				FAIL(INVALID, "unknown function %u", in.x);
			if (!declared_ref(m, in.x))
				FAIL(INVALID, "undeclared function reference");
			PUSH(BA_WASM_FUNCREF);
			break;
		case OP_FC(8): /* memory.init */
			NEED_MEMORY();
			if (in.x >= m->data_count)
				FAIL(INVALID, "unknown data segment %u", in.x);
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			break;
		case OP_FC(9): /* data.drop */
			if (in.x >= m->data_count)
				FAIL(INVALID, "unknown data segment %u", in.x);
			break;
		case OP_FC(10): /* memory.copy */
		case OP_FC(11): /* memory.fill */
			NEED_MEMORY();
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			break;
		case OP_FC(12): /* table.init elem x, table y */
			NEED_TABLE(in.y);
			if (in.x >= m->elem_count)
				FAIL(INVALID, "unknown elem segment %u", in.x);
			if (m->tables[in.y].elem != m->elems[in.x].elem_type)
				goto mismatch;
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			break;
		case OP_FC(13): /* elem.drop */
			if (in.x >= m->elem_count)
				FAIL(INVALID, "unknown elem segment %u", in.x);
			break;
		case OP_FC(14): /* table.copy dst x, src y */
			NEED_TABLE(in.x);
			NEED_TABLE(in.y);
			if (m->tables[in.x].elem != m->tables[in.y].elem)
				goto mismatch;
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			POP(BA_WASM_I32);
			break;
		case OP_FC(15): /* table.grow */
			NEED_TABLE(in.x);
			POP(BA_WASM_I32);
			POP(m->tables[in.x].elem);
			PUSH(BA_WASM_I32);
			break;
		case OP_FC(16): /* table.size */
			NEED_TABLE(in.x);
			PUSH(BA_WASM_I32);
			break;
		case OP_FC(17): /* table.fill */
			NEED_TABLE(in.x);
			POP(BA_WASM_I32);
			POP(m->tables[in.x].elem);
			POP(BA_WASM_I32);
			break;
		default: {
			uint8_t a, b, r;

			if (in.op >= 0x28 && in.op <= 0x3E) {
				unsigned k = in.op - 0x28;

				NEED_MEMORY();
				if (in.x > memop[k].align)
					FAIL(INVALID, "alignment must not be larger than natural");
				if (in.op >= 0x36) {
					POP(memop[k].type);
					POP(BA_WASM_I32);
				} else {
					POP(BA_WASM_I32);
					PUSH(memop[k].type);
				}
				break;
			}
			if (!numeric_sig(in.op, &a, &b, &r))
				FAIL(MALFORMED, "illegal opcode"); /* not reached */
			if (b)
				POP(b);
			POP(a);
			PUSH(r);
			break;
		}
		}
	}

mismatch:
	err = ba_wasm__fail(v->diag, BA_WASM_ERR_INVALID, in.off, "type mismatch");
out:
	if (err && err != BA_WASM_ERR_UNSUPPORTED)
		set_func(v->diag, fi);
	return err;

#undef FAIL
#undef POP
#undef POPN
#undef PUSH
#undef PUSHN
#undef NEED_MEMORY
#undef NEED_TABLE
}

/* ------------------------------------------------------------------------ */
/* Module-level rules                                                       */
/* ------------------------------------------------------------------------ */

static ba_wasm_err invalid_at(ba_wasm_diag *diag, size_t off, const char *msg, uint32_t idx,
                              bool with_index)
{
	if (with_index)
		return ba_wasm__fail(diag, BA_WASM_ERR_INVALID, off, "%s %u", msg, idx);
	return ba_wasm__fail(diag, BA_WASM_ERR_INVALID, off, "%s", msg);
}

static ba_wasm_err check_const(ba_wasm_module *m, ba_wasm__const_expr *e, ba_wasm_valtype want,
                               ba_wasm_diag *diag)
{
	switch (e->kind) {
	case BA_WASM__CONST_GLOBAL_GET:
		/* 2.0: only imported globals are visible here, and only
		 * immutable ones are constant. */
		if (e->index >= m->global_import_count)
			return invalid_at(diag, e->offset, "unknown global", e->index, true);
		if (m->globals[e->index].mutable_)
			return invalid_at(diag, e->offset, "constant expression required", 0,
			                  false);
		e->type = m->globals[e->index].type;
		break;
	case BA_WASM__CONST_REF_FUNC:
		if (e->index >= m->func_count)
			return invalid_at(diag, e->offset, "unknown function", e->index, true);
		break;
	default:
		break;
	}
	if (e->type != want)
		return invalid_at(diag, e->offset, "type mismatch", 0, false);
	return BA_WASM_OK;
}

static ba_wasm_err check_table_limits(const ba_wasm_limits_range *l, ba_wasm_diag *diag)
{
	if (l->has_max && l->min > l->max)
		return invalid_at(diag, SIZE_MAX, "size minimum must not be greater than maximum",
		                  0, false);
	return BA_WASM_OK;
}

static ba_wasm_err check_memory_limits(const ba_wasm_limits_range *l, ba_wasm_diag *diag)
{
	if (l->min > BA_WASM_MAX_PAGES || (l->has_max && l->max > BA_WASM_MAX_PAGES))
		return invalid_at(diag, SIZE_MAX, "memory size must be at most 65536 pages (4GiB)",
		                  0, false);
	return check_table_limits(l, diag);
}

static void mark_ref(ba_wasm_module *m, const ba_wasm__const_expr *e)
{
	if (e->kind == BA_WASM__CONST_REF_FUNC && e->index < m->func_count)
		m->declared_func_refs[e->index >> 3] |= (uint8_t)(1u << (e->index & 7));
}

/* C.refs: functions named outside of function bodies. */
static ba_wasm_err collect_refs(ba_wasm_module *m, ba_wasm_diag *diag)
{
	free(m->declared_func_refs);
	m->declared_func_refs = calloc((size_t)m->func_count / 8 + 1, 1);
	if (!m->declared_func_refs)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
		                     "out of memory while validating");
	for (uint32_t i = m->global_import_count; i < m->global_count; i++)
		mark_ref(m, &m->globals[i].init);
	for (uint32_t i = 0; i < m->elem_count; i++) {
		const ba_wasm__elem_segment *s = &m->elems[i];

		if (s->mode == BA_WASM__SEG_ACTIVE)
			mark_ref(m, &s->offset);
		for (uint32_t k = 0; k < s->item_count; k++)
			mark_ref(m, &s->items[k]);
	}
	for (uint32_t i = 0; i < m->data_count; i++)
		if (m->datas[i].mode == BA_WASM__SEG_ACTIVE)
			mark_ref(m, &m->datas[i].offset);
	for (uint32_t i = 0; i < m->export_count; i++) {
		const ba_wasm__export *e = &m->exports[i];

		if (e->kind == BA_WASM_EXTERN_FUNC && e->index < m->func_count)
			m->declared_func_refs[e->index >> 3] |= (uint8_t)(1u << (e->index & 7));
	}
	return BA_WASM_OK;
}

/* Everything before the function bodies, in the reference interpreter's
 * order. */
static ba_wasm_err check_definitions(ba_wasm_module *m, ba_wasm_diag *diag)
{
	ba_wasm_err err;

	for (uint32_t i = 0; i < m->func_count; i++) {
		if (m->funcs[i].type_index >= m->type_count) {
			err = invalid_at(diag, SIZE_MAX, "unknown type", m->funcs[i].type_index,
			                 true);
			set_func(diag, i);
			return err;
		}
	}
	for (uint32_t i = 0; i < m->table_count; i++)
		if ((err = check_table_limits(&m->tables[i].limits, diag)))
			return err;
	for (uint32_t i = 0; i < m->memory_count; i++)
		if ((err = check_memory_limits(&m->memories[i], diag)))
			return err;
	for (uint32_t i = m->global_import_count; i < m->global_count; i++)
		if ((err = check_const(m, &m->globals[i].init, m->globals[i].type, diag)))
			return err;
	for (uint32_t i = 0; i < m->elem_count; i++) {
		ba_wasm__elem_segment *s = &m->elems[i];

		for (uint32_t k = 0; k < s->item_count; k++)
			if ((err = check_const(m, &s->items[k], s->elem_type, diag)))
				return err;
		if (s->mode != BA_WASM__SEG_ACTIVE)
			continue;
		if (s->table_index >= m->table_count)
			return invalid_at(diag, s->offset.offset, "unknown table", s->table_index,
			                  true);
		if ((err = check_const(m, &s->offset, BA_WASM_I32, diag)))
			return err;
		if (m->tables[s->table_index].elem != s->elem_type)
			return invalid_at(diag, s->offset.offset, "type mismatch", 0, false);
	}
	for (uint32_t i = 0; i < m->data_count; i++) {
		ba_wasm__data_segment *s = &m->datas[i];

		if (s->mode != BA_WASM__SEG_ACTIVE)
			continue;
		if (s->memory_index >= m->memory_count)
			return invalid_at(diag, s->offset.offset, "unknown memory", s->memory_index,
			                  true);
		if ((err = check_const(m, &s->offset, BA_WASM_I32, diag)))
			return err;
	}
	return BA_WASM_OK;
}

struct name_ref {
	const char *s;
	uint32_t len;
	uint32_t index;
};

static int cmp_names(const void *pa, const void *pb)
{
	const struct name_ref *a = pa, *b = pb;
	uint32_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);

	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	/* Equal names: report the later export. */
	return a->index < b->index ? -1 : a->index > b->index;
}

static ba_wasm_err check_exports(ba_wasm_module *m, ba_wasm_diag *diag)
{
	static const char *const what[] = {"unknown function", "unknown table", "unknown memory",
	                                   "unknown global"};
	struct name_ref *names;
	ba_wasm_err err = BA_WASM_OK;

	for (uint32_t i = 0; i < m->export_count; i++) {
		const ba_wasm__export *e = &m->exports[i];
		uint32_t limit = e->kind == BA_WASM_EXTERN_FUNC     ? m->func_count
		                 : e->kind == BA_WASM_EXTERN_TABLE  ? m->table_count
		                 : e->kind == BA_WASM_EXTERN_MEMORY ? m->memory_count
		                                                    : m->global_count;

		if (e->index >= limit)
			return invalid_at(diag, SIZE_MAX, what[e->kind], e->index, true);
	}
	if (m->export_count < 2)
		return BA_WASM_OK;
	names = malloc((size_t)m->export_count * sizeof(*names));
	if (!names)
		return ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
		                     "out of memory while validating");
	for (uint32_t i = 0; i < m->export_count; i++) {
		names[i].s = m->exports[i].name;
		names[i].len = m->exports[i].name_len;
		names[i].index = i;
	}
	qsort(names, m->export_count, sizeof(*names), cmp_names);
	for (uint32_t i = 1; i < m->export_count; i++) {
		if (names[i].len == names[i - 1].len &&
		    memcmp(names[i].s, names[i - 1].s, names[i].len) == 0) {
			err = ba_wasm__fail(diag, BA_WASM_ERR_INVALID, SIZE_MAX,
			                    "duplicate export name \"%s\"", names[i].s);
			break;
		}
	}
	free(names);
	return err;
}

static bool has_v128(const ba_wasm_valtype *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (t[i] == BA_WASM_V128)
			return true;
	return false;
}

/* v128 outside function bodies (types, globals, locals). */
static bool module_uses_simd(const ba_wasm_module *m)
{
	for (uint32_t i = 0; i < m->type_count; i++)
		if (has_v128(m->types[i].params, m->types[i].param_count) ||
		    has_v128(m->types[i].results, m->types[i].result_count))
			return true;
	for (uint32_t i = 0; i < m->global_count; i++)
		if (m->globals[i].type == BA_WASM_V128)
			return true;
	for (uint32_t i = m->func_import_count; i < m->func_count; i++)
		if (has_v128(m->funcs[i].local_types, m->funcs[i].local_count))
			return true;
	return false;
}

ba_wasm_err ba_wasm__validate(ba_wasm_module *module, const ba_wasm_load_options *options,
                              ba_wasm_diag *diag)
{
	ba_wasm_module *m = module;
	struct vstate v;
	ba_wasm_diag tmp;
	ba_wasm_err err;
	uint32_t i;

	memset(&v, 0, sizeof(v));
	v.m = m;
	v.diag = diag;

	if ((err = collect_refs(m, diag)))
		return err;
	if ((err = check_definitions(m, diag))) {
		i = m->func_import_count;
		goto skim_rest;
	}
	if ((err = build_vtypes(&v, diag)))
		goto done;
	/* Both stacks exist before the first body, so the stack pointers are
	 * never NULL (pointer arithmetic on NULL, even +0, is undefined). */
	if ((err = grow_vals(&v, 1, SIZE_MAX)))
		goto done;
	v.frames = malloc(64 * sizeof(*v.frames));
	if (!v.frames) {
		err = ba_wasm__fail(diag, BA_WASM_ERR_NOMEM, SIZE_MAX,
		                    "out of memory while validating");
		goto done;
	}
	v.capframes = 64;

	for (i = m->func_import_count; i < m->func_count; i++) {
		err = check_body(&v, i);
		if (err == BA_WASM_ERR_UNSUPPORTED) {
			/* Typing stopped at a SIMD instruction; the rest of
			 * the body must still be well-formed. */
			if ((err = skim_body(m, i, diag)))
				goto done;
			continue;
		}
		if (err == BA_WASM_ERR_INVALID)
			goto skim_rest;
		if (err)
			goto done;
	}

	if (m->has_start) {
		if (m->start_func >= m->func_count) {
			err = invalid_at(diag, SIZE_MAX, "unknown function", m->start_func, true);
			goto done;
		}
		if (ba_wasm__func_type(m, m->start_func)->param_count != 0 ||
		    ba_wasm__func_type(m, m->start_func)->result_count != 0) {
			err = invalid_at(diag, SIZE_MAX, "start function must have type [] -> []",
			                 0, false);
			goto done;
		}
	}
	if ((err = check_exports(m, diag)))
		goto done;
	if (m->memory_count > 1) {
		err = invalid_at(diag, SIZE_MAX, "multiple memories", 0, false);
		goto done;
	}
	if (v.simd) {
		err = ba_wasm__fail(diag, BA_WASM_ERR_UNSUPPORTED, v.simd_off,
		                    "SIMD not supported");
		set_func(diag, v.simd_func);
		goto done;
	}
	if (module_uses_simd(m)) {
		err = ba_wasm__fail(diag, BA_WASM_ERR_UNSUPPORTED, SIZE_MAX,
		                    "SIMD not supported (v128 value type)");
		goto done;
	}
	err = BA_WASM_OK;
	goto done;

skim_rest:
	/* An INVALID finding; a malformed body from here on outranks it. */
	if (ba_wasm__skim_bodies(m, i - m->func_import_count, &tmp) == BA_WASM_ERR_MALFORMED) {
		err = tmp.err;
		if (diag)
			*diag = tmp;
	}
done:
	free(v.vals);
	free(v.frames);
	free(v.types);
	free(v.type_bytes);
	return err;
}
