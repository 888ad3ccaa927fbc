/*
 * fs.c - whole-file reads and atomic writes for tools, on top of
 * wasi-libc's POSIX layer. Paths are resolved guest paths
 * (bx_path_resolve); the host's preopens decide what may be touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boxagent.h"

char *bx_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = ENODEV;
		goto fail;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* The size is a hint only: the file may change while being read, so
	 * the loop is capped by max, not by st_size. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *data = bx_malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(data);
				errno = EFBIG;
				goto fail;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			data = bx_realloc(data, cap + 1);
		}
		ssize_t r = read(fd, data + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(data);
			errno = e;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(data);
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	data[n] = '\0';
	*len = n;
	return data;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return NULL;
}

bool bx_is_binary(const void *data, size_t len)
{
	return memchr(data, '\0', len) != NULL;
}

static int write_all_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bx_write_file_atomic(const char *path, const void *data, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	const char *base = slash ? slash + 1 : path;
	if (!*base) {
		errno = EISDIR;
		return -1;
	}
	/* An existing directory cannot be replaced by a file. */
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	char tmp[BX_PATH_MAX + 64];
	int fd = -1;
	for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
		unsigned rnd = 0;
		if (getentropy(&rnd, sizeof(rnd)) < 0)
			rnd = (unsigned)attempt * 2654435761u;
		int n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp-%08x", (int)dir_len, path, base,
		                 rnd);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0)
		return -1;
	if (write_all_fd(fd, data, len) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int bx_mkdir_parents(const char *path)
{
	char buf[BX_PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	char *slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	/* Create each prefix in turn; existing directories are fine. */
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
				struct stat st;
				int e = errno;
				if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
					errno = e;
					return -1;
				}
			}
			*p = saved;
			if (!saved)
				break;
		}
	}
	struct stat st;
	if (stat(buf, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}
