/*
 * fs_symlink_harness: follow symlinks someone else left in the workspace.
 *
 * Grant: fs.read:/workspace. The harness creates, inside the workspace,
 * link -> /etc, rel -> ../../../../../../../../etc (relative) and
 * pw -> /etc/passwd. The tool reads through each.
 * Proves: a symlink in a granted folder does not extend the grant.
 */
#include "attack.h"

int main(void)
{
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	attempt_open("/workspace/link/passwd");
	attempt_open_at(ws, "/workspace", "link/passwd");
	attempt_open("/workspace/rel/passwd");
	attempt_open("/workspace/pw");
	attempt_open_at(ws, "/workspace", "pw");
	attempt_open_at(ws, "/workspace", "link");
	blocked("symlinks out of the workspace were not followed");
}
