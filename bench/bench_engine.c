/*
 * bench_engine.c - runs benchmark kernels in boxagent's own engine, in
 * process, through the public API in src/wasm/wasm.h only.
 *
 *	usage: bench_engine call fuel|nofuel KERNEL.wasm N [REPEATS]
 *	       bench_engine instantiate [ITERATIONS]
 *
 * call: loads the module once, then up to REPEATS times (default 3) makes
 * a fresh store and instance and times only the bench_run(N) call, like
 * native_main.c and run_node.mjs. "fuel" gives the store a budget too big
 * to run out, so the metering code runs but never stops the guest;
 * "nofuel" sets fuel 0 (unlimited), the cheapest mode. Repeats stop early
 * once REPEAT_BUDGET_S seconds have gone into calls, because on a slow
 * build three full runs of every kernel would make `make bench` crawl.
 * Prints
 *
 *	checksum=1234abcd seconds=0.123456 load_seconds=0.000321 runs=3
 *
 * instantiate: the fixed cost of one short tool call. Loads a tiny module
 * (one exported "add") once, then ITERATIONS times (default 100000):
 * store_new, instantiate, look up the export, call it, store_free. Prints
 * the mean per iteration:
 *
 *	instantiate_us=1.234 iterations=100000
 *
 * Exit status: 0 on success, 1 when the engine reports an error or a wrong
 * result, 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver_util.h"

#include "wasm/wasm.h"

#define REPEAT_BUDGET_S 6.0
/* Big enough never to run out, small enough that the engine's counter
 * arithmetic cannot overflow whatever way it counts. */
#define HUGE_FUEL (UINT64_MAX / 2)

static void report(const char *what, ba_wasm_err err, const ba_wasm_diag *diag)
{
	fprintf(stderr, "bench_engine: %s: %s", what, ba_wasm_err_name(err));
	if (diag->trap != BA_WASM_TRAP_NONE)
		fprintf(stderr, " (%s)", ba_wasm_trap_message(diag->trap));
	if (diag->message[0] != '\0')
		fprintf(stderr, ": %s", diag->message);
	fputc('\n', stderr);
}

/* Reads a whole file into a malloc'd buffer; NULL (after a message) on
 * failure. */
static uint8_t *read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		fprintf(stderr, "bench_engine: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nbuf = realloc(buf, ncap);

			if (nbuf == NULL) {
				fprintf(stderr, "bench_engine: %s: out of memory\n", path);
				goto fail;
			}
			buf = nbuf;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);

		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "bench_engine: %s: read error\n", path);
		goto fail;
	}
	fclose(f);
	*len_out = len;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* Instantiates module in a new store and finds the exported function. */
static int instantiate(ba_wasm_module *module, const ba_wasm_limits *limits, const char *name,
                       ba_wasm_store **store_out, ba_wasm_func **func_out)
{
	ba_wasm_diag diag;
	ba_wasm_instance *inst;
	ba_wasm_extern ext;
	ba_wasm_err err;
	ba_wasm_store *store = ba_wasm_store_new(limits);

	if (store == NULL) {
		fprintf(stderr, "bench_engine: store_new: out of memory\n");
		return -1;
	}
	err = ba_wasm_instantiate(store, module, NULL, 0, &inst, &diag);
	if (err != BA_WASM_OK) {
		report("instantiate", err, &diag);
		goto fail;
	}
	if (!ba_wasm_instance_export(inst, name, &ext) || ext.kind != BA_WASM_EXTERN_FUNC) {
		fprintf(stderr, "bench_engine: no exported function \"%s\"\n", name);
		goto fail;
	}
	*store_out = store;
	*func_out = ext.of.func;
	return 0;
fail:
	ba_wasm_store_free(store);
	return -1;
}

