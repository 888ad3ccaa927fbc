# The fake model provider the agent-runtime tests talk to:
# tests/support/fakellm.c replays scripted HTTP responses on loopback (see
# its header for the script format and usage). Tests find it as
# $BUILD/tests/fakellm (the runner exports BUILD).

FAKELLM := $(BUILD)/tests/fakellm

$(FAKELLM): $(BUILD)/obj/tests/support/fakellm.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

TEST_DEPS += $(FAKELLM)
RUN_DEPS += $(FAKELLM)

# Its own test starts it; building the test builds it too, so
# `make unit-test-bins` followed by running the binary directly works.
$(BUILD)/tests/support_fakellm_test: | $(FAKELLM)
$(BUILD)/tests/llm_http_test $(BUILD)/tests/llm_chat_test: | $(FAKELLM)
