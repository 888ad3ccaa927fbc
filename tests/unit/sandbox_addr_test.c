/* Tests for src/sandbox/addr.c: what counts as a public address. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sandbox/addr.h"
#include "sandbox/url.h"

/* Classifies text, which must be an address, and returns the class name. */
static const char *cls(const char *text)
{
	ba_addr_class c;
	if (!ba_addr_classify_text(text, &c))
		ba_test_fail(__FILE__, __LINE__, "\"%s\" is not an address", text);
	return ba_addr_class_name(c);
}

/* Parses a URL host exactly as egress does, then classifies it. */
static const char *url_cls(const char *url_text)
{
	static ba_url u;
	const char *err = ba_url_parse(url_text, &u);
	if (err)
		ba_test_fail(__FILE__, __LINE__, "parse(\"%s\"): %s", url_text, err);
	CHECK(u.is_ip);
	return cls(u.host);
}

TEST(ipv4_special_blocks)
{
	CHECK_EQ_STR(cls("127.0.0.1"), "loopback");
	CHECK_EQ_STR(cls("127.255.255.254"), "loopback");
	CHECK_EQ_STR(cls("10.0.0.1"), "private");
	CHECK_EQ_STR(cls("172.16.0.1"), "private");
	CHECK_EQ_STR(cls("172.31.255.255"), "private");
	CHECK_EQ_STR(cls("172.32.0.1"), "public");
	CHECK_EQ_STR(cls("172.15.255.255"), "public");
	CHECK_EQ_STR(cls("192.168.1.1"), "private");
	CHECK_EQ_STR(cls("169.254.169.254"), "link-local");
	CHECK_EQ_STR(cls("100.64.0.1"), "cgnat");
	CHECK_EQ_STR(cls("100.127.255.255"), "cgnat");
	CHECK_EQ_STR(cls("100.128.0.0"), "public");
	CHECK_EQ_STR(cls("224.0.0.1"), "multicast");
	CHECK_EQ_STR(cls("239.255.255.250"), "multicast");
	CHECK_EQ_STR(cls("255.255.255.255"), "broadcast");
	CHECK_EQ_STR(cls("255.255.255.254"), "reserved");
	CHECK_EQ_STR(cls("240.0.0.1"), "reserved");
	CHECK_EQ_STR(cls("0.0.0.0"), "unspecified");
	CHECK_EQ_STR(cls("0.1.2.3"), "unspecified");
	CHECK_EQ_STR(cls("192.0.2.1"), "documentation");
	CHECK_EQ_STR(cls("198.51.100.7"), "documentation");
	CHECK_EQ_STR(cls("203.0.113.9"), "documentation");
	CHECK_EQ_STR(cls("192.0.0.8"), "reserved");
	CHECK_EQ_STR(cls("198.18.0.1"), "reserved");
	CHECK_EQ_STR(cls("198.19.255.255"), "reserved");
	CHECK_EQ_STR(cls("198.20.0.0"), "public");
	CHECK_EQ_STR(cls("192.88.99.1"), "reserved");
}

TEST(public_addresses_stay_public)
{
	CHECK_EQ_STR(cls("8.8.8.8"), "public");
	CHECK_EQ_STR(cls("1.1.1.1"), "public");
	CHECK_EQ_STR(cls("93.184.216.34"), "public");
	CHECK_EQ_STR(cls("223.255.255.255"), "public");
	CHECK_EQ_STR(cls("11.0.0.1"), "public");
	CHECK_EQ_STR(cls("2606:4700::1111"), "public");
	CHECK_EQ_STR(cls("2001:4860:4860::8888"), "public");
	CHECK_EQ_STR(cls("2a00:1450:4001:80b::200e"), "public");
	/* Embeddings of a public address stay public. */
	CHECK_EQ_STR(cls("::ffff:8.8.8.8"), "public");
	CHECK_EQ_STR(cls("64:ff9b::808:808"), "public");
	CHECK_EQ_STR(cls("2002:808:808::1"), "public");
	CHECK_EQ_STR(cls("2001:0:4136:e378:8000:63bf:f7f7:f7f7"), "public"); /* 8.8.8.8 */
}

TEST(loopback_in_every_spelling)
{
	static const char *const urls[] = {
	        "http://127.0.0.1/",
	        "http://2130706433/",
	        "http://0177.0.0.1/",
	        "http://0x7f.0.0.1/",
	        "http://127.1/",
	        "http://127.0.0.2/",
	        "http://[::1]/",
	        "http://[0:0:0:0:0:0:0:1]/",
	        "http://[::ffff:127.0.0.1]/",
	        "http://[::ffff:7f00:1]/",
	        "http://[::127.0.0.1]/",
	        "http://[::ffff:0:127.0.0.1]/",
	        "http://[64:ff9b::127.0.0.1]/",
	        "http://[64:ff9b::7f00:1]/",
	        "http://[2002:7f00:1::]/",
	        "http://[2002:7f00:0001:abcd::1]/",
	        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", /* Teredo client 127.0.0.1 */
	        "http://[64:ff9b:1::7f00:1]/",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *c = url_cls(urls[i]);
		if (strcmp(c, "loopback") != 0)
			ba_test_fail(__FILE__, __LINE__, "%s is %s, not loopback", urls[i], c);
	}
}

