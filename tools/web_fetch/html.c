/*
 * html.c - the HTML-to-text reducer of web_fetch (see html.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "html.h"

/* ------------------------------------------------------------- entities */

static const struct {
	const char *name;
	unsigned short cp;
} entities[] = {
        {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
        {"apos", '\''},    {"nbsp", ' '},      {"copy", 0xA9},     {"reg", 0xAE},
        {"trade", 0x2122}, {"mdash", 0x2014},  {"ndash", 0x2013},  {"hellip", 0x2026},
        {"laquo", 0xAB},   {"raquo", 0xBB},    {"lsquo", 0x2018},  {"rsquo", 0x2019},
        {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"sbquo", 0x201A},  {"bdquo", 0x201E},
        {"bull", 0x2022},  {"middot", 0xB7},   {"euro", 0x20AC},   {"pound", 0xA3},
        {"yen", 0xA5},     {"cent", 0xA2},     {"sect", 0xA7},     {"para", 0xB6},
        {"deg", 0xB0},     {"plusmn", 0xB1},   {"times", 0xD7},    {"divide", 0xF7},
        {"frac12", 0xBD},  {"frac14", 0xBC},   {"frac34", 0xBE},   {"sup2", 0xB2},
        {"sup3", 0xB3},    {"micro", 0xB5},    {"iexcl", 0xA1},    {"iquest", 0xBF},
        {"shy", 0xAD},     {"larr", 0x2190},   {"rarr", 0x2192},   {"uarr", 0x2191},
        {"darr", 0x2193},  {"harr", 0x2194},   {"le", 0x2264},     {"ge", 0x2265},
        {"ne", 0x2260},    {"asymp", 0x2248},  {"infin", 0x221E},  {"minus", 0x2212},
        {"prime", 0x2032}, {"dagger", 0x2020}, {"permil", 0x2030}, {"thinsp", 0x2009},
        {"ensp", 0x2002},  {"emsp", 0x2003},   {"zwnj", 0x200C},   {"zwj", 0x200D},
        {"agrave", 0xE0},  {"aacute", 0xE1},   {"acirc", 0xE2},    {"auml", 0xE4},
        {"aring", 0xE5},   {"ccedil", 0xE7},   {"egrave", 0xE8},   {"eacute", 0xE9},
        {"ecirc", 0xEA},   {"euml", 0xEB},     {"iacute", 0xED},   {"iuml", 0xEF},
        {"ntilde", 0xF1},  {"oacute", 0xF3},   {"ouml", 0xF6},     {"oslash", 0xF8},
        {"uacute", 0xFA},  {"uuml", 0xFC},     {"szlig", 0xDF},    {"Auml", 0xC4},
        {"Ouml", 0xD6},    {"Uuml", 0xDC},     {"Eacute", 0xC9},   {"Aring", 0xC5},
        {"alpha", 0x3B1},  {"beta", 0x3B2},    {"gamma", 0x3B3},   {"delta", 0x3B4},
        {"pi", 0x3C0},     {"sigma", 0x3C3},   {"lambda", 0x3BB},  {"mu", 0x3BC},
        {"omega", 0x3C9},  {"Omega", 0x3A9},   {"check", 0x2713},  {"hearts", 0x2665},
};

void html_put_utf8(bx_buf *out, unsigned long cp)
{
	char b[4];
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		b[0] = (char)cp;
		bx_buf_append(out, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		bx_buf_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		bx_buf_append(out, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		bx_buf_append(out, b, 4);
	}
}

/*
 * Decodes the character reference at s[0] == '&' (at most n bytes).
 * Returns the bytes consumed (0 = not a reference: emit '&' literally)
 * and the code point in *cp. Numeric references may lack the ';', as
 * browsers accept; named ones need it except for the four most common.
 */
static size_t decode_entity(const char *s, size_t n, unsigned long *cp)
{
	size_t i = 1;
	if (i < n && s[i] == '#') {
		i++;
		bool hex = i < n && (s[i] == 'x' || s[i] == 'X');
		if (hex)
			i++;
		size_t digits = 0;
		unsigned long v = 0;
		while (i < n) {
			char c = s[i];
			int d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16u : 10u) + (unsigned long)d;
			digits++;
			i++;
		}
		if (!digits)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		/* C1 controls are how windows-1252 text leaks into HTML. */
		static const unsigned short c1[32] = {
		        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
		        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
		if (v >= 0x80 && v <= 0x9F)
			v = c1[v - 0x80];
		*cp = v;
		return i;
	}
	size_t start = i;
	while (i < n && i - start < 16 &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	        (s[i] >= '0' && s[i] <= '9')))
		i++;
	size_t name_len = i - start;
	if (!name_len)
		return 0;
	bool semi = i < n && s[i] == ';';
	for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
		if (strlen(entities[k].name) == name_len &&
		    memcmp(entities[k].name, s + start, name_len) == 0) {
			if (!semi && k >= 4)
				return 0;
			*cp = entities[k].cp;
			return i + (semi ? 1 : 0);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- URLs */

/* Length of the scheme including ':' if s starts with one, else 0. */
static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	                 (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
	                            s[i] == '.'))))
		i++;
	return i > 0 && i < n && s[i] == ':' ? i + 1 : 0;
}

