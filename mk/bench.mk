# Benchmarks: boxagent's engine against native code, node and wabt's
# wasm-interp, on the kernels in bench/kernels/ (docs/benchmarks.md).
#
#   make bench                       build everything and print the table
#   make bench BENCH_KERNELS="fib sort"   only some kernels
#   make bench-build                 just the kernels (wasm and native)
#   make bench-engine                just the in-process boxagent driver
#
# Timings only mean something from an optimized build without sanitizers,
# so `make bench` refuses to run with SANITIZE set.

WASM_CC ?= clang
BENCH_DIR := $(BUILD)/bench
# The host compiler for the native baseline; `make bench
# BENCH_NATIVE_CC=clang` compares against the same compiler as the wasm.
BENCH_NATIVE_CC ?= cc

BENCH_NAMES := $(sort $(basename $(notdir $(wildcard bench/kernels/*.c))))
BENCH_WASM := $(BENCH_NAMES:%=$(BENCH_DIR)/%.wasm)
BENCH_WASM_MAIN := $(BENCH_NAMES:%=$(BENCH_DIR)/%.main.wasm)
BENCH_NATIVE := $(BENCH_NAMES:%=$(BENCH_DIR)/native/%)
BENCH_ENGINE := $(BENCH_DIR)/bench_engine
BENCH_ENGINE_OBJS := $(BUILD)/obj/bench/bench_engine.o

# Kernels are freestanding C: the project's warnings, but not banned.h or
# -g, and the same -O2 for both targets. No FMA contraction, so float
# results are bit-identical to wasm (which has no fused multiply-add) even
# if someone adds -march=native.
BENCH_KERNEL_CFLAGS := -std=c11 -O2 -ffp-contract=off $(WARNINGS)
BENCH_WASM_FLAGS := --target=wasm32-wasi $(BENCH_KERNEL_CFLAGS) -nostdlib \
	-Wl,--no-entry -Wl,--strip-debug

.PHONY: bench-build bench-engine bench-tools

bench-build: $(BENCH_WASM) $(BENCH_WASM_MAIN) $(BENCH_NATIVE)

bench-engine: $(BENCH_ENGINE)

# Says what to install instead of letting clang fail obscurely. Order-only
# below, so it never forces a rebuild.
bench-tools:
	@command -v $(WASM_CC) >/dev/null 2>&1 || { echo "bench: no $(WASM_CC); install clang (Debian: sh scripts/install-deps bench)" >&2; exit 1; }
	@command -v wasm-ld >/dev/null 2>&1 || { echo "bench: no wasm-ld; install lld (Debian: sh scripts/install-deps bench)" >&2; exit 1; }

# Every kernel also depends on this file, so changing a flag here rebuilds.
$(BENCH_DIR)/%.wasm: bench/kernels/%.c bench/kernels/support.h mk/bench.mk | bench-tools
	@mkdir -p $(dir $@)
	$(WASM_CC) $(BENCH_WASM_FLAGS) -Wl,--export=bench_run $< -o $@

# wasm-interp's copy: n from bench/kernels.txt compiled in, exported as a
# function without parameters (see support.h).
$(BENCH_DIR)/%.main.wasm: bench/kernels/%.c bench/kernels/support.h bench/kernels.txt mk/bench.mk \
		| bench-tools
	@mkdir -p $(dir $@)
	@n=$$(awk -v k=$* '$$1 == k { print $$2 }' bench/kernels.txt); \
	if [ -z "$$n" ]; then echo "bench: $* has no line in bench/kernels.txt" >&2; exit 1; fi; \
	echo "$(WASM_CC) ... -DBENCH_N=$$n $< -o $@"; \
	$(WASM_CC) $(BENCH_WASM_FLAGS) -Wl,--export=bench_main -DBENCH_N=$$n $< -o $@

$(BENCH_DIR)/native/%: bench/kernels/%.c bench/kernels/support.h bench/native_main.c bench/driver_util.h mk/bench.mk
	@mkdir -p $(dir $@)
	$(BENCH_NATIVE_CC) $(BENCH_KERNEL_CFLAGS) -o $@ bench/native_main.c $<

$(BENCH_ENGINE): $(BENCH_ENGINE_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(BENCH_ENGINE_OBJS) $(LIB) $(LDLIBS_ALL)

-include $(BENCH_ENGINE_OBJS:.o=.d)

# The engine is still being written: when it does not build, the table is
# printed without the boxagent columns rather than not at all (the build
# error stays on the screen). A peer that is not installed is n/a too;
# clang and lld are required.
bench:
	@if [ -n "$(SANITIZE)" ]; then \
		echo "bench: timings under SANITIZE=$(SANITIZE) mean nothing; run plain 'make bench'" >&2; \
		exit 1; \
	fi
	@sh scripts/install-deps bench || echo "bench: continuing without what is missing (shown as n/a)" >&2
	@$(MAKE) --no-print-directory bench-build
	@$(MAKE) --no-print-directory bench-engine || { \
		echo "bench: *** the boxagent engine does not build; its columns show n/a" >&2; \
		rm -f $(BENCH_ENGINE); }
	@BENCH_DIR=$(BENCH_DIR) BENCH_NO_BUILD=1 BENCH_KERNELS="$(BENCH_KERNELS)" bash bench/run.sh
	@$(MAKE) --no-print-directory $(BIN) bench-startup-build
	@BENCH_DIR=$(BENCH_DIR) BOXAGENT=$(BIN) bash bench/startup.sh

# Start-up: one trivial program, natively and as a tool (bench/startup.sh).
.PHONY: bench-startup bench-startup-build
bench-startup-build: $(BENCH_DIR)/startup/trivial $(BENCH_DIR)/startup/trivial.wasm \
	$(BENCH_DIR)/startup/spawn

bench-startup: $(BIN) bench-startup-build
	@BENCH_DIR=$(BENCH_DIR) BOXAGENT=$(BIN) bash bench/startup.sh

$(BENCH_DIR)/startup/trivial: bench/startup/trivial.c
	@mkdir -p $(dir $@)
	$(BENCH_NATIVE_CC) -std=c11 -O2 $(WARNINGS) -o $@ $<

$(BENCH_DIR)/startup/trivial.wasm: bench/startup/trivial.c | bench-tools
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi -std=c11 -O2 $(WARNINGS) -Wl,--strip-debug -o $@ $<

$(BENCH_DIR)/startup/spawn: bench/startup/spawn.c bench/driver_util.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARNINGS) -o $@ $<
