/*
 * agent.c - the tool-calling loop (agent.h has the contract).
 *
 * One run: the user's prompt joins the conversation; then, step by step,
 * the model is called with the conversation and the tools' schemas, its
 * answer (streamed to on_event as it comes) joins the conversation, and
 * each tool call it makes is decided (grants.c), run in the sandbox and
 * answered with an untrusted result (result.c) - until the model answers
 * without tool calls or a limit stops the run.
 *
 * The conversation stays valid for the provider whatever happens: every
 * tool call in an assistant message gets exactly one result, even when
 * the call was not run (a limit, a cancel), and a session resumed after a
 * crash between a call and its result gets an "interrupted" result first.
 *
 * What happens is reported to on_event at once and kept for the store,
 * which is given it in batches (flush(): one transaction, all or nothing)
 * just before the loop waits on anything outside itself - the model, a
 * retry's back-off, the operator, a tool - and at the end of the run. So
 * whenever the loop waits, everything it reported is committed, and a
 * killed process loses at most the answer being streamed and the few
 * microseconds of work since the last wait: a tool call is committed with
 * its decisions before the tool runs (a resume then answers it as
 * interrupted), its result before the next call or model request. One
 * commit per wait instead of one per row is most of the loop's time saved
 * (docs/agent.md). A store that fails stops the run: carrying on would
 * leave a history with holes that a resume would then trust.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/internal.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "sandbox/audit.h"
#include "tool/run.h"

#define MAX_MESSAGES     1000000u                /* one conversation, as the store caps it */
#define MAX_DENIALS      32                      /* refusals of one call kept for the model */
#define TOOL_TIMEOUT_NS  (30ull * 1000000000ull) /* the runner's default */
#define RESULT_TEXT_MAX  (BA_AGENT_MAX_RESULT + 64u * 1024u)
#define EVENT_JSON_MAX   (BA_STORE_MAX_TEXT)
#define INTERRUPTED_NOTE "error: interrupted: the previous run stopped before this call finished"

/* Events waiting for the next flush, at most (past it they are flushed
 * early): room for the largest event and more. */
#define PENDING_MAX (2u * EVENT_JSON_MAX + 1024u)

struct ba_agent {
	const ba_llm_config *llm;
	char model[BA_LLM_MODEL_MAX];
	char *workspace; /* realpath; NULL = none */
	char audit_log[BA_STORE_PATH_MAX];
	const ba_egress_static_host *static_hosts;
	size_t static_host_count;
	ba_agent_limits limits;
	void (*on_event)(void *user, const ba_agent_event *event);
	void *event_user;

	size_t tool_count;
	ba_manifest *tools[BA_AGENT_MAX_TOOLS];
	ba_llm_tool_def defs[BA_AGENT_MAX_TOOLS];
	char *system_prompt;
	ba_agent_grants grants;
	/* The operator's callback, called through approve_flushed(). */
	ba_agent_approval (*approve)(void *user, const char *tool, const char *capability);
	void *approve_user;

	ba_store *store;
	bool have_session;
	bool resumed;
	ba_session_info session;
	char run_prefix[BA_SESSION_ID_MAX]; /* run ids: PREFIX-STEP-CALL */

	ba_llm_message *msgs;
	size_t msg_count, msg_cap;

	/* What the store has not been given yet, written by flush(): the
	 * messages from msgs_saved on, the events in pending (each "KIND\0
	 * JSON\0", in order), and the session's row when session_dirty. */
	size_t msgs_saved;
	ba_buf pending;
	bool session_dirty;

	atomic_bool cancel;
	ba_tool_interrupt intr;

	/* Per run. */
	unsigned step;
	bool store_failed;
	char store_err[512];
	uint64_t model_ns, tool_ns;
	/* Flushes made inside the model's and the operator's measured time
	 * (a retry, an approval): the loop's own time, counted back. */
	uint64_t flush_in_model_ns, flush_in_approval_ns;
	ba_buf json; /* an event's JSON, reused */
	ba_buf text; /* a tool result's text, reused */
};

/* ------------------------------------------------------------- events */

static void store_fail(ba_agent *a, const char *what, const char *err)
{
	if (a->store_failed)
		return;
	a->store_failed = true;
	snprintf(a->store_err, sizeof a->store_err, "the session store failed (%.40s): %.400s",
	         what, err);
}

static bool persisting(const ba_agent *a)
{
	return a->store && a->have_session;
}

/*
 * Gives the store everything it has not been given yet - the messages
 * since the last flush, the queued events, the session's row when it
 * changed - in one batch, so all of it is committed or, when the store
 * fails, none (and the run stops with the store's message). Called
 * before the loop waits on anything and at the end of a run. 0 or -1.
 */
static int flush(ba_agent *a)
{
	if (!persisting(a) || a->store_failed) {
		a->msgs_saved = persisting(a) ? a->msgs_saved : a->msg_count;
		ba_buf_reset(&a->pending);
		a->session_dirty = false;
		return a->store_failed ? -1 : 0;
	}
	if (a->msgs_saved == a->msg_count && a->pending.len == 0 && !a->session_dirty)
		return 0;
	char err[512] = "";
	const char *what = "batch";
	if (ba_store_begin(a->store, err, sizeof err) != 0)
		goto fail;
	for (size_t i = a->msgs_saved; i < a->msg_count; i++)
		if (ba_store_message_append(a->store, a->session.id, &a->msgs[i], err,
		                            sizeof err) != 0) {
			what = "message";
			goto fail;
		}
	for (size_t off = 0; off < a->pending.len;) {
		const char *kind = a->pending.data + off;
		const char *json = kind + strlen(kind) + 1;
		off = (size_t)(json - a->pending.data) + strlen(json) + 1;
		if (ba_store_event_append(a->store, a->session.id, kind, json, err, sizeof err) !=
		    0) {
			what = "event";
			goto fail;
		}
	}
	if (a->session_dirty &&
	    ba_store_session_update(a->store, &a->session, err, sizeof err) != 0) {
		what = "session";
		goto fail;
	}
	if (ba_store_commit(a->store, err, sizeof err) != 0)
		goto fail;
	a->msgs_saved = a->msg_count;
	ba_buf_reset(&a->pending);
	a->session_dirty = false;
	return 0;
fail:
	/* None of it is kept; the messages stay unsaved, so a later run
	 * (chat) that finds the store working again writes them first. */
	ba_store_rollback(a->store);
	ba_buf_reset(&a->pending);
	a->session_dirty = false;
	store_fail(a, what, err);
	return -1;
}

/* flush() inside a measured wait (the model's, the operator's): its time
 * goes to *counted, to be given back to the loop's own. */
static int flush_within(ba_agent *a, uint64_t *counted)
{
	uint64_t t0 = ba_mono_ns();
	int rc = flush(a);
	*counted += ba_mono_ns() - t0;
	return rc;
}

