/*
 * llm.h - talking to language models: one interface over every provider.
 *
 * A conversation is an array of ba_llm_message (system prompt apart). One
 * call, ba_llm_chat(), sends it with the tool definitions to one model,
 * streams the answer back through callbacks as it arrives, and returns
 * the assistant message (text and tool calls), why it stopped and the
 * token usage. Retries (429, 5xx, network errors, a stream cut mid-way)
 * and the fallback chain to other models happen inside; callbacks hear
 * about each so a terminal can say what is going on.
 *
 * Two wire formats cover the ecosystem:
 *   BA_LLM_API_OPENAI     OpenAI Chat Completions with SSE streaming; also
 *                         every OpenAI-compatible server (Ollama's /v1,
 *                         vLLM, llama.cpp, LM Studio, OpenRouter, Groq...)
 *   BA_LLM_API_ANTHROPIC  Anthropic Messages with its streaming events
 *
 * Models are named "provider/model" ("openai/gpt-4o-mini",
 * "anthropic/claude-sonnet-4-5", "ollama/llama3.2"); the provider part
 * picks a ba_llm_provider from the configuration (config.c), the rest is
 * sent to it verbatim (it may itself contain '/': "openrouter/meta/x").
 *
 * Secrets: API keys live only in ba_llm_provider.api_key and in the
 * header handed to libcurl; both are wiped when freed. No message,
 * callback or error text ever contains a key (errors quoted from a
 * server are scrubbed of it too).
 *
 * Threads: a ba_llm_config is immutable after loading and may be shared;
 * each ba_llm_chat() call is independent.
 */
#ifndef BA_LLM_LLM_H
#define BA_LLM_LLM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BA_LLM_MAX_PROVIDERS   32
#define BA_LLM_MAX_FALLBACKS   8
#define BA_LLM_MAX_MODELS      64  /* per-model settings in the config   */
#define BA_LLM_MODEL_MAX       256 /* "provider/model" text, with NUL    */
#define BA_LLM_NAME_MAX        64  /* provider name, with NUL            */
#define BA_LLM_URL_MAX         1024
#define BA_LLM_MAX_TOOL_CALLS  64          /* per assistant message        */
#define BA_LLM_MAX_TEXT        (4u << 20)  /* assistant text per answer    */
#define BA_LLM_MAX_ARGS        (1u << 20)  /* one tool call's arguments    */
#define BA_LLM_MAX_REQUEST     (64u << 20) /* request body sent            */
#define BA_LLM_MAX_ERROR_BODY  (64u << 10) /* error body kept for messages */
#define BA_LLM_MAX_SSE_EVENT   (4u << 20)  /* one server-sent event        */
#define BA_LLM_MAX_CONFIG_SIZE (256u << 10)

/* ------------------------------------------------------------ messages */

typedef enum ba_llm_role {
	BA_LLM_ROLE_USER = 0,
	BA_LLM_ROLE_ASSISTANT,
	BA_LLM_ROLE_TOOL, /* the result of one tool call */
} ba_llm_role;

typedef struct ba_llm_tool_call {
	char *id;        /* owned; the provider's id ("call_...", "toolu_...") */
	char *name;      /* owned; as the model wrote it (may be unknown)       */
	char *arguments; /* owned; JSON text exactly as streamed - may be
	                    invalid JSON, which the agent reports back       */
} ba_llm_tool_call;

typedef struct ba_llm_message {
	ba_llm_role role;
	char *text; /* owned, NUL-terminated; NULL = none. For
	               ROLE_TOOL: the result content sent to the model */
	size_t tool_call_count;
	ba_llm_tool_call *tool_calls; /* owned; ROLE_ASSISTANT only         */
	char *tool_call_id;           /* owned; ROLE_TOOL: the call answered */
	char *tool_name;              /* owned; ROLE_TOOL                    */
	bool is_error;                /* ROLE_TOOL: the call failed          */
} ba_llm_message;

/* Frees what the message owns and zeroes it. */
void ba_llm_message_release(ba_llm_message *msg);
/* Deep copy; 0 or -1 (out of memory, dst zeroed). */
int ba_llm_message_copy(ba_llm_message *dst, const ba_llm_message *src);
const char *ba_llm_role_name(ba_llm_role role); /* "user", "assistant", "tool" */

/* A tool the model may call (all borrowed). input_schema is JSON Schema
 * text for the arguments object. */
typedef struct ba_llm_tool_def {
	const char *name;
	const char *description;
	const char *input_schema;
} ba_llm_tool_def;

/* ------------------------------------------------------- configuration */

typedef enum ba_llm_api {
	BA_LLM_API_OPENAI = 0,
	BA_LLM_API_ANTHROPIC,
} ba_llm_api;

