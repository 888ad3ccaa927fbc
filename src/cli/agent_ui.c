/*
 * agent_ui.c - rendering agent events for people (or as JSON lines), the
 * approval prompt and Ctrl-C; see agent_ui.h.
 */
#include "cli/agent_ui.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "cli/agent_cmds.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/utf8.h"

#define ARGS_SHOWN    300 /* bytes of a tool call's arguments shown    */
#define MESSAGE_SHOWN 600 /* bytes of a result's message shown         */
#define ANSWER_MAX    64  /* one approval answer line                  */
#define ASK_TRIES     3

void ba_cli_ui_init(ba_cli_ui *ui, bool json)
{
	memset(ui, 0, sizeof *ui);
	ui->json = json;
	ui->out_tty = isatty(STDOUT_FILENO) == 1;
	ui->err_tty = isatty(STDERR_FILENO) == 1;
	ui->out_at_start = true;
}

void ba_cli_ui_release(ba_cli_ui *ui)
{
	if (ui->answers && ui->answers_owned)
		fclose(ui->answers);
	ui->answers = NULL;
}

void ba_cli_ui_put_safe(FILE *f, const char *text, size_t len, size_t max, bool keep_newlines)
{
	const unsigned char *s = (const unsigned char *)text;
	/* A cut never leaves half a character on the terminal. */
	size_t n = ba_utf8_cut(text, len, max);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '\n' && keep_newlines) {
			fputc('\n', f);
		} else if (c == '\t') {
			fputc('\t', f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			/* U+0080..U+009F: C1 controls, which some terminals obey
			 * (U+009B is a one-character CSI). */
			fprintf(f, "\\u%04x", s[i + 1]);
			i++;
		} else {
			fputc(c, f);
		}
	}
	if (len > max)
		fputs("...", f);
}

/* Ends a half-written answer line before a line goes to stderr, when
 * both streams are the same terminal (otherwise the two never mix). */
static void break_line(ba_cli_ui *ui)
{
	if (ui->json || ui->out_at_start || !ui->out_tty || !ui->err_tty)
		return;
	fputc('\n', stdout);
	fflush(stdout);
	ui->out_at_start = true;
}

static void put_duration_ms(FILE *f, uint64_t ms)
{
	if (ms < 10000)
		fprintf(f, "%" PRIu64 " ms", ms);
	else
		fprintf(f, "%.1f s", (double)ms / 1000.0);
}

static void put_text(ba_cli_ui *ui, const char *text, size_t len)
{
	if (!len)
		return;
	if (ui->out_tty)
		ba_cli_ui_put_safe(stdout, text, len, len, true);
	else
		fwrite(text, 1, len, stdout);
	fflush(stdout);
	ui->out_at_start = text[len - 1] == '\n';
	ui->text_written = true;
	ui->step_text = true;
}

static void on_json(ba_cli_ui *ui, const ba_agent_event *ev)
{
	ba_buf line;

	ba_buf_init(&line, BA_STORE_MAX_TEXT);
	if (ba_agent_event_json(ev, &line) != 0 || ba_buf_append(&line, "\n", 1) != 0) {
		/* Say so once; a JSON consumer must not see a half line. */
		if (!ui->json_failed)
			ba_cli_error("an event (%s) could not be written as JSON",
			             ba_agent_event_name(ev->type));
		ui->json_failed = true;
	} else {
		fwrite(line.data, 1, line.len, stdout);
		fflush(stdout);
	}
	ba_buf_release(&line);
}

/* "approved-once" -> "approved once": the sources read as words. */
static void put_source(FILE *f, const char *source)
{
	for (const char *p = source; p && *p; p++)
		fputc(*p == '-' ? ' ' : *p, f);
}

/* Whether "CAP: reason" repeats a deny decision shown for this call. */
static bool denied_before(const ba_cli_ui *ui, const char *refusal)
{
	const char *p = ui->call_denied, *end = ui->call_denied + ui->call_denied_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		if (strncmp(refusal, p, n) == 0 && refusal[n] == ':')
			return true;
		p = nl + 1;
	}
	return false;
}

