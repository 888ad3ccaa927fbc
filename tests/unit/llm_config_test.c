/*
 * Tests for src/llm/config.c: providers from the environment, the
 * boxagent.yaml format, choosing a model and its messages, finding a
 * config file. The environment is a table handed in through the env
 * parameter; the process environment is never read or changed.
 */
#include "test.h"

#include "llm/llm.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------- helpers */

#define MAX_VARS 16
static const char *vars[MAX_VARS][2];

static void env_set(const char *name, const char *value)
{
	for (size_t i = 0; i < MAX_VARS; i++)
		if (!vars[i][0] || strcmp(vars[i][0], name) == 0) {
			vars[i][0] = name;
			vars[i][1] = value;
			return;
		}
	ba_test_fail(__FILE__, __LINE__, "too many test variables");
}

static const char *test_env(const char *name)
{
	for (size_t i = 0; i < MAX_VARS && vars[i][0]; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static char err[1024];

/* Parses YAML text under the test environment; fails the case on error. */
static ba_llm_config *parse_ok(const char *yaml)
{
	ba_llm_config *c = ba_llm_config_parse(yaml, strlen(yaml), "boxagent.yaml", test_env, err,
	                                       sizeof(err));
	if (!c)
		ba_test_fail(__FILE__, __LINE__, "parse failed: %s", err);
	return c;
}

/* Expects the text to be refused; returns the message. */
static const char *parse_fails(const char *yaml)
{
	ba_llm_config *c = ba_llm_config_parse(yaml, strlen(yaml), "boxagent.yaml", test_env, err,
	                                       sizeof(err));
	if (c) {
		ba_llm_config_free(c);
		ba_test_fail(__FILE__, __LINE__, "accepted: %s", yaml);
	}
	CHECK(err[0] != '\0');
	return err;
}

static ba_llm_config *env_only(void)
{
	return parse_ok("");
}

static const ba_llm_provider *provider(const ba_llm_config *c, const char *name)
{
	for (size_t i = 0; i < c->provider_count; i++)
		if (strcmp(c->providers[i].name, name) == 0)
			return &c->providers[i];
	return NULL;
}

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ba-llmconfig-test-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void cleanup(void)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK_EQ_UINT(fwrite(text, 1, strlen(text), f), strlen(text));
	CHECK_EQ_INT(fclose(f), 0);
}

/* ---------------------------------------------------------- environment */

TEST(no_environment_no_providers)
{
	ba_llm_config *c = env_only();
	CHECK_EQ_UINT(c->provider_count, 0);
	CHECK_EQ_STR(c->default_model, "");
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_EQ_STR(model, "");
	CHECK_CONTAINS(err, "no model provider is configured: set OPENAI_API_KEY (plus "
	                    "OPENAI_BASE_URL for an OpenAI-compatible server), ANTHROPIC_API_KEY, "
	                    "or OLLAMA_HOST, or name providers in");
	ba_llm_config_free(c);
}

TEST(openai_key_gives_official_endpoint)
{
	env_set("OPENAI_API_KEY", "sk-test-1234");
	ba_llm_config *c = env_only();
	CHECK_EQ_UINT(c->provider_count, 1);
	const ba_llm_provider *p = provider(c, "openai");
	CHECK(p != NULL);
	CHECK_EQ_INT(p->api, BA_LLM_API_OPENAI);
	CHECK_EQ_STR(p->base_url, "https://api.openai.com/v1");
	CHECK_EQ_STR(p->api_key, "sk-test-1234");
	CHECK_EQ_STR(p->key_source, "OPENAI_API_KEY");
	CHECK(p->key_required);
	/* The defaults llm.h documents. */
	CHECK_EQ_UINT(p->connect_timeout_ms, 10000);
	CHECK_EQ_UINT(p->idle_timeout_ms, 120000);
	CHECK_EQ_UINT(p->request_timeout_ms, 600000);
	CHECK_EQ_UINT(p->max_retries, 3);
	CHECK_EQ_UINT(p->retry_base_ms, 500);
	CHECK_EQ_UINT(p->retry_max_ms, 60000);
	CHECK_EQ_STR(c->source, "boxagent.yaml");

	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "openai/gpt-4o-mini");
	ba_llm_config_free(c);
}

TEST(openai_base_url_alone_is_a_local_server)
{
	env_set("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1//");
	ba_llm_config *c = env_only();
	const ba_llm_provider *p = provider(c, "openai");
	CHECK(p != NULL);
	CHECK_EQ_STR(p->base_url, "http://127.0.0.1:8080/v1");
	CHECK(p->api_key == NULL);
	CHECK(!p->key_required);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openai/qwen2.5-coder", model, sizeof(model), err,
	                                  sizeof(err)),
	             0);
	CHECK_EQ_STR(model, "openai/qwen2.5-coder");
	ba_llm_config_free(c);
}

TEST(openai_official_base_url_still_needs_key)
{
	env_set("OPENAI_BASE_URL", "HTTPS://API.OpenAI.com/v1/");
	ba_llm_config *c = env_only();
	const ba_llm_provider *p = provider(c, "openai");
	CHECK(p != NULL);
	CHECK_EQ_STR(p->base_url, "https://API.OpenAI.com/v1");
	CHECK(p->key_required);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "model 'openai/gpt-4o-mini' needs OPENAI_API_KEY, which is not set");
	ba_llm_config_free(c);
}

