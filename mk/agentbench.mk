# The agent loop: what its tests need built, and its benchmark.
#
#   make bench-agent      the loop's own time per step (docs/agent.md)
#
# The agent tests talk to fakellm and run the core tools, so building a
# test builds those too: `make unit-test-bins` then running the binary
# directly works. (This fragment is read before mk/fakellm.mk and
# mk/tools.mk, so it names their files rather than their variables.)

AGENT_TEST_DEPS := $(BUILD)/tests/fakellm
$(BUILD)/tests/agent_loop_test $(BUILD)/tests/agent_crash_test: | $(AGENT_TEST_DEPS) tools

AGENT_BENCH := $(BUILD)/bench/agent_loop
AGENT_BENCH_OBJS := $(BUILD)/obj/bench/agent_loop.o

$(AGENT_BENCH): $(AGENT_BENCH_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(AGENT_BENCH_OBJS) $(LIB) $(LDLIBS_ALL)

-include $(AGENT_BENCH_OBJS:.o=.d)

.PHONY: bench-agent
# Timings mean nothing under sanitizers, as for the other benchmarks.
bench-agent: $(AGENT_BENCH) $(AGENT_TEST_DEPS)
	@if [ -n "$(SANITIZE)" ]; then \
		echo "bench-agent: timings under SANITIZE=$(SANITIZE) mean nothing" >&2; exit 1; fi
	@$(AGENT_BENCH) --fakellm $(BUILD)/tests/fakellm --work $(BUILD)/bench/agent-work

bench: bench-agent
