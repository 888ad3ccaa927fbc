/*
 * wire.h - the two wire formats (inside llm/; not for other modules).
 *
 * Building a request and decoding a streamed answer, with no I/O: chat.c
 * sends what ba_llm_wire_build() made through http.c and feeds the bytes
 * that come back to a decoder. Keeping I/O out makes both formats
 * testable from recorded streams alone (tests/fixtures/llm/).
 *
 * OpenAI (openai.c): POST BASE/chat/completions, "Authorization: Bearer
 * KEY" when a key is set, {"model","messages","tools","stream":true,
 * "stream_options":{"include_usage":true}} plus "max_tokens" only when the
 * request or the model settings set one. The stream is SSE "data:" lines
 * with chat.completion.chunk objects, ending in "data: [DONE]". Tool calls
 * arrive as choices[0].delta.tool_calls[] pieces keyed by "index": the
 * first piece has id and function.name, later pieces append to
 * function.arguments. Several calls may interleave. Usage comes in a last
 * chunk with empty choices (some servers put it beside finish_reason).
 * A {"error":{...}} object in the stream is an error.
 *
 * Anthropic (anthropic.c): POST BASE/v1/messages with "x-api-key: KEY" and
 * "anthropic-version: 2023-06-01", {"model","max_tokens","system",
 * "messages","tools","stream":true}. Tool results are "user" messages of
 * tool_result blocks; consecutive ROLE_TOOL messages are merged into one
 * such user message, and an assistant's tool calls become tool_use blocks
 * whose "input" is the parsed arguments (an object; arguments that are
 * not a JSON object are sent as {}). Events: message_start (usage
 * input_tokens), content_block_start (text or tool_use with id and name),
 * content_block_delta (text_delta or input_json_delta partial_json),
 * content_block_stop, message_delta (stop_reason, usage output_tokens),
 * message_stop, ping, error.
 *
 * Both decoders also accept a plain JSON (non-streamed) answer, which some
 * compatible servers send even when asked to stream: a body whose first
 * non-blank byte is '{' is parsed whole at finish.
 */
#ifndef BA_LLM_WIRE_H
#define BA_LLM_WIRE_H

#include <stddef.h>

#include "core/buf.h"
#include "llm/llm.h"

#define BA_LLM_WIRE_MAX_HEADERS 8

typedef struct ba_llm_wire_request {
	char url[BA_LLM_URL_MAX + 64];
	/* "Name: value" lines, owned; include Content-Type, Accept and the
	 * key header. Wiped on release. */
	char *headers[BA_LLM_WIRE_MAX_HEADERS];
	size_t header_count;
	ba_buf body; /* JSON, capped at BA_LLM_MAX_REQUEST */
} ba_llm_wire_request;

/* Builds the HTTP request for provider p (borrowed), model_part (the name
 * after "provider/"), req and max_tokens (the request's, else the model
 * settings'; 0 = neither set one: Anthropic, which requires it, gets 4096,
 * OpenAI-compatible servers get none and use their own default).
 * Returns BA_LLM_OK, or BA_LLM_ERR_TOO_LARGE / _NOMEM / _CONFIG with a
 * message. out is initialised in every case; release it. */
ba_llm_status ba_llm_wire_build(const ba_llm_provider *p, const char *model_part,
                                const ba_llm_request *req, uint32_t max_tokens,
                                ba_llm_wire_request *out, char *err, size_t err_len);
void ba_llm_wire_request_release(ba_llm_wire_request *wr);

/* A streaming decoder for one attempt. handler (borrowed, may be NULL)
 * hears on_text and on_tool_call as events decode. */
typedef struct ba_llm_decoder ba_llm_decoder;

ba_llm_decoder *ba_llm_decoder_new(ba_llm_api api, const ba_llm_handler *handler);
/* Feeds body bytes in any split. BA_LLM_OK, or:
 *   BA_LLM_ERR_PROTOCOL  malformed SSE or JSON ("event 3: invalid JSON at
 *                        column 17: ..."), an event out of order
 *   BA_LLM_ERR_SERVER    an error event/object from the server (its
 *                        message quoted; Anthropic overloaded_error etc.)
 *   BA_LLM_ERR_RATE_LIMIT  an error event of type rate_limit_error
 *   BA_LLM_ERR_TOO_LARGE the caps in llm.h
 * After an error the decoder refuses further input. */
ba_llm_status ba_llm_decoder_feed(ba_llm_decoder *d, const char *data, size_t len, char *err,
                                  size_t err_len);
/* The body ended. Checks that the answer is complete (OpenAI: "[DONE]"
 * or a finish_reason was seen; Anthropic: message_stop) and moves it into
 * response (message, stop, stop_raw, usage; the caller sets model,
 * attempts and model_ns). Truncation is BA_LLM_ERR_PROTOCOL: "the stream
 * ended before [DONE] (after N bytes, M events)". */
ba_llm_status ba_llm_decoder_finish(ba_llm_decoder *d, ba_llm_response *response, char *err,
                                    size_t err_len);
/* Bytes and events seen so far (for messages). */
size_t ba_llm_decoder_bytes(const ba_llm_decoder *d);
void ba_llm_decoder_free(ba_llm_decoder *d);

/* Extracts a server's error message from a JSON error body (OpenAI
 * {"error":{"message","type","code"}}, Anthropic {"type":"error","error":
 * {"type","message"}}, Ollama {"error":"..."}), else the body's first line
 * cut to 300 bytes with control characters replaced. */
void ba_llm_error_body_message(const char *body, size_t len, char *out, size_t out_len);

#endif /* BA_LLM_WIRE_H */
