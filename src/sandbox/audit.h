/*
 * audit.h - the tamper-evident audit log of capability decisions.
 *
 * One JSON object per line (docs/audit.md has the full format):
 *
 *   {"seq":12,"time":"2026-11-26T21:45:15.123Z","run":"9f2c01aa4e7b3d10",
 *    "tool":"web_fetch","decision":"deny","capability":"network",
 *    "target":"http://127.0.0.1:8080/","address":"127.0.0.1","bytes":0,
 *    "reason":"address 127.0.0.1 is loopback ...","prev":"<64 hex>",
 *    "hash":"<64 hex>"}
 *
 * Keys appear in exactly this order; "address" and "bytes" are omitted when
 * not known (NULL / -1). "prev" is the "hash" of the line before (64 zeros
 * for the first line). "hash" is the SHA-256, in lower-case hex, of the
 * line's bytes from '{' up to but excluding ',"hash":' - so it covers
 * "prev", which chains every line to all lines before it. Editing, inserting,
 * reordering or deleting a line breaks the chain at that point.
 *
 * Deleting lines at the end leaves a valid chain, so every append also
 * rewrites a head file beside the log (PATH + ".head", one line
 * "SEQ HASH\n"); verify checks that the last line matches it. Someone who
 * can rewrite both files can still forge history - the chain detects
 * accidents and tampering by anything that does not know to do that; see
 * docs/audit.md for the threat model.
 *
 * Appends are serialised across processes with flock() on the log, so
 * several boxagent processes may share one log. Writers never rewrite
 * earlier lines.
 *
 * Every string field is JSON-escaped: quote, backslash, \b \f \n \r \t,
 * other control characters and DEL as \u00XX; valid UTF-8 is written as
 * it is; each byte that is not part of valid UTF-8 becomes \u00XX with the
 * byte's value (never U+FFFD), so a line is always valid JSON and the
 * original bytes can be recovered from the raw line.
 */
#ifndef BA_SANDBOX_AUDIT_H
#define BA_SANDBOX_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A line, newline included, is at most this long: each field has a budget
 * and longer fields are cut (at a character boundary) and end in "...".
 * Readers refuse longer lines. */
#define BA_AUDIT_LINE_MAX 16384

typedef struct ba_audit ba_audit;

/* Writes the default log path into out: $BOXAGENT_HOME/audit.log, where
 * BOXAGENT_HOME defaults to $XDG_DATA_HOME/boxagent (only an absolute
 * XDG_DATA_HOME counts, as the XDG spec says), else
 * $HOME/.local/share/boxagent. Returns 0, or -1 when none of those is set
 * or the path does not fit in out_len bytes; out then holds a message
 * saying so. Shared by `boxagent audit` and `boxagent tool run`. */
int ba_audit_default_path(char *out, size_t out_len) __attribute__((warn_unused_result));

/* Opens (creating if needed, mode 0600, parent directories 0700) the log
 * at path for appending. NULL with a message in err on failure.
 *
 * An existing log is continued: its last line must be a valid record that
 * matches the head file, otherwise the open (and any later record) fails
 * instead of forking the chain - see docs/audit.md for what to do then.
 * A handle may be shared by threads (records are serialised). If the log
 * is moved away while the handle is open, the next record follows the
 * path and starts (or continues) the log found there. */
ba_audit *ba_audit_open(const char *path, char *err, size_t err_len);
/* Closes; NULL allowed. */
void ba_audit_close(ba_audit *audit);
/* The run id used by records from this handle (16 hex chars from
 * getrandom(), new per open); the caller may set its own (borrowed,
 * copied, cut at 63 bytes). The returned string is owned by the handle and
 * valid until the next set_run_id or close. */
const char *ba_audit_run_id(const ba_audit *audit);
void ba_audit_set_run_id(ba_audit *audit, const char *run_id);

typedef struct ba_audit_event {
	const char *tool;       /* tool name                                */
	bool allowed;           /* decision: "allow" or "deny"              */
	const char *capability; /* kind: "fs.read", "network", "env", ... or
	                           "limit" for limit stops                  */
	const char *target;     /* path, URL, variable name, ...            */
	const char *address;    /* resolved address, or NULL                */
	int64_t bytes;          /* bytes moved, or -1                       */
	const char *reason;     /* why (for deny) or what matched (allow)   */
} ba_audit_event;

/* Appends one record (all fields borrowed; NULL strings become ""). 0 on
 * success; -1 on an I/O error, with the message kept for
 * ba_audit_error(). A tool run treats a failed audit write as fatal: a
 * decision that cannot be recorded is not made. */
int ba_audit_record(ba_audit *audit, const ba_audit_event *event);
const char *ba_audit_error(const ba_audit *audit);

/* Calls fn (borrowed, with user) after each record this handle writes,
 * with the event as recorded (its strings valid during the call only).
 * Lets a caller show the decisions of one run as they happen - the agent
 * reports what each tool call used or was denied - without re-reading the
 * log. fn must not record on this handle. NULL fn removes the observer. */
typedef void (*ba_audit_observer_fn)(void *user, const ba_audit_event *event);
void ba_audit_set_observer(ba_audit *audit, ba_audit_observer_fn fn, void *user);

/* --- reading ------------------------------------------------------------ */

typedef struct ba_audit_verify_result {
	bool ok;
	uint64_t lines;    /* lines checked                               */
	uint64_t bad_line; /* 1-based line where the chain breaks (0 = none) */
	char message[512]; /* what is wrong, or a summary when ok         */
} ba_audit_verify_result;

/* Verifies the chain and the head file. Returns 0 when the file could be
 * read (result says whether it is intact), -1 with message when not
 * ("no audit log at PATH" when it does not exist; an empty file is intact
 * with 0 lines). When not ok, bad_line is the first line that breaks the
 * chain, the last line when records are missing at the end (head file
 * mismatch), or 0 when the log cannot be judged (head file missing or
 * malformed while the log has records). A head file exactly one record
 * behind a last line that chains to it (an append interrupted between its
 * two writes) counts as intact, and the message says so. Verify reads a
 * snapshot (the log's size and head file taken together under a shared
 * lock), so it may run while others append. */
int ba_audit_verify(const char *path, ba_audit_verify_result *result);

typedef struct ba_audit_filter {
	const char *tool;       /* exact match, or NULL                     */
	const char *decision;   /* "allow" / "deny", or NULL                */
	const char *capability; /* exact kind, or NULL                      */
	const char *run;        /* exact run id, or NULL                    */
	const char *contains;   /* substring of target or reason, or NULL   */
	const char *since;      /* RFC 3339 time; records at or after, or NULL */
	uint64_t last;          /* only the last N matching records; 0 = all */
} ba_audit_filter;

/* Calls fn(line, len, user) for each matching record, in file order.
 * line is the raw JSON text (borrowed, NUL-terminated, no newline).
 * Returns 0, or -1 with a message in err (unreadable file, malformed
 * line - the line number is named, a since that is not a time). Listing
 * does not check hashes (ba_audit_verify does), so an edited log can still
 * be read. since is compared as an instant: "2026-11-26" (midnight UTC),
 * "2026-11-26T21:45:00Z", "2026-11-26T22:45:00.5+01:00"; a time without a
 * zone is refused. Like verify, list reads a snapshot and never holds a
 * lock while fn runs. */
int ba_audit_list(const char *path, const ba_audit_filter *filter,
                  void (*fn)(const char *line, size_t len, void *user), void *user, char *err,
                  size_t err_len);

#endif
