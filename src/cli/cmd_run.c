/*
 * cmd_run.c - `boxagent run` (one prompt) and `boxagent chat` (a prompt
 * per line): the agent loop on the terminal. Both share the options, the
 * set-up (configuration, model, tools, workspace, store, agent) and the
 * rendering in agent_ui.c.
 */
#include "cli/agent_cmds.h"
#include "cli/agent_ui.h"
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/parse.h"
#include "llm/llm.h"
#include "store/store.h"

#define PATH_LEN      4096
#define TOOL_PATH_MAX 64 /* entries of $BOXAGENT_TOOL_PATH looked at */
#define MAX_STEPS_CAP 100000

#define COMMON_OPTIONS_HELP                                                                 \
	"  --model M            provider/model: openai/gpt-4o-mini,\n"                      \
	"                       anthropic/claude-sonnet-4-5, ollama/llama3.2, ...\n"        \
	"                       (default: a resumed session's model, else\n"                \
	"                       $BOXAGENT_MODEL, the config's default_model, else\n"        \
	"                       the usual model of the first configured provider)\n"        \
	"  --workspace DIR      the folder tools see as /workspace; naming it lets\n"       \
	"                       every tool read it (writing needs a --grant)\n"             \
	"  --tool T             a tool: a tool.yaml, a folder holding one, or a name\n"     \
	"                       looked up in $BOXAGENT_TOOL_PATH (a colon list of\n"        \
	"                       folders holding NAME/tool.yaml), then in tools/NAME/\n"     \
	"                       next to the boxagent binary (repeatable; default:\n"        \
	"                       every tool there)\n"                                        \
	"  --grant CAP          grant a capability to every tool (repeatable), e.g.\n"      \
	"                       fs.write:/workspace, network:GET:https://api.example.com\n" \
	"  --max-steps N        model calls per run at most (default 20)\n"                 \
	"  --max-tokens N       input+output tokens per run at most\n"                      \
	"  --timeout D          wall time per run, e.g. 90s, 10m\n"                         \
	"  --max-cost USD       cost per run at most (needs prices in boxagent.yaml)\n"     \
	"  --session ID         continue session ID (or a unique prefix of it); its\n"      \
	"                       workspace is used unless given again\n"                     \
	"  --config FILE        configuration (default $BOXAGENT_CONFIG, else\n"            \
	"                       ~/.config/boxagent/boxagent.yaml when it exists)\n"         \
	"  --audit-log FILE     the audit log (default $BOXAGENT_HOME/audit.log)\n"         \
	"  --resolve HOST=ADDR  resolve HOST to ADDR for the tools (repeatable; the\n"      \
	"                       address is still classified: private stays refused)\n"      \
	"  --json               every event as one JSON line on stdout, nothing else\n"     \
	"\n"                                                                                \
	"A capability a tool declares that nothing grants is asked for on the\n"            \
	"terminal (allow once, always, or deny); without a terminal it is denied.\n"        \
	"Standing answers per workspace: 'boxagent policy'. Sessions are kept in\n"         \
	"$BOXAGENT_HOME/boxagent.db: 'boxagent sessions'.\n"                                \
	"\n"                                                                                \
	"Providers come from OPENAI_API_KEY (plus OPENAI_BASE_URL for a compatible\n"       \
	"server), ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL), OLLAMA_HOST, or\n"                \
	"boxagent.yaml (docs/providers.md).\n"

const char ba_cli_run_help[] =
        "usage: boxagent run [OPTIONS] PROMPT...\n"
        "       boxagent run [OPTIONS] -        (the prompt is read from stdin)\n"
        "\n"
        "Runs the agent on one prompt: the model answers, calling tools that run in\n"
        "the sandbox with the capabilities the operator grants. The answer streams to\n"
        "stdout; each tool call, capability decision and result goes to stderr as it\n"
        "happens, then one summary line (session, steps, tokens, cost, stop).\n"
        "\n"
        "Options:\n" COMMON_OPTIONS_HELP "\n"
        "Exit status: 0 answered, 1 the model or the store failed, 2 usage or\n"
        "configuration error (nothing ran), 4 a limit stopped the run (steps, tokens,\n"
        "time, cost), 130 cancelled (Ctrl-C once cancels, twice quits at once).\n";

