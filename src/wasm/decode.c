/*
 * decode.c - the WebAssembly 2.0 binary format -> struct ba_wasm_module.
 *
 * Sections are parsed in one forward pass over module->bytes. Function
 * bodies are only delimited here (and their locals read); validate.c
 * decodes their instructions.
 *
 * Error wording and classification follow the spec's reference interpreter
 * because the spec tests check them. Two of its habits shape this file:
 *
 *  - Section contents are read against the end of the whole input, not
 *    the end of the section, and the section size is compared afterwards
 *    ("section size mismatch"). Bounding by the section instead would give
 *    different messages for the spec's truncated-vector tests.
 *
 *  - Decoding finishes before validation starts, so a malformed module is
 *    reported as malformed even when an earlier part of it is merely
 *    invalid. Constant expressions are the one place where decoding meets
 *    a validation rule (e.g. "constant expression required"): such an
 *    error is remembered, decoding goes on, and it is reported only if the
 *    rest of the module, including the function bodies, is well-formed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "module.h"
#include "reader.h"

#define DEFAULT_MAX_FUNCTIONS  1000000u
#define DEFAULT_MAX_LOCALS     50000u
#define DEFAULT_MAX_BODY_BYTES (8u << 20)
/*
 * Parameters and results of one function type. Not a spec rule but the
 * JS API's implementation limit, which browsers enforce too: checking a
 * call, a branch or a block end costs time in proportion to the arity, so
 * without a cap a small module could make validation run for minutes.
 */
#define MAX_TYPE_ARITY 1000u

/*
 * Counts the module may declare, from the same JS API table (which the
 * defaults of ba_wasm_load_options follow as well). Each entry takes a few
 * bytes of input but tens of bytes of memory, so without caps a module
 * within max_module_bytes could still make us allocate gigabytes.
 * Tables and memories count imports too. Memories beyond one are invalid
 * in 2.0 anyway, but must still be decoded first.
 */
#define MAX_TYPES         1000000u
#define MAX_IMPORTS       100000u
#define MAX_EXPORTS       100000u
#define MAX_GLOBALS       1000000u
#define MAX_TABLES        100000u
#define MAX_MEMORIES      100000u
#define MAX_DATA_SEGMENTS 100000u
#define MAX_ELEM_SEGMENTS 1000000u
#define MAX_ELEM_ITEMS    10000000u /* per module                          */
/* Declared locals of all functions together: module.h stores 4 bytes per
 * local, and a 7-byte body may declare 50,000 of them. */
#define MAX_MODULE_LOCALS (32u << 20)

enum {
	SEC_CUSTOM = 0,
	SEC_TYPE,
	SEC_IMPORT,
	SEC_FUNCTION,
	SEC_TABLE,
	SEC_MEMORY,
	SEC_GLOBAL,
	SEC_EXPORT,
	SEC_START,
	SEC_ELEMENT,
	SEC_CODE,
	SEC_DATA,
	SEC_DATACOUNT
};

struct dec {
	ba_wasm_module *m;
	ba_wasm__reader r;
	ba_wasm_diag *diag;

	uint32_t max_functions;
	uint32_t max_locals;
	uint32_t max_body_bytes;

	/* Allocated capacities of the module's growable arrays. Arrays grow
	 * as entries are actually read, never to a count announced by the
	 * input, so a lying vector length cannot make us allocate much. (The
	 * value-type lists of a function type are allocated at their stated
	 * length, which rd_len bounds by the bytes left in the input.) */
	uint32_t cap_types, cap_imports, cap_funcs, cap_tables, cap_memories;
	uint32_t cap_globals, cap_exports, cap_elems, cap_datas;

	uint32_t defined_funcs; /* entries in the function section */
	uint64_t total_locals;  /* declared locals of all bodies   */
	uint32_t total_items;   /* element segment items           */
	bool has_code;
	bool has_data;
	uint32_t datacount; /* value of the DataCount section   */

	ba_wasm_err err; /* set by grow() when it fails      */

	/* First validation error met while decoding (constant expressions);
	 * reported only if nothing is malformed. */
	ba_wasm_err deferred;
	ba_wasm_diag deferred_diag;
};

/* Returns err itself (not ba_wasm__fail's copy) so that, inlined, the
 * compiler sees a non-zero constant on every error path. */
