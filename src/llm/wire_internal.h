/*
 * wire_internal.h - shared by wire.c (dispatch, the decoder's common
 * state, helpers), openai.c and anthropic.c. Not a public header.
 *
 * The decoder keeps what both formats produce - the answer's text, its
 * tool calls keyed by the provider's own numbering, the stop reason and
 * usage - and the format files only translate their events into calls on
 * it. Every limit of llm.h is enforced here, once.
 */
#ifndef BA_LLM_WIRE_INTERNAL_H
#define BA_LLM_WIRE_INTERNAL_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "llm/llm.h"
#include "llm/sse.h"
#include "llm/wire.h"

/* A whole non-streamed answer: the text and every call's arguments at
 * their caps, JSON-escaped, fit with room to spare. */
#define BA_LLM_WIRE_MAX_JSON_ANSWER (BA_LLM_MAX_TEXT * 4)
/* Content blocks of one Anthropic answer (text, tool_use, thinking...). */
#define BA_LLM_WIRE_MAX_BLOCKS 1024
/* Anthropic's max_tokens when neither the request nor the model settings
 * set one (llm.h); OpenAI-compatible requests then carry none (openai.c). */
#define BA_LLM_WIRE_DEFAULT_MAX_TOKENS 4096
/* A tool call's id or name. */
#define BA_LLM_WIRE_MAX_NAME 4096
/* What a message quotes of a server's error text or of a bad event. */
#define BA_LLM_WIRE_QUOTE_MAX 300

typedef struct ba_llm__call {
	int64_t key;    /* OpenAI "index" / Anthropic content block index */
	char *id;       /* NULL until the provider says                   */
	char *name;     /* NULL until the provider says                   */
	ba_buf args;    /* arguments text as streamed (BA_LLM_MAX_ARGS)   */
	char *fallback; /* arguments to use when none stream: Anthropic's
	                   content_block_start "input"; NULL = none       */
	bool announced; /* on_tool_call fired                             */
} ba_llm__call;

/* Anthropic content blocks, by their index. */
enum { BLOCK_TEXT = 1, BLOCK_TOOL, BLOCK_OTHER };
typedef struct ba_llm__block {
	int64_t index;
	int kind;
	bool stopped;
	size_t call; /* BLOCK_TOOL: position in calls[] */
} ba_llm__block;

struct ba_llm_decoder {
	ba_llm_api api;
	ba_llm_handler handler; /* copied; all NULL when none was given */
	ba_sse_parser sse;

	bool decided;  /* the first non-blank byte was seen          */
	bool json;     /* ... and it was '{': a whole JSON answer     */
	ba_buf body;   /* the JSON answer (BA_LLM_WIRE_MAX_JSON_ANSWER) */
	size_t bytes;  /* fed so far                                  */
	size_t events; /* SSE events handled so far (the current one
	                  included while it is handled)             */
	bool finished; /* finish ran: no more input                   */
	bool at_end;   /* handling an event the end of input completed */

	ba_llm_status failed; /* BA_LLM_OK until something fails        */
	char message[512];    /* the failure, one line                   */

	/* The answer. */
	ba_buf text;
	ba_llm__call calls[BA_LLM_MAX_TOOL_CALLS];
	size_t call_count;
	bool have_stop;
	ba_llm_stop stop;
	char stop_raw[64];
	ba_llm_usage usage;
	bool done; /* OpenAI "[DONE]", Anthropic message_stop */

	/* Anthropic. */
	bool started; /* message_start seen */
	ba_llm__block *blocks;
	size_t block_count, block_cap;
};

/* Records the first failure (later ones keep the first) and returns it.
 * The message is made one line. */
