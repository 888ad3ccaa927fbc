/* Tests for batches in src/store/ (ba_store_begin, _commit, _rollback):
 * all or nothing on real SQLite files, seen from a second handle and
 * from other processes, and after a writer is killed with SIGKILL. */
#include "test.h"

#include "store/internal.h"
#include "store_util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void setup(void)
{
	setup_dir("home/boxagent.db");
}

static void new_session(ba_store *s, ba_session_info *info)
{
	char err[512] = "";
	if (ba_store_session_create(s, "openai/gpt-4o-mini", "/work/ws", "batch", info, err,
	                            sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "session_create: %s", err);
}

static int append_text(ba_store *s, const char *id, const char *text)
{
	char err[512] = "";
	ba_llm_message m = {.role = BA_LLM_ROLE_USER, .text = S(text)};
	return ba_store_message_append(s, id, &m, err, sizeof(err));
}

static size_t message_count(ba_store *s, const char *id)
{
	char err[512] = "";
	ba_llm_message *got = NULL;
	size_t n = 0;
	if (ba_store_messages_load(s, id, &got, &n, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "messages_load: %s", err);
	ba_store_messages_free(got, n);
	return n;
}

static size_t event_count(ba_store *s, const char *id)
{
	char err[512] = "";
	ba_store_event *ev = NULL;
	size_t n = 0;
	if (ba_store_events_load(s, id, &ev, &n, err, sizeof(err)) != 0)
		ba_test_fail(__FILE__, __LINE__, "events_load: %s", err);
	ba_store_events_free(ev, n);
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Another handle sees nothing of a batch until its commit, then all of
 * it; the batch's own handle reads what it has written so far. */
TEST(batch_visible_only_after_commit)
{
	ba_store *s1, *s2;
	ba_session_info a, seen;
	char err[512] = "";

	setup();
	s1 = open_store();
	s2 = open_store();
	new_session(s1, &a);
	CHECK_EQ_INT(append_text(s1, a.id, "before"), 0);

	CHECK_EQ_INT(ba_store_begin(s1, err, sizeof(err)), 0);
	CHECK(ba_store_in_batch(s1));
	CHECK(!ba_store_in_batch(s2));
	CHECK_EQ_INT(append_text(s1, a.id, "one"), 0);
	CHECK_EQ_INT(append_text(s1, a.id, "two"), 0);
	CHECK_EQ_INT(ba_store_event_append(s1, a.id, "step", "{\"step\":1}", err, sizeof(err)), 0);
	a.status = BA_SESSION_IDLE;
	a.steps = 7;
	CHECK_EQ_INT(ba_store_session_update(s1, &a, err, sizeof(err)), 0);

	/* Inside: the batch's rows; outside: none of them. */
	CHECK_EQ_UINT(message_count(s1, a.id), 3);
	CHECK_EQ_UINT(event_count(s1, a.id), 1);
	CHECK_EQ_UINT(message_count(s2, a.id), 1);
	CHECK_EQ_UINT(event_count(s2, a.id), 0);
	CHECK_EQ_INT(ba_store_session_get(s2, a.id, &seen, err, sizeof(err)), 0);
	CHECK_EQ_INT(seen.status, BA_SESSION_RUNNING);
	CHECK_EQ_UINT(seen.steps, 0);

	CHECK_EQ_INT(ba_store_commit(s1, err, sizeof(err)), 0);
	CHECK(!ba_store_in_batch(s1));
	CHECK_EQ_UINT(message_count(s2, a.id), 3);
	CHECK_EQ_UINT(event_count(s2, a.id), 1);
	CHECK_EQ_INT(ba_store_session_get(s2, a.id, &seen, err, sizeof(err)), 0);
	CHECK_EQ_INT(seen.status, BA_SESSION_IDLE);
	CHECK_EQ_UINT(seen.steps, 7);
	{
		ba_llm_message *got;
		size_t n;
		CHECK_EQ_INT(ba_store_messages_load(s2, a.id, &got, &n, err, sizeof(err)), 0);
		CHECK_EQ_STR(got[0].text, "before");
		CHECK_EQ_STR(got[1].text, "one");
		CHECK_EQ_STR(got[2].text, "two");
		ba_store_messages_free(got, n);
	}
	ba_store_close(s1);
	ba_store_close(s2);
}

/* Rollback drops every write of the batch and nothing before it; writes
 * after it commit one by one again. */
TEST(rollback_drops_the_batch)
{
	ba_store *s1, *s2;
	ba_session_info a;
	char err[512] = "";

	setup();
	s1 = open_store();
	s2 = open_store();
	new_session(s1, &a);
	CHECK_EQ_INT(append_text(s1, a.id, "kept"), 0);
	CHECK_EQ_INT(ba_store_begin(s1, err, sizeof(err)), 0);
	CHECK_EQ_INT(append_text(s1, a.id, "dropped 1"), 0);
	CHECK_EQ_INT(ba_store_event_append(s1, a.id, "n", "{}", err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_policy_set(s1, "/work/ws", "*", "fs.read:/workspace", true, err,
	                                 sizeof(err)),
	             0);
	ba_store_rollback(s1);
	CHECK(!ba_store_in_batch(s1));
	CHECK_EQ_UINT(message_count(s1, a.id), 1);
	CHECK_EQ_UINT(event_count(s1, a.id), 0);
	{
		ba_policy_entry *p;
		size_t n;
		CHECK_EQ_INT(ba_store_policy_list(s1, NULL, NULL, &p, &n, err, sizeof(err)), 0);
		CHECK_EQ_UINT(n, 0);
		free(p);
	}
	/* Outside a batch again: each write is committed at once. */
	CHECK_EQ_INT(append_text(s1, a.id, "after"), 0);
	CHECK_EQ_UINT(message_count(s2, a.id), 2);
	/* Nothing to roll back: nothing happens. */
	ba_store_rollback(s1);
	ba_store_rollback(NULL);
	CHECK_EQ_UINT(message_count(s2, a.id), 2);
	ba_store_close(s1);
	ba_store_close(s2);
}

TEST(batches_do_not_nest)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no batch is open");
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	CHECK_EQ_INT(append_text(s, a.id, "one"), 0);
	err[0] = '\0';
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "already open");
	/* The open batch is untouched by the refused begin. */
	CHECK(ba_store_in_batch(s));
	CHECK_EQ_INT(append_text(s, a.id, "two"), 0);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), -1);
	CHECK_EQ_UINT(message_count(s, a.id), 2);
	CHECK_EQ_INT(ba_store_begin(NULL, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_commit(NULL, err, sizeof(err)), -1);
	CHECK(!ba_store_in_batch(NULL));
	ba_store_close(s);
}

/* A failed write inside a batch leaves it open with its earlier writes;
 * the caller decides. Here once commit, once roll back. */
TEST(failed_write_leaves_the_batch_open)
{
	ba_store *s1, *s2;
	ba_session_info a;
	char err[512] = "";

	setup();
	s1 = open_store();
	s2 = open_store();
	new_session(s1, &a);
	for (int commit = 1; commit >= 0; commit--) {
		size_t before = message_count(s2, a.id);
		CHECK_EQ_INT(ba_store_begin(s1, err, sizeof(err)), 0);
		CHECK_EQ_INT(append_text(s1, a.id, "good"), 0);
		/* SQLite refuses this one (foreign key)... */
		CHECK_EQ_INT(append_text(s1, "0123456789abcdef", "no such session"), -1);
		/* ... and the store this one before SQLite sees it. */
		CHECK_EQ_INT(ba_store_event_append(s1, a.id, "n", "[1]", err, sizeof(err)), -1);
		CHECK_CONTAINS(err, "not a JSON object");
		CHECK(ba_store_in_batch(s1));
		CHECK_EQ_INT(ba_store_event_append(s1, a.id, "n", "{}", err, sizeof(err)), 0);
		CHECK_EQ_UINT(message_count(s1, a.id), before + 1);
		if (commit) {
			CHECK_EQ_INT(ba_store_commit(s1, err, sizeof(err)), 0);
			CHECK_EQ_UINT(message_count(s2, a.id), before + 1);
			CHECK_EQ_UINT(event_count(s2, a.id), 1);
		} else {
			ba_store_rollback(s1);
			CHECK_EQ_UINT(message_count(s2, a.id), before);
			CHECK_EQ_UINT(event_count(s2, a.id), 1);
		}
	}
	ba_store_close(s1);
	ba_store_close(s2);
}

/* When SQLite abandons the transaction by itself (an I/O error, a full
 * disk; simulated here by ending it behind the store's back), a later
 * write must not slip in on its own: it fails, and so does the commit. */
TEST(abandoned_batch_refuses_writes)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	CHECK_EQ_INT(append_text(s, a.id, "lost"), 0);
	CHECK_EQ_INT(s->sq->exec(s->db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(append_text(s, a.id, "must not be committed alone"), -1);
	CHECK_EQ_INT(ba_store_event_append(s, a.id, "n", "{}", err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "abandoned");
	CHECK_EQ_INT(
	        ba_store_policy_set(s, "/w", "*", "fs.read:/workspace", true, err, sizeof(err)),
	        -1);
	CHECK_EQ_INT(ba_store_session_update(s, &a, err, sizeof(err)), -1);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "abandoned");
	CHECK(!ba_store_in_batch(s));
	CHECK_EQ_UINT(message_count(s, a.id), 0);
	CHECK_EQ_UINT(event_count(s, a.id), 0);
	/* The handle works again. */
	CHECK_EQ_INT(append_text(s, a.id, "fine"), 0);
	CHECK_EQ_UINT(message_count(s, a.id), 1);
	ba_store_close(s);
}

/* Closing a handle with a batch open keeps none of it. */
TEST(close_rolls_back_an_open_batch)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	CHECK_EQ_INT(append_text(s, a.id, "never"), 0);
	ba_store_close(s);
	s = open_store();
	CHECK_EQ_UINT(message_count(s, a.id), 0);
	/* And the write lock went with the handle. */
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), 0);
	ba_store_close(s);
}