static ba_wasm_err fail(struct dec *d, ba_wasm_err err, size_t offset, const char *msg)
{
	ba_wasm__fail(d->diag, err, offset, "%s", msg);
	return err;
}

static ba_wasm_err malformed(struct dec *d, size_t offset, const char *msg)
{
	return fail(d, BA_WASM_ERR_MALFORMED, offset, msg);
}

static ba_wasm_err nomem(struct dec *d)
{
	return fail(d, BA_WASM_ERR_NOMEM, d->r.pos, "out of memory while decoding");
}

static void defer(struct dec *d, size_t offset, const char *msg)
{
	if (d->deferred)
		return;
	d->deferred = BA_WASM_ERR_INVALID;
	ba_wasm__fail(&d->deferred_diag, BA_WASM_ERR_INVALID, offset, "%s", msg);
}

/*
 * Makes room for entry `count` in arr (capacity *cap) and zeroes it, so
 * that a partly read entry can always be freed by ba_wasm__module_clear.
 * Returns the (possibly moved) array, or NULL with d->err set; arr stays
 * valid and owned by the caller then.
 */
static void *grow(struct dec *d, void *arr, uint32_t *cap, uint32_t count, size_t size)
{
	uint32_t ncap;
	char *p;

	if (count < *cap) {
		memset((char *)arr + (size_t)count * size, 0, size);
		return arr;
	}
	if (*cap >= UINT32_MAX / 2) {
		d->err = fail(d, BA_WASM_ERR_LIMIT, d->r.pos, "too many entries");
		return NULL;
	}
	ncap = *cap ? *cap * 2 : 8;
	p = (size_t)ncap > SIZE_MAX / size ? NULL : realloc(arr, (size_t)ncap * size);
	if (!p) {
		d->err = nomem(d);
		return NULL;
	}
	memset(p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
	*cap = ncap;
	return p;
}

static ba_wasm_err too_many(struct dec *d, const char *what, uint32_t max)
{
	ba_wasm__fail(d->diag, BA_WASM_ERR_LIMIT, d->r.pos, "too many %s: the limit is %u", what,
	              max);
	return BA_WASM_ERR_LIMIT;
}

/* Room for entry `count` of arr, of which there may be at most max. */
#define GROW(d, arr, capfield, count, max, what)                                    \
	do {                                                                        \
		void *grown_;                                                       \
		if ((count) >= (max))                                               \
			return too_many((d), (what), (max));                        \
		grown_ = grow((d), (arr), &(d)->capfield, (count), sizeof(*(arr))); \
		if (!grown_)                                                        \
			return (d)->err;                                            \
		(arr) = grown_;                                                     \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Small pieces                                                             */
/* ------------------------------------------------------------------------ */

/* A name: length-prefixed UTF-8. *copy (if non-NULL) gets an owned,
 * NUL-terminated copy. */
static ba_wasm_err rd_name(struct dec *d, char **copy, uint32_t *len_out)
{
	uint32_t len;
	size_t start;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &len)))
		return err;
	if ((err = ba_wasm__rd_bytes(&d->r, len, &start)))
		return err;
	/* The spec's UTF-8 is RFC 3629's: shortest form only, no
	 * surrogates, nothing above U+10FFFF. */
	if (!ba_utf8_valid((const char *)d->r.buf + start, len))
		return malformed(d, start, "malformed UTF-8 encoding");
	if (copy) {
		char *s = malloc((size_t)len + 1);

		if (!s)
			return nomem(d);
		memcpy(s, d->r.buf + start, len);
		s[len] = '\0';
		*copy = s;
	}
	if (len_out)
		*len_out = len;
	return BA_WASM_OK;
}

/*
 * Type bytes are really one-byte signed LEB128 numbers in the reference
 * interpreter, so a continuation bit is "integer representation too long"
 * rather than a bad type.
 */
static ba_wasm_err bad_type_byte(struct dec *d, uint8_t b, const char *what)
{
	if (b & 0x80)
		return malformed(d, d->r.pos, "integer representation too long");
	return malformed(d, d->r.pos - 1, what);
}

