/*
 * cmd_sessions.c - `boxagent sessions`: list the stored agent sessions,
 * show one (its conversation and events), delete one. The store is
 * $BOXAGENT_HOME/boxagent.db (store.h).
 */
#include "cli/agent_cmds.h"
#include "cli/agent_ui.h"
#include "cli/cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/parse.h"
#include "core/utf8.h"
#include "store/store.h"

#define DEFAULT_LIMIT 20
#define TITLE_SHOWN   60 /* bytes of a title in the list               */
#define LINES_SHOWN   20 /* lines of a message shown without --full    */
#define BYTES_SHOWN   4000
#define EVENT_SHOWN   300 /* bytes of an event field shown              */

const char ba_cli_sessions_help[] =
        "usage: boxagent sessions [list] [--limit N] [--json]\n"
        "       boxagent sessions show ID [--full] [--json]\n"
        "       boxagent sessions delete ID\n"
        "\n"
        "Agent sessions ('boxagent run', 'chat') are kept in $BOXAGENT_HOME/boxagent.db\n"
        "(BOXAGENT_HOME defaults to ~/.local/share/boxagent): every message, tool\n"
        "call, result, capability decision and usage. ID may be any unique prefix of\n"
        "at least 4 characters. Resume a session with 'boxagent run --session ID'.\n"
        "\n"
        "list    newest first: id, last update, status, model calls, tokens, model,\n"
        "        title (the first prompt). The default subcommand.\n"
        "show    the session's details, its conversation and its events; long\n"
        "        messages are cut to 20 lines unless --full.\n"
        "delete  removes the session with its messages and events.\n"
        "\n"
        "Options:\n"
        "  --limit N   list at most N sessions (default 20)\n"
        "  --full      show messages whole\n"
        "  --json      list: one JSON object per session and line; show: one JSON\n"
        "              document {\"session\", \"messages\", \"events\"}\n"
        "\n"
        "Exit status: 0 success, 1 no such session or the store failed, 2 usage\n"
        "error.\n";

/* "2026-01-02 15:04" in local time (local for people, UTC in JSON). */
static void format_local(int64_t ms, char *out, size_t len, bool seconds)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
	    !strftime(out, len, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm))
		snprintf(out, len, "?");
}

static void format_utc(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, len, "?");
		return;
	}
	size_t n = strlen(out);
	snprintf(out + n, len - n, ".%03dZ", (int)(ms % 1000 < 0 ? 0 : ms % 1000));
}

/* A JSON string of text, which may hold invalid UTF-8 (a tool's output):
 * jansson refuses that, so bad bytes become U+FFFD, as in the events. */
static json_t *jstr(const char *text)
{
	if (!text)
		return json_null();
	json_t *v = json_string(text);
	if (v)
		return v;
	char *fixed = ba_utf8_replace_invalid(text, strlen(text), NULL);
	if (!fixed)
		return json_null();
	v = json_string(fixed);
	free(fixed);
	return v ? v : json_null();
}

static json_t *session_json(const ba_session_info *s)
{
	char created[40], updated[40];
	format_utc(s->created_ms, created, sizeof created);
	format_utc(s->updated_ms, updated, sizeof updated);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "updated", json_string(updated));
	json_object_set_new(o, "status", json_string(ba_session_status_name(s->status)));
	json_object_set_new(o, "stop", json_string(s->stop));
	json_object_set_new(o, "model", jstr(s->model));
	json_object_set_new(o, "workspace", s->workspace[0] ? jstr(s->workspace) : json_null());
	json_object_set_new(o, "title", jstr(s->title));
	json_object_set_new(o, "steps", json_integer((json_int_t)s->steps));
	json_object_set_new(o, "messages", json_integer((json_int_t)s->message_count));
	json_object_set_new(o, "input_tokens", json_integer((json_int_t)s->input_tokens));
	json_object_set_new(o, "output_tokens", json_integer((json_int_t)s->output_tokens));
	json_object_set_new(o, "cost_usd", s->cost_usd >= 0 ? json_real(s->cost_usd) : json_null());
	return o;
}

