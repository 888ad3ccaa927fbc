/*
 * attack.h - shared code of the red-team tools (tests/redteam/attacks/).
 *
 * Every attack is a malicious tool: a wasm32-wasi program that tries one
 * way out of the sandbox. The verdict is its first line of output and its
 * exit code, which the harness (tests/redteam/lib.sh) checks:
 *
 *   ESCAPED: <evidence>   exit 0   the attack worked (a sandbox bug)
 *   blocked: <reason>     exit 1   the sandbox refused it
 *   UNEXPECTED: <what>    exit 5   refused, but not the documented way
 *                                  (e.g. DENIED where the ABI says FAULT)
 *
 * A limit stop (fuel, timeout, memory, output) or a trap ends the tool
 * before it can print a verdict; the harness expects those exit codes.
 *
 * The imports are declared raw, every argument a plain i32, so that an
 * attack can pass any pointer or length - not only the ones C would let it
 * build. P() turns a real pointer into such an argument.
 */
#ifndef REDTEAM_ATTACK_H
#define REDTEAM_ATTACK_H

#include <stddef.h>
#include <stdint.h>

#define BOXAGENT_IMPORT(name) __attribute__((import_module("boxagent"), import_name(name)))
#define WASI_IMPORT(name) \
	__attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

#define P(ptr) ((uint32_t)(uintptr_t)(ptr))

/* --- the boxagent import module (docs/tool-abi.md) ---------------------- */

enum {
	BA_OK = 0,
	BA_DENIED = 1,
	BA_INVALID = 2,
	BA_FAILED = 3,
	BA_TOO_LARGE = 4,
	BA_TIMEOUT = 5,
	BA_FAULT = 6,
	BA_LIMIT = 7,
};

BOXAGENT_IMPORT("http_request")
int32_t ba_http_request(uint32_t method, uint32_t method_len, uint32_t url, uint32_t url_len,
                        uint32_t headers, uint32_t headers_len, uint32_t body, uint32_t body_len,
                        uint32_t handle_out);
BOXAGENT_IMPORT("http_status") int32_t ba_http_status(int32_t handle);
BOXAGENT_IMPORT("http_headers")
int32_t ba_http_headers(int32_t handle, uint32_t buf, uint32_t cap, uint32_t len_out);
BOXAGENT_IMPORT("http_read")
int32_t ba_http_read(int32_t handle, uint32_t buf, uint32_t cap, uint32_t n_out);
BOXAGENT_IMPORT("http_close") int32_t ba_http_close(int32_t handle);
BOXAGENT_IMPORT("last_error") int32_t ba_last_error(uint32_t buf, uint32_t cap, uint32_t len_out);

/* --- raw WASI preview1 imports (for bad pointers) ----------------------- */

WASI_IMPORT("fd_write")
int32_t raw_fd_write(uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nwritten);
WASI_IMPORT("fd_read")
int32_t raw_fd_read(uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread);
WASI_IMPORT("path_open")
int32_t raw_path_open(uint32_t dirfd, uint32_t dirflags, uint32_t path, uint32_t path_len,
                      uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting,
                      uint32_t fdflags, uint32_t fd_out);
WASI_IMPORT("fd_prestat_get") int32_t raw_fd_prestat_get(uint32_t fd, uint32_t prestat_out);
WASI_IMPORT("fd_prestat_dir_name")
int32_t raw_fd_prestat_dir_name(uint32_t fd, uint32_t path, uint32_t path_len);
WASI_IMPORT("environ_sizes_get") int32_t raw_environ_sizes_get(uint32_t count, uint32_t size);
WASI_IMPORT("environ_get") int32_t raw_environ_get(uint32_t environ, uint32_t buf);
WASI_IMPORT("args_get") int32_t raw_args_get(uint32_t argv, uint32_t buf);
WASI_IMPORT("random_get") int32_t raw_random_get(uint32_t buf, uint32_t len);
WASI_IMPORT("clock_time_get")
int32_t raw_clock_time_get(uint32_t id, uint64_t precision, uint32_t time_out);
WASI_IMPORT("poll_oneoff")
int32_t raw_poll_oneoff(uint32_t in, uint32_t out, uint32_t nsubscriptions, uint32_t nevents);
WASI_IMPORT("path_symlink")
int32_t raw_path_symlink(uint32_t old_path, uint32_t old_len, uint32_t fd, uint32_t new_path,
                         uint32_t new_len);
WASI_IMPORT("path_link")
int32_t raw_path_link(uint32_t old_fd, uint32_t old_flags, uint32_t old_path, uint32_t old_len,
                      uint32_t new_fd, uint32_t new_path, uint32_t new_len);
WASI_IMPORT("sock_accept") int32_t raw_sock_accept(uint32_t fd, uint32_t flags, uint32_t fd_out);
WASI_IMPORT("sock_recv")
int32_t raw_sock_recv(uint32_t fd, uint32_t ri_data, uint32_t ri_len, uint32_t ri_flags,
                      uint32_t ro_datalen, uint32_t ro_flags);
