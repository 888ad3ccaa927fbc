/*
 * Unit tests for src/llm/chat.c: ba_llm_chat() against real HTTP servers
 * on loopback ($BUILD/tests/fakellm, tests/support/fakellm.c) playing
 * small inline scripts, with the configuration parsed from YAML text the
 * way boxagent.yaml is. Retry waits are kept short with retry_base_ms.
 *
 * What each case checks is what a user or the agent loop sees: the
 * status, the one-line message (model, attempts, cause; never the key),
 * the attempts made, the callbacks heard, and what reached the servers.
 */
#include "test.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "llm/llm.h"
#include "support/server.h"

#define KEY        "sk-test-SECRET-0123456789abcdef"
#define BACKUP_KEY "bk-test-OTHER-9876543210"

/* --------------------------------------------------------- the streams */

/* One OpenAI chat.completion.chunk as a fakellm "body" line. */
#define OA_CHUNK(delta, finish)                                                                  \
	"body data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-test\"," \
	"\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}\\n\\n\n"

/* A whole answer "<a><b>" with usage 5 in, 2 out. */
#define OA_ANSWER(a, b)                                                                       \
	OA_CHUNK("{\"role\":\"assistant\",\"content\":\"" a "\"}", "null")                    \
	OA_CHUNK("{\"content\":\"" b "\"}", "null")                                           \
	OA_CHUNK("{}", "\"stop\"")                                                            \
	"body data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"      \
	"\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\\n\\n\n" \
	"body data: [DONE]\\n\\n\n"

#define OA_HELLO "response\n" OA_ANSWER("Hel", "lo") "end\n"

#define ANTHROPIC_HELLO                                                                          \
	"response\n"                                                                             \
	"body event: message_start\\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"     \
	"\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\","       \
	"\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":7,"                     \
	"\"output_tokens\":1}}}\\n\\n\n"                                                         \
	"body event: content_block_start\\ndata: {\"type\":\"content_block_start\",\"index\":0," \
	"\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\\n\\n\n"                           \
	"body event: ping\\ndata: {\"type\":\"ping\"}\\n\\n\n"                                   \
	"body event: content_block_delta\\ndata: {\"type\":\"content_block_delta\",\"index\":0," \
	"\"delta\":{\"type\":\"text_delta\",\"text\":\"Bon\"}}\\n\\n\n"                          \
	"body event: content_block_delta\\ndata: {\"type\":\"content_block_delta\",\"index\":0," \
	"\"delta\":{\"type\":\"text_delta\",\"text\":\"jour\"}}\\n\\n\n"                         \
	"body event: content_block_stop\\ndata: {\"type\":\"content_block_stop\","               \
	"\"index\":0}\\n\\n\n"                                                                   \
	"body event: message_delta\\ndata: {\"type\":\"message_delta\",\"delta\":"               \
	"{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"                       \
	"{\"output_tokens\":3}}\\n\\n\n"                                                         \
	"body event: message_stop\\ndata: {\"type\":\"message_stop\"}\\n\\n\n"                   \
	"end\n"

#define ERROR_BODY(status, message)                                       \
	"response\nstatus " status "\n"                                   \
	"header Content-Type: application/json\n"                         \
	"body {\"error\":{\"message\":\"" message "\",\"type\":\"x\"}}\n" \
	"framing length\n"                                                \
	"end\n"

/* ------------------------------------------------------- configuration */

static const char *test_env(const char *name)
{
	if (strcmp(name, "OPENAI_API_KEY") == 0)
		return KEY;
	if (strcmp(name, "BACKUP_KEY") == 0)
		return BACKUP_KEY;
	return NULL;
}

/*
 * A configuration with provider "openai" at a (port) and "backup" (an
 * OpenAI-compatible server) at b, both with short retry waits; extra is
 * appended (more top-level keys).
 */
