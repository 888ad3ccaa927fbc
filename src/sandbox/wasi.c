/*
 * wasi.c - the WASI preview1 host: lifecycle, the fd table, stdio,
 * args/environ, clocks, random, poll_oneoff, proc_*, sockets and the
 * fd_* calls that need no path. Everything that resolves a path is in
 * wasi_fs.c.
 *
 * Every host function here follows one pattern: validate each guest
 * pointer and length with ba_wasm_memory_span() before any side effect
 * (EFAULT when it does not fit), cap every guest-chosen count, do the
 * work, and write results only at the end. A host function returns a
 * host trap only for the three things that must stop the guest:
 * proc_exit, an output cap, and an audit record that cannot be written.
 */
#include "sandbox/wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OUTPUT_CAP (1u << 20)
/* argv and environ are copied into guest memory whole; keep them small
 * enough that no guest ever needs more than a few pages for them. */
#define MAX_ARGS_BYTES (4u << 20)
#define MAX_ARGS_COUNT 65536

#define ARG32(n) (args[n].of.i32)
#define ARG64(n) (args[n].of.i64)

static ba_wasm_err ret(ba_wasm_value *results, uint16_t wasi_errno)
{
	results[0] = ba_wasm_i32(wasi_errno);
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

uint16_t ba_wasi__errno(int e)
{
	switch (e) {
	case 0:
		return WASI_ESUCCESS;
	case E2BIG:
		return WASI_E2BIG;
	case EACCES:
		return WASI_EACCES;
	case EADDRINUSE:
		return WASI_EADDRINUSE;
	case EADDRNOTAVAIL:
		return WASI_EADDRNOTAVAIL;
	case EAFNOSUPPORT:
		return WASI_EAFNOSUPPORT;
	case EAGAIN:
		return WASI_EAGAIN;
	case EALREADY:
		return WASI_EALREADY;
	case EBADF:
		return WASI_EBADF;
	case EBADMSG:
		return WASI_EBADMSG;
	case EBUSY:
		return WASI_EBUSY;
	case ECANCELED:
		return WASI_ECANCELED;
	case ECHILD:
		return WASI_ECHILD;
	case ECONNABORTED:
		return WASI_ECONNABORTED;
	case ECONNREFUSED:
		return WASI_ECONNREFUSED;
	case ECONNRESET:
		return WASI_ECONNRESET;
	case EDEADLK:
		return WASI_EDEADLK;
	case EDESTADDRREQ:
		return WASI_EDESTADDRREQ;
	case EDOM:
		return WASI_EDOM;
	case EDQUOT:
		return WASI_EDQUOT;
	case EEXIST:
		return WASI_EEXIST;
	case EFAULT:
		return WASI_EFAULT;
	case EFBIG:
		return WASI_EFBIG;
	case EHOSTUNREACH:
		return WASI_EHOSTUNREACH;
	case EIDRM:
		return WASI_EIDRM;
	case EILSEQ:
		return WASI_EILSEQ;
	case EINPROGRESS:
		return WASI_EINPROGRESS;
	case EINTR:
		return WASI_EINTR;
	case EINVAL:
		return WASI_EINVAL;
	case EIO:
		return WASI_EIO;
	case EISCONN:
		return WASI_EISCONN;
	case EISDIR:
		return WASI_EISDIR;
	case ELOOP:
		return WASI_ELOOP;
	case EMFILE:
		return WASI_EMFILE;
	case EMLINK:
		return WASI_EMLINK;
	case EMSGSIZE:
		return WASI_EMSGSIZE;
	case EMULTIHOP:
		return WASI_EMULTIHOP;
	case ENAMETOOLONG:
		return WASI_ENAMETOOLONG;
	case ENETDOWN:
		return WASI_ENETDOWN;
	case ENETRESET:
		return WASI_ENETRESET;
	case ENETUNREACH:
		return WASI_ENETUNREACH;
	case ENFILE:
		return WASI_ENFILE;
	case ENOBUFS:
		return WASI_ENOBUFS;
	case ENODEV:
		return WASI_ENODEV;
	case ENOENT:
		return WASI_ENOENT;
	case ENOEXEC:
		return WASI_ENOEXEC;
	case ENOLCK:
		return WASI_ENOLCK;
	case ENOLINK:
		return WASI_ENOLINK;
	case ENOMEM:
		return WASI_ENOMEM;
	case ENOMSG:
		return WASI_ENOMSG;
	case ENOPROTOOPT:
		return WASI_ENOPROTOOPT;
	case ENOSPC:
		return WASI_ENOSPC;
	case ENOSYS:
		return WASI_ENOSYS;
	case ENOTCONN:
		return WASI_ENOTCONN;
	case ENOTDIR:
		return WASI_ENOTDIR;
	case ENOTEMPTY:
		return WASI_ENOTEMPTY;
	case ENOTRECOVERABLE:
		return WASI_ENOTRECOVERABLE;
	case ENOTSOCK:
		return WASI_ENOTSOCK;
	case ENOTSUP:
		return WASI_ENOTSUP;
	case ENOTTY:
		return WASI_ENOTTY;
	case ENXIO:
		return WASI_ENXIO;
	case EOVERFLOW:
		return WASI_EOVERFLOW;
	case EOWNERDEAD:
		return WASI_EOWNERDEAD;
	case EPERM:
		return WASI_EPERM;
	case EPIPE:
		return WASI_EPIPE;
	case EPROTO:
		return WASI_EPROTO;
	case EPROTONOSUPPORT:
		return WASI_EPROTONOSUPPORT;
	case EPROTOTYPE:
		return WASI_EPROTOTYPE;
	case ERANGE:
		return WASI_ERANGE;
	case EROFS:
		return WASI_EROFS;
	case ESPIPE:
		return WASI_ESPIPE;
	case ESRCH:
		return WASI_ESRCH;
	case ESTALE:
		return WASI_ESTALE;
	case ETIMEDOUT:
		return WASI_ETIMEDOUT;
	case ETXTBSY:
		return WASI_ETXTBSY;
	case EXDEV:
		return WASI_EXDEV;
	default:
		/* Anything without a WASI name is an I/O error to the guest;
		 * never success. */
		return WASI_EIO;
	}
}

/*
 * Guest fds are host fds. A guest that opens files until EMFILE would
 * leave the host unable to open its audit log, a socket or libcurl - so
 * the guest gets the process's descriptor limit minus a reserve for the
 * host (and never more than BA_WASI_MAX_FDS), and hits EMFILE itself.
 */
#define HOST_FD_RESERVE 128

static int guest_fd_limit(void)
{
	struct rlimit rl;
	rlim_t limit = BA_WASI_MAX_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t usable = rl.rlim_cur > 2 * HOST_FD_RESERVE ? rl.rlim_cur - HOST_FD_RESERVE
		                                                  : rl.rlim_cur / 2;
		if (usable < limit)
			limit = usable;
	}
	return limit < 8 ? 8 : (int)limit;
}

