/* Tests for src/sandbox/caps.c: the permission grammar. */
#include "test.h"

#include <stdlib.h>

#include "sandbox/caps.h"

/* ba_cap is ~3 KiB and ba_capset ~400 KiB: keep them on the heap. */
static ba_cap *parse_ok(const char *text)
{
	static ba_cap cap;
	char err[512];
	if (ba_cap_parse(text, &cap, err, sizeof(err)))
		ba_test_fail(__FILE__, __LINE__, "%s", err);
	return &cap;
}

/* Parses text, which must fail, and returns the whole message. */
static const char *parse_err(const char *text)
{
	static ba_cap cap;
	static char err[512];
	const char *e = ba_cap_parse(text, &cap, err, sizeof(err));
	if (!e)
		ba_test_fail(__FILE__, __LINE__, "\"%s\" parsed as %s", text, cap.text);
	CHECK(e == err);
	return err;
}

static const char *canon(const char *text)
{
	return parse_ok(text)->text;
}

static ba_capset *set_of(const char *const *texts)
{
	ba_capset *s = ba_capset_new();
	CHECK(s != NULL);
	char err[512];
	for (size_t i = 0; texts[i]; i++)
		if (ba_capset_add(s, texts[i], err, sizeof(err)))
			ba_test_fail(__FILE__, __LINE__, "%s", err);
	return s;
}

static bool allows(const char *cap_text, const char *url_text, const char *method)
{
	static ba_url u;
	const char *e = ba_url_parse(url_text, &u);
	if (e)
		ba_test_fail(__FILE__, __LINE__, "%s: %s", url_text, e);
	return ba_cap_allows_url(parse_ok(cap_text), &u, method);
}

TEST(fs_caps_parse_and_normalise)
{
	ba_cap *c = parse_ok("fs.read:/workspace/src");
	CHECK_EQ_INT(c->kind, BA_CAP_FS_READ);
	CHECK_EQ_STR(c->path, "/workspace/src");
	CHECK_EQ_STR(c->text, "fs.read:/workspace/src");
	c = parse_ok("fs.write://workspace/./out/../tmp/");
	CHECK_EQ_INT(c->kind, BA_CAP_FS_WRITE);
	CHECK_EQ_STR(c->path, "/workspace/tmp");
	CHECK_EQ_STR(c->text, "fs.write:/workspace/tmp");
	CHECK_EQ_STR(canon("fs.read:/"), "fs.read:/");
	CHECK_EQ_STR(canon("fs.read:/../../etc"), "fs.read:/etc");
}

TEST(fs_cap_errors)
{
	CHECK_EQ_STR(parse_err("fs.read:workspace"),
	             "capability \"fs.read:workspace\" is not valid: the path must be absolute");
	CHECK_EQ_STR(parse_err("fs.write:"),
	             "capability \"fs.write:\" is not valid: the path must be absolute");
	CHECK_CONTAINS(parse_err("fs.read"), "expected \"fs.read:\"");
	CHECK_CONTAINS(parse_err("fs.read:/a b"), "spaces");
	CHECK_CONTAINS(parse_err("fs.read:/a\tb"), "fs.read:/a?b");
}

TEST(unknown_kind_message)
{
	CHECK_EQ_STR(parse_err("shell:bash"),
	             "capability \"shell:bash\" is not valid: unknown kind \"shell\" (expected "
	             "fs.read, fs.write, network, env or secret)");
	CHECK_CONTAINS(parse_err("FS.READ:/x"), "unknown kind \"FS.READ\"");
	CHECK_CONTAINS(parse_err("network"), "expected \"network:\"");
	CHECK_CONTAINS(parse_err("bogus"), "unknown kind \"bogus\"");
	CHECK_CONTAINS(parse_err(""), "empty");
}

