/*
 * test.h - the unit-test framework.
 *
 * A test file defines cases with TEST(name) { ... } and links with
 * tests/test_main.c. The resulting program speaks the runner's protocol:
 *
 *   prog --list          one case name per line ("name<TAB>seconds" when a
 *                        case declares its own timeout with TEST_TIMEOUT)
 *   prog --run NAME      runs one case: exit 0 = pass, 77 = skipped, other
 *                        = failed (the runner also counts signals and
 *                        timeouts as failures)
 *   prog                 runs every case in this process, for debugging
 *
 * The runner (tests/runner.c) starts each case in its own process under a
 * timeout, so a crash or a hang fails one case and nothing else.
 *
 * Checks stop the case at the first failure and print the expression with
 * both operands, e.g.
 *   tests/unit/core_buf_test.c:42: CHECK_EQ_UINT(buf.len, 3) failed: 4 != 3
 */
#ifndef BA_TEST_H
#define BA_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ba_test_fn)(void);

void ba_test_register(const char *name, ba_test_fn fn, unsigned timeout_seconds);
_Noreturn void ba_test_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
_Noreturn void ba_test_skip(const char *reason);

/* Path of the built boxagent binary and of the build folder, from the
 * environment the runner sets (BOXAGENT, BUILD); never NULL. */
const char *ba_test_boxagent_path(void);
const char *ba_test_build_dir(void);

#define TEST_TIMEOUT(name, seconds)                                         \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void test_register_##name(void) \
	{                                                                   \
		ba_test_register(#name, test_##name, (seconds));            \
	}                                                                   \
	static void test_##name(void)

#define TEST(name) TEST_TIMEOUT(name, 0)

#define TEST_SKIP(reason) ba_test_skip(reason)

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond))                                                         \
			ba_test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                     \
	do {                                                                                   \
		intmax_t ba_a_ = (intmax_t)(a), ba_b_ = (intmax_t)(b);                         \
		if (ba_a_ != ba_b_)                                                            \
			ba_test_fail(__FILE__, __LINE__,                                       \
			             "CHECK_EQ_INT(%s, %s) failed: %jd != %jd", #a, #b, ba_a_, \
			             ba_b_);                                                   \
	} while (0)

#define CHECK_EQ_UINT(a, b)                                                                      \
	do {                                                                                     \
		uintmax_t ba_a_ = (uintmax_t)(a), ba_b_ = (uintmax_t)(b);                        \
		if (ba_a_ != ba_b_)                                                              \
			ba_test_fail(__FILE__, __LINE__,                                         \
			             "CHECK_EQ_UINT(%s, %s) failed: %ju (0x%jx) != %ju (0x%jx)", \
			             #a, #b, ba_a_, ba_a_, ba_b_, ba_b_);                        \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                    \
	do {                                                                                  \
		const char *ba_a_ = (a), *ba_b_ = (b);                                        \
		if (!ba_a_ || !ba_b_ || strcmp(ba_a_, ba_b_) != 0)                            \
			ba_test_fail(__FILE__, __LINE__,                                      \
			             "CHECK_EQ_STR(%s, %s) failed: \"%s\" != \"%s\"", #a, #b, \
			             ba_a_ ? ba_a_ : "(null)", ba_b_ ? ba_b_ : "(null)");     \
	} while (0)

/* Passes when haystack contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                                         \
	do {                                                                                     \
		const char *ba_h_ = (haystack), *ba_n_ = (needle);                               \
		if (!ba_h_ || !ba_n_ || !strstr(ba_h_, ba_n_))                                   \
			ba_test_fail(                                                            \
			        __FILE__, __LINE__,                                              \
			        "CHECK_CONTAINS(%s, %s) failed: \"%s\" does not contain \"%s\"", \
			        #haystack, #needle, ba_h_ ? ba_h_ : "(null)",                    \
			        ba_n_ ? ba_n_ : "(null)");                                       \
	} while (0)

#include <string.h>

#endif /* BA_TEST_H */
