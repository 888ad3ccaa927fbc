/*
 * session.c - sessions, their messages and their events (store.h).
 */
#include "store/internal.h"

#include "core/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char *const status_names[] = {"running", "idle", "failed", "cancelled"};
static const char *const role_names[] = {"user", "assistant", "tool"};

const char *ba_session_status_name(ba_session_status status)
{
	if ((unsigned)status < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[status];
	return "unknown";
}

static int status_from_name(const char *name, ba_session_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(name, status_names[i]) == 0) {
			*out = (ba_session_status)i;
			return 0;
		}
	return -1;
}

static int role_from_name(const char *name, ba_llm_role *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(name, role_names[i]) == 0) {
			*out = (ba_llm_role)i;
			return 0;
		}
	return -1;
}

/* A whole session id or prefix: 1 to 32 hex digits, folded to lower
 * case into out. Anything else cannot name a session. */
static bool id_normalize(const char *id, char out[BA_SESSION_ID_MAX])
{
	size_t i;

	if (!id)
		return false;
	for (i = 0; id[i]; i++) {
		char c = id[i];
		if (i >= BA_SESSION_ID_MAX - 1)
			return false;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[i] = '\0';
	return i > 0;
}

static int new_id(char out[BA_SESSION_ID_MAX], char *err, size_t err_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[8];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ba_store__fmt(err, err_len, "cannot make a session id: getrandom: %s",
			              n < 0 ? strerror(errno) : "no bytes");
			return -1;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[2 * sizeof(bytes)] = '\0';
	return 0;
}

static int check_len(const char *what, const char *text, size_t max, char *err, size_t err_len)
{
	if (text && strlen(text) >= max) {
		ba_store__fmt(err, err_len, "the %s is longer than %zu bytes", what, max - 1);
		return -1;
	}
	return 0;
}

static uint64_t clamp_u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v;
}

static uint64_t col_u64(ba_store *s, sqlite3_stmt *st, int col)
{
	int64_t v = s->sq->column_int64(st, col);
	return v < 0 ? 0 : (uint64_t)v;
}

/* ------------------------------------------------------------ sessions */

#define SESSION_COLUMNS                                                                     \
	"id, created_ms, updated_ms, model, workspace, title, status, stop, input_tokens, " \
	"output_tokens, cost_usd, steps, "                                                  \
	"(SELECT count(*) FROM messages m WHERE m.session_id = sessions.id)"

/* Fills info from a row of SESSION_COLUMNS. */
static int read_session(ba_store *s, sqlite3_stmt *st, ba_session_info *info, char *err,
                        size_t err_len)
{
	char status[16];

	memset(info, 0, sizeof(*info));
	if (ba_store__col_copy(s, st, 0, info->id, sizeof(info->id), err, err_len) != 0 ||
	    ba_store__col_copy(s, st, 3, info->model, sizeof(info->model), err, err_len) != 0 ||
	    ba_store__col_copy(s, st, 4, info->workspace, sizeof(info->workspace), err, err_len) !=
	            0 ||
	    ba_store__col_copy(s, st, 5, info->title, sizeof(info->title), err, err_len) != 0 ||
	    ba_store__col_copy(s, st, 6, status, sizeof(status), err, err_len) != 0 ||
	    ba_store__col_copy(s, st, 7, info->stop, sizeof(info->stop), err, err_len) != 0)
		return -1;
	if (status_from_name(status, &info->status) != 0) {
		ba_store__fmt(err, err_len, "%s: session %s has an unknown status", s->path,
		              info->id);
		return -1;
	}
	info->created_ms = s->sq->column_int64(st, 1);
	info->updated_ms = s->sq->column_int64(st, 2);
	info->input_tokens = col_u64(s, st, 8);
	info->output_tokens = col_u64(s, st, 9);
	info->cost_usd = s->sq->column_double(st, 10);
	info->steps = col_u64(s, st, 11);
	info->message_count = col_u64(s, st, 12);
	return 0;
}

