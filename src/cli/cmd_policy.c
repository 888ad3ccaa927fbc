/*
 * cmd_policy.c - `boxagent policy`: the operator's standing decisions per
 * workspace ("tool T may, or may never, have capability C here"), kept in
 * the store under BOXAGENT_HOME where no tool can write (store.h). The
 * agent reads them before each tool call; "always" answers at the
 * approval prompt land here too.
 */
#include "cli/agent_cmds.h"
#include "cli/agent_ui.h"
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

const char ba_cli_policy_help[] =
        "usage: boxagent policy list [--workspace DIR] [--tool NAME] [--json]\n"
        "       boxagent policy allow --workspace DIR [--tool NAME] CAP\n"
        "       boxagent policy deny --workspace DIR [--tool NAME] CAP\n"
        "       boxagent policy remove --workspace DIR [--tool NAME] CAP\n"
        "\n"
        "Standing capability decisions for a workspace, used by 'boxagent run' and\n"
        "'chat' without asking: a tool gets a capability it declares when a --grant,\n"
        "the workspace itself (fs.read:/workspace) or an allow entry here covers\n"
        "it; a deny entry refuses it without asking. Entries live in\n"
        "$BOXAGENT_HOME/boxagent.db, outside every workspace, so no tool can\n"
        "change them. Answering \"always\" at the approval prompt adds an allow.\n"
        "\n"
        "list    the entries of one workspace, or of all: workspace, tool,\n"
        "        allow/deny, capability.\n"
        "allow   adds (or replaces) an allow entry.\n"
        "deny    adds (or replaces) a deny entry.\n"
        "remove  removes the entry for that workspace, tool and capability.\n"
        "\n"
        "Options:\n"
        "  --workspace DIR   the workspace folder (made absolute and canonical)\n"
        "  --tool NAME       the tool the entry is for (default *: every tool)\n"
        "  --json            list: one JSON object per entry and line\n"
        "CAP is a capability (docs/capabilities.md), e.g. fs.write:/workspace/out,\n"
        "network:GET:https://api.example.com, env:LANG.\n"
        "\n"
        "Exit status: 0 success, 1 remove found no such entry or the store failed,\n"
        "2 usage error (a capability that does not parse, a missing workspace).\n";

typedef struct policy_args {
	const char *workspace;
	const char *tool;
	const char *capability;
	bool json;
} policy_args;