wasi_fd *ba_wasi__fd(ba_wasi *w, uint32_t fd)
{
	if (fd >= (uint32_t)w->fd_high || w->fds[fd].kind == WASI_FD_FREE)
		return NULL;
	return &w->fds[fd];
}

/* Marks slot i free and initialised (fd_high grows past it). */
static void fd_init_slot(ba_wasi *w, int i)
{
	memset(&w->fds[i], 0, sizeof(w->fds[i]));
	w->fds[i].host = -1;
	w->fds[i].grant = -1;
	if (i >= w->fd_high)
		w->fd_high = i + 1;
}

int ba_wasi__fd_alloc(ba_wasi *w)
{
	for (int i = 0; i < w->fd_high; i++)
		if (w->fds[i].kind == WASI_FD_FREE)
			return i;
	if (w->fd_high < w->fd_limit) {
		int i = w->fd_high;
		fd_init_slot(w, i);
		return i;
	}
	return -1;
}

void ba_wasi__fd_release(wasi_fd *f)
{
	if (f->dir)
		closedir(f->dir);
	if (f->host >= 0)
		close(f->host);
	free(f->guest_path);
	memset(f, 0, sizeof(*f));
	f->host = -1;
	f->grant = -1;
	f->kind = WASI_FD_FREE;
}

uint8_t *ba_wasi__span(ba_wasm_caller *caller, uint64_t addr, uint64_t len)
{
	ba_wasm_memory *mem = ba_wasm_caller_memory(caller);
	return mem ? ba_wasm_memory_span(mem, addr, len) : NULL;
}

void ba_wasi__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void ba_wasi__put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void ba_wasi__put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t ba_wasi__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t ba_wasi__get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

uint64_t ba_wasi__get64(const uint8_t *p)
{
	return (uint64_t)ba_wasi__get32(p) | ((uint64_t)ba_wasi__get32(p + 4) << 32);
}

int ba_wasi__record(ba_wasi *w, ba_wasm_caller *caller, bool allowed, const char *capability,
                    const char *target, const char *reason_fmt, ...)
{
	char reason[1024];
	va_list ap;
	ba_audit_event ev;

	if (!w->audit)
		return 0;
	/* A guest looping on a denied call must not be able to fill the
	 * disk through the audit log. The denial itself still happens; only
	 * recording stops, and the log says so once. */
	if (!allowed && w->denies_recorded > WASI_MAX_DENY_RECORDS)
		return 0;
	va_start(ap, reason_fmt);
	vsnprintf(reason, sizeof(reason), reason_fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.tool = w->tool_name;
	ev.allowed = allowed;
	ev.capability = capability;
	ev.target = target;
	ev.address = NULL;
	ev.bytes = -1;
	ev.reason = reason;
	if (!allowed)
		w->denies_recorded++;
	if (!allowed && w->denies_recorded > WASI_MAX_DENY_RECORDS) {
		ev.capability = "limit";
		ev.target = "audit";
		snprintf(reason, sizeof(reason),
		         "more than %u denials in this run; further ones are refused but not "
		         "recorded",
		         (unsigned)WASI_MAX_DENY_RECORDS);
	}
	if (ba_audit_record(w->audit, &ev) != 0) {
		ba_wasm_caller_trap(caller, "audit log write failed: %s", ba_audit_error(w->audit));
		return -1;
	}
	return 0;
}

uint8_t ba_wasi__filetype(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return WASI_FILETYPE_REGULAR_FILE;
	case S_IFDIR:
		return WASI_FILETYPE_DIRECTORY;
	case S_IFLNK:
		return WASI_FILETYPE_SYMBOLIC_LINK;
	case S_IFCHR:
		return WASI_FILETYPE_CHARACTER_DEVICE;
	case S_IFBLK:
		return WASI_FILETYPE_BLOCK_DEVICE;
	case S_IFSOCK:
		return WASI_FILETYPE_SOCKET_STREAM;
	default:
		return WASI_FILETYPE_UNKNOWN;
	}
}

