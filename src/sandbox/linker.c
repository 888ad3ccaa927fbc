/*
 * linker.c - resolves a module's imports against host functions by name.
 *
 * The linker is a flat table of (module, name, signature, function) rows.
 * Instantiation walks the module's imports in order, finds each row by
 * exact byte comparison of both names, checks the declared function type
 * against the row's signature, and creates the host function in the store
 * only for imports the module really has. Anything else - a name nobody
 * defined, a type that differs, an import of a memory, table or global -
 * fails with a message naming the import and both types, so a tool never
 * runs against a silent stub.
 */
#include "sandbox/linker.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A signature has at most this many parameters or results; WASI's widest
 * function (path_open) has 9 parameters. */
#define SIG_MAX_VALUES 16

typedef struct linker_row {
	const char *module; /* borrowed */
	const char *name;   /* borrowed */
	ba_wasm_host_fn fn;
	void *user;
	ba_wasm_valtype params[SIG_MAX_VALUES];
	ba_wasm_valtype results[SIG_MAX_VALUES];
	ba_wasm_functype type; /* points into params/results above */
} linker_row;

struct ba_linker {
	linker_row rows[BA_LINKER_MAX_FUNCS];
	size_t count;
};

ba_linker *ba_linker_new(void)
{
	return calloc(1, sizeof(ba_linker));
}

void ba_linker_free(ba_linker *linker)
{
	free(linker);
}

static bool sig_letter(char c, ba_wasm_valtype *out)
{
	switch (c) {
	case 'i':
		*out = BA_WASM_I32;
		return true;
	case 'I':
		*out = BA_WASM_I64;
		return true;
	case 'f':
		*out = BA_WASM_F32;
		return true;
	case 'F':
		*out = BA_WASM_F64;
		return true;
	default:
		return false;
	}
}

/* Parses "iIi:i" into row->params/results. false when malformed. */
static bool parse_sig(const char *sig, linker_row *row)
{
	const char *p = sig;
	uint32_t np = 0, nr = 0;

	for (; *p && *p != ':'; p++) {
		if (np == SIG_MAX_VALUES || !sig_letter(*p, &row->params[np]))
			return false;
		np++;
	}
	if (*p != ':')
		return false;
	for (p++; *p; p++) {
		if (nr == SIG_MAX_VALUES || !sig_letter(*p, &row->results[nr]))
			return false;
		nr++;
	}
	row->type.param_count = np;
	row->type.result_count = nr;
	row->type.params = row->params;
	row->type.results = row->results;
	return true;
}

int ba_linker_define(ba_linker *linker, const char *module, const char *name, const char *sig,
                     ba_wasm_host_fn fn, void *user)
{
	linker_row row;
	size_t i;

	if (!linker || !module || !name || !sig || !fn)
		return -1;
	memset(&row, 0, sizeof(row));
	if (!parse_sig(sig, &row))
		return -1;
	row.module = module;
	row.name = name;
	row.fn = fn;
	row.user = user;
	/* A later definition of the same name replaces the earlier one, so a
	 * layer above (tool/abi.c) can override a default deliberately. */
	for (i = 0; i < linker->count; i++)
		if (strcmp(linker->rows[i].module, module) == 0 &&
		    strcmp(linker->rows[i].name, name) == 0)
			break;
	if (i == linker->count) {
		if (linker->count == BA_LINKER_MAX_FUNCS)
			return -1;
		linker->count++;
	}
	linker->rows[i] = row;
	/* The functype points into the row itself, so fix it up after the
	 * copy. */
	linker->rows[i].type.params = linker->rows[i].params;
	linker->rows[i].type.results = linker->rows[i].results;
	return 0;
}

/* Exact match of a length-counted import name (which may hold NUL bytes)
 * against a NUL-terminated definition. */
static bool name_eq(const char *def, const char *s, size_t len)
{
	return strlen(def) == len && memcmp(def, s, len) == 0;
}

static const linker_row *find_row(const ba_linker *linker, const ba_wasm_import_desc *imp)
{
	for (size_t i = 0; i < linker->count; i++) {
		const linker_row *r = &linker->rows[i];
		if (name_eq(r->module, imp->module_name, imp->module_name_len) &&
		    name_eq(r->name, imp->name, imp->name_len))
			return r;
	}
	return NULL;
}

static bool functype_eq(const ba_wasm_functype *a, const ba_wasm_functype *b)
{
	if (a->param_count != b->param_count || a->result_count != b->result_count)
		return false;
	for (uint32_t i = 0; i < a->param_count; i++)
		if (a->params[i] != b->params[i])
			return false;
	for (uint32_t i = 0; i < a->result_count; i++)
		if (a->results[i] != b->results[i])
			return false;
	return true;
}

