/*
 * openai.c - the OpenAI Chat Completions wire format (see wire.h), which
 * most compatible servers (Ollama's /v1, vLLM, llama.cpp, LM Studio,
 * OpenRouter, Groq, DeepSeek...) speak too, each with small liberties
 * that the decoder tolerates: a tool call piece without "index", usage
 * beside finish_reason, "stop" as the finish reason of a tool call,
 * arguments sent as an object instead of a string, a plain JSON answer
 * to a streamed request.
 *
 * Request:
 *   {"model":M,"messages":[{"role":"system","content":S},
 *     {"role":"user","content":T},
 *     {"role":"assistant","content":T|null,"tool_calls":[{"id":I,
 *       "type":"function","function":{"name":N,"arguments":A}}]},
 *     {"role":"tool","tool_call_id":I,"content":T}],
 *    "tools":[{"type":"function","function":{"name":N,"description":D,
 *      "parameters":SCHEMA}}],
 *    "stream":true,"stream_options":{"include_usage":true},
 *    "max_tokens":K}
 * Stream: "data: {chat.completion.chunk}" events, then "data: [DONE]".
 */
#include "llm/wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- request */

#define put  ba_llm__put
#define push ba_llm__push

/* The assistant's message; false when memory ran out. */
static bool assistant_message(json_t *o, const ba_llm_message *m)
{
	bool ok = put(o, "role", json_string("assistant"));

	/* Content may be null only beside tool calls. */
	if (m->text)
		ok = ok && put(o, "content", ba_llm__json_str(m->text));
	else
		ok = ok && put(o, "content", m->tool_call_count ? json_null() : json_string(""));
	if (!ok || !m->tool_call_count)
		return ok;
	json_t *calls = json_array();
	ok = put(o, "tool_calls", calls);
	for (size_t i = 0; ok && i < m->tool_call_count; i++) {
		const ba_llm_tool_call *c = &m->tool_calls[i];
		json_t *call = json_object(), *fn = json_object();
		ok = push(calls, call) && put(call, "id", ba_llm__json_str(c->id)) &&
		     put(call, "type", json_string("function"));
		ok = put(ok ? call : NULL, "function", fn);
		/* Arguments go back exactly as the model wrote them, valid
		 * JSON or not: the conversation must show what it said. */
		ok = ok && put(fn, "name", ba_llm__json_str(c->name)) &&
		     put(fn, "arguments", ba_llm__json_str(c->arguments));
	}
	return ok;
}

static bool message_json(json_t *messages, const ba_llm_message *m)
{
	json_t *o = json_object();

	if (!push(messages, o))
		return false;
	switch (m->role) {
	case BA_LLM_ROLE_USER:
		return put(o, "role", json_string("user")) &&
		       put(o, "content", ba_llm__json_str(m->text));
	case BA_LLM_ROLE_ASSISTANT:
		return assistant_message(o, m);
	case BA_LLM_ROLE_TOOL:
		/* The format has no error flag for a result: the agent says
		 * so in the text. */
		return put(o, "role", json_string("tool")) &&
		       put(o, "tool_call_id", ba_llm__json_str(m->tool_call_id)) &&
		       put(o, "content", ba_llm__json_str(m->text));
	}
	return false;
}