static uint64_t ts_ns(struct timespec ts)
{
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ba_wasi__put_filestat(uint8_t *p, const struct stat *st)
{
	memset(p, 0, WASI_FILESTAT_SIZE);
	ba_wasi__put64(p + 0, (uint64_t)st->st_dev);
	ba_wasi__put64(p + 8, (uint64_t)st->st_ino);
	p[16] = ba_wasi__filetype(st->st_mode);
	ba_wasi__put64(p + 24, (uint64_t)st->st_nlink);
	ba_wasi__put64(p + 32, (uint64_t)st->st_size);
	ba_wasi__put64(p + 40, ts_ns(st->st_atim));
	ba_wasi__put64(p + 48, ts_ns(st->st_mtim));
	ba_wasi__put64(p + 56, ts_ns(st->st_ctim));
}

/* The guest's own fds as the grant it came from sees them, for deny
 * reasons: "/workspace is granted read-only". */
static const char *grant_path(const ba_wasi *w, const wasi_fd *f)
{
	return f->grant >= 0 ? w->grants[f->grant].guest_path : "/";
}

/*
 * May f be written through (the operation needing right)? Returns 0, a
 * WASI errno to return, or -1 when the guest must trap (audit failure).
 * Writes through anything from a read-only grant or the virtual root are
 * denials and are recorded; a missing right on a writable grant is the
 * guest's own business (EBADF, as POSIX says for a file not open for
 * writing).
 */
static int check_fd_write(ba_wasi *w, ba_wasm_caller *caller, wasi_fd *f, uint64_t right,
                          const char *what)
{
	const char *target = f->guest_path ? f->guest_path : "/";

	if (f->kind == WASI_FD_ROOT) {
		if (ba_wasi__record(w, caller, false, "fs.write", target,
		                    "%s: %s is outside every granted path", what, target) != 0)
			return -1;
		return WASI_ENOTCAPABLE;
	}
	if (f->grant >= 0 && !w->grants[f->grant].writable) {
		if (ba_wasi__record(w, caller, false, "fs.write", target,
		                    "%s: %s is granted read-only", what, grant_path(w, f)) != 0)
			return -1;
		return WASI_ENOTCAPABLE;
	}
	if (!(f->rights_base & right))
		return right == WASI_RIGHT_FD_WRITE ? WASI_EBADF : WASI_ENOTCAPABLE;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                */
/* ------------------------------------------------------------------------ */

static void set_err(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Copies n strings into a NULL-terminated owned array. */
static char **copy_strings(const char *const *src, size_t n, size_t *bytes)
{
	char **dst = calloc(n + 1, sizeof(char *));

	*bytes = 0;
	if (!dst)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = src[i] ? src[i] : "";
		size_t len = strlen(s);
		dst[i] = malloc(len + 1);
		if (!dst[i]) {
			for (size_t j = 0; j < i; j++)
				free(dst[j]);
			free(dst);
			return NULL;
		}
		memcpy(dst[i], s, len + 1);
		*bytes += len + 1;
	}
	return dst;
}

static void free_strings(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

/* A guest path for a preopen must be absolute and already normalised:
 * wasi-libc matches prefixes textually, and audit records must name one
 * spelling. */
static bool guest_path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || p[0] != '/' || n > BA_WASI_PATH_MAX)
		return false;
	if (n == 1)
		return true;
	if (p[n - 1] == '/')
		return false;
	for (const char *c = p; *c;) {
		const char *s = c + 1, *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		c = s + len;
	}
	return true;
}

static int open_grant(ba_wasi *w, size_t i, const ba_wasi_preopen *p, char *err, size_t err_len)
{
	wasi_grant *g = &w->grants[i];
	wasi_fd *f = &w->fds[4 + i];
	struct stat st;
	int fd;

	if (!p->guest_path || !p->host_path || !guest_path_ok(p->guest_path)) {
		set_err(err, err_len,
		        "preopen %zu: guest path \"%s\" is not a normalised absolute path", i,
		        p->guest_path ? p->guest_path : "(null)");
		return -1;
	}
	g->guest_path = dup_str(p->guest_path);
	g->host_path = dup_str(p->host_path);
	g->writable = p->writable;
	if (!g->guest_path || !g->host_path) {
		set_err(err, err_len, "out of memory");
		return -1;
	}
	if (stat(p->host_path, &st) != 0) {
		set_err(err, err_len, "cannot open %s for %s: %s", p->host_path, p->guest_path,
		        strerror(errno));
		return -1;
	}
	f->grant = (int)i;
	f->is_preopen = true;
	f->guest_path = dup_str(p->guest_path);
	if (!f->guest_path) {
		set_err(err, err_len, "out of memory");
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			set_err(err, err_len, "cannot open %s for %s: %s", p->host_path,
			        p->guest_path, strerror(errno));
			return -1;
		}
		g->root_dev = (uint64_t)st.st_dev;
		g->root_ino = (uint64_t)st.st_ino;
		f->kind = WASI_FD_DIR;
		f->host = fd;
		f->filetype = WASI_FILETYPE_DIRECTORY;
		f->rights_base = WASI_RIGHTS_DIR;
		/* Advertise every right as inheritable, also for read-only
		 * grants: wasi-libc then asks for exactly what the program's
		 * open flags mean, and a write to a read-only grant is refused
		 * and recorded here instead of failing silently later. */
		f->rights_inheriting = WASI_RIGHTS_ALL;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		/* A single file: hold its (resolved) parent directory and its
		 * name, so every open goes through openat2 like any other. */
		char *real = realpath(p->host_path, NULL), *slash;
		if (!real) {
			set_err(err, err_len, "cannot open %s for %s: %s", p->host_path,
			        p->guest_path, strerror(errno));
			return -1;
		}
		slash = strrchr(real, '/');
		g->single = true;
		g->single_base = dup_str(slash + 1);
		if (slash == real)
			slash[1] = '\0';
		else
			slash[0] = '\0';
		fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
		free(real);
		if (!g->single_base || fd < 0) {
			set_err(err, err_len, "cannot open the directory of %s for %s: %s",
			        p->host_path, p->guest_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		f->kind = WASI_FD_SINGLE;
		f->host = fd;
		f->filetype = WASI_FILETYPE_REGULAR_FILE;
		f->rights_base = WASI_RIGHT_PATH_OPEN | WASI_RIGHT_PATH_FILESTAT_GET |
		                 WASI_RIGHT_FD_FILESTAT_GET;
		f->rights_inheriting = WASI_RIGHTS_ALL;
		return 0;
	}
	set_err(err, err_len, "cannot grant %s as %s: neither a directory nor a regular file",
	        p->host_path, p->guest_path);
	return -1;
}

ba_wasi *ba_wasi_new(const ba_wasi_config *config, char *err, size_t err_len)
{
	ba_wasi *w;
	size_t n_pre;

	if (!config) {
		set_err(err, err_len, "no WASI configuration");
		return NULL;
	}
	n_pre = config->preopens ? config->preopen_count : 0;
	if (n_pre > BA_WASI_MAX_PREOPENS) {
		set_err(err, err_len, "%zu preopens, at most %d are allowed", n_pre,
		        BA_WASI_MAX_PREOPENS);
		return NULL;
	}
	if ((config->argc && !config->argv) || (config->environ_count && !config->environ) ||
	    config->argc > MAX_ARGS_COUNT || config->environ_count > MAX_ARGS_COUNT) {
		set_err(err, err_len, "bad argument or environment list");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	w->fds = mmap(NULL, BA_WASI_MAX_FDS * sizeof(wasi_fd), PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->fds == MAP_FAILED)
		w->fds = NULL;
	w->fd_limit = guest_fd_limit();
	ba_buf_init(&w->out, config->max_stdout ? config->max_stdout : DEFAULT_OUTPUT_CAP);
	ba_buf_init(&w->err, config->max_stderr ? config->max_stderr : DEFAULT_OUTPUT_CAP);
	w->tool_name = dup_str(config->tool_name ? config->tool_name : "");
	w->argv = copy_strings(config->argv, config->argc, &w->argv_bytes);
	w->argc = config->argc;
	w->env = copy_strings(config->environ, config->environ_count, &w->env_bytes);
	w->envc = config->environ_count;
	if (!w->fds || !w->tool_name || !w->argv || !w->env) {
		set_err(err, err_len, "out of memory");
		ba_wasi_free(w);
		return NULL;
	}
	/* stdio, the virtual root and the preopens. */
	for (int i = 0; i < 4 + (int)n_pre; i++)
		fd_init_slot(w, i);
	if (w->argv_bytes > MAX_ARGS_BYTES || w->env_bytes > MAX_ARGS_BYTES) {
		set_err(err, err_len, "arguments or environment larger than %u bytes",
		        MAX_ARGS_BYTES);
		ba_wasi_free(w);
		return NULL;
	}
	w->audit = config->audit;
	w->stdin_data = config->stdin_data;
	w->stdin_len = config->stdin_data ? config->stdin_len : 0;
	w->deadline_ns = config->deadline_ns;
	w->on_stderr = config->on_stderr;
	w->on_stderr_user = config->on_stderr_user;

	w->fds[0] = (wasi_fd){.kind = WASI_FD_STDIN,
	                      .host = -1,
	                      .grant = -1,
	                      .filetype = WASI_FILETYPE_UNKNOWN,
	                      .rights_base = WASI_RIGHT_FD_READ | WASI_RIGHT_POLL_FD_READWRITE};
	w->fds[1] = (wasi_fd){.kind = WASI_FD_STDOUT,
	                      .host = -1,
	                      .grant = -1,
	                      .filetype = WASI_FILETYPE_UNKNOWN,
	                      .rights_base = WASI_RIGHT_FD_WRITE | WASI_RIGHT_POLL_FD_READWRITE};
	w->fds[2] = w->fds[1];
	w->fds[2].kind = WASI_FD_STDERR;
	w->fds[3] = (wasi_fd){.kind = WASI_FD_ROOT,
	                      .host = -1,
	                      .grant = -1,
	                      .is_preopen = true,
	                      .filetype = WASI_FILETYPE_DIRECTORY,
	                      .rights_base = WASI_RIGHTS_DIR,
	                      .rights_inheriting = WASI_RIGHTS_ALL,
	                      .guest_path = dup_str("/")};
	if (!w->fds[3].guest_path) {
		set_err(err, err_len, "out of memory");
		ba_wasi_free(w);
		return NULL;
	}
	for (size_t i = 0; i < n_pre; i++) {
		w->grant_count = i + 1;
		if (open_grant(w, i, &config->preopens[i], err, err_len) != 0) {
			ba_wasi_free(w);
			return NULL;
		}
	}
	w->have_openat2 = ba_wasi__probe_openat2(AT_FDCWD);
	return w;
}

void ba_wasi_free(ba_wasi *w)
{
	if (!w)
		return;
	if (w->fds) {
		for (int i = 0; i < w->fd_high; i++)
			if (w->fds[i].kind != WASI_FD_FREE || w->fds[i].host >= 0 ||
			    w->fds[i].guest_path)
				ba_wasi__fd_release(&w->fds[i]);
		munmap(w->fds, BA_WASI_MAX_FDS * sizeof(wasi_fd));
	}
	for (size_t i = 0; i < w->grant_count; i++) {
		free(w->grants[i].guest_path);
		free(w->grants[i].host_path);
		free(w->grants[i].single_base);
	}
	free_strings(w->argv);
	free_strings(w->env);
	free(w->tool_name);
	ba_buf_release(&w->out);
	ba_buf_release(&w->err);
	free(w);
}

bool ba_wasi_exited(const ba_wasi *w, uint32_t *code)
{
	if (!w || !w->exited)
		return false;
	if (code)
		*code = w->exit_code;
	return true;
}

bool ba_wasi_output_exceeded(const ba_wasi *w)
{
	return w && w->output_exceeded;
}

const ba_buf *ba_wasi_stdout(const ba_wasi *w)
{
	return &w->out;
}

const ba_buf *ba_wasi_stderr(const ba_wasi *w)
{
	return &w->err;
}

/* ------------------------------------------------------------------------ */
/* args, environ                                                            */
/* ------------------------------------------------------------------------ */

static ba_wasm_err sizes_get(ba_wasm_caller *caller, size_t count, size_t bytes,
                             const ba_wasm_value *args, ba_wasm_value *results)
{
	uint8_t *pc = ba_wasi__span(caller, ARG32(0), 4);
	uint8_t *pb = ba_wasi__span(caller, ARG32(1), 4);

	if (!pc || !pb)
		return ret(results, WASI_EFAULT);
	ba_wasi__put32(pc, (uint32_t)count);
	ba_wasi__put32(pb, (uint32_t)bytes);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err strings_get(ba_wasm_caller *caller, char **v, size_t count, size_t bytes,
                               const ba_wasm_value *args, ba_wasm_value *results)
{
	uint32_t ptrs = ARG32(0), buf = ARG32(1);
	uint8_t *pp = ba_wasi__span(caller, ptrs, (uint64_t)count * 4);
	uint8_t *pb = ba_wasi__span(caller, buf, bytes);
	size_t off = 0;

	if (!pp || !pb)
		return ret(results, WASI_EFAULT);
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(v[i]) + 1;
		ba_wasi__put32(pp + 4 * i, buf + (uint32_t)off);
		memcpy(pb + off, v[i], len);
		off += len;
	}
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_args_sizes_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                    ba_wasm_value *results)
{
	ba_wasi *w = user;
	return sizes_get(caller, w->argc, w->argv_bytes, args, results);
}

static ba_wasm_err w_args_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	ba_wasi *w = user;
	return strings_get(caller, w->argv, w->argc, w->argv_bytes, args, results);
}

static ba_wasm_err w_environ_sizes_get(ba_wasm_caller *caller, void *user,
                                       const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	return sizes_get(caller, w->envc, w->env_bytes, args, results);
}

static ba_wasm_err w_environ_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	ba_wasi *w = user;
	return strings_get(caller, w->env, w->envc, w->env_bytes, args, results);
}

/* ------------------------------------------------------------------------ */
/* Clocks, random, scheduling, processes                                    */
/* ------------------------------------------------------------------------ */

static bool host_clock(uint32_t id, clockid_t *out)
{
	switch (id) {
	case 0:
		*out = CLOCK_REALTIME;
		return true;
	case 1:
		*out = CLOCK_MONOTONIC;
		return true;
	case 2:
		*out = CLOCK_PROCESS_CPUTIME_ID;
		return true;
	case 3:
		*out = CLOCK_THREAD_CPUTIME_ID;
		return true;
	default:
		return false;
	}
}

/* clock_res_get and clock_time_get: the same checks around a different
 * libc query, writing the 64-bit nanoseconds at the guest pointer. */
static ba_wasm_err clock_query(ba_wasm_caller *caller, uint32_t clock, uint32_t out_ptr,
                               int (*query)(clockid_t, struct timespec *), ba_wasm_value *results)
{
	clockid_t id;
	struct timespec ts;
	uint8_t *p;

	if (!host_clock(clock, &id))
		return ret(results, WASI_EINVAL);
	p = ba_wasi__span(caller, out_ptr, 8);
	if (!p)
		return ret(results, WASI_EFAULT);
	if (query(id, &ts) != 0)
		return ret(results, ba_wasi__errno(errno));
	ba_wasi__put64(p, ts_ns(ts));
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_clock_res_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	return clock_query(caller, ARG32(0), ARG32(1), clock_getres, results);
}

/* (clock id, precision, out pointer): the precision hint is ignored. */
static ba_wasm_err w_clock_time_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                    ba_wasm_value *results)
{
	return clock_query(caller, ARG32(0), ARG32(2), clock_gettime, results);
}

