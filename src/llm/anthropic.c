/*
 * anthropic.c - the Anthropic Messages wire format (see wire.h).
 *
 * Request:
 *   {"model":M,"max_tokens":K,"system":S,
 *    "messages":[{"role":"user","content":T},
 *      {"role":"assistant","content":[{"type":"text","text":T},
 *        {"type":"tool_use","id":I,"name":N,"input":{...}}]},
 *      {"role":"user","content":[{"type":"tool_result","tool_use_id":I,
 *        "content":T,"is_error":false}, ...]}],
 *    "tools":[{"name":N,"description":D,"input_schema":SCHEMA}],
 *    "stream":true}
 * Stream: named events, each with a JSON object whose "type" repeats the
 * name: message_start, then per content block content_block_start,
 * content_block_delta..., content_block_stop, then message_delta (stop
 * reason, output tokens) and message_stop; ping and error anywhere.
 *
 * The decoder checks the order that matters for getting the answer
 * right (a block's deltas after its start and before its stop, nothing
 * before message_start) and lets unknown events and block types (thinking,
 * server tools...) pass: the format grows, and they are not ours to act on.
 */
#include "llm/wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANTHROPIC_VERSION "2023-06-01"

#define put  ba_llm__put
#define push ba_llm__push

/* ------------------------------------------------------------- request */

/* A tool call's arguments as the "input" object: arguments that are not
 * a JSON object (the model's mistake, already reported to it) become {}. */
static json_t *input_of(const char *arguments)
{
	json_t *v = arguments ? json_loads(arguments, 0, NULL) : NULL;
	if (json_is_object(v))
		return v;
	json_decref(v);
	return json_object();
}

/* The assistant's message, or nothing when it has no content at all (the
 * API refuses empty content; a skipped empty turn changes nothing). */
static bool assistant_message(json_t *messages, const ba_llm_message *m)
{
	if ((!m->text || !*m->text) && m->tool_call_count == 0)
		return true;
	json_t *o = json_object(), *content = json_array();
	bool ok = push(messages, o) && put(o, "role", json_string("assistant"));
	ok = put(ok ? o : NULL, "content", content);
	if (ok && m->text && *m->text) {
		json_t *b = json_object();
		ok = push(content, b) && put(b, "type", json_string("text")) &&
		     put(b, "text", ba_llm__json_str(m->text));
	}
	for (size_t i = 0; ok && i < m->tool_call_count; i++) {
		const ba_llm_tool_call *c = &m->tool_calls[i];
		json_t *b = json_object();
		ok = push(content, b) && put(b, "type", json_string("tool_use")) &&
		     put(b, "id", ba_llm__json_str(c->id)) &&
		     put(b, "name", ba_llm__json_str(c->name)) &&
		     put(b, "input", input_of(c->arguments));
	}
	return ok;
}

/* One user message of tool_result blocks for messages[*i] and the
 * ROLE_TOOL messages right after it; *i ends on the last one. */
static bool tool_results(json_t *messages, const ba_llm_request *req, size_t *i)
{
	json_t *o = json_object(), *content = json_array();
	bool ok = push(messages, o) && put(o, "role", json_string("user"));
	ok = put(ok ? o : NULL, "content", content);
	for (; ok && *i < req->message_count; ++*i) {
		const ba_llm_message *m = &req->messages[*i];
		json_t *b = json_object();
		ok = push(content, b) && put(b, "type", json_string("tool_result")) &&
		     put(b, "tool_use_id", ba_llm__json_str(m->tool_call_id));
		/* Empty content is left out rather than sent as "". */
		if (ok && m->text && *m->text)
			ok = put(b, "content", ba_llm__json_str(m->text));
		ok = ok && put(b, "is_error", json_boolean(m->is_error));
		if (*i + 1 >= req->message_count || req->messages[*i + 1].role != BA_LLM_ROLE_TOOL)
			break;
	}
	return ok;
}

static bool messages_json(json_t *messages, const ba_llm_request *req)
{
	bool ok = true;

	for (size_t i = 0; ok && i < req->message_count; i++) {
		const ba_llm_message *m = &req->messages[i];
		switch (m->role) {
		case BA_LLM_ROLE_USER: {
			json_t *o = json_object();
			ok = push(messages, o) && put(o, "role", json_string("user")) &&
			     put(o, "content", ba_llm__json_str(m->text));
			break;
		}
		case BA_LLM_ROLE_ASSISTANT:
			ok = assistant_message(messages, m);
			break;
		case BA_LLM_ROLE_TOOL:
			ok = tool_results(messages, req, &i);
			break;
		}
	}
	return ok;
}

