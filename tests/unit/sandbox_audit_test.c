/* Tests for src/sandbox/audit.c: the hash-chained audit log, on real files
 * in a temporary directory, with real concurrent processes. */
#include "test.h"

#include "core/file.h"
#include "core/sha256.h"
#include "sandbox/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[256];
static char log_path[300];
static char head_path[310];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory; the log goes two levels below it so that creating
 * parent directories is exercised too. */
static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ba-audit-test-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(log_path, sizeof(log_path), "%s/a/b/audit.log", dir);
	snprintf(head_path, sizeof(head_path), "%s.head", log_path);
}

static void cleanup(void)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path, size_t *len)
{
	uint8_t *data;
	size_t n;
	char err[256];
	if (ba_read_file(path, 64u << 20, &data, &n, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "%s", err);
	if (len)
		*len = n;
	return (char *)data;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK_EQ_UINT(fwrite(data, 1, len, f), len);
	CHECK_EQ_INT(fclose(f), 0);
}

/* Overwrites one byte: the one at offset `at` of the first occurrence of
 * needle at or after text + from. */
__attribute__((noinline)) static void poke(char *text, size_t from, const char *needle, size_t at,
                                           char c)
{
	const char *p = strstr(text + from, needle);
	if (!p)
		ba_test_fail(__FILE__, __LINE__, "'%s' not found", needle);
	text[(size_t)(p - text) + at] = c;
}

/* Start offsets of each line of text (at most max). */
static size_t line_starts(const char *text, size_t len, size_t *starts, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < max; i++)
		if (i == 0 || text[i - 1] == '\n')
			starts[n++] = i;
	return n;
}

static ba_audit *open_log(void)
{
	char err[1024];
	ba_audit *a = ba_audit_open(log_path, err, sizeof(err));
	if (!a)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_open: %s", err);
	return a;
}

static void record(ba_audit *a, const char *tool, bool allowed, const char *cap, const char *target,
                   const char *reason)
{
	ba_audit_event ev = {tool, allowed, cap, target, NULL, -1, reason};
	if (ba_audit_record(a, &ev) != 0)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_record: %s", ba_audit_error(a));
}

/* n records, one open. */
static void write_records(int n)
{
	ba_audit *a = open_log();
	char target[64];
	for (int i = 1; i <= n; i++) {
		snprintf(target, sizeof(target), "/data/file-%d.txt", i);
		record(a, "reader", i % 3 != 0, "fs.read", target, "matched fs.read:/data/**");
	}
	ba_audit_close(a);
}

static ba_audit_verify_result verify(void)
{
	ba_audit_verify_result r;
	if (ba_audit_verify(log_path, &r) != 0)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_verify failed to read: %s", r.message);
	return r;
}

#define CHECK_INTACT(lines_)                                                                   \
	do {                                                                                   \
		ba_audit_verify_result r_ = verify();                                          \
		if (!r_.ok)                                                                    \
			ba_test_fail(__FILE__, __LINE__, "not intact at line %" PRIu64 ": %s", \
			             r_.bad_line, r_.message);                                 \
		CHECK_EQ_UINT(r_.lines, (lines_));                                             \
	} while (0)

/* Collects listed lines. */
typedef struct collected {
	size_t count;
	uint64_t seqs[1024];
	char last_line[BA_AUDIT_LINE_MAX];
} collected;

static void collect(const char *line, size_t len, void *user)
{
	collected *c = user;
	json_t *root = json_loadb(line, len, 0, NULL);
	CHECK(root != NULL);
	CHECK_EQ_UINT(strlen(line), len);
	if (c->count < 1024)
		c->seqs[c->count] = (uint64_t)json_integer_value(json_object_get(root, "seq"));
	c->count++;
	memcpy(c->last_line, line, len + 1);
	json_decref(root);
}

