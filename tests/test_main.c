/*
 * test_main.c - main() for unit-test programs; see tests/test.h for the
 * protocol spoken with tests/runner.c.
 */
#include "test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TESTS 1024

struct test_case {
	const char *name;
	ba_test_fn fn;
	unsigned timeout_seconds;
};

static struct test_case cases[MAX_TESTS];
static size_t case_count;
static const char *current_case = "?";

void ba_test_register(const char *name, ba_test_fn fn, unsigned timeout_seconds)
{
	if (case_count == MAX_TESTS) {
		fprintf(stderr, "test.h: more than %d cases in one program\n", MAX_TESTS);
		abort();
	}
	cases[case_count].name = name;
	cases[case_count].fn = fn;
	cases[case_count].timeout_seconds = timeout_seconds;
	case_count++;
}

void ba_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: [%s] ", file, line, current_case);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	/* _exit: a failed case's half-built state is not worth leak reports. */
	_exit(1);
}

void ba_test_skip(const char *reason)
{
	printf("skipped: %s\n", reason);
	fflush(NULL);
	_exit(77);
}

const char *ba_test_boxagent_path(void)
{
	const char *p = getenv("BOXAGENT");
	return p && *p ? p : "build/boxagent";
}

const char *ba_test_build_dir(void)
{
	const char *p = getenv("BUILD");
	return p && *p ? p : "build";
}

static int run_one(const struct test_case *tc)
{
	current_case = tc->name;
	tc->fn();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < case_count; i++) {
			if (cases[i].timeout_seconds)
				printf("%s\t%u\n", cases[i].name, cases[i].timeout_seconds);
			else
				printf("%s\n", cases[i].name);
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--run") == 0) {
		for (size_t i = 0; i < case_count; i++)
			if (strcmp(cases[i].name, argv[2]) == 0)
				return run_one(&cases[i]);
		fprintf(stderr, "%s: no test case named '%s'\n", argv[0], argv[2]);
		return 2;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--list | --run NAME]\n", argv[0]);
		return 2;
	}
	/* Debug mode: everything in this process; the first failure ends it. */
	for (size_t i = 0; i < case_count; i++) {
		printf("running %s\n", cases[i].name);
		fflush(stdout);
		run_one(&cases[i]);
	}
	printf("%zu passed, 0 failed\n", case_count);
	return 0;
}
