/* Tests for src/sandbox/url.c: the SSRF-facing URL parser. */
#include "test.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "sandbox/url.h"

/* ba_url is large (two 8 KiB buffers); keep it off small test stacks. */
static ba_url *url_new(void)
{
	ba_url *u = calloc(1, sizeof(*u));
	CHECK(u != NULL);
	return u;
}

/* Parses text, which must succeed, and returns the canonical URL. */
static const char *canon(const char *text)
{
	static ba_url u;
	const char *err = ba_url_parse(text, &u);
	if (err)
		ba_test_fail(__FILE__, __LINE__, "parse(\"%s\") failed: %s", text, err);
	return u.canonical;
}

/* Parses text, which must fail, and returns the error. */
static const char *refuse(const char *text)
{
	static ba_url u;
	const char *err = ba_url_parse(text, &u);
	if (!err)
		ba_test_fail(__FILE__, __LINE__, "parse(\"%s\") succeeded as %s", text,
		             u.canonical);
	return err;
}

TEST(simple_https_url)
{
	ba_url *u = url_new();
	CHECK(ba_url_parse("HTTPS://API.Example.COM/v1/items?x=1#frag", u) == NULL);
	CHECK_EQ_STR(u->scheme, "https");
	CHECK_EQ_STR(u->host, "api.example.com");
	CHECK(!u->is_ip);
	CHECK_EQ_INT(u->family, 0);
	CHECK_EQ_UINT(u->port, 443);
	CHECK(!u->port_explicit);
	CHECK_EQ_STR(u->path, "/v1/items?x=1");
	CHECK_EQ_STR(u->canonical, "https://api.example.com/v1/items?x=1");
	free(u);
}

TEST(ports_default_and_explicit)
{
	ba_url *u = url_new();
	CHECK(ba_url_parse("http://example.com:8080", u) == NULL);
	CHECK_EQ_UINT(u->port, 8080);
	CHECK(u->port_explicit);
	CHECK_EQ_STR(u->path, "/");
	CHECK_EQ_STR(u->canonical, "http://example.com:8080/");
	CHECK(ba_url_parse("https://example.com:443/a", u) == NULL);
	CHECK(u->port_explicit);
	CHECK_EQ_STR(u->canonical, "https://example.com/a");
	CHECK(ba_url_parse("https://example.com:80/a", u) == NULL);
	CHECK_EQ_STR(u->canonical, "https://example.com:80/a");
	CHECK_EQ_UINT(ba_url_default_port("http"), 80);
	CHECK_EQ_UINT(ba_url_default_port("https"), 443);
	CHECK_EQ_UINT(ba_url_default_port("ftp"), 0);
	free(u);
}

TEST(bad_ports_refused)
{
	CHECK_CONTAINS(refuse("http://example.com:0/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:65536/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:99999999999/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:-1/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:8o/"), "port");
	CHECK_CONTAINS(refuse("http://example.com:80:81/"), "port");
	CHECK_EQ_STR(canon("http://example.com:65535/"), "http://example.com:65535/");
}

TEST(ipv4_loopback_in_every_spelling)
{
	static const char *const spellings[] = {
	        "http://127.0.0.1/",    "http://2130706433/",  "http://0177.0.0.1/",
	        "http://0x7f.0.0.1/",   "http://0x7f000001/",  "http://127.1/",
	        "http://127.0.1/",      "http://0x7F.1/",      "http://017700000001/",
	        "http://127.0.0.1./",   "http://0177.0.0.01/", "http://127.000.000.001/",
	        "http://0x7f.0x0.0.1/",
	};
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		ba_url u;
		const char *err = ba_url_parse(spellings[i], &u);
		if (err)
			ba_test_fail(__FILE__, __LINE__, "%s: %s", spellings[i], err);
		CHECK_EQ_STR(u.host, "127.0.0.1");
		CHECK(u.is_ip);
		CHECK_EQ_INT(u.family, AF_INET);
		CHECK_EQ_STR(u.canonical, "http://127.0.0.1/");
	}
}