TEST(env_and_secret_names)
{
	ba_cap *c = parse_ok("env:HOME");
	CHECK_EQ_INT(c->kind, BA_CAP_ENV);
	CHECK_EQ_STR(c->name, "HOME");
	CHECK_EQ_STR(c->text, "env:HOME");
	c = parse_ok("secret:GITHUB_TOKEN");
	CHECK_EQ_INT(c->kind, BA_CAP_SECRET);
	CHECK_EQ_STR(c->name, "GITHUB_TOKEN");
	CHECK_EQ_STR(c->text, "secret:GITHUB_TOKEN");
	CHECK_EQ_STR(canon("env:_x9"), "env:_x9");
	CHECK_CONTAINS(parse_err("env:1ABC"), "not starting with a digit");
	CHECK_CONTAINS(parse_err("env:A-B"), "letters, digits and underscores");
	CHECK_CONTAINS(parse_err("secret:A=B"), "letters, digits and underscores");
	CHECK_CONTAINS(parse_err("env:"), "the name is empty");

	char name[300] = "env:";
	memset(name + 4, 'A', 255);
	name[259] = '\0';
	CHECK_EQ_UINT(strlen(parse_ok(name)->name), 255);
	name[259] = 'A';
	name[260] = '\0';
	CHECK_CONTAINS(parse_err(name), "longer than 255");
}

TEST(network_simple_form)
{
	ba_cap *c = parse_ok("network:https://API.Example.com");
	CHECK_EQ_INT(c->kind, BA_CAP_NETWORK);
	CHECK_EQ_STR(c->scheme, "https");
	CHECK_EQ_STR(c->host, "api.example.com");
	CHECK(!c->host_is_ip);
	CHECK_EQ_UINT(c->port, 443);
	CHECK_EQ_STR(c->path_prefix, "");
	CHECK_EQ_UINT(c->methods, BA_METHOD_ALL);
	CHECK_EQ_STR(c->text, "network:https://api.example.com:443");
	CHECK_EQ_STR(canon("network:HTTP://example.com:8080/"), "network:http://example.com:8080");
	CHECK_EQ_STR(canon("network:http://example.com:*"), "network:http://example.com:*");
	CHECK_EQ_UINT(parse_ok("network:http://example.com:*")->port, 0);
	CHECK_EQ_STR(canon("network:https://*"), "network:https://*:443");
	CHECK_EQ_STR(canon("network:https://*.Example.com/v1/"),
	             "network:https://*.example.com:443/v1");
	CHECK_EQ_STR(canon("network:https://h/v1/../admin"), "network:https://h:443/admin");
}

TEST(network_structured_form)
{
	ba_cap *c = parse_ok("network:HEAD,get:https://api.example.com/v1");
	CHECK_EQ_UINT(c->methods, BA_METHOD_GET | BA_METHOD_HEAD);
	CHECK_EQ_STR(c->path_prefix, "/v1");
	CHECK_EQ_STR(c->text, "network:GET,HEAD:https://api.example.com:443/v1");
	CHECK_EQ_STR(canon("network:OPTIONS,DELETE,PATCH,PUT,POST:http://h"),
	             "network:POST,PUT,PATCH,DELETE,OPTIONS:http://h:80");
	/* Every method listed is the same as no list. */
	CHECK_EQ_STR(canon("network:GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS:http://h"),
	             "network:http://h:80");
	CHECK_CONTAINS(parse_err("network:TRACE:http://h"), "unknown method \"TRACE\"");
	CHECK_CONTAINS(parse_err("network:GET,,POST:http://h"), "empty method");
	CHECK_CONTAINS(parse_err("network::http://h"), "empty method");
}

TEST(network_ip_literals_canonical)
{
	ba_cap *c = parse_ok("network:http://2130706433");
	CHECK(c->host_is_ip);
	CHECK_EQ_STR(c->host, "127.0.0.1");
	CHECK_EQ_STR(c->text, "network:http://127.0.0.1:80");
	CHECK_EQ_STR(canon("network:http://0x7f.1:8080"), "network:http://127.0.0.1:8080");
	CHECK_EQ_STR(canon("network:http://[0:0::1]:*"), "network:http://[::1]:*");
	CHECK_EQ_STR(parse_ok("network:http://[::FFFF:7f00:1]")->host, "::ffff:127.0.0.1");
	CHECK_EQ_STR(canon("network:http://localhost:8080"), "network:http://localhost:8080");
}

