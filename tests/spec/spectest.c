/*
 * spectest.c - runs the official WebAssembly spec test suite through the
 * engine, using nothing but its public API (wasm/wasm.h).
 *
 * The suite's .wast scripts are converted by wabt's wast2json into a JSON
 * list of commands plus one .wasm file per module. This program keeps those
 * conversions in a cache and runs every command:
 *
 *   module, register, action            make and link instances, run calls
 *   assert_return, assert_trap,         run an invoke or get and check the
 *   assert_exhaustion                   results or the kind of trap
 *   assert_invalid, assert_malformed    the engine must refuse the binary
 *   assert_unlinkable                   instantiation must fail to link
 *   assert_uninstantiable               instantiation must trap
 *
 * Text-format modules ("module_type": "text": tests of a text parser, which
 * the engine does not have) are skipped, and so are the SIMD files.
 *
 * It speaks the protocol of tests/test.h with one case per .wast file:
 *
 *   spectest [--verbose] --list          "NAME.wast<TAB>seconds" per file
 *   spectest [--verbose] --run NAME.wast one file; exit 0, 1, or 77 (skipped)
 *   spectest [--verbose] --all           every file, each in a child process
 *
 * Environment: BA_WASM_TESTSUITE, the folder of .wast files (default
 * ../shared/wasm-testsuite, relative to where make runs: the repository
 * root); BA_SPEC_CACHE, the folder for converted files (default
 * build/spec-json).
 *
 * Every command counts as passed, failed or skipped, except "register",
 * which is bookkeeping and counts only when it fails (this keeps totals
 * comparable with wabt's spectest-interp).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "wasm/wasm.h"

#define DEFAULT_SUITE_DIR "../shared/wasm-testsuite"
#define DEFAULT_CACHE_DIR "build/spec-json"
/* What --list prints when there is no suite: one case that then skips. */
#define MISSING_SUITE_CASE "wasm-testsuite"
/* Per-file timeout, for --list and for --all's children. The biggest file
 * takes seconds; the margin is for sanitizer builds on slow machines. */
#define FILE_TIMEOUT_SECONDS 300
/* Deep enough for every legitimate recursion in the suite (call.wast's
 * mutual recursion goes 200 deep), shallow enough that the runaway
 * recursions of assert_exhaustion trap at once. */
#define SPEC_CALL_DEPTH       1000
#define MAX_MODULE_FILE_BYTES ((size_t)256 << 20)
/* A broken engine fails thousands of commands; the first hundred say
 * enough (--verbose shows them all). */
#define MAX_SHOWN_FAILURES 100
#define PATH_SIZE          4096

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static bool verbose;

struct counts {
	uint64_t passed;
	uint64_t failed;
	uint64_t skipped;
};

/* ------------------------------------------------------------------------ */
/* Text for messages                                                        */
/* ------------------------------------------------------------------------ */

/* A bounded text buffer: messages are cut, never overflowed. */
struct text {
	char s[1024];
	size_t len;
};

static void text_init(struct text *t)
{
	t->s[0] = '\0';
	t->len = 0;
}

PRINTF_LIKE(2, 3) static void text_add(struct text *t, const char *fmt, ...)
{
	size_t room = sizeof(t->s) - t->len;
	va_list ap;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* A name from a module or the JSON, quoted; bytes that would garble a
 * terminal are shown as \hh (the suite has names made of control bytes). */
static void text_add_name(struct text *t, const char *name, size_t len)
{
	text_add(t, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			text_add(t, "\\%02x", c);
		else
			text_add(t, "%c", c);
	}
	text_add(t, "\"");
}

static void text_add_err(struct text *t, ba_wasm_err err, const ba_wasm_diag *diag)
{
	text_add(t, "%s", ba_wasm_err_name(err));
	if (err == BA_WASM_ERR_TRAP)
		text_add(t, " \"%s\"", ba_wasm_trap_message(diag->trap));
	/* strnlen: the message comes from the engine under test. */
	if (diag->message[0])
		text_add(t, ": %.*s", (int)strnlen(diag->message, sizeof(diag->message)),
		         diag->message);
	if (diag->offset != SIZE_MAX)
		text_add(t, " (offset %zu)", diag->offset);
}

PRINTF_LIKE(3, 4) static bool path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		printf("spectest: path too long: %s...\n", buf);
		return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Whether the C string a equals the counted string b. */
static bool name_eq(const char *a, const char *b, size_t b_len)
{
	return strlen(a) == b_len && memcmp(a, b, b_len) == 0;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	ba_wasm_valtype type;
} value_types[] = {
        {"i32", BA_WASM_I32},
        {"i64", BA_WASM_I64},
        {"f32", BA_WASM_F32},
        {"f64", BA_WASM_F64},
        {"v128", BA_WASM_V128},
        {"funcref", BA_WASM_FUNCREF},
        {"externref", BA_WASM_EXTERNREF},
};

/* Our own table rather than ba_wasm_valtype_name(): a type that comes back
 * wrong from the engine must still print. */
static const char *type_name(ba_wasm_valtype type)
{
	for (size_t i = 0; i < sizeof(value_types) / sizeof(value_types[0]); i++)
		if (value_types[i].type == type)
			return value_types[i].name;
	return "?";
}

/* What an expected result accepts. */
enum expect_kind {
	EXPECT_BITS,           /* exactly value (floats bit for bit) */
	EXPECT_NAN_CANONICAL,  /* the canonical NaN of either sign */
	EXPECT_NAN_ARITHMETIC, /* any NaN with the quiet bit set */
	EXPECT_REF_NULL,       /* a null reference */
	EXPECT_REF_NONNULL     /* a reference the JSON cannot name exactly */
};

struct expected {
	enum expect_kind kind;
	ba_wasm_value value; /* type always set; bits when kind is BITS */
};

enum status { STATUS_OK, STATUS_SKIP, STATUS_ERROR };

/* Decimal digits only: strtoull alone would accept signs and spaces. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Reads one {"type": T, "value": V} object of the JSON. wast2json writes
 * numbers as the decimal value of their bits, floats included, and NaN
 * patterns as "nan:canonical" / "nan:arithmetic". Externref values are host
 * words where 0 is null, so "ref.extern N" becomes N + 1.
 */
static enum status parse_value(const json_t *j, struct expected *out, struct text *why)
{
	const char *type, *value;
	uint64_t n;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j)) {
		text_add(why, "a value is not a JSON object");
		return STATUS_ERROR;
	}
	type = json_string_value(json_object_get(j, "type"));
	if (!type) {
		text_add(why, "a value has no \"type\" string");
		return STATUS_ERROR;
	}
	for (i = 0; i < sizeof(value_types) / sizeof(value_types[0]); i++)
		if (strcmp(type, value_types[i].name) == 0)
			break;
	if (i == sizeof(value_types) / sizeof(value_types[0])) {
		text_add(why, "unknown value type \"%.40s\"", type);
		return STATUS_ERROR;
	}
	out->value.type = value_types[i].type;
	if (out->value.type == BA_WASM_V128) {
		text_add(why, "SIMD not supported (v128 value)");
		return STATUS_SKIP;
	}
	value = json_string_value(json_object_get(j, "value"));
	out->kind = EXPECT_BITS;
	switch (out->value.type) {
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		if (value && strcmp(value, "null") == 0) {
			out->kind = EXPECT_REF_NULL;
		} else if (value && out->value.type == BA_WASM_EXTERNREF) {
			if (!parse_u64(value, UINTPTR_MAX - 1, &n))
				goto bad_value;
			out->value.of.externref = (uintptr_t)n + 1;
		} else {
			/* No value, or a function the JSON cannot point
			 * at: the spec's "(ref.func)" pattern, any
			 * non-null reference. */
			out->kind = EXPECT_REF_NONNULL;
		}
		return STATUS_OK;
	case BA_WASM_F32:
	case BA_WASM_F64:
		if (value && strcmp(value, "nan:canonical") == 0) {
			out->kind = EXPECT_NAN_CANONICAL;
			return STATUS_OK;
		}
		if (value && strcmp(value, "nan:arithmetic") == 0) {
			out->kind = EXPECT_NAN_ARITHMETIC;
			return STATUS_OK;
		}
		break;
	default:
		break;
	}
	if (!value) {
		text_add(why, "a %s value has no \"value\" string", type);
		return STATUS_ERROR;
	}
	switch (out->value.type) {
	case BA_WASM_I32:
	case BA_WASM_F32:
		if (!parse_u64(value, UINT32_MAX, &n))
			goto bad_value;
		if (out->value.type == BA_WASM_I32)
			out->value.of.i32 = (uint32_t)n;
		else
			out->value.of.f32_bits = (uint32_t)n;
		return STATUS_OK;
	default:
		if (!parse_u64(value, UINT64_MAX, &n))
			goto bad_value;
		if (out->value.type == BA_WASM_I64)
			out->value.of.i64 = n;
		else
			out->value.of.f64_bits = n;
		return STATUS_OK;
	}