/* Begin takes the write lock at once (BEGIN IMMEDIATE): while another
 * process holds a batch open, begin waits for it (busy timeout) instead
 * of failing, and then sees what it committed. */
TEST_TIMEOUT(begin_waits_for_another_writer, 60)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	int fds[2];
	char c;
	pid_t pid;
	int status;

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char cerr[512];
		ba_store *cs = ba_store_open(db_path, cerr, sizeof(cerr));
		close(fds[0]);
		if (!cs || ba_store_begin(cs, cerr, sizeof(cerr)) != 0 ||
		    append_text(cs, a.id, "child") != 0)
			_exit(2);
		if (write(fds[1], "b", 1) != 1)
			_exit(3);
		usleep(400000);
		if (ba_store_commit(cs, cerr, sizeof(cerr)) != 0)
			_exit(4);
		ba_store_close(cs);
		_exit(0);
	}
	close(fds[1]);
	CHECK_EQ_INT(read(fds[0], &c, 1), 1);
	close(fds[0]);
	uint64_t t0 = now_ms();
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	uint64_t waited = now_ms() - t0;
	CHECK(waited >= 200);
	CHECK(waited < 5000);
	CHECK_EQ_UINT(message_count(s, a.id), 1);
	CHECK_EQ_INT(append_text(s, a.id, "parent"), 0);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		ba_llm_message *got;
		size_t n;
		CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
		CHECK_EQ_UINT(n, 2);
		CHECK_EQ_STR(got[0].text, "child");
		CHECK_EQ_STR(got[1].text, "parent");
		ba_store_messages_free(got, n);
	}
	ba_store_close(s);
}