const char ba_cli_chat_help[] =
        "usage: boxagent chat [OPTIONS]\n"
        "\n"
        "An interactive session: each line read is one turn of the same\n"
        "conversation, answered like 'boxagent run' answers its prompt. On a\n"
        "terminal the prompt is \"you> \"; piped lines are read as they come.\n"
        "  /session      print the session id (to resume it: --session ID)\n"
        "  /exit, /quit  end the chat (so does end of input)\n"
        "  /help         these commands\n"
        "Ctrl-C cancels the turn in progress; at the prompt it ends the chat.\n"
        "\n"
        "Options:\n" COMMON_OPTIONS_HELP "\n"
        "Exit status: that of the last turn as for 'boxagent run' (0 when it\n"
        "answered, or when there was none), 2 usage or configuration error, 130 when\n"
        "Ctrl-C ended the chat.\n";

typedef struct agent_cli {
	bool chat;
	/* options */
	const char *model, *workspace_arg, *session, *config_path, *audit_log;
	const char *tool_specs[BA_AGENT_MAX_TOOLS];
	size_t tool_spec_count;
	const char *grants[BA_AGENT_MAX_GRANTS];
	size_t grant_count;
	ba_egress_static_host hosts[BA_EGRESS_STATIC_HOSTS_MAX];
	size_t host_count;
	ba_agent_limits limits;
	bool json;
	char **words; /* the prompt's words (run); argc entries */
	int word_count;
	/* resolved */
	ba_llm_config *config;
	char model_name[BA_LLM_MODEL_MAX];
	char session_id[BA_SESSION_ID_MAX];
	char *tools[BA_AGENT_MAX_TOOLS]; /* manifest paths, owned */
	size_t tool_count;
	char *workspace; /* canonical, owned */
	ba_store *store;
	ba_agent *agent;
	ba_cli_ui ui;
} agent_cli;

static void agent_cli_release(agent_cli *a)
{
	ba_cli_signals_set_agent(NULL);
	ba_agent_free(a->agent);
	ba_store_close(a->store);
	ba_llm_config_free(a->config);
	for (size_t i = 0; i < a->tool_count; i++)
		free(a->tools[i]);
	free(a->workspace);
	ba_cli_ui_release(&a->ui);
}

/* ------------------------------------------------------------- options */

static const char *parse_positive(const char *text, uint64_t *out)
{
	const char *e = ba_parse_u64(text, out);
	if (!e && *out == 0)
		e = "must be more than zero";
	return e;
}

static const char *parse_usd(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end || errno || !isfinite(v) || v <= 0)
		return "expected an amount in USD above zero, e.g. 0.50";
	*out = v;
	return NULL;
}

/* --help anywhere before "--" (main.c handles it only alone): prints
 * help and says so. */
static bool wants_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (ba_cli_flag(argv[i], "help") || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return true;
		}
	return false;
}

