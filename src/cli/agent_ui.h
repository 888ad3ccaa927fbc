/*
 * agent_ui.h - the terminal side of an agent run (`boxagent run`, `chat`
 * and `sessions show`): events rendered for people or as JSON lines, the
 * approval prompt, and Ctrl-C.
 *
 * Streams: the answer's text goes to stdout as it arrives, everything
 * else (tool calls, capability decisions, results, retries, the summary)
 * to stderr, so `boxagent run ... > answer.txt` keeps just the answer.
 * With --json every event is one JSON line on stdout and stdout carries
 * nothing else.
 *
 * Text that came from the model or a tool is shown with control
 * characters escaped on a terminal (a tool result is untrusted and could
 * otherwise drive the terminal with escape sequences); when stdout is a
 * file or a pipe the answer is written exactly as the model sent it.
 */
#ifndef BA_CLI_AGENT_UI_H
#define BA_CLI_AGENT_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agent/agent.h"

#define BA_CLI_UI_DENIED_MAX 4096 /* bytes of denied decisions kept per call */

typedef struct ba_cli_ui {
	bool json;         /* events as JSON lines on stdout                */
	bool out_tty;      /* stdout is a terminal                          */
	bool err_tty;      /* stderr is a terminal                          */
	bool out_at_start; /* the last byte written to stdout was '\n'     */
	bool text_written; /* answer text went to stdout in this run       */
	bool step_text;    /* ... in the current model call                */
	bool call_allows;  /* an allow decision was shown for this call    */
	bool json_failed;  /* an event could not be turned into JSON       */
	/* The capabilities of this call's deny decisions, each followed by
	 * '\n', so the sandbox's refusal of the same one is not shown twice. */
	char call_denied[BA_CLI_UI_DENIED_MAX];
	size_t call_denied_len;
	FILE *answers; /* where approval answers are read; NULL = none  */
	bool answers_owned;
} ba_cli_ui;

void ba_cli_ui_init(ba_cli_ui *ui, bool json);
void ba_cli_ui_release(ba_cli_ui *ui);

/* The agent's on_event callback; user is the ba_cli_ui. */
void ba_cli_ui_on_event(void *user, const ba_agent_event *event);

/* Whether the operator can be asked (stdin and stderr are terminals);
 * opens /dev/tty (or falls back to stdin) for the answers. */
bool ba_cli_ui_can_ask(ba_cli_ui *ui);
/* The agent's approve callback; user is the ba_cli_ui. Asks on stderr
 * "TOOL wants CAP: allow [o]nce, [a]lways, [d]eny? " and reads one line.
 * No answer, EOF or Ctrl-C is a denial. */
ba_agent_approval ba_cli_ui_approve(void *user, const char *tool, const char *capability);

/* Before each ba_agent_run. */
void ba_cli_ui_begin_run(ba_cli_ui *ui);
/* After it: ends the answer's line, then (for people) prints why the run
 * stopped when it was not an answer and a summary line on stderr:
 * "[done] session ID: 3 steps, 2 tool calls, 1530 tokens (1400 in, 130
 * out), $0.0021, 4.2 s, stop: end". */
void ba_cli_ui_end_run(ba_cli_ui *ui, const ba_agent_result *result, const char *session_id);

/* Writes len bytes of untrusted text to f with control characters (and
 * C1 controls, and '\n' unless keep_newlines) escaped, at most max bytes
 * of input ("..." after a cut, which never splits a UTF-8 character). */
void ba_cli_ui_put_safe(FILE *f, const char *text, size_t len, size_t max, bool keep_newlines);

/* The store at its default place ($BOXAGENT_HOME/boxagent.db), or NULL
 * after saying why on stderr. */
ba_store *ba_cli_open_store(void);

/* Exit status for a run that stopped with stop (docs/cli.md). */
int ba_cli_ui_exit_status(ba_agent_stop stop);

/*
 * Ctrl-C. install() sets a SIGINT handler without SA_RESTART, so a
 * blocking read of the next chat line returns. While an agent is set
 * (a run is on), the first Ctrl-C cancels it (ba_agent_cancel) and the
 * second ends the process at once with status 130; with none set, it
 * only raises the flag that interrupted() reports.
 */
void ba_cli_signals_install(void);
void ba_cli_signals_set_agent(ba_agent *agent); /* NULL = no run on */
bool ba_cli_signals_interrupted(void);
void ba_cli_signals_reset(void);

#endif /* BA_CLI_AGENT_UI_H */
