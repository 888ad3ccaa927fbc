/*
 * wasi_internal.h - shared by wasi.c (lifecycle, stdio, clocks, fds) and
 * wasi_fs.c (everything that resolves a path). Not a public header.
 *
 * The constants are the wasi_snapshot_preview1 ABI (the witx files of the
 * WASI repository, as generated into wasi-libc's <wasi/api.h>): numbers
 * and byte offsets are part of the contract with every compiled tool and
 * must never change.
 */
#ifndef BA_SANDBOX_WASI_INTERNAL_H
#define BA_SANDBOX_WASI_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/wasi.h"

/* errno values (u16). */
enum {
	WASI_ESUCCESS = 0,
	WASI_E2BIG = 1,
	WASI_EACCES = 2,
	WASI_EADDRINUSE = 3,
	WASI_EADDRNOTAVAIL = 4,
	WASI_EAFNOSUPPORT = 5,
	WASI_EAGAIN = 6,
	WASI_EALREADY = 7,
	WASI_EBADF = 8,
	WASI_EBADMSG = 9,
	WASI_EBUSY = 10,
	WASI_ECANCELED = 11,
	WASI_ECHILD = 12,
	WASI_ECONNABORTED = 13,
	WASI_ECONNREFUSED = 14,
	WASI_ECONNRESET = 15,
	WASI_EDEADLK = 16,
	WASI_EDESTADDRREQ = 17,
	WASI_EDOM = 18,
	WASI_EDQUOT = 19,
	WASI_EEXIST = 20,
	WASI_EFAULT = 21,
	WASI_EFBIG = 22,
	WASI_EHOSTUNREACH = 23,
	WASI_EIDRM = 24,
	WASI_EILSEQ = 25,
	WASI_EINPROGRESS = 26,
	WASI_EINTR = 27,
	WASI_EINVAL = 28,
	WASI_EIO = 29,
	WASI_EISCONN = 30,
	WASI_EISDIR = 31,
	WASI_ELOOP = 32,
	WASI_EMFILE = 33,
	WASI_EMLINK = 34,
	WASI_EMSGSIZE = 35,
	WASI_EMULTIHOP = 36,
	WASI_ENAMETOOLONG = 37,
	WASI_ENETDOWN = 38,
	WASI_ENETRESET = 39,
	WASI_ENETUNREACH = 40,
	WASI_ENFILE = 41,
	WASI_ENOBUFS = 42,
	WASI_ENODEV = 43,
	WASI_ENOENT = 44,
	WASI_ENOEXEC = 45,
	WASI_ENOLCK = 46,
	WASI_ENOLINK = 47,
	WASI_ENOMEM = 48,
	WASI_ENOMSG = 49,
	WASI_ENOPROTOOPT = 50,
	WASI_ENOSPC = 51,
	WASI_ENOSYS = 52,
	WASI_ENOTCONN = 53,
	WASI_ENOTDIR = 54,
	WASI_ENOTEMPTY = 55,
	WASI_ENOTRECOVERABLE = 56,
	WASI_ENOTSOCK = 57,
	WASI_ENOTSUP = 58,
	WASI_ENOTTY = 59,
	WASI_ENXIO = 60,
	WASI_EOVERFLOW = 61,
	WASI_EOWNERDEAD = 62,
	WASI_EPERM = 63,
	WASI_EPIPE = 64,
	WASI_EPROTO = 65,
	WASI_EPROTONOSUPPORT = 66,
	WASI_EPROTOTYPE = 67,
	WASI_ERANGE = 68,
	WASI_EROFS = 69,
	WASI_ESPIPE = 70,
	WASI_ESRCH = 71,
	WASI_ESTALE = 72,
	WASI_ETIMEDOUT = 73,
	WASI_ETXTBSY = 74,
	WASI_EXDEV = 75,
	WASI_ENOTCAPABLE = 76,
};

