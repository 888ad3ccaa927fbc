/* Tests for src/store/: sessions, messages and events on real SQLite
 * files in a temporary directory, with real processes for crashes and
 * concurrent writers. */
#include "test.h"

#include "store_util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void setup(void)
{
	setup_dir("home/boxagent.db");
}

static void new_session(ba_store *s, ba_session_info *info)
{
	char err[512] = "";
	if (ba_store_session_create(s, "openai/gpt-4o-mini", "/work/ws", "list the files", info,
	                            err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "session_create: %s", err);
}

static void append_text(ba_store *s, const char *id, ba_llm_role role, const char *text)
{
	char err[512] = "";
	ba_llm_message m = {.role = role, .text = S(text)};
	if (ba_store_message_append(s, id, &m, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "message_append: %s", err);
}

/* ------------------------------------------------------------ sessions */

TEST(session_create_get_update)
{
	ba_store *s;
	ba_session_info a, b;
	char err[512] = "";

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_UINT(strlen(a.id), 16);
	CHECK(strspn(a.id, "0123456789abcdef") == 16);
	CHECK_EQ_INT(a.status, BA_SESSION_RUNNING);
	CHECK(a.created_ms > 1600000000000);
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.id, a.id);
	CHECK_EQ_STR(b.model, "openai/gpt-4o-mini");
	CHECK_EQ_STR(b.workspace, "/work/ws");
	CHECK_EQ_STR(b.title, "list the files");
	CHECK_EQ_STR(b.stop, "");
	CHECK_EQ_INT(b.created_ms, a.created_ms);
	CHECK_EQ_UINT(b.message_count, 0);

	b.status = BA_SESSION_FAILED;
	snprintf(b.stop, sizeof(b.stop), "max_steps");
	snprintf(b.model, sizeof(b.model), "anthropic/claude-sonnet-4-5");
	b.input_tokens = 1234;
	b.output_tokens = UINT64_MAX; /* clamped to what SQLite holds */
	b.cost_usd = -1;
	b.steps = 7;
	CHECK_EQ_INT(ba_store_session_update(s, &b, err, sizeof(err)), 0);
	append_text(s, a.id, BA_LLM_ROLE_USER, "hi");
	ba_store_close(s);

	s = open_store();
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &b, err, sizeof(err)), 0);
	CHECK_EQ_INT(b.status, BA_SESSION_FAILED);
	CHECK_EQ_STR(ba_session_status_name(b.status), "failed");
	CHECK_EQ_STR(b.stop, "max_steps");
	CHECK_EQ_STR(b.model, "anthropic/claude-sonnet-4-5");
	CHECK_EQ_UINT(b.input_tokens, 1234);
	CHECK_EQ_UINT(b.output_tokens, INT64_MAX);
	CHECK(b.cost_usd == -1);
	CHECK_EQ_UINT(b.steps, 7);
	CHECK_EQ_UINT(b.message_count, 1);
	CHECK(b.updated_ms >= a.created_ms);

	/* Refused updates. */
	b.cost_usd = 0.0 / 0.0;
	CHECK_EQ_INT(ba_store_session_update(s, &b, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "finite");
	b.cost_usd = 0;
	b.status = (ba_session_status)42;
	CHECK_EQ_INT(ba_store_session_update(s, &b, err, sizeof(err)), -1);
	b.status = BA_SESSION_IDLE;
	snprintf(b.id, sizeof(b.id), "0123456789abcdef");
	CHECK_EQ_INT(ba_store_session_update(s, &b, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no session 0123456789abcdef");
	ba_store_close(s);
}

TEST(session_title_cut_on_utf8_boundary)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "", title[400];
	size_t n = 0;

	setup();
	s = open_store();
	/* 119 ASCII bytes then a 3-byte character: the character does not
	 * fit in 120 bytes and must be dropped whole. */
	memset(title, 'x', 119);
	n = 119;
	memcpy(title + n, "\xe2\x82\xac tail", 8);
	n += 8;
	title[n] = '\0';
	CHECK_EQ_INT(ba_store_session_create(s, "m/x", NULL, title, &a, err, sizeof(err)), 0);
	CHECK_EQ_UINT(strlen(a.title), 119);
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &a, err, sizeof(err)), 0);
	CHECK_EQ_UINT(strlen(a.title), 119);
	CHECK_EQ_STR(a.workspace, "");
	ba_store_close(s);
}

