/*
 * internal.h - what the store's files share (inside store/ only): the
 * handle, its cache of prepared statements, and helpers for binding and
 * reading values safely.
 *
 * Every statement is a constant SQL text with ? parameters; values from
 * outside are only ever bound, never spliced into SQL.
 */
#ifndef BA_STORE_INTERNAL_H
#define BA_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sqlite_lib.h"
#include "store/store.h"

/* The prepared statements kept per handle; each is prepared on first use
 * and reset after each use. */
enum ba_store_stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SESSION_INSERT,
	STMT_SESSION_GET_EXACT,
	STMT_SESSION_GET_PREFIX,
	STMT_SESSION_UPDATE,
	STMT_SESSION_LIST,
	STMT_SESSION_DELETE,
	STMT_MESSAGE_INSERT,
	STMT_MESSAGE_COUNT,
	STMT_MESSAGE_LOAD,
	STMT_EVENT_INSERT,
	STMT_EVENT_COUNT,
	STMT_EVENT_LOAD,
	STMT_POLICY_SET,
	STMT_POLICY_REMOVE,
	STMT_POLICY_LIST,
	STMT_COUNT
};

struct ba_store {
	const ba_sqlite_api *sq;
	sqlite3 *db;
	char path[BA_STORE_PATH_MAX];
	sqlite3_stmt *stmts[STMT_COUNT];
	bool in_batch; /* between ba_store_begin and commit or rollback */
};

/* Longest id, tool name, tool call id or similar short string kept. */
#define BA_STORE__NAME_MAX 4096
/* Most bytes one load (messages or events) may bring into memory: more
 * than any request a model accepts (BA_LLM_MAX_REQUEST). */
#define BA_STORE__LOAD_MAX ((size_t)1 << 30)

void ba_store__fmt(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "what: SQLite's message for the last error"; returns -1. */
int ba_store__db_error(ba_store *s, const char *what, char *err, size_t err_len);

/* The cached statement for id (prepared from sql on first use), ready to
 * bind; NULL with err set. Pair every use with ba_store__done(). */
sqlite3_stmt *ba_store__stmt(ba_store *s, enum ba_store_stmt_id id, const char *sql, char *err,
                             size_t err_len);
/* Resets the statement and drops its bindings (which borrow memory). */
void ba_store__done(ba_store *s, sqlite3_stmt *st);

/* sqlite3_step(), unless a bind failed: bind_rc is the bind calls'
 * results ORed together, and when it is not SQLITE_OK that error is
 * returned instead, so a value is never silently left NULL. */
int ba_store__step(ba_store *s, sqlite3_stmt *st, int bind_rc);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
 * timeout), COMMIT, ROLLBACK. */
int ba_store__begin(ba_store *s, char *err, size_t err_len);
int ba_store__commit(ba_store *s, char *err, size_t err_len);
void ba_store__rollback(ba_store *s);

/* Called by every write before it runs: 0, or -1 (err set) when a batch
 * is open but SQLite has already abandoned its transaction (after an I/O
 * error, a full disk...) - the write would otherwise be committed on its
 * own, outside the batch the caller believes it is in. */
int ba_store__writable(ba_store *s, char *err, size_t err_len);

/* Reads that must see one snapshot run in a transaction of their own,
 * or in the open batch's: *own says which, for ba_store__read_end. */
int ba_store__read_begin(ba_store *s, bool *own, char *err, size_t err_len);
/* Ends the read's own transaction; leaves a batch alone. */
void ba_store__read_end(ba_store *s, bool own);

/* Binds s (borrowed until ba_store__done): NULL as SQL NULL, valid UTF-8
 * as TEXT, anything else as a BLOB so the bytes come back unchanged. */
int ba_store__bind_str(ba_store *s, sqlite3_stmt *st, int idx, const char *str);
/* Column col as a new NUL-terminated string in *out (taken; NULL for
 * SQL NULL). -1 when longer than max or out of memory (err set). */
int ba_store__col_dup(ba_store *s, sqlite3_stmt *st, int col, size_t max, char **out, char *err,
                      size_t err_len);
/* Column col into out (NULL becomes ""); -1 when it does not fit. */
int ba_store__col_copy(ba_store *s, sqlite3_stmt *st, int col, char *out, size_t out_len, char *err,
                       size_t err_len);

/* list (n elements of size bytes used, *cap allocated) with room for one
 * more: list itself, or a larger copy (doubling from 16; *cap updated).
 * NULL with err set when out of memory, list then left as it was.
 * Callers cap n themselves (BA_STORE_MAX_LIST). */
void *ba_store__grow(void *list, size_t *cap, size_t n, size_t size, char *err, size_t err_len);

int64_t ba_store__now_ms(void);

#endif /* BA_STORE_INTERNAL_H */
