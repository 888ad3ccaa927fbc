# Tools written in C and built to wasm32 with Debian's clang + lld
# (scripts/install-deps installs clang, lld, wasi-libc and the wasm32
# compiler runtime).

WASM_CC ?= clang
WASM_CFLAGS ?= --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug
# Freestanding tools: no libc, no WASI imports, exports named in the source.
WASM_FREESTANDING := -nostdlib -Wl,--no-entry

DEMO_WASM := $(BUILD)/tools/demo.wasm

$(BUILD)/tools/demo.wasm: tools/demo/demo.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_FREESTANDING) $< -o $@

RUN_DEPS += $(DEMO_WASM)
