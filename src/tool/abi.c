/*
 * abi.c - the boxagent.* host functions (see abi.h, docs/tool-abi.md).
 */
#include "tool/abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct response {
	bool open;
	int status;
	char *headers; /* owned */
	size_t headers_len;
	char *body; /* owned */
	size_t body_len;
	size_t read_pos;
} response;

struct ba_abi {
	ba_egress *egress;
	size_t max_request_bytes;
	response responses[BA_ABI_MAX_RESPONSES];
	char last_error[1024];
	unsigned requests, denied;
	size_t held; /* body + header bytes of open responses */
};

ba_abi *ba_abi_new(ba_egress *egress, size_t max_request_bytes)
{
	ba_abi *abi = calloc(1, sizeof *abi);
	if (!abi)
		return NULL;
	abi->egress = egress;
	abi->max_request_bytes = max_request_bytes ? max_request_bytes : 8u << 20;
	return abi;
}

static void response_clear(ba_abi *abi, response *r)
{
	abi->held -= r->headers_len + r->body_len;
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof *r);
}

void ba_abi_free(ba_abi *abi)
{
	if (!abi)
		return;
	for (size_t i = 0; i < BA_ABI_MAX_RESPONSES; i++)
		response_clear(abi, &abi->responses[i]);
	free(abi);
}

void ba_abi_stats(const ba_abi *abi, unsigned *requests, unsigned *denied)
{
	*requests = abi->requests;
	*denied = abi->denied;
}