void html_resolve_url(const char *base, const char *href, size_t href_len, bx_buf *out)
{
	out->len = 0;
	bx_buf_append(out, "", 0);
	/* Trim the whitespace HTML allows around URLs. */
	while (href_len && (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')) {
		href++;
		href_len--;
	}
	while (href_len && (href[href_len - 1] == ' ' || href[href_len - 1] == '\t' ||
	                    href[href_len - 1] == '\n' || href[href_len - 1] == '\r'))
		href_len--;
	size_t blen = base ? strlen(base) : 0;
	size_t bscheme = base ? scheme_len(base, blen) : 0;
	if (!base || !bscheme || scheme_len(href, href_len)) {
		bx_buf_append(out, href, href_len);
		return;
	}
	/* The authority ends at the first '/', '?' or '#' after "//". */
	size_t auth_end = bscheme;
	if (auth_end + 1 < blen && base[auth_end] == '/' && base[auth_end + 1] == '/') {
		auth_end += 2;
		while (auth_end < blen && base[auth_end] != '/' && base[auth_end] != '?' &&
		       base[auth_end] != '#')
			auth_end++;
	}
	size_t path_end = auth_end;
	while (path_end < blen && base[path_end] != '?' && base[path_end] != '#')
		path_end++;
	if (href_len >= 2 && href[0] == '/' && href[1] == '/') {
		bx_buf_append(out, base, bscheme);
	} else if (href_len >= 1 && href[0] == '/') {
		bx_buf_append(out, base, auth_end);
	} else if (href_len >= 1 && href[0] == '?') {
		bx_buf_append(out, base, path_end);
	} else if (href_len >= 1 && href[0] == '#') {
		size_t q = path_end;
		while (q < blen && base[q] != '#')
			q++;
		bx_buf_append(out, base, q);
	} else {
		size_t dir = path_end;
		while (dir > auth_end && base[dir - 1] != '/')
			dir--;
		if (dir == auth_end) {
			bx_buf_append(out, base, auth_end);
			bx_buf_putc(out, '/');
		} else {
			bx_buf_append(out, base, dir);
		}
	}
	bx_buf_append(out, href, href_len);
}

/* --------------------------------------------------------------- output */

typedef struct writer {
	bx_buf *out;
	int pending_breaks; /* newlines owed before the next text (0-2) */
	bool pending_space;
	int pre; /* inside <pre> (nesting count) */
	/* The open link: its URL, and where its text starts in out
	 * (SIZE_MAX until the first character arrives). */
	bool link_open;
	size_t link_pos;
	bx_buf link_url;
	/* Lists: depth and, per level, 0 for <ul> or the next <ol> number. */
	int list_depth;
	int list_next[16];
	int cells;          /* cells so far in the current table row */
	const char *prefix; /* printed before the next text: "## ", "- " */
	char prefix_buf[64];
} writer;

static bool at_line_start(writer *w)
{
	return w->out->len == 0 || w->out->data[w->out->len - 1] == '\n';
}

/* Emits owed breaks and space, then the pending prefix: called before any
 * visible character. */
static void flush(writer *w)
{
	if (w->pending_breaks && w->out->len) {
		/* Count the newlines already there so breaks never stack up. */
		int have = 0;
		for (size_t i = w->out->len; i > 0 && have < 2 && w->out->data[i - 1] == '\n'; i--)
			have++;
		while (w->pending_breaks > have) {
			bx_buf_putc(w->out, '\n');
			have++;
		}
		w->pending_space = false;
	}
	w->pending_breaks = 0;
	if (w->pending_space && !at_line_start(w))
		bx_buf_putc(w->out, ' ');
	w->pending_space = false;
	if (w->prefix) {
		bx_buf_puts(w->out, w->prefix);
		w->prefix = NULL;
	}
	if (w->link_open && w->link_pos == SIZE_MAX)
		w->link_pos = w->out->len;
}

static void text_bytes(writer *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (w->pre) {
				if (c == '\r')
					continue;
				flush(w);
				bx_buf_putc(w->out, (char)c);
			} else {
				w->pending_space = true;
			}
			continue;
		}
		if (c < 0x20 || c == 0x7F)
			continue;
		flush(w);
		bx_buf_putc(w->out, (char)c);
	}
}

