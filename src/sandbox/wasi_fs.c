/*
 * wasi_fs.c - every WASI call that resolves a guest path: path_open,
 * the path_* operations on a name, and fd_readdir.
 *
 * The whole security argument is in two functions:
 *
 *   beneath()     opens a path relative to a directory fd with openat2 and
 *                 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so the kernel
 *                 refuses "..", absolute paths and symlinks that lead out
 *                 of the directory (EXDEV), and magic links like
 *                 /proc/self/fd/N (ELOOP). Without openat2 (Linux < 5.6)
 *                 nothing is opened at all.
 *   open_parent() opens the parent of a name that way (O_PATH), so an
 *                 operation on the name itself (unlink, mkdir, rename,
 *                 link, symlink, readlink, stat, utimes) is an *at() call
 *                 on a directory that is known to be beneath the grant,
 *                 with a last component that is never "", "." or "..".
 *
 * Everything else is policy on top: the virtual root (fd 3) opens
 * nothing, a read-only grant refuses every write and mutation, and each
 * refusal is recorded in the audit log with the full guest path.
 */
#include "sandbox/wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ARG32(n) (args[n].of.i32)
#define ARG64(n) (args[n].of.i64)

/* Longest guest path kept for messages; longer ones end in "...". */
#define TARGET_MAX (BA_WASI_PATH_MAX + 64)

static ba_wasm_err ret(ba_wasm_value *results, uint16_t wasi_errno)
{
	results[0] = ba_wasm_i32(wasi_errno);
	return BA_WASM_OK;
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                               */
/* ------------------------------------------------------------------------ */

static int openat2_raw(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = mode;
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

bool ba_wasi__probe_openat2(int dirfd)
{
	int fd = openat2_raw(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
	                     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOSYS;
}

/*
 * Was an ELOOP from openat2 a magic link (/proc/PID/fd/N, cwd, root,
 * ...) rather than a symlink loop or O_NOFOLLOW on a plain symlink? Asked
 * again without RESOLVE_NO_MAGICLINKS, a scoped lookup answers EXDEV for
 * a magic link. O_PATH, so the probe itself opens nothing for I/O.
 */
static bool magic_link_in(int dirfd, const char *path, int flags)
{
	int fd = openat2_raw(dirfd, path, O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY)),
	                     0, RESOLVE_BENEATH);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EXDEV;
}

/* Opens path beneath dirfd; -1 with errno. EXDEV means it leads out or
 * through a magic link: a denial, not an error. */
static int beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;

	/* openat2 refuses a mode without O_CREAT. */
	if (!(flags & O_CREAT))
		mode = 0;
	do
		fd = openat2_raw(dirfd, path, (uint64_t)flags | O_CLOEXEC, mode,
		                 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ELOOP && magic_link_in(dirfd, path, flags))
		errno = EXDEV;
	return fd;
}

/* Reads a guest path into buf (NUL-terminated). 0 or a WASI errno. */
static uint16_t read_path(ba_wasm_caller *caller, uint32_t ptr, uint32_t len,
                          char buf[BA_WASI_PATH_MAX + 1])
{
	const uint8_t *p;

	if (len > BA_WASI_PATH_MAX)
		return WASI_ENAMETOOLONG;
	p = ba_wasi__span(caller, ptr, len);
	if (!p)
		return WASI_EFAULT;
	/* A NUL would make the host see a different path than the guest
	 * (and the audit log) names. */
	if (memchr(p, '\0', len))
		return WASI_EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

static bool is_dot(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* "", ".", "./", ".//." and the like: the directory itself. */
static bool is_self(const char *path)
{
	if (path[0] == '/')
		return false;
	for (const char *p = path; *p; p++) {
		if (*p == '/')
			continue;
		if (*p != '.' || (p[1] && p[1] != '/'))
			return false;
	}
	return true;
}

/*
 * The guest path a request names, lexically normalised, for the audit
 * log and messages only (the kernel, not this, decides what is opened).
 */
static void guest_join(const char *base, const char *path, char *out, size_t cap)
{
	size_t len;
	const char *p = path;

	if (path[0] == '/' || !base)
		base = "/";
	len = strlen(base);
	if (len >= cap)
		len = cap - 1;
	memcpy(out, base, len);
	out[len] = '\0';
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = strrchr(out, '/');
			if (slash && slash != out)
				*slash = '\0';
			else
				out[1] = '\0';
			len = strlen(out);
			continue;
		}
		if (len + 1 + n + 4 >= cap) {
			if (len + 4 < cap) {
				memcpy(out + len, "...", 4);
				len += 3;
			}
			break;
		}
		if (len > 1)
			out[len++] = '/';
		memcpy(out + len, s, n);
		len += n;
		out[len] = '\0';
	}
}

static const char *grant_of(const ba_wasi *w, const wasi_fd *f)
{
	return f->grant >= 0 ? w->grants[f->grant].guest_path : "/";
}

/* Records a denial and returns ENOTCAPABLE, or -1 when it cannot be
 * recorded (the guest then traps). */
