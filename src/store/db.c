/*
 * db.c - opening the store: where it lives, creating the file with the
 * right permissions, recognising it, the schema and its migrations, and
 * the helpers the other store files share (internal.h).
 */
#include "store/internal.h"

#include "core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id of a boxagent store: "BxAg". A SQLite file with
 * another id (or with tables and none) belongs to something else and is
 * never touched. */
#define STORE_APP_ID     1115177319 /* 0x42784167 */
#define STORE_APP_ID_STR "1115177319"

/*
 * The schema, as migrations: migrations[v] brings a store from schema
 * version v to v + 1 (PRAGMA user_version), inside one transaction. A new
 * file runs them all. Never edit a released step; add one.
 */
static const char *const migrations[] = {
        /* 0 -> 1: the first schema. */
        "PRAGMA application_id = " STORE_APP_ID_STR ";"
        "CREATE TABLE sessions ("
        " id TEXT PRIMARY KEY NOT NULL,"
        " created_ms INTEGER NOT NULL,"
        " updated_ms INTEGER NOT NULL,"
        " model TEXT NOT NULL,"
        " workspace TEXT NOT NULL,"
        " title TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('running', 'idle', 'failed', 'cancelled')),"
        " stop TEXT NOT NULL,"
        " input_tokens INTEGER NOT NULL DEFAULT 0,"
        " output_tokens INTEGER NOT NULL DEFAULT 0,"
        " cost_usd REAL NOT NULL DEFAULT 0,"
        " steps INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE messages ("
        " session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
        " seq INTEGER NOT NULL,"
        " time_ms INTEGER NOT NULL,"
        " role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),"
        " text TEXT,"
        " tool_calls TEXT,"
        " tool_call_id TEXT,"
        " tool_name TEXT,"
        " is_error INTEGER NOT NULL DEFAULT 0 CHECK (is_error IN (0, 1)),"
        " UNIQUE (session_id, seq));"
        "CREATE TABLE events ("
        " session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
        " seq INTEGER NOT NULL,"
        " time_ms INTEGER NOT NULL,"
        " kind TEXT NOT NULL,"
        " json TEXT NOT NULL,"
        " UNIQUE (session_id, seq));"
        "CREATE TABLE policy ("
        " workspace TEXT NOT NULL,"
        " tool TEXT NOT NULL,"
        " capability TEXT NOT NULL,"
        " allow INTEGER NOT NULL CHECK (allow IN (0, 1)),"
        " created_ms INTEGER NOT NULL,"
        " PRIMARY KEY (workspace, tool, capability)) WITHOUT ROWID;"
        "PRAGMA user_version = 1;",
};
#define SCHEMA_VERSION ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

/* ------------------------------------------------------------ helpers */

