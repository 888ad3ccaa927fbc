/*
 * sha256.h - SHA-256 (FIPS 180-4), incremental and one-shot.
 *
 * Written here rather than taken from libsodium or OpenSSL on purpose:
 * every boxagent run would pay for loading a crypto library, and hashing
 * an audit-log line does not justify that (docs/audit.md). This is a
 * plain portable implementation, not constant-time with respect to
 * anything but the input length, which is fine for hashing public data;
 * it is not meant for keys or MACs.
 *
 *   ba_sha256_ctx ctx;
 *   uint8_t digest[BA_SHA256_SIZE];
 *   char hex[BA_SHA256_HEX_SIZE];
 *   ba_sha256_init(&ctx);
 *   ba_sha256_update(&ctx, part1, len1);   // any number of times
 *   ba_sha256_update(&ctx, part2, len2);
 *   ba_sha256_final(&ctx, digest);
 *   ba_sha256_hex(digest, hex);            // 64 lower-case hex digits + NUL
 */
#ifndef BA_CORE_SHA256_H
#define BA_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define BA_SHA256_SIZE     32 /* bytes in a digest                     */
#define BA_SHA256_HEX_SIZE 65 /* 64 hex digits and the terminating NUL */

typedef struct ba_sha256_ctx {
	uint32_t state[8];
	uint64_t length;   /* bytes hashed so far (messages < 2^61 bytes) */
	uint8_t block[64]; /* the partial block not yet compressed        */
	size_t used;       /* bytes in block                              */
} ba_sha256_ctx;

void ba_sha256_init(ba_sha256_ctx *ctx);
/* data is borrowed; len may be 0 (then data may be NULL). */
void ba_sha256_update(ba_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes the context; init it again to reuse it. */
void ba_sha256_final(ba_sha256_ctx *ctx, uint8_t digest[BA_SHA256_SIZE]);

/* One-shot: the digest of len bytes at data. */
void ba_sha256(const void *data, size_t len, uint8_t digest[BA_SHA256_SIZE]);

/* Formats a digest as 64 lower-case hex digits and a NUL. */
void ba_sha256_hex(const uint8_t digest[BA_SHA256_SIZE], char hex[BA_SHA256_HEX_SIZE]);

/* One-shot straight to hex: the form the audit log stores. */
void ba_sha256_hex_of(const void *data, size_t len, char hex[BA_SHA256_HEX_SIZE]);

#endif /* BA_CORE_SHA256_H */
