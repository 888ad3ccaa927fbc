/*
 * http_reason.h - the reason phrase for a status line, shared by the test
 * servers (httpd.c, fakellm.c), which are programs of their own.
 *
 * Clients ignore the phrase (RFC 9110 section 15); it is there for people
 * reading a test's log. Codes not listed get "Status".
 */
#ifndef BA_TESTS_SUPPORT_HTTP_REASON_H
#define BA_TESTS_SUPPORT_HTTP_REASON_H

static inline const char *ba_test_reason_phrase(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 529:
		return "Overloaded";
	default:
		return "Status";
	}
}

#endif /* BA_TESTS_SUPPORT_HTTP_REASON_H */
