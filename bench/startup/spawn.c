/*
 * spawn.c - times whole process runs: fork, exec, wait, with the input
 * given on stdin. Several commands are run interleaved (A B C A B C ...),
 * so that a change in machine load between them shows in all of them
 * instead of skewing their ratio. Prints one line per command: the median
 * and the mean in microseconds. Used by bench/startup.sh; a C driver
 * because a shell loop's own fork cost would swamp the figures.
 *
 *   usage: spawn N INPUT-FILE COMMAND [ARGS...] [-- COMMAND [ARGS...]]...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../driver_util.h"

#define MAX_COMMANDS 8

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Runs argv once; returns its wall time in microseconds, or -1. */
static double run_once(const char *input, char **argv)
{
	double start = now_seconds();
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		int in = open(input, O_RDONLY);
		int null = open("/dev/null", O_WRONLY);
		if (in < 0 || null < 0 || dup2(in, 0) < 0 || dup2(null, 1) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawn: %s failed (status 0x%x)\n", argv[0], status);
		return -1;
	}
	return (now_seconds() - start) * 1e6;
}

int main(int argc, char **argv)
{
	uint32_t n;
	char **commands[MAX_COMMANDS];
	int count = 0;

	if (argc < 4 || parse_u32(argv[1], &n) != 0 || n == 0 || n > 100000) {
		fprintf(stderr, "usage: spawn N INPUT-FILE COMMAND [ARGS...] [-- COMMAND...]...\n");
		return 2;
	}
	commands[count++] = argv + 3;
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			if (count == MAX_COMMANDS || i + 1 >= argc) {
				fprintf(stderr, "spawn: at most %d commands, none empty\n",
				        MAX_COMMANDS);
				return 2;
			}
			commands[count++] = argv + i + 1;
		}
	double *times = malloc((size_t)count * n * sizeof *times);
	if (!times)
		return 2;
	/* One warm-up round: page cache, dynamic loader caches. */
	for (int c = 0; c < count; c++)
		if (run_once(argv[2], commands[c]) < 0)
			return 1;
	for (uint32_t i = 0; i < n; i++)
		for (int c = 0; c < count; c++) {
			double t = run_once(argv[2], commands[c]);
			if (t < 0)
				return 1;
			times[(size_t)c * n + i] = t;
		}
	for (int c = 0; c < count; c++) {
		double *t = times + (size_t)c * n, total = 0;
		for (uint32_t i = 0; i < n; i++)
			total += t[i];
		qsort(t, n, sizeof *t, compare);
		printf("%.0f %.0f\n", t[n / 2], total / n);
	}
	free(times);
	return 0;
}
