/*
 * fuzz_llm_stream.c - libFuzzer target: the model providers' streaming
 * decoders (llm/wire.h) and the error-body reader.
 *
 * Everything a model server sends back - or anything in the middle that
 * speaks HTTP - reaches these decoders, in whatever pieces the network
 * delivers. Each input goes to both decoders (OpenAI and Anthropic) whole,
 * in pieces of a size and at offsets the input picks, and (for short
 * inputs) byte by byte. Besides crashes, leaks and sanitizer reports this
 * target aborts when a promise of wire.h or llm.h breaks:
 *
 *   - the outcome depends on the split: status, message, the callbacks
 *     heard (each piece of text, each tool call) and the answer must be
 *     the same however the bytes were cut;
 *   - a status a decoder must never give (anything but OK, PROTOCOL,
 *     SERVER, RATE_LIMIT, TOO_LARGE, NOMEM), or a message that is missing,
 *     unterminated, not one line or not valid UTF-8; after a failure, more input is not
 *     refused with the same status and message;
 *   - an answer over the caps (text, tool calls, arguments), a tool call
 *     without id, name or arguments, text that is not valid UTF-8 (it is
 *     decoded JSON: only U+FFFD replaces anything), on_text pieces that do
 *     not add up to the text, on_tool_call not heard exactly once per call
 *     (each index below the count), a stop reason outside the enum or an unterminated raw one;
 *   - ba_decoder_bytes() not counting what was fed;
 *   - ba_llm_error_body_message() on the same bytes (into a buffer of a
 *     size the input picks) leaving an unterminated, multi-line or not
 *     UTF-8 message.
 *
 * Input: byte 0 picks the piece sizes (bits 0-1: at most 1, 7, 64 or 4096
 * bytes) and byte 1 seeds the generator that picks them; the rest is the
 * body.
 */
#include "check.h"
#include "core/utf8.h"
#include "llm/wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte by byte costs a decoder call per byte; past this it is slow for
 * no new coverage. */
#define BYTEWISE_MAX 4096

typedef struct outcome {
	ba_llm_status status;
	char err[512];
	ba_buf log;  /* callbacks as heard */
	ba_buf text; /* on_text pieces joined */
	size_t announced;
	bool heard[BA_LLM_MAX_TOOL_CALLS];
	ba_llm_response resp;
	char *rendered;
} outcome;

static void on_text(void *user, const char *text, size_t len)
{
	outcome *o = user;
	if (len == 0)
		ba_fuzz_fail("on_text: an empty piece");
	if (ba_buf_append(&o->text, text, len) != 0 || ba_buf_printf(&o->log, "T%zu:", len) != 0 ||
	    ba_buf_append(&o->log, text, len) != 0)
		abort();
}

static void on_tool_call(void *user, size_t index, const char *id, const char *name)
{
	outcome *o = user;
	if (!id || !name)
		ba_fuzz_fail("on_tool_call: NULL id or name");
	/* A call is announced once it has a name, so a nameless first call
	 * (announced at the end) may come after a later one. */
	if (index >= BA_LLM_MAX_TOOL_CALLS || o->heard[index])
		ba_fuzz_fail("on_tool_call: index %zu heard twice or over the cap", index);
	o->heard[index] = true;
	o->announced++;
	if (ba_buf_printf(&o->log, "C%zu:%s:%s\n", index, id, name) != 0)
		abort();
}

static void check_utf8(const char *what, const char *s)
{
	size_t n = strlen(s), k;
	for (size_t i = 0; i < n; i += k)
		if ((k = ba_utf8_char(s + i, n - i)) == 0)
			ba_fuzz_fail("%s is not valid UTF-8 at byte %zu", what, i);
}

static void check_message(const char *what, const char *msg, size_t cap)
{
	if (!memchr(msg, '\0', cap))
		ba_fuzz_fail("%s: the message is not terminated", what);
	if (strchr(msg, '\n') || strchr(msg, '\r'))
		ba_fuzz_fail("%s: the message is not one line: %s", what, msg);
	/* Quoted server text is cleaned up, and cuts fall between
	 * characters. */
	check_utf8(what, msg);
}