/* The approval callback grants.c calls: the operator may take minutes,
 * so what was reported is committed before asking. When the store has
 * failed the operator is not asked (the run is over) and grants.c gets a
 * "deny" that run_call() then forgets. */
static ba_agent_approval approve_flushed(void *user, const char *tool, const char *capability)
{
	ba_agent *a = user;
	if (flush_within(a, &a->flush_in_approval_ns) != 0)
		return BA_AGENT_DENY;
	return a->approve(a->approve_user, tool, capability);
}

static void emit(ba_agent *a, ba_agent_event *ev)
{
	ev->session_id = a->have_session ? a->session.id : NULL;
	if (!ev->step && ev->type != BA_AGENT_EV_SESSION)
		ev->step = a->step;
	if (a->on_event)
		a->on_event(a->event_user, ev);
	/* Streamed text is not kept as events: the assistant message that
	 * follows holds all of it. */
	if (!persisting(a) || ev->type == BA_AGENT_EV_TEXT || a->store_failed)
		return;
	ba_buf_reset(&a->json);
	if (ba_agent_event_json(ev, &a->json) != 0) {
		store_fail(a, "event", "the event does not fit in the store");
		return;
	}
	const char *kind = ba_agent_event_name(ev->type);
	size_t need = strlen(kind) + a->json.len + 2;
	/* Queued for the next flush; a queue that would grow past its
	 * bound (huge tool arguments, many calls not run) is flushed now. */
	if (a->pending.len + need > a->pending.limit && flush(a) != 0)
		return;
	if (ba_buf_append(&a->pending, kind, strlen(kind) + 1) != 0 ||
	    ba_buf_append(&a->pending, a->json.data, a->json.len + 1) != 0)
		store_fail(a, "event", "out of memory");
}

/* ----------------------------------------------------------- messages */

/* Adds msg (taken: zeroed on return, whatever happens) to the
 * conversation; the next flush gives it to the store. 0, or -1 (out of
 * memory, or the store has failed - a->store_err says which). */
static int push_message(ba_agent *a, ba_llm_message *msg)
{
	if (a->msg_count == a->msg_cap) {
		size_t cap = a->msg_cap ? a->msg_cap * 2 : 16;
		ba_llm_message *m = NULL;
		if (a->msg_count < MAX_MESSAGES)
			m = realloc(a->msgs, cap * sizeof *m);
		if (!m) {
			ba_llm_message_release(msg);
			store_fail(a, "memory", "the conversation is too long or out of memory");
			return -1;
		}
		a->msgs = m;
		a->msg_cap = cap;
	}
	a->msgs[a->msg_count++] = *msg;
	memset(msg, 0, sizeof *msg);
	return a->store_failed ? -1 : 0;
}

/* A tool message answering call with text (copied). */
static int push_tool_result(ba_agent *a, const ba_llm_tool_call *call, const char *text,
                            bool is_error)
{
	ba_llm_message m = {.role = BA_LLM_ROLE_TOOL, .is_error = is_error};
	m.text = strdup(text);
	m.tool_call_id = strdup(call->id ? call->id : "");
	m.tool_name = strdup(call->name ? call->name : "");
	if (!m.text || !m.tool_call_id || !m.tool_name) {
		ba_llm_message_release(&m);
		store_fail(a, "memory", "out of memory");
		return -1;
	}
	return push_message(a, &m);
}

/* Answers a call that was not run (a limit, a cancel, an interrupted
 * run) so the conversation stays valid. */
static int push_not_run(ba_agent *a, const ba_llm_tool_call *call, const char *why)
{
	ba_buf_reset(&a->text);
	const char *notes[] = {why};
	ba_agent_result_text r = {.tool = call->name,
	                          .call_id = call->id,
	                          .ok = false,
	                          .notes = notes,
	                          .note_count = 1};
	if (ba_agent__format_result(&r, &a->text) != 0) {
		store_fail(a, "memory", "out of memory");
		return -1;
	}
	return push_tool_result(a, call, a->text.data, true);
}

/* ------------------------------------------------------------- set-up */

/* realpath() of path, or of its nearest existing ancestor with the rest
 * appended, so a file or folder that does not exist yet can still be
 * placed. 0 or -1. */
static int resolve_loose(const char *path, char *out, size_t out_len)
{
	char abs[PATH_MAX * 2];
	if (path[0] == '/')
		snprintf(abs, sizeof abs, "%s", path);
	else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd))
			return -1;
		snprintf(abs, sizeof abs, "%s/%s", cwd, path);
	}
	size_t len = strlen(abs);
	while (len > 1 && abs[len - 1] == '/')
		abs[--len] = '\0';
	char real[PATH_MAX];
	if (realpath(abs, real)) {
		snprintf(out, out_len, "%s", real);
		return 0;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		return -1;
	char *slash = strrchr(abs, '/');
	if (!slash)
		return -1;
	const char *rest = slash + 1;
	char parent[PATH_MAX * 2];
	if (slash == abs)
		snprintf(parent, sizeof parent, "/");
	else
		snprintf(parent, sizeof parent, "%.*s", (int)(slash - abs), abs);
	char resolved[PATH_MAX];
	if (resolve_loose(parent, resolved, sizeof resolved) != 0)
		return -1;
	int n = snprintf(out, out_len, "%s%s%s", resolved, strcmp(resolved, "/") ? "/" : "", rest);
	return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

/* The workspace must not contain what grants and history are kept in: a
 * tool allowed to write the workspace could otherwise rewrite its own
 * policy, the session it is part of, or the audit log of what it did. */
int ba_agent_check_workspace(const char *workspace, const char *store_path, const char *audit_log,
                             char *err, size_t err_len)
{
	char home[BA_STORE_PATH_MAX], resolved[PATH_MAX];
	const char *env_home = getenv("BOXAGENT_HOME");
	if (env_home && env_home[0])
		snprintf(home, sizeof home, "%s", env_home);
	else if (ba_audit_default_path(home, sizeof home) == 0) {
		char *slash = strrchr(home, '/');
		if (slash && slash != home)
			*slash = '\0';
	} else
		home[0] = '\0';

	struct {
		const char *what, *path, *fix;
	} places[] = {
	        {"BOXAGENT_HOME", home,
	         "set BOXAGENT_HOME to a folder outside the workspace, or choose another "
	         "workspace"},
	        {"the session store", store_path,
	         "keep the store outside the workspace (BOXAGENT_HOME), or choose another "
	         "workspace"},
	        {"the audit log", audit_log,
	         "write the audit log outside the workspace (BOXAGENT_HOME or the audit log "
	         "option), or choose another workspace"},
	};
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
		if (!places[i].path || !places[i].path[0])
			continue;
		if (resolve_loose(places[i].path, resolved, sizeof resolved) != 0)
			continue;
		/* Both are absolute and resolved: the lexical test of
		 * sandbox/caps.h is the whole question. */
		if (ba_guest_path_within(workspace, resolved)) {
			snprintf(err, err_len,
			         "the workspace %s contains %s (%s): a tool allowed to write the "
			         "workspace could rewrite the grants, the session history or the "
			         "audit log; %s",
			         workspace, places[i].what, resolved, places[i].fix);
			return -1;
		}
	}
	return 0;
}