static ba_llm_config *make_config(unsigned a, unsigned b, unsigned max_retries,
                                  const char *provider_extra, const char *extra)
{
	char yaml[4096], err[512];
	ba_llm_config *c;

	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  openai:\n"
	         "    base_url: http://127.0.0.1:%u/v1\n"
	         "    max_retries: %u\n"
	         "    retry_base_ms: 10\n"
	         "    retry_max_ms: 2000\n"
	         "%s"
	         "  backup:\n"
	         "    api: openai\n"
	         "    base_url: http://127.0.0.1:%u/v1\n"
	         "    api_key_env: BACKUP_KEY\n"
	         "    max_retries: 0\n"
	         "%s",
	         a, max_retries, provider_extra ? provider_extra : "", b, extra ? extra : "");
	err[0] = '\0';
	c = ba_llm_config_parse(yaml, strlen(yaml), "test.yaml", test_env, err, sizeof(err));
	if (!c)
		ba_test_fail(__FILE__, __LINE__, "config: %s", err);
	return c;
}

/* ------------------------------------------------------------ callbacks */

struct heard {
	char text[4096];
	size_t text_len;
	unsigned retries;
	unsigned retry_attempt[8];
	uint64_t retry_wait[8];
	ba_llm_status retry_why[8];
	char retry_msg[8][1024];
	unsigned fallbacks;
	char fb_from[4][256], fb_to[4][256], fb_msg[4][2048];
};

static void on_text(void *user, const char *text, size_t len)
{
	struct heard *h = user;
	if (h->text_len + len < sizeof(h->text)) {
		memcpy(h->text + h->text_len, text, len);
		h->text_len += len;
		h->text[h->text_len] = '\0';
	}
}

static void on_retry(void *user, unsigned attempt, uint64_t wait_ms, ba_llm_status why,
                     const char *message)
{
	struct heard *h = user;
	if (h->retries < 8) {
		h->retry_attempt[h->retries] = attempt;
		h->retry_wait[h->retries] = wait_ms;
		h->retry_why[h->retries] = why;
		snprintf(h->retry_msg[h->retries], sizeof(h->retry_msg[0]), "%s", message);
	}
	h->retries++;
}

static void on_fallback(void *user, const char *from, const char *to, const char *message)
{
	struct heard *h = user;
	if (h->fallbacks < 4) {
		snprintf(h->fb_from[h->fallbacks], sizeof(h->fb_from[0]), "%s", from);
		snprintf(h->fb_to[h->fallbacks], sizeof(h->fb_to[0]), "%s", to);
		snprintf(h->fb_msg[h->fallbacks], sizeof(h->fb_msg[0]), "%s", message);
	}
	h->fallbacks++;
}

static ba_llm_handler handler_for(struct heard *h)
{
	ba_llm_handler hd = {
	        .on_text = on_text, .on_retry = on_retry, .on_fallback = on_fallback, .user = h};
	memset(h, 0, sizeof(*h));
	return hd;
}

static char hello_text[] = "Say hello";
static const ba_llm_message hello_msg = {.role = BA_LLM_ROLE_USER, .text = hello_text};

static ba_llm_request request_for(const char *model)
{
	ba_llm_request r;
	memset(&r, 0, sizeof(r));
	r.model = model;
	r.system = "You are terse.";
	r.messages = &hello_msg;
	r.message_count = 1;
	return r;
}

/* No message, callback or record may hold either key, whole or cut. */
static void check_no_key(const char *text)
{
	CHECK(!strstr(text, "SECRET"));
	CHECK(!strstr(text, "OTHER-98"));
}

/* ------------------------------------------------------------ the cases */

