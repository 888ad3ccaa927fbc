/*
 * raw.c - calls WASI functions directly (own import declarations, raw
 * addresses and lengths), for what libc would never pass: pointers out
 * of memory, absurd counts, sockets, signals. argv[1] picks a scenario;
 * each check prints "NAME=ERRNO" (WASI numbers) or a value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef int32_t i32;
typedef int64_t i64;

IMPORT(args_get) i32 raw_args_get(i32, i32);
IMPORT(args_sizes_get) i32 raw_args_sizes_get(i32, i32);
IMPORT(environ_get) i32 raw_environ_get(i32, i32);
IMPORT(clock_time_get) i32 raw_clock_time_get(i32, i64, i32);
IMPORT(clock_res_get) i32 raw_clock_res_get(i32, i32);
IMPORT(fd_write) i32 raw_fd_write(i32, i32, i32, i32);
IMPORT(fd_read) i32 raw_fd_read(i32, i32, i32, i32);
IMPORT(fd_pread) i32 raw_fd_pread(i32, i32, i32, i64, i32);
IMPORT(fd_fdstat_get) i32 raw_fd_fdstat_get(i32, i32);
IMPORT(fd_filestat_get) i32 raw_fd_filestat_get(i32, i32);
IMPORT(fd_prestat_get) i32 raw_fd_prestat_get(i32, i32);
IMPORT(fd_prestat_dir_name) i32 raw_fd_prestat_dir_name(i32, i32, i32);
IMPORT(fd_readdir) i32 raw_fd_readdir(i32, i32, i32, i64, i32);
IMPORT(fd_seek) i32 raw_fd_seek(i32, i64, i32, i32);
IMPORT(fd_close) i32 raw_fd_close(i32);
IMPORT(fd_renumber) i32 raw_fd_renumber(i32, i32);
IMPORT(path_open) i32 raw_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
IMPORT(path_filestat_get) i32 raw_path_filestat_get(i32, i32, i32, i32, i32);
IMPORT(path_readlink) i32 raw_path_readlink(i32, i32, i32, i32, i32, i32);
IMPORT(path_symlink) i32 raw_path_symlink(i32, i32, i32, i32, i32);
IMPORT(path_create_directory) i32 raw_path_create_directory(i32, i32, i32);
IMPORT(path_unlink_file) i32 raw_path_unlink_file(i32, i32, i32);
IMPORT(path_rename) i32 raw_path_rename(i32, i32, i32, i32, i32, i32);
IMPORT(poll_oneoff) i32 raw_poll_oneoff(i32, i32, i32, i32);
IMPORT(random_get) i32 raw_random_get(i32, i32);
IMPORT(sched_yield) i32 raw_sched_yield(void);
IMPORT(proc_exit) void raw_proc_exit(i32);
IMPORT(proc_raise) i32 raw_proc_raise(i32);
IMPORT(sock_accept) i32 raw_sock_accept(i32, i32, i32);
IMPORT(sock_recv) i32 raw_sock_recv(i32, i32, i32, i32, i32, i32);
IMPORT(sock_send) i32 raw_sock_send(i32, i32, i32, i32, i32);
IMPORT(sock_shutdown) i32 raw_sock_shutdown(i32, i32);

#define A(p) ((i32)(uintptr_t)(p))
#define BAD  ((i32)0xfffffff0)

static void show(const char *name, i32 e)
{
	printf("%s=%d\n", name, (int)e);
}

/* The first preopen after the virtual root: the test's directory. */
#define DIRFD 4

