/*
 * config.c - the model providers and models, from the environment and
 * boxagent.yaml (see llm.h and docs/providers.md).
 *
 * The environment gives the built-in providers (openai, anthropic,
 * ollama) under the names the rest of the ecosystem uses; the file adds
 * providers, overrides built-in ones field by field, and names the
 * default model, the fallback chain and per-model prices.
 *
 * The YAML is read strictly, as tool manifests are, by core/yaml.c:
 * aliases and anchors are refused, every node keeps its line and column
 * for messages, unknown and duplicate keys are errors. Keys are never
 * written in the file, only the name of the variable holding one; a
 * literal key is refused so it does not end up in dotfile repositories.
 * No message ever quotes a key, nor a value that might be one.
 */
#include "llm/llm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/parse.h"
#include "core/yaml.h"

#define MAX_NODES 20000
/* The format is three levels deep; anything much deeper is not ours. */
#define MAX_DEPTH 16
#define KEY_MAX   4096 /* an API key; real ones are under 200 bytes */

#define OPENAI_DEFAULT_URL    "https://api.openai.com/v1"
#define ANTHROPIC_DEFAULT_URL "https://api.anthropic.com"
#define OLLAMA_DEFAULT_PORT   "11434"

/* Defaults (llm.h) and the most the file may ask for. */
#define DEF_CONNECT_MS 10000u
#define DEF_IDLE_MS    120000u
#define DEF_REQUEST_MS 600000u
#define DEF_RETRIES    3u
#define DEF_BASE_MS    500u
#define DEF_RETRY_MAX  60000u
#define CAP_CONNECT_MS (10u * 60 * 1000)      /* 10 min */
#define CAP_IDLE_MS    (60u * 60 * 1000)      /* 1 h    */
#define CAP_REQUEST_MS (24u * 60 * 60 * 1000) /* 24 h   */
#define CAP_RETRIES    10u
#define CAP_BASE_MS    (60u * 1000)      /* 1 min */
#define CAP_RETRY_MAX  (60u * 60 * 1000) /* 1 h   */
#define CAP_MAX_TOKENS (1u << 20)
#define CAP_PRICE      1e6 /* USD per million tokens */

