/*
 * fuzz_llm_config.c - libFuzzer target: boxagent.yaml and the provider
 * variables (llm/llm.h, ba_llm_config_parse and ba_llm_resolve_model).
 *
 * The configuration file is written by the operator but often copied from
 * the web or shared in dotfile repositories, and the provider variables
 * come from whatever shell started boxagent. The input is the YAML text,
 * in an exact-size copy without a terminating NUL. Leading comment lines
 * "#O value", "#U value", "#A value" and "#M value" also set OLLAMA_HOST,
 * OPENAI_BASE_URL, ANTHROPIC_BASE_URL and BOXAGENT_MODEL, and "#N x"
 * leaves the key variables unset (they are YAML comments, so the rest
 * parses the same). Besides crashes, leaks and
 * sanitizer reports this target aborts when:
 *
 *   - a refusal leaves no message: err must be a NUL-terminated,
 *     non-empty single line, whatever the buffer held before;
 *   - any message (refusal or resolve_model's) contains an API key from
 *     the environment, or a control character;
 *   - an accepted configuration breaks llm.h: more providers, models or
 *     fallbacks than the caps; a provider name outside [a-z0-9_-]{1,63} or
 *     twice; a base URL that is not http(s)://host..., ends in '/', or has
 *     spaces, control characters, a query, a fragment or credentials; an
 *     api_key that is not exactly the value of the variable key_source
 *     names; a timeout or retry setting outside its cap; a model name that
 *     is not provider/model; a price that is not -1 or in [0, 1e6];
 *   - ba_llm_resolve_model succeeds with a model whose provider is
 *     missing or lacks a required key;
 *   - a smaller error buffer is overrun (ASan) or left unterminated.
 */
#include "check.h"
#include "llm/llm.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIGIN "fuzz.yaml"

/* Keys in the environment: distinctive, so a leak shows. */
static const char *const keys[][2] = {
        {"OPENAI_API_KEY", "sk-FUZZ-openai-7f3a9c"},
        {"ANTHROPIC_API_KEY", "sk-ant-FUZZ-anthropic-41be"},
        {"GROQ_API_KEY", "gsk_FUZZ_groq_99d0"},
        {"K", "FUZZ-short-key-k1"},
};

static char var_ollama[256], var_openai_url[256], var_anthropic_url[256], var_model[256];
static bool no_keys;

static const char *fuzz_env(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !no_keys; i++)
		if (strcmp(name, keys[i][0]) == 0)
			return keys[i][1];
	if (strcmp(name, "OLLAMA_HOST") == 0)
		return var_ollama[0] ? var_ollama : NULL;
	if (strcmp(name, "OPENAI_BASE_URL") == 0)
		return var_openai_url[0] ? var_openai_url : NULL;
	if (strcmp(name, "ANTHROPIC_BASE_URL") == 0)
		return var_anthropic_url[0] ? var_anthropic_url : NULL;
	if (strcmp(name, "BOXAGENT_MODEL") == 0)
		return var_model[0] ? var_model : NULL;
	return NULL;
}

/* Reads the leading "#X value" lines into the variables. */
static void read_vars(const uint8_t *data, size_t size)
{
	var_ollama[0] = var_openai_url[0] = var_anthropic_url[0] = var_model[0] = '\0';
	no_keys = false;
	size_t off = 0;
	while (off + 3 <= size && data[off] == '#' && data[off + 2] == ' ') {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t end = nl ? (size_t)(nl - data) : size;
		char *dst = NULL;
		switch (data[off + 1]) {
		case 'O':
			dst = var_ollama;
			break;
		case 'U':
			dst = var_openai_url;
			break;
		case 'A':
			dst = var_anthropic_url;
			break;
		case 'M':
			dst = var_model;
			break;
		case 'N':
			no_keys = true;
			break;
		}
		if (dst) {
			size_t n = end - off - 3;
			if (n > 255)
				n = 255;
			/* A NUL inside ends the value, as in a real environment. */
			memcpy(dst, data + off + 3, n);
			dst[n] = '\0';
		}
		off = end + 1;
	}
}

static bool input_has(const uint8_t *data, size_t size, const char *s)
{
	return memmem(data, size, s, strlen(s)) != NULL;
}

/* A message for people: terminated, one line, no key in it (unless the
 * input itself carries that text and was quoted back). */
