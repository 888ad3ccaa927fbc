/*
 * net_header_smuggle: control the request line or Host through headers,
 * the method or the URL.
 *
 * Grant: network:http://127.0.0.1:A. Tool headers naming Host,
 * Content-Length, Transfer-Encoding, Connection and Proxy-*, in odd cases
 * and spacings; CR, LF and NUL inside a header value, the method and the
 * URL. The target is A's /echo, so any success shows what the server got.
 * Proves: the tool cannot forge the Host the policy checked or inject
 * extra headers or requests.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"

static const char *a;

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Sends one request with raw lengths, so NUL bytes go through. */
static void try_raw(const char *label, const char *method, size_t method_len, const char *url,
                    size_t url_len, const char *headers, size_t headers_len)
{
	int32_t handle = 0;
	int32_t st = ba_http_request(P(method), (uint32_t)method_len, P(url), (uint32_t)url_len,
	                             P(headers), (uint32_t)headers_len, 0, 0, P(&handle));
	char err[512];

	if (st == BA_OK) {
		static char body[65536];
		uint32_t n = 0, total = 0;
		while (total < sizeof(body) - 1 &&
		       ba_http_read(handle, P(body + total), sizeof(body) - 1 - total, P(&n)) ==
		               BA_OK &&
		       n > 0)
			total += n;
		body[total] = '\0';
		ba_http_close(handle);
		lower(body);
		if (strstr(body, "\"x-smuggled\"") || strstr(body, "evil.example"))
			escaped("%s: the server received the smuggled header: %s", label,
			        first_line(body));
		unexpected("%s was sent (the ABI says refuse); the server saw: %.200s", label,
		           body);
	}
	/* LIMIT is the ABI's answer for an argument over its cap (a method
	 * longer than 16 bytes). */
	if (st != BA_INVALID && st != BA_DENIED && st != BA_LIMIT)
		unexpected("%s: %s (%s), expected INVALID", label, ba_status_name(st),
		           last_error_text(err, sizeof(err)));
	note("%s refused: %s (%s)", label, ba_status_name(st), last_error_text(err, sizeof(err)));
}

static void try_header(const char *label, const char *headers, size_t len)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", a);
	try_raw(label, "GET", 3, url, strlen(url), headers, len);
}

#define HDR(label, text) try_header(label, text, sizeof(text) - 1)

int main(void)
{
	char url[256];

	a = input_need("port_a");
	HDR("Host header", "Host: evil.example");
	HDR("lower-case host header", "host: evil.example");
	HDR("HOST with tab", "HOST:\tevil.example");
	HDR("Host after another header", "X-A: 1\r\nHost: evil.example");
	HDR("Host with a space before the colon", "Host : evil.example");
	HDR("folded Host", "X-A: 1\n Host: evil.example");
	HDR("Content-Length", "Content-Length: 50");
	HDR("Transfer-Encoding", "Transfer-Encoding: chunked");
	HDR("Connection", "Connection: Upgrade");
	HDR("Proxy-Authorization", "Proxy-Authorization: Basic eDp5");
	HDR("bare CR in a value", "X-A: 1\rX-Smuggled: yes");
	HDR("NUL in a value", "X-A: 1\0\r\nX-Smuggled: yes");
	HDR("header without a colon", "X-Smuggled yes");
	HDR("empty header name", ": x-smuggled");

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo HTTP/1.1\r\nX-Smuggled: yes\r\n", a);
	try_raw("CRLF in the URL", "GET", 3, url, strlen(url), NULL, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", a);
	{
		static const char method[] = "GET / HTTP/1.1\r\nX-Smuggled: yes\r\n\r\nGET";
		try_raw("CRLF in the method", method, sizeof(method) - 1, url, strlen(url), NULL,
		        0);
	}
	try_raw("CONNECT", "CONNECT", 7, url, strlen(url), NULL, 0);
	try_raw("TRACE", "TRACE", 5, url, strlen(url), NULL, 0);
	blocked("no header, method or URL smuggled anything");
}
