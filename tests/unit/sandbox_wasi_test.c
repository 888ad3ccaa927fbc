/*
 * sandbox_wasi_test.c - the WASI host, end to end: real guests compiled
 * from the C files in tests/wasi/ with wasi-libc (mk/wasitest.mk builds them into
 * $BUILD/tests/wasi/), real files in a temporary directory, a real audit
 * log. Each case states what a tool may touch and checks what it saw,
 * what it changed on the host, and what the audit log says.
 */
#include "test.h"

#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "sandbox/audit.h"
#include "sandbox/linker.h"
#include "sandbox/wasi.h"

/* ------------------------------------------------------------------------ */
/* Harness                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct result {
	ba_wasi *wasi;
	ba_wasm_err err;
	ba_wasm_diag diag;
	const char *out; /* stdout, NUL-terminated (owned by wasi) */
	const char *errout;
	bool exited;
	uint32_t code;
	uint64_t elapsed_ns;
} result;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Runs guest NAME's _start under cfg (argv[0] is set to NAME when cfg has
 * no argv). store_deadline_ns, when not 0, also goes to the store.
 */
static void run_guest_deadline(const char *name, ba_wasi_config *cfg, uint64_t store_deadline_ns,
                               result *r)
{
	char path[1024], err[512];
	uint8_t *bytes = NULL;
	size_t len = 0;
	ba_wasm_module *m = NULL;
	ba_wasm_store *s;
	ba_wasm_limits lim;
	ba_linker *l;
	ba_wasm_instance *inst = NULL;
	ba_wasm_extern start;
	uint64_t t0;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/tests/wasi/%s.wasm", ba_test_build_dir(), name);
	if (ba_read_file(path, 64u << 20, &bytes, &len, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__,
		             "%s (build the guests with: make BUILD=... wasi-test-guests)", err);
	CHECK_EQ_INT(ba_wasm_module_load(bytes, len, NULL, &m, &r->diag), BA_WASM_OK);
	free(bytes);
	memset(&lim, 0, sizeof(lim));
	lim.deadline_ns = store_deadline_ns;
	s = ba_wasm_store_new(&lim);
	l = ba_linker_new();
	CHECK(s && l);
	r->wasi = ba_wasi_new(cfg, err, sizeof(err));
	if (!r->wasi)
		ba_test_fail(__FILE__, __LINE__, "ba_wasi_new: %s", err);
	CHECK_EQ_INT(ba_wasi_link(r->wasi, l), 0);
	r->err = ba_linker_instantiate(l, s, m, &inst, &r->diag);
	if (r->err != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "instantiate: %s", r->diag.message);
	CHECK(ba_wasm_instance_export(inst, "_start", &start));
	t0 = now_ns();
	r->err = ba_wasm_call(start.of.func, NULL, 0, NULL, 0, &r->diag);
	r->elapsed_ns = now_ns() - t0;
	r->out = ba_wasi_stdout(r->wasi)->data ? ba_wasi_stdout(r->wasi)->data : "";
	r->errout = ba_wasi_stderr(r->wasi)->data ? ba_wasi_stderr(r->wasi)->data : "";
	r->exited = ba_wasi_exited(r->wasi, &r->code);
	ba_linker_free(l);
	ba_wasm_store_free(s);
	ba_wasm_module_release(m);
}

static void run_guest(const char *name, ba_wasi_config *cfg, result *r)
{
	run_guest_deadline(name, cfg, 0, r);
}

static void result_free(result *r)
{
	ba_wasi_free(r->wasi);
	r->wasi = NULL;
}

/* A normal end: _start returned, or proc_exit(0). */
static void check_ok(const result *r)
{
	if (r->err != BA_WASM_OK && !(r->exited && r->code == 0))
		ba_test_fail(__FILE__, __LINE__, "guest failed: %s (stdout: %s)", r->diag.message,
		             r->out);
}

/* A scratch directory with a workspace "ws" in it and a file "secret.txt"
 * next to the workspace (outside it). */
typedef struct scratch {
	char dir[256];
	char ws[300];
	char audit_path[300];
} scratch;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f);
	CHECK_EQ_UINT(fwrite(text, 1, strlen(text), f), strlen(text));
	CHECK_EQ_INT(fclose(f), 0);
}

