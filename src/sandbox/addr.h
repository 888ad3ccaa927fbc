/*
 * addr.h - classification of IP addresses for the egress chokepoint.
 *
 * Every address a name resolves to is classified before anything connects
 * to it. Only BA_ADDR_PUBLIC may be reached through a grant that names a
 * host; anything else needs a grant naming that literal address (or
 * "localhost" for loopback) - the policy lives in egress.c, the facts here.
 *
 * IPv6 forms that embed an IPv4 address are classified by the embedded
 * address: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002:AABB:CCDD::/16, and Teredo
 * 2001:0::/32 (the client address, bit-inverted, in the last 32 bits).
 * A public embedded address still yields at most BA_ADDR_PUBLIC; a private
 * one yields the embedded class.
 */
#ifndef BA_SANDBOX_ADDR_H
#define BA_SANDBOX_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef enum ba_addr_class {
	BA_ADDR_PUBLIC = 0,
	BA_ADDR_LOOPBACK,      /* 127/8, ::1                                   */
	BA_ADDR_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, fc00::/7        */
	BA_ADDR_LINK_LOCAL,    /* 169.254/16 (cloud metadata), fe80::/10       */
	BA_ADDR_CGNAT,         /* 100.64/10                                    */
	BA_ADDR_MULTICAST,     /* 224/4, ff00::/8                              */
	BA_ADDR_BROADCAST,     /* 255.255.255.255                              */
	BA_ADDR_UNSPECIFIED,   /* 0.0.0.0/8, ::                                */
	BA_ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24,
	                          2001:db8::/32                               */
	BA_ADDR_RESERVED,      /* 240/4, 192.0.0/24, 198.18/15 (benchmarking),
	                          fec0::/10 (site-local), 100::/64 (discard),
	                          other IETF special-purpose blocks           */
} ba_addr_class;

/* Classifies a sockaddr_in or sockaddr_in6 (borrowed). Any other family
 * is BA_ADDR_RESERVED. */
ba_addr_class ba_addr_classify(const struct sockaddr *sa);

/* Parses an address in canonical text form (dotted quad or IPv6 text,
 * no brackets) and classifies it; false if text is not an address. */
bool ba_addr_classify_text(const char *text, ba_addr_class *out);

/* "public", "loopback", "private", "link-local", "cgnat", ... */
const char *ba_addr_class_name(ba_addr_class cls);

/* Formats the address of sa as text (no port) into out; "?" on failure. */
void ba_addr_format(const struct sockaddr *sa, char *out, size_t out_len);

#endif