/* Adds the tools; CONFIG for a bad schema, NOMEM. */
static ba_llm_status tools_json(json_t *root, const ba_llm_request *req, char *err, size_t err_len)
{
	json_t *tools = json_array();

	if (!put(root, "tools", tools))
		return BA_LLM_ERR_NOMEM;
	for (size_t i = 0; i < req->tool_count; i++) {
		ba_llm_status st;
		json_t *fn = ba_llm__tool_json(&req->tools[i], "parameters", err, err_len, &st);
		if (!fn)
			return st;
		json_t *tool = json_object();
		bool ok = push(tools, tool) && put(tool, "type", json_string("function"));
		if (!put(ok ? tool : NULL, "function", fn))
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
	if (st != BA_LLM_OK || !p->api_key || !*p->api_key)
		return st;
	size_t n = strlen(p->api_key) + sizeof("Bearer ");
	char *value = malloc(n);
	if (!value) {
		snprintf(err, err_len, "out of memory");
		return BA_LLM_ERR_NOMEM;
	}
	snprintf(value, n, "Bearer %s", p->api_key);
	ba_llm__key_what(p, what, sizeof(what));
	st = ba_llm__add_header(out, "Authorization", value, what, err, err_len);
	explicit_bzero(value, n);
	free(value);
	return st;
}

ba_llm_status ba_llm__openai_build(const ba_llm_provider *p, const char *model_part,
                                   const ba_llm_request *req, uint32_t max_tokens,
                                   ba_llm_wire_request *out, char *err, size_t err_len)
{
	ba_llm_status st;

	st = ba_llm__set_url(p, "/chat/completions", out, err, err_len);
	if (st == BA_LLM_OK)
		st = headers(p, out, err, err_len);
	if (st != BA_LLM_OK)
		return st;

	json_t *root = json_object(), *messages = json_array();
	bool ok = put(root, "model", ba_llm__json_str(model_part));
	ok = put(ok ? root : NULL, "messages", messages);
	if (ok && req->system) {
		json_t *sys = json_object();
		ok = push(messages, sys) && put(sys, "role", json_string("system")) &&
		     put(sys, "content", ba_llm__json_str(req->system));
	}
	for (size_t i = 0; ok && i < req->message_count; i++)
		ok = message_json(messages, &req->messages[i]);
	st = ok ? BA_LLM_OK : BA_LLM_ERR_NOMEM;
	if (st == BA_LLM_OK && req->tool_count)
		st = tools_json(root, req, err, err_len);
	if (st == BA_LLM_OK) {
		json_t *opts = json_object();
		ok = put(root, "stream", json_true()) && put(root, "stream_options", opts) &&
		     put(opts, "include_usage", json_true());
		/* Only when asked (max_tokens 0 = nobody did): OpenAI's
		 * reasoning models refuse "max_tokens" (they want
		 * max_completion_tokens), and local servers have sensible
		 * defaults of their own. */
		if (ok && max_tokens)
			ok = put(root, "max_tokens", json_integer(max_tokens));
		st = ok ? BA_LLM_OK : BA_LLM_ERR_NOMEM;
	}
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
	if (strcmp(reason, "stop") == 0 || strcmp(reason, "eos") == 0 ||
	    strcmp(reason, "end_turn") == 0)
		return BA_LLM_STOP_END;
	if (strcmp(reason, "tool_calls") == 0 || strcmp(reason, "function_call") == 0)
		return BA_LLM_STOP_TOOL_CALLS;
	if (strcmp(reason, "length") == 0)
		return BA_LLM_STOP_MAX_TOKENS;
	return BA_LLM_STOP_OTHER; /* content_filter, ... */
}

static void read_usage(ba_llm_decoder *d, const json_t *usage)
{
	uint64_t n;

	if (!json_is_object(usage))
		return; /* null on every chunk but the last */
	if (ba_llm__json_count(json_object_get(usage, "prompt_tokens"), &n))
		d->usage.input_tokens = n;
	if (ba_llm__json_count(json_object_get(usage, "completion_tokens"), &n))
		d->usage.output_tokens = n;
}

/* Which call a tool_calls[] piece belongs to. pos is its place in a
 * complete (non-streamed) message's array, or -1 when streamed. */
static ba_llm__call *call_for(ba_llm_decoder *d, const json_t *piece, int64_t pos)
{
	json_t *index = json_object_get(piece, "index");
	const char *id = json_string_value(json_object_get(piece, "id"));
	char where[32];
	int64_t key;

	if (json_is_integer(index)) {
		key = json_integer_value(index);
		if (key < 0) {
			ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: a tool call with index %lld",
			             ba_llm__where(d, where, sizeof(where)), (long long)key);
			return NULL;
		}
		return ba_llm__call_get(d, key, true);
	}
	if (index && !json_is_null(index)) {
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: a tool call whose index is not a number",
		             ba_llm__where(d, where, sizeof(where)));
		return NULL;
	}
	if (pos >= 0)
		return ba_llm__call_get(d, pos, true);
	/* No index (some compatible servers): a new id starts a call, and so
	 * does a name when the last call has one already (servers that send
	 * whole calls without ids); anything else continues the last. */
	const char *name =
	        json_string_value(json_object_get(json_object_get(piece, "function"), "name"));
	if (id && *id) {
		for (size_t i = 0; i < d->call_count; i++)
			if (d->calls[i].id && strcmp(d->calls[i].id, id) == 0)
				return &d->calls[i];
	} else if (d->call_count && !(name && *name && d->calls[d->call_count - 1].name)) {
		return &d->calls[d->call_count - 1];
	}
	key = 0;
	for (size_t i = 0; i < d->call_count; i++)
		if (d->calls[i].key >= key)
			key = d->calls[i].key + 1;
	return ba_llm__call_get(d, key, true);
}