/* Checks the answer and renders everything for comparison. */
static void finish_outcome(outcome *o, const char *api)
{
	ba_buf r;

	check_message(api, o->err, sizeof(o->err));
	switch (o->status) {
	case BA_LLM_OK:
		if (o->err[0])
			ba_fuzz_fail("%s: OK with a message: %s", api, o->err);
		break;
	case BA_LLM_ERR_PROTOCOL:
	case BA_LLM_ERR_SERVER:
	case BA_LLM_ERR_RATE_LIMIT:
	case BA_LLM_ERR_TOO_LARGE:
	case BA_LLM_ERR_NOMEM:
		if (!o->err[0])
			ba_fuzz_fail("%s: status %d without a message", api, (int)o->status);
		break;
	default:
		ba_fuzz_fail("%s: a decoder gave status %d", api, (int)o->status);
	}
	ba_buf_init(&r, 1u << 30);
	if (ba_buf_printf(&r, "%d %s\n", (int)o->status, o->err) != 0 ||
	    ba_buf_append(&r, o->log.data ? o->log.data : "", o->log.len) != 0)
		abort();
	if (o->status == BA_LLM_OK) {
		const ba_llm_message *m = &o->resp.message;
		const char *text = m->text ? m->text : "";
		if (m->role != BA_LLM_ROLE_ASSISTANT)
			ba_fuzz_fail("%s: the answer's role is %d", api, (int)m->role);
		if (m->text && !m->text[0])
			ba_fuzz_fail("%s: empty text rather than NULL", api);
		if (strlen(text) > BA_LLM_MAX_TEXT)
			ba_fuzz_fail("%s: %zu bytes of text", api, strlen(text));
		check_utf8("the text", text);
		if (o->text.len != strlen(text) ||
		    memcmp(o->text.data ? o->text.data : "", text, o->text.len) != 0)
			ba_fuzz_fail("%s: on_text heard %zu bytes, the text has %zu", api,
			             o->text.len, strlen(text));
		if (m->tool_call_count > BA_LLM_MAX_TOOL_CALLS)
			ba_fuzz_fail("%s: %zu tool calls", api, m->tool_call_count);
		if (m->tool_call_count != o->announced)
			ba_fuzz_fail("%s: %zu tool calls, %zu announced", api, m->tool_call_count,
			             o->announced);
		if ((m->tool_call_count == 0) != (m->tool_calls == NULL))
			ba_fuzz_fail("%s: tool_calls and tool_call_count disagree", api);
		for (size_t i = 0; i < m->tool_call_count; i++) {
			const ba_llm_tool_call *c = &m->tool_calls[i];
			if (!o->heard[i])
				ba_fuzz_fail("%s: tool call %zu was never announced", api, i);
			if (!c->id || !c->id[0] || !c->name || !c->arguments || !c->arguments[0])
				ba_fuzz_fail("%s: tool call %zu lacks an id, name or arguments",
				             api, i);
			if (strlen(c->arguments) > BA_LLM_MAX_ARGS)
				ba_fuzz_fail("%s: tool call %zu has %zu bytes of arguments", api, i,
				             strlen(c->arguments));
			check_utf8("a tool call's id", c->id);
			check_utf8("a tool call's name", c->name);
			check_utf8("a tool call's arguments", c->arguments);
			if (ba_buf_printf(&r, "[%s|%s|%s]\n", c->id, c->name, c->arguments) != 0)
				abort();
		}
		if ((unsigned)o->resp.stop > BA_LLM_STOP_OTHER)
			ba_fuzz_fail("%s: stop %d", api, (int)o->resp.stop);
		check_message("stop_raw", o->resp.stop_raw, sizeof(o->resp.stop_raw));
		if (ba_buf_printf(&r, "%s\n%d %s %llu %llu\n", text, (int)o->resp.stop,
		                  o->resp.stop_raw, (unsigned long long)o->resp.usage.input_tokens,
		                  (unsigned long long)o->resp.usage.output_tokens) != 0)
			abort();
		ba_llm_response_release(&o->resp);
	}
	o->rendered = ba_buf_detach(&r, NULL);
	if (!o->rendered)
		abort();
	ba_buf_release(&o->log);
	ba_buf_release(&o->text);
}

static uint32_t rng;
static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Decodes body in pieces of at most max bytes (0 = whole), picked by the
 * generator. */
static void decode(ba_llm_api api, const char *body, size_t len, size_t max, outcome *o)
{
	const char *name = api == BA_LLM_API_OPENAI ? "openai" : "anthropic";
	ba_llm_handler h = {.on_text = on_text, .on_tool_call = on_tool_call, .user = o};

	memset(o, 0, sizeof(*o));
	ba_buf_init(&o->log, 1u << 30);
	ba_buf_init(&o->text, 1u << 30);
	ba_llm_decoder *d = ba_llm_decoder_new(api, &h);
	if (!d)
		abort();
	size_t at = 0;
	while (at < len && o->status == BA_LLM_OK) {
		size_t n = max == 0 ? len - at : 1 + next() % max;
		if (n > len - at)
			n = len - at;
		o->status = ba_llm_decoder_feed(d, body + at, n, o->err, sizeof(o->err));
		at += n;
		if (ba_llm_decoder_bytes(d) != at)
			ba_fuzz_fail("%s: %zu bytes counted of %zu fed", name,
			             ba_llm_decoder_bytes(d), at);
	}
	if (o->status == BA_LLM_OK) {
		o->status = ba_llm_decoder_finish(d, &o->resp, o->err, sizeof(o->err));
	} else {
		char again[sizeof(o->err)];
		ba_llm_response unused;
		if (ba_llm_decoder_feed(d, "x", 1, again, sizeof(again)) != o->status ||
		    strcmp(again, o->err) != 0 ||
		    ba_llm_decoder_finish(d, &unused, again, sizeof(again)) != o->status)
			ba_fuzz_fail("%s: input after a failure was not refused alike", name);
	}
	ba_llm_decoder_free(d);
	finish_outcome(o, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t piece_max[4] = {1, 7, 64, 4096};

	if (size < 2)
		return 0;
	const char *body = (const char *)data + 2;
	size_t len = size - 2;

	for (int api = 0; api < 2; api++) {
		outcome whole, split;
		decode((ba_llm_api)api, body, len, 0, &whole);

		rng = data[1];
		decode((ba_llm_api)api, body, len, piece_max[data[0] & 3], &split);
		if (strcmp(whole.rendered, split.rendered) != 0)
			ba_fuzz_fail("api %d: whole:\n%.2000s\nsplit:\n%.2000s", api,
			             whole.rendered, split.rendered);
		free(split.rendered);

		if (len <= BYTEWISE_MAX && (data[0] & 4)) {
			decode((ba_llm_api)api, body, len, 1, &split);
			if (strcmp(whole.rendered, split.rendered) != 0)
				ba_fuzz_fail("api %d: whole:\n%.2000s\nbyte by byte:\n%.2000s", api,
				             whole.rendered, split.rendered);
			free(split.rendered);
		}
		free(whole.rendered);
	}

	char msg[400];
	size_t msg_len = 1 + (size_t)data[1] % sizeof(msg);
	memset(msg, 0xa5, sizeof(msg));
	ba_llm_error_body_message(body, len, msg, msg_len);
	check_message("error body", msg, msg_len);
	return 0;
}