static void efault(void)
{
	static char buf[64];
	static uint32_t iov[2];
	static uint32_t n;
	static uint64_t big[64];
	/* The last 4 bytes of memory: an 8-byte object there crosses the end. */
	i32 edge = (i32)(__builtin_wasm_memory_size(0) * 65536u - 4);

	show("args_sizes_get", raw_args_sizes_get(BAD, A(&n)));
	show("args_get", raw_args_get(BAD, A(buf)));
	show("environ_get", raw_environ_get(A(big), BAD));
	show("clock_time_get", raw_clock_time_get(0, 0, edge));
	show("clock_res_get", raw_clock_res_get(1, BAD));
	show("fd_write_iovs", raw_fd_write(1, BAD, 1, A(&n)));
	iov[0] = (uint32_t)BAD;
	iov[1] = 100;
	show("fd_write_buf", raw_fd_write(1, A(iov), 1, A(&n)));
	iov[0] = (uint32_t)A(buf);
	iov[1] = 0x7fffffff;
	show("fd_write_len", raw_fd_write(1, A(iov), 1, A(&n)));
	iov[1] = 4;
	show("fd_write_nwritten", raw_fd_write(1, A(iov), 1, BAD));
	show("fd_write_too_many_iovs", raw_fd_write(1, A(big), 100000, A(&n)));
	iov[0] = (uint32_t)BAD;
	show("fd_read_buf", raw_fd_read(0, A(iov), 1, A(&n)));
	show("fd_fdstat_get", raw_fd_fdstat_get(1, edge));
	show("fd_filestat_get", raw_fd_filestat_get(DIRFD, BAD));
	show("fd_prestat_get", raw_fd_prestat_get(3, BAD));
	show("fd_prestat_dir_name", raw_fd_prestat_dir_name(DIRFD, BAD, 64));
	show("fd_readdir_buf", raw_fd_readdir(DIRFD, BAD, 100, 0, A(&n)));
	show("fd_readdir_used", raw_fd_readdir(DIRFD, A(buf), 64, 0, BAD));
	show("fd_seek", raw_fd_seek(DIRFD, 0, 0, BAD));
	show("path_open_path", raw_path_open(DIRFD, 1, BAD, 5, 0, 2, 0, 0, A(&n)));
	show("path_open_out", raw_path_open(DIRFD, 1, A("."), 1, 0, 2, 0, 0, BAD));
	show("path_open_long", raw_path_open(DIRFD, 1, A(buf), 5000, 0, 2, 0, 0, A(&n)));
	show("path_open_nul", raw_path_open(DIRFD, 1, A("a\0b"), 3, 0, 2, 0, 0, A(&n)));
	show("path_filestat_get", raw_path_filestat_get(DIRFD, 1, A("."), 1, edge));
	show("path_readlink_buf", raw_path_readlink(DIRFD, A("x"), 1, BAD, 10, A(&n)));
	show("path_symlink", raw_path_symlink(BAD, 3, DIRFD, A("l"), 1));
	show("path_create_directory", raw_path_create_directory(DIRFD, A("d"), -1));
	show("path_rename", raw_path_rename(DIRFD, A("a"), 1, DIRFD, BAD, 1));
	show("poll_oneoff_in", raw_poll_oneoff(BAD, A(big), 1, A(&n)));
	show("poll_oneoff_zero", raw_poll_oneoff(A(big), A(big), 0, A(&n)));
	show("random_get", raw_random_get(edge, 8));
	show("bad_fd", raw_fd_close(9999));
	show("bad_fd_negative", raw_fd_write(-1, A(iov), 1, A(&n)));
	show("renumber_bad", raw_fd_renumber(DIRFD, 777));
	/* Still alive and still able to write. */
	printf("alive\n");
}

static void clocks(void)
{
	uint64_t t1 = 0, t2 = 0, rt = 0, res = 0;

	show("monotonic", raw_clock_time_get(1, 1, A(&t1)));
	show("realtime", raw_clock_time_get(0, 1, A(&rt)));
	show("process", raw_clock_time_get(2, 1, A(&t2)));
	show("res", raw_clock_res_get(1, A(&res)));
	show("bad_clock", raw_clock_time_get(99, 1, A(&t2)));
	raw_clock_time_get(1, 1, A(&t2));
	printf("monotonic_advances=%d\n", t2 >= t1);
	/* After 2020-01-01 and before 2100. */
	printf("realtime_sane=%d\n",
	       rt > 1577836800ull * 1000000000ull && rt < 4102444800ull * 1000000000ull);
	printf("res_sane=%d\n", res > 0 && res <= 1000000);
	show("yield", raw_sched_yield());
}

static void randomness(void)
{
	static uint8_t a[4096], b[4096];
	int same = 0, zero = 0;

	show("random_a", raw_random_get(A(a), sizeof(a)));
	show("random_b", raw_random_get(A(b), sizeof(b)));
	show("random_empty", raw_random_get(A(a), 0));
	same = memcmp(a, b, sizeof(a)) == 0;
	for (size_t i = 0; i < sizeof(a); i++)
		zero += a[i] == 0;
	printf("differ=%d\n", !same);
	/* About 16 zeros expected in 4096 random bytes. */
	printf("not_all_zero=%d\n", zero < 200);
}

static void sockets(void)
{
	static uint32_t n, fl, iov[2];

	show("sock_accept", raw_sock_accept(3, 0, A(&n)));
	show("sock_recv", raw_sock_recv(3, A(iov), 1, 0, A(&n), A(&fl)));
	show("sock_send", raw_sock_send(3, A(iov), 1, 0, A(&n)));
	show("sock_shutdown", raw_sock_shutdown(3, 2));
}

/* subscription: userdata u64, tag u8 @8, clock id u32 @16, timeout u64 @24,
 * precision @32, flags u16 @40. event: userdata @0, error u16 @8, type @10. */