static ba_wasm_err rd_valtype(struct dec *d, ba_wasm_valtype *out)
{
	uint8_t b;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_byte(&d->r, &b)))
		return err;
	switch (b) {
	case BA_WASM_I32:
	case BA_WASM_I64:
	case BA_WASM_F32:
	case BA_WASM_F64:
	case BA_WASM_V128: /* decoded; validate.c reports UNSUPPORTED */
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		*out = (ba_wasm_valtype)b;
		return BA_WASM_OK;
	default:
		return bad_type_byte(d, b, "malformed value type");
	}
}

static ba_wasm_err rd_reftype(struct dec *d, ba_wasm_valtype *out)
{
	uint8_t b;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_byte(&d->r, &b)))
		return err;
	if (b == BA_WASM_FUNCREF || b == BA_WASM_EXTERNREF) {
		*out = (ba_wasm_valtype)b;
		return BA_WASM_OK;
	}
	return bad_type_byte(d, b, "malformed reference type");
}

static ba_wasm_err rd_limits(struct dec *d, ba_wasm_limits_range *lim)
{
	uint64_t flag;
	uint32_t v;
	ba_wasm_err err;

	/* The flag is a 1-bit LEB128 number in the reference interpreter,
	 * hence "integer too large" for 0x02.. rather than a special text. */
	if ((err = ba_wasm__rd_uleb(&d->r, 1, &flag)))
		return err;
	if ((err = ba_wasm__rd_u32(&d->r, &v)))
		return err;
	lim->min = v;
	lim->has_max = flag == 1;
	lim->max = 0;
	if (lim->has_max) {
		if ((err = ba_wasm__rd_u32(&d->r, &v)))
			return err;
		lim->max = v;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_table_type(struct dec *d, ba_wasm__table_type *t)
{
	ba_wasm_err err;

	if ((err = rd_reftype(d, &t->elem)))
		return err;
	return rd_limits(d, &t->limits);
}

static ba_wasm_err rd_global_type(struct dec *d, ba_wasm__global_def *g)
{
	uint8_t mut;
	ba_wasm_err err;

	if ((err = rd_valtype(d, &g->type)))
		return err;
	if ((err = ba_wasm__rd_byte(&d->r, &mut)))
		return err;
	if (mut > 1)
		return malformed(d, d->r.pos - 1, "malformed mutability");
	g->mutable_ = mut == 1;
	return BA_WASM_OK;
}

static uint64_t load_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * A constant expression. The normal form (one constant instruction, then
 * `end`) is stored in *e. Anything else is well-formed but invalid in
 * WebAssembly 2.0; it is skipped over and the error deferred (see the top
 * of this file).
 */
static ba_wasm_err rd_const_expr(struct dec *d, ba_wasm__const_expr *e)
{
	ba_wasm__reader *r = &d->r;
	size_t start = r->pos, at;
	uint8_t op, b;
	int64_t s;
	uint32_t idx;
	bool all_const;
	uint32_t count;
	ba_wasm_err err;

	memset(e, 0, sizeof(*e));
	e->offset = (uint32_t)start;
	if ((err = ba_wasm__rd_byte(r, &op)))
		return err;
	switch (op) {
	case 0x41:
		if ((err = ba_wasm__rd_sleb(r, 32, &s)))
			return err;
		e->kind = BA_WASM__CONST_I32;
		e->type = BA_WASM_I32;
		e->bits = (uint32_t)s;
		break;
	case 0x42:
		if ((err = ba_wasm__rd_sleb(r, 64, &s)))
			return err;
		e->kind = BA_WASM__CONST_I64;
		e->type = BA_WASM_I64;
		e->bits = (uint64_t)s;
		break;
	case 0x43:
		if ((err = ba_wasm__rd_bytes(r, 4, &at)))
			return err;
		e->kind = BA_WASM__CONST_F32;
		e->type = BA_WASM_F32;
		e->bits = load_le(r->buf + at, 4);
		break;
	case 0x44:
		if ((err = ba_wasm__rd_bytes(r, 8, &at)))
			return err;
		e->kind = BA_WASM__CONST_F64;
		e->type = BA_WASM_F64;
		e->bits = load_le(r->buf + at, 8);
		break;
	case 0xD0:
		if ((err = rd_reftype(d, &e->type)))
			return err;
		e->kind = BA_WASM__CONST_REF_NULL;
		break;
	case 0xD2:
		if ((err = ba_wasm__rd_u32(r, &idx)))
			return err;
		e->kind = BA_WASM__CONST_REF_FUNC;
		e->type = BA_WASM_FUNCREF;
		e->index = idx;
		break;
	case 0x23:
		if ((err = ba_wasm__rd_u32(r, &idx)))
			return err;
		e->kind = BA_WASM__CONST_GLOBAL_GET;
		e->index = idx;
		/* Only imported globals may be read (2.0); validate.c rejects
		 * the rest. Imports are all decoded by now. */
		if (idx < d->m->global_import_count)
			e->type = d->m->globals[idx].type;
		break;
	case 0xFD:
		/* v128.const: kept only so that the module can be reported as
		 * UNSUPPORTED (its global is of type v128) rather than invalid.
		 * Other SIMD opcodes take the slow path. */
		if ((err = ba_wasm__rd_u32(r, &idx)))
			return err;
		if (idx != 12)
			goto slow;
		if ((err = ba_wasm__rd_bytes(r, 16, &at)))
			return err;
		e->kind = BA_WASM__CONST_I64;
		e->type = BA_WASM_V128;
		e->bits = load_le(r->buf + at, 8);
		break;
	default:
		goto slow;
	}
	if ((err = ba_wasm__rd_byte(r, &b)))
		return err;
	if (b == 0x0B)
		return BA_WASM_OK;
slow:
	r->pos = start;
	if ((err = ba_wasm__skim_expr(d->m, r, &all_const, &count, d->diag)))
		return err;
	defer(d, start, all_const ? "type mismatch" : "constant expression required");
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                 */
/* ------------------------------------------------------------------------ */

static ba_wasm_err rd_type_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_functype *ft;
		ba_wasm_valtype *vt;
		uint32_t np, nr;
		uint8_t b;

		if ((err = ba_wasm__rd_byte(&d->r, &b)))
			return err;
		if (b != 0x60)
			return bad_type_byte(d, b, "malformed function type");
		GROW(d, m->types, cap_types, m->type_count, MAX_TYPES, "types");
		ft = &m->types[m->type_count++];

		/* Arrays are never NULL, even when empty, so users may pass
		 * them to memcpy and friends without a special case. */
		if ((err = ba_wasm__rd_len(&d->r, &np)))
			return err;
		if (np > MAX_TYPE_ARITY)
			return ba_wasm__fail(d->diag, BA_WASM_ERR_LIMIT, d->r.pos,
			                     "function type has %u parameters, the limit is %u", np,
			                     MAX_TYPE_ARITY);
		vt = malloc((np ? np : 1) * sizeof(*vt));
		if (!vt)
			return nomem(d);
		ft->params = vt;
		for (uint32_t k = 0; k < np; k++) {
			if ((err = rd_valtype(d, &vt[k])))
				return err;
			ft->param_count = k + 1;
		}
		if ((err = ba_wasm__rd_len(&d->r, &nr)))
			return err;
		if (nr > MAX_TYPE_ARITY)
			return ba_wasm__fail(d->diag, BA_WASM_ERR_LIMIT, d->r.pos,
			                     "function type has %u results, the limit is %u", nr,
			                     MAX_TYPE_ARITY);
		vt = malloc((nr ? nr : 1) * sizeof(*vt));
		if (!vt)
			return nomem(d);
		ft->results = vt;
		for (uint32_t k = 0; k < nr; k++) {
			if ((err = rd_valtype(d, &vt[k])))
				return err;
			ft->result_count = k + 1;
		}
	}
	return BA_WASM_OK;
}

static ba_wasm_err add_func(struct dec *d, uint32_t type_index, bool imported)
{
	ba_wasm_module *m = d->m;

	if (m->func_count >= d->max_functions)
		return fail(d, BA_WASM_ERR_LIMIT, d->r.pos, "too many functions");
	GROW(d, m->funcs, cap_funcs, m->func_count, UINT32_MAX, "functions");
	m->funcs[m->func_count].type_index = type_index;
	m->funcs[m->func_count].imported = imported;
	m->func_count++;
	return BA_WASM_OK;
}

static ba_wasm_err rd_import_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__import *imp;
		uint8_t kind;

		GROW(d, m->imports, cap_imports, m->import_count, MAX_IMPORTS, "imports");
		imp = &m->imports[m->import_count++];
		if ((err = rd_name(d, &imp->module_name, &imp->module_name_len)))
			return err;
		if ((err = rd_name(d, &imp->name, &imp->name_len)))
			return err;
		if ((err = ba_wasm__rd_byte(&d->r, &kind)))
			return err;
		switch (kind) {
		case 0x00: {
			uint32_t type_index;

			if ((err = ba_wasm__rd_u32(&d->r, &type_index)))
				return err;
			imp->kind = BA_WASM_EXTERN_FUNC;
			imp->index = type_index;
			if ((err = add_func(d, type_index, true)))
				return err;
			m->func_import_count++;
			break;
		}
		case 0x01:
			imp->kind = BA_WASM_EXTERN_TABLE;
			imp->index = m->table_count;
			GROW(d, m->tables, cap_tables, m->table_count, MAX_TABLES, "tables");
			if ((err = rd_table_type(d, &m->tables[m->table_count])))
				return err;
			m->table_count++;
			m->table_import_count++;
			break;
		case 0x02:
			imp->kind = BA_WASM_EXTERN_MEMORY;
			imp->index = m->memory_count;
			GROW(d, m->memories, cap_memories, m->memory_count, MAX_MEMORIES,
			     "memories");
			if ((err = rd_limits(d, &m->memories[m->memory_count])))
				return err;
			m->memory_count++;
			m->memory_import_count++;
			break;
		case 0x03:
			imp->kind = BA_WASM_EXTERN_GLOBAL;
			imp->index = m->global_count;
			GROW(d, m->globals, cap_globals, m->global_count, MAX_GLOBALS, "globals");
			if ((err = rd_global_type(d, &m->globals[m->global_count])))
				return err;
			m->globals[m->global_count].imported = true;
			m->global_count++;
			m->global_import_count++;
			break;
		default:
			return malformed(d, d->r.pos - 1, "malformed import kind");
		}
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_function_section(struct dec *d)
{
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t type_index;

		if ((err = ba_wasm__rd_u32(&d->r, &type_index)))
			return err;
		if ((err = add_func(d, type_index, false)))
			return err;
		d->defined_funcs++;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_table_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		GROW(d, m->tables, cap_tables, m->table_count, MAX_TABLES, "tables");
		if ((err = rd_table_type(d, &m->tables[m->table_count])))
			return err;
		m->table_count++;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_memory_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		GROW(d, m->memories, cap_memories, m->memory_count, MAX_MEMORIES, "memories");
		if ((err = rd_limits(d, &m->memories[m->memory_count])))
			return err;
		m->memory_count++;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_global_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__global_def *g;

		GROW(d, m->globals, cap_globals, m->global_count, MAX_GLOBALS, "globals");
		g = &m->globals[m->global_count++];
		if ((err = rd_global_type(d, g)))
			return err;
		if ((err = rd_const_expr(d, &g->init)))
			return err;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_export_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__export *ex;
		uint8_t kind;

		GROW(d, m->exports, cap_exports, m->export_count, MAX_EXPORTS, "exports");
		ex = &m->exports[m->export_count++];
		if ((err = rd_name(d, &ex->name, &ex->name_len)))
			return err;
		if ((err = ba_wasm__rd_byte(&d->r, &kind)))
			return err;
		if (kind > 3)
			return malformed(d, d->r.pos - 1, "malformed export kind");
		ex->kind = (ba_wasm_extern_kind)kind;
		if ((err = ba_wasm__rd_u32(&d->r, &ex->index)))
			return err;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_start_section(struct dec *d)
{
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(&d->r, &d->m->start_func)))
		return err;
	d->m->has_start = true;
	return BA_WASM_OK;
}