static size_t list_count(const ba_audit_filter *f)
{
	collected *c = calloc(1, sizeof(*c));
	char err[512];
	size_t n;
	CHECK(c != NULL);
	if (ba_audit_list(log_path, f, collect, c, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "ba_audit_list: %s", err);
	n = c->count;
	free(c);
	return n;
}

/* ------------------------------------------------------------ format */

TEST(first_record_format_modes_and_head)
{
	struct stat st;
	char *text, *head, want_head[128], hex[BA_SHA256_HEX_SIZE], dirpath[300];
	size_t len;
	ba_audit *a;
	ba_audit_event ev = {"web_fetch",
	                     false,
	                     "network",
	                     "http://127.0.0.1:8080/",
	                     "127.0.0.1",
	                     0,
	                     "address 127.0.0.1 is loopback"};

	setup();
	umask(022);
	a = open_log();
	CHECK_EQ_UINT(strlen(ba_audit_run_id(a)), 16);
	CHECK_EQ_INT(ba_audit_record(a, &ev), 0);
	ba_audit_close(a);

	CHECK_EQ_INT(stat(log_path, &st), 0);
	CHECK_EQ_UINT(st.st_mode & 0777, 0600);
	snprintf(dirpath, sizeof(dirpath), "%s/a/b", dir);
	CHECK_EQ_INT(stat(dirpath, &st), 0);
	CHECK_EQ_UINT(st.st_mode & 0777, 0700);
	snprintf(dirpath, sizeof(dirpath), "%s/a", dir);
	CHECK_EQ_INT(stat(dirpath, &st), 0);
	CHECK_EQ_UINT(st.st_mode & 0777, 0700);
	CHECK_EQ_INT(stat(head_path, &st), 0);
	CHECK_EQ_UINT(st.st_mode & 0777, 0600);

	text = slurp(log_path, &len);
	/* Keys in the documented order; time is RFC 3339 UTC with ms. */
	CHECK(strncmp(text, "{\"seq\":1,\"time\":\"", 17) == 0);
	CHECK(text[21] == '-' && text[24] == '-' && text[27] == 'T' && text[30] == ':' &&
	      text[33] == ':' && text[36] == '.' && text[40] == 'Z' && text[41] == '"');
	CHECK(strncmp(text + 42, ",\"run\":\"", 8) == 0);
	static const char middle[] =
	        "\",\"tool\":\"web_fetch\",\"decision\":\"deny\",\"capability\":\"network\","
	        "\"target\":\"http://127.0.0.1:8080/\",\"address\":\"127.0.0.1\",\"bytes\":0,"
	        "\"reason\":\"address 127.0.0.1 is loopback\",\"prev\":\"" ZEROS "\",\"hash\":\"";
	CHECK(strncmp(text + 50 + 16, middle, strlen(middle)) == 0);
	CHECK_EQ_UINT(len, 50 + 16 + strlen(middle) + 64 + 3);
	CHECK(text[len - 1] == '\n' && text[len - 2] == '}' && text[len - 3] == '"');
	/* hash = SHA-256 of everything before ,"hash": */
	ba_sha256_hex_of(text, len - 3 - 64 - strlen(",\"hash\":\""), hex);
	CHECK(memcmp(text + len - 3 - 64, hex, 64) == 0);

	head = slurp(head_path, NULL);
	snprintf(want_head, sizeof(want_head), "1 %s\n", hex);
	CHECK_EQ_STR(head, want_head);
	free(head);
	free(text);
	CHECK_INTACT(1);
	CHECK_EQ_STR(verify().message, "1 record, chain intact");
	cleanup();
}

TEST(address_and_bytes_omitted_when_unknown)
{
	char *text;
	ba_audit *a;
	ba_audit_event ev = {"t", true, "env", "HOME", NULL, -1, "granted env:HOME"};

	setup();
	a = open_log();
	CHECK_EQ_INT(ba_audit_record(a, &ev), 0);
	ev.tool = NULL; /* NULL strings become "" */
	ev.target = NULL;
	ev.reason = NULL;
	ev.capability = NULL;
	CHECK_EQ_INT(ba_audit_record(a, &ev), 0);
	ba_audit_close(a);
	text = slurp(log_path, NULL);
	CHECK(strstr(text, "\"address\"") == NULL);
	CHECK(strstr(text, "\"bytes\"") == NULL);
	CHECK_CONTAINS(text, "\"target\":\"HOME\",\"reason\":\"granted env:HOME\",\"prev\":");
	CHECK_CONTAINS(text, "\"tool\":\"\",\"decision\":\"allow\",\"capability\":\"\","
	                     "\"target\":\"\",\"reason\":\"\",\"prev\":");
	free(text);
	CHECK_INTACT(2);
	cleanup();
}

/* Every field is escaped: quotes, backslashes, newlines, control
 * characters, DEL; valid UTF-8 stays; bytes that are not UTF-8 (stray
 * continuation, truncated sequence, overlong form, surrogate, above
 * U+10FFFF) become \u00XX, one per byte. */
TEST(fields_are_escaped)
{
	char *text;
	ba_audit *a;
	json_t *root;
	ba_audit_event ev = {
	        "to\"ol\\",
	        true,
	        "fs.\nread",
	        "a\tb\x01\x1f\x7f"
	        "c",
	        "\r",
	        7,
	        "caf\xc3\xa9 \xf0\x9f\x98\x80 \xff|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x80"};

	setup();
	a = open_log();
	ba_audit_set_run_id(a, "run\"\n");
	CHECK_EQ_STR(ba_audit_run_id(a), "run\"\n");
	CHECK_EQ_INT(ba_audit_record(a, &ev), 0);
	ba_audit_close(a);
	text = slurp(log_path, NULL);
	CHECK_CONTAINS(text, "\"run\":\"run\\\"\\n\"");
	CHECK_CONTAINS(text, "\"tool\":\"to\\\"ol\\\\\"");
	CHECK_CONTAINS(text, "\"capability\":\"fs.\\nread\"");
	CHECK_CONTAINS(text, "\"target\":\"a\\tb\\u0001\\u001f\\u007fc\"");
	CHECK_CONTAINS(text, "\"address\":\"\\r\"");
	CHECK_CONTAINS(text, "\"bytes\":7");
	CHECK_CONTAINS(text, "\"reason\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \\u00ff|\\u00c3|"
	                     "\\u00c0\\u00af|\\u00ed\\u00a0\\u0080|\\u00f4\\u0090\\u0080\\u0080|"
	                     "\\u00e2\\u0080\"");
	/* One line: no raw control characters anywhere. */
	for (char *p = text; *p; p++)
		CHECK((unsigned char)*p >= 0x20 || (*p == '\n' && p[1] == '\0'));

	/* And it is JSON a standard parser reads back. */
	root = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	CHECK(root != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(root, "tool")), "to\"ol\\");
	CHECK_EQ_STR(json_string_value(json_object_get(root, "target")), "a\tb\x01\x1f\x7f"
	                                                                 "c");
	json_decref(root);
	free(text);
	CHECK_INTACT(1);
	cleanup();
}

