/* Tests for src/store/db.c: where the store lives, the modes of what it
 * creates, and the files it refuses - on real files in a temporary
 * directory. */
#include "test.h"

#include "core/file.h"
#include "store_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		ba_test_fail(__FILE__, __LINE__, "stat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *slurp(const char *path, size_t *len)
{
	uint8_t *data;
	char err[256];
	if (ba_read_file(path, 1 << 20, &data, len, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "%s", err);
	return (char *)data;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Folders 0700, file (and its -wal and -shm) 0600, whatever the umask. */
static void check_modes_with_umask(mode_t mask)
{
	char path[400], err[512] = "";
	ba_store *s;
	ba_session_info a;

	setup_dir("x/y/boxagent.db");
	umask(mask);
	s = open_store();
	/* A write makes SQLite create the -wal and -shm files. */
	CHECK_EQ_INT(ba_store_session_create(s, "m/x", NULL, NULL, &a, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/x", dir);
	CHECK_EQ_UINT(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/x/y", dir);
	CHECK_EQ_UINT(mode_of(path), 0700);
	CHECK_EQ_UINT(mode_of(db_path), 0600);
	snprintf(path, sizeof(path), "%s-wal", db_path);
	CHECK_EQ_UINT(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s-shm", db_path);
	CHECK_EQ_UINT(mode_of(path), 0600);
	ba_store_close(s);
}

TEST(modes_with_open_umask)
{
	check_modes_with_umask(0);
}

TEST(modes_with_tight_umask)
{
	check_modes_with_umask(0277);
}

TEST(existing_folder_mode_left_alone)
{
	char path[400];
	ba_store *s;

	setup_dir("shared/boxagent.db");
	snprintf(path, sizeof(path), "%s/shared", dir);
	CHECK(mkdir(path, 0755) == 0);
	CHECK(chmod(path, 0755) == 0);
	s = open_store();
	CHECK_EQ_UINT(mode_of(path), 0755);
	ba_store_close(s);
}

TEST(wal_and_schema_version)
{
	ba_store *s;
	char out[64];

	setup_dir("boxagent.db");
	s = open_store();
	CHECK_EQ_STR(ba_store_path(s), db_path);
	ba_store_close(s);
	raw_sql(db_path, "PRAGMA journal_mode", out, sizeof(out));
	CHECK_EQ_STR(out, "wal");
	raw_sql(db_path, "PRAGMA user_version", out, sizeof(out));
	CHECK_EQ_STR(out, "1");
	raw_sql(db_path, "PRAGMA application_id", out, sizeof(out));
	CHECK_EQ_STR(out, "1115177319");
	/* Reopening changes nothing. */
	s = open_store();
	ba_store_close(s);
	raw_sql(db_path, "PRAGMA user_version", out, sizeof(out));
	CHECK_EQ_STR(out, "1");
	raw_sql(db_path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", out,
	        sizeof(out));
	CHECK_EQ_STR(out, "4");
}

TEST(garbage_file_refused_untouched)
{
	static const char junk[] = "this is a text file, not a database\n";
	char err[512] = "", *after, wal[400];
	size_t len;

	setup_dir("boxagent.db");
	write_file(db_path, junk, sizeof(junk) - 1);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, db_path);
	CHECK_CONTAINS(err, "not a boxagent store");
	CHECK_CONTAINS(err, "not an SQLite database");
	after = slurp(db_path, &len);
	CHECK_EQ_UINT(len, sizeof(junk) - 1);
	CHECK(memcmp(after, junk, len) == 0);
	free(after);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	CHECK(!exists(wal));

	/* Shorter than SQLite's header, and a header with junk behind it. */
	write_file(db_path, "SQLite", 6);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not an SQLite database");
	{
		char page[4096];
		memset(page, 0xa5, sizeof(page));
		memcpy(page, "SQLite format 3", 16);
		write_file(db_path, page, sizeof(page));
		CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
		CHECK_CONTAINS(err, db_path);
		CHECK_CONTAINS(err, "not a usable boxagent store: file is not a database");
	}
}

TEST(foreign_sqlite_database_refused_untouched)
{
	char err[512] = "", out[64], wal[400];
	char *before, *after;
	size_t blen, alen;

	setup_dir("boxagent.db");
	raw_sql(db_path, "CREATE TABLE notes (body TEXT)", NULL, 0);
	before = slurp(db_path, &blen);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, db_path);
	CHECK_CONTAINS(err, "not a boxagent store");
	after = slurp(db_path, &alen);
	CHECK_EQ_UINT(alen, blen);
	CHECK(memcmp(before, after, blen) == 0);
	free(before);
	free(after);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	CHECK(!exists(wal));
	raw_sql(db_path, "PRAGMA journal_mode", out, sizeof(out));
	CHECK_EQ_STR(out, "delete");

	/* Some other application's id on an empty database. */
	unlink(db_path);
	raw_sql(db_path, "PRAGMA application_id = 42", NULL, 0);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not a boxagent store");
}

TEST(newer_schema_refused)
{
	char err[512] = "";
	ba_store *s;

	setup_dir("boxagent.db");
	s = open_store();
	ba_store_close(s);
	raw_sql(db_path, "PRAGMA user_version = 7", NULL, 0);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, db_path);
	CHECK_CONTAINS(err, "newer boxagent");
	CHECK_CONTAINS(err, "version 7");
	/* And a store of ours that lost its version is damaged. */
	raw_sql(db_path, "PRAGMA user_version = 0", NULL, 0);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "damaged");
}

TEST(empty_file_becomes_a_store)
{
	ba_store *s;

	setup_dir("boxagent.db");
	write_file(db_path, "", 0);
	s = open_store();
	ba_store_close(s);
}

TEST(not_a_regular_file_refused)
{
	char err[512] = "";

	setup_dir("boxagent.db");
	CHECK(mkdir(db_path, 0700) == 0);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, db_path);
	CHECK_CONTAINS(err, "not a regular file");
}

TEST(parent_is_a_file_refused)
{
	char err[512] = "", parent[400];

	setup_dir("file/boxagent.db");
	snprintf(parent, sizeof(parent), "%s/file", dir);
	write_file(parent, "x", 1);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, parent);
}