static void random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16] = {0};
	if (bytes > sizeof r)
		bytes = sizeof r;
	if (getrandom(r, bytes, 0) != (ssize_t)bytes) {
		/* Only names audit runs; uniqueness, not secrecy, matters. */
		uint64_t t = ba_mono_ns() ^ (uint64_t)getpid();
		memcpy(r, &t, bytes < sizeof t ? bytes : sizeof t);
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * bytes] = '\0';
}

/* A resumed conversation whose last assistant message has calls without
 * results (the process died in between) gets an "interrupted" result for
 * each, committed together, so the provider accepts the conversation
 * again. */
static int repair(ba_agent *a, char *err, size_t err_len)
{
	size_t last = a->msg_count;
	for (size_t i = a->msg_count; i-- > 0;)
		if (a->msgs[i].role == BA_LLM_ROLE_ASSISTANT) {
			last = i;
			break;
		}
	if (last == a->msg_count || a->msgs[last].tool_call_count == 0)
		return 0;
	size_t n = a->msgs[last].tool_call_count;
	const ba_llm_tool_call *calls = a->msgs[last].tool_calls; /* stable on realloc */
	for (size_t c = 0; c < n; c++) {
		bool answered = false;
		for (size_t i = last + 1; i < a->msg_count && !answered; i++)
			answered = a->msgs[i].role == BA_LLM_ROLE_TOOL && a->msgs[i].tool_call_id &&
			           calls[c].id && strcmp(a->msgs[i].tool_call_id, calls[c].id) == 0;
		if (answered)
			continue;
		if (push_not_run(a, &calls[c], INTERRUPTED_NOTE) != 0) {
			snprintf(err, err_len, "%s", a->store_err);
			return -1;
		}
	}
	if (flush(a) != 0) {
		snprintf(err, err_len, "%s", a->store_err);
		return -1;
	}
	return 0;
}

static int resume(ba_agent *a, const char *id, char *err, size_t err_len)
{
	char e[512];
	int rc = ba_store_session_get(a->store, id, &a->session, e, sizeof e);
	if (rc != 0) {
		snprintf(err, err_len, "%s", e[0] ? e : "no such session");
		return -1;
	}
	ba_llm_message *loaded = NULL;
	size_t count = 0;
	if (ba_store_messages_load(a->store, a->session.id, &loaded, &count, e, sizeof e) != 0) {
		snprintf(err, err_len, "session %s: %s", a->session.id, e);
		return -1;
	}
	a->msgs = calloc(count ? count + 16 : 16, sizeof *a->msgs);
	if (!a->msgs) {
		ba_store_messages_free(loaded, count);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	a->msg_cap = count + 16;
	for (size_t i = 0; i < count; i++) {
		if (ba_llm_message_copy(&a->msgs[i], &loaded[i]) != 0) {
			ba_store_messages_free(loaded, count);
			snprintf(err, err_len, "out of memory");
			return -1;
		}
		a->msg_count = i + 1;
	}
	ba_store_messages_free(loaded, count);
	a->msgs_saved = a->msg_count;
	a->have_session = true;
	a->resumed = true;
	snprintf(a->run_prefix, sizeof a->run_prefix, "%s", a->session.id);
	return repair(a, err, err_len);
}

static int load_tools(ba_agent *a, const ba_agent_options *o, char *err, size_t err_len)
{
	if (o->tool_count > BA_AGENT_MAX_TOOLS) {
		snprintf(err, err_len, "more than %d tools", BA_AGENT_MAX_TOOLS);
		return -1;
	}
	for (size_t i = 0; i < o->tool_count; i++) {
		char e[1024];
		const char *path = o->tool_manifests ? o->tool_manifests[i] : NULL;
		if (!path) {
			snprintf(err, err_len, "tool %zu has no manifest path", i + 1);
			return -1;
		}
		ba_manifest *m = ba_manifest_load(path, e, sizeof e);
		if (!m) {
			snprintf(err, err_len, "tool %s: %s", path, e);
			return -1;
		}
		for (size_t k = 0; k < a->tool_count; k++)
			if (strcmp(a->tools[k]->name, m->name) == 0) {
				snprintf(
				        err, err_len,
				        "two tools are named \"%s\" (%s and %s): tool names must be "
				        "unique, as the model calls tools by name",
				        m->name, o->tool_manifests[k], path);
				ba_manifest_free(m);
				return -1;
			}
		a->tools[a->tool_count] = m;
		a->defs[a->tool_count] = (ba_llm_tool_def){.name = m->name,
		                                           .description = m->description,
		                                           .input_schema = m->input_schema};
		a->tool_count++;
	}
	return 0;
}

ba_agent *ba_agent_new(const ba_agent_options *o, char *err, size_t err_len)
{
	if (!o || !o->llm || !o->model || !o->model[0]) {
		snprintf(err, err_len, "no model configured for the agent");
		return NULL;
	}
	ba_agent *a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	atomic_init(&a->cancel, false);
	a->llm = o->llm;
	if (snprintf(a->model, sizeof a->model, "%s", o->model) >= (int)sizeof a->model) {
		snprintf(err, err_len, "the model name is too long");
		goto fail;
	}
	a->store = o->store;
	a->static_hosts = o->static_hosts;
	a->static_host_count = o->static_host_count;
	a->on_event = o->on_event;
	a->event_user = o->event_user;
	a->limits = o->limits;
	ba_buf_init(&a->json, EVENT_JSON_MAX);
	ba_buf_init(&a->text, RESULT_TEXT_MAX);
	ba_buf_init(&a->pending, PENDING_MAX);
	if (!a->limits.max_steps)
		a->limits.max_steps = BA_AGENT_DEFAULT_STEPS;
	if (!a->limits.max_result_bytes)
		a->limits.max_result_bytes = BA_AGENT_DEFAULT_RESULT;
	if (a->limits.max_result_bytes > BA_AGENT_MAX_RESULT) {
		snprintf(err, err_len, "the result limit (%zu bytes) is over the most, %u bytes",
		         a->limits.max_result_bytes, BA_AGENT_MAX_RESULT);
		goto fail;
	}
	if (!(a->limits.max_cost_usd >= 0) || a->limits.max_cost_usd > 1e12) {
		snprintf(err, err_len, "the cost limit must be a positive number of USD");
		goto fail;
	}
	if (a->limits.max_cost_usd > 0) {
		/* A limit that cannot be checked would silently not be one. */
		ba_llm_usage none = {0, 0};
		if (ba_llm_cost_usd(a->llm, a->model, &none) < 0) {
			snprintf(err, err_len,
			         "a cost limit needs prices for %s: set input_usd_per_mtok and "
			         "output_usd_per_mtok for it in boxagent.yaml",
			         a->model);
			goto fail;
		}
	}

	if (o->audit_log && o->audit_log[0])
		snprintf(a->audit_log, sizeof a->audit_log, "%s", o->audit_log);
	else if (ba_audit_default_path(a->audit_log, sizeof a->audit_log) != 0) {
		snprintf(err, err_len, "%s", a->audit_log);
		goto fail;
	}

	if (o->workspace) {
		char real[PATH_MAX];
		struct stat st;
		if (!realpath(o->workspace, real)) {
			snprintf(err, err_len, "workspace %s: %s", o->workspace, strerror(errno));
			goto fail;
		}
		if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, err_len, "workspace %s is not a directory", o->workspace);
			goto fail;
		}
		if (!(a->workspace = strdup(real))) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
		if (ba_agent_check_workspace(a->workspace,
		                             a->store ? ba_store_path(a->store) : NULL,
		                             a->audit_log, err, err_len) != 0)
			goto fail;
	}

	if (load_tools(a, o, err, err_len) != 0)
		goto fail;
	if (ba_agent__grants_init(&a->grants, o->grants, o->grants ? o->grant_count : 0,
	                          a->workspace != NULL, err, err_len) != 0)
		goto fail;
	a->grants.store = a->store;
	a->grants.workspace = a->workspace;
	a->approve = o->approve;
	a->approve_user = o->approve_user;
	/* No callback stays none: grants.c denies ("no-terminal"). */
	a->grants.approve = o->approve ? approve_flushed : NULL;
	a->grants.approve_user = a;

	if (o->system_prompt) {
		a->system_prompt = strdup(o->system_prompt);
	} else {
		ba_buf p;
		ba_buf_init(&p, 64 * 1024);
		if (ba_agent__default_prompt(a->workspace != NULL, &p) == 0)
			a->system_prompt = ba_buf_detach(&p, NULL);
		ba_buf_release(&p);
	}
	if (!a->system_prompt) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}

	if (o->session_id && o->session_id[0]) {
		if (!a->store) {
			snprintf(err, err_len, "resuming session %s needs the session store",
			         o->session_id);
			goto fail;
		}
		if (resume(a, o->session_id, err, err_len) != 0)
			goto fail;
	} else {
		/* A new session is created by the first run, which knows its
		 * title (the first prompt); until then the id is "". */
		random_hex(a->run_prefix, 8);
	}
	return a;
