/*
 * cli.h - shared pieces of the boxagent command line.
 *
 * Commands are declared in one table (main.c); each gets argv with argv[0]
 * set to its own name, and returns the process exit status. Only code in
 * src/cli/ may exit the process, and it does so only by returning from
 * main().
 */
#ifndef BA_CLI_H
#define BA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses, documented in docs/cli.md. */
enum {
	BA_EXIT_OK = 0,
	BA_EXIT_FAILED = 1, /* the program or tool ran and reported failure */
	BA_EXIT_USAGE = 2,  /* bad command line, unreadable or invalid input */
	BA_EXIT_TRAP = 3,   /* the guest trapped                            */
	BA_EXIT_LIMIT = 4   /* a resource limit stopped the guest           */
};

struct ba_cli_command {
	const char *name;
	const char *summary; /* one line for `boxagent --help`              */
	const char *help;    /* the full text for `boxagent help NAME`      */
	int (*run)(int argc, char **argv);
	bool has_subcommands; /* then the command answers --help itself      */
};

/* Prints "boxagent: MESSAGE" to stderr; returns BA_EXIT_USAGE. */
int ba_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "boxagent: MESSAGE" to stderr. */
void ba_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Option scanning shared by commands: matches argv[*i] against --NAME or
 * --NAME=VALUE. For options with a value, *value is set and *i advanced
 * past a separate value argument. Returns 1 on a match, 0 on no match and
 * -1 (after printing an error) when the value is missing.
 */
int ba_cli_option(int argc, char **argv, int *i, const char *name, const char **value);
bool ba_cli_flag(const char *arg, const char *name);

/*
 * A --resolve HOST=ADDRESS value (tool run, run, chat; cli_util.c): adds
 * it as hosts[*count] (hosts has BA_EGRESS_STATIC_HOSTS_MAX entries) and
 * increments *count. HOST is kept lower-case; ADDRESS must be an IPv4 or
 * IPv6 address. Returns BA_EXIT_OK, or BA_EXIT_USAGE after printing why.
 */
struct ba_egress_static_host;
int ba_cli_parse_resolve(const char *text, struct ba_egress_static_host *hosts, size_t *count);

/* The wasm command (cmd_wasm.c). */
int ba_cli_cmd_wasm(int argc, char **argv);
extern const char ba_cli_wasm_help[];

/* The tool command (cmd_tool.c). */
int ba_cli_cmd_tool(int argc, char **argv);
extern const char ba_cli_tool_help[];

/* The audit command (cmd_audit.c). */
int ba_cli_cmd_audit(int argc, char **argv);
extern const char ba_cli_audit_help[];

#endif /* BA_CLI_H */