void ba_store__fmt(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

int ba_store__db_error(ba_store *s, const char *what, char *err, size_t err_len)
{
	ba_store__fmt(err, err_len, "%s: %s: %s", s->path, what, s->sq->errmsg(s->db));
	return -1;
}

sqlite3_stmt *ba_store__stmt(ba_store *s, enum ba_store_stmt_id id, const char *sql, char *err,
                             size_t err_len)
{
	if (!s->stmts[id] && s->sq->prepare_v2(s->db, sql, -1, &s->stmts[id], NULL) != SQLITE_OK) {
		s->stmts[id] = NULL;
		ba_store__db_error(s, "preparing a statement", err, err_len);
		return NULL;
	}
	return s->stmts[id];
}

int ba_store__step(ba_store *s, sqlite3_stmt *st, int bind_rc)
{
	return bind_rc != SQLITE_OK ? bind_rc : s->sq->step(st);
}

void ba_store__done(ba_store *s, sqlite3_stmt *st)
{
	if (!st)
		return;
	s->sq->reset(st);
	s->sq->clear_bindings(st);
}

static int run_simple(ba_store *s, enum ba_store_stmt_id id, const char *sql, char *err,
                      size_t err_len)
{
	sqlite3_stmt *st = ba_store__stmt(s, id, sql, err, err_len);
	int rc;

	if (!st)
		return -1;
	rc = s->sq->step(st);
	ba_store__done(s, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(s, sql, err, err_len);
	return 0;
}

int ba_store__begin(ba_store *s, char *err, size_t err_len)
{
	return run_simple(s, STMT_BEGIN, "BEGIN IMMEDIATE", err, err_len);
}

int ba_store__commit(ba_store *s, char *err, size_t err_len)
{
	if (run_simple(s, STMT_COMMIT, "COMMIT", err, err_len) != 0) {
		ba_store__rollback(s);
		return -1;
	}
	return 0;
}

void ba_store__rollback(ba_store *s)
{
	/* After some errors SQLite has already rolled back by itself. */
	if (!s->sq->get_autocommit(s->db))
		run_simple(s, STMT_ROLLBACK, "ROLLBACK", NULL, 0);
}

int ba_store__writable(ba_store *s, char *err, size_t err_len)
{
	if (s->in_batch && s->sq->get_autocommit(s->db)) {
		ba_store__fmt(err, err_len,
		              "%s: the open batch was abandoned by SQLite after an earlier error; "
		              "roll it back",
		              s->path);
		return -1;
	}
	return 0;
}

int ba_store__read_begin(ba_store *s, bool *own, char *err, size_t err_len)
{
	char *msg = NULL;

	*own = false;
	if (!s->sq->get_autocommit(s->db))
		return 0; /* inside the open batch: read what it holds */
	if (s->sq->exec(s->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) {
		ba_store__fmt(err, err_len, "%s: BEGIN: %s", s->path, msg ? msg : "failed");
		s->sq->free(msg);
		return -1;
	}
	*own = true;
	return 0;
}

void ba_store__read_end(ba_store *s, bool own)
{
	/* A read changes nothing: ending it with ROLLBACK or COMMIT is the
	 * same, and ROLLBACK cannot fail on a busy database. */
	if (own)
		s->sq->exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------ batches */

int ba_store_begin(ba_store *store, char *err, size_t err_len)
{
	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (store->in_batch) {
		ba_store__fmt(err, err_len,
		              "%s: a batch is already open (batches do not nest): commit or roll "
		              "it back first",
		              store->path);
		return -1;
	}
	if (ba_store__begin(store, err, err_len) != 0)
		return -1;
	store->in_batch = true;
	return 0;
}

int ba_store_commit(ba_store *store, char *err, size_t err_len)
{
	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (!store->in_batch) {
		ba_store__fmt(err, err_len, "%s: no batch is open to commit", store->path);
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0) {
		store->in_batch = false;
		return -1;
	}
	store->in_batch = false;
	/* ba_store__commit rolls back when COMMIT fails. */
	return ba_store__commit(store, err, err_len);
}

void ba_store_rollback(ba_store *store)
{
	if (!store || !store->in_batch)
		return;
	store->in_batch = false;
	ba_store__rollback(store);
}

bool ba_store_in_batch(const ba_store *store)
{
	return store && store->in_batch;
}

int ba_store__bind_str(ba_store *s, sqlite3_stmt *st, int idx, const char *str)
{
	size_t len;

	if (!str)
		return s->sq->bind_null(st, idx);
	len = strlen(str);
	if (len > (size_t)INT32_MAX)
		return SQLITE_TOOBIG;
	if (ba_utf8_valid(str, len))
		return s->sq->bind_text(st, idx, str, (int)len, SQLITE_STATIC);
	return s->sq->bind_blob(st, idx, str, (int)len, SQLITE_STATIC);
}

int ba_store__col_dup(ba_store *s, sqlite3_stmt *st, int col, size_t max, char **out, char *err,
                      size_t err_len)
{
	const void *data;
	int n;
	char *copy;

	*out = NULL;
	if (s->sq->column_type(st, col) == SQLITE_NULL)
		return 0;
	/* column_blob gives TEXT values' bytes unconverted too. */
	data = s->sq->column_blob(st, col);
	n = s->sq->column_bytes(st, col);
	if (n < 0 || (size_t)n > max) {
		ba_store__fmt(err, err_len, "%s: a stored value is larger than %zu bytes", s->path,
		              max);
		return -1;
	}
	copy = malloc((size_t)n + 1);
	if (!copy) {
		ba_store__fmt(err, err_len, "out of memory");
		return -1;
	}
	if (n > 0)
		memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*out = copy;
	return 0;
}

int ba_store__col_copy(ba_store *s, sqlite3_stmt *st, int col, char *out, size_t out_len, char *err,
                       size_t err_len)
{
	const void *data = s->sq->column_blob(st, col);
	int n = s->sq->column_bytes(st, col);

	if (n < 0 || (size_t)n >= out_len) {
		ba_store__fmt(err, err_len, "%s: a stored value is longer than %zu bytes", s->path,
		              out_len - 1);
		return -1;
	}
	if (n > 0)
		memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return 0;
}

void *ba_store__grow(void *list, size_t *cap, size_t n, size_t size, char *err, size_t err_len)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *grown;

	if (n < *cap)
		return list;
	grown = realloc(list, ncap * size);
	if (!grown) {
		ba_store__fmt(err, err_len, "out of memory");
		return NULL;
	}
	*cap = ncap;
	return grown;
}

int64_t ba_store__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -------------------------------------------------------------- where */

int ba_store_default_path(char *out, size_t out_len)
{
	const char *dir;
	int n;

	if (!out || out_len == 0)
		return -1;
	/* The same rules as the audit log (audit.c): only an absolute
	 * XDG_DATA_HOME counts, as the XDG spec says. */
	if ((dir = getenv("BOXAGENT_HOME")) && dir[0])
		n = snprintf(out, out_len, "%s/boxagent.db", dir);
	else if ((dir = getenv("XDG_DATA_HOME")) && dir[0] == '/')
		n = snprintf(out, out_len, "%s/boxagent/boxagent.db", dir);
	else if ((dir = getenv("HOME")) && dir[0])
		n = snprintf(out, out_len, "%s/.local/share/boxagent/boxagent.db", dir);
	else {
		ba_store__fmt(out, out_len,
		              "no place for the store: none of BOXAGENT_HOME, XDG_DATA_HOME or "
		              "HOME is set");
		return -1;
	}
	if (n < 0 || (size_t)n >= out_len) {
		ba_store__fmt(out, out_len, "the store's path is too long");
		return -1;
	}
	return 0;
}

const char *ba_store_path(const ba_store *store)
{
	return store ? store->path : NULL;
}

/* mkdir -p of the directories above path. Each one created here is made
 * 0700 whatever the umask (chmod after mkdir); existing ones are left as
 * they are, since they may be shared on purpose. */
static int make_parents(const char *path, char *err, size_t err_len)
{
	char dir[BA_STORE_PATH_MAX];
	size_t len = strlen(path);
	struct stat st;

	if (len >= sizeof(dir)) {
		ba_store__fmt(err, err_len, "the store's path is too long");
		return -1;
	}
	memcpy(dir, path, len + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			if (chmod(dir, 0700) != 0) {
				ba_store__fmt(err, err_len, "cannot set the mode of %s: %s", dir,
				              strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			ba_store__fmt(err, err_len, "cannot create the directory %s: %s", dir,
			              strerror(errno));
			return -1;
		}
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			ba_store__fmt(err, err_len, "%s is not a directory", dir);
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/*
 * Creates the file 0600 (whatever the umask) when it does not exist, so
 * SQLite never creates it with a umask-derived mode (its -wal and -shm
 * files copy the database file's mode). An existing file must be a
 * regular file that is empty or starts with SQLite's header: anything
 * else is refused before SQLite sees it.
 */
static int prepare_file(const char *path, char *err, size_t err_len)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0) {
		if (fchmod(fd, 0600) != 0) {
			ba_store__fmt(err, err_len, "cannot set the mode of %s: %s", path,
			              strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		ba_store__fmt(err, err_len, "cannot create the store %s: %s", path,
		              strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ba_store__fmt(err, err_len, "cannot open the store %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ba_store__fmt(err, err_len, "the store %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0) {
		ba_store__fmt(err, err_len,
		              "%s is not a boxagent store (not an SQLite database); move it away "
		              "or choose another BOXAGENT_HOME",
		              path);
		return -1;
	}
	return 0;
}

/* Runs a PRAGMA (constant text) that yields one integer. */
static int pragma_int(ba_store *s, const char *sql, int64_t *out, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->sq->prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ba_store__db_error(s, sql, err, err_len);
	rc = s->sq->step(st);
	if (rc == SQLITE_ROW)
		*out = s->sq->column_int64(st, 0);
	s->sq->finalize(st);
	if (rc != SQLITE_ROW)
		return ba_store__db_error(s, sql, err, err_len);
	return 0;
}

/* Runs a PRAGMA (constant text) that yields one text value into out. */
static int pragma_text(ba_store *s, const char *sql, char *out, size_t out_len, char *err,
                       size_t err_len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->sq->prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ba_store__db_error(s, sql, err, err_len);
	rc = s->sq->step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = s->sq->column_text(st, 0);
		snprintf(out, out_len, "%s", t ? (const char *)t : "");
	}
	s->sq->finalize(st);
	if (rc != SQLITE_ROW)
		return ba_store__db_error(s, sql, err, err_len);
	return 0;
}

enum store_kind { KIND_EMPTY, KIND_OURS, KIND_FOREIGN };

/* What the file holds: nothing yet, a boxagent store (with *version), or
 * someone else's database. */
static int inspect(ba_store *s, enum store_kind *kind, int64_t *version, char *err, size_t err_len)
{
	int64_t app_id, tables;
	/* The three reads must see one snapshot: another process may be
	 * creating the schema meanwhile. Inside migrate() the caller's
	 * transaction already holds one. */
	bool own_txn = s->sq->get_autocommit(s->db) != 0;
	int rc = 0;

	if (own_txn && s->sq->exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return ba_store__db_error(s, "BEGIN", err, err_len);
	if (pragma_int(s, "PRAGMA application_id", &app_id, err, err_len) != 0 ||
	    pragma_int(s, "PRAGMA user_version", version, err, err_len) != 0 ||
	    pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables, err, err_len) != 0) {
		/* Before ROLLBACK replaces SQLite's message. */
		ba_store__fmt(err, err_len, "%s is not a usable boxagent store: %s", s->path,
		              s->sq->errmsg(s->db));
		rc = -1;
	}
	if (own_txn)
		s->sq->exec(s->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (rc)
		return -1;
	if (app_id == STORE_APP_ID)
		*kind = KIND_OURS;
	else if (app_id == 0 && *version == 0 && tables == 0)
		*kind = KIND_EMPTY;
	else
		*kind = KIND_FOREIGN;
	return 0;
}

static int check_kind(ba_store *s, enum store_kind kind, int64_t version, char *err, size_t err_len)
{
	if (kind == KIND_FOREIGN) {
		ba_store__fmt(
		        err, err_len,
		        "%s is an SQLite database but not a boxagent store; refusing to touch "
		        "it (move it away or choose another BOXAGENT_HOME)",
		        s->path);
		return -1;
	}
	if (kind == KIND_OURS && version > SCHEMA_VERSION) {
		ba_store__fmt(err, err_len,
		              "%s was written by a newer boxagent (store schema version %lld; this "
		              "one knows up to %lld); upgrade boxagent to use it",
		              s->path, (long long)version, (long long)SCHEMA_VERSION);
		return -1;
	}
	if (kind == KIND_OURS && version < 1) {
		ba_store__fmt(err, err_len, "%s is a damaged boxagent store (no schema version)",
		              s->path);
		return -1;
	}
	return 0;
}

/* Brings the schema up to SCHEMA_VERSION in one transaction. Checked
 * again under the write lock: another process may have done it first. */
static int migrate(ba_store *s, char *err, size_t err_len)
{
	enum store_kind kind;
	int64_t version;
	char *msg = NULL;

	if (ba_store__begin(s, err, err_len) != 0)
		return -1;
	if (inspect(s, &kind, &version, err, err_len) != 0 ||
	    check_kind(s, kind, version, err, err_len) != 0) {
		ba_store__rollback(s);
		return -1;
	}
	for (int64_t v = version; v < SCHEMA_VERSION; v++) {
		if (s->sq->exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			ba_store__fmt(err, err_len,
			              "%s: upgrading the store from schema version %lld failed: %s",
			              s->path, (long long)v, msg ? msg : "unknown error");
			s->sq->free(msg);
			ba_store__rollback(s);
			return -1;
		}
	}
	return ba_store__commit(s, err, err_len);
}

/* PRAGMAs that must not run inside a transaction, retried while another
 * process holds a lock the busy handler does not cover (a journal mode
 * change by a concurrent first open). */
static int setup_connection(ba_store *s, char *err, size_t err_len)
{
	char mode[16] = "";
	int64_t fk = 0;
	char *msg = NULL;

	for (int attempt = 0;; attempt++) {
		err[0] = '\0';
		if (pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err, err_len) ==
		    0)
			break;
		if ((s->sq->extended_errcode(s->db) & 0xff) != SQLITE_BUSY || attempt >= 50)
			return -1;
		usleep(100000);
	}
	if (strcmp(mode, "wal") != 0) {
		ba_store__fmt(err, err_len,
		              "%s: SQLite cannot use a write-ahead log there (journal mode %s); "
		              "the store needs a local file system",
		              s->path, mode);
		return -1;
	}
	if (s->sq->exec(s->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL, NULL,
	                &msg) != SQLITE_OK) {
		ba_store__fmt(err, err_len, "%s: %s", s->path, msg ? msg : "PRAGMA failed");
		s->sq->free(msg);
		return -1;
	}
	if (pragma_int(s, "PRAGMA foreign_keys", &fk, err, err_len) != 0)
		return -1;
	if (fk != 1) {
		ba_store__fmt(err, err_len, "%s: this SQLite does not enforce foreign keys",
		              s->path);
		return -1;
	}
	return 0;
}

ba_store *ba_store_open(const char *path, char *err, size_t err_len)
{
	char where[BA_STORE_PATH_MAX];
	const char *why = NULL;
	enum store_kind kind;
	int64_t version;
	ba_store *s;
	char scratch[8];

	if (!err || err_len == 0) {
		err = scratch;
		err_len = sizeof(scratch);
	}
	err[0] = '\0';
	if (!path) {
		if (ba_store_default_path(where, sizeof(where)) != 0) {
			ba_store__fmt(err, err_len, "%s", where);
			return NULL;
		}
		path = where;
	}
	if (!path[0] || strlen(path) >= BA_STORE_PATH_MAX) {
		ba_store__fmt(err, err_len, "the store's path is empty or too long");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		ba_store__fmt(err, err_len, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->sq = ba_store__sqlite(&why);
	if (!s->sq) {
		ba_store__fmt(err, err_len, "cannot open the store %s: %s", path, why);
		free(s);
		return NULL;
	}
	if (make_parents(path, err, err_len) != 0 || prepare_file(path, err, err_len) != 0) {
		free(s);
		return NULL;
	}
	if (s->sq->open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		if (s->db)
			ba_store__db_error(s, "cannot open the store", err, err_len);
		else
			ba_store__fmt(err, err_len, "%s: cannot open the store: out of memory",
			              path);
		goto fail;
	}
	s->sq->busy_timeout(s->db, 5000);
	/* Recognise the file before changing anything in it. */
	if (inspect(s, &kind, &version, err, err_len) != 0)
		goto fail;
	if (check_kind(s, kind, version, err, err_len) != 0 ||
	    setup_connection(s, err, err_len) != 0)
		goto fail;
	if ((kind == KIND_EMPTY || version < SCHEMA_VERSION) && migrate(s, err, err_len) != 0)
		goto fail;
	return s;
fail:
	ba_store_close(s);
	return NULL;
}

void ba_store_close(ba_store *store)
{
	if (!store)
		return;
	ba_store_rollback(store);
	for (size_t i = 0; i < STMT_COUNT; i++)
		if (store->stmts[i])
			store->sq->finalize(store->stmts[i]);
	if (store->db)
		store->sq->close_v2(store->db);
	free(store);
}