TEST(bad_base_urls_name_the_variable)
{
	static const char *const bad[][2] = {
	        {"ftp://example.com", "must start with http:// or https://"},
	        {"localhost:8080/v1", "must start with http:// or https://"},
	        {"http://", "has no host"},
	        {"http:///v1", "has no host"},
	        {"http://a b/v1", "space or control character"},
	        {"http://h/v1?x=1", "query or fragment"},
	        {"https://user:sk-secret@h/v1", "must not contain credentials"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_set("OPENAI_BASE_URL", bad[i][0]);
		const char *e = parse_fails("");
		CHECK_CONTAINS(e, "OPENAI_BASE_URL ");
		CHECK_CONTAINS(e, bad[i][1]);
		CHECK(strstr(e, "sk-secret") == NULL);
	}
	env_set("OPENAI_BASE_URL", NULL);
	env_set("ANTHROPIC_BASE_URL", "file:///etc/passwd");
	CHECK_CONTAINS(parse_fails(""), "ANTHROPIC_BASE_URL must start with http:// or https://");
}

TEST(overlong_base_url)
{
	static char url[BA_LLM_URL_MAX + 16];
	memcpy(url, "http://h/", 9);
	memset(url + 9, 'a', sizeof(url) - 10);
	url[sizeof(url) - 1] = '\0';
	env_set("OPENAI_BASE_URL", url);
	CHECK_CONTAINS(parse_fails(""), "OPENAI_BASE_URL is too long");
}

TEST(empty_variables_count_as_unset)
{
	env_set("OPENAI_API_KEY", "");
	env_set("OPENAI_BASE_URL", "");
	env_set("OLLAMA_HOST", "");
	env_set("BOXAGENT_MODEL", "");
	ba_llm_config *c = env_only();
	CHECK_EQ_UINT(c->provider_count, 0);
	CHECK_EQ_STR(c->default_model, "");
	ba_llm_config_free(c);
}

TEST(anthropic_from_environment)
{
	env_set("ANTHROPIC_API_KEY", "sk-ant-xyz");
	ba_llm_config *c = env_only();
	const ba_llm_provider *p = provider(c, "anthropic");
	CHECK(p != NULL);
	CHECK_EQ_INT(p->api, BA_LLM_API_ANTHROPIC);
	CHECK_EQ_STR(p->base_url, "https://api.anthropic.com");
	CHECK_EQ_STR(p->api_key, "sk-ant-xyz");
	CHECK_EQ_STR(p->key_source, "ANTHROPIC_API_KEY");
	CHECK(p->key_required);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "anthropic/claude-sonnet-4-5");
	ba_llm_config_free(c);

	/* A base URL alone points at a proxy or the test server. */
	env_set("ANTHROPIC_API_KEY", NULL);
	env_set("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999/");
	c = env_only();
	p = provider(c, "anthropic");
	CHECK(p != NULL);
	CHECK_EQ_STR(p->base_url, "http://127.0.0.1:9999");
	CHECK(!p->key_required);
	CHECK(p->api_key == NULL);
	ba_llm_config_free(c);
}

TEST(first_configured_builtin_wins)
{
	env_set("OLLAMA_HOST", "localhost");
	env_set("ANTHROPIC_API_KEY", "k");
	ba_llm_config *c = env_only();
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "", model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "anthropic/claude-sonnet-4-5");
	ba_llm_config_free(c);
	env_set("ANTHROPIC_API_KEY", NULL);
	c = env_only();
	CHECK_EQ_INT(ba_llm_resolve_model(c, "", model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "ollama/llama3.2");
	ba_llm_config_free(c);
}

TEST(ollama_host_forms)
{
	static const char *const forms[][2] = {
	        {"127.0.0.1:11434", "http://127.0.0.1:11434/v1"},
	        {"0.0.0.0:11434", "http://127.0.0.1:11434/v1"},
	        {"0.0.0.0", "http://127.0.0.1:11434/v1"},
	        {"localhost", "http://localhost:11434/v1"},
	        {"gpu.lan:8080", "http://gpu.lan:8080/v1"},
	        {":9000", "http://127.0.0.1:9000/v1"},
	        {"  gpu.lan  ", "http://gpu.lan:11434/v1"},
	        {"http://gpu.lan:11434", "http://gpu.lan:11434/v1"},
	        {"http://gpu.lan:11434/", "http://gpu.lan:11434/v1"},
	        {"http://gpu.lan:11434/v1", "http://gpu.lan:11434/v1"},
	        {"HTTP://gpu.lan", "http://gpu.lan:80/v1"},
	        {"https://ollama.example.com", "https://ollama.example.com:443/v1"},
	        {"https://example.com/ollama/", "https://example.com:443/ollama/v1"},
	        {"[::]:11434", "http://[::1]:11434/v1"},
	        {"[::1]", "http://[::1]:11434/v1"},
	        {"[fe80::1]:99", "http://[fe80::1]:99/v1"},
	        {"::1", "http://[::1]:11434/v1"},
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		env_set("OLLAMA_HOST", forms[i][0]);
		ba_llm_config *c = env_only();
		const ba_llm_provider *p = provider(c, "ollama");
		CHECK(p != NULL);
		CHECK_EQ_STR(p->base_url, forms[i][1]);
		CHECK_EQ_INT(p->api, BA_LLM_API_OPENAI);
		CHECK(!p->key_required);
		CHECK(p->api_key == NULL);
		CHECK_EQ_STR(p->key_source, "");
		ba_llm_config_free(c);
	}
}

TEST(ollama_host_errors)
{
	static const char *const bad[][2] = {
	        {"host:99999", "invalid port"},
	        {"host:0", "invalid port"},
	        {"host:abc", "invalid port"},
	        {"host:", "invalid port"},
	        {"ftp://host", "host:port or an http"},
	        {"[::1", "closing ']'"},
	        {"[::1]x", "junk after"},
	        {"user@host:1", "invalid host"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_set("OLLAMA_HOST", bad[i][0]);
		const char *e = parse_fails("");
		CHECK_CONTAINS(e, "OLLAMA_HOST ");
		CHECK_CONTAINS(e, bad[i][1]);
		CHECK_CONTAINS(e, "127.0.0.1:11434");
	}
}

TEST(keys_with_control_characters_are_refused_without_quoting)
{
	env_set("OPENAI_API_KEY", "sk-abc\r\nX-Injected: 1");
	const char *e = parse_fails("");
	CHECK_CONTAINS(e, "OPENAI_API_KEY contains a space, line break or control character");
	CHECK(strstr(e, "sk-abc") == NULL);
	env_set("OPENAI_API_KEY", "sk-abc ");
	CHECK_CONTAINS(parse_fails(""), "OPENAI_API_KEY contains a space");
	static char huge[5000];
	memset(huge, 'k', sizeof(huge) - 1);
	env_set("OPENAI_API_KEY", huge);
	CHECK_CONTAINS(parse_fails(""), "OPENAI_API_KEY is longer than");
}

TEST(boxagent_model_sets_default_and_beats_the_file)
{
	env_set("OPENAI_API_KEY", "k");
	env_set("BOXAGENT_MODEL", "openai/gpt-4.1");
	ba_llm_config *c = parse_ok("default_model: openai/gpt-4o\n");
	CHECK_EQ_STR(c->default_model, "openai/gpt-4.1");
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "openai/gpt-4.1");
	/* --model beats both. */
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openai/o3", model, sizeof(model), err, sizeof(err)),
	             0);
	CHECK_EQ_STR(model, "openai/o3");
	ba_llm_config_free(c);

	env_set("BOXAGENT_MODEL", "gpt-4o");
	CHECK_CONTAINS(parse_fails(""), "BOXAGENT_MODEL 'gpt-4o' must be named provider/model");
}