TEST(session_too_long_fields_refused)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	static char big[BA_STORE_PATH_MAX + 10];

	setup();
	s = open_store();
	memset(big, 'a', sizeof(big) - 1);
	CHECK_EQ_INT(ba_store_session_create(s, big, NULL, NULL, &a, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "model");
	CHECK_EQ_INT(ba_store_session_create(s, "m/x", big, NULL, &a, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "workspace");
	ba_store_close(s);
}

TEST(session_prefix_lookup)
{
	ba_store *s;
	ba_session_info a, b;
	char err[512] = "", upper[BA_SESSION_ID_MAX], prefix[8];

	setup();
	s = open_store();
	new_session(s, &a);
	snprintf(prefix, sizeof(prefix), "%.5s", a.id);
	CHECK_EQ_INT(ba_store_session_get(s, prefix, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.id, a.id);
	for (size_t i = 0; i <= strlen(a.id); i++)
		upper[i] = (a.id[i] >= 'a' && a.id[i] <= 'f') ? (char)(a.id[i] - 32) : a.id[i];
	CHECK_EQ_INT(ba_store_session_get(s, upper, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.id, a.id);
	/* Too short a prefix, not hex, no match. */
	snprintf(prefix, sizeof(prefix), "%.3s", a.id);
	CHECK_EQ_INT(ba_store_session_get(s, prefix, &b, err, sizeof(err)), 1);
	CHECK_CONTAINS(err, "at least 4");
	CHECK_EQ_INT(ba_store_session_get(s, "xyz!'; DROP TABLE sessions", &b, err, sizeof(err)),
	             1);
	CHECK_EQ_INT(ba_store_session_get(s, "", &b, err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_session_get(s, NULL, &b, err, sizeof(err)), 1);
	snprintf(prefix, sizeof(prefix), "%c000", a.id[0] == 'f' ? '0' : 'f');
	CHECK_EQ_INT(ba_store_session_get(s, prefix, &b, err, sizeof(err)), 1);
	CHECK_CONTAINS(err, "no session");
	ba_store_close(s);
}

TEST(session_ambiguous_prefix)
{
	ba_store *s;
	ba_session_info a, b, first;
	char err[512] = "", prefix[8];
	int tries = 0;

	setup();
	s = open_store();
	new_session(s, &first);
	/* Make sessions until two share a 4-digit prefix (65536 values:
	 * birthday bound ~ 300 sessions; cheap). */
	for (;;) {
		ba_session_info *list;
		size_t n;
		bool clash = false;
		CHECK(++tries < 5000);
		new_session(s, &a);
		CHECK_EQ_INT(
		        ba_store_session_list(s, BA_STORE_MAX_LIST, &list, &n, err, sizeof(err)),
		        0);
		for (size_t i = 0; i < n && !clash; i++)
			if (strcmp(list[i].id, a.id) != 0 && strncmp(list[i].id, a.id, 4) == 0)
				clash = true;
		free(list);
		if (clash)
			break;
	}
	snprintf(prefix, sizeof(prefix), "%.4s", a.id);
	CHECK_EQ_INT(ba_store_session_get(s, prefix, &b, err, sizeof(err)), 1);
	CHECK_CONTAINS(err, "ambiguous");
	CHECK_CONTAINS(err, a.id);
	/* The full id still finds it. */
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &b, err, sizeof(err)), 0);
	ba_store_close(s);
}

TEST(session_list_newest_first_and_delete)
{
	ba_store *s;
	ba_session_info a, b, c, *list = NULL;
	size_t n = 0;
	char err[512] = "";
	struct timespec ms = {0, 3000000};

	setup();
	s = open_store();
	new_session(s, &a);
	nanosleep(&ms, NULL);
	new_session(s, &b);
	nanosleep(&ms, NULL);
	new_session(s, &c);
	nanosleep(&ms, NULL);
	/* An update moves a session to the front; appends do not. */
	append_text(s, a.id, BA_LLM_ROLE_USER, "again");
	CHECK_EQ_INT(
	        ba_store_event_append(s, b.id, "usage", "{\"input_tokens\":3}", err, sizeof(err)),
	        0);
	CHECK_EQ_INT(ba_store_session_update(s, &a, err, sizeof(err)), 0);
	nanosleep(&ms, NULL);
	CHECK_EQ_INT(ba_store_session_update(s, &b, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_session_list(s, 10, &list, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 3);
	CHECK_EQ_STR(list[0].id, b.id);
	CHECK_EQ_STR(list[1].id, a.id);
	CHECK_EQ_STR(list[2].id, c.id);
	CHECK_EQ_UINT(list[1].message_count, 1);
	free(list);
	CHECK_EQ_INT(ba_store_session_list(s, 2, &list, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 2);
	free(list);

	CHECK_EQ_INT(ba_store_session_delete(s, a.id, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_session_delete(s, a.id, err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_session_delete(s, "not hex", err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &c, err, sizeof(err)), 1);
	/* Its messages went with it. */
	{
		char count[32];
		raw_sql(db_path, "SELECT count(*) FROM messages", count, sizeof(count));
		CHECK_EQ_STR(count, "0");
	}
	CHECK_EQ_INT(ba_store_session_delete(s, b.id, err, sizeof(err)), 0);
	{
		char count[32];
		raw_sql(db_path, "SELECT count(*) FROM events", count, sizeof(count));
		CHECK_EQ_STR(count, "0");
	}
	CHECK_EQ_INT(ba_store_session_list(s, 0, &list, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 0);
	free(list);
	ba_store_close(s);
}

/* ------------------------------------------------------------ messages */

static void check_same_message(const ba_llm_message *got, const ba_llm_message *want)
{
	CHECK_EQ_INT(got->role, want->role);
	if (want->text)
		CHECK_EQ_STR(got->text, want->text);
	else
		CHECK(got->text == NULL);
	CHECK_EQ_UINT(got->tool_call_count, want->tool_call_count);
	for (size_t i = 0; i < want->tool_call_count; i++) {
		const ba_llm_tool_call *g = &got->tool_calls[i], *w = &want->tool_calls[i];
		if (w->id)
			CHECK_EQ_STR(g->id, w->id);
		else
			CHECK(g->id == NULL);
		if (w->name)
			CHECK_EQ_STR(g->name, w->name);
		else
			CHECK(g->name == NULL);
		if (w->arguments)
			CHECK_EQ_STR(g->arguments, w->arguments);
		else
			CHECK(g->arguments == NULL);
	}
	if (want->tool_call_id)
		CHECK_EQ_STR(got->tool_call_id, want->tool_call_id);
	else
		CHECK(got->tool_call_id == NULL);
	if (want->tool_name)
		CHECK_EQ_STR(got->tool_name, want->tool_name);
	else
		CHECK(got->tool_name == NULL);
	CHECK_EQ_INT(got->is_error, want->is_error);
}

TEST(messages_round_trip)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_tool_call calls[3] = {
	        {.id = S("call_1"), .name = S("list_dir"), .arguments = S("{\"path\":\"/\"}")},
	        {.id = S("call_2"),
	         .name = S("no_such_tool"),
	         .arguments = S("{\"path\": \"/a\", oops not json \\u00zz")},
	        {.id = NULL, .name = S("read_file"), .arguments = S("")},
	};
	ba_llm_message want[] = {
	        {.role = BA_LLM_ROLE_USER,
	         .text = S("list the files, then read \xc3\xa9t\xc3\xa9.txt")},
	        {.role = BA_LLM_ROLE_ASSISTANT,
	         .text = NULL,
	         .tool_call_count = 3,
	         .tool_calls = calls},
	        {.role = BA_LLM_ROLE_TOOL,
	         .text = S("a\nb\n"),
	         .tool_call_id = S("call_1"),
	         .tool_name = S("list_dir")},
	        {.role = BA_LLM_ROLE_TOOL,
	         .text = S("unknown tool no_such_tool"),
	         .tool_call_id = S("call_2"),
	         .tool_name = S("no_such_tool"),
	         .is_error = true},
	        /* Bytes that are not UTF-8 come back unchanged. */
	        {.role = BA_LLM_ROLE_TOOL,
	         .text = S("bin \xff\xfe\xc0\x80 \xed\xa0\x80 end"),
	         .tool_call_id = S("x"),
	         .tool_name = S("read_file")},
	        {.role = BA_LLM_ROLE_ASSISTANT, .text = S("")},
	        {.role = BA_LLM_ROLE_ASSISTANT,
	         .text = S("Done: \"quotes\", 'single', \\ and \t tabs.")},
	};
	size_t nwant = sizeof(want) / sizeof(want[0]), n = 0;
	ba_llm_message *got = NULL;

	setup();
	s = open_store();
	new_session(s, &a);
	for (size_t i = 0; i < nwant; i++)
		CHECK_EQ_INT(ba_store_message_append(s, a.id, &want[i], err, sizeof(err)), 0);
	ba_store_close(s);

	s = open_store();
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, nwant);
	for (size_t i = 0; i < nwant; i++)
		check_same_message(&got[i], &want[i]);
	ba_store_messages_free(got, n);

	/* A session without messages loads as empty; an unknown one too. */
	{
		ba_session_info b;
		new_session(s, &b);
		CHECK_EQ_INT(ba_store_messages_load(s, b.id, &got, &n, err, sizeof(err)), 0);
		CHECK_EQ_UINT(n, 0);
		CHECK(got == NULL);
	}
	ba_store_close(s);
}

TEST(messages_refused)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = S("hi")};
	ba_llm_tool_call bad = {.id = S("c"), .name = S("t"), .arguments = S("{\"a\":\"\xff\"}")};
	char *big;
	ba_llm_message *got;
	size_t n;

	setup();
	s = open_store();
	new_session(s, &a);
	/* Unknown session, not an id. */
	CHECK_EQ_INT(ba_store_message_append(s, "0123456789abcdef", &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no session 0123456789abcdef");
	CHECK_EQ_INT(ba_store_message_append(s, "' OR 1=1 --", &m, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_message_append(s, NULL, &m, err, sizeof(err)), -1);
	/* Unknown role. */
	m.role = (ba_llm_role)9;
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "role");
	/* Tool call text JSON cannot carry. */
	m.role = BA_LLM_ROLE_ASSISTANT;
	m.tool_calls = &bad;
	m.tool_call_count = 1;
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "UTF-8");
	/* Too many tool calls; a count without calls. */
	m.tool_call_count = BA_LLM_MAX_TOOL_CALLS + 1;
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	m.tool_calls = NULL;
	m.tool_call_count = 1;
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	/* Text over the cap. */
	big = malloc(BA_STORE_MAX_TEXT + 2);
	CHECK(big != NULL);
	memset(big, 'a', BA_STORE_MAX_TEXT + 1);
	big[BA_STORE_MAX_TEXT + 1] = '\0';
	m = (ba_llm_message){.role = BA_LLM_ROLE_TOOL, .text = big};
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "larger than");
	/* Exactly at the cap is fine. */
	big[BA_STORE_MAX_TEXT] = '\0';
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_UINT(strlen(got[0].text), BA_STORE_MAX_TEXT);
	ba_store_messages_free(got, n);
	free(big);
	ba_store_close(s);
}

TEST(messages_tool_calls_readable_in_sqlite)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "", out[512];
	ba_llm_tool_call call = {
	        .id = S("call_9"), .name = S("read_file"), .arguments = S("{\"path\":\"/x\"}")};
	ba_llm_message m = {
	        .role = BA_LLM_ROLE_ASSISTANT, .tool_calls = &call, .tool_call_count = 1};

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	ba_store_close(s);
	raw_sql(db_path, "SELECT tool_calls FROM messages", out, sizeof(out));
	CHECK_EQ_STR(
	        out,
	        "[{\"id\":\"call_9\",\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\":\\\"/x\\\"}\"}]");
	raw_sql(db_path, "SELECT role || ':' || seq FROM messages", out, sizeof(out));
	CHECK_EQ_STR(out, "assistant:1");
}

TEST(messages_sessions_kept_apart)
{
	ba_store *s;
	ba_session_info a, b;
	char err[512] = "";
	ba_llm_message *got;
	size_t n;

	setup();
	s = open_store();
	new_session(s, &a);
	new_session(s, &b);
	append_text(s, a.id, BA_LLM_ROLE_USER, "a1");
	append_text(s, b.id, BA_LLM_ROLE_USER, "b1");
	append_text(s, a.id, BA_LLM_ROLE_ASSISTANT, "a2");
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 2);
	CHECK_EQ_STR(got[0].text, "a1");
	CHECK_EQ_STR(got[1].text, "a2");
	ba_store_messages_free(got, n);
	CHECK_EQ_INT(ba_store_messages_load(s, b.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_STR(got[0].text, "b1");
	ba_store_messages_free(got, n);
	ba_store_close(s);
}

/* -------------------------------------------------------------- events */

TEST(events_round_trip_and_refusals)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_store_event *ev = NULL;
	size_t n = 0;
	static const char *const jsons[] = {
	        "{\"type\":\"tool_call\",\"tool\":\"list_dir\",\"args\":{\"path\":\"/\"}}",
	        "{ \"type\" : \"decision\", \"allow\": false, \"cap\": \"network:https://x.example\" }",
	        "{}",
	};

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "tool_call", jsons[0], err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "decision", jsons[1], err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "stop", jsons[2], err, sizeof(err)), 0);

	/* Refused: not an object, not JSON, trailing junk, duplicate keys,
	 * bad kinds, unknown session. */
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "[1,2]", err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "not a JSON object");
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "\"str\"", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "{\"a\":", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "{} {}", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "{\"a\":1,\"a\":2}", err, sizeof(err)),
	             -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", NULL, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "x", "{\"a\":\"\xff\"}", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "", "{}", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, NULL, "{}", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "bad kind", "{}", err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "0123456789012345678901234567890123", "{}", err,
	                                   sizeof(err)),
	             -1);
	CHECK_EQ_INT(ba_store_event_append(s, "abcdabcdabcdabcd", "x", "{}", err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no session");

	CHECK_EQ_INT(ba_store_events_load(s, a.id, &ev, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 3);
	CHECK_EQ_INT(ev[0].seq, 1);
	CHECK_EQ_INT(ev[2].seq, 3);
	CHECK_EQ_STR(ev[0].kind, "tool_call");
	CHECK_EQ_STR(ev[1].kind, "decision");
	CHECK_EQ_STR(ev[2].kind, "stop");
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ_STR(ev[i].json, jsons[i]); /* kept byte for byte */
		CHECK(ev[i].time_ms >= a.created_ms);
	}
	ba_store_events_free(ev, n);
	ba_store_close(s);
}

/* ---------------------------------------------------- crash and sharing */

/* kill_9_round's work: one message and one event at a time, each
 * message reported once appended. */
static void append_forever(ba_store *c, const char *sid, uint32_t first, int fd)
{
	char cerr[512], text[64];

	for (uint32_t i = first;; i++) {
		ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = text};
		snprintf(text, sizeof(text), "message %u", i);
		if (ba_store_message_append(c, sid, &m, cerr, sizeof(cerr)) != 0)
			_exit(3);
		if (ba_store_event_append(c, sid, "n", "{\"i\":1}", cerr, sizeof(cerr)) != 0)
			_exit(4);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(5);
	}
}

