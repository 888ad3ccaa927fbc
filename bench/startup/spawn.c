/*
 * spawn.c - times whole process runs: fork, exec, wait, N times, with the
 * input given on stdin. Prints the median and the mean in microseconds.
 * Used by bench/startup.sh; a C driver because a shell loop's own fork
 * cost would swamp the millisecond figures being compared.
 *
 *   usage: spawn N INPUT-FILE COMMAND [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../driver_util.h"

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint32_t n;
	if (argc < 4 || parse_u32(argv[1], &n) != 0 || n == 0 || n > 100000) {
		fprintf(stderr, "usage: spawn N INPUT-FILE COMMAND [ARGS...]\n");
		return 2;
	}
	double *times = malloc(n * sizeof *times);
	if (!times)
		return 2;
	double total = 0;
	for (uint32_t i = 0; i < n; i++) {
		double start = now_seconds();
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			int in = open(argv[2], O_RDONLY);
			int null = open("/dev/null", O_WRONLY);
			if (in < 0 || null < 0 || dup2(in, 0) < 0 || dup2(null, 1) < 0)
				_exit(126);
			execvp(argv[3], argv + 3);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn: %s failed (status 0x%x)\n", argv[3], status);
			return 1;
		}
		times[i] = (now_seconds() - start) * 1e6;
		total += times[i];
	}
	qsort(times, n, sizeof *times, compare);
	printf("%.0f %.0f\n", times[n / 2], total / n);
	free(times);
	return 0;
}