static void remember_denied(ba_cli_ui *ui, const char *capability)
{
	size_t n = strlen(capability);
	if (n + 1 > sizeof ui->call_denied - ui->call_denied_len)
		return; /* only means a refusal may be shown twice */
	memcpy(ui->call_denied + ui->call_denied_len, capability, n);
	ui->call_denied_len += n;
	ui->call_denied[ui->call_denied_len++] = '\n';
}

static void on_tool_result(ba_cli_ui *ui, const ba_agent_event *ev)
{
	uint64_t ms = ev->elapsed_ns / 1000000;
	const char *status = ev->status ? ev->status : "?";

	if (strcmp(status, "ok") == 0) {
		fputs("  ok ", stderr);
		put_duration_ms(stderr, ms);
		fprintf(stderr, ", %zu bytes\n", ev->output_len);
	} else {
		/* "error" means the call never ran (unknown tool, arguments
		 * that are not JSON); the others ran and ended badly. */
		fprintf(stderr, "  %s", strcmp(status, "error") == 0 ? "error" : status);
		if (strcmp(status, "error") != 0) {
			fputs(" after ", stderr);
			put_duration_ms(stderr, ms);
		}
		fputs(": ", stderr);
		if (ev->message && *ev->message)
			ba_cli_ui_put_safe(stderr, ev->message, strlen(ev->message), MESSAGE_SHOWN,
			                   false);
		else if (ev->output_len)
			ba_cli_ui_put_safe(stderr, ev->output, ev->output_len, MESSAGE_SHOWN,
			                   false);
		fputc('\n', stderr);
	}
	/* The decisions before the call showed what it was allowed; a call
	 * that got its capabilities without any (none declared, say) shows
	 * them here. What the sandbox refused while the tool ran is always
	 * shown: those are the requests a decision line cannot predict. */
	if (!ui->call_allows && ev->caps_used_count) {
		fputs("  used", stderr);
		for (size_t i = 0; i < ev->caps_used_count; i++) {
			fputs(i ? ", " : " ", stderr);
			ba_cli_ui_put_safe(stderr, ev->caps_used[i], strlen(ev->caps_used[i]), 200,
			                   false);
		}
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < ev->caps_denied_count; i++) {
		if (denied_before(ui, ev->caps_denied[i]))
			continue;
		fputs("  denied ", stderr);
		ba_cli_ui_put_safe(stderr, ev->caps_denied[i], strlen(ev->caps_denied[i]),
		                   MESSAGE_SHOWN, false);
		fputc('\n', stderr);
	}
}

void ba_cli_ui_on_event(void *user, const ba_agent_event *ev)
{
	ba_cli_ui *ui = user;

	if (ui->json) {
		on_json(ui, ev);
		return;
	}
	switch (ev->type) {
	case BA_AGENT_EV_TEXT:
		put_text(ui, ev->text, ev->text_len);
		return;
	case BA_AGENT_EV_STEP:
		/* Text of one model call, then tools, then more text: keep
		 * the pieces on lines of their own. */
		if (ui->step_text && !ui->out_at_start) {
			fputc('\n', stdout);
			fflush(stdout);
			ui->out_at_start = true;
		}
		ui->step_text = false;
		return;
	case BA_AGENT_EV_SESSION:
		if (ev->resumed) {
			break_line(ui);
			fprintf(stderr, "[session %s resumed]\n",
			        ev->session_id ? ev->session_id : "");
		}
		return;
	case BA_AGENT_EV_TOOL_CALL:
		break_line(ui);
		ui->call_allows = false;
		ui->call_denied_len = 0;
		fputs("[tool] ", stderr);
		ba_cli_ui_put_safe(stderr, ev->tool ? ev->tool : "?",
		                   ev->tool ? strlen(ev->tool) : 1, 100, false);
		if (ev->arguments && *ev->arguments) {
			fputc(' ', stderr);
			ba_cli_ui_put_safe(stderr, ev->arguments, strlen(ev->arguments), ARGS_SHOWN,
			                   false);
		}
		fputc('\n', stderr);
		return;
	case BA_AGENT_EV_DECISION:
		break_line(ui);
		fputs(ev->allowed ? "  allow " : "  deny  ", stderr);
		if (ev->allowed)
			ui->call_allows = true;
		else if (ev->capability)
			remember_denied(ui, ev->capability);
		ba_cli_ui_put_safe(stderr, ev->capability ? ev->capability : "",
		                   ev->capability ? strlen(ev->capability) : 0, 300, false);
		if (ev->source && *ev->source) {
			fputs(" (", stderr);
			put_source(stderr, ev->source);
			fputc(')', stderr);
		}
		fputc('\n', stderr);
		return;
	case BA_AGENT_EV_TOOL_RESULT:
		break_line(ui);
		on_tool_result(ui, ev);
		return;
	case BA_AGENT_EV_RETRY:
		break_line(ui);
		fprintf(stderr, "[retry] attempt %u in ", ev->attempt);
		put_duration_ms(stderr, ev->wait_ms);
		if (ev->message && *ev->message) {
			fputs(": ", stderr);
			ba_cli_ui_put_safe(stderr, ev->message, strlen(ev->message), MESSAGE_SHOWN,
			                   false);
		}
		if (ui->step_text)
			fputs(" (the answer above was cut off; it starts again)", stderr);
		fputc('\n', stderr);
		ui->step_text = false;
		return;
	case BA_AGENT_EV_FALLBACK:
		break_line(ui);
		fprintf(stderr, "[fallback] %s failed", ev->model ? ev->model : "?");
		if (ev->message && *ev->message) {
			fputs(": ", stderr);
			ba_cli_ui_put_safe(stderr, ev->message, strlen(ev->message), MESSAGE_SHOWN,
			                   false);
		}
		fprintf(stderr, "; trying %s\n", ev->text ? ev->text : "?");
		ui->step_text = false;
		return;
	case BA_AGENT_EV_USAGE:
	case BA_AGENT_EV_ERROR: /* said once, by end_run, from the result */
	case BA_AGENT_EV_DONE:
		return;
	}
}

