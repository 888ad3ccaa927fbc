/*
 * agent.h - the tool-calling loop.
 *
 *   user prompt -> model (system prompt + tool schemas from the manifests)
 *     -> text and tool calls, streamed
 *     -> each call: decide capabilities (operator grants only), run the
 *        tool in the sandbox, return its result marked as untrusted data
 *     -> model again ... until it answers without tool calls, or a limit.
 *
 * Who decides capabilities: only the operator. A tool call may use what
 * its manifest declares AND the operator granted, from (in order):
 *   1. --grant flags (options.grants), for every tool;
 *   2. the workspace: naming one grants fs.read:/workspace to every tool
 *      (reading the workspace is why it was named); writing needs a grant;
 *   3. the workspace policy in the store (`boxagent policy`, "always"
 *      answers), kept under BOXAGENT_HOME - and ba_agent_new() refuses a
 *      workspace that contains BOXAGENT_HOME, so no tool can write it;
 *   4. the approval callback, asked for each declared capability the above
 *      do not cover: allow once / always (saved to the policy) / deny.
 *      No callback (no terminal) = denied.
 * Nothing the model writes reaches a grant: tool arguments go to the tool
 * as its stdin and nowhere else. A denied capability is recorded in the
 * audit log (by the runner) and its reason goes back to the model, e.g.
 * "network:https://x.example/ is not granted to web_fetch in this
 * workspace".
 *
 * Tool results go back as text wrapped in <tool_result ... trust=
 * "untrusted"> ... </tool_result> (a closing tag inside the output is
 * defused), and the system prompt tells the model that such text is data,
 * never instructions. Invalid argument JSON, an unknown tool, a failed or
 * crashed tool: an error result to the model, never a stop.
 *
 * Persistence (when a store is given): the user prompt, each assistant
 * message, each tool result and every event are committed in batches
 * right before the loop waits on anything (the model, a back-off, the
 * operator, a tool) and at the end of the run; a tool call and its
 * decisions are committed before the tool runs. So a killed process loses
 * at most the answer being streamed and the microseconds of work since
 * the last wait.
 * Resuming a session whose last run died between a tool call and its
 * result adds an "interrupted" error result for each unanswered call, so
 * the conversation is valid for the provider again.
 *
 * Threads: one agent per thread. ba_agent_cancel() may be called from
 * any thread or from a signal handler.
 */
#ifndef BA_AGENT_AGENT_H
#define BA_AGENT_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"
#include "sandbox/egress.h"
#include "store/store.h"

#define BA_AGENT_MAX_TOOLS      64
#define BA_AGENT_MAX_GRANTS     128
#define BA_AGENT_MAX_PROMPT     (1u << 20) /* one user prompt            */
#define BA_AGENT_DEFAULT_STEPS  20
#define BA_AGENT_DEFAULT_RESULT (32u << 10) /* tool output shown to the model */
#define BA_AGENT_MAX_RESULT     (1u << 20)

typedef enum ba_agent_approval {
	BA_AGENT_DENY = 0,
	BA_AGENT_ALLOW_ONCE,   /* this call only                        */
	BA_AGENT_ALLOW_ALWAYS, /* saved in the workspace policy         */
} ba_agent_approval;

/* --------------------------------------------------------------- events */

typedef enum ba_agent_event_type {
	BA_AGENT_EV_SESSION = 0, /* session_id, model; resumed            */
	BA_AGENT_EV_STEP,        /* a model call begins: step, model      */
	BA_AGENT_EV_TEXT,        /* a piece of the answer: text/text_len  */
	BA_AGENT_EV_TOOL_CALL,   /* call_id, tool, arguments (complete)   */
	BA_AGENT_EV_DECISION,    /* before a call runs: tool, capability,
	                            allowed, source ("grant", "workspace",
	                            "policy", "approved-once",
	                            "approved-always", "denied-by-operator",
	                            "policy-deny", "no-terminal")           */
	BA_AGENT_EV_TOOL_RESULT, /* call_id, tool, status ("ok", "failed",
	                            "error", "trap", "limit", "denied"),
	                            output/output_len (what the tool wrote,
	                            cut), message, caps_used/caps_denied,
	                            elapsed_ns                             */
	BA_AGENT_EV_USAGE,       /* usage of this step, total, cost_usd   */
	BA_AGENT_EV_RETRY,       /* attempt, wait_ms, message             */
	BA_AGENT_EV_FALLBACK,    /* model (from), text (to), message      */
	BA_AGENT_EV_ERROR,       /* message: a model error that ends the run */
	BA_AGENT_EV_DONE,        /* stop, text (the final answer), message */
} ba_agent_event_type;

/* One event; fields not listed for a type are zero/NULL. Everything is
 * borrowed for the duration of the callback. */
typedef struct ba_agent_event {
	ba_agent_event_type type;
	const char *session_id;
	unsigned step; /* 1-based model call within this run */
	const char *model;
	bool resumed;
	const char *text;
	size_t text_len;
	const char *call_id;
	const char *tool;
	const char *arguments;
	const char *capability;
	bool allowed;
	const char *source;
	const char *status;
	const char *output;
	size_t output_len;
	const char *message;
	const char *const *caps_used; /* capabilities the call was allowed */
	size_t caps_used_count;
	const char *const *caps_denied; /* "capability: reason" refusals   */
	size_t caps_denied_count;
	uint64_t elapsed_ns;
	ba_llm_usage usage;
	ba_llm_usage total;
	double cost_usd; /* total so far; < 0 = unknown prices     */
	unsigned attempt;
	uint64_t wait_ms;
	const char *stop;
} ba_agent_event;