static char *read_host(const char *path)
{
	uint8_t *data = NULL;
	size_t len;
	char err[256];

	if (ba_read_file(path, 1 << 20, &data, &len, err, sizeof(err)) != 0)
		return NULL;
	return (char *)data;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void scratch_init(scratch *s)
{
	char p[512];
	struct open_how how = {.flags = O_PATH, .resolve = RESOLVE_BENEATH};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));

	/* Without openat2 the host grants no file access at all, by design;
	 * these cases would only show that. */
	if (fd < 0 && errno == ENOSYS)
		TEST_SKIP("this kernel has no openat2 (Linux 5.6+)");
	if (fd >= 0)
		close(fd);

	snprintf(s->dir, sizeof(s->dir), "/tmp/ba-wasi-test-XXXXXX");
	CHECK(mkdtemp(s->dir) != NULL);
	snprintf(s->ws, sizeof(s->ws), "%s/ws", s->dir);
	snprintf(s->audit_path, sizeof(s->audit_path), "%s/audit.log", s->dir);
	CHECK_EQ_INT(mkdir(s->ws, 0755), 0);
	snprintf(p, sizeof(p), "%s/a.txt", s->ws);
	write_file(p, "content of a");
	snprintf(p, sizeof(p), "%s/sub", s->ws);
	CHECK_EQ_INT(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/b.txt", s->ws);
	write_file(p, "bee");
	snprintf(p, sizeof(p), "%s/secret.txt", s->dir);
	write_file(p, "TOP SECRET");
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void scratch_free(scratch *s)
{
	CHECK_EQ_INT(nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static char *ws_path(const scratch *s, const char *rel)
{
	static char buf[4][600];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", s->ws, rel);
	return buf[i];
}

/* A config with guest "/workspace" -> s->ws and the given argv. */
typedef struct setup {
	ba_wasi_preopen pre[4];
	ba_wasi_config cfg;
} setup;

static void setup_ws(setup *st, const scratch *s, bool writable, const char *const *argv,
                     size_t argc)
{
	memset(st, 0, sizeof(*st));
	st->pre[0].guest_path = "/workspace";
	st->pre[0].host_path = s->ws;
	st->pre[0].writable = writable;
	st->cfg.tool_name = "wasi_test";
	st->cfg.argv = argv;
	st->cfg.argc = argc;
	st->cfg.preopens = st->pre;
	st->cfg.preopen_count = 1;
}

#define ARGV(...)  ((const char *const[]){__VA_ARGS__})
#define NARGS(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
/* argv and argc for setup_ws in one go. */
#define ARGS(...) ARGV(__VA_ARGS__), NARGS(__VA_ARGS__)
#define RUN_FS(s, writable, r, ...)                                      \
	do {                                                             \
		setup st_;                                               \
		setup_ws(&st_, (s), (writable), ARGV("fs", __VA_ARGS__), \
		         NARGS("fs", __VA_ARGS__));                      \
		run_guest("fs", &st_.cfg, (r));                          \
	} while (0)

/* ------------------------------------------------------------------------ */
/* stdio, args, environment                                                 */
/* ------------------------------------------------------------------------ */

TEST(hello_world_to_stdout)
{
	ba_wasi_config cfg = {.tool_name = "hello", .argv = ARGV("hello"), .argc = 1};
	result r;

	run_guest("hello", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "hello, world\n");
	CHECK_EQ_STR(r.errout, "");
	CHECK(!ba_wasi_output_exceeded(r.wasi));
	result_free(&r);
}

TEST(stdin_args_and_environment)
{
	static const char *const env[] = {"HOME=/home/tool", "LANG=C.UTF-8"};
	char in[1200];
	ba_wasi_config cfg = {.tool_name = "echo",
	                      .argv = ARGV("echo", "two words", ""),
	                      .argc = 3,
	                      .environ = env,
	                      .environ_count = 2};
	result r;

	/* More than the guest's 100-byte read buffer, so many reads. */
	for (size_t i = 0; i < sizeof(in) - 1; i++)
		in[i] = (char)('a' + i % 26);
	in[sizeof(in) - 1] = '\0';
	cfg.stdin_data = in;
	cfg.stdin_len = strlen(in);
	run_guest("echo", &cfg, &r);
	check_ok(&r);
	CHECK_CONTAINS(r.out, "arg 0: echo\narg 1: two words\narg 2: \n");
	CHECK_CONTAINS(r.out, "env: HOME=/home/tool\nenv: LANG=C.UTF-8\n");
	CHECK_CONTAINS(r.out, "HOME=/home/tool\n");
	CHECK(strstr(r.out, "stdin:\n") != NULL);
	CHECK_EQ_STR(strstr(r.out, "stdin:\n") + 7, in);
	result_free(&r);
}

TEST(empty_stdin_and_no_environment)
{
	ba_wasi_config cfg = {.argv = ARGV("echo"), .argc = 1};
	result r;

	run_guest("echo", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "arg 0: echo\nHOME=(unset)\nstdin:\n");
	result_free(&r);
}

static char streamed[256];
static size_t streamed_len;

static void on_stderr(const char *data, size_t len, void *user)
{
	CHECK(user == streamed);
	if (streamed_len + len < sizeof(streamed)) {
		memcpy(streamed + streamed_len, data, len);
		streamed_len += len;
	}
}

TEST(stderr_is_captured_and_streamed)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "stderr"),
	                      .argc = 2,
	                      .on_stderr = on_stderr,
	                      .on_stderr_user = streamed};
	result r;

	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "to stdout\n");
	CHECK_EQ_STR(r.errout, "to stderr\n");
	CHECK_EQ_STR(streamed, "to stderr\n");
	result_free(&r);
}

TEST(proc_exit_code_is_recorded)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "exit", "7"), .argc = 3};
	result r;

	run_guest("raw", &cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(r.diag.trap, BA_WASM_TRAP_HOST);
	CHECK(r.exited);
	CHECK_EQ_UINT(r.code, 7);
	CHECK_EQ_STR(r.out, "exiting\n");
	result_free(&r);

	/* main returning non-zero goes through proc_exit too. */
	cfg.argv = ARGV("raw", "no-such-mode");
	cfg.argc = 2;
	run_guest("raw", &cfg, &r);
	CHECK(r.exited);
	CHECK_EQ_UINT(r.code, 2);
	result_free(&r);

	/* A normal return is not an exit. */
	cfg.argv = ARGV("hello");
	cfg.argc = 1;
	run_guest("hello", &cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_OK);
	CHECK(!r.exited);
	result_free(&r);
}