TEST(long_fields_are_cut_and_the_line_fits)
{
	size_t big = 200000, len;
	char *reason = malloc(big + 1), *target = malloc(big + 1), *text;
	ba_audit *a;
	json_t *root;
	const char *r;

	CHECK(reason && target);
	memset(reason, 'r', big);
	reason[big] = '\0';
	/* Control characters escape to 6 bytes each: the budget is on the
	 * escaped length, and a cut never splits an escape. */
	memset(target, '\x01', big);
	target[big] = '\0';
	setup();
	a = open_log();
	record(a, "t", false, "fs.read", target, reason);
	ba_audit_close(a);
	text = slurp(log_path, &len);
	CHECK(len <= BA_AUDIT_LINE_MAX);
	root = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	CHECK(root != NULL);
	r = json_string_value(json_object_get(root, "reason"));
	CHECK(strlen(r) > 1000);
	CHECK(strcmp(r + strlen(r) - 4, "r...") == 0);
	r = json_string_value(json_object_get(root, "target"));
	CHECK(strcmp(r + strlen(r) - 4, "\x01...") == 0);
	json_decref(root);
	free(text);
	free(reason);
	free(target);
	CHECK_INTACT(1);
	cleanup();
}

/* ------------------------------------------------------------ chaining */

TEST(chain_continues_over_appends_and_reopens)
{
	collected *c = calloc(1, sizeof(*c));
	char run1[64], err[256];
	ba_audit *a;

	CHECK(c != NULL);
	setup();
	a = open_log();
	snprintf(run1, sizeof(run1), "%s", ba_audit_run_id(a));
	record(a, "t", true, "fs.read", "/a", "ok");
	record(a, "t", true, "fs.read", "/b", "ok");
	record(a, "t", false, "fs.write", "/c", "not granted");
	ba_audit_close(a);
	CHECK_INTACT(3);
	a = open_log();
	CHECK(strcmp(run1, ba_audit_run_id(a)) != 0); /* a new run id per open */
	record(a, "t", true, "env", "HOME", "ok");
	ba_audit_close(a);
	write_records(4);
	/* Two handles open at once in one process chain correctly too. */
	ba_audit *x = open_log(), *y = open_log();
	record(x, "x", true, "env", "A", "ok");
	record(y, "y", true, "env", "B", "ok");
	record(x, "x", true, "env", "C", "ok");
	ba_audit_close(x);
	ba_audit_close(y);
	CHECK_INTACT(11);
	CHECK_EQ_INT(ba_audit_list(log_path, NULL, collect, c, err, sizeof(err)), 0);
	CHECK_EQ_UINT(c->count, 11);
	for (size_t i = 0; i < 11; i++)
		CHECK_EQ_UINT(c->seqs[i], i + 1);
	free(c);
	cleanup();
}

static void append_in_child(int n, const char *tool)
{
	char err[1024];
	ba_audit *a = ba_audit_open(log_path, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	for (int i = 0; i < n; i++) {
		ba_audit_event ev = {tool, true, "fs.read", "/x", NULL, i, "concurrent"};
		if (ba_audit_record(a, &ev) != 0) {
			fprintf(stderr, "child: %s\n", ba_audit_error(a));
			_exit(3);
		}
	}
	ba_audit_close(a);
	_exit(0);
}

TEST_TIMEOUT(two_processes_append_concurrently, 60)
{
	collected *c = calloc(1, sizeof(*c));
	ba_audit_filter f = {0};
	char err[256];
	pid_t p1, p2;
	int st1, st2;

	CHECK(c != NULL);
	setup();
	/* The log starts empty so both children race from the very first
	 * record (creating the file and the head included). */
	p1 = fork();
	CHECK(p1 >= 0);
	if (p1 == 0)
		append_in_child(200, "one");
	p2 = fork();
	CHECK(p2 >= 0);
	if (p2 == 0)
		append_in_child(200, "two");
	CHECK_EQ_INT(waitpid(p1, &st1, 0), p1);
	CHECK_EQ_INT(waitpid(p2, &st2, 0), p2);
	CHECK(WIFEXITED(st1) && WEXITSTATUS(st1) == 0);
	CHECK(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);

	CHECK_INTACT(400);
	CHECK_EQ_INT(ba_audit_list(log_path, NULL, collect, c, err, sizeof(err)), 0);
	CHECK_EQ_UINT(c->count, 400);
	for (size_t i = 0; i < 400; i++)
		CHECK_EQ_UINT(c->seqs[i], i + 1);
	f.tool = "one";
	CHECK_EQ_UINT(list_count(&f), 200);
	f.tool = "two";
	CHECK_EQ_UINT(list_count(&f), 200);
	free(c);
	cleanup();
}

static void *thread_appends(void *arg)
{
	ba_audit *a = arg;
	for (int i = 0; i < 50; i++) {
		ba_audit_event ev = {"threaded", true, "env", "X", NULL, -1, "ok"};
		if (ba_audit_record(a, &ev) != 0)
			return (void *)1;
	}
	return NULL;
}

TEST_TIMEOUT(threads_share_one_handle, 60)
{
	pthread_t t[4];
	void *ret;
	ba_audit *a;

	setup();
	a = open_log();
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, thread_appends, a), 0);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(pthread_join(t[i], &ret), 0);
		CHECK(ret == NULL);
	}
	ba_audit_close(a);
	CHECK_INTACT(200);
	cleanup();
}

