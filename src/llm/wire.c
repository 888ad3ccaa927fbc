/*
 * wire.c - what both wire formats share: dispatch by API, the decoder's
 * state and its caps, request helpers, and the error-body reader; see
 * wire.h and wire_internal.h. openai.c and anthropic.c hold the formats.
 */
#include "llm/wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

static void set_err(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- text */

void ba_llm__one_line(const char *s, size_t len, size_t max, char *out, size_t out_len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t limit, o = 0, i = 0;

	if (out_len == 0)
		return;
	limit = out_len - 1 < max ? out_len - 1 : max;
	while (i < len) {
		size_t k = ba_utf8_char(s + i, len - i);
		size_t need = k ? k : 1;
		/* Keep room for "..." should anything be left out. */
		if (o + need > limit || (o + need + 3 > limit && i + need < len))
			break;
		if (k == 0)
			out[o++] = '?';
		else if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))
			out[o++] = ' ';
		else
			memcpy(out + o, s + i, k), o += k;
		i += need;
	}
	if (i < len && limit >= 3) {
		/* Only when the last character did not fit at all can "..."
		 * need room taken back; take whole characters. */
		size_t keep = o;
		while (keep + 3 > limit)
			keep--;
		if (keep < o)
			while (keep > 0 && ((unsigned char)out[keep] & 0xc0) == 0x80)
				keep--;
		memcpy(out + keep, "...", 3);
		o = keep + 3;
	}
	out[o] = '\0';
}

json_t *ba_llm__json_str(const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	if (ba_utf8_valid(s, n))
		return json_stringn_nocheck(s, n);
	char *fixed = ba_utf8_replace_invalid(s, n, &n);
	if (!fixed)
		return NULL;
	json_t *v = json_stringn_nocheck(fixed, n);
	free(fixed);
	return v;
}

/* Appends len bytes to b with every NUL made U+FFFD; -1 over the cap. */
static int append_text(ba_buf *b, const char *s, size_t len)
{
	while (len > 0) {
		const char *nul = memchr(s, '\0', len);
		size_t run = nul ? (size_t)(nul - s) : len;
		if (ba_buf_append(b, s, run) != 0)
			return -1;
		if (!nul)
			break;
		if (ba_buf_append(b, replacement, 3) != 0)
			return -1;
		s += run + 1;
		len -= run + 1;
	}
	return 0;
}

/* ------------------------------------------------------------- decoder */

ba_llm_status ba_llm__fail(ba_llm_decoder *d, ba_llm_status status, const char *fmt, ...)
{
	char raw[sizeof(d->message)];
	va_list ap;

	if (d->failed != BA_LLM_OK)
		return d->failed;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		raw[0] = '\0';
	ba_llm__one_line(raw, strlen(raw), sizeof(d->message) - 1, d->message, sizeof(d->message));
	d->failed = status;
	return status;
}

const char *ba_llm__where(const ba_llm_decoder *d, char *buf, size_t len)
{
	if (d->json)
		return "the answer";
	snprintf(buf, len, "event %zu", d->events);
	return buf;
}

json_t *ba_llm__parse(ba_llm_decoder *d, const char *data, size_t len)
{
	json_error_t e;
	char where[32];

	/* JSON_ALLOW_NUL: "\u0000" in a model's text is odd but not a broken
	 * stream; ba_llm__text() makes it U+FFFD. */
	json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, &e);
	if (!root && d->at_end && d->api == BA_LLM_API_OPENAI && d->have_stop)
		return NULL; /* complete already; only usage or [DONE] was cut */
	if (!root && d->at_end) {
		/* The last event had no blank line after it and does not
		 * parse: the stream was cut inside it. */
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
		             "the stream ended before %s (after %zu bytes, %zu events, the last "
		             "one cut short)",
		             d->api == BA_LLM_API_OPENAI ? "[DONE]" : "message_stop", d->bytes,
		             d->events);
		return NULL;
	}
	if (!root) {
		if (e.line > 1)
			ba_llm__fail(d, BA_LLM_ERR_PROTOCOL,
			             "%s: invalid JSON at line %d, column %d: %s",
			             ba_llm__where(d, where, sizeof(where)), e.line, e.column,
			             e.text);
		else
			ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: invalid JSON at column %d: %s",
			             ba_llm__where(d, where, sizeof(where)), e.column, e.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "%s: expected a JSON object",
		             ba_llm__where(d, where, sizeof(where)));
		return NULL;
	}
	return root;
}

