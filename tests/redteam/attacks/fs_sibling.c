/*
 * fs_sibling: a grant of one file used to reach its neighbours.
 *
 * Grant: fs.read:/workspace/allowed.txt (a single file). The tool reads
 * allowed.txt (must work), then the sibling secret.txt by absolute path,
 * by "allowed.txt/../secret.txt", by ".." from the file's preopen, and
 * lists /workspace.
 * Proves: a file grant is exactly that file.
 */
#include <dirent.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	char buf[256];
	DIR *dir;
	int fd = find_preopen("/workspace/allowed.txt");

	if (read_path("/workspace/allowed.txt", buf, sizeof(buf)) < 0)
		unexpected("the granted file /workspace/allowed.txt cannot be read");
	attempt_open("/workspace/secret.txt");
	attempt_open("/workspace/allowed.txt/../secret.txt");
	attempt_open("/workspace/./secret.txt");
	if (fd >= 0) {
		attempt_open_at(fd, "/workspace/allowed.txt", "../secret.txt");
		attempt_open_at(fd, "/workspace/allowed.txt", "..");
	}
	dir = opendir("/workspace");
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL)
			if (strcmp(e->d_name, "secret.txt") == 0)
				escaped("listing /workspace shows the sibling secret.txt");
		closedir(dir);
	}
	blocked("the sibling of the granted file stayed out of reach");
}
