/*
 * abi.h - the "boxagent" import module: the host calls a tool may make
 * beyond WASI (docs/tool-abi.md is the guest-facing reference).
 *
 * Every network request goes through ba_egress_fetch(); this file only
 * moves bytes between guest memory and the egress layer, checking every
 * pointer and capping every length first. Responses are buffered on the
 * host (capped by the egress response cap) and read out through handles.
 */
#ifndef BA_TOOL_ABI_H
#define BA_TOOL_ABI_H

#include "sandbox/egress.h"
#include "sandbox/linker.h"

#define BA_ABI_MAX_RESPONSES 16
#define BA_ABI_METHOD_MAX    16
/* Response bytes the host holds for one tool at once (open handles). */
#define BA_ABI_MAX_HELD_BYTES (64u << 20)

/* Status codes returned to the guest (docs/tool-abi.md). */
enum {
	BA_ABI_OK = 0,
	BA_ABI_DENIED = 1,
	BA_ABI_INVALID = 2,
	BA_ABI_FAILED = 3,
	BA_ABI_TOO_LARGE = 4,
	BA_ABI_TIMEOUT = 5,
	BA_ABI_FAULT = 6,
	BA_ABI_LIMIT = 7,
};

typedef struct ba_abi ba_abi;

/* egress: borrowed, may be NULL (then every request is DENIED with
 * "this tool has no network capability"). max_request_bytes caps bodies. */
ba_abi *ba_abi_new(ba_egress *egress, size_t max_request_bytes);
void ba_abi_free(ba_abi *abi);

/* Defines the boxagent.* functions in linker. 0 or -1. */
int ba_abi_link(ba_abi *abi, ba_linker *linker);

/* The number of requests the tool made, and how many were denied. */
void ba_abi_stats(const ba_abi *abi, unsigned *requests, unsigned *denied);

#endif
