/*
 * fs_planted_write: write through symlinks someone else planted in the
 * workspace.
 *
 * Grant: fs.write:/workspace. The harness plants victim -> OUTSIDE/victim.txt
 * (an existing host file), victim_rel -> ../outside/victim.txt, and
 * dangling -> OUTSIDE/created.txt, dangling_rel -> ../outside/created2.txt
 * (not existing). The tool opens each for writing with O_TRUNC or O_CREAT.
 * The harness checks victim.txt is unchanged and nothing new appeared.
 * Proves: O_CREAT/O_TRUNC never follow a link out; a write grant on a
 * folder someone else can plant links in is still only that folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"

static void try_write(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | flags, 0644);

	if (fd >= 0) {
		ssize_t n = write(fd, "pwned\n", 6);
		close(fd);
		escaped("opened %s for writing through a planted link (write: %zd)", path, n);
	}
	note("open(\"%s\") for writing refused: errno %d (%s)", path, errno, strerror(errno));
}

int main(void)
{
	try_write("/workspace/victim", O_TRUNC);
	try_write("/workspace/victim", O_APPEND);
	try_write("/workspace/victim_rel", O_TRUNC);
	try_write("/workspace/dangling", O_CREAT);
	try_write("/workspace/dangling_rel", O_CREAT);
	if (truncate("/workspace/victim", 0) == 0)
		escaped("truncate() of the planted victim link worked");
	blocked("no planted link was written through");
}
