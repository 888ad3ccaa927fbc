/*
 * fs_proc_magic: /proc magic links - /proc/self/mem, /proc/self/fd/N,
 * /proc/self/root, /proc/self/cwd.
 *
 * Grant: fs.read:/workspace. By absolute path, and through a symlink
 * self -> /proc/self the harness left in the workspace. fd/N of the host
 * process may be the audit log or the workspace folder itself.
 * Proves: magic links never resolve, by any route.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char path[128];

	attempt_open("/proc/self/mem");
	attempt_open("/proc/self/root/etc/passwd");
	attempt_open("/proc/self/cwd");
	for (int fd = 0; fd < 12; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		attempt_open(path);
	}
	attempt_open("/workspace/self/mem");
	attempt_open("/workspace/self/root/etc/passwd");
	attempt_open("/workspace/self/cwd");
	for (int fd = 0; fd < 12; fd++) {
		snprintf(path, sizeof(path), "/workspace/self/fd/%d", fd);
		attempt_open(path);
	}
	blocked("no /proc magic link resolved");
}
