/*
 * llm_wire_test.c - the OpenAI and Anthropic wire formats (llm/wire.h):
 * decoding recorded streams (tests/fixtures/llm/) in every split, the
 * caps, order and error handling, and the exact request shapes.
 */
#include "test.h"

#include "core/file.h"
#include "llm/wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static char *fixture(const char *name, size_t *len)
{
	/* Next to this file's folder, whatever the current directory (the
	 * build passes this file's path relative to the repository). */
	char path[1024], err[256];
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 0;
	uint8_t *data;
	snprintf(path, sizeof(path), "%.*s%s../fixtures/llm/%s", dir, __FILE__, slash ? "/" : "",
	         name);
	if (ba_read_file(path, 1 << 24, &data, len, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "fixture: %s", err);
	return (char *)data;
}

static void append(ba_buf *b, const char *s)
{
	CHECK(ba_buf_append_str(b, s) == 0);
}

static void on_text(void *user, const char *text, size_t len)
{
	ba_buf *log = user;
	CHECK(len > 0);
	CHECK(strlen(text) >= len); /* a piece of a C string */
	append(log, "T:");
	CHECK(ba_buf_append(log, text, len) == 0);
	append(log, "\n");
}

static void on_tool_call(void *user, size_t index, const char *id, const char *name)
{
	ba_buf *log = user;
	CHECK(id != NULL && name != NULL);
	CHECK(ba_buf_printf(log, "C:%zu:%s:%s\n", index, id, name) == 0);
}

/* Everything a decode produced, as text: two decodes agree when their
 * renderings are equal. */
typedef struct outcome {
	ba_llm_status status;
	char err[512];
	ba_llm_response resp;
	char *log;      /* callbacks, in order */
	char *rendered; /* all of it           */
} outcome;

static void render(outcome *o)
{
	ba_buf b;
	ba_buf_init(&b, 1 << 26);
	CHECK(ba_buf_printf(&b, "status=%d err=%s\n%s", (int)o->status, o->err, o->log) == 0);
	if (o->status == BA_LLM_OK) {
		const ba_llm_message *m = &o->resp.message;
		CHECK(m->role == BA_LLM_ROLE_ASSISTANT);
		CHECK(ba_buf_printf(&b, "text=%s\ncalls=%zu\n", m->text ? m->text : "(null)",
		                    m->tool_call_count) == 0);
		for (size_t i = 0; i < m->tool_call_count; i++)
			CHECK(ba_buf_printf(&b, "[%zu] %s|%s|%s\n", i, m->tool_calls[i].id,
			                    m->tool_calls[i].name,
			                    m->tool_calls[i].arguments) == 0);
		CHECK(ba_buf_printf(&b, "stop=%d raw=%s usage=%llu/%llu\n", (int)o->resp.stop,
		                    o->resp.stop_raw,
		                    (unsigned long long)o->resp.usage.input_tokens,
		                    (unsigned long long)o->resp.usage.output_tokens) == 0);
	}
	o->rendered = ba_buf_detach(&b, NULL);
}

/* Decodes data fed in pieces: cut[i] are the offsets where pieces end
 * (ascending, the last piece ends at len). */
static void decode_cuts(ba_llm_api api, const char *data, size_t len, const size_t *cuts,
                        size_t ncuts, outcome *o)
{
	ba_buf log;
	ba_llm_handler h = {.on_text = on_text, .on_tool_call = on_tool_call, .user = &log};

	memset(o, 0, sizeof(*o));
	ba_buf_init(&log, 1 << 26);
	ba_llm_decoder *d = ba_llm_decoder_new(api, &h);
	CHECK(d != NULL);
	size_t at = 0;
	o->status = BA_LLM_OK;
	for (size_t i = 0; i <= ncuts && o->status == BA_LLM_OK; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		o->status = ba_llm_decoder_feed(d, data + at, end - at, o->err, sizeof(o->err));
		at = end;
	}
	CHECK_EQ_UINT(ba_llm_decoder_bytes(d), at);
	if (o->status == BA_LLM_OK)
		o->status = ba_llm_decoder_finish(d, &o->resp, o->err, sizeof(o->err));
	/* One line, always. */
	CHECK(strchr(o->err, '\n') == NULL && strchr(o->err, '\r') == NULL);
	CHECK((o->status == BA_LLM_OK) == (o->err[0] == '\0'));
	ba_llm_decoder_free(d);
	o->log = ba_buf_detach(&log, NULL);
	render(o);
}

static void decode_whole(ba_llm_api api, const char *data, size_t len, outcome *o)
{
	decode_cuts(api, data, len, NULL, 0, o);
}

static void outcome_release(outcome *o)
{
	if (o->status == BA_LLM_OK)
		ba_llm_response_release(&o->resp);
	free(o->log);
	free(o->rendered);
	memset(o, 0, sizeof(*o));
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return rng_state >> 33;
}

/* Decodes whole, byte by byte, at every 2-way split (small inputs) and
 * in random splits, and checks every outcome is the whole one. Returns
 * the whole outcome. */
static void decode_every_split(ba_llm_api api, const char *data, size_t len, outcome *whole)
{
	outcome o;
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	CHECK(cuts != NULL);

	decode_whole(api, data, len, whole);

	for (size_t i = 0; i < len; i++)
		cuts[i] = i;
	decode_cuts(api, data, len, cuts, len, &o);
	if (strcmp(o.rendered, whole->rendered) != 0)
		ba_test_fail(__FILE__, __LINE__, "byte by byte:\n%s\n!= whole:\n%s", o.rendered,
		             whole->rendered);
	outcome_release(&o);

	if (len <= 4096)
		for (size_t cut = 1; cut < len; cut++) {
			decode_cuts(api, data, len, &cut, 1, &o);
			if (strcmp(o.rendered, whole->rendered) != 0)
				ba_test_fail(__FILE__, __LINE__, "split at %zu:\n%s\n!= whole:\n%s",
				             cut, o.rendered, whole->rendered);
			outcome_release(&o);
		}

	rng_state = 0x5eed0000u + len;
	for (int round = 0; round < 40; round++) {
		size_t n = 0, at = 0;
		size_t max_piece = 1 + rnd() % (round < 20 ? 16 : 400);
		while (at < len) {
			at += 1 + rnd() % max_piece;
			if (at < len)
				cuts[n++] = at;
		}
		decode_cuts(api, data, len, cuts, n, &o);
		if (strcmp(o.rendered, whole->rendered) != 0)
			ba_test_fail(__FILE__, __LINE__,
			             "random split round %d:\n%s\n!= whole:\n%s", round, o.rendered,
			             whole->rendered);
		outcome_release(&o);
	}
	free(cuts);
}

/* A rendering with "after N bytes" made "after ? bytes": line endings
 * change the count and nothing else. */
static char *without_byte_count(const char *r)
{
	char *out = strdup(r), *p = strstr(out, "(after ");
	CHECK(out != NULL);
	if (p) {
		char *q = p + 7, *end = q;
		while (*end >= '0' && *end <= '9')
			end++;
		*q = '?';
		memmove(q + 1, end, strlen(end) + 1);
	}
	return out;
}

/* The fixture, also with CRLF line endings, in every split. */
static void decode_fixture(ba_llm_api api, const char *name, outcome *whole)
{
	size_t len;
	char *data = fixture(name, &len);
	decode_every_split(api, data, len, whole);

	/* CRLF line endings decode the same (only outside JSON strings, where
	 * no raw newline can be). */
	char *crlf = malloc(2 * len + 1);
	size_t n = 0;
	CHECK(crlf != NULL);
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = data[i];
	}
	outcome o;
	decode_whole(api, crlf, n, &o);
	char *a = without_byte_count(o.rendered), *b = without_byte_count(whole->rendered);
	CHECK_EQ_STR(a, b);
	free(a);
	free(b);
	outcome_release(&o);
	free(crlf);
	free(data);
}