const char *ba_agent_event_name(ba_agent_event_type type); /* "tool_call", ... */
/* The event as one JSON object with "type" first, no newline, appended to
 * out. The form of `boxagent run --json` and of the store's events. */
int ba_agent_event_json(const ba_agent_event *event, ba_buf *out);

/* -------------------------------------------------------------- options */

typedef struct ba_agent_limits {
	unsigned max_steps;      /* model calls per run; 0 = 20                  */
	uint64_t max_tokens;     /* input+output over the run; 0 = none          */
	uint64_t max_wall_ms;    /* the run's wall time; 0 = none                */
	double max_cost_usd;     /* 0 = none; needs prices in the config          */
	size_t max_result_bytes; /* tool output shown to the model; 0 = 32 KiB */
} ba_agent_limits;

typedef struct ba_agent_options {
	const ba_llm_config *llm;          /* borrowed, must outlive the agent        */
	const char *model;                 /* "provider/model", resolved               */
	const char *system_prompt;         /* NULL = the built-in one                */
	const char *workspace;             /* host directory; NULL = none              */
	const char *const *tool_manifests; /* manifest paths (tool.yaml)      */
	size_t tool_count;
	const char *const *grants; /* operator's capability strings        */
	size_t grant_count;
	ba_store *store;        /* borrowed; NULL = nothing is persisted    */
	const char *session_id; /* resume this one (id or prefix); NULL = new */
	ba_agent_limits limits;
	const char *audit_log;                     /* NULL = ba_audit_default_path()           */
	const ba_egress_static_host *static_hosts; /* --resolve, borrowed     */
	size_t static_host_count;
	/* Asked when a tool declares a capability nothing grants. NULL =
	 * deny (no terminal). */
	ba_agent_approval (*approve)(void *user, const char *tool, const char *capability);
	void *approve_user;
	void (*on_event)(void *user, const ba_agent_event *event);
	void *event_user;
} ba_agent_options;

typedef struct ba_agent ba_agent;

/* Loads the tools (a manifest that fails is an error naming it), checks
 * the workspace and grants, and creates or resumes the session. NULL with
 * a message in err. */
ba_agent *ba_agent_new(const ba_agent_options *options, char *err, size_t err_len);
void ba_agent_free(ba_agent *agent);
/* The workspace check ba_agent_new() makes: refuses a workspace
 * (canonical absolute path) that contains BOXAGENT_HOME, store_path or
 * audit_log (either may be NULL), with a message saying what to change.
 * Callers that create files before the agent (the CLI opens the store)
 * call it first, so that a refused run leaves nothing in the workspace. */
int ba_agent_check_workspace(const char *workspace, const char *store_path, const char *audit_log,
                             char *err, size_t err_len);
const char *ba_agent_session_id(const ba_agent *agent); /* "" without a store */
/* The conversation so far (borrowed, valid until the next run). */
const ba_llm_message *ba_agent_messages(const ba_agent *agent, size_t *count);

/* ----------------------------------------------------------------- runs */

typedef enum ba_agent_stop {
	BA_AGENT_STOP_END = 0, /* the model answered                     */
	BA_AGENT_STOP_MAX_STEPS,
	BA_AGENT_STOP_MAX_TOKENS,
	BA_AGENT_STOP_TIMEOUT,
	BA_AGENT_STOP_MAX_COST,
	BA_AGENT_STOP_CANCELLED,
	BA_AGENT_STOP_ERROR, /* the model (and its fallbacks) failed, or
	                        the store failed                      */
} ba_agent_stop;

const char *ba_agent_stop_name(ba_agent_stop stop); /* "end", "max_steps", ... */

typedef struct ba_agent_stats {
	uint64_t total_ns;    /* the whole run                                  */
	uint64_t model_ns;    /* inside ba_llm_chat                             */
	uint64_t tool_ns;     /* inside ba_tool_run                             */
	uint64_t approval_ns; /* waiting for the operator's answer          */
	/* The loop's own time: total - model - tool - approval (building
	 * requests, decisions, events, the store). */
	uint64_t loop_ns;
} ba_agent_stats;

typedef struct ba_agent_result {
	ba_agent_stop stop;
	char message[1024]; /* why it stopped, one line                  */
	char *answer;       /* owned: the final text ("" when none)     */
	unsigned steps;     /* model calls                               */
	unsigned tool_calls;
	ba_llm_usage usage; /* this run                                  */
	double cost_usd;    /* this run; < 0 = unknown prices            */
	ba_agent_stats stats;
} ba_agent_result;

/* Runs one user turn (prompt borrowed, at most BA_AGENT_MAX_PROMPT) to
 * its end. result is initialised in every case; release it. Several runs
 * on one agent continue one conversation (`boxagent chat`). */
ba_agent_stop ba_agent_run(ba_agent *agent, const char *prompt, ba_agent_result *result);
void ba_agent_result_release(ba_agent_result *result);

/* Stops the current run (the model request and a running tool) as soon
 * as possible; the run ends with BA_AGENT_STOP_CANCELLED. Async-signal-
 * safe. The request stays until the next ba_agent_run begins. */
void ba_agent_cancel(ba_agent *agent);

#endif /* BA_AGENT_AGENT_H */
