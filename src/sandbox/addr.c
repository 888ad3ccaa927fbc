/*
 * addr.c - classification of IP addresses (see addr.h).
 *
 * Two tables, one per family, matched longest-prefix-first. The IPv6 side
 * is default-deny: only 2000::/3 (global unicast) can be public at all, and
 * every prefix that carries an IPv4 address (mapped, compatible, NAT64,
 * 6to4, Teredo) is classified by that address, so "[::ffff:127.0.0.1]" or
 * "[2002:7f00:1::]" cannot be used to reach loopback through a grant for
 * public hosts. Sources: the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates).
 */
#include "sandbox/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct v4_entry {
	uint32_t prefix;
	unsigned len;
	ba_addr_class cls;
} v4_entry;

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static const v4_entry v4_table[] = {
        {V4(0, 0, 0, 0), 8, BA_ADDR_UNSPECIFIED},         /* "this network"             */
        {V4(10, 0, 0, 0), 8, BA_ADDR_PRIVATE},            /* RFC 1918                   */
        {V4(100, 64, 0, 0), 10, BA_ADDR_CGNAT},           /* RFC 6598 shared space      */
        {V4(127, 0, 0, 0), 8, BA_ADDR_LOOPBACK},          /*                            */
        {V4(169, 254, 0, 0), 16, BA_ADDR_LINK_LOCAL},     /* incl. cloud metadata       */
        {V4(172, 16, 0, 0), 12, BA_ADDR_PRIVATE},         /* RFC 1918                   */
        {V4(192, 0, 0, 0), 24, BA_ADDR_RESERVED},         /* IETF protocol assignments  */
        {V4(192, 0, 2, 0), 24, BA_ADDR_DOCUMENTATION},    /* TEST-NET-1                 */
        {V4(192, 88, 99, 0), 24, BA_ADDR_RESERVED},       /* 6to4 relay anycast (gone)  */
        {V4(192, 168, 0, 0), 16, BA_ADDR_PRIVATE},        /* RFC 1918                   */
        {V4(198, 18, 0, 0), 15, BA_ADDR_RESERVED},        /* benchmarking               */
        {V4(198, 51, 100, 0), 24, BA_ADDR_DOCUMENTATION}, /* TEST-NET-2               */
        {V4(203, 0, 113, 0), 24, BA_ADDR_DOCUMENTATION},  /* TEST-NET-3               */
        {V4(224, 0, 0, 0), 4, BA_ADDR_MULTICAST},         /*                            */
        {V4(240, 0, 0, 0), 4, BA_ADDR_RESERVED},          /* future use                 */
        {V4(255, 255, 255, 255), 32, BA_ADDR_BROADCAST},  /* limited broadcast         */
};

static ba_addr_class classify_v4(uint32_t a)
{
	unsigned best_len = 0;
	ba_addr_class best = BA_ADDR_PUBLIC;
	for (size_t i = 0; i < sizeof(v4_table) / sizeof(v4_table[0]); i++) {
		const v4_entry *e = &v4_table[i];
		uint32_t mask = e->len == 0 ? 0 : (UINT32_MAX << (32 - e->len));
		if ((a & mask) == e->prefix && e->len >= best_len) {
			best_len = e->len;
			best = e->cls;
		}
	}
	return best;
}

/* How an IPv6 prefix is classified: a fixed class, or by the IPv4
 * address it embeds. */
enum v6_kind {
	V6_FIXED,
	V6_EMBED_LAST32,      /* mapped, compatible, SIIT, NAT64 64:ff9b::/96 */
	V6_EMBED_NAT64_LOCAL, /* 64:ff9b:1::/48, any RFC 6052 layout        */
	V6_EMBED_6TO4,        /* 2002:AABB:CCDD::/16                         */
	V6_EMBED_TEREDO,      /* 2001:0::/32, client inverted in last 32 bits */
	V6_GLOBAL,            /* 2000::/3: public unless listed below        */
};

