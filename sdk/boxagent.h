/*
 * boxagent.h - the C SDK for boxagent tools.
 *
 * A tool is a wasm32-wasi command: it reads its JSON input from stdin,
 * writes its JSON result to stdout and exits 0, or writes
 * {"error": "..."} and exits 1 (docs/tool-abi.md). This SDK does the
 * plumbing so a tool is only its logic:
 *
 *   int main(void)
 *   {
 *           bx_json *in = bx_input();                  // stdin -> object
 *           const char *name = bx_arg_string(in, "name"); // required
 *           bx_out *o = bx_out_new();
 *           bx_out_begin_object(o);
 *           bx_out_kv_string(o, "greeting", name);
 *           bx_out_end_object(o);
 *           bx_result_out(o);                          // prints, exit 0
 *   }
 *
 * It is compiled into every tool (the .c files in sdk/ are plain sources,
 * no install),
 * runs inside the sandbox, and so trusts nothing it reads: every size is
 * capped, every parse error names its position, and no input can make it
 * trap. Functions marked "exits" print {"error": ...} and end the tool
 * with exit code 1 instead of returning; memory exhaustion does the same.
 *
 * Ownership: every pointer returned points into the object it came from
 * (borrowed) unless it says "owned"; the tool is short-lived, so freeing
 * is optional but supported.
 */
#ifndef BOXAGENT_SDK_H
#define BOXAGENT_SDK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ caps */

#define BX_INPUT_MAX        (16u << 20) /* largest stdin input read           */
#define BX_JSON_MAX_DEPTH   64          /* deepest nesting the parser accepts */
#define BX_JSON_MAX_NUMBER  512         /* longest number literal, in chars   */
#define BX_OUT_MAX          (64u << 20) /* largest text a bx_out may build    */
#define BX_HTTP_MAX_BODY    (16u << 20) /* default response body cap          */
#define BX_HTTP_MAX_HEADERS (1u << 20)
#define BX_PATH_MAX         4096
#define BX_WORKSPACE        "/workspace" /* where relative paths point          */

#if defined(__GNUC__)
#define BX_NORETURN     __attribute__((noreturn))
#define BX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BX_VPRINTF(f)   __attribute__((format(printf, f, 0)))
#else
#define BX_VPRINTF(f)
#define BX_NORETURN
#define BX_PRINTF(f, a)
#endif

/* ------------------------------------------------------------ JSON (DOM) */

typedef enum bx_type {
	BX_NULL,
	BX_BOOL,
	BX_NUMBER,
	BX_STRING,
	BX_ARRAY,
	BX_OBJECT,
} bx_type;

typedef struct bx_json bx_json;

/*
 * Parses text[0..len) as one JSON value (RFC 8259: strict - no comments,
 * no trailing commas, no duplicate keys, strings must be valid UTF-8,
 * \u escapes with proper surrogate pairs; nesting at most
 * BX_JSON_MAX_DEPTH). Returns the value (owned; bx_json_free), or NULL
 * with a message such as "line 1, column 9: expected ':' after an object
 * key" in err (err may be NULL).
 */
bx_json *bx_json_parse(const char *text, size_t len, char *err, size_t err_len);
void bx_json_free(bx_json *v);

/* The type of v; a NULL v counts as BX_NULL. */
bx_type bx_json_type(const bx_json *v);
/* "null", "boolean", "number", "string", "array", "object" */
const char *bx_type_name(bx_type t);

/* Object member by key, or NULL when v is not an object or has no key. */
bx_json *bx_json_get(const bx_json *v, const char *key);
/* Array element / object member i (0-based); NULL when out of range. */
bx_json *bx_json_at(const bx_json *v, size_t i);
/* Elements of an array or members of an object; 0 for other types. */
size_t bx_json_len(const bx_json *v);
#define bx_json_array_len bx_json_len
/* Key of object member i, or NULL. */
const char *bx_json_key_at(const bx_json *v, size_t i);

/* String contents (NUL-terminated; may contain NULs when the JSON had
 * \u0000 - use the _len variant), or NULL when v is not a string. */
const char *bx_json_string(const bx_json *v);
size_t bx_json_string_len(const bx_json *v);
/* Number as a double; def when v is not a number. */
double bx_json_number(const bx_json *v, double def);
/* Boolean; def when v is not a boolean. */
bool bx_json_bool(const bx_json *v, bool def);
/* Is v a number with an integral value that fits in int64_t? */
bool bx_json_is_int(const bx_json *v, int64_t *out);

/* Lenient typed getters: member key of object obj, or def when it is
 * missing or has another type. */
const char *bx_json_get_string(const bx_json *obj, const char *key, const char *def);
double bx_json_get_number(const bx_json *obj, const char *key, double def);
bool bx_json_get_bool(const bx_json *obj, const char *key, bool def);