static ba_wasm_err add_item(struct dec *d, ba_wasm__elem_segment *seg, uint32_t *cap,
                            ba_wasm__const_expr **item)
{
	void *p;

	if (d->total_items >= MAX_ELEM_ITEMS) {
		*item = NULL;
		return too_many(d, "element segment items", MAX_ELEM_ITEMS);
	}
	p = grow(d, seg->items, cap, seg->item_count, sizeof(*seg->items));

	if (!p) {
		*item = NULL;
		return d->err;
	}
	seg->items = p;
	*item = &seg->items[seg->item_count++];
	d->total_items++;
	return BA_WASM_OK;
}

static ba_wasm_err rd_elem(struct dec *d, ba_wasm__elem_segment *seg)
{
	ba_wasm__reader *r = &d->r;
	size_t at = r->pos;
	uint32_t flags, n, cap = 0;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(r, &flags)))
		return err;
	if (flags > 7)
		return malformed(d, at, "malformed elements segment kind");
	/* bit 0: passive or declarative; bit 1: explicit table index
	 * (active) or declarative (otherwise); bit 2: expressions. */
	seg->elem_type = BA_WASM_FUNCREF;
	if (!(flags & 1)) {
		seg->mode = BA_WASM__SEG_ACTIVE;
		seg->table_index = 0;
		if ((flags & 2) && (err = ba_wasm__rd_u32(r, &seg->table_index)))
			return err;
		if ((err = rd_const_expr(d, &seg->offset)))
			return err;
	} else {
		seg->mode = (flags & 2) ? BA_WASM__SEG_DECLARATIVE : BA_WASM__SEG_PASSIVE;
	}
	if (flags & 3) {
		if (flags & 4) {
			if ((err = rd_reftype(d, &seg->elem_type)))
				return err;
		} else {
			uint8_t kind;

			if ((err = ba_wasm__rd_byte(r, &kind)))
				return err;
			if (kind != 0x00)
				return malformed(d, r->pos - 1, "malformed element kind");
		}
	}
	if ((err = ba_wasm__rd_len(r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__const_expr *item;

		if ((err = add_item(d, seg, &cap, &item)))
			return err;
		if (flags & 4) {
			if ((err = rd_const_expr(d, item)))
				return err;
		} else {
			item->offset = (uint32_t)r->pos;
			if ((err = ba_wasm__rd_u32(r, &item->index)))
				return err;
			item->kind = BA_WASM__CONST_REF_FUNC;
			item->type = BA_WASM_FUNCREF;
		}
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_element_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(&d->r, &n)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		GROW(d, m->elems, cap_elems, m->elem_count, MAX_ELEM_SEGMENTS, "element segments");
		if ((err = rd_elem(d, &m->elems[m->elem_count++])))
			return err;
	}
	return BA_WASM_OK;
}

/* Locals of one body; r is bounded by the body's end. */
static ba_wasm_err rd_locals(struct dec *d, ba_wasm__func_def *f)
{
	ba_wasm__reader *r = &d->r;
	size_t start = r->pos;
	uint64_t total = 0;
	uint32_t groups, k = 0;
	ba_wasm_err err;

	/* First pass: count, so that the cap is checked before allocating. */
	if ((err = ba_wasm__rd_len(r, &groups)))
		return err;
	for (uint32_t i = 0; i < groups; i++) {
		uint32_t n;
		ba_wasm_valtype t;

		if ((err = ba_wasm__rd_u32(r, &n)))
			return err;
		if ((err = rd_valtype(d, &t)))
			return err;
		total += n;
	}
	if (total > UINT32_MAX)
		return malformed(d, start, "too many locals");
	if (total > d->max_locals)
		return ba_wasm__fail(d->diag, BA_WASM_ERR_LIMIT, start,
		                     "too many locals: %llu, the limit is %u",
		                     (unsigned long long)total, d->max_locals);
	d->total_locals += total;
	if (d->total_locals > MAX_MODULE_LOCALS)
		return too_many(d, "locals in the module", MAX_MODULE_LOCALS);
	f->local_types = malloc(total ? (size_t)total * sizeof(*f->local_types) : 1);
	if (!f->local_types)
		return nomem(d);
	f->local_count = (uint32_t)total;

	/* Second pass: fill in. Cannot fail, the bytes were just read. */
	r->pos = start;
	if ((err = ba_wasm__rd_len(r, &groups)))
		return err;
	for (uint32_t i = 0; i < groups; i++) {
		uint32_t n;
		ba_wasm_valtype t;

		if ((err = ba_wasm__rd_u32(r, &n)) || (err = rd_valtype(d, &t)))
			return err;
		for (uint32_t j = 0; j < n; j++)
			f->local_types[k++] = t;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_code_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	ba_wasm__reader *r = &d->r;
	size_t at = r->pos;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(r, &n)))
		return err;
	if (n != d->defined_funcs)
		return malformed(d, at, "function and code section have inconsistent lengths");
	d->has_code = true;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__func_def *f = &m->funcs[m->func_import_count + i];
		size_t size_at = r->pos, body_start, saved_end;
		uint32_t size;

		if ((err = ba_wasm__rd_len(r, &size)))
			return err;
		if (size > d->max_body_bytes)
			return ba_wasm__fail(d->diag, BA_WASM_ERR_LIMIT, size_at,
			                     "function body too large: %u bytes, the limit is %u",
			                     size, d->max_body_bytes);
		body_start = r->pos;
		if (size > r->end - body_start) {
			r->pos = r->end;
			return ba_wasm__eof(r);
		}
		f->body.offset = (uint32_t)body_start;
		f->body.len = size;

		saved_end = r->end;
		r->end = body_start + size;
		err = rd_locals(d, f);
		r->end = saved_end;
		if (err)
			return err;
		f->code_offset = (uint32_t)r->pos;
		r->pos = body_start + size;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_data_section(struct dec *d)
{
	ba_wasm_module *m = d->m;
	ba_wasm__reader *r = &d->r;
	size_t at = r->pos;
	uint32_t n;
	ba_wasm_err err;

	if ((err = ba_wasm__rd_len(r, &n)))
		return err;
	if (m->has_data_count && n != d->datacount)
		return malformed(d, at, "data count and data section have inconsistent lengths");
	d->has_data = true;
	/* From here data_count counts decoded segments (the DataCount value
	 * was saved in d->datacount and equals n). */
	m->data_count = 0;
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm__data_segment *seg;
		size_t kind_at = r->pos, start;
		uint32_t flags, len;

		GROW(d, m->datas, cap_datas, m->data_count, MAX_DATA_SEGMENTS, "data segments");
		seg = &m->datas[m->data_count++];
		if ((err = ba_wasm__rd_u32(r, &flags)))
			return err;
		switch (flags) {
		case 0:
		case 2:
			seg->mode = BA_WASM__SEG_ACTIVE;
			seg->memory_index = 0;
			if (flags == 2 && (err = ba_wasm__rd_u32(r, &seg->memory_index)))
				return err;
			if ((err = rd_const_expr(d, &seg->offset)))
				return err;
			break;
		case 1:
			seg->mode = BA_WASM__SEG_PASSIVE;
			break;
		default:
			return malformed(d, kind_at, "malformed data segment kind");
		}
		if ((err = ba_wasm__rd_len(r, &len)))
			return err;
		if ((err = ba_wasm__rd_bytes(r, len, &start)))
			return err;
		seg->bytes.offset = (uint32_t)start;
		seg->bytes.len = len;
	}
	return BA_WASM_OK;
}

