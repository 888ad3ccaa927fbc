/*
 * Unit tests for src/llm/http.c: one streamed POST against a real HTTP
 * server on loopback ($BUILD/tests/fakellm, tests/support/fakellm.c)
 * playing small inline scripts written to a temporary folder, plus the
 * Retry-After parser and the key scrubber on their own.
 */
#include "test.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "llm/http.h"
#include "support/server.h"

/* ------------------------------------------------------------ a request */

struct sink {
	char data[1 << 16];
	size_t len;
	unsigned calls;
	int stop_after; /* > 0: return non-zero on that call */
};

static int sink_body(void *user, const char *data, size_t len)
{
	struct sink *s = user;
	s->calls++;
	if (s->len + len < sizeof(s->data)) {
		memcpy(s->data + s->len, data, len);
		s->len += len;
		s->data[s->len] = '\0';
	}
	return s->stop_after > 0 && (int)s->calls >= s->stop_after;
}

static const char *const default_headers[] = {
        "Content-Type: application/json",
        "Authorization: Bearer sk-test-SECRET-0123456789",
        "X-Test: one",
};

static void request_init(ba_llm_http_request *req, char *url, size_t url_len,
                         const ba_test_server *s, struct sink *sink)
{
	static const char body[] = "{\"model\":\"m\",\"stream\":true}";

	snprintf(url, url_len, "http://127.0.0.1:%u/v1/chat/completions", s ? s->port : 1u);
	memset(req, 0, sizeof(*req));
	req->url = url;
	req->headers = default_headers;
	req->header_count = 3;
	req->body = body;
	req->body_len = sizeof(body) - 1;
	req->connect_timeout_ms = 5000;
	req->idle_timeout_ms = 10000;
	req->request_timeout_ms = 20000;
	req->on_body = sink_body;
	req->user = sink;
	req->scrub = "sk-test-SECRET-0123456789";
}

/* ------------------------------------------------------------ the cases */

