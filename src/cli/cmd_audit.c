/*
 * cmd_audit.c - `boxagent audit [list]` and `boxagent audit verify`: read
 * and check the audit log of capability decisions (docs/audit.md).
 */
#include "cli/cli.h"

#include "core/parse.h"
#include "sandbox/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATH_MAX_LEN 4096

const char ba_cli_audit_help[] =
        "usage: boxagent audit [list] [--audit-log FILE] [--tool NAME]\n"
        "                      [--decision allow|deny] [--capability KIND] [--run ID]\n"
        "                      [--contains TEXT] [--since TIME] [--last N] [--json]\n"
        "       boxagent audit verify [--audit-log FILE]\n"
        "\n"
        "Every capability decision a tool run makes (allowed and denied) is a line\n"
        "in the audit log; each line carries the hash of the one before, so edits,\n"
        "insertions, reorderings and deletions can be detected (docs/audit.md).\n"
        "\n"
        "list      shows the matching records, oldest first, one per line: time,\n"
        "          decision, tool, capability, target, address, reason. Control and\n"
        "          invisible characters are shown escaped. The default subcommand.\n"
        "verify    checks the hash chain and the head file; prints\n"
        "          \"audit log FILE: N records, chain intact\", or the first line\n"
        "          where the chain breaks and why.\n"
        "\n"
        "Options:\n"
        "  --audit-log FILE    the log; default $BOXAGENT_HOME/audit.log, where\n"
        "                      BOXAGENT_HOME defaults to $XDG_DATA_HOME/boxagent or\n"
        "                      ~/.local/share/boxagent\n"
        "  --tool NAME         only records of this tool\n"
        "  --decision D        only allow or only deny\n"
        "  --capability KIND   only this capability kind (fs.read, network, env,\n"
        "                      limit, ...)\n"
        "  --run ID            only records of this run\n"
        "  --contains TEXT     only records whose target or reason contains TEXT\n"
        "  --since TIME        only records at or after TIME: an RFC 3339 date or\n"
        "                      time (2026-11-26, 2026-11-26T21:45:00Z,\n"
        "                      2026-11-26T22:45:00+01:00) or an age (90s, 15m, 2h,\n"
        "                      7d)\n"
        "  --last N            only the last N matching records\n"
        "  --json              print the records as they are stored, one JSON object\n"
        "                      per line\n"
        "\n"
        "Exit status: 0 success (also when nothing matches), 1 the chain is broken\n"
        "or cannot be verified, 2 usage error, no log, unreadable or malformed log.\n";

static const char list_usage[] =
        "usage: boxagent audit [list] [--audit-log FILE] [--tool NAME]\n"
        "                      [--decision allow|deny] [--capability KIND] [--run ID]\n"
        "                      [--contains TEXT] [--since TIME] [--last N] [--json]\n";
static const char verify_usage[] = "usage: boxagent audit verify [--audit-log FILE]\n";

static bool is_help(const char *arg)
{
	return ba_cli_flag(arg, "help") || strcmp(arg, "-h") == 0;
}

/* The log path: --audit-log, or the default. */
static int log_path(const char *option, char *out, size_t out_len)
{
	if (option) {
		if (!option[0])
			return ba_cli_usage_error("--audit-log needs a file name");
		if ((size_t)snprintf(out, out_len, "%s", option) >= out_len)
			return ba_cli_usage_error("--audit-log: the path is too long");
		return BA_EXIT_OK;
	}
	if (ba_audit_default_path(out, out_len) != 0)
		return ba_cli_usage_error("%s (use --audit-log FILE)", out);
	return BA_EXIT_OK;
}

/*
 * --since: an RFC 3339 date or time is passed on as it is (the library
 * parses and checks it); an age such as 15m or 7d becomes the RFC 3339
 * time that long ago. An age needs its unit, so that a year such as 2026
 * is never taken for 2026 seconds.
 */