static ba_wasm_err rd_datacount_section(struct dec *d)
{
	ba_wasm_err err;

	if ((err = ba_wasm__rd_u32(&d->r, &d->datacount)))
		return err;
	d->m->has_data_count = true;
	d->m->data_count = d->datacount;
	return BA_WASM_OK;
}

static ba_wasm_err rd_custom_section(struct dec *d, size_t end)
{
	size_t saved_end = d->r.end;
	ba_wasm_err err;

	/* Only the name is checked (it must be UTF-8); the contents are
	 * opaque. The name must fit inside the section. */
	d->r.end = end;
	err = rd_name(d, NULL, NULL);
	d->r.end = saved_end;
	if (err)
		return err;
	d->r.pos = end;
	return BA_WASM_OK;
}

/* Position of a section id in the required order; 0 = custom/unknown. */
static int section_rank(uint8_t id)
{
	switch (id) {
	case SEC_TYPE:
		return 1;
	case SEC_IMPORT:
		return 2;
	case SEC_FUNCTION:
		return 3;
	case SEC_TABLE:
		return 4;
	case SEC_MEMORY:
		return 5;
	case SEC_GLOBAL:
		return 6;
	case SEC_EXPORT:
		return 7;
	case SEC_START:
		return 8;
	case SEC_ELEMENT:
		return 9;
	case SEC_DATACOUNT:
		return 10;
	case SEC_CODE:
		return 11;
	case SEC_DATA:
		return 12;
	default:
		return 0;
	}
}

