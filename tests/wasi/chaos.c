/*
 * chaos.c - calls WASI functions with random arguments: file
 * descriptors that may or may not exist, pointers at, near and past the
 * end of memory, absurd lengths, and random paths made of "a", "b",
 * "..", "." and "/". The host must answer every call with an errno (or
 * a result) and never crash; the test then checks that nothing outside
 * the granted directory changed. argv[1] is the seed, argv[2] the count.
 *
 * Left out: proc_exit and proc_raise (they end the run), poll_oneoff
 * (random timeouts would sleep), and fds 1 and 2 (random output would
 * only hit the output cap).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef int32_t i32;
typedef int64_t i64;

IMPORT(args_get) i32 c_args_get(i32, i32);
IMPORT(args_sizes_get) i32 c_args_sizes_get(i32, i32);
IMPORT(environ_get) i32 c_environ_get(i32, i32);
IMPORT(environ_sizes_get) i32 c_environ_sizes_get(i32, i32);
IMPORT(clock_res_get) i32 c_clock_res_get(i32, i32);
IMPORT(clock_time_get) i32 c_clock_time_get(i32, i64, i32);
IMPORT(fd_advise) i32 c_fd_advise(i32, i64, i64, i32);
IMPORT(fd_allocate) i32 c_fd_allocate(i32, i64, i64);
IMPORT(fd_close) i32 c_fd_close(i32);
IMPORT(fd_datasync) i32 c_fd_datasync(i32);
IMPORT(fd_fdstat_get) i32 c_fd_fdstat_get(i32, i32);
IMPORT(fd_fdstat_set_flags) i32 c_fd_fdstat_set_flags(i32, i32);
IMPORT(fd_fdstat_set_rights) i32 c_fd_fdstat_set_rights(i32, i64, i64);
IMPORT(fd_filestat_get) i32 c_fd_filestat_get(i32, i32);
IMPORT(fd_filestat_set_size) i32 c_fd_filestat_set_size(i32, i64);
IMPORT(fd_filestat_set_times) i32 c_fd_filestat_set_times(i32, i64, i64, i32);
IMPORT(fd_pread) i32 c_fd_pread(i32, i32, i32, i64, i32);
IMPORT(fd_prestat_get) i32 c_fd_prestat_get(i32, i32);
IMPORT(fd_prestat_dir_name) i32 c_fd_prestat_dir_name(i32, i32, i32);
IMPORT(fd_pwrite) i32 c_fd_pwrite(i32, i32, i32, i64, i32);
IMPORT(fd_read) i32 c_fd_read(i32, i32, i32, i32);
IMPORT(fd_readdir) i32 c_fd_readdir(i32, i32, i32, i64, i32);
IMPORT(fd_renumber) i32 c_fd_renumber(i32, i32);
IMPORT(fd_seek) i32 c_fd_seek(i32, i64, i32, i32);
IMPORT(fd_sync) i32 c_fd_sync(i32);
IMPORT(fd_tell) i32 c_fd_tell(i32, i32);
IMPORT(fd_write) i32 c_fd_write(i32, i32, i32, i32);
IMPORT(path_create_directory) i32 c_path_create_directory(i32, i32, i32);
IMPORT(path_filestat_get) i32 c_path_filestat_get(i32, i32, i32, i32, i32);
IMPORT(path_filestat_set_times) i32 c_path_filestat_set_times(i32, i32, i32, i32, i64, i64, i32);
IMPORT(path_link) i32 c_path_link(i32, i32, i32, i32, i32, i32, i32);
IMPORT(path_open) i32 c_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
IMPORT(path_readlink) i32 c_path_readlink(i32, i32, i32, i32, i32, i32);
IMPORT(path_remove_directory) i32 c_path_remove_directory(i32, i32, i32);
IMPORT(path_rename) i32 c_path_rename(i32, i32, i32, i32, i32, i32);
IMPORT(path_symlink) i32 c_path_symlink(i32, i32, i32, i32, i32);
IMPORT(path_unlink_file) i32 c_path_unlink_file(i32, i32, i32);
IMPORT(random_get) i32 c_random_get(i32, i32);
IMPORT(sched_yield) i32 c_sched_yield(void);
IMPORT(sock_accept) i32 c_sock_accept(i32, i32, i32);
IMPORT(sock_recv) i32 c_sock_recv(i32, i32, i32, i32, i32, i32);
IMPORT(sock_send) i32 c_sock_send(i32, i32, i32, i32, i32);
IMPORT(sock_shutdown) i32 c_sock_shutdown(i32, i32);

static uint64_t state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1Dull;
}

static uint8_t scratch[1 << 20];
static char paths[2][128];

static i32 fd(void)
{
	static const i32 pick[] = {0, 3, 4, 4, 4, 5, 6, 7, 8, 9, 1023, 1024, -1};
	if (rnd() % 16 == 0)
		return (i32)rnd();
	return pick[rnd() % (sizeof(pick) / sizeof(pick[0]))];
}

/* Host writes land in scratch (1 MiB, pointers into its first 64 KiB,
 * lengths below 64 KiB), in the unused top of memory, or nowhere: the
 * guest's own data must survive, or it would trap on its own. */