TEST(ipv4_metadata_and_zero_spellings)
{
	CHECK_EQ_STR(canon("http://169.254.169.254/latest/meta-data/"),
	             "http://169.254.169.254/latest/meta-data/");
	CHECK_EQ_STR(canon("http://2852039166/"), "http://169.254.169.254/");
	CHECK_EQ_STR(canon("http://0xa9fea9fe/"), "http://169.254.169.254/");
	CHECK_EQ_STR(canon("http://0251.0376.0251.0376/"), "http://169.254.169.254/");
	CHECK_EQ_STR(canon("http://169.254.43518/"), "http://169.254.169.254/");
	CHECK_EQ_STR(canon("http://0/"), "http://0.0.0.0/");
	CHECK_EQ_STR(canon("http://0.0.0.0/"), "http://0.0.0.0/");
	CHECK_EQ_STR(canon("http://0x/"), "http://0.0.0.0/");
	CHECK_EQ_STR(canon("http://4294967295/"), "http://255.255.255.255/");
}

TEST(invalid_ipv4_refused)
{
	/* A host ending in a number must be an address; no fallback to DNS. */
	CHECK_CONTAINS(refuse("http://4294967296/"), "IPv4");
	CHECK_CONTAINS(refuse("http://256.0.0.1/"), "IPv4");
	CHECK_CONTAINS(refuse("http://1.2.3.4.5/"), "IPv4");
	CHECK_CONTAINS(refuse("http://08.0.0.1/"), "IPv4");
	CHECK_CONTAINS(refuse("http://1.2.65536/"), "IPv4");
	CHECK_CONTAINS(refuse("http://1..2/"), "IPv4");
	/* A last label that is not a number is a name for DNS to decide. */
	CHECK_EQ_STR(canon("http://example.0x1g/"), "http://example.0x1g/");
	CHECK_CONTAINS(refuse("http://foo.123/"), "IPv4");
	/* Numeric-looking labels that are not last are ordinary names. */
	CHECK_EQ_STR(canon("http://1.2.3.example/"), "http://1.2.3.example/");
}

TEST(ipv6_literals_canonical)
{
	ba_url *u = url_new();
	CHECK(ba_url_parse("http://[::1]:8080/x", u) == NULL);
	CHECK_EQ_STR(u->host, "::1");
	CHECK(u->is_ip);
	CHECK_EQ_INT(u->family, AF_INET6);
	CHECK_EQ_STR(u->canonical, "http://[::1]:8080/x");
	CHECK_EQ_STR(canon("http://[0:0:0:0:0:0:0:1]/"), "http://[::1]/");
	CHECK_EQ_STR(canon("http://[2001:DB8:0:0:1:0:0:1]/"), "http://[2001:db8::1:0:0:1]/");
	CHECK_EQ_STR(canon("http://[::ffff:7f00:1]/"), "http://[::ffff:127.0.0.1]/");
	CHECK_EQ_STR(canon("http://[::FFFF:127.0.0.1]/"), "http://[::ffff:127.0.0.1]/");
	CHECK_EQ_STR(canon("https://[2606:4700:0000::1111]/"), "https://[2606:4700::1111]/");
	CHECK_EQ_STR(canon("http://[::]/"), "http://[::]/");
	free(u);
}

TEST(ipv6_refusals)
{
	CHECK_CONTAINS(refuse("http://[fe80::1%25eth0]/"), "zone");
	CHECK_CONTAINS(refuse("http://[fe80::1%eth0]/"), "zone");
	CHECK_CONTAINS(refuse("http://[::1/"), "IPv6");
	CHECK_CONTAINS(refuse("http://[::1]x/"), "IPv6");
	CHECK_CONTAINS(refuse("http://[1:2:3:4:5:6:7:8:9]/"), "IPv6");
	CHECK_CONTAINS(refuse("http://[]/"), "IPv6");
	CHECK_CONTAINS(refuse("http://[127.0.0.1]/"), "IPv6");
	CHECK(ba_url_parse("http://::1/", &(ba_url){0}) != NULL);
}

TEST(userinfo_refused)
{
	CHECK_EQ_STR(refuse("http://user@example.com/"), "userinfo is not allowed in URLs");
	CHECK_EQ_STR(refuse("http://user:pw@example.com/"), "userinfo is not allowed in URLs");
	CHECK_EQ_STR(refuse("http://example.com@127.0.0.1/"), "userinfo is not allowed in URLs");
	CHECK_EQ_STR(refuse("http://@example.com/"), "userinfo is not allowed in URLs");
	/* An '@' after the authority is an ordinary path or query byte. */
	CHECK_EQ_STR(canon("http://example.com/a@b?c@d"), "http://example.com/a@b?c@d");
}

