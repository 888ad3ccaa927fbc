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
 */
#ifndef BA_SANDBOX_AUDIT_H
#define BA_SANDBOX_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BA_AUDIT_LINE_MAX 16384 /* longer fields are truncated with "..." */

typedef struct ba_audit ba_audit;

/* Opens (creating if needed, mode 0600, parent directories 0700) the log
 * at path for appending. NULL with a message in err on failure. */
ba_audit *ba_audit_open(const char *path, char *err, size_t err_len);
/* Closes; NULL allowed. */
void ba_audit_close(ba_audit *audit);
/* The run id used by records from this handle (16 hex chars, random per
 * open); the caller may set its own (borrowed, copied, ≤ 63 chars). */
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

/* --- reading ------------------------------------------------------------ */

typedef struct ba_audit_verify_result {
	bool ok;
	uint64_t lines;      /* lines checked                               */
	uint64_t bad_line;   /* 1-based line where the chain breaks (0 = none) */
	char message[512];   /* what is wrong, or a summary when ok         */
} ba_audit_verify_result;

/* Verifies the chain and the head file. Returns 0 when the file could be
 * read (result says whether it is intact), -1 with message when not. */
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
 * line - the line number is named). */
int ba_audit_list(const char *path, const ba_audit_filter *filter,
                  void (*fn)(const char *line, size_t len, void *user), void *user, char *err,
                  size_t err_len);

#endif