TEST(plain_answer_streams_and_is_returned)
{
	ba_test_server s = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024], *logged;

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(resp.message.role, BA_LLM_ROLE_ASSISTANT);
	CHECK_EQ_STR(resp.message.text, "Hello");
	CHECK_EQ_STR(h.text, "Hello");
	CHECK_EQ_INT(resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_UINT(resp.usage.input_tokens, 5);
	CHECK_EQ_UINT(resp.usage.output_tokens, 2);
	CHECK_EQ_STR(resp.model, "openai/gpt-test");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK(resp.model_ns > 0);
	CHECK_EQ_UINT(h.retries, 0);
	CHECK_EQ_UINT(h.fallbacks, 0);

	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	logged = ba_test_fakellm_request(s.log, 1, NULL);
	CHECK(logged != NULL);
	CHECK(strncmp(logged, "POST /v1/chat/completions HTTP/1.1\r\n", 36) == 0);
	CHECK_CONTAINS(logged, "Authorization: Bearer " KEY "\r\n");
	CHECK_CONTAINS(logged, "\"model\":\"gpt-test\"");
	CHECK_CONTAINS(logged, "Say hello");
	/* No max_tokens set anywhere: OpenAI gets none. */
	CHECK(!strstr(logged, "max_tokens"));
	free(logged);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(anthropic_answer)
{
	ba_test_server s = ba_test_fakellm_start(ANTHROPIC_HELLO);
	char yaml[512], err[1024], *logged;
	ba_llm_config *c;
	ba_llm_request req = request_for("claude/claude-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;

	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  claude:\n"
	         "    api: anthropic\n"
	         "    base_url: http://127.0.0.1:%u\n"
	         "    api_key_env: OPENAI_API_KEY\n"
	         "models:\n"
	         "  claude/claude-test:\n"
	         "    max_tokens: 321\n",
	         s.port);
	c = ba_llm_config_parse(yaml, strlen(yaml), "test.yaml", test_env, err, sizeof(err));
	if (!c)
		ba_test_fail(__FILE__, __LINE__, "config: %s", err);
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(resp.message.text, "Bonjour");
	CHECK_EQ_STR(h.text, "Bonjour");
	CHECK_EQ_INT(resp.stop, BA_LLM_STOP_END);
	CHECK_EQ_UINT(resp.usage.input_tokens, 7);
	CHECK_EQ_UINT(resp.usage.output_tokens, 3);
	CHECK_EQ_STR(resp.model, "claude/claude-test");
	logged = ba_test_fakellm_request(s.log, 1, NULL);
	CHECK(logged != NULL);
	CHECK(strncmp(logged, "POST /v1/messages HTTP/1.1\r\n", 28) == 0);
	CHECK_CONTAINS(logged, "x-api-key: " KEY "\r\n");
	/* The model's own max_tokens setting, not the default. */
	CHECK_CONTAINS(logged, "\"max_tokens\":321");
	free(logged);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(request_max_tokens_wins_over_the_model_setting)
{
	ba_test_server s = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 0, NULL,
	                               "models:\n  openai/gpt-test:\n    max_tokens: 999\n");
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024], *logged;

	req.max_tokens = 77;
	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_OK);
	logged = ba_test_fakellm_request(s.log, 1, NULL);
	CHECK(logged != NULL);
	CHECK_CONTAINS(logged, "\"max_tokens\":77");
	free(logged);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(unauthorized_names_the_key_variable_never_the_key)
{
	/* The server quotes the key back, as some do. */
	ba_test_server s =
	        ba_test_fakellm_start(ERROR_BODY("401", "Incorrect API key provided: " KEY));
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_AUTH);
	CHECK_EQ_STR(err, "openai/gpt-test: 401 Unauthorized: Incorrect API key provided: *** "
	                  "(check OPENAI_API_KEY)");
	check_no_key(err);
	CHECK_EQ_UINT(resp.attempts, 1); /* never retried */
	CHECK_EQ_UINT(h.retries, 0);
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(forbidden_is_auth_too)
{
	ba_test_server s = ba_test_fakellm_start(ERROR_BODY("403", "no access to gpt-test"));
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_AUTH);
	CHECK_CONTAINS(err, "403 Forbidden: no access to gpt-test (check OPENAI_API_KEY)");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(not_found_names_the_base_url_and_model)
{
	ba_test_server s = ba_test_fakellm_start(ERROR_BODY("404", "The model does not exist"));
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-nope");
	ba_llm_response resp;
	char err[1024], want[512];

	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_NOT_FOUND);
	snprintf(want, sizeof(want),
	         "openai/gpt-nope: 404 Not Found: The model does not exist (check the base URL "
	         "http://127.0.0.1:%u/v1 and the model name gpt-nope)",
	         s.port);
	CHECK_EQ_STR(err, want);
	CHECK_EQ_UINT(resp.attempts, 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(bad_request_is_neither_retried_nor_handed_to_a_fallback)
{
	ba_test_server a = ba_test_fakellm_start(ERROR_BODY("400", "messages: field required"));
	ba_test_server b = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(a.port, b.port, 3, NULL, "fallback: [backup/m2]\n");
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_REQUEST);
	CHECK_EQ_STR(err, "openai/gpt-test: 400 Bad Request: messages: field required");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK_EQ_UINT(h.fallbacks, 0);
	CHECK_EQ_INT(ba_test_fakellm_request_count(b.log), 0);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&a);
	ba_test_server_stop(&b);
}

