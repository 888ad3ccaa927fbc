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

# ------------------------------------------------------------ core tools
#
# Each tool is tools/NAME/ with NAME.c (plus any other .c files there), a
# manifest tool.yaml and a black-box test.sh. It is linked against wasi-libc
# and the SDK (sdk/*.c, compiled once to wasm32 objects) into
# $(BUILD)/tools/NAME/NAME.wasm, and its manifest is copied next to it, so
# `boxagent tool run $(BUILD)/tools/NAME/tool.yaml` finds the module.

# Every tools/NAME/ with a manifest is one (tools/demo has none: it is
# freestanding and run with `boxagent wasm run`).
CORE_TOOLS := $(patsubst tools/%/tool.yaml,%,$(wildcard tools/*/tool.yaml))

# The host's warning set, minus what only makes sense for native code.
TOOL_CFLAGS := --target=wasm32-wasi -std=c11 -O2 -D_GNU_SOURCE -Isdk \
	-include src/core/banned.h $(WARNINGS)
TOOL_LDFLAGS := --target=wasm32-wasi -Wl,--strip-debug -Wl,--gc-sections

SDK_SRCS := $(wildcard sdk/*.c)
SDK_WASM_OBJS := $(SDK_SRCS:sdk/%.c=$(BUILD)/tools/sdk/%.o)

$(BUILD)/tools/sdk/%.o: sdk/%.c sdk/boxagent.h mk/tools.mk
	@mkdir -p $(dir $@)
	$(WASM_CC) $(TOOL_CFLAGS) -c $< -o $@

# tool_template NAME: the rules for one tool.
define tool_template
$(BUILD)/tools/$(1)/$(1).wasm: $(wildcard tools/$(1)/*.c) $(wildcard tools/$(1)/*.h) \
		$(SDK_WASM_OBJS) sdk/boxagent.h mk/tools.mk
	@mkdir -p $$(dir $$@)
	$(WASM_CC) $(TOOL_CFLAGS) $(TOOL_LDFLAGS) -Itools/$(1) $(wildcard tools/$(1)/*.c) \
		$(SDK_WASM_OBJS) -o $$@

$(BUILD)/tools/$(1)/tool.yaml: tools/$(1)/tool.yaml
	@mkdir -p $$(dir $$@)
	cp $$< $$@
endef
$(foreach t,$(CORE_TOOLS),$(eval $(call tool_template,$(t))))

CORE_TOOL_FILES := $(foreach t,$(CORE_TOOLS),$(BUILD)/tools/$(t)/$(t).wasm \
	$(BUILD)/tools/$(t)/tool.yaml)

tools: $(DEMO_WASM) $(CORE_TOOL_FILES)

TEST_DEPS += $(CORE_TOOL_FILES)
RUN_DEPS += $(CORE_TOOL_FILES)
EXTRA_TEST_SCRIPTS += $(wildcard tools/*/test.sh)