static int deny(ba_wasi *w, ba_wasm_caller *caller, const char *cap, const char *target,
                const char *reason_fmt, ...) __attribute__((format(printf, 5, 6)));
static int deny(ba_wasi *w, ba_wasm_caller *caller, const char *cap, const char *target,
                const char *reason_fmt, ...)
{
	char reason[TARGET_MAX + 256];
	va_list ap;

	va_start(ap, reason_fmt);
	vsnprintf(reason, sizeof(reason), reason_fmt, ap);
	va_end(ap);
	if (ba_wasi__record(w, caller, false, cap, target, "%s", reason) != 0)
		return -1;
	return WASI_ENOTCAPABLE;
}

/* The result of an openat2 failure: escapes are denials. */
static int resolve_error(ba_wasi *w, ba_wasm_caller *caller, const wasi_fd *f, int err,
                         const char *cap, const char *target)
{
	if (err == EXDEV)
		return deny(
		        w, caller, cap, target,
		        "%s resolves outside %s (through \"..\", an absolute path, a symlink or a "
		        "/proc magic link)",
		        target, f->guest_path);
	if (err == ENOSYS)
		return deny(
		        w, caller, cap, target,
		        "this kernel has no openat2 (Linux 5.6+), so no file access is granted");
	return ba_wasi__errno(err);
}

/*
 * May a path operation (writing or not) go ahead on directory fd f?
 * 0 when yes; else a WASI errno (a recorded denial for the virtual
 * root, a single-file grant or a read-only grant) or -1 to trap.
 */
static int check_dir(ba_wasi *w, ba_wasm_caller *caller, const wasi_fd *f, bool write,
                     const char *cap, const char *target)
{
	switch (f->kind) {
	case WASI_FD_DIR:
		break;
	case WASI_FD_ROOT:
	case WASI_FD_SINGLE:
		return deny(w, caller, cap, target, "%s is outside every granted path", target);
	case WASI_FD_FILE:
		return WASI_ENOTDIR;
	default:
		return WASI_EBADF;
	}
	if (write && !w->grants[f->grant].writable)
		return deny(w, caller, "fs.write", target, "%s is granted read-only",
		            grant_of(w, f));
	if (!w->have_openat2)
		return resolve_error(w, caller, f, ENOSYS, cap, target);
	return 0;
}

typedef struct parent_ref {
	int dirfd;        /* O_PATH directory beneath the grant; owned        */
	const char *last; /* the final component, inside the caller's buffer */
	bool trailing;    /* the path ended in '/'                           */
} parent_ref;

/*
 * Splits path (modified in place) into parent and final component and
 * opens the parent beneath f. Returns 0, a WASI errno (EINVAL when the
 * final component is "." or "..", ENOENT when empty), or -1 to trap.
 */
