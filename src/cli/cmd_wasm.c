/*
 * cmd_wasm.c - `boxagent wasm validate` and `boxagent wasm run`: the engine
 * on the command line, for checking modules and running them under limits.
 */
#include "cli/cli.h"

#include "core/clock.h"
#include "core/file.h"
#include "core/parse.h"
#include "wasm/wasm.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest module file we read; the engine has its own caps too. */
#define MAX_MODULE_FILE (256u << 20)

const char ba_cli_wasm_help[] =
        "usage: boxagent wasm validate MODULE\n"
        "       boxagent wasm run [OPTIONS] MODULE [ARGS...]\n"
        "\n"
        "validate  decodes and validates a binary module; prints why it is not\n"
        "          valid, with the byte offset.\n"
        "run       runs a module under hard limits. With --invoke NAME it calls\n"
        "          that export with ARGS (parsed as the export's parameter\n"
        "          types) and prints each result on its own line as TYPE:VALUE.\n"
        "          Without --invoke it runs the export _start as a command.\n"
        "\n"
        "Options of run:\n"
        "  --invoke NAME         the export to call\n"
        "  --fuel N              instruction budget (charged per basic block);\n"
        "                        default unlimited\n"
        "  --max-memory SIZE     cap on each linear memory, e.g. 64MiB;\n"
        "                        default 4GiB\n"
        "  --timeout DURATION    wall-clock limit, e.g. 10s, 500ms; default none\n"
        "  --max-call-depth N    nested calls before a trap; default 10000\n"
        "\n"
        "Exit status: 0 success, 1 the program reported failure, 2 usage error\n"
        "or invalid module, 3 trap, 4 a limit was exceeded (fuel, timeout,\n"
        "memory, call depth).\n";

static const char validate_usage[] = "usage: boxagent wasm validate MODULE\n";
static const char run_usage[] =
        "usage: boxagent wasm run [--invoke NAME] [--fuel N] [--max-memory SIZE]\n"
        "                         [--timeout DURATION] [--max-call-depth N]\n"
        "                         MODULE [ARGS...]\n";

/* Reads and loads a module file, printing any error. */
static int load_module(const char *path, ba_wasm_module **module)
{
	uint8_t *bytes;
	size_t len;
	char err[512];
	ba_wasm_diag diag;
	ba_wasm_err r;

	if (ba_read_file(path, MAX_MODULE_FILE, &bytes, &len, err, sizeof(err)) != 0) {
		ba_cli_error("%s", err);
		return BA_EXIT_USAGE;
	}
	r = ba_wasm_module_load(bytes, len, NULL, module, &diag);
	free(bytes);
	if (r == BA_WASM_OK)
		return BA_EXIT_OK;
	if (diag.offset != SIZE_MAX)
		ba_cli_error("%s: %s at offset 0x%zx: %s", path, ba_wasm_err_name(r), diag.offset,
		             diag.message);
	else
		ba_cli_error("%s: %s: %s", path, ba_wasm_err_name(r), diag.message);
	return r == BA_WASM_ERR_LIMIT ? BA_EXIT_LIMIT : BA_EXIT_USAGE;
}

static int cmd_validate(int argc, char **argv)
{
	ba_wasm_module *module;
	int status;

	if (argc == 2 && (ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0)) {
		fputs(validate_usage, stdout);
		return BA_EXIT_OK;
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
		fputs(validate_usage, stderr);
		return BA_EXIT_USAGE;
	}
	status = load_module(argv[1], &module);
	if (status != BA_EXIT_OK)
		return status;
	printf("%s: valid (%" PRIu32 " imports, %" PRIu32 " exports)\n", argv[1],
	       ba_wasm_module_import_count(module), ba_wasm_module_export_count(module));
	ba_wasm_module_release(module);
	return BA_EXIT_OK;
}

/* Parses a signed or unsigned integer that must fit in `bits` bits. */
static const char *parse_int(const char *text, unsigned bits, uint64_t *out)
{
	const char *p = text, *err;
	bool negative = false;
	uint64_t v, max_unsigned = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;

	if (*p == '-' || *p == '+') {
		negative = *p == '-';
		p++;
	}
	err = ba_parse_u64(p, &v);
	if (err)
		return err;
	if (negative) {
		uint64_t min_magnitude = 1ull << (bits - 1);
		if (v > min_magnitude)
			return "number too small for the type";
		v = (0 - v) & max_unsigned;
	} else if (v > max_unsigned) {
		return "number too large for the type";
	}
	*out = v;
	return NULL;
}