TEST(post_streams_a_2xx_body_in_pieces)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body data: one\\n\\n\n"
	                                         "body data: two\\n\\n\n"
	                                         "chunk 5\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128], *logged;

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.status, BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 200);
	CHECK(!r.body_stopped);
	CHECK(!r.has_retry_after);
	CHECK_EQ_STR(sink.data, "data: one\n\ndata: two\n\n");
	CHECK(sink.calls >= 2); /* 22 bytes in 5-byte pieces arrive apart */
	CHECK_EQ_UINT(r.error_body.len, 0);
	CHECK(r.elapsed_ns > 0);

	/* What was sent: a POST with our headers and the body, once. */
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	logged = ba_test_fakellm_request(s.log, 1, NULL);
	CHECK(logged != NULL);
	CHECK(strncmp(logged, "POST /v1/chat/completions HTTP/1.1\r\n", 36) == 0);
	CHECK_CONTAINS(logged, "\r\nX-Test: one\r\n");
	CHECK_CONTAINS(logged, "\r\nAuthorization: Bearer sk-test-SECRET-0123456789\r\n");
	CHECK_CONTAINS(logged, "\r\nUser-Agent: boxagent/");
	CHECK(!strstr(logged, "Expect:"));
	CHECK_CONTAINS(logged, "\r\n\r\n{\"model\":\"m\",\"stream\":true}");
	free(logged);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_keeps_an_error_body_apart)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "status 500\n"
	                                         "header Content-Type: application/json\n"
	                                         "body {\"error\":{\"message\":\"boom\"}}\n"
	                                         "framing length\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 500);
	CHECK_EQ_UINT(sink.calls, 0); /* the decoder never sees an error body */
	CHECK_EQ_STR(r.error_body.data, "{\"error\":{\"message\":\"boom\"}}");
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_caps_the_error_body)
{
	ba_test_server s;
	char big_path[300], url[128];
	size_t big = 3 * BA_LLM_MAX_ERROR_BODY;
	char *text = malloc(big);
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};

	CHECK(text != NULL);
	memset(text, 'e', big);
	s = ba_test_server_dir();
	snprintf(big_path, sizeof(big_path), "%s/big", s.dir);
	ba_test_write_file(big_path, text, big);
	free(text);
	ba_test_fakellm_start_in(&s, "response\nstatus 503\nfile big\nchunk 4096\nend\n");
	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 503);
	CHECK_EQ_UINT(r.error_body.len, BA_LLM_MAX_ERROR_BODY);
	CHECK_EQ_INT(r.error_body.data[0], 'e');
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_reads_retry_after_seconds)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "status 429\n"
	                                         "header Retry-After: 7\n"
	                                         "body {\"error\":{\"message\":\"slow down\"}}\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 429);
	CHECK(r.has_retry_after);
	CHECK_EQ_UINT(r.retry_after_ms, 7000);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_reads_retry_after_dates)
{
	char script[512], date[64], url[128];
	time_t when = time(NULL) + 30;
	struct tm tm;
	ba_test_server s;
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};

	CHECK(gmtime_r(&when, &tm) != NULL);
	CHECK(strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
	snprintf(script, sizeof(script), "response\nstatus 503\nheader Retry-After: %s\nend\n",
	         date);
	s = ba_test_fakellm_start(script);
	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 503);
	CHECK(r.has_retry_after);
	CHECK(r.retry_after_ms >= 28000 && r.retry_after_ms <= 30000);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_does_not_follow_redirects)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "status 301\n"
	                                         "header Location: https://api.example.test/v1/x\n"
	                                         "end\n"
	                                         "response\n"
	                                         "body data: should not be asked for\\n\\n\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 301);
	CHECK_CONTAINS(r.message, "redirected to https://api.example.test/v1/x");
	CHECK_EQ_UINT(sink.calls, 0);
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_scrubs_the_key_from_messages_and_error_bodies)
{
	ba_test_server s = ba_test_fakellm_start(
	        "response\n"
	        "status 302\n"
	        "header Location: http://x.test/?key=sk-test-SECRET-0123456789\n"
	        "body you sent sk-test-SECRET-0123456789, which is wrong\n"
	        "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_OK);
	CHECK_EQ_INT(r.http_status, 302);
	CHECK_CONTAINS(r.message, "http://x.test/?key=***");
	CHECK(!strstr(r.message, "SECRET"));
	CHECK_EQ_STR(r.error_body.data, "you sent ***, which is wrong");
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_reports_connection_refused_with_the_address)
{
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128], want[64];
	unsigned port = ba_test_closed_port();

	request_init(&req, url, sizeof(url), NULL, &sink);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/chat/completions", port);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_NETWORK);
	CHECK_EQ_INT(r.http_status, 0);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u failed: Connection refused", port);
	CHECK_EQ_STR(r.message, want);
	ba_llm_http_result_release(&r);
}

TEST(post_names_the_host_without_userinfo_and_with_the_default_port)
{
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128], want[64];
	unsigned port = ba_test_closed_port();

	request_init(&req, url, sizeof(url), NULL, &sink);
	snprintf(url, sizeof(url), "http://me:sk-test-SECRET-0123456789@[::1]:%u/v1", port);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_NETWORK);
	snprintf(want, sizeof(want), "connect to [::1]:%u failed: ", port);
	CHECK(strncmp(r.message, want, strlen(want)) == 0);
	CHECK(!strstr(r.message, "me:"));
	ba_llm_http_result_release(&r);

	/* Port 80 on loopback is not expected to be served here; the
	 * message must still name it. */
	snprintf(url, sizeof(url), "http://127.0.0.1/v1");
	if (ba_llm_http_post(&req, &r) == BA_LLM_ERR_NETWORK)
		CHECK_CONTAINS(r.message, "connect to 127.0.0.1:80 failed: ");
	ba_llm_http_result_release(&r);
}