static int open_parent(ba_wasi *w, ba_wasm_caller *caller, const wasi_fd *f, char *path,
                       const char *cap, const char *target, parent_ref *out)
{
	size_t n = strlen(path);
	char *slash;
	const char *parent;

	out->dirfd = -1;
	out->trailing = false;
	while (n > 1 && path[n - 1] == '/') {
		path[--n] = '\0';
		out->trailing = true;
	}
	if (n == 0)
		return WASI_ENOENT;
	slash = strrchr(path, '/');
	if (!slash) {
		parent = ".";
		out->last = path;
	} else {
		*slash = '\0';
		/* "/x": the parent is "/", which openat2 refuses as leading
		 * out - which it does. */
		parent = slash == path ? "/" : path;
		out->last = slash + 1;
	}
	if (out->last[0] == '\0' || is_dot(out->last, strlen(out->last))) {
		/* "/" alone, or a name of "." or "..": still refuse absolute
		 * paths as escapes first. */
		if (path[0] == '\0' && slash)
			return resolve_error(w, caller, f, EXDEV, cap, target);
		return WASI_EINVAL;
	}
	out->dirfd = beneath(f->host, parent, O_PATH | O_DIRECTORY, 0);
	if (out->dirfd < 0)
		return resolve_error(w, caller, f, errno, cap, target);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* path_open                                                                */
/* ------------------------------------------------------------------------ */

ba_wasm_err ba_wasi__path_open(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0)), *nf;
	uint32_t lookup = ARG32(1), oflags = ARG32(4), fdflags = ARG32(7);
	uint64_t rbase = ARG64(5), rinh = ARG64(6);
	char path[BA_WASI_PATH_MAX + 1], target[TARGET_MAX];
	uint8_t *pout;
	bool want_write, want_read;
	const char *cap;
	int flags, host, slot, r;
	struct stat st;
	uint16_t e;
	const wasi_grant *g;

	if (!f)
		return ret(results, WASI_EBADF);
	pout = ba_wasi__span(caller, ARG32(8), 4);
	if (!pout)
		return ret(results, WASI_EFAULT);
	if ((e = read_path(caller, ARG32(2), ARG32(3), path)) != 0)
		return ret(results, e);
	if ((oflags & ~(uint32_t)WASI_OFLAGS_ALL) || (fdflags & ~(uint32_t)WASI_FDFLAGS_ALL))
		return ret(results, WASI_EINVAL);
	want_write = (rbase & WASI_RIGHTS_WRITE_INTENT) ||
	             (oflags & (WASI_OFLAG_CREAT | WASI_OFLAG_TRUNC));
	want_read = rbase & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
	cap = want_write ? "fs.write" : "fs.read";
	guest_join(f->guest_path, path, target, sizeof(target));

	if (f->kind == WASI_FD_ROOT) {
		/* The empty root itself may be listed; nothing in it exists. */
		if (is_self(path) && !want_write) {
			slot = ba_wasi__fd_alloc(w);
			if (slot < 0)
				return ret(results, WASI_EMFILE);
			nf = &w->fds[slot];
			*nf = *f;
			nf->is_preopen = false;
			nf->guest_path = malloc(2);
			if (!nf->guest_path) {
				nf->kind = WASI_FD_FREE;
				return ret(results, WASI_ENOMEM);
			}
			memcpy(nf->guest_path, "/", 2);
			nf->rights_base = rbase & WASI_RIGHTS_DIR;
			nf->rights_inheriting = rinh & f->rights_inheriting;
			ba_wasi__put32(pout, (uint32_t)slot);
			return ret(results, WASI_ESUCCESS);
		}
		r = deny(w, caller, cap, target, "%s is outside every granted path", target);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}
	if (f->kind != WASI_FD_DIR && f->kind != WASI_FD_SINGLE)
		return ret(results, f->kind == WASI_FD_FILE ? WASI_ENOTDIR : WASI_EBADF);
	g = &w->grants[f->grant];
	if (f->kind == WASI_FD_SINGLE && !is_self(path)) {
		r = deny(w, caller, cap, target, "%s is outside every granted path", target);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}
	if (want_write && !g->writable) {
		r = deny(w, caller, "fs.write", target, "%s is granted read-only", g->guest_path);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}
	if (!w->have_openat2) {
		r = resolve_error(w, caller, f, ENOSYS, cap, target);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}

	/* Access mode from the rights asked for; O_NONBLOCK until the type
	 * is known, so a FIFO cannot block the host in open(). */
	if (rbase & WASI_RIGHTS_WRITE_INTENT)
		flags = want_read ? O_RDWR : O_WRONLY;
	else
		flags = O_RDONLY;
	flags |= O_NOCTTY | O_NONBLOCK;
	if (oflags & WASI_OFLAG_CREAT)
		flags |= O_CREAT;
	if (oflags & WASI_OFLAG_EXCL)
		flags |= O_EXCL;
	if (oflags & WASI_OFLAG_TRUNC)
		flags |= O_TRUNC;
	if (oflags & WASI_OFLAG_DIRECTORY)
		flags |= O_DIRECTORY;
	if (!(lookup & WASI_LOOKUP_SYMLINK_FOLLOW))
		flags |= O_NOFOLLOW;
	if (fdflags & WASI_FDFLAG_APPEND)
		flags |= O_APPEND;
	if (fdflags & WASI_FDFLAG_DSYNC)
		flags |= O_DSYNC;
	if (fdflags & WASI_FDFLAG_SYNC)
		flags |= O_SYNC;
	if (fdflags & WASI_FDFLAG_RSYNC)
		flags |= O_RSYNC;

	if (f->kind == WASI_FD_SINGLE) {
		if (oflags & WASI_OFLAG_DIRECTORY)
			return ret(results, WASI_ENOTDIR);
		/* The file itself, by name in its held parent; no symlink may
		 * have replaced it since the grant was opened. */
		do
			host = openat2_raw(f->host, g->single_base, (uint64_t)flags | O_CLOEXEC,
			                   (flags & O_CREAT) ? 0666 : 0,
			                   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			                           RESOLVE_NO_SYMLINKS);
		while (host < 0 && errno == EAGAIN);
	} else {
		host = beneath(f->host, path, flags, 0666);
	}
	if (host < 0) {
		r = resolve_error(w, caller, f, errno, cap, target);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}
	if (fstat(host, &st) != 0) {
		e = ba_wasi__errno(errno);
		close(host);
		return ret(results, e);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(host);
		r = deny(w, caller, cap, target, "%s is not a regular file or directory", target);
		return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
	}
	if (!(fdflags & WASI_FDFLAG_NONBLOCK)) {
		int fl = fcntl(host, F_GETFL);
		if (fl >= 0)
			(void)fcntl(host, F_SETFL, fl & ~O_NONBLOCK);
	}
	slot = ba_wasi__fd_alloc(w);
	if (slot < 0) {
		close(host);
		return ret(results, WASI_EMFILE);
	}
	nf = &w->fds[slot];
	nf->guest_path = malloc(strlen(target) + 1);
	if (!nf->guest_path) {
		close(host);
		return ret(results, WASI_ENOMEM);
	}
	memcpy(nf->guest_path, target, strlen(target) + 1);
	nf->host = host;
	nf->grant = f->grant;
	nf->is_preopen = false;
	nf->dir = NULL;
	nf->dir_pos = 0;
	nf->fdflags = (uint16_t)fdflags;
	if (S_ISDIR(st.st_mode)) {
		nf->kind = WASI_FD_DIR;
		nf->filetype = WASI_FILETYPE_DIRECTORY;
		nf->rights_base = rbase & WASI_RIGHTS_DIR;
	} else {
		nf->kind = WASI_FD_FILE;
		nf->filetype = WASI_FILETYPE_REGULAR_FILE;
		nf->rights_base = rbase & WASI_RIGHTS_FILE;
		/* What the host descriptor cannot do is not a right. */
		if ((flags & O_ACCMODE) == O_RDONLY)
			nf->rights_base &=
			        ~(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
			          WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_DATASYNC);
		if ((flags & O_ACCMODE) == O_WRONLY)
			nf->rights_base &= ~WASI_RIGHT_FD_READ;
	}
	nf->rights_inheriting = rinh & f->rights_inheriting;
	if (ba_wasi__record(w, caller, true, cap, target, "granted %s (%s)", g->guest_path,
	                    g->writable ? "read-write" : "read-only") != 0) {
		ba_wasi__fd_release(nf);
		return BA_WASM_ERR_TRAP;
	}
	ba_wasi__put32(pout, (uint32_t)slot);
	return ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Operations on a name                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The common start of every path_* call on fd/path: looks up the fd,
 * reads the path, computes the audit target and checks the grant. On
 * anything but 0 the host function returns *out_err (a WASI errno) or
 * traps (-1).
 */
