/*
 * llm_sse_test.c - the server-sent events parser (llm/sse.h).
 */
#include "test.h"

#include "llm/sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records every event as "<name>|<data>\n" (data bytes as they are). */
typedef struct rec {
	ba_buf log;
	int stop_at; /* return 7 from this event (1-based); 0 = never */
	int seen;
} rec;

static int on_event(void *user, const char *event, const char *data, size_t len)
{
	rec *r = user;
	CHECK(event != NULL && data != NULL);
	CHECK_EQ_UINT(strlen(data) <= len, 1); /* NUL-terminated at len at least */
	CHECK(data[len] == '\0');
	CHECK(ba_buf_append_str(&r->log, event) == 0);
	CHECK(ba_buf_append(&r->log, "|", 1) == 0);
	CHECK(ba_buf_append(&r->log, data, len) == 0);
	CHECK(ba_buf_append(&r->log, "\n", 1) == 0);
	r->seen++;
	return r->stop_at && r->seen == r->stop_at ? 7 : 0;
}

/* Parses text fed in pieces of `step` bytes (0 = all at once) and returns
 * the log (malloc'ed); *rc_out gets the first non-zero feed/finish value. */
static char *parse(const char *text, size_t len, size_t step, size_t max, int *rc_out)
{
	ba_sse_parser p;
	rec r = {0};
	int rc = 0;

	ba_buf_init(&r.log, 1 << 20);
	ba_sse_init(&p, max, on_event, &r);
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len && rc == 0; i += step)
		rc = ba_sse_feed(&p, text + i, len - i < step ? len - i : step);
	if (rc == 0)
		rc = ba_sse_finish(&p);
	if (rc_out)
		*rc_out = rc;
	CHECK_EQ_UINT(p.events, (size_t)r.seen);
	ba_sse_release(&p);
	char *out = ba_buf_detach(&r.log, NULL);
	CHECK(out != NULL);
	return out;
}

/* The same text split at every single position, and byte by byte, gives
 * the same log as fed whole. */
