/*
 * abi_fd_exhaustion: hold every descriptor the host will give, then make
 * the host do its own work.
 *
 * Grants: fs.read:/workspace and network:http://127.0.0.1:A. The tool opens
 * hello.txt until path_open fails (the host's table has 1024 slots; the
 * harness runs it under "ulimit -n 1024", the usual soft limit), then asks
 * for /etc/passwd (a deny the host must still be able to record) and makes
 * an HTTP request (the host needs a socket). The harness checks the deny
 * record exists and the log verifies.
 * Proves: a guest cannot starve the host of descriptors for its audit log
 * or its network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "attack.h"

int main(void)
{
	char url[128];
	http_result res;
	int count = 0, err = 0;

	for (int i = 0; i < 100000; i++) {
		if (open("/workspace/hello.txt", O_RDONLY) < 0) {
			err = errno;
			break;
		}
		count++;
	}
	note("opened hello.txt %d times, then errno %d", count, err);
	if (count >= 100000)
		escaped("100000 descriptors open at once: the host table is unbounded");
	attempt_open("/etc/passwd");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_a"));
	if (http("GET", url, NULL, NULL, 0, &res) != BA_OK)
		note("with every descriptor taken, GET A: %s (%s)", ba_status_name(res.status),
		     res.error);
	blocked("descriptors capped at %d (errno %d); the host kept working", count, err);
}