fail:
	ba_agent_free(a);
	return NULL;
}

void ba_agent_free(ba_agent *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->tool_count; i++)
		ba_manifest_free(a->tools[i]);
	for (size_t i = 0; i < a->msg_count; i++)
		ba_llm_message_release(&a->msgs[i]);
	free(a->msgs);
	free(a->workspace);
	free(a->system_prompt);
	ba_agent__grants_release(&a->grants);
	ba_buf_release(&a->json);
	ba_buf_release(&a->text);
	ba_buf_release(&a->pending);
	free(a);
}

const char *ba_agent_session_id(const ba_agent *a)
{
	return a && a->have_session ? a->session.id : "";
}

const ba_llm_message *ba_agent_messages(const ba_agent *a, size_t *count)
{
	*count = a ? a->msg_count : 0;
	return a ? a->msgs : NULL;
}

void ba_agent_cancel(ba_agent *a)
{
	if (!a)
		return;
	/* The flag first: ba_agent_run clears the interrupt before a tool
	 * starts and then checks the flag, so a cancel is never lost between
	 * the two. Both are lock-free atomics: async-signal-safe. */
	atomic_store(&a->cancel, true);
	ba_tool_interrupt_request(&a->intr);
}

/* ---------------------------------------------------------- one call */

/* Audit records of one tool run, as the runner writes them. */
typedef struct call_audit {
	const char *tool;
	bool has_workspace;
	size_t denied_count;
	size_t dropped;
	char *denied[MAX_DENIALS]; /* "capability: reason", for the event  */
	char *notes[MAX_DENIALS];  /* "denied: ...", for the model         */
	bool failed;               /* out of memory while collecting       */
} call_audit;

static void call_audit_release(call_audit *c)
{
	for (size_t i = 0; i < c->denied_count; i++) {
		free(c->denied[i]);
		free(c->notes[i]);
	}
	memset(c, 0, sizeof *c);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Keeps one refusal: "capability: reason" for the event, a sentence for
 * the model. Duplicates are kept once; past MAX_DENIALS only counted. */
static void call_audit_add(call_audit *c, const char *denied, const char *note)
{
	for (size_t i = 0; i < c->denied_count; i++)
		if (strcmp(c->denied[i], denied) == 0)
			return;
	if (c->denied_count == MAX_DENIALS) {
		c->dropped++;
		return;
	}
	char *d = strdup(denied), *n = strdup(note);
	if (!d || !n) {
		free(d);
		free(n);
		c->failed = true;
		return;
	}
	c->denied[c->denied_count] = d;
	c->notes[c->denied_count] = n;
	c->denied_count++;
}

static void on_audit(void *user, const ba_audit_event *ev)
{
	call_audit *c = user;
	/* Limits (capability "limit") are reported by the result's status;
	 * allow records are summed up by the effective capabilities. */
	if (ev->allowed || !ev->capability || strcmp(ev->capability, "limit") == 0)
		return;
	const char *kind = ev->capability, *target = ev->target ? ev->target : "";
	const char *reason = ev->reason ? ev->reason : "";
	size_t klen = strlen(kind);
	/* The runner's first records name declared capabilities ("KIND:...")
	 * as targets; the decisions already reported those. */
	if (strncmp(target, kind, klen) == 0 && target[klen] == ':')
		return;
	char cap[BA_CAP_TEXT_MAX + 128];
	snprintf(cap, sizeof cap, "%s:%s", kind, target);

	char denied[sizeof cap + 2048], note[sizeof cap + 2048];
	snprintf(denied, sizeof denied, "%s: %s", cap, reason);
	char granted_to[128];
	snprintf(granted_to, sizeof granted_to, "is not granted to %s", c->tool);
	if (ends_with(reason, granted_to))
		snprintf(note, sizeof note, "denied: %s%s", reason,
		         c->has_workspace ? " in this workspace" : "");
	else
		snprintf(note, sizeof note, "denied: %s: %s", cap, reason);
	call_audit_add(c, denied, note);
}

/* Why a declared capability was refused, for the model and the event. */
static const char *refusal_words(const char *source)
{
	if (strcmp(source, "policy-deny") == 0)
		return "the workspace policy refuses it";
	if (strcmp(source, "denied-by-operator") == 0)
		return "the operator refused it";
	if (strcmp(source, "no-terminal") == 0)
		return "no operator was there to approve it";
	if (strcmp(source, "cancelled") == 0)
		return "the run was cancelled";
	return source;
}

static const ba_manifest *find_tool(const ba_agent *a, const char *name)
{
	for (size_t i = 0; name && i < a->tool_count; i++)
		if (strcmp(a->tools[i]->name, name) == 0)
			return a->tools[i];
	return NULL;
}

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	case JSON_OBJECT:
		return "an object";
	}
	return "something else";
}