static void check_call(const outcome *o, size_t i, const char *id, const char *name,
                       const char *args)
{
	CHECK(i < o->resp.message.tool_call_count);
	CHECK_EQ_STR(o->resp.message.tool_calls[i].id, id);
	CHECK_EQ_STR(o->resp.message.tool_calls[i].name, name);
	CHECK_EQ_STR(o->resp.message.tool_calls[i].arguments, args);
}

/* The decoded string field of a JSON object text. */
static char *json_field(const char *text, const char *key)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		ba_test_fail(__FILE__, __LINE__, "not JSON: %s: %s", e.text, text);
	const char *s = json_string_value(json_object_get(v, key));
	char *out = strdup(s ? s : "(missing)");
	json_decref(v);
	return out;
}

/* ------------------------------------------------------------- OpenAI */

TEST_TIMEOUT(openai_plain_answer, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/plain.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "The workspace has two files: `README.md` and "
	                                  "`notes.txt`. Ünïcödé ✓ — done.");
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 0);
	CHECK(o.resp.message.tool_calls == NULL);
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_STR(o.resp.stop_raw, "stop");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 57);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 16);
	/* One on_text per content piece, as they arrived. */
	CHECK(strncmp(o.log, "T:The\nT: workspace\nT: has\n", 26) == 0);
	CHECK(strstr(o.log, "C:") == NULL);
	outcome_release(&o);
}

TEST_TIMEOUT(openai_single_tool_call, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/tool_call.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK(o.resp.message.text == NULL);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 1);
	check_call(&o, 0, "call_Yq3mN8vT2wKx5LpR7cDs1FgH", "list_dir", "{\"path\":\".\"}");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	CHECK_EQ_STR(o.resp.stop_raw, "tool_calls");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 142);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 14);
	CHECK_EQ_STR(o.log, "C:0:call_Yq3mN8vT2wKx5LpR7cDs1FgH:list_dir\n");
	outcome_release(&o);
}

TEST_TIMEOUT(openai_parallel_tool_calls_interleaved, 120)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/parallel_tool_calls.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 2);
	/* Pieces split inside strings, between a backslash and what it
	 * escapes, and inside \u00e9 all join back exactly. */
	check_call(&o, 0, "call_Kp2Wv9Xr4Tn7Lm1Qs8Df3Gh6", "read_file",
	           "{\"path\":\"docs/a \\\"quoted\\\" name.txt\",\"note\":\"line1\\nline2 "
	           "caf\\u00e9 ü\"}");
	check_call(&o, 1, "call_Rz5Bn1Yc8Vx3Hq6Wm2Tk9Jf4", "list_dir",
	           "{\"path\":\"src/llm\",\"depth\":2}");
	char *path = json_field(o.resp.message.tool_calls[0].arguments, "path");
	char *note = json_field(o.resp.message.tool_calls[0].arguments, "note");
	CHECK_EQ_STR(path, "docs/a \"quoted\" name.txt");
	CHECK_EQ_STR(note, "line1\nline2 café ü");
	free(path);
	free(note);
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	/* Usage beside finish_reason, as some servers send it. */
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 311);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 61);
	CHECK_EQ_STR(o.log, "C:0:call_Kp2Wv9Xr4Tn7Lm1Qs8Df3Gh6:read_file\n"
	                    "C:1:call_Rz5Bn1Yc8Vx3Hq6Wm2Tk9Jf4:list_dir\n");
	outcome_release(&o);
}

TEST_TIMEOUT(openai_finish_reason_length, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/length.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "Here is a long explanation of the build system: first,");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_MAX_TOKENS);
	CHECK_EQ_STR(o.resp.stop_raw, "length");
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 12);
	outcome_release(&o);
}

TEST_TIMEOUT(openai_error_object_in_the_stream, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/error.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(o.err, "event 4: the server sent an error: server_error: The server had "
	                    "an error while processing your request. Sorry about that!");
	/* What streamed before the error was heard. */
	CHECK_EQ_STR(o.log, "T:Let\nT: me\n");
	outcome_release(&o);
}

TEST_TIMEOUT(openai_truncated_stream, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/truncated.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
	CHECK_EQ_STR(o.err, "the stream ended before [DONE] (after 1494 bytes, 6 events, the "
	                    "last one cut short)");
	outcome_release(&o);
}

TEST_TIMEOUT(openai_malformed_chunk, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/malformed.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
	CHECK_CONTAINS(o.err, "event 3: invalid JSON at column ");
	outcome_release(&o);
}

TEST_TIMEOUT(openai_compatible_server_without_index, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/compat_no_index.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 2);
	check_call(&o, 0, "call_7h2kq9vx", "list_dir", "{\"path\":\".\"}");
	check_call(&o, 1, "call_m3w8zt1c", "read_file", "{\"path\":\"README.md\"}");
	/* "stop" beside tool calls still means the calls are wanted. */
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	CHECK_EQ_STR(o.resp.stop_raw, "stop");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 0);
	outcome_release(&o);
}

TEST_TIMEOUT(openai_non_streamed_completion, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_OPENAI, "openai/completion.json", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "Hello! How can I help you today?");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 19);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 10);
	CHECK_EQ_STR(o.log, "T:Hello! How can I help you today?\n");
	outcome_release(&o);

	decode_fixture(BA_LLM_API_OPENAI, "openai/completion_tool_calls.json", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK(o.resp.message.text == NULL);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 2);
	check_call(&o, 0, "call_Dv4Nq8Ws2Xm6Kt1Yr9Lp3Hb7", "read_file", "{\"path\":\"notes.txt\"}");
	check_call(&o, 1, "call_Gc7Tz3Vk1Wn5Jq8Xs2Mr6Lf4", "list_dir", "{}");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 203);
	outcome_release(&o);
}

/* ------------------------------------------------------------- Anthropic */

TEST_TIMEOUT(anthropic_plain_text_with_pings, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/plain.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "The workspace holds two files: `README.md` and "
	                                  "`notes.txt`.\n\nÜnïcödé ✓ — done.");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_STR(o.resp.stop_raw, "end_turn");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 48);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 27);
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_tool_use_input_in_pieces, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/tool_use.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK(o.resp.message.text == NULL);
	check_call(&o, 0, "toolu_01D7fJq2Xw9Lk4Mv8Tn3Hs6P", "read_file",
	           "{\"path\": \"docs/a \\\"quoted\\\" name.txt\", \"note\": \"line1\\nline2 "
	           "caf\\u00e9\"}");
	char *note = json_field(o.resp.message.tool_calls[0].arguments, "note");
	CHECK_EQ_STR(note, "line1\nline2 café");
	free(note);
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	CHECK_EQ_STR(o.resp.stop_raw, "tool_use");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 412);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 58);
	CHECK_EQ_STR(o.log, "C:0:toolu_01D7fJq2Xw9Lk4Mv8Tn3Hs6P:read_file\n");
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_text_and_two_tool_uses, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/text_and_tools.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "I'll list the source folder and read the README.");
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 2);
	check_call(&o, 0, "toolu_01Lp9Rz4Ks7Wq2Nx5Vm8Ht3C", "list_dir", "{\"path\": \"src\"}");
	check_call(&o, 1, "toolu_01Qw3Tx8Mz5Jv1Ln6Yk9Rf2D", "read_file",
	           "{\"path\": \"README.md\", \"max_bytes\": 4096}");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	/* Cache reads count as input: the prompt was that long. */
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 655 + 1200);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 121);
	CHECK_EQ_STR(o.log, "T:I'll list\nT: the source folder\nT: and read the README.\n"
	                    "C:0:toolu_01Lp9Rz4Ks7Wq2Nx5Vm8Ht3C:list_dir\n"
	                    "C:1:toolu_01Qw3Tx8Mz5Jv1Ln6Yk9Rf2D:read_file\n");
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_overloaded_error_event, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/error_overloaded.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(o.err, "event 5: the server sent an error: overloaded_error: Overloaded");
	CHECK_EQ_STR(o.log, "T:Let me\n");
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_truncated_before_message_stop, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/truncated.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
	CHECK_EQ_STR(o.err, "the stream ended before message_stop (after 886 bytes, 4 events)");
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_max_tokens, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/max_tokens.sse", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "Here is a long explanation of the build system: first,");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_MAX_TOKENS);
	CHECK_EQ_STR(o.resp.stop_raw, "max_tokens");
	outcome_release(&o);
}

