# Guest programs for the WASI host's unit tests (tests/unit/sandbox_wasi_test.c):
# each tests/wasi/NAME.c becomes $(BUILD)/tests/wasi/NAME.wasm, built with
# clang and wasi-libc before the tests run. The test finds them through the
# BUILD variable the runner exports.

WASM_CC ?= clang
WASI_TEST_CFLAGS ?= --target=wasm32-wasi -O2 -Wall -Wextra -Werror

WASI_TEST_SRCS := $(wildcard tests/wasi/*.c)
WASI_TEST_WASMS := $(WASI_TEST_SRCS:tests/wasi/%.c=$(BUILD)/tests/wasi/%.wasm)

$(BUILD)/tests/wasi/%.wasm: tests/wasi/%.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASI_TEST_CFLAGS) $< -o $@

.PHONY: wasi-test-guests
wasi-test-guests: $(WASI_TEST_WASMS)

TEST_DEPS += $(WASI_TEST_WASMS)
