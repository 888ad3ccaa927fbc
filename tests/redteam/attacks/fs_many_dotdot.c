/*
 * fs_many_dotdot: /workspace/../../../... with many "..", "." and "//".
 *
 * Grant: fs.read:/workspace. Forty ".." more than any depth, through the
 * workspace preopen and through libc with an absolute path that starts in
 * /workspace. Proves: no amount of ".." climbs past the preopen.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	char path[512] = "", abs[600];
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	for (int i = 0; i < 40; i++)
		memcpy(path + 3 * i, "../", 3);
	memcpy(path + 120, "etc/passwd", sizeof("etc/passwd"));
	attempt_open_at(ws, "/workspace", path);
	attempt_open_at(ws, "/workspace", ".//.././/..//../etc//passwd");
	snprintf(abs, sizeof(abs), "/workspace/%s", path);
	attempt_open(abs);
	attempt_open("/workspace/./../../../../etc/./passwd");
	attempt_open("/workspace/sub/../../../../../../etc/passwd");
	blocked("every /workspace/../.. spelling was refused");
}