TEST_TIMEOUT(anthropic_non_streamed_message, 60)
{
	outcome o;
	decode_fixture(BA_LLM_API_ANTHROPIC, "anthropic/message.json", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "I'll read the notes.");
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 1);
	check_call(&o, 0, "toolu_01Kx3Wq8Zn2Lv7Tm5Yr9Hd4B", "read_file",
	           "{\"path\":\"notes.txt\"}");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 380);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 52);
	CHECK_EQ_STR(o.log,
	             "T:I'll read the notes.\nC:0:toolu_01Kx3Wq8Zn2Lv7Tm5Yr9Hd4B:read_file\n");
	outcome_release(&o);
}

/* Every prefix of a complete stream either completes (OpenAI: once the
 * finish_reason is in) or is a protocol error - never anything else. */
static void check_prefixes(ba_llm_api api, const char *name)
{
	size_t len;
	char *data = fixture(name, &len);
	for (size_t n = 0; n < len; n++) {
		outcome o;
		decode_whole(api, data, n, &o);
		if (o.status != BA_LLM_OK && o.status != BA_LLM_ERR_PROTOCOL)
			ba_test_fail(__FILE__, __LINE__, "%s cut at %zu: %s", name, n, o.err);
		if (o.status == BA_LLM_ERR_PROTOCOL)
			CHECK_CONTAINS(o.err, "the stream ended before ");
		/* Anthropic completes only with message_stop, the last event. */
		if (api == BA_LLM_API_ANTHROPIC)
			CHECK(o.status != BA_LLM_OK || n + 2 >= len);
		outcome_release(&o);
	}
	free(data);
}

TEST_TIMEOUT(every_prefix_is_complete_or_says_it_ended_early, 120)
{
	check_prefixes(BA_LLM_API_OPENAI, "openai/plain.sse");
	check_prefixes(BA_LLM_API_OPENAI, "openai/tool_call.sse");
	check_prefixes(BA_LLM_API_ANTHROPIC, "anthropic/plain.sse");
	check_prefixes(BA_LLM_API_ANTHROPIC, "anthropic/text_and_tools.sse");
}

/* ------------------------------------------------------------- inline streams */

static void decode_text(ba_llm_api api, const char *text, outcome *o)
{
	decode_every_split(api, text, strlen(text), o);
}

#define OA_CHUNK(delta, finish)                                                               \
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0," \
	"\"delta\":" delta ",\"finish_reason\":" finish "}]}\n\n"

TEST(openai_empty_body_is_truncation)
{
	outcome o;
	decode_whole(BA_LLM_API_OPENAI, "", 0, &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
	CHECK_EQ_STR(o.err, "the stream ended before [DONE] (after 0 bytes, 0 events)");
	outcome_release(&o);
	decode_whole(BA_LLM_API_ANTHROPIC, "\n\n", 2, &o);
	CHECK_EQ_STR(o.err, "the stream ended before message_stop (after 2 bytes, 0 events)");
	outcome_release(&o);
}

TEST(openai_done_without_anything_is_an_empty_answer)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI, ": keep-alive\n\ndata: [DONE]\n\n", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK(o.resp.message.text == NULL);
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_STR(o.resp.stop_raw, "");
	outcome_release(&o);
}

TEST(openai_events_after_done_are_ignored)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            OA_CHUNK("{\"content\":\"a\"}", "\"stop\"") "data: [DONE]\n\n"
	                                                        "data: {not json\n\n",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "a");
	outcome_release(&o);
}

TEST(openai_finish_reason_without_done_is_complete)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI, OA_CHUNK("{\"content\":\"ok\"}", "\"stop\""), &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "ok");
	outcome_release(&o);
}

TEST(openai_last_event_without_blank_line_counts)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI, OA_CHUNK("{\"content\":\"ok\"}", "null") "data: [DONE]", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	outcome_release(&o);
}

TEST(openai_tool_calls_out_of_order_and_arguments_as_object)
{
	/* Index 1 starts before index 0; a server sends arguments parsed;
	 * a call never named is reported with an empty name and an id made
	 * up, so the agent can answer it. */
	outcome o;
	decode_text(
	        BA_LLM_API_OPENAI,
	        OA_CHUNK("{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{\"name\":"
	                 "\"two\",\"arguments\":\"{\\\"x\\\"\"}}]}",
	                 "null") //
	        OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":"
	                 "\"one\",\"arguments\":{\"k\":[1,2]}}}]}",
	                 "null") //
	        OA_CHUNK("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\":1}\"}}]}",
	                 "null") //
	        OA_CHUNK("{\"tool_calls\":[{\"index\":7,\"function\":{\"arguments\":\"\"}}]}",
	                 "\"tool_calls\"") "data: [DONE]\n\n",
	        &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 3);
	check_call(&o, 0, "b", "two", "{\"x\":1}");
	check_call(&o, 1, "a", "one", "{\"k\":[1,2]}");
	check_call(&o, 2, "call_3", "", "{}");
	CHECK_EQ_STR(o.log, "C:0:b:two\nC:1:a:one\nC:2:call_3:\n");
	outcome_release(&o);
}

TEST(openai_whole_calls_without_index_or_id)
{
	/* Each piece a whole call, with neither index nor id: a new name
	 * starts a new call; a piece with neither continues the last. */
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            OA_CHUNK("{\"tool_calls\":[{\"function\":{\"name\":\"a\",\"arguments\":"
	                     "\"{\\\"x\\\":\"}},{\"function\":{\"arguments\":\"1}\"}}]}",
	                     "null") //
	            OA_CHUNK("{\"tool_calls\":[{\"function\":{\"name\":\"b\",\"arguments\":"
	                     "\"{}\"}}]}",
	                     "\"tool_calls\"") //
	            "data: [DONE]\n\n",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_UINT(o.resp.message.tool_call_count, 2);
	check_call(&o, 0, "call_1", "a", "{\"x\":1}");
	check_call(&o, 1, "call_2", "b", "{}");
	CHECK_EQ_STR(o.log, "C:0::a\nC:1::b\n");
	outcome_release(&o);
}

TEST(openai_other_choices_are_ignored)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"no\"}},{\"index\":0,"
	            "\"delta\":{\"content\":\"yes\"},\"finish_reason\":\"stop\"}]}\n\n",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "yes");
	outcome_release(&o);
}

TEST(openai_refusal_is_text)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            OA_CHUNK("{\"content\":null,\"refusal\":\"I can't\"}", "null") //
	            OA_CHUNK("{\"refusal\":\" help with that.\"}", "\"stop\"")     //
	            "data: [DONE]\n\n",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "I can't help with that.");
	outcome_release(&o);
}

TEST(openai_content_filter_is_other)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI, OA_CHUNK("{}", "\"content_filter\"") "data: [DONE]\n\n", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_OTHER);
	CHECK_EQ_STR(o.resp.stop_raw, "content_filter");
	outcome_release(&o);
}

TEST(openai_nul_in_text_becomes_replacement_character)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            OA_CHUNK("{\"content\":\"a\\u0000b\"}", "\"stop\"") "data: [DONE]\n\n", &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "a\xef\xbf\xbd"
	                                  "b");
	outcome_release(&o);
}

