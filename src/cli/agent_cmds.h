/*
 * agent_cmds.h - the agent commands of the boxagent command line: run,
 * chat, sessions and policy (docs/cli.md). Each follows cli.h: argv[0] is
 * the command's own name and the return value is the exit status.
 */
#ifndef BA_CLI_AGENT_CMDS_H
#define BA_CLI_AGENT_CMDS_H

/* Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells say). */
#define BA_EXIT_CANCELLED 130

/* `boxagent run` (cmd_run.c): one prompt, streamed. */
int ba_cli_cmd_run(int argc, char **argv);
extern const char ba_cli_run_help[];

/* `boxagent chat` (cmd_run.c): an interactive session. */
int ba_cli_cmd_chat(int argc, char **argv);
extern const char ba_cli_chat_help[];

/* `boxagent sessions` (cmd_sessions.c): list, show, delete. */
int ba_cli_cmd_sessions(int argc, char **argv);
extern const char ba_cli_sessions_help[];

/* `boxagent policy` (cmd_policy.c): standing workspace grants. */
int ba_cli_cmd_policy(int argc, char **argv);
extern const char ba_cli_policy_help[];

#endif /* BA_CLI_AGENT_CMDS_H */