static int since_time(const char *text, char *out, size_t out_len)
{
	size_t n = strlen(text);
	uint64_t ns = 0, days;
	const char *err;
	struct timespec now;
	struct tm tm;
	time_t then;

	if (n == 0)
		return ba_cli_usage_error("--since needs a time");
	/* Dates, times with an offset and times in UTC end in a digit or Z. */
	if ((text[n - 1] >= '0' && text[n - 1] <= '9') || text[n - 1] == 'Z' ||
	    text[n - 1] == 'z') {
		if ((size_t)snprintf(out, out_len, "%s", text) >= out_len)
			return ba_cli_usage_error("--since '%s': not a time", text);
		return BA_EXIT_OK;
	}
	if (text[n - 1] == 'd') {
		char number[32];
		if (n - 1 >= sizeof(number))
			return ba_cli_usage_error("--since '%s': not a time or an age", text);
		memcpy(number, text, n - 1);
		number[n - 1] = '\0';
		err = ba_parse_u64(number, &days);
		if (!err && days > 100000) /* keeps days * 86400e9 within 64 bits */
			err = "too long ago";
		ns = err ? 0 : days * 86400ull * 1000000000ull;
	} else {
		err = ba_parse_duration(text, &ns);
	}
	if (err)
		return ba_cli_usage_error("--since '%s': not a time or an age: %s", text, err);
	/* Before 1970 is fine: time_t is signed, and the cap above keeps this
	 * far from overflowing. */
	clock_gettime(CLOCK_REALTIME, &now);
	then = now.tv_sec - (time_t)(ns / 1000000000ull);
	if (!gmtime_r(&then, &tm))
		return ba_cli_usage_error("--since '%s': out of range", text);
	snprintf(out, out_len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return BA_EXIT_OK;
}

/* ------------------------------------------------------------ the table */

/* Decodes the UTF-8 character at s (valid: jansson checked the line). */
static uint32_t decode_utf8(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		*len = 2;
		return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if (s[0] < 0xF0) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	}
	*len = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
	       (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Characters a terminal would act on or that hide or reorder text: C1
 * controls, bidirectional overrides and isolates (the "Trojan Source"
 * trick), zero-width characters, line and paragraph separators, BOM. */
static bool invisible(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9F) || c == 0x061C || (c >= 0x200B && c <= 0x200F) ||
	       (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

/* Shows one character for a terminal; returns the columns used. */
static int show_char(uint32_t c)
{
	char utf8[4];

	switch (c) {
	case '\\':
		fputs("\\\\", stdout);
		return 2;
	case '\n':
		fputs("\\n", stdout);
		return 2;
	case '\t':
		fputs("\\t", stdout);
		return 2;
	case '\r':
		fputs("\\r", stdout);
		return 2;
	default:
		break;
	}
	if (c < 0x20 || c == 0x7F)
		return printf("\\x%02" PRIx32, c);
	if (invisible(c) || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return printf("\\u%04" PRIx32, c);
	if (c < 0x80) {
		putchar((int)c);
	} else if (c < 0x800) {
		utf8[0] = (char)(0xC0 | c >> 6);
		utf8[1] = (char)(0x80 | (c & 0x3F));
		fwrite(utf8, 1, 2, stdout);
	} else if (c < 0x10000) {
		utf8[0] = (char)(0xE0 | c >> 12);
		utf8[1] = (char)(0x80 | (c >> 6 & 0x3F));
		utf8[2] = (char)(0x80 | (c & 0x3F));
		fwrite(utf8, 1, 3, stdout);
	} else {
		utf8[0] = (char)(0xF0 | c >> 18);
		utf8[1] = (char)(0x80 | (c >> 12 & 0x3F));
		utf8[2] = (char)(0x80 | (c >> 6 & 0x3F));
		utf8[3] = (char)(0x80 | (c & 0x3F));
		fwrite(utf8, 1, 4, stdout);
	}
	return 1;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Prints the raw JSON text of a string value (without its quotes) for a
 * terminal, padded to width columns. Works on the raw text rather than a
 * decoded string because the log escapes a byte that was not UTF-8 as
 * \u0080..\u00ff (docs/audit.md): those are shown as the byte, \xff, where
 * a JSON decoder would make them look like the characters U+0080..U+00FF.
 * Never cuts: an audit record should not hide part of itself.
 */
static void print_raw(const char *raw, size_t len, int width)
{
	const char *p = raw, *end = raw + len;
	int shown = 0;
	size_t n;

	if (len == 0) {
		putchar('-');
		shown = 1;
	}
	while (p < end) {
		uint32_t c, low;
		if (*p != '\\') {
			c = decode_utf8((const unsigned char *)p, &n);
			p += n;
			shown += show_char(c);
			continue;
		}
		if (p + 1 >= end)
			break;
		switch (p[1]) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (p + 6 > end || hex4(p + 2, &c) != 0) {
				c = '?';
				break;
			}
			if (c >= 0x80 && c <= 0xFF) {
				shown += printf("\\x%02" PRIx32, c);
				p += 6;
				continue;
			}
			if (c >= 0xD800 && c <= 0xDBFF && p + 12 <= end && p[6] == '\\' &&
			    p[7] == 'u' && hex4(p + 8, &low) == 0 && low >= 0xDC00 &&
			    low <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
				p += 6;
			}
			p += 4;
			break;
		default: /* \" \\ \/ */
			c = (unsigned char)p[1];
			break;
		}
		p += 2;
		shown += show_char(c);
	}
	for (; shown < width; shown++)
		putchar(' ');
}

/* Skips one JSON value (or key) at p: returns the ',', ':' or closing
 * '}' after it. The line is valid JSON: the library parsed it. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			depth--;
			p++;
		} else if (depth == 0 && (*p == ',' || *p == ':')) {
			return p;
		} else {
			p++;
		}
	}
	return end;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* The last '"' before p (the closing quote of the string that ends there). */
static const char *closing_quote(const char *start, const char *p)
{
	while (p > start && p[-1] != '"')
		p--;
	return p - 1;
}

/* The raw text (between the quotes) of key's string value in a one-level
 * JSON object, or NULL when the key is absent or not a string. */
static const char *raw_string(const char *line, size_t len, const char *key, size_t *out_len)
{
	const char *p = line, *end = line + len, *k, *kq, *v;
	size_t key_len = strlen(key);

	p = skip_space(p, end);
	if (p >= end || *p++ != '{')
		return NULL;
	for (;;) {
		p = skip_space(p, end);
		if (p >= end || *p != '"')
			return NULL;
		k = p + 1;
		p = skip_value(p, end);
		if (p >= end || *p != ':')
			return NULL;
		kq = closing_quote(k, p);
		v = skip_space(p + 1, end);
		p = skip_value(v, end);
		if ((size_t)(kq - k) == key_len && memcmp(k, key, key_len) == 0) {
			if (v >= end || *v != '"')
				return NULL;
			*out_len = (size_t)(closing_quote(v + 1, p) - (v + 1));
			return v + 1;
		}
		if (p >= end || *p != ',')
			return NULL;
		p++;
	}
}

typedef struct list_state {
	bool json;
	uint64_t shown;
} list_state;

/* The table: key, heading, width (the last column is not padded). */
static const struct {
	const char *key, *title;
	int width;
} columns[] = {
        {"time", "TIME", 24},     {"decision", "DECISION", 8},
        {"tool", "TOOL", 16},     {"capability", "CAPABILITY", 10},
        {"target", "TARGET", 40}, {"address", "ADDRESS", 15},
        {"reason", "REASON", 0},
};
#define COLUMN_COUNT (sizeof(columns) / sizeof(columns[0]))

static void print_record(const char *line, size_t len, void *user)
{
	list_state *st = user;

	st->shown++;
	if (st->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
		return;
	}
	if (st->shown == 1) {
		for (size_t i = 0; i < COLUMN_COUNT; i++)
			printf(i + 1 < COLUMN_COUNT ? "%-*s  " : "%-*s\n", columns[i].width,
			       columns[i].title);
	}
	for (size_t i = 0; i < COLUMN_COUNT; i++) {
		size_t n = 0;
		const char *raw = raw_string(line, len, columns[i].key, &n);
		print_raw(raw ? raw : "", raw ? n : 0, columns[i].width);
		fputs(i + 1 < COLUMN_COUNT ? "  " : "\n", stdout);
	}
}

static int cmd_list(int argc, char **argv, int first)
{
	ba_audit_filter filter = {0};
	const char *log_option = NULL, *since = NULL, *last = NULL, *value;
	char path[PATH_MAX_LEN], since_buf[64], err[1024];
	list_state st = {0};
	int status, m;

	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (is_help(arg)) {
			fputs(list_usage, stdout);
			return BA_EXIT_OK;
		}
		if (ba_cli_flag(arg, "json")) {
			st.json = true;
			continue;
		}
#define OPTION(name, dest)                                            \
	if ((m = ba_cli_option(argc, argv, &i, name, &value)) != 0) { \
		if (m < 0)                                            \
			return BA_EXIT_USAGE;                         \
		dest = value;                                         \
		continue;                                             \
	}
		OPTION("audit-log", log_option)
		OPTION("tool", filter.tool)
		OPTION("decision", filter.decision)
		OPTION("capability", filter.capability)
		OPTION("run", filter.run)
		OPTION("contains", filter.contains)
		OPTION("since", since)
		OPTION("last", last)
#undef OPTION
		fputs(list_usage, stderr);
		return ba_cli_usage_error("audit: unknown argument '%s'", arg);
	}
	if (filter.decision && strcmp(filter.decision, "allow") != 0 &&
	    strcmp(filter.decision, "deny") != 0)
		return ba_cli_usage_error("--decision must be allow or deny, not '%s'",
		                          filter.decision);
	if (last) {
		const char *e = ba_parse_u64(last, &filter.last);
		if (e || filter.last == 0)
			return ba_cli_usage_error("--last needs a positive number, not '%s'%s%s",
			                          last, e ? ": " : "", e ? e : "");
	}
	if (since) {
		status = since_time(since, since_buf, sizeof(since_buf));
		if (status != BA_EXIT_OK)
			return status;
		filter.since = since_buf;
	}
	status = log_path(log_option, path, sizeof(path));
	if (status != BA_EXIT_OK)
		return status;
	if (ba_audit_list(path, &filter, print_record, &st, err, sizeof(err)) != 0) {
		fflush(stdout);
		ba_cli_error("%s", err);
		return BA_EXIT_USAGE;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ba_cli_error("cannot write the listing");
		return BA_EXIT_FAILED;
	}
	if (st.shown == 0 && !st.json)
		ba_cli_error("no matching records in %s", path);
	return BA_EXIT_OK;
}

static int cmd_verify(int argc, char **argv)
{
	const char *log_option = NULL, *value;
	char path[PATH_MAX_LEN];
	ba_audit_verify_result result;
	int status, m;

	for (int i = 2; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(verify_usage, stdout);
			return BA_EXIT_OK;
		}
		if ((m = ba_cli_option(argc, argv, &i, "audit-log", &value)) != 0) {
			if (m < 0)
				return BA_EXIT_USAGE;
			log_option = value;
			continue;
		}
		fputs(verify_usage, stderr);
		return ba_cli_usage_error("audit verify: unknown argument '%s'", argv[i]);
	}
	status = log_path(log_option, path, sizeof(path));
	if (status != BA_EXIT_OK)
		return status;
	if (ba_audit_verify(path, &result) != 0) {
		ba_cli_error("%s", result.message);
		return BA_EXIT_USAGE;
	}
	if (result.ok) {
		printf("audit log %s: %s\n", path, result.message);
		return BA_EXIT_OK;
	}
	if (result.bad_line)
		printf("audit log %s: chain broken at line %" PRIu64 ": %s\n", path,
		       result.bad_line, result.message);
	else
		printf("audit log %s: not verified: %s\n", path, result.message);
	return BA_EXIT_FAILED;
}

int ba_cli_cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && is_help(argv[1])) {
		fputs(ba_cli_audit_help, stdout);
		return BA_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return cmd_list(argc, argv, 2);
	if (argc >= 2 && argv[1][0] != '-')
		return ba_cli_usage_error("audit: unknown subcommand '%s' (list or verify)",
		                          argv[1]);
	return cmd_list(argc, argv, 1);
}
