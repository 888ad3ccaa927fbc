/*
 * fs_hardlink: hard-link a host file into the workspace, then read it.
 *
 * Grant: fs.write:/workspace. path_link from the virtual root ("/etc/passwd"),
 * from "../../etc/passwd" under the workspace, and with SYMLINK_FOLLOW on
 * link -> /etc that the harness left in the workspace (linkat with
 * AT_SYMLINK_FOLLOW would link the target itself).
 * Proves: link sources resolve beneath a preopen like every other path.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "attack.h"

static void try_link(int old_fd, uint32_t flags, const char *old_path, int new_fd,
                     const char *new_path)
{
	int32_t err =
	        raw_path_link((uint32_t)old_fd, flags, P(old_path), (uint32_t)strlen(old_path),
	                      (uint32_t)new_fd, P(new_path), (uint32_t)strlen(new_path));
	note("path_link(%d:\"%s\" -> %d:\"%s\", flags %u): errno %d", old_fd, old_path, new_fd,
	     new_path, flags, (int)err);
}

int main(void)
{
	int ws = find_preopen("/workspace");
	int root = find_preopen("/");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	if (link("/etc/passwd", "/workspace/pw1") != 0)
		note("link(/etc/passwd, /workspace/pw1): errno %d", errno);
	if (root >= 0)
		try_link(root, 0, "etc/passwd", ws, "pw2");
	try_link(ws, 0, "../../../../../../etc/passwd", ws, "pw3");
	try_link(ws, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link/passwd", ws, "pw4");
	try_link(ws, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "pw", ws, "pw5");
	attempt_open("/workspace/pw1");
	attempt_open("/workspace/pw2");
	attempt_open("/workspace/pw3");
	attempt_open("/workspace/pw4");
	attempt_open("/workspace/pw5");
	blocked("no host file could be hard-linked into the workspace");
}
