# The red-team suite (docs/redteam.md): malicious tools in
# tests/redteam/attacks/NAME.c, built to $(BUILD)/redteam/NAME.wasm next to
# their manifests NAME.yaml, and run by one test script per group.
#
#   make redteam-build                 just the attack tools
#   make unit-test                     runs the groups with everything else
#   REDTEAM_ONLY=fs_dotdot BUILD=... BOXAGENT=... bash tests/redteam/fs.sh
#   REDTEAM_ONLY=name_nul BUILD=... BOXAGENT=... bash tests/redteam/agent.sh

WASM_CC ?= clang
REDTEAM_DIR := $(BUILD)/redteam
REDTEAM_NAMES := $(sort $(basename $(notdir $(wildcard tests/redteam/attacks/*.c))))
REDTEAM_WASM := $(REDTEAM_NAMES:%=$(REDTEAM_DIR)/%.wasm)
REDTEAM_YAML := $(REDTEAM_NAMES:%=$(REDTEAM_DIR)/%.yaml)
# The attacks are wasm32-wasi programs with wasi-libc; strict warnings, but
# not banned.h (which is for host code).
REDTEAM_CFLAGS := --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Itests/redteam \
	-Wl,--strip-debug

.PHONY: redteam-build

redteam-build: $(REDTEAM_WASM) $(REDTEAM_YAML)

$(REDTEAM_DIR)/%.wasm: tests/redteam/attacks/%.c tests/redteam/attack.c tests/redteam/attack.h \
		mk/redteam.mk
	@mkdir -p $(dir $@)
	$(WASM_CC) $(REDTEAM_CFLAGS) $< tests/redteam/attack.c -o $@

# This one asks for 4 GiB of memory in the module itself.
$(REDTEAM_DIR)/limit_initial_memory.wasm: REDTEAM_CFLAGS += -Wl,--initial-memory=4294901760

# The manifest's module: is relative (NAME.wasm), so it goes next to the
# module; the harness fills in the ports and copies both per run.
$(REDTEAM_DIR)/%.yaml: tests/redteam/attacks/%.yaml
	@mkdir -p $(dir $@)
	cp $< $@

# (mk/testsupport.mk adds the test server, $(BUILD)/tests/httpd.)
TEST_DEPS += $(REDTEAM_WASM) $(REDTEAM_YAML)
EXTRA_TEST_SCRIPTS += tests/redteam/fs.sh tests/redteam/env.sh tests/redteam/net.sh \
	tests/redteam/secrets.sh tests/redteam/limits.sh tests/redteam/abi.sh

# The agent groups attack `boxagent run` with a hostile model: the fake
# provider (mk/fakellm.mk), the core tools (mk/tools.mk) and the test
# server, all already in TEST_DEPS; no attack tools of their own.
EXTRA_TEST_SCRIPTS += tests/redteam/agent.sh tests/redteam/agent_stream.sh
