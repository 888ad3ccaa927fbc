# boxagent - plain GNU make. `make help` lists the targets.
#
#   make                      build build/boxagent
#   make run                  install what is missing, build, run the demo
#   make test                 install what is missing, build, run every test
#   make SANITIZE=address,undefined test   the same under ASan+UBSan
#   make CC=clang ...         any C11 compiler with GNU extensions
#
# Modules live in src/<module>/; every .c file there is part of
# libboxagent.a except src/cli/, which is the only code allowed to exit().
# The order below is the dependency order: a module may include headers of
# modules listed before it, never after (see docs/ARCHITECTURE.md).

MODULES := core wasm sandbox tool llm store agent

CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif

SANITIZE ?=
# A separate build folder per compiler/sanitizer mix, so switching never
# mixes objects built with different flags.
ifeq ($(SANITIZE),)
BUILD ?= build
else
BUILD ?= build/san-$(subst $(comma),-,$(SANITIZE))
endif
comma := ,

OPT ?= -O2
# Warnings: -Werror keeps the tree clean under both gcc and clang.
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wundef -Wvla -Wwrite-strings -Wimplicit-fallthrough -Wpointer-arith \
	-Wcast-qual -Wno-unused-parameter
CPPFLAGS_BASE := -D_GNU_SOURCE -Isrc
# -fno-math-errno: nothing reads errno after a math call, and without it
# sqrt() keeps a call into libm for negative inputs (see wasm/fround.h).
CFLAGS_BASE := -std=c11 $(OPT) -g -fno-strict-aliasing -fno-math-errno -include src/core/banned.h
ifneq ($(SANITIZE),)
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_BASE += -fsanitize=$(SANITIZE)
endif

# Debian libraries, found with pkg-config (scripts/install-deps installs
# them). PKGS is what libboxagent itself links; the core engine needs none,
# which keeps process start lean. Test-only libraries are kept apart.
# libcurl is not linked: sandbox/egress.c dlopen()s it at the first network
# request (its 38 libraries cost ~6 ms of start-up that tools without
# network must not pay); only its headers are needed at build time.
PKGS := jansson yaml-0.1
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
# SQLite likewise: store/ dlopen()s libsqlite3.so.0 when a store is first
# opened, so a tool run never maps it; only sqlite3.h is needed to build.
SQLITE_CFLAGS := $(shell pkg-config --cflags sqlite3 2>/dev/null)
PKG_CFLAGS := $(if $(PKGS),$(shell pkg-config --cflags $(PKGS)))
# jansson, libyaml and libm are linked statically (Debian's -dev packages
# ship the archives): each shared library costs every tool run its
# mapping, relocation and page faults (~10 us each on a VM), and these
# are small. libc stays shared.
PKG_LIBS := -Wl$(comma)-Bstatic $(if $(PKGS),$(shell pkg-config --libs $(PKGS))) -lm \
	-Wl$(comma)-Bdynamic
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)

ALL_CFLAGS = $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(WARNINGS) $(PKG_CFLAGS) $(CURL_CFLAGS) $(SQLITE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_BASE) $(LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -ldl $(LDLIBS)

LIB_SRCS := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS := $(wildcard src/cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libboxagent.a
BIN := $(BUILD)/boxagent

UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Linked into every unit test: the case runner, and tests/support/server.c,
# which starts the real peers (httpd, fakellm) a test talks to.
TEST_SUPPORT := $(BUILD)/obj/tests/test_main.o $(BUILD)/obj/tests/support/server.o
RUNNER := $(BUILD)/tests/runner

# Objects of test programs are intermediate files to make; keep them so a
# rerun does not rebuild every test.
.SECONDARY:

.PHONY: all run test unit-test unit-test-bins help deps format format-check compdb clean \
	spectest bench fuzz tools check-deps

all: $(BIN)

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------- build

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS_ALL)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)

# ---------------------------------------------------------------- tests

# Test sources include "test.h" from tests/.
$(BUILD)/obj/tests/%.o: CPPFLAGS_BASE += -Itests

$(BUILD)/tests/%_test: $(BUILD)/obj/tests/unit/%_test.o $(TEST_SUPPORT) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_SUPPORT) $(LIB) $(LDLIBS_ALL)

$(RUNNER): $(BUILD)/obj/tests/runner.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

-include $(wildcard $(BUILD)/obj/tests/*.d $(BUILD)/obj/tests/*/*.d)

# Extra make fragments (spec suite, benchmarks, fuzzing, wasm tools).
include $(sort $(wildcard mk/*.mk))

TEST_BINS := $(UNIT_BINS) $(EXTRA_TEST_BINS)
# Black-box test scripts; fragments add theirs (core tools, red team) to
# EXTRA_TEST_SCRIPTS and what those scripts need built to TEST_DEPS.
CLI_TESTS := $(sort $(wildcard tests/cli/*.sh)) $(EXTRA_TEST_SCRIPTS)

# Installs what is missing (quiet when everything is there), then tests.
test: deps
	@$(MAKE) --no-print-directory unit-test

unit-test-bins: $(TEST_BINS)

unit-test: $(BIN) $(RUNNER) $(TEST_BINS) $(TEST_DEPS)
	BOXAGENT=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) $(RUNNER) $(TEST_BINS) $(CLI_TESTS)

run: deps
	@$(MAKE) --no-print-directory $(BIN) $(RUN_DEPS)
	@BUILD=$(BUILD) sh scripts/demo

deps:
	@sh scripts/install-deps

# ---------------------------------------------------------------- tooling

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: clean"

# compile_commands.json for clangd/clang-tidy, via bear. It builds from
# scratch in a folder of its own so that every file is compiled (and so
# recorded) without touching the normal build.
compdb:
	rm -rf build/compdb
	bear --output compile_commands.json -- $(MAKE) --no-print-directory BUILD=build/compdb \
		build/compdb/boxagent build/compdb/tests/runner unit-test-bins

clean:
	rm -rf build