/*
 * kill -9 at a random moment: a child appends messages and events in a
 * loop, reporting each committed one through a pipe; the parent kills
 * it, then every reported append must be in the store, which must pass
 * SQLite's integrity check. Several rounds on one file.
 */
TEST_TIMEOUT(kill_9_loses_nothing_committed, 120)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	uint32_t next = 0; /* messages committed so far, over all rounds */

	setup();
	s = open_store();
	new_session(s, &a);
	ba_store_close(s);

	for (int round = 0; round < 6; round++) {
		uint32_t reported = kill_9_round(append_forever, a.id, next);
		CHECK(reported > next); /* it got some work done */

		{
			char ok[64];
			ba_llm_message *got;
			size_t n;
			raw_sql(db_path, "PRAGMA integrity_check", ok, sizeof(ok));
			CHECK_EQ_STR(ok, "ok");
			s = open_store();
			CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)),
			             0);
			/* Every reported message is there; one more may have been
			 * committed just before the kill, before its report. */
			CHECK(n >= reported && n <= reported + 1);
			for (size_t i = 0; i < n; i++) {
				char want[64];
				snprintf(want, sizeof(want), "message %zu", i);
				CHECK_EQ_STR(got[i].text, want);
			}
			next = (uint32_t)n;
			ba_store_messages_free(got, n);
			ba_store_close(s);
		}
	}
}