/* Prints o on one line (JSON_COMPACT) or indented; jansson refuses
 * strings that are not UTF-8, so those were never put in. */
static int print_json(json_t *o, size_t flags)
{
	char *text = json_dumps(o, flags | JSON_PRESERVE_ORDER);
	if (!text) {
		ba_cli_error("out of memory");
		return BA_EXIT_FAILED;
	}
	puts(text);
	free(text);
	return BA_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

static int cmd_list(int argc, char **argv)
{
	uint64_t limit = DEFAULT_LIMIT;
	bool as_json = false;
	const char *value;

	for (int i = 1; i < argc; i++) {
		int m;
		if (ba_cli_flag(argv[i], "json")) {
			as_json = true;
		} else if ((m = ba_cli_option(argc, argv, &i, "limit", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			const char *e = ba_parse_u64(value, &limit);
			if (!e && limit == 0)
				e = "must be more than zero";
			if (e)
				return ba_cli_usage_error("--limit %s: %s", value, e);
			if (limit > BA_STORE_MAX_LIST)
				limit = BA_STORE_MAX_LIST;
		} else {
			return ba_cli_usage_error("unexpected argument '%s' (usage: boxagent "
			                          "sessions [list] [--limit N] [--json])",
			                          argv[i]);
		}
	}
	ba_store *store = ba_cli_open_store();
	if (!store)
		return BA_EXIT_FAILED;
	ba_session_info *list = NULL;
	size_t count = 0;
	char err[1024] = "";
	int status = BA_EXIT_OK;
	if (ba_store_session_list(store, (size_t)limit, &list, &count, err, sizeof err) != 0) {
		ba_cli_error("%s", err);
		status = BA_EXIT_FAILED;
		goto out;
	}
	if (as_json) {
		for (size_t i = 0; i < count && status == BA_EXIT_OK; i++) {
			json_t *o = session_json(&list[i]);
			status = print_json(o, JSON_COMPACT);
			json_decref(o);
		}
		goto out;
	}
	if (count == 0) {
		fprintf(stderr, "no sessions in %s\n", ba_store_path(store));
		goto out;
	}
	int model_w = 5;
	for (size_t i = 0; i < count; i++) {
		int n = (int)strlen(list[i].model);
		if (n > model_w)
			model_w = n < 32 ? n : 32;
	}
	printf("%-16s  %-16s  %-9s  %5s  %8s  %-*s  %s\n", "ID", "UPDATED", "STATUS", "STEPS",
	       "TOKENS", model_w, "MODEL", "TITLE");
	for (size_t i = 0; i < count; i++) {
		const ba_session_info *s = &list[i];
		char updated[32];
		format_local(s->updated_ms, updated, sizeof updated, false);
		printf("%-16s  %-16s  %-9s  %5" PRIu64 "  %8" PRIu64 "  %-*.*s  ", s->id, updated,
		       ba_session_status_name(s->status), s->steps,
		       s->input_tokens + s->output_tokens, model_w, model_w, s->model);
		ba_cli_ui_put_safe(stdout, s->title, strlen(s->title), TITLE_SHOWN, false);
		putchar('\n');
	}
out:
	free(list);
	ba_store_close(store);
	return status;
}

/* ---------------------------------------------------------------- show */

/* Text of a message: whole with --full, else its first LINES_SHOWN lines
 * (and at most BYTES_SHOWN bytes), indented. */
static void put_body(const char *text, bool full)
{
	size_t len = strlen(text), lines = 0, end = 0;

	if (full) {
		end = len;
	} else {
		while (end < len && end < BYTES_SHOWN && lines < LINES_SHOWN) {
			if (text[end] == '\n')
				lines++;
			end++;
		}
		/* Stopped by the byte limit: back to a character's start. */
		if (end == BYTES_SHOWN)
			end = ba_utf8_cut(text, len, end);
	}
	const char *p = text, *stop = text + end;
	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(stop - p);
		fputs("  ", stdout);
		ba_cli_ui_put_safe(stdout, p, n, n, false);
		putchar('\n');
		p += n + (nl ? 1 : 0);
	}
	if (end < len) {
		size_t more = 0;
		for (size_t i = end; i < len; i++)
			more += text[i] == '\n';
		printf("  ... (%zu more bytes, %zu more lines; --full shows all)\n", len - end,
		       more + 1);
	}
}

/* " [ID]" for a call id (may be NULL): the model chose it, so it is
 * escaped like any other text from the model before a terminal sees it. */
static void put_call_id(const char *id)
{
	if (!id)
		return;
	fputs(" [", stdout);
	ba_cli_ui_put_safe(stdout, id, strlen(id), EVENT_SHOWN, false);
	putchar(']');
}

static void show_message(const ba_llm_message *m, bool full)
{
	switch (m->role) {
	case BA_LLM_ROLE_USER:
		puts("--- user");
		break;
	case BA_LLM_ROLE_ASSISTANT:
		puts("--- assistant");
		break;
	case BA_LLM_ROLE_TOOL:
		fputs("--- tool ", stdout);
		ba_cli_ui_put_safe(stdout, m->tool_name ? m->tool_name : "?",
		                   m->tool_name ? strlen(m->tool_name) : 1, 100, false);
		put_call_id(m->tool_call_id);
		if (m->is_error)
			fputs(" (error)", stdout);
		putchar('\n');
		break;
	}
	if (m->text && *m->text)
		put_body(m->text, full);
	for (size_t i = 0; i < m->tool_call_count; i++) {
		const ba_llm_tool_call *c = &m->tool_calls[i];
		fputs("  -> ", stdout);
		ba_cli_ui_put_safe(stdout, c->name ? c->name : "?", c->name ? strlen(c->name) : 1,
		                   100, false);
		if (c->arguments) {
			putchar(' ');
			size_t n = strlen(c->arguments);
			ba_cli_ui_put_safe(stdout, c->arguments, n, full ? n : EVENT_SHOWN, false);
		}
		put_call_id(c->id);
		putchar('\n');
	}
}

static void put_field(json_t *ev, const char *key, const char *before, const char *after)
{
	json_t *v = json_object_get(ev, key);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (!n)
			return;
		fputs(before, stdout);
		ba_cli_ui_put_safe(stdout, s, n, EVENT_SHOWN, false);
		fputs(after, stdout);
	} else if (json_is_integer(v)) {
		printf("%s%" JSON_INTEGER_FORMAT "%s", before, json_integer_value(v), after);
	}
}

static uint64_t get_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
	                                                       : 0;
}