typedef struct path_req {
	wasi_fd *f;
	char path[BA_WASI_PATH_MAX + 1];
	char target[TARGET_MAX];
} path_req;

static int begin(ba_wasi *w, ba_wasm_caller *caller, uint32_t fd, uint32_t ptr, uint32_t len,
                 bool write, path_req *req)
{
	uint16_t e;

	req->f = ba_wasi__fd(w, fd);
	if (!req->f)
		return WASI_EBADF;
	if ((e = read_path(caller, ptr, len, req->path)) != 0)
		return e;
	guest_join(req->f->guest_path, req->path, req->target, sizeof(req->target));
	return check_dir(w, caller, req->f, write, write ? "fs.write" : "fs.read", req->target);
}

static ba_wasm_err finish(int r, ba_wasm_value *results)
{
	return r < 0 ? BA_WASM_ERR_TRAP : ret(results, (uint16_t)r);
}

/* Records a successful mutation as an allow, so the log shows what a
 * tool changed. */
static int allow_write(ba_wasi *w, ba_wasm_caller *caller, const wasi_fd *f, const char *what,
                       const char *target)
{
	return ba_wasi__record(w, caller, true, "fs.write", target, "%s in granted %s", what,
	                       grant_of(w, f));
}

ba_wasm_err ba_wasi__path_create_directory(ba_wasm_caller *caller, void *user,
                                           const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	path_req req;
	parent_ref pr;
	int r;

	if ((r = begin(w, caller, ARG32(0), ARG32(1), ARG32(2), true, &req)) != 0)
		return finish(r, results);
	r = open_parent(w, caller, req.f, req.path, "fs.write", req.target, &pr);
	if (r == WASI_EINVAL)
		r = WASI_EEXIST; /* mkdir "." or ".." */
	if (r != 0)
		return finish(r, results);
	r = mkdirat(pr.dirfd, pr.last, 0777) == 0 ? 0 : ba_wasi__errno(errno);
	close(pr.dirfd);
	if (r == 0 && allow_write(w, caller, req.f, "mkdir", req.target) != 0)
		return BA_WASM_ERR_TRAP;
	return finish(r, results);
}

ba_wasm_err ba_wasi__path_remove_directory(ba_wasm_caller *caller, void *user,
                                           const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	path_req req;
	parent_ref pr;
	int r;

	if ((r = begin(w, caller, ARG32(0), ARG32(1), ARG32(2), true, &req)) != 0)
		return finish(r, results);
	if ((r = open_parent(w, caller, req.f, req.path, "fs.write", req.target, &pr)) != 0)
		return finish(r, results);
	r = unlinkat(pr.dirfd, pr.last, AT_REMOVEDIR) == 0 ? 0 : ba_wasi__errno(errno);
	close(pr.dirfd);
	if (r == 0 && allow_write(w, caller, req.f, "rmdir", req.target) != 0)
		return BA_WASM_ERR_TRAP;
	return finish(r, results);
}