/* Two processes append to one session (and to sessions of their own)
 * at once: nothing is lost, seq stays dense, each writer's messages keep
 * their order. */
TEST_TIMEOUT(concurrent_writers, 120)
{
	enum { PER_CHILD = 150, CHILDREN = 3 };
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	pid_t pids[CHILDREN];
	ba_llm_message *got;
	size_t n;
	ba_store_event *ev;
	size_t nev;
	int next_of[CHILDREN] = {0};

	setup();
	/* The children also race to create the file: nobody has yet. */
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		CHECK(pids[c] >= 0);
		if (pids[c] == 0) {
			char cerr[512], text[64];
			ba_store *cs = ba_store_open(db_path, cerr, sizeof(cerr));
			ba_session_info shared, own;
			if (!cs) {
				fprintf(stderr, "child %d: %s\n", c, cerr);
				_exit(2);
			}
			/* Wait for the parent's shared session. */
			for (int tries = 0;; tries++) {
				ba_session_info *l = NULL;
				size_t ln = 0;
				if (ba_store_session_list(cs, 10, &l, &ln, cerr, sizeof(cerr)) != 0)
					_exit(3);
				bool found = false;
				for (size_t i = 0; i < ln; i++)
					if (strcmp(l[i].title, "shared") == 0) {
						shared = l[i];
						found = true;
					}
				free(l);
				if (found)
					break;
				if (tries > 1000)
					_exit(4);
				usleep(5000);
			}
			if (ba_store_session_create(cs, "m/x", NULL, "own", &own, cerr,
			                            sizeof(cerr)) != 0)
				_exit(5);
			for (int i = 0; i < PER_CHILD; i++) {
				ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = text};
				snprintf(text, sizeof(text), "%d:%d", c, i);
				if (ba_store_message_append(cs, shared.id, &m, cerr,
				                            sizeof(cerr)) != 0 ||
				    ba_store_message_append(cs, own.id, &m, cerr, sizeof(cerr)) !=
				            0 ||
				    ba_store_event_append(cs, shared.id, "n", "{}", cerr,
				                          sizeof(cerr)) != 0) {
					fprintf(stderr, "child %d: %s\n", c, cerr);
					_exit(6);
				}
			}
			ba_store_close(cs);
			_exit(0);
		}
	}
	s = open_store();
	CHECK_EQ_INT(ba_store_session_create(s, "m/x", NULL, "shared", &a, err, sizeof(err)), 0);
	for (int c = 0; c < CHILDREN; c++) {
		int status;
		CHECK(waitpid(pids[c], &status, 0) == pids[c]);
		CHECK(WIFEXITED(status));
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
	}
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, PER_CHILD * CHILDREN);
	for (size_t i = 0; i < n; i++) {
		int c, k;
		CHECK(sscanf(got[i].text, "%d:%d", &c, &k) == 2);
		CHECK(c >= 0 && c < CHILDREN);
		CHECK_EQ_INT(k, next_of[c]);
		next_of[c]++;
	}
	ba_store_messages_free(got, n);
	CHECK_EQ_INT(ba_store_events_load(s, a.id, &ev, &nev, err, sizeof(err)), 0);
	CHECK_EQ_UINT(nev, PER_CHILD * CHILDREN);
	for (size_t i = 0; i < nev; i++)
		CHECK_EQ_INT(ev[i].seq, (int64_t)i + 1);
	ba_store_events_free(ev, nev);
	{
		ba_session_info *l;
		size_t ln;
		CHECK_EQ_INT(ba_store_session_list(s, 100, &l, &ln, err, sizeof(err)), 0);
		CHECK_EQ_UINT(ln, CHILDREN + 1);
		for (size_t i = 0; i < ln; i++)
			CHECK_EQ_UINT(l[i].message_count, strcmp(l[i].title, "shared") == 0
			                                          ? PER_CHILD * CHILDREN
			                                          : PER_CHILD);
		free(l);
	}
	ba_store_close(s);
}