TEST(metadata_address_in_every_spelling)
{
	static const char *const urls[] = {
	        "http://169.254.169.254/",
	        "http://2852039166/",
	        "http://0xa9.0xfe.0xa9.0xfe/",
	        "http://0251.0376.0251.0376/",
	        "http://169.254.43518/",
	        "http://[::ffff:169.254.169.254]/",
	        "http://[::ffff:a9fe:a9fe]/",
	        "http://[64:ff9b::a9fe:a9fe]/",
	        "http://[2002:a9fe:a9fe::]/",
	        "http://[2001:0::ffff:5601:5601]/", /* Teredo: ~a9fea9fe */
	        "http://[fe80::a9fe:a9fe]/",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *c = url_cls(urls[i]);
		if (strcmp(c, "link-local") != 0)
			ba_test_fail(__FILE__, __LINE__, "%s is %s, not link-local", urls[i], c);
	}
}

TEST(unspecified_addresses)
{
	CHECK_EQ_STR(url_cls("http://0/"), "unspecified");
	CHECK_EQ_STR(url_cls("http://0.0.0.0/"), "unspecified");
	CHECK_EQ_STR(url_cls("http://[::]/"), "unspecified");
	CHECK_EQ_STR(url_cls("http://[::ffff:0.0.0.0]/"), "unspecified");
	CHECK_EQ_STR(url_cls("http://[::ffff:0:0]/"), "unspecified");
}

TEST(ipv6_special_blocks)
{
	CHECK_EQ_STR(cls("::1"), "loopback");
	CHECK_EQ_STR(cls("fc00::1"), "private");
	CHECK_EQ_STR(cls("fd12:3456:789a::1"), "private");
	CHECK_EQ_STR(cls("fe80::1"), "link-local");
	CHECK_EQ_STR(cls("febf:ffff::1"), "link-local");
	CHECK_EQ_STR(cls("fec0::1"), "reserved");
	CHECK_EQ_STR(cls("ff02::1"), "multicast");
	CHECK_EQ_STR(cls("ff05::1:3"), "multicast");
	CHECK_EQ_STR(cls("2001:db8::1"), "documentation");
	CHECK_EQ_STR(cls("3fff::1"), "documentation");
	CHECK_EQ_STR(cls("100::1"), "reserved");
	CHECK_EQ_STR(cls("100::1:0:0:1"), "reserved"); /* outside 2000::/3 anyway */
	CHECK_EQ_STR(cls("2001:2::1"), "reserved");    /* benchmarking, in 2001::/23 */
	CHECK_EQ_STR(cls("2001:10::1"), "reserved");   /* ORCHID */
	CHECK_EQ_STR(cls("5f00::1"), "reserved");
	CHECK_EQ_STR(cls("::2:0:0:1"), "reserved"); /* ::/8, not global unicast */
	CHECK_EQ_STR(cls("4000::1"), "reserved");   /* unallocated */
	CHECK_EQ_STR(cls("2001:200::1"), "public");
}

TEST(ipv6_embeddings_use_the_embedded_class)
{
	CHECK_EQ_STR(cls("::ffff:10.1.2.3"), "private");
	CHECK_EQ_STR(cls("::ffff:192.168.0.1"), "private");
	CHECK_EQ_STR(cls("::ffff:100.64.0.1"), "cgnat");
	CHECK_EQ_STR(cls("::ffff:224.0.0.1"), "multicast");
	CHECK_EQ_STR(cls("::ffff:255.255.255.255"), "broadcast");
	CHECK_EQ_STR(cls("::10.0.0.1"), "private");
	CHECK_EQ_STR(cls("64:ff9b::10.0.0.1"), "private");
	CHECK_EQ_STR(cls("64:ff9b::c0a8:1"), "private");
	CHECK_EQ_STR(cls("2002:c0a8:0101::1"), "private");
	CHECK_EQ_STR(cls("2002:0a00:0001::"), "private");
	/* Teredo: client 10.0.0.1 inverted is f5ff:fffe. */
	CHECK_EQ_STR(cls("2001:0:4136:e378:8000:63bf:f5ff:fffe"), "private");
	/* NAT64 local-use prefix, /48 layout: 10.0.0.1 split around the u octet. */
	CHECK_EQ_STR(cls("64:ff9b:1:a00:0:100::"), "private");
	/* /96 layout within the local-use prefix. */
	CHECK_EQ_STR(cls("64:ff9b:1::c0a8:101"), "private");
	CHECK_EQ_STR(cls("64:ff9b:1::808:808"), "public");
}