/* Floats: anything strtod takes (decimal, hex, inf, nan), or nan:0xPAYLOAD. */
static const char *parse_float(const char *text, bool is_f64, uint64_t *bits)
{
	const char *p = text;
	bool negative = false;
	char *end;

	if (*p == '-' || *p == '+') {
		negative = *p == '-';
		p++;
	}
	if (strncmp(p, "nan:", 4) == 0) {
		uint64_t payload;
		const char *err = ba_parse_u64(p + 4, &payload);
		uint64_t mask = is_f64 ? (1ull << 52) - 1 : (1ull << 23) - 1;
		if (err)
			return err;
		if (payload == 0 || payload > mask)
			return "NaN payload out of range";
		if (is_f64)
			*bits = (negative ? 1ull << 63 : 0) | 0x7FF0000000000000ull | payload;
		else
			*bits = (negative ? 1ull << 31 : 0) | 0x7F800000ull | payload;
		return NULL;
	}
	errno = 0;
	if (is_f64) {
		double d = strtod(text, &end);
		if (end == text || *end)
			return "not a number";
		memcpy(bits, &d, sizeof(d));
	} else {
		float f = strtof(text, &end);
		uint32_t b;
		if (end == text || *end)
			return "not a number";
		memcpy(&b, &f, sizeof(f));
		*bits = b;
	}
	return NULL;
}

static const char *parse_value(const char *text, ba_wasm_valtype type, ba_wasm_value *v)
{
	uint64_t bits = 0;
	const char *err;

	v->type = type;
	switch (type) {
	case BA_WASM_I32:
		err = parse_int(text, 32, &bits);
		v->of.i32 = (uint32_t)bits;
		return err;
	case BA_WASM_I64:
		err = parse_int(text, 64, &bits);
		v->of.i64 = bits;
		return err;
	case BA_WASM_F32:
		err = parse_float(text, false, &bits);
		v->of.f32_bits = (uint32_t)bits;
		return err;
	case BA_WASM_F64:
		err = parse_float(text, true, &bits);
		v->of.f64_bits = bits;
		return err;
	case BA_WASM_FUNCREF:
	case BA_WASM_EXTERNREF:
		if (strcmp(text, "null") != 0)
			return "only null references can be passed from the command line";
		v->of.externref = 0;
		v->of.funcref = NULL;
		return NULL;
	case BA_WASM_V128:
		break;
	}
	return "this value type cannot be passed from the command line";
}

static void print_value(ba_wasm_value v)
{
	switch (v.type) {
	case BA_WASM_I32:
		printf("i32:%" PRIu32 "\n", v.of.i32);
		return;
	case BA_WASM_I64:
		printf("i64:%" PRIu64 "\n", v.of.i64);
		return;
	case BA_WASM_F32: {
		float f;
		uint32_t payload = v.of.f32_bits & 0x7FFFFFu;
		memcpy(&f, &v.of.f32_bits, sizeof(f));
		if (isnan(f))
			printf("f32:%snan:0x%" PRIx32 "\n", v.of.f32_bits >> 31 ? "-" : "",
			       payload);
		else
			printf("f32:%.9g\n", (double)f);
		return;
	}
	case BA_WASM_F64: {
		double d;
		uint64_t payload = v.of.f64_bits & ((1ull << 52) - 1);
		memcpy(&d, &v.of.f64_bits, sizeof(d));
		if (isnan(d))
			printf("f64:%snan:0x%" PRIx64 "\n", v.of.f64_bits >> 63 ? "-" : "",
			       payload);
		else
			printf("f64:%.17g\n", d);
		return;
	}
	case BA_WASM_FUNCREF:
		printf(v.of.funcref ? "funcref:func\n" : "funcref:null\n");
		return;
	case BA_WASM_EXTERNREF:
		if (v.of.externref)
			printf("externref:%" PRIuPTR "\n", v.of.externref);
		else
			printf("externref:null\n");
		return;
	case BA_WASM_V128:
		break;
	}
	printf("?\n");
}