TEST(openai_rate_limit_error_object)
{
	outcome o;
	decode_text(BA_LLM_API_OPENAI,
	            "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
	            "\"code\":\"rate_limit_exceeded\"}}\n\n",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_RATE_LIMIT);
	CHECK_EQ_STR(o.err, "event 1: the server sent an error: requests: Rate limit reached");
	outcome_release(&o);
	/* A named error event with plain text, as some servers send. */
	decode_text(BA_LLM_API_OPENAI, "event: error\ndata: upstream\ndata: timed out\n\n", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(o.err, "event 1: the server sent an error: upstream timed out");
	outcome_release(&o);
}

TEST(openai_shape_errors)
{
	static const struct {
		const char *stream, *message;
	} cases[] = {
	        {"data: [1,2]\n\n", "event 1: expected a JSON object"},
	        {"data: \"x\"\n\n", "event 1: invalid JSON at column"},
	        {"data: {\"choices\":{}}\n\n", "event 1: \"choices\" is not an array"},
	        {"data: {\"choices\":[1]}\n\n", "event 1: a choice that is not an object"},
	        {"data: {\"choices\":[{\"delta\":{\"tool_calls\":{}}}]}\n\n",
	         "event 1: \"tool_calls\" is not an array"},
	        {"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}\n\n",
	         "event 1: a tool call with index -1"},
	        {"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":\"0\"}]}}]}\n\n",
	         "event 1: a tool call whose index is not a number"},
	        {"data: {\"choices\":[{\"delta\":{\"tool_calls\":[7]}}]}\n\n",
	         "event 1: a tool call that is not an object"},
	        {": hi\n\ndata: {}\n\ndata: {\n\ndata: [DONE]\n\n",
	         "event 2: invalid JSON at column"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		outcome o;
		decode_text(BA_LLM_API_OPENAI, cases[i].stream, &o);
		CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
		CHECK_CONTAINS(o.err, cases[i].message);
		outcome_release(&o);
	}
}

TEST(whole_json_answers_errors)
{
	outcome o;
	const char *err_body = "{\"error\":{\"message\":\"model overloaded\",\"type\":"
	                       "\"server_error\"}}";
	decode_text(BA_LLM_API_OPENAI, err_body, &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(o.err, "the answer: the server sent an error: server_error: model overloaded");
	outcome_release(&o);
	decode_text(BA_LLM_API_ANTHROPIC,
	            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":"
	            "\"slow down\"}}",
	            &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_RATE_LIMIT);
	outcome_release(&o);
	decode_text(BA_LLM_API_OPENAI, "  \n{\"choices\": [}", &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
	CHECK_CONTAINS(o.err, "the answer: invalid JSON at column ");
	outcome_release(&o);
	decode_text(BA_LLM_API_OPENAI, "{\"choices\": []}", &o);
	CHECK_EQ_STR(o.err, "the answer has no choices");
	outcome_release(&o);
	decode_text(BA_LLM_API_ANTHROPIC, "{\"type\":\"message\"}", &o);
	CHECK_EQ_STR(o.err, "the answer has no \"content\" array");
	outcome_release(&o);
}

#define AN_START                                                                          \
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":" \
	"{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
#define AN_EVENT(name, json) "event: " name "\ndata: " json "\n\n"
#define AN_STOP              AN_EVENT("message_stop", "{\"type\":\"message_stop\"}")

/* Events named by their data's type. */
#define AN_BLOCK_START(i, block)                                                              \
	AN_EVENT("content_block_start", "{\"type\":\"content_block_start\",\"index\":" #i "," \
	                                "\"content_block\":" block "}")
#define AN_DELTA(i, delta)                                                                    \
	AN_EVENT("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" #i "," \
	                                "\"delta\":" delta "}")
#define AN_BLOCK_STOP(i) \
	AN_EVENT("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" #i "}")
#define AN_TEXT_BLOCK "{\"type\":\"text\",\"text\":\"\"}"

/* Joins a NULL-terminated list of pieces and decodes it in every split. */
static void decode_parts(ba_llm_api api, const char *const *parts, outcome *o)
{
	ba_buf b;
	ba_buf_init(&b, 1 << 20);
	for (size_t i = 0; parts[i]; i++)
		append(&b, parts[i]);
	decode_every_split(api, b.data, b.len, o);
	ba_buf_release(&b);
}

TEST(anthropic_order_errors)
{
	static const struct {
		const char *parts[5], *message;
	} cases[] = {
	        {{AN_BLOCK_START(0, AN_TEXT_BLOCK)},
	         "event 1: content_block_start before message_start"},
	        {{AN_START, AN_START}, "event 2: a second message_start"},
	        {{AN_START, AN_DELTA(3, "{\"type\":\"text_delta\",\"text\":\"x\"}")},
	         "event 2: content_block_delta for block 3, which has not started"},
	        {{AN_START, AN_BLOCK_START(0, AN_TEXT_BLOCK), AN_BLOCK_STOP(0),
	          AN_DELTA(0, "{\"type\":\"text_delta\",\"text\":\"x\"}")},
	         "event 4: content_block_delta for block 0, which has stopped"},
	        {{AN_START, AN_BLOCK_START(0, AN_TEXT_BLOCK), AN_BLOCK_STOP(0), AN_BLOCK_STOP(0)},
	         "event 4: content_block_stop for block 0, which has stopped"},
	        {{AN_START,
	          AN_BLOCK_START(0, "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\","
	                            "\"input\":{}}"),
	          AN_DELTA(0, "{\"type\":\"text_delta\",\"text\":\"x\"}")},
	         "event 3: text_delta in a tool_use block"},
	        {{AN_START, AN_BLOCK_START(0, AN_TEXT_BLOCK),
	          AN_DELTA(0, "{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}")},
	         "event 3: input_json_delta in a text block"},
	        {{AN_START, AN_BLOCK_START(0, AN_TEXT_BLOCK), AN_BLOCK_START(0, AN_TEXT_BLOCK)},
	         "event 3: content block 0 started twice"},
	        {{AN_START, AN_BLOCK_START(0, "[]")}, "event 2: content block 0 is not an object"},
	        {{AN_START, AN_BLOCK_START(0, AN_TEXT_BLOCK), AN_DELTA(0, "\"x\"")},
	         "event 3: content_block_delta without a \"delta\" object"},
	        {{AN_START, AN_EVENT("content_block_stop", "{\"type\":\"content_block_stop\"}")},
	         "event 2: content_block_stop without a valid \"index\""},
	        {{AN_START, AN_BLOCK_START(-1, AN_TEXT_BLOCK)},
	         "event 2: content_block_start without a valid \"index\""},
	        {{AN_STOP}, "event 1: message_stop before message_start"},
	        {{"event: ping\ndata: {\"type\":\"ping\"}\n\n", "data: nope\n\n"},
	         "event 2: invalid JSON at column"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		outcome o;
		decode_parts(BA_LLM_API_ANTHROPIC, cases[i].parts, &o);
		CHECK_EQ_INT(o.status, BA_LLM_ERR_PROTOCOL);
		CHECK_CONTAINS(o.err, cases[i].message);
		outcome_release(&o);
	}
}

TEST(anthropic_rate_limit_and_other_errors)
{
	outcome o;
	decode_parts(BA_LLM_API_ANTHROPIC,
	             (const char *[]){AN_EVENT("error", "{\"type\":\"error\",\"error\":{\"type\":"
	                                                "\"rate_limit_error\",\"message\":\"Number "
	                                                "of requests has exceeded your rate "
	                                                "limit\"}}"),
	                              NULL},
	             &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_RATE_LIMIT);
	CHECK_EQ_STR(o.err, "event 1: the server sent an error: rate_limit_error: Number of "
	                    "requests has exceeded your rate limit");
	outcome_release(&o);
	decode_parts(BA_LLM_API_ANTHROPIC,
	             (const char *[]){AN_START,
	                              AN_EVENT("error", "{\"type\":\"error\",\"error\":{\"type\":"
	                                                "\"api_error\",\"message\":\"Internal\\n"
	                                                "server error\"}}"),
	                              NULL},
	             &o);
	CHECK_EQ_INT(o.status, BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(o.err, "event 2: the server sent an error: api_error: Internal server error");
	outcome_release(&o);
}

TEST(anthropic_unknown_blocks_events_and_late_events_pass)
{
	/* A thinking block with its deltas, an unknown event type, a
	 * citations delta, and junk after message_stop. */
	outcome o;
	decode_parts(BA_LLM_API_ANTHROPIC,
	             (const char *[]){
	                     AN_START,
	                     AN_BLOCK_START(0, "{\"type\":\"thinking\",\"thinking\":\"\"}"),
	                     AN_DELTA(0, "{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}"),
	                     AN_DELTA(0, "{\"type\":\"signature_delta\",\"signature\":\"x\"}"),
	                     AN_BLOCK_STOP(0),
	                     AN_EVENT("brand_new", "{\"type\":\"brand_new\"}"),
	                     AN_BLOCK_START(1, "{\"type\":\"text\",\"text\":\"Hi\"}"),
	                     AN_DELTA(1, "{\"type\":\"citations_delta\"}"),
	                     AN_EVENT("message_delta",
	                              "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	                              "\"refusal\"},\"usage\":{\"output_tokens\":9}}"),
	                     AN_STOP,
	                     "data: {junk\n\n",
	                     NULL,
	             },
	             &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK_EQ_STR(o.resp.message.text, "Hi");
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_OTHER);
	CHECK_EQ_STR(o.resp.stop_raw, "refusal");
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 5);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 9);
	outcome_release(&o);
}

TEST(anthropic_tool_use_without_deltas_uses_its_input)
{
	outcome o;
	decode_parts(BA_LLM_API_ANTHROPIC,
	             (const char *[]){
	                     AN_START,
	                     AN_BLOCK_START(0, "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":"
	                                       "\"a\",\"input\":{\"q\":1}}"),
	                     AN_BLOCK_STOP(0),
	                     AN_BLOCK_START(1, "{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":"
	                                       "\"b\",\"input\":{}}"),
	                     AN_STOP,
	                     NULL,
	             },
	             &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	check_call(&o, 0, "t1", "a", "{\"q\":1}");
	check_call(&o, 1, "t2", "b", "{}");
	/* No stop reason said: the calls are the reason. */
	CHECK_EQ_INT(o.resp.stop, BA_LLM_STOP_TOOL_CALLS);
	outcome_release(&o);
}

TEST(anthropic_message_delta_may_update_input_usage)
{
	outcome o;
	decode_parts(BA_LLM_API_ANTHROPIC,
	             (const char *[]){
	                     AN_START,
	                     AN_EVENT("message_delta",
	                              "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	                              "\"end_turn\"},\"usage\":{\"input_tokens\":7,"
	                              "\"cache_creation_input_tokens\":3,\"output_tokens\":2}}"),
	                     AN_STOP,
	                     NULL,
	             },
	             &o);
	CHECK_EQ_INT(o.status, BA_LLM_OK);
	CHECK(o.resp.message.text == NULL);
	CHECK_EQ_UINT(o.resp.usage.input_tokens, 10);
	CHECK_EQ_UINT(o.resp.usage.output_tokens, 2);
	outcome_release(&o);
}

/* ------------------------------------------------------------- caps */

/* Feeds a generated stream in 64 KiB pieces; returns the status. */
static ba_llm_status feed_generated(ba_llm_api api, const ba_buf *stream, char *err, size_t err_len,
                                    size_t *text_heard)
{
	ba_buf log;
	ba_llm_handler h = {.on_text = on_text, .user = &log};
	ba_llm_status st = BA_LLM_OK;
	ba_llm_response resp;

	ba_buf_init(&log, 1 << 26);
	ba_llm_decoder *d = ba_llm_decoder_new(api, &h);
	for (size_t at = 0; at < stream->len && st == BA_LLM_OK; at += 65536) {
		size_t n = stream->len - at < 65536 ? stream->len - at : 65536;
		st = ba_llm_decoder_feed(d, stream->data + at, n, err, err_len);
	}
	if (st == BA_LLM_OK) {
		st = ba_llm_decoder_finish(d, &resp, err, err_len);
		if (st == BA_LLM_OK)
			ba_llm_response_release(&resp);
	} else {
		/* After an error everything is refused with the same status. */
		char again[512];
		CHECK_EQ_INT(ba_llm_decoder_feed(d, "data: [DONE]\n\n", 14, again, sizeof(again)),
		             st);
		CHECK_EQ_STR(again, err);
		CHECK_EQ_INT(ba_llm_decoder_finish(d, &resp, again, sizeof(again)), st);
	}
	if (text_heard)
		*text_heard = log.len;
	ba_llm_decoder_free(d);
	ba_buf_release(&log);
	return st;
}

TEST_TIMEOUT(text_over_the_cap, 60)
{
	ba_buf s;
	char piece[60001], err[512];
	size_t heard;
	memset(piece, 'x', sizeof(piece) - 1);
	piece[sizeof(piece) - 1] = '\0';
	ba_buf_init(&s, 1 << 28);
	size_t n = BA_LLM_MAX_TEXT / 60000 + 1;
	for (size_t i = 0; i < n; i++)
		CHECK(ba_buf_printf(&s, OA_CHUNK("{\"content\":\"%s\"}", "null"), piece) == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), &heard),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 70: the answer's text is over the 4 MiB limit");
	/* on_text heard no more than the cap (plus the log's "T:\n"). */
	CHECK(heard <= BA_LLM_MAX_TEXT + 3 * n);
	ba_buf_release(&s);

	/* The same for Anthropic. */
	ba_buf_init(&s, 1 << 28);
	CHECK(ba_buf_append_str(&s, AN_START AN_EVENT("content_block_start",
	                                              "{\"type\":\"content_block_start\","
	                                              "\"index\":0,\"content_block\":{\"type\":"
	                                              "\"text\",\"text\":\"\"}}")) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(ba_buf_printf(
		              &s,
		              AN_EVENT("content_block_delta",
		                       "{\"type\":\"content_block_delta\",\"index\":0,"
		                       "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}"),
		              piece) == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_ANTHROPIC, &s, err, sizeof(err), NULL),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 72: the answer's text is over the 4 MiB limit");
	ba_buf_release(&s);
}

TEST_TIMEOUT(arguments_over_the_cap, 60)
{
	ba_buf s;
	char piece[50001], err[512];
	memset(piece, 'a', sizeof(piece) - 1);
	piece[sizeof(piece) - 1] = '\0';
	ba_buf_init(&s, 1 << 26);
	CHECK(ba_buf_append_str(&s, OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
	                                     "\"function\":{\"name\":\"f\"}}]}",
	                                     "null")) == 0);
	for (size_t i = 0; i < BA_LLM_MAX_ARGS / 50000 + 1; i++)
		CHECK(ba_buf_printf(&s,
		                    OA_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{"
		                             "\"arguments\":\"%s\"}}]}",
		                             "null"),
		                    piece) == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), NULL),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 22: the arguments of tool call 1 are over the 1 MiB limit");
	ba_buf_release(&s);
}

TEST(too_many_tool_calls)
{
	ba_buf s;
	char err[512];
	ba_buf_init(&s, 1 << 20);
	for (int i = 0; i <= BA_LLM_MAX_TOOL_CALLS; i++)
		CHECK(ba_buf_printf(
		              &s,
		              OA_CHUNK("{\"tool_calls\":[{\"index\":%d,\"id\":\"c%d\","
		                       "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
		                       "null"),
		              i * 3, i) == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), NULL),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 65: more than 64 tool calls in one answer");
	ba_buf_release(&s);

	/* Exactly the cap is fine. */
	ba_buf_init(&s, 1 << 20);
	for (int i = 0; i < BA_LLM_MAX_TOOL_CALLS; i++)
		CHECK(ba_buf_printf(
		              &s,
		              OA_CHUNK("{\"tool_calls\":[{\"index\":%d,\"id\":\"c%d\","
		                       "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
		                       "null"),
		              i, i) == 0);
	CHECK(ba_buf_append_str(&s, "data: [DONE]\n\n") == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), NULL), BA_LLM_OK);
	ba_buf_release(&s);
}

TEST_TIMEOUT(server_sent_event_over_the_cap, 60)
{
	ba_buf s;
	char err[512];
	ba_buf_init(&s, 1 << 24);
	CHECK(ba_buf_append_str(&s, "data: [DONE]\n\n: ") == 0);
	for (size_t i = 0; i < BA_LLM_MAX_SSE_EVENT / 4096 + 1; i++)
		CHECK(ba_buf_printf(&s, "%04096d", 0) == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), NULL),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 2: a server-sent event or line is over the 4 MiB limit");
	ba_buf_release(&s);
}