TEST_TIMEOUT(rate_limit_waits_as_retry_after_says, 20)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n"
	                              "status 429\n"
	                              "header Retry-After: 1\n"
	                              "body {\"error\":{\"message\":\"Rate limit reached\","
	                              "\"type\":\"requests\"}}\n"
	                              "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];
	uint64_t t0 = ba_mono_ns(), ms;

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK(ms >= 900);
	CHECK(ms < 5000);
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_STR(resp.message.text, "Hello");
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_EQ_UINT(h.retry_attempt[0], 1);
	CHECK_EQ_UINT(h.retry_wait[0], 1000);
	CHECK_EQ_INT(h.retry_why[0], BA_LLM_ERR_RATE_LIMIT);
	CHECK_CONTAINS(h.retry_msg[0],
	               "openai/gpt-test: 429 Too Many Requests: Rate limit reached");
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 2);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(rate_limit_asking_too_long_stops_and_says_how_long)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "status 429\n"
	                                         "header Retry-After: 30\n"
	                                         "body {\"error\":{\"message\":\"quota\"}}\n"
	                                         "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];
	uint64_t t0 = ba_mono_ns();

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_RATE_LIMIT);
	CHECK((ba_mono_ns() - t0) / 1000000 < 1000); /* did not wait */
	CHECK_CONTAINS(err, "openai/gpt-test: 429 Too Many Requests: quota");
	CHECK_CONTAINS(err, "the server asked to wait 30 s, longer than the 2 s retry limit");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK_EQ_UINT(h.retries, 0);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(server_error_then_success)
{
	ba_test_server s = ba_test_fakellm_start(ERROR_BODY("500", "boom") OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(resp.message.text, "Hello");
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_EQ_INT(h.retry_why[0], BA_LLM_ERR_SERVER);
	CHECK(h.retry_wait[0] >= 5 && h.retry_wait[0] <= 10); /* 10 ms, jittered */
	CHECK_EQ_STR(h.retry_msg[0], "openai/gpt-test: 500 Internal Server Error: boom");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(overloaded_and_gateway_errors_are_retried)
{
	ba_test_server s = ba_test_fakellm_start(ERROR_BODY("529", "Overloaded") ERROR_BODY(
	        "502", "bad gateway") ERROR_BODY("408", "slow") OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(resp.attempts, 4);
	CHECK_EQ_UINT(h.retries, 3);
	CHECK_CONTAINS(h.retry_msg[0], "529 Overloaded: Overloaded");
	CHECK_CONTAINS(h.retry_msg[1], "502 Bad Gateway");
	CHECK_CONTAINS(h.retry_msg[2], "408 Request Timeout");
	/* Backoff doubles: 10, 20, 40 ms, each jittered within its upper half. */
	CHECK(h.retry_wait[1] >= 10 && h.retry_wait[1] <= 20);
	CHECK(h.retry_wait[2] >= 20 && h.retry_wait[2] <= 40);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(server_error_forever_gives_up_after_every_attempt)
{
	ba_test_server s = ba_test_fakellm_start(ERROR_BODY("500", "boom") ERROR_BODY("503", "busy")
	                                                 ERROR_BODY("500", "still boom") OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 2, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(err, "openai/gpt-test: 500 Internal Server Error: still boom (gave up after "
	                  "3 attempts)");
	CHECK_EQ_UINT(resp.attempts, 3);
	CHECK_EQ_UINT(h.retries, 2);
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 3);
	CHECK(resp.message.text == NULL);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(cut_stream_is_retried_and_only_the_good_attempt_kept)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n" OA_ANSWER("Hel", "lo") "chunk 40\n"
	                                                                  "cut_after 200\n"
	                                                                  "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_STR(resp.message.text, "Hello");
	/* The cut attempt streamed "Hel" before on_retry voided it. */
	CHECK_EQ_STR(h.text, "HelHello");
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_CONTAINS(h.retry_msg[0], "openai/gpt-test: the stream ended before [DONE] (after 200 "
	                               "bytes");
	CHECK_CONTAINS(h.retry_msg[0], "): the connection was cut");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(cut_stream_forever_says_so)
{
	ba_test_server s = ba_test_fakellm_start("response\n" OA_ANSWER(
	        "Hel", "lo") "cut_after 200\nend\n"
	                     "response\n" OA_ANSWER("Hel", "lo") "cut_after 200\nend\n");
	ba_llm_config *c = make_config(s.port, 1, 1, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_PROTOCOL);
	CHECK(strncmp(err, "openai/gpt-test: ", 17) == 0);
	CHECK_CONTAINS(err, "(after 200 bytes");
	CHECK_CONTAINS(err, "): the connection was cut (gave up after 2 attempts)");
	CHECK_EQ_UINT(resp.attempts, 2);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(stream_that_just_stops_is_retried)
{
	/* framing close: the end of the body looks like any other end, so
	 * only the decoder can tell the answer is incomplete. */
	ba_test_server s = ba_test_fakellm_start("response\n" OA_CHUNK(
	        "{\"content\":\"Hel\"}", "null") "framing close\nend\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_EQ_INT(h.retry_why[0], BA_LLM_ERR_PROTOCOL);
	CHECK_EQ_STR(resp.message.text, "Hello");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(malformed_stream_is_not_retried)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n"
	                              "body data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\n"
	                              "body data: oops\\n\\n\n"
	                              "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_PROTOCOL);
	CHECK(strncmp(err, "openai/gpt-test: malformed stream: ", 35) == 0);
	CHECK_CONTAINS(err, "JSON");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK_EQ_UINT(h.retries, 0);
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(error_event_in_the_stream_is_retried)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n"
	                              "body data: {\"error\":{\"message\":\"The server is "
	                              "overloaded\",\"type\":\"server_error\"}}\\n\\n\n"
	                              "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_INT(h.retry_why[0], BA_LLM_ERR_SERVER);
	CHECK_CONTAINS(h.retry_msg[0], "The server is overloaded");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(fallback_to_a_second_provider)
{
	ba_test_server a =
	        ba_test_fakellm_start(ERROR_BODY("500", "down") ERROR_BODY("500", "down"));
	ba_test_server b = ba_test_fakellm_start("response\n"
	                                         "expect_header Authorization: Bearer " BACKUP_KEY
	                                         "\n" OA_ANSWER("from ", "backup") "end\n");
	ba_llm_config *c = make_config(a.port, b.port, 1, NULL, "fallback: [backup/m2]\n");
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024], *logged;

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(resp.model, "backup/m2");
	CHECK_EQ_STR(resp.message.text, "from backup");
	CHECK_EQ_UINT(resp.attempts, 3); /* 2 on openai, 1 on backup */
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_EQ_UINT(h.fallbacks, 1);
	CHECK_EQ_STR(h.fb_from[0], "openai/gpt-test");
	CHECK_EQ_STR(h.fb_to[0], "backup/m2");
	CHECK_EQ_STR(h.fb_msg[0],
	             "openai/gpt-test: 500 Internal Server Error: down (gave up after 2 attempts)");
	logged = ba_test_fakellm_request(b.log, 1, NULL);
	CHECK(logged != NULL);
	CHECK_CONTAINS(logged, "\"model\":\"m2\"");
	CHECK(!strstr(logged, KEY)); /* each provider gets its own key */
	free(logged);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&a);
	ba_test_server_stop(&b);
}

TEST(misconfigured_fallback_is_skipped)
{
	ba_test_server a = ba_test_fakellm_start(ERROR_BODY("401", "bad key"));
	ba_test_server b = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(a.port, b.port, 1, NULL, NULL);
	static const char *const chain[] = {"nowhere/x", "openai/gpt-test", "backup/m2"};
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	/* The request's list replaces the config's; the primary in it is
	 * not tried twice. */
	req.fallbacks = chain;
	req.fallback_count = 3;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_OK);
	CHECK_EQ_STR(resp.model, "backup/m2");
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_UINT(h.fallbacks, 2);
	CHECK_EQ_STR(h.fb_from[0], "openai/gpt-test");
	CHECK_EQ_STR(h.fb_to[0], "nowhere/x");
	CHECK_CONTAINS(h.fb_msg[0], "401 Unauthorized: bad key (check OPENAI_API_KEY)");
	CHECK_EQ_STR(h.fb_from[1], "nowhere/x");
	CHECK_EQ_STR(h.fb_to[1], "backup/m2");
	CHECK_CONTAINS(h.fb_msg[1], "nowhere");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&a);
	ba_test_server_stop(&b);
}

TEST(every_model_failing_ends_with_the_last_and_lists_the_others)
{
	ba_test_server a = ba_test_fakellm_start(ERROR_BODY("503", "maintenance"));
	ba_test_server b = ba_test_fakellm_start(ERROR_BODY("401", "who are you"));
	ba_llm_config *c =
	        make_config(a.port, b.port, 0, NULL, "fallback: [nowhere/x, backup/m2]\n");
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_AUTH);
	CHECK_EQ_STR(err, "backup/m2: 401 Unauthorized: who are you (check BACKUP_KEY); also tried "
	                  "openai/gpt-test (server), nowhere/x (not configured)");
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_UINT(h.fallbacks, 2);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&a);
	ba_test_server_stop(&b);
}

TEST(no_fallback_ignores_the_configured_chain)
{
	ba_test_server a = ba_test_fakellm_start(ERROR_BODY("500", "down"));
	ba_test_server b = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(a.port, b.port, 0, NULL, "fallback: [backup/m2]\n");
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_SERVER);
	CHECK_EQ_STR(err, "openai/gpt-test: 500 Internal Server Error: down");
	CHECK_EQ_INT(ba_test_fakellm_request_count(b.log), 0);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&a);
	ba_test_server_stop(&b);
}