int ba_store_session_create(ba_store *store, const char *model, const char *workspace,
                            const char *title, ba_session_info *out, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] = "INSERT INTO sessions (id, created_ms, updated_ms, model, "
	                          "workspace, title, status, stop) "
	                          "VALUES (?1, ?2, ?2, ?3, ?4, ?5, 'running', '')";
	ba_session_info info;
	size_t title_len;
	int rc = SQLITE_ERROR;

	if (!store || !out) {
		ba_store__fmt(err, err_len, "no store or no place for the session");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (check_len("model name", model, sizeof(info.model), err, err_len) != 0 ||
	    check_len("workspace path", workspace, sizeof(info.workspace), err, err_len) != 0)
		return -1;
	memset(&info, 0, sizeof(info));
	snprintf(info.model, sizeof(info.model), "%s", model ? model : "");
	snprintf(info.workspace, sizeof(info.workspace), "%s", workspace ? workspace : "");
	/* Cut, never inside a character: the title is shown and stored as text. */
	if (!title)
		title = "";
	title_len = ba_utf8_cut(title, strlen(title), sizeof(info.title) - 1);
	memcpy(info.title, title, title_len);
	info.title[title_len] = '\0';
	info.status = BA_SESSION_RUNNING;
	/* 64 random bits: a clash is vanishingly rare, but costs nothing
	 * to survive. */
	for (int attempt = 0; attempt < 4; attempt++) {
		sqlite3_stmt *st = ba_store__stmt(store, STMT_SESSION_INSERT, sql, err, err_len);
		if (!st || new_id(info.id, err, err_len) != 0)
			return -1;
		info.created_ms = info.updated_ms = ba_store__now_ms();
		b = 0;
		b |= store->sq->bind_text(st, 1, info.id, -1, SQLITE_STATIC);
		b |= store->sq->bind_int64(st, 2, info.created_ms);
		b |= ba_store__bind_str(store, st, 3, info.model);
		b |= ba_store__bind_str(store, st, 4, info.workspace);
		b |= ba_store__bind_str(store, st, 5, info.title);
		rc = ba_store__step(store, st, b);
		ba_store__done(store, st);
		if (rc == SQLITE_DONE) {
			*out = info;
			return 0;
		}
		if (store->sq->extended_errcode(store->db) != SQLITE_CONSTRAINT_PRIMARYKEY)
			break;
	}
	return ba_store__db_error(store, "creating a session", err, err_len);
}

int ba_store_session_get(ba_store *store, const char *id_or_prefix, ba_session_info *out, char *err,
                         size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char exact_sql[] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1";
	/* Ids are hex digits, all below 'g': the ids starting with P are
	 * those in [P, P + "g"), a range the primary key index serves. */
	static const char prefix_sql[] = "SELECT " SESSION_COLUMNS " FROM sessions "
	                                 "WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 6";
	char upper[BA_SESSION_ID_MAX + 1];
	char id[BA_SESSION_ID_MAX];
	sqlite3_stmt *st;
	int rc, found = 0;
	char listed[6 * (BA_SESSION_ID_MAX + 2)] = "";
	size_t used = 0;

	if (!store || !out) {
		ba_store__fmt(err, err_len, "no store or no place for the session");
		return -1;
	}
	if (!id_normalize(id_or_prefix, id)) {
		ba_store__fmt(err, err_len, "'%s' is not a session id (hex digits)",
		              id_or_prefix ? id_or_prefix : "");
		return 1;
	}
	st = ba_store__stmt(store, STMT_SESSION_GET_EXACT, exact_sql, err, err_len);
	if (!st)
		return -1;
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = ba_store__step(store, st, b);
	if (rc == SQLITE_ROW) {
		rc = read_session(store, st, out, err, err_len);
		ba_store__done(store, st);
		return rc;
	}
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "reading a session", err, err_len);
	if (strlen(id) < 4) {
		ba_store__fmt(err, err_len,
		              "no session %s (a prefix must have at least 4 characters)", id);
		return 1;
	}
	snprintf(upper, sizeof(upper), "%sg", id);
	st = ba_store__stmt(store, STMT_SESSION_GET_PREFIX, prefix_sql, err, err_len);
	if (!st)
		return -1;
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	b |= store->sq->bind_text(st, 2, upper, -1, SQLITE_STATIC);
	while ((rc = ba_store__step(store, st, b)) == SQLITE_ROW) {
		if (found == 0 && read_session(store, st, out, err, err_len) != 0) {
			ba_store__done(store, st);
			return -1;
		}
		const unsigned char *sid = store->sq->column_text(st, 0);
		int n = snprintf(listed + used, sizeof(listed) - used, "%s%s", found ? ", " : "",
		                 sid ? (const char *)sid : "");
		if (n > 0 && (size_t)n < sizeof(listed) - used)
			used += (size_t)n;
		found++;
	}
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "reading sessions", err, err_len);
	if (found == 0) {
		ba_store__fmt(err, err_len, "no session %s", id);
		return 1;
	}
	if (found > 1) {
		memset(out, 0, sizeof(*out));
		ba_store__fmt(err, err_len, "session prefix %s is ambiguous: it matches %s%s", id,
		              listed, found > 5 ? ", ..." : "");
		return 1;
	}
	return 0;
}

