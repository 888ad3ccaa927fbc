/*
 * abi_wasi_pointers: WASI calls with pointers and counts outside memory.
 *
 * Grant: fs.read:/workspace and env:LANG (so that environ_get has
 * something to write). fd_write with iovecs outside memory, buffers
 * outside memory, a huge iovec count, lengths that wrap; fd_read into
 * memory that is not there; path_open with a bad path pointer, a 4 GiB
 * path length and a bad fd_out; fd_prestat_dir_name, environ_get,
 * args_get, random_get, clock_time_get and poll_oneoff with bad pointers.
 * Proves: the WASI host bounds-checks everything (EFAULT, or EINVAL for
 * counts over a cap), never reads host memory into the guest's output and
 * never crashes.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#include "attack.h"

static void expect_fault(const char *what, int32_t err)
{
	if (err == WASI_ESUCCESS)
		escaped("%s succeeded", what);
	/* EFAULT is the answer for a bad pointer; a count over its cap may be
	 * refused with EINVAL, E2BIG (1), ENOMEM (48), EOVERFLOW (61) or
	 * ENAMETOOLONG (37) first. */
	if (err != WASI_EFAULT && err != WASI_EINVAL && err != 1 && err != 48 && err != 61 &&
	    err != 37)
		unexpected("%s: errno %d; expected EFAULT", what, (int)err);
	note("%s: errno %d", what, (int)err);
}

int main(void)
{
	uint32_t mem = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
	uint32_t bad[4] = {mem, 0xffffffffu, 0xfffffff0u, mem - 2};
	const char *names[4] = {"end of memory", "0xffffffff", "0xfffffff0 (wraps)",
	                        "straddling the end"};
	static char buf[64];
	uint32_t iov[4], n = 0, fd = 0;
	char what[128];
	int ws = find_preopen("/workspace");

	if (ws < 0)
		unexpected("no /workspace preopen; the grant did not take effect");
	for (int i = 0; i < 4; i++) {
		uint32_t b = bad[i];
		snprintf(what, sizeof(what), "fd_write iovs at %s", names[i]);
		expect_fault(what, raw_fd_write(1, b, 1, P(&n)));
		iov[0] = b;
		iov[1] = 16;
		snprintf(what, sizeof(what), "fd_write buffer at %s", names[i]);
		expect_fault(what, raw_fd_write(1, P(iov), 1, P(&n)));
		iov[0] = P(buf);
		iov[1] = 4;
		snprintf(what, sizeof(what), "fd_write nwritten at %s", names[i]);
		expect_fault(what, raw_fd_write(1, P(iov), 1, b));
		iov[0] = b;
		iov[1] = 16;
		snprintf(what, sizeof(what), "fd_read buffer at %s", names[i]);
		expect_fault(what, raw_fd_read(0, P(iov), 1, P(&n)));
		snprintf(what, sizeof(what), "path_open path at %s", names[i]);
		expect_fault(what, raw_path_open((uint32_t)ws, 0, b, 16, 0, __WASI_RIGHTS_FD_READ,
		                                 0, 0, P(&fd)));
		snprintf(what, sizeof(what), "path_open fd_out at %s", names[i]);
		expect_fault(what, raw_path_open((uint32_t)ws, 0, P("hello.txt"), 9, 0,
		                                 __WASI_RIGHTS_FD_READ, 0, 0, b));
		snprintf(what, sizeof(what), "fd_prestat_dir_name at %s", names[i]);
		expect_fault(what, raw_fd_prestat_dir_name((uint32_t)ws, b, 10));
		snprintf(what, sizeof(what), "environ_get at %s", names[i]);
		expect_fault(what, raw_environ_get(b, b));
		snprintf(what, sizeof(what), "args_get at %s", names[i]);
		expect_fault(what, raw_args_get(b, b));
		snprintf(what, sizeof(what), "random_get at %s", names[i]);
		expect_fault(what, raw_random_get(b, 64));
		snprintf(what, sizeof(what), "clock_time_get at %s", names[i]);
		expect_fault(what, raw_clock_time_get(0, 0, b));
		snprintf(what, sizeof(what), "poll_oneoff subscriptions at %s", names[i]);
		expect_fault(what, raw_poll_oneoff(b, P(buf), 1, P(&n)));
	}
	/* Counts and lengths that wrap or exceed memory with a valid start. */
	iov[0] = P(buf);
	iov[1] = 0x80000000u;
	iov[2] = P(buf);
	iov[3] = 0x80000000u;
	expect_fault("fd_write two iovecs of 2 GiB (sum wraps)", raw_fd_write(1, P(iov), 2, P(&n)));
	expect_fault("fd_write 0x10000000 iovecs", raw_fd_write(1, P(iov), 0x10000000u, P(&n)));
	expect_fault("path_open path_len 4 GiB - 1",
	             raw_path_open((uint32_t)ws, 0, P("hello.txt"), 0xffffffffu, 0,
	                           __WASI_RIGHTS_FD_READ, 0, 0, P(&fd)));
	expect_fault("random_get 4 GiB - 1", raw_random_get(P(buf), 0xffffffffu));
	expect_fault("poll_oneoff 0x7fffffff subscriptions",
	             raw_poll_oneoff(P(buf), P(buf), 0x7fffffffu, P(&n)));
	blocked("every bad pointer and count was refused");
}