TEST(schemes_refused)
{
	CHECK_EQ_STR(refuse("ftp://example.com/"), "scheme must be http or https");
	CHECK_EQ_STR(refuse("file:///etc/passwd"), "scheme must be http or https");
	CHECK_EQ_STR(refuse("gopher://127.0.0.1:6379/_x"), "scheme must be http or https");
	CHECK_EQ_STR(refuse("httpsx://example.com/"), "scheme must be http or https");
	CHECK_CONTAINS(refuse("//example.com/"), "scheme");
	CHECK_CONTAINS(refuse("example.com"), "scheme");
	CHECK_CONTAINS(refuse(""), "scheme");
	CHECK_CONTAINS(refuse("http:example.com"), "//");
	CHECK_CONTAINS(refuse("http:/example.com"), "//");
	CHECK_EQ_STR(canon("HtTp://example.com"), "http://example.com/");
}

TEST(host_character_refusals)
{
	CHECK_EQ_STR(refuse("http://exa%6dple.com/"), "percent-encoding is not allowed in hosts");
	CHECK_EQ_STR(refuse("http://127.0.0.1%2f/"), "percent-encoding is not allowed in hosts");
	CHECK_EQ_STR(refuse("http:\\\\example.com/"), "backslashes are not allowed in URLs");
	CHECK_EQ_STR(refuse("http://example.com\\@evil.com/"),
	             "backslashes are not allowed in URLs");
	CHECK_EQ_STR(refuse("http://example.com/a\\b"), "backslashes are not allowed in URLs");
	CHECK_CONTAINS(refuse("http://exa mple.com/"), "control");
	CHECK_CONTAINS(refuse("http://example.com/a b"), "control");
	CHECK_CONTAINS(refuse(" http://example.com/"), "control");
	CHECK_CONTAINS(refuse("http://example.com/\t"), "control");
	CHECK_CONTAINS(refuse("http://example.com/\r\nX-Evil: 1"), "control");
	CHECK_CONTAINS(refuse("http://exam\x7fple.com/"), "control");
	CHECK_CONTAINS(refuse("http://ex\xc3\xa4mple.com/"), "punycode");
	CHECK_CONTAINS(refuse("http://exa*mple.com/"), "host");
	CHECK_CONTAINS(refuse("http://a..b/"), "label");
	CHECK_CONTAINS(refuse("http://.a/"), "label");
	CHECK_EQ_STR(refuse("http:///path"), "host is empty");
	CHECK_EQ_STR(refuse("http://:80/"), "host is empty");
	CHECK_EQ_STR(refuse("http://./"), "host is empty");
	CHECK_EQ_STR(canon("http://Example.COM./"), "http://example.com/");
	CHECK_EQ_STR(canon("http://xn--bcher-kva.example/"), "http://xn--bcher-kva.example/");
}

TEST(long_inputs_refused)
{
	size_t n = BA_URL_MAX + 10;
	char *s = malloc(n + 1);
	CHECK(s != NULL);
	memcpy(s, "http://example.com/", 19);
	memset(s + 19, 'a', n - 19);
	s[n] = '\0';
	CHECK_EQ_STR(refuse(s), "URL is too long");
	/* Just under the limit parses. */
	s[BA_URL_MAX - 1] = '\0';
	CHECK(ba_url_parse(s, &(ba_url){0}) == NULL);
	free(s);

	char host[400];
	memcpy(host, "http://", 7);
	memset(host + 7, 'a', 300);
	host[307] = '\0';
	CHECK_CONTAINS(refuse(host), "host");
	char label[100];
	memcpy(label, "http://", 7);
	memset(label + 7, 'a', 64);
	memcpy(label + 71, ".com/", 6);
	CHECK_CONTAINS(refuse(label), "label");
}