static ba_wasm_err w_random_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                ba_wasm_value *results)
{
	uint32_t len = ARG32(1);
	uint8_t *p = ba_wasi__span(caller, ARG32(0), len);
	size_t done = 0;

	if (!p)
		return ret(results, WASI_EFAULT);
	while (done < len) {
		ssize_t n = getrandom(p + done, len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ret(results, ba_wasi__errno(errno));
		}
		done += (size_t)n;
	}
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_sched_yield(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	sched_yield();
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_proc_exit(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	ba_wasi *w = user;

	w->exited = true;
	w->exit_code = ARG32(0);
	/* The only way to stop the guest from a host call is a trap; the
	 * runner tells it apart from a real one with ba_wasi_exited(). */
	return ba_wasm_caller_trap(caller, "proc_exit(%u)", (unsigned)w->exit_code);
}

static ba_wasm_err w_proc_raise(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                ba_wasm_value *results)
{
	return ba_wasm_caller_trap(caller, "the tool raised signal %u (proc_raise)",
	                           (unsigned)ARG32(0));
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(ts);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* One parsed subscription. */
typedef struct sub {
	uint64_t userdata;
	uint8_t tag;
	uint16_t error;   /* immediate result, or 0 for a pending clock */
	bool immediate;   /* reported without waiting                   */
	uint64_t wake_ns; /* CLOCK_MONOTONIC time a clock fires         */
} sub;

static void put_event(uint8_t *e, const sub *s)
{
	memset(e, 0, WASI_EVENT_SIZE);
	ba_wasi__put64(e, s->userdata);
	ba_wasi__put16(e + 8, s->error);
	e[10] = s->tag;
}

static ba_wasm_err w_poll_oneoff(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	ba_wasi *w = user;
	uint32_t nsubs = ARG32(2);
	uint8_t *in, *out, *pn;
	sub *subs;
	size_t nev = 0, nimm = 0;
	uint64_t now, earliest = UINT64_MAX, until;

	if (nsubs == 0 || nsubs > WASI_MAX_SUBSCRIPTIONS)
		return ret(results, WASI_EINVAL);
	in = ba_wasi__span(caller, ARG32(0), (uint64_t)nsubs * WASI_SUBSCRIPTION_SIZE);
	out = ba_wasi__span(caller, ARG32(1), (uint64_t)nsubs * WASI_EVENT_SIZE);
	pn = ba_wasi__span(caller, ARG32(3), 4);
	if (!in || !out || !pn)
		return ret(results, WASI_EFAULT);
	/* Parse everything first: the guest may overlap in and out. */
	subs = calloc(nsubs, sizeof(*subs));
	if (!subs)
		return ret(results, WASI_ENOMEM);
	now = mono_now();
	for (uint32_t i = 0; i < nsubs; i++) {
		const uint8_t *s = in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
		sub *d = &subs[i];

		d->userdata = ba_wasi__get64(s);
		d->tag = s[8];
		if (d->tag == 0) {
			uint32_t clock = ba_wasi__get32(s + 16);
			uint64_t timeout = ba_wasi__get64(s + 24);
			uint16_t flags = ba_wasi__get16(s + 40);
			bool abs = flags & 1;

			if ((flags & ~1u) || clock > 3) {
				d->immediate = true;
				d->error = WASI_EINVAL;
			} else if (clock > 1) {
				/* Waiting on CPU time is not offered. */
				d->immediate = true;
				d->error = WASI_ENOTSUP;
			} else if (!abs) {
				d->wake_ns = sat_add(now, timeout);
			} else if (clock == 1) {
				d->wake_ns = timeout;
			} else {
				struct timespec rt;
				uint64_t real;
				clock_gettime(CLOCK_REALTIME, &rt);
				real = ts_ns(rt);
				d->wake_ns = timeout > real ? sat_add(now, timeout - real) : now;
			}
			if (!d->immediate && d->wake_ns < earliest)
				earliest = d->wake_ns;
		} else if (d->tag == 1 || d->tag == 2) {
			/* fd readiness is not offered: files are always ready
			 * and there are no sockets or pipes to wait for. */
			d->immediate = true;
			d->error = WASI_ENOTSUP;
		} else {
			free(subs);
			return ret(results, WASI_EINVAL);
		}
		if (d->immediate)
			nimm++;
	}
	if (nimm == 0) {
		/* Sleep until the earliest clock, but never past the run's
		 * deadline: then return so the engine's deadline check stops
		 * the guest right after. */
		until = earliest;
		if (w->deadline_ns && w->deadline_ns < until)
			until = w->deadline_ns;
		for (;;) {
			struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u),
			                      .tv_nsec = (long)(until % 1000000000u)};
			if (until / 1000000000u > (uint64_t)INT64_MAX / 2)
				ts.tv_sec = (time_t)(INT64_MAX / 2);
			if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0)
				break;
			if (errno != EINTR)
				break;
		}
		now = mono_now();
		if (now < earliest) {
			free(subs);
			return ret(results, WASI_EINTR);
		}
	}
	for (uint32_t i = 0; i < nsubs; i++) {
		sub *d = &subs[i];
		if (d->immediate || (nimm == 0 && d->wake_ns <= now))
			put_event(out + nev++ * WASI_EVENT_SIZE, d);
	}
	free(subs);
	ba_wasi__put32(pn, (uint32_t)nev);
	return ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Sockets: never                                                           */
/* ------------------------------------------------------------------------ */

static ba_wasm_err refuse_socket(ba_wasi *w, ba_wasm_caller *caller, const char *fn, uint32_t fd,
                                 ba_wasm_value *results)
{
	char target[64];

	snprintf(target, sizeof(target), "%s(fd %u)", fn, (unsigned)fd);
	if (ba_wasi__record(w, caller, false, "network", target,
	                    "raw sockets are not available to tools; use the boxagent http "
	                    "host call") != 0)
		return BA_WASM_ERR_TRAP;
	return ret(results, WASI_ENOTSUP);
}

static ba_wasm_err w_sock_accept(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	return refuse_socket(user, caller, "sock_accept", ARG32(0), results);
}

static ba_wasm_err w_sock_recv(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	return refuse_socket(user, caller, "sock_recv", ARG32(0), results);
}

static ba_wasm_err w_sock_send(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	return refuse_socket(user, caller, "sock_send", ARG32(0), results);
}

static ba_wasm_err w_sock_shutdown(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	return refuse_socket(user, caller, "sock_shutdown", ARG32(0), results);
}

/* ------------------------------------------------------------------------ */
/* Reading and writing                                                      */
/* ------------------------------------------------------------------------ */

typedef struct iovs {
	struct iovec v[WASI_MAX_IOVS];
	int n;
	size_t total;
} iovs;

/* Resolves a guest iovec array to host pointers; every buffer must lie in
 * memory. The total is capped (a short count is always allowed). */
static uint16_t gather(ba_wasm_caller *caller, uint32_t ptr, uint32_t count, iovs *out)
{
	const uint8_t *arr;

	out->n = 0;
	out->total = 0;
	if (count > WASI_MAX_IOVS)
		return WASI_EINVAL;
	arr = ba_wasi__span(caller, ptr, (uint64_t)count * WASI_IOVEC_SIZE);
	if (!arr)
		return WASI_EFAULT;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t base = ba_wasi__get32(arr + 8 * i), len = ba_wasi__get32(arr + 8 * i + 4);
		uint8_t *p = ba_wasi__span(caller, base, len);
		size_t take;

		if (!p)
			return WASI_EFAULT;
		take = len < WASI_MAX_IO_BYTES - out->total ? len : WASI_MAX_IO_BYTES - out->total;
		if (take == 0)
			continue;
		out->v[out->n].iov_base = p;
		out->v[out->n].iov_len = take;
		out->n++;
		out->total += take;
	}
	return WASI_ESUCCESS;
}