static bool valid_tool(const char *s)
{
	if (strcmp(s, "*") == 0)
		return true;
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static int parse(int argc, char **argv, policy_args *p, bool want_cap)
{
	const char *value;

	memset(p, 0, sizeof *p);
	for (int i = 1; i < argc; i++) {
		int m;
		if (!want_cap && ba_cli_flag(argv[i], "json")) {
			p->json = true;
		} else if ((m = ba_cli_option(argc, argv, &i, "workspace", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			p->workspace = value;
		} else if ((m = ba_cli_option(argc, argv, &i, "tool", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			if (!valid_tool(value))
				return ba_cli_usage_error("--tool %s: a tool name is [a-z0-9_-], "
				                          "at most 64 characters, or *",
				                          value);
			p->tool = value;
		} else if (argv[i][0] == '-') {
			return ba_cli_usage_error(
			        "unknown option '%s' (see 'boxagent help policy')", argv[i]);
		} else if (want_cap && !p->capability) {
			p->capability = argv[i];
		} else {
			return ba_cli_usage_error("unexpected argument '%s'", argv[i]);
		}
	}
	if (want_cap && !p->workspace)
		return ba_cli_usage_error("policy %s needs --workspace DIR", argv[0]);
	if (want_cap && !p->capability)
		return ba_cli_usage_error("policy %s needs a capability, e.g. "
		                          "network:GET:https://api.example.com",
		                          argv[0]);
	return BA_EXIT_OK;
}

/* The workspace as the agent names it: canonical. A folder that is gone
 * can still have its entries listed and removed by its absolute path. */
static int canonical(const char *dir, bool must_exist, char *out, size_t len)
{
	char *real = realpath(dir, NULL);
	if (real) {
		struct stat st;
		bool ok = stat(real, &st) == 0 && S_ISDIR(st.st_mode);
		int w = snprintf(out, len, "%s", real);
		free(real);
		if (!ok)
			return ba_cli_usage_error("--workspace %s: %s", dir, strerror(ENOTDIR));
		if (w < 0 || (size_t)w >= len)
			return ba_cli_usage_error("--workspace %s: the path is too long", dir);
		return BA_EXIT_OK;
	}
	if (must_exist || dir[0] != '/')
		return ba_cli_usage_error("--workspace %s: %s", dir, strerror(errno));
	int w = snprintf(out, len, "%s", dir);
	if (w < 0 || (size_t)w >= len)
		return ba_cli_usage_error("--workspace %s: the path is too long", dir);
	return BA_EXIT_OK;
}

static int cmd_list(int argc, char **argv)
{
	policy_args p;
	char ws[BA_STORE_PATH_MAX];
	int status = parse(argc, argv, &p, false);

	if (status != BA_EXIT_OK)
		return status;
	if (p.workspace && (status = canonical(p.workspace, false, ws, sizeof ws)) != BA_EXIT_OK)
		return status;
	ba_store *store = ba_cli_open_store();
	if (!store)
		return BA_EXIT_FAILED;
	ba_policy_entry *entries = NULL;
	size_t count = 0;
	char err[1024] = "";
	if (ba_store_policy_list(store, p.workspace ? ws : NULL, p.tool, &entries, &count, err,
	                         sizeof err) != 0) {
		ba_cli_error("%s", err);
		ba_store_close(store);
		return BA_EXIT_FAILED;
	}
	if (!p.json && count == 0)
		fprintf(stderr, "no policy entries%s%s\n", p.workspace ? " for " : "",
		        p.workspace ? ws : "");
	else if (!p.json)
		printf("%-8s  %-16s  %-40s  %s\n", "DECISION", "TOOL", "CAPABILITY", "WORKSPACE");
	for (size_t i = 0; i < count; i++) {
		const ba_policy_entry *e = &entries[i];
		if (p.json) {
			json_t *o = json_object();
			json_object_set_new(o, "workspace", json_string(e->workspace));
			json_object_set_new(o, "tool", json_string(e->tool));
			json_object_set_new(o, "decision",
			                    json_string(e->allow ? "allow" : "deny"));
			json_object_set_new(o, "capability", json_string(e->capability));
			json_object_set_new(o, "created_ms", json_integer(e->created_ms));
			char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (text)
				puts(text);
			free(text);
			json_decref(o);
		} else {
			printf("%-8s  %-16s  %-40s  ", e->allow ? "allow" : "deny", e->tool,
			       e->capability);
			ba_cli_ui_put_safe(stdout, e->workspace, strlen(e->workspace),
			                   sizeof e->workspace, false);
			putchar('\n');
		}
	}
	free(entries);
	ba_store_close(store);
	return BA_EXIT_OK;
}

static int cmd_change(int argc, char **argv, int action)
{
	policy_args p;
	char ws[BA_STORE_PATH_MAX], err[1024] = "";
	int status = parse(argc, argv, &p, true);

	if (status != BA_EXIT_OK)
		return status;
	if ((status = canonical(p.workspace, action != 0, ws, sizeof ws)) != BA_EXIT_OK)
		return status;
	const char *tool = p.tool ? p.tool : "*";
	ba_store *store = ba_cli_open_store();
	if (!store)
		return BA_EXIT_FAILED;
	if (action != 0) {
		/* The store checks that the capability parses. */
		if (ba_store_policy_set(store, ws, tool, p.capability, action > 0, err,
		                        sizeof err) != 0) {
			status = ba_cli_usage_error("%s", err);
		} else {
			printf("%s %s to %s in %s\n", action > 0 ? "allowed" : "denied",
			       p.capability, strcmp(tool, "*") == 0 ? "every tool" : tool, ws);
		}
	} else {
		int r = ba_store_policy_remove(store, ws, tool, p.capability, err, sizeof err);
		if (r < 0) {
			ba_cli_error("%s", err);
			status = BA_EXIT_FAILED;
		} else if (r > 0) {
			ba_cli_error("no entry for %s, tool %s, in %s", p.capability, tool, ws);
			status = BA_EXIT_FAILED;
		} else {
			printf("removed %s for %s in %s\n", p.capability,
			       strcmp(tool, "*") == 0 ? "every tool" : tool, ws);
		}
	}
	ba_store_close(store);
	return status;
}

int ba_cli_cmd_policy(int argc, char **argv)
{
	if (argc < 2 || ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0) {
		fputs(ba_cli_policy_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? BA_EXIT_USAGE : BA_EXIT_OK;
	}
	for (int i = 2; i < argc; i++)
		if (ba_cli_flag(argv[i], "help")) {
			fputs(ba_cli_policy_help, stdout);
			return BA_EXIT_OK;
		}
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "allow") == 0)
		return cmd_change(argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "deny") == 0)
		return cmd_change(argc - 1, argv + 1, -1);
	if (strcmp(argv[1], "remove") == 0)
		return cmd_change(argc - 1, argv + 1, 0);
	return ba_cli_usage_error("unknown subcommand 'policy %s' (list, allow, deny or remove)",
	                          argv[1]);
}
