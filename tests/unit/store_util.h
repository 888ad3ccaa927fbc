/*
 * store_util.h - shared by the store's unit tests (tests/unit/store_*):
 * a temporary folder removed at exit, and direct SQL on a store file
 * through the same libsqlite3 the store loads, to look behind its back.
 */
#ifndef BA_TESTS_STORE_UTIL_H
#define BA_TESTS_STORE_UTIL_H

#include "test.h"

#include "store/sqlite_lib.h"
#include "store/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

#endif /* BA_TESTS_STORE_UTIL_H */