ba_llm_status ba_llm__fail(ba_llm_decoder *d, ba_llm_status status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* "event N" for messages: the event being handled, or "the answer" for a
 * whole JSON answer. */
const char *ba_llm__where(const ba_llm_decoder *d, char *buf, size_t len);

/* Parses one event's data (or the whole answer) as a JSON object. NULL
 * after recording a PROTOCOL failure naming the column. */
json_t *ba_llm__parse(ba_llm_decoder *d, const char *data, size_t len);

/* A piece of the answer's text: appended (capped) and handed to on_text.
 * NUL bytes (from "\u0000") become U+FFFD: the text is a C string. */
ba_llm_status ba_llm__text(ba_llm_decoder *d, const char *s, size_t len);

/* The call with this key, made (in arrival order, capped) when create is
 * true and there is none; NULL after recording a failure, or when create
 * is false and there is none. */
ba_llm__call *ba_llm__call_get(ba_llm_decoder *d, int64_t key, bool create);
/* Sets id or name (what: "id", "name") once, at most
 * BA_LLM_WIRE_MAX_NAME bytes; an empty value is no value, and later
 * different values are ignored: the first is what on_tool_call
 * reported. */
ba_llm_status ba_llm__call_set(ba_llm_decoder *d, char **field, const char *what, const char *s,
                               size_t len);
/* Appends arguments text (capped). */
ba_llm_status ba_llm__call_args(ba_llm_decoder *d, ba_llm__call *c, const char *s, size_t len);
/* Fires on_tool_call once the call has a name (or at finish without one). */
void ba_llm__call_announce(ba_llm_decoder *d, ba_llm__call *c);

/* Sets the stop reason from the provider's word. */
void ba_llm__set_stop(ba_llm_decoder *d, ba_llm_stop stop, const char *raw);

/* A server's error object ({"message","type","code"} or a string):
 * records SERVER (RATE_LIMIT for rate-limit types) quoting its message. */
ba_llm_status ba_llm__server_error(ba_llm_decoder *d, const json_t *error);

/* A JSON integer >= 0 into *out; false when absent, not an integer or
 * negative. */
bool ba_llm__json_count(const json_t *v, uint64_t *out);

/* Copies s (len bytes) into out as one line: control characters become
 * spaces, invalid UTF-8 becomes '?', cut at out_len - 1 bytes (or max,
 * if smaller) on a character boundary, with "..." when cut. */
void ba_llm__one_line(const char *s, size_t len, size_t max, char *out, size_t out_len);

/* A JSON string of s (NULL: ""), which may hold invalid UTF-8 (tool
 * output, say): invalid bytes become U+FFFD. NULL only when out of
 * memory. */
json_t *ba_llm__json_str(const char *s);

/* o[key] = v and a[] += v, taking v in every case (even when o/a is
 * NULL or v is NULL, which gives false): attach a container first, then
 * fill it, and no failure leaks. */
bool ba_llm__put(json_t *o, const char *key, json_t *v);
bool ba_llm__push(json_t *a, json_t *v);

/* Serialises root into out->body (capped at BA_LLM_MAX_REQUEST); sets
 * the message on TOO_LARGE or NOMEM. Does not take root. */
ba_llm_status ba_llm__dump_body(json_t *root, ba_llm_wire_request *out, char *err, size_t err_len);
/* Adds a "Name: value" header line, refusing line breaks and control
 * characters in value (what names it: "the API key from OPENAI_API_KEY"). */
ba_llm_status ba_llm__add_header(ba_llm_wire_request *out, const char *name, const char *value,
                                 const char *what, char *err, size_t err_len);
/* Content-Type and Accept, which both formats send. */
ba_llm_status ba_llm__base_headers(ba_llm_wire_request *out, char *err, size_t err_len);
/* Names the key for messages, never showing it: "the API key from
 * OPENAI_API_KEY". */
void ba_llm__key_what(const ba_llm_provider *p, char *buf, size_t len);
/* {"name","description","<schema_key>":SCHEMA} for a tool (description
 * left out when NULL); NULL with *st CONFIG (bad schema) or NOMEM. */
json_t *ba_llm__tool_json(const ba_llm_tool_def *t, const char *schema_key, char *err,
                          size_t err_len, ba_llm_status *st);
/* out->url = base_url (trailing '/' dropped) + path. */
ba_llm_status ba_llm__set_url(const ba_llm_provider *p, const char *path, ba_llm_wire_request *out,
                              char *err, size_t err_len);
/* The tool's input schema as a JSON object ({"type":"object"} when NULL);
 * NULL with a CONFIG message naming the tool when it is not valid JSON or
 * not an object. */
json_t *ba_llm__tool_schema(const ba_llm_tool_def *tool, char *err, size_t err_len);

/* The format files. */
ba_llm_status ba_llm__openai_build(const ba_llm_provider *p, const char *model_part,
                                   const ba_llm_request *req, uint32_t max_tokens,
                                   ba_llm_wire_request *out, char *err, size_t err_len);
/* One event's JSON (wire.c has handled "[DONE]", blank data and plain
 * text error events); root is borrowed. */
ba_llm_status ba_llm__openai_event(ba_llm_decoder *d, const char *event, json_t *root);
ba_llm_status ba_llm__openai_answer(ba_llm_decoder *d, json_t *root);
ba_llm_status ba_llm__openai_finish(ba_llm_decoder *d);

ba_llm_status ba_llm__anthropic_build(const ba_llm_provider *p, const char *model_part,
                                      const ba_llm_request *req, uint32_t max_tokens,
                                      ba_llm_wire_request *out, char *err, size_t err_len);
ba_llm_status ba_llm__anthropic_event(ba_llm_decoder *d, const char *event, json_t *root);
ba_llm_status ba_llm__anthropic_answer(ba_llm_decoder *d, json_t *root);
ba_llm_status ba_llm__anthropic_finish(ba_llm_decoder *d);

#endif /* BA_LLM_WIRE_INTERNAL_H */
