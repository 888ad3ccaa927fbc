/* Tests for src/llm/message.c: message copy/release, names, cost. */
#include "test.h"

#include "llm/llm.h"

#include <stdlib.h>

static ba_llm_message assistant_with_calls(void)
{
	ba_llm_message m = {.role = BA_LLM_ROLE_ASSISTANT};
	m.text = strdup("Let me look.");
	m.tool_call_count = 2;
	m.tool_calls = calloc(2, sizeof(*m.tool_calls));
	m.tool_calls[0].id = strdup("call_1");
	m.tool_calls[0].name = strdup("list_dir");
	m.tool_calls[0].arguments = strdup("{\"path\":\".\"}");
	m.tool_calls[1].id = strdup("call_2");
	m.tool_calls[1].name = strdup("read_file");
	m.tool_calls[1].arguments = NULL; /* a call may have no arguments yet */
	return m;
}

TEST(copy_is_deep_and_release_zeroes)
{
	ba_llm_message src = assistant_with_calls();
	ba_llm_message dst;
	CHECK_EQ_INT(ba_llm_message_copy(&dst, &src), 0);
	CHECK_EQ_INT(dst.role, BA_LLM_ROLE_ASSISTANT);
	CHECK_EQ_STR(dst.text, "Let me look.");
	CHECK(dst.text != src.text);
	CHECK_EQ_UINT(dst.tool_call_count, 2);
	CHECK(dst.tool_calls != src.tool_calls);
	CHECK_EQ_STR(dst.tool_calls[0].id, "call_1");
	CHECK_EQ_STR(dst.tool_calls[0].name, "list_dir");
	CHECK_EQ_STR(dst.tool_calls[0].arguments, "{\"path\":\".\"}");
	CHECK(dst.tool_calls[0].arguments != src.tool_calls[0].arguments);
	CHECK_EQ_STR(dst.tool_calls[1].name, "read_file");
	CHECK(dst.tool_calls[1].arguments == NULL);
	CHECK(dst.tool_call_id == NULL);
	CHECK(dst.tool_name == NULL);

	/* Releasing the source leaves the copy intact (ASan would catch a
	 * shared pointer). */
	ba_llm_message_release(&src);
	CHECK(src.text == NULL && src.tool_calls == NULL && src.tool_call_count == 0);
	CHECK_EQ_STR(dst.tool_calls[0].arguments, "{\"path\":\".\"}");

	ba_llm_message_release(&dst);
	ba_llm_message zero = {0};
	CHECK_EQ_INT(memcmp(&dst, &zero, sizeof(zero)), 0);
	/* Releasing twice is harmless, and NULL is accepted. */
	ba_llm_message_release(&dst);
	ba_llm_message_release(NULL);
}

TEST(copy_tool_result)
{
	ba_llm_message src = {.role = BA_LLM_ROLE_TOOL, .is_error = true};
	src.text = strdup("network:https://x.example is not granted");
	src.tool_call_id = strdup("toolu_01");
	src.tool_name = strdup("web_fetch");
	ba_llm_message dst;
	CHECK_EQ_INT(ba_llm_message_copy(&dst, &src), 0);
	CHECK_EQ_INT(dst.role, BA_LLM_ROLE_TOOL);
	CHECK(dst.is_error);
	CHECK_EQ_STR(dst.text, src.text);
	CHECK_EQ_STR(dst.tool_call_id, "toolu_01");
	CHECK_EQ_STR(dst.tool_name, "web_fetch");
	CHECK(dst.tool_calls == NULL);
	CHECK_EQ_UINT(dst.tool_call_count, 0);
	ba_llm_message_release(&src);
	ba_llm_message_release(&dst);
}

TEST(copy_empty_message)
{
	ba_llm_message src = {.role = BA_LLM_ROLE_USER};
	ba_llm_message dst;
	memset(&dst, 0xAA, sizeof(dst));
	CHECK_EQ_INT(ba_llm_message_copy(&dst, &src), 0);
	CHECK_EQ_INT(dst.role, BA_LLM_ROLE_USER);
	CHECK(dst.text == NULL && dst.tool_calls == NULL && dst.tool_call_id == NULL &&
	      dst.tool_name == NULL && !dst.is_error);
	ba_llm_message_release(&dst);
}