/* Appends to a captured stream; a trap when the cap is passed. */
static ba_wasm_err write_capture(ba_wasi *w, ba_wasm_caller *caller, bool is_err, const iovs *io)
{
	ba_buf *b = is_err ? &w->err : &w->out;

	for (int i = 0; i < io->n; i++) {
		const char *p = io->v[i].iov_base;
		size_t len = io->v[i].iov_len, room = b->limit - b->len;
		size_t take = len < room ? len : room;

		if (take && ba_buf_append(b, p, take) != 0)
			return ba_wasm_caller_trap(caller, "out of memory capturing %s",
			                           is_err ? "stderr" : "stdout");
		if (is_err && take && w->on_stderr)
			w->on_stderr(p, take, w->on_stderr_user);
		if (take < len) {
			w->output_exceeded = true;
			return ba_wasm_caller_trap(caller,
			                           "output limit exceeded: %s over %zu bytes",
			                           is_err ? "stderr" : "stdout", b->limit);
		}
	}
	return BA_WASM_OK;
}

static ba_wasm_err w_fd_write(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *pn;
	iovs io;
	uint16_t e;
	ssize_t n;
	int c;

	if (!f)
		return ret(results, WASI_EBADF);
	pn = ba_wasi__span(caller, ARG32(3), 4);
	if (!pn)
		return ret(results, WASI_EFAULT);
	if ((e = gather(caller, ARG32(1), ARG32(2), &io)) != 0)
		return ret(results, e);
	switch (f->kind) {
	case WASI_FD_STDOUT:
	case WASI_FD_STDERR:
		if (write_capture(w, caller, f->kind == WASI_FD_STDERR, &io) != BA_WASM_OK)
			return BA_WASM_ERR_TRAP;
		ba_wasi__put32(pn, (uint32_t)io.total);
		return ret(results, WASI_ESUCCESS);
	case WASI_FD_FILE:
		c = check_fd_write(w, caller, f, WASI_RIGHT_FD_WRITE, "fd_write");
		if (c < 0)
			return BA_WASM_ERR_TRAP;
		if (c)
			return ret(results, (uint16_t)c);
		n = io.n ? writev(f->host, io.v, io.n) : 0;
		if (n < 0)
			return ret(results, ba_wasi__errno(errno));
		ba_wasi__put32(pn, (uint32_t)n);
		return ret(results, WASI_ESUCCESS);
	case WASI_FD_DIR:
	case WASI_FD_ROOT:
		return ret(results, WASI_EISDIR);
	default:
		return ret(results, WASI_EBADF);
	}
}