typedef struct v6_entry {
	uint8_t prefix[16];
	unsigned len;
	enum v6_kind kind;
	ba_addr_class cls;
} v6_entry;

static const v6_entry v6_table[] = {
        /* Default: anything outside 2000::/3 is not global unicast. */
        {{0}, 0, V6_FIXED, BA_ADDR_RESERVED},
        {{0x20}, 3, V6_GLOBAL, BA_ADDR_PUBLIC},
        {{0}, 128, V6_FIXED, BA_ADDR_UNSPECIFIED},
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, V6_FIXED, BA_ADDR_LOOPBACK},
        /* IPv4-compatible ::a.b.c.d (deprecated, still accepted by stacks). */
        {{0}, 96, V6_EMBED_LAST32, BA_ADDR_RESERVED},
        /* IPv4-mapped ::ffff:a.b.c.d */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, V6_EMBED_LAST32, BA_ADDR_RESERVED},
        /* IPv4-translated ::ffff:0:a.b.c.d (SIIT, RFC 2765) */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96, V6_EMBED_LAST32, BA_ADDR_RESERVED},
        /* NAT64 well-known prefix (RFC 6052) and local-use prefix (RFC 8215). */
        {{0, 0x64, 0xff, 0x9b}, 96, V6_EMBED_LAST32, BA_ADDR_RESERVED},
        {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, V6_EMBED_NAT64_LOCAL, BA_ADDR_RESERVED},
        /* Discard-only (RFC 6666). */
        {{0x01, 0x00}, 64, V6_FIXED, BA_ADDR_RESERVED},
        /* IETF protocol assignments (RFC 2928); Teredo inside it. */
        {{0x20, 0x01}, 23, V6_FIXED, BA_ADDR_RESERVED},
        {{0x20, 0x01, 0, 0}, 32, V6_EMBED_TEREDO, BA_ADDR_RESERVED},
        {{0x20, 0x01, 0x0d, 0xb8}, 32, V6_FIXED, BA_ADDR_DOCUMENTATION},
        /* 6to4 (RFC 3056). */
        {{0x20, 0x02}, 16, V6_EMBED_6TO4, BA_ADDR_RESERVED},
        /* Documentation (RFC 9637). */
        {{0x3f, 0xff, 0x00}, 20, V6_FIXED, BA_ADDR_DOCUMENTATION},
        /* Segment Routing SIDs (RFC 9602). */
        {{0x5f, 0x00}, 16, V6_FIXED, BA_ADDR_RESERVED},
        {{0xfc}, 7, V6_FIXED, BA_ADDR_PRIVATE}, /* unique local        */
        {{0xfe, 0x80}, 10, V6_FIXED, BA_ADDR_LINK_LOCAL},
        {{0xfe, 0xc0}, 10, V6_FIXED, BA_ADDR_RESERVED}, /* site-local (gone) */
        {{0xff}, 8, V6_FIXED, BA_ADDR_MULTICAST},
};