/* Checks the model's arguments: a JSON object, or nothing at all (some
 * servers send "" for a tool without parameters). *input is what the
 * tool gets on stdin. 0, or -1 with a note for the model. */
static int check_arguments(const char *args, const char **input, char *note, size_t note_len)
{
	const char *p = args ? args : "";
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p) {
		*input = "{}";
		return 0;
	}
	json_error_t je;
	/* DECODE_ANY so that 42 or "x" are named as what they are below;
	 * NUL (\u0000) stays refused: a tool's C strings would cut at it. */
	json_t *j = json_loads(args, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j) {
		bool nul = strstr(je.text, "NUL") != NULL;
		snprintf(
		        note, note_len,
		        "error: the arguments are not valid JSON: %s (line %d, column %d, byte %d); "
		        "send one JSON object matching the tool's input schema",
		        nul ? "a string holds \\u0000, which tools cannot take" : je.text, je.line,
		        je.column, je.position);
		return -1;
	}
	if (!json_is_object(j)) {
		snprintf(note, note_len,
		         "error: the arguments must be a JSON object matching the tool's input "
		         "schema, not %s",
		         json_type_name(j));
		json_decref(j);
		return -1;
	}
	json_decref(j);
	*input = args;
	return 0;
}

static const char *status_word(ba_tool_status s)
{
	switch (s) {
	case BA_TOOL_OK:
		return "ok";
	case BA_TOOL_FAILED:
		return "failed";
	case BA_TOOL_TRAP:
		return "trap";
	case BA_TOOL_LIMIT:
		return "limit";
	case BA_TOOL_CONFIG_ERROR:
		return "error";
	}
	return "error";
}

/* The "unknown tool" note lists what there is. */
static void unknown_tool_note(const ba_agent *a, const char *name, char *note, size_t len)
{
	size_t o = (size_t)snprintf(note, len, "error: there is no tool named \"%.200s\"; ",
	                            name ? name : "");
	if (a->tool_count == 0) {
		snprintf(note + o, len - o, "no tools are available in this run");
		return;
	}
	o += (size_t)snprintf(note + o, len - o, "the available tools are: ");
	for (size_t i = 0; i < a->tool_count && o < len; i++)
		o += (size_t)snprintf(note + o, len - o, "%s%s", i ? ", " : "", a->tools[i]->name);
}

/* Runs one tool call (decisions, sandbox, result) and answers it. 0, or
 * -1 when the store or memory failed (the run stops). */