ba_llm_status ba_llm__text(ba_llm_decoder *d, const char *s, size_t len)
{
	size_t before = d->text.len;
	char where[32];

	if (len == 0)
		return BA_LLM_OK;
	if (append_text(&d->text, s, len) != 0) {
		d->text.len = before;
		if (d->text.data)
			d->text.data[before] = '\0';
		return ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE,
		                    "%s: the answer's text is over the %u MiB limit",
		                    ba_llm__where(d, where, sizeof(where)), BA_LLM_MAX_TEXT >> 20);
	}
	if (d->handler.on_text)
		d->handler.on_text(d->handler.user, d->text.data + before, d->text.len - before);
	return BA_LLM_OK;
}

ba_llm__call *ba_llm__call_get(ba_llm_decoder *d, int64_t key, bool create)
{
	char where[32];

	for (size_t i = 0; i < d->call_count; i++)
		if (d->calls[i].key == key)
			return &d->calls[i];
	if (!create)
		return NULL;
	if (d->call_count == BA_LLM_MAX_TOOL_CALLS) {
		ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE, "%s: more than %d tool calls in one answer",
		             ba_llm__where(d, where, sizeof(where)), BA_LLM_MAX_TOOL_CALLS);
		return NULL;
	}
	ba_llm__call *c = &d->calls[d->call_count++];
	memset(c, 0, sizeof(*c));
	c->key = key;
	ba_buf_init(&c->args, BA_LLM_MAX_ARGS);
	return c;
}

ba_llm_status ba_llm__call_set(ba_llm_decoder *d, char **field, const char *what, const char *s,
                               size_t len)
{
	char where[32];
	ba_buf b;

	if (*field || len == 0)
		return BA_LLM_OK;
	ba_buf_init(&b, BA_LLM_WIRE_MAX_NAME);
	if (append_text(&b, s, len) != 0) {
		ba_buf_release(&b);
		return ba_llm__fail(
		        d, BA_LLM_ERR_TOO_LARGE, "%s: a tool call's %s is over %d bytes",
		        ba_llm__where(d, where, sizeof(where)), what, BA_LLM_WIRE_MAX_NAME);
	}
	*field = ba_buf_detach(&b, NULL);
	if (!*field)
		return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
	return BA_LLM_OK;
}

ba_llm_status ba_llm__call_args(ba_llm_decoder *d, ba_llm__call *c, const char *s, size_t len)
{
	size_t before = c->args.len;
	char where[32];

	if (append_text(&c->args, s, len) != 0) {
		c->args.len = before;
		if (c->args.data)
			c->args.data[before] = '\0';
		return ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE,
		                    "%s: the arguments of tool call %zu are over the %u MiB limit",
		                    ba_llm__where(d, where, sizeof(where)),
		                    (size_t)(c - d->calls) + 1, BA_LLM_MAX_ARGS >> 20);
	}
	return BA_LLM_OK;
}

void ba_llm__call_announce(ba_llm_decoder *d, ba_llm__call *c)
{
	if (c->announced || !c->name)
		return;
	c->announced = true;
	if (d->handler.on_tool_call)
		d->handler.on_tool_call(d->handler.user, (size_t)(c - d->calls), c->id ? c->id : "",
		                        c->name);
}

void ba_llm__set_stop(ba_llm_decoder *d, ba_llm_stop stop, const char *raw)
{
	d->have_stop = true;
	d->stop = stop;
	ba_llm__one_line(raw, strlen(raw), sizeof(d->stop_raw) - 1, d->stop_raw,
	                 sizeof(d->stop_raw));
}

static bool has_rate_limit(const char *s)
{
	return s && strstr(s, "rate_limit");
}