static bool is_limit_trap(ba_wasm_trap trap)
{
	return trap == BA_WASM_TRAP_FUEL_EXHAUSTED || trap == BA_WASM_TRAP_INTERRUPTED ||
	       trap == BA_WASM_TRAP_STACK_EXHAUSTED;
}

/* Reports a failed instantiate or call and picks the exit status. */
static int report_failure(const char *what, ba_wasm_err r, const ba_wasm_diag *diag,
                          const char *timeout_text)
{
	if (r == BA_WASM_ERR_TRAP && diag->trap == BA_WASM_TRAP_INTERRUPTED && timeout_text) {
		ba_cli_error("limit exceeded: timed out after %s (%s)", timeout_text,
		             diag->message);
		return BA_EXIT_LIMIT;
	}
	if (r == BA_WASM_ERR_TRAP && is_limit_trap(diag->trap)) {
		ba_cli_error("limit exceeded: %s", diag->message);
		return BA_EXIT_LIMIT;
	}
	if (r == BA_WASM_ERR_TRAP) {
		ba_cli_error("trap: %s", diag->message);
		return BA_EXIT_TRAP;
	}
	if (r == BA_WASM_ERR_LIMIT) {
		ba_cli_error("limit exceeded: %s", diag->message);
		return BA_EXIT_LIMIT;
	}
	ba_cli_error("%s: %s: %s", what, ba_wasm_err_name(r), diag->message);
	return BA_EXIT_USAGE;
}

/* Refuses modules with imports: only the sandbox (a later module) can
 * satisfy them, and an unsatisfied import must never be guessed at. */
static int check_imports(const char *path, const ba_wasm_module *module)
{
	ba_wasm_import_desc imp;

	if (ba_wasm_module_import_count(module) == 0)
		return BA_EXIT_OK;
	ba_wasm_module_import(module, 0, &imp);
	if (strncmp(imp.module_name, "wasi_", 5) == 0)
		ba_cli_error("%s imports %s.%s: `wasm run` runs bare modules only; run WASI "
		             "modules in the sandbox with `boxagent tool run %s`",
		             path, imp.module_name, imp.name, path);
	else
		ba_cli_error("%s imports %s.%s, which nothing provides", path, imp.module_name,
		             imp.name);
	return BA_EXIT_USAGE;
}

struct run_options {
	const char *invoke;
	const char *timeout_text;
	ba_wasm_limits limits;
	uint64_t timeout_ns;
};