static int run_call(ba_agent *a, const ba_llm_tool_call *call, size_t index, uint64_t deadline)
{
	ba_agent_event ev = {.type = BA_AGENT_EV_TOOL_CALL,
	                     .call_id = call->id,
	                     .tool = call->name,
	                     .arguments = call->arguments ? call->arguments : ""};
	emit(a, &ev);

	char note[4096] = "";
	const char *notes[MAX_DENIALS + 4];
	size_t note_count = 0;
	const char *input = NULL;
	const ba_manifest *m = find_tool(a, call->name);
	const char *status = "error";
	const char *message = NULL;
	bool ok = false;
	int rc = 0;
	ba_tool_result tr;
	bool have_tr = false;
	call_audit audit = {.tool = m ? m->name : "", .has_workspace = a->workspace != NULL};
	const char **used = NULL;
	size_t used_count = 0;
	ba_capset *effective = NULL;
	char denied_more[128] = "";
	uint64_t t0 = ba_mono_ns();

	if (!m) {
		unknown_tool_note(a, call->name, note, sizeof note);
		notes[note_count++] = note;
		message = note + 7; /* without "error: " */
		goto answer;
	}
	if (check_arguments(call->arguments, &input, note, sizeof note) != 0) {
		notes[note_count++] = note;
		message = note + 7;
		goto answer;
	}

	/* Capabilities: one decision per declared capability. */
	ba_agent_decision decisions[BA_CAPSET_MAX];
	char err[1024];
	effective = ba_capset_new();
	if (!effective) {
		store_fail(a, "memory", "out of memory");
		return -1;
	}
	size_t remembered = a->grants.memory_count;
	if (ba_agent__grants_decide(&a->grants, m, decisions, effective, &a->cancel, err,
	                            sizeof err) != 0) {
		store_fail(a, "grants", err);
		ba_capset_free(effective);
		return -1;
	}
	if (a->store_failed) {
		/* approve_flushed() answered "deny" without asking, and only
		 * on this call's first question (the flush before any later
		 * one has nothing to write): what grants.c remembered since
		 * was never the operator's answer. */
		a->grants.memory_count = remembered;
		ba_capset_free(effective);
		return -1;
	}
	for (size_t i = 0; i < m->declared->count && i < BA_CAPSET_MAX; i++) {
		if (!decisions[i].allowed) {
			char denied[BA_CAP_TEXT_MAX + 128], why[BA_CAP_TEXT_MAX + 256];
			const char *words = refusal_words(decisions[i].source);
			snprintf(denied, sizeof denied, "%s: %s", decisions[i].declared->text,
			         words);
			snprintf(why, sizeof why, "denied: %s is not granted to %s%s: %s",
			         decisions[i].declared->text, m->name,
			         a->workspace ? " in this workspace" : "", words);
			call_audit_add(&audit, denied, why);
		}
		ba_agent_event d = {.type = BA_AGENT_EV_DECISION,
		                    .call_id = call->id,
		                    .tool = m->name,
		                    .capability = decisions[i].declared->text,
		                    .allowed = decisions[i].allowed,
		                    .source = decisions[i].source,
		                    .message =
		                            decisions[i].message[0] ? decisions[i].message : NULL};
		emit(a, &d);
	}
	used = calloc(effective->count ? effective->count : 1, sizeof *used);
	if (!used) {
		store_fail(a, "memory", "out of memory");
		ba_capset_free(effective);
		return -1;
	}
	for (size_t i = 0; i < effective->count; i++)
		used[used_count++] = effective->caps[i].text;

	if (atomic_load(&a->cancel)) {
		snprintf(note, sizeof note, "error: not run: the operator cancelled the run");
		notes[note_count++] = note;
		message = note + 7;
		status = "error";
		goto answer;
	}

	/* The tool's time: its own limit, never past the run's deadline. */
	uint64_t timeout =
	        m->timeout_ns && m->timeout_ns < TOOL_TIMEOUT_NS ? m->timeout_ns : TOOL_TIMEOUT_NS;
	uint64_t now = ba_mono_ns();
	if (deadline) {
		if (now >= deadline) {
			snprintf(note, sizeof note,
			         "error: not run: the run's wall-time limit was reached");
			notes[note_count++] = note;
			message = note + 7;
			goto answer;
		}
		if (deadline - now < timeout)
			timeout = deadline - now;
	}

	/* The call and its decisions are committed before the tool runs: a
	 * crash while it runs leaves the call recorded, and a resume answers
	 * it as interrupted. */
	if (flush(a) != 0) {
		call_audit_release(&audit);
		free(used);
		ba_capset_free(effective);
		return -1;
	}

	char run_id[BA_SESSION_ID_MAX + 32];
	snprintf(run_id, sizeof run_id, "%s-%u-%zu", a->run_prefix, a->step, index + 1);
	ba_tool_run_options ro = {.manifest = m,
	                          .workspace = a->workspace,
	                          .grants = used,
	                          .grant_count = used_count,
	                          .input = input,
	                          .input_len = strlen(input),
	                          .timeout_ns = timeout,
	                          .audit_log = a->audit_log,
	                          .static_hosts = a->static_hosts,
	                          .static_host_count = a->static_host_count,
	                          .on_audit = on_audit,
	                          .on_audit_user = &audit,
	                          .run_id = run_id,
	                          .interrupt = &a->intr};
	/* Re-armed for this call; a cancel between here and the check
	 * below is caught by the check, one after it by the interrupt. */
	atomic_store(&a->intr.requested, false);
	atomic_store(&a->intr.store, NULL);
	if (atomic_load(&a->cancel))
		atomic_store(&a->intr.requested, true);
	uint64_t t1 = ba_mono_ns();
	ba_tool_status ts = ba_tool_run(&ro, &tr);
	a->tool_ns += ba_mono_ns() - t1;
	have_tr = true;
	ok = ts == BA_TOOL_OK;
	status = status_word(ts);
	if (!ok && audit.denied_count > 0)
		status = "denied";
	message = tr.message;
	if (!ok) {
		snprintf(note, sizeof note, "error: %s", tr.message);
		notes[note_count++] = note;
	}

answer:
	if (audit.failed) {
		if (have_tr)
			ba_tool_result_release(&tr);
		call_audit_release(&audit);
		free(used);
		ba_capset_free(effective);
		store_fail(a, "memory", "out of memory");
		return -1;
	}
	/* Refusals: the declared capabilities the operator's side did not
	 * grant, then what the sandbox refused while the tool ran. */
	for (size_t i = 0; i < audit.denied_count; i++)
		notes[note_count++] = audit.notes[i];
	if (audit.dropped) {
		snprintf(denied_more, sizeof denied_more, "denied: ... and %zu more refusals",
		         audit.dropped);
		notes[note_count++] = denied_more;
	}
	if (audit.denied_count)
		notes[note_count++] = "note: only the operator can grant capabilities; tell the "
		                      "user what was denied if the task needs it";
	const char *out = have_tr ? tr.output.data : NULL;
	size_t out_len = have_tr ? tr.output.len : 0;
	ba_buf_reset(&a->text);
	ba_agent_result_text r = {.tool = call->name,
	                          .call_id = call->id,
	                          .ok = ok,
	                          .output = out,
	                          .output_len = out_len,
	                          .max_bytes = a->limits.max_result_bytes,
	                          .errors = have_tr ? tr.errors.data : NULL,
	                          .errors_len = have_tr ? tr.errors.len : 0,
	                          .notes = notes,
	                          .note_count = note_count};
	if (ba_agent__format_result(&r, &a->text) != 0) {
		store_fail(a, "memory", "the tool result does not fit");
		rc = -1;
	}
	if (rc == 0)
		rc = push_tool_result(a, call, a->text.data, !ok);

	ba_agent_event res = {
	        .type = BA_AGENT_EV_TOOL_RESULT,
	        .call_id = call->id,
	        .tool = call->name,
	        .status = status,
	        .output = out ? out : "",
	        .output_len = out ? ba_utf8_cut(out, out_len, a->limits.max_result_bytes) : 0,
	        .message = message,
	        .caps_used = used,
	        .caps_used_count = used_count,
	        .caps_denied = (const char *const *)audit.denied,
	        .caps_denied_count = audit.denied_count,
	        .elapsed_ns = ba_mono_ns() - t0};
	emit(a, &res);

	if (have_tr)
		ba_tool_result_release(&tr);
	call_audit_release(&audit);
	free(used);
	ba_capset_free(effective);
	return rc != 0 || a->store_failed ? -1 : 0;
}

/* ------------------------------------------------------------- a run */

static void on_text(void *user, const char *text, size_t len)
{
	ba_agent *a = user;
	ba_agent_event ev = {.type = BA_AGENT_EV_TEXT, .text = text, .text_len = len};
	emit(a, &ev);
}

static void on_retry(void *user, unsigned attempt, uint64_t wait_ms, ba_llm_status why,
                     const char *message)
{
	ba_agent *a = user;
	ba_agent_event ev = {.type = BA_AGENT_EV_RETRY,
	                     .attempt = attempt,
	                     .wait_ms = wait_ms,
	                     .message = message};
	(void)why;
	emit(a, &ev);
	/* A back-off wait follows. A failure stops the run after the call. */
	flush_within(a, &a->flush_in_model_ns);
}

static void on_fallback(void *user, const char *from, const char *to, const char *message)
{
	ba_agent *a = user;
	ba_agent_event ev = {
	        .type = BA_AGENT_EV_FALLBACK, .model = from, .text = to, .message = message};
	emit(a, &ev);
	/* Another model's request follows. */
	flush_within(a, &a->flush_in_model_ns);
}

static void add_usage(ba_llm_usage *to, const ba_llm_usage *u)
{
	to->input_tokens += u->input_tokens;
	to->output_tokens += u->output_tokens;
}

static ba_agent_stop stop_with(ba_agent_result *res, ba_agent_stop stop, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static ba_agent_stop stop_with(ba_agent_result *res, ba_agent_stop stop, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof res->message, fmt, ap);
	va_end(ap);
	res->stop = stop;
	return stop;
}

/* After an answer with tool calls: does a limit stop the run before they
 * run? BA_AGENT_STOP_END = no. */
