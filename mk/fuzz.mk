# Fuzzing (docs/fuzzing.md).
#
#   make fuzz [FUZZ_SECONDS=60]          build the libFuzzer targets and run
#                                        each for FUZZ_SECONDS seconds
#   make fuzz-replay                     run each target once over the
#                                        committed corpus (regressions)
#   make fuzz-diff [DIFF_MODULES=1000]   differential run against wabt's
#                                        wasm-interp on wasm-opt -ttf modules
#   make fuzz-corpus                     regenerate fuzz/corpus/ (committed)
#
# libFuzzer needs clang and its runtime (libclang-rt-14-dev). The library
# is compiled a second time with the sanitizers and coverage instrumentation
# into $(FUZZ_DIR)/obj/, so these objects never mix with the normal build.
#
# Targets: load, run (the wasm engine); url, caps, addr, secrets, manifest,
# audit (the sandbox's parsers of outside input); llm_config, llm_stream
# (the provider configuration and the model's streamed answers). Each is
# fuzz/fuzz_NAME.c with its seeds in fuzz/corpus/NAME/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
DIFF_MODULES ?= 1000
DIFF_SEED ?= 1
FUZZ_DIR := $(BUILD)/fuzz

# -fno-sanitize-recover makes every UBSan report abort, so libFuzzer sees a
# crash and saves the input instead of printing a warning and going on.
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(WARNINGS) $(PKG_CFLAGS) $(CURL_CFLAGS) $(SQLITE_CFLAGS) \
	$(FUZZ_SAN)
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
# Shared libraries here: libFuzzer's runtime calls libm (log), and glibc's
# static libm needs the static libc for its ifuncs. Start-up time, the
# reason the boxagent binary links them statically, does not matter here.
FUZZ_LDLIBS := $(if $(PKGS),$(shell pkg-config --libs $(PKGS))) -lm -lpthread -ldl

FUZZ_TARGETS := load run url caps addr secrets manifest audit llm_config llm_stream
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB := $(FUZZ_DIR)/libboxagent-fuzz.a
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) \
	$(FUZZ_DIR)/obj/fuzz/check.o $(FUZZ_DIR)/obj/fuzz/imports.o
DIFF_RUN := $(FUZZ_DIR)/diff_run
DIFF_RUN_OBJS := $(BUILD)/obj/fuzz/diff_run.o $(BUILD)/obj/fuzz/imports.o
# The libFuzzer options every run uses: 2 GiB of RSS, and an input that
# takes 10 s is a finding (the store's fuel makes every honest module far
# quicker than that, and the sandbox parsers are linear or close to it).
FUZZ_OPTS := -rss_limit_mb=2048 -timeout=10
# Per target: the longest input (a bit over what the API accepts, so the
# "too long" paths are reached too) and a dictionary of the format's tokens.
FUZZ_OPTS_load := -max_len=65536 -dict=fuzz/wasm.dict
FUZZ_OPTS_run := -max_len=65536 -dict=fuzz/wasm.dict
FUZZ_OPTS_url := -max_len=17000 -dict=fuzz/url.dict
FUZZ_OPTS_caps := -max_len=4096 -dict=fuzz/caps.dict
FUZZ_OPTS_addr := -max_len=64
FUZZ_OPTS_secrets := -max_len=4096
FUZZ_OPTS_manifest := -max_len=16384 -dict=fuzz/manifest.dict
FUZZ_OPTS_audit := -max_len=40000 -dict=fuzz/audit.dict
FUZZ_OPTS_llm_config := -max_len=8192 -dict=fuzz/llm_config.dict
FUZZ_OPTS_llm_stream := -max_len=65536 -dict=fuzz/llm_stream.dict

.PHONY: fuzz-build fuzz-replay fuzz-diff fuzz-corpus

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(FUZZ_LDLIBS)

# (The main Makefile's bare .SECONDARY keeps these objects; naming targets
# here would narrow it to just them.)

# The driver links the normal library, built with $(CC) and the usual flags.
$(DIFF_RUN): $(DIFF_RUN_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(DIFF_RUN_OBJS) $(LIB) $(LDLIBS_ALL)

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/*/*/*.d $(BUILD)/obj/fuzz/*.d)

fuzz-build: $(FUZZ_BINS) $(DIFF_RUN)

# One shell command per target (its options are make variables, so the loop
# is unrolled by make); a failing target does not stop the others.
fuzz:
	@sh scripts/install-deps fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@status=0; \
	$(foreach t,$(FUZZ_TARGETS),sh fuzz/run-fuzzer.sh $(FUZZ_DIR)/fuzz_$(t) fuzz/corpus/$(t) \
		$(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_OPTS) $(FUZZ_OPTS_$(t)) || status=1;) \
	exit $$status

fuzz-replay: $(FUZZ_BINS)
	@status=0; \
	$(foreach t,$(FUZZ_TARGETS),echo "fuzz-replay: fuzz_$(t) over fuzz/corpus/$(t)"; \
		$(FUZZ_DIR)/fuzz_$(t) $(FUZZ_OPTS) $(FUZZ_OPTS_$(t)) fuzz/corpus/$(t)/* \
			2>$(FUZZ_DIR)/replay-$(t).log \
		|| { status=1; tail -n 40 $(FUZZ_DIR)/replay-$(t).log; };) \
	exit $$status

fuzz-diff:
	@sh scripts/install-deps fuzz
	@$(MAKE) --no-print-directory $(DIFF_RUN)
	@sh fuzz/diff_fuzz.sh -n $(DIFF_MODULES) -s $(DIFF_SEED) -d $(DIFF_RUN) -o $(FUZZ_DIR)

fuzz-corpus:
	sh fuzz/make-corpus.sh