static void set_err(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	if (!err || err_len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Text from the file or the command line, fit to quote in a one-line
 * message: control characters (a line break, a terminal escape) become
 * '?', and long text is cut with "...". */
static const char *shown(const char *s, char *buf, size_t buf_len)
{
	size_t n = 0;
	for (; s[n] && n + 4 < buf_len; n++)
		buf[n] = ((unsigned char)s[n] < ' ' || s[n] == 0x7f) ? '?' : s[n];
	if (s[n]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* ------------------------------------------------------- lookups */

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

static ba_llm_provider *find_mut(ba_llm_config *c, const char *name)
{
	for (size_t i = 0; i < c->provider_count; i++)
		if (strcmp(c->providers[i].name, name) == 0)
			return &c->providers[i];
	return NULL;
}

/* ------------------------------------------------------- names */

static bool valid_provider_name(const char *s, size_t n)
{
	if (n == 0 || n >= BA_LLM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "provider/model": a valid provider name, a '/', a model part of
 * printable characters without spaces (it may contain more '/'). Returns
 * NULL or what is wrong. */
static const char *model_name_problem(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "is empty";
	if (n >= BA_LLM_MODEL_MAX)
		return "is too long";
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || slash[1] == '\0')
		return "must be named provider/model (e.g. openai/gpt-4o-mini)";
	if (!valid_provider_name(s, (size_t)(slash - s)))
		return "has a provider part that is not [a-z0-9_-], at most 63 characters";
	for (const char *p = slash + 1; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "contains a space or control character";
	return NULL;
}

static bool valid_env_name(const char *s, size_t n)
{
	if (n == 0 || n >= 128 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* ------------------------------------------------------- URLs */

/*
 * Checks and normalises a base URL into out: http or https, a host,
 * no credentials (they would end up in messages and logs), no query or
 * fragment (paths are appended), no spaces or control characters;
 * trailing slashes trimmed. Returns NULL or what is wrong (never quoting
 * the URL, which is the caller's to show or not).
 */
static const char *normalise_url(const char *in, size_t len, char *out, size_t out_len)
{
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*in)) {
		in++;
		len--;
	}
	size_t scheme = 0;
	if (len >= 7 && strncasecmp(in, "http://", 7) == 0)
		scheme = 7;
	else if (len >= 8 && strncasecmp(in, "https://", 8) == 0)
		scheme = 8;
	else
		return "must start with http:// or https://";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c == 0x7f)
			return "contains a space or control character";
		if (c == '?' || c == '#')
			return "must not have a query or fragment (paths are appended to it)";
	}
	while (len > scheme && in[len - 1] == '/')
		len--;
	const char *host = in + scheme;
	size_t host_len = strcspn(host, "/");
	if (host_len > len - scheme)
		host_len = len - scheme;
	if (host_len == 0)
		return "has no host";
	if (memchr(host, '@', host_len))
		return "must not contain credentials (name the key's variable with api_key_env)";
	if (len >= out_len)
		return "is too long";
	memcpy(out, in, len);
	out[len] = '\0';
	/* The scheme in lower case, so comparisons elsewhere are simple. */
	for (size_t i = 0; i < scheme; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return NULL;
}

/* The host of a normalised URL, lower-cased, without port. */
static void url_host(const char *url, char *out, size_t out_len)
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	size_t n = strcspn(h, "/");
	const char *colon = memchr(h, ':', n);
	if (colon && h[0] != '[')
		n = (size_t)(colon - h);
	if (n >= out_len)
		n = out_len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)h[i]);
	out[n] = '\0';
}

/* The official endpoints need a key; any other server (a local one, a
 * proxy, the test server) may or may not. */
static bool official_host(ba_llm_api api, const char *url)
{
	char host[256];
	url_host(url, host, sizeof(host));
	return strcmp(host, api == BA_LLM_API_ANTHROPIC ? "api.anthropic.com" : "api.openai.com") ==
	       0;
}

/*
 * OLLAMA_HOST as Ollama itself reads it: "host", "host:port", ":port",
 * "[v6]:port" or a URL "http(s)://host[:port][/path]". Without a scheme
 * the port defaults to 11434; with one, to the scheme's (as in Ollama's
 * envconfig). A listening address (0.0.0.0, ::) means this machine.
 * The OpenAI-compatible API is at HOST/v1.
 */
static const char *ollama_url(const char *value, char *out, size_t out_len)
{
	char buf[BA_LLM_URL_MAX];
	size_t len = strlen(value);
	while (len > 0 && isspace((unsigned char)value[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*value)) {
		value++;
		len--;
	}
	if (len >= sizeof(buf))
		return "is too long";
	const char *scheme = "http", *def_port = OLLAMA_DEFAULT_PORT;
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < len; i++)
		if (value[i] == ':' && value[i + 1] == '/' && value[i + 2] == '/') {
			sep = value + i;
			break;
		}
	const char *rest = value;
	size_t rest_len = len;
	if (sep) {
		size_t sl = (size_t)(sep - value);
		if (sl == 4 && strncasecmp(value, "http", 4) == 0) {
			def_port = "80";
		} else if (sl == 5 && strncasecmp(value, "https", 5) == 0) {
			scheme = "https";
			def_port = "443";
		} else {
			return "must be host:port or an http:// or https:// URL";
		}
		rest = sep + 3;
		rest_len = len - sl - 3;
	}
	size_t hp_len = 0;
	while (hp_len < rest_len && rest[hp_len] != '/')
		hp_len++;
	const char *path = rest + hp_len;
	size_t path_len = rest_len - hp_len;
	while (path_len > 0 && path[path_len - 1] == '/')
		path_len--;

	/* Split host and port; brackets for IPv6. */
	char host[300];
	const char *port = def_port;
	size_t port_len = strlen(def_port);
	size_t host_len;
	const char *h = rest;
	if (hp_len > 0 && rest[0] == '[') {
		const char *close = memchr(rest, ']', hp_len);
		if (!close)
			return "has an IPv6 address without its closing ']'";
		host_len = (size_t)(close - rest) + 1;
		if (host_len < hp_len) {
			if (rest[host_len] != ':')
				return "has junk after the IPv6 address";
			port = rest + host_len + 1;
			port_len = hp_len - host_len - 1;
		}
	} else {
		const char *colon = memchr(rest, ':', hp_len);
		if (colon && memchr(colon + 1, ':', hp_len - (size_t)(colon - rest) - 1)) {
			/* A bare IPv6 address without brackets: no port. */
			host_len = hp_len;
			if (host_len + 2 >= sizeof(host))
				return "has a host name that is too long";
			host[0] = '[';
			memcpy(host + 1, rest, host_len);
			host[host_len + 1] = ']';
			host[host_len + 2] = '\0';
			h = NULL;
		} else {
			host_len = colon ? (size_t)(colon - rest) : hp_len;
			if (colon) {
				port = colon + 1;
				port_len = hp_len - host_len - 1;
			}
		}
	}
	if (h) {
		if (host_len >= sizeof(host))
			return "has a host name that is too long";
		memcpy(host, h, host_len);
		host[host_len] = '\0';
	}
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
	else if (strcmp(host, "[::]") == 0 || strcmp(host, "[0:0:0:0:0:0:0:0]") == 0)
		memcpy(host, "[::1]", sizeof("[::1]"));
	for (const char *c = host; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '@' || *c == '?' || *c == '#' || *c == 0x7f)
			return "has an invalid host";
	if (port_len == 0 || port_len > 5)
		return "has an invalid port";
	unsigned long pn = 0;
	for (size_t i = 0; i < port_len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return "has an invalid port";
		pn = pn * 10 + (unsigned long)(port[i] - '0');
	}
	if (pn == 0 || pn > 65535)
		return "has an invalid port";
	/* A path that already ends in /v1 is not doubled. */
	bool has_v1 = path_len >= 3 && memcmp(path + path_len - 3, "/v1", 3) == 0;
	int n = snprintf(buf, sizeof(buf), "%s://%s:%lu%.*s%s", scheme, host, pn, (int)path_len,
	                 path, has_v1 ? "" : "/v1");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return "is too long";
	return normalise_url(buf, (size_t)n, out, out_len);
}

/* ------------------------------------------------------- environment */

typedef struct loader {
	ba_llm_getenv_fn env;
	char *err;
	size_t err_len;
	const char *origin;
	/* Which fields the file set, per provider, so computed defaults
	 * (key_required) do not override what the operator said. */
	bool key_required_set[BA_LLM_MAX_PROVIDERS];
} loader;

static const char *env_get(const loader *ld, const char *name)
{
	const char *v = ld->env(name);
	return v && *v ? v : NULL;
}

static void provider_defaults(ba_llm_provider *p, const char *name, ba_llm_api api)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->api = api;
	p->connect_timeout_ms = DEF_CONNECT_MS;
	p->idle_timeout_ms = DEF_IDLE_MS;
	p->request_timeout_ms = DEF_REQUEST_MS;
	p->max_retries = DEF_RETRIES;
	p->retry_base_ms = DEF_BASE_MS;
	p->retry_max_ms = DEF_RETRY_MAX;
}

static void wipe_key(ba_llm_provider *p)
{
	if (p->api_key) {
		explicit_bzero(p->api_key, strlen(p->api_key));
		free(p->api_key);
		p->api_key = NULL;
	}
}

/* Copies the key in variable var into p. A key with spaces or control
 * characters would corrupt (or inject) HTTP headers: refused, and the
 * message names the variable only. Returns 0 or -1 (err set). */
static int take_key(loader *ld, ba_llm_provider *p, const char *var)
{
	wipe_key(p);
	snprintf(p->key_source, sizeof(p->key_source), "%s", var);
	const char *v = env_get(ld, var);
	if (!v)
		return 0;
	size_t n = strnlen(v, KEY_MAX + 1);
	if (n > KEY_MAX) {
		set_err(ld->err, ld->err_len,
		        "%s is longer than %d bytes; is it really an API key?", var, KEY_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f) {
			set_err(ld->err, ld->err_len,
			        "%s contains a space, line break or control character; set it to "
			        "the key alone",
			        var);
			return -1;
		}
	p->api_key = malloc(n + 1);
	if (!p->api_key) {
		set_err(ld->err, ld->err_len, "out of memory");
		return -1;
	}
	memcpy(p->api_key, v, n + 1);
	return 0;
}

static ba_llm_provider *add_provider(loader *ld, ba_llm_config *c, const char *name, ba_llm_api api)
{
	if (c->provider_count == BA_LLM_MAX_PROVIDERS) {
		set_err(ld->err, ld->err_len, "%s: more than %d providers", ld->origin,
		        BA_LLM_MAX_PROVIDERS);
		return NULL;
	}
	ba_llm_provider *p = &c->providers[c->provider_count++];
	provider_defaults(p, name, api);
	return p;
}

/* The built-in provider name's defaults: api, URL and key variable. */
static bool builtin(const char *name, ba_llm_api *api, const char **url, const char **key_var)
{
	if (strcmp(name, "openai") == 0) {
		*api = BA_LLM_API_OPENAI;
		*url = OPENAI_DEFAULT_URL;
		*key_var = "OPENAI_API_KEY";
		return true;
	}
	if (strcmp(name, "anthropic") == 0) {
		*api = BA_LLM_API_ANTHROPIC;
		*url = ANTHROPIC_DEFAULT_URL;
		*key_var = "ANTHROPIC_API_KEY";
		return true;
	}
	if (strcmp(name, "ollama") == 0) {
		*api = BA_LLM_API_OPENAI;
		*url = "http://127.0.0.1:" OLLAMA_DEFAULT_PORT "/v1";
		*key_var = "";
		return true;
	}
	return false;
}

/* A built-in provider with its defaults (used when the environment or
 * the file names it). The key comes from its usual variable. */
static ba_llm_provider *add_builtin(loader *ld, ba_llm_config *c, const char *name)
{
	ba_llm_api api;
	const char *url, *key_var;
	if (!builtin(name, &api, &url, &key_var))
		return NULL;
	ba_llm_provider *p = add_provider(ld, c, name, api);
	if (!p)
		return NULL;
	snprintf(p->base_url, sizeof(p->base_url), "%s", url);
	if (*key_var && take_key(ld, p, key_var) != 0)
		return NULL;
	p->key_required = *key_var && official_host(api, p->base_url);
	return p;
}

static int env_url(loader *ld, ba_llm_provider *p, const char *var)
{
	const char *v = env_get(ld, var);
	if (!v)
		return 0;
	const char *e = normalise_url(v, strlen(v), p->base_url, sizeof(p->base_url));
	if (e) {
		set_err(ld->err, ld->err_len, "%s %s", var, e);
		return -1;
	}
	p->key_required = official_host(p->api, p->base_url);
	return 0;
}

static int from_environment(loader *ld, ba_llm_config *c)
{
	ba_llm_provider *p;
	if (env_get(ld, "OPENAI_API_KEY") || env_get(ld, "OPENAI_BASE_URL")) {
		if (!(p = add_builtin(ld, c, "openai")) || env_url(ld, p, "OPENAI_BASE_URL") != 0)
			return -1;
	}
	if (env_get(ld, "ANTHROPIC_API_KEY") || env_get(ld, "ANTHROPIC_BASE_URL")) {
		if (!(p = add_builtin(ld, c, "anthropic")) ||
		    env_url(ld, p, "ANTHROPIC_BASE_URL") != 0)
			return -1;
	}
	const char *oh = env_get(ld, "OLLAMA_HOST");
	if (oh) {
		if (!(p = add_builtin(ld, c, "ollama")))
			return -1;
		const char *e = ollama_url(oh, p->base_url, sizeof(p->base_url));
		if (e) {
			set_err(ld->err, ld->err_len,
			        "OLLAMA_HOST %s (expected host:port, e.g. 127.0.0.1:11434, or a URL)",
			        e);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------- YAML tree */

/* Keys that look like someone is about to write a secret in the file. */
static bool secret_key_name(const char *k)
{
	static const char *const names[] = {"api_key", "apikey",   "api-key",       "key", "token",
	                                    "secret",  "password", "authorization", NULL};
	for (size_t i = 0; names[i]; i++)
		if (strcasecmp(k, names[i]) == 0)
			return true;
	return false;
}

static void list_keys(char *out, size_t out_len, const char *const *allowed)
{
	size_t off = 0;
	out[0] = '\0';
	for (size_t a = 0; allowed[a]; a++) {
		int n = snprintf(out + off, out_len - off, "%s%s", a ? ", " : "", allowed[a]);
		if (n < 0 || (size_t)n >= out_len - off)
			return;
		off += (size_t)n;
	}
}

/* Checks a mapping's keys: text, no duplicates, all in allowed (NULL =
 * any name; the caller checks them). */
static int check_keys(ba_yaml_reader *p, const ba_yaml_node *map, const char *what,
                      const char *const *allowed)
{
	const ba_yaml_node *key;
	char q[72];
	switch (ba_yaml_check_keys(map, allowed, &key)) {
	case BA_YAML_KEYS_OK:
		break;
	case BA_YAML_KEY_NOT_TEXT:
		return ba_yaml_fail(p, key, "%s: keys must be plain strings", what);
	case BA_YAML_KEY_UNKNOWN: {
		if (secret_key_name(key->value))
			return ba_yaml_fail(
			        p, key,
			        "%s: keys are never written in the configuration file; put the key "
			        "in an environment variable and name it with api_key_env (e.g. "
			        "api_key_env: GROQ_API_KEY)",
			        what);
		char expected[256];
		list_keys(expected, sizeof(expected), allowed);
		return ba_yaml_fail(p, key, "%s: unknown key '%s' (expected %s)", what,
		                    shown(key->value, q, sizeof(q)), expected);
	}
	case BA_YAML_KEY_REPEATED:
		return ba_yaml_fail(p, key, "%s: duplicate key '%s'", what,
		                    shown(key->value, q, sizeof(q)));
	}
	return 0;
}

static int want_scalar(ba_yaml_reader *p, const ba_yaml_node *n, const char *what)
{
	if (n->kind != BA_YAML_SCALAR)
		return ba_yaml_fail(p, n, "%s must be a single value, not a %s", what,
		                    n->kind == BA_YAML_MAP ? "mapping" : "list");
	if (memchr(n->value, '\0', n->len))
		return ba_yaml_fail(p, n, "%s contains a NUL byte", what);
	return 0;
}

static int want_model(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, char *out)
{
	if (want_scalar(p, n, what) != 0)
		return -1;
	const char *e = model_name_problem(n->value);
	if (e) {
		char q[BA_LLM_MODEL_MAX + 4];
		return ba_yaml_fail(p, n, "%s '%s' %s", what, shown(n->value, q, sizeof(q)), e);
	}
	memcpy(out, n->value, n->len + 1);
	return 0;
}

/* A whole number of milliseconds, or a duration with its unit ("30s",
 * "250ms", "2m"), at most cap ms. */
static int want_ms(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, uint32_t lo,
                   uint32_t cap, uint32_t *out)
{
	if (want_scalar(p, n, what) != 0)
		return -1;
	const char *v = n->value;
	uint64_t ms = 0;
	bool digits = n->len > 0;
	for (size_t i = 0; i < n->len; i++)
		digits &= v[i] >= '0' && v[i] <= '9';
	if (digits) {
		const char *e = ba_parse_u64(v, &ms);
		if (e)
			return ba_yaml_fail(p, n, "%s: %s", what, e);
	} else {
		/* A bare "1.5" would be seconds to ba_parse_duration but
		 * reads like milliseconds here: a unit is required. */
		if (n->len == 0 || !isalpha((unsigned char)v[n->len - 1]))
			return ba_yaml_fail(
			        p, n,
			        "%s must be a whole number of milliseconds or a duration "
			        "with a unit (250ms, 30s, 2m)",
			        what);
		uint64_t ns;
		const char *e = ba_parse_duration(v, &ns);
		if (e)
			return ba_yaml_fail(p, n, "%s: %s", what, e);
		ms = ns / 1000000u;
		if (ns % 1000000u)
			return ba_yaml_fail(p, n, "%s must be a whole number of milliseconds",
			                    what);
	}
	if (ms < lo || ms > cap)
		return ba_yaml_fail(p, n, "%s must be between %u ms and %u ms", what, lo, cap);
	*out = (uint32_t)ms;
	return 0;
}

static int want_uint(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, uint32_t cap,
                     uint32_t *out)
{
	if (want_scalar(p, n, what) != 0)
		return -1;
	uint64_t v;
	const char *e = ba_parse_u64(n->value, &v);
	if (e)
		return ba_yaml_fail(p, n, "%s: %s", what, e);
	if (v > cap)
		return ba_yaml_fail(p, n, "%s must be at most %u", what, cap);
	*out = (uint32_t)v;
	return 0;
}

static int want_bool(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, bool *out)
{
	if (want_scalar(p, n, what) != 0)
		return -1;
	if (!ba_yaml_is_bool(n, out))
		return ba_yaml_fail(p, n, "%s must be true or false", what);
	return 0;
}

static int want_price(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, double *out)
{
	if (want_scalar(p, n, what) != 0)
		return -1;
	const char *v = n->value;
	/* Decimal notation only: strtod would also take "inf", "nan" and
	 * hexadecimal floats. */
	bool ok = n->len > 0 && n->len < 64;
	for (size_t i = 0; ok && i < n->len; i++)
		ok = (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == 'e' || v[i] == 'E' ||
		     v[i] == '+' || v[i] == '-';
	char *end = NULL;
	double d = ok ? strtod(v, &end) : 0;
	if (!ok || end != v + n->len || !isfinite(d))
		return ba_yaml_fail(p, n, "%s must be a number of US dollars per million tokens",
		                    what);
	if (d < 0 || d > CAP_PRICE)
		return ba_yaml_fail(p, n, "%s must be between 0 and %g", what, CAP_PRICE);
	*out = d;
	return 0;
}

/* ------------------------------------------------------- the file */

static const char *const top_keys[] = {"default_model", "fallback", "providers", "models", NULL};
static const char *const provider_keys[] = {"api",
                                            "base_url",
                                            "api_key_env",
                                            "key_required",
                                            "max_retries",
                                            "retry_base_ms",
                                            "retry_max_ms",
                                            "connect_timeout_ms",
                                            "idle_timeout_ms",
                                            "request_timeout_ms",
                                            NULL};
static const char *const model_keys[] = {"input_usd_per_mtok", "output_usd_per_mtok", "max_tokens",
                                         NULL};

static int parse_provider(ba_yaml_reader *p, loader *ld, ba_llm_config *c, const ba_yaml_node *key,
                          const ba_yaml_node *v)
{
	if (!valid_provider_name(key->value, key->len)) {
		char q[72];
		return ba_yaml_fail(p, key,
		                    "provider name '%s' must be 1 to 63 characters of a-z, 0-9, _ "
		                    "and -",
		                    shown(key->value, q, sizeof(q)));
	}
	const char *name = key->value;
	char what[BA_LLM_NAME_MAX + 64];
	snprintf(what, sizeof(what), "providers.%s", name);
	if (!ba_yaml_is_null(v) && v->kind != BA_YAML_MAP)
		return ba_yaml_fail(p, v, "%s must be a mapping (api, base_url, api_key_env, ...)",
		                    what);
	if (v->kind == BA_YAML_MAP && check_keys(p, v, what, provider_keys) != 0)
		return -1;

	ba_llm_api def_api;
	const char *def_url, *def_key;
	bool is_builtin = builtin(name, &def_api, &def_url, &def_key);
	ba_llm_provider *prov = find_mut(c, name);
	if (!prov) {
		ld->origin = p->origin;
		prov = is_builtin ? add_builtin(ld, c, name)
		                  : add_provider(ld, c, name, BA_LLM_API_OPENAI);
		if (!prov)
			return -1; /* ld->err set */
	}
	size_t idx = (size_t)(prov - c->providers);
	bool url_set = false;

	for (size_t i = 0; v->kind == BA_YAML_MAP && i + 1 < v->count; i += 2) {
		const char *k = v->items[i]->value;
		const ba_yaml_node *val = v->items[i + 1];
		char field[BA_LLM_NAME_MAX + 96];
		snprintf(field, sizeof(field), "%s.%s", what, k);
		int rc = 0;
		if (!strcmp(k, "api")) {
			if (want_scalar(p, val, field) != 0)
				return -1;
			if (!strcmp(val->value, "openai"))
				prov->api = BA_LLM_API_OPENAI;
			else if (!strcmp(val->value, "anthropic"))
				prov->api = BA_LLM_API_ANTHROPIC;
			else
				return ba_yaml_fail(p, val, "%s must be openai or anthropic",
				                    field);
		} else if (!strcmp(k, "base_url")) {
			if (want_scalar(p, val, field) != 0)
				return -1;
			const char *e = normalise_url(val->value, val->len, prov->base_url,
			                              sizeof(prov->base_url));
			if (e)
				return ba_yaml_fail(p, val, "%s %s", field, e);
			url_set = true;
		} else if (!strcmp(k, "api_key_env")) {
			if (want_scalar(p, val, field) != 0)
				return -1;
			/* The value is never quoted back: when it is not a
			 * variable name it may well be the key itself. */
			if (!valid_env_name(val->value, val->len))
				return ba_yaml_fail(
				        p, val,
				        "%s must name an environment variable (letters, "
				        "digits and _, e.g. GROQ_API_KEY); the key itself is "
				        "never written in this file",
				        field);
			if (take_key(ld, prov, val->value) != 0) {
				/* Re-prefix the environment's complaint with the place. */
				char inner[512];
				snprintf(inner, sizeof(inner), "%s", ld->err ? ld->err : "");
				return ba_yaml_fail(p, val, "%s", inner);
			}
			if (!ld->key_required_set[idx])
				prov->key_required = true;
		} else if (!strcmp(k, "key_required")) {
			rc = want_bool(p, val, field, &prov->key_required);
			ld->key_required_set[idx] = true;
		} else if (!strcmp(k, "max_retries")) {
			rc = want_uint(p, val, field, CAP_RETRIES, &prov->max_retries);
		} else if (!strcmp(k, "retry_base_ms")) {
			rc = want_ms(p, val, field, 0, CAP_BASE_MS, &prov->retry_base_ms);
		} else if (!strcmp(k, "retry_max_ms")) {
			rc = want_ms(p, val, field, 0, CAP_RETRY_MAX, &prov->retry_max_ms);
		} else if (!strcmp(k, "connect_timeout_ms")) {
			rc = want_ms(p, val, field, 1, CAP_CONNECT_MS, &prov->connect_timeout_ms);
		} else if (!strcmp(k, "idle_timeout_ms")) {
			rc = want_ms(p, val, field, 1, CAP_IDLE_MS, &prov->idle_timeout_ms);
		} else if (!strcmp(k, "request_timeout_ms")) {
			rc = want_ms(p, val, field, 1, CAP_REQUEST_MS, &prov->request_timeout_ms);
		}
		if (rc != 0)
			return -1;
	}
	if (!is_builtin && prov->base_url[0] == '\0')
		return ba_yaml_fail(p, key,
		                    "%s needs base_url, the server's API root (e.g. "
		                    "https://api.groq.com/openai/v1)",
		                    what);
	/* A built-in pointed elsewhere needs its key only if it is still
	 * the official endpoint, unless the file said otherwise. */
	if (is_builtin && url_set && !ld->key_required_set[idx] && *def_key &&
	    strcmp(prov->key_source, def_key) == 0)
		prov->key_required = official_host(prov->api, prov->base_url);
	return 0;
}

static int parse_model(ba_yaml_reader *p, ba_llm_config *c, const ba_yaml_node *key,
                       const ba_yaml_node *v)
{
	if (c->model_count == BA_LLM_MAX_MODELS)
		return ba_yaml_fail(p, key, "more than %d models", BA_LLM_MAX_MODELS);
	ba_llm_model_settings *m = &c->models[c->model_count];
	memset(m, 0, sizeof(*m));
	if (want_model(p, key, "model", m->model) != 0)
		return -1;
	m->input_usd_per_mtok = -1;
	m->output_usd_per_mtok = -1;
	char what[BA_LLM_MODEL_MAX + 16];
	snprintf(what, sizeof(what), "models.%s", m->model);
	if (!ba_yaml_is_null(v) && v->kind != BA_YAML_MAP)
		return ba_yaml_fail(
		        p, v,
		        "%s must be a mapping (input_usd_per_mtok, output_usd_per_mtok, "
		        "max_tokens)",
		        what);
	if (v->kind == BA_YAML_MAP && check_keys(p, v, what, model_keys) != 0)
		return -1;
	for (size_t i = 0; v->kind == BA_YAML_MAP && i + 1 < v->count; i += 2) {
		const char *k = v->items[i]->value;
		const ba_yaml_node *val = v->items[i + 1];
		char field[BA_LLM_MODEL_MAX + 48];
		snprintf(field, sizeof(field), "%s.%s", what, k);
		int rc;
		if (!strcmp(k, "input_usd_per_mtok"))
			rc = want_price(p, val, field, &m->input_usd_per_mtok);
		else if (!strcmp(k, "output_usd_per_mtok"))
			rc = want_price(p, val, field, &m->output_usd_per_mtok);
		else
			rc = want_uint(p, val, field, CAP_MAX_TOKENS, &m->max_tokens);
		if (rc != 0)
			return -1;
	}
	c->model_count++;
	return 0;
}

static int parse_tree(ba_yaml_reader *p, loader *ld, ba_llm_config *c, const ba_yaml_node *root)
{
	if (!root || ba_yaml_is_null(root))
		return 0;
	if (root->kind != BA_YAML_MAP)
		return ba_yaml_fail(p, root,
		                    "the configuration must be a mapping (default_model, fallback, "
		                    "providers, models)");
	if (check_keys(p, root, "configuration", top_keys) != 0)
		return -1;
	/* Providers first, whatever the order in the file, so nothing
	 * later depends on the order of sections. */
	const ba_yaml_node *providers = NULL, *models = NULL, *def = NULL, *fallback = NULL;
	for (size_t i = 0; i + 1 < root->count; i += 2) {
		const char *k = root->items[i]->value;
		const ba_yaml_node *v = root->items[i + 1];
		if (!strcmp(k, "providers"))
			providers = v;
		else if (!strcmp(k, "models"))
			models = v;
		else if (!strcmp(k, "default_model"))
			def = v;
		else
			fallback = v;
	}
	if (providers && !ba_yaml_is_null(providers)) {
		if (providers->kind != BA_YAML_MAP)
			return ba_yaml_fail(
			        p, providers,
			        "providers must be a mapping of NAME: {api, base_url, ...}");
		if (check_keys(p, providers, "providers", NULL) != 0)
			return -1;
		for (size_t i = 0; i + 1 < providers->count; i += 2)
			if (parse_provider(p, ld, c, providers->items[i],
			                   providers->items[i + 1]) != 0)
				return -1;
	}
	if (models && !ba_yaml_is_null(models)) {
		if (models->kind != BA_YAML_MAP)
			return ba_yaml_fail(p, models,
			                    "models must be a mapping of provider/model: {prices, "
			                    "max_tokens}");
		if (check_keys(p, models, "models", NULL) != 0)
			return -1;
		for (size_t i = 0; i + 1 < models->count; i += 2)
			if (parse_model(p, c, models->items[i], models->items[i + 1]) != 0)
				return -1;
	}
	if (def && !ba_yaml_is_null(def) &&
	    want_model(p, def, "default_model", c->default_model) != 0)
		return -1;
	if (fallback && !ba_yaml_is_null(fallback)) {
		if (fallback->kind == BA_YAML_SCALAR) {
			if (want_model(p, fallback, "fallback", c->fallbacks[0]) != 0)
				return -1;
			c->fallback_count = 1;
		} else if (fallback->kind == BA_YAML_SEQ) {
			if (fallback->count > BA_LLM_MAX_FALLBACKS)
				return ba_yaml_fail(p, fallback,
				                    "fallback lists more than %d models",
				                    BA_LLM_MAX_FALLBACKS);
			for (size_t i = 0; i < fallback->count; i++) {
				if (want_model(p, fallback->items[i], "fallback",
				               c->fallbacks[c->fallback_count]) != 0)
					return -1;
				c->fallback_count++;
			}
		} else {
			return ba_yaml_fail(p, fallback,
			                    "fallback must be a list of provider/model names");
		}
	}
	return 0;
}

/* ------------------------------------------------------- building */

static const char *process_env(const char *name)
{
	return getenv(name);
}

static ba_llm_config *build(const char *text, size_t len, const char *origin, ba_llm_getenv_fn env,
                            char *err, size_t err_len)
{
	if (err && err_len)
		err[0] = '\0';
	ba_llm_config *c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	loader ld = {.env = env ? env : process_env,
	             .err = err,
	             .err_len = err_len,
	             .origin = origin ? origin : "environment"};
	if (from_environment(&ld, c) != 0)
		goto fail;
	if (text) {
		if (len > BA_LLM_MAX_CONFIG_SIZE) {
			set_err(err, err_len, "%s is larger than %u bytes", ld.origin,
			        BA_LLM_MAX_CONFIG_SIZE);
			goto fail;
		}
		snprintf(c->source, sizeof(c->source), "%s", ld.origin);
		ba_yaml_reader p = {.origin = ld.origin,
		                    .in = "the configuration",
		                    .max_depth = MAX_DEPTH,
		                    .max_nodes = MAX_NODES,
		                    .err = err,
		                    .err_len = err_len};
		ba_yaml_node *root = NULL;
		if (ba_yaml_read(&p, text, len, &root) != 0)
			goto fail;
		int rc = parse_tree(&p, &ld, c, root);
		ba_yaml_free(root);
		if (rc != 0)
			goto fail;
	}
	const char *bm = env_get(&ld, "BOXAGENT_MODEL");
	if (bm) {
		const char *e = model_name_problem(bm);
		if (e) {
			char q[BA_LLM_MODEL_MAX + 4];
			set_err(err, err_len, "BOXAGENT_MODEL '%s' %s", shown(bm, q, sizeof(q)), e);
			goto fail;
		}
		snprintf(c->default_model, sizeof(c->default_model), "%s", bm);
	}
	return c;
fail:
	if (err && err_len && !err[0])
		set_err(err, err_len, "%s: invalid configuration", ld.origin);
	ba_llm_config_free(c);
	return NULL;
}

ba_llm_config *ba_llm_config_parse(const char *text, size_t len, const char *origin,
                                   ba_llm_getenv_fn env, char *err, size_t err_len)
{
	return build(text ? text : "", text ? len : 0, origin ? origin : "boxagent.yaml", env, err,
	             err_len);
}

ba_llm_config *ba_llm_config_load(const char *path, ba_llm_getenv_fn env, char *err, size_t err_len)
{
	if (!env)
		env = process_env;
	char found[1024];
	const char *named_by = NULL;
	if (!path || !*path) {
		const char *bc = env("BOXAGENT_CONFIG");
		if (bc && *bc) {
			path = bc;
			named_by = "BOXAGENT_CONFIG";
		} else {
			const char *xdg = env("XDG_CONFIG_HOME");
			const char *home = env("HOME");
			int n = -1;
			/* XDG says a relative XDG_CONFIG_HOME is to be ignored. */
			if (xdg && xdg[0] == '/')
				n = snprintf(found, sizeof(found), "%s/boxagent/boxagent.yaml",
				             xdg);
			else if (home && home[0] == '/')
				n = snprintf(found, sizeof(found),
				             "%s/.config/boxagent/boxagent.yaml", home);
			struct stat st;
			if (n > 0 && (size_t)n < sizeof(found)) {
				if (stat(found, &st) == 0) {
					path = found;
				} else if (errno != ENOENT && errno != ENOTDIR) {
					set_err(err, err_len, "cannot read %s: %s", found,
					        strerror(errno));
					return NULL;
				}
			}
		}
	}
	if (!path)
		return build(NULL, 0, NULL, env, err, err_len);

	uint8_t *data = NULL;
	size_t len = 0;
	char why[1200];
	if (ba_read_file(path, BA_LLM_MAX_CONFIG_SIZE, &data, &len, why, sizeof(why)) != 0) {
		if (named_by)
			set_err(err, err_len, "%s (named by %s)", why, named_by);
		else
			set_err(err, err_len, "%s", why);
		return NULL;
	}
	ba_llm_config *c = build((const char *)data, len, path, env, err, err_len);
	free(data);
	return c;
}

void ba_llm_config_free(ba_llm_config *config)
{
	if (!config)
		return;
	for (size_t i = 0; i < config->provider_count && i < BA_LLM_MAX_PROVIDERS; i++)
		wipe_key(&config->providers[i]);
	explicit_bzero(config, sizeof(*config));
	free(config);
}

/* ------------------------------------------------------- choosing */

static const char *const auto_models[] = {"openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5",
                                          "ollama/llama3.2"};

static void no_provider_message(const ba_llm_config *c, char *err, size_t err_len)
{
	set_err(err, err_len,
	        "no model provider is configured: set OPENAI_API_KEY (plus OPENAI_BASE_URL for "
	        "an OpenAI-compatible server), ANTHROPIC_API_KEY, or OLLAMA_HOST, or name "
	        "providers in %s",
	        c->source[0] ? c->source : "~/.config/boxagent/boxagent.yaml");
}

static void configured_list(const ba_llm_config *c, char *out, size_t out_len)
{
	size_t off = 0;
	out[0] = '\0';
	for (size_t i = 0; i < c->provider_count; i++) {
		int n = snprintf(out + off, out_len - off, "%s%s", i ? ", " : "",
		                 c->providers[i].name);
		if (n < 0 || (size_t)n >= out_len - off)
			return;
		off += (size_t)n;
	}
}

/* Why the provider of model cannot be used, or 0 when it can. */
static int check_usable(const ba_llm_config *c, const char *model, char *err, size_t err_len)
{
	const char *e = model_name_problem(model);
	if (e) {
		char q[BA_LLM_MODEL_MAX + 4];
		set_err(err, err_len, "model '%s' %s", shown(model, q, sizeof(q)), e);
		return -1;
	}
	const ba_llm_provider *p = ba_llm_find_provider(c, model, NULL);
	if (!p) {
		size_t n = strcspn(model, "/");
		char name[BA_LLM_NAME_MAX];
		snprintf(name, sizeof(name), "%.*s", (int)n, model);
		/* A known name that the environment did not configure: say
		 * which variable would. */
		if (!strcmp(name, "openai")) {
			set_err(err, err_len,
			        "model '%s' needs OPENAI_API_KEY (or OPENAI_BASE_URL for an "
			        "OpenAI-compatible server), which is not set",
			        model);
		} else if (!strcmp(name, "anthropic")) {
			set_err(err, err_len,
			        "model '%s' needs ANTHROPIC_API_KEY, which is not set", model);
		} else if (!strcmp(name, "ollama")) {
			set_err(err, err_len,
			        "model '%s' needs OLLAMA_HOST (e.g. 127.0.0.1:11434), which is not "
			        "set",
			        model);
		} else if (c->provider_count == 0) {
			set_err(err, err_len,
			        "unknown provider '%s' in model '%s'; no provider is configured: "
			        "add it under providers: in %s",
			        name, model,
			        c->source[0] ? c->source : "~/.config/boxagent/boxagent.yaml");
		} else {
			char list[BA_LLM_MAX_PROVIDERS * BA_LLM_NAME_MAX];
			configured_list(c, list, sizeof(list));
			set_err(err, err_len, "unknown provider '%s' in model '%s'; configured: %s",
			        name, model, list);
		}
		return -1;
	}
	if (p->key_required && !p->api_key) {
		if (p->key_source[0])
			set_err(err, err_len, "model '%s' needs %s, which is not set", model,
			        p->key_source);
		else
			set_err(err, err_len,
			        "model '%s' needs an API key: name its variable with api_key_env "
			        "under providers.%s in %s",
			        model, p->name,
			        c->source[0] ? c->source : "~/.config/boxagent/boxagent.yaml");
		return -1;
	}
	return 0;
}

static int put_model(const char *model, char *out, size_t out_len, char *err, size_t err_len)
{
	size_t n = strlen(model);
	if (!out || n >= out_len) {
		set_err(err, err_len, "model name '%.*s' does not fit the caller's buffer",
		        BA_LLM_MODEL_MAX, model);
		return -1;
	}
	memcpy(out, model, n + 1);
	return 0;
}

int ba_llm_resolve_model(const ba_llm_config *config, const char *requested, char *out,
                         size_t out_len, char *err, size_t err_len)
{
	if (out && out_len)
		out[0] = '\0';
	if (err && err_len)
		err[0] = '\0';
	if (!config) {
		set_err(err, err_len, "no configuration");
		return -1;
	}
	if (requested && *requested) {
		if (check_usable(config, requested, err, err_len) != 0)
			return -1;
		return put_model(requested, out, out_len, err, err_len);
	}
	if (config->default_model[0]) {
		if (check_usable(config, config->default_model, err, err_len) != 0)
			return -1;
		return put_model(config->default_model, out, out_len, err, err_len);
	}
	/* No choice made: the first built-in whose provider is ready. A
	 * provider that is there but lacks its key explains itself. */
	const char *first_present = NULL;
	for (size_t i = 0; i < sizeof(auto_models) / sizeof(auto_models[0]); i++) {
		const ba_llm_provider *p = ba_llm_find_provider(config, auto_models[i], NULL);
		if (!p)
			continue;
		if (!(p->key_required && !p->api_key))
			return put_model(auto_models[i], out, out_len, err, err_len);
		if (!first_present)
			first_present = auto_models[i];
	}
	if (first_present) {
		check_usable(config, first_present, err, err_len);
		return -1;
	}
	if (config->provider_count > 0) {
		char list[BA_LLM_MAX_PROVIDERS * BA_LLM_NAME_MAX];
		configured_list(config, list, sizeof(list));
		set_err(err, err_len,
		        "no model chosen: pass --model provider/model, set BOXAGENT_MODEL, or set "
		        "default_model in %s (configured providers: %s)",
		        config->source[0] ? config->source : "~/.config/boxagent/boxagent.yaml",
		        list);
		return -1;
	}
	no_provider_message(config, err, err_len);
	return -1;
}
