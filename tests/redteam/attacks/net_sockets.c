/*
 * net_sockets: raw WASI sockets instead of the egress host call.
 *
 * No grants. sock_accept, sock_recv, sock_send and sock_shutdown on every
 * low descriptor (stdin/stdout/stderr, the root preopen, the workspace).
 * Proves: sockets are not a way around the egress chokepoint; the attempt
 * is refused (ENOTSUP) and recorded.
 */
#include <stdint.h>

#include "attack.h"

static void check(const char *call, int fd, int32_t err)
{
	if (err == WASI_ESUCCESS)
		escaped("%s(%d) succeeded", call, fd);
	if (err != WASI_ENOTSUP && err != WASI_EBADF && err != WASI_ENOTCAPABLE && err != 57)
		unexpected("%s(%d): errno %d, expected ENOTSUP", call, fd, (int)err);
}

int main(void)
{
	char data[64] = "GET / HTTP/1.0\r\n\r\n";
	uint32_t iov[2] = {P(data), sizeof(data)};
	uint32_t n = 0, flags = 0, fd_out = 0;

	for (int fd = 0; fd < 8; fd++) {
		check("sock_accept", fd, raw_sock_accept((uint32_t)fd, 0, P(&fd_out)));
		check("sock_recv", fd, raw_sock_recv((uint32_t)fd, P(iov), 1, 0, P(&n), P(&flags)));
		check("sock_send", fd, raw_sock_send((uint32_t)fd, P(iov), 1, 0, P(&n)));
		check("sock_shutdown", fd, raw_sock_shutdown((uint32_t)fd, 3));
	}
	blocked("every sock_* call was refused");
}
