/*
 * An agent run killed with SIGKILL while it waits - on a tool, on the
 * model, on the operator - keeps everything it had reported: the store
 * holds every event the run gave on_event (all but the streamed text) and
 * every message up to that point, and resuming the session answers the
 * call that was running as interrupted, so the conversation goes on.
 *
 * The run is a forked child with its own store handle, reporting each
 * event's kind through a pipe; the parent watches the store, kills the
 * child, then resumes with a new agent. Real components throughout:
 * fakellm on loopback, wasm tools in the sandbox (written here: one that
 * returns at once, one that spins until killed), a SQLite store.
 *
 * And a store that fails in the middle of a run (its session deleted
 * behind its back) ends the run as an error that says so.
 */
/* The harness's helpers this file has no use for are not errors. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "agent_harness.h"
#pragma GCC diagnostic pop

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

/* (module (memory (export "memory") 1) (func (export "_start"))) */
static const unsigned char noop_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
        0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02,
        0x06, 'm',  'e',  'm',  'o',  'r',  'y',  0x02, 0x00, 0x06, '_',  's',  't',
        'a',  'r',  't',  0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

/* The same with _start = (loop (br 0)): runs until killed. */
static const unsigned char spin_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 'm',
        'e',  'm',  'o',  'r',  'y',  0x02, 0x00, 0x06, '_',  's',  't',  'a',  'r',  't',
        0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/* A tool NAME in H.dir/tools/NAME declaring capability; its manifest's
 * path (static storage, one per name). */
static const char *make_tool(const char *name, const unsigned char *wasm, size_t len,
                             const char *capability)
{
	static char paths[4][512];
	static unsigned next;
	char dir[300], yaml[1024];
	char *p = paths[next++ % 4];
	snprintf(dir, sizeof dir, "%s/tools", H.dir);
	h_mkdir(dir);
	snprintf(dir, sizeof dir, "%s/tools/%s", H.dir, name);
	h_mkdir(dir);
	snprintf(p, 512, "%s/tool.wasm", dir);
	ba_test_write_file(p, wasm, len);
	snprintf(yaml, sizeof yaml,
	         "tool:\n  name: %s\n  version: 1.0.0\n  description: Test tool %s.\n"
	         "  module: tool.wasm\n  input_schema: { type: object }\n"
	         "  permissions: [ \"%s\" ]\n  limits: { timeout: 20s }\n",
	         name, name, capability);
	snprintf(p, 512, "%s/tool.yaml", dir);
	h_write(p, yaml);
	return p;
}

#define CHUNK_HEAD                                                                           \
	"data: {\"id\":\"chatcmpl-crash\",\"object\":\"chat.completion.chunk\",\"created\":" \
	"1736100000,\"model\":\"gpt-4o-mini\",\"choices\":"

/* An OpenAI stream calling each of tools (call ids "call_TOOL"). */
static void sse_calls(ba_buf *b, const char *const *tools, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK(ba_buf_printf(b,
		                    CHUNK_HEAD
		                    "[{\"index\":0,\"delta\":{%s\"tool_calls\":[{\"index\":"
		                    "%zu,\"id\":\"call_%s\",\"type\":\"function\","
		                    "\"function\":{\"name\":\"%s\",\"arguments\":\"{}\"}}"
		                    "]},\"finish_reason\":null}]}\n\n",
		                    i == 0 ? "\"role\":\"assistant\",\"content\":null," : "", i,
		                    tools[i], tools[i]) == 0);
	CHECK(ba_buf_printf(b, CHUNK_HEAD
	                    "[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}"
	                    "\n\n" CHUNK_HEAD
	                    "[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":9,"
	                    "\"total_tokens\":109}}\n\ndata: [DONE]\n\n") == 0);
}