static ba_llm_status tools_json(json_t *root, const ba_llm_request *req, char *err, size_t err_len)
{
	json_t *tools = json_array();

	if (!put(root, "tools", tools))
		return BA_LLM_ERR_NOMEM;
	for (size_t i = 0; i < req->tool_count; i++) {
		ba_llm_status st;
		json_t *tool = ba_llm__tool_json(&req->tools[i], "input_schema", err, err_len, &st);
		if (!tool)
			return st;
		if (!push(tools, tool))
			return BA_LLM_ERR_NOMEM;
	}
	return BA_LLM_OK;
}

static ba_llm_status headers(const ba_llm_provider *p, ba_llm_wire_request *out, char *err,
                             size_t err_len)
{
	char what[200];
	ba_llm_status st;

	st = ba_llm__base_headers(out, err, err_len);
	if (st == BA_LLM_OK)
		st = ba_llm__add_header(out, "anthropic-version", ANTHROPIC_VERSION,
		                        "anthropic-version", err, err_len);
	if (st != BA_LLM_OK || !p->api_key || !*p->api_key)
		return st;
	ba_llm__key_what(p, what, sizeof(what));
	return ba_llm__add_header(out, "x-api-key", p->api_key, what, err, err_len);
}

ba_llm_status ba_llm__anthropic_build(const ba_llm_provider *p, const char *model_part,
                                      const ba_llm_request *req, uint32_t max_tokens,
                                      ba_llm_wire_request *out, char *err, size_t err_len)
{
	ba_llm_status st;

	st = ba_llm__set_url(p, "/v1/messages", out, err, err_len);
	if (st == BA_LLM_OK)
		st = headers(p, out, err, err_len);
	if (st != BA_LLM_OK)
		return st;

	json_t *root = json_object(), *messages = json_array();
	bool ok = put(root, "model", ba_llm__json_str(model_part)) &&
	          put(root, "max_tokens",
	              json_integer(max_tokens ? max_tokens : BA_LLM_WIRE_DEFAULT_MAX_TOKENS));
	if (ok && req->system)
		ok = put(root, "system", ba_llm__json_str(req->system));
	ok = put(ok ? root : NULL, "messages", messages);
	ok = ok && messages_json(messages, req);
	st = ok ? BA_LLM_OK : BA_LLM_ERR_NOMEM;
	if (st == BA_LLM_OK && req->tool_count)
		st = tools_json(root, req, err, err_len);
	if (st == BA_LLM_OK && !put(root, "stream", json_true()))
		st = BA_LLM_ERR_NOMEM;
	if (st == BA_LLM_ERR_NOMEM)
		snprintf(err, err_len, "out of memory");
	if (st == BA_LLM_OK)
		st = ba_llm__dump_body(root, out, err, err_len);
	json_decref(root);
	return st;
}

/* ------------------------------------------------------------- decoding */

static ba_llm_stop stop_of(const char *reason)
{
	if (strcmp(reason, "end_turn") == 0 || strcmp(reason, "stop_sequence") == 0)
		return BA_LLM_STOP_END;
	if (strcmp(reason, "tool_use") == 0)
		return BA_LLM_STOP_TOOL_CALLS;
	if (strcmp(reason, "max_tokens") == 0 ||
	    strcmp(reason, "model_context_window_exceeded") == 0)
		return BA_LLM_STOP_MAX_TOKENS;
	return BA_LLM_STOP_OTHER; /* refusal, pause_turn, ... */
}

/* Usage counts present in u replace what was known: message_start has
 * the input, message_delta the running output (and, lately, input). Cache
 * reads and writes are input too: the prompt was that long. */
static void read_usage(ba_llm_decoder *d, const json_t *u)
{
	uint64_t n, c;

	if (!json_is_object(u))
		return;
	if (ba_llm__json_count(json_object_get(u, "input_tokens"), &n)) {
		if (ba_llm__json_count(json_object_get(u, "cache_creation_input_tokens"), &c))
			n += c;
		if (ba_llm__json_count(json_object_get(u, "cache_read_input_tokens"), &c))
			n += c;
		d->usage.input_tokens = n;
	}
	if (ba_llm__json_count(json_object_get(u, "output_tokens"), &n))
		d->usage.output_tokens = n;
}

static ba_llm__block *find_block(ba_llm_decoder *d, int64_t index)
{
	/* Deltas nearly always go to the newest block. */
	for (size_t i = d->block_count; i-- > 0;)
		if (d->blocks[i].index == index)
			return &d->blocks[i];
	return NULL;
}