ba_wasm_err ba_wasi__path_unlink_file(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                      ba_wasm_value *results)
{
	ba_wasi *w = user;
	path_req req;
	parent_ref pr;
	struct stat st;
	int r;

	if ((r = begin(w, caller, ARG32(0), ARG32(1), ARG32(2), true, &req)) != 0)
		return finish(r, results);
	r = open_parent(w, caller, req.f, req.path, "fs.write", req.target, &pr);
	if (r == WASI_EINVAL)
		r = WASI_EISDIR; /* "." and ".." are directories */
	if (r != 0)
		return finish(r, results);
	if (pr.trailing && fstatat(pr.dirfd, pr.last, &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
	else
		r = unlinkat(pr.dirfd, pr.last, 0) == 0 ? 0 : ba_wasi__errno(errno);
	close(pr.dirfd);
	if (r == 0 && allow_write(w, caller, req.f, "unlink", req.target) != 0)
		return BA_WASM_ERR_TRAP;
	return finish(r, results);
}

/*
 * Moving or hard-linking a symlink gives its relative target a new
 * starting point: a link that stayed inside where it was can lead out
 * one level up. 0 when name in src_dir is not a symlink or would still
 * stay beneath the destination's grant; else a recorded denial (or -1).
 */
static int check_moved_symlink(ba_wasi *w, ba_wasm_caller *caller, int src_dir, const char *name,
                               const wasi_fd *dst, int dst_dir, const char *dst_target);

ba_wasm_err ba_wasi__path_rename(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                 ba_wasm_value *results)
{
	ba_wasi *w = user;
	path_req *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	parent_ref pa = {.dirfd = -1}, pb = {.dirfd = -1};
	int r;

	if (!a || !b) {
		free(a);
		free(b);
		return ret(results, WASI_ENOMEM);
	}
	/* Both ends are writes: moving a file out of a read-only grant
	 * would change that grant. */
	r = begin(w, caller, ARG32(0), ARG32(1), ARG32(2), true, a);
	if (r == 0)
		r = begin(w, caller, ARG32(3), ARG32(4), ARG32(5), true, b);
	if (r == 0)
		r = open_parent(w, caller, a->f, a->path, "fs.write", a->target, &pa);
	if (r == 0)
		r = open_parent(w, caller, b->f, b->path, "fs.write", b->target, &pb);
	if (r == 0)
		r = check_moved_symlink(w, caller, pa.dirfd, pa.last, b->f, pb.dirfd, b->target);
	if (r == 0)
		r = renameat(pa.dirfd, pa.last, pb.dirfd, pb.last) == 0 ? 0 : ba_wasi__errno(errno);
	if (r == 0) {
		char what[TARGET_MAX + 16];
		snprintf(what, sizeof(what), "rename from %s", a->target);
		if (allow_write(w, caller, b->f, what, b->target) != 0)
			r = -1;
	}
	if (pa.dirfd >= 0)
		close(pa.dirfd);
	if (pb.dirfd >= 0)
		close(pb.dirfd);
	free(a);
	free(b);
	return finish(r, results);
}

ba_wasm_err ba_wasi__path_link(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                               ba_wasm_value *results)
{
	ba_wasi *w = user;
	path_req *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	parent_ref pa = {.dirfd = -1}, pb = {.dirfd = -1};
	bool follow = ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
	int r, src = -1;

	if (!a || !b) {
		free(a);
		free(b);
		return ret(results, WASI_ENOMEM);
	}
	/* A hard link is a second name for the same inode: both grants must
	 * be writable, or a read-only file would become writable through
	 * the new name. */
	r = begin(w, caller, ARG32(0), ARG32(2), ARG32(3), true, a);
	if (r == 0)
		r = begin(w, caller, ARG32(4), ARG32(5), ARG32(6), true, b);
	if (r == 0 && follow) {
		/* Resolve the source (following symlinks) beneath its grant
		 * and link that exact inode. */
		src = beneath(a->f->host, a->path, O_PATH, 0);
		if (src < 0)
			r = resolve_error(w, caller, a->f, errno, "fs.write", a->target);
	} else if (r == 0) {
		r = open_parent(w, caller, a->f, a->path, "fs.write", a->target, &pa);
	}
	if (r == 0)
		r = open_parent(w, caller, b->f, b->path, "fs.write", b->target, &pb);
	if (r == 0 && !follow)
		r = check_moved_symlink(w, caller, pa.dirfd, pa.last, b->f, pb.dirfd, b->target);
	if (r == 0) {
		int ok = follow ? linkat(src, "", pb.dirfd, pb.last, AT_EMPTY_PATH)
		                : linkat(pa.dirfd, pa.last, pb.dirfd, pb.last, 0);
		r = ok == 0 ? 0 : ba_wasi__errno(errno);
	}
	if (r == 0) {
		char what[TARGET_MAX + 16];
		snprintf(what, sizeof(what), "hard link to %s", a->target);
		if (allow_write(w, caller, b->f, what, b->target) != 0)
			r = -1;
	}
	if (src >= 0)
		close(src);
	if (pa.dirfd >= 0)
		close(pa.dirfd);
	if (pb.dirfd >= 0)
		close(pb.dirfd);
	free(a);
	free(b);
	return finish(r, results);
}

/*
 * How many levels below the granted directory g is dirfd? Found by
 * walking ".." on the host (never from the guest's idea of where it is:
 * a directory may have been renamed since the guest opened it). -1 when
 * the root is not found, which cannot happen for a descriptor opened
 * beneath it unless the tree changes under us - then refuse.
 */
static int real_depth(int dirfd, const wasi_grant *g)
{
	int cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), depth = 0;
	struct stat st;

	while (cur >= 0 && depth < BA_WASI_PATH_MAX) {
		int up;
		ino_t ino;
		dev_t dev;

		if (fstat(cur, &st) != 0)
			break;
		if ((uint64_t)st.st_dev == g->root_dev && (uint64_t)st.st_ino == g->root_ino) {
			close(cur);
			return depth;
		}
		ino = st.st_ino;
		dev = st.st_dev;
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = up;
		/* The host's "/" is its own parent: the root was not above. */
		if (cur >= 0 && fstat(cur, &st) == 0 && st.st_ino == ino && st.st_dev == dev)
			break;
		depth++;
	}
	if (cur >= 0)
		close(cur);
	return -1;
}

/* Walks path's components from depth d; false when ".." goes above 0. */
static bool walk(int *d, const char *path, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t s;
		while (i < len && path[i] == '/')
			i++;
		s = i;
		while (i < len && path[i] != '/')
			i++;
		if (i - s == 2 && path[s] == '.' && path[s + 1] == '.') {
			if (--*d < 0)
				return false;
		} else if (i > s && !(i - s == 1 && path[s] == '.')) {
			++*d;
		}
	}
	return true;
}

