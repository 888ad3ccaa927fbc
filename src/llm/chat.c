/*
 * chat.c - ba_llm_chat(): one answer from a model, with retries and the
 * fallback chain (llm.h has the contract).
 *
 * The models tried are the requested one, then the request's fallbacks
 * (else the config's, unless no_fallback), each once. For each model the
 * request is built once (wire.c) and sent up to max_retries + 1 times
 * (http.c), each attempt with a fresh decoder, so the final response
 * holds only what the successful attempt streamed.
 *
 * What an attempt's failure means:
 *   401/403                 AUTH, no retry (the key will not get better)
 *   404                     NOT_FOUND, no retry (base URL or model name)
 *   other 4xx but 408/409/429   REQUEST, no retry and no fallback: the
 *                           same request would be refused elsewhere too
 *   3xx                     CONFIG, no retry: the base URL is wrong
 *   429                     RATE_LIMIT, retried after Retry-After (or the
 *                           backoff); a Retry-After beyond retry_max_ms
 *                           ends the model at once, saying how long
 *   408, 409, 5xx, 529      retried with backoff (Retry-After honoured)
 *   network errors, timeouts, a stream cut mid-way, an error event in
 *   the stream              retried
 *   a malformed stream      PROTOCOL, no retry (the server is broken)
 * Backoff is retry_base_ms * 2^n, at most retry_max_ms, with the upper
 * half jittered so clients that failed together do not return together.
 * Waits sleep in short slices that poll cancel and never pass the
 * caller's deadline: when the wait would, the model stops there.
 *
 * A model that fails for good hands over to the next one (on_fallback)
 * unless it failed with CANCELLED, REQUEST, NOMEM, a passed deadline, or
 * CONFIG as the primary (a misconfigured fallback is skipped instead).
 *
 * Every message made here passes through ba_llm_scrub() with every
 * configured key before anyone sees it.
 */
#include "llm/llm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "llm/http.h"
#include "llm/wire.h"

#define MAX_CHAIN      (1 + BA_LLM_MAX_FALLBACKS)
#define SLEEP_SLICE_MS 20u
#define MSG_MAX        2048 /* one cause, before it is cut to err_len */
#define SERVER_MSG_MAX 600  /* what a server said, quoted             */

static bool is_cancelled(const ba_llm_request *req)
{
	return req->cancel && atomic_load(req->cancel);
}

static bool deadline_passed(const ba_llm_request *req)
{
	return req->deadline_ns && ba_mono_ns() >= req->deadline_ns;
}

/* ------------------------------------------------------------- messages */

/* Removes every configured key from text and makes it one line: server
 * messages may hold line breaks and control characters. */
static void clean_text(const ba_llm_config *config, char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; config && i < config->provider_count; i++)
		len = ba_llm_scrub(text, len, config->providers[i].api_key);
	text[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			text[i] = ' ';
	}
}

__attribute__((format(printf, 3, 4))) static void msg_set(char *out, size_t out_len,
                                                          const char *fmt, ...)
{
	va_list ap;

	if (!out || !out_len)
		return;
	va_start(ap, fmt);
	if (vsnprintf(out, out_len, fmt, ap) < 0)
		out[0] = '\0';
	va_end(ap);
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 529:
		return "Overloaded";
	}
	return NULL;
}

/* "401 Unauthorized" / "HTTP 418" */
static void status_text(int status, char *out, size_t out_len)
{
	const char *r = reason_phrase(status);
	if (r)
		msg_set(out, out_len, "%d %s", status, r);
	else
		msg_set(out, out_len, "HTTP %d", status);
}

/* -------------------------------------------------------------- backoff */

/* xorshift64*: jitter only, nothing secret depends on it. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* The wait before retry n (0 = after the first attempt). */
static uint64_t backoff_ms(const ba_llm_provider *p, unsigned n, uint64_t *rng)
{
	uint64_t d = p->retry_base_ms, cap = p->retry_max_ms;

	for (unsigned i = 0; i < n && d < cap; i++)
		d *= 2;
	if (cap && d > cap)
		d = cap;
	if (d < 2)
		return d;
	/* Equal jitter: at least half the step, at most all of it. */
	return d / 2 + next_random(rng) % (d / 2 + 1);
}