TEST(dot_segments_resolved)
{
	CHECK_EQ_STR(canon("http://h/v1/../admin"), "http://h/admin");
	CHECK_EQ_STR(canon("http://h/v1/./x"), "http://h/v1/x");
	CHECK_EQ_STR(canon("http://h/../../etc"), "http://h/etc");
	CHECK_EQ_STR(canon("http://h/a/b/.."), "http://h/a/");
	CHECK_EQ_STR(canon("http://h/a/b/."), "http://h/a/b/");
	CHECK_EQ_STR(canon("http://h/a//../b"), "http://h/a/b");
	CHECK_EQ_STR(canon("http://h/v1/%2e%2e/admin"), "http://h/admin");
	CHECK_EQ_STR(canon("http://h/v1/%2E./admin"), "http://h/admin");
	CHECK_EQ_STR(canon("http://h/v1/.%2e/admin"), "http://h/admin");
	CHECK_EQ_STR(canon("http://h/v1/%2e/x"), "http://h/v1/x");
	CHECK_EQ_STR(canon("http://h/.."), "http://h/");
	/* Dot-segments in the query are data, not path. */
	CHECK_EQ_STR(canon("http://h/a?x=/../b"), "http://h/a?x=/../b");
	CHECK_EQ_STR(canon("http://h?q=1"), "http://h/?q=1");
	/* Names that merely contain dots are ordinary segments. */
	CHECK_EQ_STR(canon("http://h/a/..b/.c/..."), "http://h/a/..b/.c/...");
}

TEST(encoded_traversal_refused)
{
	CHECK_CONTAINS(refuse("http://h/v1/..%2fadmin"), "dot-segments");
	CHECK_CONTAINS(refuse("http://h/v1/..%2Fadmin"), "dot-segments");
	CHECK_CONTAINS(refuse("http://h/v1/%2e%2e%2fadmin"), "dot-segments");
	CHECK_CONTAINS(refuse("http://h/v1/x%2f..%2f..%2fadmin"), "dot-segments");
	CHECK_CONTAINS(refuse("http://h/v1/..%5cadmin"), "dot-segments");
	/* An encoded slash without dots is legitimate (GitLab project ids). */
	CHECK_EQ_STR(canon("http://h/api/v4/projects/group%2Fproject"),
	             "http://h/api/v4/projects/group%2Fproject");
	CHECK_EQ_STR(canon("http://h/a%2f...%2fb"), "http://h/a%2f...%2fb");
}

TEST(percent_encoding_in_path)
{
	CHECK_CONTAINS(refuse("http://h/a%zz"), "percent");
	CHECK_CONTAINS(refuse("http://h/a%"), "percent");
	CHECK_CONTAINS(refuse("http://h/a%2"), "percent");
	CHECK_CONTAINS(refuse("http://h/a?q=%g0"), "percent");
	CHECK_EQ_STR(canon("http://h/a%20b?q=%41"), "http://h/a%20b?q=%41");
	/* Raw non-ASCII bytes are escaped, so only ASCII reaches the wire. */
	CHECK_EQ_STR(canon("http://h/caf\xc3\xa9?q=\xc3\xa9"), "http://h/caf%C3%A9?q=%C3%A9");
}

TEST(fragment_dropped)
{
	CHECK_EQ_STR(canon("http://h/a#b"), "http://h/a");
	CHECK_EQ_STR(canon("http://h#b"), "http://h/");
	CHECK_EQ_STR(canon("http://h/a?x#/../../y"), "http://h/a?x");
}

/* Resolves ref against base and returns the canonical result. */
static const char *resolve(const char *base_text, const char *ref)
{
	static ba_url base, out;
	const char *err = ba_url_parse(base_text, &base);
	if (err)
		ba_test_fail(__FILE__, __LINE__, "parse(\"%s\"): %s", base_text, err);
	err = ba_url_resolve(&base, ref, &out);
	if (err)
		ba_test_fail(__FILE__, __LINE__, "resolve(\"%s\", \"%s\"): %s", base_text, ref,
		             err);
	return out.canonical;
}

