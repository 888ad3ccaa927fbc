/* Tests for src/store/policy.c: the workspace policy on a real SQLite
 * file in a temporary directory. */
#include "test.h"

#include "store_util.h"

static ba_store *setup(void)
{
	setup_dir("boxagent.db");
	return open_store();
}

static void set(ba_store *s, const char *ws, const char *tool, const char *cap, bool allow)
{
	char err[512] = "";
	if (ba_store_policy_set(s, ws, tool, cap, allow, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "policy_set(%s, %s, %s): %s", ws, tool, cap, err);
}

TEST(policy_set_list_order)
{
	ba_store *s = setup();
	ba_policy_entry *e = NULL;
	size_t n = 0;
	char err[512] = "";

	set(s, "/home/u/proj", "web_fetch", "network:https://api.example.com", true);
	set(s, "/home/u/proj", "read_file", "fs.read:/", true);
	set(s, "/home/u/proj", "*", "env:HOME", false);
	set(s, "/home/u/other", "web_fetch", "network:https://x.example", true);

	CHECK_EQ_INT(ba_store_policy_list(s, NULL, NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 4);
	CHECK_EQ_STR(e[0].workspace, "/home/u/other");
	CHECK_EQ_STR(e[1].workspace, "/home/u/proj");
	CHECK_EQ_STR(e[1].tool, "*");
	CHECK_EQ_STR(e[1].capability, "env:HOME");
	CHECK(!e[1].allow);
	CHECK_EQ_STR(e[2].tool, "read_file");
	CHECK_EQ_STR(e[3].tool, "web_fetch");
	CHECK(e[3].allow);
	CHECK(e[3].created_ms > 1600000000000);
	free(e);

	/* One workspace, one tool: "*" entries come along. */
	CHECK_EQ_INT(ba_store_policy_list(s, "/home/u/proj", "web_fetch", &e, &n, err, sizeof(err)),
	             0);
	CHECK_EQ_UINT(n, 2);
	CHECK_EQ_STR(e[0].tool, "*");
	CHECK_EQ_STR(e[1].tool, "web_fetch");
	free(e);
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, "read_file", &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 2);
	free(e);
	CHECK_EQ_INT(ba_store_policy_list(s, "/nowhere", NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 0);
	free(e);
	ba_store_close(s);
}

TEST(policy_replace_keeps_one_canonical_entry)
{
	ba_store *s = setup();
	ba_policy_entry *e = NULL;
	size_t n = 0;
	char err[512] = "";

	set(s, "/w", "web_fetch", "network:https://API.Example.com", true);
	/* The same capability spelled differently replaces it. */
	set(s, "/w", "web_fetch", "network:https://api.example.com:443", false);
	CHECK_EQ_INT(ba_store_policy_list(s, "/w", NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK(!e[0].allow);
	CHECK_CONTAINS(e[0].capability, "api.example.com");
	free(e);
	set(s, "/w", "web_fetch", "network:https://api.example.com", true);
	CHECK_EQ_INT(ba_store_policy_list(s, "/w", NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK(e[0].allow);
	free(e);
	ba_store_close(s);

	/* It survives reopening. */
	s = ba_store_open(db_path, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_EQ_INT(ba_store_policy_list(s, "/w", "web_fetch", &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK(e[0].allow);
	free(e);
	ba_store_close(s);
}

TEST(policy_remove)
{
	ba_store *s = setup();
	ba_policy_entry *e = NULL;
	size_t n = 0;
	char err[512] = "";

	set(s, "/w", "web_fetch", "network:https://api.example.com", true);
	set(s, "/w", "*", "env:LANG", true);
	CHECK_EQ_INT(ba_store_policy_remove(s, "/w", "web_fetch", "network:https://API.example.com",
	                                    err, sizeof(err)),
	             0);
	CHECK_EQ_INT(ba_store_policy_remove(s, "/w", "web_fetch", "network:https://api.example.com",
	                                    err, sizeof(err)),
	             1);
	CHECK_CONTAINS(err, "no policy entry");
	/* Another tool or workspace does not match. */
	CHECK_EQ_INT(ba_store_policy_remove(s, "/w", "other", "env:LANG", err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_policy_remove(s, "/v", "*", "env:LANG", err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_policy_remove(s, "/w", "*", "not a capability", err, sizeof(err)), 1);
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 1);
	CHECK_EQ_STR(e[0].capability, "env:LANG");
	free(e);
	CHECK_EQ_INT(ba_store_policy_remove(s, "/w", "*", "env:LANG", err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, 0);
	free(e);
	ba_store_close(s);
}

TEST(policy_refuses_bad_input)
{
	ba_store *s = setup();
	ba_policy_entry *e = NULL;
	size_t n = 0;
	char err[512] = "";
	static char long_ws[BA_STORE_PATH_MAX + 8];

	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "t", "fly:to-the-moon", true, err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "fly:to-the-moon");
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "t", "fs.read:relative", true, err, sizeof(err)),
	             -1);
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "t", NULL, true, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_policy_set(s, "relative/ws", "t", "env:A", true, err, sizeof(err)),
	             -1);
	CHECK_CONTAINS(err, "absolute");
	CHECK_EQ_INT(ba_store_policy_set(s, NULL, "t", "env:A", true, err, sizeof(err)), -1);
	memset(long_ws, 'a', sizeof(long_ws) - 1);
	long_ws[0] = '/';
	CHECK_EQ_INT(ba_store_policy_set(s, long_ws, "t", "env:A", true, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "Bad Tool", "env:A", true, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "not a tool name");
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "", "env:A", true, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "**", "env:A", true, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_policy_set(s, "/w", "t'; DELETE FROM policy; --", "env:A", true, err,
	                                 sizeof(err)),
	             -1);
	CHECK_EQ_INT(
	        ba_store_policy_set(s, "/w",
	                            "a2345678901234567890123456789012345678901234567890123456789"
	                            "012345",
	                            "env:A", true, err, sizeof(err)),
	        -1);
	CHECK_EQ_INT(ba_store_policy_list(s, "rel", NULL, &e, &n, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, "B A D", &e, &n, err, sizeof(err)), -1);
	/* Workspace paths are bound, not spliced: quotes are just bytes. */
	set(s, "/w/it's \"quoted\"; DROP TABLE policy", "t", "env:A", true);
	CHECK_EQ_INT(ba_store_policy_list(s, "/w/it's \"quoted\"; DROP TABLE policy", NULL, &e, &n,
	                                  err, sizeof(err)),
	             0);
	CHECK_EQ_UINT(n, 1);
	free(e);
	ba_store_close(s);
}

/* The list grows past its first allocation and holds exactly
 * BA_STORE_MAX_LIST entries; one more is refused rather than cut short
 * (a policy cut short could drop a deny). */
TEST_TIMEOUT(policy_list_grows_to_the_cap_and_no_further, 60)
{
	ba_store *s = setup();
	ba_policy_entry *e = NULL;
	size_t n = 0;
	char err[512] = "", sql[512];

	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d) "
	         "INSERT INTO policy (workspace, tool, capability, allow, created_ms) "
	         "SELECT '/w', 't', printf('env:V%%05d', i), i %% 2, 1 FROM k",
	         BA_STORE_MAX_LIST);
	raw_sql(db_path, sql, NULL, 0);
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, NULL, &e, &n, err, sizeof(err)), 0);
	CHECK_EQ_UINT(n, BA_STORE_MAX_LIST);
	CHECK_EQ_STR(e[0].capability, "env:V00001");
	CHECK_EQ_STR(e[BA_STORE_MAX_LIST - 1].capability, "env:V10000");
	CHECK(e[0].allow && !e[1].allow);
	free(e);
	set(s, "/w", "t", "env:W", true);
	e = NULL;
	CHECK_EQ_INT(ba_store_policy_list(s, NULL, NULL, &e, &n, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "more than 10000 policy entries");
	CHECK(e == NULL);
	CHECK_EQ_UINT(n, 0);
	ba_store_close(s);
}