/* rights (u64 bits). */
#define WASI_RIGHT_FD_DATASYNC             (UINT64_C(1) << 0)
#define WASI_RIGHT_FD_READ                 (UINT64_C(1) << 1)
#define WASI_RIGHT_FD_SEEK                 (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS     (UINT64_C(1) << 3)
#define WASI_RIGHT_FD_SYNC                 (UINT64_C(1) << 4)
#define WASI_RIGHT_FD_TELL                 (UINT64_C(1) << 5)
#define WASI_RIGHT_FD_WRITE                (UINT64_C(1) << 6)
#define WASI_RIGHT_FD_ADVISE               (UINT64_C(1) << 7)
#define WASI_RIGHT_FD_ALLOCATE             (UINT64_C(1) << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY   (UINT64_C(1) << 9)
#define WASI_RIGHT_PATH_CREATE_FILE        (UINT64_C(1) << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE        (UINT64_C(1) << 11)
#define WASI_RIGHT_PATH_LINK_TARGET        (UINT64_C(1) << 12)
#define WASI_RIGHT_PATH_OPEN               (UINT64_C(1) << 13)
#define WASI_RIGHT_FD_READDIR              (UINT64_C(1) << 14)
#define WASI_RIGHT_PATH_READLINK           (UINT64_C(1) << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE      (UINT64_C(1) << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET      (UINT64_C(1) << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET       (UINT64_C(1) << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE  (UINT64_C(1) << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (UINT64_C(1) << 20)
#define WASI_RIGHT_FD_FILESTAT_GET         (UINT64_C(1) << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE    (UINT64_C(1) << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES   (UINT64_C(1) << 23)
#define WASI_RIGHT_PATH_SYMLINK            (UINT64_C(1) << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY   (UINT64_C(1) << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE        (UINT64_C(1) << 26)
#define WASI_RIGHT_POLL_FD_READWRITE       (UINT64_C(1) << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN           (UINT64_C(1) << 28)
#define WASI_RIGHT_SOCK_ACCEPT             (UINT64_C(1) << 29)
#define WASI_RIGHTS_ALL                    ((UINT64_C(1) << 30) - 1)