/* Sleeps ms in slices, polling cancel. false = cancelled. */
static bool sleep_polling(const ba_llm_request *req, uint64_t ms)
{
	uint64_t end = ba_mono_ns() + ms * 1000000ull;

	for (;;) {
		uint64_t now = ba_mono_ns(), slice;
		struct timespec ts;

		if (is_cancelled(req))
			return false;
		if (now >= end)
			return true;
		slice = (end - now) / 1000000ull + 1;
		if (slice > SLEEP_SLICE_MS)
			slice = SLEEP_SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(slice * 1000000ull);
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------ an attempt */

struct outcome {
	ba_llm_status status;
	bool retry;           /* another attempt may succeed            */
	bool has_retry_after; /* the server said how long to wait       */
	uint64_t retry_after_ms;
	char msg[MSG_MAX]; /* the cause, without the model's name      */
};

struct feed {
	ba_llm_decoder *decoder;
	ba_llm_status status;
	char msg[MSG_MAX];
};

static int feed_body(void *user, const char *data, size_t len)
{
	struct feed *f = user;

	f->status = ba_llm_decoder_feed(f->decoder, data, len, f->msg, sizeof(f->msg));
	return f->status != BA_LLM_OK;
}

/* Sets o from an HTTP status other than 2xx. */
static void classify_status(const ba_llm_provider *p, const char *model_part,
                            const ba_llm_http_result *r, struct outcome *o)
{
	char st[64], server[SERVER_MSG_MAX];
	int code = r->http_status;

	status_text(code, st, sizeof(st));
	server[0] = '\0';
	if (r->error_body.len)
		ba_llm_error_body_message(r->error_body.data, r->error_body.len, server,
		                          sizeof(server));
	o->has_retry_after = r->has_retry_after;
	o->retry_after_ms = r->retry_after_ms;

	if (code >= 300 && code < 400) {
		o->status = BA_LLM_ERR_CONFIG;
		msg_set(o->msg, sizeof(o->msg), "%s: %s (check the base URL %s)", st, r->message,
		        p->base_url);
	} else if (code == 401 || code == 403) {
		o->status = BA_LLM_ERR_AUTH;
		if (p->key_source[0])
			msg_set(o->msg, sizeof(o->msg), "%s%s%s (check %s)", st,
			        server[0] ? ": " : "", server, p->key_source);
		else
			msg_set(o->msg, sizeof(o->msg),
			        "%s%s%s (provider '%s' has no API key configured)", st,
			        server[0] ? ": " : "", server, p->name);
	} else if (code == 404) {
		o->status = BA_LLM_ERR_NOT_FOUND;
		msg_set(o->msg, sizeof(o->msg),
		        "%s%s%s (check the base URL %s and the model name %s)", st,
		        server[0] ? ": " : "", server, p->base_url, model_part);
	} else if (code == 429) {
		o->status = BA_LLM_ERR_RATE_LIMIT;
		o->retry = true;
		/* How long it asked for goes to on_retry as the wait, or
		 * into the message when that is too long. */
		msg_set(o->msg, sizeof(o->msg), "%s%s%s", st, server[0] ? ": " : "", server);
	} else if (code == 408 || code == 409 || code >= 500) {
		o->status = code == 408 ? BA_LLM_ERR_TIMEOUT : BA_LLM_ERR_SERVER;
		o->retry = code <= 599;
		msg_set(o->msg, sizeof(o->msg), "%s%s%s", st, server[0] ? ": " : "", server);
	} else if (code >= 400) {
		o->status = BA_LLM_ERR_REQUEST;
		msg_set(o->msg, sizeof(o->msg), "%s%s%s", st, server[0] ? ": " : "", server);
	} else {
		/* 1xx as a final answer: nothing a client can use. */
		o->status = BA_LLM_ERR_PROTOCOL;
		msg_set(o->msg, sizeof(o->msg), "unexpected %s", st);
	}
}

/*
 * One HTTP request and its decoding. On success o->status is OK and the
 * answer is in *answer (message, stop, stop_raw, usage).
 */
static void attempt(const ba_llm_provider *p, const char *model_part, const ba_llm_wire_request *wr,
                    const ba_llm_request *req, const ba_llm_handler *handler,
                    ba_llm_response *answer, uint64_t *model_ns, struct outcome *o)
{
	ba_llm_http_request hr;
	ba_llm_http_result r;
	struct feed f;

	memset(o, 0, sizeof(*o));
	memset(&f, 0, sizeof(f));
	f.decoder = ba_llm_decoder_new(p->api, handler);
	if (!f.decoder) {
		o->status = BA_LLM_ERR_NOMEM;
		msg_set(o->msg, sizeof(o->msg), "out of memory");
		return;
	}
	memset(&hr, 0, sizeof(hr));
	hr.url = wr->url;
	hr.headers = (const char *const *)wr->headers;
	hr.header_count = wr->header_count;
	hr.body = wr->body.data;
	hr.body_len = wr->body.len;
	hr.connect_timeout_ms = p->connect_timeout_ms;
	hr.idle_timeout_ms = p->idle_timeout_ms;
	hr.request_timeout_ms = p->request_timeout_ms;
	hr.deadline_ns = req->deadline_ns;
	hr.cancel = req->cancel;
	hr.on_body = feed_body;
	hr.user = &f;
	hr.scrub = p->api_key;

	ba_llm_http_post(&hr, &r);
	*model_ns += r.elapsed_ns;

	if (r.status == BA_LLM_ERR_CANCELLED || is_cancelled(req)) {
		o->status = BA_LLM_ERR_CANCELLED;
		msg_set(o->msg, sizeof(o->msg), "cancelled");
	} else if (r.status == BA_LLM_ERR_NOMEM) {
		o->status = BA_LLM_ERR_NOMEM;
		msg_set(o->msg, sizeof(o->msg), "%s", r.message);
	} else if (r.body_stopped) {
		/* The decoder refused the body: its verdict is the cause. */
		o->status = f.status;
		switch (f.status) {
		case BA_LLM_ERR_PROTOCOL:
			msg_set(o->msg, sizeof(o->msg), "malformed stream: %s", f.msg);
			break;
		case BA_LLM_ERR_SERVER:
		case BA_LLM_ERR_RATE_LIMIT:
			/* The decoder quotes it: "event 3: the server sent
			 * an error: overloaded_error: Overloaded". */
			o->retry = true;
			msg_set(o->msg, sizeof(o->msg), "%s", f.msg);
			break;
		default:
			msg_set(o->msg, sizeof(o->msg), "%s", f.msg);
			break;
		}
	} else if (r.http_status == 0) {
		/* No response at all. */
		o->status = r.status;
		o->retry = r.status == BA_LLM_ERR_NETWORK || r.status == BA_LLM_ERR_TIMEOUT;
		msg_set(o->msg, sizeof(o->msg), "%s", r.message);
	} else if (r.http_status >= 200 && r.http_status < 300) {
		/* The body ended, cleanly or not: is the answer complete? A
		 * transport error after the last event still leaves a whole
		 * answer, which is not worth asking for again. */
		char fin[MSG_MAX];
		ba_llm_status st = ba_llm_decoder_finish(f.decoder, answer, fin, sizeof(fin));

		if (st == BA_LLM_OK) {
			o->status = BA_LLM_OK;
		} else if (r.status != BA_LLM_OK) {
			/* Cut mid-way or silent too long: retried. */
			o->status = r.status == BA_LLM_ERR_TIMEOUT    ? BA_LLM_ERR_TIMEOUT
			            : ba_llm_decoder_bytes(f.decoder) ? BA_LLM_ERR_PROTOCOL
			                                              : r.status;
			o->retry = r.status == BA_LLM_ERR_NETWORK || r.status == BA_LLM_ERR_TIMEOUT;
			/* The decoder says how far the answer got; a cut
			 * needs no second byte count. */
			if (r.status == BA_LLM_ERR_NETWORK && ba_llm_decoder_bytes(f.decoder))
				msg_set(o->msg, sizeof(o->msg), "%s: the connection was cut", fin);
			else
				msg_set(o->msg, sizeof(o->msg), "%s: %s", fin, r.message);
		} else {
			/* The transfer ended normally but the answer did not:
			 * a cut that looked like an end (framing by close), or
			 * a whole-JSON error answer. Both are worth a retry;
			 * a malformed stream was refused during feed. */
			o->status = st;
			o->retry = st == BA_LLM_ERR_PROTOCOL || st == BA_LLM_ERR_SERVER ||
			           st == BA_LLM_ERR_RATE_LIMIT;
			msg_set(o->msg, sizeof(o->msg), "%s", fin);
		}
	} else {
		classify_status(p, model_part, &r, o);
	}
	ba_llm_decoder_free(f.decoder);
	ba_llm_http_result_release(&r);
}

/* ------------------------------------------------------------- one model */

struct chat {
	const ba_llm_config *config;
	const ba_llm_request *req;
	const ba_llm_handler *handler;
	ba_llm_response *response;
	uint64_t rng;
};

/* The message of a model that failed for good: "MODEL: cause; why (gave
 * up after N attempts)". */
static void give_up(char *msg, size_t msg_len, const char *model, const char *cause,
                    const char *why, unsigned tries)
{
	char after[48];

	after[0] = '\0';
	if (tries > 1)
		msg_set(after, sizeof(after), " (gave up after %u attempts)", tries);
	msg_set(msg, msg_len, "%s: %s%s%s%s", model, cause, why ? "; " : "", why ? why : "", after);
}

/*
 * Tries one model with its retries. OK with the answer in c->response, or
 * the failure with msg ("MODEL: cause (gave up after N attempts)") and
 * *attempted false when no request was made (misconfigured).
 */
static ba_llm_status try_model(struct chat *c, const char *model, char *msg, size_t msg_len,
                               bool *attempted)
{
	const ba_llm_request *req = c->req;
	const ba_llm_provider *p;
	const ba_llm_model_settings *settings;
	const char *part = NULL;
	ba_llm_wire_request wr;
	uint32_t max_tokens;
	ba_llm_status st;
	struct outcome o;
	char resolved[BA_LLM_MODEL_MAX];
	unsigned tries = 0;

	*attempted = false;
	/* resolve_model says what is wrong in the operator's terms (unknown
	 * provider, missing key) and what to set. */
	if (ba_llm_resolve_model(c->config, model, resolved, sizeof(resolved), msg, msg_len) != 0)
		return BA_LLM_ERR_CONFIG;
	p = ba_llm_find_provider(c->config, model, &part);
	if (!p || !part || !*part) {
		msg_set(msg, msg_len, "%s: no provider is configured for this model", model);
		return BA_LLM_ERR_CONFIG;
	}
	settings = ba_llm_find_model(c->config, model);
	/* 0 = nobody set one: the wire layer knows what each API needs. */
	max_tokens = req->max_tokens ? req->max_tokens : settings ? settings->max_tokens : 0;

	{
		char why[MSG_MAX];
		why[0] = '\0';
		st = ba_llm_wire_build(p, part, req, max_tokens, &wr, why, sizeof(why));
		if (st != BA_LLM_OK) {
			ba_llm_wire_request_release(&wr);
			msg_set(msg, msg_len, "%s: %s", model, why);
			return st;
		}
	}

	for (;;) {
		char line[MSG_MAX + BA_LLM_MODEL_MAX + 64], wait_text[32], max_text[32];
		ba_llm_response answer;
		uint64_t wait;

		if (is_cancelled(req)) {
			st = BA_LLM_ERR_CANCELLED;
			msg_set(msg, msg_len, "%s: cancelled", model);
			break;
		}
		if (deadline_passed(req)) {
			/* Only before the first attempt: waits never reach
			 * the deadline and a failure at it ends the loop. */
			st = BA_LLM_ERR_TIMEOUT;
			msg_set(msg, msg_len, "%s: the deadline passed before the request was sent",
			        model);
			break;
		}
		memset(&answer, 0, sizeof(answer));
		answer.message.role = BA_LLM_ROLE_ASSISTANT;
		attempt(p, part, &wr, req, c->handler, &answer, &c->response->model_ns, &o);
		tries++;
		c->response->attempts++;
		*attempted = true;
		if (o.status == BA_LLM_OK) {
			ba_llm_message_release(&c->response->message);
			c->response->message = answer.message;
			c->response->stop = answer.stop;
			memcpy(c->response->stop_raw, answer.stop_raw, sizeof(answer.stop_raw));
			c->response->usage = answer.usage;
			st = BA_LLM_OK;
			break;
		}
		ba_llm_response_release(&answer);
		st = o.status;
		if (!o.retry || tries > p->max_retries || deadline_passed(req)) {
			give_up(msg, msg_len, model, o.msg, NULL, tries);
			break;
		}
		if (o.has_retry_after && o.retry_after_ms > p->retry_max_ms) {
			/* Waiting that long is not a retry any more; say so
			 * and let the fallback chain (or the user) decide. */
			char why[128];
			ba_llm_format_ms(o.retry_after_ms, wait_text, sizeof(wait_text));
			ba_llm_format_ms(p->retry_max_ms, max_text, sizeof(max_text));
			msg_set(why, sizeof(why),
			        "the server asked to wait %s, longer than the %s retry limit",
			        wait_text, max_text);
			give_up(msg, msg_len, model, o.msg, why, tries);
			break;
		}
		wait = o.has_retry_after ? o.retry_after_ms : backoff_ms(p, tries - 1, &c->rng);
		if (req->deadline_ns && ba_mono_ns() + wait * 1000000ull >= req->deadline_ns) {
			give_up(msg, msg_len, model, o.msg,
			        "no time is left before the deadline to try again", tries);
			break;
		}
		msg_set(line, sizeof(line), "%s: %s", model, o.msg);
		clean_text(c->config, line);
		if (c->handler && c->handler->on_retry)
			c->handler->on_retry(c->handler->user, tries, wait, o.status, line);
		if (!sleep_polling(req, wait)) {
			st = BA_LLM_ERR_CANCELLED;
			msg_set(msg, msg_len, "%s: cancelled", model);
			break;
		}
	}
	ba_llm_wire_request_release(&wr);
	return st;
}

/* ------------------------------------------------------------- the chain */

static bool chain_has(const char *const *chain, size_t n, const char *model)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(chain[i], model) == 0)
			return true;
	return false;
}

