/*
 * wasi.h - the WASI preview1 host ("wasi_snapshot_preview1").
 *
 * What a tool can touch is exactly what the config lists:
 *   - args and environment: given verbatim (the caller filters env by
 *     grant);
 *   - files: only through preopens. fd 3 is always a virtual, empty,
 *     read-only root "/" so that wasi-libc sends every absolute path to
 *     the host (instead of failing inside the guest) and the denial is
 *     recorded. Real preopens follow from fd 4 in config order. A preopen
 *     is a host directory, or a single host file (then only "." opens it).
 *     Every path is resolved with openat2(RESOLVE_BENEATH |
 *     RESOLVE_NO_MAGICLINKS): "..", absolute paths and symlinks leading
 *     out fail, as do magic links such as /proc/self/fd/N. Kernels without
 *     openat2 (before 5.6) get no file access at all, never a weaker check.
 *     Read-only preopens refuse every write, create, truncate, rename,
 *     unlink, mkdir, symlink, link and set-times, with ENOTCAPABLE.
 *   - stdin: the bytes in config (the tool's JSON input);
 *   - stdout/stderr: captured into buffers capped at max_stdout/max_stderr;
 *     exceeding a cap stops the tool (a host trap) with output_exceeded set;
 *   - clocks (realtime, monotonic, process/thread cputime), random_get
 *     (getrandom), sched_yield, poll_oneoff for clock subscriptions (sleeps
 *     never past the deadline; fd subscriptions report ENOTSUP);
 *   - proc_exit: stops the guest, exit code recorded; proc_raise: trap;
 *   - sockets (sock_*): refused with ENOTSUP and recorded - networking goes
 *     through the boxagent egress host call only.
 *
 * Every refused file access, write to a read-only preopen, and socket use
 * is recorded in the audit log as a deny (capability "fs.read" /
 * "fs.write" / "network", target the guest path). Successful opens are
 * recorded as allows (one record per path_open), so the log shows what a
 * tool read and wrote.
 *
 * Guest pointers are bounds-checked against linear memory; a bad pointer
 * or length yields EFAULT (never a host crash). Every size a guest passes
 * is capped (iovec counts, path lengths, readdir buffers).
 */
#ifndef BA_SANDBOX_WASI_H
#define BA_SANDBOX_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sandbox/audit.h"
#include "sandbox/linker.h"

#define BA_WASI_MAX_FDS      1024
#define BA_WASI_MAX_PREOPENS 64
#define BA_WASI_PATH_MAX     4096

typedef struct ba_wasi_preopen {
	const char *guest_path; /* normalised absolute guest path; borrowed */
	const char *host_path;  /* host directory or file; borrowed        */
	bool writable;
} ba_wasi_preopen;

typedef struct ba_wasi_config {
	const char *tool_name;   /* for the audit log; borrowed            */
	ba_audit *audit;         /* borrowed; NULL = record nothing (tests) */
	const char *const *argv; /* borrowed; argv[0] is the tool name   */
	size_t argc;
	const char *const *environ; /* "NAME=VALUE", borrowed            */
	size_t environ_count;
	const ba_wasi_preopen *preopens; /* borrowed                     */
	size_t preopen_count;
	const void *stdin_data; /* borrowed; must outlive the run         */
	size_t stdin_len;
	size_t max_stdout;    /* 0 = 1 MiB                                   */
	size_t max_stderr;    /* 0 = 1 MiB                                   */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none (bounds sleeps) */
	/* Called with each stderr write as it happens (after the cap check),
	 * so logs stream; NULL = only captured. */
	void (*on_stderr)(const char *data, size_t len, void *user);
	void *on_stderr_user;
} ba_wasi_config;

typedef struct ba_wasi ba_wasi;

/* Opens every preopen. NULL with a message in err (e.g. "cannot open
 * /srv/ws for /workspace: No such file or directory"). */
ba_wasi *ba_wasi_new(const ba_wasi_config *config, char *err, size_t err_len);
/* Closes every fd the guest left open. NULL allowed. */
void ba_wasi_free(ba_wasi *wasi);

/* Defines every wasi_snapshot_preview1 function in linker. 0 or -1. */
int ba_wasi_link(ba_wasi *wasi, ba_linker *linker);

/* After a run: did the guest call proc_exit, and with what code? */
bool ba_wasi_exited(const ba_wasi *wasi, uint32_t *code);
/* Did the guest exceed the stdout or stderr cap? */
bool ba_wasi_output_exceeded(const ba_wasi *wasi);
/* Captured output (owned by wasi). */
const ba_buf *ba_wasi_stdout(const ba_wasi *wasi);
const ba_buf *ba_wasi_stderr(const ba_wasi *wasi);

#endif
