/*
 * agent_harness.h - what the agent tests share: a temporary world with a
 * workspace, BOXAGENT_HOME (store and audit log) and a fakellm log folder;
 * fakellm started on a scenario script; a provider configuration pointing
 * at it; the core tools from $BUILD/tools; and a recorder of events.
 *
 * Included by tests/unit/agent_*_test.c only (static functions).
 */
#ifndef BA_TESTS_AGENT_HARNESS_H
#define BA_TESTS_AGENT_HARNESS_H

#include "test.h"

#include "agent/agent.h"
#include "core/buf.h"
#include "store/store.h"
#include "support/server.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The key the test provider uses; checked never to reach any file. */
#define H_KEY "sk-agent-test-7f3a9c"

static struct {
	char dir[128];
	char ws[192];    /* the workspace                  */
	char home[192];  /* BOXAGENT_HOME                  */
	char log[192];   /* fakellm --log folder           */
	char db[256];    /* home/boxagent.db               */
	char audit[256]; /* home/audit.log                 */
} H;

static int h_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void h_cleanup(void)
{
	if (H.dir[0])
		nftw(H.dir, h_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void h_mkdir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		ba_test_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
}

/* A fresh world, removed at exit. BOXAGENT_HOME points into it, so no
 * default path ever reaches the real home. */
static void h_setup(void)
{
	snprintf(H.dir, sizeof H.dir, "/tmp/ba-agent-test-XXXXXX");
	CHECK(mkdtemp(H.dir) != NULL);
	atexit(h_cleanup);
	snprintf(H.ws, sizeof H.ws, "%s/ws", H.dir);
	snprintf(H.home, sizeof H.home, "%s/home", H.dir);
	snprintf(H.log, sizeof H.log, "%s/log", H.dir);
	snprintf(H.db, sizeof H.db, "%s/boxagent.db", H.home);
	snprintf(H.audit, sizeof H.audit, "%s/audit.log", H.home);
	h_mkdir(H.ws);
	h_mkdir(H.home);
	CHECK(setenv("BOXAGENT_HOME", H.home, 1) == 0);
}

static void h_write(const char *path, const char *content)
{
	ba_test_write_file(path, content, strlen(content));
}

static void h_write_ws(const char *name, const char *content)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", H.ws, name);
	h_write(path, content);
}

/* The whole file (NUL-terminated; *len its length), or NULL if missing. */
static char *h_read(const char *path, size_t *len)
{
	return ba_test_read_file(path, len);
}