/* ---------------------------------------------------------- the file */

static const char full_example[] =
        "# boxagent.yaml\n"
        "default_model: openai/gpt-4o-mini\n"
        "fallback: [anthropic/claude-sonnet-4-5, ollama/llama3.2]\n"
        "providers:\n"
        "  groq: { api: openai, base_url: https://api.groq.com/openai/v1, "
        "api_key_env: GROQ_API_KEY }\n"
        "  openai: { retry_base_ms: 10, max_retries: 2 }\n"
        "  local:\n"
        "    api: openai\n"
        "    base_url: http://127.0.0.1:8080/v1/\n"
        "    idle_timeout_ms: 30s\n"
        "    connect_timeout_ms: 250ms\n"
        "    request_timeout_ms: 2m\n"
        "    retry_max_ms: 5000\n"
        "  proxy: { api: anthropic, base_url: 'https://llm.corp.example/anthropic' }\n"
        "models:\n"
        "  openai/gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60, "
        "max_tokens: 4096 }\n"
        "  openrouter/meta-llama/llama-3.1-8b: { input_usd_per_mtok: 0.02 }\n";

TEST(full_example)
{
	env_set("OPENAI_API_KEY", "sk-openai");
	env_set("GROQ_API_KEY", "gsk-groq");
	ba_llm_config *c = parse_ok(full_example);
	CHECK_EQ_STR(c->default_model, "openai/gpt-4o-mini");
	CHECK_EQ_UINT(c->fallback_count, 2);
	CHECK_EQ_STR(c->fallbacks[0], "anthropic/claude-sonnet-4-5");
	CHECK_EQ_STR(c->fallbacks[1], "ollama/llama3.2");
	CHECK_EQ_UINT(c->provider_count, 4);

	const ba_llm_provider *o = provider(c, "openai");
	CHECK(o != NULL);
	/* Overridden field by field: the rest stays as the environment set. */
	CHECK_EQ_UINT(o->retry_base_ms, 10);
	CHECK_EQ_UINT(o->max_retries, 2);
	CHECK_EQ_UINT(o->retry_max_ms, 60000);
	CHECK_EQ_STR(o->base_url, "https://api.openai.com/v1");
	CHECK_EQ_STR(o->api_key, "sk-openai");
	CHECK(o->key_required);

	const ba_llm_provider *g = provider(c, "groq");
	CHECK(g != NULL);
	CHECK_EQ_INT(g->api, BA_LLM_API_OPENAI);
	CHECK_EQ_STR(g->base_url, "https://api.groq.com/openai/v1");
	CHECK_EQ_STR(g->api_key, "gsk-groq");
	CHECK_EQ_STR(g->key_source, "GROQ_API_KEY");
	CHECK(g->key_required);
	CHECK_EQ_UINT(g->max_retries, 3);

	const ba_llm_provider *l = provider(c, "local");
	CHECK(l != NULL);
	CHECK_EQ_STR(l->base_url, "http://127.0.0.1:8080/v1");
	CHECK(l->api_key == NULL);
	CHECK(!l->key_required);
	CHECK_EQ_STR(l->key_source, "");
	CHECK_EQ_UINT(l->idle_timeout_ms, 30000);
	CHECK_EQ_UINT(l->connect_timeout_ms, 250);
	CHECK_EQ_UINT(l->request_timeout_ms, 120000);
	CHECK_EQ_UINT(l->retry_max_ms, 5000);

	const ba_llm_provider *px = provider(c, "proxy");
	CHECK(px != NULL);
	CHECK_EQ_INT(px->api, BA_LLM_API_ANTHROPIC);
	CHECK_EQ_STR(px->base_url, "https://llm.corp.example/anthropic");

	CHECK_EQ_UINT(c->model_count, 2);
	const ba_llm_model_settings *m = ba_llm_find_model(c, "openai/gpt-4o-mini");
	CHECK(m != NULL);
	CHECK(m->input_usd_per_mtok == 0.15);
	CHECK(m->output_usd_per_mtok == 0.60);
	CHECK_EQ_UINT(m->max_tokens, 4096);
	m = ba_llm_find_model(c, "openrouter/meta-llama/llama-3.1-8b");
	CHECK(m != NULL);
	CHECK(m->input_usd_per_mtok == 0.02);
	CHECK(m->output_usd_per_mtok < 0);
	CHECK_EQ_UINT(m->max_tokens, 0);
	CHECK(ba_llm_find_model(c, "openai/gpt-4o") == NULL);

	ba_llm_usage u = {.input_tokens = 2000000, .output_tokens = 1000000};
	double cost = ba_llm_cost_usd(c, "openai/gpt-4o-mini", &u);
	CHECK(cost > 0.8999999 && cost < 0.9000001);
	/* Half a price is not a price. */
	CHECK(ba_llm_cost_usd(c, "openrouter/meta-llama/llama-3.1-8b", &u) < 0);
	CHECK(ba_llm_cost_usd(c, "groq/llama-3.3-70b", &u) < 0);

	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "openai/gpt-4o-mini");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "groq/llama-3.3-70b-versatile", model, sizeof(model),
	                                  err, sizeof(err)),
	             0);
	ba_llm_config_free(c);
}