TEST(post_reports_a_cut_stream_with_its_byte_count)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body data: 0123456789\\n\\ndata: more\\n\\n\n"
	                                         "chunk 8\n"
	                                         "cut_after 16\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_NETWORK);
	CHECK_EQ_INT(r.http_status, 200);
	CHECK_EQ_UINT(sink.len, 16);
	CHECK_EQ_STR(r.message, "the connection was cut after 16 body bytes");
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_stops_when_the_reader_refuses_the_body)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body aaaabbbbccccdddd\n"
	                                         "chunk 4\n"
	                                         "delay_ms 20\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {.stop_after = 2};
	char url[128];

	request_init(&req, url, sizeof(url), &s, &sink);
	CHECK(ba_llm_http_post(&req, &r) != BA_LLM_OK);
	CHECK(r.body_stopped);
	CHECK_EQ_INT(r.http_status, 200);
	CHECK_EQ_UINT(sink.calls, 2);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(post_times_out_when_the_server_goes_quiet, 20)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body data: a\\n\\ndata: b\\n\\n\n"
	                                         "chunk 10\n"
	                                         "delay_ms 5000\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	uint64_t t0, ms;

	request_init(&req, url, sizeof(url), &s, &sink);
	req.idle_timeout_ms = 500;
	t0 = ba_mono_ns();
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_TIMEOUT);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK_EQ_UINT(sink.len, 10);
	CHECK_CONTAINS(r.message, "no data for 500 ms");
	/* The progress callback runs about once a second when idle. */
	CHECK(ms >= 450 && ms < 2500);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(post_bounds_the_whole_request, 20)
{
	/* Bytes keep coming, so only the whole-request limit can end it. */
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body 0123456789012345678901234567890123456789\n"
	                                         "chunk 1\n"
	                                         "delay_ms 100\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	uint64_t t0, ms;

	request_init(&req, url, sizeof(url), &s, &sink);
	req.idle_timeout_ms = 2000;
	req.request_timeout_ms = 700;
	t0 = ba_mono_ns();
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_TIMEOUT);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK_CONTAINS(r.message, "took longer than 700 ms");
	CHECK(ms >= 650 && ms < 2000);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(post_stops_at_the_deadline, 20)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body 0123456789012345678901234567890123456789\n"
	                                         "chunk 1\n"
	                                         "delay_ms 100\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	uint64_t t0, ms;

	request_init(&req, url, sizeof(url), &s, &sink);
	t0 = ba_mono_ns();
	req.deadline_ns = t0 + 600ull * 1000000;
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_TIMEOUT);
	ms = (ba_mono_ns() - t0) / 1000000;
	CHECK_CONTAINS(r.message, "deadline");
	CHECK(ms >= 550 && ms < 2000);
	ba_llm_http_result_release(&r);

	/* A deadline already past sends nothing. */
	req.deadline_ns = ba_mono_ns() - 1;
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_TIMEOUT);
	CHECK_CONTAINS(r.message, "deadline passed before");
	ba_llm_http_result_release(&r);
	CHECK_EQ_INT(ba_test_fakellm_request_count(s.log), 1);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(post_is_cancelled_from_another_thread, 20)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body 0123456789012345678901234567890123456789\n"
	                                         "chunk 1\n"
	                                         "delay_ms 100\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	atomic_bool flag = false;
	ba_test_canceller c;
	uint64_t t0, ms;

	request_init(&req, url, sizeof(url), &s, &sink);
	req.cancel = &flag;
	t0 = ba_mono_ns();
	ba_test_cancel_later(&c, &flag, 350);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_CANCELLED);
	ms = (ba_mono_ns() - t0) / 1000000;
	ba_test_canceller_join(&c);
	CHECK_EQ_STR(r.message, "cancelled");
	CHECK(ms >= 300 && ms < 1500); /* the next piece notices; all take 4 s */
	CHECK(sink.len < 40);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST_TIMEOUT(post_is_cancelled_while_the_server_is_silent, 20)
{
	ba_test_server s = ba_test_fakellm_start("response\n"
	                                         "body ab\n"
	                                         "chunk 1\n"
	                                         "delay_ms 8000\n"
	                                         "end\n");
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	atomic_bool flag = false;
	ba_test_canceller c;
	uint64_t t0, ms;

	request_init(&req, url, sizeof(url), &s, &sink);
	req.cancel = &flag;
	t0 = ba_mono_ns();
	ba_test_cancel_later(&c, &flag, 300);
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_CANCELLED);
	ms = (ba_mono_ns() - t0) / 1000000;
	ba_test_canceller_join(&c);
	/* Seen within a poll slice (50 ms), not at libcurl's progress
	 * callback, which it calls only about once a second while nothing
	 * arrives (regression: this took 1-1.3 s). */
	CHECK(ms >= 300 && ms < 900);
	ba_llm_http_result_release(&r);
	ba_test_server_stop(&s);
}