static ba_wasm_err w_fd_read(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *pn;
	iovs io;
	uint16_t e;
	ssize_t n;

	if (!f)
		return ret(results, WASI_EBADF);
	pn = ba_wasi__span(caller, ARG32(3), 4);
	if (!pn)
		return ret(results, WASI_EFAULT);
	if ((e = gather(caller, ARG32(1), ARG32(2), &io)) != 0)
		return ret(results, e);
	switch (f->kind) {
	case WASI_FD_STDIN: {
		size_t done = 0;
		for (int i = 0; i < io.n && w->stdin_pos < w->stdin_len; i++) {
			size_t left = w->stdin_len - w->stdin_pos, len = io.v[i].iov_len;
			size_t take = len < left ? len : left;
			memcpy(io.v[i].iov_base, w->stdin_data + w->stdin_pos, take);
			w->stdin_pos += take;
			done += take;
		}
		ba_wasi__put32(pn, (uint32_t)done);
		return ret(results, WASI_ESUCCESS);
	}
	case WASI_FD_FILE:
		if (!(f->rights_base & WASI_RIGHT_FD_READ))
			return ret(results, WASI_EBADF);
		n = io.n ? readv(f->host, io.v, io.n) : 0;
		if (n < 0)
			return ret(results, ba_wasi__errno(errno));
		ba_wasi__put32(pn, (uint32_t)n);
		return ret(results, WASI_ESUCCESS);
	case WASI_FD_DIR:
	case WASI_FD_ROOT:
		return ret(results, WASI_EISDIR);
	default:
		return ret(results, WASI_EBADF);
	}
}