TEST(sockaddr_classification_and_format)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	CHECK(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr) == 1);
	CHECK_EQ_INT(ba_addr_classify((const struct sockaddr *)&sin), BA_ADDR_LOOPBACK);
	char buf[64];
	ba_addr_format((const struct sockaddr *)&sin, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "127.0.0.1");

	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	CHECK(inet_pton(AF_INET6, "::ffff:169.254.169.254", &sin6.sin6_addr) == 1);
	CHECK_EQ_INT(ba_addr_classify((const struct sockaddr *)&sin6), BA_ADDR_LINK_LOCAL);
	ba_addr_format((const struct sockaddr *)&sin6, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "::ffff:169.254.169.254");
	CHECK(inet_pton(AF_INET6, "2606:4700::1111", &sin6.sin6_addr) == 1);
	CHECK_EQ_INT(ba_addr_classify((const struct sockaddr *)&sin6), BA_ADDR_PUBLIC);

	struct sockaddr_storage other = {.ss_family = AF_UNIX};
	CHECK_EQ_INT(ba_addr_classify((const struct sockaddr *)&other), BA_ADDR_RESERVED);
	CHECK_EQ_INT(ba_addr_classify(NULL), BA_ADDR_RESERVED);
	ba_addr_format((const struct sockaddr *)&other, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "?");
	/* Too small a buffer gives "?" rather than a cut address. */
	char tiny[4];
	ba_addr_format((const struct sockaddr *)&sin6, tiny, sizeof(tiny));
	CHECK_EQ_STR(tiny, "?");
}

TEST(classify_text_rejects_non_addresses)
{
	ba_addr_class c;
	CHECK(!ba_addr_classify_text("example.com", &c));
	CHECK(!ba_addr_classify_text("127.1", &c)); /* canonical text only */
	CHECK(!ba_addr_classify_text("[::1]", &c));
	CHECK(!ba_addr_classify_text("", &c));
	CHECK(!ba_addr_classify_text(NULL, &c));
	CHECK(!ba_addr_classify_text("fe80::1%eth0", &c));
}

TEST(class_names)
{
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_PUBLIC), "public");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_LOOPBACK), "loopback");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_PRIVATE), "private");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_LINK_LOCAL), "link-local");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_CGNAT), "cgnat");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_MULTICAST), "multicast");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_BROADCAST), "broadcast");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_UNSPECIFIED), "unspecified");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_DOCUMENTATION), "documentation");
	CHECK_EQ_STR(ba_addr_class_name(BA_ADDR_RESERVED), "reserved");
}

TEST(teredo_client_is_bit_inverted)
{
	/* 2001:0:SERVER:FLAGS:PORT:~CLIENT. The server field does not matter. */
	CHECK_EQ_STR(cls("2001:0:4136:e378:8000:63bf:3fff:fdd2"), "documentation"); /* 192.0.2.45 */
	CHECK_EQ_STR(cls("2001:0:c000:0201:0:0:3f57:fefe"), "private");             /* ~c0a8:0101 */
	CHECK_EQ_STR(cls("2001::ffff:ffff"), "unspecified"); /* client 0.0.0.0 */
	CHECK_EQ_STR(cls("2001::"), "broadcast");            /* ~0 = 255.255.255.255 */
	/* Outside 2001::/32 but inside 2001::/23: reserved, not Teredo. */
	CHECK_EQ_STR(cls("2001:1::80ff:fffe"), "reserved");
}

TEST(six_to_four_takes_bits_16_to_47)
{
	CHECK_EQ_STR(cls("2002:0a00:0001::"), "private");
	CHECK_EQ_STR(cls("2002:a9fe:a9fe:1:2:3:4:5"), "link-local");
	CHECK_EQ_STR(cls("2002:6440:0001::1"), "cgnat");
	CHECK_EQ_STR(cls("2002:e000:0001::1"), "multicast");
	CHECK_EQ_STR(cls("2002:0101:0101::7f00:1"), "public"); /* trailing bits do not count */
}

TEST(nat64_local_prefix_layouts)
{
	/* RFC 6052 layouts inside 64:ff9b:1::/48 (u octet = bits 64..71). */
	CHECK_EQ_STR(cls("64:ff9b:1:7f:0:1::"), "loopback");          /* /56: 7f | 00.00.01 */
	CHECK_EQ_STR(cls("64:ff9b:1::a9:fea9:fe00:0"), "link-local"); /* /64 */
	CHECK_EQ_STR(cls("64:ff9b:1::a9fe:a9fe"), "link-local");      /* /96 */
	CHECK_EQ_STR(cls("64:ff9b:1::"), "unspecified");
	CHECK_EQ_STR(cls("64:ff9b:1:ffff::808:808"), "public");
	/* A non-zero u octet rules out the short layouts. */
	CHECK_EQ_STR(cls("64:ff9b:1:a00:ff00:100:808:808"), "public");
}
