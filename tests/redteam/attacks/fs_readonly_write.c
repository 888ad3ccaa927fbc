/*
 * fs_readonly_write: write through a read-only grant.
 *
 * Grant: fs.read:/workspace only. The tool tries every kind of write:
 * create a file, truncate and overwrite one, open read-write, unlink,
 * rename, mkdir, rmdir, symlink, set times, and a raw path_open asking for
 * write rights. The harness checks afterwards that the workspace is
 * byte-for-byte what it was.
 * Proves: read-only means read-only for every write operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "attack.h"

static void refused(const char *what, int rc)
{
	if (rc == 0)
		escaped("%s succeeded on a read-only workspace", what);
	note("%s refused: errno %d (%s)", what, errno, strerror(errno));
}

static void try_open(const char *path, int flags, const char *what)
{
	int fd = open(path, flags, 0644);

	if (fd >= 0) {
		ssize_t n = write(fd, "pwned\n", 6);
		escaped("%s succeeded on a read-only workspace (write: %zd)", what, n);
	}
	note("%s refused: errno %d (%s)", what, errno, strerror(errno));
}

int main(void)
{
	int ws = find_preopen("/workspace");
	uint32_t fd_out = 0;
	int32_t err;
	const char *name = "hello.txt";

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	try_open("/workspace/new-file.txt", O_WRONLY | O_CREAT | O_EXCL, "create new-file.txt");
	try_open("/workspace/hello.txt", O_WRONLY | O_TRUNC, "truncate hello.txt");
	try_open("/workspace/hello.txt", O_RDWR, "open hello.txt read-write");
	try_open("/workspace/hello.txt", O_WRONLY | O_APPEND, "append to hello.txt");
	refused("unlink hello.txt", unlink("/workspace/hello.txt"));
	refused("rename hello.txt", rename("/workspace/hello.txt", "/workspace/moved.txt"));
	refused("mkdir newdir", mkdir("/workspace/newdir", 0755));
	refused("rmdir sub", rmdir("/workspace/sub"));
	refused("symlink", symlink("hello.txt", "/workspace/newlink"));
	refused("link", link("/workspace/hello.txt", "/workspace/hardlink"));
	{
		struct timespec ts[2] = {{0, 0}, {0, 0}};
		refused("utimensat hello.txt", utimensat(AT_FDCWD, "/workspace/hello.txt", ts, 0));
	}
	err = raw_path_open((uint32_t)ws, 0, P(name), (uint32_t)strlen(name), 0,
	                    __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE,
	                    __WASI_RIGHTS_FD_WRITE, 0, P(&fd_out));
	if (err == 0) {
		__wasi_ciovec_t iov = {(const uint8_t *)"pwned\n", 6};
		size_t n = 0;
		int32_t werr = raw_fd_write(fd_out, P(&iov), 1, P(&n));
		int32_t serr = __wasi_fd_filestat_set_size((int)fd_out, 0);
		if (werr == 0 || serr == 0)
			escaped("raw path_open with write rights: fd_write errno %d, "
			        "set_size errno %d",
			        (int)werr, (int)serr);
		note("raw path_open with write rights gave fd %u, but writes failed (%d, %d)",
		     fd_out, (int)werr, (int)serr);
	} else {
		note("raw path_open with write rights refused: errno %d", (int)err);
	}
	{
		/* A descriptor opened for reading must not write either. */
		int fd = open("/workspace/hello.txt", O_RDONLY);
		if (fd >= 0) {
			if (write(fd, "pwned\n", 6) > 0)
				escaped("wrote through a read-only descriptor");
			if (ftruncate(fd, 0) == 0)
				escaped("truncated through a read-only descriptor");
			close(fd);
		} else {
			unexpected("cannot even read /workspace/hello.txt: errno %d", errno);
		}
	}
	blocked("every write to the read-only workspace was refused");
}