static ba_wasm_err rd_section(struct dec *d, uint8_t id)
{
	switch (id) {
	case SEC_TYPE:
		return rd_type_section(d);
	case SEC_IMPORT:
		return rd_import_section(d);
	case SEC_FUNCTION:
		return rd_function_section(d);
	case SEC_TABLE:
		return rd_table_section(d);
	case SEC_MEMORY:
		return rd_memory_section(d);
	case SEC_GLOBAL:
		return rd_global_section(d);
	case SEC_EXPORT:
		return rd_export_section(d);
	case SEC_START:
		return rd_start_section(d);
	case SEC_ELEMENT:
		return rd_element_section(d);
	case SEC_CODE:
		return rd_code_section(d);
	case SEC_DATA:
		return rd_data_section(d);
	case SEC_DATACOUNT:
		return rd_datacount_section(d);
	default:
		return BA_WASM_OK;
	}
}

static ba_wasm_err rd_module(struct dec *d)
{
	static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
	static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
	ba_wasm__reader *r = &d->r;
	size_t len = r->end;
	int last_rank = 0;
	ba_wasm_err err;

	if (len < 4)
		return malformed(d, len, "unexpected end");
	if (memcmp(r->buf, magic, 4) != 0)
		return malformed(d, 0, "magic header not detected");
	if (len < 8)
		return malformed(d, len, "unexpected end");
	if (memcmp(r->buf + 4, version, 4) != 0)
		return malformed(d, 4, "unknown binary version");
	r->pos = 8;

	while (r->pos < len) {
		size_t id_at = r->pos, end;
		uint8_t id = r->buf[r->pos++];
		uint32_t size;
		int rank;

		if (id > SEC_DATACOUNT)
			return malformed(d, id_at, "malformed section id");
		if ((err = ba_wasm__rd_len(r, &size)))
			return err;
		end = r->pos + size;
		if (end > len) {
			/* rd_len counts the size field itself; the rest did
			 * not fit after all. */
			r->pos = len;
			return ba_wasm__eof(r);
		}
		if (id == SEC_CUSTOM) {
			if ((err = rd_custom_section(d, end)))
				return err;
			continue;
		}
		rank = section_rank(id);
		if (rank <= last_rank)
			return malformed(d, id_at, "unexpected content after last section");
		last_rank = rank;
		if ((err = rd_section(d, id)))
			return err;
		if (r->pos != end)
			return malformed(d, id_at, "section size mismatch");
	}

	if (!d->has_code && d->defined_funcs != 0)
		return malformed(d, len, "function and code section have inconsistent lengths");
	if (d->m->has_data_count && !d->has_data && d->datacount != 0)
		return malformed(d, len, "data count and data section have inconsistent lengths");
	if (!d->has_data)
		d->m->data_count = 0;
	return BA_WASM_OK;
}

