/*
 * event.c - the names of events and stops, and the JSON form of an event:
 * what `boxagent run --json` prints, one object per line, and what the
 * store keeps for every event but the streamed text.
 *
 * The JSON is written by hand rather than with jansson: it is built for
 * every event on the loop's hot path (the loop's own time per step is
 * budgeted), every field is known, and text from the model or a tool may
 * hold invalid UTF-8, which jansson refuses and which is written here as
 * U+FFFD instead.
 *
 * Keys are the struct's field names, "type" first, only the fields that
 * belong to the type (docs/agent.md has one example of each), except
 * "fallback", which says "from" and "to".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent/internal.h"

const char *ba_agent_event_name(ba_agent_event_type type)
{
	switch (type) {
	case BA_AGENT_EV_SESSION:
		return "session";
	case BA_AGENT_EV_STEP:
		return "step";
	case BA_AGENT_EV_TEXT:
		return "text";
	case BA_AGENT_EV_TOOL_CALL:
		return "tool_call";
	case BA_AGENT_EV_DECISION:
		return "decision";
	case BA_AGENT_EV_TOOL_RESULT:
		return "tool_result";
	case BA_AGENT_EV_USAGE:
		return "usage";
	case BA_AGENT_EV_RETRY:
		return "retry";
	case BA_AGENT_EV_FALLBACK:
		return "fallback";
	case BA_AGENT_EV_ERROR:
		return "error";
	case BA_AGENT_EV_DONE:
		return "done";
	}
	return "unknown";
}

const char *ba_agent_stop_name(ba_agent_stop stop)
{
	switch (stop) {
	case BA_AGENT_STOP_END:
		return "end";
	case BA_AGENT_STOP_MAX_STEPS:
		return "max_steps";
	case BA_AGENT_STOP_MAX_TOKENS:
		return "max_tokens";
	case BA_AGENT_STOP_TIMEOUT:
		return "timeout";
	case BA_AGENT_STOP_MAX_COST:
		return "max_cost";
	case BA_AGENT_STOP_CANCELLED:
		return "cancelled";
	case BA_AGENT_STOP_ERROR:
		return "error";
	}
	return "unknown";
}

/* What a JSON string writes for the ASCII byte s[i] (ba_agent__swap_fn),
 * NULL when the byte stands as it is. */
static const char *json_swap(const char *s, size_t len, size_t i, char esc[8])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[i];
	if (c == '"')
		return "\\\"";
	if (c == '\\')
		return "\\\\";
	if (c == '\n')
		return "\\n";
	if (c == '\r')
		return "\\r";
	if (c == '\t')
		return "\\t";
	if (c == 0)
		/* Valid JSON as \u0000, but refused by many readers
		 * (jansson by default, the store's check among them). */
		return "\\ufffd";
	if (c < 0x20) {
		esc[0] = '\\';
		esc[1] = 'u';
		esc[2] = '0';
		esc[3] = '0';
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		esc[6] = '\0';
		return esc;
	}
	return NULL;
}

int ba_agent__json_string(ba_buf *out, const char *s, size_t len)
{
	if (ba_buf_append(out, "\"", 1) != 0 ||
	    ba_agent__append_swapped(out, s, len, json_swap, "\\ufffd") != 0)
		return -1;
	return ba_buf_append(out, "\"", 1);
}

/* Fields, as bits: which ones each type carries. */
enum {
	F_SESSION = 1u << 0,
	F_STEP = 1u << 1,
	F_MODEL = 1u << 2,
	F_RESUMED = 1u << 3,
	F_TEXT = 1u << 4,
	F_CALL = 1u << 5,
	F_TOOL = 1u << 6,
	F_ARGS = 1u << 7,
	F_CAP = 1u << 8,
	F_ALLOWED = 1u << 9,
	F_SOURCE = 1u << 10,
	F_STATUS = 1u << 11,
	F_OUTPUT = 1u << 12,
	F_MESSAGE = 1u << 13,
	F_CAPS = 1u << 14,
	F_ELAPSED = 1u << 15,
	F_USAGE = 1u << 16,
	F_TOTAL = 1u << 17,
	F_COST = 1u << 18,
	F_ATTEMPT = 1u << 19,
	F_FROM_TO = 1u << 20,
	F_STOP = 1u << 21,
};

static unsigned fields_of(ba_agent_event_type type)
{
	switch (type) {
	case BA_AGENT_EV_SESSION:
		return F_SESSION | F_MODEL | F_RESUMED;
	case BA_AGENT_EV_STEP:
		return F_SESSION | F_STEP | F_MODEL;
	case BA_AGENT_EV_TEXT:
		return F_SESSION | F_STEP | F_TEXT;
	case BA_AGENT_EV_TOOL_CALL:
		return F_SESSION | F_STEP | F_CALL | F_TOOL | F_ARGS;
	case BA_AGENT_EV_DECISION:
		return F_SESSION | F_STEP | F_CALL | F_TOOL | F_CAP | F_ALLOWED | F_SOURCE |
		       F_MESSAGE;
	case BA_AGENT_EV_TOOL_RESULT:
		return F_SESSION | F_STEP | F_CALL | F_TOOL | F_STATUS | F_OUTPUT | F_MESSAGE |
		       F_CAPS | F_ELAPSED;
	case BA_AGENT_EV_USAGE:
		return F_SESSION | F_STEP | F_MODEL | F_USAGE | F_TOTAL | F_COST;
	case BA_AGENT_EV_RETRY:
		return F_SESSION | F_STEP | F_ATTEMPT | F_MESSAGE;
	case BA_AGENT_EV_FALLBACK:
		return F_SESSION | F_STEP | F_FROM_TO | F_MESSAGE;
	case BA_AGENT_EV_ERROR:
		return F_SESSION | F_STEP | F_MESSAGE;
	case BA_AGENT_EV_DONE:
		return F_SESSION | F_STEP | F_STOP | F_TEXT | F_MESSAGE | F_TOTAL | F_COST;
	}
	return 0;
}