TEST(long_names_are_refused)
{
	ba_buf s;
	char err[512];
	ba_buf_init(&s, 1 << 20);
	CHECK(ba_buf_append_str(&s, "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
	                            "\"function\":{\"name\":\"") == 0);
	for (int i = 0; i < 5000; i++)
		CHECK(ba_buf_append_str(&s, "n") == 0);
	CHECK(ba_buf_append_str(&s, "\"}}]}}]}\n\n") == 0);
	CHECK_EQ_INT(feed_generated(BA_LLM_API_OPENAI, &s, err, sizeof(err), NULL),
	             BA_LLM_ERR_TOO_LARGE);
	CHECK_EQ_STR(err, "event 1: a tool call's name is over 4096 bytes");
	ba_buf_release(&s);
}

TEST(decoder_basics)
{
	CHECK(ba_llm_decoder_new((ba_llm_api)9, NULL) == NULL);
	ba_llm_decoder_free(NULL);
	/* No handler at all is fine. */
	ba_llm_decoder *d = ba_llm_decoder_new(BA_LLM_API_OPENAI, NULL);
	char err[256];
	ba_llm_response resp;
	const char *s = OA_CHUNK("{\"content\":\"x\"}", "\"stop\"");
	CHECK_EQ_INT(ba_llm_decoder_feed(d, s, strlen(s), err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(ba_llm_decoder_finish(d, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(resp.message.text, "x");
	ba_llm_response_release(&resp);
	/* Nothing more after the end. */
	CHECK_EQ_INT(ba_llm_decoder_feed(d, "\n", 1, err, sizeof(err)), BA_LLM_ERR_PROTOCOL);
	ba_llm_decoder_free(d);
	/* A tiny error buffer still gets a terminated prefix. */
	d = ba_llm_decoder_new(BA_LLM_API_ANTHROPIC, NULL);
	CHECK_EQ_INT(ba_llm_decoder_finish(d, &resp, err, 8), BA_LLM_ERR_PROTOCOL);
	CHECK_EQ_STR(err, "the str");
	ba_llm_decoder_free(d);
}

/* ------------------------------------------------------------- requests */

static ba_llm_provider provider(ba_llm_api api, const char *base, char *key)
{
	ba_llm_provider p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", api == BA_LLM_API_OPENAI ? "openai" : "anthropic");
	p.api = api;
	snprintf(p.base_url, sizeof(p.base_url), "%s", base);
	p.api_key = key;
	snprintf(p.key_source, sizeof(p.key_source), "%s",
	         api == BA_LLM_API_OPENAI ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY");
	return p;
}

/* Writable text for the (non-const) message fields. */
#define W(s) ((char[]){s})

static ba_llm_tool_call calls2[] = {
        {.id = W("call_1"), .name = W("read_file"), .arguments = W("{\"path\":\"a.txt\"}")},
        {.id = W("call_2"), .name = W("list_dir"), .arguments = W("{not json")},
};

static const ba_llm_message convo[] = {
        {.role = BA_LLM_ROLE_USER, .text = W("List \"src\" and read a.txt\n")},
        {.role = BA_LLM_ROLE_ASSISTANT,
         .text = W("Sure."),
         .tool_call_count = 2,
         .tool_calls = calls2},
        {.role = BA_LLM_ROLE_TOOL,
         .tool_call_id = W("call_1"),
         .tool_name = W("read_file"),
         .text = W("hello \xff world")},
        {.role = BA_LLM_ROLE_TOOL,
         .tool_call_id = W("call_2"),
         .tool_name = W("list_dir"),
         .text = W("invalid arguments"),
         .is_error = true},
        {.role = BA_LLM_ROLE_USER, .text = W("thanks")},
};

static const ba_llm_tool_def tools2[] = {
        {.name = "read_file",
         .description = "Reads a file.",
         .input_schema = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
                         "\"required\":[\"path\"]}"},
        {.name = "list_dir", .description = NULL, .input_schema = NULL},
};

static ba_llm_request request(void)
{
	ba_llm_request r;
	memset(&r, 0, sizeof(r));
	r.model = "x/y";
	r.system = "You are careful.";
	r.messages = convo;
	r.message_count = sizeof(convo) / sizeof(convo[0]);
	r.tools = tools2;
	r.tool_count = 2;
	return r;
}

static json_t *body_json(const ba_llm_wire_request *wr)
{
	json_error_t e;
	CHECK_EQ_UINT(strlen(wr->body.data), wr->body.len);
	json_t *v = json_loadb(wr->body.data, wr->body.len, JSON_REJECT_DUPLICATES, &e);
	if (!v)
		ba_test_fail(__FILE__, __LINE__, "body is not JSON: %s", e.text);
	return v;
}

static void check_json(const json_t *v, const char *want)
{
	json_error_t e;
	json_t *w = json_loads(want, 0, &e);
	if (!w)
		ba_test_fail(__FILE__, __LINE__, "bad expectation: %s", e.text);
	if (!json_equal(v, w)) {
		char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		char *exp = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
		ba_test_fail(__FILE__, __LINE__, "JSON\n%s\n!= expected\n%s", got, exp);
	}
	json_decref(w);
}

TEST(openai_request_shape)
{
	char key[] = "sk-test-SECRET-123";
	ba_llm_provider p = provider(BA_LLM_API_OPENAI, "http://127.0.0.1:9/v1", key);
	ba_llm_request r = request();
	ba_llm_wire_request wr;
	char err[256];

	CHECK_EQ_INT(ba_llm_wire_build(&p, "gpt-4o-mini", &r, 0, &wr, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(wr.url, "http://127.0.0.1:9/v1/chat/completions");
	CHECK_EQ_UINT(wr.header_count, 3);
	CHECK_EQ_STR(wr.headers[0], "Content-Type: application/json");
	CHECK_EQ_STR(wr.headers[1], "Accept: text/event-stream");
	CHECK_EQ_STR(wr.headers[2], "Authorization: Bearer sk-test-SECRET-123");
	/* The key is in the header line only. */
	CHECK(strstr(wr.body.data, "SECRET") == NULL);
	CHECK(strstr(wr.url, "SECRET") == NULL);

	json_t *v = body_json(&wr);
	check_json(
	        v,
	        "{\"model\":\"gpt-4o-mini\",\"messages\":["
	        "{\"role\":\"system\",\"content\":\"You are careful.\"},"
	        "{\"role\":\"user\",\"content\":\"List \\\"src\\\" and read a.txt\\n\"},"
	        "{\"role\":\"assistant\",\"content\":\"Sure.\",\"tool_calls\":["
	        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"read_file\","
	        "\"arguments\":\"{\\\"path\\\":\\\"a.txt\\\"}\"}},"
	        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"list_dir\","
	        "\"arguments\":\"{not json\"}}]},"
	        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"hello \xef\xbf\xbd "
	        "world\"},"
	        "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"invalid arguments\"},"
	        "{\"role\":\"user\",\"content\":\"thanks\"}],"
	        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"read_file\","
	        "\"description\":\"Reads a file.\",\"parameters\":{\"type\":\"object\","
	        "\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}}},"
	        "{\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"parameters\":{"
	        "\"type\":\"object\",\"properties\":{}}}}],"
	        "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
	json_decref(v);
	ba_llm_wire_request_release(&wr);
	CHECK_EQ_UINT(wr.header_count, 0);
	CHECK(wr.headers[0] == NULL && wr.headers[2] == NULL);
	ba_llm_wire_request_release(&wr); /* twice is fine */
}

TEST(openai_max_tokens_only_when_set)
{
	ba_llm_provider p = provider(BA_LLM_API_OPENAI, "http://h/v1/", NULL);
	ba_llm_request r = request();
	ba_llm_wire_request wr;
	char err[256];

	/* The request said 100. */
	r.max_tokens = 100;
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 100, &wr, err, sizeof(err)), BA_LLM_OK);
	json_t *v = body_json(&wr);
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "max_tokens")), 100);
	json_decref(v);
	/* No key: no Authorization; a trailing '/' in the base URL is
	 * tolerated. */
	CHECK_EQ_UINT(wr.header_count, 2);
	CHECK_EQ_STR(wr.url, "http://h/v1/chat/completions");
	ba_llm_wire_request_release(&wr);

	/* The model settings said 2000. */
	r.max_tokens = 0;
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 2000, &wr, err, sizeof(err)), BA_LLM_OK);
	v = body_json(&wr);
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "max_tokens")), 2000);
	json_decref(v);
	ba_llm_wire_request_release(&wr);

	/* Nobody said: left to the server. */
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 0, &wr, err, sizeof(err)), BA_LLM_OK);
	v = body_json(&wr);
	CHECK(json_object_get(v, "max_tokens") == NULL);
	json_decref(v);
	ba_llm_wire_request_release(&wr);

	/* Regression: model settings of exactly 4096 (the Anthropic default)
	 * were taken for "not set" and dropped. */
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 4096, &wr, err, sizeof(err)), BA_LLM_OK);
	v = body_json(&wr);
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "max_tokens")), 4096);
	json_decref(v);
	ba_llm_wire_request_release(&wr);

	/* Anthropic requires a value: unset is 4096. */
	ba_llm_provider pa = provider(BA_LLM_API_ANTHROPIC, "http://h", NULL);
	CHECK_EQ_INT(ba_llm_wire_build(&pa, "m", &r, 0, &wr, err, sizeof(err)), BA_LLM_OK);
	v = body_json(&wr);
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "max_tokens")), 4096);
	json_decref(v);
	ba_llm_wire_request_release(&wr);
}

