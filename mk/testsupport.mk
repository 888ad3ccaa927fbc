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

# tests/support/server.c starts those peers for a test and talks to them
# (see its header). Every unit test links it, like test_main.o: the
# Makefile's link rule names $(TEST_SUPPORT) in its recipe, which sees
# this addition; its prerequisites were fixed before this fragment was
# read, so the object is added to them here.
TEST_SERVER_OBJ := $(BUILD)/obj/tests/support/server.o
TEST_SUPPORT += $(TEST_SERVER_OBJ)
$(UNIT_BINS): $(TEST_SERVER_OBJ)
