/*
 * egress.h - the one way out: every network request a tool makes goes
 * through ba_egress_fetch(), which decides, records, pins and sends.
 *
 * For each hop (the first URL and every redirect, which we follow
 * ourselves - libcurl never does):
 *   1. parse the URL (url.h); refuse what does not parse;
 *   2. find an effective network capability allowing scheme/host/port/path
 *      and method (caps.h); none -> deny "network:URL is not granted";
 *   3. resolve the host (the operator's static map first, then
 *      getaddrinfo); every address is classified (addr.h). If the host is
 *      an IP literal or "localhost" and the matching capability names it
 *      literally, non-public addresses of that kind are allowed (loopback
 *      only for localhost); otherwise any non-public address -> deny,
 *      naming the address and its class. All addresses must pass, not just
 *      the first;
 *   4. pin: libcurl gets CURLOPT_RESOLVE host:port:addr for the checked
 *      addresses only, and an open-socket callback refuses any address
 *      not on that list; proxies are disabled (CURLOPT_PROXY "" and
 *      CURLOPT_NOPROXY "*", whatever the environment says); protocols are
 *      limited to http and https;
 *   5. secrets: the request (URL, tool headers, body) is scanned for every
 *      secret value; found -> deny and record, nothing is sent. Then every
 *      secret granted to the tool whose binding allows this URL is added
 *      as its header. On a redirect to a different origin (scheme, host or
 *      port) the injected secrets are recomputed for the new destination,
 *      so a secret never follows a redirect to a place it is not bound to;
 *   6. send with the remaining time budget; the response body is capped at
 *      max_response_bytes (exceeding it is an error, not a truncation).
 * 301/302/303 turn into GET without a body (as browsers do); 307/308 keep
 * method and body. At most max_redirects hops.
 *
 * Every decision - allow and deny, each hop - is written to the audit log
 * with tool, capability "network", target URL, address, bytes and reason.
 * If the audit write fails the request is not made.
 *
 * libcurl is loaded with dlopen("libcurl.so.4") at the first request;
 * a missing library is a clear error for that request only.
 */
#ifndef BA_SANDBOX_EGRESS_H
#define BA_SANDBOX_EGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sandbox/audit.h"
#include "sandbox/caps.h"
#include "sandbox/secrets.h"

#define BA_EGRESS_MAX_HEADERS_BYTES          (64 * 1024) /* tool-supplied headers */
#define BA_EGRESS_STATIC_HOSTS_MAX           32
#define BA_EGRESS_MAX_RESPONSE_HEADERS_BYTES (256 * 1024) /* of one response */

/* An operator-supplied name -> address mapping (like curl --resolve);
 * the address is still classified. */
typedef struct ba_egress_static_host {
	char host[BA_URL_HOST_MAX]; /* lower-case name                   */
	char address[64];           /* IPv4 or IPv6 text                 */
} ba_egress_static_host;

typedef struct ba_egress_config {
	const char *tool_name;                     /* for the audit log; borrowed        */
	const ba_capset *caps;                     /* effective capabilities; borrowed   */
	const ba_secrets *secrets;                 /* granted secrets with values, may be
	                                              NULL; borrowed                    */
	ba_audit *audit;                           /* borrowed; may be NULL in unit tests
	                                              only (then nothing is recorded)   */
	const ba_egress_static_host *static_hosts; /* borrowed            */
	size_t static_host_count;
	size_t max_request_bytes;  /* body; default 8 MiB               */
	size_t max_response_bytes; /* body; default 16 MiB              */
	unsigned max_redirects;    /* default 5                         */
	uint64_t timeout_ns;       /* per request; default 30 s         */
	uint64_t deadline_ns;      /* CLOCK_MONOTONIC, 0 = none: a request
	                              never runs past it                */
} ba_egress_config;

typedef struct ba_egress ba_egress;

/* config is copied (its pointers stay borrowed). NULL when out of memory. */
ba_egress *ba_egress_new(const ba_egress_config *config);
void ba_egress_free(ba_egress *egress);

typedef struct ba_egress_request {
	const char *method;  /* "GET", ... (upper-case; others refused)  */
	const char *url;     /* borrowed, NUL-terminated                 */
	const char *headers; /* "Name: value" lines separated by "\n"
	                        (or "\r\n"); NULL = none. Host, Content-
	                        Length, Transfer-Encoding, Connection and
	                        Proxy-* are refused: the host sets those. */
	size_t headers_len;
	const void *body; /* may be NULL                           */
	size_t body_len;
} ba_egress_request;

typedef struct ba_egress_response {
	int status;     /* HTTP status of the final hop              */
	ba_buf headers; /* "Name: value\n" lines of the final hop    */
	ba_buf body;    /* the body, at most max_response_bytes      */
	char final_url[BA_URL_MAX + 64];
} ba_egress_response;

typedef enum ba_egress_result {
	BA_EGRESS_OK = 0,    /* a response arrived (any HTTP status)        */
	BA_EGRESS_DENIED,    /* policy said no; reason says why             */
	BA_EGRESS_INVALID,   /* malformed request (URL, method, headers)    */
	BA_EGRESS_FAILED,    /* network error (DNS, connect, TLS, ...)      */
	BA_EGRESS_TOO_LARGE, /* request or response over its cap           */
	BA_EGRESS_TIMEOUT,   /* the per-request timeout or the deadline     */
} ba_egress_result;

/* Initialises resp (release it with ba_egress_response_release even on
 * failure). reason receives a message a model can act on, e.g.
 * "network:http://10.0.0.5:80/ is not granted to web_fetch" or
 * "address 127.0.0.1 of evil.test is loopback; only a grant naming the
 * literal address may reach it". */
ba_egress_result ba_egress_fetch(ba_egress *egress, const ba_egress_request *req,
                                 ba_egress_response *resp, char *reason, size_t reason_len);
void ba_egress_response_release(ba_egress_response *resp);

const char *ba_egress_result_name(ba_egress_result result);

#endif