/* An OpenAI stream answering text in pieces of one word. */
static void sse_text(ba_buf *b, const char *text)
{
	const char *p = text;
	bool first = true;
	while (*p) {
		const char *sp = strchr(p + 1, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);
		CHECK(ba_buf_printf(b,
		                    CHUNK_HEAD "[{\"index\":0,\"delta\":{%s\"content\":\"%.*s\"},"
		                               "\"finish_reason\":null}]}\n\n",
		                    first ? "\"role\":\"assistant\"," : "", (int)n, p) == 0);
		first = false;
		p += n;
	}
	CHECK(ba_buf_printf(
	              b, CHUNK_HEAD
	              "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" CHUNK_HEAD
	              "[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":5,"
	              "\"total_tokens\":125}}\n\ndata: [DONE]\n\n") == 0);
}

/* Writes response number n's stream to H.dir/llm/rN.sse and its block
 * (with extra directives, may be "") to script. */
static void add_response(ba_buf *script, ba_buf *sse, unsigned n, const char *extra)
{
	char path[512];
	snprintf(path, sizeof path, "%s/llm", H.dir);
	h_mkdir(path);
	snprintf(path, sizeof path, "%s/llm/r%u.sse", H.dir, n);
	ba_test_write_file(path, sse->data, sse->len);
	ba_buf_reset(sse);
	CHECK(ba_buf_printf(script, "response\nfile r%u.sse\n%send\n", n, extra) == 0);
}

static const char *write_script(ba_buf *script)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/llm/crash.script", H.dir);
	h_write(path, script->data);
	return path;
}

/* ------------------------------------------------------------ the child */

typedef struct child {
	pid_t pid;
	int fd; /* reads the child's reports: one line per event kind */
	ba_buf seen;
} child;

static int report_fd = -1;

static void report(const char *line)
{
	size_t n = strlen(line);
	if (write(report_fd, line, n) != (ssize_t)n || write(report_fd, "\n", 1) != 1)
		_exit(7);
}

static void child_on_event(void *user, const ba_agent_event *ev)
{
	(void)user;
	report(ba_agent_event_name(ev->type));
}

/* The operator is asked and never answers. */
static ba_agent_approval child_ask(void *user, const char *tool, const char *capability)
{
	(void)user;
	(void)tool;
	(void)capability;
	report("asking");
	pause(); /* until SIGKILL */
	_exit(6);
}

/* Runs an agent on o (with its own store handle) in a child that only
 * ever ends by _exit (never the test's exit handlers, which would remove
 * the world). */
static child start_run(ba_agent_options o, const char *prompt)
{
	child c = {0};
	int fds[2];
	CHECK(pipe(fds) == 0);
	c.pid = fork();
	CHECK(c.pid >= 0);
	if (c.pid == 0) {
		char err[1024];
		close(fds[0]);
		report_fd = fds[1];
		ba_store *store = ba_store_open(H.db, err, sizeof err);
		if (!store)
			_exit(2);
		o.store = store;
		o.on_event = child_on_event;
		o.event_user = NULL;
		ba_agent *a = ba_agent_new(&o, err, sizeof err);
		if (!a)
			_exit(3);
		ba_agent_result r;
		ba_agent_run(a, prompt, &r);
		report("returned");
		_exit(4);
	}
	close(fds[1]);
	c.fd = fds[0];
	ba_buf_init(&c.seen, 1u << 20);
	return c;
}

/* Has the child reported line (a whole line)? */
static bool reported(const child *c, const char *line)
{
	char want[80];
	const char *seen = c->seen.data ? c->seen.data : "";
	size_t n = strlen(line);
	snprintf(want, sizeof want, "\n%s\n", line);
	return (strncmp(seen, line, n) == 0 && seen[n] == '\n') || strstr(seen, want);
}

/* Reads the child's reports until line arrives (within 20 s); fails
 * otherwise. */
static void wait_for(child *c, const char *line)
{
	for (int waited = 0; !reported(c, line); waited += 50) {
		if (waited > 20000)
			ba_test_fail(__FILE__, __LINE__, "no \"%s\" from the run; it reported: %s",
			             line, c->seen.data ? c->seen.data : "");
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, 50) == 1) {
			char chunk[4096];
			ssize_t n = read(c->fd, chunk, sizeof chunk);
			if (n <= 0)
				ba_test_fail(__FILE__, __LINE__, "the run ended before \"%s\": %s",
				             line, c->seen.data ? c->seen.data : "");
			CHECK(ba_buf_append(&c->seen, chunk, (size_t)n) == 0);
		}
	}
}