static void put_usage(json_t *ev, const char *key, const char *before)
{
	json_t *u = json_object_get(ev, key);
	if (!json_is_object(u))
		return;
	printf("%s%" PRIu64 " in, %" PRIu64 " out", before, get_u64(u, "input_tokens"),
	       get_u64(u, "output_tokens"));
}

/* One stored event on one line: its time, kind and what happened. Events
 * are the JSON of ba_agent_event_json, whose keys are the fields of
 * ba_agent_event. */
static void show_event(const ba_store_event *e)
{
	char when[32];
	json_t *ev = json_loads(e->json, 0, NULL);
	const char *k = e->kind;

	format_local(e->time_ms, when, sizeof when, true);
	printf("  %s  %-11s", strlen(when) > 11 ? when + 11 : when, k);
	if (!ev) {
		putchar('\n');
		return;
	}
	if (!strcmp(k, "decision")) {
		fputs(json_is_true(json_object_get(ev, "allowed")) ? " allow" : " deny ", stdout);
		put_field(ev, "capability", " ", "");
		put_field(ev, "tool", " for ", "");
		put_field(ev, "source", " (", ")");
	} else if (!strcmp(k, "step")) {
		put_field(ev, "step", " ", "");
		put_field(ev, "model", " ", "");
	} else if (!strcmp(k, "usage")) {
		put_usage(ev, "usage", " ");
		put_usage(ev, "total", " (run so far: ");
		if (json_is_object(json_object_get(ev, "total")))
			putchar(')');
		json_t *cost = json_object_get(ev, "cost_usd");
		if (json_is_number(cost) && json_number_value(cost) > 0)
			printf(", $%.4f", json_number_value(cost));
	} else if (!strcmp(k, "tool_result")) {
		put_field(ev, "tool", " ", "");
		put_field(ev, "status", " ", "");
		printf(" %" PRIu64 " ms", get_u64(ev, "elapsed_ns") / 1000000);
		json_t *out = json_object_get(ev, "output");
		if (json_is_string(out))
			printf(", %zu bytes", json_string_length(out));
		put_field(ev, "message", ": ", "");
		json_t *denied = json_object_get(ev, "caps_denied");
		for (size_t i = 0; i < json_array_size(denied); i++) {
			json_t *d = json_array_get(denied, i);
			if (json_is_string(d)) {
				fputs("\n                         denied ", stdout);
				ba_cli_ui_put_safe(stdout, json_string_value(d),
				                   json_string_length(d), EVENT_SHOWN, false);
			}
		}
	} else if (!strcmp(k, "retry")) {
		put_field(ev, "attempt", " attempt ", "");
		put_field(ev, "wait_ms", ", waited ", " ms");
		put_field(ev, "message", ": ", "");
	} else if (!strcmp(k, "fallback")) {
		put_field(ev, "from", " ", "");
		put_field(ev, "to", " -> ", "");
		put_field(ev, "message", ": ", "");
	} else if (!strcmp(k, "session")) {
		put_field(ev, "model", " ", "");
		if (json_is_true(json_object_get(ev, "resumed")))
			fputs(" (resumed)", stdout);
	} else {
		/* tool_call, error, done, and kinds this version does not know */
		put_field(ev, "tool", " ", "");
		put_field(ev, "arguments", " ", "");
		put_field(ev, "call_id", " [", "]");
		put_field(ev, "stop", " stop: ", "");
		put_field(ev, "message", ": ", "");
	}
	putchar('\n');
	json_decref(ev);
}

