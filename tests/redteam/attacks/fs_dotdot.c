/*
 * fs_dotdot: climb out of the workspace with "..".
 *
 * Grant: fs.read:/workspace. The tool opens "../../etc/passwd" relative to
 * the workspace preopen (raw path_open, so wasi-libc cannot normalise the
 * path first), ".." itself (the host folder holding the workspace), a path
 * that dips into a subfolder first, and the libc route with a chdir.
 * Proves: ".." never leaves a preopen, whatever the spelling.
 */
#include <errno.h>
#include <unistd.h>

#include "attack.h"

int main(void)
{
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	attempt_open_at(ws, "/workspace", "..");
	attempt_open_at(ws, "/workspace", "../../etc/passwd");
	attempt_open_at(ws, "/workspace", "sub/../../etc/passwd");
	attempt_open_at(ws, "/workspace", "./../etc/passwd");
	if (chdir("/workspace") != 0)
		unexpected("chdir(/workspace) failed: errno %d", errno);
	attempt_open("../../etc/passwd");
	blocked("every \"..\" path out of /workspace was refused");
}
