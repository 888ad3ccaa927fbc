/* Tests for src/core/buf.c: growth, the cap, formatting, detach. */
#include "test.h"

#include "core/buf.h"

#include <stdlib.h>

TEST(append_grows_and_terminates)
{
	ba_buf b;
	ba_buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(ba_buf_append(&b, "abc", 3), 0);
	CHECK_EQ_UINT(b.len, 3000);
	CHECK_EQ_INT(b.data[b.len], '\0');
	CHECK_EQ_INT(memcmp(b.data + 2997, "abc", 3), 0);
	ba_buf_release(&b);
	CHECK(b.data == NULL);
}

TEST(cap_refuses_and_leaves_buffer_unchanged)
{
	ba_buf b;
	ba_buf_init(&b, 5);
	CHECK_EQ_INT(ba_buf_append_str(&b, "hello"), 0);
	CHECK_EQ_INT(ba_buf_append_str(&b, "!"), -1);
	CHECK_EQ_UINT(b.len, 5);
	CHECK_EQ_STR(b.data, "hello");
	CHECK_EQ_INT(ba_buf_printf(&b, "%d", 1), -1);
	CHECK_EQ_STR(b.data, "hello");
	ba_buf_release(&b);
}

TEST(huge_length_does_not_wrap)
{
	ba_buf b;
	ba_buf_init(&b, SIZE_MAX);
	CHECK_EQ_INT(ba_buf_append_str(&b, "x"), 0);
	/* len + SIZE_MAX would wrap to a tiny number if unchecked. */
	CHECK_EQ_INT(ba_buf_append(&b, "y", SIZE_MAX), -1);
	CHECK_EQ_UINT(b.len, 1);
	ba_buf_release(&b);
}

TEST(printf_formats)
{
	ba_buf b;
	ba_buf_init(&b, 100);
	CHECK_EQ_INT(ba_buf_printf(&b, "%s=%d", "x", 42), 0);
	CHECK_EQ_INT(ba_buf_printf(&b, ",%05.1f", 2.25), 0);
	CHECK_EQ_STR(b.data, "x=42,002.2");
	ba_buf_reset(&b);
	CHECK_EQ_UINT(b.len, 0);
	CHECK_EQ_STR(b.data, "");
	ba_buf_release(&b);
}

TEST(detach_empty_gives_empty_string)
{
	ba_buf b;
	size_t len = 99;
	char *s;
	ba_buf_init(&b, 10);
	s = ba_buf_detach(&b, &len);
	CHECK(s != NULL);
	CHECK_EQ_UINT(len, 0);
	CHECK_EQ_STR(s, "");
	free(s);
	CHECK_EQ_INT(ba_buf_append_str(&b, "abc"), 0);
	s = ba_buf_detach(&b, &len);
	CHECK_EQ_STR(s, "abc");
	CHECK_EQ_UINT(len, 3);
	CHECK(b.data == NULL);
	free(s);
}
