/*
 * sqlite_lib.h - libsqlite3, loaded with dlopen() on the first store open
 * (inside store/ only).
 *
 * Tool runs never touch the store, and a linked libsqlite3 would cost
 * each of them its mapping and relocations at start-up, so it is loaded
 * the first time a store is opened, once per process, and stays loaded.
 * <sqlite3.h> is used for types and constants only; every call goes
 * through these pointers.
 */
#ifndef BA_STORE_SQLITE_LIB_H
#define BA_STORE_SQLITE_LIB_H

#include <sqlite3.h>

typedef struct ba_sqlite_api {
	int (*libversion_number)(void);
	int (*open_v2)(const char *filename, sqlite3 **db, int flags, const char *vfs);
	int (*close_v2)(sqlite3 *db);
	const char *(*errmsg)(sqlite3 *db);
	int (*extended_errcode)(sqlite3 *db);
	const char *(*errstr)(int code);
	int (*busy_timeout)(sqlite3 *db, int ms);
	int (*exec)(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **),
	            void *arg, char **errmsg);
	void (*free)(void *p);
	int (*prepare_v2)(sqlite3 *db, const char *sql, int len, sqlite3_stmt **stmt,
	                  const char **tail);
	int (*step)(sqlite3_stmt *stmt);
	int (*reset)(sqlite3_stmt *stmt);
	int (*clear_bindings)(sqlite3_stmt *stmt);
	int (*finalize)(sqlite3_stmt *stmt);
	int (*bind_text)(sqlite3_stmt *stmt, int idx, const char *text, int len,
	                 void (*destructor)(void *));
	int (*bind_blob)(sqlite3_stmt *stmt, int idx, const void *data, int len,
	                 void (*destructor)(void *));
	int (*bind_int64)(sqlite3_stmt *stmt, int idx, sqlite3_int64 value);
	int (*bind_double)(sqlite3_stmt *stmt, int idx, double value);
	int (*bind_null)(sqlite3_stmt *stmt, int idx);
	int (*column_type)(sqlite3_stmt *stmt, int col);
	sqlite3_int64 (*column_int64)(sqlite3_stmt *stmt, int col);
	double (*column_double)(sqlite3_stmt *stmt, int col);
	const void *(*column_blob)(sqlite3_stmt *stmt, int col);
	const unsigned char *(*column_text)(sqlite3_stmt *stmt, int col);
	int (*column_bytes)(sqlite3_stmt *stmt, int col);
	int (*changes)(sqlite3 *db);
	int (*get_autocommit)(sqlite3 *db);
} ba_sqlite_api;

/* The loaded API, or NULL with *error set to why libsqlite3 is unusable
 * (not installed, too old). Thread-safe; the first call loads it. */
const ba_sqlite_api *ba_store__sqlite(const char **error);

#endif /* BA_STORE_SQLITE_LIB_H */