TEST(names)
{
	CHECK_EQ_STR(ba_llm_role_name(BA_LLM_ROLE_USER), "user");
	CHECK_EQ_STR(ba_llm_role_name(BA_LLM_ROLE_ASSISTANT), "assistant");
	CHECK_EQ_STR(ba_llm_role_name(BA_LLM_ROLE_TOOL), "tool");
	CHECK_EQ_STR(ba_llm_role_name((ba_llm_role)99), "unknown");

	CHECK_EQ_STR(ba_llm_stop_name(BA_LLM_STOP_END), "end");
	CHECK_EQ_STR(ba_llm_stop_name(BA_LLM_STOP_TOOL_CALLS), "tool_calls");
	CHECK_EQ_STR(ba_llm_stop_name(BA_LLM_STOP_MAX_TOKENS), "max_tokens");
	CHECK_EQ_STR(ba_llm_stop_name(BA_LLM_STOP_OTHER), "other");
	CHECK_EQ_STR(ba_llm_stop_name((ba_llm_stop)-1), "unknown");

	static const char *const expect[] = {
	        "ok",      "config",  "auth",     "not_found", "request",   "rate_limit", "server",
	        "network", "timeout", "protocol", "too_large", "cancelled", "nomem",
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		CHECK_EQ_STR(ba_llm_status_name((ba_llm_status)i), expect[i]);
	CHECK_EQ_STR(ba_llm_status_name((ba_llm_status)(BA_LLM_ERR_NOMEM + 1)), "unknown");
	/* Every name is distinct, so logs and JSON events can be matched on. */
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		for (size_t j = i + 1; j < sizeof(expect) / sizeof(expect[0]); j++)
			CHECK(strcmp(expect[i], expect[j]) != 0);
}

TEST(response_release)
{
	ba_llm_response r = {.stop = BA_LLM_STOP_TOOL_CALLS, .attempts = 3};
	r.message = assistant_with_calls();
	memcpy(r.model, "openai/x", 9);
	ba_llm_response_release(&r);
	CHECK(r.message.text == NULL && r.message.tool_calls == NULL);
	CHECK_EQ_UINT(r.attempts, 0);
	CHECK_EQ_STR(r.model, "");
	ba_llm_response_release(&r);
	ba_llm_response_release(NULL);
}

static ba_llm_config *priced_config(void)
{
	ba_llm_config *c = calloc(1, sizeof(*c));
	c->model_count = 3;
	memcpy(c->models[0].model, "openai/gpt-4o-mini", sizeof("openai/gpt-4o-mini"));
	c->models[0].input_usd_per_mtok = 0.15;
	c->models[0].output_usd_per_mtok = 0.60;
	memcpy(c->models[1].model, "ollama/llama3.2", sizeof("ollama/llama3.2"));
	c->models[1].input_usd_per_mtok = 0;
	c->models[1].output_usd_per_mtok = 0;
	memcpy(c->models[2].model, "x/half", sizeof("x/half"));
	c->models[2].input_usd_per_mtok = 1;
	c->models[2].output_usd_per_mtok = -1;
	return c;
}

static int near(double a, double b)
{
	double d = a - b;
	return d < 1e-12 && d > -1e-12;
}

TEST(cost)
{
	ba_llm_config *c = priced_config();
	ba_llm_usage u = {.input_tokens = 1000000, .output_tokens = 500000};
	CHECK(near(ba_llm_cost_usd(c, "openai/gpt-4o-mini", &u), 0.15 + 0.30));
	ba_llm_usage small = {.input_tokens = 1234, .output_tokens = 56};
	CHECK(near(ba_llm_cost_usd(c, "openai/gpt-4o-mini", &small),
	           (1234 * 0.15 + 56 * 0.60) / 1e6));
	ba_llm_usage none = {0};
	CHECK(near(ba_llm_cost_usd(c, "openai/gpt-4o-mini", &none), 0));
	/* Free local models cost zero, which is known, not unknown. */
	CHECK(near(ba_llm_cost_usd(c, "ollama/llama3.2", &u), 0));
	/* Unknown model, half-priced model and missing arguments: negative. */
	CHECK(ba_llm_cost_usd(c, "openai/gpt-4o", &u) < 0);
	CHECK(ba_llm_cost_usd(c, "x/half", &u) < 0);
	CHECK(ba_llm_cost_usd(NULL, "openai/gpt-4o-mini", &u) < 0);
	CHECK(ba_llm_cost_usd(c, NULL, &u) < 0);
	CHECK(ba_llm_cost_usd(c, "openai/gpt-4o-mini", NULL) < 0);
	free(c);
}
