# Programs the tests use as real peers: tests/support/httpd.c, a small
# HTTP/1.1 server on loopback (see its header for routes and usage).
# Tests find it as $BUILD/tests/httpd (the runner exports BUILD).

HTTPD := $(BUILD)/tests/httpd

$(HTTPD): $(BUILD)/obj/tests/support/httpd.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

TEST_DEPS += $(HTTPD)

# The egress tests start httpd themselves; building them builds it too, so
# `make unit-test-bins` followed by running the binary directly works.
$(BUILD)/tests/sandbox_egress_test: | $(HTTPD)
RUN_DEPS += $(HTTPD)

# Tests start those peers with tests/support/server.c, which every unit
# test links (TEST_SUPPORT in the Makefile).