ba_llm_status ba_llm__server_error(ba_llm_decoder *d, const json_t *error)
{
	const char *message = NULL, *type = NULL, *code = NULL;
	char where[32], quoted[BA_LLM_WIRE_QUOTE_MAX + 1], type_q[80];
	bool rate = false;

	if (json_is_string(error)) {
		message = json_string_value(error);
	} else if (json_is_object(error)) {
		json_t *c = json_object_get(error, "code");
		message = json_string_value(json_object_get(error, "message"));
		type = json_string_value(json_object_get(error, "type"));
		code = json_string_value(c);
		rate = json_is_integer(c) && json_integer_value(c) == 429;
	}
	rate = rate || has_rate_limit(type) || has_rate_limit(code);
	if (!message || !*message)
		message = "(no message)";
	ba_llm__one_line(message, strlen(message), BA_LLM_WIRE_QUOTE_MAX, quoted, sizeof(quoted));
	if (type && *type) {
		ba_llm__one_line(type, strlen(type), 64, type_q, sizeof(type_q));
		return ba_llm__fail(d, rate ? BA_LLM_ERR_RATE_LIMIT : BA_LLM_ERR_SERVER,
		                    "%s: the server sent an error: %s: %s",
		                    ba_llm__where(d, where, sizeof(where)), type_q, quoted);
	}
	return ba_llm__fail(d, rate ? BA_LLM_ERR_RATE_LIMIT : BA_LLM_ERR_SERVER,
	                    "%s: the server sent an error: %s",
	                    ba_llm__where(d, where, sizeof(where)), quoted);
}

bool ba_llm__json_count(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One server-sent event: what both formats share, then the format's own
 * handling of the JSON. */
static ba_llm_status handle_event(ba_llm_decoder *d, const char *event, const char *data,
                                  size_t len)
{
	char where[32], quoted[BA_LLM_WIRE_QUOTE_MAX + 1];

	if (d->done)
		return BA_LLM_OK; /* nothing after [DONE] or message_stop counts */
	while (len > 0 && blank(*data))
		data++, len--;
	while (len > 0 && blank(data[len - 1]))
		len--;
	if (len == 0)
		return BA_LLM_OK; /* a keep-alive some servers send as data */
	if (d->api == BA_LLM_API_OPENAI && len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		d->done = true;
		return BA_LLM_OK;
	}
	if (strcmp(event, "error") == 0 && data[0] != '{') {
		/* Some servers name an error event and send plain text. */
		ba_llm__one_line(data, len, BA_LLM_WIRE_QUOTE_MAX, quoted, sizeof(quoted));
		return ba_llm__fail(d, BA_LLM_ERR_SERVER, "%s: the server sent an error: %s",
		                    ba_llm__where(d, where, sizeof(where)), quoted);
	}
	json_t *root = ba_llm__parse(d, data, len);
	if (!root)
		return d->failed;
	ba_llm_status st = d->api == BA_LLM_API_OPENAI ? ba_llm__openai_event(d, event, root)
	                                               : ba_llm__anthropic_event(d, event, root);
	json_decref(root);
	return st;
}

static int on_sse_event(void *user, const char *event, const char *data, size_t len)
{
	ba_llm_decoder *d = user;

	d->events++;
	if (d->failed != BA_LLM_OK)
		return 1;
	return handle_event(d, event, data, len) == BA_LLM_OK ? 0 : 1;
}

ba_llm_decoder *ba_llm_decoder_new(ba_llm_api api, const ba_llm_handler *handler)
{
	if (api != BA_LLM_API_OPENAI && api != BA_LLM_API_ANTHROPIC)
		return NULL;
	ba_llm_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->api = api;
	if (handler)
		d->handler = *handler;
	ba_sse_init(&d->sse, BA_LLM_MAX_SSE_EVENT, on_sse_event, d);
	ba_buf_init(&d->body, BA_LLM_WIRE_MAX_JSON_ANSWER);
	ba_buf_init(&d->text, BA_LLM_MAX_TEXT);
	return d;
}

static ba_llm_status report(ba_llm_decoder *d, char *err, size_t err_len)
{
	if (d->failed != BA_LLM_OK)
		set_err(err, err_len, "%s", d->message);
	else
		set_err(err, err_len, "%s", "");
	return d->failed;
}

/* The SSE parser refused input: a line or an event over the cap. */
static void sse_refused(ba_llm_decoder *d)
{
	ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE,
	             "event %zu: a server-sent event or line is over the %u MiB limit",
	             d->events + 1, BA_LLM_MAX_SSE_EVENT >> 20);
}