/* What an open regular file may do. */
#define WASI_RIGHTS_FILE                                                            \
	(WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |         \
	 WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL | \
	 WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |      \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |             \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
/* What an open directory may do. */
#define WASI_RIGHTS_DIR                                                                            \
	(WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |              \
	 WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                          \
	 WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |        \
	 WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |        \
	 WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                            \
	 WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                  \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | \
	 WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE |                          \
	 WASI_RIGHT_POLL_FD_READWRITE)
/* Rights whose request at path_open means "I will write this file". The
 * others wasi-libc asks for on every open (set_flags, set_times, ...) are
 * checked where they are used. */
#define WASI_RIGHTS_WRITE_INTENT \
	(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)

/* filetype (u8). */
enum {
	WASI_FILETYPE_UNKNOWN = 0,
	WASI_FILETYPE_BLOCK_DEVICE = 1,
	WASI_FILETYPE_CHARACTER_DEVICE = 2,
	WASI_FILETYPE_DIRECTORY = 3,
	WASI_FILETYPE_REGULAR_FILE = 4,
	WASI_FILETYPE_SOCKET_DGRAM = 5,
	WASI_FILETYPE_SOCKET_STREAM = 6,
	WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

/* fdflags (u16), oflags (u16), lookupflags (u32), fstflags (u16). */
#define WASI_FDFLAG_APPEND   0x1
#define WASI_FDFLAG_DSYNC    0x2
#define WASI_FDFLAG_NONBLOCK 0x4
#define WASI_FDFLAG_RSYNC    0x8
#define WASI_FDFLAG_SYNC     0x10
#define WASI_FDFLAGS_ALL     0x1f

#define WASI_OFLAG_CREAT     0x1
#define WASI_OFLAG_DIRECTORY 0x2
#define WASI_OFLAG_EXCL      0x4
#define WASI_OFLAG_TRUNC     0x8
#define WASI_OFLAGS_ALL      0xf

#define WASI_LOOKUP_SYMLINK_FOLLOW 0x1

#define WASI_FSTFLAG_ATIM     0x1
#define WASI_FSTFLAG_ATIM_NOW 0x2
#define WASI_FSTFLAG_MTIM     0x4
#define WASI_FSTFLAG_MTIM_NOW 0x8

/* Struct sizes (bytes in guest memory). */
#define WASI_FDSTAT_SIZE       24
#define WASI_FILESTAT_SIZE     64
#define WASI_DIRENT_SIZE       24
#define WASI_PRESTAT_SIZE      8
#define WASI_SUBSCRIPTION_SIZE 48
#define WASI_EVENT_SIZE        32
#define WASI_IOVEC_SIZE        8

/* Caps on what one call may ask of the host. */
#define WASI_MAX_IOVS          1024        /* the host's IOV_MAX            */
#define WASI_MAX_IO_BYTES      (64u << 20) /* one read/write; short count   */
#define WASI_MAX_SUBSCRIPTIONS 4096        /* poll_oneoff                   */
#define WASI_MAX_DENY_RECORDS  1000        /* per run; then one note        */

typedef enum wasi_fd_kind {
	WASI_FD_FREE = 0,
	WASI_FD_STDIN,
	WASI_FD_STDOUT,
	WASI_FD_STDERR,
	WASI_FD_ROOT,   /* the virtual empty "/" (fd 3, or an open of it)    */
	WASI_FD_DIR,    /* a host directory beneath a preopen                */
	WASI_FD_FILE,   /* a host regular file beneath a preopen             */
	WASI_FD_SINGLE, /* a single-file preopen (host = its parent, O_PATH) */
} wasi_fd_kind;

typedef struct wasi_fd {
	wasi_fd_kind kind;
	int host;         /* host descriptor, -1 for virtual ones           */
	int grant;        /* index into ba_wasi.grants, -1 for virtual ones */
	bool is_preopen;  /* fd_prestat_get answers for it                  */
	uint8_t filetype; /* WASI_FILETYPE_*                                */
	uint16_t fdflags; /* WASI_FDFLAG_* as last set                      */
	uint64_t rights_base;
	uint64_t rights_inheriting;
	char *guest_path; /* normalised absolute guest path; owned          */
	DIR *dir;         /* fd_readdir stream (own host fd), or NULL       */
	uint64_t dir_pos; /* entries consumed from dir = the next cookie    */
} wasi_fd;

/* One preopen as granted, with copies of its paths. */
typedef struct wasi_grant {
	char *guest_path; /* owned */
	char *host_path;  /* owned */
	bool writable;
	bool single;       /* a single file: host fd is its parent directory */
	char *single_base; /* owned; the file's name in that directory       */
	uint64_t root_dev; /* identity of the granted directory, so the real */
	uint64_t root_ino; /* depth of a directory beneath it can be found  */
} wasi_grant;

struct ba_wasi {
	char *tool_name;
	ba_audit *audit; /* borrowed */
	char **argv;     /* owned copies, NULL-terminated arrays            */
	size_t argc, argv_bytes;
	char **env;
	size_t envc, env_bytes;
	const uint8_t *stdin_data; /* borrowed */
	size_t stdin_len, stdin_pos;
	uint64_t deadline_ns;
	void (*on_stderr)(const char *data, size_t len, void *user);
	void *on_stderr_user;

	wasi_grant grants[BA_WASI_MAX_PREOPENS];
	size_t grant_count;
	wasi_fd *fds; /* BA_WASI_MAX_FDS entries, mmap()ed: only the first
	                 fd_high are initialised and ever touched, so a run
	                 that opens a few files does not fault in 56 KB */
	int fd_high;  /* slots [0, fd_high) are initialised (free or open) */
	int fd_limit; /* guest fds usable: below BA_WASI_MAX_FDS and the
	                 process's RLIMIT_NOFILE minus the host's reserve */

	ba_buf out, err;
	bool output_exceeded;
	bool exited;
	uint32_t exit_code;
	bool have_openat2;
	unsigned denies_recorded;
};

/* --- wasi.c, used by wasi_fs.c ------------------------------------------- */

/* Host errno -> WASI errno. */
uint16_t ba_wasi__errno(int host_errno);
/* The fd entry for a guest fd number, or NULL when not open. */
wasi_fd *ba_wasi__fd(ba_wasi *w, uint32_t fd);
/* Lowest free fd number, or -1 when the table is full. */
int ba_wasi__fd_alloc(ba_wasi *w);
/* Closes what an entry holds and marks it free. */
void ba_wasi__fd_release(wasi_fd *f);
/* A pointer to [addr, addr+len) in the caller's memory, or NULL. */
uint8_t *ba_wasi__span(ba_wasm_caller *caller, uint64_t addr, uint64_t len);
/* Little-endian stores and loads into guest memory bytes. */
void ba_wasi__put16(uint8_t *p, uint16_t v);
void ba_wasi__put32(uint8_t *p, uint32_t v);
void ba_wasi__put64(uint8_t *p, uint64_t v);
uint16_t ba_wasi__get16(const uint8_t *p);
uint32_t ba_wasi__get32(const uint8_t *p);
uint64_t ba_wasi__get64(const uint8_t *p);
/*
 * Records a decision in the audit log (nothing without one). reason is
 * printf-style. Returns 0, or -1 after ba_wasm_caller_trap() when the
 * record could not be written: a decision that cannot be recorded is not
 * made, so the host function must then return BA_WASM_ERR_TRAP.
 */
int ba_wasi__record(ba_wasi *w, ba_wasm_caller *caller, bool allowed, const char *capability,
                    const char *target, const char *reason_fmt, ...)
        __attribute__((format(printf, 6, 7)));
/* Builds utimensat times from WASI timestamps and fstflags; 0 or
 * EINVAL for contradictory flags. */
struct timespec;
uint16_t ba_wasi__times(uint64_t atim, uint64_t mtim, uint32_t fstflags, struct timespec ts[2]);
/* WASI filetype for a host st_mode. */
uint8_t ba_wasi__filetype(unsigned mode);
/* Writes a 64-byte filestat for st. */
struct stat;
void ba_wasi__put_filestat(uint8_t *p, const struct stat *st);

/* --- wasi_fs.c ----------------------------------------------------------- */

/* Each is a ba_wasm_host_fn with user = the ba_wasi. */
#define BA_WASI_FS_FUNCS(X)                     \
	X(fd_readdir, "iiiIi:i")                \
	X(path_create_directory, "iii:i")       \
	X(path_filestat_get, "iiiii:i")         \
	X(path_filestat_set_times, "iiiiIIi:i") \
	X(path_link, "iiiiiii:i")               \
	X(path_open, "iiiiiIIii:i")             \
	X(path_readlink, "iiiiii:i")            \
	X(path_remove_directory, "iii:i")       \
	X(path_rename, "iiiiii:i")              \
	X(path_symlink, "iiiii:i")              \
	X(path_unlink_file, "iii:i")

#define BA_WASI_DECLARE(name, sig)                                                                 \
	ba_wasm_err ba_wasi__##name(ba_wasm_caller *caller, void *user, const ba_wasm_value *args, \
	                            ba_wasm_value *results);
BA_WASI_FS_FUNCS(BA_WASI_DECLARE)
#undef BA_WASI_DECLARE

/* Is openat2 usable on this kernel? Probed once by ba_wasi_new. */
bool ba_wasi__probe_openat2(int dirfd);

#endif
