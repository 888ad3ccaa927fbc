/*
 * limit_hostcall_storm: a million denied host calls.
 *
 * No network grants. The tool calls http_request a million times; each is
 * denied (and recorded). Run with --timeout 3s: the run must end by the
 * deadline or fuel - host calls count against the wall clock - and never
 * hang. The harness reports how many deny records the storm wrote (a
 * tool can fill the audit log's disk this way).
 * Proves: host calls cannot be used to escape the time limit.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

int main(void)
{
	const char *url = "http://127.0.0.1:9/";
	long denied = 0;

	for (long i = 0; i < 1000000; i++) {
		int32_t handle = 0;
		int32_t st = ba_http_request(P("GET"), 3, P(url), (uint32_t)strlen(url), 0, 0, 0, 0,
		                             P(&handle));
		if (st == BA_OK)
			escaped("request %ld to an ungranted host succeeded", i);
		denied++;
	}
	blocked("all %ld requests refused", denied);
}
