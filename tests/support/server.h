/*
 * server.h - the peers unit tests run as child processes, and the small
 * client side the tests use to talk to them.
 *
 * The peers are the programs under tests/support/ (httpd, fakellm), built
 * as $BUILD/tests/NAME. They share one start-up protocol: bind loopback on
 * a free port, print the port and a newline on stdout, serve until stdin
 * reaches EOF. ba_test_server_start() runs one that way (stdin and stdout
 * on pipes), so closing our end of its stdin - or the case's process
 * ending - stops it, and a crashed case leaves nothing running.
 *
 * Linked into every unit test (mk/testsupport.mk). Everything here fails
 * the running case through ba_test_fail() (test.h) when the machine does
 * not cooperate (a missing program, a pipe that cannot be made, a server
 * that prints no port), so callers need no error paths.
 */
#ifndef BA_TESTS_SUPPORT_SERVER_H
#define BA_TESTS_SUPPORT_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

/* A running peer. dir is optional: a temporary folder that belongs to the
 * server (fakellm's script, the files it names and its request log) and
 * is removed when the server stops. */
typedef struct ba_test_server {
	pid_t pid;
	unsigned port;
	int stdin_fd;  /* our end of its stdin; closing it ends the server; -1 when stopped */
	char dir[256]; /* "" or the server's own folder (see ba_test_server_dir) */
	char log[300]; /* fakellm: dir/log, its --log folder; else "" */
} ba_test_server;

/* The build folder: $BUILD when set (the runner sets it), else the one
 * this test program was built in (it is BUILD/tests/NAME), so a binary
 * run by hand still finds its peers - where ba_test_build_dir() (test.h)
 * would guess "build". Never NULL; a static buffer. */
const char *ba_test_own_build_dir(void);

/* BUILD/tests/NAME, checked to be executable (the case fails with how to
 * build it when not). Returns a static buffer, valid until the next call. */
const char *ba_test_program_path(const char *name);

/* Starts program NAME (ba_test_program_path) with args (argv[1..], NULL-
 * terminated; borrowed, may be NULL for none) and reads the port it
 * prints (10 s at most). The result has no dir. */
ba_test_server ba_test_server_start(const char *name, const char *const *args);

/* Closes the server's stdin, which ends it, and reaps it: waits up to
 * five seconds, then kills it. Returns its wait status, or -1 when it had
 * to be killed (or was already stopped). Then removes s->dir, if any. */
int ba_test_server_stop(ba_test_server *s);

/* ------------------------------------------------------------ fakellm */

/* A server not started yet, with a fresh folder of its own,
 * /tmp/ba-PROGRAM-XXXXXX (PROGRAM this test's name), for a test that
 * writes files next to the script before starting fakellm in it. */
ba_test_server ba_test_server_dir(void);

/* Starts fakellm on script (its text, written to s->dir/script) with
 * --log s->dir/log. s comes from ba_test_server_dir(). */
void ba_test_fakellm_start_in(ba_test_server *s, const char *script);

/* ba_test_server_dir(), then ba_test_fakellm_start_in() on script. */
ba_test_server ba_test_fakellm_start(const char *script);

/* How many requests fakellm logged into log_dir so far (its NNN.http
 * files); 0 when the folder does not exist yet. */
int ba_test_fakellm_request_count(const char *log_dir);

/* Request n (1-based) as fakellm logged it into log_dir: NUL-terminated,
 * *len its length when len is not NULL (a body may hold NUL bytes); the
 * caller free()s it. NULL when there is no such request. */
char *ba_test_fakellm_request(const char *log_dir, int n, size_t *len);

/* ------------------------------------------------------------- files */

/* Writes len bytes of data to path (created or truncated). */
void ba_test_write_file(const char *path, const void *data, size_t len);

/* The whole file, NUL-terminated (*len its length when len is not NULL);
 * the caller free()s it. NULL when it cannot be opened. */
char *ba_test_read_file(const char *path, size_t *len);

/* ------------------------------------------------------------ clients */

/* A TCP connection to 127.0.0.1:port (close-on-exec). */
int ba_test_connect(unsigned port);

/* Sends all len bytes on a socket (without SIGPIPE). */
void ba_test_send_all(int fd, const void *data, size_t len);

/* Everything read from fd until EOF, NUL-terminated (*len its length);
 * the caller free()s it. Each read waits 10 s at most; a connection reset
 * fails the case. reads, when not NULL, counts the reads that returned
 * data (how many pieces the peer's bytes arrived in). */
char *ba_test_read_all(int fd, size_t *len, unsigned *reads);

/* Sends a raw request (len bytes) on a new connection to port and returns
 * all the peer answered before closing, as ba_test_read_all() does. */
char *ba_test_http_exchange(unsigned port, const char *request, size_t len, size_t *out_len,
                            unsigned *reads);

/* A loopback port nothing listens on: bound, then closed again (so free
 * a moment ago; another process could take it, which tests accept). */
unsigned ba_test_closed_port(void);

/* ------------------------------------------------------------ threads */

/* A cancel arriving while the code under test waits: a thread of its own
 * sets *flag after after_ms milliseconds. */
typedef struct ba_test_canceller {
	pthread_t thread;
	atomic_bool *flag; /* borrowed */
	unsigned after_ms;
} ba_test_canceller;

/* Starts c's thread; c must stay in place until ba_test_canceller_join(). */
void ba_test_cancel_later(ba_test_canceller *c, atomic_bool *flag, unsigned after_ms);

/* Waits for c's thread to end. */
void ba_test_canceller_join(ba_test_canceller *c);

#endif /* BA_TESTS_SUPPORT_SERVER_H */