TEST(model_names_with_slashes)
{
	env_set("OR_KEY", "sk-or");
	ba_llm_config *c = parse_ok("providers:\n"
	                            "  openrouter: {base_url: https://openrouter.ai/api/v1, "
	                            "api_key_env: OR_KEY}\n");
	const char *part = "untouched";
	const ba_llm_provider *p =
	        ba_llm_find_provider(c, "openrouter/meta-llama/llama-3.1-8b-instruct", &part);
	CHECK(p != NULL);
	CHECK_EQ_STR(p->name, "openrouter");
	CHECK_EQ_STR(part, "meta-llama/llama-3.1-8b-instruct");
	/* Prefixes and near misses do not match. */
	CHECK(ba_llm_find_provider(c, "openroute/x", &part) == NULL);
	CHECK(part == NULL);
	CHECK(ba_llm_find_provider(c, "openrouterx/x", NULL) == NULL);
	CHECK(ba_llm_find_provider(c, "openrouter", &part) == NULL);
	CHECK(ba_llm_find_provider(c, "openrouter/", &part) == NULL);
	CHECK(ba_llm_find_provider(c, "/openrouter", &part) == NULL);
	CHECK(ba_llm_find_provider(c, NULL, &part) == NULL);
	CHECK(ba_llm_find_provider(NULL, "openrouter/x", &part) == NULL);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openrouter/anthropic/claude-3.5-sonnet", model,
	                                  sizeof(model), err, sizeof(err)),
	             0);
	CHECK_EQ_STR(model, "openrouter/anthropic/claude-3.5-sonnet");
	ba_llm_config_free(c);
}

TEST(builtin_named_in_file_without_environment)
{
	/* The test-suite pattern: small retry waits for a provider whose
	 * key is missing - the provider exists and says what is missing. */
	ba_llm_config *c = parse_ok("providers:\n  openai: {retry_base_ms: 1}\n");
	const ba_llm_provider *p = provider(c, "openai");
	CHECK(p != NULL);
	CHECK_EQ_STR(p->base_url, "https://api.openai.com/v1");
	CHECK(p->key_required);
	CHECK_EQ_UINT(p->retry_base_ms, 1);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "model 'openai/gpt-4o-mini' needs OPENAI_API_KEY, which is not set");
	ba_llm_config_free(c);

	/* "ollama:" alone turns on the local default. */
	c = parse_ok("providers:\n  ollama:\n");
	p = provider(c, "ollama");
	CHECK(p != NULL);
	CHECK_EQ_STR(p->base_url, "http://127.0.0.1:11434/v1");
	CHECK(!p->key_required);
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "ollama/llama3.2");
	ba_llm_config_free(c);
}

TEST(builtin_override_of_base_url)
{
	env_set("OPENAI_BASE_URL", "http://127.0.0.1:1/v1");
	env_set("OLLAMA_HOST", "gpu.lan");
	/* The file, being boxagent's own, wins over the shared variable; a
	 * non-official URL does not need a key. */
	ba_llm_config *c = parse_ok("providers:\n"
	                            "  openai: {base_url: 'http://127.0.0.1:2/v1'}\n"
	                            "  ollama: {idle_timeout_ms: 1h}\n"
	                            "  anthropic: {base_url: http://127.0.0.1:3, key_required: "
	                            "false}\n");
	const ba_llm_provider *p = provider(c, "openai");
	CHECK_EQ_STR(p->base_url, "http://127.0.0.1:2/v1");
	CHECK(!p->key_required);
	p = provider(c, "ollama");
	CHECK_EQ_STR(p->base_url, "http://gpu.lan:11434/v1");
	CHECK_EQ_UINT(p->idle_timeout_ms, 3600000);
	p = provider(c, "anthropic");
	CHECK(!p->key_required);
	CHECK_EQ_STR(p->key_source, "ANTHROPIC_API_KEY");
	ba_llm_config_free(c);

	/* Back to the official endpoint: the key is needed again. */
	c = parse_ok("providers:\n  openai: {base_url: https://api.openai.com/v1}\n");
	CHECK(provider(c, "openai")->key_required);
	ba_llm_config_free(c);

	/* key_required: true for a local server behind auth. */
	env_set("MY_KEY", "abc");
	c = parse_ok("providers:\n  vllm: {base_url: http://h:8000/v1, key_required: true}\n");
	p = provider(c, "vllm");
	CHECK(p->key_required);
	CHECK(p->api_key == NULL);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "vllm/m", model, sizeof(model), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "model 'vllm/m' needs an API key: name its variable with api_key_env "
	                    "under providers.vllm in boxagent.yaml");
	ba_llm_config_free(c);

	/* api_key_env with key_required: false (a key sent when present). */
	c = parse_ok("providers:\n  vllm: {base_url: http://h:8000/v1, key_required: false, "
	             "api_key_env: MY_KEY}\n");
	p = provider(c, "vllm");
	CHECK(!p->key_required);
	CHECK_EQ_STR(p->api_key, "abc");
	ba_llm_config_free(c);
}

TEST(custom_provider_key_unset_message)
{
	ba_llm_config *c = parse_ok("providers:\n"
	                            "  groq: {base_url: https://api.groq.com/openai/v1, "
	                            "api_key_env: GROQ_API_KEY}\n");
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "groq/llama-3.3-70b", model, sizeof(model), err,
	                                  sizeof(err)),
	             -1);
	CHECK_EQ_STR(err, "model 'groq/llama-3.3-70b' needs GROQ_API_KEY, which is not set");
	/* No default and no built-in: say how to choose. */
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no model chosen: pass --model provider/model, set BOXAGENT_MODEL, "
	                    "or set default_model in boxagent.yaml (configured providers: groq)");
	ba_llm_config_free(c);
}

