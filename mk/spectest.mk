# The official WebAssembly spec suite, run by tests/spec/spectest.c.
#
#   make spectest    every .wast file, with a summary per file and in total
#
# The same program speaks the test protocol (tests/test.h), so `make test`
# runs each .wast file as a case of its own. BA_WASM_TESTSUITE points at the
# suite (default ../shared/wasm-testsuite) and BA_SPEC_CACHE at the folder
# for wast2json's conversions (default build/spec-json).

SPECTEST := $(BUILD)/tests/spectest
SPECTEST_OBJS := $(BUILD)/obj/tests/spec/spectest.o

# The runner reads wast2json's JSON with jansson; the library does not.
$(SPECTEST_OBJS): CFLAGS += $(JANSSON_CFLAGS)

$(SPECTEST): $(SPECTEST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SPECTEST_OBJS) $(LIB) $(JANSSON_LIBS) $(LDLIBS_ALL)

EXTRA_TEST_BINS += $(SPECTEST)

# Exit status 77 means "no suite here"; the program has said how to point
# at one, and that is not a failure of the build.
spectest: $(SPECTEST)
	$(SPECTEST) --all || [ $$? -eq 77 ]
