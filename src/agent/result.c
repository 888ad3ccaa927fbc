/*
 * result.c - a tool's result as the text the model receives.
 *
 * What a tool writes is untrusted: it comes from files, web pages and
 * programs anyone may have written, and may be crafted to look like
 * instructions. So it is wrapped in a block the system prompt tells the
 * model to treat as data, and the text is made unable to leave that
 * block: a "</tool_result" inside it is defused, so a page cannot close
 * the block early and continue with text that looks like it came from
 * boxagent. What boxagent itself has to say (errors, denials, a cut)
 * comes after the closing tag.
 *
 * The text must also survive a provider's JSON encoder, which refuses
 * invalid UTF-8, and a C string, which ends at NUL: both become U+FFFD.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/internal.h"
#include "core/utf8.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does the '<' at s[0] open or close a tool_result tag? Spaces around an
 * optional '/' are allowed, as a lenient reader of the markup might. */
static bool tag_at(const char *s, size_t len)
{
	static const char word[] = "tool_result";
	size_t i = 1;
	while (i < len && is_space(s[i]))
		i++;
	if (i < len && s[i] == '/')
		i++;
	while (i < len && is_space(s[i]))
		i++;
	if (len - i < sizeof word - 1)
		return false;
	for (size_t k = 0; k < sizeof word - 1; k++) {
		char c = s[i + k];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[k])
			return false;
	}
	return true;
}

int ba_agent__append_swapped(ba_buf *out, const char *s, size_t len, ba_agent__swap_fn *swap,
                             const char *bad)
{
	size_t run = 0, i = 0;
	while (i < len) {
		char esc[8];
		const char *with = NULL;
		size_t step = 1;
		if ((unsigned char)s[i] < 0x80)
			with = swap(s, len, i, esc);
		else if ((step = ba_utf8_char(s + i, len - i)) == 0) {
			with = bad;
			step = 1;
		}
		if (!with) {
			i += step;
			continue;
		}
		/* Kept bytes go out as one run, not byte by byte. */
		if ((i > run && ba_buf_append(out, s + run, i - run) != 0) ||
		    ba_buf_append_str(out, with) != 0)
			return -1;
		i += step;
		run = i;
	}
	if (len > run && ba_buf_append(out, s + run, len - run) != 0)
		return -1;
	return 0;
}

/* What untrusted text writes for the ASCII byte s[i] (ba_agent__swap_fn):
 * the '<' of a tool_result tag defused, NUL as U+FFFD. */
static const char *untrusted_swap(const char *s, size_t len, size_t i, char esc[8])
{
	if (s[i] == '<' && tag_at(s + i, len - i))
		return "&lt;";
	if (s[i] == 0)
		return replacement;
	return NULL;
}

int ba_agent__append_untrusted(ba_buf *out, const char *s, size_t len)
{
	return ba_agent__append_swapped(out, s, len, untrusted_swap, replacement);
}

int ba_agent__append_attr(ba_buf *out, const char *s)
{
	if (!s)
		return 0;
	size_t run = 0, len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		const char *swap = NULL;
		switch (s[i]) {
		case '&':
			swap = "&amp;";
			break;
		case '<':
			swap = "&lt;";
			break;
		case '>':
			swap = "&gt;";
			break;
		case '"':
			swap = "&quot;";
			break;
		case '\n':
		case '\r':
		case '\t':
			swap = " ";
			break;
		default:
			break;
		}
		if (!swap)
			continue;
		if ((i > run && ba_agent__append_untrusted(out, s + run, i - run) != 0) ||
		    ba_buf_append_str(out, swap) != 0)
			return -1;
		run = i + 1;
	}
	return ba_agent__append_untrusted(out, s + run, len - run);
}

/* A note after the closing tag is boxagent's own line (the system prompt
 * says so), yet it may quote a tool name, URL or reason that came from
 * the model or the tool: any control character in it - a newline above
 * all, which would let the quote forge a line of its own - becomes a
 * space, and the rest gets the untrusted treatment. */
static int append_note(ba_buf *out, const char *s)
{
	size_t run = 0, len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		if ((i > run && ba_agent__append_untrusted(out, s + run, i - run) != 0) ||
		    ba_buf_append_str(out, " ") != 0)
			return -1;
		run = i + 1;
	}
	return ba_agent__append_untrusted(out, s + run, len - run);
}

int ba_agent__format_result(const ba_agent_result_text *r, ba_buf *out)
{
	if (ba_buf_append_str(out, "<tool_result tool=\"") != 0 ||
	    ba_agent__append_attr(out, r->tool ? r->tool : "") != 0 ||
	    ba_buf_append_str(out, "\" call=\"") != 0 ||
	    ba_agent__append_attr(out, r->call_id ? r->call_id : "") != 0 ||
	    ba_buf_printf(out, "\" status=\"%s\" trust=\"untrusted\">\n", r->ok ? "ok" : "error") !=
	            0)
		return -1;

	size_t shown = 0;
	if (r->output && r->output_len) {
		shown = ba_utf8_cut(r->output, r->output_len, r->max_bytes);
		if (ba_agent__append_untrusted(out, r->output, shown) != 0)
			return -1;
		if (shown && r->output[shown - 1] != '\n' && ba_buf_append_str(out, "\n") != 0)
			return -1;
	}
	if (!r->ok && r->errors && r->errors_len) {
		size_t from = 0;
		if (r->errors_len > BA_AGENT_STDERR_EXCERPT) {
			from = r->errors_len - BA_AGENT_STDERR_EXCERPT;
			/* Start at a character, not inside one. */
			for (int k = 0; k < 3 && from < r->errors_len &&
			                ((unsigned char)r->errors[from] & 0xC0) == 0x80;
			     k++)
				from++;
		}
		if (ba_buf_append_str(out, from ? "[stderr, last part]\n" : "[stderr]\n") != 0 ||
		    ba_agent__append_untrusted(out, r->errors + from, r->errors_len - from) != 0)
			return -1;
		if (r->errors[r->errors_len - 1] != '\n' && ba_buf_append_str(out, "\n") != 0)
			return -1;
	}
	if (ba_buf_append_str(out, "</tool_result>") != 0)
		return -1;

	if (r->output && shown < r->output_len &&
	    ba_buf_printf(out,
	                  "\nnote: the output was cut to its first %zu of %zu bytes (%zu bytes "
	                  "omitted)",
	                  shown, r->output_len, r->output_len - shown) != 0)
		return -1;
	for (size_t i = 0; i < r->note_count; i++) {
		if (!r->notes[i] || !r->notes[i][0])
			continue;
		/* One line each, whatever they quote (append_note). */
		if (ba_buf_append_str(out, "\n") != 0 || append_note(out, r->notes[i]) != 0)
			return -1;
	}
	return 0;
}