TEST(resolve_messages)
{
	env_set("OPENAI_API_KEY", "k");
	env_set("OLLAMA_HOST", "h");
	ba_llm_config *c = env_only();
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "foo/bar", model, sizeof(model), err, sizeof(err)),
	             -1);
	CHECK_EQ_STR(err, "unknown provider 'foo' in model 'foo/bar'; configured: openai, ollama");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "anthropic/claude-x", model, sizeof(model), err,
	                                  sizeof(err)),
	             -1);
	CHECK_EQ_STR(err, "model 'anthropic/claude-x' needs ANTHROPIC_API_KEY, which is not set");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "gpt-4o", model, sizeof(model), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "model 'gpt-4o' must be named provider/model");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openai/", model, sizeof(model), err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "must be named provider/model");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "Open/x", model, sizeof(model), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "provider part");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openai/a b", model, sizeof(model), err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "space or control character");
	/* The caller's buffer is too small: an error, not a cut name. */
	char tiny[8];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "openai/gpt-4o", tiny, sizeof(tiny), err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "does not fit");
	ba_llm_config_free(c);

	env_set("OPENAI_API_KEY", NULL);
	env_set("OLLAMA_HOST", NULL);
	c = env_only();
	CHECK_EQ_INT(
	        ba_llm_resolve_model(c, "ollama/llama3.2", model, sizeof(model), err, sizeof(err)),
	        -1);
	CHECK_CONTAINS(err, "model 'ollama/llama3.2' needs OLLAMA_HOST");
	CHECK_EQ_INT(
	        ba_llm_resolve_model(c, "openai/gpt-4o", model, sizeof(model), err, sizeof(err)),
	        -1);
	CHECK_CONTAINS(err, "needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible "
	                    "server), which is not set");
	CHECK_EQ_INT(ba_llm_resolve_model(c, "foo/bar", model, sizeof(model), err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "unknown provider 'foo' in model 'foo/bar'; no provider is configured");
	/* A default model from the file whose provider is missing. */
	ba_llm_config_free(c);
	c = parse_ok("default_model: anthropic/claude-opus-4\n");
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "model 'anthropic/claude-opus-4' needs ANTHROPIC_API_KEY, which is not "
	                  "set");
	CHECK_EQ_INT(ba_llm_resolve_model(NULL, NULL, model, sizeof(model), err, sizeof(err)), -1);
	ba_llm_config_free(c);
}

TEST(empty_and_comment_only_files)
{
	static const char *const empty[] = {"", "# nothing yet\n", "---\n", "~\n", "\n\n"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		ba_llm_config *c = parse_ok(empty[i]);
		CHECK_EQ_UINT(c->provider_count, 0);
		ba_llm_config_free(c);
	}
	ba_llm_config *c = parse_ok("providers:\nmodels:\nfallback:\ndefault_model:\n");
	CHECK_EQ_UINT(c->provider_count + c->model_count + c->fallback_count, 0);
	CHECK_EQ_STR(c->default_model, "");
	ba_llm_config_free(c);
	/* NULL text is an empty file too. */
	c = ba_llm_config_parse(NULL, 0, NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	ba_llm_config_free(c);
	ba_llm_config_free(NULL);
}

TEST(unknown_keys_with_positions)
{
	CHECK_EQ_STR(parse_fails("default_model: openai/x\nmodle: openai/y\n"),
	             "boxagent.yaml:2:1: configuration: unknown key 'modle' (expected "
	             "default_model, fallback, providers, models)");
	CHECK_CONTAINS(parse_fails("providers:\n  groq:\n    base_url: https://h\n"
	                           "    retries: 3\n"),
	               "boxagent.yaml:4:5: providers.groq: unknown key 'retries' (expected api, "
	               "base_url, api_key_env, key_required, max_retries");
	CHECK_CONTAINS(parse_fails("models:\n  openai/x: {price: 1}\n"),
	               "boxagent.yaml:2:14: models.openai/x: unknown key 'price'");
}

TEST(quoted_text_is_one_line)
{
	/* Control characters from the file never reach a terminal. */
	const char *e = parse_fails("\"a\\nb\\e[31m\": 1\n");
	CHECK_CONTAINS(e, "unknown key 'a?b?[31m'");
	CHECK(strchr(e, '\n') == NULL && strchr(e, 0x1b) == NULL);
	e = parse_fails("default_model: \"openai/a\\tb\"\n");
	CHECK_CONTAINS(e, "default_model 'openai/a?b' contains a space or control character");
	/* Long text is cut. */
	char yaml[400];
	memset(yaml, 'z', 300);
	memcpy(yaml + 300, ": 1\n", 5);
	e = parse_fails(yaml);
	CHECK_CONTAINS(e, "unknown key 'zzzz");
	CHECK_CONTAINS(e, "zzz...' (expected");
	env_set("BOXAGENT_MODEL", "x\x1b]0;title\a");
	CHECK_CONTAINS(parse_fails(""), "BOXAGENT_MODEL 'x?]0;title?' must be named");
	env_set("BOXAGENT_MODEL", NULL);
	ba_llm_config *c = env_only();
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, "a/b\r\nc", model, sizeof(model), err, sizeof(err)),
	             -1);
	CHECK_EQ_STR(err, "model 'a/b??c' contains a space or control character");
	ba_llm_config_free(c);
}

TEST(literal_keys_are_refused)
{
	const char *e = parse_fails("providers:\n  groq:\n    base_url: https://api.groq.com/v1\n"
	                            "    api_key: gsk_live_0123456789\n");
	CHECK_CONTAINS(e, "boxagent.yaml:4:5: providers.groq: keys are never written in the "
	                  "configuration file; put the key in an environment variable and name it "
	                  "with api_key_env");
	CHECK(strstr(e, "gsk_live") == NULL);
	static const char *const spellings[] = {"key",     "token",  "apiKey",
	                                        "API_KEY", "secret", "password"};
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "providers:\n  openai: {%s: sk-proj-abcdef}\n",
		         spellings[i]);
		e = parse_fails(yaml);
		CHECK_CONTAINS(e, "api_key_env");
		CHECK(strstr(e, "sk-proj") == NULL);
	}
	/* A key written where the variable's name goes: refused, not quoted. */
	e = parse_fails("providers:\n  openai: {api_key_env: sk-proj-abcdef}\n");
	CHECK_CONTAINS(e, "boxagent.yaml:2:25: providers.openai.api_key_env must name an "
	                  "environment variable");
	CHECK(strstr(e, "sk-proj") == NULL);
	e = parse_fails("providers:\n  openai: {api_key_env: '1abc'}\n");
	CHECK_CONTAINS(e, "must name an environment variable");
	e = parse_fails("api_key: sk-proj-abcdef\n");
	CHECK_CONTAINS(e, "keys are never written");
	CHECK(strstr(e, "sk-proj") == NULL);
}

