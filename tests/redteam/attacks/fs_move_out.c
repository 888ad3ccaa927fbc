/*
 * fs_move_out: move, link or create files outside the workspace.
 *
 * Grant: fs.write:/workspace. The host folder OUTSIDE (input "outside")
 * sits next to the workspace; the tool renames hello.txt to
 * "../outside/moved.txt", hard-links it there, creates "../outside/new.txt"
 * and a folder there, all relative to the workspace preopen, and by
 * absolute host path through the virtual root. The harness checks that
 * OUTSIDE is still empty and hello.txt still in place.
 * Proves: write grants do not reach the workspace's neighbours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "attack.h"

static void check(const char *what, int32_t err)
{
	if (err == 0)
		escaped("%s succeeded", what);
	note("%s refused: errno %d (%s)", what, (int)err, strerror((int)err));
}

int main(void)
{
	const char *outside = input_need("outside");
	int ws = find_preopen("/workspace");
	char abs[1024];
	uint32_t fd = 0;

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	check("rename hello.txt to ../outside/moved.txt",
	      __wasi_path_rename(ws, "hello.txt", ws, "../outside/moved.txt"));
	check("link hello.txt to ../outside/linked.txt",
	      __wasi_path_link(ws, 0, "hello.txt", ws, "../outside/linked.txt"));
	check("symlink ../outside/sym -> hello.txt",
	      __wasi_path_symlink("/workspace/hello.txt", ws, "../outside/sym"));
	check("mkdir ../outside/dir", __wasi_path_create_directory(ws, "../outside/dir"));
	check("create ../outside/new.txt",
	      raw_path_open((uint32_t)ws, 0, P("../outside/new.txt"),
	                    (uint32_t)strlen("../outside/new.txt"), __WASI_OFLAGS_CREAT,
	                    __WASI_RIGHTS_FD_WRITE, 0, 0, P(&fd)));
	snprintf(abs, sizeof(abs), "%s/abs.txt", outside);
	{
		int f = open(abs, O_WRONLY | O_CREAT, 0644);
		check("create OUTSIDE/abs.txt by absolute path", f >= 0 ? 0 : errno);
	}
	snprintf(abs, sizeof(abs), "%s/moved2.txt", outside);
	check("rename hello.txt to OUTSIDE/moved2.txt by absolute path",
	      rename("/workspace/hello.txt", abs) == 0 ? 0 : errno);
	blocked("nothing was moved, linked or created outside the workspace");
}