static void check_splits(const char *text, const char *want)
{
	size_t len = strlen(text);
	int rc;
	char *whole = parse(text, len, 0, 1 << 16, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(whole, want);
	char *bytes = parse(text, len, 1, 1 << 16, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(bytes, want);
	free(bytes);
	for (size_t cut = 1; cut < len; cut++) {
		ba_sse_parser p;
		rec r = {0};
		ba_buf_init(&r.log, 1 << 20);
		ba_sse_init(&p, 1 << 16, on_event, &r);
		CHECK_EQ_INT(ba_sse_feed(&p, text, cut), 0);
		CHECK_EQ_INT(ba_sse_feed(&p, text + cut, len - cut), 0);
		CHECK_EQ_INT(ba_sse_finish(&p), 0);
		if (strcmp(r.log.data ? r.log.data : "", want) != 0)
			ba_test_fail(__FILE__, __LINE__, "split at %zu: \"%s\" != \"%s\"", cut,
			             r.log.data ? r.log.data : "", want);
		ba_sse_release(&p);
		ba_buf_release(&r.log);
	}
	free(whole);
}

TEST(events_with_names_and_joined_data)
{
	check_splits("event: a\ndata: one\n\n"
	             "data: two\ndata: lines\n\n"
	             "event: b\ndata:{\"x\":1}\n\n",
	             "a|one\n|two\nlines\nb|{\"x\":1}\n");
}

TEST(line_endings_lf_crlf_cr_are_the_same)
{
	const char *want = "e|x\ny\n|z\n";
	check_splits("event: e\ndata: x\ndata: y\n\ndata: z\n\n", want);
	check_splits("event: e\r\ndata: x\r\ndata: y\r\n\r\ndata: z\r\n\r\n", want);
	check_splits("event: e\rdata: x\rdata: y\r\rdata: z\r\r", want);
	check_splits("event: e\r\ndata: x\rdata: y\n\r\ndata: z\r\r\n", want);
}

TEST(only_one_leading_space_is_removed)
{
	check_splits("data:  two spaces\n\ndata:none\n\ndata:\n\ndata\n\n",
	             "| two spaces\n|none\n|\n|\n");
}

TEST(comments_id_retry_and_unknown_fields_are_ignored)
{
	check_splits(": keep-alive\nid: 5\nretry: 100\nfoo: bar\ndata: x\n:comment\n\n"
	             ": OPENROUTER PROCESSING\n\n",
	             "|x\n");
}

TEST(an_event_without_data_is_not_dispatched_and_names_reset)
{
	/* The name of a data-less event must not leak into the next one. */
	check_splits("event: ping\n\ndata: after\n\nevent: x\ndata: 1\n\ndata: 2\n\n",
	             "|after\nx|1\n|2\n");
}

TEST(leading_bom_is_skipped_even_when_split)
{
	check_splits("\xef\xbb\xbf"
	             "data: a\n\n",
	             "|a\n");
	/* Only one BOM, and only at the start. */
	check_splits("\xef\xbb\xbf\xef\xbb\xbf"
	             "data: a\n\n",
	             "");
	check_splits("data: \xef\xbb\xbf\n\n", "|\xef\xbb\xbf\n");
}

TEST(bytes_that_only_look_like_a_bom_are_kept)
{
	/* "\xef" then something else: the held-back byte is part of a line
	 * (a field named "\xef" + "data", which is ignored) - and a BOM cut
	 * short by the end of input is a line of its own. */
	check_splits("\xef"
	             "data: a\n\ndata: b\n\n",
	             "|b\n");
	int rc;
	char *log = parse("\xef\xbb", 2, 1, 64, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(log, "");
	free(log);
}

TEST(finish_dispatches_an_event_missing_its_blank_line)
{
	check_splits("data: a\n\ndata: last\n", "|a\n|last\n");
	check_splits("data: a\n\ndata: last", "|a\n|last\n");
	check_splits("data: a\n\ndata: last\r", "|a\n|last\n");
	check_splits("event: only-a-name", "");
}

TEST(data_may_hold_nul_bytes)
{
	const char text[] = "data: a\0b\n\n";
	int rc;
	char *log = parse(text, sizeof(text) - 1, 1, 64, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK(memcmp(log, "|a\0b\n", 6) == 0);
	free(log);
}

TEST(line_over_the_cap_fails_in_any_split)
{
	char text[200];
	memset(text, 'x', sizeof(text));
	memcpy(text, ": ", 2);
	text[150] = '\n';
	text[151] = '\n';
	/* A comment line of 150 bytes with a cap of 100: refused whether it
	 * arrives whole or in pieces, so the result never depends on the
	 * split. */
	for (size_t step = 0; step < 160; step += 7) {
		int rc;
		char *log = parse(text, 152, step, 100, &rc);
		CHECK_EQ_INT(rc, -1);
		free(log);
	}
	int rc;
	char *log = parse(text, 152, 0, 150, &rc);
	CHECK_EQ_INT(rc, 0);
	free(log);
}

TEST(joined_data_over_the_cap_fails)
{
	/* Three lines of 40 bytes each fit a cap of 50; joined they do not. */
	char text[300];
	int n = snprintf(text, sizeof(text), "data: %040d\ndata: %040d\ndata: %040d\n\n", 1, 2, 3);
	for (size_t step = 0; step < 20; step += 3) {
		int rc;
		char *log = parse(text, (size_t)n, step, 50, &rc);
		CHECK_EQ_INT(rc, -1);
		CHECK_EQ_STR(log, "");
		free(log);
	}
}

TEST(after_a_failure_input_is_refused)
{
	ba_sse_parser p;
	rec r = {0};
	ba_buf_init(&r.log, 1024);
	ba_sse_init(&p, 8, on_event, &r);
	CHECK_EQ_INT(ba_sse_feed(&p, "data: 123456789\n", 16), -1);
	CHECK_EQ_INT(ba_sse_feed(&p, "\n", 1), -1);
	CHECK_EQ_INT(ba_sse_finish(&p), -1);
	CHECK_EQ_INT(r.seen, 0);
	ba_sse_release(&p);
	ba_buf_release(&r.log);
}

TEST(callback_value_stops_parsing)
{
	ba_sse_parser p;
	rec r = {.stop_at = 2};
	ba_buf_init(&r.log, 1024);
	ba_sse_init(&p, 64, on_event, &r);
	const char *text = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	CHECK_EQ_INT(ba_sse_feed(&p, text, strlen(text)), 7);
	CHECK_EQ_STR(r.log.data, "|1\n|2\n");
	CHECK_EQ_INT(ba_sse_feed(&p, "data: 4\n\n", 9), -1);
	CHECK_EQ_INT(r.seen, 2);
	ba_sse_release(&p);
	ba_buf_release(&r.log);
}

TEST(empty_input_and_blank_lines_give_nothing)
{
	check_splits("", "");
	check_splits("\n\n\r\n\r\r", "");
}

TEST(parser_is_reusable_after_release)
{
	ba_sse_parser p;
	rec r = {0};
	ba_buf_init(&r.log, 1024);
	ba_sse_init(&p, 64, on_event, &r);
	CHECK_EQ_INT(ba_sse_feed(&p, "data: a\n\n", 9), 0);
	ba_sse_release(&p);
	ba_sse_init(&p, 64, on_event, &r);
	CHECK_EQ_INT(ba_sse_feed(&p, "data: b\n\n", 9), 0);
	CHECK_EQ_INT(ba_sse_finish(&p), 0);
	CHECK_EQ_STR(r.log.data, "|a\n|b\n");
	ba_sse_release(&p);
	ba_buf_release(&r.log);
}