TEST(key_from_named_variable_is_checked)
{
	env_set("GROQ_API_KEY", "gsk\nbad");
	const char *e = parse_fails("providers:\n  groq: {base_url: https://h/v1, api_key_env: "
	                            "GROQ_API_KEY}\n");
	CHECK_CONTAINS(e, "boxagent.yaml:2:47: GROQ_API_KEY contains a space");
	CHECK(strstr(e, "gsk") == NULL);
}

TEST(bad_yaml)
{
	CHECK_CONTAINS(parse_fails("providers: {groq: [\n"), "boxagent.yaml:");
	const char *e = parse_fails("default_model: openai/x\n  bad indent: here\n");
	CHECK(strncmp(e, "boxagent.yaml:2:", 16) == 0);
	CHECK_CONTAINS(parse_fails("a: &x openai/y\nb: *x\n"), "anchors are not allowed");
	CHECK_CONTAINS(parse_fails("fallback: [openai/a]\n---\nfallback: [openai/b]\n"),
	               "more than one YAML document");
	CHECK_CONTAINS(parse_fails("default_model: openai/a\ndefault_model: openai/b\n"),
	               "boxagent.yaml:2:1: configuration: duplicate key 'default_model'");
	CHECK_CONTAINS(parse_fails("providers:\n  x: {base_url: http://h}\n  x: {base_url: "
	                           "http://h}\n"),
	               "duplicate key 'x'");
	CHECK_CONTAINS(parse_fails("- openai/x\n"), "boxagent.yaml:1:1: the configuration must be "
	                                            "a mapping");
	CHECK_CONTAINS(parse_fails("providers: [groq]\n"), "providers must be a mapping");
	CHECK_CONTAINS(parse_fails("models: 3\n"), "models must be a mapping");
	CHECK_CONTAINS(parse_fails("? [a]\n: b\n"), "keys must be plain strings");
	CHECK_CONTAINS(parse_fails("default_model: [openai/x]\n"),
	               "default_model must be a single value, not a list");
	/* NUL bytes inside the text. */
	static const char nul[] = "default_model: \"openai/a\\0b\"\n";
	CHECK_CONTAINS(parse_fails(nul), "NUL");
	/* Deep nesting is refused before it costs anything. */
	char deep[200];
	memset(deep, '[', 100);
	deep[100] = '\0';
	CHECK_CONTAINS(parse_fails(deep), "nesting deeper");
}

TEST(provider_definitions)
{
	CHECK_CONTAINS(parse_fails("providers:\n  groq: {api: openai}\n"),
	               "boxagent.yaml:2:3: providers.groq needs base_url");
	CHECK_CONTAINS(parse_fails("providers:\n  Groq: {base_url: http://h}\n"),
	               "provider name 'Groq' must be 1 to 63 characters");
	CHECK_CONTAINS(parse_fails("providers:\n  a.b: {base_url: http://h}\n"), "provider name");
	char yaml[256];
	char name[65];
	memset(name, 'a', 64);
	name[64] = '\0';
	snprintf(yaml, sizeof(yaml), "providers:\n  %s: {base_url: http://h}\n", name);
	CHECK_CONTAINS(parse_fails(yaml), "provider name");
	name[63] = '\0'; /* 63 is fine */
	snprintf(yaml, sizeof(yaml), "providers:\n  %s: {base_url: http://h}\n", name);
	ba_llm_config *c = parse_ok(yaml);
	CHECK(provider(c, name) != NULL);
	ba_llm_config_free(c);
	CHECK_CONTAINS(parse_fails("providers:\n  x: {api: gemini, base_url: http://h}\n"),
	               "boxagent.yaml:2:12: providers.x.api must be openai or anthropic");
	CHECK_CONTAINS(parse_fails("providers:\n  x: {base_url: ftp://h}\n"),
	               "boxagent.yaml:2:17: providers.x.base_url must start with http:// or "
	               "https://");
	CHECK_CONTAINS(parse_fails("providers:\n  x: {base_url: 'https://u:p@h/v1'}\n"),
	               "must not contain credentials");
	CHECK_CONTAINS(parse_fails("providers:\n  x: 3\n"), "providers.x must be a mapping");
	CHECK_CONTAINS(parse_fails("providers:\n  x: {base_url: http://h, key_required: yes}\n"),
	               "key_required must be true or false");
	/* api defaults to openai for a custom provider. */
	c = parse_ok("providers:\n  x: {base_url: http://h}\n");
	CHECK_EQ_INT(provider(c, "x")->api, BA_LLM_API_OPENAI);
	ba_llm_config_free(c);
}

TEST(too_many_providers)
{
	char yaml[8192];
	size_t off = (size_t)snprintf(yaml, sizeof(yaml), "providers:\n");
	for (int i = 0; i < BA_LLM_MAX_PROVIDERS; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
		                        "  p%d: {base_url: http://h}\n", i);
	ba_llm_config *c = parse_ok(yaml);
	CHECK_EQ_UINT(c->provider_count, BA_LLM_MAX_PROVIDERS);
	ba_llm_config_free(c);
	/* One more through the environment. */
	env_set("OLLAMA_HOST", "h");
	CHECK_CONTAINS(parse_fails(yaml), "more than 32 providers");
}