/* A verify that runs while another process appends always sees a
 * consistent log and head (the snapshot is taken under LOCK_SH). The
 * writer keeps appending until the reader has verified 20 times and seen
 * 50 records, so the overlap does not depend on how fast either side is
 * (the test's timeout bounds a writer that never starts). */
TEST_TIMEOUT(verify_while_another_process_appends, 60)
{
	pid_t pid;
	int st, go[2];
	char err[1024];

	setup();
	write_records(1);
	CHECK(pipe(go) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		ba_audit *a = ba_audit_open(log_path, err, sizeof(err));
		struct pollfd stop = {.fd = go[0], .events = POLLIN};
		close(go[1]);
		if (!a)
			_exit(2);
		/* Until the parent closes its end (poll reports POLLHUP). */
		for (int i = 0; poll(&stop, 1, 0) == 0 && i < 1000000; i++) {
			ba_audit_event ev = {"writer", true, "fs.read",   "/x",
			                     NULL,     i,    "concurrent"};
			if (ba_audit_record(a, &ev) != 0)
				_exit(3);
		}
		ba_audit_close(a);
		_exit(0);
	}
	close(go[0]);
	/* At least 20 rounds, and until the writer has visibly been busy. */
	uint64_t seen = 0;
	for (int round = 0; round < 20 || seen < 50; round++) {
		ba_audit_verify_result r = verify();
		if (!r.ok)
			ba_test_fail(__FILE__, __LINE__, "round %d: line %" PRIu64 ": %s", round,
			             r.bad_line, r.message);
		seen = r.lines;
	}
	close(go[1]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ba_audit_verify_result r = verify();
	CHECK(r.ok);
	CHECK(r.lines > 1);
	cleanup();
}

/* ------------------------------------------------------------ tampering */

static ba_audit_verify_result tamper_and_verify(void (*edit)(char *text, size_t *len))
{
	size_t len;
	char *text;

	setup();
	write_records(10);
	CHECK_INTACT(10);
	text = slurp(log_path, &len);
	edit(text, &len);
	spit(log_path, text, len);
	free(text);
	return verify();
}

static void flip_byte_in_line_5(char *text, size_t *len)
{
	size_t starts[16];
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	poke(text, starts[4], "file-5", 5, '6'); /* one byte, same length */
}

TEST(edited_byte_is_found)
{
	ba_audit_verify_result r = tamper_and_verify(flip_byte_in_line_5);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 5);
	CHECK_CONTAINS(r.message, "hash does not match");
	cleanup();
}

static void delete_line_4(char *text, size_t *len)
{
	size_t starts[16];
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	memmove(text + starts[3], text + starts[4], *len - starts[4]);
	*len -= starts[4] - starts[3];
}

TEST(deleted_line_is_found)
{
	ba_audit_verify_result r = tamper_and_verify(delete_line_4);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 4);
	CHECK_CONTAINS(r.message, "seq 5 where 4 was expected");
	cleanup();
}

static void delete_line_1(char *text, size_t *len)
{
	size_t starts[16];
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	memmove(text, text + starts[1], *len - starts[1]);
	*len -= starts[1];
}

TEST(deleted_first_line_is_found)
{
	ba_audit_verify_result r = tamper_and_verify(delete_line_1);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 1);
	CHECK_CONTAINS(r.message, "missing from the start");
	cleanup();
}

static void swap_lines_3_and_4(char *text, size_t *len)
{
	size_t starts[16], l3, l4;
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	l3 = starts[3] - starts[2];
	l4 = starts[4] - starts[3];
	char *tmp = malloc(l3 + l4);
	CHECK(tmp != NULL);
	memcpy(tmp, text + starts[3], l4);
	memcpy(tmp + l4, text + starts[2], l3);
	memcpy(text + starts[2], tmp, l3 + l4);
	free(tmp);
}

TEST(swapped_lines_are_found)
{
	ba_audit_verify_result r = tamper_and_verify(swap_lines_3_and_4);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 3);
	CHECK_CONTAINS(r.message, "seq 4 where 3 was expected");
	cleanup();
}

static void duplicate_line_2(char *text, size_t *len)
{
	size_t starts[16], l2;
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	l2 = starts[2] - starts[1];
	memmove(text + starts[2] + l2, text + starts[2], *len - starts[2]);
	memcpy(text + starts[2], text + starts[1], l2);
	*len += l2;
}

TEST(inserted_line_is_found)
{
	size_t len;
	char *text;
	setup();
	write_records(10);
	text = slurp(log_path, &len);
	text = realloc(text, len * 2);
	CHECK(text != NULL);
	duplicate_line_2(text, &len);
	spit(log_path, text, len);
	free(text);
	ba_audit_verify_result r = verify();
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 3);
	CHECK_CONTAINS(r.message, "seq 2 where 3 was expected");
	cleanup();
}

/* A line rewritten with a correct hash of its own still breaks the chain
 * at the next line. */