ba_llm_status ba_llm_decoder_feed(ba_llm_decoder *d, const char *data, size_t len, char *err,
                                  size_t err_len)
{
	if (d->failed != BA_LLM_OK)
		return report(d, err, err_len);
	if (d->finished) {
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "input after the end of the answer");
		return report(d, err, err_len);
	}
	d->bytes += len;
	if (!d->decided) {
		/* Blank bytes before the first event or the JSON answer are
		 * nothing either way; the first other byte decides. */
		while (len > 0 && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n'))
			data++, len--;
		if (len == 0)
			return report(d, err, err_len);
		d->decided = true;
		d->json = *data == '{';
	}
	if (d->json) {
		if (ba_buf_append(&d->body, data, len) != 0)
			ba_llm__fail(d, BA_LLM_ERR_TOO_LARGE, "the answer is over the %u MiB limit",
			             BA_LLM_WIRE_MAX_JSON_ANSWER >> 20);
	} else if (ba_sse_feed(&d->sse, data, len) != 0 && d->failed == BA_LLM_OK) {
		sse_refused(d);
	}
	return report(d, err, err_len);
}

/* Moves the answer into response (every call has its id and name by
 * now). */
static ba_llm_status deliver(ba_llm_decoder *d, ba_llm_response *response)
{
	ba_llm_message msg;

	memset(&msg, 0, sizeof(msg));
	msg.role = BA_LLM_ROLE_ASSISTANT;
	if (d->call_count) {
		msg.tool_calls = calloc(d->call_count, sizeof(*msg.tool_calls));
		if (!msg.tool_calls)
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < d->call_count; i++) {
		ba_llm__call *c = &d->calls[i];
		/* No arguments at all means none: "{}" is what the tool
		 * expects, where "" would read as invalid JSON. */
		bool args_ok = c->args.len > 0 ||
		               ba_buf_append_str(&c->args, c->fallback ? c->fallback : "{}") == 0;
		char *args = args_ok ? ba_buf_detach(&c->args, NULL) : NULL;
		if (!c->id || !c->name || !args) {
			free(args);
			msg.tool_call_count = i;
			ba_llm_message_release(&msg);
			if (!args_ok && c->args.len == 0 && c->fallback)
				return ba_llm__fail(
				        d, BA_LLM_ERR_TOO_LARGE,
				        "the arguments of tool call %zu are over the %u "
				        "MiB limit",
				        i + 1, BA_LLM_MAX_ARGS >> 20);
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
		}
		msg.tool_calls[i].id = c->id;
		msg.tool_calls[i].name = c->name;
		msg.tool_calls[i].arguments = args;
		c->id = c->name = NULL;
		free(c->fallback);
		c->fallback = NULL;
	}
	msg.tool_call_count = d->call_count;
	d->call_count = 0;
	if (d->text.len) {
		msg.text = ba_buf_detach(&d->text, NULL);
		if (!msg.text) {
			ba_llm_message_release(&msg);
			return ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
		}
	}
	response->message = msg;
	if (!d->have_stop) {
		d->stop = msg.tool_call_count ? BA_LLM_STOP_TOOL_CALLS : BA_LLM_STOP_END;
		d->stop_raw[0] = '\0';
	} else if (d->stop == BA_LLM_STOP_END && msg.tool_call_count) {
		/* Some compatible servers say "stop" beside tool calls; the
		 * calls are what the model wants done. */
		d->stop = BA_LLM_STOP_TOOL_CALLS;
	}
	response->stop = d->stop;
	memcpy(response->stop_raw, d->stop_raw, sizeof(response->stop_raw));
	response->usage = d->usage;
	return BA_LLM_OK;
}

