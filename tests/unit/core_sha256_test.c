/* Tests for src/core/sha256.c against the FIPS 180-4 / NIST example
 * vectors, padding boundaries, and incremental hashing. */
#include "test.h"

#include "core/sha256.h"

#include <stdlib.h>
#include <string.h>

static void check_hex(const char *message, size_t len, const char *want)
{
	char hex[BA_SHA256_HEX_SIZE];
	ba_sha256_hex_of(message, len, hex);
	CHECK_EQ_STR(hex, want);
}

TEST(empty_message)
{
	check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* NULL with length 0 is allowed. */
	check_hex(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(abc)
{
	check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(message_448_bits)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_EQ_UINT(strlen(m) * 8, 448);
	check_hex(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(message_896_bits)
{
	static const char m[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	                        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	CHECK_EQ_UINT(strlen(m) * 8, 896);
	check_hex(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(one_million_a_one_shot_and_in_pieces)
{
	static const char want[] =
	        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *m = malloc(1000000);
	char hex[BA_SHA256_HEX_SIZE];
	uint8_t digest[BA_SHA256_SIZE];
	ba_sha256_ctx ctx;

	CHECK(m != NULL);
	memset(m, 'a', 1000000);
	check_hex(m, 1000000, want);

	/* Odd-sized pieces so that block boundaries fall inside updates. */
	ba_sha256_init(&ctx);
	for (size_t done = 0; done < 1000000;) {
		size_t n = 1000000 - done < 997 ? 1000000 - done : 997;
		ba_sha256_update(&ctx, m + done, n);
		done += n;
	}
	ba_sha256_final(&ctx, digest);
	ba_sha256_hex(digest, hex);
	CHECK_EQ_STR(hex, want);
	free(m);
}

/* Lengths around the padding boundaries: 55 bytes still fit the length in
 * one block, 56 need a second one; 64 and 120 likewise. Expected values
 * from coreutils sha256sum. */
TEST(padding_boundaries)
{
	static const struct {
		size_t len;
		const char *hex;
	} cases[] = {
	        {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
	        {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
	        {57, "ae14a2563ccf969d99aca69ce6bb74981f734bbf9f655f73b8f06db68cab5217"},
	        {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
	        {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
	        {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
	        {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
	        {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
	};
	char x[128];

	memset(x, 'x', sizeof(x));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_hex(x, cases[i].len, cases[i].hex);
}

/* Every way of cutting a message that spans three blocks into two and into
 * three updates gives the one-shot digest. */
TEST(incremental_matches_one_shot_at_every_split)
{
	char m[150];
	uint8_t want[BA_SHA256_SIZE], got[BA_SHA256_SIZE];
	ba_sha256_ctx ctx;

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (char)(i * 7 + 3);
	ba_sha256(m, sizeof(m), want);
	for (size_t a = 0; a <= sizeof(m); a++) {
		ba_sha256_init(&ctx);
		ba_sha256_update(&ctx, m, a);
		ba_sha256_update(&ctx, m + a, sizeof(m) - a);
		ba_sha256_final(&ctx, got);
		if (memcmp(got, want, sizeof(want)) != 0)
			ba_test_fail(__FILE__, __LINE__, "two-way split at %zu differs", a);
		for (size_t b = a; b <= sizeof(m); b += 5) {
			ba_sha256_init(&ctx);
			ba_sha256_update(&ctx, m, a);
			ba_sha256_update(&ctx, m + a, b - a);
			ba_sha256_update(&ctx, m + b, sizeof(m) - b);
			ba_sha256_final(&ctx, got);
			if (memcmp(got, want, sizeof(want)) != 0)
				ba_test_fail(__FILE__, __LINE__, "split at %zu and %zu differs", a,
				             b);
		}
	}
}

TEST(byte_at_a_time)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t digest[BA_SHA256_SIZE];
	char hex[BA_SHA256_HEX_SIZE];
	ba_sha256_ctx ctx;

	ba_sha256_init(&ctx);
	for (size_t i = 0; i < strlen(m); i++)
		ba_sha256_update(&ctx, m + i, 1);
	ba_sha256_final(&ctx, digest);
	ba_sha256_hex(digest, hex);
	CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(context_is_reusable_after_init)
{
	uint8_t digest[BA_SHA256_SIZE];
	char hex[BA_SHA256_HEX_SIZE];
	ba_sha256_ctx ctx;

	ba_sha256_init(&ctx);
	ba_sha256_update(&ctx, "something else", 14);
	ba_sha256_final(&ctx, digest);
	ba_sha256_init(&ctx);
	ba_sha256_update(&ctx, "abc", 3);
	ba_sha256_final(&ctx, digest);
	ba_sha256_hex(digest, hex);
	CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