TEST(openai_assistant_without_text)
{
	ba_llm_provider p = provider(BA_LLM_API_OPENAI, "http://h/v1", NULL);
	ba_llm_tool_call call = {.id = W("c"), .name = W("f"), .arguments = W("{}")};
	ba_llm_message msgs[] = {
	        {.role = BA_LLM_ROLE_USER, .text = NULL},
	        {.role = BA_LLM_ROLE_ASSISTANT, .tool_call_count = 1, .tool_calls = &call},
	        {.role = BA_LLM_ROLE_TOOL, .tool_call_id = W("c"), .text = NULL},
	        {.role = BA_LLM_ROLE_ASSISTANT},
	};
	ba_llm_request r = {.messages = msgs, .message_count = 4};
	ba_llm_wire_request wr;
	char err[256];
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 4096, &wr, err, sizeof(err)), BA_LLM_OK);
	json_t *v = body_json(&wr);
	check_json(json_object_get(v, "messages"),
	           "[{\"role\":\"user\",\"content\":\"\"},"
	           "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\","
	           "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
	           "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"\"},"
	           "{\"role\":\"assistant\",\"content\":\"\"}]");
	CHECK(json_object_get(v, "tools") == NULL);
	json_decref(v);
	ba_llm_wire_request_release(&wr);
}