/* Does the file at path contain needle (bytes, not only text)? */
static bool h_file_contains(const char *path, const char *needle)
{
	size_t len = 0;
	char *data = h_read(path, &len);
	if (!data)
		return false;
	bool found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/* BUILD/tools/NAME/tool.yaml, which `make tools` builds. */
static const char *h_tool(const char *name)
{
	static char paths[16][2048];
	static unsigned next;
	char *p = paths[next++ % 16];
	snprintf(p, 2048, "%.1500s/tools/%.200s/tool.yaml", ba_test_own_build_dir(), name);
	if (access(p, R_OK) != 0)
		ba_test_fail(__FILE__, __LINE__, "%s is missing: run make BUILD=%s tools", p,
		             ba_test_own_build_dir());
	return p;
}

/* tests/fixtures/llm/scenarios/NAME, found from this source file. */
static const char *h_scenario(const char *name)
{
	static char paths[8][2048];
	static unsigned next;
	char *p = paths[next++ % 8];
	char here[1024];
	snprintf(here, sizeof here, "%s", __FILE__);
	char *slash = strrchr(here, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(here, sizeof here, ".");
	snprintf(p, 2048, "%.1000s/../fixtures/llm/scenarios/%.900s", here, name);
	if (access(p, R_OK) != 0)
		ba_test_fail(__FILE__, __LINE__,
		             "scenario %s is missing (run from the source tree)", p);
	return p;
}

/* ------------------------------------------------------------ fakellm */

typedef ba_test_server h_server;

/* Starts fakellm on script (a path) with --log H.log, emptied first. */
static h_server h_fakellm(const char *script)
{
	const char *args[] = {script, "--log", H.log, NULL};

	nftw(H.log, h_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ba_test_server_start("fakellm", args);
}

/* Stops it; one that does not end within seconds is killed, silently
 * (what a case checks is what the agent did, not how fakellm exits). */
static void h_stop(h_server *s)
{
	ba_test_server_stop(s);
}

/* Request n (1-based) as fakellm logged it; NULL when there was none. */
static char *h_request(int n)
{
	return ba_test_fakellm_request(H.log, n, NULL);
}

static int h_request_count(void)
{
	return ba_test_fakellm_request_count(H.log);
}

/* A provider configuration pointing at the fake server: "openai" or
 * "anthropic" with the test key, no retries, short timeouts. */
static ba_llm_config *h_config(ba_llm_api api, unsigned port)
{
	ba_llm_config *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	ba_llm_provider *p = &c->providers[c->provider_count++];
	snprintf(p->name, sizeof p->name, "%s", api == BA_LLM_API_OPENAI ? "openai" : "anthropic");
	p->api = api;
	if (api == BA_LLM_API_OPENAI)
		snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%u/v1", port);
	else
		snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%u", port);
	p->api_key = strdup(H_KEY);
	CHECK(p->api_key != NULL);
	snprintf(p->key_source, sizeof p->key_source, "%s",
	         api == BA_LLM_API_OPENAI ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY");
	p->key_required = true;
	p->connect_timeout_ms = 5000;
	p->idle_timeout_ms = 20000;
	p->request_timeout_ms = 60000;
	p->max_retries = 0;
	p->retry_base_ms = 1;
	p->retry_max_ms = 10;
	return c;
}

static const char *h_model(ba_llm_api api)
{
	return api == BA_LLM_API_OPENAI ? "openai/gpt-4o-mini" : "anthropic/claude-sonnet-4-5";
}

/* ------------------------------------------------------------- events */

typedef struct h_events {
	ba_buf json;              /* every event's JSON, one per line   */
	ba_buf text;              /* the streamed text, concatenated    */
	unsigned count[16];       /* per type                           */
	ba_agent *cancel_on_text; /* cancels at the first text event */
} h_events;

static void h_events_init(h_events *e)
{
	memset(e, 0, sizeof *e);
	ba_buf_init(&e->json, 64u << 20);
	ba_buf_init(&e->text, 16u << 20);
}

static void h_events_release(h_events *e)
{
	ba_buf_release(&e->json);
	ba_buf_release(&e->text);
}

static void h_on_event(void *user, const ba_agent_event *ev)
{
	h_events *e = user;
	CHECK((unsigned)ev->type < 16);
	e->count[ev->type]++;
	CHECK(ba_agent_event_json(ev, &e->json) == 0);
	CHECK(ba_buf_append(&e->json, "\n", 1) == 0);
	if (ev->type == BA_AGENT_EV_TEXT) {
		CHECK(ba_buf_append(&e->text, ev->text, ev->text_len) == 0);
		if (e->cancel_on_text)
			ba_agent_cancel(e->cancel_on_text);
	}
}

/* Options with the usual test wiring: the world's workspace, the store
 * (may be NULL), the audit log in the world, the event recorder. */
static ba_agent_options h_options(const ba_llm_config *c, ba_llm_api api, ba_store *store,
                                  h_events *ev)
{
	ba_agent_options o = {0};
	o.llm = c;
	o.model = h_model(api);
	o.workspace = H.ws;
	o.store = store;
	o.audit_log = H.audit;
	o.on_event = h_on_event;
	o.event_user = ev;
	return o;
}

static ba_agent *h_agent(const ba_agent_options *o)
{
	char err[2048] = "";
	ba_agent *a = ba_agent_new(o, err, sizeof err);
	if (!a)
		ba_test_fail(__FILE__, __LINE__, "ba_agent_new: %s", err);
	return a;
}

static ba_store *h_store(void)
{
	char err[1024] = "";
	ba_store *s = ba_store_open(H.db, err, sizeof err);
	if (!s)
		ba_test_fail(__FILE__, __LINE__, "ba_store_open: %s", err);
	return s;
}

#endif /* BA_TESTS_AGENT_HARNESS_H */