ba_wasm_err ba_wasm__decode(ba_wasm_module *module, const ba_wasm_load_options *options,
                            ba_wasm_diag *diag)
{
	struct dec d;
	ba_wasm_err err;

	memset(&d, 0, sizeof(d));
	d.m = module;
	d.diag = diag;
	d.r.buf = module->bytes;
	d.r.pos = 0;
	d.r.end = module->byte_count;
	d.r.diag = diag;
	d.max_functions =
	        options && options->max_functions ? options->max_functions : DEFAULT_MAX_FUNCTIONS;
	d.max_locals = options && options->max_locals ? options->max_locals : DEFAULT_MAX_LOCALS;
	d.max_body_bytes = options && options->max_body_bytes ? options->max_body_bytes
	                                                      : DEFAULT_MAX_BODY_BYTES;

	if (module->byte_count > UINT32_MAX)
		return fail(&d, BA_WASM_ERR_LIMIT, SIZE_MAX, "module too large");
	if ((err = rd_module(&d)))
		return err;
	if (d.deferred) {
		/* A malformed body still outranks the invalid expression. */
		if (ba_wasm__skim_bodies(module, 0, diag) == BA_WASM_ERR_MALFORMED)
			return BA_WASM_ERR_MALFORMED;
		if (diag)
			*diag = d.deferred_diag;
		return d.deferred;
	}
	return BA_WASM_OK;
}