typedef struct ba_llm_provider {
	char name[BA_LLM_NAME_MAX]; /* "openai", "anthropic", "ollama", "groq" */
	ba_llm_api api;
	char base_url[BA_LLM_URL_MAX]; /* no trailing '/': "https://api.openai.com/v1",
	                                  "https://api.anthropic.com" (the
	                                  Anthropic path /v1/messages is added) */
	char *api_key;                 /* owned, wiped on free; NULL = none     */
	char key_source[128];          /* where the key comes from, for messages:
	                                  "OPENAI_API_KEY", "" = none needed     */
	bool key_required;             /* a missing key is a configuration error */
	uint32_t connect_timeout_ms;   /* default 10 s                          */
	uint32_t idle_timeout_ms;      /* no byte for this long = failure; 120 s */
	uint32_t request_timeout_ms;   /* whole request; default 10 min          */
	uint32_t max_retries;          /* default 3 (so 4 attempts)              */
	uint32_t retry_base_ms;        /* first backoff; doubles; default 500 ms */
	uint32_t retry_max_ms;         /* longest wait, Retry-After included;
	                                  default 60 s                          */
} ba_llm_provider;

/* What the operator said about one model ("provider/model"). */
typedef struct ba_llm_model_settings {
	char model[BA_LLM_MODEL_MAX];
	double input_usd_per_mtok; /* prices for the cost limit; <0 = unknown */
	double output_usd_per_mtok;
	uint32_t max_tokens; /* per answer; 0 = the API's default (see below) */
} ba_llm_model_settings;

typedef struct ba_llm_config {
	size_t provider_count;
	ba_llm_provider providers[BA_LLM_MAX_PROVIDERS];
	char default_model[BA_LLM_MODEL_MAX]; /* "" = none configured         */
	size_t fallback_count;                /* tried in order after a model fails */
	char fallbacks[BA_LLM_MAX_FALLBACKS][BA_LLM_MODEL_MAX];
	size_t model_count;
	ba_llm_model_settings models[BA_LLM_MAX_MODELS];
	char source[1024]; /* the config file read, "" = environment only     */
} ba_llm_config;

/*
 * Builds the configuration from the environment and an optional file.
 *
 * Environment (the ecosystem's names), each adding a built-in provider:
 *   OPENAI_API_KEY, OPENAI_BASE_URL   provider "openai" (OpenAI API); the
 *        base URL alone (no key) is enough for a local compatible server
 *   ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL   provider "anthropic"
 *   OLLAMA_HOST ("host:port" or a URL)   provider "ollama", OpenAI API at
 *        OLLAMA_HOST/v1, no key
 *   BOXAGENT_MODEL   the default model
 * The file (YAML, docs/providers.md has the format) adds providers (any
 * name, api openai|anthropic, base_url, api_key_env naming the variable
 * holding the key - keys are never written in the file), overrides the
 * built-in ones field by field, and sets default_model, fallback and
 * per-model prices and max_tokens.
 *
 * path: the file to read; NULL = $BOXAGENT_CONFIG, else
 * ${XDG_CONFIG_HOME:-~/.config}/boxagent/boxagent.yaml when it exists.
 * A path given explicitly must exist. env: lookup function (NULL =
 * getenv), so tests need not touch the process environment.
 * Returns NULL with a message ("boxagent.yaml:12:3: unknown key 'modle'")
 * in err.
 */
typedef const char *(*ba_llm_getenv_fn)(const char *name);
ba_llm_config *ba_llm_config_load(const char *path, ba_llm_getenv_fn env, char *err,
                                  size_t err_len);
/* Parses YAML text (origin names it in messages) on top of the
 * environment's providers. Same result as ba_llm_config_load. */
ba_llm_config *ba_llm_config_parse(const char *text, size_t len, const char *origin,
                                   ba_llm_getenv_fn env, char *err, size_t err_len);
void ba_llm_config_free(ba_llm_config *config);

/*
 * The model to use: requested (--model) if not NULL/"", else the
 * config's default, else the first of openai/gpt-4o-mini,
 * anthropic/claude-sonnet-4-5, ollama/llama3.2 whose provider is
 * configured. Checks that the provider exists and has its key. On failure
 * returns -1 with a message saying exactly what to set, e.g.
 *   "no model provider is configured: set OPENAI_API_KEY (plus
 *    OPENAI_BASE_URL for an OpenAI-compatible server), ANTHROPIC_API_KEY,
 *    or OLLAMA_HOST, or name providers in ~/.config/boxagent/boxagent.yaml"
 *   "model 'anthropic/claude-x' needs ANTHROPIC_API_KEY, which is not set"
 *   "unknown provider 'foo' in model 'foo/bar'; configured: openai, ollama"
 */
int ba_llm_resolve_model(const ba_llm_config *config, const char *requested, char *out,
                         size_t out_len, char *err, size_t err_len);

/* Splits "provider/model": the provider (borrowed from config) and the
 * model part (pointer into full). NULL when the provider is unknown. */
const ba_llm_provider *ba_llm_find_provider(const ba_llm_config *config, const char *full,
                                            const char **model_part);
/* Settings for a model, or NULL when the config says nothing. */
const ba_llm_model_settings *ba_llm_find_model(const ba_llm_config *config, const char *full);

/* -------------------------------------------------------------- a call */

typedef struct ba_llm_usage {
	uint64_t input_tokens;
	uint64_t output_tokens;
} ba_llm_usage;