/* ---------------------------------------------------------------- output */

typedef struct bx_out bx_out; /* a JSON text being written */

/* A new, empty writer (owned; bx_out_free). Commas and nesting are
 * handled by the writer: call begin/end, key, and value functions in
 * JSON order. Misuse (a value where a key is due, > 64 levels) and text
 * over BX_OUT_MAX exit with an error, as that is a bug in the tool. */
bx_out *bx_out_new(void);
void bx_out_free(bx_out *o);
void bx_out_begin_object(bx_out *o);
void bx_out_end_object(bx_out *o);
void bx_out_begin_array(bx_out *o);
void bx_out_end_array(bx_out *o);
void bx_out_key(bx_out *o, const char *key);
/* Strings are escaped; bytes that are not valid UTF-8 become U+FFFD, so
 * the result is always valid JSON whatever the bytes were. */
void bx_out_string(bx_out *o, const char *s);
void bx_out_string_n(bx_out *o, const char *s, size_t n);
void bx_out_int(bx_out *o, int64_t v);
void bx_out_number(bx_out *o, double v); /* NaN/inf become null */
void bx_out_bool(bx_out *o, bool v);
void bx_out_null(bx_out *o);
/* Writes a parsed value back as compact JSON (numbers keep their text). */
void bx_out_json(bx_out *o, const bx_json *v);
/* Key + value in one call. */
void bx_out_kv_string(bx_out *o, const char *key, const char *s);
void bx_out_kv_int(bx_out *o, const char *key, int64_t v);
void bx_out_kv_bool(bx_out *o, const char *key, bool v);
/* The text so far (borrowed, NUL-terminated). */
const char *bx_out_text(const bx_out *o, size_t *len);

/* Appends text to a growable byte buffer; used by tools for their own
 * scratch strings. All bx_buf functions exit on out-of-memory. */