bad_value:
	text_add(why, "bad %s value \"%.40s\"", type, value);
	return STATUS_ERROR;
}

static void text_add_value(struct text *t, const ba_wasm_value *v)
{
	float f;
	double d;

	switch (v->type) {
	case BA_WASM_I32:
		text_add(t, "i32:%" PRIu32, v->of.i32);
		break;
	case BA_WASM_I64:
		text_add(t, "i64:%" PRIu64, v->of.i64);
		break;
	case BA_WASM_F32:
		memcpy(&f, &v->of.f32_bits, sizeof(f));
		text_add(t, "f32:%" PRIu32 " (%.9g)", v->of.f32_bits, (double)f);
		break;
	case BA_WASM_F64:
		memcpy(&d, &v->of.f64_bits, sizeof(d));
		text_add(t, "f64:%" PRIu64 " (%.17g)", v->of.f64_bits, d);
		break;
	case BA_WASM_FUNCREF:
		if (v->of.funcref)
			text_add(t, "funcref:%p", (void *)v->of.funcref);
		else
			text_add(t, "funcref:null");
		break;
	case BA_WASM_EXTERNREF:
		if (v->of.externref)
			text_add(t, "externref:%ju", (uintmax_t)(v->of.externref - 1));
		else
			text_add(t, "externref:null");
		break;
	default:
		text_add(t, "<bad type 0x%x>", (unsigned)v->type);
		break;
	}
}

static void text_add_expected(struct text *t, const struct expected *e)
{
	const char *type = type_name(e->value.type);

	switch (e->kind) {
	case EXPECT_BITS:
		text_add_value(t, &e->value);
		break;
	case EXPECT_NAN_CANONICAL:
		text_add(t, "%s:nan:canonical", type);
		break;
	case EXPECT_NAN_ARITHMETIC:
		text_add(t, "%s:nan:arithmetic", type);
		break;
	case EXPECT_REF_NULL:
		text_add(t, "%s:null", type);
		break;
	case EXPECT_REF_NONNULL:
		text_add(t, "%s:non-null", type);
		break;
	}
}

