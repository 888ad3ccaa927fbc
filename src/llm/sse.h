/*
 * sse.h - an incremental parser for server-sent events
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * Bytes go in in any split; one callback per dispatched event with its
 * "event" name ("" when none; the spec's default is "message") and its
 * data (the "data:" lines joined with '\n'). Lines end in "\n", "\r\n" or
 * "\r" (also split across feeds); a leading BOM is skipped; comment lines
 * (":") and "id"/"retry" fields are ignored; an event is dispatched on a
 * blank line, and one pending at the end of input is dispatched by
 * ba_sse_finish() (servers that omit the last blank line exist).
 */
#ifndef BA_LLM_SSE_H
#define BA_LLM_SSE_H

#include <stddef.h>

#include "core/buf.h"

/* Returns 0 to go on, non-zero to stop parsing (returned by feed). */
typedef int (*ba_sse_event_fn)(void *user, const char *event, const char *data, size_t data_len);

typedef struct ba_sse_parser {
	ba_sse_event_fn on_event;
	void *user;
	ba_buf line;  /* the line being read                         */
	ba_buf event; /* event name                                  */
	ba_buf data;  /* data lines so far                            */
	int state;    /* internal: CR seen, BOM checked, data seen    */
	size_t events;
} ba_sse_parser;

/* max_event caps one line and one event's data (over it: feed -1). */
void ba_sse_init(ba_sse_parser *p, size_t max_event, ba_sse_event_fn on_event, void *user);
/* 0, -1 when an event or line is over the cap (or no memory), or the
 * callback's non-zero value. */
int ba_sse_feed(ba_sse_parser *p, const char *data, size_t len);
int ba_sse_finish(ba_sse_parser *p);
void ba_sse_release(ba_sse_parser *p);

#endif /* BA_LLM_SSE_H */