TEST(rehashed_line_breaks_the_next_link)
{
	size_t len, starts[16], n;
	char *text, hex[BA_SHA256_HEX_SIZE];
	setup();
	write_records(5);
	text = slurp(log_path, &len);
	CHECK_EQ_UINT(line_starts(text, len, starts, 16), 5);
	poke(text, starts[1], "file-2", 5, '9');
	n = starts[2] - starts[1] - 1; /* line 2 without newline */
	ba_sha256_hex_of(text + starts[1], n - 75, hex);
	memcpy(text + starts[1] + n - 66, hex, 64);
	spit(log_path, text, len);
	free(text);
	ba_audit_verify_result r = verify();
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 3);
	CHECK_CONTAINS(r.message, "\"prev\" is not the hash of the line before");
	cleanup();
}

static void drop_last_line(char *text, size_t *len)
{
	size_t starts[16];
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	*len = starts[9];
}

TEST(removed_last_line_is_found_by_the_head)
{
	char err[1024];
	ba_audit_verify_result r = tamper_and_verify(drop_last_line);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.lines, 9);
	CHECK_EQ_UINT(r.bad_line, 9);
	CHECK_CONTAINS(r.message, "head file says seq 10");
	/* And nobody appends to it: that would hide the truncation. */
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "does not match the head file");
	CHECK_CONTAINS(err, "refusing to append");
	cleanup();
}

static void cut_last_line(char *text, size_t *len)
{
	(void)text;
	*len -= 20;
}

TEST(truncated_last_line_is_found)
{
	char err[1024];
	ba_audit_verify_result r = tamper_and_verify(cut_last_line);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 10);
	CHECK_CONTAINS(r.message, "incomplete");
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "last line is incomplete");
	cleanup();
}

static void emptied(char *text, size_t *len)
{
	(void)text;
	*len = 0;
}

TEST(emptied_log_is_found_by_the_head)
{
	char err[1024];
	ba_audit_verify_result r = tamper_and_verify(emptied);
	CHECK(!r.ok);
	CHECK_CONTAINS(r.message, "empty but its head file says it had 10 records");
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "is empty but its head file says");
	cleanup();
}

static void malformed_line_3(char *text, size_t *len)
{
	size_t starts[16];
	CHECK_EQ_UINT(line_starts(text, *len, starts, 16), 10);
	memcpy(text + starts[2], "{not json", 9);
}

TEST(malformed_line_is_named)
{
	char err[512];
	ba_audit_verify_result r = tamper_and_verify(malformed_line_3);
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 3);
	CHECK_CONTAINS(r.message, "not a valid record");
	CHECK_EQ_INT(ba_audit_list(log_path, NULL, NULL, NULL, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "line 3 is not a valid record");
	cleanup();
}

TEST(malformed_records_of_every_kind)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{\"seq\":1}",
	        "{\"seq\":1,\"hash\":\"" ZEROS "\"}",
	        "{\"seq\":1,\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\","
	        "\"tool\":\"t\",\"decision\":\"allow\",\"capability\":\"c\",\"target\":\"x\","
	        "\"reason\":\"y\",\"prev\":\"" ZEROS "\",\"hash\":\"" ZEROS "\"}",
	        "{\"seq\":1,\"time\":\"yesterday\",\"run\":\"r\",\"tool\":\"t\",\"decision\":"
	        "\"allow\",\"capability\":\"c\",\"target\":\"x\",\"reason\":\"y\",\"prev\":\"" ZEROS
	        "\",\"hash\":\"" ZEROS "\"}",
	        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\",\"tool\":\"t\","
	        "\"decision\":\"maybe\",\"capability\":\"c\",\"target\":\"x\",\"reason\":\"y\","
	        "\"prev\":\"" ZEROS "\",\"hash\":\"" ZEROS "\"}",
	        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\",\"tool\":\"t\","
	        "\"decision\":\"deny\",\"capability\":\"c\",\"target\":\"x\",\"reason\":\"y\","
	        "\"prev\":\"" ZEROS "\",\"hash\":\"" ZEROS "\"} ",
	        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\",\"tool\":\"t\","
	        "\"decision\":\"deny\",\"capability\":\"c\",\"target\":\"x\",\"reason\":\"y\","
	        "\"prev\":\"" ZEROS "\",\"hash\":\"" ZEROS "\"",
	        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\",\"tool\":\"t\","
	        "\"decision\":\"deny\",\"capability\":\"c\",\"target\":\"x\",\"reason\":\"y\","
	        "\"prev\":\"" ZEROS "\",\"hash\":\"" ZEROS "A\"}",
	};
	char line[1024];

	setup();
	write_records(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = snprintf(line, sizeof(line), "%s\n", bad[i]);
		spit(log_path, line, (size_t)n);
		ba_audit_verify_result r = verify();
		if (r.ok || r.bad_line != 1)
			ba_test_fail(__FILE__, __LINE__, "case %zu accepted: %s", i, r.message);
		CHECK_CONTAINS(r.message, "not a valid record");
	}
	cleanup();
}