/* SIGKILL, then every report it wrote before dying. */
static void kill_run(child *c)
{
	int status;
	char chunk[4096];
	ssize_t n;
	CHECK(kill(c->pid, SIGKILL) == 0);
	CHECK(waitpid(c->pid, &status, 0) == c->pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	while ((n = read(c->fd, chunk, sizeof chunk)) > 0)
		CHECK(ba_buf_append(&c->seen, chunk, (size_t)n) == 0);
	close(c->fd);
}

/* The reported event kinds, space-separated, as the store would list
 * them: without the streamed text (never stored) and the test's own
 * lines. */
static char *reported_kinds(const child *c)
{
	ba_buf b;
	ba_buf_init(&b, 1u << 20);
	const char *p = c->seen.data ? c->seen.data : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool skip = (n == 4 && strncmp(p, "text", 4) == 0) ||
		            (n == 6 && strncmp(p, "asking", 6) == 0);
		if (!skip)
			CHECK(ba_buf_printf(&b, "%.*s ", (int)n, p) == 0);
		p += n + (nl ? 1 : 0);
	}
	return ba_buf_detach(&b, NULL);
}

static char *stored_kinds(ba_store *store, const char *session)
{
	ba_store_event *events = NULL;
	size_t count = 0;
	char err[512];
	ba_buf b;
	if (ba_store_events_load(store, session, &events, &count, err, sizeof err) != 0)
		ba_test_fail(__FILE__, __LINE__, "events_load: %s", err);
	ba_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < count; i++)
		CHECK(ba_buf_printf(&b, "%s ", events[i].kind) == 0);
	ba_store_events_free(events, count);
	return ba_buf_detach(&b, NULL);
}

/* The only session in the store (the child created it). */
static ba_session_info only_session(ba_store *store)
{
	ba_session_info *list = NULL, info;
	size_t n = 0;
	char err[512];
	CHECK_EQ_INT(ba_store_session_list(store, 10, &list, &n, err, sizeof err), 0);
	CHECK_EQ_UINT(n, 1);
	info = list[0];
	free(list);
	return info;
}

/* Polls the store until an event of kind for call_id is committed. */
static void wait_committed(ba_store *store, const char *kind, const char *call_id)
{
	char needle[128];
	snprintf(needle, sizeof needle, "\"call_id\":\"%s\"", call_id);
	for (int waited = 0; waited < 20000; waited += 20) {
		ba_session_info *list = NULL;
		size_t n = 0;
		char err[512];
		CHECK_EQ_INT(ba_store_session_list(store, 10, &list, &n, err, sizeof err), 0);
		for (size_t s = 0; s < n; s++) {
			ba_store_event *ev = NULL;
			size_t count = 0;
			CHECK_EQ_INT(ba_store_events_load(store, list[s].id, &ev, &count, err,
			                                  sizeof err),
			             0);
			bool found = false;
			for (size_t i = 0; i < count && !found; i++)
				found = strcmp(ev[i].kind, kind) == 0 && strstr(ev[i].json, needle);
			ba_store_events_free(ev, count);
			if (found) {
				free(list);
				return;
			}
		}
		free(list);
		usleep(20000);
	}
	ba_test_fail(__FILE__, __LINE__, "no %s event for %s was committed", kind, call_id);
}

/* ------------------------------------------------------------- the tests */

/*
 * The model calls noop then spin in one answer; the run is killed while
 * spin runs. Stored: every event it reported (noop's whole call and
 * result, spin's call and decision), the prompt, the answer and noop's
 * result. A resume answers spin as interrupted, and the next model
 * request carries both results.
 */