/* Two handles in one process see each other's appends. */
TEST(two_handles_one_process)
{
	ba_store *s1, *s2;
	ba_session_info a, b;
	char err[512] = "";
	ba_llm_message *got;
	size_t n;

	setup();
	s1 = open_store();
	s2 = open_store();
	new_session(s1, &a);
	CHECK_EQ_INT(ba_store_session_get(s2, a.id, &b, err, sizeof(err)), 0);
	append_text(s1, a.id, BA_LLM_ROLE_USER, "one");
	append_text(s2, a.id, BA_LLM_ROLE_ASSISTANT, "two");
	append_text(s1, a.id, BA_LLM_ROLE_USER, "three");
	CHECK_EQ_INT(ba_store_messages_load(s2, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 3);
	CHECK_EQ_STR(got[2].text, "three");
	ba_store_messages_free(got, n);
	ba_store_close(s1);
	ba_store_close(s2);
}

/* A store edited behind its back (sqlite3 CLI, another program) must
 * give errors or what is there, never a crash. */
TEST(messages_damaged_by_hand)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_message *got;
	size_t n;
	ba_llm_tool_call call = {.id = S("c"), .name = S("t"), .arguments = S("{}")};
	ba_llm_message m = {
	        .role = BA_LLM_ROLE_ASSISTANT, .tool_calls = &call, .tool_call_count = 1};
	static const char *const bad_calls[] = {
	        "UPDATE messages SET tool_calls = '{\"not\":\"an array\"}'",
	        "UPDATE messages SET tool_calls = '[{\"id\":5}]'",
	        "UPDATE messages SET tool_calls = '[1]'",
	        "UPDATE messages SET tool_calls = 'not json'",
	        "UPDATE messages SET tool_calls = '[{\"id\":\"a\",\"id\":\"b\"}]'",
	};

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad_calls) / sizeof(bad_calls[0]); i++) {
		raw_sql(db_path, bad_calls[i], NULL, 0);
		CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), -1);
		CHECK_CONTAINS(err, "damaged");
		CHECK(got == NULL);
	}
	/* Missing members are NULL; a blob with a NUL inside ends there. */
	raw_sql(db_path,
	        "UPDATE messages SET tool_calls = '[{}]', text = x'610062', tool_name = 5, "
	        "tool_call_id = 1.5",
	        NULL, 0);
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_UINT(got[0].tool_call_count, 1);
	CHECK(got[0].tool_calls[0].id == NULL && got[0].tool_calls[0].arguments == NULL);
	CHECK_EQ_STR(got[0].text, "a");
	CHECK_EQ_STR(got[0].tool_name, "5");
	CHECK_EQ_STR(got[0].tool_call_id, "1.5");
	ba_store_messages_free(got, n);
	ba_store_close(s);
}

