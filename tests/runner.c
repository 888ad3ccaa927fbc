/*
 * runner.c - runs test cases, each in its own process under a timeout.
 *
 * usage: runner [--jobs N] [--timeout SECONDS] [--filter TEXT] PROGRAM...
 *
 * A PROGRAM ending in ".sh" is one case, run with sh. Any other PROGRAM
 * speaks the protocol of tests/test.h: `PROGRAM --list` names its cases and
 * `PROGRAM --run NAME` runs one (exit 0 pass, 77 skip, else fail).
 *
 * Each case gets a fresh process group, its output goes to a temporary
 * file, and the whole group is killed when the timeout passes. A passing
 * case's lines that start with "# " are echoed (suites use them for
 * summaries); a failing case's output is shown in full (up to a cap).
 * The last line is "N passed, N failed, N skipped"; the exit status is 1
 * when anything failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES       20000
#define MAX_JOBS        64
#define MAX_SHOWN_LINES 200

struct test_case {
	char *program;
	char *name;  /* NULL for a script                */
	char *label; /* what is printed                  */
	unsigned timeout;
};

struct job {
	pid_t pid;
	struct test_case *tc;
	FILE *output;
	double started;
};

static struct test_case cases[MAX_CASES];
static size_t case_count;
static unsigned default_timeout = 120;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		perror("runner");
		exit(2);
	}
	return p;
}

/* The label of a test program: its file name, or "folder/file" when the
 * file name alone says nothing (every core tool's script is test.sh). */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return path;
	if (strcmp(slash + 1, "test.sh") == 0) {
		const char *start = slash;
		while (start > path && start[-1] != '/')
			start--;
		return start;
	}
	return slash + 1;
}

static void add_case(const char *program, const char *name, unsigned timeout)
{
	char label[512];
	struct test_case *tc;

	if (case_count == MAX_CASES) {
		fprintf(stderr, "runner: more than %d cases\n", MAX_CASES);
		exit(2);
	}
	tc = &cases[case_count++];
	tc->program = xstrdup(program);
	tc->name = name ? xstrdup(name) : NULL;
	if (name)
		snprintf(label, sizeof(label), "%s:%s", base_name(program), name);
	else
		snprintf(label, sizeof(label), "%s", base_name(program));
	tc->label = xstrdup(label);
	tc->timeout = timeout ? timeout : default_timeout;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Asks a test program for its cases. */
static int list_cases(const char *program)
{
	char cmd[4096], line[1024];
	FILE *p;
	int status;

	if (snprintf(cmd, sizeof(cmd), "'%s' --list", program) >= (int)sizeof(cmd))
		return -1;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *tab, *nl = strchr(line, '\n');
		unsigned timeout = 0;
		if (nl)
			*nl = '\0';
		if (!*line)
			continue;
		tab = strchr(line, '\t');
		if (tab) {
			*tab = '\0';
			timeout = (unsigned)strtoul(tab + 1, NULL, 10);
		}
		add_case(program, line, timeout);
	}
	status = pclose(p);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void start(struct job *job, struct test_case *tc)
{
	FILE *out = tmpfile();
	pid_t pid;

	if (!out) {
		perror("runner: tmpfile");
		exit(2);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("runner: fork");
		exit(2);
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fileno(out), 1);
		dup2(fileno(out), 2);
		if (tc->name)
			execl(tc->program, tc->program, "--run", tc->name, (char *)NULL);
		else
			execl("/bin/sh", "sh", tc->program, (char *)NULL);
		fprintf(stderr, "runner: cannot run %s: %s\n", tc->program, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	job->pid = pid;
	job->tc = tc;
	job->output = out;
	job->started = now_seconds();
}

static void show_output(FILE *out, int all)
{
	char line[4096];
	int shown = 0;

	rewind(out);
	while (fgets(line, sizeof(line), out)) {
		if (!all) {
			if (strncmp(line, "# ", 2) == 0)
				fputs(line, stdout);
			continue;
		}
		if (shown++ == MAX_SHOWN_LINES) {
			printf("    ... (output cut after %d lines)\n", MAX_SHOWN_LINES);
			break;
		}
		printf("    %s", line);
		if (!strchr(line, '\n'))
			putchar('\n');
	}
}

int main(int argc, char **argv)
{
	struct job jobs[MAX_JOBS];
	size_t next = 0, running = 0, passed = 0, failed = 0, skipped = 0;
	long jobs_wanted = sysconf(_SC_NPROCESSORS_ONLN);
	const char *filter = getenv("BA_TEST_FILTER");
	const char *env_timeout = getenv("BA_TEST_TIMEOUT");
	int i;

	if (env_timeout)
		default_timeout = (unsigned)strtoul(env_timeout, NULL, 10);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
			jobs_wanted = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			default_timeout = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			filter = argv[++i];
		else {
			fprintf(stderr,
			        "usage: runner [--jobs N] [--timeout S] [--filter TEXT] PROGRAM...\n");
			return 2;
		}
	}
	if (jobs_wanted < 1)
		jobs_wanted = 1;
	if (jobs_wanted > MAX_JOBS)
		jobs_wanted = MAX_JOBS;
	if (default_timeout == 0)
		default_timeout = 120;

	for (; i < argc; i++) {
		if (ends_with(argv[i], ".sh")) {
			add_case(argv[i], NULL, 0);
		} else if (list_cases(argv[i]) != 0) {
			/* A program that cannot even list its cases is a failure
			 * of its own, not a reason to stop the others. */
			add_case(argv[i], "--list", 0);
		}
	}

	while (next < case_count || running > 0) {
		while (running < (size_t)jobs_wanted && next < case_count) {
			struct test_case *tc = &cases[next++];
			if (filter && !strstr(tc->label, filter))
				continue;
			start(&jobs[running++], tc);
		}
		if (running == 0)
			break;
		for (size_t j = 0; j < running; j++) {
			struct job *job = &jobs[j];
			int status;
			pid_t r = waitpid(job->pid, &status, WNOHANG);
			double elapsed = now_seconds() - job->started;
			const char *verdict = NULL;
			char why[128] = "";

			if (r == 0 && elapsed > job->tc->timeout) {
				kill(-job->pid, SIGKILL);
				waitpid(job->pid, &status, 0);
				verdict = "FAIL";
				snprintf(why, sizeof(why), " (timed out after %u s)",
				         job->tc->timeout);
			} else if (r == job->pid) {
				kill(-job->pid, SIGKILL); /* stray grandchildren */
				if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
					verdict = "ok  ";
				} else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
					verdict = "skip";
				} else {
					verdict = "FAIL";
					if (WIFSIGNALED(status))
						snprintf(why, sizeof(why), " (killed by signal %d)",
						         WTERMSIG(status));
					else
						snprintf(why, sizeof(why), " (exit %d)",
						         WEXITSTATUS(status));
				}
			} else {
				continue;
			}
			printf("%s %s%s  [%.0f ms]\n", verdict, job->tc->label, why,
			       elapsed * 1000);
			if (verdict[0] == 'o') {
				passed++;
				show_output(job->output, 0);
			} else if (verdict[0] == 's') {
				skipped++;
				show_output(job->output, 1);
			} else {
				failed++;
				show_output(job->output, 1);
			}
			fflush(stdout);
			fclose(job->output);
			jobs[j] = jobs[--running];
			j--;
		}
		if (running > 0) {
			struct timespec pause = {0, 5 * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
	}
	printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