/* Appends to a fixed buffer, truncating silently. */
static void cat(char *dst, size_t cap, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void cat(char *dst, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(dst + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

/* "(func (param i32 i64) (result i32))" */
static void format_functype(const ba_wasm_functype *t, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	cat(out, cap, &len, "(func");
	if (t->param_count) {
		cat(out, cap, &len, " (param");
		for (uint32_t i = 0; i < t->param_count; i++)
			cat(out, cap, &len, " %s", ba_wasm_valtype_name(t->params[i]));
		cat(out, cap, &len, ")");
	}
	if (t->result_count) {
		cat(out, cap, &len, " (result");
		for (uint32_t i = 0; i < t->result_count; i++)
			cat(out, cap, &len, " %s", ba_wasm_valtype_name(t->results[i]));
		cat(out, cap, &len, ")");
	}
	cat(out, cap, &len, ")");
}

/* Import names are guest-chosen bytes: keep messages one printable line
 * of bounded length. */
static void printable(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c >= 0x20 && c != 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}

static const char *kind_word(ba_wasm_extern_kind kind)
{
	switch (kind) {
	case BA_WASM_EXTERN_FUNC:
		return "function";
	case BA_WASM_EXTERN_TABLE:
		return "table";
	case BA_WASM_EXTERN_MEMORY:
		return "memory";
	case BA_WASM_EXTERN_GLOBAL:
		return "global";
	}
	return "extern";
}

static ba_wasm_err link_fail(ba_wasm_diag *diag, ba_wasm_err err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static ba_wasm_err link_fail(ba_wasm_diag *diag, ba_wasm_err err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	memset(diag, 0, sizeof(*diag));
	diag->err = err;
	diag->trap = BA_WASM_TRAP_NONE;
	diag->offset = SIZE_MAX;
	diag->func_index = UINT32_MAX;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	return err;
}

ba_wasm_err ba_linker_instantiate(ba_linker *linker, ba_wasm_store *store, ba_wasm_module *module,
                                  ba_wasm_instance **out, ba_wasm_diag *diag)
{
	uint32_t n;
	ba_wasm_extern *imports = NULL;
	ba_wasm_err err;

	if (out)
		*out = NULL;
	if (!linker || !store || !module || !out)
		return link_fail(diag, BA_WASM_ERR_ARGS, "ba_linker_instantiate: NULL argument");
	n = ba_wasm_module_import_count(module);
	if (n) {
		imports = calloc(n, sizeof(*imports));
		if (!imports)
			return link_fail(diag, BA_WASM_ERR_NOMEM, "out of memory linking imports");
	}
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_import_desc imp;
		const linker_row *row;
		char mod[80], name[80], want[96], have[96];

		ba_wasm_module_import(module, i, &imp);
		printable(imp.module_name, imp.module_name_len, mod, sizeof(mod));
		printable(imp.name, imp.name_len, name, sizeof(name));
		if (imp.type.kind != BA_WASM_EXTERN_FUNC) {
			free(imports);
			return link_fail(diag, BA_WASM_ERR_LINK,
			                 "tool imports %s %s.%s, which boxagent does not provide "
			                 "(only functions are linked)",
			                 kind_word(imp.type.kind), mod, name);
		}
		format_functype(&imp.type.func, want, sizeof(want));
		row = find_row(linker, &imp);
		if (!row) {
			free(imports);
			return link_fail(diag, BA_WASM_ERR_LINK,
			                 "tool imports %s.%s %s, which boxagent does not provide",
			                 mod, name, want);
		}
		if (!functype_eq(&imp.type.func, &row->type)) {
			format_functype(&row->type, have, sizeof(have));
			free(imports);
			return link_fail(diag, BA_WASM_ERR_LINK,
			                 "tool imports %s.%s as %s, but boxagent defines it as %s",
			                 mod, name, want, have);
		}
		imports[i].kind = BA_WASM_EXTERN_FUNC;
		imports[i].of.func = ba_wasm_func_new_host(store, &row->type, row->fn, row->user);
		if (!imports[i].of.func) {
			free(imports);
			return link_fail(diag, BA_WASM_ERR_NOMEM, "out of memory creating %s.%s",
			                 mod, name);
		}
	}
	err = ba_wasm_instantiate(store, module, imports, n, out, diag);
	free(imports);
	return err;
}