static int cmd_call(int argc, char **argv)
{
	const ba_wasm_load_options eager = {.eager = true};
	ba_wasm_limits limits = {0};
	ba_wasm_module *module = NULL;
	ba_wasm_diag diag;
	ba_wasm_err err;
	uint8_t *bytes;
	size_t len;
	uint32_t n, repeats = 3, runs = 0, checksum = 0;
	double best = -1.0, spent = 0.0, load_s, t0;
	uint64_t fuel_used = 0;
	bool fuel;
	int rc = 1;

	if (argc < 5 || argc > 6 || parse_u32(argv[4], &n) != 0 ||
	    (argc == 6 && (parse_u32(argv[5], &repeats) != 0 || repeats == 0)))
		return 2;
	if (strcmp(argv[2], "fuel") == 0)
		fuel = true;
	else if (strcmp(argv[2], "nofuel") == 0)
		fuel = false;
	else
		return 2;
	limits.fuel = fuel ? HUGE_FUEL : 0;

	bytes = read_file(argv[3], &len);
	if (bytes == NULL)
		return 1;
	/* Eager: load_seconds covers compiling every body, and no timed
	 * call pays for compiling on first call. */
	t0 = now_seconds();
	err = ba_wasm_module_load(bytes, len, &eager, &module, &diag);
	load_s = now_seconds() - t0;
	free(bytes);
	if (err != BA_WASM_OK) {
		report(argv[3], err, &diag);
		return 1;
	}

	while (runs < repeats && (runs == 0 || spent < REPEAT_BUDGET_S)) {
		ba_wasm_store *store;
		ba_wasm_func *func;
		ba_wasm_value arg = ba_wasm_i32(n), result;
		double t;

		if (instantiate(module, &limits, "bench_run", &store, &func) != 0)
			goto out;
		t0 = now_seconds();
		err = ba_wasm_call(func, &arg, 1, &result, 1, &diag);
		t = now_seconds() - t0;
		if (fuel)
			fuel_used = ba_wasm_store_fuel_consumed(store);
		ba_wasm_store_free(store);
		if (err != BA_WASM_OK) {
			report("bench_run", err, &diag);
			goto out;
		}
		if (result.type != BA_WASM_I32) {
			fprintf(stderr, "bench_engine: bench_run returned a %s\n",
			        ba_wasm_valtype_name(result.type));
			goto out;
		}
		if (runs > 0 && result.of.i32 != checksum) {
			fprintf(stderr,
			        "bench_engine: checksum changed between runs: %08x then %08x\n",
			        (unsigned)checksum, (unsigned)result.of.i32);
			goto out;
		}
		checksum = result.of.i32;
		if (best < 0 || t < best)
			best = t;
		spent += t;
		runs++;
	}
	printf("checksum=%08x seconds=%.6f load_seconds=%.6f runs=%u", (unsigned)checksum, best,
	       load_s, (unsigned)runs);
	if (fuel)
		printf(" fuel_used=%llu", (unsigned long long)fuel_used);
	putchar('\n');
	rc = 0;
out:
	ba_wasm_module_release(module);
	return rc;
}

/*
 * (module (func (export "add") (param i32 i32) (result i32)
 *   local.get 0 local.get 1 i32.add))
 */
static const uint8_t add_module[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* magic, version */
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, /* type (i32 i32)->i32 */
        0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0 */
        0x07, 0x07, 0x01, 0x03, 'a',  'd',  'd',  0x00, 0x00, /* export "add" */
        0x0a, 0x09, 0x01, 0x07, 0x00,                         /* code, no locals */
        0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,                   /* body */
};

/* One short tool call's fixed cost: a fresh store each time, as the
 * runtime does per call. */
static int instantiate_once(ba_wasm_module *module, uint32_t i)
{
	ba_wasm_store *store;
	ba_wasm_func *func;
	ba_wasm_value args[2] = {ba_wasm_i32(i), ba_wasm_i32(3)}, result;
	ba_wasm_diag diag;
	ba_wasm_err err;

	if (instantiate(module, NULL, "add", &store, &func) != 0)
		return -1;
	err = ba_wasm_call(func, args, 2, &result, 1, &diag);
	ba_wasm_store_free(store);
	if (err != BA_WASM_OK) {
		report("add", err, &diag);
		return -1;
	}
	if (result.type != BA_WASM_I32 || result.of.i32 != i + 3) {
		fprintf(stderr, "bench_engine: add(%u, 3) gave a wrong result\n", (unsigned)i);
		return -1;
	}
	return 0;
}

static int cmd_instantiate(int argc, char **argv)
{
	ba_wasm_module *module = NULL;
	ba_wasm_diag diag;
	ba_wasm_err err;
	uint32_t iterations = 100000;
	double t0, t;
	int rc = 1;

	if (argc > 3 || (argc == 3 && (parse_u32(argv[2], &iterations) != 0 || iterations == 0)))
		return 2;
	err = ba_wasm_module_load(add_module, sizeof(add_module), NULL, &module, &diag);
	if (err != BA_WASM_OK) {
		report("add module", err, &diag);
		return 1;
	}
	/* Warm the allocator and caches so the first iterations do not skew
	 * a mean meant to show the steady state. */
	for (uint32_t i = 0; i < 1000; i++)
		if (instantiate_once(module, i) != 0)
			goto out;
	t0 = now_seconds();
	for (uint32_t i = 0; i < iterations; i++)
		if (instantiate_once(module, i) != 0)
			goto out;
	t = now_seconds() - t0;
	printf("instantiate_us=%.3f iterations=%u\n", t * 1e6 / iterations, (unsigned)iterations);
	rc = 0;
out:
	ba_wasm_module_release(module);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 2 && strcmp(argv[1], "call") == 0)
		rc = cmd_call(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "instantiate") == 0)
		rc = cmd_instantiate(argc, argv);
	if (rc == 2)
		fprintf(stderr,
		        "usage: %s call fuel|nofuel KERNEL.wasm N [REPEATS]\n"
		        "       %s instantiate [ITERATIONS]\n",
		        argv[0], argv[0]);
	return rc;
}