TEST(proc_raise_traps)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "raise"), .argc = 2};
	result r;

	run_guest("raw", &cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_CONTAINS(r.diag.message, "raised signal 9");
	CHECK(!r.exited);
	result_free(&r);
}

TEST(stdout_cap_exceeded_stops_the_tool)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "spam", "100"), .argc = 3, .max_stdout = 1000};
	result r;

	run_guest("raw", &cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(r.diag.trap, BA_WASM_TRAP_HOST);
	CHECK_CONTAINS(r.diag.message, "output limit exceeded: stdout over 1000 bytes");
	CHECK(ba_wasi_output_exceeded(r.wasi));
	CHECK(!r.exited);
	/* What fit is kept, up to the cap exactly. */
	CHECK_EQ_UINT(ba_wasi_stdout(r.wasi)->len, 1000);
	CHECK(strstr(r.out, "done") == NULL);
	result_free(&r);

	/* Under the cap nothing happens. */
	cfg.argv = ARGV("raw", "spam", "5");
	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK(!ba_wasi_output_exceeded(r.wasi));
	CHECK_EQ_UINT(ba_wasi_stdout(r.wasi)->len, 505);
	result_free(&r);
}

TEST(stderr_cap_exceeded)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "stderr"), .argc = 2, .max_stderr = 4};
	result r;

	run_guest("raw", &cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_CONTAINS(r.diag.message, "output limit exceeded: stderr over 4 bytes");
	CHECK(ba_wasi_output_exceeded(r.wasi));
	CHECK_EQ_STR(r.errout, "to s");
	result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Hostile arguments                                                        */
/* ------------------------------------------------------------------------ */

TEST(bad_pointers_get_efault_never_a_crash)
{
	scratch s;
	setup st;
	result r;
	static const char *const expect[] = {
	        "args_sizes_get=21\n",
	        "args_get=21\n",
	        "environ_get=21\n",
	        "clock_time_get=21\n",
	        "clock_res_get=21\n",
	        "fd_write_iovs=21\n",
	        "fd_write_buf=21\n",
	        "fd_write_len=21\n",
	        "fd_write_nwritten=21\n",
	        "fd_write_too_many_iovs=28\n",
	        "fd_read_buf=21\n",
	        "fd_fdstat_get=21\n",
	        "fd_filestat_get=21\n",
	        "fd_prestat_get=21\n",
	        "fd_prestat_dir_name=21\n",
	        "fd_readdir_buf=21\n",
	        "fd_readdir_used=21\n",
	        "fd_seek=21\n",
	        "path_open_path=21\n",
	        "path_open_out=21\n",
	        "path_open_long=37\n",
	        "path_open_nul=28\n",
	        "path_filestat_get=21\n",
	        "path_readlink_buf=21\n",
	        "path_symlink=21\n",
	        "path_create_directory=37\n",
	        "path_rename=21\n",
	        "poll_oneoff_in=21\n",
	        "poll_oneoff_zero=28\n",
	        "random_get=21\n",
	        "bad_fd=8\n",
	        "bad_fd_negative=8\n",
	        "renumber_bad=8\n",
	        "alive\n",
	};

	scratch_init(&s);
	setup_ws(&st, &s, true, ARGV("raw", "efault"), 2);
	run_guest("raw", &st.cfg, &r);
	check_ok(&r);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		CHECK_CONTAINS(r.out, expect[i]);
	/* Nothing was created by the calls that failed. */
	CHECK(!exists(ws_path(&s, "l")));
	CHECK(!exists(ws_path(&s, "d")));
	result_free(&r);
	scratch_free(&s);
}

TEST(clocks_and_random)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "clock"), .argc = 2};
	result r;

	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK_CONTAINS(r.out, "monotonic=0\nrealtime=0\nprocess=0\nres=0\nbad_clock=28\n");
	CHECK_CONTAINS(r.out, "monotonic_advances=1\nrealtime_sane=1\nres_sane=1\nyield=0\n");
	result_free(&r);

	cfg.argv = ARGV("raw", "random");
	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "random_a=0\nrandom_b=0\nrandom_empty=0\ndiffer=1\nnot_all_zero=1\n");
	result_free(&r);
}

TEST(poll_oneoff_sleeps_and_refuses_fds)
{
	ba_wasi_config cfg = {.argv = ARGV("raw", "poll", "30000000"), .argc = 3};
	result r;
	const char *p;

	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK_CONTAINS(r.out, "poll=0\nevents=1 userdata=7 error=0 type=0\n");
	p = strstr(r.out, "slept_ms=");
	CHECK(p);
	CHECK(strtol(p + 9, NULL, 10) >= 29);
	/* An fd subscription is reported at once (no 5 s sleep). */
	CHECK_CONTAINS(r.out, "poll_fd=0\nevents=1 userdata=2 error=58 type=1\n");
	CHECK(r.elapsed_ns < 2000000000ull);
	result_free(&r);
}

