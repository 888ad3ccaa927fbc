/*
 * config.c - the model providers and models, from the environment and
 * boxagent.yaml (see llm.h).
 */
#include "llm/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ba_llm_provider *ba_llm_find_provider(const ba_llm_config *config, const char *full,
                                            const char **model_part)
{
	if (model_part)
		*model_part = NULL;
	if (!config || !full)
		return NULL;
	const char *slash = strchr(full, '/');
	if (!slash || slash == full || slash[1] == '\0')
		return NULL;
	size_t n = (size_t)(slash - full);
	for (size_t i = 0; i < config->provider_count; i++) {
		const ba_llm_provider *p = &config->providers[i];
		if (strlen(p->name) == n && memcmp(p->name, full, n) == 0) {
			if (model_part)
				*model_part = slash + 1;
			return p;
		}
	}
	return NULL;
}

const ba_llm_model_settings *ba_llm_find_model(const ba_llm_config *config, const char *full)
{
	if (!config || !full)
		return NULL;
	for (size_t i = 0; i < config->model_count; i++)
		if (strcmp(config->models[i].model, full) == 0)
			return &config->models[i];
	return NULL;
}

/* Placeholders until the loader lands (next commit). */
ba_llm_config *ba_llm_config_load(const char *path, ba_llm_getenv_fn env, char *err, size_t err_len)
{
	snprintf(err, err_len, "configuration loading is not implemented yet");
	return NULL;
}

ba_llm_config *ba_llm_config_parse(const char *text, size_t len, const char *origin,
                                   ba_llm_getenv_fn env, char *err, size_t err_len)
{
	snprintf(err, err_len, "configuration loading is not implemented yet");
	return NULL;
}

void ba_llm_config_free(ba_llm_config *config)
{
	if (!config)
		return;
	for (size_t i = 0; i < config->provider_count; i++) {
		ba_llm_provider *p = &config->providers[i];
		if (p->api_key) {
			explicit_bzero(p->api_key, strlen(p->api_key));
			free(p->api_key);
		}
	}
	explicit_bzero(config, sizeof(*config));
	free(config);
}

int ba_llm_resolve_model(const ba_llm_config *config, const char *requested, char *out,
                         size_t out_len, char *err, size_t err_len)
{
	snprintf(err, err_len, "configuration loading is not implemented yet");
	return -1;
}