static void text_cp(writer *w, unsigned long cp)
{
	if (cp == 0)
		cp = 0xFFFD; /* as browsers show &#0; */
	if (cp < 0x80) {
		char c = (char)cp;
		text_bytes(w, &c, 1);
		return;
	}
	if (cp == 0xAD)
		return; /* soft hyphen: invisible */
	flush(w);
	html_put_utf8(w->out, cp);
}

static void block_break(writer *w, int n)
{
	if (n > w->pending_breaks)
		w->pending_breaks = n;
	w->pending_space = false;
	w->prefix = NULL;
}

static void close_link(writer *w)
{
	if (!w->link_open)
		return;
	w->link_open = false;
	if (w->link_pos == SIZE_MAX)
		return; /* no text: an icon link, say */
	size_t pos = w->link_pos;
	size_t text_len = w->out->len - pos;
	if (text_len == w->link_url.len &&
	    memcmp(w->out->data + pos, w->link_url.data, text_len) == 0)
		return; /* the text is the URL already */
	/* Insert '[' before the text and append "](url)". */
	bx_buf_putc(w->out, '\0');
	memmove(w->out->data + pos + 1, w->out->data + pos, text_len);
	w->out->data[pos] = '[';
	bx_buf_puts(w->out, "](");
	bx_buf_append(w->out, w->link_url.data, w->link_url.len);
	bx_buf_putc(w->out, ')');
}

/* ----------------------------------------------------------------- tags */