static ba_agent_stop limit_after_answer(ba_agent *a, ba_agent_result *res, uint64_t deadline)
{
	const ba_agent_limits *l = &a->limits;
	uint64_t tokens = res->usage.input_tokens + res->usage.output_tokens;
	if (atomic_load(&a->cancel))
		return stop_with(res, BA_AGENT_STOP_CANCELLED, "cancelled by the operator");
	if (l->max_tokens && tokens >= l->max_tokens)
		return stop_with(res, BA_AGENT_STOP_MAX_TOKENS,
		                 "the run used %" PRIu64 " tokens, reaching its limit of %" PRIu64,
		                 tokens, l->max_tokens);
	if (l->max_cost_usd > 0 && res->cost_usd < 0)
		return stop_with(
		        res, BA_AGENT_STOP_MAX_COST,
		        "the cost limit cannot be checked: the configuration has no prices "
		        "for a model that answered; set input_usd_per_mtok and "
		        "output_usd_per_mtok for it in boxagent.yaml");
	if (l->max_cost_usd > 0 && res->cost_usd >= l->max_cost_usd)
		return stop_with(res, BA_AGENT_STOP_MAX_COST,
		                 "the run cost $%.4f, reaching its limit of $%.4f", res->cost_usd,
		                 l->max_cost_usd);
	if (res->steps >= l->max_steps)
		return stop_with(res, BA_AGENT_STOP_MAX_STEPS,
		                 "the run reached its limit of %u model calls", l->max_steps);
	if (deadline && ba_mono_ns() >= deadline)
		return stop_with(res, BA_AGENT_STOP_TIMEOUT,
		                 "the run reached its wall-time limit of %" PRIu64 " ms",
		                 l->max_wall_ms);
	return BA_AGENT_STOP_END;
}

static const char *not_run_note(ba_agent_stop stop)
{
	switch (stop) {
	case BA_AGENT_STOP_CANCELLED:
		return "error: not run: the operator cancelled the run";
	case BA_AGENT_STOP_MAX_TOKENS:
		return "error: not run: the run reached its token limit";
	case BA_AGENT_STOP_MAX_COST:
		return "error: not run: the run reached its cost limit";
	case BA_AGENT_STOP_MAX_STEPS:
		return "error: not run: the run reached its limit of model calls";
	case BA_AGENT_STOP_TIMEOUT:
		return "error: not run: the run reached its wall-time limit";
	default:
		return "error: not run: the run stopped";
	}
}

static ba_session_status session_status_for(ba_agent_stop stop)
{
	switch (stop) {
	case BA_AGENT_STOP_END:
		return BA_SESSION_IDLE;
	case BA_AGENT_STOP_CANCELLED:
		return BA_SESSION_CANCELLED;
	default:
		return BA_SESSION_FAILED;
	}
}