TEST(overlong_line_is_refused)
{
	char *big = malloc(BA_AUDIT_LINE_MAX + 10);
	CHECK(big != NULL);
	memset(big, 'x', BA_AUDIT_LINE_MAX + 9);
	big[BA_AUDIT_LINE_MAX + 9] = '\n';
	setup();
	write_records(2);
	int fd = open(log_path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, big, BA_AUDIT_LINE_MAX + 10), BA_AUDIT_LINE_MAX + 10);
	close(fd);
	ba_audit_verify_result r = verify();
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 3);
	CHECK_CONTAINS(r.message, "longer than");
	char err[1024];
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "longer than");
	free(big);
	cleanup();
}

TEST(missing_head_file_is_not_verified)
{
	char err[1024];
	setup();
	write_records(3);
	CHECK_EQ_INT(unlink(head_path), 0);
	ba_audit_verify_result r = verify();
	CHECK(!r.ok);
	CHECK_EQ_UINT(r.bad_line, 0);
	CHECK_EQ_UINT(r.lines, 3);
	CHECK_CONTAINS(r.message, "head file");
	CHECK_CONTAINS(r.message, "is missing");
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "no head file");
	cleanup();
}

TEST(malformed_head_file_is_not_verified)
{
	char err[1024];
	setup();
	write_records(3);
	spit(head_path, "3 abc\n", 6);
	ba_audit_verify_result r = verify();
	CHECK(!r.ok);
	CHECK_CONTAINS(r.message, "malformed");
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "malformed");
	cleanup();
}

TEST(garbage_after_the_last_record_stops_appends)
{
	char err[1024];
	ba_audit *a;
	int fd;

	setup();
	write_records(2);
	a = open_log(); /* opened while the log was still fine */
	fd = open(log_path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "garbage\n", 8), 8);
	close(fd);
	ba_audit_event ev = {"t", true, "env", "X", NULL, -1, "ok"};
	CHECK_EQ_INT(ba_audit_record(a, &ev), -1);
	CHECK_CONTAINS(ba_audit_error(a), "last line is not a valid record");
	ba_audit_close(a);
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "last line is not a valid record");
	CHECK_CONTAINS(err, "refusing to append");
	cleanup();
}

/* A writer that stops between appending its line and replacing the head
 * leaves the head one record behind; that is reported as intact (nothing
 * is missing) and the next writer brings the head up to date. */
TEST(head_one_record_behind_is_repaired)
{
	size_t len, starts[8];
	char *text, head[128];
	setup();
	write_records(3);
	text = slurp(log_path, &len);
	CHECK_EQ_UINT(line_starts(text, len, starts, 8), 3);
	/* The head as it was after record 2. */
	snprintf(head, sizeof(head), "2 %.64s\n", text + starts[2] - 3 - 64);
	spit(head_path, head, strlen(head));
	ba_audit_verify_result r = verify();
	CHECK(r.ok);
	CHECK_CONTAINS(r.message, "one record behind");
	ba_audit *a = open_log();
	ba_audit_close(a);
	CHECK_INTACT(3);
	r = verify();
	CHECK(strstr(r.message, "behind") == NULL);
	write_records(1);
	CHECK_INTACT(4);
	/* Two behind is not an interrupted append. */
	spit(head_path, head, strlen(head));
	r = verify();
	CHECK(!r.ok);
	free(text);
	cleanup();
}

/* A write that fails half-way (here: the file size limit) is taken back,
 * so the log stays usable. */
TEST(failed_append_leaves_no_partial_line)
{
	struct stat st;
	struct rlimit rl;
	ba_audit *a;
	ba_audit_event ev = {"t", true, "env", "X", NULL, -1, "ok"};

	setup();
	write_records(2);
	a = open_log();
	CHECK_EQ_INT(stat(log_path, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = (rlim_t)st.st_size + 50;
	CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &rl), 0);
	CHECK_EQ_INT(ba_audit_record(a, &ev), -1);
	CHECK_CONTAINS(ba_audit_error(a), "cannot append");
	struct stat after;
	CHECK_EQ_INT(stat(log_path, &after), 0);
	CHECK_EQ_INT(after.st_size, st.st_size);
	CHECK_INTACT(2);
	ba_audit_close(a);
	cleanup();
}

/* Moving the log (and its head) away, as log rotation does, makes an open
 * handle start a new log at the path. */
TEST(rotation_starts_a_new_log)
{
	char old_log[400], old_head[400];
	ba_audit_verify_result r;
	ba_audit *a;

	setup();
	a = open_log();
	record(a, "t", true, "env", "A", "ok");
	snprintf(old_log, sizeof(old_log), "%s.1", log_path);
	snprintf(old_head, sizeof(old_head), "%s.1.head", log_path);
	CHECK_EQ_INT(rename(log_path, old_log), 0);
	CHECK_EQ_INT(rename(head_path, old_head), 0);
	record(a, "t", true, "env", "B", "ok");
	record(a, "t", true, "env", "C", "ok");
	ba_audit_close(a);
	CHECK_INTACT(2);
	CHECK_EQ_INT(ba_audit_verify(old_log, &r), 0);
	CHECK(r.ok);
	CHECK_EQ_UINT(r.lines, 1);
	cleanup();
}