static void poll_test(uint64_t ns)
{
	static uint8_t subs[3 * 48], ev[3 * 32];
	static uint32_t n;
	uint64_t t1, t2;

	memset(subs, 0, sizeof(subs));
	*(uint64_t *)(subs + 0) = 7;
	subs[8] = 0;
	*(uint32_t *)(subs + 16) = 1;
	*(uint64_t *)(subs + 24) = ns;
	raw_clock_time_get(1, 1, A(&t1));
	show("poll", raw_poll_oneoff(A(subs), A(ev), 1, A(&n)));
	raw_clock_time_get(1, 1, A(&t2));
	printf("events=%u userdata=%llu error=%u type=%u\n", n, (unsigned long long)*(uint64_t *)ev,
	       *(uint16_t *)(ev + 8), ev[10]);
	printf("slept_ms=%llu\n", (unsigned long long)((t2 - t1) / 1000000));
	/* An fd subscription is answered at once with ENOTSUP. */
	memset(subs, 0, sizeof(subs));
	*(uint64_t *)(subs + 0) = 1;
	subs[8] = 0;
	*(uint32_t *)(subs + 16) = 1;
	*(uint64_t *)(subs + 24) = 5000000000ull;
	*(uint64_t *)(subs + 48) = 2;
	subs[48 + 8] = 1;
	*(uint32_t *)(subs + 48 + 16) = 0;
	show("poll_fd", raw_poll_oneoff(A(subs), A(ev), 2, A(&n)));
	printf("events=%u userdata=%llu error=%u type=%u\n", n, (unsigned long long)*(uint64_t *)ev,
	       *(uint16_t *)(ev + 8), ev[10]);
}

/* Lists a directory with raw fd_readdir calls into a 40-byte buffer, so
 * almost every call cuts an entry off and the next must resume from the
 * last whole entry's cookie. */
static void readdir_small(const char *path)
{
	static char names[256][64];
	static uint8_t buf[40];
	static uint32_t used;
	int fd = open(path, O_RDONLY | O_DIRECTORY), count = 0, dups = 0, has_b = 0, has_19 = 0;
	uint64_t cookie = 0;

	if (fd < 0) {
		printf("open failed\n");
		return;
	}
	for (int iter = 0; iter < 10000; iter++) {
		i32 e = raw_fd_readdir(fd, A(buf), sizeof(buf), (i64)cookie, A(&used));
		size_t off = 0;
		int progressed = 0;

		if (e) {
			show("readdir", e);
			return;
		}
		while (off + 24 <= used) {
			uint64_t next;
			uint32_t namlen;
			memcpy(&next, buf + off, 8);
			memcpy(&namlen, buf + off + 16, 4);
			if (off + 24 + namlen > used)
				break;
			if (count < 256 && namlen < 64) {
				memcpy(names[count], buf + off + 24, namlen);
				names[count][namlen] = '\0';
				for (int j = 0; j < count; j++)
					dups += strcmp(names[j], names[count]) == 0;
				has_b |= strcmp(names[count], "b.txt") == 0;
				has_19 |= strcmp(names[count], "entry-19") == 0;
				count++;
			}
			cookie = next;
			off += 24 + namlen;
			progressed = 1;
		}
		if (used < sizeof(buf))
			break;
		if (!progressed) {
			printf("stuck\n");
			return;
		}
	}
	printf("names=%d dups=%d\nhas_b=%d has_19=%d\n", count, dups, has_b, has_19);
	close(fd);
}

/* Opens a directory until the fd table (or the host) says no. */
static void fdmax(const char *path)
{
	static int fds[4096];
	int n = 0, closed = 1;

	while (n < 4096) {
		int fd = open(path, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	printf("opened=%d errno=%d\n", n, errno);
	for (int i = 0; i < n; i++)
		closed &= close(fds[i]) == 0;
	printf("closed_all=%d\n", closed);
}

static void spam(long n)
{
	static char line[100];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (long i = 0; i < n; i++)
		fwrite(line, 1, sizeof(line), stdout);
	fflush(stdout);
	printf("done\n");
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "efault"))
		efault();
	else if (!strcmp(m, "clock"))
		clocks();
	else if (!strcmp(m, "random"))
		randomness();
	else if (!strcmp(m, "sock"))
		sockets();
	else if (!strcmp(m, "poll"))
		poll_test(argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000);
	else if (!strcmp(m, "exit")) {
		printf("exiting\n");
		fflush(stdout);
		raw_proc_exit(argc > 2 ? (i32)strtol(argv[2], NULL, 10) : 0);
		printf("not reached\n");
	} else if (!strcmp(m, "raise"))
		show("raise", raw_proc_raise(9));
	else if (!strcmp(m, "readdir"))
		readdir_small(argc > 2 ? argv[2] : ".");
	else if (!strcmp(m, "fdmax"))
		fdmax(argc > 2 ? argv[2] : "/workspace");
	else if (!strcmp(m, "spam"))
		spam(argc > 2 ? strtol(argv[2], NULL, 10) : 1);
	else if (!strcmp(m, "stderr")) {
		fprintf(stderr, "to stderr\n");
		printf("to stdout\n");
	} else {
		printf("unknown mode\n");
		return 2;
	}
	return 0;
}