TEST(post_refuses_other_schemes_and_cancel_before_start)
{
	ba_llm_http_request req;
	ba_llm_http_result r;
	struct sink sink = {0};
	char url[128];
	atomic_bool flag = true;

	request_init(&req, url, sizeof(url), NULL, &sink);
	snprintf(url, sizeof(url), "file:///etc/passwd");
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_CONFIG);
	CHECK_CONTAINS(r.message, "not an http:// or https:// URL");
	ba_llm_http_result_release(&r);

	snprintf(url, sizeof(url), "http://127.0.0.1:1/v1");
	req.cancel = &flag;
	CHECK_EQ_INT(ba_llm_http_post(&req, &r), BA_LLM_ERR_CANCELLED);
	ba_llm_http_result_release(&r);
}

/* ------------------------------------------------------ Retry-After values */

TEST(retry_after_delta_seconds)
{
	uint64_t ms = 1;

	CHECK_EQ_INT(ba_llm_parse_retry_after("120", 0, &ms), 0);
	CHECK_EQ_UINT(ms, 120000);
	CHECK_EQ_INT(ba_llm_parse_retry_after(" 5 \r\n", 0, &ms), 0);
	CHECK_EQ_UINT(ms, 5000);
	CHECK_EQ_INT(ba_llm_parse_retry_after("0", 0, &ms), 0);
	CHECK_EQ_UINT(ms, 0);
	CHECK_EQ_INT(ba_llm_parse_retry_after("-3", 0, &ms), 0);
	CHECK_EQ_UINT(ms, 0);
	/* Absurd values saturate instead of wrapping to something small. */
	CHECK_EQ_INT(ba_llm_parse_retry_after("99999999999999999999999999", 0, &ms), 0);
	CHECK(ms >= 1000ull * 1000000000000ull);
	CHECK_EQ_INT(ba_llm_parse_retry_after("", 0, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("   ", 0, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("1.5", 0, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("5s", 0, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("soon", 0, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("-", 0, &ms), -1);
}

TEST(retry_after_http_dates)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example. */
	const int64_t t = 784111777;
	uint64_t ms = 1;

	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 10, &ms), 0);
	CHECK_EQ_UINT(ms, 10000);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t - 2, &ms), 0);
	CHECK_EQ_UINT(ms, 2000);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun Nov  6 08:49:37 1994", t - 1, &ms), 0);
	CHECK_EQ_UINT(ms, 1000);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun Nov 16 08:49:37 1994", t, &ms), 0);
	CHECK_EQ_UINT(ms, 10ull * 86400 * 1000);
	/* In the past: go now. */
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 100, &ms), 0);
	CHECK_EQ_UINT(ms, 0);
	/* Leap years and month ends. */
	CHECK_EQ_INT(ba_llm_parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", 1709251199 - 1, &ms),
	             0);
	CHECK_EQ_UINT(ms, 1000);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Wed, 01 Jan 2031 00:00:00 GMT", 1924991999, &ms), 0);
	CHECK_EQ_UINT(ms, 1000);

	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 24:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Xyz 1994 08:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 6 Nov 1994 08:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 94 08:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Foo, 06 Nov 1994 08:49:37 GMT", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT junk", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after("Sun, 06 Nov 1994 08:49", t, &ms), -1);
	CHECK_EQ_INT(ba_llm_parse_retry_after(NULL, t, &ms), -1);
}

/* ---------------------------------------------------------------- scrub */

TEST(scrub_replaces_every_occurrence)
{
	char text[128];
	size_t n;

	snprintf(text, sizeof(text), "key sk-abc123 and sk-abc123sk-abc123!");
	n = ba_llm_scrub(text, strlen(text), "sk-abc123");
	CHECK_EQ_STR(text, "key *** and ******!");
	CHECK_EQ_UINT(n, strlen(text));

	snprintf(text, sizeof(text), "a-b-a");
	n = ba_llm_scrub(text, strlen(text), "a");
	CHECK_EQ_STR(text, "*-b-*");
	CHECK_EQ_UINT(n, 5);

	snprintf(text, sizeof(text), "nothing here");
	CHECK_EQ_UINT(ba_llm_scrub(text, strlen(text), NULL), 12);
	CHECK_EQ_UINT(ba_llm_scrub(text, strlen(text), ""), 12);
	CHECK_EQ_UINT(ba_llm_scrub(text, strlen(text), "a much longer secret than the text"), 12);
	CHECK_EQ_STR(text, "nothing here");
}
