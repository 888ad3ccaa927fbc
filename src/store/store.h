/*
 * store.h - the embedded store: sessions, their messages and events, and
 * the operator's standing workspace policy, in one SQLite file.
 *
 * Where: $BOXAGENT_HOME/boxagent.db (BOXAGENT_HOME defaults to
 * ${XDG_DATA_HOME:-~/.local/share}/boxagent, as for the audit log). The
 * folder is created 0700, the file 0600.
 *
 * Durability: WAL journal, synchronous=NORMAL. Every write is its own
 * transaction, committed before the call returns - unless a batch is open
 * (ba_store_begin), when the batch's writes are committed together by
 * ba_store_commit. A process killed with SIGKILL at any point loses
 * nothing a call had returned success for outside a batch, nor any batch
 * whose commit had returned success, and never keeps part of a batch
 * (WAL + NORMAL is durable against process death; only a power loss may
 * take the last commits). Several processes may use one file: a busy
 * database is waited on (busy_timeout 5 s).
 *
 * What is kept: everything the agent loop does - every message of the
 * conversation (user, assistant text and tool calls, tool results),
 * every event (tool call, capability decision, tool result, usage,
 * retry, error, stop) as the JSON line the agent emits, and usage totals.
 * Never an API key: the store is not given any (and tests check the file).
 *
 * libsqlite3 is loaded with dlopen("libsqlite3.so.0") on the first open,
 * so that processes that never touch the store (tool runs) do not pay
 * for it at start-up; a missing library is a clear error from open.
 *
 * Threads: one handle per thread (SQLite's serialized mode is not
 * assumed); several handles on one file are fine.
 */
#ifndef BA_STORE_STORE_H
#define BA_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"
#include "sandbox/caps.h"

#define BA_SESSION_ID_MAX  33 /* 32 hex chars + NUL; ids are 16 hex  */
#define BA_STORE_PATH_MAX  4096
#define BA_STORE_TITLE_MAX 121 /* first prompt, cut at a UTF-8 boundary */
#define BA_STORE_MAX_LIST  10000
#define BA_STORE_MAX_ROWS  1000000     /* messages or events loaded at once */
#define BA_STORE_MAX_TEXT  (16u << 20) /* one message's text or event  */

typedef struct ba_store ba_store;

/* $BOXAGENT_HOME/boxagent.db. 0, or -1 when neither BOXAGENT_HOME nor
 * HOME gives a path. */
int ba_store_default_path(char *out, size_t out_len);

/* Opens (creating and migrating the schema as needed) path, or the
 * default path when NULL. NULL with a message in err. A file that is not
 * a boxagent store, or one from a newer version, is refused, naming it. */
ba_store *ba_store_open(const char *path, char *err, size_t err_len);
/* NULL allowed. A batch still open is rolled back. */
void ba_store_close(ba_store *store);
const char *ba_store_path(const ba_store *store);

/* ------------------------------------------------------------- batches */

/*
 * A batch: the writes (appends, session and policy changes) made through
 * this handle between ba_store_begin and ba_store_commit become durable
 * together at the commit, all or nothing - after a crash either every
 * one of them is there or none is, and what was committed before the
 * batch is kept. One commit for many rows is also much cheaper than one
 * per row (each commit writes to the log and takes and drops locks: some
 * 50-200 us on a loaded 2-core VM).
 *
 * Until the commit, other handles (and processes) see none of the
 * batch. Begin takes the database's write lock at once (BEGIN
 * IMMEDIATE), waiting for another writer up to the busy timeout, so a
 * batch never fails half-way because someone else writes; other writers
 * wait for the batch in turn, so keep batches short: begin, write,
 * commit - never wait on anything slow (a model, a person, a tool) in
 * between.
 *
 * Batches do not nest: begin while one is open is an error and leaves the
 * open one as it is. A write that fails inside a batch leaves the batch
 * open and the earlier writes of the batch in it (SQLite undoes only the
 * failed statement); the caller chooses to commit or roll back. Should
 * SQLite itself have abandoned the transaction (I/O error, disk full),
 * every later write of the batch fails saying so (none is committed on
 * its own), and so does the commit. A commit that fails rolls the batch
 * back and closes it: nothing of it is kept. Reads inside a batch see
 * its writes.
 */
int ba_store_begin(ba_store *store, char *err, size_t err_len);
int ba_store_commit(ba_store *store, char *err, size_t err_len);
/* Drops the open batch's writes; nothing (and no error) without one.
 * NULL allowed. */
void ba_store_rollback(ba_store *store);
/* Is a batch open on this handle? */
bool ba_store_in_batch(const ba_store *store);

/* ------------------------------------------------------------ sessions */

typedef enum ba_session_status {
	BA_SESSION_RUNNING = 0, /* a run is (or was, if the process died) on */
	BA_SESSION_IDLE,        /* the last run finished; can be resumed     */
	BA_SESSION_FAILED,      /* the last run stopped on an error or limit */
	BA_SESSION_CANCELLED,
} ba_session_status;