static ba_llm_status tool_piece(ba_llm_decoder *d, const json_t *piece, int64_t pos)
{
	ba_llm_status st;
	char where[32];

	if (!json_is_object(piece))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: a tool call that is not an object",
		                    ba_llm__where(d, where, sizeof(where)));
	ba_llm__call *c = call_for(d, piece, pos);
	if (!c)
		return d->failed;
	json_t *id = json_object_get(piece, "id");
	if (json_is_string(id)) {
		st = ba_llm__call_set(d, &c->id, "id", json_string_value(id),
		                      json_string_length(id));
		if (st != BA_LLM_OK)
			return st;
	}
	json_t *fn = json_object_get(piece, "function");
	if (!json_is_object(fn))
		return BA_LLM_OK;
	json_t *name = json_object_get(fn, "name");
	if (json_is_string(name)) {
		st = ba_llm__call_set(d, &c->name, "name", json_string_value(name),
		                      json_string_length(name));
		if (st != BA_LLM_OK)
			return st;
	}
	ba_llm__call_announce(d, c);
	json_t *args = json_object_get(fn, "arguments");
	if (json_is_string(args))
		return ba_llm__call_args(d, c, json_string_value(args), json_string_length(args));
	if (json_is_object(args) || json_is_array(args)) {
		/* Some servers send the arguments parsed; the text is what the
		 * rest of the system works with. */
		char *text = json_dumps(args, JSON_COMPACT);
		if (!text)
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
		st = ba_llm__call_args(d, c, text, strlen(text));
		free(text);
		return st;
	}
	return BA_LLM_OK;
}

/* One choice of a chunk ("delta") or of a whole answer ("message"). */
static ba_llm_status choice(ba_llm_decoder *d, const json_t *ch, bool whole)
{
	ba_llm_status st;
	char where[32];

	json_t *delta = json_object_get(ch, "delta");
	if (!json_is_object(delta))
		delta = json_object_get(ch, "message");
	if (json_is_object(delta)) {
		/* A refusal is what the model said instead of an answer: the
		 * user should read it. */
		static const char *const texts[] = {"content", "refusal"};
		for (size_t i = 0; i < 2; i++) {
			json_t *content = json_object_get(delta, texts[i]);
			if (!json_is_string(content))
				continue;
			st = ba_llm__text(d, json_string_value(content),
			                  json_string_length(content));
			if (st != BA_LLM_OK)
				return st;
		}
		json_t *calls = json_object_get(delta, "tool_calls");
		if (calls && !json_is_null(calls) && !json_is_array(calls))
			return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
			                    "%s: \"tool_calls\" is not an array",
			                    ba_llm__where(d, where, sizeof(where)));
		for (size_t i = 0; i < json_array_size(calls); i++) {
			st = tool_piece(d, json_array_get(calls, i), whole ? (int64_t)i : -1);
			if (st != BA_LLM_OK)
				return st;
		}
	}
	const char *reason = json_string_value(json_object_get(ch, "finish_reason"));
	if (reason && *reason)
		ba_llm__set_stop(d, stop_of(reason), reason);
	return BA_LLM_OK;
}

static ba_llm_status chunk(ba_llm_decoder *d, const json_t *root, bool whole)
{
	char where[32];

	json_t *error = json_object_get(root, "error");
	if (error && !json_is_null(error))
		return ba_llm__server_error(d, error);
	read_usage(d, json_object_get(root, "usage"));
	json_t *choices = json_object_get(root, "choices");
	if (choices && !json_is_null(choices) && !json_is_array(choices))
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: \"choices\" is not an array",
		                    ba_llm__where(d, where, sizeof(where)));
	if (whole && json_array_size(choices) == 0)
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "the answer has no choices");
	for (size_t i = 0; i < json_array_size(choices); i++) {
		json_t *ch = json_array_get(choices, i);
		if (!json_is_object(ch))
			return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
			                    "%s: a choice that is not an object",
			                    ba_llm__where(d, where, sizeof(where)));
		/* We ask for one choice; others (n > 1) are not ours. */
		json_t *index = json_object_get(ch, "index");
		if (json_is_integer(index) && json_integer_value(index) != 0)
			continue;
		ba_llm_status st = choice(d, ch, whole);
		if (st != BA_LLM_OK)
			return st;
	}
	return BA_LLM_OK;
}

ba_llm_status ba_llm__openai_event(ba_llm_decoder *d, const char *event, json_t *root)
{
	return chunk(d, root, false);
}

ba_llm_status ba_llm__openai_answer(ba_llm_decoder *d, json_t *root)
{
	ba_llm_status st = chunk(d, root, true);
	if (st == BA_LLM_OK)
		d->done = true;
	return st;
}

ba_llm_status ba_llm__openai_finish(ba_llm_decoder *d)
{
	/* A finish_reason is as good as [DONE]: what is missing then is at
	 * most the usage chunk, and some servers never send [DONE]. */
	if (!d->done && !d->have_stop)
		return ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		                    "the stream ended before [DONE] (after %zu bytes, %zu events)",
		                    d->bytes, d->events);
	return BA_LLM_OK;
}