static uint16_t positional_fd(wasi_fd *f, uint64_t offset)
{
	if (f->kind == WASI_FD_STDIN || f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
		return WASI_ESPIPE;
	if (f->kind == WASI_FD_DIR || f->kind == WASI_FD_ROOT)
		return WASI_EISDIR;
	if (f->kind != WASI_FD_FILE)
		return WASI_EBADF;
	if (offset > (uint64_t)INT64_MAX)
		return WASI_EINVAL;
	return 0;
}

/* fd_pread and fd_pwrite take (fd, iovs, iovs_len, offset, nread_out):
 * the same checks in the same order before either moves a byte. */
static uint16_t positional_args(ba_wasi *w, ba_wasm_caller *caller, const ba_wasm_value *args,
                                wasi_fd **f, uint8_t **pn, iovs *io)
{
	uint16_t e;

	*f = ba_wasi__fd(w, ARG32(0));
	if (!*f)
		return WASI_EBADF;
	*pn = ba_wasi__span(caller, ARG32(4), 4);
	if (!*pn)
		return WASI_EFAULT;
	if ((e = gather(caller, ARG32(1), ARG32(2), io)) != 0)
		return e;
	return positional_fd(*f, ARG64(3));
}

static ba_wasm_err w_fd_pread(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f;
	uint8_t *pn;
	iovs io;
	uint16_t e;
	ssize_t n;

	if ((e = positional_args(w, caller, args, &f, &pn, &io)) != 0)
		return ret(results, e);
	if (!(f->rights_base & WASI_RIGHT_FD_READ))
		return ret(results, WASI_EBADF);
	n = io.n ? preadv(f->host, io.v, io.n, (off_t)ARG64(3)) : 0;
	if (n < 0)
		return ret(results, ba_wasi__errno(errno));
	ba_wasi__put32(pn, (uint32_t)n);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_pwrite(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f;
	uint8_t *pn;
	iovs io;
	uint16_t e;
	ssize_t n;
	int c;

	if ((e = positional_args(w, caller, args, &f, &pn, &io)) != 0)
		return ret(results, e);
	c = check_fd_write(w, caller, f, WASI_RIGHT_FD_WRITE, "fd_pwrite");
	if (c < 0)
		return BA_WASM_ERR_TRAP;
	if (c)
		return ret(results, (uint16_t)c);
	n = io.n ? pwritev(f->host, io.v, io.n, (off_t)ARG64(3)) : 0;
	if (n < 0)
		return ret(results, ba_wasi__errno(errno));
	ba_wasi__put32(pn, (uint32_t)n);
	return ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Other fd calls                                                           */
/* ------------------------------------------------------------------------ */

static ba_wasm_err w_fd_close(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                              ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));

	if (!f)
		return ret(results, WASI_EBADF);
	ba_wasi__fd_release(f);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_renumber(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	ba_wasi *w = user;
	uint32_t from = ARG32(0), to = ARG32(1);
	wasi_fd *f = ba_wasi__fd(w, from), *t = ba_wasi__fd(w, to);

	if (!f || !t)
		return ret(results, WASI_EBADF);
	if (from == to)
		return ret(results, WASI_ESUCCESS);
	ba_wasi__fd_release(t);
	*t = *f;
	memset(f, 0, sizeof(*f));
	f->host = -1;
	f->grant = -1;
	f->kind = WASI_FD_FREE;
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_fdstat_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *p;

	if (!f)
		return ret(results, WASI_EBADF);
	p = ba_wasi__span(caller, ARG32(1), WASI_FDSTAT_SIZE);
	if (!p)
		return ret(results, WASI_EFAULT);
	memset(p, 0, WASI_FDSTAT_SIZE);
	p[0] = f->filetype;
	ba_wasi__put16(p + 2, f->fdflags);
	ba_wasi__put64(p + 8, f->rights_base);
	ba_wasi__put64(p + 16, f->rights_inheriting);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_fdstat_set_flags(ba_wasm_caller *caller, void *user,
                                         const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint32_t flags = ARG32(1);
	int fl;

	if (!f)
		return ret(results, WASI_EBADF);
	if (flags & ~(uint32_t)WASI_FDFLAGS_ALL)
		return ret(results, WASI_EINVAL);
	if (f->kind != WASI_FD_FILE) {
		/* Nothing to change on a virtual stream or a directory beyond
		 * what fdstat reports. */
		if (flags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
			return ret(results, WASI_ENOTSUP);
		f->fdflags = (uint16_t)flags;
		return ret(results, WASI_ESUCCESS);
	}
	/* Linux cannot change the sync flags of an open file. */
	if ((flags ^ f->fdflags) & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
		return ret(results, WASI_ENOTSUP);
	fl = fcntl(f->host, F_GETFL);
	if (fl < 0)
		return ret(results, ba_wasi__errno(errno));
	fl &= ~(O_APPEND | O_NONBLOCK);
	if (flags & WASI_FDFLAG_APPEND)
		fl |= O_APPEND;
	if (flags & WASI_FDFLAG_NONBLOCK)
		fl |= O_NONBLOCK;
	if (fcntl(f->host, F_SETFL, fl) != 0)
		return ret(results, ba_wasi__errno(errno));
	f->fdflags = (uint16_t)flags;
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_fdstat_set_rights(ba_wasm_caller *caller, void *user,
                                          const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint64_t base = ARG64(1), inh = ARG64(2);

	if (!f)
		return ret(results, WASI_EBADF);
	/* Rights only ever shrink. */
	if ((base & ~f->rights_base) || (inh & ~f->rights_inheriting))
		return ret(results, WASI_ENOTCAPABLE);
	f->rights_base = base;
	f->rights_inheriting = inh;
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_filestat_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                     ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *p;
	struct stat st;

	if (!f)
		return ret(results, WASI_EBADF);
	p = ba_wasi__span(caller, ARG32(1), WASI_FILESTAT_SIZE);
	if (!p)
		return ret(results, WASI_EFAULT);
	switch (f->kind) {
	case WASI_FD_FILE:
	case WASI_FD_DIR:
		if (fstat(f->host, &st) != 0)
			return ret(results, ba_wasi__errno(errno));
		break;
	case WASI_FD_SINGLE:
		if (fstatat(f->host, w->grants[f->grant].single_base, &st, AT_SYMLINK_NOFOLLOW) !=
		    0)
			return ret(results, ba_wasi__errno(errno));
		break;
	default:
		/* Virtual: a directory (the root) or an anonymous stream,
		 * with no host identity to leak. */
		memset(p, 0, WASI_FILESTAT_SIZE);
		p[16] = f->filetype;
		ba_wasi__put64(p + 24, 1);
		return ret(results, WASI_ESUCCESS);
	}
	ba_wasi__put_filestat(p, &st);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_filestat_set_size(ba_wasm_caller *caller, void *user,
                                          const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	int c;

	if (!f)
		return ret(results, WASI_EBADF);
	if (f->kind != WASI_FD_FILE && f->kind != WASI_FD_ROOT)
		return ret(results, f->kind == WASI_FD_DIR ? WASI_EISDIR : WASI_EINVAL);
	c = check_fd_write(w, caller, f, WASI_RIGHT_FD_FILESTAT_SET_SIZE, "fd_filestat_set_size");
	if (c < 0)
		return BA_WASM_ERR_TRAP;
	if (c)
		return ret(results, (uint16_t)c);
	if (ARG64(1) > (uint64_t)INT64_MAX)
		return ret(results, WASI_EINVAL);
	if (ftruncate(f->host, (off_t)ARG64(1)) != 0)
		return ret(results, ba_wasi__errno(errno));
	return ret(results, WASI_ESUCCESS);
}

uint16_t ba_wasi__times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
	if (fst & ~0xfu)
		return WASI_EINVAL;
	if ((fst & WASI_FSTFLAG_ATIM) && (fst & WASI_FSTFLAG_ATIM_NOW))
		return WASI_EINVAL;
	if ((fst & WASI_FSTFLAG_MTIM) && (fst & WASI_FSTFLAG_MTIM_NOW))
		return WASI_EINVAL;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = ts[0];
	if (fst & WASI_FSTFLAG_ATIM) {
		ts[0].tv_sec = (time_t)(atim / 1000000000u);
		ts[0].tv_nsec = (long)(atim % 1000000000u);
	} else if (fst & WASI_FSTFLAG_ATIM_NOW) {
		ts[0].tv_nsec = UTIME_NOW;
	}
	if (fst & WASI_FSTFLAG_MTIM) {
		ts[1].tv_sec = (time_t)(mtim / 1000000000u);
		ts[1].tv_nsec = (long)(mtim % 1000000000u);
	} else if (fst & WASI_FSTFLAG_MTIM_NOW) {
		ts[1].tv_nsec = UTIME_NOW;
	}
	return 0;
}

static ba_wasm_err w_fd_filestat_set_times(ba_wasm_caller *caller, void *user,
                                           const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	struct timespec ts[2];
	uint16_t e;
	int c;

	if (!f)
		return ret(results, WASI_EBADF);
	if ((e = ba_wasi__times(ARG64(1), ARG64(2), ARG32(3), ts)) != 0)
		return ret(results, e);
	if (f->kind != WASI_FD_FILE && f->kind != WASI_FD_DIR && f->kind != WASI_FD_ROOT &&
	    f->kind != WASI_FD_SINGLE)
		return ret(results, WASI_EBADF);
	c = check_fd_write(w, caller, f, WASI_RIGHT_FD_FILESTAT_SET_TIMES, "fd_filestat_set_times");
	if (c < 0)
		return BA_WASM_ERR_TRAP;
	if (c)
		return ret(results, (uint16_t)c);
	if (f->kind == WASI_FD_SINGLE) {
		if (utimensat(f->host, w->grants[f->grant].single_base, ts, AT_SYMLINK_NOFOLLOW) !=
		    0)
			return ret(results, ba_wasi__errno(errno));
	} else if (futimens(f->host, ts) != 0) {
		return ret(results, ba_wasi__errno(errno));
	}
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_allocate(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint64_t off = ARG64(1), len = ARG64(2);
	int c, r;

	if (!f)
		return ret(results, WASI_EBADF);
	if (f->kind != WASI_FD_FILE && f->kind != WASI_FD_ROOT)
		return ret(results, f->kind == WASI_FD_DIR ? WASI_EISDIR : WASI_EBADF);
	c = check_fd_write(w, caller, f, WASI_RIGHT_FD_ALLOCATE, "fd_allocate");
	if (c < 0)
		return BA_WASM_ERR_TRAP;
	if (c)
		return ret(results, (uint16_t)c);
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return ret(results, WASI_EINVAL);
	r = posix_fallocate(f->host, (off_t)off, (off_t)len);
	return ret(results, ba_wasi__errno(r));
}

static ba_wasm_err w_fd_advise(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
	                             POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
	                             POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
	uint32_t a = ARG32(3);
	uint64_t off = ARG64(1), len = ARG64(2);

	if (!f)
		return ret(results, WASI_EBADF);
	if (a >= sizeof(advice) / sizeof(advice[0]) || off > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX)
		return ret(results, WASI_EINVAL);
	if (f->kind == WASI_FD_STDIN || f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
		return ret(results, WASI_ESPIPE);
	if (f->kind != WASI_FD_FILE)
		return ret(results, WASI_EBADF);
	return ret(results,
	           ba_wasi__errno(posix_fadvise(f->host, (off_t)off, (off_t)len, advice[a])));
}

static ba_wasm_err sync_fd(ba_wasi *w, uint32_t fd, bool data, ba_wasm_value *results)
{
	wasi_fd *f = ba_wasi__fd(w, fd);

	if (!f)
		return ret(results, WASI_EBADF);
	if (f->kind != WASI_FD_FILE && f->kind != WASI_FD_DIR)
		return ret(results, WASI_EINVAL);
	if ((data ? fdatasync(f->host) : fsync(f->host)) != 0)
		return ret(results, ba_wasi__errno(errno));
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_sync(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	return sync_fd(user, ARG32(0), false, results);
}

static ba_wasm_err w_fd_datasync(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	return sync_fd(user, ARG32(0), true, results);
}

static ba_wasm_err w_fd_seek(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint32_t whence = ARG32(2);
	uint8_t *p;
	off_t r;
	static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};

	if (!f)
		return ret(results, WASI_EBADF);
	p = ba_wasi__span(caller, ARG32(3), 8);
	if (!p)
		return ret(results, WASI_EFAULT);
	if (whence > 2)
		return ret(results, WASI_EINVAL);
	if (f->kind == WASI_FD_STDIN || f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
		return ret(results, WASI_ESPIPE);
	if (f->kind != WASI_FD_FILE)
		return ret(results, f->kind == WASI_FD_DIR ? WASI_EISDIR : WASI_EBADF);
	r = lseek(f->host, (off_t)(int64_t)ARG64(1), host_whence[whence]);
	if (r < 0)
		return ret(results, ba_wasi__errno(errno));
	ba_wasi__put64(p, (uint64_t)r);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_tell(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                             ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *p;
	off_t r;

	if (!f)
		return ret(results, WASI_EBADF);
	p = ba_wasi__span(caller, ARG32(1), 8);
	if (!p)
		return ret(results, WASI_EFAULT);
	if (f->kind == WASI_FD_STDIN || f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
		return ret(results, WASI_ESPIPE);
	if (f->kind != WASI_FD_FILE)
		return ret(results, f->kind == WASI_FD_DIR ? WASI_EISDIR : WASI_EBADF);
	r = lseek(f->host, 0, SEEK_CUR);
	if (r < 0)
		return ret(results, ba_wasi__errno(errno));
	ba_wasi__put64(p, (uint64_t)r);
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_prestat_get(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                    ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint8_t *p;

	/* wasi-libc scans from fd 3 until EBADF, so preopens stay dense. */
	if (!f || !f->is_preopen)
		return ret(results, WASI_EBADF);
	p = ba_wasi__span(caller, ARG32(1), WASI_PRESTAT_SIZE);
	if (!p)
		return ret(results, WASI_EFAULT);
	memset(p, 0, WASI_PRESTAT_SIZE);
	p[0] = 0; /* preopentype dir */
	ba_wasi__put32(p + 4, (uint32_t)strlen(f->guest_path));
	return ret(results, WASI_ESUCCESS);
}

static ba_wasm_err w_fd_prestat_dir_name(ba_wasm_caller *caller, void *user,
                                         const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint32_t len = ARG32(2);
	size_t need;
	uint8_t *p;

	if (!f || !f->is_preopen)
		return ret(results, WASI_EBADF);
	need = strlen(f->guest_path);
	if (len < need)
		return ret(results, WASI_ENAMETOOLONG);
	p = ba_wasi__span(caller, ARG32(1), need);
	if (!p)
		return ret(results, WASI_EFAULT);
	memcpy(p, f->guest_path, need);
	return ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Linking                                                                  */
/* ------------------------------------------------------------------------ */

#define CORE_FUNCS(X)                      \
	X(args_get, "ii:i")                \
	X(args_sizes_get, "ii:i")          \
	X(environ_get, "ii:i")             \
	X(environ_sizes_get, "ii:i")       \
	X(clock_res_get, "ii:i")           \
	X(clock_time_get, "iIi:i")         \
	X(fd_advise, "iIIi:i")             \
	X(fd_allocate, "iII:i")            \
	X(fd_close, "i:i")                 \
	X(fd_datasync, "i:i")              \
	X(fd_fdstat_get, "ii:i")           \
	X(fd_fdstat_set_flags, "ii:i")     \
	X(fd_fdstat_set_rights, "iII:i")   \
	X(fd_filestat_get, "ii:i")         \
	X(fd_filestat_set_size, "iI:i")    \
	X(fd_filestat_set_times, "iIIi:i") \
	X(fd_pread, "iiiIi:i")             \
	X(fd_prestat_get, "ii:i")          \
	X(fd_prestat_dir_name, "iii:i")    \
	X(fd_pwrite, "iiiIi:i")            \
	X(fd_read, "iiii:i")               \
	X(fd_renumber, "ii:i")             \
	X(fd_seek, "iIii:i")               \
	X(fd_sync, "i:i")                  \
	X(fd_tell, "ii:i")                 \
	X(fd_write, "iiii:i")              \
	X(poll_oneoff, "iiii:i")           \
	X(proc_exit, "i:")                 \
	X(proc_raise, "i:i")               \
	X(sched_yield, ":i")               \
	X(random_get, "ii:i")              \
	X(sock_accept, "iii:i")            \
	X(sock_recv, "iiiiii:i")           \
	X(sock_send, "iiiii:i")            \
	X(sock_shutdown, "ii:i")

int ba_wasi_link(ba_wasi *w, ba_linker *linker)
{
	static const char mod[] = "wasi_snapshot_preview1";

	if (!w || !linker)
		return -1;
#define DEFINE_CORE(name, sig)                                           \
	if (ba_linker_define(linker, mod, #name, sig, w_##name, w) != 0) \
		return -1;
#define DEFINE_FS(name, sig)                                                    \
	if (ba_linker_define(linker, mod, #name, sig, ba_wasi__##name, w) != 0) \
		return -1;
	CORE_FUNCS(DEFINE_CORE)
	BA_WASI_FS_FUNCS(DEFINE_FS)
#undef DEFINE_CORE
#undef DEFINE_FS
	return 0;
}
