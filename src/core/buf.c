/*
 * buf.c - capped growable byte buffer; see buf.h.
 */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ba_buf_init(ba_buf *buf, size_t limit)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->limit = limit;
}

void ba_buf_release(ba_buf *buf)
{
	free(buf->data);
	ba_buf_init(buf, buf->limit);
}

void ba_buf_reset(ba_buf *buf)
{
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

/* Makes room for len + extra bytes plus the NUL. */
static int reserve(ba_buf *buf, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > buf->limit || buf->len > buf->limit - extra)
		return -1;
	want = buf->len + extra + 1;
	if (want <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(buf->data, cap);
	if (!p)
		return -1;
	buf->data = p;
	buf->cap = cap;
	return 0;
}

int ba_buf_append(ba_buf *buf, const void *data, size_t len)
{
	if (reserve(buf, len) != 0)
		return -1;
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int ba_buf_append_str(ba_buf *buf, const char *str)
{
	return ba_buf_append(buf, str, strlen(str));
}

int ba_buf_vprintf(ba_buf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || reserve(buf, (size_t)n) != 0)
		return -1;
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

int ba_buf_printf(ba_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ba_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

char *ba_buf_detach(ba_buf *buf, size_t *len)
{
	char *p;

	if (!buf->data && reserve(buf, 0) != 0)
		return NULL;
	if (!buf->data)
		return NULL;
	buf->data[buf->len] = '\0';
	p = buf->data;
	if (len)
		*len = buf->len;
	ba_buf_init(buf, buf->limit);
	return p;
}
