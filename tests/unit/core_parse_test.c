/* Tests for src/core/parse.c: strict numbers, sizes and durations. */
#include "test.h"

#include "core/parse.h"

TEST(u64_decimal_hex_and_errors)
{
	uint64_t v;
	CHECK(ba_parse_u64("0", &v) == NULL);
	CHECK_EQ_UINT(v, 0);
	CHECK(ba_parse_u64("18446744073709551615", &v) == NULL);
	CHECK_EQ_UINT(v, UINT64_MAX);
	CHECK(ba_parse_u64("0xFFff", &v) == NULL);
	CHECK_EQ_UINT(v, 0xffff);
	CHECK_EQ_STR(ba_parse_u64("18446744073709551616", &v), "number too large");
	CHECK(ba_parse_u64("", &v) != NULL);
	CHECK(ba_parse_u64("12x", &v) != NULL);
	CHECK(ba_parse_u64("-1", &v) != NULL);
	CHECK(ba_parse_u64(" 1", &v) != NULL);
	CHECK(ba_parse_u64("0x", &v) != NULL);
}

TEST(sizes_with_units)
{
	uint64_t v;
	CHECK(ba_parse_size("4096", &v) == NULL);
	CHECK_EQ_UINT(v, 4096);
	CHECK(ba_parse_size("64MiB", &v) == NULL);
	CHECK_EQ_UINT(v, 64ull << 20);
	CHECK(ba_parse_size("1g", &v) == NULL);
	CHECK_EQ_UINT(v, 1ull << 30);
	CHECK(ba_parse_size("2 KB", &v) == NULL);
	CHECK_EQ_UINT(v, 2048);
	CHECK(ba_parse_size("5XB", &v) != NULL);
	CHECK(ba_parse_size("MiB", &v) != NULL);
	CHECK_EQ_STR(ba_parse_size("99999999999999TiB", &v), "size too large");
}

TEST(durations_with_units)
{
	uint64_t v;
	CHECK(ba_parse_duration("10s", &v) == NULL);
	CHECK_EQ_UINT(v, 10000000000ull);
	CHECK(ba_parse_duration("250ms", &v) == NULL);
	CHECK_EQ_UINT(v, 250000000ull);
	CHECK(ba_parse_duration("1.5m", &v) == NULL);
	CHECK_EQ_UINT(v, 90000000000ull);
	CHECK(ba_parse_duration("2", &v) == NULL);
	CHECK_EQ_UINT(v, 2000000000ull);
	CHECK(ba_parse_duration("0.000000001s", &v) == NULL);
	CHECK_EQ_UINT(v, 1);
	CHECK(ba_parse_duration("1.25h", &v) == NULL);
	CHECK_EQ_UINT(v, 4500000000000ull);
	CHECK(ba_parse_duration("3d", &v) != NULL);
	CHECK(ba_parse_duration("1.s", &v) != NULL);
	CHECK(ba_parse_duration("99999999999999999h", &v) != NULL);
}
