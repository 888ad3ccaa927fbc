/*
 * policy.c - the operator's standing workspace policy (store.h).
 *
 * Capabilities are kept in their canonical spelling (ba_cap_parse), so
 * "network:https://API.example.com" and "network:https://api.example.com:443"
 * are one entry and the agent can compare what it looks up with what was
 * stored.
 */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "*" or a tool name as manifests allow it: [a-z0-9_-]{1,64}. */
static bool tool_valid(const char *tool)
{
	size_t n = 0;

	if (!tool)
		return false;
	if (strcmp(tool, "*") == 0)
		return true;
	for (; tool[n]; n++) {
		char c = tool[n];
		if (n >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

static int check_args(const char *workspace, const char *tool, char *err, size_t err_len)
{
	if (!workspace || workspace[0] != '/' || strlen(workspace) >= BA_STORE_PATH_MAX) {
		ba_store__fmt(err, err_len,
		              "the policy's workspace must be an absolute path shorter than %d "
		              "bytes",
		              BA_STORE_PATH_MAX);
		return -1;
	}
	if (!tool_valid(tool)) {
		ba_store__fmt(
		        err, err_len,
		        "'%.80s' is not a tool name (1 to 64 of a-z, 0-9, '_', '-'; or '*' for "
		        "every tool)",
		        tool ? tool : "");
		return -1;
	}
	return 0;
}

int ba_store_policy_set(ba_store *store, const char *workspace, const char *tool,
                        const char *capability, bool allow, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	/* Every column is given, so REPLACE is exactly "add or replace". */
	static const char sql[] = "INSERT OR REPLACE INTO policy (workspace, tool, capability, "
	                          "allow, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
	ba_cap cap;
	char cap_err[512];
	sqlite3_stmt *st;
	int rc;

	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (check_args(workspace, tool, err, err_len) != 0)
		return -1;
	if (!capability || ba_cap_parse(capability, &cap, cap_err, sizeof(cap_err))) {
		ba_store__fmt(err, err_len, "%s", capability ? cap_err : "no capability given");
		return -1;
	}
	st = ba_store__stmt(store, STMT_POLICY_SET, sql, err, err_len);
	if (!st)
		return -1;
	b |= ba_store__bind_str(store, st, 1, workspace);
	b |= store->sq->bind_text(st, 2, tool, -1, SQLITE_STATIC);
	b |= ba_store__bind_str(store, st, 3, cap.text);
	b |= store->sq->bind_int64(st, 4, allow ? 1 : 0);
	b |= store->sq->bind_int64(st, 5, ba_store__now_ms());
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "setting a policy entry", err, err_len);
	return 0;
}

int ba_store_policy_remove(ba_store *store, const char *workspace, const char *tool,
                           const char *capability, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] = "DELETE FROM policy WHERE workspace = ?1 AND tool = ?2 "
	                          "AND capability = ?3";
	ba_cap cap;
	char cap_err[512];
	const char *key;
	sqlite3_stmt *st;
	int rc;

	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (check_args(workspace, tool, err, err_len) != 0)
		return -1;
	if (!capability) {
		ba_store__fmt(err, err_len, "no capability given");
		return -1;
	}
	/* The canonical spelling when it parses; otherwise the text as
	 * given, so an entry this version no longer understands can still
	 * be removed. */
	key = ba_cap_parse(capability, &cap, cap_err, sizeof(cap_err)) ? capability : cap.text;
	st = ba_store__stmt(store, STMT_POLICY_REMOVE, sql, err, err_len);
	if (!st)
		return -1;
	b |= ba_store__bind_str(store, st, 1, workspace);
	b |= store->sq->bind_text(st, 2, tool, -1, SQLITE_STATIC);
	b |= ba_store__bind_str(store, st, 3, key);
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "removing a policy entry", err, err_len);
	if (store->sq->changes(store->db) == 0) {
		ba_store__fmt(err, err_len, "no policy entry for %s in %s for %s", key, workspace,
		              tool);
		return 1;
	}
	return 0;
}

int ba_store_policy_list(ba_store *store, const char *workspace, const char *tool,
                         ba_policy_entry **out, size_t *count, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] =
	        "SELECT workspace, tool, capability, allow, created_ms FROM policy "
	        "WHERE (?1 IS NULL OR workspace = ?1) AND (?2 IS NULL OR tool = ?2 OR tool = '*') "
	        "ORDER BY workspace, tool, capability LIMIT ?3";
	ba_policy_entry *list = NULL, *grown;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!store || !out || !count) {
		ba_store__fmt(err, err_len, "no store or no place for the entries");
		return -1;
	}
	if (workspace && (workspace[0] != '/' || strlen(workspace) >= BA_STORE_PATH_MAX)) {
		ba_store__fmt(err, err_len, "the policy's workspace must be an absolute path");
		return -1;
	}
	if (tool && !tool_valid(tool)) {
		ba_store__fmt(err, err_len, "'%.80s' is not a tool name", tool);
		return -1;
	}
	st = ba_store__stmt(store, STMT_POLICY_LIST, sql, err, err_len);
	if (!st)
		return -1;
	b |= ba_store__bind_str(store, st, 1, workspace);
	b |= ba_store__bind_str(store, st, 2, tool);
	/* One more than allowed, to tell "exactly the cap" from "over it":
	 * a policy cut short could drop a deny. */
	b |= store->sq->bind_int64(st, 3, BA_STORE_MAX_LIST + 1);
	while ((rc = ba_store__step(store, st, b)) == SQLITE_ROW) {
		ba_policy_entry *e;
		if (n == BA_STORE_MAX_LIST) {
			ba_store__fmt(err, err_len, "%s: more than %d policy entries to list",
			              store->path, BA_STORE_MAX_LIST);
			goto fail;
		}
		grown = ba_store__grow(list, &cap, n, sizeof(*list), err, err_len);
		if (!grown)
			goto fail;
		list = grown;
		e = &list[n];
		memset(e, 0, sizeof(*e));
		if (ba_store__col_copy(store, st, 0, e->workspace, sizeof(e->workspace), err,
		                       err_len) != 0 ||
		    ba_store__col_copy(store, st, 1, e->tool, sizeof(e->tool), err, err_len) != 0 ||
		    ba_store__col_copy(store, st, 2, e->capability, sizeof(e->capability), err,
		                       err_len) != 0)
			goto fail;
		e->allow = store->sq->column_int64(st, 3) != 0;
		e->created_ms = store->sq->column_int64(st, 4);
		n++;
	}
	if (rc != SQLITE_DONE) {
		ba_store__db_error(store, "listing the policy", err, err_len);
		goto fail;
	}
	ba_store__done(store, st);
	*out = list;
	*count = n;
	return 0;
fail:
	ba_store__done(store, st);
	free(list);
	return -1;
}