TEST_TIMEOUT(poll_oneoff_never_sleeps_past_the_deadline, 20)
{
	/* The guest asks for 10 s; the run has 300 ms. */
	uint64_t deadline = now_ns() + 300000000ull;
	ba_wasi_config cfg = {
	        .argv = ARGV("raw", "poll", "10000000000"), .argc = 3, .deadline_ns = deadline};
	result r;

	run_guest_deadline("raw", &cfg, deadline, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(r.diag.trap, BA_WASM_TRAP_INTERRUPTED);
	CHECK(r.elapsed_ns < 3000000000ull);
	CHECK(now_ns() >= deadline);
	result_free(&r);
}

TEST(sockets_are_refused_and_recorded)
{
	scratch s;
	char err[256], *log;
	ba_wasi_config cfg = {.tool_name = "sock_tool", .argv = ARGV("raw", "sock"), .argc = 2};
	result r;

	scratch_init(&s);
	cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
	CHECK(cfg.audit);
	run_guest("raw", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "sock_accept=58\nsock_recv=58\nsock_send=58\nsock_shutdown=58\n");
	ba_audit_close(cfg.audit);
	log = read_host(s.audit_path);
	CHECK(log);
	CHECK_CONTAINS(log,
	               "\"tool\":\"sock_tool\",\"decision\":\"deny\",\"capability\":\"network\","
	               "\"target\":\"sock_accept(fd 3)\"");
	CHECK_CONTAINS(log, "\"reason\":\"raw sockets are not available to tools; use the boxagent "
	                    "http host call\"");
	CHECK_CONTAINS(log, "sock_shutdown(fd 3)");
	free(log);
	result_free(&r);
	scratch_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

TEST(read_a_file_in_a_preopen)
{
	scratch s;
	result r;

	scratch_init(&s);
	RUN_FS(&s, false, &r, "cat", "/workspace/a.txt", "cat", "/workspace/sub/b.txt", "stat",
	       "/workspace/a.txt", "stat", "/workspace/sub", "cat", "/workspace/missing");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: content of a\ncat: bee\nstat: file 12\nstat: dir\n"
	                    "cat: errno=44\n");
	result_free(&r);
	scratch_free(&s);
}

TEST(write_to_a_writable_preopen)
{
	scratch s;
	result r;
	char *got;

	scratch_init(&s);
	RUN_FS(&s, true, &r, "write", "/workspace/new.txt", "fresh", "append", "/workspace/new.txt",
	       "+more", "cat", "/workspace/new.txt", "write", "/workspace/a.txt", "replaced",
	       "trunc", "/workspace/a.txt", "3", "utime", "/workspace/new.txt", "create",
	       "/workspace/new.txt");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "write: ok\nappend: ok\ncat: fresh+more\nwrite: ok\ntrunc: ok\n"
	                    "utime: ok\ncreate: errno=20\n");
	got = read_host(ws_path(&s, "new.txt"));
	CHECK_EQ_STR(got, "fresh+more");
	free(got);
	got = read_host(ws_path(&s, "a.txt"));
	CHECK_EQ_STR(got, "rep");
	free(got);
	{
		struct stat st;
		CHECK_EQ_INT(stat(ws_path(&s, "new.txt"), &st), 0);
		CHECK_EQ_INT(st.st_mtime, 1000000000);
	}
	result_free(&r);
	scratch_free(&s);
}

TEST(read_only_preopen_refuses_every_write)
{
	scratch s;
	result r;
	char *got;

	scratch_init(&s);
	CHECK_EQ_INT(symlink("a.txt", ws_path(&s, "link")), 0);
	RUN_FS(&s, false, &r, "write", "/workspace/new.txt", "x", "append", "/workspace/a.txt", "x",
	       "rdwr", "/workspace/a.txt", "create", "/workspace/c", "mkdir", "/workspace/d", "rm",
	       "/workspace/a.txt", "rmdir", "/workspace/sub", "mv", "/workspace/a.txt",
	       "/workspace/z", "ln", "a.txt", "/workspace/l2", "link", "/workspace/a.txt",
	       "/workspace/h", "trunc", "/workspace/a.txt", "0", "utime", "/workspace/a.txt", "rm",
	       "/workspace/link", "ropen", "/workspace/a.txt", "cat", "/workspace/link");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "write: errno=76\nappend: errno=76\nrdwr: errno=76\n"
	                    "create: errno=76\nmkdir: errno=76\nrm: errno=76\nrmdir: errno=76\n"
	                    "mv: errno=76\nln: errno=76\nlink: errno=76\ntrunc: errno=76\n"
	                    "utime: errno=76\nrm: errno=76\nropen: ok\ncat: content of a\n");
	/* The host saw none of it. */
	got = read_host(ws_path(&s, "a.txt"));
	CHECK_EQ_STR(got, "content of a");
	free(got);
	CHECK(!exists(ws_path(&s, "new.txt")));
	CHECK(!exists(ws_path(&s, "c")));
	CHECK(!exists(ws_path(&s, "d")));
	CHECK(!exists(ws_path(&s, "z")));
	CHECK(!exists(ws_path(&s, "l2")));
	CHECK(!exists(ws_path(&s, "h")));
	CHECK(exists(ws_path(&s, "sub")));
	CHECK(exists(ws_path(&s, "link")));
	result_free(&r);
	scratch_free(&s);
}

TEST(dotdot_cannot_escape)
{
	scratch s;
	result r;

	scratch_init(&s);
	RUN_FS(&s, true, &r, "cat", "/workspace/../secret.txt", "cat",
	       "/workspace/sub/../../secret.txt", "cat", "/workspace/sub/../a.txt", "stat",
	       "/workspace/..", "write", "/workspace/../evil", "x", "mkdir", "/workspace/../evil",
	       "ls", "/workspace/..");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: errno=76\ncat: errno=76\ncat: content of a\nstat: errno=76\n"
	                    "write: errno=76\nmkdir: errno=76\nls: errno=76\n");
	CHECK(!exists("evil"));
	{
		char p[600];
		snprintf(p, sizeof(p), "%s/evil", s.dir);
		CHECK(!exists(p));
	}
	result_free(&r);
	scratch_free(&s);
}

