/*
 * fs_stat_probe: learn about host files without opening them.
 *
 * Grant: fs.read:/workspace. path_filestat_get on /etc/passwd (root),
 * ../../etc/passwd (workspace), and link/passwd through a symlink the
 * harness left (link -> /etc), with and without SYMLINK_FOLLOW; and
 * path_readlink of link/.. paths. A size or an inode of a host file is a
 * leak (which files exist, how big, when changed).
 * Proves: metadata calls resolve beneath preopens like opens do.
 */
#include <string.h>
#include <wasi/api.h>

#include "attack.h"

static void probe(int fd, const char *label, const char *path, uint32_t flags)
{
	__wasi_filestat_t st;
	__wasi_errno_t e = __wasi_path_filestat_get(fd, flags, path, &st);

	if (e == 0)
		escaped("stat of %s + \"%s\": size %llu, inode %llu", label, path,
		        (unsigned long long)st.size, (unsigned long long)st.ino);
	note("stat %s + \"%s\" (flags %u) refused: errno %d", label, path, flags, (int)e);
}

int main(void)
{
	int ws = find_preopen("/workspace");
	int root = find_preopen("/");
	uint8_t buf[256];
	__wasi_size_t n = 0;

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	if (root >= 0) {
		probe(root, "/", "etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
		probe(root, "/", "etc", 0);
	}
	probe(ws, "/workspace", "../../etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
	probe(ws, "/workspace", "..", 0);
	probe(ws, "/workspace", "link/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
	probe(ws, "/workspace", "link/passwd", 0);
	probe(ws, "/workspace", "link/", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
	probe(ws, "/workspace", "pw", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
	if (__wasi_path_readlink(ws, "link/../etc/passwd", buf, sizeof(buf), &n) == 0)
		escaped("readlink through link/.. worked");
	blocked("no metadata of a host file was revealed");
}