TEST(anthropic_request_shape)
{
	char key[] = "sk-ant-SECRET-456";
	ba_llm_provider p = provider(BA_LLM_API_ANTHROPIC, "http://127.0.0.1:9", key);
	ba_llm_request r = request();
	ba_llm_wire_request wr;
	char err[256];

	CHECK_EQ_INT(ba_llm_wire_build(&p, "claude-sonnet-4-5", &r, 4096, &wr, err, sizeof(err)),
	             BA_LLM_OK);
	CHECK_EQ_STR(wr.url, "http://127.0.0.1:9/v1/messages");
	CHECK_EQ_UINT(wr.header_count, 4);
	CHECK_EQ_STR(wr.headers[0], "Content-Type: application/json");
	CHECK_EQ_STR(wr.headers[1], "Accept: text/event-stream");
	CHECK_EQ_STR(wr.headers[2], "anthropic-version: 2023-06-01");
	CHECK_EQ_STR(wr.headers[3], "x-api-key: sk-ant-SECRET-456");
	CHECK(strstr(wr.body.data, "SECRET") == NULL);

	json_t *v = body_json(&wr);
	check_json(
	        v,
	        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":4096,"
	        "\"system\":\"You are careful.\",\"messages\":["
	        "{\"role\":\"user\",\"content\":\"List \\\"src\\\" and read a.txt\\n\"},"
	        "{\"role\":\"assistant\",\"content\":["
	        "{\"type\":\"text\",\"text\":\"Sure.\"},"
	        "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"read_file\","
	        "\"input\":{\"path\":\"a.txt\"}},"
	        "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"list_dir\",\"input\":{}}]},"
	        "{\"role\":\"user\",\"content\":["
	        "{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\","
	        "\"content\":\"hello \xef\xbf\xbd world\",\"is_error\":false},"
	        "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\","
	        "\"content\":\"invalid arguments\",\"is_error\":true}]},"
	        "{\"role\":\"user\",\"content\":\"thanks\"}],"
	        "\"tools\":[{\"name\":\"read_file\",\"description\":\"Reads a file.\","
	        "\"input_schema\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":"
	        "\"string\"}},\"required\":[\"path\"]}},"
	        "{\"name\":\"list_dir\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
	        "\"stream\":true}");
	json_decref(v);
	ba_llm_wire_request_release(&wr);
}

TEST(anthropic_tool_results_merge_only_when_consecutive)
{
	ba_llm_provider p = provider(BA_LLM_API_ANTHROPIC, "http://h", NULL);
	ba_llm_tool_call c1 = {.id = W("t1"), .name = W("f"), .arguments = W("[1]")};
	ba_llm_tool_call c2 = {.id = W("t2"), .name = W("f"), .arguments = NULL};
	ba_llm_message msgs[] = {
	        {.role = BA_LLM_ROLE_USER, .text = W("go")},
	        {.role = BA_LLM_ROLE_ASSISTANT, .tool_call_count = 1, .tool_calls = &c1},
	        {.role = BA_LLM_ROLE_TOOL, .tool_call_id = W("t1"), .text = W("one")},
	        {.role = BA_LLM_ROLE_ASSISTANT, .text = W("")}, /* empty: left out */
	        {.role = BA_LLM_ROLE_ASSISTANT, .tool_call_count = 1, .tool_calls = &c2},
	        {.role = BA_LLM_ROLE_TOOL, .tool_call_id = W("t2"), .text = W("")},
	};
	ba_llm_request r = {.messages = msgs, .message_count = 6};
	ba_llm_wire_request wr;
	char err[256];
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 50, &wr, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(wr.header_count, 3); /* no key, no x-api-key */
	json_t *v = body_json(&wr);
	CHECK(json_object_get(v, "system") == NULL);
	CHECK(json_object_get(v, "tools") == NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(v, "max_tokens")), 50);
	check_json(json_object_get(v, "messages"),
	           "[{\"role\":\"user\",\"content\":\"go\"},"
	           "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
	           "\"name\":\"f\",\"input\":{}}]},"
	           "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
	           "\"t1\",\"content\":\"one\",\"is_error\":false}]},"
	           "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t2\","
	           "\"name\":\"f\",\"input\":{}}]},"
	           "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
	           "\"t2\",\"is_error\":false}]}]");
	json_decref(v);
	ba_llm_wire_request_release(&wr);
}

