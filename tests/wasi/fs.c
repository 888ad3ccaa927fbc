/*
 * fs.c - a tiny shell for file-system tests. The arguments are a list
 * of commands, each with a fixed number of operands; every command
 * prints one result line ("CMD: ok", "CMD: errno=N" with WASI errno
 * numbers, or the data it read), so a test states a whole scenario as
 * arguments and checks stdout.
 *
 *   cat P | write P TEXT | append P TEXT | ls DIR | mkdir P | rmdir P |
 *   rm P | mv A B | ln T L (symlink) | link A B (hard link) |
 *   readlink P | stat P | lstat P | create P (O_CREAT|O_EXCL) |
 *   rdwr P (open O_RDWR) | ropen P (open O_RDONLY) | trunc P N |
 *   utime P | opendir P | dirln DIR NEWDIR TARGET
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int result(const char *cmd, int r)
{
	if (r == 0)
		printf("%s: ok\n", cmd);
	else
		printf("%s: errno=%d\n", cmd, errno);
	return r;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cat(const char *p)
{
	char buf[4096];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		result("cat", -1);
		return;
	}
	printf("cat: ");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	printf("\n");
	close(fd);
}

static void put(const char *cmd, const char *p, const char *text, int flags)
{
	int fd = open(p, flags, 0644);
	size_t len = strlen(text);

	if (fd < 0) {
		result(cmd, -1);
		return;
	}
	if (write(fd, text, len) != (ssize_t)len) {
		result(cmd, -1);
		close(fd);
		return;
	}
	result(cmd, close(fd));
}

static void ls(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;
	char *names[1000];
	size_t n = 0;

	if (!d) {
		result("ls", -1);
		return;
	}
	while ((e = readdir(d)) && n < 1000)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	printf("ls:");
	for (size_t i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void st(const char *cmd, const char *p, int follow)
{
	struct stat s;
	int r = follow ? stat(p, &s) : lstat(p, &s);

	if (r != 0) {
		result(cmd, -1);
		return;
	}
	/* A directory's size depends on the file system; not printed. */
	if (S_ISDIR(s.st_mode)) {
		printf("%s: dir\n", cmd);
		return;
	}
	printf("%s: %s %lld\n", cmd,
	       S_ISREG(s.st_mode)   ? "file"
	       : S_ISLNK(s.st_mode) ? "link"
	                            : "other",
	       (long long)s.st_size);
}

static void just_open(const char *cmd, const char *p, int flags)
{
	int fd = open(p, flags, 0644);
	if (fd < 0) {
		result(cmd, -1);
		return;
	}
	result(cmd, close(fd));
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc;) {
		const char *c = argv[i++];
		const char *a = i < argc ? argv[i] : "", *b = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(c, "cat")) {
			cat(a);
			i += 1;
		} else if (!strcmp(c, "write")) {
			put("write", a, b, O_WRONLY | O_CREAT | O_TRUNC);
			i += 2;
		} else if (!strcmp(c, "append")) {
			put("append", a, b, O_WRONLY | O_CREAT | O_APPEND);
			i += 2;
		} else if (!strcmp(c, "ls")) {
			ls(a);
			i += 1;
		} else if (!strcmp(c, "mkdir")) {
			result("mkdir", mkdir(a, 0755));
			i += 1;
		} else if (!strcmp(c, "rmdir")) {
			result("rmdir", rmdir(a));
			i += 1;
		} else if (!strcmp(c, "rm")) {
			result("rm", unlink(a));
			i += 1;
		} else if (!strcmp(c, "mv")) {
			result("mv", rename(a, b));
			i += 2;
		} else if (!strcmp(c, "ln")) {
			result("ln", symlink(a, b));
			i += 2;
		} else if (!strcmp(c, "link")) {
			result("link", link(a, b));
			i += 2;
		} else if (!strcmp(c, "dirln")) {
			/* dirln DIR NEWDIR TARGET: open DIR, move it to NEWDIR,
			 * then create NEWDIR/l -> TARGET through the old fd. */
			int dfd = open(a, O_RDONLY | O_DIRECTORY);
			if (dfd < 0 || rename(a, b) != 0)
				result("dirln", -1);
			else
				result("dirln", symlinkat(argv[i + 2], dfd, "l"));
			if (dfd >= 0)
				close(dfd);
			i += 3;
		} else if (!strcmp(c, "readlink")) {
			char buf[256];
			ssize_t n = readlink(a, buf, sizeof(buf) - 1);
			if (n < 0)
				result("readlink", -1);
			else
				printf("readlink: %.*s\n", (int)n, buf);
			i += 1;
		} else if (!strcmp(c, "stat")) {
			st("stat", a, 1);
			i += 1;
		} else if (!strcmp(c, "lstat")) {
			st("lstat", a, 0);
			i += 1;
		} else if (!strcmp(c, "create")) {
			just_open("create", a, O_WRONLY | O_CREAT | O_EXCL);
			i += 1;
		} else if (!strcmp(c, "rdwr")) {
			just_open("rdwr", a, O_RDWR);
			i += 1;
		} else if (!strcmp(c, "ropen")) {
			just_open("ropen", a, O_RDONLY);
			i += 1;
		} else if (!strcmp(c, "opendir")) {
			just_open("opendir", a, O_RDONLY | O_DIRECTORY);
			i += 1;
		} else if (!strcmp(c, "trunc")) {
			result("trunc", truncate(a, strtol(b, NULL, 10)));
			i += 2;
		} else if (!strcmp(c, "utime")) {
			struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
			result("utime", utimensat(AT_FDCWD, a, ts, 0));
			i += 1;
		} else {
			printf("unknown command %s\n", c);
			return 2;
		}
	}
	return 0;
}