WASI_IMPORT("sock_send")
int32_t raw_sock_send(uint32_t fd, uint32_t si_data, uint32_t si_len, uint32_t si_flags,
                      uint32_t so_datalen);
WASI_IMPORT("sock_shutdown") int32_t raw_sock_shutdown(uint32_t fd, uint32_t how);

/* WASI errno values used by the attacks (wasi/api.h has them all). */
enum {
	WASI_ESUCCESS = 0,
	WASI_EBADF = 8,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_ENOTSUP = 58,
	WASI_ENOTCAPABLE = 76,
};

/* --- verdicts ------------------------------------------------------------ */

/* Prints "ESCAPED: ..." on stdout and exits 0: the sandbox let it through. */
__attribute__((noreturn, format(printf, 1, 2))) void escaped(const char *fmt, ...);
/* Prints "blocked: ..." on stdout and exits 1: the sandbox refused it. */
__attribute__((noreturn, format(printf, 1, 2))) void blocked(const char *fmt, ...);
/* Prints "UNEXPECTED: ..." and exits 5: refused, but not as documented. */
__attribute__((noreturn, format(printf, 1, 2))) void unexpected(const char *fmt, ...);
/* A progress line on stderr ("note: ..."), for whoever reads the log. */
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);

/* --- input --------------------------------------------------------------- */

/* The value of "key" in the tool's JSON input (a flat object of strings
 * or numbers; the harness writes it), or NULL. The string is static and
 * stays valid. */
const char *input_get(const char *key);
/* Like input_get, but a missing key is a broken harness: exit 2. */
const char *input_need(const char *key);

/* --- HTTP through the boxagent ABI --------------------------------------- */

typedef struct http_result {
	int32_t status; /* BA_* of http_request (or of the first failing call) */
	int http;       /* HTTP status on BA_OK                                */
	char *body;     /* NUL-terminated body on BA_OK (malloc; caller frees) */
	size_t body_len;
	char headers[4096]; /* response header lines on BA_OK             */
	char error[1024];   /* last_error text when status != BA_OK       */
} http_result;

/* One request, read to the end and closed. headers may be NULL. */
int32_t http(const char *method, const char *url, const char *headers, const void *body,
             size_t body_len, http_result *res);
void http_result_free(http_result *res);
/* "OK", "DENIED", ... */
const char *ba_status_name(int32_t status);
/* The text of last_error into buf. */
const char *last_error_text(char *buf, size_t cap);

/* A request the policy must refuse. OK is an escape (the response's first
 * line is the evidence); FAILED or TIMEOUT is one too - the policy let the
 * request out and only the network stopped it (except FAILED to resolve a
 * name: no connection was tried). DENIED and INVALID are
 * returned (with a note on stderr); any other status is UNEXPECTED.
 * label replaces the URL in messages (for URLs carrying a secret); NULL
 * prints the URL. */
int32_t attempt_request(const char *method, const char *url, const char *headers, const void *body,
                        size_t body_len, const char *label);

/* --- secrets --------------------------------------------------------------- */

/* Asks http://127.0.0.1:PORT_A/echo (input "port_a"; the host injects the
 * secret there) and returns the Authorization token the echo shows, or
 * NULL when there is none or it is redacted. *seen_header says whether an
 * Authorization header was in the echo at all. The token is static. */
const char *secret_readback(int *seen_header, char *why, size_t why_len);
/* The secret as an exfiltrating tool would have it: read back from the
 * echo if the host lets it, else from the input ("leak"), as if it had
 * reached the tool some other way (a file, the prompt). *how says which. */
const char *learn_secret(const char **how);

/* --- files --------------------------------------------------------------- */

/* The fd of the preopen whose guest path is exactly guest, or -1. */
int find_preopen(const char *guest);
/* Reads up to cap-1 bytes of path (libc open) into buf, NUL-terminated.
 * Returns the byte count, or -1 with errno set. */
long read_path(const char *path, char *buf, size_t cap);
/* Reads up to cap-1 bytes of an open fd into buf. */
long read_fd(int fd, char *buf, size_t cap);
/* path_open(dirfd, path) with read rights, raw; the WASI errno, fd in *fd. */
int32_t open_at(int dirfd, const char *path, int *fd);
/* Opens path under dirfd (raw path_open) and reads it: success is an
 * escape (exits with ESCAPED and the first line read). Otherwise returns
 * the WASI errno; label names the directory in messages. */
int32_t attempt_open_at(int dirfd, const char *label, const char *path);
/* The same through libc's open() (absolute or cwd-relative path); returns
 * errno. */
int attempt_open(const char *path);
/* First line of text, for evidence (static buffer). */
const char *first_line(const char *text);

#endif