ba_agent_stop ba_agent_run(ba_agent *a, const char *prompt, ba_agent_result *res)
{
	memset(res, 0, sizeof *res);
	uint64_t started = ba_mono_ns();
	/* A cancel request lasts until the next run begins. */
	atomic_store(&a->cancel, false);
	a->step = 0;
	a->store_failed = false;
	a->store_err[0] = '\0';
	a->model_ns = a->tool_ns = 0;
	a->flush_in_model_ns = a->flush_in_approval_ns = 0;
	a->grants.approval_ns = 0;
	uint64_t deadline =
	        a->limits.max_wall_ms ? started + a->limits.max_wall_ms * 1000000ull : 0;
	char answer_model[BA_LLM_MODEL_MAX];
	snprintf(answer_model, sizeof answer_model, "%s", a->model);
	size_t last_text = SIZE_MAX; /* index of the run's last assistant message with text */
	size_t first_msg = a->msg_count;

	if (!prompt)
		prompt = "";
	size_t prompt_len = strnlen(prompt, BA_AGENT_MAX_PROMPT + 1);
	if (prompt_len > BA_AGENT_MAX_PROMPT) {
		stop_with(res, BA_AGENT_STOP_ERROR, "the prompt is longer than %u bytes",
		          BA_AGENT_MAX_PROMPT);
		goto done;
	}

	char err[1024];
	if (a->store && !a->have_session) {
		char title[BA_STORE_TITLE_MAX];
		size_t n = ba_utf8_cut(prompt, prompt_len, sizeof title - 1);
		memcpy(title, prompt, n);
		title[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (title[i] == '\n' || title[i] == '\r' || title[i] == '\t')
				title[i] = ' ';
		if (ba_store_session_create(a->store, a->model, a->workspace ? a->workspace : "",
		                            title, &a->session, err, sizeof err) != 0) {
			stop_with(res, BA_AGENT_STOP_ERROR, "the session store failed: %s", err);
			goto done;
		}
		a->have_session = true;
		snprintf(a->run_prefix, sizeof a->run_prefix, "%s", a->session.id);
	}
	{
		ba_agent_event ev = {
		        .type = BA_AGENT_EV_SESSION, .model = a->model, .resumed = a->resumed};
		emit(a, &ev);
	}
	if (persisting(a)) {
		a->session.status = BA_SESSION_RUNNING;
		a->session_dirty = true;
	}
	{
		ba_llm_message user = {.role = BA_LLM_ROLE_USER, .text = strdup(prompt)};
		if (!user.text)
			store_fail(a, "memory", "out of memory");
		else
			push_message(a, &user);
	}

	ba_llm_handler handler = {
	        .on_text = on_text, .on_retry = on_retry, .on_fallback = on_fallback, .user = a};
	for (;;) {
		if (a->store_failed) {
			stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
			break;
		}
		if (atomic_load(&a->cancel)) {
			stop_with(res, BA_AGENT_STOP_CANCELLED, "cancelled by the operator");
			break;
		}
		if (deadline && ba_mono_ns() >= deadline) {
			stop_with(res, BA_AGENT_STOP_TIMEOUT,
			          "the run reached its wall-time limit of %" PRIu64 " ms",
			          a->limits.max_wall_ms);
			break;
		}
		if (res->steps >= a->limits.max_steps) {
			stop_with(res, BA_AGENT_STOP_MAX_STEPS,
			          "the run reached its limit of %u model calls",
			          a->limits.max_steps);
			break;
		}

		a->step = res->steps + 1;
		{
			ba_agent_event ev = {.type = BA_AGENT_EV_STEP, .model = a->model};
			emit(a, &ev);
		}
		/* Everything so far is committed before the model is waited on:
		 * the last step's results (or, first, the prompt and the
		 * session's status) with this step's event. */
		if (flush(a) != 0) {
			stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
			break;
		}
		ba_llm_request req = {.model = a->model,
		                      .system = a->system_prompt,
		                      .messages = a->msgs,
		                      .message_count = a->msg_count,
		                      .tools = a->defs,
		                      .tool_count = a->tool_count,
		                      .deadline_ns = deadline,
		                      .cancel = &a->cancel};
		ba_llm_response resp;
		uint64_t t0 = ba_mono_ns();
		ba_llm_status st = ba_llm_chat(a->llm, &req, &handler, &resp, err, sizeof err);
		a->model_ns += ba_mono_ns() - t0;
		if (st != BA_LLM_OK) {
			ba_llm_response_release(&resp);
			if (st == BA_LLM_ERR_CANCELLED || atomic_load(&a->cancel)) {
				stop_with(res, BA_AGENT_STOP_CANCELLED,
				          "cancelled by the operator");
			} else if (deadline && ba_mono_ns() >= deadline) {
				stop_with(res, BA_AGENT_STOP_TIMEOUT,
				          "the run reached its wall-time limit of %" PRIu64
				          " ms while waiting for the model",
				          a->limits.max_wall_ms);
			} else {
				stop_with(res, BA_AGENT_STOP_ERROR, "%s", err);
				ba_agent_event ev = {.type = BA_AGENT_EV_ERROR, .message = err};
				emit(a, &ev);
			}
			break;
		}

		res->steps++;
		add_usage(&res->usage, &resp.usage);
		if (resp.model[0])
			snprintf(answer_model, sizeof answer_model, "%s", resp.model);
		double cost = ba_llm_cost_usd(a->llm, answer_model, &resp.usage);
		if (cost < 0 || res->cost_usd < 0)
			res->cost_usd = -1;
		else
			res->cost_usd += cost;
		{
			ba_agent_event ev = {.type = BA_AGENT_EV_USAGE,
			                     .model = answer_model,
			                     .usage = resp.usage,
			                     .total = res->usage,
			                     .cost_usd = res->cost_usd};
			emit(a, &ev);
		}
		ba_llm_stop llm_stop = resp.stop;
		char stop_raw[sizeof resp.stop_raw];
		snprintf(stop_raw, sizeof stop_raw, "%s", resp.stop_raw);
		resp.message.role = BA_LLM_ROLE_ASSISTANT;
		bool has_text = resp.message.text && resp.message.text[0];
		if (push_message(a, &resp.message) != 0) {
			ba_llm_response_release(&resp);
			stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
			break;
		}
		ba_llm_response_release(&resp);
		size_t idx = a->msg_count - 1;
		if (has_text)
			last_text = idx;
		size_t ncalls = a->msgs[idx].tool_call_count;
		/* The calls live in their own allocation: pushing results below
		 * may move a->msgs, never this. */
		const ba_llm_tool_call *calls = a->msgs[idx].tool_calls;

		if (ncalls == 0) {
			if (llm_stop == BA_LLM_STOP_MAX_TOKENS)
				stop_with(res, BA_AGENT_STOP_END,
				          "the model's answer was cut at its max_tokens setting");
			else if (llm_stop == BA_LLM_STOP_OTHER)
				stop_with(res, BA_AGENT_STOP_END, "the model stopped: %s",
				          stop_raw[0] ? stop_raw : "for a reason it did not give");
			else
				stop_with(res, BA_AGENT_STOP_END,
				          "the model answered after %u step%s", res->steps,
				          res->steps == 1 ? "" : "s");
			break;
		}

		ba_agent_stop limit = limit_after_answer(a, res, deadline);
		if (limit != BA_AGENT_STOP_END) {
			for (size_t c = 0; c < ncalls && !a->store_failed; c++)
				push_not_run(a, &calls[c], not_run_note(limit));
			if (a->store_failed)
				stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
			break;
		}
		ba_agent_stop stopped = BA_AGENT_STOP_END;
		for (size_t c = 0; c < ncalls; c++) {
			if (stopped == BA_AGENT_STOP_END && atomic_load(&a->cancel))
				stopped = stop_with(res, BA_AGENT_STOP_CANCELLED,
				                    "cancelled by the operator");
			if (stopped == BA_AGENT_STOP_END && deadline && ba_mono_ns() >= deadline)
				stopped = stop_with(
				        res, BA_AGENT_STOP_TIMEOUT,
				        "the run reached its wall-time limit of %" PRIu64 " ms",
				        a->limits.max_wall_ms);
			if (stopped != BA_AGENT_STOP_END) {
				if (push_not_run(a, &calls[c], not_run_note(stopped)) != 0)
					break;
				continue;
			}
			res->tool_calls++;
			if (run_call(a, &calls[c], c, deadline) != 0)
				break;
		}
		if (a->store_failed) {
			stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
			break;
		}
		if (stopped != BA_AGENT_STOP_END)
			break;
		/* A tool interrupted by a cancel ends the run after its result. */
		if (atomic_load(&a->cancel)) {
			stop_with(res, BA_AGENT_STOP_CANCELLED, "cancelled by the operator");
			break;
		}
	}

done:;
	const char *answer =
	        last_text != SIZE_MAX && last_text >= first_msg && a->msgs[last_text].text
	                ? a->msgs[last_text].text
	                : "";
	res->answer = strdup(answer);
	if (!res->answer && res->stop == BA_AGENT_STOP_END)
		stop_with(res, BA_AGENT_STOP_ERROR, "out of memory");

	/* A store failure ends the run as an error whatever else happened:
	 * what was reported is not all kept. */
	if (a->store_failed && res->stop != BA_AGENT_STOP_ERROR)
		stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
	if (persisting(a)) {
		ba_session_info *s = &a->session;
		s->status = session_status_for(res->stop);
		snprintf(s->stop, sizeof s->stop, "%s", ba_agent_stop_name(res->stop));
		snprintf(s->model, sizeof s->model, "%s", answer_model);
		s->input_tokens += res->usage.input_tokens;
		s->output_tokens += res->usage.output_tokens;
		if (res->cost_usd < 0 || s->cost_usd < 0)
			s->cost_usd = -1;
		else
			s->cost_usd += res->cost_usd;
		s->steps += res->steps;
		if (!a->store_failed) {
			/* The rest of the run with the session's totals, in one
			 * batch: the status never claims more than was kept. */
			a->session_dirty = true;
			if (flush(a) != 0)
				stop_with(res, BA_AGENT_STOP_ERROR, "%s", a->store_err);
		}
		/* After a failure of the store the status is worth one more
		 * try on its own; a failure here changes nothing else. */
		if (a->store_failed) {
			s->status = session_status_for(res->stop);
			snprintf(s->stop, sizeof s->stop, "%s", ba_agent_stop_name(res->stop));
			ba_store_session_update(a->store, s, err, sizeof err);
		}
	}
	{
		ba_agent_event ev = {.type = BA_AGENT_EV_DONE,
		                     .step = res->steps,
		                     .stop = ba_agent_stop_name(res->stop),
		                     .text = res->answer ? res->answer : "",
		                     .message = res->message,
		                     .total = res->usage,
		                     .cost_usd = res->cost_usd};
		emit(a, &ev);
		/* The run is over: nothing to wait for but the commit. A
		 * failure leaves the done event out, nothing else. */
		flush(a);
	}
	res->stats.model_ns = a->model_ns - a->flush_in_model_ns;
	res->stats.tool_ns = a->tool_ns;
	res->stats.approval_ns = a->grants.approval_ns - a->flush_in_approval_ns;
	res->stats.total_ns = ba_mono_ns() - started;
	uint64_t outside = res->stats.model_ns + res->stats.tool_ns + res->stats.approval_ns;
	res->stats.loop_ns = res->stats.total_ns > outside ? res->stats.total_ns - outside : 0;
	return res->stop;
}

void ba_agent_result_release(ba_agent_result *res)
{
	if (!res)
		return;
	free(res->answer);
	res->answer = NULL;
}
