/*
 * Tests of the agent's capability decisions (src/agent/grants.c): which
 * declared capabilities a tool call gets, from the operator's grants, the
 * workspace, the workspace policy in a real store and the approval
 * callback - and what the runner is then handed.
 */
#include "test.h"

#include "agent/internal.h"
#include "store/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[128], db[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/ba-agent-grants-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	atexit(cleanup);
	snprintf(db, sizeof db, "%s/boxagent.db", dir);
}

static ba_manifest *manifest(const char *name, const char *permissions)
{
	char text[4096], err[1024];
	snprintf(text, sizeof text,
	         "tool:\n  name: %s\n  version: 1.0.0\n  description: test\n  module: x.wasm\n"
	         "  permissions: %s\n",
	         name, permissions);
	ba_manifest *m = ba_manifest_parse(text, strlen(text), "tool.yaml", dir, err, sizeof err);
	if (!m)
		ba_test_fail(__FILE__, __LINE__, "manifest: %s", err);
	return m;
}

static ba_store *open_store(void)
{
	char err[1024];
	ba_store *s = ba_store_open(db, err, sizeof err);
	if (!s)
		ba_test_fail(__FILE__, __LINE__, "store: %s", err);
	return s;
}

typedef struct asker {
	unsigned asked;
	char last[1024];
	ba_agent_approval answer;
	unsigned sleep_ms;
} asker;

static ba_agent_approval ask(void *user, const char *tool, const char *capability)
{
	asker *k = user;
	(void)tool;
	k->asked++;
	snprintf(k->last, sizeof k->last, "%s", capability);
	if (k->sleep_ms)
		usleep(k->sleep_ms * 1000);
	return k->answer;
}

typedef struct fixture {
	ba_agent_grants g;
	ba_agent_decision d[BA_CAPSET_MAX];
	ba_capset *eff;
	asker k;
} fixture;

static void fixture_init(fixture *f, const char *const *grants, size_t n, bool workspace)
{
	memset(f, 0, sizeof *f);
	char err[1024];
	if (ba_agent__grants_init(&f->g, grants, n, workspace, err, sizeof err) != 0)
		ba_test_fail(__FILE__, __LINE__, "grants_init: %s", err);
	f->eff = ba_capset_new();
	CHECK(f->eff != NULL);
}

static void fixture_release(fixture *f)
{
	ba_agent__grants_release(&f->g);
	ba_capset_free(f->eff);
}

static void decide(fixture *f, const ba_manifest *m)
{
	char err[1024];
	if (ba_agent__grants_decide(&f->g, m, f->d, f->eff, NULL, err, sizeof err) != 0)
		ba_test_fail(__FILE__, __LINE__, "decide: %s", err);
}

/* The effective set as "a b c". */
static const char *eff_text(const fixture *f)
{
	static char out[8192];
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < f->eff->count; i++)
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "",
		                      f->eff->caps[i].text);
	return out;
}