static bool v6_match(const uint8_t *a, const uint8_t *prefix, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;
	if (memcmp(a, prefix, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (prefix[full] & mask);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* An embedded IPv4 address decides the class; PUBLIC stays PUBLIC. */
static ba_addr_class embedded(uint32_t v4)
{
	return classify_v4(v4);
}

/*
 * 64:ff9b:1::/48 may be used with any RFC 6052 prefix length from /48 to
 * /96, and we cannot know which the local translator uses. Every layout
 * that is well-formed for this address (the "u" octet, bits 64..71, and
 * the suffix after the IPv4 bits are zero; /96 always is) is read, and
 * any non-public reading wins. Short layouts are tried first: their zero
 * suffix makes a match meaningful, whereas /96 always fits (and reads the
 * zero padding of a /64 address as x.0.0.0). A reading of 0.x.x.x is
 * reported only when nothing else is non-public, since zero padding makes
 * it appear for many addresses.
 */
static ba_addr_class nat64_local(const uint8_t *a)
{
	static const struct {
		uint8_t bytes[4];  /* where the IPv4 address's bytes sit */
		uint8_t suffix_at; /* first suffix byte; 16 = no suffix  */
	} layouts[] = {
	        {{6, 7, 9, 10}, 11},    /* /48 */
	        {{7, 9, 10, 11}, 12},   /* /56 */
	        {{9, 10, 11, 12}, 13},  /* /64 */
	        {{12, 13, 14, 15}, 16}, /* /96 */
	};
	ba_addr_class zero_class = BA_ADDR_PUBLIC;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		bool well_formed = layouts[i].suffix_at == 16 || a[8] == 0;
		for (size_t k = layouts[i].suffix_at; k < 16; k++)
			well_formed &= a[k] == 0;
		if (!well_formed)
			continue;
		uint8_t v4[4];
		for (size_t k = 0; k < 4; k++)
			v4[k] = a[layouts[i].bytes[k]];
		ba_addr_class c = embedded(be32(v4));
		if (c == BA_ADDR_UNSPECIFIED)
			zero_class = c;
		else if (c != BA_ADDR_PUBLIC)
			return c;
	}
	return zero_class;
}

static ba_addr_class classify_v6(const uint8_t *a)
{
	const v6_entry *best = &v6_table[0];
	for (size_t i = 1; i < sizeof(v6_table) / sizeof(v6_table[0]); i++) {
		const v6_entry *e = &v6_table[i];
		if (v6_match(a, e->prefix, e->len) && e->len >= best->len)
			best = e;
	}
	switch (best->kind) {
	case V6_FIXED:
		return best->cls;
	case V6_GLOBAL:
		return BA_ADDR_PUBLIC;
	case V6_EMBED_LAST32:
		return embedded(be32(a + 12));
	case V6_EMBED_NAT64_LOCAL:
		return nat64_local(a);
	case V6_EMBED_6TO4:
		return embedded(be32(a + 2));
	case V6_EMBED_TEREDO:
		return embedded(~be32(a + 12));
	}
	return BA_ADDR_RESERVED;
}

ba_addr_class ba_addr_classify(const struct sockaddr *sa)
{
	if (!sa)
		return BA_ADDR_RESERVED;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof(sin));
		return classify_v4(ntohl(sin.sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof(sin6));
		return classify_v6(sin6.sin6_addr.s6_addr);
	}
	return BA_ADDR_RESERVED;
}

bool ba_addr_classify_text(const char *text, ba_addr_class *out)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!text)
		return false;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		*out = classify_v4(ntohl(a4.s_addr));
		return true;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		*out = classify_v6(a6.s6_addr);
		return true;
	}
	return false;
}

const char *ba_addr_class_name(ba_addr_class cls)
{
	switch (cls) {
	case BA_ADDR_PUBLIC:
		return "public";
	case BA_ADDR_LOOPBACK:
		return "loopback";
	case BA_ADDR_PRIVATE:
		return "private";
	case BA_ADDR_LINK_LOCAL:
		return "link-local";
	case BA_ADDR_CGNAT:
		return "cgnat";
	case BA_ADDR_MULTICAST:
		return "multicast";
	case BA_ADDR_BROADCAST:
		return "broadcast";
	case BA_ADDR_UNSPECIFIED:
		return "unspecified";
	case BA_ADDR_DOCUMENTATION:
		return "documentation";
	case BA_ADDR_RESERVED:
		return "reserved";
	}
	return "reserved";
}

void ba_addr_format(const struct sockaddr *sa, char *out, size_t out_len)
{
	if (!out || out_len == 0)
		return;
	const char *ok = NULL;
	if (sa && sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof(sin));
		ok = inet_ntop(AF_INET, &sin.sin_addr, out, (socklen_t)out_len);
	} else if (sa && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof(sin6));
		ok = inet_ntop(AF_INET6, &sin6.sin6_addr, out, (socklen_t)out_len);
	}
	if (!ok)
		snprintf(out, out_len, "?");
}