static void check_text(const char *msg, size_t cap, const uint8_t *data, size_t size,
                       bool must_be_nonempty)
{
	const char *end = memchr(msg, '\0', cap);
	if (!end)
		ba_fuzz_fail("message not terminated (%zu-byte buffer)", cap);
	if (must_be_nonempty && end == msg && cap > 1)
		ba_fuzz_fail("refused without a message");
	for (const char *p = msg; p < end; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			ba_fuzz_fail("message with control character 0x%02x: \"%.300s\"",
			             (unsigned char)*p, msg);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* Only whole keys matter; "K"'s value is long enough to be
		 * unmistakable. */
		if (strstr(msg, keys[i][1]) && !input_has(data, size, keys[i][1]))
			ba_fuzz_fail("message quotes the key of %s: \"%.300s\"", keys[i][0], msg);
	}
}

static bool valid_name(const char *s)
{
	size_t n = strnlen(s, BA_LLM_NAME_MAX);
	if (n == 0 || n >= BA_LLM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static bool valid_model(const char *s)
{
	size_t n = strnlen(s, BA_LLM_MODEL_MAX);
	if (n == 0 || n >= BA_LLM_MODEL_MAX)
		return false;
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1])
		return false;
	char name[BA_LLM_NAME_MAX + 1];
	size_t pn = (size_t)(slash - s);
	if (pn >= sizeof(name))
		return false;
	memcpy(name, s, pn);
	name[pn] = '\0';
	if (!valid_name(name))
		return false;
	for (const char *p = slash + 1; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static void check_url(const char *name, const char *url)
{
	size_t n = strnlen(url, BA_LLM_URL_MAX);
	if (n == BA_LLM_URL_MAX)
		ba_fuzz_fail("%s: base_url not terminated", name);
	size_t scheme = strncmp(url, "http://", 7) == 0    ? 7
	                : strncmp(url, "https://", 8) == 0 ? 8
	                                                   : 0;
	if (!scheme)
		ba_fuzz_fail("%s: base_url \"%s\" is not http(s)", name, url);
	if (url[n - 1] == '/')
		ba_fuzz_fail("%s: base_url \"%s\" ends in '/'", name, url);
	size_t host = strcspn(url + scheme, "/");
	if (host == 0)
		ba_fuzz_fail("%s: base_url \"%s\" has no host", name, url);
	if (memchr(url + scheme, '@', host))
		ba_fuzz_fail("%s: base_url \"%s\" has credentials", name, url);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f || url[i] == '?' ||
		    url[i] == '#')
			ba_fuzz_fail("%s: base_url \"%s\" has byte 0x%02x", name, url,
			             (unsigned char)url[i]);
}

static void check_range(const char *name, const char *field, uint32_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo || v > hi)
		ba_fuzz_fail("%s: %s = %u outside [%u, %u]", name, field, v, lo, hi);
}