int ba_store_session_update(ba_store *store, const ba_session_info *info, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] =
	        "UPDATE sessions SET model = ?2, status = ?3, stop = ?4, input_tokens = ?5, "
	        "output_tokens = ?6, cost_usd = ?7, steps = ?8, updated_ms = ?9 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc;

	if (!store || !info) {
		ba_store__fmt(err, err_len, "no store or no session");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if ((unsigned)info->status >= sizeof(status_names) / sizeof(status_names[0])) {
		ba_store__fmt(err, err_len, "session %.32s: unknown status %d", info->id,
		              (int)info->status);
		return -1;
	}
	if (!isfinite(info->cost_usd)) {
		ba_store__fmt(err, err_len, "session %.32s: the cost is not a finite number",
		              info->id);
		return -1;
	}
	if (!memchr(info->id, '\0', sizeof(info->id)) ||
	    !memchr(info->model, '\0', sizeof(info->model)) ||
	    !memchr(info->stop, '\0', sizeof(info->stop))) {
		ba_store__fmt(err, err_len, "session update: a text field is not terminated");
		return -1;
	}
	st = ba_store__stmt(store, STMT_SESSION_UPDATE, sql, err, err_len);
	if (!st)
		return -1;
	b |= ba_store__bind_str(store, st, 1, info->id);
	b |= ba_store__bind_str(store, st, 2, info->model);
	b |= store->sq->bind_text(st, 3, status_names[info->status], -1, SQLITE_STATIC);
	b |= ba_store__bind_str(store, st, 4, info->stop);
	b |= store->sq->bind_int64(st, 5, (int64_t)clamp_u64(info->input_tokens));
	b |= store->sq->bind_int64(st, 6, (int64_t)clamp_u64(info->output_tokens));
	b |= store->sq->bind_double(st, 7, info->cost_usd);
	b |= store->sq->bind_int64(st, 8, (int64_t)clamp_u64(info->steps));
	b |= store->sq->bind_int64(st, 9, ba_store__now_ms());
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "updating a session", err, err_len);
	if (store->sq->changes(store->db) == 0) {
		ba_store__fmt(err, err_len, "no session %s", info->id);
		return -1;
	}
	return 0;
}