/* A stored tool call id or tool name over the cap is refused, and what
 * was read of the row before it (the tool calls) is freed (ASan). */
TEST(messages_oversized_name_refused)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_message *got = NULL;
	size_t n = 7;
	ba_llm_tool_call call = {.id = S("c"), .name = S("t"), .arguments = S("{}")};
	ba_llm_message m = {
	        .role = BA_LLM_ROLE_ASSISTANT, .tool_calls = &call, .tool_call_count = 1};
	static const char *const too_long[] = {
	        "UPDATE messages SET tool_call_id = printf('%.*c', 5000, 'x')",
	        "UPDATE messages SET tool_call_id = NULL, tool_name = printf('%.*c', 5000, 'x')",
	};

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(too_long) / sizeof(too_long[0]); i++) {
		raw_sql(db_path, too_long[i], NULL, 0);
		CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), -1);
		CHECK_CONTAINS(err, "larger than 4096 bytes");
		CHECK(got == NULL);
		CHECK_EQ_UINT(n, 0);
	}
	ba_store_close(s);
}

/* No place for the rows: refused, with nothing loaded (or leaked). */
TEST(loads_without_a_place_refused)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = S("hi")};
	ba_llm_message *msgs = NULL;
	ba_store_event *events = NULL;
	size_t n = 7;

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "n", "{}", err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, NULL, &n, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no place for the messages");
	CHECK_EQ_UINT(n, 0);
	CHECK_EQ_INT(ba_store_events_load(s, a.id, NULL, &n, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no place for the events");
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &msgs, NULL, err, sizeof(err)), -1);
	CHECK(msgs == NULL);
	CHECK_EQ_INT(ba_store_events_load(s, a.id, &events, NULL, err, sizeof(err)), -1);
	CHECK(events == NULL);
	ba_store_close(s);
}