TEST_TIMEOUT(killed_while_a_tool_runs_keeps_the_call_and_what_came_before, 90)
{
	h_setup();
	const char *tools[] = {
	        make_tool("noop", noop_wasm, sizeof noop_wasm, "fs.read:/workspace"),
	        make_tool("spin", spin_wasm, sizeof spin_wasm, "fs.read:/workspace")};
	ba_buf script, sse;
	ba_buf_init(&script, 1u << 20);
	ba_buf_init(&sse, 1u << 20);
	const char *calls[] = {"noop", "spin"};
	sse_calls(&sse, calls, 2);
	add_response(&script, &sse, 1, "");
	sse_text(&sse, "Spin was interrupted; noop worked.");
	add_response(&script, &sse, 2, "");
	h_server server = h_fakellm(write_script(&script));
	ba_llm_config *config = h_config(BA_LLM_API_OPENAI, server.port);
	h_events ev;
	h_events_init(&ev);
	ba_agent_options o = h_options(config, BA_LLM_API_OPENAI, NULL, &ev);
	o.tool_manifests = tools;
	o.tool_count = 2;

	child c = start_run(o, "Run noop and spin.");
	ba_store *store = h_store();
	/* Committed before spin runs; then let it spin a little. */
	wait_committed(store, "decision", "call_spin");
	usleep(200000);
	kill_run(&c);
	CHECK(!reported(&c, "returned"));

	ba_session_info info = only_session(store);
	CHECK_EQ_INT(info.status, BA_SESSION_RUNNING);
	char *reported = reported_kinds(&c), *stored = stored_kinds(store, info.id);
	CHECK_EQ_STR(reported,
	             "session step usage tool_call decision tool_result tool_call decision ");
	CHECK_EQ_STR(stored, reported);
	free(reported);
	free(stored);

	ba_llm_message *msgs = NULL;
	size_t count = 0;
	char err[1024];
	CHECK_EQ_INT(ba_store_messages_load(store, info.id, &msgs, &count, err, sizeof err), 0);
	CHECK_EQ_UINT(count, 3);
	CHECK_EQ_INT(msgs[0].role, BA_LLM_ROLE_USER);
	CHECK_EQ_INT(msgs[1].role, BA_LLM_ROLE_ASSISTANT);
	CHECK_EQ_UINT(msgs[1].tool_call_count, 2);
	CHECK_EQ_INT(msgs[2].role, BA_LLM_ROLE_TOOL);
	CHECK_EQ_STR(msgs[2].tool_call_id, "call_noop");
	CHECK(!msgs[2].is_error);
	ba_store_messages_free(msgs, count);

	/* Resumed: spin's call is answered as interrupted at once. */
	o.store = store;
	o.session_id = info.id;
	ba_agent *a = h_agent(&o);
	CHECK_EQ_INT(ba_store_messages_load(store, info.id, &msgs, &count, err, sizeof err), 0);
	CHECK_EQ_UINT(count, 4);
	CHECK_EQ_STR(msgs[3].tool_call_id, "call_spin");
	CHECK(msgs[3].is_error);
	CHECK_CONTAINS(msgs[3].text,
	               "interrupted: the previous run stopped before this call finished");
	ba_store_messages_free(msgs, count);

	ba_agent_result r;
	CHECK_EQ_INT(ba_agent_run(a, "What happened?", &r), BA_AGENT_STOP_END);
	CHECK_EQ_STR(r.answer, "Spin was interrupted; noop worked.");
	char *req = h_request(2);
	CHECK(req != NULL);
	CHECK_CONTAINS(req, "call_noop");
	CHECK_CONTAINS(req, "call_spin");
	CHECK_CONTAINS(req, "interrupted");
	CHECK_CONTAINS(req, "What happened?");
	free(req);
	ba_agent_result_release(&r);
	CHECK_EQ_INT(ba_store_messages_load(store, info.id, &msgs, &count, err, sizeof err), 0);
	CHECK_EQ_UINT(count, 6);
	ba_store_messages_free(msgs, count);
	stored = stored_kinds(store, info.id);
	CHECK_EQ_STR(stored, "session step usage tool_call decision tool_result tool_call decision "
	                     "session step usage done ");
	free(stored);
	CHECK_EQ_INT(ba_store_session_get(store, info.id, &info, err, sizeof err), 0);
	CHECK_EQ_INT(info.status, BA_SESSION_IDLE);

	ba_agent_free(a);
	ba_store_close(store);
	ba_llm_config_free(config);
	h_events_release(&ev);
	ba_buf_release(&script);
	ba_buf_release(&sse);
	ba_buf_release(&c.seen);
	h_stop(&server);
}