/* A child commits batch A, opens batch B, writes into it, says so
 * through a pipe and waits; killed with SIGKILL there, the store keeps
 * all of A and nothing of B, passes SQLite's integrity check, and takes
 * a new writer at once. */
TEST_TIMEOUT(kill_9_inside_a_batch_loses_the_batch_only, 60)
{
	enum { ROWS = 4 };
	ba_store *s;
	ba_session_info a, seen;
	char err[512] = "";
	int fds[2];
	char c;
	pid_t pid;
	int status;

	setup();
	s = open_store();
	new_session(s, &a);
	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char cerr[512], text[32];
		ba_store *cs = ba_store_open(db_path, cerr, sizeof(cerr));
		ba_session_info info = a;
		close(fds[0]);
		if (!cs)
			_exit(2);
		for (int batch = 0; batch < 2; batch++) {
			if (ba_store_begin(cs, cerr, sizeof(cerr)) != 0)
				_exit(3);
			for (int i = 0; i < ROWS; i++) {
				snprintf(text, sizeof(text), "%c%d", 'A' + batch, i);
				if (append_text(cs, a.id, text) != 0 ||
				    ba_store_event_append(cs, a.id, "n", "{}", cerr,
				                          sizeof(cerr)) != 0)
					_exit(4);
			}
			info.steps = (uint64_t)batch + 1;
			if (ba_store_session_update(cs, &info, cerr, sizeof(cerr)) != 0)
				_exit(5);
			if (batch == 0 && ba_store_commit(cs, cerr, sizeof(cerr)) != 0)
				_exit(6);
			if (write(fds[1], batch == 0 ? "A" : "B", 1) != 1)
				_exit(7);
		}
		for (;;)
			pause(); /* killed here, with B open */
	}
	close(fds[1]);
	CHECK_EQ_INT(read(fds[0], &c, 1), 1);
	CHECK_EQ_INT(c, 'A');
	CHECK_EQ_INT(read(fds[0], &c, 1), 1);
	CHECK_EQ_INT(c, 'B');
	/* B is open in the child: invisible here. */
	CHECK_EQ_UINT(message_count(s, a.id), ROWS);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fds[0]);
	ba_store_close(s);

	{
		char ok[64];
		raw_sql(db_path, "PRAGMA integrity_check", ok, sizeof(ok));
		CHECK_EQ_STR(ok, "ok");
	}
	s = open_store();
	{
		ba_llm_message *got;
		size_t n;
		CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)), 0);
		CHECK_EQ_UINT(n, ROWS);
		for (size_t i = 0; i < n; i++) {
			char want[32];
			snprintf(want, sizeof(want), "A%zu", i);
			CHECK_EQ_STR(got[i].text, want);
		}
		ba_store_messages_free(got, n);
	}
	CHECK_EQ_UINT(event_count(s, a.id), ROWS);
	CHECK_EQ_INT(ba_store_session_get(s, a.id, &seen, err, sizeof(err)), 0);
	CHECK_EQ_UINT(seen.steps, 1);
	/* The dead writer's lock is gone: a batch begins without waiting. */
	uint64_t t0 = now_ms();
	CHECK_EQ_INT(ba_store_begin(s, err, sizeof(err)), 0);
	CHECK(now_ms() - t0 < 1000);
	CHECK_EQ_INT(append_text(s, a.id, "C0"), 0);
	CHECK_EQ_INT(ba_store_commit(s, err, sizeof(err)), 0);
	CHECK_EQ_UINT(message_count(s, a.id), ROWS + 1);
	ba_store_close(s);
}