static int parse_args(agent_cli *a, int argc, char **argv)
{
	const char *value = NULL;
	bool options_done = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *e = NULL;
		int m, status = BA_EXIT_OK;
		uint64_t n;

		if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->chat)
				return ba_cli_usage_error(
				        "chat reads its prompts from stdin; unexpected '%s'", arg);
			/* Options may follow the prompt's words; "--" ends them. */
			a->words[a->word_count++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (ba_cli_flag(arg, "json")) {
			a->json = true;
			continue;
		}
#define OPTION(name) ((m = ba_cli_option(argc, argv, &i, name, &value)) != 0)
		if (OPTION("model"))
			a->model = value;
		else if (OPTION("workspace"))
			a->workspace_arg = value;
		else if (OPTION("tool")) {
			if (m > 0 && a->tool_spec_count == BA_AGENT_MAX_TOOLS)
				status = ba_cli_usage_error("more than %d --tool options",
				                            BA_AGENT_MAX_TOOLS);
			else if (m > 0)
				a->tool_specs[a->tool_spec_count++] = value;
		} else if (OPTION("grant")) {
			if (m > 0 && a->grant_count == BA_AGENT_MAX_GRANTS)
				status = ba_cli_usage_error("more than %d --grant options",
				                            BA_AGENT_MAX_GRANTS);
			else if (m > 0)
				a->grants[a->grant_count++] = value;
		} else if (OPTION("max-steps")) {
			if (m > 0 && !(e = parse_positive(value, &n))) {
				if (n > MAX_STEPS_CAP)
					e = "too many (at most 100000)";
				else
					a->limits.max_steps = (unsigned)n;
			}
		} else if (OPTION("max-tokens")) {
			if (m > 0)
				e = parse_positive(value, &a->limits.max_tokens);
		} else if (OPTION("timeout")) {
			if (m > 0 && !(e = ba_parse_duration(value, &n))) {
				if (n == 0)
					e = "must be more than zero";
				else /* round up: 1 ns is not "no limit" */
					a->limits.max_wall_ms = (n + 999999) / 1000000;
			}
		} else if (OPTION("max-cost")) {
			if (m > 0)
				e = parse_usd(value, &a->limits.max_cost_usd);
		} else if (OPTION("session"))
			a->session = value;
		else if (OPTION("config"))
			a->config_path = value;
		else if (OPTION("audit-log"))
			a->audit_log = value;
		else if (OPTION("resolve")) {
			if (m > 0)
				status = ba_cli_parse_resolve(value, a->hosts, &a->host_count);
		} else {
			return ba_cli_usage_error("unknown option '%s' (see 'boxagent %s --help')",
			                          arg, a->chat ? "chat" : "run");
		}
#undef OPTION
		if (m < 0)
			return BA_EXIT_USAGE;
		if (e)
			return ba_cli_usage_error("%s %s: %s", arg, value, e);
		if (status != BA_EXIT_OK)
			return status;
	}
	return BA_EXIT_OK;
}

/* --------------------------------------------------------------- tools */

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of the running binary: `make tools` puts the core tools in
 * tools/ next to it. */