ba_llm_status ba_llm_decoder_finish(ba_llm_decoder *d, ba_llm_response *response, char *err,
                                    size_t err_len)
{
	ba_llm_status st;

	if (d->failed != BA_LLM_OK)
		return report(d, err, err_len);
	if (d->finished) {
		ba_llm__fail(d, BA_LLM_ERR_PROTOCOL, "the answer was already finished");
		return report(d, err, err_len);
	}
	d->finished = true;
	if (d->json) {
		json_t *root = ba_llm__parse(d, d->body.data, d->body.len);
		if (!root)
			return report(d, err, err_len);
		json_t *error = json_object_get(root, "error");
		if (error && !json_is_null(error))
			st = ba_llm__server_error(d, error);
		else if (d->api == BA_LLM_API_OPENAI)
			st = ba_llm__openai_answer(d, root);
		else
			st = ba_llm__anthropic_answer(d, root);
		json_decref(root);
		ba_buf_release(&d->body);
		if (st != BA_LLM_OK)
			return report(d, err, err_len);
	} else {
		/* An event still pending is dispatched now (see sse.h). */
		d->at_end = true;
		if (ba_sse_finish(&d->sse) != 0) {
			if (d->failed == BA_LLM_OK)
				sse_refused(d);
			return report(d, err, err_len);
		}
	}
	st = d->api == BA_LLM_API_OPENAI ? ba_llm__openai_finish(d) : ba_llm__anthropic_finish(d);
	if (st != BA_LLM_OK)
		return report(d, err, err_len);
	for (size_t i = 0; i < d->call_count; i++) {
		ba_llm__call *c = &d->calls[i];
		char id[32];
		/* Some compatible servers give no id; the conversation still
		 * needs one to pair the result with the call. */
		snprintf(id, sizeof(id), "call_%zu", i + 1);
		if (!c->id && !(c->id = strdup(id))) {
			ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
			return report(d, err, err_len);
		}
		/* A call that never got a name is announced all the same: the
		 * agent reports it back to the model as an unknown tool. */
		if (!c->name && !(c->name = strdup(""))) {
			ba_llm__fail(d, BA_LLM_ERR_NOMEM, "out of memory");
			return report(d, err, err_len);
		}
		ba_llm__call_announce(d, c);
	}
	deliver(d, response);
	return report(d, err, err_len);
}

size_t ba_llm_decoder_bytes(const ba_llm_decoder *d)
{
	return d->bytes;
}

void ba_llm_decoder_free(ba_llm_decoder *d)
{
	if (!d)
		return;
	ba_sse_release(&d->sse);
	ba_buf_release(&d->body);
	ba_buf_release(&d->text);
	for (size_t i = 0; i < d->call_count; i++) {
		free(d->calls[i].id);
		free(d->calls[i].name);
		free(d->calls[i].fallback);
		ba_buf_release(&d->calls[i].args);
	}
	free(d->blocks);
	free(d);
}

/* ------------------------------------------------------------- requests */

ba_llm_status ba_llm__set_url(const ba_llm_provider *p, const char *path, ba_llm_wire_request *out,
                              char *err, size_t err_len)
{
	size_t n = strnlen(p->base_url, sizeof(p->base_url));

	if (n == sizeof(p->base_url)) {
		set_err(err, err_len, "the base URL of provider '%s' is too long", p->name);
		return BA_LLM_ERR_CONFIG;
	}
	while (n > 0 && p->base_url[n - 1] == '/')
		n--;
	if (n == 0) {
		set_err(err, err_len, "provider '%s' has no base URL", p->name);
		return BA_LLM_ERR_CONFIG;
	}
	int w = snprintf(out->url, sizeof(out->url), "%.*s%s", (int)n, p->base_url, path);
	if (w < 0 || (size_t)w >= sizeof(out->url)) {
		set_err(err, err_len, "the base URL of provider '%s' is too long", p->name);
		return BA_LLM_ERR_CONFIG;
	}
	return BA_LLM_OK;
}

void ba_llm__key_what(const ba_llm_provider *p, char *buf, size_t len)
{
	snprintf(buf, len, "the API key from %s", p->key_source[0] ? p->key_source : p->name);
}

ba_llm_status ba_llm__base_headers(ba_llm_wire_request *out, char *err, size_t err_len)
{
	ba_llm_status st = ba_llm__add_header(out, "Content-Type", "application/json",
	                                      "Content-Type", err, err_len);
	if (st == BA_LLM_OK)
		st = ba_llm__add_header(out, "Accept", "text/event-stream", "Accept", err, err_len);
	return st;
}

