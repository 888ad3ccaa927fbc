/*
 * all.c - imports every wasi_snapshot_preview1 function with the types
 * wasi-libc declares in <wasi/api.h> (taking each address forces the
 * import), so instantiating it checks the host's names and signatures
 * against the ABI. Prints how many it holds.
 */
#include <stdio.h>
#include <wasi/api.h>

#define F(name) (void *)__wasi_##name

/* Newer wasi-libc no longer declares proc_raise; its preview1 type is
 * (param i32) (result i32). */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int
__wasi_proc_raise(int sig);

static void *const funcs[] = {
        F(args_get),
        F(args_sizes_get),
        F(environ_get),
        F(environ_sizes_get),
        F(clock_res_get),
        F(clock_time_get),
        F(fd_advise),
        F(fd_allocate),
        F(fd_close),
        F(fd_datasync),
        F(fd_fdstat_get),
        F(fd_fdstat_set_flags),
        F(fd_fdstat_set_rights),
        F(fd_filestat_get),
        F(fd_filestat_set_size),
        F(fd_filestat_set_times),
        F(fd_pread),
        F(fd_prestat_get),
        F(fd_prestat_dir_name),
        F(fd_pwrite),
        F(fd_read),
        F(fd_readdir),
        F(fd_renumber),
        F(fd_seek),
        F(fd_sync),
        F(fd_tell),
        F(fd_write),
        F(path_create_directory),
        F(path_filestat_get),
        F(path_filestat_set_times),
        F(path_link),
        F(path_open),
        F(path_readlink),
        F(path_remove_directory),
        F(path_rename),
        F(path_symlink),
        F(path_unlink_file),
        F(poll_oneoff),
        F(proc_exit),
        F(proc_raise),
        F(sched_yield),
        F(random_get),
        F(sock_accept),
        F(sock_recv),
        F(sock_send),
        F(sock_shutdown),
};

int main(void)
{
	void *volatile const *p = funcs;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		n += p[i] != NULL;
	printf("imports=%zu\n", n);
	return 0;
}
