/*
 * fs_absolute: open host files by absolute path.
 *
 * Grant: fs.read:/workspace. "/etc/passwd" goes to the virtual root (fd 3),
 * which must be empty: the open is refused and recorded. The tool also
 * lists "/" and opens the root's "etc/passwd" with a raw path_open.
 * Proves: absolute paths reach the host's check and stop there.
 */
#include <dirent.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	int root = find_preopen("/");
	DIR *dir;

	attempt_open("/etc/passwd");
	attempt_open("/etc/hostname");
	if (root >= 0)
		attempt_open_at(root, "/", "etc/passwd");
	else
		note("no \"/\" preopen (wasi.h promises one at fd 3)");
	dir = opendir("/");
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "workspace"))
				escaped("listing / shows host entry \"%s\"", e->d_name);
		}
		closedir(dir);
	}
	blocked("absolute host paths were refused and / lists nothing of the host");
}
