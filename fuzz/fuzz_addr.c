/*
 * fuzz_addr.c - libFuzzer target: IP address classification
 * (sandbox/addr.h), the last check before egress connects anywhere.
 *
 * The input gives an IPv4 address (its first 4 bytes) and an IPv6 address
 * (its first 16, zero-padded); the rest is also tried as address text.
 * Besides crashes this target aborts when:
 *
 *   - a class is outside the enum, or the sockaddr, text and URL-host
 *     paths classify the same address differently;
 *   - an IPv6 form embedding the IPv4 address (mapped ::ffff:a.b.c.d,
 *     SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002:AABB:CCDD::,
 *     Teredo 2001:0::/32 with the client bit-inverted) is classified
 *     unlike the IPv4 address itself; IPv4-compatible ::a.b.c.d too,
 *     except :: and ::1, which are their own addresses;
 *   - 64:ff9b:1::/48 with a non-public address in any RFC 6052 layout is
 *     public;
 *   - an IPv6 address outside 2000::/3 and the embedding prefixes is
 *     public (addr.h: the IPv6 side is default-deny);
 *   - a family other than AF_INET / AF_INET6 is not BA_ADDR_RESERVED.
 */
#include "check.h"
#include "sandbox/addr.h"
#include "sandbox/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ba_addr_class class_v4(const uint8_t a[4])
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, a, 4);
	return ba_addr_classify((const struct sockaddr *)&sin);
}

static ba_addr_class class_v6(const uint8_t a[16])
{
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(sin6.sin6_addr.s6_addr, a, 16);
	return ba_addr_classify((const struct sockaddr *)&sin6);
}

static void check_enum(ba_addr_class c, const char *what)
{
	const char *name = ba_addr_class_name(c);
	if ((unsigned)c > (unsigned)BA_ADDR_RESERVED || !name || !*name)
		ba_fuzz_fail("%s: class %d", what, (int)c);
}

/* The text and URL-host paths agree with the sockaddr path. */
static void check_text(const struct sockaddr *sa, ba_addr_class want, const char *what)
{
	char text[INET6_ADDRSTRLEN + 2], host[BA_URL_HOST_MAX];
	ba_addr_class got;
	bool is_ip;
	int family;

	ba_addr_format(sa, text + 1, sizeof(text) - 1);
	if (!ba_addr_classify_text(text + 1, &got) || got != want)
		ba_fuzz_fail("%s: %s is %s as an address, but not as text", what, text + 1,
		             ba_addr_class_name(want));
	/* The URL parser's host (IPv6 in brackets) classifies the same. */
	size_t n = strlen(text + 1);
	const char *h = text + 1;
	if (sa->sa_family == AF_INET6) {
		text[0] = '[';
		text[n + 1] = ']';
		h = text;
		n += 2;
	}
	if (ba_url_canon_host(h, n, host, &is_ip, &family) != NULL || !is_ip ||
	    family != sa->sa_family || !ba_addr_classify_text(host, &got) || got != want)
		ba_fuzz_fail("%s: URL host %.*s does not classify as %s", what, (int)n, h,
		             ba_addr_class_name(want));
}