typedef struct tag {
	char name[16];
	bool closing;
	bool self_closing;
	const char *href; /* into the input; not decoded */
	size_t href_len;
	size_t end; /* index just past '>' */
} tag;

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Parses the tag at s[i] == '<'. false when it is not a tag. */
static bool parse_tag(const char *s, size_t n, size_t i, tag *t)
{
	memset(t, 0, sizeof(*t));
	size_t j = i + 1;
	if (j < n && s[j] == '/') {
		t->closing = true;
		j++;
	}
	if (j >= n || !is_alpha(s[j]))
		return false;
	size_t k = 0;
	while (j < n && !is_space(s[j]) && s[j] != '>' && s[j] != '/') {
		if (k + 1 < sizeof(t->name)) {
			char c = s[j];
			t->name[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		j++;
	}
	t->name[k] = '\0';
	/* Attributes: name[=value], values quoted or bare; '>' inside quotes
	 * does not end the tag. */
	while (j < n) {
		while (j < n && (is_space(s[j]) || s[j] == '/')) {
			if (s[j] == '/' && j + 1 < n && s[j + 1] == '>')
				t->self_closing = true;
			j++;
		}
		if (j >= n)
			break;
		if (s[j] == '>') {
			t->end = j + 1;
			return true;
		}
		size_t an = j;
		while (j < n && !is_space(s[j]) && s[j] != '=' && s[j] != '>' && s[j] != '/')
			j++;
		size_t an_len = j - an;
		if (an_len == 0)
			j++; /* a stray character such as '"' */
		while (j < n && is_space(s[j]))
			j++;
		if (j < n && s[j] == '=') {
			j++;
			while (j < n && is_space(s[j]))
				j++;
			size_t vs, ve;
			if (j < n && (s[j] == '"' || s[j] == '\'')) {
				char q = s[j++];
				vs = j;
				while (j < n && s[j] != q)
					j++;
				ve = j;
				if (j < n)
					j++;
			} else {
				vs = j;
				while (j < n && !is_space(s[j]) && s[j] != '>')
					j++;
				ve = j;
			}
			if (an_len == 4 && strncasecmp(s + an, "href", 4) == 0) {
				t->href = s + vs;
				t->href_len = ve - vs;
			}
		}
	}
	t->end = n; /* unterminated tag: runs to the end */
	return true;
}

/* Skips raw text up to the matching close tag "</name"; returns the index
 * after its '>' (or n). */
static size_t skip_raw(const char *s, size_t n, size_t i, const char *name, bx_buf *capture)
{
	size_t nl = strlen(name);
	size_t j = i;
	while (j < n) {
		const char *lt = memchr(s + j, '<', n - j);
		if (!lt)
			break;
		size_t k = (size_t)(lt - s);
		if (k + 2 + nl <= n && s[k + 1] == '/' && strncasecmp(s + k + 2, name, nl) == 0 &&
		    (k + 2 + nl == n || !is_alpha(s[k + 2 + nl]))) {
			if (capture)
				bx_buf_append(capture, s + i, k - i);
			const char *gt = memchr(s + k, '>', n - k);
			return gt ? (size_t)(gt - s) + 1 : n;
		}
		j = k + 1;
	}
	if (capture)
		bx_buf_append(capture, s + i, n - i);
	return n;
}

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

/* Elements whose whole content is dropped. */
static const char *const dropped[] = {"script", "style",  "noscript", "template", "svg",
                                      "iframe", "object", "canvas",   "math",     NULL};
static const char *const paragraph[] = {
        "p",       "blockquote", "pre",    "table",  "ul", "ol",   "dl",       "figure",
        "section", "article",    "header", "footer", "hr", "form", "fieldset", NULL};
static const char *const line[] = {
        "div",   "li",         "tr",      "dt",      "dd",      "br",      "nav",    "main",
        "aside", "figcaption", "address", "summary", "details", "caption", "option", "legend",
        "tbody", "thead",      "tfoot",   "body",    "html",    NULL};

/* Elements that may appear in <head>; any other ends it. */
static const char *const head_only[] = {"meta",   "link",     "base",     "title", "style",
                                        "script", "noscript", "template", NULL};

/* Decodes text s[0..n) with character references into the writer. */
static void decoded_text(writer *w, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t k = amp ? (size_t)(amp - s) : n;
		text_bytes(w, s + i, k - i);
		if (k >= n)
			break;
		unsigned long cp;
		size_t used = decode_entity(s + k, n - k, &cp);
		if (used) {
			text_cp(w, cp);
			i = k + used;
		} else {
			text_bytes(w, "&", 1);
			i = k + 1;
		}
	}
}

/* Plain decoded text into buf (for the title and link URLs). */
static void decode_into(bx_buf *buf, const char *s, size_t n, bool collapse)
{
	bool space = false;
	for (size_t i = 0; i < n;) {
		unsigned long cp;
		size_t used;
		if (s[i] == '&' && (used = decode_entity(s + i, n - i, &cp))) {
			i += used;
		} else {
			cp = (unsigned char)s[i];
			i++;
			if (cp >= 0x80) {
				bx_buf_putc(buf, (char)cp); /* UTF-8 bytes pass through */
				space = false;
				continue;
			}
		}
		if (collapse && (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r')) {
			space = buf->len > 0;
			continue;
		}
		if (cp < 0x20 && cp != '\t')
			continue;
		if (space)
			bx_buf_putc(buf, ' ');
		space = false;
		html_put_utf8(buf, cp);
	}
}

void html_to_text(const char *s, size_t n, const char *base_url, bx_buf *out, bx_buf *title)
{
	writer w = {.out = out, .link_pos = SIZE_MAX};
	bx_buf_append(out, "", 0);
	bool in_head = false;
	size_t i = 0;
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t k = lt ? (size_t)(lt - s) : n;
		if (k > i && !in_head)
			decoded_text(&w, s + i, k - i);
		if (k >= n)
			break;
		i = k;
		/* Comments, doctypes, processing instructions, CDATA. */
		if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
			const char *end = NULL;
			for (size_t j = i + 4; j + 2 < n && !end; j++)
				if (s[j] == '-' && s[j + 1] == '-' && s[j + 2] == '>')
					end = s + j + 3;
			i = end ? (size_t)(end - s) : n;
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
			const char *gt = memchr(s + i, '>', n - i);
			i = gt ? (size_t)(gt - s) + 1 : n;
			continue;
		}
		tag t;
		if (!parse_tag(s, n, i, &t)) {
			if (!in_head)
				text_bytes(&w, "<", 1);
			i++;
			continue;
		}
		i = t.end;
		const char *name = t.name;

		if (!t.closing && strcmp(name, "title") == 0) {
			bx_buf raw = {0};
			i = skip_raw(s, n, i, "title", &raw);
			if (title && title->len == 0 && raw.len)
				decode_into(title, raw.data, raw.len, true);
			bx_buf_free(&raw);
			continue;
		}
		if (!t.closing && name_in(name, dropped)) {
			if (!t.self_closing)
				i = skip_raw(s, n, i, name, NULL);
			continue;
		}
		if (strcmp(name, "head") == 0) {
			in_head = !t.closing;
			continue;
		}
		if (in_head && !name_in(name, head_only))
			in_head = false; /* content implies the head has ended */
		if (in_head)
			continue;

		if (strcmp(name, "a") == 0) {
			close_link(&w);
			if (!t.closing && t.href && t.href_len) {
				bx_buf raw = {0};
				decode_into(&raw, t.href, t.href_len, false);
				if (raw.len && raw.data[0] != '#' &&
				    strncasecmp(raw.data, "javascript:", 11) != 0) {
					html_resolve_url(base_url, raw.data, raw.len, &w.link_url);
					w.link_open = true;
					w.link_pos = SIZE_MAX;
				}
				bx_buf_free(&raw);
			}
			continue;
		}
		if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
			block_break(&w, 2);
			if (!t.closing) {
				int level = name[1] - '0';
				memset(w.prefix_buf, '#', (size_t)level);
				w.prefix_buf[level] = ' ';
				w.prefix_buf[level + 1] = '\0';
				w.prefix = w.prefix_buf;
			}
			continue;
		}
		if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0) {
			block_break(&w, w.list_depth ? 1 : 2);
			if (!t.closing) {
				if (w.list_depth < 16)
					w.list_next[w.list_depth] = name[0] == 'o' ? 1 : 0;
				w.list_depth++;
			} else if (w.list_depth > 0) {
				w.list_depth--;
			}
			continue;
		}
		if (strcmp(name, "li") == 0) {
			block_break(&w, 1);
			if (!t.closing) {
				int d = w.list_depth > 0 ? w.list_depth - 1 : 0;
				int indent = d < 8 ? d * 2 : 16;
				memset(w.prefix_buf, ' ', (size_t)indent);
				int *next = w.list_depth > 0 && w.list_depth <= 16
				                    ? &w.list_next[w.list_depth - 1]
				                    : NULL;
				if (next && *next)
					snprintf(w.prefix_buf + indent,
					         sizeof(w.prefix_buf) - (size_t)indent, "%d. ",
					         (*next)++);
				else
					snprintf(w.prefix_buf + indent,
					         sizeof(w.prefix_buf) - (size_t)indent, "- ");
				w.prefix = w.prefix_buf;
			}
			continue;
		}
		if (strcmp(name, "tr") == 0) {
			w.cells = 0;
			block_break(&w, 1);
			continue;
		}
		if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
			if (!t.closing && w.cells++ > 0) {
				flush(&w);
				bx_buf_puts(w.out, " | ");
			}
			continue;
		}
		if (strcmp(name, "br") == 0) {
			/* Each <br> is one more newline, up to a blank line. */
			int have = 0;
			for (size_t j = out->len; j > 0 && have < 2 && out->data[j - 1] == '\n';
			     j--)
				have++;
			int want = (w.pending_breaks > have ? w.pending_breaks : have) + 1;
			w.pending_breaks = want > 2 ? 2 : want;
			if (!out->len)
				w.pending_breaks = 0;
			w.pending_space = false;
			continue;
		}
		if (strcmp(name, "hr") == 0) {
			block_break(&w, 2);
			flush(&w);
			bx_buf_puts(w.out, "---");
			block_break(&w, 2);
			continue;
		}
		if (strcmp(name, "pre") == 0) {
			block_break(&w, 2);
			if (!t.closing)
				w.pre++;
			else if (w.pre > 0)
				w.pre--;
			continue;
		}
		if (strcmp(name, "img") == 0)
			continue;
		if (name_in(name, paragraph)) {
			block_break(&w, 2);
			continue;
		}
		if (name_in(name, line)) {
			block_break(&w, 1);
			continue;
		}
		/* Inline elements (span, b, em, code, ...) only separate words
		 * when whitespace does, so nothing to do. */
	}
	close_link(&w);
	bx_buf_free(&w.link_url);
	/* No trailing whitespace. */
	while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' '))
		out->len--;
	out->data[out->len] = '\0';
}