static int key(ba_buf *out, const char *name)
{
	return ba_buf_printf(out, ",\"%s\":", name);
}

static int str_field(ba_buf *out, const char *name, const char *value, size_t len)
{
	if (key(out, name) != 0)
		return -1;
	if (!value)
		return ba_buf_append_str(out, "null");
	return ba_agent__json_string(out, value, len);
}

static int opt_str_field(ba_buf *out, const char *name, const char *value)
{
	if (!value)
		return 0;
	return str_field(out, name, value, strlen(value));
}

static int list_field(ba_buf *out, const char *name, const char *const *items, size_t count)
{
	if (key(out, name) != 0 || ba_buf_append(out, "[", 1) != 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *s = items[i] ? items[i] : "";
		if ((i && ba_buf_append(out, ",", 1) != 0) ||
		    ba_agent__json_string(out, s, strlen(s)) != 0)
			return -1;
	}
	return ba_buf_append(out, "]", 1);
}

static int usage_field(ba_buf *out, const char *name, const ba_llm_usage *u)
{
	return ba_buf_printf(out,
	                     ",\"%s\":{\"input_tokens\":%" PRIu64 ",\"output_tokens\":%" PRIu64 "}",
	                     name, u->input_tokens, u->output_tokens);
}

int ba_agent_event_json(const ba_agent_event *e, ba_buf *out)
{
	unsigned f = fields_of(e->type);
	size_t start = out->len;
	int rc = ba_buf_printf(out, "{\"type\":\"%s\"", ba_agent_event_name(e->type));
	if (rc == 0 && (f & F_SESSION))
		rc = opt_str_field(out, "session_id", e->session_id);
	if (rc == 0 && (f & F_STEP))
		rc = ba_buf_printf(out, ",\"step\":%u", e->step);
	if (rc == 0 && (f & F_MODEL))
		rc = opt_str_field(out, "model", e->model);
	if (rc == 0 && (f & F_RESUMED))
		rc = ba_buf_printf(out, ",\"resumed\":%s", e->resumed ? "true" : "false");
	if (rc == 0 && (f & F_STOP))
		rc = opt_str_field(out, "stop", e->stop);
	if (rc == 0 && (f & F_CALL))
		rc = opt_str_field(out, "call_id", e->call_id);
	if (rc == 0 && (f & F_TOOL))
		rc = opt_str_field(out, "tool", e->tool);
	if (rc == 0 && (f & F_ARGS))
		rc = str_field(out, "arguments", e->arguments,
		               e->arguments ? strlen(e->arguments) : 0);
	if (rc == 0 && (f & F_CAP))
		rc = opt_str_field(out, "capability", e->capability);
	if (rc == 0 && (f & F_ALLOWED))
		rc = ba_buf_printf(out, ",\"allowed\":%s", e->allowed ? "true" : "false");
	if (rc == 0 && (f & F_SOURCE))
		rc = opt_str_field(out, "source", e->source);
	if (rc == 0 && (f & F_STATUS))
		rc = opt_str_field(out, "status", e->status);
	if (rc == 0 && (f & F_TEXT))
		rc = str_field(out, "text", e->text ? e->text : "",
		               e->text ? (e->text_len ? e->text_len : strlen(e->text)) : 0);
	if (rc == 0 && (f & F_OUTPUT))
		rc = str_field(out, "output", e->output ? e->output : "",
		               e->output ? e->output_len : 0);
	if (rc == 0 && (f & F_CAPS))
		rc = list_field(out, "caps_used", e->caps_used, e->caps_used_count) ||
		     list_field(out, "caps_denied", e->caps_denied, e->caps_denied_count);
	if (rc == 0 && (f & F_ELAPSED))
		rc = ba_buf_printf(out, ",\"elapsed_ns\":%" PRIu64, e->elapsed_ns);
	if (rc == 0 && (f & F_ATTEMPT))
		rc = ba_buf_printf(out, ",\"attempt\":%u,\"wait_ms\":%" PRIu64, e->attempt,
		                   e->wait_ms);
	if (rc == 0 && (f & F_FROM_TO))
		rc = opt_str_field(out, "from", e->model) || opt_str_field(out, "to", e->text);
	if (rc == 0 && (f & F_USAGE))
		rc = usage_field(out, "usage", &e->usage);
	if (rc == 0 && (f & F_TOTAL))
		rc = usage_field(out, "total", &e->total);
	if (rc == 0 && (f & F_COST)) {
		/* Unknown prices (< 0), and never NaN or infinity in JSON. */
		if (!(e->cost_usd >= 0 && e->cost_usd < 1e300))
			rc = ba_buf_append_str(out, ",\"cost_usd\":null");
		else
			rc = ba_buf_printf(out, ",\"cost_usd\":%.10g", e->cost_usd);
	}
	if (rc == 0 && (f & F_MESSAGE))
		rc = opt_str_field(out, "message", e->message);
	if (rc == 0)
		rc = ba_buf_append(out, "}", 1);
	if (rc != 0) {
		/* Leave out as it was: a half-written object is worse than none. */
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}