TEST(absolute_paths_outside_every_grant_are_refused)
{
	scratch s;
	result r;

	scratch_init(&s);
	RUN_FS(&s, true, &r, "cat", "/etc/passwd", "cat", "/proc/self/environ", "stat", "/etc",
	       "write", "/tmp/evil", "x", "ls", "/", "stat", "/", "cat", "etc/passwd");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: errno=76\ncat: errno=76\nstat: errno=76\nwrite: errno=76\n"
	                    "ls:\nstat: dir\ncat: errno=76\n");
	CHECK(!exists("/tmp/evil"));
	result_free(&r);
	scratch_free(&s);
}

TEST(symlinks_leading_out_are_refused)
{
	scratch s;
	result r;

	scratch_init(&s);
	CHECK_EQ_INT(symlink("/etc", ws_path(&s, "etc")), 0);
	CHECK_EQ_INT(symlink("..", ws_path(&s, "up")), 0);
	CHECK_EQ_INT(symlink("../secret.txt", ws_path(&s, "secret")), 0);
	CHECK_EQ_INT(symlink("a.txt", ws_path(&s, "inside")), 0);
	CHECK_EQ_INT(symlink("../a.txt", ws_path(&s, "sub/parent_a")), 0);
	RUN_FS(&s, true, &r, "cat", "/workspace/etc/passwd", "cat", "/workspace/up/secret.txt",
	       "cat", "/workspace/secret", "write", "/workspace/secret", "x", "cat",
	       "/workspace/inside", "cat", "/workspace/sub/parent_a", "lstat", "/workspace/etc",
	       "stat", "/workspace/etc", "readlink", "/workspace/etc", "ls", "/workspace/etc");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: errno=76\ncat: errno=76\ncat: errno=76\nwrite: errno=76\n"
	                    "cat: content of a\ncat: content of a\nlstat: link 4\nstat: errno=76\n"
	                    "readlink: /etc\nls: errno=76\n");
	{
		char p[600], *got;
		snprintf(p, sizeof(p), "%s/secret.txt", s.dir);
		got = read_host(p);
		CHECK_EQ_STR(got, "TOP SECRET");
		free(got);
	}
	result_free(&r);
	scratch_free(&s);
}

TEST(guest_cannot_create_symlinks_that_lead_out)
{
	scratch s;
	result r;

	scratch_init(&s);
	RUN_FS(&s, true, &r, "ln", "/etc/passwd", "/workspace/l1", "ln", "../secret.txt",
	       "/workspace/l2", "ln", "../../x", "/workspace/sub/l3", "ln", "sub/../../x",
	       "/workspace/l4", "ln", "../outside", "/workspace/l5/", "ln", "a.txt",
	       "/workspace/ok1", "ln", "../a.txt", "/workspace/sub/ok2", "ln", "sub/../a.txt",
	       "/workspace/ok3", "readlink", "/workspace/sub/ok2", "cat", "/workspace/sub/ok2",
	       "cat", "/workspace/ok3");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "ln: errno=76\nln: errno=76\nln: errno=76\nln: errno=76\nln: errno=76\n"
	                    "ln: ok\nln: ok\nln: ok\nreadlink: ../a.txt\ncat: content of a\n"
	                    "cat: content of a\n");
	CHECK(!exists(ws_path(&s, "l1")));
	CHECK(!exists(ws_path(&s, "l2")));
	CHECK(!exists(ws_path(&s, "sub/l3")));
	CHECK(!exists(ws_path(&s, "l4")));
	CHECK(!exists(ws_path(&s, "l5")));
	result_free(&r);

	/* The depth that counts is where the directory really is, not
	 * where the guest opened it: a/b/c moved up to c is one level
	 * deep, so "../../x" from there leads out. */
	CHECK_EQ_INT(mkdir(ws_path(&s, "a"), 0755), 0);
	CHECK_EQ_INT(mkdir(ws_path(&s, "a/b"), 0755), 0);
	CHECK_EQ_INT(mkdir(ws_path(&s, "a/b/c"), 0755), 0);
	CHECK_EQ_INT(mkdir(ws_path(&s, "a/b/d"), 0755), 0);
	RUN_FS(&s, true, &r, "dirln", "/workspace/a/b/c", "/workspace/c", "../../x", "dirln",
	       "/workspace/a/b/d", "/workspace/d", "../a.txt", "cat", "/workspace/d/l");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "dirln: errno=76\ndirln: ok\ncat: content of a\n");
	CHECK(!exists(ws_path(&s, "c/l")));
	result_free(&r);

	/* Moving or hard-linking a symlink one level up would make
	 * "../a.txt" lead out; moving it sideways is fine. */
	RUN_FS(&s, true, &r, "mv", "/workspace/d/l", "/workspace/l", "link", "/workspace/d/l",
	       "/workspace/hl", "mv", "/workspace/d/l", "/workspace/c/l2", "cat",
	       "/workspace/c/l2");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "mv: errno=76\nlink: errno=76\nmv: ok\ncat: content of a\n");
	CHECK(!exists(ws_path(&s, "l")));
	CHECK(!exists(ws_path(&s, "hl")));
	result_free(&r);
	scratch_free(&s);
}

