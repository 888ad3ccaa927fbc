/*
 * web_fetch - fetches a web page and returns it as readable text.
 *
 * Input:  {"url": "https://example.com/", "max_bytes": 1048576}
 * Output: {"url", "status", "content_type", "title"?, "text", "truncated"}
 *
 * A GET through the host's egress chokepoint (the boxagent import
 * module): the host decides which URLs this tool may reach, follows
 * redirects and re-checks each hop; a refusal comes back as an error
 * with the host's reason. HTML is reduced to text (html.c); other text
 * types (plain, JSON, XML, ...) are returned as they are; binary types
 * are an error. Any HTTP status is a result: a 404 page is still text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boxagent.h"
#include "html.h"

#define TEXT_MAX (1u << 20) /* text returned at most */

static bool contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

static bool is_text_type(const char *type)
{
	return strncasecmp(type, "text/", 5) == 0 || contains_ci(type, "json") ||
	       contains_ci(type, "xml") || contains_ci(type, "javascript") ||
	       contains_ci(type, "ecmascript") || contains_ci(type, "x-www-form-urlencoded");
}

/* Does the body look like HTML (for responses without a content type)? */
static bool sniff_html(const char *body, size_t len)
{
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	return len - i >= 5 &&
	       (strncasecmp(body + i, "<!doctype html", len - i < 14 ? len - i : 14) == 0 ||
	        strncasecmp(body + i, "<html", 5) == 0);
}

/* Latin-1 and windows-1252 pages become UTF-8 (the writer would turn
 * their bytes into U+FFFD otherwise). */
static void latin1_to_utf8(const char *s, size_t n, bx_buf *out)
{
	static const unsigned short c1[32] = {
	        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80)
			bx_buf_putc(out, (char)c);
		else
			html_put_utf8(out, c < 0xA0 ? c1[c - 0x80] : c);
	}
}

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "url", "max_bytes", NULL);
	const char *url = bx_arg_name(in, "url");
	int64_t max_bytes = bx_arg_int_opt(in, "max_bytes", 1 << 20, 1, 8 << 20);
	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
		bx_error("url must start with https:// or http://, got \"%s\"", url);

	bx_http_response r;
	int st = bx_http_capped(
	        "GET", url,
	        "Accept: text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8\n"
	        "User-Agent: boxagent-web_fetch/1.0",
	        NULL, 0, (size_t)max_bytes, &r);
	if (st != BX_OK)
		bx_error("cannot fetch %s: %s", url, bx_last_error());

	char *type = bx_http_header(&r, "content-type");
	const char *ctype = type ? type : "";
	bool html = contains_ci(ctype, "html") || (!*ctype && sniff_html(r.body, r.body_len));
	if (!html && *ctype && !is_text_type(ctype))
		bx_error("%s returned %s (status %d, %zu bytes), which is not text", url, ctype,
		         r.status, r.body_len);
	if (!html && !*ctype && bx_is_binary(r.body, r.body_len))
		bx_error("%s returned binary content (status %d, %zu bytes)", url, r.status,
		         r.body_len);

	const char *body = r.body;
	size_t body_len = r.body_len;
	bx_buf converted = {0};
	if (contains_ci(ctype, "iso-8859-1") || contains_ci(ctype, "latin1") ||
	    contains_ci(ctype, "windows-1252")) {
		latin1_to_utf8(r.body, r.body_len, &converted);
		body = converted.data;
		body_len = converted.len;
	}

	bx_buf text = {0}, title = {0};
	if (html)
		html_to_text(body, body_len, url, &text, &title);
	else
		bx_buf_append(&text, body, body_len);
	bool truncated = r.truncated;
	if (text.len > TEXT_MAX) {
		size_t cut = TEXT_MAX;
		while (cut && ((unsigned char)text.data[cut] & 0xC0) == 0x80)
			cut--; /* keep whole UTF-8 sequences */
		text.len = cut;
		truncated = true;
	}

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_string(o, "url", url);
	bx_out_kv_int(o, "status", r.status);
	bx_out_kv_string(o, "content_type", ctype);
	if (title.len) {
		bx_out_key(o, "title");
		bx_out_string_n(o, title.data, title.len);
	}
	bx_out_key(o, "text");
	bx_out_string_n(o, text.len ? text.data : "", text.len);
	bx_out_kv_bool(o, "truncated", truncated);
	bx_out_end_object(o);
	bx_result_out(o);
}