/* ------------------------------------------------------------ approval */

bool ba_cli_ui_can_ask(ba_cli_ui *ui)
{
	if (ui->answers)
		return true;
	if (isatty(STDIN_FILENO) != 1 || isatty(STDERR_FILENO) != 1)
		return false;
	/* The terminal itself, so a prompt read from stdin (chat) and an
	 * answer read here cannot be confused by buffering. */
	ui->answers = fopen("/dev/tty", "re");
	ui->answers_owned = ui->answers != NULL;
	if (!ui->answers)
		ui->answers = stdin;
	return true;
}

ba_agent_approval ba_cli_ui_approve(void *user, const char *tool, const char *capability)
{
	ba_cli_ui *ui = user;
	char line[ANSWER_MAX];

	if (!ui->answers)
		return BA_AGENT_DENY;
	break_line(ui);
	for (int tries = 0; tries < ASK_TRIES; tries++) {
		ba_cli_ui_put_safe(stderr, tool, strlen(tool), 100, false);
		fputs(" wants ", stderr);
		ba_cli_ui_put_safe(stderr, capability, strlen(capability), 300, false);
		fputs(": allow [o]nce, [a]lways, [d]eny? ", stderr);
		fflush(stderr);
		if (!fgets(line, sizeof line, ui->answers)) {
			/* EOF, or Ctrl-C (EINTR): no answer is a no. */
			clearerr(ui->answers);
			fputc('\n', stderr);
			return BA_AGENT_DENY;
		}
		if (!strchr(line, '\n')) { /* drain an over-long line */
			int c;
			while ((c = fgetc(ui->answers)) != EOF && c != '\n')
				;
		}
		if (ba_cli_signals_interrupted())
			return BA_AGENT_DENY;
		line[strcspn(line, " \t\r\n")] = '\0';
		for (char *p = line; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (!strcmp(line, "o") || !strcmp(line, "once") || !strcmp(line, "y") ||
		    !strcmp(line, "yes"))
			return BA_AGENT_ALLOW_ONCE;
		if (!strcmp(line, "a") || !strcmp(line, "always"))
			return BA_AGENT_ALLOW_ALWAYS;
		if (!strcmp(line, "d") || !strcmp(line, "deny") || !strcmp(line, "n") ||
		    !strcmp(line, "no") || !line[0])
			return BA_AGENT_DENY;
		fputs("  answer o (once), a (always) or d (deny)\n", stderr);
	}
	return BA_AGENT_DENY;
}

/* ---------------------------------------------------------------- runs */

void ba_cli_ui_begin_run(ba_cli_ui *ui)
{
	ui->text_written = false;
	ui->step_text = false;
	ui->call_allows = false;
	ui->call_denied_len = 0;
}

ba_store *ba_cli_open_store(void)
{
	char err[1024] = "";
	ba_store *store = ba_store_open(NULL, err, sizeof err);
	if (!store)
		ba_cli_error("%s", err);
	return store;
}

int ba_cli_ui_exit_status(ba_agent_stop stop)
{
	switch (stop) {
	case BA_AGENT_STOP_END:
		return BA_EXIT_OK;
	case BA_AGENT_STOP_MAX_STEPS:
	case BA_AGENT_STOP_MAX_TOKENS:
	case BA_AGENT_STOP_TIMEOUT:
	case BA_AGENT_STOP_MAX_COST:
		return BA_EXIT_LIMIT;
	case BA_AGENT_STOP_CANCELLED:
		return BA_EXIT_CANCELLED;
	case BA_AGENT_STOP_ERROR:
		break;
	}
	return BA_EXIT_FAILED;
}

void ba_cli_ui_end_run(ba_cli_ui *ui, const ba_agent_result *r, const char *session_id)
{
	if (!ui->json && ui->text_written && !ui->out_at_start) {
		fputc('\n', stdout);
		ui->out_at_start = true;
	}
	fflush(stdout);
	if (r->stop != BA_AGENT_STOP_END) {
		const char *what = r->stop == BA_AGENT_STOP_ERROR ? "" : "stopped: ";
		fprintf(stderr, "boxagent: %s", what);
		if (r->message[0])
			ba_cli_ui_put_safe(stderr, r->message, strlen(r->message),
			                   sizeof r->message, false);
		else
			fputs(ba_agent_stop_name(r->stop), stderr);
		fputc('\n', stderr);
	}
	if (ui->json)
		return;
	uint64_t in = r->usage.input_tokens, out = r->usage.output_tokens;
	fputs("[done]", stderr);
	if (session_id && *session_id)
		fprintf(stderr, " session %s:", session_id);
	fprintf(stderr,
	        " %u step%s, %u tool call%s, %" PRIu64 " tokens (%" PRIu64 " in, %" PRIu64 " out)",
	        r->steps, r->steps == 1 ? "" : "s", r->tool_calls, r->tool_calls == 1 ? "" : "s",
	        in + out, in, out);
	if (r->cost_usd > 0) /* unknown prices (< 0) and nothing spent say nothing */
		fprintf(stderr, ", $%.4f", r->cost_usd);
	fputs(", ", stderr);
	put_duration_ms(stderr, r->stats.total_ns / 1000000);
	fprintf(stderr, ", stop: %s\n", ba_agent_stop_name(r->stop));
	fflush(stderr);
}

/* ------------------------------------------------------------- signals */

static ba_agent *_Atomic sig_agent;
static volatile sig_atomic_t sig_hits;

static void on_sigint(int sig)
{
	static const char cancelling[] = "\nboxagent: cancelling (Ctrl-C again to quit at once)\n";
	static const char quitting[] = "\nboxagent: interrupted\n";
	int saved = errno;
	ba_agent *agent = atomic_load(&sig_agent);
	ssize_t w;

	(void)sig;
	sig_hits = sig_hits + 1;
	if (agent && sig_hits >= 2) {
		w = write(STDERR_FILENO, quitting, sizeof quitting - 1);
		(void)w;
		_exit(BA_EXIT_CANCELLED);
	}
	if (agent) {
		ba_agent_cancel(agent);
		w = write(STDERR_FILENO, cancelling, sizeof cancelling - 1);
		(void)w;
	}
	errno = saved;
}

void ba_cli_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read waiting for the next chat line or an
	 * approval answer returns EINTR, so Ctrl-C is heard there too. */
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
}

void ba_cli_signals_set_agent(ba_agent *agent)
{
	sig_hits = 0;
	atomic_store(&sig_agent, agent);
}

bool ba_cli_signals_interrupted(void)
{
	return sig_hits > 0;
}

void ba_cli_signals_reset(void)
{
	sig_hits = 0;
}