TEST(unknown_provider_is_a_configuration_error)
{
	ba_llm_config *c = make_config(1, 1, 0, NULL, "fallback: [backup/m2]\n");
	ba_llm_request req = request_for("nowhere/x");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_CONTAINS(err, "nowhere");
	CHECK_EQ_UINT(resp.attempts, 0);
	CHECK_EQ_UINT(h.fallbacks, 0); /* the operator must fix it */
	ba_llm_response_release(&resp);

	req.model = NULL;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
}

TEST(redirect_is_not_followed)
{
	ba_test_server s = ba_test_fakellm_start(
	        "response\nstatus 308\n"
	        "header Location: https://api.example.test/v1/chat/completions\n"
	        "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];

	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_CONFIG);
	CHECK_CONTAINS(err, "openai/gpt-test: 308 Permanent Redirect: redirected to "
	                    "https://api.example.test/v1/chat/completions");
	CHECK_CONTAINS(err, "check the base URL");
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST(connection_refused_is_retried_then_reported)
{
	unsigned port = ba_test_closed_port();
	ba_llm_config *c = make_config(port, 1, 1, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024], want[256];

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_NETWORK);
	snprintf(want, sizeof(want),
	         "openai/gpt-test: connect to 127.0.0.1:%u failed: Connection refused (gave up "
	         "after 2 attempts)",
	         port);
	CHECK_EQ_STR(err, want);
	CHECK_EQ_UINT(resp.attempts, 2);
	CHECK_EQ_UINT(h.retries, 1);
	CHECK_EQ_INT(h.retry_why[0], BA_LLM_ERR_NETWORK);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
}

