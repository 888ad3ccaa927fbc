/*
 * store_util.h - shared by the store's unit tests (tests/unit/store_*):
 * a temporary folder removed at exit, direct SQL on a store file
 * through the same libsqlite3 the store loads, to look behind its back,
 * and a writer child killed with SIGKILL at a random moment.
 */
#ifndef BA_TESTS_STORE_UTIL_H
#define BA_TESTS_STORE_UTIL_H

#include "test.h"

#include "store/sqlite_lib.h"
#include "store/store.h"

#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A string literal where the API takes char * (borrowed, never written). */
#define S(x) ((char *)(uintptr_t)(x))

static char dir[256];
static char db_path[300];

static int store_util_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700); /* tests take permissions away */
	return remove(path);
}

static void store_util_cleanup(void)
{
	if (dir[0])
		nftw(dir, store_util_remove, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder (removed at exit) and db_path = dir/sub. */
__attribute__((unused)) static void setup_dir(const char *sub)
{
	snprintf(dir, sizeof(dir), "/tmp/ba-store-test-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(db_path, sizeof(db_path), "%s/%s", dir, sub);
	atexit(store_util_cleanup);
}

__attribute__((unused)) static ba_store *open_store(void)
{
	char err[512] = "";
	ba_store *s = ba_store_open(db_path, err, sizeof(err));
	if (!s)
		ba_test_fail(__FILE__, __LINE__, "ba_store_open: %s", err);
	return s;
}

/* Runs sql on path through SQLite directly and returns the first column
 * of the first row as text ("" when there is none). */
__attribute__((unused)) static void raw_sql(const char *path, const char *sql, char *out,
                                            size_t out_len)
{
	const char *why = NULL;
	const ba_sqlite_api *sq = ba_store__sqlite(&why);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!sq)
		ba_test_fail(__FILE__, __LINE__, "%s", why);
	if (sq->open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		ba_test_fail(__FILE__, __LINE__, "cannot open %s", path);
	if (sq->prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		ba_test_fail(__FILE__, __LINE__, "%s: %s", sql, sq->errmsg(db));
	rc = sq->step(st);
	if (out_len)
		out[0] = '\0';
	if (rc == SQLITE_ROW && out_len) {
		const unsigned char *t = sq->column_text(st, 0);
		snprintf(out, out_len, "%s", t ? (const char *)t : "");
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ba_test_fail(__FILE__, __LINE__, "%s: %s", sql, sq->errmsg(db));
	sq->finalize(st);
	sq->close_v2(db);
}

/* The work of a child killed by kill_9_round: appends to session sid on
 * its own handle c, writes the number of each unit it has committed to
 * fd (counting from first), never returns, and _exit()s on an error. */
typedef void (*kill_9_work)(ba_store *c, const char *sid, uint32_t first, int fd);

/* Runs work in a child on db_path; once its first unit is reported,
 * kills it with SIGKILL at a random moment within 150 ms. Checks that
 * the reports came in order from first and returns the number of the
 * unit after the last one reported. */
__attribute__((unused)) static uint32_t kill_9_round(kill_9_work work, const char *sid,
                                                     uint32_t first)
{
	int fds[2];
	pid_t pid;
	uint32_t reported = first, v;
	unsigned delay_us;
	int status;

	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char cerr[512];
		ba_store *c;
		close(fds[0]);
		c = ba_store_open(db_path, cerr, sizeof(cerr));
		if (!c)
			_exit(2);
		work(c, sid, first, fds[1]);
		_exit(9);
	}
	close(fds[1]);
	/* Once it is under way (its first unit reported), kill it at a
	 * random moment. */
	CHECK_EQ_INT(read(fds[0], &v, sizeof(v)), sizeof(v));
	CHECK_EQ_UINT(v, reported);
	reported++;
	CHECK(getrandom(&delay_us, sizeof(delay_us), 0) == sizeof(delay_us));
	usleep(delay_us % 150000);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	while (read(fds[0], &v, sizeof(v)) == sizeof(v)) {
		CHECK_EQ_UINT(v, reported);
		reported++;
	}
	close(fds[0]);
	return reported;
}

#endif /* BA_TESTS_STORE_UTIL_H */
