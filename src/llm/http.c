/*
 * http.c - one streamed POST to a model provider (http.h has the contract).
 *
 * Design notes:
 *   - libcurl is loaded on the first request (core/curl_lib.h): one easy
 *     handle (and, when this libcurl has curl_multi_poll, one multi handle
 *     to wait on it) per attempt, nothing shared, so concurrent calls need
 *     no locking.
 *   - Four clocks bound an attempt: the connect timeout and the
 *     whole-request timeout (the smaller of request_timeout_ms and what is
 *     left before deadline_ns) are libcurl's; the idle timeout and cancel
 *     are ours, checked between poll slices in perform(), in the progress
 *     callback, and in the header and body callbacks as bytes come in. A
 *     cancel while the server is silent is therefore seen within a slice
 *     (about a second with a libcurl that lacks the multi poll).
 *   - The key travels only in the header lines handed to libcurl; our
 *     copies are wiped before they are freed, and every message is passed
 *     through ba_llm_scrub() before it is stored, in a buffer large enough
 *     that truncation cannot leave a piece of the key behind.
 */
#include "llm/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/curl_lib.h"
#include "core/version.h"

#define HOST_TEXT_MAX 300  /* "host:port" in messages             */
#define LOCATION_MAX  1024 /* a redirect's Location, for messages */
#define MSG_WORK      4096 /* messages are built here, then scrubbed */

/* ------------------------------------------------------------ scrubbing */

size_t ba_llm_scrub(char *text, size_t len, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0;
	size_t out = 0, i = 0;
	bool changed = false;

	if (!text || slen == 0 || len < slen)
		return len;
	/* A short secret is masked in place (same length); a longer one
	 * becomes "***", which also hides its length. */
	while (i < len) {
		if (i + slen <= len && memcmp(text + i, secret, slen) == 0) {
			if (slen >= 3) {
				memcpy(text + out, "***", 3);
				out += 3;
			} else {
				memset(text + out, '*', slen);
				out += slen;
			}
			i += slen;
			changed = true;
		} else {
			text[out++] = text[i++];
		}
	}
	if (changed && out < len)
		text[out] = '\0';
	return out;
}

/* --------------------------------------------------- Retry-After values */

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const day_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

/* Reads exactly n digits. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool take_month(const char **p, int *mon)
{
	for (int i = 0; i < 12; i++)
		if (strncmp(*p, month_names[i], 3) == 0) {
			*p += 3;
			*mon = i;
			return true;
		}
	return false;
}

/* "08:49:37" */
static bool take_time(const char **p, struct tm *tm)
{
	return take_digits(p, 2, &tm->tm_hour) && take_lit(p, ":") &&
	       take_digits(p, 2, &tm->tm_min) && take_lit(p, ":") && take_digits(p, 2, &tm->tm_sec);
}

/*
 * The three HTTP-date forms (RFC 9110 section 5.6.7), which a recipient
 * must all accept:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime      "Sun Nov  6 08:49:37 1994"
 * The day name must be one but is not checked against the date: the
 * date is what a server means.
 */