TEST(unwritable_folder_refused)
{
	char err[512] = "", sub[400];

	if (geteuid() == 0)
		TEST_SKIP("root ignores folder permissions");
	setup_dir("ro/boxagent.db");
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	CHECK(mkdir(sub, 0500) == 0);
	CHECK(ba_store_open(db_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, db_path);
	CHECK_CONTAINS(err, "Permission denied");
}

TEST(bad_paths_refused)
{
	char err[512] = "";
	static char long_path[BA_STORE_PATH_MAX + 10];

	CHECK(ba_store_open("", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "empty");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	CHECK(ba_store_open(long_path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "too long");
	/* No err buffer at all must not crash. */
	CHECK(ba_store_open("", NULL, 0) == NULL);
	ba_store_close(NULL);
}

TEST(default_path_rules)
{
	char out[BA_STORE_PATH_MAX];

	setenv("BOXAGENT_HOME", "/srv/ba", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	CHECK_EQ_INT(ba_store_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/srv/ba/boxagent.db");
	unsetenv("BOXAGENT_HOME");
	CHECK_EQ_INT(ba_store_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/xdg/boxagent/boxagent.db");
	setenv("XDG_DATA_HOME", "relative/xdg", 1); /* ignored, as the XDG spec says */
	CHECK_EQ_INT(ba_store_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/home/u/.local/share/boxagent/boxagent.db");
	setenv("BOXAGENT_HOME", "", 1); /* empty counts as unset */
	unsetenv("XDG_DATA_HOME");
	CHECK_EQ_INT(ba_store_default_path(out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/home/u/.local/share/boxagent/boxagent.db");
	unsetenv("HOME");
	CHECK_EQ_INT(ba_store_default_path(out, sizeof(out)), -1);
	CHECK(ba_store_open(NULL, out, sizeof(out)) == NULL);
	CHECK_CONTAINS(out, "BOXAGENT_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK_EQ_INT(ba_store_default_path(out, 10), -1);
}

TEST(open_null_uses_boxagent_home)
{
	char err[512] = "", home[400];
	ba_store *s;

	setup_dir("home/boxagent.db");
	snprintf(home, sizeof(home), "%s/home", dir);
	setenv("BOXAGENT_HOME", home, 1);
	s = ba_store_open(NULL, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_EQ_STR(ba_store_path(s), db_path);
	CHECK_EQ_UINT(mode_of(home), 0700);
	CHECK(exists(db_path));
	ba_store_close(s);
}