TEST(redirect_resolution)
{
	const char *b = "https://api.example.com:8443/v1/items/42?x=1";
	CHECK_EQ_STR(resolve(b, "https://other.example/p"), "https://other.example/p");
	CHECK_EQ_STR(resolve(b, "HTTP://Other.Example:80"), "http://other.example/");
	CHECK_EQ_STR(resolve(b, "//cdn.example.com/a"), "https://cdn.example.com/a");
	CHECK_EQ_STR(resolve(b, "/v2/x?y=2"), "https://api.example.com:8443/v2/x?y=2");
	CHECK_EQ_STR(resolve(b, "43"), "https://api.example.com:8443/v1/items/43");
	CHECK_EQ_STR(resolve(b, "../users"), "https://api.example.com:8443/v1/users");
	CHECK_EQ_STR(resolve(b, "../../../../etc"), "https://api.example.com:8443/etc");
	CHECK_EQ_STR(resolve(b, "./"), "https://api.example.com:8443/v1/items/");
	CHECK_EQ_STR(resolve(b, "?page=2"), "https://api.example.com:8443/v1/items/42?page=2");
	CHECK_EQ_STR(resolve(b, "#frag"), "https://api.example.com:8443/v1/items/42?x=1");
	CHECK_EQ_STR(resolve(b, ""), "https://api.example.com:8443/v1/items/42?x=1");
	CHECK_EQ_STR(resolve("http://[::1]:8080/a/b", "c"), "http://[::1]:8080/a/c");
	CHECK_EQ_STR(resolve("http://[::1]/a/b", "/c"), "http://[::1]/c");
	CHECK_EQ_STR(resolve("http://h", "x"), "http://h/x");
}

TEST(redirect_refusals)
{
	ba_url base, out;
	CHECK(ba_url_parse("https://api.example.com/v1/", &base) == NULL);
	CHECK_EQ_STR(ba_url_resolve(&base, "file:///etc/passwd", &out),
	             "scheme must be http or https");
	CHECK_EQ_STR(ba_url_resolve(&base, "gopher://x/", &out), "scheme must be http or https");
	CHECK_EQ_STR(ba_url_resolve(&base, "//user@evil.com/", &out),
	             "userinfo is not allowed in URLs");
	CHECK_EQ_STR(ba_url_resolve(&base, "/\\evil.com", &out),
	             "backslashes are not allowed in URLs");
	CHECK_EQ_STR(ba_url_resolve(&base, "\\\\evil.com", &out),
	             "backslashes are not allowed in URLs");
	CHECK_CONTAINS(ba_url_resolve(&base, "a b", &out), "control");
	CHECK_CONTAINS(ba_url_resolve(&base, "..%2f..%2fadmin", &out), "dot-segments");
	/* Redirects to internal addresses parse; egress decides on them. */
	CHECK(ba_url_resolve(&base, "http://0x7f.1:6379/", &out) == NULL);
	CHECK_EQ_STR(out.host, "127.0.0.1");
	CHECK_EQ_STR(out.canonical, "http://127.0.0.1:6379/");
}

TEST(canon_host_helper_matches_parser)
{
	char out[BA_URL_HOST_MAX];
	bool ip;
	int fam;
	CHECK(ba_url_canon_host("0x7f.1", 6, out, &ip, &fam) == NULL);
	CHECK_EQ_STR(out, "127.0.0.1");
	CHECK(ip);
	CHECK_EQ_INT(fam, AF_INET);
	CHECK(ba_url_canon_host("[::FFFF:7f00:1]", 15, out, &ip, &fam) == NULL);
	CHECK_EQ_STR(out, "::ffff:127.0.0.1");
	CHECK_EQ_INT(fam, AF_INET6);
	CHECK(ba_url_canon_host("API.Example.com.", 16, out, &ip, &fam) == NULL);
	CHECK_EQ_STR(out, "api.example.com");
	CHECK(!ip);
	CHECK_EQ_INT(fam, 0);
	CHECK(ba_url_canon_host("", 0, out, &ip, &fam) != NULL);
	/* The length bounds the host: the bytes after it are not read. */
	CHECK(ba_url_canon_host("example.com:80", 11, out, &ip, &fam) == NULL);
	CHECK_EQ_STR(out, "example.com");
}