TEST(nonexistent_and_empty_logs)
{
	ba_audit_verify_result r;
	char err[512];

	setup();
	CHECK_EQ_INT(ba_audit_verify(log_path, &r), -1);
	CHECK_CONTAINS(r.message, "no audit log at ");
	CHECK_CONTAINS(r.message, log_path);
	CHECK_EQ_INT(ba_audit_list(log_path, NULL, collect, NULL, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no audit log at ");
	/* Opening creates an empty log, which verifies with 0 records. */
	ba_audit_close(open_log());
	r = verify();
	CHECK(r.ok);
	CHECK_EQ_UINT(r.lines, 0);
	CHECK_EQ_STR(r.message, "0 records, chain intact");
	CHECK_EQ_UINT(list_count(NULL), 0);
	cleanup();
}

/* ------------------------------------------------------------ listing */

static void write_mixed(void)
{
	ba_audit *a = open_log();
	ba_audit_event ev[] = {
	        {"web_fetch", true, "network", "https://example.com/a", "93.184.216.34", 512,
	         "matched network:https://example.com/**"},
	        {"web_fetch", false, "network", "http://127.0.0.1/", "127.0.0.1", -1,
	         "address 127.0.0.1 is loopback"},
	        {"reader", true, "fs.read", "/data/report.txt", NULL, 100, "matched fs.read:/data"},
	        {"reader", false, "fs.write", "/etc/passwd", NULL, -1, "not granted"},
	        {"reader", false, "limit", "fuel", NULL, -1, "fuel exhausted"},
	};
	ba_audit_set_run_id(a, "run-one");
	for (size_t i = 0; i < 3; i++)
		CHECK_EQ_INT(ba_audit_record(a, &ev[i]), 0);
	ba_audit_set_run_id(a, "run-two");
	for (size_t i = 3; i < 5; i++)
		CHECK_EQ_INT(ba_audit_record(a, &ev[i]), 0);
	ba_audit_close(a);
}

TEST(list_filters)
{
	ba_audit_filter f;

	setup();
	write_mixed();
	CHECK_EQ_UINT(list_count(NULL), 5);
	memset(&f, 0, sizeof(f));
	CHECK_EQ_UINT(list_count(&f), 5);

	f = (ba_audit_filter){.tool = "web_fetch"};
	CHECK_EQ_UINT(list_count(&f), 2);
	f = (ba_audit_filter){.tool = "web"}; /* exact, not a prefix */
	CHECK_EQ_UINT(list_count(&f), 0);
	f = (ba_audit_filter){.decision = "deny"};
	CHECK_EQ_UINT(list_count(&f), 3);
	f = (ba_audit_filter){.decision = "allow"};
	CHECK_EQ_UINT(list_count(&f), 2);
	f = (ba_audit_filter){.capability = "network"};
	CHECK_EQ_UINT(list_count(&f), 2);
	f = (ba_audit_filter){.capability = "limit"};
	CHECK_EQ_UINT(list_count(&f), 1);
	f = (ba_audit_filter){.run = "run-two"};
	CHECK_EQ_UINT(list_count(&f), 2);
	f = (ba_audit_filter){.contains = "example.com"}; /* target and reason */
	CHECK_EQ_UINT(list_count(&f), 1);
	f = (ba_audit_filter){.contains = "loopback"}; /* reason only */
	CHECK_EQ_UINT(list_count(&f), 1);
	f = (ba_audit_filter){.contains = "/etc/"}; /* target only */
	CHECK_EQ_UINT(list_count(&f), 1);
	f = (ba_audit_filter){.tool = "reader", .decision = "deny"};
	CHECK_EQ_UINT(list_count(&f), 2);
	f = (ba_audit_filter){.since = "2000-01-01"};
	CHECK_EQ_UINT(list_count(&f), 5);
	f = (ba_audit_filter){.since = "2999-01-01T00:00:00+02:00"};
	CHECK_EQ_UINT(list_count(&f), 0);
	cleanup();
}

TEST(list_since_compares_instants_not_text)
{
	ba_audit_filter f = {0};
	char since[64];
	time_t now = time(NULL);
	struct tm tm;

	setup();
	write_mixed();
	/* An hour ago written in a +05:00 zone: text-wise "later" than the
	 * records' UTC times, as an instant earlier. */
	now += 5 * 3600 - 3600;
	gmtime_r(&now, &tm);
	snprintf(since, sizeof(since), "%04d-%02d-%02dT%02d:%02d:%02d+05:00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	f.since = since;
	CHECK_EQ_UINT(list_count(&f), 5);
	/* An hour from now in -05:00: no records. */
	now = time(NULL) - 5 * 3600 + 3600;
	gmtime_r(&now, &tm);
	snprintf(since, sizeof(since), "%04d-%02d-%02dt%02d:%02d:%02d.5-05:00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	CHECK_EQ_UINT(list_count(&f), 0);
	cleanup();
}

TEST(list_rejects_bad_since)
{
	static const char *const bad[] = {"yesterday",
	                                  "2026-13-01",
	                                  "2026-02-30",
	                                  "2026-01-01T10:00",
	                                  "2026-01-01T25:00Z",
	                                  "2026-01-01T10:00Zjunk",
	                                  "2026-01-01T10:00:00.Z"};
	ba_audit_filter f = {0};
	char err[512];

	setup();
	write_mixed();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.since = bad[i];
		if (ba_audit_list(log_path, &f, collect, NULL, err, sizeof(err)) != -1)
			ba_test_fail(__FILE__, __LINE__, "since '%s' accepted", bad[i]);
		CHECK_CONTAINS(err, "not an RFC 3339 time");
	}
	f.since = "2024-02-29"; /* a leap day is a date */
	CHECK_EQ_UINT(list_count(&f), 5);
	cleanup();
}

TEST(list_last_n)
{
	collected *c = calloc(1, sizeof(*c));
	ba_audit_filter f = {0};
	char err[256];

	CHECK(c != NULL);
	setup();
	write_mixed();
	f.last = 2;
	CHECK_EQ_INT(ba_audit_list(log_path, &f, collect, c, err, sizeof(err)), 0);
	CHECK_EQ_UINT(c->count, 2);
	CHECK_EQ_UINT(c->seqs[0], 4);
	CHECK_EQ_UINT(c->seqs[1], 5);
	/* last applies after the other filters: the last 2 denials. */
	memset(c, 0, sizeof(*c));
	f.decision = "deny";
	CHECK_EQ_INT(ba_audit_list(log_path, &f, collect, c, err, sizeof(err)), 0);
	CHECK_EQ_UINT(c->count, 2);
	CHECK_EQ_UINT(c->seqs[0], 4);
	CHECK_EQ_UINT(c->seqs[1], 5);
	f.last = 100;
	CHECK_EQ_UINT(list_count(&f), 3);
	f.last = 1;
	f.decision = "allow";
	memset(c, 0, sizeof(*c));
	CHECK_EQ_INT(ba_audit_list(log_path, &f, collect, c, err, sizeof(err)), 0);
	CHECK_EQ_UINT(c->count, 1);
	CHECK_EQ_UINT(c->seqs[0], 3);
	CHECK_CONTAINS(c->last_line, "\"target\":\"/data/report.txt\"");
	free(c);
	cleanup();
}

/* list shows an edited log as it is; only verify judges it. */
TEST(list_does_not_verify)
{
	size_t len;
	char *text;
	setup();
	write_records(3);
	text = slurp(log_path, &len);
	poke(text, 0, "file-2", 5, '7');
	spit(log_path, text, len);
	free(text);
	CHECK_EQ_UINT(list_count(NULL), 3);
	CHECK(!verify().ok);
	cleanup();
}

/* ------------------------------------------------------------ paths */

TEST(default_path)
{
	char out[256];

	setenv("BOXAGENT_HOME", "/srv/ba", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	CHECK_EQ_INT(ba_audit_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/srv/ba/audit.log");
	unsetenv("BOXAGENT_HOME");
	CHECK_EQ_INT(ba_audit_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/xdg/boxagent/audit.log");
	setenv("XDG_DATA_HOME", "relative/xdg", 1); /* ignored, as the XDG spec says */
	CHECK_EQ_INT(ba_audit_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/home/u/.local/share/boxagent/audit.log");
	setenv("BOXAGENT_HOME", "", 1); /* empty counts as unset */
	unsetenv("XDG_DATA_HOME");
	CHECK_EQ_INT(ba_audit_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/home/u/.local/share/boxagent/audit.log");
	unsetenv("HOME");
	CHECK_EQ_INT(ba_audit_default_path(out, sizeof(out)), -1);
	CHECK_CONTAINS(out, "BOXAGENT_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK_EQ_INT(ba_audit_default_path(out, 30), -1);
	CHECK_CONTAINS(out, "too lo"); /* the message is cut to fit too */
}

TEST(open_refuses_a_directory_and_reports_paths)
{
	char err[1024];
	setup();
	CHECK(ba_audit_open(dir, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, dir);
	CHECK(ba_audit_open("", err, sizeof(err)) == NULL);
	cleanup();
}

/* Regression (fuzz_audit): a log that is one record of exactly
 * BA_AUDIT_LINE_MAX bytes (plus its newline) fitted the writer's tail
 * buffer and was continued, though verify and list refuse such a line. */
TEST(writer_refuses_a_last_line_readers_refuse)
{
	char *line = malloc(BA_AUDIT_LINE_MAX + 2);
	char hex[65], head[128], err[1024];
	static const char prefix[] =
	        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r\","
	        "\"tool\":\"t\",\"decision\":\"deny\",\"capability\":\"c\","
	        "\"target\":\"x\",\"reason\":\"";
	static const char suffix[] = "\",\"prev\":\"" ZEROS "\"";
	size_t hash_part = strlen(",\"hash\":\"") + 64 + 2; /* "} */
	size_t body = BA_AUDIT_LINE_MAX - hash_part;
	size_t pad = body - strlen(prefix) - strlen(suffix);

	CHECK(line != NULL);
	memcpy(line, prefix, strlen(prefix));
	memset(line + strlen(prefix), 'y', pad);
	memcpy(line + strlen(prefix) + pad, suffix, strlen(suffix));
	/* The hash covers everything before ',"hash":'. */
	ba_sha256_hex_of(line, body, hex);
	snprintf(line + body, BA_AUDIT_LINE_MAX + 2 - body, ",\"hash\":\"%s\"}\n", hex);
	CHECK_EQ_UINT(strlen(line), BA_AUDIT_LINE_MAX + 1);

	setup();
	ba_audit_close(open_log()); /* creates the folders */
	spit(log_path, line, BA_AUDIT_LINE_MAX + 1);
	snprintf(head, sizeof(head), "1 %s\n", hex);
	spit(head_path, head, strlen(head));
	CHECK(!verify().ok);
	CHECK(ba_audit_open(log_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "longer than");
	free(line);
	cleanup();
}