TEST(network_cap_errors)
{
	CHECK_EQ_STR(parse_err("network:ftp://x"),
	             "capability \"network:ftp://x\" is not valid: scheme must be http or https");
	CHECK_CONTAINS(parse_err("network:api.example.com"), "SCHEME://HOST");
	CHECK_CONTAINS(parse_err("network:https://"), "host is empty");
	CHECK_CONTAINS(parse_err("network:https://u@h"), "userinfo");
	CHECK_CONTAINS(parse_err("network:https://h:0"), "port");
	CHECK_CONTAINS(parse_err("network:https://h:70000"), "port");
	CHECK_CONTAINS(parse_err("network:https://h:"), "port");
	CHECK_CONTAINS(parse_err("network:https://h/x?q"), "query");
	CHECK_CONTAINS(parse_err("network:https://a*.example.com"), "\"*\"");
	CHECK_CONTAINS(parse_err("network:https://*.*.example.com"), "\"*\"");
	CHECK_CONTAINS(parse_err("network:https://*.10.0.0.1"), "wildcard");
	CHECK_CONTAINS(parse_err("network:https://[fe80::1%25eth0]"), "zone");
	CHECK_CONTAINS(parse_err("network:https://ex%41mple.com"), "percent");
	CHECK_CONTAINS(parse_err("network:https://256.1.1.1"), "IPv4");
	CHECK_CONTAINS(parse_err("network:https://h/..%2fadmin"), "dot-segments");
	CHECK_CONTAINS(parse_err("network:https://h\\x"), "backslash");
}

TEST(overlong_cap_is_an_error_that_is_cut)
{
	char *t = malloc(BA_CAP_TEXT_MAX + 10);
	CHECK(t != NULL);
	memcpy(t, "env:", 4);
	memset(t + 4, 'A', BA_CAP_TEXT_MAX + 5);
	t[BA_CAP_TEXT_MAX + 9] = '\0';
	const char *e = parse_err(t);
	CHECK_CONTAINS(e, "is not valid: it is longer than 1023 bytes");
	CHECK_CONTAINS(e, "AAA...\"");
	CHECK(strlen(e) < 300);
	free(t);
}

TEST(url_matching_hosts_ports_schemes)
{
	CHECK(allows("network:https://api.example.com", "https://api.example.com/x", "GET"));
	CHECK(allows("network:https://api.example.com", "https://API.EXAMPLE.COM./x", "GET"));
	CHECK(!allows("network:https://api.example.com", "http://api.example.com/x", "GET"));
	CHECK(!allows("network:https://api.example.com", "https://api.example.com:8443/", "GET"));
	CHECK(allows("network:https://api.example.com:*", "https://api.example.com:8443/", "GET"));
	CHECK(!allows("network:https://api.example.com", "https://api.example.com.evil/", "GET"));
	CHECK(!allows("network:https://api.example.com", "https://xapi.example.com/", "GET"));
	CHECK(allows("network:https://*.example.com", "https://a.b.example.com/", "GET"));
	CHECK(!allows("network:https://*.example.com", "https://example.com/", "GET"));
	CHECK(!allows("network:https://*.example.com", "https://badexample.com/", "GET"));
	CHECK(allows("network:https://*", "https://anything.test/", "GET"));
	CHECK(allows("network:http://127.0.0.1:8080", "http://2130706433:8080/", "GET"));
	CHECK(allows("network:http://2130706433:*", "http://127.0.0.1:9/", "GET"));
	CHECK(!allows("network:http://127.0.0.1", "http://127.0.0.2/", "GET"));
	CHECK(allows("network:http://[::1]", "http://[0::1]/", "GET"));
	CHECK(!allows("network:http://[::1]", "http://[::ffff:127.0.0.1]/", "GET"));
}