TEST(magic_links_are_refused)
{
	/* Even a grant of /proc/self itself does not give its magic links
	 * (cwd, root, fd/N) - they would lead anywhere. They are denials
	 * (recorded); a plain symlink loop stays an ordinary ELOOP. */
	scratch s;
	ba_wasi_preopen pre[2] = {
	        {.guest_path = "/p", .host_path = "/proc/self", .writable = false},
	        {.guest_path = "/workspace", .host_path = NULL, .writable = false}};
	ba_wasi_config cfg = {.argv = ARGV("fs", "cat", "/p/root/etc/passwd", "ls", "/p/cwd", "cat",
	                                   "/p/fd/0", "cat", "/workspace/loop1"),
	                      .argc = 9,
	                      .preopens = pre,
	                      .preopen_count = 2};
	result r;
	char err[256], *log;

	scratch_init(&s);
	pre[1].host_path = s.ws;
	CHECK_EQ_INT(symlink("loop2", ws_path(&s, "loop1")), 0);
	CHECK_EQ_INT(symlink("loop1", ws_path(&s, "loop2")), 0);
	cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
	CHECK(cfg.audit);
	run_guest("fs", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: errno=76\nls: errno=76\ncat: errno=76\ncat: errno=32\n");
	ba_audit_close(cfg.audit);
	log = read_host(s.audit_path);
	CHECK(log);
	CHECK_CONTAINS(log,
	               "\"decision\":\"deny\",\"capability\":\"fs.read\",\"target\":\"/p/"
	               "root/etc/passwd\",\"reason\":\"/p/root/etc/passwd resolves outside /p");
	CHECK_CONTAINS(log, "magic link");
	CHECK_CONTAINS(log, "\"target\":\"/p/cwd\"");
	CHECK_CONTAINS(log, "\"target\":\"/p/fd/0\"");
	CHECK(strstr(log, "loop1") == NULL);
	free(log);
	result_free(&r);
	scratch_free(&s);
}

TEST(readdir_lists_a_large_directory)
{
	scratch s;
	result r;
	char name[128], expect[64];

	scratch_init(&s);
	CHECK_EQ_INT(mkdir(ws_path(&s, "many"), 0755), 0);
	/* Far more than wasi-libc's first 4 KiB readdir buffer. */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/file-with-a-longish-name-%03d", i);
		write_file(ws_path(&s, name), "");
	}
	RUN_FS(&s, false, &r, "ls", "/workspace", "ls", "/workspace/many", "ls",
	       "/workspace/a.txt");
	check_ok(&r);
	CHECK(strncmp(r.out, "ls: a.txt many sub\nls: file-with-a-longish-name-000 ", 51) == 0);
	for (int i = 0; i < 300; i++) {
		snprintf(expect, sizeof(expect), " file-with-a-longish-name-%03d%s", i,
		         i == 299 ? "\n" : " ");
		CHECK_CONTAINS(r.out, expect);
	}
	CHECK_CONTAINS(r.out, "\nls: errno=54\n");
	result_free(&r);
	scratch_free(&s);
}

TEST(readdir_with_tiny_buffers_and_cookies)
{
	scratch s;
	result r;
	char name[128];
	setup st;

	scratch_init(&s);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "sub/entry-%02d", i);
		write_file(ws_path(&s, name), "");
	}
	setup_ws(&st, &s, false, ARGV("raw", "readdir", "/workspace/sub"), 3);
	run_guest("raw", &st.cfg, &r);
	check_ok(&r);
	/* b.txt, entry-00..19, ".", "..": 23 names, each seen exactly once. */
	CHECK_CONTAINS(r.out, "names=23 dups=0\n");
	CHECK_CONTAINS(r.out, "has_b=1 has_19=1\n");
	result_free(&r);
	scratch_free(&s);
}

TEST(rename_unlink_mkdir_inside_a_writable_preopen)
{
	scratch s;
	result r;
	char *got;

	scratch_init(&s);
	RUN_FS(&s, true, &r, "mkdir", "/workspace/d", "write", "/workspace/d/f", "data", "mv",
	       "/workspace/d/f", "/workspace/g", "mkdir", "/workspace/d", "rmdir", "/workspace/sub",
	       "rm", "/workspace/sub/b.txt", "rmdir", "/workspace/sub", "ls", "/workspace", "rm",
	       "/workspace/d", "rm", "/workspace/g/", "link", "/workspace/g", "/workspace/d/hard",
	       "cat", "/workspace/d/hard", "rm", "/workspace/g", "rmdir", "/workspace/.", "mkdir",
	       "/workspace/d/", "mv", "/workspace/d", "/workspace/e");
	check_ok(&r);
	CHECK_EQ_STR(r.out, "mkdir: ok\nwrite: ok\nmv: ok\nmkdir: errno=20\nrmdir: errno=55\n"
	                    "rm: ok\nrmdir: ok\nls: a.txt d g\nrm: errno=31\nrm: errno=54\n"
	                    "link: ok\ncat: data\nrm: ok\nrmdir: errno=28\nmkdir: errno=20\n"
	                    "mv: ok\n");
	CHECK(!exists(ws_path(&s, "sub")));
	CHECK(!exists(ws_path(&s, "g")));
	got = read_host(ws_path(&s, "e/hard"));
	CHECK_EQ_STR(got, "data");
	free(got);
	result_free(&r);
	scratch_free(&s);
}