typedef struct bx_buf {
	char *data; /* owned; NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
} bx_buf;
void bx_buf_append(bx_buf *b, const void *data, size_t n);
void bx_buf_puts(bx_buf *b, const char *s);
void bx_buf_putc(bx_buf *b, char c);
void bx_buf_printf(bx_buf *b, const char *fmt, ...) BX_PRINTF(2, 3);
void bx_buf_free(bx_buf *b);

/* ----------------------------------------------------------- tool I/O */

/* Reads all of stdin (at most BX_INPUT_MAX) and parses it; an empty
 * input counts as {}. The input must be a JSON object. Exits with a
 * clear error otherwise ("input is not valid JSON: line 1, column 2:
 * ..."). Returns the object (owned). */
bx_json *bx_input(void);

/* Reads all of stdin, at most max bytes. Owned, NUL-terminated; NULL with
 * errno set on a read error or EFBIG when over max. */
char *bx_read_stdin(size_t max, size_t *len);

/* Refuses members of obj other than the listed names (NULL-terminated):
 * exits with "unknown field \"pathh\" (expected one of: path, ...)". */
void bx_check_fields(const bx_json *obj, ...);

/*
 * Strict argument getters. A missing member or null means "not given".
 * Required getters exit with "missing required field \"path\"" when not
 * given; every getter exits when the member has the wrong type
 * ("field \"recursive\" must be a boolean, not a string") or, for
 * integers, is not integral or lies outside [min, max].
 */
const char *bx_arg_string(const bx_json *obj, const char *key);
const char *bx_arg_string_opt(const bx_json *obj, const char *key, const char *def);
/* Like bx_arg_string, and also refuses an empty string or one containing
 * NUL bytes (for names and paths). */
const char *bx_arg_name(const bx_json *obj, const char *key);
bool bx_arg_bool_opt(const bx_json *obj, const char *key, bool def);
int64_t bx_arg_int_opt(const bx_json *obj, const char *key, int64_t def, int64_t min, int64_t max);
/* Object/array members: NULL when not given; exits on another type. */
const bx_json *bx_arg_object_opt(const bx_json *obj, const char *key);
const bx_json *bx_arg_array_opt(const bx_json *obj, const char *key);

/* Prints json (borrowed; should be a JSON value) plus a newline to stdout
 * and exits 0. */
BX_NORETURN void bx_result(const char *json);
/* Prints the writer's text and exits 0. */
BX_NORETURN void bx_result_out(bx_out *o);
/* Prints {"error": "<formatted message>"} to stdout and exits 1. */
BX_NORETURN void bx_error(const char *fmt, ...) BX_PRINTF(1, 2);
BX_NORETURN void bx_verror(const char *fmt, va_list ap) BX_VPRINTF(1);

enum { BX_LOG_DEBUG, BX_LOG_INFO, BX_LOG_WARN, BX_LOG_ERROR };
/* One line on stderr: "[warn] message". Logs are for the operator, never
 * part of the result. */
void bx_log(int level, const char *fmt, ...) BX_PRINTF(2, 3);

/* Allocation that exits with "out of memory" instead of returning NULL. */
void *bx_malloc(size_t n);
void *bx_realloc(void *p, size_t n);
char *bx_strndup(const char *s, size_t n);

/* --------------------------------------------------------------- paths */

/*
 * Resolves a path from the input to a normalised absolute guest path in
 * out: relative paths are relative to BX_WORKSPACE; "//" and "." go,
 * ".." is resolved lexically (never above "/"; the host's sandbox decides
 * what may be opened in any case). Returns NULL, or a static message
 * ("path is empty", "path is too long", "path contains a NUL byte").
 */
const char *bx_path_resolve(const char *in, size_t in_len, char *out, size_t out_cap);
/* How to show a resolved path to the model: relative to BX_WORKSPACE when
 * inside it ("src/main.c", "." for the workspace itself), else as is.
 * Borrowed from path. */
const char *bx_path_display(const char *path);
/* ---------------------------------------------------------------- files */

/*
 * Reads the whole file at path (a resolved guest path). Returns the bytes
 * (owned, NUL-terminated) and their count in *len, or NULL with errno set:
 * EISDIR for a directory, ENODEV for something that is not a regular
 * file, EFBIG when it is larger than max bytes.
 */
char *bx_read_file(const char *path, size_t max, size_t *len);
/* Does data look binary (a NUL byte in it)? */
bool bx_is_binary(const void *data, size_t len);
/*
 * Replaces path with data atomically: writes a temporary file next to it
 * and renames it over path, so readers see the old or the new content,
 * never a mix, and a failure leaves the old file. 0, or -1 with errno.
 */
int bx_write_file_atomic(const char *path, const void *data, size_t len);
/* Creates the missing directories above path (like mkdir -p of its
 * parent). 0, or -1 with errno. */
int bx_mkdir_parents(const char *path);

/* strerror(err) with a hint for sandbox refusals, e.g. "not permitted
 * (the tool has no capability for this path)". Static text. */
const char *bx_errno_text(int err);

// Glob matching of a relative path: "*" any run of characters except
// '/', "?" one such character, "[abc]", "[a-z]", "[!x]" classes, "\x" a
// literal x, and "**" as a whole segment any number of segments (zero
// included): "src/**/*.c", "**/test_*". A pattern without '/' is matched
// against the last segment only ("*.c" matches "a/b/x.c").
bool bx_glob_match(const char *pattern, const char *path);

/* ---------------------------------------------------------------- HTTP */

/* Status codes of the boxagent host calls (docs/tool-abi.md). */
enum {
	BX_OK = 0,
	BX_DENIED = 1,
	BX_INVALID = 2,
	BX_FAILED = 3,
	BX_TOO_LARGE = 4,
	BX_TIMEOUT = 5,
	BX_FAULT = 6,
	BX_LIMIT = 7,
};
/* "denied", "invalid request", ... for a status code. */
const char *bx_status_name(int status);

typedef struct bx_http_response {
	int status;    /* HTTP status, e.g. 200                          */
	char *headers; /* owned: "name: value\n" lines, names lower-case */
	size_t headers_len;
	char *body; /* owned, NUL-terminated (binary bodies may hold NULs) */
	size_t body_len;
	bool truncated; /* the body was longer than the cap; body holds the
	                   first max_body bytes                          */
} bx_http_response;

/*
 * Sends one request through the host (import module "boxagent") and reads
 * the whole response, the body capped at BX_HTTP_MAX_BODY.
 *   method   upper-case ("GET", "POST", ...);
 *   url      http:// or https://;
 *   headers  "Name: value" lines separated by '\n', or NULL;
 *   body     body_len bytes, or NULL/0.
 * Returns BX_OK with *resp filled (any HTTP status is OK - a 404 is a
 * response), or a status code with the reason in bx_last_error() (e.g.
 * "network:http://10.0.0.5/ is not granted to web_fetch").
 */
int bx_http(const char *method, const char *url, const char *headers, const void *body,
            size_t body_len, bx_http_response *resp);
/* The same with a body cap of max_body bytes; more sets resp->truncated. */
int bx_http_capped(const char *method, const char *url, const char *headers, const void *body,
                   size_t body_len, size_t max_body, bx_http_response *resp);
/* The value of header name (case-insensitive), owned; NULL if absent.
 * Repeated headers are joined with ", ". */
char *bx_http_header(const bx_http_response *resp, const char *name);
void bx_http_response_free(bx_http_response *resp);
/* Why the last bx_http call failed (borrowed, valid until the next call). */
const char *bx_last_error(void);

#endif