TEST(url_matching_path_segments)
{
	const char *c = "network:https://h/v1";
	CHECK(allows(c, "https://h/v1", "GET"));
	CHECK(allows(c, "https://h/v1/", "GET"));
	CHECK(allows(c, "https://h/v1/x", "GET"));
	CHECK(allows(c, "https://h/v1?q=1", "GET"));
	CHECK(!allows(c, "https://h/v10", "GET"));
	CHECK(!allows(c, "https://h/v", "GET"));
	CHECK(!allows(c, "https://h/", "GET"));
	CHECK(!allows(c, "https://h/V1", "GET"));
	CHECK(!allows(c, "https://h/v1/../admin", "GET"));
	CHECK(!allows(c, "https://h/v1/%2e%2e/admin", "GET"));
	CHECK(allows("network:https://h/v1/", "https://h/v1", "GET"));
	CHECK(allows("network:https://h/", "https://h/anything", "GET"));
}

TEST(url_matching_methods)
{
	const char *c = "network:GET,HEAD:https://h";
	CHECK(allows(c, "https://h/", "GET"));
	CHECK(allows(c, "https://h/", "HEAD"));
	CHECK(!allows(c, "https://h/", "POST"));
	CHECK(!allows(c, "https://h/", "get"));
	CHECK(!allows(c, "https://h/", "TRACE"));
	CHECK(!allows(c, "https://h/", NULL));
	CHECK(allows("network:https://h", "https://h/", "DELETE"));
	CHECK(allows("network:https://h", "https://h/", "PROPFIND"));
	CHECK(!allows("env:HOME", "https://h/", "GET"));
}

TEST(capset_add_dedupes_and_finds)
{
	static const char *const texts[] = {
	        "network:GET:https://api.example.com/v1",
	        "network:https://*.cdn.example.com",
	        "env:HOME",
	        "secret:GITHUB_TOKEN",
	        "fs.read:/workspace",
	        "fs.read:/workspace/", /* same as the one before */
	        NULL,
	};
	ba_capset *s = set_of(texts);
	CHECK_EQ_UINT(s->count, 5);
	ba_url u;
	CHECK(ba_url_parse("https://api.example.com/v1/repos", &u) == NULL);
	const ba_cap *c = ba_capset_find_network(s, &u, "GET");
	CHECK(c != NULL);
	CHECK_EQ_STR(c->text, "network:GET:https://api.example.com:443/v1");
	CHECK(ba_capset_find_network(s, &u, "POST") == NULL);
	CHECK(ba_url_parse("https://img.cdn.example.com/a.png", &u) == NULL);
	CHECK(ba_capset_find_network(s, &u, "POST") != NULL);
	CHECK(ba_capset_has_name(s, BA_CAP_ENV, "HOME"));
	CHECK(!ba_capset_has_name(s, BA_CAP_SECRET, "HOME"));
	CHECK(ba_capset_has_name(s, BA_CAP_SECRET, "GITHUB_TOKEN"));
	CHECK(!ba_capset_has_name(s, BA_CAP_ENV, "GITHUB_TOKEN"));
	CHECK(!ba_capset_has_name(s, BA_CAP_NETWORK, "HOME"));
	ba_capset_free(s);
}

TEST(capset_full_is_an_error)
{
	ba_capset *s = ba_capset_new();
	CHECK(s != NULL);
	char text[64], err[256];
	for (int i = 0; i < BA_CAPSET_MAX; i++) {
		snprintf(text, sizeof(text), "env:V%d", i);
		CHECK(ba_capset_add(s, text, err, sizeof(err)) == NULL);
	}
	CHECK(ba_capset_add(s, "env:V0", err, sizeof(err)) == NULL); /* duplicate: fine */
	CHECK(ba_capset_add(s, "env:ONE_MORE", err, sizeof(err)) == err);
	CHECK_CONTAINS(err, "\"env:ONE_MORE\"");
	CHECK_CONTAINS(err, "too many capabilities");
	CHECK(ba_capset_add(s, "shell:x", err, sizeof(err)) == err);
	CHECK_CONTAINS(err, "unknown kind");
	CHECK_EQ_UINT(s->count, BA_CAPSET_MAX);
	ba_capset_free(s);
}

