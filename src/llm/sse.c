/*
 * sse.c - incremental server-sent events parser; see sse.h.
 *
 * The parser never looks back: each byte is consumed once, lines are
 * gathered in p->line (capped) and fields are applied when a line ends.
 * A CR at the end of one feed and the LF at the start of the next are one
 * line ending, so state keeps "the last byte was CR" across feeds, and a
 * BOM split across feeds is matched byte by byte before any line starts.
 */
#include "llm/sse.h"

#include <stdbool.h>
#include <string.h>

/* Bits of p->state. */
enum {
	ST_CR = 1 << 0,       /* the last byte ended a line with CR        */
	ST_BOM_DONE = 1 << 1, /* the leading BOM was skipped or is absent   */
	ST_DATA = 1 << 2,     /* the pending event has a data field        */
	ST_FAILED = 1 << 3,   /* over a cap or stopped: refuse more input  */
	ST_BOM_SHIFT = 4,     /* bits 4-5: BOM bytes matched so far        */
	ST_BOM_MASK = 3 << ST_BOM_SHIFT,
};

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

void ba_sse_init(ba_sse_parser *p, size_t max_event, ba_sse_event_fn on_event, void *user)
{
	memset(p, 0, sizeof(*p));
	p->on_event = on_event;
	p->user = user;
	/* The caps live in the buffers: a line, an event name and the joined
	 * data each stay within max_event bytes. */
	ba_buf_init(&p->line, max_event);
	ba_buf_init(&p->event, max_event);
	ba_buf_init(&p->data, max_event);
}

void ba_sse_release(ba_sse_parser *p)
{
	ba_buf_release(&p->line);
	ba_buf_release(&p->event);
	ba_buf_release(&p->data);
	p->state = 0;
}

/* Dispatches the pending event, if it has data, and starts a new one. */
static int dispatch(ba_sse_parser *p)
{
	int rc = 0;

	if (p->state & ST_DATA) {
		p->events++;
		rc = p->on_event(p->user, p->event.data ? p->event.data : "",
		                 p->data.data ? p->data.data : "", p->data.len);
	}
	ba_buf_reset(&p->event);
	ba_buf_reset(&p->data);
	p->state &= ~ST_DATA;
	return rc;
}

/* Applies one complete line (without its line ending). */
static int process_line(ba_sse_parser *p, const char *line, size_t len)
{
	const char *colon, *value;
	size_t name_len, value_len;

	if (len == 0)
		return dispatch(p);
	if (line[0] == ':')
		return 0; /* a comment, often a keep-alive */
	colon = memchr(line, ':', len);
	if (colon) {
		name_len = (size_t)(colon - line);
		value = colon + 1;
		value_len = len - name_len - 1;
		if (value_len > 0 && value[0] == ' ') {
			value++;
			value_len--;
		}
	} else {
		name_len = len;
		value = "";
		value_len = 0;
	}
	if (name_len == 5 && memcmp(line, "event", 5) == 0) {
		ba_buf_reset(&p->event);
		return ba_buf_append(&p->event, value, value_len) == 0 ? 0 : -1;
	}
	if (name_len == 4 && memcmp(line, "data", 4) == 0) {
		if ((p->state & ST_DATA) && ba_buf_append(&p->data, "\n", 1) != 0)
			return -1;
		if (ba_buf_append(&p->data, value, value_len) != 0)
			return -1;
		p->state |= ST_DATA;
		return 0;
	}
	/* "id", "retry" and unknown fields mean nothing to a model's stream. */
	return 0;
}

/* Ends the line gathered so far. */
static int end_line(ba_sse_parser *p)
{
	int rc = process_line(p, p->line.data ? p->line.data : "", p->line.len);
	ba_buf_reset(&p->line);
	return rc;
}

/* Feeds bytes once the BOM question is settled. */
static int feed_lines(ba_sse_parser *p, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (p->state & ST_CR) {
			p->state &= ~ST_CR;
			if (data[i] == '\n') {
				i++; /* the LF of a CRLF split from its CR */
				continue;
			}
		}
		/* The longest run without a line ending. */
		size_t j = i;
		while (j < len && data[j] != '\n' && data[j] != '\r')
			j++;
		if (j > i) {
			if (j - i > p->line.limit)
				return -1; /* checked here too, for the no-copy path */
			if (p->line.len == 0 && j < len) {
				/* A whole line in this feed: no copy needed. */
				int rc = process_line(p, data + i, j - i);
				if (rc != 0)
					return rc;
				goto ended;
			}
			if (ba_buf_append(&p->line, data + i, j - i) != 0)
				return -1;
		}
		if (j == len)
			break;
		{
			int rc = end_line(p);
			if (rc != 0)
				return rc;
		}
	ended:
		if (data[j] == '\r')
			p->state |= ST_CR;
		i = j + 1;
	}
	return 0;
}

/* Feeds bytes, first matching a leading BOM (possibly split across feeds). */
static int feed_bytes(ba_sse_parser *p, const char *data, size_t len)
{
	while (!(p->state & ST_BOM_DONE) && len > 0) {
		unsigned matched = ((unsigned)p->state & ST_BOM_MASK) >> ST_BOM_SHIFT;
		if ((unsigned char)data[0] == bom[matched]) {
			matched++;
			data++;
			len--;
			p->state = (p->state & ~ST_BOM_MASK) | (int)(matched << ST_BOM_SHIFT);
			if (matched == sizeof(bom))
				p->state = (p->state & ~ST_BOM_MASK) | ST_BOM_DONE;
			continue;
		}
		/* Not a BOM after all: the bytes held back are ordinary input. */
		p->state = (p->state & ~ST_BOM_MASK) | ST_BOM_DONE;
		if (matched > 0) {
			int rc = feed_lines(p, (const char *)bom, matched);
			if (rc != 0)
				return rc;
		}
	}
	return len > 0 ? feed_lines(p, data, len) : 0;
}

int ba_sse_feed(ba_sse_parser *p, const char *data, size_t len)
{
	if (p->state & ST_FAILED)
		return -1;
	int rc = feed_bytes(p, data, len);
	if (rc != 0)
		p->state |= ST_FAILED;
	return rc;
}

int ba_sse_finish(ba_sse_parser *p)
{
	int rc;

	if (p->state & ST_FAILED)
		return -1;
	if (!(p->state & ST_BOM_DONE)) {
		/* Input that ended inside what looked like a BOM: those bytes
		 * are a (partial) line of their own. */
		unsigned matched = ((unsigned)p->state & ST_BOM_MASK) >> ST_BOM_SHIFT;
		p->state = (p->state & ~ST_BOM_MASK) | ST_BOM_DONE;
		rc = matched ? feed_lines(p, (const char *)bom, matched) : 0;
		if (rc != 0)
			goto out;
	}
	/* A last line without its line ending, then an event without its
	 * blank line: both are dispatched (see sse.h). */
	rc = p->line.len > 0 ? end_line(p) : 0;
	if (rc == 0)
		rc = dispatch(p);
out:
	if (rc != 0)
		p->state |= ST_FAILED;
	return rc;
}