/* kill_9_round's work: batches of KILL_ROWS messages and events, each
 * reported once committed. */
enum { KILL_ROWS = 5 };

static void commit_batches(ba_store *c, const char *sid, uint32_t first, int fd)
{
	char cerr[512], text[64];

	for (uint32_t b = first;; b++) {
		if (ba_store_begin(c, cerr, sizeof(cerr)) != 0)
			_exit(3);
		for (int i = 0; i < KILL_ROWS; i++) {
			snprintf(text, sizeof(text), "batch %u row %d", b, i);
			if (append_text(c, sid, text) != 0 ||
			    ba_store_event_append(c, sid, "n", "{\"i\":1}", cerr, sizeof(cerr)) !=
			            0)
				_exit(4);
		}
		if (ba_store_commit(c, cerr, sizeof(cerr)) != 0)
			_exit(5);
		if (write(fd, &b, sizeof(b)) != sizeof(b))
			_exit(6);
	}
}

/*
 * kill -9 at random moments: a child commits batches of KILL_ROWS messages
 * and KILL_ROWS events in a loop, reporting each committed batch through a
 * pipe. After the kill, the store holds whole batches only - every
 * reported one, and at most one more (committed just before the kill,
 * before its report) - in order. Several rounds on one file.
 */
TEST_TIMEOUT(kill_9_at_random_keeps_whole_batches, 120)
{
	ba_store *s;
	ba_session_info a;
	char err[512] = "";
	uint32_t next = 0; /* batches committed so far, over all rounds */

	setup();
	s = open_store();
	new_session(s, &a);
	ba_store_close(s);

	for (int round = 0; round < 6; round++) {
		uint32_t reported = kill_9_round(commit_batches, a.id, next);

		{
			char ok[64];
			ba_llm_message *got;
			size_t n, nev;
			raw_sql(db_path, "PRAGMA integrity_check", ok, sizeof(ok));
			CHECK_EQ_STR(ok, "ok");
			s = open_store();
			CHECK_EQ_INT(ba_store_messages_load(s, a.id, &got, &n, err, sizeof(err)),
			             0);
			nev = event_count(s, a.id);
			CHECK_EQ_UINT(n % KILL_ROWS, 0);
			CHECK_EQ_UINT(nev, n);
			CHECK(n / KILL_ROWS >= reported && n / KILL_ROWS <= reported + 1);
			for (size_t i = 0; i < n; i++) {
				char want[64];
				snprintf(want, sizeof(want), "batch %zu row %zu", i / KILL_ROWS,
				         i % KILL_ROWS);
				CHECK_EQ_STR(got[i].text, want);
			}
			next = (uint32_t)(n / KILL_ROWS);
			ba_store_messages_free(got, n);
			ba_store_close(s);
		}
	}
}