/* Intersects two NULL-terminated lists and returns the texts of the result
 * joined with " | " in order. */
static const char *meet(const char *const *declared, const char *const *granted)
{
	static char joined[4096];
	ba_capset *d = set_of(declared), *g = set_of(granted), *o = ba_capset_new();
	CHECK(o != NULL);
	size_t n = ba_capset_intersect(d, g, o);
	CHECK_EQ_UINT(n, o->count);
	size_t len = 0;
	joined[0] = '\0';
	for (size_t i = 0; i < o->count; i++)
		len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s", i ? " | " : "",
		                        o->caps[i].text);
	ba_capset_free(d);
	ba_capset_free(g);
	ba_capset_free(o);
	return joined;
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(intersect_fs)
{
	CHECK_EQ_STR(meet(L("fs.read:/workspace"), L("fs.read:/workspace")), "fs.read:/workspace");
	CHECK_EQ_STR(meet(L("fs.write:/workspace"), L("fs.read:/workspace")), "fs.read:/workspace");
	CHECK_EQ_STR(meet(L("fs.read:/workspace"), L("fs.write:/workspace")), "fs.read:/workspace");
	CHECK_EQ_STR(meet(L("fs.write:/workspace"), L("fs.write:/workspace/out")),
	             "fs.write:/workspace/out");
	CHECK_EQ_STR(meet(L("fs.write:/workspace/out"), L("fs.read:/")), "fs.read:/workspace/out");
	CHECK_EQ_STR(meet(L("fs.read:/workspace"), L("fs.read:/workspace/a.txt")),
	             "fs.read:/workspace/a.txt");
	CHECK_EQ_STR(meet(L("fs.read:/workspace"), L("fs.read:/workspace2")), "");
	CHECK_EQ_STR(meet(L("fs.read:/data"), L("fs.read:/workspace")), "");
}

TEST(intersect_network)
{
	CHECK_EQ_STR(meet(L("network:https://api.example.com"), L("network:https://*")),
	             "network:https://api.example.com:443");
	CHECK_EQ_STR(meet(L("network:https://*"), L("network:https://api.example.com")),
	             "network:https://api.example.com:443");
	CHECK_EQ_STR(meet(L("network:https://*.example.com"), L("network:https://a.example.com")),
	             "network:https://a.example.com:443");
	CHECK_EQ_STR(meet(L("network:https://*.example.com"), L("network:https://*.a.example.com")),
	             "network:https://*.a.example.com:443");
	CHECK_EQ_STR(meet(L("network:https://*.example.com"), L("network:https://example.com")),
	             "");
	CHECK_EQ_STR(meet(L("network:https://*.example.com"), L("network:https://10.0.0.1")), "");
	CHECK_EQ_STR(meet(L("network:https://*"), L("network:https://10.0.0.1")),
	             "network:https://10.0.0.1:443");
	CHECK_EQ_STR(meet(L("network:https://a.com"), L("network:http://a.com")), "");
	CHECK_EQ_STR(meet(L("network:https://a.com"), L("network:https://b.com")), "");
	/* Ports: * meets anything; two numbers must agree. */
	CHECK_EQ_STR(meet(L("network:http://a.com:*"), L("network:http://a.com:8080")),
	             "network:http://a.com:8080");
	CHECK_EQ_STR(meet(L("network:http://a.com:8080"), L("network:http://a.com:*")),
	             "network:http://a.com:8080");
	CHECK_EQ_STR(meet(L("network:http://a.com:8080"), L("network:http://a.com")), "");
	/* Paths: the longer prefix, on segment boundaries. */
	CHECK_EQ_STR(meet(L("network:https://a.com/v1"), L("network:https://a.com")),
	             "network:https://a.com:443/v1");
	CHECK_EQ_STR(meet(L("network:https://a.com"), L("network:https://a.com/v1/x")),
	             "network:https://a.com:443/v1/x");
	CHECK_EQ_STR(meet(L("network:https://a.com/v1"), L("network:https://a.com/v10")), "");
	/* Methods are ANDed; nothing in common, nothing granted. */
	CHECK_EQ_STR(meet(L("network:GET,POST:https://a.com"), L("network:GET,HEAD:https://a.com")),
	             "network:GET:https://a.com:443");
	CHECK_EQ_STR(meet(L("network:POST:https://a.com"), L("network:GET:https://a.com")), "");
	CHECK_EQ_STR(meet(L("network:POST:https://a.com"), L("network:https://*")),
	             "network:POST:https://a.com:443");
}