static int check_moved_symlink(ba_wasi *w, ba_wasm_caller *caller, int src_dir, const char *name,
                               const wasi_fd *dst, int dst_dir, const char *dst_target)
{
	char target[BA_WASI_PATH_MAX + 1];
	struct stat st;
	ssize_t n;
	int d;

	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
		return 0; /* the move itself reports a missing source */
	n = readlinkat(src_dir, name, target, sizeof(target));
	if (n >= 0 && (size_t)n < sizeof(target)) {
		target[n] = '\0';
		d = target[0] == '/' ? -1 : real_depth(dst_dir, &w->grants[dst->grant]);
		if (d >= 0 && walk(&d, target, (size_t)n))
			return 0;
	}
	return deny(w, caller, "fs.write", dst_target,
	            "%s would be a symlink to %.*s, which leads outside %s", dst_target,
	            n > 0 ? (int)n : 0, target, grant_of(w, dst));
}

ba_wasm_err ba_wasi__path_symlink(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                  ba_wasm_value *results)
{
	ba_wasi *w = user;
	char link_target[BA_WASI_PATH_MAX + 1];
	path_req req;
	parent_ref pr;
	int r, d;
	uint16_t e;

	if ((e = read_path(caller, ARG32(0), ARG32(1), link_target)) != 0)
		return ret(results, e);
	if ((r = begin(w, caller, ARG32(2), ARG32(3), ARG32(4), true, &req)) != 0)
		return finish(r, results);
	/* The link is resolved beneath the grant whenever the tool uses it
	 * (openat2), but the host and other tools may follow it without
	 * that protection: a link that leads out is never created. */
	if (link_target[0] == '/')
		return finish(deny(w, caller, "fs.write", req.target,
		                   "symlink %s -> %s: absolute targets are not allowed", req.target,
		                   link_target),
		              results);
	if (link_target[0] == '\0')
		return ret(results, WASI_ENOENT);
	r = open_parent(w, caller, req.f, req.path, "fs.write", req.target, &pr);
	if (r == WASI_EINVAL)
		r = WASI_EEXIST;
	if (r != 0)
		return finish(r, results);
	d = real_depth(pr.dirfd, &w->grants[req.f->grant]);
	if (d < 0 || !walk(&d, link_target, strlen(link_target))) {
		close(pr.dirfd);
		return finish(deny(w, caller, "fs.write", req.target,
		                   "symlink %s -> %s: the target leads outside %s", req.target,
		                   link_target, grant_of(w, req.f)),
		              results);
	}
	r = symlinkat(link_target, pr.dirfd, pr.last) == 0 ? 0 : ba_wasi__errno(errno);
	close(pr.dirfd);
	if (r == 0 && allow_write(w, caller, req.f, "symlink", req.target) != 0)
		return BA_WASM_ERR_TRAP;
	return finish(r, results);
}

ba_wasm_err ba_wasi__path_readlink(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                   ba_wasm_value *results)
{
	ba_wasi *w = user;
	uint32_t buf_len = ARG32(4);
	uint8_t *buf = ba_wasi__span(caller, ARG32(3), buf_len);
	uint8_t *pused = ba_wasi__span(caller, ARG32(5), 4);
	char tmp[BA_WASI_PATH_MAX];
	path_req req;
	parent_ref pr;
	ssize_t n;
	int r;

	if (!buf || !pused)
		return ret(results, WASI_EFAULT);
	if ((r = begin(w, caller, ARG32(0), ARG32(1), ARG32(2), false, &req)) != 0)
		return finish(r, results);
	if ((r = open_parent(w, caller, req.f, req.path, "fs.read", req.target, &pr)) != 0)
		return finish(r, results);
	n = readlinkat(pr.dirfd, pr.last, tmp, sizeof(tmp));
	r = n < 0 ? ba_wasi__errno(errno) : 0;
	close(pr.dirfd);
	if (r != 0)
		return finish(r, results);
	/* The contents are returned, truncated to the buffer as the spec
	 * says; they are only text, never followed here. */
	if ((size_t)n > buf_len)
		n = (ssize_t)buf_len;
	memcpy(buf, tmp, (size_t)n);
	ba_wasi__put32(pused, (uint32_t)n);
	return ret(results, WASI_ESUCCESS);
}