static size_t build_chain(const ba_llm_config *config, const ba_llm_request *req,
                          const char **chain)
{
	size_t n = 0;

	chain[n++] = req->model;
	if (req->no_fallback)
		return n;
	if (req->fallbacks && req->fallback_count) {
		for (size_t i = 0; i < req->fallback_count && n < MAX_CHAIN; i++) {
			const char *m = req->fallbacks[i];
			if (m && *m && !chain_has(chain, n, m))
				chain[n++] = m;
		}
	} else {
		for (size_t i = 0; i < config->fallback_count && n < MAX_CHAIN; i++) {
			const char *m = config->fallbacks[i];
			if (*m && !chain_has(chain, n, m))
				chain[n++] = m;
		}
	}
	return n;
}

/* Whether a model's failure hands over to the next one. */
static bool falls_back(ba_llm_status st, bool primary, const ba_llm_request *req)
{
	switch (st) {
	case BA_LLM_ERR_CANCELLED:
	case BA_LLM_ERR_REQUEST:
	case BA_LLM_ERR_NOMEM:
		return false;
	case BA_LLM_ERR_CONFIG:
		return !primary;
	default:
		return !deadline_passed(req);
	}
}

ba_llm_status ba_llm_chat(const ba_llm_config *config, const ba_llm_request *request,
                          const ba_llm_handler *handler, ba_llm_response *response, char *err,
                          size_t err_len)
{
	const char *chain[MAX_CHAIN];
	ba_llm_status failed[MAX_CHAIN];
	bool asked[MAX_CHAIN];
	char last_msg[MSG_MAX + BA_LLM_MODEL_MAX + 256], others[512];
	size_t n, done = 0, last = 0, others_len = 0;
	struct chat c;

	if (err && err_len)
		err[0] = '\0';
	if (!response)
		return BA_LLM_ERR_CONFIG;
	memset(response, 0, sizeof(*response));
	response->message.role = BA_LLM_ROLE_ASSISTANT;
	if (!config || !request || !request->model || !*request->model) {
		msg_set(err, err_len, "no model to ask: the request names none");
		return BA_LLM_ERR_CONFIG;
	}

	memset(&c, 0, sizeof(c));
	c.config = config;
	c.req = request;
	c.handler = handler;
	c.response = response;
	c.rng = ba_mono_ns() ^ ((uint64_t)(uintptr_t)response << 16) ^ 0x9E3779B97F4A7C15ull;
	n = build_chain(config, request, chain);
	last_msg[0] = '\0';

	for (size_t i = 0; i < n; i++) {
		char msg[sizeof(last_msg)];
		ba_llm_status st;

		msg[0] = '\0';
		st = try_model(&c, chain[i], msg, sizeof(msg), &asked[i]);
		if (st == BA_LLM_OK) {
			msg_set(response->model, sizeof(response->model), "%s", chain[i]);
			return BA_LLM_OK;
		}
		clean_text(config, msg);
		failed[i] = st;
		done = i + 1;
		/* The error to end with is the last model really asked; one
		 * skipped for its configuration does not hide why the one
		 * before it failed. */
		if (asked[i] || i == 0 || st == BA_LLM_ERR_CANCELLED) {
			last = i;
			memcpy(last_msg, msg, sizeof(last_msg));
		}
		if (i + 1 >= n || !falls_back(st, i == 0, request))
			break;
		if (handler && handler->on_fallback)
			handler->on_fallback(handler->user, chain[i], chain[i + 1], msg);
	}
	/* The other models that failed, briefly: their full messages went
	 * to on_fallback as they happened. */
	others[0] = '\0';
	for (size_t i = 0; i < done; i++) {
		int w;
		if (i == last || others_len >= sizeof(others))
			continue;
		w = snprintf(others + others_len, sizeof(others) - others_len, "%s%s (%s)",
		             others_len ? ", " : "", chain[i],
		             asked[i] ? ba_llm_status_name(failed[i]) : "not configured");
		if (w > 0)
			others_len += (size_t)w;
	}
	if (others[0])
		msg_set(err, err_len, "%s; also tried %s", last_msg, others);
	else
		msg_set(err, err_len, "%s", last_msg);
	if (err && err_len)
		clean_text(config, err);
	return failed[last];
}