const char *ba_session_status_name(ba_session_status status);

typedef struct ba_session_info {
	char id[BA_SESSION_ID_MAX];
	int64_t created_ms; /* Unix time in milliseconds */
	int64_t updated_ms;
	char model[BA_LLM_MODEL_MAX];      /* the model last used      */
	char workspace[BA_STORE_PATH_MAX]; /* "" = none                */
	char title[BA_STORE_TITLE_MAX];
	ba_session_status status;
	char stop[32];         /* why the last run stopped: "end", "max_steps"... */
	uint64_t input_tokens; /* totals over the session                 */
	uint64_t output_tokens;
	double cost_usd; /* < 0 when some usage had no known price */
	uint64_t steps;
	uint64_t message_count; /* filled by get and list                 */
} ba_session_info;

/* Creates a session with a new random id (16 hex chars) and status
 * RUNNING; *out filled. model/workspace/title borrowed. */
int ba_store_session_create(ba_store *store, const char *model, const char *workspace,
                            const char *title, ba_session_info *out, char *err, size_t err_len);
/* Finds a session by id or unique id prefix (at least 4 chars).
 * 0 found, 1 not found or ambiguous (err says which), -1 error. */
int ba_store_session_get(ba_store *store, const char *id_or_prefix, ba_session_info *out, char *err,
                         size_t err_len);
/* Writes model, status, stop, usage totals, steps (by id), and sets
 * updated_ms to now. */
int ba_store_session_update(ba_store *store, const ba_session_info *info, char *err,
                            size_t err_len);
/* Newest first, at most limit (capped at BA_STORE_MAX_LIST). *out is
 * malloc'ed (taken; free() it). */
int ba_store_session_list(ba_store *store, size_t limit, ba_session_info **out, size_t *count,
                          char *err, size_t err_len);
/* Deletes a session with its messages and events. 0, 1 not found, -1. */
int ba_store_session_delete(ba_store *store, const char *id, char *err, size_t err_len);

/* ------------------------------------------------------------ messages */

/* Appends one message (borrowed) to the session's conversation; it is
 * committed when this returns 0 (inside a batch: with the batch). */
int ba_store_message_append(ba_store *store, const char *session_id, const ba_llm_message *msg,
                            char *err, size_t err_len);
/* Loads the conversation in order. *out taken; release with
 * ba_store_messages_free. */
int ba_store_messages_load(ba_store *store, const char *session_id, ba_llm_message **out,
                           size_t *count, char *err, size_t err_len);
void ba_store_messages_free(ba_llm_message *msgs, size_t count);

/* -------------------------------------------------------------- events */

typedef struct ba_store_event {
	int64_t seq; /* order within the session, from 1 */
	int64_t time_ms;
	char kind[32]; /* "tool_call", "decision", "tool_result", ...        */
	char *json;    /* owned: the event as one JSON object               */
} ba_store_event;

/* Appends an event (kind and json borrowed; json must be one JSON
 * object - checked, and refused otherwise). Committed on return 0
 * (inside a batch: with the batch). */
int ba_store_event_append(ba_store *store, const char *session_id, const char *kind,
                          const char *json, char *err, size_t err_len);
int ba_store_events_load(ba_store *store, const char *session_id, ba_store_event **out,
                         size_t *count, char *err, size_t err_len);
void ba_store_events_free(ba_store_event *events, size_t count);

/* -------------------------------------------------------------- policy */

/*
 * The operator's standing decisions for a workspace: "tool T may (or may
 * never) have capability C here". Written by `boxagent policy` and by
 * "always" answers at the approval prompt, read by the agent before each
 * tool call. The workspace is the canonical absolute host path (the
 * caller resolves it). It lives in the store, under BOXAGENT_HOME, which
 * the agent refuses to run with inside a workspace, so no tool can write
 * its own grants. tool "*" applies to every tool.
 */
typedef struct ba_policy_entry {
	char workspace[BA_STORE_PATH_MAX];
	char tool[65];
	char capability[BA_CAP_TEXT_MAX];
	bool allow; /* false = always deny without asking */
	int64_t created_ms;
} ba_policy_entry;

/* Adds or replaces (workspace, tool, capability). The capability must
 * parse (caps.h); err names it otherwise. */
int ba_store_policy_set(ba_store *store, const char *workspace, const char *tool,
                        const char *capability, bool allow, char *err, size_t err_len);
/* 0 removed, 1 there was no such entry, -1 error. */
int ba_store_policy_remove(ba_store *store, const char *workspace, const char *tool,
                           const char *capability, char *err, size_t err_len);
/* Entries for workspace (NULL = all workspaces), and for tool when not
 * NULL (entries for "*" included), ordered by workspace, tool,
 * capability. *out taken; free(). */
int ba_store_policy_list(ba_store *store, const char *workspace, const char *tool,
                         ba_policy_entry **out, size_t *count, char *err, size_t err_len);

#endif /* BA_STORE_STORE_H */