static i32 ptr(void)
{
	i32 end = (i32)(__builtin_wasm_memory_size(0) * 65536u);
	switch (rnd() % 8) {
	case 0:
		return end - (i32)(rnd() % 64);
	case 1:
		return (i32)(rnd() | 0x80000000u);
	default:
		return (i32)(uintptr_t)(scratch + rnd() % 65536);
	}
}

static i32 len(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return (i32)rnd();
	case 2:
		return 4096 + (i32)(rnd() % 2000);
	default:
		return (i32)(rnd() % 64);
	}
}

static i64 big(void)
{
	return rnd() % 4 == 0 ? (i64)rnd() : (i64)(rnd() % 100000);
}

/* A random path in paths[k]; sets *p and *n (usually consistent). */
static void path(int k, i32 *p, i32 *n)
{
	static const char *const parts[] = {"a", "b", "..", ".", "/", "c", "a/b", ""};
	size_t l = 0, count = rnd() % 6;

	for (size_t i = 0; i < count; i++) {
		const char *s = parts[rnd() % (sizeof(parts) / sizeof(parts[0]))];
		size_t sl = strlen(s);
		if (l + sl + 2 >= sizeof(paths[k]))
			break;
		if (l && rnd() % 2)
			paths[k][l++] = '/';
		memcpy(paths[k] + l, s, sl);
		l += sl;
	}
	paths[k][l] = '\0';
	*p = (i32)(uintptr_t)paths[k];
	*n = (i32)l;
	if (rnd() % 10 == 0)
		*p = ptr();
	if (rnd() % 10 == 0)
		*n = len();
}

/* Random iovecs in scratch, sometimes pointing anywhere. */
static i32 iovs(i32 *count)
{
	static uint32_t v[16];
	uint32_t n = (uint32_t)(rnd() % 5);
	for (uint32_t i = 0; i < n; i++) {
		v[2 * i] = (uint32_t)ptr();
		v[2 * i + 1] = rnd() % 8 ? (uint32_t)(rnd() % 512) : (uint32_t)len();
	}
	*count = rnd() % 16 ? (i32)n : len();
	return rnd() % 10 ? (i32)(uintptr_t)v : ptr();
}

