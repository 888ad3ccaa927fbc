/*
 * file.c - reading whole files with a size cap; see file.h.
 */
#include "core/file.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ba_read_file(const char *path, size_t limit, uint8_t **data, size_t *len, char *err,
                 size_t err_size)
{
	ba_buf buf;
	char chunk[65536];
	int fd, is_stdin = strcmp(path, "-") == 0;
	struct stat st;

	fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%s is a directory", path);
		if (!is_stdin)
			close(fd);
		return -1;
	}
	ba_buf_init(&buf, limit);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (ba_buf_append(&buf, chunk, (size_t)n) != 0) {
			if (buf.len + (size_t)n > limit)
				snprintf(err, err_size, "%s is larger than the limit of %zu bytes",
				         path, limit);
			else
				snprintf(err, err_size, "out of memory reading %s", path);
			goto fail;
		}
	}
	if (!is_stdin)
		close(fd);
	*data = (uint8_t *)ba_buf_detach(&buf, len);
	if (!*data) {
		snprintf(err, err_size, "out of memory reading %s", path);
		return -1;
	}
	return 0;
fail:
	if (!is_stdin)
		close(fd);
	ba_buf_release(&buf);
	return -1;
}