TEST(intersect_env_secret_and_mixed)
{
	CHECK_EQ_STR(meet(L("env:HOME", "env:PATH", "secret:TOKEN"),
	                  L("env:PATH", "secret:TOKEN", "env:USER")),
	             "env:PATH | secret:TOKEN");
	CHECK_EQ_STR(meet(L("env:TOKEN"), L("secret:TOKEN")), "");
	CHECK_EQ_STR(meet(L("secret:TOKEN"), L("env:TOKEN")), "");
	/* Kinds never cross: a network grant gives no file access. */
	CHECK_EQ_STR(meet(L("fs.read:/workspace"), L("network:https://*", "env:HOME")), "");
	/* Duplicates in the result are kept once. */
	CHECK_EQ_STR(meet(L("network:https://*"),
	                  L("network:https://a.com", "network:https://a.com:443")),
	             "network:https://a.com:443");
	CHECK_EQ_STR(meet(L("fs.read:/workspace", "network:https://api.github.com",
	                    "secret:GITHUB_TOKEN"),
	                  L("fs.write:/workspace/out", "network:https://*.github.com",
	                    "network:https://api.github.com", "secret:GITHUB_TOKEN")),
	             "fs.read:/workspace/out | network:https://api.github.com:443 | "
	             "secret:GITHUB_TOKEN");
}

