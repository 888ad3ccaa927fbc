/*
 * html.h - turns HTML into readable plain text for a model.
 *
 * Not a conforming HTML parser: a small, forgiving state machine that
 * never fails and is linear in its input. It drops what is not content
 * (script, style, head except the title, svg, template, comments),
 * turns block elements into line breaks (headings get "#" marks, list
 * items "- ", table cells " | "), keeps <pre> text as it is, decodes
 * character references (named, decimal and hex), collapses whitespace,
 * and writes links as "[text](url)" with the URL resolved against the
 * page's URL.
 */
#ifndef BX_TOOLS_HTML_H
#define BX_TOOLS_HTML_H

#include <stddef.h>

#include "boxagent.h"

/*
 * Appends the text of html[0..len) to out and the page title (if any) to
 * title (may be NULL). base_url (borrowed, may be NULL) resolves relative
 * links. Both outputs are UTF-8 when the input is.
 */
void html_to_text(const char *html, size_t len, const char *base_url, bx_buf *out, bx_buf *title);

/* Appends the UTF-8 encoding of code point cp (invalid ones as U+FFFD). */
void html_put_utf8(bx_buf *out, unsigned long cp);

/* Resolves href against base into out (replacing its content). */
void html_resolve_url(const char *base, const char *href, size_t href_len, bx_buf *out);

#endif
