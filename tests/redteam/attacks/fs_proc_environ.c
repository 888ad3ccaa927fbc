/*
 * fs_proc_environ: read the host process's environment from /proc.
 *
 * Grant: fs.read:/workspace. /proc/self/environ of the boxagent process
 * holds every secret in its environment (the harness puts one there). The
 * tool tries the absolute path, a ".." path from the workspace, and a
 * symlink self -> /proc/self that the harness left in the workspace.
 * Proves: /proc is out of reach by every route.
 */
#include "attack.h"

int main(void)
{
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	attempt_open("/proc/self/environ");
	attempt_open("/proc/1/environ");
	attempt_open_at(ws, "/workspace", "../../../../../../proc/self/environ");
	attempt_open("/workspace/self/environ");
	attempt_open_at(ws, "/workspace", "self/environ");
	blocked("/proc/self/environ could not be read");
}