/* Killed while the model's answer streams in: the prompt and the step
 * were committed before the request; the answer in flight is lost, and
 * a resume has nothing to repair. */
TEST_TIMEOUT(killed_while_the_model_answers_keeps_the_prompt, 90)
{
	h_setup();
	ba_buf script, sse;
	ba_buf_init(&script, 1u << 20);
	ba_buf_init(&sse, 1u << 20);
	sse_text(&sse, "This answer comes in slowly, one small piece after another, and is never "
	               "finished because the process is killed.");
	add_response(&script, &sse, 1, "chunk 60\ndelay_ms 150\n");
	sse_text(&sse, "Here again.");
	add_response(&script, &sse, 2, "");
	h_server server = h_fakellm(write_script(&script));
	ba_llm_config *config = h_config(BA_LLM_API_OPENAI, server.port);
	h_events ev;
	h_events_init(&ev);
	ba_agent_options o = h_options(config, BA_LLM_API_OPENAI, NULL, &ev);

	child c = start_run(o, "Tell me slowly.");
	wait_for(&c, "text");
	kill_run(&c);
	ba_store *store = h_store();
	ba_session_info info = only_session(store);
	char *reported = reported_kinds(&c), *stored = stored_kinds(store, info.id);
	CHECK_EQ_STR(reported, "session step ");
	CHECK_EQ_STR(stored, reported);
	free(reported);
	free(stored);

	o.store = store;
	o.session_id = info.id;
	ba_agent *a = h_agent(&o);
	size_t n = 0;
	const ba_llm_message *m = ba_agent_messages(a, &n);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_STR(m[0].text, "Tell me slowly.");
	ba_agent_result r;
	CHECK_EQ_INT(ba_agent_run(a, "Again?", &r), BA_AGENT_STOP_END);
	CHECK_EQ_STR(r.answer, "Here again.");
	ba_agent_result_release(&r);

	ba_agent_free(a);
	ba_store_close(store);
	ba_llm_config_free(config);
	h_events_release(&ev);
	ba_buf_release(&script);
	ba_buf_release(&sse);
	ba_buf_release(&c.seen);
	h_stop(&server);
}

/* Killed while the operator is being asked (who may take minutes): the
 * answer and the call were committed before asking. */
TEST_TIMEOUT(killed_while_the_operator_is_asked_keeps_the_call, 90)
{
	h_setup();
	const char *tools[] = {
	        make_tool("writer", noop_wasm, sizeof noop_wasm, "fs.write:/workspace")};
	ba_buf script, sse;
	ba_buf_init(&script, 1u << 20);
	ba_buf_init(&sse, 1u << 20);
	const char *calls[] = {"writer"};
	sse_calls(&sse, calls, 1);
	add_response(&script, &sse, 1, "");
	h_server server = h_fakellm(write_script(&script));
	ba_llm_config *config = h_config(BA_LLM_API_OPENAI, server.port);
	h_events ev;
	h_events_init(&ev);
	ba_agent_options o = h_options(config, BA_LLM_API_OPENAI, NULL, &ev);
	o.tool_manifests = tools;
	o.tool_count = 1;
	o.approve = child_ask;

	child c = start_run(o, "Write something.");
	wait_for(&c, "asking");
	kill_run(&c);
	ba_store *store = h_store();
	ba_session_info info = only_session(store);
	char *reported = reported_kinds(&c), *stored = stored_kinds(store, info.id);
	CHECK_EQ_STR(reported, "session step usage tool_call ");
	CHECK_EQ_STR(stored, reported);
	free(reported);
	free(stored);
	ba_llm_message *msgs = NULL;
	size_t count = 0;
	char err[512];
	CHECK_EQ_INT(ba_store_messages_load(store, info.id, &msgs, &count, err, sizeof err), 0);
	CHECK_EQ_UINT(count, 2);
	CHECK_EQ_STR(msgs[1].tool_calls[0].id, "call_writer");
	ba_store_messages_free(msgs, count);

	ba_store_close(store);
	ba_llm_config_free(config);
	h_events_release(&ev);
	ba_buf_release(&script);
	ba_buf_release(&sse);
	ba_buf_release(&c.seen);
	h_stop(&server);
}