static bool value_matches(const struct expected *e, const ba_wasm_value *got)
{
	ba_wasm_valtype type = e->value.type;
	bool is_f32 = type == BA_WASM_F32;

	if (got->type != type)
		return false;
	switch (e->kind) {
	case EXPECT_BITS:
		switch (type) {
		case BA_WASM_I32:
			return got->of.i32 == e->value.of.i32;
		case BA_WASM_F32:
			return got->of.f32_bits == e->value.of.f32_bits;
		case BA_WASM_I64:
			return got->of.i64 == e->value.of.i64;
		case BA_WASM_F64:
			return got->of.f64_bits == e->value.of.f64_bits;
		case BA_WASM_EXTERNREF:
			return got->of.externref == e->value.of.externref;
		default:
			return false;
		}
	case EXPECT_NAN_CANONICAL:
		/* Sign is free; exponent all ones; payload exactly the
		 * quiet bit. */
		if (is_f32)
			return (got->of.f32_bits & 0x7fffffffu) == 0x7fc00000u;
		return (got->of.f64_bits & 0x7fffffffffffffffu) == 0x7ff8000000000000u;
	case EXPECT_NAN_ARITHMETIC:
		/* Exponent all ones and the quiet bit; the rest is free. */
		if (is_f32)
			return (got->of.f32_bits & 0x7fc00000u) == 0x7fc00000u;
		return (got->of.f64_bits & 0x7ff8000000000000u) == 0x7ff8000000000000u;
	case EXPECT_REF_NULL:
		return type == BA_WASM_FUNCREF ? !got->of.funcref : !got->of.externref;
	case EXPECT_REF_NONNULL:
		return type == BA_WASM_FUNCREF ? !!got->of.funcref : !!got->of.externref;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Traps                                                                    */
/* ------------------------------------------------------------------------ */

/* The spec's trap messages and our kinds. Texts are matched as prefixes:
 * the suite sometimes adds detail ("uninitialized element 2"). */
static const struct {
	const char *text;
	ba_wasm_trap trap;
} trap_texts[] = {
        {"unreachable", BA_WASM_TRAP_UNREACHABLE},
        {"out of bounds memory access", BA_WASM_TRAP_MEMORY_OOB},
        {"out of bounds table access", BA_WASM_TRAP_TABLE_OOB},
        {"undefined element", BA_WASM_TRAP_UNDEFINED_ELEMENT},
        {"uninitialized element", BA_WASM_TRAP_UNINITIALIZED_ELEMENT},
        {"indirect call type mismatch", BA_WASM_TRAP_INDIRECT_TYPE},
        {"integer divide by zero", BA_WASM_TRAP_DIV_ZERO},
        {"integer overflow", BA_WASM_TRAP_INT_OVERFLOW},
        {"invalid conversion to integer", BA_WASM_TRAP_INVALID_CONVERSION},
        {"call stack exhausted", BA_WASM_TRAP_STACK_EXHAUSTED},
};

/* Whether a trap of this kind is the one the spec's text names. A text we
 * have no kind for accepts any trap: the trap itself is still checked. */
static bool trap_matches(const char *text, ba_wasm_trap trap)
{
	for (size_t i = 0; i < sizeof(trap_texts) / sizeof(trap_texts[0]); i++)
		if (strncmp(text, trap_texts[i].text, strlen(trap_texts[i].text)) == 0)
			return trap == trap_texts[i].trap;
	return true;
}

/* ------------------------------------------------------------------------ */
/* The state of one .wast file                                              */
/* ------------------------------------------------------------------------ */

/* A module as actions and imports see it. */
struct binding {
	char *name;                 /* "$M" or a registered name; owned */
	ba_wasm_instance *instance; /* NULL if skipped or it failed */
	long line;                  /* where the module was defined */
	bool skipped;               /* text format: we could not try it */
};

struct bindings {
	struct binding *v;
	size_t count;
	size_t cap;
};

struct host_export {
	const char *name;
	ba_wasm_extern ext;
};

#define HOST_EXPORTS 16

struct spec_file {
	const char *name;                      /* "i32.wast", for messages */
	const char *dir;                       /* the JSON's folder */
	struct counts *counts;                 /* where results are counted */
	ba_wasm_store *store;                  /* one store for all instances */
	struct host_export host[HOST_EXPORTS]; /* the "spectest" module */
	size_t host_count;
	struct binding current; /* the latest module command */
	bool have_current;
	struct bindings named;      /* modules defined with a $name */
	struct bindings registered; /* names given with register */
	long line;                  /* the command being run, for messages */
	const char *command;        /* its type */
};

static void pass(struct spec_file *f)
{
	f->counts->passed++;
}

PRINTF_LIKE(2, 3) static void fail(struct spec_file *f, const char *fmt, ...)
{
	va_list ap;

	if (++f->counts->failed > MAX_SHOWN_FAILURES && !verbose)
		return;
	printf("%s:%ld: %s: ", f->name, f->line, f->command);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

PRINTF_LIKE(2, 3) static void skip(struct spec_file *f, const char *fmt, ...)
{
	va_list ap;

	f->counts->skipped++;
	if (!verbose)
		return;
	printf("%s:%ld: %s: skipped: ", f->name, f->line, f->command);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool bindings_add(struct bindings *b, const char *name, const struct binding *value)
{
	struct binding *slot;

	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct binding *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return false;
		b->v = v;
		b->cap = cap;
	}
	slot = &b->v[b->count];
	*slot = *value;
	slot->name = strdup(name);
	if (!slot->name)
		return false;
	b->count++;
	return true;
}

/* The latest binding of a name: a later definition hides an earlier one. */
static const struct binding *bindings_find(const struct bindings *b, const char *name, size_t len)
{
	for (size_t i = b->count; i-- > 0;)
		if (name_eq(b->v[i].name, name, len))
			return &b->v[i];
	return NULL;
}

static void bindings_free(struct bindings *b)
{
	for (size_t i = 0; i < b->count; i++)
		free(b->v[i].name);
	free(b->v);
	b->v = NULL;
	b->count = b->cap = 0;
}

/* ------------------------------------------------------------------------ */
/* The "spectest" host module every script may import from                  */
/* ------------------------------------------------------------------------ */

struct host_func_def {
	const char *name;
	uint32_t param_count;
	const ba_wasm_valtype *params;
};

static const ba_wasm_valtype params_i32[] = {BA_WASM_I32};
static const ba_wasm_valtype params_i64[] = {BA_WASM_I64};
static const ba_wasm_valtype params_f32[] = {BA_WASM_F32};
static const ba_wasm_valtype params_f64[] = {BA_WASM_F64};
static const ba_wasm_valtype params_i32_f32[] = {BA_WASM_I32, BA_WASM_F32};
static const ba_wasm_valtype params_f64_f64[] = {BA_WASM_F64, BA_WASM_F64};

/* Not const: each entry is the user pointer of its host function, and the
 * API passes user data as void *. */
static struct host_func_def host_funcs[] = {
        {"print", 0, NULL},
        {"print_i32", 1, params_i32},
        {"print_i64", 1, params_i64},
        {"print_f32", 1, params_f32},
        {"print_f64", 1, params_f64},
        {"print_i32_f32", 2, params_i32_f32},
        {"print_f64_f64", 2, params_f64_f64},
};

/* The print functions print only with --verbose: their output is noise
 * otherwise. */
static ba_wasm_err host_print(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	const struct host_func_def *def = user;
	struct text t;

	if (!verbose)
		return BA_WASM_OK;
	text_init(&t);
	text_add(&t, "spectest.%s(", def->name);
	for (uint32_t i = 0; i < def->param_count; i++) {
		if (i)
			text_add(&t, ", ");
		text_add_value(&t, &args[i]);
	}
	printf("%s)\n", t.s);
	return BA_WASM_OK;
}

static bool host_add(struct spec_file *f, const char *name, ba_wasm_extern_kind kind, void *object)
{
	struct host_export *e;

	if (!object || f->host_count == HOST_EXPORTS)
		return false;
	e = &f->host[f->host_count++];
	e->name = name;
	e->ext.kind = kind;
	switch (kind) {
	case BA_WASM_EXTERN_FUNC:
		e->ext.of.func = object;
		break;
	case BA_WASM_EXTERN_TABLE:
		e->ext.of.table = object;
		break;
	case BA_WASM_EXTERN_MEMORY:
		e->ext.of.memory = object;
		break;
	case BA_WASM_EXTERN_GLOBAL:
		e->ext.of.global = object;
		break;
	}
	return true;
}

/* The standard spectest module, made once per file in the file's store, as
 * the reference interpreter does. */
static bool host_setup(struct spec_file *f)
{
	const ba_wasm_limits_range table_limits = {.min = 10, .max = 20, .has_max = true};
	const ba_wasm_limits_range memory_limits = {.min = 1, .max = 2, .has_max = true};
	const float f32 = 666.6f;
	const double f64 = 666.6;
	ba_wasm_value v32 = {.type = BA_WASM_F32}, v64 = {.type = BA_WASM_F64};
	bool ok = true;

	for (size_t i = 0; i < sizeof(host_funcs) / sizeof(host_funcs[0]); i++) {
		struct host_func_def *def = &host_funcs[i];
		ba_wasm_functype type = {
		        .param_count = def->param_count,
		        .params = def->params,
		};
		ba_wasm_func *func = ba_wasm_func_new_host(f->store, &type, host_print, def);
		ok = ok && host_add(f, def->name, BA_WASM_EXTERN_FUNC, func);
	}
	memcpy(&v32.of.f32_bits, &f32, sizeof(f32));
	memcpy(&v64.of.f64_bits, &f64, sizeof(f64));
	ok = ok &&
	     host_add(f, "global_i32", BA_WASM_EXTERN_GLOBAL,
	              ba_wasm_global_new(f->store, BA_WASM_I32, false, ba_wasm_i32(666))) &&
	     host_add(f, "global_i64", BA_WASM_EXTERN_GLOBAL,
	              ba_wasm_global_new(f->store, BA_WASM_I64, false, ba_wasm_i64(666))) &&
	     host_add(f, "global_f32", BA_WASM_EXTERN_GLOBAL,
	              ba_wasm_global_new(f->store, BA_WASM_F32, false, v32)) &&
	     host_add(f, "global_f64", BA_WASM_EXTERN_GLOBAL,
	              ba_wasm_global_new(f->store, BA_WASM_F64, false, v64)) &&
	     host_add(f, "table", BA_WASM_EXTERN_TABLE,
	              ba_wasm_table_new(f->store, BA_WASM_FUNCREF, table_limits)) &&
	     host_add(f, "memory", BA_WASM_EXTERN_MEMORY,
	              ba_wasm_memory_new(f->store, memory_limits));
	return ok;
}

/* ------------------------------------------------------------------------ */
/* Modules and linking                                                      */
/* ------------------------------------------------------------------------ */

/*
 * Finding an import by name is the embedder's half of linking: registered
 * names first (the latest registration of a name wins, and hides the rest),
 * then the spectest module. The engine checks the types.
 */
static bool resolve_import(struct spec_file *f, const ba_wasm_import_desc *d, ba_wasm_extern *out)
{
	const struct binding *b = bindings_find(&f->registered, d->module_name, d->module_name_len);

	if (b)
		return b->instance &&
		       ba_wasm_instance_export_n(b->instance, d->name, d->name_len, out);
	if (!name_eq("spectest", d->module_name, d->module_name_len))
		return false;
	for (size_t i = 0; i < f->host_count; i++) {
		if (name_eq(f->host[i].name, d->name, d->name_len)) {
			*out = f->host[i].ext;
			return true;
		}
	}
	return false;
}

static void diag_reset(ba_wasm_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
	diag->offset = SIZE_MAX;
	diag->func_index = UINT32_MAX;
}

/* Resolves the imports and instantiates. An import nobody provides is a
 * link error, reported the way the engine reports its own. */
static ba_wasm_err instantiate(struct spec_file *f, ba_wasm_module *module, ba_wasm_instance **out,
                               ba_wasm_diag *diag)
{
	uint32_t n = ba_wasm_module_import_count(module);
	ba_wasm_extern *imports = calloc(n ? n : 1, sizeof(*imports));
	ba_wasm_err err;
	size_t len;

	if (!imports) {
		diag->err = BA_WASM_ERR_NOMEM;
		return BA_WASM_ERR_NOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		ba_wasm_import_desc d;
		struct text t;

		ba_wasm_module_import(module, i, &d);
		if (resolve_import(f, &d, &imports[i]))
			continue;
		text_init(&t);
		text_add(&t, "unknown import ");
		text_add_name(&t, d.module_name, d.module_name_len);
		text_add(&t, ".");
		text_add_name(&t, d.name, d.name_len);
		text_add(&t, " (found by the spectest runner)");
		diag->err = BA_WASM_ERR_LINK;
		len = t.len < sizeof(diag->message) ? t.len : sizeof(diag->message) - 1;
		memcpy(diag->message, t.s, len);
		diag->message[len] = '\0';
		free(imports);
		return BA_WASM_ERR_LINK;
	}
	err = ba_wasm_instantiate(f->store, module, imports, n, out, diag);
	free(imports);
	return err;
}

static bool is_text_module(const json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "module_type"));
	const char *filename = json_string_value(json_object_get(cmd, "filename"));

	return (type && strcmp(type, "text") == 0) || (filename && ends_with(filename, ".wat"));
}

/* Reads the module file a command names. The name comes from the JSON, so
 * it must stay inside the file's folder. */
static bool read_module_file(struct spec_file *f, const json_t *cmd, uint8_t **bytes, size_t *len,
                             struct text *why)
{
	const char *filename = json_string_value(json_object_get(cmd, "filename"));
	char path[PATH_SIZE];
	struct stat st;
	FILE *fp;

	*bytes = NULL;
	*len = 0;
	if (!filename || !*filename) {
		text_add(why, "no \"filename\" string");
		return false;
	}
	if (strchr(filename, '/') || filename[0] == '.') {
		text_add(why, "refusing module file name \"%.80s\"", filename);
		return false;
	}
	if (!path_fmt(path, sizeof(path), "%s/%s", f->dir, filename)) {
		text_add(why, "path too long");
		return false;
	}
	fp = fopen(path, "rb");
	if (!fp) {
		text_add(why, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > MAX_MODULE_FILE_BYTES) {
		text_add(why, "%s is not a regular file of at most %zu bytes", path,
		         MAX_MODULE_FILE_BYTES);
		fclose(fp);
		return false;
	}
	*len = (size_t)st.st_size;
	*bytes = malloc(*len ? *len : 1);
	if (!*bytes || fread(*bytes, 1, *len, fp) != *len) {
		text_add(why, "cannot read %s", path);
		free(*bytes);
		*bytes = NULL;
		fclose(fp);
		return false;
	}
	fclose(fp);
	return true;
}

/* Reads an unsigned LEB128 of at most 32 bits; false past the end. */
static bool read_u32(const uint8_t *b, size_t len, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned shift = 0; shift < 35; shift += 7) {
		if (*pos >= len)
			return false;
		v |= (uint32_t)(b[*pos] & 0x7f) << shift;
		if (!(b[(*pos)++] & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * wast2json writes no data count section for a module without data
 * segments, even when its code uses memory.init or data.drop. The binary
 * format requires the section then, so such a binary is malformed as well
 * as invalid, and an assert_invalid written for the text format may get
 * either answer from a binary engine. True when the binary has no data
 * count section while its code section holds the opcode bytes of those two
 * instructions (0xfc 8, 0xfc 9). A plain byte match can only widen the
 * leniency to binaries that are refused anyway.
 */
static bool lacks_data_count(const uint8_t *b, size_t len)
{
	size_t pos = 8; /* magic and version */
	bool uses_data = false;

	while (pos < len) {
		uint8_t id = b[pos++];
		uint32_t size;

		if (!read_u32(b, len, &pos, &size) || size > len - pos)
			return false;
		if (id == 12)
			return false;
		for (size_t i = pos; id == 10 && i + 1 < pos + size; i++)
			if (b[i] == 0xfc && (b[i + 1] == 8 || b[i + 1] == 9))
				uses_data = true;
		pos += size;
	}
	return uses_data;
}

/* Where making a module stopped. */
enum stage {
	STAGE_LOAD,        /* ba_wasm_module_load failed */
	STAGE_INSTANTIATE, /* linking or instantiation failed */
	STAGE_DONE         /* everything that was asked for succeeded */
};

struct module_outcome {
	enum stage stage;
	ba_wasm_err err;
	ba_wasm_diag diag;
	ba_wasm_instance *instance; /* when instantiated */
	const char *filename;       /* for messages */
	bool lacks_data_count;      /* see lacks_data_count() */
};

/* Loads the module a command names and, if link, instantiates it. Returns
 * false on a problem of the runner or the JSON (why says what). */
static bool make_module(struct spec_file *f, const json_t *cmd, bool link, struct module_outcome *o,
                        struct text *why)
{
	ba_wasm_module *module = NULL;
	uint8_t *bytes;
	size_t len;

	memset(o, 0, sizeof(*o));
	diag_reset(&o->diag);
	o->filename = json_string_value(json_object_get(cmd, "filename"));
	if (!read_module_file(f, cmd, &bytes, &len, why))
		return false;
	o->stage = STAGE_LOAD;
	o->err = ba_wasm_module_load(bytes, len, NULL, &module, &o->diag);
	o->lacks_data_count = lacks_data_count(bytes, len);
	free(bytes);
	if (o->err != BA_WASM_OK)
		return true;
	if (!module) {
		text_add(why, "ba_wasm_module_load returned OK but no module");
		return false;
	}
	if (link) {
		o->stage = STAGE_INSTANTIATE;
		diag_reset(&o->diag);
		o->err = instantiate(f, module, &o->instance, &o->diag);
		if (o->err != BA_WASM_OK)
			o->instance = NULL;
	}
	/* An instance holds a reference of its own. */
	ba_wasm_module_release(module);
	if (o->err != BA_WASM_OK)
		return true;
	if (link && !o->instance) {
		text_add(why, "ba_wasm_instantiate returned OK but no instance");
		return false;
	}
	o->stage = STAGE_DONE;
	return true;
}

static void text_add_outcome(struct text *t, const struct module_outcome *o)
{
	switch (o->stage) {
	case STAGE_LOAD:
		text_add(t, "load failed: ");
		break;
	case STAGE_INSTANTIATE:
		text_add(t, "instantiation failed: ");
		break;
	case STAGE_DONE:
		text_add(t, o->instance ? "it instantiated" : "it loaded");
		return;
	}
	text_add_err(t, o->err, &o->diag);
}

/* The instance an action names: "$M", or the latest module. Returns NULL
 * with why filled when there is none; *skipped when it was not tried. */
static ba_wasm_instance *action_instance(struct spec_file *f, const json_t *action, bool *skipped,
                                         struct text *why)
{
	const json_t *jmodule = json_object_get(action, "module");
	const struct binding *b;

	*skipped = false;
	if (jmodule) {
		const char *name = json_string_value(jmodule);
		if (!name) {
			text_add(why, "\"module\" is not a string");
			return NULL;
		}
		b = bindings_find(&f->named, name, strlen(name));
		if (!b) {
			text_add(why, "no module named %.80s", name);
			return NULL;
		}
	} else {
		if (!f->have_current) {
			text_add(why, "no module defined yet");
			return NULL;
		}
		b = &f->current;
	}
	if (b->skipped) {
		*skipped = true;
		text_add(why, "the module of line %ld is text-format", b->line);
		return NULL;
	}
	if (!b->instance)
		text_add(why, "the module of line %ld did not instantiate", b->line);
	return b->instance;
}

/* ------------------------------------------------------------------------ */
/* Actions: invoke and get                                                  */
/* ------------------------------------------------------------------------ */

struct action_run {
	struct text desc; /* e.g. invoke "add"(i32:1, i32:2) */
	ba_wasm_err err;
	ba_wasm_diag diag;
	ba_wasm_value *results;
	size_t result_count;
};

static enum status parse_args(const json_t *args, ba_wasm_value **out, size_t *count,
                              struct text *desc, struct text *why)
{
	size_t n = json_array_size(args);
	ba_wasm_value *values;

	*out = NULL;
	*count = 0;
	if (!json_is_array(args)) {
		text_add(why, "no \"args\" array");
		return STATUS_ERROR;
	}
	values = calloc(n ? n : 1, sizeof(*values));
	if (!values) {
		text_add(why, "out of memory");
		return STATUS_ERROR;
	}
	text_add(desc, "(");
	for (size_t i = 0; i < n; i++) {
		struct expected e;
		enum status st = parse_value(json_array_get(args, i), &e, why);

		if (st == STATUS_OK && e.kind != EXPECT_BITS && e.kind != EXPECT_REF_NULL) {
			text_add(why, "argument %zu is a pattern, not a value", i);
			st = STATUS_ERROR;
		}
		if (st != STATUS_OK) {
			text_add(desc, "...)");
			free(values);
			return st;
		}
		values[i] = e.value;
		text_add(desc, "%s", i ? ", " : "");
		text_add_value(desc, &values[i]);
	}
	text_add(desc, ")");
	*out = values;
	*count = n;
	return STATUS_OK;
}

/* Runs an action. STATUS_OK means it ran (r says how it went); SKIP and
 * ERROR leave the reason in why. r->desc is filled as far as it got. */
static enum status run_action(struct spec_file *f, const json_t *action, struct action_run *r,
                              struct text *why)
{
	const char *type, *field, *module;
	ba_wasm_instance *instance;
	const ba_wasm_functype *ft;
	ba_wasm_value *args = NULL;
	ba_wasm_extern ext;
	size_t field_len, arg_count;
	enum status st;
	bool skipped;

	memset(r, 0, sizeof(*r));
	text_init(&r->desc);
	diag_reset(&r->diag);
	if (!json_is_object(action)) {
		text_add(why, "no \"action\" object");
		return STATUS_ERROR;
	}
	type = json_string_value(json_object_get(action, "type"));
	field = json_string_value(json_object_get(action, "field"));
	module = json_string_value(json_object_get(action, "module"));
	if (!type || !field) {
		text_add(why, "the action has no \"type\" or \"field\" string");
		return STATUS_ERROR;
	}
	/* JSON_ALLOW_NUL: the suite has export names with NUL bytes. */
	field_len = json_string_length(json_object_get(action, "field"));
	text_add(&r->desc, "%s ", type);
	if (module)
		text_add(&r->desc, "%s.", module);
	text_add_name(&r->desc, field, field_len);

	instance = action_instance(f, action, &skipped, why);
	if (!instance)
		return skipped ? STATUS_SKIP : STATUS_ERROR;
	if (!ba_wasm_instance_export_n(instance, field, field_len, &ext)) {
		text_add(why, "no such export");
		return STATUS_ERROR;
	}

	if (strcmp(type, "get") == 0) {
		if (ext.kind != BA_WASM_EXTERN_GLOBAL) {
			text_add(why, "the export is not a global");
			return STATUS_ERROR;
		}
		r->results = calloc(1, sizeof(*r->results));
		if (!r->results) {
			text_add(why, "out of memory");
			return STATUS_ERROR;
		}
		r->results[0] = ba_wasm_global_get(ext.of.global);
		r->result_count = 1;
		r->err = BA_WASM_OK;
		return STATUS_OK;
	}
	if (strcmp(type, "invoke") != 0) {
		text_add(why, "unknown action type");
		return STATUS_ERROR;
	}
	if (ext.kind != BA_WASM_EXTERN_FUNC) {
		text_add(why, "the export is not a function");
		return STATUS_ERROR;
	}
	st = parse_args(json_object_get(action, "args"), &args, &arg_count, &r->desc, why);
	if (st != STATUS_OK)
		return st;
	ft = ba_wasm_func_type(ext.of.func);
	r->result_count = ft ? ft->result_count : 0;
	r->results = calloc(r->result_count ? r->result_count : 1, sizeof(*r->results));
	if (!r->results) {
		free(args);
		text_add(why, "out of memory");
		return STATUS_ERROR;
	}
	r->err = ba_wasm_call(ext.of.func, args, arg_count, r->results, r->result_count, &r->diag);
	free(args);
	return STATUS_OK;
}

static void text_add_results(struct text *t, const ba_wasm_value *v, size_t n)
{
	text_add(t, "(");
	for (size_t i = 0; i < n; i++) {
		text_add(t, "%s", i ? ", " : "");
		text_add_value(t, &v[i]);
	}
	text_add(t, ")");
}

/* What an action did, for "got ..." in messages. */
static void text_add_run(struct text *t, const struct action_run *r)
{
	if (r->err == BA_WASM_OK)
		text_add_results(t, r->results, r->result_count);
	else
		text_add_err(t, r->err, &r->diag);
}

/* Parses "expected" of assert_return. */
static enum status parse_expected(const json_t *cmd, struct expected **out, size_t *count,
                                  struct text *why)
{
	const json_t *list = json_object_get(cmd, "expected");
	size_t n = json_array_size(list);
	struct expected *e;

	*out = NULL;
	*count = 0;
	if (!json_is_array(list)) {
		text_add(why, "no \"expected\" array");
		return STATUS_ERROR;
	}
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		text_add(why, "out of memory");
		return STATUS_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		enum status st = parse_value(json_array_get(list, i), &e[i], why);
		if (st != STATUS_OK) {
			free(e);
			return st;
		}
	}
	*out = e;
	*count = n;
	return STATUS_OK;
}

static void check_return(struct spec_file *f, const struct action_run *r, const struct expected *e,
                         size_t n)
{
	struct text want, got;
	bool ok = r->err == BA_WASM_OK && r->result_count == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = value_matches(&e[i], &r->results[i]);
	if (ok) {
		pass(f);
		return;
	}
	text_init(&want);
	text_init(&got);
	text_add(&want, "(");
	for (size_t i = 0; i < n; i++) {
		text_add(&want, "%s", i ? ", " : "");
		text_add_expected(&want, &e[i]);
	}
	text_add(&want, ")");
	text_add_run(&got, r);
	fail(f, "%s: expected %s, got %s", r->desc.s, want.s, got.s);
}

static void check_trap(struct spec_file *f, const struct action_run *r, const char *text,
                       bool exhaustion)
{
	struct text got;
	bool ok = r->err == BA_WASM_ERR_TRAP &&
	          (exhaustion ? r->diag.trap == BA_WASM_TRAP_STACK_EXHAUSTED
	                      : trap_matches(text, r->diag.trap));

	if (ok) {
		pass(f);
		return;
	}
	text_init(&got);
	text_add_run(&got, r);
	fail(f, "%s: expected trap \"%s\", got %s", r->desc.s, text, got.s);
}

/* action, assert_return, assert_trap, assert_exhaustion. */
static void cmd_action(struct spec_file *f, const json_t *cmd, const char *type)
{
	bool is_return = strcmp(type, "assert_return") == 0;
	bool is_trap = strcmp(type, "assert_trap") == 0;
	bool is_exhaustion = strcmp(type, "assert_exhaustion") == 0;
	const char *text = json_string_value(json_object_get(cmd, "text"));
	struct expected *expected = NULL;
	size_t expected_count = 0;
	struct action_run r;
	struct text why;
	enum status st = STATUS_OK;

	text_init(&why);
	memset(&r, 0, sizeof(r));
	text_init(&r.desc);
	if ((is_trap || is_exhaustion) && !text) {
		text_add(&why, "no \"text\" string");
		st = STATUS_ERROR;
	}
	/* Expected values first: a v128 there skips the command unrun. */
	if (st == STATUS_OK && is_return)
		st = parse_expected(cmd, &expected, &expected_count, &why);
	if (st == STATUS_OK)
		st = run_action(f, json_object_get(cmd, "action"), &r, &why);

	if (st == STATUS_SKIP) {
		skip(f, "%s: %s", r.desc.s, why.s);
	} else if (st == STATUS_ERROR) {
		fail(f, "%s%s%s", r.desc.s, r.desc.len ? ": " : "", why.s);
	} else if (is_return) {
		check_return(f, &r, expected, expected_count);
	} else if (is_trap || is_exhaustion) {
		check_trap(f, &r, text, is_exhaustion);
	} else if (r.err == BA_WASM_OK) {
		pass(f);
	} else {
		struct text got;
		text_init(&got);
		text_add_err(&got, r.err, &r.diag);
		fail(f, "%s: %s", r.desc.s, got.s);
	}
	free(r.results);
	free(expected);
}

/* ------------------------------------------------------------------------ */
/* Module commands                                                          */
/* ------------------------------------------------------------------------ */

static void set_current(struct spec_file *f, const struct binding *b, const char *name)
{
	f->current = *b;
	f->have_current = true;
	if (name && !bindings_add(&f->named, name, b))
		fail(f, "out of memory");
}

static void cmd_module(struct spec_file *f, const json_t *cmd)
{
	const json_t *jname = json_object_get(cmd, "name");
	const char *name = json_string_value(jname);
	struct binding b = {.line = f->line};
	struct module_outcome o;
	struct text why;

	if (jname && !name) {
		fail(f, "\"name\" is not a string");
		return;
	}
	if (is_text_module(cmd)) {
		b.skipped = true;
		set_current(f, &b, name);
		skip(f, "text-format module");
		return;
	}
	text_init(&why);
	if (!make_module(f, cmd, true, &o, &why)) {
		fail(f, "%s", why.s);
	} else if (o.stage != STAGE_DONE) {
		text_add(&why, "%s: ", o.filename);
		text_add_outcome(&why, &o);
		fail(f, "%s", why.s);
	} else {
		b.instance = o.instance;
		pass(f);
	}
	/* A module that failed still becomes the current one, so that the
	 * commands meant for it fail instead of running on its predecessor. */
	set_current(f, &b, name);
}

static void cmd_register(struct spec_file *f, const json_t *cmd)
{
	const char *as = json_string_value(json_object_get(cmd, "as"));
	const json_t *jname = json_object_get(cmd, "name");
	const char *name = json_string_value(jname);
	const struct binding *b;

	if (!as || (jname && !name)) {
		fail(f, "no \"as\" string, or a \"name\" that is not a string");
		return;
	}
	if (name)
		b = bindings_find(&f->named, name, strlen(name));
	else
		b = f->have_current ? &f->current : NULL;
	if (!b) {
		fail(f, "register \"%.80s\": no such module", as);
	} else if (b->skipped) {
		skip(f, "register \"%.80s\": the module of line %ld is text-format", as, b->line);
	} else if (!b->instance) {
		fail(f, "register \"%.80s\": the module of line %ld did not instantiate", as,
		     b->line);
	} else if (!bindings_add(&f->registered, as, b)) {
		fail(f, "out of memory");
	}
}

enum module_want { WANT_INVALID, WANT_MALFORMED, WANT_UNLINKABLE, WANT_UNINSTANTIABLE };

/* assert_invalid, assert_malformed, assert_unlinkable, assert_uninstantiable
 * (and assert_trap on a module, which means the same). */
static void cmd_assert_module(struct spec_file *f, const json_t *cmd, enum module_want want)
{
	const char *text = json_string_value(json_object_get(cmd, "text"));
	bool link = want == WANT_UNLINKABLE || want == WANT_UNINSTANTIABLE;
	struct module_outcome o;
	struct text why, got;
	bool ok = false;

	if (!text) {
		fail(f, "no \"text\" string");
		return;
	}
	if (is_text_module(cmd)) {
		skip(f, "text-format module");
		return;
	}
	text_init(&why);
	if (!make_module(f, cmd, link, &o, &why)) {
		fail(f, "%s", why.s);
		return;
	}
	switch (want) {
	case WANT_INVALID:
		/* Strict, but for the one case where the binary wast2json
		 * wrote is malformed too. */
		ok = o.stage == STAGE_LOAD &&
		     (o.err == BA_WASM_ERR_INVALID ||
		      (o.err == BA_WASM_ERR_MALFORMED && o.lacks_data_count));
		break;
	case WANT_MALFORMED:
		/* Engines draw the line between decoding and validation in
		 * different places (the data count rule, the zero byte of
		 * memory.size, ...): what matters is that the binary is
		 * refused before anything runs. */
		ok = o.stage == STAGE_LOAD &&
		     (o.err == BA_WASM_ERR_MALFORMED || o.err == BA_WASM_ERR_INVALID);
		break;
	case WANT_UNLINKABLE:
		ok = o.stage == STAGE_INSTANTIATE && o.err == BA_WASM_ERR_LINK;
		break;
	case WANT_UNINSTANTIABLE:
		ok = o.stage == STAGE_INSTANTIATE && o.err == BA_WASM_ERR_TRAP &&
		     trap_matches(text, o.diag.trap);
		break;
	}
	if (ok) {
		pass(f);
		return;
	}
	text_init(&got);
	text_add_outcome(&got, &o);
	fail(f, "%s: expected \"%s\", got %s", o.filename, text, got.s);
}

static void run_command(struct spec_file *f, const json_t *cmd)
{
	const json_t *jline;
	const char *type;

	f->line = 0;
	f->command = "command";
	if (!json_is_object(cmd)) {
		fail(f, "not a JSON object");
		return;
	}
	type = json_string_value(json_object_get(cmd, "type"));
	if (!type) {
		fail(f, "no \"type\" string");
		return;
	}
	f->command = type;
	jline = json_object_get(cmd, "line");
	if (!json_is_integer(jline) || json_integer_value(jline) < 0 ||
	    json_integer_value(jline) > 100000000) {
		fail(f, "no \"line\" number");
		return;
	}
	f->line = (long)json_integer_value(jline);

	if (strcmp(type, "module") == 0)
		cmd_module(f, cmd);
	else if (strcmp(type, "register") == 0)
		cmd_register(f, cmd);
	else if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0 ||
	         strcmp(type, "assert_exhaustion") == 0)
		cmd_action(f, cmd, type);
	else if (strcmp(type, "assert_trap") == 0 && !json_object_get(cmd, "action"))
		cmd_assert_module(f, cmd, WANT_UNINSTANTIABLE);
	else if (strcmp(type, "assert_trap") == 0)
		cmd_action(f, cmd, type);
	else if (strcmp(type, "assert_invalid") == 0)
		cmd_assert_module(f, cmd, WANT_INVALID);
	else if (strcmp(type, "assert_malformed") == 0)
		cmd_assert_module(f, cmd, WANT_MALFORMED);
	else if (strcmp(type, "assert_unlinkable") == 0)
		cmd_assert_module(f, cmd, WANT_UNLINKABLE);
	else if (strcmp(type, "assert_uninstantiable") == 0)
		cmd_assert_module(f, cmd, WANT_UNINSTANTIABLE);
	else
		fail(f, "unknown command type");
}

/* Runs the commands of one converted file, counting into c. */
static void run_json(const char *name, const char *dir, const char *json_path, struct counts *c)
{
	const ba_wasm_limits limits = {.max_call_depth = SPEC_CALL_DEPTH};
	struct spec_file f = {.name = name, .dir = dir, .counts = c, .command = "file"};
	const json_t *commands, *cmd;
	json_error_t jerr;
	json_t *root;
	size_t i;

	/* JSON_ALLOW_NUL: names.wast has export names with NUL bytes. */
	root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
	if (!root) {
		fail(&f, "cannot read %s: %s (line %d)", json_path, jerr.text, jerr.line);
		return;
	}
	commands = json_object_get(root, "commands");
	if (!json_is_array(commands)) {
		fail(&f, "%s has no \"commands\" array", json_path);
		goto out;
	}
	f.store = ba_wasm_store_new(&limits);
	if (!f.store) {
		fail(&f, "ba_wasm_store_new failed");
		goto out;
	}
	if (!host_setup(&f)) {
		fail(&f, "cannot make the spectest host module");
		goto out;
	}
	json_array_foreach(commands, i, cmd)
	{
		run_command(&f, cmd);
	}
out:
	if (c->failed > MAX_SHOWN_FAILURES && !verbose)
		printf("%s: %" PRIu64 " more failures not shown (--verbose shows them)\n", name,
		       c->failed - MAX_SHOWN_FAILURES);
	bindings_free(&f.named);
	bindings_free(&f.registered);
	ba_wasm_store_free(f.store);
	json_decref(root);
}

/* ------------------------------------------------------------------------ */
/* The suite and the conversion cache                                       */
/* ------------------------------------------------------------------------ */

struct suite {
	const char *dir;
	const char *cache;
	char **files; /* .wast names, sorted */
	size_t count;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void suite_free(struct suite *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->files[i]);
	free(s->files);
	s->files = NULL;
	s->count = 0;
}

/* Lists the .wast files. False when there are none (no suite here). */
static bool suite_open(struct suite *s)
{
	const char *dir = getenv("BA_WASM_TESTSUITE");
	const char *cache = getenv("BA_SPEC_CACHE");
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	s->dir = dir && *dir ? dir : DEFAULT_SUITE_DIR;
	s->cache = cache && *cache ? cache : DEFAULT_CACHE_DIR;
	s->files = NULL;
	s->count = 0;
	d = opendir(s->dir);
	if (!d)
		return false;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".wast"))
			continue;
		if (s->count == cap) {
			size_t new_cap = cap ? cap * 2 : 256;
			char **v = realloc(s->files, new_cap * sizeof(*v));
			if (!v)
				break;
			s->files = v;
			cap = new_cap;
		}
		s->files[s->count] = strdup(e->d_name);
		if (!s->files[s->count])
			break;
		s->count++;
	}
	closedir(d);
	if (s->count)
		qsort(s->files, s->count, sizeof(*s->files), compare_names);
	return s->count > 0;
}

