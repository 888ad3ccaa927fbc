/*
 * fs_symlink_write_out: write a host file outside the workspace through a
 * symlink.
 *
 * Grant: fs.write:/workspace. The input names a host folder outside the
 * workspace ("outside"); the tool links out -> OUTSIDE/pwned.txt,
 * outdir -> OUTSIDE and the relative ../outside forms, then creates and
 * writes through each. The harness
 * checks afterwards that OUTSIDE is still empty.
 * Proves: write access to a folder cannot be turned into writing anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"

/* Links name -> target, then creates and writes through name (or through
 * name/sub when sub is given). Only a write through a link that exists is
 * an escape: if the link was refused, open(O_CREAT) just makes a plain
 * file in the workspace, which is allowed. */
static void try_write(const char *target, const char *name, const char *sub)
{
	char path[1024];
	int made = symlink(target, name) == 0;
	int fd;

	if (!made)
		note("symlink(%s -> %s) refused: errno %d (%s)", name, target, errno,
		     strerror(errno));
	snprintf(path, sizeof(path), "%s%s", name, sub ? sub : "");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		note("open(\"%s\", O_CREAT|O_WRONLY) refused: errno %d (%s)", path, errno,
		     strerror(errno));
		return;
	}
	if (write(fd, "pwned\n", 6) == 6 && made)
		escaped("wrote %s through the link %s -> %s", path, name, target);
	close(fd);
	note("open(\"%s\") gave a plain workspace file (the link was %s)", path,
	     made ? "made" : "refused");
}

int main(void)
{
	const char *outside = input_need("outside");
	char target[1024];

	snprintf(target, sizeof(target), "%s/pwned.txt", outside);
	try_write(target, "/workspace/out", NULL);
	try_write(outside, "/workspace/outdir", "/pwned2.txt");
	try_write("../outside/pwned3.txt", "/workspace/rel", NULL);
	try_write("../outside", "/workspace/reldir", "/pwned4.txt");
	try_write("sub/../../outside/pwned5.txt", "/workspace/rel2", NULL);
	blocked("writes through symlinks out of the workspace were refused");
}