TEST(narrower_grant_covers_and_narrows)
{
	fixture f;
	const char *grants[] = {"network:https://docs.python.org"};
	fixture_init(&f, grants, 1, false);
	ba_manifest *m = manifest("web_fetch", "[\"network:GET:https://*\", \"env:LANG\"]");
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	decide(&f, m);
	CHECK(f.d[0].allowed);
	CHECK_EQ_STR(f.d[0].source, "grant");
	/* env:LANG is asked for (the prompt answers deny). */
	CHECK(!f.d[1].allowed);
	CHECK_EQ_STR(f.d[1].source, "denied-by-operator");
	CHECK_EQ_UINT(f.k.asked, 1);
	CHECK_EQ_STR(f.k.last, "env:LANG");
	CHECK_EQ_STR(eff_text(&f), "network:GET:https://docs.python.org:443");
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(workspace_read_does_not_cover_write)
{
	fixture f;
	fixture_init(&f, NULL, 0, true);
	ba_manifest *m =
	        manifest("editor", "[\"fs.read:/workspace\", \"fs.write:/workspace/out\"]");
	decide(&f, m);
	CHECK(f.d[0].allowed);
	CHECK_EQ_STR(f.d[0].source, "workspace");
	CHECK(!f.d[1].allowed);
	CHECK_EQ_STR(f.d[1].source, "no-terminal");
	/* The weaker part still applies: reading out/ comes with the
	 * workspace. */
	CHECK_EQ_STR(eff_text(&f), "fs.read:/workspace fs.read:/workspace/out");
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(write_grant_absorbs_the_implied_read)
{
	fixture f;
	const char *grants[] = {"fs.write:/workspace"};
	fixture_init(&f, grants, 1, true);
	ba_manifest *m = manifest("write_file", "[\"fs.write:/workspace\"]");
	decide(&f, m);
	CHECK(f.d[0].allowed);
	CHECK_EQ_STR(f.d[0].source, "grant");
	CHECK_EQ_STR(eff_text(&f), "fs.write:/workspace");
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(nothing_declared_nothing_granted)
{
	fixture f;
	const char *grants[] = {"network:https://*", "fs.write:/"};
	fixture_init(&f, grants, 2, true);
	ba_manifest *m = manifest("pure", "[]");
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	decide(&f, m);
	CHECK_EQ_UINT(f.eff->count, 0);
	CHECK_EQ_UINT(f.k.asked, 0);
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(policy_allow_deny_and_star)
{
	setup();
	ba_store *s = open_store();
	char err[1024];
	const char *ws = "/srv/project";
	CHECK_EQ_INT(ba_store_policy_set(s, ws, "*", "network:https://api.example.com", true, err,
	                                 sizeof err),
	             0);
	CHECK_EQ_INT(ba_store_policy_set(s, ws, "web_fetch", "env:HOME", false, err, sizeof err),
	             0);
	CHECK_EQ_INT(ba_store_policy_set(s, ws, "*", "env:HOME", true, err, sizeof err), 0);
	/* Another workspace's entries do not count here. */
	CHECK_EQ_INT(ba_store_policy_set(s, "/elsewhere", "*", "env:LANG", true, err, sizeof err),
	             0);

	fixture f;
	fixture_init(&f, NULL, 0, true);
	f.g.store = s;
	f.g.workspace = ws;
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	f.k.answer = BA_AGENT_ALLOW_ALWAYS;
	ba_manifest *m =
	        manifest("web_fetch", "[\"network:GET:https://*\", \"env:HOME\", \"env:LANG\"]");
	decide(&f, m);
	CHECK(f.d[0].allowed);
	CHECK_EQ_STR(f.d[0].source, "policy");
	CHECK(!f.d[1].allowed); /* deny beats the "*" allow */
	CHECK_EQ_STR(f.d[1].source, "policy-deny");
	CHECK(f.d[2].allowed); /* asked: env:LANG is only allowed elsewhere */
	CHECK_EQ_STR(f.d[2].source, "approved-always");
	CHECK_EQ_UINT(f.k.asked, 1);
	CHECK_EQ_STR(eff_text(&f), "network:GET:https://api.example.com:443 env:LANG");

	/* "always" was saved: the next decision reads it from the policy. */
	ba_policy_entry *entries = NULL;
	size_t n = 0;
	CHECK_EQ_INT(ba_store_policy_list(s, ws, "web_fetch", &entries, &n, err, sizeof err), 0);
	bool saved = false;
	for (size_t i = 0; i < n; i++)
		saved = saved ||
		        (strcmp(entries[i].tool, "web_fetch") == 0 &&
		         strcmp(entries[i].capability, "env:LANG") == 0 && entries[i].allow);
	CHECK(saved);
	free(entries);
	decide(&f, m);
	CHECK_EQ_STR(f.d[2].source, "policy");
	CHECK_EQ_UINT(f.k.asked, 1);

	/* A policy deny does not take back an explicit --grant. */
	fixture g;
	const char *grants[] = {"env:HOME"};
	fixture_init(&g, grants, 1, true);
	g.g.store = s;
	g.g.workspace = ws;
	decide(&g, m);
	CHECK(g.d[1].allowed);
	CHECK_EQ_STR(g.d[1].source, "grant");
	fixture_release(&g);

	ba_manifest_free(m);
	fixture_release(&f);
	ba_store_close(s);
}

TEST(answers_are_remembered_for_the_agent)
{
	fixture f;
	fixture_init(&f, NULL, 0, false);
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	ba_manifest *a = manifest("tool_a", "[\"env:A\"]");
	ba_manifest *b = manifest("tool_b", "[\"env:A\"]");

	f.k.answer = BA_AGENT_DENY;
	decide(&f, a);
	decide(&f, a);
	CHECK_EQ_UINT(f.k.asked, 1);
	CHECK_EQ_STR(f.d[0].source, "denied-by-operator");
	/* Per tool: another tool with the same capability is asked. */
	f.k.answer = BA_AGENT_ALLOW_ALWAYS;
	decide(&f, b);
	CHECK_EQ_UINT(f.k.asked, 2);
	CHECK(f.d[0].allowed);
	/* Without a store, "always" lasts for the agent. */
	decide(&f, b);
	CHECK_EQ_UINT(f.k.asked, 2);
	CHECK_EQ_STR(f.d[0].source, "approved-always");
	CHECK_EQ_STR(eff_text(&f), "env:A");

	f.k.answer = BA_AGENT_ALLOW_ONCE;
	ba_manifest *c = manifest("tool_c", "[\"env:C\"]");
	decide(&f, c);
	decide(&f, c);
	CHECK_EQ_UINT(f.k.asked, 4);
	CHECK_EQ_STR(f.d[0].source, "approved-once");
	ba_manifest_free(a);
	ba_manifest_free(b);
	ba_manifest_free(c);
	fixture_release(&f);
}

TEST(time_spent_asking_is_counted)
{
	fixture f;
	fixture_init(&f, NULL, 0, false);
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	f.k.sleep_ms = 30;
	ba_manifest *m = manifest("t", "[\"env:A\", \"env:B\"]");
	decide(&f, m);
	CHECK(f.g.approval_ns >= 60ull * 1000000u);
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(a_cancelled_run_asks_nothing)
{
	fixture f;
	fixture_init(&f, NULL, 0, false);
	f.g.approve = ask;
	f.g.approve_user = &f.k;
	f.k.answer = BA_AGENT_ALLOW_ONCE;
	ba_manifest *m = manifest("t", "[\"env:A\"]");
	atomic_bool cancel;
	atomic_init(&cancel, true);
	char err[256];
	CHECK_EQ_INT(ba_agent__grants_decide(&f.g, m, f.d, f.eff, &cancel, err, sizeof err), 0);
	CHECK_EQ_UINT(f.k.asked, 0);
	CHECK(!f.d[0].allowed);
	CHECK_EQ_STR(f.d[0].source, "cancelled");
	CHECK_EQ_UINT(f.eff->count, 0);
	ba_manifest_free(m);
	fixture_release(&f);
}

TEST(grant_strings_are_checked)
{
	ba_agent_grants g;
	memset(&g, 0, sizeof g);
	char err[1024];
	const char *bad[] = {"env:HOME", "shell:bash"};
	CHECK_EQ_INT(ba_agent__grants_init(&g, bad, 2, false, err, sizeof err), -1);
	CHECK_CONTAINS(err, "shell:bash");
	ba_agent__grants_release(&g);

	memset(&g, 0, sizeof g);
	const char *many[BA_AGENT_MAX_GRANTS + 1];
	for (size_t i = 0; i <= BA_AGENT_MAX_GRANTS; i++)
		many[i] = "env:HOME";
	CHECK_EQ_INT(
	        ba_agent__grants_init(&g, many, BA_AGENT_MAX_GRANTS + 1, false, err, sizeof err),
	        -1);
	CHECK_CONTAINS(err, "more than");
	ba_agent__grants_release(&g);
}
