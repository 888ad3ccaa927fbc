/*
 * diff_run.c - runs a module the way `wasm-interp MODULE --run-all-exports
 * --dummy-import-func` (wabt 1.0.32) does, and prints exactly what it
 * prints, so that fuzz/diff_fuzz.sh can compare the two line by line.
 *
 * What wasm-interp does, and so what this does:
 *   - every imported function is a host function that prints
 *     "called host MOD.NAME(ARGS) =>" plus " RESULTS" when it has results
 *     (zeros of the declared types), and returns those zeros;
 *   - any other kind of import cannot be provided, so instantiation fails;
 *   - a failed instantiation (including a trap in the start function)
 *     prints "error initializing module: WHY" on stderr and exits 1;
 *   - then, in one instance and in export order, each exported function
 *     with no parameters is called (ones with parameters are skipped
 *     silently) and printed as "NAME() =>" plus " RESULTS" or
 *     " error: TRAP MESSAGE";
 *   - values print as i32:%u, i64:%llu (both unsigned), f32:%f and f64:%f
 *     (a float is widened to double, so NaN prints as "nan" or "-nan" and
 *     the payload is lost), funcref:N and externref:N with N the object's
 *     index in wabt's store, 0 for null.
 *
 * Where wabt's text carries detail we cannot know (the address of an out
 * of bounds access, a function's index in wabt's store) we print the part
 * before the detail and diff_fuzz.sh cuts wabt's lines the same way.
 *
 * Exit status: 0 ran (traps included), 1 instantiation failed (as
 * wasm-interp), 2 our loader rejected the module, 3 usage, I/O, out of
 * memory or the deadline, 4 the module uses a feature we do not support.
 */
#include "imports.h"

#include "core/file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_RAN         0
#define EXIT_INSTANTIATE 1
#define EXIT_REJECTED    2
#define EXIT_INTERNAL    3
#define EXIT_UNSUPPORTED 4

#define MAX_MODULE_FILE (64u << 20)
/* Well past wasm-interp's own time in diff_fuzz.sh; a module that needs
 * longer here is a finding (a hang), reported with exit 3. */
#define DEADLINE_SECONDS 20

/* wabt's wording for each trap kind (wabt/src/interp/interp*.cc). */
static const char *wabt_trap_message(ba_wasm_trap trap)
{
	switch (trap) {
	case BA_WASM_TRAP_UNREACHABLE:
		return "unreachable executed";
	case BA_WASM_TRAP_MEMORY_OOB:
		return "out of bounds memory access";
	case BA_WASM_TRAP_TABLE_OOB:
		return "out of bounds table access";
	case BA_WASM_TRAP_UNDEFINED_ELEMENT:
		return "undefined table index";
	case BA_WASM_TRAP_UNINITIALIZED_ELEMENT:
		return "uninitialized table element";
	case BA_WASM_TRAP_INDIRECT_TYPE:
		return "indirect call signature mismatch";
	case BA_WASM_TRAP_DIV_ZERO:
		return "integer divide by zero";
	case BA_WASM_TRAP_INT_OVERFLOW:
		return "integer overflow";
	case BA_WASM_TRAP_INVALID_CONVERSION:
		return "invalid conversion to integer";
	case BA_WASM_TRAP_STACK_EXHAUSTED:
		return "call stack exhausted";
	/* No wabt counterpart: these show up as a difference, on purpose. */
	case BA_WASM_TRAP_FUEL_EXHAUSTED:
		return "boxagent: fuel exhausted";
	case BA_WASM_TRAP_INTERRUPTED:
		return "boxagent: interrupted (diff_run deadline)";
	case BA_WASM_TRAP_HOST:
		return "boxagent: host trap";
	case BA_WASM_TRAP_COMPILE:
		return "boxagent: cannot compile";
	case BA_WASM_TRAP_NONE:
		break;
	}
	return "boxagent: unknown trap";
}

