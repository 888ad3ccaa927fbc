/*
 * sqlite_lib.c - loading libsqlite3 on demand (sqlite_lib.h says why).
 */
#include "store/sqlite_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* WAL (3.7.0) is the only feature the store needs beyond the basics;
 * 3.22.0 (2018) is older than every supported distribution's copy and
 * has every entry point used here. */
#define SQLITE_MIN_VERSION 3022000

static ba_sqlite_api sqlite_fn;
static char sqlite_load_error[512]; /* "" when loaded */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_load(void)
{
	void *lib = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (!lib) {
		const char *e = dlerror();
		snprintf(sqlite_load_error, sizeof(sqlite_load_error),
		         "sessions and policy need SQLite (libsqlite3.so.0, Debian package "
		         "libsqlite3-0), which could not be loaded: %s",
		         e ? e : "unknown error");
		return;
	}
#define LOAD(field, symbol)                                          \
	do {                                                         \
		void *sym_ = dlsym(lib, symbol);                     \
		if (!sym_ && !missing)                               \
			missing = symbol;                            \
		sqlite_fn.field = (__typeof__(sqlite_fn.field))sym_; \
	} while (0)
	LOAD(libversion_number, "sqlite3_libversion_number");
	LOAD(open_v2, "sqlite3_open_v2");
	LOAD(close_v2, "sqlite3_close_v2");
	LOAD(errmsg, "sqlite3_errmsg");
	LOAD(extended_errcode, "sqlite3_extended_errcode");
	LOAD(errstr, "sqlite3_errstr");
	LOAD(busy_timeout, "sqlite3_busy_timeout");
	LOAD(exec, "sqlite3_exec");
	LOAD(free, "sqlite3_free");
	LOAD(prepare_v2, "sqlite3_prepare_v2");
	LOAD(step, "sqlite3_step");
	LOAD(reset, "sqlite3_reset");
	LOAD(clear_bindings, "sqlite3_clear_bindings");
	LOAD(finalize, "sqlite3_finalize");
	LOAD(bind_text, "sqlite3_bind_text");
	LOAD(bind_blob, "sqlite3_bind_blob");
	LOAD(bind_int64, "sqlite3_bind_int64");
	LOAD(bind_double, "sqlite3_bind_double");
	LOAD(bind_null, "sqlite3_bind_null");
	LOAD(column_type, "sqlite3_column_type");
	LOAD(column_int64, "sqlite3_column_int64");
	LOAD(column_double, "sqlite3_column_double");
	LOAD(column_blob, "sqlite3_column_blob");
	LOAD(column_text, "sqlite3_column_text");
	LOAD(column_bytes, "sqlite3_column_bytes");
	LOAD(changes, "sqlite3_changes");
	LOAD(get_autocommit, "sqlite3_get_autocommit");
#undef LOAD
	if (missing) {
		snprintf(sqlite_load_error, sizeof(sqlite_load_error),
		         "libsqlite3.so.0 lacks %s; it is too old or not SQLite", missing);
		return;
	}
	if (sqlite_fn.libversion_number() < SQLITE_MIN_VERSION) {
		int v = sqlite_fn.libversion_number();
		snprintf(sqlite_load_error, sizeof(sqlite_load_error),
		         "libsqlite3.so.0 is SQLite %d.%d.%d; the store needs 3.22.0 or newer",
		         v / 1000000, v / 1000 % 1000, v % 1000);
	}
}

const ba_sqlite_api *ba_store__sqlite(const char **error)
{
	pthread_once(&sqlite_once, sqlite_load);
	if (sqlite_load_error[0]) {
		if (error)
			*error = sqlite_load_error;
		return NULL;
	}
	return &sqlite_fn;
}