int ba_store_session_list(ba_store *store, size_t limit, ba_session_info **out, size_t *count,
                          char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] = "SELECT " SESSION_COLUMNS " FROM sessions "
	                          "ORDER BY updated_ms DESC, created_ms DESC, id LIMIT ?1";
	ba_session_info *list = NULL, *grown;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!store || !out || !count) {
		ba_store__fmt(err, err_len, "no store or no place for the list");
		return -1;
	}
	if (limit > BA_STORE_MAX_LIST)
		limit = BA_STORE_MAX_LIST;
	st = ba_store__stmt(store, STMT_SESSION_LIST, sql, err, err_len);
	if (!st)
		return -1;
	b |= store->sq->bind_int64(st, 1, (int64_t)limit);
	while ((rc = ba_store__step(store, st, b)) == SQLITE_ROW) {
		grown = ba_store__grow(list, &cap, n, sizeof(*list), err, err_len);
		if (!grown)
			goto fail;
		list = grown;
		if (read_session(store, st, &list[n], err, err_len) != 0)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		ba_store__db_error(store, "listing sessions", err, err_len);
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

int ba_store_session_delete(ba_store *store, const char *id, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	static const char sql[] = "DELETE FROM sessions WHERE id = ?1";
	char norm[BA_SESSION_ID_MAX];
	sqlite3_stmt *st;
	int rc;

	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (!id_normalize(id, norm)) {
		ba_store__fmt(err, err_len, "no session %s", id ? id : "(none)");
		return 1;
	}
	st = ba_store__stmt(store, STMT_SESSION_DELETE, sql, err, err_len);
	if (!st)
		return -1;
	b |= store->sq->bind_text(st, 1, norm, -1, SQLITE_STATIC);
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return ba_store__db_error(store, "deleting a session", err, err_len);
	if (store->sq->changes(store->db) == 0) {
		ba_store__fmt(err, err_len, "no session %s", norm);
		return 1;
	}
	return 0;
}

/* The message for a failed append: the foreign key names a missing
 * session (checked by SQLite in the same statement, so no race). */
static int append_error(ba_store *store, const char *id, const char *what, char *err,
                        size_t err_len)
{
	if (store->sq->extended_errcode(store->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		ba_store__fmt(err, err_len, "no session %s", id);
		return -1;
	}
	return ba_store__db_error(store, what, err, err_len);
}

/* ------------------------------------------------------------ messages */

/* A JSON string for text (NULL -> JSON null), which must be valid UTF-8
 * (JSON has no way to carry other bytes). Sets *bad when it is not. */
static json_t *json_str_or_null(const char *text, size_t max, bool *bad)
{
	size_t len;

	if (!text)
		return json_null();
	len = strlen(text);
	if (len > max || !ba_utf8_valid(text, len)) {
		*bad = true;
		return NULL;
	}
	return json_stringn(text, len);
}

/* The tool calls as a JSON array of {"id","name","arguments"}, arguments
 * kept as the exact text the model streamed (a JSON string, so text that
 * is not JSON survives). NULL with err set. */
static char *tool_calls_json(const ba_llm_message *msg, char *err, size_t err_len)
{
	json_t *arr = json_array();
	char *text = NULL;

	if (!arr) {
		ba_store__fmt(err, err_len, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < msg->tool_call_count; i++) {
		const ba_llm_tool_call *c = &msg->tool_calls[i];
		bool bad = false;
		json_t *obj = json_object();

		/* The object goes into arr first, so arr owns it from then on;
		 * each value is made only when the one before it was set
		 * (json_object_set_new takes its value even on failure, and
		 * fails on NULL), so nothing is left over on any failure. */
		if (!obj || json_array_append_new(arr, obj) != 0 ||
		    json_object_set_new(obj, "id",
		                        json_str_or_null(c->id, BA_STORE__NAME_MAX, &bad)) != 0 ||
		    json_object_set_new(obj, "name",
		                        json_str_or_null(c->name, BA_STORE__NAME_MAX, &bad)) != 0 ||
		    json_object_set_new(obj, "arguments",
		                        json_str_or_null(c->arguments, BA_LLM_MAX_ARGS, &bad)) !=
		            0) {
			if (bad)
				ba_store__fmt(
				        err, err_len,
				        "tool call %zu: its id, name or arguments are too long "
				        "or not valid UTF-8",
				        i);
			else
				ba_store__fmt(err, err_len, "out of memory");
			json_decref(arr);
			return NULL;
		}
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text)
		ba_store__fmt(err, err_len, "out of memory");
	return text;
}

static int check_message(const ba_llm_message *msg, char *err, size_t err_len)
{
	if ((unsigned)msg->role >= sizeof(role_names) / sizeof(role_names[0])) {
		ba_store__fmt(err, err_len, "a message has an unknown role %d", (int)msg->role);
		return -1;
	}
	if (msg->text && strlen(msg->text) > BA_STORE_MAX_TEXT) {
		ba_store__fmt(err, err_len, "a message's text is larger than %u bytes",
		              BA_STORE_MAX_TEXT);
		return -1;
	}
	if (msg->tool_call_count > BA_LLM_MAX_TOOL_CALLS) {
		ba_store__fmt(err, err_len, "a message has more than %d tool calls",
		              BA_LLM_MAX_TOOL_CALLS);
		return -1;
	}
	if (msg->tool_call_count && !msg->tool_calls) {
		ba_store__fmt(err, err_len, "a message counts tool calls but has none");
		return -1;
	}
	if ((msg->tool_call_id && strlen(msg->tool_call_id) > BA_STORE__NAME_MAX) ||
	    (msg->tool_name && strlen(msg->tool_name) > BA_STORE__NAME_MAX)) {
		ba_store__fmt(err, err_len,
		              "a tool result's call id or tool name is longer than %d "
		              "bytes",
		              BA_STORE__NAME_MAX);
		return -1;
	}
	return 0;
}

int ba_store_message_append(ba_store *store, const char *session_id, const ba_llm_message *msg,
                            char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	/* One statement, so one transaction of its own outside a batch:
	 * SQLite takes the write lock before the subquery reads, so
	 * concurrent appenders never compute the same seq (a batch holds
	 * the lock from its begin). No session row is touched, which keeps
	 * an append to two pages of the write-ahead log. */
	static const char sql[] =
	        "INSERT INTO messages (session_id, seq, time_ms, role, text, tool_calls, "
	        "tool_call_id, tool_name, is_error) VALUES (?1, "
	        "(SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE session_id = ?1), "
	        "?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	char id[BA_SESSION_ID_MAX];
	char *calls = NULL;
	sqlite3_stmt *st;
	int rc;

	if (!store || !msg) {
		ba_store__fmt(err, err_len, "no store or no message");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (!id_normalize(session_id, id)) {
		ba_store__fmt(err, err_len, "'%.40s' is not a session id",
		              session_id ? session_id : "");
		return -1;
	}
	if (check_message(msg, err, err_len) != 0)
		return -1;
	if (msg->tool_call_count && !(calls = tool_calls_json(msg, err, err_len)))
		return -1;
	if (calls && strlen(calls) > BA_STORE_MAX_TEXT) {
		ba_store__fmt(err, err_len, "a message's tool calls take more than %u bytes",
		              BA_STORE_MAX_TEXT);
		free(calls);
		return -1;
	}
	st = ba_store__stmt(store, STMT_MESSAGE_INSERT, sql, err, err_len);
	if (!st) {
		free(calls);
		return -1;
	}
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	b |= store->sq->bind_int64(st, 2, ba_store__now_ms());
	b |= store->sq->bind_text(st, 3, role_names[msg->role], -1, SQLITE_STATIC);
	b |= ba_store__bind_str(store, st, 4, msg->text);
	b |= ba_store__bind_str(store, st, 5, calls);
	b |= ba_store__bind_str(store, st, 6, msg->tool_call_id);
	b |= ba_store__bind_str(store, st, 7, msg->tool_name);
	b |= store->sq->bind_int64(st, 8, msg->is_error ? 1 : 0);
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	free(calls);
	if (rc != SQLITE_DONE)
		return append_error(store, id, "appending a message", err, err_len);
	return 0;
}

static void free_message(ba_llm_message *m)
{
	free(m->text);
	for (size_t i = 0; i < m->tool_call_count; i++) {
		free(m->tool_calls[i].id);
		free(m->tool_calls[i].name);
		free(m->tool_calls[i].arguments);
	}
	free(m->tool_calls);
	free(m->tool_call_id);
	free(m->tool_name);
	memset(m, 0, sizeof(*m));
}

void ba_store_messages_free(ba_llm_message *msgs, size_t count)
{
	if (!msgs)
		return;
	for (size_t i = 0; i < count; i++)
		free_message(&msgs[i]);
	free(msgs);
}

/* A member of a stored tool call: a string or null. */
static int json_member_dup(json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = strndup(json_string_value(v), json_string_length(v));
	return *out ? 0 : -1;
}

/* Parses the stored tool_calls column back into m. */
static int parse_tool_calls(const char *text, ba_llm_message *m)
{
	json_error_t jerr;
	json_t *arr = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	size_t n;

	if (!arr || !json_is_array(arr) || (n = json_array_size(arr)) > BA_LLM_MAX_TOOL_CALLS)
		goto fail;
	if (n) {
		m->tool_calls = calloc(n, sizeof(*m->tool_calls));
		if (!m->tool_calls)
			goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *obj = json_array_get(arr, i);
		ba_llm_tool_call *c = &m->tool_calls[i];
		m->tool_call_count = i + 1;
		if (!json_is_object(obj) || json_member_dup(obj, "id", &c->id) != 0 ||
		    json_member_dup(obj, "name", &c->name) != 0 ||
		    json_member_dup(obj, "arguments", &c->arguments) != 0)
			goto fail;
	}
	json_decref(arr);
	return 0;
fail:
	json_decref(arr);
	return -1;
}

static int session_rows(ba_store *store, enum ba_store_stmt_id sid, const char *sql, const char *id,
                        size_t *rows, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	sqlite3_stmt *st = ba_store__stmt(store, sid, sql, err, err_len);
	int rc;

	if (!st)
		return -1;
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = ba_store__step(store, st, b);
	if (rc == SQLITE_ROW)
		*rows = (size_t)store->sq->column_int64(st, 0);
	ba_store__done(store, st);
	if (rc != SQLITE_ROW)
		return ba_store__db_error(store, "counting rows", err, err_len);
	if (*rows > BA_STORE_MAX_ROWS) {
		ba_store__fmt(err, err_len, "session %s has more than %d rows to load", id,
		              BA_STORE_MAX_ROWS);
		return -1;
	}
	return 0;
}

/* One session's rows of the messages or the events table. */
struct row_table {
	enum ba_store_stmt_id count_id, load_id;
	const char *count_sql, *load_sql; /* ?1 is the session id */
	size_t elem_size;
	const char *what; /* "messages", "events" */
	/* Reads the current row into elem (zeroed); -1 with err set. Adds
	 * the row's bytes to *total and refuses past BA_STORE__LOAD_MAX. */
	int (*read)(ba_store *store, sqlite3_stmt *st, const char *id, void *elem, size_t *total,
	            char *err, size_t err_len);
	/* Frees the first n elements, filled in or partly, and the array. */
	void (*free)(void *elems, size_t n);
};

/* Loads every row of t for session_id, in seq order, into *out (an array
 * of *count elements of t->elem_size, taken). */
static int load_rows(ba_store *store, const struct row_table *t, const char *session_id, void **out,
                     size_t *count, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	char id[BA_SESSION_ID_MAX];
	char *elems = NULL;
	size_t rows = 0, n = 0, total = 0;
	sqlite3_stmt *st = NULL;
	bool own_txn;

	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!store || !out || !count) {
		ba_store__fmt(err, err_len, "no store or no place for the %s", t->what);
		return -1;
	}
	if (!id_normalize(session_id, id)) {
		ba_store__fmt(err, err_len, "'%.40s' is not a session id",
		              session_id ? session_id : "");
		return -1;
	}
	/* The count and the rows must agree while other processes append:
	 * one snapshot (the open batch's, inside one). */
	if (ba_store__read_begin(store, &own_txn, err, err_len) != 0)
		return -1;
	if (session_rows(store, t->count_id, t->count_sql, id, &rows, err, err_len) != 0)
		goto fail;
	if (rows && !(elems = calloc(rows, t->elem_size))) {
		ba_store__fmt(err, err_len, "out of memory");
		goto fail;
	}
	st = ba_store__stmt(store, t->load_id, t->load_sql, err, err_len);
	if (!st)
		goto fail;
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (n < rows && ba_store__step(store, st, b) == SQLITE_ROW)
		if (t->read(store, st, id, elems + n++ * t->elem_size, &total, err, err_len) != 0)
			goto fail;
	if (n < rows) {
		/* The rows were counted in this transaction: fewer means
		 * SQLite failed to read one (a damaged file, out of memory). */
		char what[32];
		snprintf(what, sizeof(what), "loading %s", t->what);
		ba_store__db_error(store, what, err, err_len);
		goto fail;
	}
	ba_store__done(store, st);
	ba_store__read_end(store, own_txn);
	*out = elems;
	*count = n;
	return 0;
fail:
	ba_store__done(store, st);
	ba_store__read_end(store, own_txn);
	t->free(elems, n);
	return -1;
}

static int read_message(ba_store *store, sqlite3_stmt *st, const char *id, void *elem,
                        size_t *total, char *err, size_t err_len)
{
	ba_llm_message *m = elem;
	char role[16], *calls = NULL;
	int64_t seq = store->sq->column_int64(st, 6);
	int rc = -1;

	for (int col = 1; col <= 4; col++)
		*total += (size_t)store->sq->column_bytes(st, col);
	if (*total > BA_STORE__LOAD_MAX) {
		ba_store__fmt(err, err_len, "session %s: the conversation is larger than %zu bytes",
		              id, BA_STORE__LOAD_MAX);
		return -1;
	}
	if (ba_store__col_copy(store, st, 0, role, sizeof(role), err, err_len) != 0 ||
	    ba_store__col_dup(store, st, 1, BA_STORE_MAX_TEXT, &m->text, err, err_len) != 0 ||
	    ba_store__col_dup(store, st, 2, BA_STORE_MAX_TEXT, &calls, err, err_len) != 0 ||
	    ba_store__col_dup(store, st, 3, BA_STORE__NAME_MAX, &m->tool_call_id, err, err_len) !=
	            0 ||
	    ba_store__col_dup(store, st, 4, BA_STORE__NAME_MAX, &m->tool_name, err, err_len) != 0)
		goto out;
	if (role_from_name(role, &m->role) != 0) {
		ba_store__fmt(err, err_len,
		              "%s: session %s message %" PRId64 " has an unknown role", store->path,
		              id, seq);
		goto out;
	}
	m->is_error = store->sq->column_int64(st, 5) != 0;
	if (calls && parse_tool_calls(calls, m) != 0) {
		ba_store__fmt(err, err_len,
		              "%s: session %s message %" PRId64
		              ": the stored tool calls are damaged",
		              store->path, id, seq);
		goto out;
	}
	rc = 0;
out:
	free(calls);
	return rc;
}

static void free_messages(void *elems, size_t n)
{
	ba_store_messages_free(elems, n);
}

int ba_store_messages_load(ba_store *store, const char *session_id, ba_llm_message **out,
                           size_t *count, char *err, size_t err_len)
{
	static const struct row_table table = {
	        .count_id = STMT_MESSAGE_COUNT,
	        .count_sql = "SELECT count(*) FROM messages WHERE session_id = ?1",
	        .load_id = STMT_MESSAGE_LOAD,
	        .load_sql = "SELECT role, text, tool_calls, tool_call_id, tool_name, is_error, "
	                    "seq FROM messages WHERE session_id = ?1 ORDER BY seq",
	        .elem_size = sizeof(ba_llm_message),
	        .what = "messages",
	        .read = read_message,
	        .free = free_messages,
	};
	void *rows = NULL;
	/* NULL stays NULL, for load_rows to refuse. */
	int rc = load_rows(store, &table, session_id, out ? &rows : NULL, count, err, err_len);

	if (out)
		*out = rows;
	return rc;
}

/* -------------------------------------------------------------- events */

/* Event kinds are short names: letters, digits, '_', '.', '-'. */
static bool kind_valid(const char *kind)
{
	size_t n = 0;

	if (!kind)
		return false;
	for (; kind[n]; n++) {
		char c = kind[n];
		if (n >= sizeof(((ba_store_event *)0)->kind) - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n > 0;
}

int ba_store_event_append(ba_store *store, const char *session_id, const char *kind,
                          const char *json, char *err, size_t err_len)
{
	int b = 0; /* the bind calls' results, ORed */
	/* One statement, one transaction outside a batch (see
	 * ba_store_message_append). */
	static const char sql[] =
	        "INSERT INTO events (session_id, seq, time_ms, kind, json) VALUES (?1, "
	        "(SELECT coalesce(max(seq), 0) + 1 FROM events WHERE session_id = ?1), "
	        "?2, ?3, ?4)";
	char id[BA_SESSION_ID_MAX];
	json_error_t jerr;
	json_t *parsed;
	size_t len;
	sqlite3_stmt *st;
	int rc;

	if (!store) {
		ba_store__fmt(err, err_len, "no store");
		return -1;
	}
	if (ba_store__writable(store, err, err_len) != 0)
		return -1;
	if (!id_normalize(session_id, id)) {
		ba_store__fmt(err, err_len, "'%.40s' is not a session id",
		              session_id ? session_id : "");
		return -1;
	}
	if (!kind_valid(kind)) {
		ba_store__fmt(err, err_len,
		              "'%.40s' is not an event kind (1 to 31 letters, digits, '_', '.', "
		              "'-')",
		              kind ? kind : "");
		return -1;
	}
	if (!json || (len = strlen(json)) > BA_STORE_MAX_TEXT) {
		ba_store__fmt(err, err_len, "event %s: no JSON, or more than %u bytes", kind,
		              BA_STORE_MAX_TEXT);
		return -1;
	}
	/* The text is stored as given (it is the line the agent emitted);
	 * parsing only proves it is one JSON object. */
	parsed = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!parsed || !json_is_object(parsed)) {
		ba_store__fmt(err, err_len, "event %s is not a JSON object: %s", kind,
		              parsed ? "another JSON value" : jerr.text);
		json_decref(parsed);
		return -1;
	}
	json_decref(parsed);
	st = ba_store__stmt(store, STMT_EVENT_INSERT, sql, err, err_len);
	if (!st)
		return -1;
	b |= store->sq->bind_text(st, 1, id, -1, SQLITE_STATIC);
	b |= store->sq->bind_int64(st, 2, ba_store__now_ms());
	b |= store->sq->bind_text(st, 3, kind, -1, SQLITE_STATIC);
	b |= store->sq->bind_text(st, 4, json, (int)len, SQLITE_STATIC);
	rc = ba_store__step(store, st, b);
	ba_store__done(store, st);
	if (rc != SQLITE_DONE)
		return append_error(store, id, "appending an event", err, err_len);
	return 0;
}

void ba_store_events_free(ba_store_event *events, size_t count)
{
	if (!events)
		return;
	for (size_t i = 0; i < count; i++)
		free(events[i].json);
	free(events);
}

static int read_event(ba_store *store, sqlite3_stmt *st, const char *id, void *elem, size_t *total,
                      char *err, size_t err_len)
{
	ba_store_event *e = elem;

	*total += (size_t)store->sq->column_bytes(st, 3);
	if (*total > BA_STORE__LOAD_MAX) {
		ba_store__fmt(err, err_len, "session %s: the events take more than %zu bytes", id,
		              BA_STORE__LOAD_MAX);
		return -1;
	}
	e->seq = store->sq->column_int64(st, 0);
	e->time_ms = store->sq->column_int64(st, 1);
	if (ba_store__col_copy(store, st, 2, e->kind, sizeof(e->kind), err, err_len) != 0 ||
	    ba_store__col_dup(store, st, 3, BA_STORE_MAX_TEXT, &e->json, err, err_len) != 0)
		return -1;
	if (!e->json && !(e->json = strdup("{}"))) {
		ba_store__fmt(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

static void free_events(void *elems, size_t n)
{
	ba_store_events_free(elems, n);
}

int ba_store_events_load(ba_store *store, const char *session_id, ba_store_event **out,
                         size_t *count, char *err, size_t err_len)
{
	static const struct row_table table = {
	        .count_id = STMT_EVENT_COUNT,
	        .count_sql = "SELECT count(*) FROM events WHERE session_id = ?1",
	        .load_id = STMT_EVENT_LOAD,
	        .load_sql = "SELECT seq, time_ms, kind, json FROM events "
	                    "WHERE session_id = ?1 ORDER BY seq",
	        .elem_size = sizeof(ba_store_event),
	        .what = "events",
	        .read = read_event,
	        .free = free_events,
	};
	void *rows = NULL;
	/* NULL stays NULL, for load_rows to refuse. */
	int rc = load_rows(store, &table, session_id, out ? &rows : NULL, count, err, err_len);

	if (out)
		*out = rows;
	return rc;
}