TEST(durations_and_numbers)
{
	static const char *const ok[][2] = {
	        {"retry_base_ms: 0", "0"},         {"retry_base_ms: 250", "250"},
	        {"retry_base_ms: 250ms", "250"},   {"retry_base_ms: 1s", "1000"},
	        {"retry_base_ms: '1.5s'", "1500"}, {"retry_base_ms: 1m", "60000"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "providers:\n  openai: {%s}\n", ok[i][0]);
		ba_llm_config *c = parse_ok(yaml);
		char got[32];
		snprintf(got, sizeof(got), "%u", provider(c, "openai")->retry_base_ms);
		CHECK_EQ_STR(got, ok[i][1]);
		ba_llm_config_free(c);
	}
	static const char *const bad[][2] = {
	        {"retry_base_ms: 1.5", "whole number of milliseconds or a duration"},
	        {"retry_base_ms: 2m", "between 0 ms and 60000 ms"},
	        {"retry_base_ms: -1", "whole number"},
	        {"retry_base_ms: 5parsecs", "unknown duration unit"},
	        {"retry_base_ms: 1500us", "whole number of milliseconds"},
	        {"connect_timeout_ms: 0", "between 1 ms"},
	        {"idle_timeout_ms: 2h", "between 1 ms and 3600000 ms"},
	        {"request_timeout_ms: 99999999999999999999", "request_timeout_ms:"},
	        {"max_retries: 11", "max_retries must be at most 10"},
	        {"max_retries: two", "max_retries:"},
	        {"max_retries: {a: 1}", "must be a single value, not a mapping"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "providers:\n  openai: {%s}\n", bad[i][0]);
		const char *e = parse_fails(yaml);
		CHECK_CONTAINS(e, "boxagent.yaml:2:");
		CHECK_CONTAINS(e, "providers.openai.");
		CHECK_CONTAINS(e, bad[i][1]);
	}
	ba_llm_config *c = parse_ok("providers:\n  openai: {max_retries: 10, retry_max_ms: 1h, "
	                            "request_timeout_ms: 24h}\n");
	CHECK_EQ_UINT(provider(c, "openai")->max_retries, 10);
	CHECK_EQ_UINT(provider(c, "openai")->retry_max_ms, 3600000);
	CHECK_EQ_UINT(provider(c, "openai")->request_timeout_ms, 86400000);
	ba_llm_config_free(c);
}

TEST(model_settings)
{
	ba_llm_config *c = parse_ok("models:\n"
	                            "  ollama/llama3.2:1b: {input_usd_per_mtok: 0, "
	                            "output_usd_per_mtok: 0}\n"
	                            "  anthropic/claude-sonnet-4-5: {input_usd_per_mtok: 3, "
	                            "output_usd_per_mtok: 1.5e1, max_tokens: 8192}\n"
	                            "  openai/o3:\n");
	CHECK_EQ_UINT(c->model_count, 3);
	const ba_llm_model_settings *m = ba_llm_find_model(c, "ollama/llama3.2:1b");
	CHECK(m != NULL);
	ba_llm_usage u = {.input_tokens = 123456, .output_tokens = 7890};
	CHECK(ba_llm_cost_usd(c, "ollama/llama3.2:1b", &u) == 0.0);
	m = ba_llm_find_model(c, "anthropic/claude-sonnet-4-5");
	CHECK(m->output_usd_per_mtok == 15.0);
	CHECK_EQ_UINT(m->max_tokens, 8192);
	m = ba_llm_find_model(c, "openai/o3");
	CHECK(m != NULL && m->input_usd_per_mtok < 0 && m->max_tokens == 0);
	CHECK(ba_llm_cost_usd(c, "openai/o3", &u) < 0);
	ba_llm_config_free(c);

	static const char *const bad[][2] = {
	        {"openai/x: {input_usd_per_mtok: -1}", "between 0 and"},
	        {"openai/x: {input_usd_per_mtok: inf}", "number of US dollars"},
	        {"openai/x: {input_usd_per_mtok: .nan}", "number of US dollars"},
	        {"openai/x: {input_usd_per_mtok: 0x10}", "number of US dollars"},
	        {"openai/x: {input_usd_per_mtok: 1e400}", "number of US dollars"},
	        {"openai/x: {output_usd_per_mtok: ''}", "number of US dollars"},
	        {"openai/x: {max_tokens: 2000000}", "max_tokens must be at most"},
	        {"gpt-4o: {max_tokens: 1}", "model 'gpt-4o' must be named provider/model"},
	        {"openai/x: 5", "models.openai/x must be a mapping"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "models:\n  %s\n", bad[i][0]);
		const char *e = parse_fails(yaml);
		CHECK_CONTAINS(e, "boxagent.yaml:2:");
		CHECK_CONTAINS(e, bad[i][1]);
	}
}

TEST(fallback_forms)
{
	ba_llm_config *c = parse_ok("fallback: ollama/llama3.2\n");
	CHECK_EQ_UINT(c->fallback_count, 1);
	CHECK_EQ_STR(c->fallbacks[0], "ollama/llama3.2");
	ba_llm_config_free(c);
	c = parse_ok("fallback:\n  - anthropic/claude-haiku-4-5\n  - openrouter/a/b\n");
	CHECK_EQ_UINT(c->fallback_count, 2);
	CHECK_EQ_STR(c->fallbacks[1], "openrouter/a/b");
	ba_llm_config_free(c);
	CHECK_CONTAINS(parse_fails("fallback: [a/1, a/2, a/3, a/4, a/5, a/6, a/7, a/8, a/9]\n"),
	               "fallback lists more than 8 models");
	CHECK_CONTAINS(parse_fails("fallback: [openai/x, llama3]\n"),
	               "boxagent.yaml:1:22: fallback 'llama3' must be named provider/model");
	CHECK_CONTAINS(parse_fails("fallback: {a: b}\n"), "fallback must be a list");
	CHECK_CONTAINS(parse_fails("default_model: x/\n"), "default_model 'x/' must be named");
}

TEST(long_model_names)
{
	char yaml[BA_LLM_MODEL_MAX + 64];
	char name[BA_LLM_MODEL_MAX + 1];
	memcpy(name, "openai/", 7);
	memset(name + 7, 'm', sizeof(name) - 8);
	name[BA_LLM_MODEL_MAX] = '\0'; /* one too long */
	snprintf(yaml, sizeof(yaml), "default_model: %s\n", name);
	CHECK_CONTAINS(parse_fails(yaml), "is too long");
	name[BA_LLM_MODEL_MAX - 1] = '\0'; /* just fits */
	snprintf(yaml, sizeof(yaml), "default_model: %s\n", name);
	ba_llm_config *c = parse_ok(yaml);
	CHECK_EQ_STR(c->default_model, name);
	ba_llm_config_free(c);
}

TEST(too_many_models)
{
	static char yaml[8192];
	size_t off = (size_t)snprintf(yaml, sizeof(yaml), "models:\n");
	for (int i = 0; i <= BA_LLM_MAX_MODELS; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
		                        "  p/m%d: {max_tokens: 1}\n", i);
	CHECK_CONTAINS(parse_fails(yaml), "more than 64 models");
}