static int32_t fail(ba_abi *abi, int32_t code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Records the reason for the last_error call and returns code. */
static int32_t fail(ba_abi *abi, int32_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(abi->last_error, sizeof abi->last_error, fmt, ap);
	va_end(ap);
	return code;
}

/* A guest span [ptr, ptr+len) as a host pointer, or NULL when it lies
 * outside memory. A zero length is always fine (returns a non-NULL dummy
 * only if the pointer is in range; callers never dereference it). */
static uint8_t *guest_span(ba_wasm_caller *caller, uint32_t ptr, uint32_t len)
{
	ba_wasm_memory *mem = ba_wasm_caller_memory(caller);
	if (!mem)
		return NULL;
	return ba_wasm_memory_span(mem, ptr, len);
}

static bool guest_put_u32(ba_wasm_caller *caller, uint32_t ptr, uint32_t value)
{
	uint8_t *p = guest_span(caller, ptr, 4);
	if (!p)
		return false;
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
	p[2] = (uint8_t)(value >> 16);
	p[3] = (uint8_t)(value >> 24);
	return true;
}

static int32_t status_of(ba_egress_result r)
{
	switch (r) {
	case BA_EGRESS_OK:
		return BA_ABI_OK;
	case BA_EGRESS_DENIED:
		return BA_ABI_DENIED;
	case BA_EGRESS_INVALID:
		return BA_ABI_INVALID;
	case BA_EGRESS_FAILED:
		return BA_ABI_FAILED;
	case BA_EGRESS_TOO_LARGE:
		return BA_ABI_TOO_LARGE;
	case BA_EGRESS_TIMEOUT:
		return BA_ABI_TIMEOUT;
	}
	return BA_ABI_FAILED;
}

#define ARG(i) (args[i].of.i32)
#define RETURN(code)                                                 \
	do {                                                         \
		results[0] = ba_wasm_i32((uint32_t)(int32_t)(code)); \
		return BA_WASM_OK;                                   \
	} while (0)

static ba_wasm_err host_http_request(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                     ba_wasm_value *results)
{
	ba_abi *abi = user;
	uint32_t method_ptr = ARG(0), method_len = ARG(1), url_ptr = ARG(2), url_len = ARG(3);
	uint32_t headers_ptr = ARG(4), headers_len = ARG(5), body_ptr = ARG(6), body_len = ARG(7);
	uint32_t handle_out = ARG(8);
	abi->requests++;

	if (method_len == 0 || method_len > BA_ABI_METHOD_MAX)
		RETURN(fail(abi, BA_ABI_LIMIT, "method must be 1-%d bytes", BA_ABI_METHOD_MAX));
	if (url_len == 0 || url_len > BA_URL_MAX)
		RETURN(fail(abi, BA_ABI_LIMIT, "url must be 1-%d bytes (got %u)", BA_URL_MAX,
		            url_len));
	if (headers_len > BA_EGRESS_MAX_HEADERS_BYTES)
		RETURN(fail(abi, BA_ABI_LIMIT, "headers must be at most %d bytes (got %u)",
		            BA_EGRESS_MAX_HEADERS_BYTES, headers_len));
	if (body_len > abi->max_request_bytes)
		RETURN(fail(abi, BA_ABI_TOO_LARGE,
		            "request body of %u bytes is over the %zu-byte cap", body_len,
		            abi->max_request_bytes));
	const uint8_t *method = guest_span(caller, method_ptr, method_len);
	const uint8_t *url = guest_span(caller, url_ptr, url_len);
	const uint8_t *headers = guest_span(caller, headers_ptr, headers_len);
	const uint8_t *body = guest_span(caller, body_ptr, body_len);
	if (!method || !url || !headers || !body || !guest_span(caller, handle_out, 4))
		RETURN(fail(abi, BA_ABI_FAULT,
		            "a pointer passed to http_request lies outside memory"));

	size_t slot = BA_ABI_MAX_RESPONSES;
	for (size_t i = 0; i < BA_ABI_MAX_RESPONSES; i++)
		if (!abi->responses[i].open) {
			slot = i;
			break;
		}
	if (slot == BA_ABI_MAX_RESPONSES)
		RETURN(fail(abi, BA_ABI_LIMIT, "more than %d responses are open; close some",
		            BA_ABI_MAX_RESPONSES));

	/* The strings are copied to be NUL-terminated. The body is not: it
	 * may be megabytes, and guest memory neither moves (it is reserved up
	 * front) nor changes while the guest is stopped in this call. */
	char method_text[BA_ABI_METHOD_MAX + 1];
	memcpy(method_text, method, method_len);
	method_text[method_len] = '\0';
	char *url_text = malloc((size_t)url_len + 1);
	char *headers_text = malloc((size_t)headers_len + 1);
	if (!url_text || !headers_text) {
		free(url_text);
		free(headers_text);
		RETURN(fail(abi, BA_ABI_LIMIT, "out of host memory"));
	}
	memcpy(url_text, url, url_len);
	url_text[url_len] = '\0';
	memcpy(headers_text, headers, headers_len);
	headers_text[headers_len] = '\0';
	int32_t code;
	if (memchr(url_text, '\0', url_len) || memchr(method_text, '\0', method_len) ||
	    memchr(headers_text, '\0', headers_len)) {
		code = fail(abi, BA_ABI_INVALID,
		            "method, url and headers must not contain NUL bytes");
	} else if (!abi->egress) {
		abi->denied++;
		code = fail(abi, BA_ABI_DENIED, "this tool has no network capability");
	} else {
		ba_egress_request req = {.method = method_text,
		                         .url = url_text,
		                         .headers = headers_len ? headers_text : NULL,
		                         .headers_len = headers_len,
		                         .body = body_len ? body : NULL,
		                         .body_len = body_len};
		ba_egress_response resp;
		char reason[1024] = "";
		ba_egress_result r =
		        ba_egress_fetch(abi->egress, &req, &resp, reason, sizeof reason);
		code = status_of(r);
		if (r == BA_EGRESS_OK &&
		    abi->held + resp.headers.len + resp.body.len > BA_ABI_MAX_HELD_BYTES) {
			/* Sixteen open responses of 16 MiB each would be 256 MiB of
			 * host memory on top of the guest's own. */
			code = fail(abi, BA_ABI_LIMIT,
			            "open responses would hold more than %u MiB; read and close "
			            "(http_close) earlier ones first",
			            BA_ABI_MAX_HELD_BYTES >> 20);
		} else if (r == BA_EGRESS_OK) {
			response *out = &abi->responses[slot];
			out->open = true;
			out->status = resp.status;
			out->headers = ba_buf_detach(&resp.headers, &out->headers_len);
			out->body = ba_buf_detach(&resp.body, &out->body_len);
			abi->held += out->headers_len + out->body_len;
			/* The guest only learns the handle once it is valid. */
			guest_put_u32(caller, handle_out, (uint32_t)slot + 1);
		} else {
			if (r == BA_EGRESS_DENIED)
				abi->denied++;
			fail(abi, code, "%s", reason[0] ? reason : ba_egress_result_name(r));
		}
		ba_egress_response_release(&resp);
	}
	free(url_text);
	free(headers_text);
	RETURN(code);
}

static response *lookup(ba_abi *abi, uint32_t handle)
{
	if (handle == 0 || handle > BA_ABI_MAX_RESPONSES || !abi->responses[handle - 1].open) {
		fail(abi, BA_ABI_INVALID, "%u is not an open response handle", handle);
		return NULL;
	}
	return &abi->responses[handle - 1];
}

static ba_wasm_err host_http_status(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                    ba_wasm_value *results)
{
	response *r = lookup(user, ARG(0));
	RETURN(r ? r->status : -BA_ABI_INVALID);
}

/* Copies min(cap, len) bytes of src to the guest and the full len to
 * len_out: the shared shape of http_headers, last_error. */
static int32_t copy_out(ba_abi *abi, ba_wasm_caller *caller, const char *src, size_t len,
                        uint32_t buf_ptr, uint32_t buf_cap, uint32_t len_out)
{
	size_t n = len < buf_cap ? len : buf_cap;
	uint8_t *dst = guest_span(caller, buf_ptr, (uint32_t)n);
	if (!dst || !guest_span(caller, len_out, 4))
		return fail(abi, BA_ABI_FAULT, "a pointer passed to the host lies outside memory");
	if (n)
		memcpy(dst, src, n);
	guest_put_u32(caller, len_out, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	return BA_ABI_OK;
}

static ba_wasm_err host_http_headers(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                     ba_wasm_value *results)
{
	ba_abi *abi = user;
	response *r = lookup(abi, ARG(0));
	if (!r)
		RETURN(BA_ABI_INVALID);
	RETURN(copy_out(abi, caller, r->headers ? r->headers : "", r->headers_len, ARG(1), ARG(2),
	                ARG(3)));
}

static ba_wasm_err host_http_read(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                  ba_wasm_value *results)
{
	ba_abi *abi = user;
	response *r = lookup(abi, ARG(0));
	if (!r)
		RETURN(BA_ABI_INVALID);
	size_t left = r->body_len - r->read_pos;
	size_t n = left < ARG(2) ? left : ARG(2);
	uint8_t *dst = guest_span(caller, ARG(1), (uint32_t)n);
	if (!dst || !guest_span(caller, ARG(3), 4))
		RETURN(fail(abi, BA_ABI_FAULT,
		            "a pointer passed to http_read lies outside memory"));
	if (n)
		memcpy(dst, r->body + r->read_pos, n);
	r->read_pos += n;
	guest_put_u32(caller, ARG(3), (uint32_t)n);
	RETURN(BA_ABI_OK);
}

static ba_wasm_err host_http_close(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	response *r = lookup(user, ARG(0));
	if (!r)
		RETURN(BA_ABI_INVALID);
	response_clear(user, r);
	RETURN(BA_ABI_OK);
}

static ba_wasm_err host_last_error(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	ba_abi *abi = user;
	/* Reading the reason must not overwrite it when it fails. */
	char saved[sizeof abi->last_error];
	memcpy(saved, abi->last_error, sizeof saved);
	int32_t code = copy_out(abi, caller, saved, strlen(saved), ARG(0), ARG(1), ARG(2));
	if (code != BA_ABI_OK)
		memcpy(abi->last_error, saved, sizeof saved);
	RETURN(code);
}

int ba_abi_link(ba_abi *abi, ba_linker *linker)
{
	static const struct {
		const char *name, *sig;
		ba_wasm_host_fn fn;
	} funcs[] = {
	        {"http_request", "iiiiiiiii:i", host_http_request},
	        {"http_status", "i:i", host_http_status},
	        {"http_headers", "iiii:i", host_http_headers},
	        {"http_read", "iiii:i", host_http_read},
	        {"http_close", "i:i", host_http_close},
	        {"last_error", "iii:i", host_last_error},
	};
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
		if (ba_linker_define(linker, "boxagent", funcs[i].name, funcs[i].sig, funcs[i].fn,
		                     abi))
			return -1;
	return 0;
}