/* Does the final component name the directory itself ("", ".", "a/.",
 * "a/..")? Those have no parent-and-name form and are never symlinks. */
static bool ends_in_dot(const char *path)
{
	size_t n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return true;
	if (path[n - 1] != '.')
		return false;
	if (n == 1 || path[n - 2] == '/')
		return true;
	return path[n - 2] == '.' && (n == 2 || path[n - 3] == '/');
}

ba_wasm_err ba_wasi__path_filestat_get(ba_wasm_caller *caller, void *user,
                                       const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	uint8_t *p = ba_wasi__span(caller, ARG32(4), WASI_FILESTAT_SIZE);
	bool follow = ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
	path_req req;
	parent_ref pr;
	struct stat st;
	int r, fd;
	uint16_t e;

	if (!p)
		return ret(results, WASI_EFAULT);
	req.f = ba_wasi__fd(w, ARG32(0));
	if (!req.f)
		return ret(results, WASI_EBADF);
	if ((e = read_path(caller, ARG32(2), ARG32(3), req.path)) != 0)
		return ret(results, e);
	/* The virtual root and a single-file grant can describe
	 * themselves. */
	if (req.f->kind == WASI_FD_ROOT && is_self(req.path)) {
		memset(p, 0, WASI_FILESTAT_SIZE);
		p[16] = WASI_FILETYPE_DIRECTORY;
		ba_wasi__put64(p + 24, 1);
		return ret(results, WASI_ESUCCESS);
	}
	if (req.f->kind == WASI_FD_SINGLE && is_self(req.path)) {
		if (fstatat(req.f->host, w->grants[req.f->grant].single_base, &st,
		            AT_SYMLINK_NOFOLLOW) != 0)
			return ret(results, ba_wasi__errno(errno));
		ba_wasi__put_filestat(p, &st);
		return ret(results, WASI_ESUCCESS);
	}
	guest_join(req.f->guest_path, req.path, req.target, sizeof(req.target));
	if ((r = check_dir(w, caller, req.f, false, "fs.read", req.target)) != 0)
		return finish(r, results);
	if (follow || ends_in_dot(req.path)) {
		fd = beneath(req.f->host, req.path[0] ? req.path : ".", O_PATH, 0);
		if (fd < 0)
			return finish(resolve_error(w, caller, req.f, errno, "fs.read", req.target),
			              results);
		r = fstat(fd, &st) == 0 ? 0 : ba_wasi__errno(errno);
		close(fd);
	} else {
		if ((r = open_parent(w, caller, req.f, req.path, "fs.read", req.target, &pr)) != 0)
			return finish(r, results);
		r = fstatat(pr.dirfd, pr.last, &st, AT_SYMLINK_NOFOLLOW) == 0
		            ? 0
		            : ba_wasi__errno(errno);
		if (r == 0 && pr.trailing && !S_ISDIR(st.st_mode))
			r = WASI_ENOTDIR;
		close(pr.dirfd);
	}
	if (r != 0)
		return finish(r, results);
	ba_wasi__put_filestat(p, &st);
	return ret(results, WASI_ESUCCESS);
}

ba_wasm_err ba_wasi__path_filestat_set_times(ba_wasm_caller *caller, void *user,
                                             const ba_wasm_value *args, ba_wasm_value *results)
{
	ba_wasi *w = user;
	bool follow = ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
	struct timespec ts[2];
	path_req req;
	parent_ref pr;
	int r, fd;
	uint16_t e;

	if ((e = ba_wasi__times(ARG64(4), ARG64(5), ARG32(6), ts)) != 0)
		return ret(results, e);
	if ((r = begin(w, caller, ARG32(0), ARG32(2), ARG32(3), true, &req)) != 0)
		return finish(r, results);
	if (follow || ends_in_dot(req.path)) {
		fd = beneath(req.f->host, req.path[0] ? req.path : ".", O_PATH, 0);
		if (fd < 0)
			return finish(
			        resolve_error(w, caller, req.f, errno, "fs.write", req.target),
			        results);
		r = utimensat(fd, "", ts, AT_EMPTY_PATH);
		if (r != 0 && errno == EINVAL) {
			/* Kernels before AT_EMPTY_PATH support in utimensat:
			 * the same inode through this process's own fd link. */
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			r = utimensat(AT_FDCWD, proc, ts, 0);
		}
		r = r == 0 ? 0 : ba_wasi__errno(errno);
		close(fd);
	} else {
		if ((r = open_parent(w, caller, req.f, req.path, "fs.write", req.target, &pr)) != 0)
			return finish(r, results);
		r = utimensat(pr.dirfd, pr.last, ts, AT_SYMLINK_NOFOLLOW) == 0
		            ? 0
		            : ba_wasi__errno(errno);
		close(pr.dirfd);
	}
	return finish(r, results);
}

