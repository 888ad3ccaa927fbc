/*
 * http_request - one HTTP request to an API, with a JSON or text body.
 *
 * Input:  {"method": "POST", "url": "https://api.example.com/v1/items",
 *          "headers": {"Accept": "application/json"},
 *          "json": {"name": "x"}}            (or "body": "raw text")
 * Output: {"status", "headers": {name: value}, "json": ... | "body": "...",
 *          "truncated"}
 *
 * The request goes through the host's egress chokepoint, which checks the
 * URL and method against this tool's capabilities and injects secrets it
 * is bound to; the tool never sees them. A response body that parses as
 * JSON is returned as "json", anything else as "body" text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boxagent.h"

static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", NULL};

/* RFC 9110 token characters, for header names. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7F || strchr("\"(),/:;<=>?@[\\]{}", c))
			return false;
	}
	return true;
}

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "method", "url", "headers", "json", "body", "max_bytes", NULL);
	const char *method_arg = bx_arg_string_opt(in, "method", "GET");
	const char *url = bx_arg_name(in, "url");
	const bx_json *headers = bx_arg_object_opt(in, "headers");
	const bx_json *json = bx_json_get(in, "json");
	if (bx_json_type(json) == BX_NULL)
		json = NULL; /* null means "not given", as for every field */
	const char *body = bx_arg_string_opt(in, "body", NULL);
	int64_t max_bytes = bx_arg_int_opt(in, "max_bytes", 1 << 20, 0, 8 << 20);
	if (json && body)
		bx_error("pass either \"json\" or \"body\", not both");
	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
		bx_error("url must start with https:// or http://, got \"%s\"", url);

	char method[16];
	size_t mlen = strlen(method_arg);
	if (mlen >= sizeof(method))
		bx_error("method \"%s\" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
		         method_arg);
	for (size_t i = 0; i <= mlen; i++) {
		char c = method_arg[i];
		method[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	bool known = false;
	for (const char *const *m = methods; *m; m++)
		known |= strcmp(*m, method) == 0;
	if (!known)
		bx_error("method \"%s\" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
		         method_arg);

	/* Header lines; CR, LF and NUL would smuggle extra headers. */
	bx_buf lines = {0};
	bool have_type = false;
	bx_buf_append(&lines, "", 0);
	for (size_t i = 0; i < bx_json_len(headers); i++) {
		const char *name = bx_json_key_at(headers, i);
		const bx_json *v = bx_json_at(headers, i);
		const char *value = bx_json_string(v);
		if (!value)
			bx_error("header \"%s\" must have a string value", name);
		if (!is_token(name))
			bx_error("\"%s\" is not a valid header name", name);
		if (strlen(value) != bx_json_string_len(v) || strpbrk(value, "\r\n"))
			bx_error("the value of header \"%s\" contains a line break or NUL", name);
		if (strcasecmp(name, "content-type") == 0)
			have_type = true;
		bx_buf_printf(&lines, "%s: %s\n", name, value);
	}

	const char *payload = NULL;
	size_t payload_len = 0;
	bx_out *encoded = NULL;
	if (json) {
		encoded = bx_out_new();
		bx_out_json(encoded, json);
		payload = bx_out_text(encoded, &payload_len);
		if (!have_type)
			bx_buf_puts(&lines, "Content-Type: application/json\n");
	} else if (body) {
		payload = body;
		payload_len = bx_json_string_len(bx_json_get(in, "body"));
	}

	bx_http_response r;
	int st = bx_http_capped(method, url, lines.data, payload, payload_len, (size_t)max_bytes,
	                        &r);
	if (st != BX_OK)
		bx_error("%s %s failed: %s", method, url, bx_last_error());

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_int(o, "status", r.status);
	bx_out_key(o, "headers");
	bx_out_begin_object(o);
	/* Header lines are "name: value\n"; a repeated name is output once
	 * with its values joined (bx_http_header does the joining). */
	const char *s = r.headers, *end = r.headers + r.headers_len;
	bx_buf seen = {0};
	bx_buf_append(&seen, "\n", 1);
	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		const char *colon = memchr(s, ':', (size_t)(eol - s));
		if (colon && colon > s) {
			char name[256];
			size_t nlen = (size_t)(colon - s);
			if (nlen < sizeof(name)) {
				memcpy(name, s, nlen);
				name[nlen] = '\0';
				char marker[260];
				snprintf(marker, sizeof(marker), "\n%s\n", name);
				if (!strstr(seen.data, marker)) {
					bx_buf_printf(&seen, "%s\n", name);
					char *value = bx_http_header(&r, name);
					bx_out_kv_string(o, name, value ? value : "");
					free(value);
				}
			}
		}
		s = eol + 1;
	}
	bx_out_end_object(o);

	bx_json *parsed = NULL;
	if (!r.truncated && r.body_len)
		parsed = bx_json_parse(r.body, r.body_len, NULL, 0);
	if (parsed) {
		bx_out_key(o, "json");
		bx_out_json(o, parsed);
	} else {
		bx_out_key(o, "body");
		bx_out_string_n(o, r.body, r.body_len);
	}
	bx_out_kv_bool(o, "truncated", r.truncated);
	bx_out_end_object(o);
	bx_result_out(o);
}