static json_t *message_json(const ba_llm_message *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "role", json_string(ba_llm_role_name(m->role)));
	if (m->text)
		json_object_set_new(o, "text", jstr(m->text));
	if (m->tool_call_count) {
		json_t *calls = json_array();
		for (size_t i = 0; i < m->tool_call_count; i++) {
			const ba_llm_tool_call *c = &m->tool_calls[i];
			json_t *call = json_object();
			json_object_set_new(call, "id", jstr(c->id ? c->id : ""));
			json_object_set_new(call, "name", jstr(c->name ? c->name : ""));
			json_object_set_new(call, "arguments",
			                    jstr(c->arguments ? c->arguments : ""));
			json_array_append_new(calls, call);
		}
		json_object_set_new(o, "tool_calls", calls);
	}
	if (m->role == BA_LLM_ROLE_TOOL) {
		json_object_set_new(o, "tool_call_id",
		                    jstr(m->tool_call_id ? m->tool_call_id : ""));
		json_object_set_new(o, "tool_name", jstr(m->tool_name ? m->tool_name : ""));
		json_object_set_new(o, "is_error", json_boolean(m->is_error));
	}
	return o;
}

static int cmd_show(int argc, char **argv)
{
	const char *id = NULL;
	bool as_json = false, full = false;

	for (int i = 1; i < argc; i++) {
		if (ba_cli_flag(argv[i], "json"))
			as_json = true;
		else if (ba_cli_flag(argv[i], "full"))
			full = true;
		else if (argv[i][0] == '-')
			return ba_cli_usage_error("unknown option '%s'", argv[i]);
		else if (id)
			return ba_cli_usage_error("unexpected argument '%s'", argv[i]);
		else
			id = argv[i];
	}
	if (!id)
		return ba_cli_usage_error("usage: boxagent sessions show ID [--full] [--json]");

	ba_store *store = ba_cli_open_store();
	if (!store)
		return BA_EXIT_FAILED;
	ba_session_info info;
	ba_llm_message *msgs = NULL;
	ba_store_event *events = NULL;
	size_t msg_count = 0, event_count = 0;
	char err[1024] = "";
	int status = BA_EXIT_OK;

	if (ba_store_session_get(store, id, &info, err, sizeof err) != 0 ||
	    ba_store_messages_load(store, info.id, &msgs, &msg_count, err, sizeof err) != 0 ||
	    ba_store_events_load(store, info.id, &events, &event_count, err, sizeof err) != 0) {
		ba_cli_error("%s", err);
		status = BA_EXIT_FAILED;
		goto out;
	}
	if (as_json) {
		json_t *doc = json_object(), *jm = json_array(), *je = json_array();
		for (size_t i = 0; i < msg_count; i++)
			json_array_append_new(jm, message_json(&msgs[i]));
		for (size_t i = 0; i < event_count; i++) {
			char when[40];
			json_t *o = json_object(), *ev = json_loads(events[i].json, 0, NULL);
			format_utc(events[i].time_ms, when, sizeof when);
			json_object_set_new(o, "seq", json_integer(events[i].seq));
			json_object_set_new(o, "time", json_string(when));
			json_object_set_new(o, "kind", json_string(events[i].kind));
			json_object_set_new(o, "event", ev ? ev : json_null());
			json_array_append_new(je, o);
		}
		json_object_set_new(doc, "session", session_json(&info));
		json_object_set_new(doc, "messages", jm);
		json_object_set_new(doc, "events", je);
		status = print_json(doc, JSON_INDENT(2));
		json_decref(doc);
		goto out;
	}

	char created[32], updated[32];
	format_local(info.created_ms, created, sizeof created, true);
	format_local(info.updated_ms, updated, sizeof updated, true);
	printf("session %s\n", info.id);
	fputs("  title      ", stdout);
	ba_cli_ui_put_safe(stdout, info.title, strlen(info.title), sizeof info.title, false);
	printf("\n  model      %s\n", info.model);
	printf("  workspace  %s\n", info.workspace[0] ? info.workspace : "(none)");
	printf("  status     %s%s%s\n", ba_session_status_name(info.status),
	       info.stop[0] ? ", stop: " : "", info.stop);
	printf("  created    %s\n  updated    %s\n", created, updated);
	printf("  usage      %" PRIu64 " model calls, %" PRIu64 " tokens (%" PRIu64 " in, %" PRIu64
	       " out)",
	       info.steps, info.input_tokens + info.output_tokens, info.input_tokens,
	       info.output_tokens);
	if (info.cost_usd >= 0)
		printf(", $%.4f", info.cost_usd);
	printf("\n\nconversation (%zu messages):\n", msg_count);
	for (size_t i = 0; i < msg_count; i++)
		show_message(&msgs[i], full);
	printf("\nevents (%zu):\n", event_count);
	for (size_t i = 0; i < event_count; i++)
		show_event(&events[i]);
out:
	ba_store_messages_free(msgs, msg_count);
	ba_store_events_free(events, event_count);
	ba_store_close(store);
	return status;
}

/* -------------------------------------------------------------- delete */

static int cmd_delete(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return ba_cli_usage_error("usage: boxagent sessions delete ID");
	ba_store *store = ba_cli_open_store();
	if (!store)
		return BA_EXIT_FAILED;
	ba_session_info info;
	char err[1024] = "";
	int status = BA_EXIT_OK;
	/* A prefix is resolved first, so what is deleted is named. */
	if (ba_store_session_get(store, argv[1], &info, err, sizeof err) != 0 ||
	    ba_store_session_delete(store, info.id, err, sizeof err) != 0) {
		ba_cli_error("%s", err);
		status = BA_EXIT_FAILED;
	} else {
		printf("deleted session %s\n", info.id);
	}
	ba_store_close(store);
	return status;
}

int ba_cli_cmd_sessions(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (ba_cli_flag(argv[i], "help") || strcmp(argv[i], "-h") == 0) {
			fputs(ba_cli_sessions_help, stdout);
			return BA_EXIT_OK;
		}
	if (argc < 2 || argv[1][0] == '-')
		return cmd_list(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return cmd_delete(argc - 1, argv + 1);
	return ba_cli_usage_error("unknown subcommand 'sessions %s' (list, show or delete)",
	                          argv[1]);
}