TEST(build_refuses_bad_schemas_and_configuration)
{
	char key[] = "sk-ok";
	ba_llm_provider p = provider(BA_LLM_API_OPENAI, "http://h/v1", key);
	ba_llm_tool_def bad[] = {{.name = "web_fetch", .input_schema = "{\"type\": \"object\",}"}};
	ba_llm_tool_def notobj[] = {{.name = "grep", .input_schema = "[1]"}};
	ba_llm_request r = {.tools = bad, .tool_count = 1};
	ba_llm_wire_request wr;
	char err[256];

	for (int api = 0; api < 2; api++) {
		p.api = (ba_llm_api)api;
		r.tools = bad;
		CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)),
		             BA_LLM_ERR_CONFIG);
		CHECK_CONTAINS(err, "tool 'web_fetch': its input schema is not valid JSON (line 1");
		CHECK_EQ_UINT(wr.header_count, 0);
		ba_llm_wire_request_release(&wr);
		r.tools = notobj;
		CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)),
		             BA_LLM_ERR_CONFIG);
		CHECK_EQ_STR(err, "tool 'grep': its input schema is not a JSON object");
		ba_llm_wire_request_release(&wr);
	}
	r.tool_count = 0;

	/* A key with a line break would forge headers: refused, not quoted. */
	char evil[] = "sk-abc\r\nX-Evil: 1";
	p.api_key = evil;
	for (int api = 0; api < 2; api++) {
		p.api = (ba_llm_api)api;
		CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)),
		             BA_LLM_ERR_CONFIG);
		CHECK_EQ_STR(err, "the API key from OPENAI_API_KEY holds a line break or control "
		                  "character");
		CHECK(strstr(err, "sk-abc") == NULL);
		CHECK_EQ_UINT(wr.header_count, 0);
		ba_llm_wire_request_release(&wr);
	}
	p.api_key = key;
	p.api = BA_LLM_API_OPENAI;

	p.base_url[0] = '\0';
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_EQ_STR(err, "provider 'openai' has no base URL");
	ba_llm_wire_request_release(&wr);
	snprintf(p.base_url, sizeof(p.base_url), "http://h");
	CHECK_EQ_INT(ba_llm_wire_build(&p, "", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_EQ_STR(err, "no model name for provider 'openai'");
	ba_llm_wire_request_release(&wr);
	/* The longest base URL still has room for the path. */
	memset(p.base_url, 'a', sizeof(p.base_url) - 1);
	p.base_url[sizeof(p.base_url) - 1] = '\0';
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(strlen(wr.url), sizeof(p.base_url) - 1 + strlen("/chat/completions"));
	ba_llm_wire_request_release(&wr);
	p.base_url[sizeof(p.base_url) - 1] = 'a'; /* not terminated */
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_EQ_STR(err, "the base URL of provider 'openai' is too long");
	ba_llm_wire_request_release(&wr);
	snprintf(p.base_url, sizeof(p.base_url), "///");
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_EQ_STR(err, "provider 'openai' has no base URL");
	ba_llm_wire_request_release(&wr);
	snprintf(p.base_url, sizeof(p.base_url), "http://h");
	p.api = (ba_llm_api)7;
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	ba_llm_wire_request_release(&wr);
	p.api = BA_LLM_API_OPENAI;
	ba_llm_message m = {.role = (ba_llm_role)5};
	r.messages = &m;
	r.message_count = 1;
	CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_EQ_STR(err, "message 1 has an unknown role (5)");
	ba_llm_wire_request_release(&wr);
}

TEST_TIMEOUT(request_over_the_cap, 120)
{
	ba_llm_provider p = provider(BA_LLM_API_OPENAI, "http://h/v1", NULL);
	size_t n = BA_LLM_MAX_REQUEST;
	char *big = malloc(n + 1);
	CHECK(big != NULL);
	memset(big, 'z', n);
	big[n] = '\0';
	ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = big};
	ba_llm_request r = {.messages = &m, .message_count = 1};
	ba_llm_wire_request wr;
	char err[256];
	for (int api = 0; api < 2; api++) {
		p.api = (ba_llm_api)api;
		CHECK_EQ_INT(ba_llm_wire_build(&p, "m", &r, 10, &wr, err, sizeof(err)),
		             BA_LLM_ERR_TOO_LARGE);
		CHECK_EQ_STR(err, "the request is over the 64 MiB limit");
		CHECK(wr.body.len == 0);
		ba_llm_wire_request_release(&wr);
	}
	free(big);
}

/* ------------------------------------------------------------- error bodies */

static void check_error_body(const char *body, const char *want)
{
	char out[512];
	memset(out, 'X', sizeof(out));
	ba_llm_error_body_message(body, strlen(body), out, sizeof(out));
	CHECK_EQ_STR(out, want);
}

TEST(error_body_messages)
{
	check_error_body("{\"error\":{\"message\":\"Incorrect API key provided: sk-abc***xyz. You "
	                 "can find your API key at https://platform.openai.com/account/api-keys.\","
	                 "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_"
	                 "key\"}}",
	                 "Incorrect API key provided: sk-abc***xyz. You can find your API key at "
	                 "https://platform.openai.com/account/api-keys.");
	check_error_body("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":"
	                 "\"model: claude-x\"},\"request_id\":\"req_1\"}",
	                 "model: claude-x");
	check_error_body("{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}",
	                 "model \"llama9\" not found, try pulling it first");
	check_error_body("{\"detail\":\"Not Found\"}", "Not Found");
	check_error_body("{\"message\":\"Unauthorized\"}", "Unauthorized");
	check_error_body("{\"error\":{\"type\":\"overloaded_error\"}}", "overloaded_error");
	check_error_body("{\"error\":{\"message\":\"two\\nlines\\tand\\u0007bell\"}}",
	                 "two lines and bell");
	check_error_body("\n\n<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>",
	                 "<html>");
	check_error_body("upstream connect error\x01 or disconnect", "upstream connect error  or "
	                                                             "disconnect");
	check_error_body("bad \xff\xfe utf8", "bad ?? utf8");
	check_error_body("", "");
	check_error_body("{\"error\":{}}", "{\"error\":{}}");

	/* A long first line is cut to 300 bytes, on a character boundary. */
	char longline[1000];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline + 296, "\xc3\xa9\xc3\xa9", 4);
	longline[999] = '\0';
	char out[512];
	ba_llm_error_body_message(longline, strlen(longline), out, sizeof(out));
	CHECK_EQ_UINT(strlen(out), 299);
	CHECK(memcmp(out + 296, "...", 4) == 0);
	/* And to what fits. */
	ba_llm_error_body_message("{\"error\":\"abcdefghij\"}", 22, out, 8);
	CHECK_EQ_STR(out, "abcd...");
	ba_llm_error_body_message("abc", 3, out, 1);
	CHECK_EQ_STR(out, "");
	/* When the last character does not fit, "..." takes room back in
	 * whole characters. */
	const char *accents = "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x9c\x93"; /* ééé✓ */
	ba_llm_error_body_message(accents, strlen(accents), out, 9);
	CHECK_EQ_STR(out, "\xc3\xa9\xc3\xa9...");
	ba_llm_error_body_message(accents, strlen(accents), out, 10);
	CHECK_EQ_STR(out, accents);
}