ba_llm_status ba_llm__add_header(ba_llm_wire_request *out, const char *name, const char *value,
                                 const char *what, char *err, size_t err_len)
{
	for (const unsigned char *v = (const unsigned char *)value; *v; v++)
		if ((*v < 0x20 && *v != '\t') || *v == 0x7f) {
			/* Never quote the value: it may be a key. */
			set_err(err, err_len, "%s holds a line break or control character", what);
			return BA_LLM_ERR_CONFIG;
		}
	if (out->header_count == BA_LLM_WIRE_MAX_HEADERS) {
		set_err(err, err_len, "too many request headers");
		return BA_LLM_ERR_CONFIG;
	}
	size_t len = strlen(name) + 2 + strlen(value) + 1;
	char *line = malloc(len);
	if (!line) {
		set_err(err, err_len, "out of memory");
		return BA_LLM_ERR_NOMEM;
	}
	snprintf(line, len, "%s: %s", name, value);
	out->headers[out->header_count++] = line;
	return BA_LLM_OK;
}

bool ba_llm__put(json_t *o, const char *key, json_t *v)
{
	if (!o || !v) {
		json_decref(v);
		return false;
	}
	return json_object_set_new(o, key, v) == 0;
}

bool ba_llm__push(json_t *a, json_t *v)
{
	if (!a || !v) {
		json_decref(v);
		return false;
	}
	return json_array_append_new(a, v) == 0;
}

typedef struct dump_state {
	ba_buf *body;
	bool over; /* an append failed for the cap, not for memory */
} dump_state;

static int dump_cb(const char *buffer, size_t size, void *data)
{
	dump_state *s = data;
	if (ba_buf_append(s->body, buffer, size) == 0)
		return 0;
	s->over = size > s->body->limit - s->body->len;
	return -1;
}

ba_llm_status ba_llm__dump_body(json_t *root, ba_llm_wire_request *out, char *err, size_t err_len)
{
	dump_state s = {.body = &out->body};

	ba_buf_reset(&out->body);
	if (json_dump_callback(root, dump_cb, &s, JSON_COMPACT) == 0)
		return BA_LLM_OK;
	if (s.over) {
		set_err(err, err_len, "the request is over the %u MiB limit",
		        BA_LLM_MAX_REQUEST >> 20);
		ba_buf_release(&out->body);
		return BA_LLM_ERR_TOO_LARGE;
	}
	ba_buf_release(&out->body);
	set_err(err, err_len, "out of memory");
	return BA_LLM_ERR_NOMEM;
}