/* ------------------------------------------------------------------------ */
/* fd_readdir                                                               */
/* ------------------------------------------------------------------------ */

static uint8_t dirent_type(DIR *d, const struct dirent *e)
{
	struct stat st;

	switch (e->d_type) {
	case DT_REG:
		return WASI_FILETYPE_REGULAR_FILE;
	case DT_DIR:
		return WASI_FILETYPE_DIRECTORY;
	case DT_LNK:
		return WASI_FILETYPE_SYMBOLIC_LINK;
	case DT_CHR:
		return WASI_FILETYPE_CHARACTER_DEVICE;
	case DT_BLK:
		return WASI_FILETYPE_BLOCK_DEVICE;
	case DT_SOCK:
		return WASI_FILETYPE_SOCKET_STREAM;
	case DT_UNKNOWN:
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return ba_wasi__filetype(st.st_mode);
		return WASI_FILETYPE_UNKNOWN;
	default:
		return WASI_FILETYPE_UNKNOWN;
	}
}

/*
 * Fills buf with dirents from position cookie: each a 24-byte header
 * (d_next, d_ino, d_namlen, d_type) and the name. The last entry is cut
 * off at the end of the buffer, as the spec asks, and the stream is put
 * back before it, so the next call with the last whole entry's d_next
 * starts there. Cookies are entry indexes, so they stay valid however
 * the host numbers its directory offsets.
 */
ba_wasm_err ba_wasi__fd_readdir(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                                ba_wasm_value *results)
{
	ba_wasi *w = user;
	wasi_fd *f = ba_wasi__fd(w, ARG32(0));
	uint32_t buf_len = ARG32(2);
	uint64_t cookie = ARG64(3);
	uint8_t *buf, *pused;
	size_t used = 0;

	if (!f)
		return ret(results, WASI_EBADF);
	buf = ba_wasi__span(caller, ARG32(1), buf_len);
	pused = ba_wasi__span(caller, ARG32(4), 4);
	if (!buf || !pused)
		return ret(results, WASI_EFAULT);
	if (f->kind == WASI_FD_ROOT) {
		ba_wasi__put32(pused, 0);
		return ret(results, WASI_ESUCCESS);
	}
	if (f->kind != WASI_FD_DIR)
		return ret(results, f->kind == WASI_FD_FILE || f->kind == WASI_FD_SINGLE
		                            ? WASI_ENOTDIR
		                            : WASI_EBADF);
	if (!(f->rights_base & WASI_RIGHT_FD_READDIR))
		return ret(results, WASI_ENOTCAPABLE);
	if (!f->dir) {
		/* A descriptor of its own, so the stream's position is not
		 * shared with the fd the guest holds. */
		int d = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d < 0)
			return ret(results, ba_wasi__errno(errno));
		f->dir = fdopendir(d);
		if (!f->dir) {
			uint16_t e = ba_wasi__errno(errno);
			close(d);
			return ret(results, e);
		}
		f->dir_pos = 0;
	}
	if (cookie < f->dir_pos) {
		rewinddir(f->dir);
		f->dir_pos = 0;
	}
	while (f->dir_pos < cookie) {
		errno = 0;
		if (!readdir(f->dir)) {
			if (errno)
				return ret(results, ba_wasi__errno(errno));
			break;
		}
		f->dir_pos++;
	}
	while (used < buf_len) {
		long loc = telldir(f->dir);
		struct dirent *e;
		uint8_t head[WASI_DIRENT_SIZE];
		size_t namlen, full, take;

		errno = 0;
		e = readdir(f->dir);
		if (!e) {
			if (errno)
				return ret(results, ba_wasi__errno(errno));
			break;
		}
		namlen = strlen(e->d_name);
		memset(head, 0, sizeof(head));
		ba_wasi__put64(head, f->dir_pos + 1);
		ba_wasi__put64(head + 8, (uint64_t)e->d_ino);
		ba_wasi__put32(head + 16, (uint32_t)namlen);
		head[20] = dirent_type(f->dir, e);
		full = sizeof(head) + namlen;
		take = buf_len - used < full ? buf_len - used : full;
		memcpy(buf + used, head, take < sizeof(head) ? take : sizeof(head));
		if (take > sizeof(head))
			memcpy(buf + used + sizeof(head), e->d_name, take - sizeof(head));
		used += take;
		if (take < full) {
			/* Cut off: the guest sees a full buffer and asks again
			 * from the last whole entry, so read this one again. */
			seekdir(f->dir, loc);
			break;
		}
		f->dir_pos++;
	}
	ba_wasi__put32(pused, (uint32_t)used);
	return ret(results, WASI_ESUCCESS);
}