static bool parse_http_date(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p = s;
	int wday = -1;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	for (int i = 0; i < 7 && wday < 0; i++) {
		size_t n = strlen(day_long[i]);
		if (strncmp(p, day_long[i], n) == 0 && p[n] == ',') {
			/* RFC 850 */
			int yy;
			p += n + 1;
			wday = i;
			if (!take_lit(&p, " ") || !take_digits(&p, 2, &tm.tm_mday) ||
			    !take_lit(&p, "-") || !take_month(&p, &tm.tm_mon) ||
			    !take_lit(&p, "-") || !take_digits(&p, 2, &yy) || !take_lit(&p, " ") ||
			    !take_time(&p, &tm) || !take_lit(&p, " GMT"))
				return false;
			/* RFC 9110: a two-digit year more than 50 years in the
			 * future means the past century. Relative to 2000 is
			 * close enough for a retry hint. */
			tm.tm_year = yy < 70 ? yy + 100 : yy;
		}
	}
	if (wday < 0) {
		for (int i = 0; i < 7 && wday < 0; i++)
			if (strncmp(p, day_names[i], 3) == 0)
				wday = i;
		if (wday < 0)
			return false;
		p += 3;
		if (*p == ',') {
			/* IMF-fixdate */
			int year;
			p++;
			if (!take_lit(&p, " ") || !take_digits(&p, 2, &tm.tm_mday) ||
			    !take_lit(&p, " ") || !take_month(&p, &tm.tm_mon) ||
			    !take_lit(&p, " ") || !take_digits(&p, 4, &year) ||
			    !take_lit(&p, " ") || !take_time(&p, &tm) || !take_lit(&p, " GMT"))
				return false;
			tm.tm_year = year - 1900;
		} else {
			/* asctime: the day of the month is space-padded */
			int year;
			if (!take_lit(&p, " ") || !take_month(&p, &tm.tm_mon) || !take_lit(&p, " "))
				return false;
			if (*p == ' ') {
				p++;
				if (!take_digits(&p, 1, &tm.tm_mday))
					return false;
			} else if (!take_digits(&p, 2, &tm.tm_mday)) {
				return false;
			}
			if (!take_lit(&p, " ") || !take_time(&p, &tm) || !take_lit(&p, " ") ||
			    !take_digits(&p, 4, &year))
				return false;
			tm.tm_year = year - 1900;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return false;
	/* 60 is a leap second; timegm() folds it into the next minute. */
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return false;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (int64_t)t;
	return true;
}

int ba_llm_parse_retry_after(const char *value, int64_t now, uint64_t *ms)
{
	const char *p = value, *end;
	char text[64];
	size_t len;

	if (!value || !ms)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	len = (size_t)(end - p);
	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, p, len);
	text[len] = '\0';

	if ((text[0] >= '0' && text[0] <= '9') || (text[0] == '-' && len > 1)) {
		/* delta-seconds; a negative one (invalid, but seen) means now.
		 * Huge values saturate: the caller compares with its limit. */
		uint64_t secs = 0;
		size_t i = text[0] == '-' ? 1 : 0;
		bool negative = i == 1;
		for (; i < len; i++) {
			if (text[i] < '0' || text[i] > '9')
				return -1;
			if (secs < UINT64_MAX / 10000)
				secs = secs * 10 + (uint64_t)(text[i] - '0');
		}
		if (negative)
			secs = 0;
		*ms = secs < UINT64_MAX / 1000 ? secs * 1000 : UINT64_MAX;
		return 0;
	}
	{
		int64_t when;
		if (!parse_http_date(text, &when))
			return -1;
		*ms = when > now ? (uint64_t)(when - now) * 1000u : 0;
		return 0;
	}
}

/* ------------------------------------------------------------ the transfer */

enum abort_why {
	ABORT_NONE = 0,
	ABORT_CANCEL,
	ABORT_IDLE,
	ABORT_BODY,       /* on_body returned non-zero        */
	ABORT_ERROR_FULL, /* the error body reached its cap    */
};

struct transfer {
	const ba_llm_http_request *req;
	ba_llm_http_result *result;
	int status;          /* of the last status line            */
	size_t body_bytes;   /* 2xx body bytes handed to on_body   */
	uint64_t last_rx_ns; /* last byte received (or sent)       */
	curl_off_t last_dl, last_ul;
	uint64_t idle_ns;
	enum abort_why why;
	char location[LOCATION_MAX];
};

static bool cancelled(const ba_llm_http_request *req)
{
	return req->cancel && atomic_load(req->cancel);
}

/* No byte moved either way for the idle timeout. */
static bool idle_expired(const struct transfer *t, uint64_t now)
{
	return t->idle_ns && now > t->last_rx_ns && now - t->last_rx_ns >= t->idle_ns;
}

/* Copies a header value, trimmed, into out (cut to fit). */
static void header_value(const char *v, size_t n, char *out, size_t out_len)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	if (n >= out_len)
		n = out_len - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb;
	const char *colon;

	t->last_rx_ns = ba_mono_ns();
	if (cancelled(t->req)) {
		t->why = ABORT_CANCEL;
		return 0;
	}
	/* A status line starts a response (1xx interim ones come first):
	 * what the previous one said no longer applies. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		size_t i = 5;
		int code = 0, digits = 0;
		while (i < n && data[i] != ' ')
			i++;
		while (i < n && data[i] == ' ')
			i++;
		while (i < n && digits < 3 && data[i] >= '0' && data[i] <= '9') {
			code = code * 10 + (data[i] - '0');
			digits++;
			i++;
		}
		t->status = digits == 3 ? code : 0;
		t->result->has_retry_after = false;
		t->result->retry_after_ms = 0;
		t->location[0] = '\0';
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon)
		return n;
	if ((size_t)(colon - data) == 11 && strncasecmp(data, "Retry-After", 11) == 0) {
		char v[64];
		uint64_t ms;
		header_value(colon + 1, n - 12, v, sizeof(v));
		if (ba_llm_parse_retry_after(v, (int64_t)time(NULL), &ms) == 0) {
			t->result->has_retry_after = true;
			t->result->retry_after_ms = ms;
		}
	} else if ((size_t)(colon - data) == 8 && strncasecmp(data, "Location", 8) == 0) {
		header_value(colon + 1, n - 9, t->location, sizeof(t->location));
	}
	return n;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb;

	t->last_rx_ns = ba_mono_ns();
	if (cancelled(t->req)) {
		t->why = ABORT_CANCEL;
		return 0;
	}
	if (t->status >= 200 && t->status < 300) {
		if (t->req->on_body && t->req->on_body(t->req->user, data, n) != 0) {
			t->why = ABORT_BODY;
			return 0; /* CURLE_WRITE_ERROR */
		}
		t->body_bytes += n;
		return n;
	}
	/* Anything else is an error (or redirect) body, kept for the
	 * message; past the cap the rest is not worth waiting for. */
	{
		ba_buf *b = &t->result->error_body;
		size_t room = b->limit - b->len;
		if (n > room) {
			if (room && ba_buf_append(b, data, room) != 0)
				return 0;
			t->why = ABORT_ERROR_FULL;
			return 0;
		}
		if (ba_buf_append(b, data, n) != 0) {
			t->why = ABORT_ERROR_FULL;
			return 0;
		}
	}
	return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct transfer *t = user;
	uint64_t now = ba_mono_ns();

	if (cancelled(t->req)) {
		t->why = ABORT_CANCEL;
		return 1;
	}
	/* Sending the request counts as activity too: a large request on a
	 * slow link is not an idle server. */
	if (dlnow != t->last_dl || ulnow != t->last_ul) {
		t->last_dl = dlnow;
		t->last_ul = ulnow;
		t->last_rx_ns = now;
	}
	if (idle_expired(t, now)) {
		t->why = ABORT_IDLE;
		return 1;
	}
	return 0;
}