TEST(single_file_preopen)
{
	scratch s;
	ba_wasi_preopen pre[2];
	ba_wasi_config cfg;
	result r;

	scratch_init(&s);
	memset(pre, 0, sizeof(pre));
	pre[0].guest_path = "/input.txt";
	pre[0].host_path = ws_path(&s, "a.txt");
	pre[1].guest_path = "/out.txt";
	pre[1].host_path = ws_path(&s, "sub/b.txt");
	pre[1].writable = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.preopens = pre;
	cfg.preopen_count = 2;
#define SINGLE_ARGS                                                                         \
	"fs", "cat", "/input.txt", "stat", "/input.txt", "write", "/input.txt", "x", "cat", \
	        "/input.txt/x", "ls", "/input.txt", "write", "/out.txt", "written", "cat",  \
	        "/out.txt", "cat", "/workspace/a.txt"
	cfg.argv = ARGV(SINGLE_ARGS);
	cfg.argc = NARGS(SINGLE_ARGS);
	run_guest("fs", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "cat: content of a\nstat: file 12\nwrite: errno=76\ncat: errno=76\n"
	                    "ls: errno=54\nwrite: ok\ncat: written\ncat: errno=76\n");
	{
		char *got = read_host(ws_path(&s, "sub/b.txt"));
		CHECK_EQ_STR(got, "written");
		free(got);
	}
	result_free(&r);
	scratch_free(&s);
}

TEST(fd_table_is_capped)
{
	scratch s;
	setup st;
	result r;
	const char *p;

	scratch_init(&s);
	setup_ws(&st, &s, false, ARGV("raw", "fdmax"), 2);
	run_guest("raw", &st.cfg, &r);
	check_ok(&r);
	p = strstr(r.out, "opened=");
	CHECK(p);
	CHECK(strtol(p + 7, NULL, 10) > 100);
	CHECK(strtol(p + 7, NULL, 10) <= BA_WASI_MAX_FDS - 5);
	CHECK_CONTAINS(r.out, " errno=33\n");
	CHECK_CONTAINS(r.out, "closed_all=1\n");
	result_free(&r);
	scratch_free(&s);
}