static void print_value(ba_wasm_valtype type, const ba_wasm_value *v)
{
	float f;
	double d;

	switch (type) {
	case BA_WASM_I32:
		printf("i32:%" PRIu32, v->of.i32);
		return;
	case BA_WASM_I64:
		printf("i64:%" PRIu64, v->of.i64);
		return;
	case BA_WASM_F32:
		memcpy(&f, &v->of.f32_bits, sizeof(f));
		printf("f32:%f", (double)f);
		return;
	case BA_WASM_F64:
		memcpy(&d, &v->of.f64_bits, sizeof(d));
		printf("f64:%f", d);
		return;
	case BA_WASM_FUNCREF:
		/* wabt prints its store index; any non-zero one compares equal
		 * after diff_fuzz.sh's normalisation. */
		printf("funcref:%d", v->of.funcref ? 1 : 0);
		return;
	case BA_WASM_EXTERNREF:
		printf("externref:%" PRIuPTR, v->of.externref);
		return;
	case BA_WASM_V128:
		break;
	}
	printf("unknown-type-0x%x", (unsigned)type);
}

static void print_values(const ba_wasm_valtype *types, uint32_t n, const ba_wasm_value *values)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", stdout);
		print_value(types[i], &values[i]);
	}
}

/* The "=> RESULTS" tail of a call line that returned normally. */
static void print_results(const ba_wasm_functype *type, const ba_wasm_value *results)
{
	fputs(") =>", stdout);
	if (type->result_count > 0) {
		fputc(' ', stdout);
		print_values(type->results, type->result_count, results);
	}
	fputc('\n', stdout);
}

/* Every imported function: log the call like wabt and return zeros. */
static ba_wasm_err host_log(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                            ba_wasm_value *results)
{
	const ba_fuzz_import *imp = user;
	const ba_wasm_functype *type = &imp->desc.type.func;

	for (uint32_t i = 0; i < type->result_count; i++)
		results[i] = ba_fuzz_zero_value(type->results[i]);
	/* wabt builds the name with "%s.%s", so a NUL inside either part
	 * ends it there; the engine's copies are NUL-terminated, and %s here
	 * cuts at the same place. */
	printf("called host %s.%s(", imp->desc.module_name, imp->desc.name);
	print_values(type->params, type->param_count, args);
	print_results(type, results);
	return BA_WASM_OK;
}

/* Prints the start of wabt's line for an export: the name, with its
 * length, NULs and all, and the empty argument list. */
static void print_export_name(const ba_wasm_export_desc *d)
{
	fwrite(d->name, 1, d->name_len, stdout);
	fputc('(', stdout);
}

/*
 * Calls one export with no parameters and prints the line wabt prints.
 * The line comes after the call, as in wabt, because the host functions
 * the export calls print lines of their own first.
 */