TEST_TIMEOUT(cancel_during_a_slow_stream, 20)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n" OA_ANSWER("Hel", "lo") "chunk 20\n"
	                                                                  "delay_ms 100\n"
	                                                                  "end\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];
	atomic_bool flag = false;
	ba_test_canceller cn;
	uint64_t t0, ms;

	req.cancel = &flag;
	t0 = ba_mono_ns();
	ba_test_cancel_later(&cn, &flag, 300);
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_CANCELLED);
	ms = (ba_mono_ns() - t0) / 1000000;
	ba_test_canceller_join(&cn);
	CHECK(ms >= 250 && ms < 1500); /* the whole stream takes 3 s */
	CHECK_EQ_STR(err, "openai/gpt-test: cancelled");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK_EQ_UINT(h.retries, 0);
	CHECK_EQ_UINT(h.fallbacks, 0);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(cancel_during_a_retry_wait, 20)
{
	ba_test_server s = ba_test_fakellm_start(
	        "response\nstatus 503\nheader Retry-After: 1\nend\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];
	atomic_bool flag = false;
	ba_test_canceller cn;
	uint64_t t0, ms;

	req.cancel = &flag;
	t0 = ba_mono_ns();
	ba_test_cancel_later(&cn, &flag, 300);
	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_CANCELLED);
	ms = (ba_mono_ns() - t0) / 1000000;
	ba_test_canceller_join(&cn);
	CHECK(ms >= 250 && ms < 900); /* the 1 s wait was cut short */
	CHECK_EQ_UINT(resp.attempts, 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(idle_server_times_out, 20)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n" OA_ANSWER("Hel", "lo") "chunk 150\n"
	                                                                  "delay_ms 5000\n"
	                                                                  "end\n");
	ba_llm_config *c = make_config(s.port, 1, 0, "    idle_timeout_ms: 300\n", NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];
	uint64_t t0 = ba_mono_ns(), ms;

	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_TIMEOUT);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK(ms < 2500);
	CHECK(strncmp(err, "openai/gpt-test: ", 17) == 0);
	CHECK_CONTAINS(err, "no data for 300 ms");
	CHECK_EQ_UINT(resp.attempts, 1);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(deadline_ends_the_call_and_its_retries, 20)
{
	ba_test_server s =
	        ba_test_fakellm_start("response\n" OA_ANSWER("Hel", "lo") "chunk 10\n"
	                                                                  "delay_ms 200\n"
	                                                                  "end\n" OA_HELLO);
	ba_test_server b = ba_test_fakellm_start(OA_HELLO);
	ba_llm_config *c = make_config(s.port, b.port, 3, NULL, "fallback: [backup/m2]\n");
	ba_llm_request req = request_for("openai/gpt-test");
	struct heard h;
	ba_llm_handler hd = handler_for(&h);
	ba_llm_response resp;
	char err[1024];
	uint64_t t0 = ba_mono_ns(), ms;

	req.deadline_ns = t0 + 700ull * 1000000;
	CHECK_EQ_INT(ba_llm_chat(c, &req, &hd, &resp, err, sizeof(err)), BA_LLM_ERR_TIMEOUT);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK(ms >= 650 && ms < 2500); /* the whole stream takes 12 s */
	CHECK_CONTAINS(err, "deadline");
	CHECK_EQ_UINT(resp.attempts, 1);
	CHECK_EQ_UINT(h.retries, 0);
	CHECK_EQ_UINT(h.fallbacks, 0); /* no time for anyone else either */
	CHECK_EQ_INT(ba_test_fakellm_request_count(b.log), 0);
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
	ba_test_server_stop(&b);
}

TEST(retry_wait_that_would_pass_the_deadline_is_not_started)
{
	ba_test_server s = ba_test_fakellm_start(
	        "response\nstatus 503\nheader Retry-After: 1\nend\n" OA_HELLO);
	ba_llm_config *c = make_config(s.port, 1, 3, NULL, NULL);
	ba_llm_request req = request_for("openai/gpt-test");
	ba_llm_response resp;
	char err[1024];
	uint64_t t0 = ba_mono_ns();

	req.deadline_ns = t0 + 500ull * 1000000;
	req.no_fallback = true;
	CHECK_EQ_INT(ba_llm_chat(c, &req, NULL, &resp, err, sizeof(err)), BA_LLM_ERR_SERVER);
	CHECK((ba_mono_ns() - t0) / 1000000 < 400);
	CHECK_CONTAINS(err, "503 Service Unavailable");
	CHECK_CONTAINS(err, "no time is left before the deadline");
	ba_llm_response_release(&resp);
	ba_llm_config_free(c);
	ba_test_server_stop(&s);
}