static int parse_run_options(int argc, char **argv, int *i, struct run_options *o)
{
	for (; *i < argc; ++*i) {
		const char *arg = argv[*i], *value, *err;
		uint64_t n;
		int m;

		if (strcmp(arg, "--") == 0) {
			++*i;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if ((m = ba_cli_option(argc, argv, i, "invoke", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			o->invoke = value;
		} else if ((m = ba_cli_option(argc, argv, i, "fuel", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			if ((err = ba_parse_u64(value, &n)) || n == 0)
				return ba_cli_usage_error("--fuel %s: %s", value,
				                          err ? err : "must be at least 1");
			o->limits.fuel = n;
		} else if ((m = ba_cli_option(argc, argv, i, "max-memory", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			if ((err = ba_parse_size(value, &n)))
				return ba_cli_usage_error("--max-memory %s: %s", value, err);
			/* 0 would mean "default" to the engine; a cap of zero
			 * bytes is a real request for no memory. Keep it 1. */
			o->limits.max_memory_bytes = n ? n : 1;
		} else if ((m = ba_cli_option(argc, argv, i, "timeout", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			if ((err = ba_parse_duration(value, &n)) || n == 0)
				return ba_cli_usage_error("--timeout %s: %s", value,
				                          err ? err : "must be more than zero");
			o->timeout_ns = n;
			o->timeout_text = value;
		} else if ((m = ba_cli_option(argc, argv, i, "max-call-depth", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			if ((err = ba_parse_u64(value, &n)) || n == 0 || n > 1000000)
				return ba_cli_usage_error("--max-call-depth %s: %s", value,
				                          err ? err : "must be 1 to 1000000");
			o->limits.max_call_depth = (uint32_t)n;
		} else {
			return ba_cli_usage_error("wasm run: unknown option '%s'", arg);
		}
	}
	return BA_EXIT_OK;
}

static int call_export(ba_wasm_instance *instance, const struct run_options *o, int argc,
                       char **argv)
{
	ba_wasm_extern ext;
	const ba_wasm_functype *type;
	ba_wasm_value *values = NULL;
	ba_wasm_diag diag;
	ba_wasm_err r;
	size_t slots;
	int status = BA_EXIT_OK;
	const char *name = o->invoke ? o->invoke : "_start";

	if (!ba_wasm_instance_export(instance, name, &ext)) {
		if (o->invoke)
			return ba_cli_usage_error("the module has no export named '%s'", name);
		return ba_cli_usage_error("the module has no _start export; use --invoke NAME "
		                          "to call a function");
	}
	if (ext.kind != BA_WASM_EXTERN_FUNC)
		return ba_cli_usage_error("export '%s' is not a function", name);
	type = ba_wasm_func_type(ext.of.func);
	if (!o->invoke && argc > 0)
		return ba_cli_usage_error("command-line arguments for _start need the WASI host, "
		                          "which this build does not have yet");
	if ((size_t)argc != type->param_count)
		return ba_cli_usage_error("'%s' takes %" PRIu32 " argument(s), %d given", name,
		                          type->param_count, argc);
	slots = type->param_count > type->result_count ? type->param_count : type->result_count;
	values = calloc(slots ? slots * 2 : 1, sizeof(*values));
	if (!values) {
		ba_cli_error("out of memory");
		return BA_EXIT_FAILED;
	}
	for (int i = 0; i < argc; i++) {
		const char *err = parse_value(argv[i], type->params[i], &values[i]);
		if (err) {
			status = ba_cli_usage_error("argument %d '%s' is not a valid %s: %s", i + 1,
			                            argv[i], ba_wasm_valtype_name(type->params[i]),
			                            err);
			goto out;
		}
	}
	r = ba_wasm_call(ext.of.func, values, type->param_count, values + slots, type->result_count,
	                 &diag);
	if (r != BA_WASM_OK) {
		status = report_failure(name, r, &diag, o->timeout_text);
		goto out;
	}
	for (uint32_t i = 0; i < type->result_count; i++)
		print_value(values[slots + i]);
out:
	free(values);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct run_options o;
	ba_wasm_module *module = NULL;
	ba_wasm_store *store = NULL;
	ba_wasm_instance *instance;
	ba_wasm_diag diag;
	ba_wasm_err r;
	int i = 1, status;

	if (argc == 2 && (ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0)) {
		fputs(run_usage, stdout);
		return BA_EXIT_OK;
	}
	memset(&o, 0, sizeof(o));
	status = parse_run_options(argc, argv, &i, &o);
	if (status != BA_EXIT_OK)
		return status;
	if (i >= argc) {
		fputs(run_usage, stderr);
		return BA_EXIT_USAGE;
	}
	status = load_module(argv[i], &module);
	if (status != BA_EXIT_OK)
		return status;
	status = check_imports(argv[i], module);
	if (status != BA_EXIT_OK)
		goto out;
	if (o.timeout_ns)
		o.limits.deadline_ns = ba_mono_ns() + o.timeout_ns;
	store = ba_wasm_store_new(&o.limits);
	if (!store) {
		ba_cli_error("out of memory");
		status = BA_EXIT_FAILED;
		goto out;
	}
	r = ba_wasm_instantiate(store, module, NULL, 0, &instance, &diag);
	if (r != BA_WASM_OK) {
		status = report_failure("instantiate", r, &diag, o.timeout_text);
		goto out;
	}
	status = call_export(instance, &o, argc - i - 1, argv + i + 1);
out:
	ba_wasm_store_free(store);
	ba_wasm_module_release(module);
	return status;
}

int ba_cli_cmd_wasm(int argc, char **argv)
{
	if (argc < 2) {
		fputs(ba_cli_wasm_help, stderr);
		return BA_EXIT_USAGE;
	}
	if (ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0) {
		fputs(ba_cli_wasm_help, stdout);
		return BA_EXIT_OK;
	}
	if (strcmp(argv[1], "validate") == 0)
		return cmd_validate(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	return ba_cli_usage_error("unknown wasm subcommand '%s' (use validate or run)", argv[1]);
}