int main(int argc, char **argv)
{
	long count = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
	unsigned long calls = 0, errors = 0;

	state = argc > 1 ? strtoull(argv[1], NULL, 10) * 2654435761u + 1 : 1;
	for (long it = 0; it < count; it++) {
		i32 p1, n1, p2, n2, c, e = 0;
		path(0, &p1, &n1);
		path(1, &p2, &n2);
		switch (rnd() % 42) {
		case 0:
			e = c_args_get(ptr(), ptr());
			break;
		case 1:
			e = c_args_sizes_get(ptr(), ptr());
			break;
		case 2:
			e = c_environ_get(ptr(), ptr());
			break;
		case 3:
			e = c_environ_sizes_get(ptr(), ptr());
			break;
		case 4:
			e = c_clock_res_get((i32)(rnd() % 6), ptr());
			break;
		case 5:
			e = c_clock_time_get((i32)(rnd() % 6), big(), ptr());
			break;
		case 6:
			e = c_fd_advise(fd(), big(), big(), (i32)(rnd() % 8));
			break;
		case 7:
			e = c_fd_allocate(fd(), big(), rnd() % 4 ? (i64)(rnd() % 4096) : big());
			break;
		case 8:
			e = rnd() % 8 ? 0 : c_fd_close(fd());
			break;
		case 9:
			e = c_fd_datasync(fd());
			break;
		case 10:
			e = c_fd_fdstat_get(fd(), ptr());
			break;
		case 11:
			e = c_fd_fdstat_set_flags(fd(), (i32)(rnd() % 64));
			break;
		case 12:
			e = c_fd_fdstat_set_rights(fd(), (i64)rnd(), (i64)rnd());
			break;
		case 13:
			e = c_fd_filestat_get(fd(), ptr());
			break;
		case 14:
			e = c_fd_filestat_set_size(fd(), rnd() % 4 ? (i64)(rnd() % 4096) : big());
			break;
		case 15:
			e = c_fd_filestat_set_times(fd(), big(), big(), (i32)(rnd() % 32));
			break;
		case 16: {
			i32 v = iovs(&c);
			e = c_fd_pread(fd(), v, c, big(), ptr());
			break;
		}
		case 17:
			e = c_fd_prestat_get(fd(), ptr());
			break;
		case 18:
			e = c_fd_prestat_dir_name(fd(), ptr(), len());
			break;
		case 19: {
			i32 v = iovs(&c);
			e = c_fd_pwrite(fd(), v, c, rnd() % 4 ? (i64)(rnd() % 4096) : big(), ptr());
			break;
		}
		case 20: {
			i32 v = iovs(&c);
			e = c_fd_read(fd(), v, c, ptr());
			break;
		}
		case 21:
			e = c_fd_readdir(fd(), ptr(), len(),
			                 rnd() % 4 ? (i64)(rnd() % 8) : (i64)rnd(), ptr());
			break;
		case 22:
			e = rnd() % 8 ? 0 : c_fd_renumber(fd(), fd());
			break;
		case 23:
			e = c_fd_seek(fd(), big(), (i32)(rnd() % 4), ptr());
			break;
		case 24:
			e = c_fd_sync(fd());
			break;
		case 25:
			e = c_fd_tell(fd(), ptr());
			break;
		case 26: {
			i32 v = iovs(&c), f = fd();
			e = (f == 1 || f == 2) ? 0 : c_fd_write(f, v, c, ptr());
			break;
		}
		case 27:
			e = c_path_create_directory(fd(), p1, n1);
			break;
		case 28:
			e = c_path_filestat_get(fd(), (i32)(rnd() % 3), p1, n1, ptr());
			break;
		case 29:
			e = c_path_filestat_set_times(fd(), (i32)(rnd() % 3), p1, n1, big(), big(),
			                              (i32)(rnd() % 32));
			break;
		case 30:
			e = c_path_link(fd(), (i32)(rnd() % 3), p1, n1, fd(), p2, n2);
			break;
		case 31: {
			i32 out = ptr();
			e = c_path_open(fd(), (i32)(rnd() % 3), p1, n1, (i32)(rnd() % 32),
			                (i64)rnd(), (i64)rnd(), (i32)(rnd() % 64), out);
			break;
		}
		case 32:
			e = c_path_readlink(fd(), p1, n1, ptr(), len(), ptr());
			break;
		case 33:
			e = c_path_remove_directory(fd(), p1, n1);
			break;
		case 34:
			e = c_path_rename(fd(), p1, n1, fd(), p2, n2);
			break;
		case 35:
			e = c_path_symlink(p1, n1, fd(), p2, n2);
			break;
		case 36:
			e = c_path_unlink_file(fd(), p1, n1);
			break;
		case 37:
			e = c_random_get(ptr(), len());
			break;
		case 38:
			e = c_sched_yield();
			break;
		case 39:
			e = c_sock_accept(fd(), 0, ptr());
			break;
		case 40:
			e = c_sock_recv(fd(), ptr(), len(), 0, ptr(), ptr());
			break;
		default:
			e = rnd() % 2 ? c_sock_send(fd(), ptr(), len(), 0, ptr())
			              : c_sock_shutdown(fd(), 2);
			break;
		}
		calls++;
		errors += e != 0;
		if (e < 0 || e > 76) {
			printf("bad errno %d\n", (int)e);
			return 1;
		}
	}
	printf("calls=%lu errors=%lu\n", calls, errors);
	return 0;
}