TEST(guest_path_normalize)
{
	char out[64];
	CHECK(ba_guest_path_normalize("/", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/");
	CHECK(ba_guest_path_normalize("//a///b/", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/a/b");
	CHECK(ba_guest_path_normalize("/a/./b/../c", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/a/c");
	CHECK(ba_guest_path_normalize("/../../..", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/");
	CHECK(ba_guest_path_normalize("/a/b/../../../c", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/c");
	CHECK(ba_guest_path_normalize("/a/..b/.c", out, sizeof(out)) == NULL);
	CHECK_EQ_STR(out, "/a/..b/.c");
	CHECK_EQ_STR(ba_guest_path_normalize("a/b", out, sizeof(out)), "the path must be absolute");
	CHECK_EQ_STR(ba_guest_path_normalize("", out, sizeof(out)), "the path must be absolute");
	CHECK_EQ_STR(ba_guest_path_normalize("/a\nb", out, sizeof(out)),
	             "the path contains a control character");
	CHECK_EQ_STR(ba_guest_path_normalize("/0123456789", out, 8), "the path is too long");
	CHECK(ba_guest_path_normalize("/0123456", out, 9) == NULL);
	CHECK_EQ_STR(out, "/0123456");
}

TEST(guest_path_within)
{
	CHECK(ba_guest_path_within("/", "/"));
	CHECK(ba_guest_path_within("/", "/anything"));
	CHECK(ba_guest_path_within("/workspace", "/workspace"));
	CHECK(ba_guest_path_within("/workspace", "/workspace/a/b"));
	CHECK(!ba_guest_path_within("/workspace", "/workspace2"));
	CHECK(!ba_guest_path_within("/workspace", "/work"));
	CHECK(!ba_guest_path_within("/workspace/a", "/workspace"));
	CHECK(!ba_guest_path_within("/workspace/a.txt", "/workspace/a.txt.bak"));
}

TEST(canonical_text_parses_to_itself)
{
	static const char *const texts[] = {
	        "network:HTTPS://API.Example.com",
	        "network:head,get:https://api.example.com/v1/",
	        "network:http://0x7f.1:8080",
	        "network:http://[0:0::1]:*/a/./b/../c",
	        "network:https://*.Example.COM.:*",
	        "network:https://*",
	        "network:PUT:http://h/caf\xc3\xa9",
	        "fs.write://workspace/./out/",
	        "fs.read:/",
	        "env:HOME",
	        "secret:GITHUB_TOKEN",
	        NULL,
	};
	static ba_cap again;
	char err[512];
	for (size_t i = 0; texts[i]; i++) {
		ba_cap *c = parse_ok(texts[i]);
		if (ba_cap_parse(c->text, &again, err, sizeof(err)))
			ba_test_fail(__FILE__, __LINE__, "%s -> %s: %s", texts[i], c->text, err);
		CHECK_EQ_STR(again.text, c->text);
		CHECK_EQ_INT(again.kind, c->kind);
		CHECK_EQ_STR(again.host, c->host);
		CHECK_EQ_UINT(again.port, c->port);
		CHECK_EQ_UINT(again.methods, c->methods);
		CHECK_EQ_STR(again.path_prefix, c->path_prefix);
	}
}

TEST(wildcards_never_match_ip_literals_or_the_apex)
{
	CHECK(!allows("network:https://*.example.com", "https://example.com/", "GET"));
	CHECK(!allows("network:https://*.example.com", "https://example.com./", "GET"));
	CHECK_CONTAINS(parse_err("network:https://*.0.0.1"), "wildcard");
	CHECK(!allows("network:https://*.com", "https://[::1]/", "GET"));
	CHECK(!allows("network:https://*.com", "https://127.0.0.1/", "GET"));
	CHECK(allows("network:https://*.com", "https://EXAMPLE.COM/", "GET"));
	/* The IPv6 form of a granted IPv4 literal is a different address. */
	CHECK(!allows("network:http://127.0.0.1", "http://[::ffff:127.0.0.1]/", "GET"));
	CHECK(!allows("network:http://localhost", "http://127.0.0.1/", "GET"));
}

/*
 * The defining property of intersection: whatever the result allows, some
 * declared capability and some granted capability allow too, and (for
 * these inputs, where the intersection is exact) the converse. Checked
 * over a grid of requests.
 */
TEST(intersection_allows_exactly_what_both_allow)
{
	static const char *const declared[] = {
	        "network:GET,POST:https://*.example.com:*/api",
	        "network:http://127.0.0.1:8080",
	        "network:https://*/public",
	        NULL,
	};
	static const char *const granted[] = {
	        "network:GET:https://a.example.com/api/v1",
	        "network:https://*:*",
	        "network:http://2130706433:*/x",
	        NULL,
	};
	static const char *const urls[] = {
	        "https://a.example.com/api/v1/users",
	        "https://a.example.com/api/v2",
	        "https://b.example.com:8443/api",
	        "https://example.com/api",
	        "https://x.test/public/a",
	        "https://x.test/publicity",
	        "http://127.0.0.1:8080/x/y",
	        "http://127.0.0.1:8080/y",
	        "http://127.0.0.1:9/x",
	        "https://a.example.com/public",
	        NULL,
	};
	static const char *const verbs[] = {"GET", "POST", "DELETE", NULL};
	ba_capset *d = set_of(declared), *g = set_of(granted), *o = ba_capset_new();
	CHECK(o != NULL);
	CHECK(ba_capset_intersect(d, g, o) > 0);
	unsigned allowed = 0;
	for (size_t i = 0; urls[i]; i++) {
		ba_url u;
		CHECK(ba_url_parse(urls[i], &u) == NULL);
		for (size_t m = 0; verbs[m]; m++) {
			bool both = ba_capset_find_network(d, &u, verbs[m]) &&
			            ba_capset_find_network(g, &u, verbs[m]);
			bool eff = ba_capset_find_network(o, &u, verbs[m]) != NULL;
			if (both != eff)
				ba_test_fail(__FILE__, __LINE__,
				             "%s %s: declared∩granted %d, effective %d", verbs[m],
				             urls[i], both, eff);
			allowed += eff;
		}
	}
	CHECK(allowed >= 5); /* the grid is not trivially all-deny */
	ba_capset_free(d);
	ba_capset_free(g);
	ba_capset_free(o);
}

TEST(intersection_is_symmetric_for_fs_env_secret)
{
	static const char *const a[] = {"fs.write:/workspace", "fs.read:/data/x", "env:A",
	                                "secret:S", NULL};
	static const char *const b[] = {"fs.read:/workspace/src", "fs.write:/data", "env:A",
	                                "secret:T", NULL};
	char ab[4096];
	snprintf(ab, sizeof(ab), "%s", meet(a, b));
	CHECK_EQ_STR(ab, "fs.read:/workspace/src | fs.read:/data/x | env:A");
	CHECK_EQ_STR(meet(b, a), "fs.read:/workspace/src | fs.read:/data/x | env:A");
}

TEST(random_capability_strings_never_crash)
{
	static const char *const pieces[] = {
	        "network:", "fs.read:", "env:",  "secret:", "https://", "GET,", "HEAD:",
	        "*",        "*.",       "[",     "]",       "::1",      ":",    "/",
	        "..",       ".",        "%2e",   "%2f",     "@",        "?",    "a",
	        "0x7f",     "1",        "65535", "_",       "\xff",
	};
	static ba_cap c, again;
	char text[96], err[512];
	uint64_t x = 88172645463325252ull;
	for (int iter = 0; iter < 30000; iter++) {
		size_t n = 0;
		int parts = 1 + (int)(x % 8);
		for (int p = 0; p < parts; p++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			const char *s = pieces[x % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = strlen(s);
			if (n + l >= sizeof(text))
				break;
			memcpy(text + n, s, l);
			n += l;
		}
		text[n] = '\0';
		const char *e = ba_cap_parse(text, &c, err, sizeof(err));
		if (e) {
			CHECK(e == err);
			CHECK_CONTAINS(err, "is not valid: ");
			continue;
		}
		if (ba_cap_parse(c.text, &again, err, sizeof(err)) || strcmp(again.text, c.text))
			ba_test_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\" is not stable", text,
			             c.text);
	}
}

TEST(api_edges)
{
	static ba_cap c;
	/* Without an error buffer the result is still an error. */
	CHECK(ba_cap_parse("shell:x", &c, NULL, 0) != NULL);
	char tiny[16];
	CHECK(ba_cap_parse("shell:x", &c, tiny, sizeof(tiny)) == tiny);
	CHECK_EQ_STR(tiny, "capability \"she"); /* cut, still terminated */
	CHECK_EQ_STR(ba_cap_kind_name(BA_CAP_FS_READ), "fs.read");
	CHECK_EQ_STR(ba_cap_kind_name(BA_CAP_FS_WRITE), "fs.write");
	CHECK_EQ_STR(ba_cap_kind_name(BA_CAP_NETWORK), "network");
	CHECK_EQ_STR(ba_cap_kind_name(BA_CAP_ENV), "env");
	CHECK_EQ_STR(ba_cap_kind_name(BA_CAP_SECRET), "secret");
	ba_url u;
	CHECK(ba_url_parse("https://h/", &u) == NULL);
	CHECK(!ba_cap_allows_url(parse_ok("fs.read:/"), &u, "GET"));
	CHECK(ba_capset_find_network(NULL, &u, "GET") == NULL);
	ba_capset *s = ba_capset_new();
	CHECK(s != NULL);
	CHECK_EQ_UINT(s->count, 0);
	CHECK(ba_capset_find_network(s, &u, "GET") == NULL);
	CHECK(!ba_capset_has_name(s, BA_CAP_ENV, "HOME"));
	ba_capset_free(s);
}