static void suite_missing(const struct suite *s)
{
	printf("spectest: no .wast files in %s; point at a copy of the WebAssembly spec "
	       "testsuite with BA_WASM_TESTSUITE=/path/to/testsuite\n",
	       s->dir);
}

static bool mkdir_p(const char *path)
{
	char buf[PATH_SIZE];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

/*
 * Removes a cache folder: only the kinds of file wast2json writes, so that
 * a wrong BA_SPEC_CACHE cannot delete anything else (rmdir then fails and
 * says so). A folder that is not there is fine.
 */
static bool remove_cache_dir(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL) {
		if (ends_with(e->d_name, ".json") || ends_with(e->d_name, ".wasm") ||
		    ends_with(e->d_name, ".wat"))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	if (rmdir(path) != 0) {
		printf("spectest: cannot remove %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

static bool run_wast2json(const char *wast, const char *json)
{
	/* posix_spawnp wants writable strings. */
	char prog[] = "wast2json", out_flag[] = "-o";
	char *wast_arg = strdup(wast), *json_arg = strdup(json);
	char *argv[] = {prog, wast_arg, out_flag, json_arg, NULL};
	posix_spawn_file_actions_t actions;
	bool ok = false;
	int rc, status;
	pid_t pid;

	if (!wast_arg || !json_arg) {
		printf("spectest: out of memory\n");
		goto out;
	}
	/* Its complaints go where ours go, so that they stay in order. */
	rc = posix_spawn_file_actions_init(&actions);
	if (rc == 0) {
		rc = posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
		fflush(NULL);
		if (rc == 0)
			rc = posix_spawnp(&pid, prog, &actions, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&actions);
	}
	if (rc != 0) {
		if (rc == ENOENT)
			printf("spectest: wast2json not found: install wabt (apt-get install wabt)\n");
		else
			printf("spectest: cannot run wast2json: %s\n", strerror(rc));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("spectest: waitpid: %s\n", strerror(errno));
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		printf("spectest: wast2json not found: install wabt (apt-get install wabt)\n");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("spectest: wast2json failed on %s\n", wast);
	else
		ok = true;
out:
	free(wast_arg);
	free(json_arg);
	return ok;
}

static bool mtime_before(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec < b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec < b->st_mtim.tv_nsec);
}

/* Whether json exists and is no older than the .wast it was made from. */
static bool json_fresh(const char *json, const struct stat *wast_st)
{
	struct stat st;

	return stat(json, &st) == 0 && !mtime_before(&st, wast_st);
}

/*
 * Converts into a fresh temporary folder that then replaces the stale one,
 * so that a crash never leaves a half-written conversion behind. The caller
 * holds the file's lock.
 */
static bool convert(const struct suite *s, const char *wast, const char *dir, const char *name,
                    int base_len)
{
	char tmp[PATH_SIZE], tmp_json[PATH_SIZE];
	bool ok;

	if (!path_fmt(tmp, sizeof(tmp), "%s/.%.*s.XXXXXX", s->cache, base_len, name))
		return false;
	if (!mkdtemp(tmp)) {
		printf("spectest: cannot create %s: %s\n", tmp, strerror(errno));
		return false;
	}
	/* mkdtemp makes it private; the cache is as readable as the build. */
	chmod(tmp, 0755);
	ok = path_fmt(tmp_json, sizeof(tmp_json), "%s/%.*s.json", tmp, base_len, name) &&
	     run_wast2json(wast, tmp_json) && remove_cache_dir(dir);
	if (ok && rename(tmp, dir) == 0)
		return true;
	if (ok)
		printf("spectest: cannot rename %s to %s: %s\n", tmp, dir, strerror(errno));
	remove_cache_dir(tmp);
	return false;
}

/*
 * Makes sure CACHE/BASE/BASE.json is a conversion of SUITE/BASE.wast no
 * older than it, and returns its folder and path. The runner starts many
 * of us at once, and two test runs may share a cache, so a conversion
 * happens under a lock on CACHE/.BASE.lock: whoever gets it second finds
 * the work done, and nobody removes a folder another run is reading (a
 * fresh folder is never removed; a stale one only when the .wast changed
 * during a run).
 */
static bool ensure_json(const struct suite *s, const char *name, char *dir, size_t dir_size,
                        char *json, size_t json_size)
{
	int base_len = (int)(strlen(name) - strlen(".wast"));
	char wast[PATH_SIZE], lock[PATH_SIZE];
	struct stat wast_st;
	bool ok;
	int fd;

	if (!path_fmt(wast, sizeof(wast), "%s/%s", s->dir, name) ||
	    !path_fmt(dir, dir_size, "%s/%.*s", s->cache, base_len, name) ||
	    !path_fmt(json, json_size, "%s/%.*s.json", dir, base_len, name) ||
	    !path_fmt(lock, sizeof(lock), "%s/.%.*s.lock", s->cache, base_len, name))
		return false;
	if (stat(wast, &wast_st) != 0) {
		printf("spectest: %s: %s\n", wast, strerror(errno));
		return false;
	}
	if (json_fresh(json, &wast_st))
		return true;
	if (!mkdir_p(s->cache)) {
		printf("spectest: cannot create %s: %s\n", s->cache, strerror(errno));
		return false;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		printf("spectest: cannot lock %s: %s\n", lock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	ok = json_fresh(json, &wast_st) || convert(s, wast, dir, name, base_len);
	close(fd); /* and with it the lock */
	return ok;
}

/* Runs one .wast file: 0 when nothing failed, 1 on failures, 77 when the
 * whole file is skipped. */
static int run_file(const struct suite *s, const char *name, struct counts *c)
{
	char dir[PATH_SIZE], json[PATH_SIZE];

	/* The suite names every SIMD file simd_*.wast, and the engine does
	 * not run SIMD yet. */
	if (strncmp(name, "simd_", 5) == 0) {
		printf("# %s: skipped (SIMD not supported)\n", name);
		return 77;
	}
	if (ensure_json(s, name, dir, sizeof(dir), json, sizeof(json)))
		run_json(name, dir, json, c);
	else
		c->failed++;
	printf("# %s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", name,
	       c->passed, c->failed, c->skipped);
	return c->failed ? 1 : 0;
}

/* Every file, each in a child process: a crash or a hang fails that file
 * and nothing else. Children count into shared memory, so the commands a
 * crashed file got through still count. */
static int run_all(const struct suite *s)
{
	struct counts total = {0}, *shared;
	size_t files_failed = 0, files_skipped = 0;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	              0);
	if (shared == MAP_FAILED) {
		printf("spectest: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < s->count; i++) {
		const char *name = s->files[i];
		int status;
		pid_t pid;

		memset(shared, 0, sizeof(*shared));
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			printf("spectest: fork: %s\n", strerror(errno));
			munmap(shared, sizeof(*shared));
			return 1;
		}
		if (pid == 0) {
			alarm(FILE_TIMEOUT_SECONDS);
			exit(run_file(s, name, shared));
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				printf("spectest: waitpid: %s\n", strerror(errno));
				munmap(shared, sizeof(*shared));
				return 1;
			}
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			printf("# %s: timed out after %d s\n", name, FILE_TIMEOUT_SECONDS);
			shared->failed++;
		} else if (WIFSIGNALED(status)) {
			printf("# %s: crashed (%s)\n", name, strsignal(WTERMSIG(status)));
			shared->failed++;
		} else if (WEXITSTATUS(status) == 77) {
			files_skipped++;
		} else if (WEXITSTATUS(status) != 0 && shared->failed == 0) {
			/* E.g. a sanitizer report: the file failed even
			 * though no command did. */
			printf("# %s: exited with status %d\n", name, WEXITSTATUS(status));
			shared->failed++;
		}
		if (shared->failed)
			files_failed++;
		total.passed += shared->passed;
		total.failed += shared->failed;
		total.skipped += shared->skipped;
	}
	munmap(shared, sizeof(*shared));
	printf("# %zu files: %zu with failures, %zu skipped\n", s->count, files_failed,
	       files_skipped);
	printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", total.passed,
	       total.failed, total.skipped);
	return total.failed ? 1 : 0;
}

/* "i32.wast" or "i32" to the suite's name for it; NULL if not there. */
static const char *find_file(const struct suite *s, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < s->count; i++) {
		const char *f = s->files[i];
		if (strcmp(f, name) == 0 ||
		    (strncmp(f, name, len) == 0 && strcmp(f + len, ".wast") == 0))
			return f;
	}
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: spectest [--verbose] (--list | --run NAME.wast | --all)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct suite s;
	struct counts c = {0};
	const char *name;
	int i = 1, rc;
	bool have_suite;

	/* Line-buffered, so that what a file printed survives its crash. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i < argc && strcmp(argv[i], "--verbose") == 0) {
		verbose = true;
		i++;
	}
	if (i >= argc)
		return usage();
	if (!(argc - i == 1 && strcmp(argv[i], "--list") == 0) &&
	    !(argc - i == 1 && strcmp(argv[i], "--all") == 0) &&
	    !(argc - i == 2 && strcmp(argv[i], "--run") == 0))
		return usage();

	have_suite = suite_open(&s);
	if (strcmp(argv[i], "--list") == 0) {
		if (!have_suite)
			printf("%s\t%d\n", MISSING_SUITE_CASE, FILE_TIMEOUT_SECONDS);
		for (size_t k = 0; k < s.count; k++)
			printf("%s\t%d\n", s.files[k], FILE_TIMEOUT_SECONDS);
		rc = 0;
	} else if (!have_suite) {
		suite_missing(&s);
		rc = 77;
	} else if (strcmp(argv[i], "--all") == 0) {
		rc = run_all(&s);
	} else if ((name = find_file(&s, argv[i + 1])) != NULL) {
		rc = run_file(&s, name, &c);
	} else {
		printf("spectest: no file %s in %s\n", argv[i + 1], s.dir);
		rc = 1;
	}
	suite_free(&s);
	return rc;
}
