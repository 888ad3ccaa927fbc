/*
 * internal.h - what the files of src/agent/ share (not for other modules).
 *
 *   agent.c   the loop: sessions, model calls, tool calls, limits, stats
 *   grants.c  capability decisions for one tool call (operator only)
 *   result.c  tool results as untrusted text for the model
 *   event.c   event names and their JSON form
 *   prompt.c  the built-in system prompt
 */
#ifndef BA_AGENT_INTERNAL_H
#define BA_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "sandbox/caps.h"
#include "tool/manifest.h"

/* ------------------------------------------------------------ prompt.c */

/* The built-in system prompt, with a paragraph about the workspace when
 * has_workspace. Appended to out. */
int ba_agent__default_prompt(bool has_workspace, ba_buf *out);

/* ------------------------------------------------------------ result.c */

/* The longest excerpt of a failed tool's stderr shown to the model. */
#define BA_AGENT_STDERR_EXCERPT 2048

/* What ba_agent__append_swapped writes for the ASCII byte s[i] of the
 * len bytes at s (borrowed): a string (static, or built in esc), or NULL
 * to keep the byte. */
typedef const char *ba_agent__swap_fn(const char *s, size_t len, size_t i, char esc[8]);

/* Appends the len bytes at s to out, except that an ASCII byte for which
 * swap gives a string is written as that string, and a byte that does
 * not start a valid UTF-8 character (core/utf8.h) as bad. The escaping
 * loop of both JSON strings and untrusted text. */
int ba_agent__append_swapped(ba_buf *out, const char *s, size_t len, ba_agent__swap_fn *swap,
                             const char *bad);

/* Appends len bytes of untrusted text to out, made safe to embed:
 * invalid UTF-8 and NUL bytes become U+FFFD (a provider's JSON encoder
 * would refuse them), and every "<tool_result" / "</tool_result" (any
 * case, spaces allowed after "</") has its '<' written as "&lt;" so the
 * text can neither close the block it sits in nor open a new one. */
int ba_agent__append_untrusted(ba_buf *out, const char *s, size_t len);

/* Appends s with & < > " written as entities (an attribute value). */
int ba_agent__append_attr(ba_buf *out, const char *s);

typedef struct ba_agent_result_text {
	const char *tool;    /* as the model named it                   */
	const char *call_id; /* the provider's id                      */
	bool ok;             /* status="ok" or "error"                 */
	const char *output;  /* the tool's stdout (untrusted), may be NULL */
	size_t output_len;
	size_t max_bytes;   /* output shown at most; the rest is cut    */
	const char *errors; /* the tool's stderr (untrusted), shown when !ok */
	size_t errors_len;
	/* Lines written by boxagent itself after the block (trusted):
	 * what went wrong, what was denied. */
	const char *const *notes;
	size_t note_count;
} ba_agent_result_text;

/* The text the model receives for one tool call:
 *   <tool_result tool="T" call="ID" status="ok|error" trust="untrusted">
 *   OUTPUT ([output cut: ...] when over max_bytes)
 *   [stderr] ... (failed calls)
 *   </tool_result>
 *   NOTE...
 * Appended to out. */
int ba_agent__format_result(const ba_agent_result_text *r, ba_buf *out);

/* ------------------------------------------------------------ grants.c */

/* One decision for one declared capability. */
typedef struct ba_agent_decision {
	const ba_cap *declared; /* borrowed from the manifest           */
	bool allowed;
	const char *source; /* static: "grant", "workspace", ...         */
	char message[256];  /* extra detail (a policy save that failed)  */
} ba_agent_decision;

/* A remembered operator answer for this agent: "deny" answers are never
 * asked again, "always" answers without a place to save them last for
 * the agent's life. */
typedef struct ba_agent_memory {
	char tool[65];
	char capability[BA_CAP_TEXT_MAX];
	bool allow;
} ba_agent_memory;

#define BA_AGENT_MAX_MEMORY 256

typedef struct ba_agent_grants {
	ba_capset *operator_caps;  /* --grant                            */
	ba_capset *workspace_caps; /* fs.read:/workspace when named; may be empty */
	ba_store *store;           /* borrowed, may be NULL              */
	const char *workspace;     /* canonical host path, or NULL       */
	ba_agent_approval (*approve)(void *user, const char *tool, const char *capability);
	void *approve_user;
	ba_agent_memory memory[BA_AGENT_MAX_MEMORY];
	size_t memory_count;
	uint64_t approval_ns; /* time spent in approve(), accumulated   */
} ba_agent_grants;

/* Parses the operator's grant strings into g (zeroed by the caller); the
 * error names the string. 0 or -1. */
int ba_agent__grants_init(ba_agent_grants *g, const char *const *grants, size_t count,
                          bool workspace, char *err, size_t err_len);
void ba_agent__grants_release(ba_agent_grants *g);

/* Decides every capability manifest m declares (decisions[i] for
 * m->declared->caps[i], at most BA_CAPSET_MAX) and fills effective with
 * what the call may use: declared ∩ (operator grants ∪ workspace ∪
 * policy allows of allowed capabilities ∪ approved capabilities). 0, or
 * -1 with a message (out of memory, the store failed). A cancel request
 * stops asking (cancel may be NULL). */
int ba_agent__grants_decide(ba_agent_grants *g, const ba_manifest *m, ba_agent_decision *decisions,
                            ba_capset *effective, const atomic_bool *cancel, char *err,
                            size_t err_len);

/* ------------------------------------------------------------ event.c */

/* Appends s (len bytes; invalid UTF-8 becomes U+FFFD) as a JSON string
 * with quotes. */
int ba_agent__json_string(ba_buf *out, const char *s, size_t len);

#endif /* BA_AGENT_INTERNAL_H */