/* ---------------------------------------------------- a failing store */

/* Deletes the run's session through another handle when an event of
 * type `on` is reported: the next batch the run writes then fails (the
 * foreign key has no session). Also records the run's done event. */
typedef struct saboteur {
	ba_agent_event_type on;
	ba_store *other;
	bool done;
	char done_stop[32];
	char done_message[1024];
} saboteur;

static void sabotage(void *user, const ba_agent_event *ev)
{
	saboteur *s = user;
	char err[512];
	if (ev->type == s->on && ev->session_id)
		CHECK_EQ_INT(ba_store_session_delete(s->other, ev->session_id, err, sizeof err), 0);
	if (ev->type == BA_AGENT_EV_DONE) {
		s->done = true;
		snprintf(s->done_stop, sizeof s->done_stop, "%s", ev->stop);
		snprintf(s->done_message, sizeof s->done_message, "%s", ev->message);
	}
}

static ba_agent_stop run_sabotaged(const char *const *calls, size_t ncalls, ba_agent_event_type on,
                                   ba_agent_result *r, saboteur *s)
{
	h_setup();
	const char *tools[] = {
	        make_tool("noop", noop_wasm, sizeof noop_wasm, "fs.read:/workspace")};
	ba_buf script, sse;
	ba_buf_init(&script, 1u << 20);
	ba_buf_init(&sse, 1u << 20);
	if (ncalls)
		sse_calls(&sse, calls, ncalls);
	else
		sse_text(&sse, "All done.");
	add_response(&script, &sse, 1, "");
	h_server server = h_fakellm(write_script(&script));
	ba_llm_config *config = h_config(BA_LLM_API_OPENAI, server.port);
	ba_store *store = h_store();
	memset(s, 0, sizeof *s);
	s->on = on;
	s->other = h_store();
	ba_agent_options o = h_options(config, BA_LLM_API_OPENAI, store, NULL);
	o.on_event = sabotage;
	o.event_user = s;
	o.tool_manifests = tools;
	o.tool_count = 1;
	ba_agent *a = h_agent(&o);
	ba_agent_stop stop = ba_agent_run(a, "Go.", r);
	ba_agent_free(a);
	ba_store_close(s->other);
	ba_store_close(store);
	ba_llm_config_free(config);
	ba_buf_release(&script);
	ba_buf_release(&sse);
	h_stop(&server);
	return stop;
}

/* The batch before the tool fails: the run ends as an error saying
 * why, and the tool never runs (nothing it did would be on record). */
TEST_TIMEOUT(store_failing_before_a_tool_ends_the_run_as_an_error, 60)
{
	const char *calls[] = {"noop"};
	saboteur s;
	ba_agent_result r;
	CHECK_EQ_INT(run_sabotaged(calls, 1, BA_AGENT_EV_TOOL_CALL, &r, &s), BA_AGENT_STOP_ERROR);
	CHECK_CONTAINS(r.message, "the session store failed");
	CHECK_CONTAINS(r.message, "no session");
	CHECK_EQ_UINT(r.stats.tool_ns, 0);
	CHECK(s.done);
	CHECK_EQ_STR(s.done_stop, "error");
	CHECK_EQ_STR(s.done_message, r.message);
	ba_agent_result_release(&r);
}

/* The last batch of a run that ended well fails: the run is an error
 * all the same - what it reported is not kept. */
TEST_TIMEOUT(store_failing_at_the_end_ends_the_run_as_an_error, 60)
{
	saboteur s;
	ba_agent_result r;
	CHECK_EQ_INT(run_sabotaged(NULL, 0, BA_AGENT_EV_USAGE, &r, &s), BA_AGENT_STOP_ERROR);
	CHECK_CONTAINS(r.message, "the session store failed");
	CHECK_CONTAINS(r.message, "no session");
	CHECK_EQ_STR(r.answer, "All done.");
	CHECK_EQ_STR(s.done_stop, "error");
	ba_agent_result_release(&r);
}