static void check_config(const ba_llm_config *c, const uint8_t *data, size_t size)
{
	if (c->provider_count > BA_LLM_MAX_PROVIDERS || c->model_count > BA_LLM_MAX_MODELS ||
	    c->fallback_count > BA_LLM_MAX_FALLBACKS)
		ba_fuzz_fail("counts %zu/%zu/%zu over the caps", c->provider_count, c->model_count,
		             c->fallback_count);
	for (size_t i = 0; i < c->provider_count; i++) {
		const ba_llm_provider *p = &c->providers[i];
		if (!valid_name(p->name))
			ba_fuzz_fail("provider name \"%.70s\"", p->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->providers[j].name, p->name) == 0)
				ba_fuzz_fail("provider %s twice", p->name);
		if (p->api != BA_LLM_API_OPENAI && p->api != BA_LLM_API_ANTHROPIC)
			ba_fuzz_fail("%s: api %d", p->name, (int)p->api);
		check_url(p->name, p->base_url);
		if (!memchr(p->key_source, '\0', sizeof(p->key_source)))
			ba_fuzz_fail("%s: key_source not terminated", p->name);
		if (p->api_key) {
			const char *want = p->key_source[0] ? fuzz_env(p->key_source) : NULL;
			if (!want || strcmp(want, p->api_key) != 0)
				ba_fuzz_fail("%s: api_key is not the value of '%s'", p->name,
				             p->key_source);
		} else if (p->key_source[0] && fuzz_env(p->key_source)) {
			ba_fuzz_fail("%s: %s is set but api_key is NULL", p->name, p->key_source);
		}
		check_range(p->name, "connect_timeout_ms", p->connect_timeout_ms, 1, 600000);
		check_range(p->name, "idle_timeout_ms", p->idle_timeout_ms, 1, 3600000);
		check_range(p->name, "request_timeout_ms", p->request_timeout_ms, 1, 86400000);
		check_range(p->name, "max_retries", p->max_retries, 0, 10);
		check_range(p->name, "retry_base_ms", p->retry_base_ms, 0, 60000);
		check_range(p->name, "retry_max_ms", p->retry_max_ms, 0, 3600000);
	}
	if (c->default_model[0] && !valid_model(c->default_model))
		ba_fuzz_fail("default_model \"%.300s\"", c->default_model);
	for (size_t i = 0; i < c->fallback_count; i++)
		if (!valid_model(c->fallbacks[i]))
			ba_fuzz_fail("fallback \"%.300s\"", c->fallbacks[i]);
	for (size_t i = 0; i < c->model_count; i++) {
		const ba_llm_model_settings *m = &c->models[i];
		if (!valid_model(m->model))
			ba_fuzz_fail("model \"%.300s\"", m->model);
		double prices[2] = {m->input_usd_per_mtok, m->output_usd_per_mtok};
		for (int k = 0; k < 2; k++)
			if (!(prices[k] == -1 || (prices[k] >= 0 && prices[k] <= 1e6)))
				ba_fuzz_fail("%s: price %g", m->model, prices[k]);
		if (m->max_tokens > (1u << 20))
			ba_fuzz_fail("%s: max_tokens %u", m->model, m->max_tokens);
		if (ba_llm_find_model(c, m->model) != &c->models[i])
			ba_fuzz_fail("model %s listed twice", m->model);
		ba_llm_usage u = {.input_tokens = UINT64_MAX, .output_tokens = UINT64_MAX};
		double cost = ba_llm_cost_usd(c, m->model, &u);
		if (isnan(cost))
			ba_fuzz_fail("%s: cost is NaN", m->model);
	}

	/* Choosing a model: success means usable, failure means a message. */
	char out[BA_LLM_MODEL_MAX], err[1024];
	memset(err, 0xa5, sizeof(err));
	if (ba_llm_resolve_model(c, NULL, out, sizeof(out), err, sizeof(err)) == 0) {
		const char *part = NULL;
		const ba_llm_provider *p = ba_llm_find_provider(c, out, &part);
		if (!valid_model(out) || !p || !part || !*part)
			ba_fuzz_fail("resolved to \"%.300s\", which has no provider", out);
		if (p->key_required && !p->api_key)
			ba_fuzz_fail("resolved to %s, whose key is missing", out);
	} else {
		check_text(err, sizeof(err), data, size, true);
	}
	/* The fallbacks too, as the chat layer would check them. */
	for (size_t i = 0; i < c->fallback_count; i++) {
		memset(err, 0xa5, sizeof(err));
		if (ba_llm_resolve_model(c, c->fallbacks[i], out, sizeof(out), err, sizeof(err)) !=
		    0)
			check_text(err, sizeof(err), data, size, true);
		else if (strcmp(out, c->fallbacks[i]) != 0)
			ba_fuzz_fail("resolve changed %s", c->fallbacks[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2048];
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	read_vars(data, size);

	/* The buffer starts with junk and no NUL, as an uninitialised local
	 * in a caller would. */
	memset(err, 0xa5, sizeof(err));
	ba_llm_config *c = ba_llm_config_parse(text, size, ORIGIN, fuzz_env, err, sizeof(err));
	if (c) {
		check_config(c, data, size);
		ba_llm_config_free(c);
	} else {
		check_text(err, sizeof(err), data, size, true);
		/* A short exact-size buffer takes the message cut, never
		 * overrun. */
		char *small = malloc(24);
		if (small) {
			memset(small, 0xa5, 24);
			ba_llm_config *c2 =
			        ba_llm_config_parse(text, size, ORIGIN, fuzz_env, small, 24);
			if (c2)
				ba_fuzz_fail("accepted with a small error buffer only");
			check_text(small, 24, data, size, true);
			free(small);
		}
	}
	free(text);
	return 0;
}
