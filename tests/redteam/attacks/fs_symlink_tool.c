/*
 * fs_symlink_tool: make a symlink to /etc, then read through it.
 *
 * Grant: fs.write:/workspace (so creating a symlink is allowed at all).
 * The tool creates evil -> /etc, evil2 -> ../../../../../../etc and
 * pw -> /etc/passwd with path_symlink and opens files through them.
 * Proves: a tool cannot build its own way out; the links may exist but
 * resolve only beneath the preopen.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"

static void make_link(int ws, const char *target, const char *name)
{
	int32_t err = raw_path_symlink(P(target), (uint32_t)strlen(target), (uint32_t)ws, P(name),
	                               (uint32_t)strlen(name));
	note("path_symlink(\"%s\" -> \"%s\"): errno %d", name, target, (int)err);
}

int main(void)
{
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	make_link(ws, "/etc", "evil");
	make_link(ws, "../../../../../../../../etc", "evil2");
	make_link(ws, "/etc/passwd", "pw");
	if (symlink("/etc", "/workspace/evil3") != 0)
		note("symlink(/etc, /workspace/evil3): errno %d", errno);
	attempt_open("/workspace/evil/passwd");
	attempt_open_at(ws, "/workspace", "evil/passwd");
	attempt_open("/workspace/evil2/passwd");
	attempt_open("/workspace/pw");
	attempt_open("/workspace/evil3/passwd");
	blocked("symlinks the tool made did not lead out");
}