static int exe_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	out[n] = '\0';
	char *slash = strrchr(out, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/* A bare name ("read_file"), never a path in disguise. */
static bool is_tool_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static int add_tool(agent_cli *a, const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return ba_cli_usage_error("out of memory");
	a->tools[a->tool_count++] = copy;
	return BA_EXIT_OK;
}

static int resolve_tool(agent_cli *a, const char *spec, const char *bindir)
{
	char path[PATH_LEN];
	bool named = is_tool_name(spec) && !strstr(spec, ".yaml") && !strstr(spec, ".yml");

	if (named) {
		/* $BOXAGENT_TOOL_PATH first, so an operator's own tools can
		 * stand in for the core ones. */
		const char *list = getenv("BOXAGENT_TOOL_PATH");
		int entries = 0;
		while (list && *list && entries++ < TOOL_PATH_MAX) {
			size_t n = strcspn(list, ":");
			if (n > 0 && n < PATH_LEN - 80) {
				int w = snprintf(path, sizeof path, "%.*s/%s/tool.yaml", (int)n,
				                 list, spec);
				if (w > 0 && (size_t)w < sizeof path && is_file(path))
					return add_tool(a, path);
			}
			list += n;
			if (*list == ':')
				list++;
		}
		if (bindir) {
			int w = snprintf(path, sizeof path, "%s/tools/%s/tool.yaml", bindir, spec);
			if (w > 0 && (size_t)w < sizeof path && is_file(path))
				return add_tool(a, path);
		}
	}
	if (is_dir(spec)) {
		int w = snprintf(path, sizeof path, "%s/tool.yaml", spec);
		if (w > 0 && (size_t)w < sizeof path && is_file(path))
			return add_tool(a, path);
		return ba_cli_usage_error("--tool %s: the folder has no tool.yaml", spec);
	}
	if (is_file(spec))
		return add_tool(a, spec);
	if (named)
		return ba_cli_usage_error("--tool %s: no such tool (looked in $BOXAGENT_TOOL_PATH "
		                          "and %s/tools)",
		                          spec, bindir ? bindir : "the binary's folder");
	return ba_cli_usage_error("--tool %s: %s", spec, strerror(ENOENT));
}

static int only_dirs(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every tools/NAME/tool.yaml next to the binary, by name. */
static int default_tools(agent_cli *a, const char *bindir)
{
	char dir[PATH_LEN], path[PATH_LEN];
	struct dirent **names = NULL;
	int n;

	if (!bindir)
		return BA_EXIT_OK;
	int w = snprintf(dir, sizeof dir, "%s/tools", bindir);
	if (w < 0 || (size_t)w >= sizeof dir)
		return BA_EXIT_OK;
	n = scandir(dir, &names, only_dirs, alphasort);
	if (n < 0)
		n = 0;
	int status = BA_EXIT_OK;
	for (int i = 0; i < n; i++) {
		if (status == BA_EXIT_OK && a->tool_count < BA_AGENT_MAX_TOOLS) {
			w = snprintf(path, sizeof path, "%s/%s/tool.yaml", dir, names[i]->d_name);
			if (w > 0 && (size_t)w < sizeof path && is_file(path))
				status = add_tool(a, path);
		}
		free(names[i]);
	}
	free(names);
	if (status == BA_EXIT_OK && a->tool_count == 0)
		ba_cli_error("note: no tools in %s; the model can only answer (see --tool)", dir);
	return status;
}

/* -------------------------------------------------------------- set-up */

static int setup(agent_cli *a)
{
	char err[2048] = "", bindir_buf[PATH_LEN];
	const char *bindir = exe_dir(bindir_buf, sizeof bindir_buf) == 0 ? bindir_buf : NULL;
	const char *requested = a->model;
	ba_session_info *info = NULL;
	int status = BA_EXIT_OK;

	a->config = ba_llm_config_load(a->config_path, NULL, err, sizeof err);
	if (!a->config)
		return ba_cli_usage_error("%s", err);

	if (a->session) {
		/* Resuming: the session's model and workspace, unless given. */
		a->store = ba_cli_open_store();
		if (!a->store)
			return BA_EXIT_FAILED;
		info = calloc(1, sizeof *info);
		if (!info)
			return ba_cli_usage_error("out of memory");
		int r = ba_store_session_get(a->store, a->session, info, err, sizeof err);
		if (r != 0) {
			free(info);
			if (r > 0)
				return ba_cli_usage_error("--session %s: %s", a->session, err);
			ba_cli_error("%s", err);
			return BA_EXIT_FAILED;
		}
		snprintf(a->session_id, sizeof a->session_id, "%s", info->id);
		if ((!requested || !*requested) && info->model[0])
			requested = info->model;
	}
	if (ba_llm_resolve_model(a->config, requested, a->model_name, sizeof a->model_name, err,
	                         sizeof err) != 0) {
		free(info);
		return ba_cli_usage_error("%s", err);
	}

	/* Opened only now otherwise, so that a run refused for want of a
	 * provider - or for a workspace that holds the store - leaves no store
	 * behind (the agent checks the workspace again, with the store open). */
	if (!a->store && a->workspace_arg) {
		char store_path[BA_STORE_PATH_MAX];
		char *ws = realpath(a->workspace_arg, NULL); /* a bad path is reported below */
		bool refused = ws && ba_store_default_path(store_path, sizeof store_path) == 0 &&
		               ba_agent_check_workspace(ws, store_path, a->audit_log, err,
		                                        sizeof err) != 0;
		free(ws);
		if (refused) {
			free(info);
			return ba_cli_usage_error("%s", err);
		}
	}
	if (!a->store && !(a->store = ba_cli_open_store())) {
		free(info);
		return BA_EXIT_FAILED;
	}

	const char *ws = a->workspace_arg;
	if (!ws && info && info->workspace[0])
		ws = info->workspace;
	if (ws) {
		a->workspace = realpath(ws, NULL);
		if (!a->workspace || !is_dir(a->workspace))
			status = ba_cli_usage_error("--workspace %s: %s", ws,
			                            a->workspace ? strerror(ENOTDIR)
			                                         : strerror(errno));
		else if (!a->workspace_arg && !a->json)
			fprintf(stderr, "[session %s: workspace %s]\n", a->session_id,
			        a->workspace);
	}
	free(info);
	if (status != BA_EXIT_OK)
		return status;

	for (size_t i = 0; i < a->tool_spec_count && status == BA_EXIT_OK; i++)
		status = resolve_tool(a, a->tool_specs[i], bindir);
	if (status == BA_EXIT_OK && a->tool_spec_count == 0)
		status = default_tools(a, bindir);
	if (status != BA_EXIT_OK)
		return status;

	ba_cli_ui_init(&a->ui, a->json);
	ba_agent_options opt;
	memset(&opt, 0, sizeof opt);
	opt.llm = a->config;
	opt.model = a->model_name;
	opt.workspace = a->workspace;
	opt.tool_manifests = (const char *const *)a->tools;
	opt.tool_count = a->tool_count;
	opt.grants = a->grants;
	opt.grant_count = a->grant_count;
	opt.store = a->store;
	opt.session_id = a->session_id[0] ? a->session_id : NULL;
	opt.limits = a->limits;
	opt.audit_log = a->audit_log;
	opt.static_hosts = a->hosts;
	opt.static_host_count = a->host_count;
	if (ba_cli_ui_can_ask(&a->ui)) {
		opt.approve = ba_cli_ui_approve;
		opt.approve_user = &a->ui;
	}
	opt.on_event = ba_cli_ui_on_event;
	opt.event_user = &a->ui;
	a->agent = ba_agent_new(&opt, err, sizeof err);
	if (!a->agent)
		return ba_cli_usage_error("%s", err);
	return BA_EXIT_OK;
}

/* One turn: the prompt to its end, rendered; returns the exit status. */
static int turn(agent_cli *a, const char *prompt)
{
	ba_agent_result result;

	ba_cli_ui_begin_run(&a->ui);
	ba_cli_signals_set_agent(a->agent);
	ba_agent_run(a->agent, prompt, &result);
	ba_cli_signals_set_agent(NULL);
	ba_cli_ui_end_run(&a->ui, &result, ba_agent_session_id(a->agent));
	int status = ba_cli_ui_exit_status(result.stop);
	ba_agent_result_release(&result);
	return status;
}

/* ----------------------------------------------------------------- run */

static int read_prompt(agent_cli *a, char **out)
{
	*out = NULL;
	if (a->word_count == 1 && strcmp(a->words[0], "-") == 0) {
		uint8_t *data;
		size_t len;
		char err[512];
		if (ba_read_file("-", BA_AGENT_MAX_PROMPT, &data, &len, err, sizeof err) != 0)
			return ba_cli_usage_error("the prompt: %s", err);
		if (memchr(data, '\0', len)) {
			free(data);
			return ba_cli_usage_error("the prompt on stdin contains a NUL byte");
		}
		*out = (char *)data;
		return BA_EXIT_OK;
	}
	ba_buf b;
	ba_buf_init(&b, BA_AGENT_MAX_PROMPT);
	for (int i = 0; i < a->word_count; i++)
		if ((i && ba_buf_append(&b, " ", 1) != 0) ||
		    ba_buf_append_str(&b, a->words[i]) != 0) {
			ba_buf_release(&b);
			return ba_cli_usage_error("the prompt is over %u bytes",
			                          (unsigned)BA_AGENT_MAX_PROMPT);
		}
	*out = ba_buf_detach(&b, NULL);
	return *out ? BA_EXIT_OK : ba_cli_usage_error("out of memory");
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

int ba_cli_cmd_run(int argc, char **argv)
{
	if (wants_help(argc, argv, ba_cli_run_help))
		return BA_EXIT_OK;
	agent_cli *a = calloc(1, sizeof *a);
	char *prompt = NULL;
	int status;

	if (!a)
		return ba_cli_usage_error("out of memory");
	a->words = calloc((size_t)argc, sizeof *a->words);
	status = a->words ? parse_args(a, argc, argv) : ba_cli_usage_error("out of memory");
	if (status == BA_EXIT_OK && a->word_count == 0)
		status = ba_cli_usage_error("no prompt given (usage: boxagent run [OPTIONS] "
		                            "PROMPT, or - to read it from stdin)");
	if (status == BA_EXIT_OK)
		status = read_prompt(a, &prompt);
	if (status == BA_EXIT_OK && blank(prompt))
		status = ba_cli_usage_error("the prompt is empty");
	if (status == BA_EXIT_OK)
		status = setup(a);
	if (status == BA_EXIT_OK) {
		ba_cli_signals_install();
		status = turn(a, prompt);
	}
	free(prompt);
	free(a->words);
	agent_cli_release(a);
	free(a);
	return status;
}

/* ---------------------------------------------------------------- chat */

/* One line of input, at most BA_AGENT_MAX_PROMPT bytes (a longer line is
 * read to its end and refused). 1 a line, 0 end of input, -1 too long,
 * -2 interrupted. */
static int read_line(ba_buf *line)
{
	bool over = false;
	int c;

	ba_buf_reset(line);
	for (;;) {
		c = getc(stdin);
		if (c == EOF) {
			if (ferror(stdin) && errno == EINTR) {
				clearerr(stdin);
				return -2;
			}
			if (line->len == 0 && !over)
				return 0;
			break;
		}
		if (c == '\n')
			break;
		if (!over) {
			char ch = (char)c;
			if (ba_buf_append(line, &ch, 1) != 0)
				over = true;
		}
	}
	if (over)
		return -1;
	if (!line->data && ba_buf_append(line, "", 0) != 0)
		return -1;
	if (line->len && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0';
	return 1;
}

static void chat_say(const agent_cli *a, const char *text)
{
	/* With --json, stdout is for events only. */
	FILE *f = a->json ? stderr : stdout;
	fputs(text, f);
	fflush(f);
}

int ba_cli_cmd_chat(int argc, char **argv)
{
	if (wants_help(argc, argv, ba_cli_chat_help))
		return BA_EXIT_OK;
	agent_cli *a = calloc(1, sizeof *a);
	ba_buf line;
	int status, last = BA_EXIT_OK;

	if (!a)
		return ba_cli_usage_error("out of memory");
	a->chat = true;
	ba_buf_init(&line, BA_AGENT_MAX_PROMPT);
	status = parse_args(a, argc, argv);
	if (status == BA_EXIT_OK)
		status = setup(a);
	if (status != BA_EXIT_OK)
		goto out;

	bool interactive = isatty(STDIN_FILENO) == 1;
	ba_cli_signals_install();
	if (interactive)
		fprintf(stderr,
		        "boxagent chat with %s, %zu tool%s%s%s. /help for commands, /exit to "
		        "end.\n",
		        a->model_name, a->tool_count, a->tool_count == 1 ? "" : "s",
		        a->workspace ? ", workspace " : "", a->workspace ? a->workspace : "");
	for (;;) {
		ba_cli_signals_reset();
		if (interactive) {
			fputs("you> ", stderr);
			fflush(stderr);
		}
		int r = read_line(&line);
		if (r == 0) {
			if (interactive) /* Ctrl-D leaves the cursor after "you> " */
				fputc('\n', stderr);
			break;
		}
		if (r == -2 || ba_cli_signals_interrupted()) {
			if (interactive)
				fputc('\n', stderr);
			last = BA_EXIT_CANCELLED;
			break;
		}
		if (r == -1) {
			ba_cli_error("that line is over %u bytes; not sent",
			             (unsigned)BA_AGENT_MAX_PROMPT);
			continue;
		}
		const char *text = line.data;
		if (blank(text))
			continue;
		if (strcmp(text, "/exit") == 0 || strcmp(text, "/quit") == 0)
			break;
		if (strcmp(text, "/session") == 0) {
			const char *id = ba_agent_session_id(a->agent);
			chat_say(a, *id ? id : "(no session: nothing is stored)");
			chat_say(a, "\n");
			continue;
		}
		if (strcmp(text, "/help") == 0) {
			chat_say(a, "/session      print the session id\n"
			            "/exit, /quit  end the chat\n"
			            "Anything else is sent to the model.\n");
			continue;
		}
		last = turn(a, text);
	}
	const char *id = ba_agent_session_id(a->agent);
	if (interactive && *id)
		fprintf(stderr, "session %s (resume with: boxagent chat --session %s)\n", id, id);
	status = last;
out:
	ba_buf_release(&line);
	agent_cli_release(a);
	free(a);
	return status;
}
