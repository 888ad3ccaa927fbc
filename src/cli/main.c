/*
 * main.c - the boxagent command: a table of subcommands, git-style.
 *
 *   boxagent --help | --version
 *   boxagent help [COMMAND]
 *   boxagent COMMAND [--help] ...
 *
 * Adding a command: write its run function and help text (one file per
 * command, cmd_NAME.c), then add one row to the table below. Commands are
 * listed only once they work.
 */
#include "cli/cli.h"
#include "cli/agent_cmds.h"

#include "core/version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const char help_help[] = "usage: boxagent help [COMMAND]\n"
                                "\n"
                                "Shows the list of commands, or the full help of one command.\n";

static const char version_help[] = "usage: boxagent version\n"
                                   "\n"
                                   "Prints the version of boxagent.\n";

static const struct ba_cli_command commands[] = {
        {"wasm", "Validate and run WebAssembly modules under hard limits", ba_cli_wasm_help,
         ba_cli_cmd_wasm, true},
        {"tool", "Run a tool in the sandbox, or inspect what it declares", ba_cli_tool_help,
         ba_cli_cmd_tool, true},
        {"audit", "List and verify the audit log of capability decisions", ba_cli_audit_help,
         ba_cli_cmd_audit, true},
        {"run", "Run the agent on one prompt, streaming its answer and tool calls", ba_cli_run_help,
         ba_cli_cmd_run, false},
        {"chat", "Talk with the agent: one prompt per line, one session", ba_cli_chat_help,
         ba_cli_cmd_chat, false},
        {"sessions", "List, show and delete stored agent sessions", ba_cli_sessions_help,
         ba_cli_cmd_sessions, true},
        {"policy", "Standing capability grants and denials per workspace", ba_cli_policy_help,
         ba_cli_cmd_policy, true},
        {"help", "Show help for boxagent or one of its commands", help_help, cmd_help, false},
        {"version", "Print the version", version_help, cmd_version, false},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct ba_cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

__attribute__((format(printf, 1, 0))) static void verror(const char *fmt, va_list ap)
{
	fputs("boxagent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ba_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

int ba_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	return BA_EXIT_USAGE;
}

bool ba_cli_flag(const char *arg, const char *name)
{
	return arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, name) == 0;
}

int ba_cli_option(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (arg[0] != '-' || arg[1] != '-' || strncmp(arg + 2, name, n) != 0)
		return 0;
	if (arg[2 + n] == '=') {
		*value = arg + 3 + n;
		return 1;
	}
	if (arg[2 + n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		ba_cli_error("option --%s needs a value", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

static void print_overview(FILE *out)
{
	fputs("usage: boxagent [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "boxagent runs AI-agent tools as WebAssembly modules in a sandbox that\n"
	      "grants each tool only the capabilities it was given.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'boxagent help COMMAND' or 'boxagent COMMAND --help' for details.\n", out);
}

static int cmd_help(int argc, char **argv)
{
	const struct ba_cli_command *cmd;

	if (argc == 1) {
		print_overview(stdout);
		return BA_EXIT_OK;
	}
	if (argc > 3)
		return ba_cli_usage_error("usage: boxagent help [COMMAND [SUBCOMMAND]]");
	cmd = find_command(argv[1]);
	if (!cmd)
		return ba_cli_usage_error("no command named '%s' (see 'boxagent --help')", argv[1]);
	if (argc > 2) {
		if (!cmd->has_subcommands)
			return ba_cli_usage_error("'%s' has no subcommands", cmd->name);
		/* "help wasm run" is "wasm run --help". */
		static char help_flag[] = "--help";
		char *sub_argv[] = {argv[1], argv[2], help_flag, NULL};
		return cmd->run(3, sub_argv);
	}
	fputs(cmd->help, stdout);
	return BA_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return ba_cli_usage_error("version takes no arguments");
	printf("boxagent %s\n", BA_VERSION);
	return BA_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct ba_cli_command *cmd;

	if (argc < 2) {
		print_overview(stderr);
		return BA_EXIT_USAGE;
	}
	if (ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0) {
		print_overview(stdout);
		return BA_EXIT_OK;
	}
	if (ba_cli_flag(argv[1], "version"))
		return cmd_version(1, argv);
	if (argv[1][0] == '-')
		return ba_cli_usage_error("unknown option '%s' (see 'boxagent --help')", argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return ba_cli_usage_error("unknown command '%s' (see 'boxagent --help')", argv[1]);
	/* COMMAND --help works for every command with no subcommands; commands
	 * with subcommands handle it themselves. */
	if (argc == 3 && (ba_cli_flag(argv[2], "help") || strcmp(argv[2], "-h") == 0) &&
	    !cmd->has_subcommands) {
		fputs(cmd->help, stdout);
		return BA_EXIT_OK;
	}
	return cmd->run(argc - 1, argv + 1);
}