static void expect(const uint8_t a6[16], ba_addr_class want, const char *what)
{
	ba_addr_class got = class_v6(a6);
	char text[INET6_ADDRSTRLEN];
	if (got != want) {
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		ba_fuzz_fail("%s %s is %s, its IPv4 address is %s", what, text,
		             ba_addr_class_name(got), ba_addr_class_name(want));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t a4[4] = {0}, a6[16] = {0}, e[16];

	memcpy(a4, data, size < 4 ? size : 4);
	memcpy(a6, data, size < 16 ? size : 16);

	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, a4, 4);
	ba_addr_class c4 = class_v4(a4);
	check_enum(c4, "IPv4");
	check_text((const struct sockaddr *)&sin, c4, "IPv4");

	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(sin6.sin6_addr.s6_addr, a6, 16);
	ba_addr_class c6 = class_v6(a6);
	check_enum(c6, "IPv6");
	check_text((const struct sockaddr *)&sin6, c6, "IPv6");

	/* Every embedding of a4 classifies as a4. */
	memset(e, 0, 16);
	e[10] = e[11] = 0xff;
	memcpy(e + 12, a4, 4);
	expect(e, c4, "IPv4-mapped");

	memset(e, 0, 16);
	e[8] = e[9] = 0xff;
	memcpy(e + 12, a4, 4);
	expect(e, c4, "IPv4-translated (SIIT)");

	memset(e, 0, 16);
	e[1] = 0x64, e[2] = 0xff, e[3] = 0x9b;
	memcpy(e + 12, a4, 4);
	expect(e, c4, "NAT64");

	memset(e, 0, 16);
	memcpy(e + 12, a4, 4);
	if (!(a4[0] == 0 && a4[1] == 0 && a4[2] == 0 && a4[3] <= 1))
		expect(e, c4, "IPv4-compatible");

	/* 6to4 and Teredo: the other bytes come from the input. */
	memcpy(e, a6, 16);
	e[0] = 0x20, e[1] = 0x02;
	memcpy(e + 2, a4, 4);
	expect(e, c4, "6to4");

	memcpy(e, a6, 16);
	e[0] = 0x20, e[1] = 0x01, e[2] = 0, e[3] = 0;
	for (int i = 0; i < 4; i++)
		e[12 + i] = (uint8_t)~a4[i];
	expect(e, c4, "Teredo");

	/* NAT64 local-use: any RFC 6052 layout that reads a non-public
	 * address makes the whole address non-public. */
	static const uint8_t layouts[4][5] = {
	        {6, 7, 9, 10, 11}, {7, 9, 10, 11, 12}, {9, 10, 11, 12, 13}, {12, 13, 14, 15, 16}};
	for (int l = 0; l < 4; l++) {
		memcpy(e, a6, 16);
		e[0] = 0, e[1] = 0x64, e[2] = 0xff, e[3] = 0x9b, e[4] = 0, e[5] = 1;
		for (int i = 0; i < 4; i++)
			e[layouts[l][i]] = a4[i];
		if (l < 3)
			e[8] = 0;
		for (int k = layouts[l][4]; k < 16; k++)
			e[k] = 0;
		if (c4 != BA_ADDR_PUBLIC && class_v6(e) == BA_ADDR_PUBLIC) {
			char text[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, e, text, sizeof(text));
			ba_fuzz_fail("NAT64 local %s is public, its IPv4 address is %s", text,
			             ba_addr_class_name(c4));
		}
	}

	/* Default-deny: public IPv6 only in 2000::/3 or by an embedded
	 * public IPv4 address. */
	static const uint8_t embed96[4][12] = {
	        {0},
	        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
	        {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0},
	        {0, 0x64, 0xff, 0x9b},
	};
	bool embeds = memcmp(a6, "\x00\x64\xff\x9b\x00\x01", 6) == 0;
	for (int i = 0; i < 4; i++)
		embeds |= memcmp(a6, embed96[i], 12) == 0;
	if (c6 == BA_ADDR_PUBLIC && (a6[0] & 0xe0) != 0x20 && !embeds) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		ba_fuzz_fail("%s is public outside 2000::/3", text);
	}

	/* Other families are never reachable. */
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = size > 4 ? data[4] : AF_UNIX;
	if (sun.sun_family == AF_INET || sun.sun_family == AF_INET6)
		sun.sun_family = AF_UNIX;
	if (ba_addr_classify((const struct sockaddr *)&sun) != BA_ADDR_RESERVED)
		ba_fuzz_fail("family %d is not reserved", (int)sun.sun_family);
	if (ba_addr_classify(NULL) != BA_ADDR_RESERVED)
		ba_fuzz_fail("NULL is not reserved");

	/* The text parser on the input as a string. */
	char *text = malloc(size + 1);
	if (text) {
		ba_addr_class c;
		memcpy(text, data, size);
		text[size] = '\0';
		if (ba_addr_classify_text(text, &c))
			check_enum(c, "text");
		free(text);
	}
	return 0;
}
