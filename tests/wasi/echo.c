/*
 * echo.c - prints its arguments and environment, then copies stdin to
 * stdout, so one guest checks args_*, environ_* and fd_read on stdin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char buf[100];
	ssize_t n;

	for (int i = 0; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
	printf("HOME=%s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
	printf("stdin:\n");
	fflush(stdout);
	/* A small buffer, so stdin takes several reads. */
	while ((n = read(0, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0)
		printf("read error\n");
	return 0;
}
