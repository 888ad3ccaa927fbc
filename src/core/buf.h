/*
 * buf.h - a growable byte buffer with a mandatory cap.
 *
 * Every size that comes from outside (a file, a guest, a network peer)
 * goes through a capped buffer: appending past the cap fails cleanly
 * instead of growing without bound. The data is always NUL-terminated
 * (the NUL is not counted in len), so text can be printed directly.
 *
 *   ba_buf b;
 *   ba_buf_init(&b, 1 << 20);           // at most 1 MiB
 *   if (ba_buf_append(&b, p, n) != 0)   // -1: over the cap or no memory
 *   ...
 *   ba_buf_release(&b);
 */
#ifndef BA_CORE_BUF_H
#define BA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ba_buf {
	char *data;   /* owned; NULL until the first append          */
	size_t len;   /* bytes in use, excluding the terminating NUL */
	size_t cap;   /* bytes allocated                             */
	size_t limit; /* the most len may ever be                    */
} ba_buf;

void ba_buf_init(ba_buf *buf, size_t limit);
/* Frees the data and leaves an empty buffer with the same limit. */
void ba_buf_release(ba_buf *buf);
/* Drops the contents but keeps the memory. */
void ba_buf_reset(ba_buf *buf);

/* Each returns 0, or -1 when the result would pass the limit or memory
 * runs out; on -1 the buffer is unchanged. */
int ba_buf_append(ba_buf *buf, const void *data, size_t len) __attribute__((warn_unused_result));
int ba_buf_append_str(ba_buf *buf, const char *str) __attribute__((warn_unused_result));
int ba_buf_printf(ba_buf *buf, const char *fmt, ...)
        __attribute__((format(printf, 2, 3), warn_unused_result));
int ba_buf_vprintf(ba_buf *buf, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0), warn_unused_result));

/* Hands the data to the caller (taken; free() it) and empties the buffer.
 * Never NULL: an empty buffer yields an allocated "". NULL only when out
 * of memory. */
char *ba_buf_detach(ba_buf *buf, size_t *len);

#endif /* BA_CORE_BUF_H */
