/*
 * http.h - one streamed HTTP POST to a model provider (inside llm/).
 *
 * The provider's URL is the operator's configuration, not a tool's
 * request, so this does not go through the sandbox's egress chokepoint;
 * it follows the same hygiene: libcurl loaded on first use
 * (core/curl_lib.h), http/https only, no redirects followed (a 3xx is an
 * error naming the Location), proxies only as the environment says
 * (https_proxy etc., which operators of model APIs rely on), TLS verified.
 *
 * One attempt per call: retries and backoff are chat.c's, which has the
 * status, Retry-After and the error body to decide with.
 */
#ifndef BA_LLM_HTTP_H
#define BA_LLM_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "llm/llm.h"

typedef struct ba_llm_http_request {
	const char *url;            /* borrowed                       */
	const char *const *headers; /* "Name: value" lines, borrowed  */
	size_t header_count;
	const char *body; /* borrowed                       */
	size_t body_len;
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;    /* no byte received for this long */
	uint32_t request_timeout_ms; /* the whole exchange             */
	uint64_t deadline_ns;        /* CLOCK_MONOTONIC; 0 = none      */
	const atomic_bool *cancel;   /* polled while waiting; may be NULL */
	/* Receives the body of a 2xx response as it arrives. Non-zero stops
	 * the transfer (the decoder found an error). */
	int (*on_body)(void *user, const char *data, size_t len);
	void *user;
	/* A value to scrub from every message (the API key); may be NULL. */
	const char *scrub;
} ba_llm_http_request;

typedef struct ba_llm_http_result {
	ba_llm_status status; /* OK when a response arrived (any HTTP status)
	                         and on_body never stopped it; NETWORK,
	                         TIMEOUT, CANCELLED, CONFIG (bad URL, libcurl
	                         missing), NOMEM otherwise; PROTOCOL when
	                         on_body stopped it (body_stopped). A 3xx is
	                         OK with message "redirected to LOCATION..." */
	int http_status;      /* 0 when no response                        */
	bool body_stopped;    /* on_body returned non-zero                  */
	bool has_retry_after;
	uint64_t retry_after_ms; /* from Retry-After (seconds or HTTP date) */
	ba_buf error_body;       /* body of a non-2xx response, at most
	                            BA_LLM_MAX_ERROR_BODY (owned)            */
	char message[512];       /* transport error text, scrubbed         */
	uint64_t elapsed_ns;
} ba_llm_http_result;

/* Initialises result in every case; release it. */
ba_llm_status ba_llm_http_post(const ba_llm_http_request *req, ba_llm_http_result *result);
void ba_llm_http_result_release(ba_llm_http_result *result);

/* Parses a Retry-After value: delta-seconds or an IMF-fixdate (RFC 9110),
 * relative to now (seconds since the epoch). 0 with *ms set, -1 when it
 * is neither. Negative deltas and past dates give 0 ms. */
int ba_llm_parse_retry_after(const char *value, int64_t now, uint64_t *ms);

/* Replaces every occurrence of secret (NULL or "" = nothing to do) in
 * the len bytes at text with "***" (a secret shorter than 3 bytes with as
 * many '*'), in place. Returns the new length; when it shrank, a NUL is
 * written there. chat.c uses it on every message it makes. */
size_t ba_llm_scrub(char *text, size_t len, const char *secret);

/* A duration for messages: "250 ms", "1.5 s", "120 s". */
void ba_llm_format_ms(uint64_t ms, char *out, size_t out_len);

#endif /* BA_LLM_HTTP_H */