/* The block index of an event; false after recording a failure. */
static bool block_index(ba_llm_decoder *d, const json_t *root, const char *type, int64_t *out)
{
	char where[32];
	uint64_t n;

	if (!ba_llm__json_count(json_object_get(root, "index"), &n) || n > INT64_MAX) {
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: %s without a valid \"index\"",
		             ba_llm__where(d, where, sizeof(where)), type);
		return false;
	}
	*out = (int64_t)n;
	return true;
}

/* Starts a content block (also for each block of a whole answer). */
static ba_llm_status block_start(ba_llm_decoder *d, int64_t index, const json_t *cb)
{
	char where[32];
	ba_llm_status st;

	if (!json_is_object(cb))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		                    "%s: content block %lld is not an object",
		                    ba_llm__where(d, where, sizeof(where)), (long long)index);
	if (find_block(d, index))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: content block %lld started twice",
		                    ba_llm__where(d, where, sizeof(where)), (long long)index);
	if (d->block_count == BA_LLM_WIRE_MAX_BLOCKS)
		return ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE,
		                    "%s: more than %d content blocks in one answer",
		                    ba_llm__where(d, where, sizeof(where)), BA_LLM_WIRE_MAX_BLOCKS);
	if (d->block_count == d->block_cap) {
		size_t cap = d->block_cap ? d->block_cap * 2 : 8;
		ba_llm__block *b = realloc(d->blocks, cap * sizeof(*b));
		if (!b)
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
		d->blocks = b;
		d->block_cap = cap;
	}
	ba_llm__block *b = &d->blocks[d->block_count++];
	memset(b, 0, sizeof(*b));
	b->index = index;
	b->kind = BLOCK_OTHER;

	const char *type = json_string_value(json_object_get(cb, "type"));
	if (type && strcmp(type, "text") == 0) {
		b->kind = BLOCK_TEXT;
		json_t *text = json_object_get(cb, "text");
		if (json_is_string(text))
			return ba_llm__text(d, json_string_value(text), json_string_length(text));
		return BA_LLM_OK;
	}
	if (!type || strcmp(type, "tool_use") != 0)
		return BA_LLM_OK; /* thinking, server tools...: not ours */
	b->kind = BLOCK_TOOL;
	ba_llm__call *c = ba_llm__call_get(d, index, true);
	if (!c)
		return d->failed;
	b->call = (size_t)(c - d->calls);
	json_t *id = json_object_get(cb, "id"), *name = json_object_get(cb, "name");
	if (json_is_string(id) && (st = ba_llm__call_set(d, &c->id, "id", json_string_value(id),
	                                                 json_string_length(id))) != BA_LLM_OK)
		return st;
	if (json_is_string(name) &&
	    (st = ba_llm__call_set(d, &c->name, "name", json_string_value(name),
	                           json_string_length(name))) != BA_LLM_OK)
		return st;
	/* The input given here is used when no input_json_delta follows
	 * (it is {} when they do, and a whole answer has only this). */
	json_t *input = json_object_get(cb, "input");
	if (json_is_object(input) && json_object_size(input) > 0) {
		c->fallback = json_dumps(input, JSON_COMPACT);
		if (!c->fallback)
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
	}
	ba_llm__call_announce(d, c);
	return BA_LLM_OK;
}

/* The started, not yet stopped block an event names; NULL after
 * recording a failure. */
static ba_llm__block *open_block(ba_llm_decoder *d, const json_t *root, const char *type)
{
	char where[32];
	int64_t index;

	if (!block_index(d, root, type, &index))
		return NULL;
	ba_llm__block *b = find_block(d, index);
	if (!b || b->stopped) {
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: %s for block %lld, which %s",
		             ba_llm__where(d, where, sizeof(where)), type, (long long)index,
		             b ? "has stopped" : "has not started");
		return NULL;
	}
	return b;
}

static ba_llm_status block_delta(ba_llm_decoder *d, const json_t *root)
{
	char where[32];

	ba_llm__block *b = open_block(d, root, "content_block_delta");
	if (!b)
		return d->failed;
	json_t *delta = json_object_get(root, "delta");
	if (!json_is_object(delta))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		                    "%s: content_block_delta without a \"delta\" object",
		                    ba_llm__where(d, where, sizeof(where)));
	if (b->kind == BLOCK_OTHER)
		return BA_LLM_OK;
	const char *type = json_string_value(json_object_get(delta, "type"));
	if (!type)
		type = "";
	const char *want = b->kind == BLOCK_TEXT ? "text_delta" : "input_json_delta";
	if (strcmp(type, "text_delta") != 0 && strcmp(type, "input_json_delta") != 0)
		return BA_LLM_OK; /* citations_delta and the like */
	if (strcmp(type, want) != 0)
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: %s in a %s block",
		                    ba_llm__where(d, where, sizeof(where)), type,
		                    b->kind == BLOCK_TEXT ? "text" : "tool_use");
	if (b->kind == BLOCK_TEXT) {
		json_t *text = json_object_get(delta, "text");
		if (!json_is_string(text))
			return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: a text_delta without text",
			                    ba_llm__where(d, where, sizeof(where)));
		return ba_llm__text(d, json_string_value(text), json_string_length(text));
	}
	json_t *part = json_object_get(delta, "partial_json");
	if (!json_is_string(part))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		                    "%s: an input_json_delta without partial_json",
		                    ba_llm__where(d, where, sizeof(where)));
	return ba_llm__call_args(d, &d->calls[b->call], json_string_value(part),
	                         json_string_length(part));
}

