/*
 * fs_proc_mapped: magic links inside a granted folder.
 *
 * The operator maps the host's /proc into the guest (--map /hostproc=/proc:ro
 * and grants fs.read:/hostproc) - a mistake, but the sandbox must still
 * hold: /hostproc/self/root, /hostproc/self/cwd and /hostproc/self/fd/N are
 * magic links, refused by RESOLVE_NO_MAGICLINKS even though /hostproc
 * itself is granted. (Plain files like /hostproc/self/status are the
 * operator's choice and not tested.)
 * Proves: a grant of a folder full of magic links does not become a grant
 * of the whole host.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char path[128];
	int hp = find_preopen("/hostproc");

	if (hp < 0)
		unexpected("no /hostproc preopen; --map or the grant did not take effect");
	attempt_open("/hostproc/self/root/etc/passwd");
	attempt_open("/hostproc/thread-self/root/etc/passwd");
	attempt_open("/hostproc/1/root/etc/passwd");
	attempt_open("/hostproc/self/cwd/.");
	attempt_open_at(hp, "/hostproc", "self/root/etc/passwd");
	for (int fd = 0; fd < 12; fd++) {
		snprintf(path, sizeof(path), "/hostproc/self/fd/%d", fd);
		attempt_open(path);
	}
	blocked("no magic link under the mapped /proc resolved");
}