static int run_export(ba_wasm_instance *instance, const ba_wasm_export_desc *d)
{
	const ba_wasm_functype *type = &d->type.func;
	ba_wasm_value *results;
	ba_wasm_extern ext;
	ba_wasm_diag diag;
	ba_wasm_err err;

	if (strlen(d->name) != d->name_len || !ba_wasm_instance_export(instance, d->name, &ext) ||
	    ext.kind != BA_WASM_EXTERN_FUNC) {
		print_export_name(d);
		puts(") => error: diff_run: cannot look this export up by name");
		return EXIT_RAN;
	}
	results = calloc(type->result_count + 1u, sizeof(*results));
	if (!results) {
		fputs("diff_run: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	err = ba_wasm_call(ext.of.func, NULL, 0, results, type->result_count, &diag);
	print_export_name(d);
	if (err == BA_WASM_OK)
		print_results(type, results);
	else if (err == BA_WASM_ERR_TRAP)
		printf(") => error: %s\n", wabt_trap_message(diag.trap));
	else
		printf(") => error: boxagent %s: %s\n", ba_wasm_err_name(err), diag.message);
	free(results);
	if (err == BA_WASM_ERR_TRAP && diag.trap == BA_WASM_TRAP_INTERRUPTED)
		return EXIT_INTERNAL;
	return err == BA_WASM_ERR_NOMEM ? EXIT_INTERNAL : EXIT_RAN;
}

static int run_module(ba_wasm_module *module)
{
	uint32_t n_imports = ba_wasm_module_import_count(module);
	uint32_t n_exports = ba_wasm_module_export_count(module);
	ba_fuzz_import *imports = calloc(n_imports + 1u, sizeof(*imports));
	ba_wasm_extern *externs = calloc(n_imports + 1u, sizeof(*externs));
	ba_wasm_store *store = ba_wasm_store_new(NULL);
	ba_wasm_instance *instance;
	struct timespec now;
	ba_wasm_diag diag;
	ba_wasm_err err;
	uint32_t bad;
	int status = EXIT_RAN;

	if (!imports || !externs || !store) {
		fputs("diff_run: out of memory\n", stderr);
		status = EXIT_INTERNAL;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ba_wasm_store_set_deadline(store, (uint64_t)now.tv_sec * 1000000000u +
	                                          (uint64_t)now.tv_nsec +
	                                          DEADLINE_SECONDS * 1000000000ull);

	bad = ba_fuzz_make_imports(store, module, host_log, NULL, true, imports, externs);
	if (bad != n_imports) {
		fprintf(stderr, "error initializing module: invalid import \"%s.%s\"\n",
		        imports[bad].desc.module_name, imports[bad].desc.name);
		status = EXIT_INSTANTIATE;
		goto out;
	}
	err = ba_wasm_instantiate(store, module, externs, n_imports, &instance, &diag);
	if (err != BA_WASM_OK) {
		fprintf(stderr, "error initializing module: %s\n",
		        err == BA_WASM_ERR_TRAP ? wabt_trap_message(diag.trap) : diag.message);
		status = EXIT_INSTANTIATE;
		goto out;
	}
	for (uint32_t i = 0; i < n_exports && status == EXIT_RAN; i++) {
		ba_wasm_export_desc d;

		ba_wasm_module_export(module, i, &d);
		if (d.type.kind == BA_WASM_EXTERN_FUNC && d.type.func.param_count == 0)
			status = run_export(instance, &d);
	}
out:
	fflush(stdout);
	ba_wasm_store_free(store);
	free(imports);
	free(externs);
	return status;
}

int main(int argc, char **argv)
{
	ba_wasm_module *module;
	ba_wasm_diag diag;
	ba_wasm_err err;
	char msg[512];
	uint8_t *bytes;
	size_t len;
	int status;

	if (argc != 2 || argv[1][0] == '-') {
		fputs("usage: diff_run MODULE.wasm\n"
		      "Runs MODULE like `wasm-interp MODULE --run-all-exports --dummy-import-func`\n"
		      "and prints the same lines (see fuzz/diff_fuzz.sh).\n",
		      stderr);
		return EXIT_INTERNAL;
	}
	if (ba_read_file(argv[1], MAX_MODULE_FILE, &bytes, &len, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "diff_run: %s\n", msg);
		return EXIT_INTERNAL;
	}
	err = ba_wasm_module_load(bytes, len, NULL, &module, &diag);
	free(bytes);
	if (err != BA_WASM_OK) {
		fprintf(stderr, "%s: boxagent %s at offset 0x%zx: %s\n", argv[1],
		        ba_wasm_err_name(err), diag.offset, diag.message);
		if (err == BA_WASM_ERR_UNSUPPORTED)
			return EXIT_UNSUPPORTED;
		return err == BA_WASM_ERR_NOMEM ? EXIT_INTERNAL : EXIT_REJECTED;
	}
	status = run_module(module);
	ba_wasm_module_release(module);
	return status;
}