typedef enum ba_llm_stop {
	BA_LLM_STOP_END = 0,    /* the model finished its answer          */
	BA_LLM_STOP_TOOL_CALLS, /* it wants tool results                  */
	BA_LLM_STOP_MAX_TOKENS, /* cut by max_tokens                      */
	BA_LLM_STOP_OTHER,      /* content filter, refusal, ...: stop_raw */
} ba_llm_stop;

typedef enum ba_llm_status {
	BA_LLM_OK = 0,
	BA_LLM_ERR_CONFIG,     /* no such provider, missing key, bad URL       */
	BA_LLM_ERR_AUTH,       /* 401/403: the key is wrong or lacks access    */
	BA_LLM_ERR_NOT_FOUND,  /* 404: wrong base URL or unknown model         */
	BA_LLM_ERR_REQUEST,    /* other 4xx: the server refused the request    */
	BA_LLM_ERR_RATE_LIMIT, /* 429 after the retries                        */
	BA_LLM_ERR_SERVER,     /* 5xx after the retries                        */
	BA_LLM_ERR_NETWORK,    /* DNS, connect, TLS, reset                     */
	BA_LLM_ERR_TIMEOUT,    /* connect, idle or whole-request timeout       */
	BA_LLM_ERR_PROTOCOL,   /* malformed or truncated stream                */
	BA_LLM_ERR_TOO_LARGE,  /* an answer over the caps above                */
	BA_LLM_ERR_CANCELLED,  /* *cancel became true                          */
	BA_LLM_ERR_NOMEM,
} ba_llm_status;

const char *ba_llm_status_name(ba_llm_status status); /* "auth", "rate_limit", ... */
const char *ba_llm_stop_name(ba_llm_stop stop);       /* "end", "tool_calls", ... */

/* Streaming callbacks; any may be NULL. Called on the calling thread,
 * in order, as bytes arrive. */
typedef struct ba_llm_handler {
	/* A piece of the answer's text. */
	void (*on_text)(void *user, const char *text, size_t len);
	/* A tool call begins (index within this answer). */
	void (*on_tool_call)(void *user, size_t index, const char *id, const char *name);
	/* An attempt failed and will be retried after wait_ms: what was
	 * streamed so far by this attempt is void (a terminal prints a
	 * marker; the final response holds only the successful attempt). */
	void (*on_retry)(void *user, unsigned attempt, uint64_t wait_ms, ba_llm_status why,
	                 const char *message);
	/* The model failed for good; the next in the fallback chain is tried. */
	void (*on_fallback)(void *user, const char *from_model, const char *to_model,
	                    const char *message);
	void *user;
} ba_llm_handler;

typedef struct ba_llm_request {
	const char *model;  /* "provider/model" (borrowed)                  */
	const char *system; /* system prompt; NULL = none                   */
	const ba_llm_message *messages;
	size_t message_count;
	const ba_llm_tool_def *tools;
	size_t tool_count;
	uint32_t max_tokens; /* 0 = model settings, else the API's default
	                        (Anthropic: 4096; OpenAI: the server's)  */
	/* Other "provider/model" names tried in order when model fails
	 * with anything but CANCELLED, CONFIG or REQUEST; NULL/0 = the
	 * config's fallback list. The same model is never tried twice. */
	const char *const *fallbacks;
	size_t fallback_count;
	bool no_fallback;          /* ignore the config's list too       */
	uint64_t deadline_ns;      /* CLOCK_MONOTONIC; 0 = none           */
	const atomic_bool *cancel; /* polled; true = stop now (NULL = none) */
} ba_llm_request;

typedef struct ba_llm_response {
	ba_llm_message message; /* ROLE_ASSISTANT, owned                     */
	ba_llm_stop stop;
	char stop_raw[64];            /* the provider's word for it        */
	ba_llm_usage usage;           /* of the successful attempt         */
	char model[BA_LLM_MODEL_MAX]; /* "provider/model" that answered    */
	unsigned attempts;            /* HTTP requests made, all models    */
	uint64_t model_ns;            /* time spent in HTTP, all attempts  */
} ba_llm_response;

/* Sends the request; on BA_LLM_OK response holds the answer. On error
 * err holds one line for people and logs, e.g.
 *   "openai/gpt-4o-mini: 401 Unauthorized: Incorrect API key provided
 *    (check OPENAI_API_KEY)"
 *   "anthropic/claude-sonnet-4-5: the stream ended before message_stop
 *    (after 1834 bytes): the connection was cut"
 * response is initialised in every case; release it with
 * ba_llm_response_release(). */
ba_llm_status ba_llm_chat(const ba_llm_config *config, const ba_llm_request *request,
                          const ba_llm_handler *handler, ba_llm_response *response, char *err,
                          size_t err_len);
void ba_llm_response_release(ba_llm_response *response);

/* Cost in USD of usage on model, or a negative number when the config
 * has no prices for it. */
double ba_llm_cost_usd(const ba_llm_config *config, const char *model, const ba_llm_usage *usage);

#endif /* BA_LLM_LLM_H */