/* Runs the transfer. With the multi interface it waits on the sockets in
 * slices of POLL_SLICE_MS and checks cancel and the idle timeout between
 * them, so both are noticed within a slice even while the server sends
 * nothing (easy_perform calls the progress callback only about once a
 * second then). Without it, easy_perform. */
#define POLL_SLICE_MS 50
static CURLcode perform(const ba_curl_api *api, CURL *h, struct transfer *t)
{
	CURLM *m = api->multi_init ? api->multi_init() : NULL;
	if (!m)
		return api->easy_perform(h);
	if (api->multi_add_handle(m, h) != CURLM_OK) {
		api->multi_cleanup(m);
		return api->easy_perform(h);
	}
	CURLcode rc = CURLE_OK;
	bool done = false;
	int running = 1;
	while (!done) {
		if (api->multi_perform(m, &running) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY; /* the multi handle itself failed */
			break;
		}
		int left = 0;
		CURLMsg *msg;
		while ((msg = api->multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				rc = msg->data.result;
				done = true;
			}
		if (done || !running)
			break;
		if (cancelled(t->req)) {
			t->why = ABORT_CANCEL;
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (idle_expired(t, ba_mono_ns())) {
			t->why = ABORT_IDLE;
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (api->multi_poll(m, NULL, 0, POLL_SLICE_MS, NULL) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY;
			break;
		}
	}
	api->multi_remove_handle(m, h);
	api->multi_cleanup(m);
	return rc;
}

/* ------------------------------------------------------------- messages */

/* "host:port" of url for messages, without userinfo, path or query. */
static void url_host_port(const char *url, char *out, size_t out_len)
{
	const char *p = strstr(url, "://");
	const char *start, *end, *at;
	bool https = strncasecmp(url, "https:", 6) == 0;
	size_t n;

	start = p ? p + 3 : url;
	end = start + strcspn(start, "/?#");
	at = memchr(start, '@', (size_t)(end - start));
	if (at)
		start = at + 1;
	n = (size_t)(end - start);
	if (n == 0) {
		snprintf(out, out_len, "(no host)");
		return;
	}
	/* A port is present when there is a ':' after the host, which for
	 * an IPv6 literal means after its ']'. */
	{
		const char *host_end = start;
		if (start[0] == '[') {
			const char *rb = memchr(start, ']', n);
			host_end = rb ? rb + 1 : end;
		}
		if (memchr(host_end, ':', (size_t)(end - host_end)))
			snprintf(out, out_len, "%.*s", (int)n, start);
		else
			snprintf(out, out_len, "%.*s:%s", (int)n, start, https ? "443" : "80");
	}
}

void ba_llm_format_ms(uint64_t ms, char *out, size_t out_len)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(out, out_len, "%llu s", (unsigned long long)(ms / 1000));
	else if (ms >= 1000)
		snprintf(out, out_len, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(out, out_len, "%llu ms", (unsigned long long)ms);
}

/* Formats the result's message, scrubbing the key before cutting it to
 * size. */
__attribute__((format(printf, 3, 4))) static void
set_message(ba_llm_http_result *result, const char *scrub, const char *fmt, ...)
{
	char work[MSG_WORK];
	va_list ap;
	int n;
	size_t len;

	va_start(ap, fmt);
	n = vsnprintf(work, sizeof(work), fmt, ap);
	va_end(ap);
	if (n < 0)
		work[0] = '\0';
	len = strlen(work);
	len = ba_llm_scrub(work, len, scrub);
	work[len] = '\0';
	snprintf(result->message, sizeof(result->message), "%s", work);
}

static const char *os_error(long err, char *buf, size_t len)
{
	if (err <= 0)
		return "failed";
	/* The GNU strerror_r (we build with _GNU_SOURCE) returns the text. */
	return strerror_r((int)err, buf, len);
}

/* ------------------------------------------------------------------ post */

static void slist_free_wiped(const ba_curl_api *api, struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	if (list)
		api->slist_free_all(list);
}

static bool http_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* Sets an option, remembering the first one libcurl refused: an option
 * that silently did not apply could be a hole (a redirect followed, a
 * protocol allowed). */
#define SETOPT(h, opt, val)                                          \
	do {                                                         \
		if (api->easy_setopt((h), (opt), (val)) != CURLE_OK) \
			bad_opt = bad_opt ? bad_opt : #opt;          \
	} while (0)

ba_llm_status ba_llm_http_post(const ba_llm_http_request *req, ba_llm_http_result *result)
{
	const ba_curl_api *api;
	const char *load_err = NULL, *bad_opt = NULL, *scrub;
	struct curl_slist *headers = NULL;
	struct transfer t;
	char errbuf[CURL_ERROR_SIZE], host[HOST_TEXT_MAX], dur[32], oserr[128];
	uint64_t start = ba_mono_ns(), total_ms = 0;
	bool deadline_bound = false;
	long status = 0, os_errno = 0;
	curl_off_t connect_us = 0;
	CURLcode rc;
	CURL *h;

	memset(result, 0, sizeof(*result));
	ba_buf_init(&result->error_body, BA_LLM_MAX_ERROR_BODY);
	if (!req || !req->url) {
		result->status = BA_LLM_ERR_CONFIG;
		snprintf(result->message, sizeof(result->message), "no URL to send the request to");
		return result->status;
	}
	scrub = req->scrub;
	url_host_port(req->url, host, sizeof(host));
	{
		/* The host text goes into messages; it must not carry the key
		 * either (a key in userinfo is dropped above, but be sure). */
		size_t hl = ba_llm_scrub(host, strlen(host), scrub);
		host[hl] = '\0';
	}

	if (cancelled(req)) {
		result->status = BA_LLM_ERR_CANCELLED;
		set_message(result, NULL, "cancelled");
		return result->status;
	}
	if (!http_url(req->url)) {
		result->status = BA_LLM_ERR_CONFIG;
		set_message(result, scrub, "'%s' is not an http:// or https:// URL", req->url);
		return result->status;
	}
	/* The whole-request limit: the provider's, or what is left before
	 * the caller's deadline when that is sooner. */
	total_ms = req->request_timeout_ms;
	if (req->deadline_ns) {
		uint64_t left_ms;
		if (start >= req->deadline_ns) {
			result->status = BA_LLM_ERR_TIMEOUT;
			set_message(result, NULL,
			            "the deadline passed before the request to %s was sent", host);
			return result->status;
		}
		left_ms = (req->deadline_ns - start + 999999) / 1000000;
		if (total_ms == 0 || left_ms < total_ms) {
			total_ms = left_ms;
			deadline_bound = true;
		}
	}

	api = ba_curl(&load_err);
	if (!api) {
		result->status = BA_LLM_ERR_CONFIG;
		set_message(result, NULL, "%s", load_err ? load_err : "libcurl is not available");
		return result->status;
	}

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.result = result;
	t.last_rx_ns = start;
	t.idle_ns = (uint64_t)req->idle_timeout_ms * 1000000ull;
	errbuf[0] = '\0';

	for (size_t i = 0; i < req->header_count; i++) {
		struct curl_slist *n = api->slist_append(headers, req->headers[i]);
		if (!n)
			goto oom;
		headers = n;
	}
	{
		/* No "Expect: 100-continue" round trip before large bodies. */
		struct curl_slist *n = api->slist_append(headers, "Expect:");
		if (!n)
			goto oom;
		headers = n;
	}

	h = api->easy_init();
	if (!h)
		goto oom;
	SETOPT(h, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	if (api->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    api->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK)
#endif
	{
		/* A libcurl older than the header (7.85 added the _STR forms). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
		SETOPT(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#pragma GCC diagnostic pop
	}
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L); /* long silent streams behind NATs */
	if (req->connect_timeout_ms) {
		uint64_t c = req->connect_timeout_ms;
		if (total_ms && total_ms < c)
			c = total_ms;
		SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c);
	}
	if (total_ms)
		SETOPT(h, CURLOPT_TIMEOUT_MS, (long)total_ms);
	SETOPT(h, CURLOPT_POST, 1L);
	SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	SETOPT(h, CURLOPT_POSTFIELDS, req->body && req->body_len ? req->body : "");
	SETOPT(h, CURLOPT_HTTPHEADER, headers);
	SETOPT(h, CURLOPT_USERAGENT, "boxagent/" BA_VERSION);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &t);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(h, CURLOPT_WRITEDATA, &t);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, &t);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	if (bad_opt) {
		api->easy_cleanup(h);
		slist_free_wiped(api, headers);
		result->status = BA_LLM_ERR_CONFIG;
		set_message(result, NULL, "libcurl refused option %s; the request was not made",
		            bad_opt);
		return result->status;
	}

	rc = perform(api, h, &t);
	api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	api->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	api->easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	api->easy_cleanup(h);
	slist_free_wiped(api, headers);
	headers = NULL;
	result->elapsed_ns = ba_mono_ns() - start;
	result->http_status = status > 0 ? (int)status : t.status;
	{
		/* The error body is scrubbed too: chat.c quotes from it. */
		ba_buf *b = &result->error_body;
		if (b->data) {
			b->len = ba_llm_scrub(b->data, b->len, scrub);
			b->data[b->len] = '\0';
		}
	}
	errbuf[sizeof(errbuf) - 1] = '\0';

	if (t.why == ABORT_CANCEL || (rc != CURLE_OK && cancelled(req))) {
		result->status = BA_LLM_ERR_CANCELLED;
		set_message(result, NULL, "cancelled");
		return result->status;
	}
	if (t.why == ABORT_BODY) {
		result->body_stopped = true;
		result->status = BA_LLM_ERR_PROTOCOL;
		set_message(result, NULL, "the response body was refused after %zu bytes",
		            t.body_bytes);
		return result->status;
	}
	if (t.why == ABORT_ERROR_FULL || rc == CURLE_OK) {
		/* A complete response, or an error body long enough to quote. */
		result->status = BA_LLM_OK;
		if (result->http_status >= 300 && result->http_status < 400)
			set_message(result, scrub, "redirected to %s; redirects are not followed",
			            t.location[0] ? t.location : "(no Location)");
		return result->status;
	}
	if (t.why == ABORT_IDLE) {
		ba_llm_format_ms(req->idle_timeout_ms, dur, sizeof(dur));
		result->status = BA_LLM_ERR_TIMEOUT;
		set_message(result, NULL, "no data for %s from %s", dur, host);
		return result->status;
	}

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		result->status = BA_LLM_ERR_TIMEOUT;
		if (connect_us == 0 && t.status == 0) {
			uint64_t c = req->connect_timeout_ms;
			if (!c || (total_ms && total_ms < c))
				c = total_ms;
			ba_llm_format_ms(c, dur, sizeof(dur));
			set_message(result, NULL, "connect to %s timed out after %s", host, dur);
		} else if (deadline_bound) {
			set_message(result, NULL, "the deadline passed while waiting for %s", host);
		} else {
			ba_llm_format_ms(total_ms, dur, sizeof(dur));
			set_message(result, NULL, "the request to %s took longer than %s", host,
			            dur);
		}
		break;
	case CURLE_COULDNT_CONNECT:
		result->status = BA_LLM_ERR_NETWORK;
		set_message(result, scrub, "connect to %s failed: %s", host,
		            os_errno ? os_error(os_errno, oserr, sizeof(oserr)) : errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		result->status = BA_LLM_ERR_NETWORK;
		set_message(result, scrub, "could not resolve the host in %s: %s", host, errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		result->status = BA_LLM_ERR_NETWORK;
		set_message(result, scrub, "could not resolve the proxy for %s: %s", host, errbuf);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		result->status = BA_LLM_ERR_CONFIG;
		set_message(result, scrub, "libcurl refused the URL '%s': %s", req->url,
		            errbuf[0] ? errbuf : api->easy_strerror(rc));
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		result->status = BA_LLM_ERR_NETWORK;
		set_message(result, scrub, "TLS with %s failed: %s", host,
		            errbuf[0] ? errbuf : api->easy_strerror(rc));
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		result->status = BA_LLM_ERR_NETWORK;
		if (t.body_bytes)
			set_message(result, NULL, "the connection was cut after %zu body bytes",
			            t.body_bytes);
		else if (t.status)
			set_message(
			        result, NULL,
			        "the connection to %s was cut after the response headers (HTTP %d)",
			        host, t.status);
		else
			set_message(result, scrub, "%s closed the connection without an answer: %s",
			            host, errbuf[0] ? errbuf : api->easy_strerror(rc));
		break;
	default:
		result->status = BA_LLM_ERR_NETWORK;
		set_message(result, scrub, "the request to %s failed: %s%s%s", host,
		            api->easy_strerror(rc), errbuf[0] ? ": " : "", errbuf);
		break;
	}
	return result->status;

oom:
	slist_free_wiped(api, headers);
	result->status = BA_LLM_ERR_NOMEM;
	set_message(result, NULL, "out of memory starting the request to %s", host);
	return result->status;
}

#undef SETOPT

void ba_llm_http_result_release(ba_llm_http_result *result)
{
	if (!result)
		return;
	ba_buf_release(&result->error_body);
	memset(result->message, 0, sizeof(result->message));
}