TEST(oversized_text)
{
	size_t n = BA_LLM_MAX_CONFIG_SIZE + 1;
	char *big = malloc(n);
	CHECK(big != NULL);
	memset(big, '#', n);
	ba_llm_config *c = ba_llm_config_parse(big, n, "big.yaml", test_env, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_CONTAINS(err, "big.yaml is larger than");
	free(big);
}

TEST(small_and_missing_error_buffers)
{
	char small[12];
	memset(small, 'x', sizeof(small));
	ba_llm_config *c = ba_llm_config_parse("modle: 1\n", 9, "boxagent.yaml", test_env, small,
	                                       sizeof(small));
	CHECK(c == NULL);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	CHECK_EQ_STR(small, "boxagent.ya");
	c = ba_llm_config_parse("modle: 1\n", 9, "boxagent.yaml", test_env, NULL, 0);
	CHECK(c == NULL);
	c = ba_llm_config_parse("", 0, "boxagent.yaml", test_env, NULL, 0);
	CHECK(c != NULL);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), NULL, 0), -1);
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), small, sizeof(small)), -1);
	CHECK_EQ_STR(small, "no model pr");
	ba_llm_config_free(c);
}

/* ---------------------------------------------------------- loading files */

TEST(load_explicit_path)
{
	make_dir();
	char path[128];
	snprintf(path, sizeof(path), "%s/my.yaml", dir);
	write_file(path, "default_model: ollama/qwen3\nproviders:\n  ollama:\n");
	ba_llm_config *c = ba_llm_config_load(path, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_STR(c->source, path);
	CHECK_EQ_STR(c->default_model, "ollama/qwen3");
	ba_llm_config_free(c);

	/* Errors name the file with the line. */
	write_file(path, "providers:\n  ollama: {idle: 1}\n");
	c = ba_llm_config_load(path, test_env, err, sizeof(err));
	CHECK(c == NULL);
	char want[200];
	snprintf(want, sizeof(want), "%s:2:12: providers.ollama: unknown key 'idle'", path);
	CHECK_CONTAINS(err, want);
	cleanup();
}

TEST(load_missing_explicit_file)
{
	make_dir();
	char path[128];
	snprintf(path, sizeof(path), "%s/nope.yaml", dir);
	ba_llm_config *c = ba_llm_config_load(path, test_env, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_CONTAINS(err, path);
	CHECK_CONTAINS(err, "No such file");

	env_set("BOXAGENT_CONFIG", path);
	c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_CONTAINS(err, path);
	CHECK_CONTAINS(err, "(named by BOXAGENT_CONFIG)");

	/* A folder is not a file. */
	c = ba_llm_config_load(dir, test_env, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_CONTAINS(err, "is a directory");
	cleanup();
}

TEST(load_from_boxagent_config)
{
	make_dir();
	char path[128];
	snprintf(path, sizeof(path), "%s/test.yaml", dir);
	write_file(path, "providers:\n  openai: {retry_base_ms: 5}\n");
	env_set("BOXAGENT_CONFIG", path);
	env_set("OPENAI_BASE_URL", "http://127.0.0.1:5555/v1");
	/* XDG points elsewhere: BOXAGENT_CONFIG wins. */
	env_set("XDG_CONFIG_HOME", "/nonexistent");
	ba_llm_config *c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_STR(c->source, path);
	CHECK_EQ_UINT(provider(c, "openai")->retry_base_ms, 5);
	CHECK_EQ_STR(provider(c, "openai")->base_url, "http://127.0.0.1:5555/v1");
	ba_llm_config_free(c);
	cleanup();
}

TEST(load_from_xdg_and_home)
{
	make_dir();
	char sub[160], path[200];
	snprintf(sub, sizeof(sub), "%s/xdg", dir);
	CHECK_EQ_INT(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/xdg/boxagent", dir);
	CHECK_EQ_INT(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/boxagent.yaml", sub);
	write_file(path, "default_model: openai/from-xdg\n");

	char xdg[160];
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	env_set("XDG_CONFIG_HOME", xdg);
	env_set("HOME", "/nonexistent");
	ba_llm_config *c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_STR(c->source, path);
	CHECK_EQ_STR(c->default_model, "openai/from-xdg");
	ba_llm_config_free(c);

	/* HOME/.config when XDG_CONFIG_HOME is unset (or relative). */
	snprintf(sub, sizeof(sub), "%s/.config", dir);
	CHECK_EQ_INT(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/.config/boxagent", dir);
	CHECK_EQ_INT(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/boxagent.yaml", sub);
	write_file(path, "default_model: openai/from-home\n");
	env_set("XDG_CONFIG_HOME", "relative/dir");
	env_set("HOME", dir);
	c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_STR(c->source, path);
	CHECK_EQ_STR(c->default_model, "openai/from-home");
	ba_llm_config_free(c);

	/* No file anywhere: the environment alone, no error. */
	env_set("HOME", "/nonexistent");
	env_set("XDG_CONFIG_HOME", NULL);
	env_set("OPENAI_API_KEY", "k");
	c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_STR(c->source, "");
	CHECK_EQ_UINT(c->provider_count, 1);
	char model[BA_LLM_MODEL_MAX];
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), 0);
	CHECK_EQ_STR(model, "openai/gpt-4o-mini");
	ba_llm_config_free(c);

	/* Without any file the message points at the default place. */
	env_set("OPENAI_API_KEY", NULL);
	c = ba_llm_config_load(NULL, test_env, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ_INT(ba_llm_resolve_model(c, NULL, model, sizeof(model), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "or name providers in ~/.config/boxagent/boxagent.yaml");
	ba_llm_config_free(c);
	cleanup();
}

TEST(load_oversized_file)
{
	make_dir();
	char path[128];
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	for (size_t i = 0; i < BA_LLM_MAX_CONFIG_SIZE / 32; i++)
		fputs("# padding padding padding padding padding padding padding pad\n", f);
	CHECK_EQ_INT(fclose(f), 0);
	ba_llm_config *c = ba_llm_config_load(path, test_env, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_CONTAINS(err, "larger than");
	cleanup();
}