json_t *ba_llm__tool_schema(const ba_llm_tool_def *tool, char *err, size_t err_len)
{
	json_error_t e;

	if (!tool->input_schema || !*tool->input_schema) {
		json_t *o = json_pack("{s:s, s:{}}", "type", "object", "properties");
		if (!o)
			set_err(err, err_len, "out of memory");
		return o;
	}
	json_t *schema = json_loads(tool->input_schema, JSON_REJECT_DUPLICATES, &e);
	if (!schema) {
		set_err(err, err_len,
		        "tool '%s': its input schema is not valid JSON (line %d, column %d: %s)",
		        tool->name, e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(schema)) {
		json_decref(schema);
		set_err(err, err_len, "tool '%s': its input schema is not a JSON object",
		        tool->name);
		return NULL;
	}
	return schema;
}

json_t *ba_llm__tool_json(const ba_llm_tool_def *t, const char *schema_key, char *err,
                          size_t err_len, ba_llm_status *st)
{
	json_t *schema = ba_llm__tool_schema(t, err, err_len);

	if (!schema) {
		*st = BA_LLM_ERR_CONFIG;
		return NULL;
	}
	json_t *tool = json_object();
	bool ok = ba_llm__put(tool, "name", ba_llm__json_str(t->name));
	if (ok && t->description)
		ok = ba_llm__put(tool, "description", ba_llm__json_str(t->description));
	ok = ba_llm__put(ok ? tool : NULL, schema_key, schema);
	if (!ok) {
		json_decref(tool);
		set_err(err, err_len, "out of memory");
		*st = BA_LLM_ERR_NOMEM;
		return NULL;
	}
	return tool;
}

ba_llm_status ba_llm_wire_build(const ba_llm_provider *p, const char *model_part,
                                const ba_llm_request *req, uint32_t max_tokens,
                                ba_llm_wire_request *out, char *err, size_t err_len)
{
	ba_llm_status st;

	memset(out, 0, sizeof(*out));
	ba_buf_init(&out->body, BA_LLM_MAX_REQUEST);
	set_err(err, err_len, "%s", "");
	if (!p || !req) {
		set_err(err, err_len, "no provider or request");
		return BA_LLM_ERR_CONFIG;
	}
	if (!model_part || !*model_part) {
		set_err(err, err_len, "no model name for provider '%s'", p->name);
		return BA_LLM_ERR_CONFIG;
	}
	if ((req->message_count && !req->messages) || (req->tool_count && !req->tools)) {
		set_err(err, err_len, "the request has counts without arrays");
		return BA_LLM_ERR_CONFIG;
	}
	for (size_t i = 0; i < req->tool_count; i++)
		if (!req->tools[i].name || !*req->tools[i].name) {
			set_err(err, err_len, "tool %zu has no name", i + 1);
			return BA_LLM_ERR_CONFIG;
		}
	for (size_t i = 0; i < req->message_count; i++)
		if (req->messages[i].role > BA_LLM_ROLE_TOOL) {
			set_err(err, err_len, "message %zu has an unknown role (%d)", i + 1,
			        (int)req->messages[i].role);
			return BA_LLM_ERR_CONFIG;
		}
	switch (p->api) {
	case BA_LLM_API_OPENAI:
		st = ba_llm__openai_build(p, model_part, req, max_tokens, out, err, err_len);
		break;
	case BA_LLM_API_ANTHROPIC:
		st = ba_llm__anthropic_build(p, model_part, req, max_tokens, out, err, err_len);
		break;
	default:
		set_err(err, err_len, "provider '%s' has an unknown API (%d)", p->name,
		        (int)p->api);
		st = BA_LLM_ERR_CONFIG;
		break;
	}
	if (st != BA_LLM_OK) {
		/* out stays initialised: release() is safe and wipes the key. */
		for (size_t i = 0; i < out->header_count; i++) {
			explicit_bzero(out->headers[i], strlen(out->headers[i]));
			free(out->headers[i]);
			out->headers[i] = NULL;
		}
		out->header_count = 0;
		ba_buf_release(&out->body);
	}
	return st;
}

void ba_llm_wire_request_release(ba_llm_wire_request *wr)
{
	if (!wr)
		return;
	for (size_t i = 0; i < wr->header_count && i < BA_LLM_WIRE_MAX_HEADERS; i++) {
		if (wr->headers[i]) {
			explicit_bzero(wr->headers[i], strlen(wr->headers[i]));
			free(wr->headers[i]);
		}
		wr->headers[i] = NULL;
	}
	wr->header_count = 0;
	ba_buf_release(&wr->body);
	memset(wr->url, 0, sizeof(wr->url));
}

/* ------------------------------------------------------------- errors */

void ba_llm_error_body_message(const char *body, size_t len, char *out, size_t out_len)
{
	const char *msg = NULL;
	json_t *root = NULL;

	if (out_len == 0)
		return;
	out[0] = '\0';
	if (!body || len == 0)
		return;
	root = json_loadb(body, len, 0, NULL);
	if (json_is_object(root)) {
		json_t *e = json_object_get(root, "error");
		if (json_is_string(e)) {
			msg = json_string_value(e); /* Ollama, some proxies */
		} else if (json_is_object(e)) {
			/* OpenAI and Anthropic both nest it in "error". */
			msg = json_string_value(json_object_get(e, "message"));
			if (!msg || !*msg)
				msg = json_string_value(json_object_get(e, "type"));
		}
		if (!msg || !*msg)
			msg = json_string_value(json_object_get(root, "message"));
		if (!msg || !*msg)
			msg = json_string_value(json_object_get(root, "detail")); /* FastAPI */
	}
	if (msg && *msg) {
		ba_llm__one_line(msg, strlen(msg), 500, out, out_len);
	} else {
		/* Not a known shape: the first non-blank line says most. */
		while (len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n'))
			body++, len--;
		const char *nl = memchr(body, '\n', len);
		size_t n = nl ? (size_t)(nl - body) : len;
		while (n > 0 && (body[n - 1] == '\r' || body[n - 1] == ' '))
			n--;
		ba_llm__one_line(body, n, BA_LLM_WIRE_QUOTE_MAX, out, out_len);
	}
	json_decref(root);
}
