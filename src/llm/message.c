/*
 * message.c - the small shared pieces of llm.h: releasing and copying
 * messages, the names of roles, statuses and stop reasons, and the cost
 * of a call from the configured prices.
 */
#include "llm/llm.h"

#include <stdlib.h>
#include <string.h>

static void tool_call_release(ba_llm_tool_call *call)
{
	free(call->id);
	free(call->name);
	free(call->arguments);
	memset(call, 0, sizeof(*call));
}

void ba_llm_message_release(ba_llm_message *msg)
{
	if (!msg)
		return;
	free(msg->text);
	if (msg->tool_calls) {
		for (size_t i = 0; i < msg->tool_call_count; i++)
			tool_call_release(&msg->tool_calls[i]);
		free(msg->tool_calls);
	}
	free(msg->tool_call_id);
	free(msg->tool_name);
	memset(msg, 0, sizeof(*msg));
}

/* strdup that keeps NULL as NULL; returns -1 only when out of memory. */
static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

int ba_llm_message_copy(ba_llm_message *dst, const ba_llm_message *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->role = src->role;
	dst->is_error = src->is_error;
	if (dup_opt(&dst->text, src->text) != 0 ||
	    dup_opt(&dst->tool_call_id, src->tool_call_id) != 0 ||
	    dup_opt(&dst->tool_name, src->tool_name) != 0)
		goto fail;
	if (src->tool_calls && src->tool_call_count > 0) {
		dst->tool_calls = calloc(src->tool_call_count, sizeof(*dst->tool_calls));
		if (!dst->tool_calls)
			goto fail;
		/* Counted as we go so a failure half-way releases only what
		 * was copied. */
		for (size_t i = 0; i < src->tool_call_count; i++) {
			const ba_llm_tool_call *s = &src->tool_calls[i];
			ba_llm_tool_call *d = &dst->tool_calls[i];
			dst->tool_call_count = i + 1;
			if (dup_opt(&d->id, s->id) != 0 || dup_opt(&d->name, s->name) != 0 ||
			    dup_opt(&d->arguments, s->arguments) != 0)
				goto fail;
		}
	}
	return 0;
fail:
	ba_llm_message_release(dst);
	return -1;
}

const char *ba_llm_role_name(ba_llm_role role)
{
	switch (role) {
	case BA_LLM_ROLE_USER:
		return "user";
	case BA_LLM_ROLE_ASSISTANT:
		return "assistant";
	case BA_LLM_ROLE_TOOL:
		return "tool";
	}
	return "unknown";
}

const char *ba_llm_status_name(ba_llm_status status)
{
	switch (status) {
	case BA_LLM_OK:
		return "ok";
	case BA_LLM_ERR_CONFIG:
		return "config";
	case BA_LLM_ERR_AUTH:
		return "auth";
	case BA_LLM_ERR_NOT_FOUND:
		return "not_found";
	case BA_LLM_ERR_REQUEST:
		return "request";
	case BA_LLM_ERR_RATE_LIMIT:
		return "rate_limit";
	case BA_LLM_ERR_SERVER:
		return "server";
	case BA_LLM_ERR_NETWORK:
		return "network";
	case BA_LLM_ERR_TIMEOUT:
		return "timeout";
	case BA_LLM_ERR_PROTOCOL:
		return "protocol";
	case BA_LLM_ERR_TOO_LARGE:
		return "too_large";
	case BA_LLM_ERR_CANCELLED:
		return "cancelled";
	case BA_LLM_ERR_NOMEM:
		return "nomem";
	}
	return "unknown";
}

const char *ba_llm_stop_name(ba_llm_stop stop)
{
	switch (stop) {
	case BA_LLM_STOP_END:
		return "end";
	case BA_LLM_STOP_TOOL_CALLS:
		return "tool_calls";
	case BA_LLM_STOP_MAX_TOKENS:
		return "max_tokens";
	case BA_LLM_STOP_OTHER:
		return "other";
	}
	return "unknown";
}

void ba_llm_response_release(ba_llm_response *response)
{
	if (!response)
		return;
	ba_llm_message_release(&response->message);
	memset(response, 0, sizeof(*response));
}

double ba_llm_cost_usd(const ba_llm_config *config, const char *model, const ba_llm_usage *usage)
{
	if (!config || !model || !usage)
		return -1.0;
	const ba_llm_model_settings *settings = ba_llm_find_model(config, model);
	/* Both prices are needed: a cost limit computed from half the
	 * prices would silently under-count. */
	if (!settings || !(settings->input_usd_per_mtok >= 0) ||
	    !(settings->output_usd_per_mtok >= 0))
		return -1.0;
	return ((double)usage->input_tokens * settings->input_usd_per_mtok +
	        (double)usage->output_tokens * settings->output_usd_per_mtok) /
	       1e6;
}