/* Is every entry of dir one of the names in keep? */
static bool only_these(const char *dir, const char *const *keep, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = true;

	CHECK(d);
	while ((e = readdir(d))) {
		bool known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
		for (size_t i = 0; i < n; i++)
			known |= !strcmp(e->d_name, keep[i]);
		if (!known) {
			fprintf(stderr, "unexpected %s/%s\n", dir, e->d_name);
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

TEST_TIMEOUT(random_calls_never_crash_the_host_or_touch_anything_outside, 120)
{
	static const char *const keep[] = {"ws", "secret.txt", "audit.log", "audit.log.head"};
	/* BA_WASI_CHAOS_SEEDS=N runs seeds 1..N (default 6) for longer
	 * hunts, e.g. under ASan. */
	const char *env = getenv("BA_WASI_CHAOS_SEEDS");
	long n = env ? strtol(env, NULL, 10) : 6;

	for (long i = 1; i <= n; i++) {
		scratch s;
		setup st;
		result r;
		char err[256], *got, p[600], seed[24];

		snprintf(seed, sizeof(seed), "%ld", i);
		scratch_init(&s);
		setup_ws(&st, &s, true, ARGS("chaos", seed, "3000"));
		st.cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
		CHECK(st.cfg.audit);
		run_guest("chaos", &st.cfg, &r);
		if (r.err != BA_WASM_OK)
			ba_test_fail(__FILE__, __LINE__, "seed %s: %s (stdout: %s)", seed,
			             r.diag.message, r.out);
		CHECK_CONTAINS(r.out, "calls=3000 ");
		/* Some calls must get through, or the test proves nothing
		 * about the paths that do real work (about 20% do). */
		CHECK(strtol(strstr(r.out, "errors=") + 7, NULL, 10) < 2800);
		ba_audit_close(st.cfg.audit);
		/* Outside the workspace: still exactly what was there. */
		snprintf(p, sizeof(p), "%s/secret.txt", s.dir);
		got = read_host(p);
		CHECK_EQ_STR(got, "TOP SECRET");
		free(got);
		CHECK(only_these(s.dir, keep, sizeof(keep) / sizeof(keep[0])));
		result_free(&r);
		scratch_free(&s);
	}
}

/* ------------------------------------------------------------------------ */
/* Audit log                                                                */
/* ------------------------------------------------------------------------ */

TEST(decisions_are_recorded_in_the_audit_log)
{
	scratch s;
	setup st;
	result r;
	char err[256], *log;
	ba_audit_verify_result vr;

	scratch_init(&s);
	setup_ws(&st, &s, false,
	         ARGS("fs", "cat", "/etc/passwd", "cat", "/proc/self/environ", "cat",
	              "/workspace/a.txt", "write", "/workspace/a.txt", "x", "cat",
	              "/workspace/../secret.txt", "mkdir", "/workspace/new"));
	st.cfg.tool_name = "audited";
	st.cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
	CHECK(st.cfg.audit);
	run_guest("fs", &st.cfg, &r);
	check_ok(&r);
	ba_audit_close(st.cfg.audit);
	log = read_host(s.audit_path);
	CHECK(log);
	CHECK_CONTAINS(log, "\"tool\":\"audited\",\"decision\":\"deny\",\"capability\":\"fs.read\","
	                    "\"target\":\"/etc/passwd\",\"reason\":\"/etc/passwd is outside every "
	                    "granted path\"");
	CHECK_CONTAINS(log, "\"decision\":\"deny\",\"capability\":\"fs.read\",\"target\":\"/proc/"
	                    "self/environ\"");
	CHECK_CONTAINS(log, "\"decision\":\"allow\",\"capability\":\"fs.read\",\"target\":\"/"
	                    "workspace/a.txt\",\"reason\":\"granted /workspace (read-only)\"");
	CHECK_CONTAINS(log, "\"decision\":\"deny\",\"capability\":\"fs.write\",\"target\":\"/"
	                    "workspace/a.txt\",\"reason\":\"/workspace is granted read-only\"");
	CHECK_CONTAINS(log, "\"decision\":\"deny\",\"capability\":\"fs.read\",\"target\":\"/"
	                    "secret.txt\",\"reason\":\"/secret.txt resolves outside /workspace");
	CHECK_CONTAINS(log, "\"decision\":\"deny\",\"capability\":\"fs.write\",\"target\":\"/"
	                    "workspace/new\",\"reason\":\"/workspace is granted read-only\"");
	CHECK_EQ_INT(ba_audit_verify(s.audit_path, &vr), 0);
	CHECK(vr.ok);
	free(log);
	result_free(&r);
	scratch_free(&s);
}

TEST(writes_are_recorded_as_allows)
{
	scratch s;
	setup st;
	result r;
	char err[256], *log;

	scratch_init(&s);
	setup_ws(&st, &s, true,
	         ARGS("fs", "write", "/workspace/n.txt", "x", "mkdir", "/workspace/d", "mv",
	              "/workspace/n.txt", "/workspace/d/m.txt", "rm", "/workspace/d/m.txt"));
	st.cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
	CHECK(st.cfg.audit);
	run_guest("fs", &st.cfg, &r);
	check_ok(&r);
	ba_audit_close(st.cfg.audit);
	log = read_host(s.audit_path);
	CHECK(log);
	CHECK_CONTAINS(log, "\"decision\":\"allow\",\"capability\":\"fs.write\",\"target\":\"/"
	                    "workspace/n.txt\",\"reason\":\"granted /workspace (read-write)\"");
	CHECK_CONTAINS(log,
	               "\"target\":\"/workspace/d\",\"reason\":\"mkdir in granted /workspace\"");
	CHECK_CONTAINS(log, "\"target\":\"/workspace/d/m.txt\",\"reason\":\"rename from "
	                    "/workspace/n.txt in granted /workspace\"");
	CHECK_CONTAINS(log, "\"target\":\"/workspace/d/m.txt\",\"reason\":\"unlink in granted "
	                    "/workspace\"");
	free(log);
	result_free(&r);
	scratch_free(&s);
}

TEST(a_failed_audit_write_stops_the_tool)
{
	scratch s;
	setup st;
	result r;
	char err[256], tmp[600];

	scratch_init(&s);
	setup_ws(&st, &s, false, ARGV("fs", "cat", "/workspace/a.txt"), 3);
	st.cfg.audit = ba_audit_open(s.audit_path, err, sizeof(err));
	CHECK(st.cfg.audit);
	/* A directory where the log's head file is rewritten on every
	 * append: each append now fails, as on a full disk. */
	snprintf(tmp, sizeof(tmp), "%s.head", s.audit_path);
	(void)unlink(tmp);
	CHECK_EQ_INT(mkdir(tmp, 0700), 0);
	run_guest("fs", &st.cfg, &r);
	CHECK_EQ_INT(r.err, BA_WASM_ERR_TRAP);
	CHECK_CONTAINS(r.diag.message, "audit log write failed");
	/* The open that could not be recorded did not happen. */
	CHECK(strstr(r.out, "content of a") == NULL);
	ba_audit_close(st.cfg.audit);
	result_free(&r);
	scratch_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

TEST(bad_configurations_are_refused_with_a_message)
{
	char err[256];
	ba_wasi_preopen pre = {.guest_path = "/workspace", .host_path = "/nonexistent/dir"};
	ba_wasi_config cfg = {.preopens = &pre, .preopen_count = 1};

	CHECK(ba_wasi_new(&cfg, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "cannot open /nonexistent/dir for /workspace: No such file or directory");
	pre.host_path = "/tmp";
	static const char *const bad[] = {"workspace", "/a/", "/a//b", "/a/./b", "/a/../b", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pre.guest_path = bad[i];
		CHECK(ba_wasi_new(&cfg, err, sizeof(err)) == NULL);
		CHECK_CONTAINS(err, "is not a normalised absolute path");
	}
	pre.guest_path = "/dev-null";
	pre.host_path = "/dev/null";
	CHECK(ba_wasi_new(&cfg, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "neither a directory nor a regular file");
	cfg.preopen_count = BA_WASI_MAX_PREOPENS + 1;
	CHECK(ba_wasi_new(&cfg, err, sizeof(err)) == NULL);
	CHECK(ba_wasi_new(NULL, err, sizeof(err)) == NULL);
	ba_wasi_free(NULL);
}

TEST(link_defines_every_preview1_function)
{
	/* all.wasm takes the address of every function wasi-libc declares
	 * in <wasi/api.h>, so it imports each with wasi-libc's own type:
	 * linking it checks every name and signature against the ABI. */
	ba_wasi_config cfg = {.argv = ARGV("all"), .argc = 1};
	result r;

	run_guest("all", &cfg, &r);
	check_ok(&r);
	CHECK_EQ_STR(r.out, "imports=46\n");
	result_free(&r);
}