TEST(authority_delimiter_tricks)
{
	/* What ends the authority is the first '/', '?' or '#'; every later
	 * '@' is path, query or fragment, never userinfo. */
	CHECK_EQ_STR(canon("http://evil.com#@good.com/"), "http://evil.com/");
	CHECK_EQ_STR(canon("http://evil.com?@good.com/"), "http://evil.com/?@good.com/");
	CHECK_EQ_STR(canon("http://evil.com/@good.com/"), "http://evil.com/@good.com/");
	CHECK_EQ_STR(refuse("http://good.com:80@evil.com/"), "userinfo is not allowed in URLs");
	CHECK_EQ_STR(refuse("http://[::1]@evil.com/"), "userinfo is not allowed in URLs");
	CHECK_EQ_STR(refuse("http://good.com%23@evil.com/"), "userinfo is not allowed in URLs");
	CHECK_CONTAINS(refuse("http://good.com;.evil.com/"), "host");
	CHECK_CONTAINS(refuse("http://good.com,evil.com/"), "host");
	CHECK_EQ_STR(canon("http://under_score-and-hyphen.example/"),
	             "http://under_score-and-hyphen.example/");
}

/*
 * Random inputs built from the characters that matter to URL parsing:
 * nothing crashes (run under ASan too), and whatever is accepted has a
 * canonical form that parses to itself - so canonicalising twice can
 * never change which host or path a grant is checked against.
 */
TEST(random_inputs_canonical_form_is_stable)
{
	static const char *const pieces[] = {
	        "http://", "https://", "HTTP://", "[",   "]",   ":",   "::",  "@",  "/",
	        "//",      "?",        "#",       "%",   "%2e", "%2f", "%41", "..", ".",
	        "0x",      "0",        "7f",      "127", "1",   "255", "a",   "Z",  "ex.com",
	        "ffff",    "\xc3\xa9", "\\",      " ",   "*",   "-",   "_",   "80", "65536",
	};
	static ba_url a, b;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char text[128];
	unsigned accepted = 0;
	for (int iter = 0; iter < 40000; iter++) {
		size_t n = 0;
		int parts = 1 + (int)(x % 9);
		if (iter % 2 == 0)
			n = (size_t)snprintf(text, sizeof(text), "%s",
			                     iter % 4 ? "http://" : "https://");
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
		if (ba_url_parse(text, &a) != NULL)
			continue;
		accepted++;
		const char *err = ba_url_parse(a.canonical, &b);
		if (err || strcmp(a.canonical, b.canonical) != 0 || strcmp(a.host, b.host) != 0)
			ba_test_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\" -> %s", text,
			             a.canonical, err ? err : b.canonical);
		CHECK(a.host[0] != '\0');
		CHECK(a.path[0] == '/');
	}
	CHECK(accepted > 1000); /* the generator does reach the interesting paths */
}

TEST(resolve_limits)
{
	ba_url base, out;
	CHECK(ba_url_parse("https://h/a/b?q", &base) == NULL);
	size_t n = BA_URL_MAX + 5;
	char *ref = malloc(n + 1);
	CHECK(ref != NULL);
	memset(ref, 'x', n);
	ref[n] = '\0';
	CHECK_EQ_STR(ba_url_resolve(&base, ref, &out), "URL is too long");
	/* A reference that fits alone but not once joined to the base. */
	ref[BA_URL_MAX - 4] = '\0';
	CHECK_EQ_STR(ba_url_resolve(&base, ref, &out), "URL is too long");
	free(ref);
	CHECK(ba_url_resolve(&base, "c/../../../d", &out) == NULL);
	CHECK_EQ_STR(out.canonical, "https://h/d");
}

TEST(ipv4_part_range_limits)
{
	/* a.b.c.d: 8 bits each; a.b.c: the last part 16 bits; a.b: 24 bits. */
	CHECK_EQ_STR(canon("http://0377.0377.0377.0377/"), "http://255.255.255.255/");
	CHECK_EQ_STR(canon("http://1.2.65535/"), "http://1.2.255.255/");
	CHECK_EQ_STR(canon("http://1.16777215/"), "http://1.255.255.255/");
	CHECK_EQ_STR(canon("http://0xffffffff/"), "http://255.255.255.255/");
	CHECK_EQ_STR(canon("http://037777777777/"), "http://255.255.255.255/");
	CHECK_CONTAINS(refuse("http://1.16777216/"), "IPv4");
	CHECK_CONTAINS(refuse("http://0x100.0.0.1/"), "IPv4");
	CHECK_CONTAINS(refuse("http://0400.0.0.1/"), "IPv4");
	CHECK_CONTAINS(refuse("http://0x1ffffffff/"), "IPv4");
	CHECK_CONTAINS(refuse("http://99999999999999999999999/"), "IPv4");
}
