/*
 * parse.h - strict parsers for numbers, sizes and durations that people
 * type on command lines and in manifests.
 *
 * Each returns NULL on success or a static message saying what is wrong
 * (so callers can print it at no cost). Leading/trailing junk, signs where
 * none belong, overflow and empty strings are all errors; nothing is
 * silently clamped.
 */
#ifndef BA_CORE_PARSE_H
#define BA_CORE_PARSE_H

#include <stdint.h>

/* Decimal, or hexadecimal with 0x. */
const char *ba_parse_u64(const char *text, uint64_t *out);

/* A byte size: a whole number with an optional unit, case-insensitive:
 * B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB. Units are binary (1K = 1024)
 * in both spellings, as memory sizes conventionally are. "64MiB", "1g". */
const char *ba_parse_size(const char *text, uint64_t *bytes);

/* A duration: a number (decimals allowed) with a unit ns, us, ms, s, m, h;
 * a bare number means seconds. "10s", "250ms", "1.5m". Result in ns. */
const char *ba_parse_duration(const char *text, uint64_t *ns);

#endif /* BA_CORE_PARSE_H */