/* A tool call whose id, name or arguments JSON cannot carry is refused,
 * wherever it sits among good ones, and nothing built for the others is
 * left over (ASan). */
TEST(messages_bad_tool_call_anywhere_refused)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	ba_llm_message *got;
	size_t n;
	ba_llm_tool_call calls[3] = {
	        {.id = S("c1"), .name = S("t"), .arguments = S("{}")},
	        {.id = S("c2"), .name = S("t"), .arguments = S("{}")},
	        {.id = S("c3"), .name = S("t"), .arguments = NULL},
	};
	ba_llm_message m = {
	        .role = BA_LLM_ROLE_ASSISTANT, .tool_calls = calls, .tool_call_count = 3};

	setup();
	s = open_store();
	new_session(s, &a);
	calls[1].id = S("c\xff");
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "tool call 1: its id, name or arguments");
	calls[1].id = S("c2");
	calls[2].name = S("t\xc3");
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "tool call 2:");
	calls[2].name = S("t");
	/* All good: stored, and a NULL member comes back NULL. */
	CHECK_EQ_INT(ba_store_message_append(s, a.id, &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_UINT(got[0].tool_call_count, 3);
	CHECK_EQ_STR(got[0].tool_calls[1].id, "c2");
	CHECK(got[0].tool_calls[2].arguments == NULL);
	ba_store_messages_free(got, n);
	ba_store_close(s);
}