static ba_llm_status block_stop(ba_llm_decoder *d, const json_t *root)
{
	ba_llm__block *b = open_block(d, root, "content_block_stop");
	if (!b)
		return d->failed;
	b->stopped = true;
	return BA_LLM_OK;
}

static void message_delta(ba_llm_decoder *d, const json_t *root)
{
	json_t *delta = json_object_get(root, "delta");
	const char *reason = json_string_value(json_object_get(delta, "stop_reason"));
	if (reason && *reason)
		ba_llm__set_stop(d, stop_of(reason), reason);
	read_usage(d, json_object_get(root, "usage"));
}

ba_llm_status ba_llm__anthropic_event(ba_llm_decoder *d, const char *event, json_t *root)
{
	char where[32];
	ba_llm_status st = BA_LLM_OK;

	/* The data's "type" is the event; the SSE name only repeats it. */
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!type || !*type)
		type = event;
	if (strcmp(type, "ping") == 0) {
		/* keeps the connection alive */
	} else if (strcmp(type, "error") == 0) {
		json_t *error = json_object_get(root, "error");
		st = ba_llm__server_error(d, error ? error : root);
	} else if (strcmp(type, "message_start") == 0) {
		if (d->started) {
			st = ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: a second message_start",
			                  ba_llm__where(d, where, sizeof(where)));
		} else {
			d->started = true;
			read_usage(d, json_object_get(json_object_get(root, "message"), "usage"));
		}
	} else if (strcmp(type, "content_block_start") == 0 ||
	           strcmp(type, "content_block_delta") == 0 ||
	           strcmp(type, "content_block_stop") == 0 || strcmp(type, "message_delta") == 0 ||
	           strcmp(type, "message_stop") == 0) {
		int64_t index;
		if (!d->started)
			st = ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: %s before message_start",
			                  ba_llm__where(d, where, sizeof(where)), type);
		else if (strcmp(type, "content_block_start") == 0)
			st = block_index(d, root, type, &index)
			             ? block_start(d, index, json_object_get(root, "content_block"))
			             : d->failed;
		else if (strcmp(type, "content_block_delta") == 0)
			st = block_delta(d, root);
		else if (strcmp(type, "content_block_stop") == 0)
			st = block_stop(d, root);
		else if (strcmp(type, "message_delta") == 0)
			message_delta(d, root);
		else
			d->done = true;
	}
	/* Other types are newer than this code and carry nothing it needs. */
	return st;
}

ba_llm_status ba_llm__anthropic_answer(ba_llm_decoder *d, json_t *root)
{
	json_t *content = json_object_get(root, "content");
	ba_llm_status st;

	if (!json_is_array(content))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "the answer has no \"content\" array");
	read_usage(d, json_object_get(root, "usage"));
	for (size_t i = 0; i < json_array_size(content); i++) {
		json_t *cb = json_array_get(content, i);
		st = block_start(d, (int64_t)i, cb);
		if (st != BA_LLM_OK)
			return st;
		/* A whole tool_use block has its input in place, even {}. */
		if (d->blocks[d->block_count - 1].kind == BLOCK_TOOL) {
			ba_llm__call *c = &d->calls[d->blocks[d->block_count - 1].call];
			if (!c->fallback) {
				json_t *input = json_object_get(cb, "input");
				c->fallback = json_is_object(input)
				                      ? json_dumps(input, JSON_COMPACT)
				                      : strdup("{}");
				if (!c->fallback)
					return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
			}
		}
	}
	const char *reason = json_string_value(json_object_get(root, "stop_reason"));
	if (reason && *reason)
		ba_llm__set_stop(d, stop_of(reason), reason);
	d->started = d->done = true;
	return BA_LLM_OK;
}

ba_llm_status ba_llm__anthropic_finish(ba_llm_decoder *d)
{
	if (!d->done)
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		                    "the stream ended before message_stop (after %zu bytes, %zu "
		                    "events)",
		                    d->bytes, d->events);
	return BA_LLM_OK;
}
