/*
 * parse.c - strict number, size and duration parsers; see parse.h.
 */
#include "core/parse.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Reads digits in base 10 or 16 at *p; advances *p. */
static const char *read_digits(const char **p, unsigned base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int any = 0;

	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return "number too large";
		v = v * base + d;
		any = 1;
	}
	if (!any)
		return "expected a number";
	*p = s;
	*out = v;
	return NULL;
}

const char *ba_parse_u64(const char *text, uint64_t *out)
{
	const char *p = text, *err;
	unsigned base = 10;

	if (!text || !*text)
		return "empty number";
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	err = read_digits(&p, base, out);
	if (err)
		return err;
	if (*p)
		return "unexpected characters after the number";
	return NULL;
}

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit size_units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1ull << 10},
        {"kb", 1ull << 10},
        {"kib", 1ull << 10},
        {"m", 1ull << 20},
        {"mb", 1ull << 20},
        {"mib", 1ull << 20},
        {"g", 1ull << 30},
        {"gb", 1ull << 30},
        {"gib", 1ull << 30},
        {"t", 1ull << 40},
        {"tb", 1ull << 40},
        {"tib", 1ull << 40},
};

const char *ba_parse_size(const char *text, uint64_t *bytes)
{
	const char *p = text, *err;
	uint64_t v;

	if (!text || !*text)
		return "empty size";
	err = read_digits(&p, 10, &v);
	if (err)
		return err;
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcasecmp(p, size_units[i].name) == 0) {
			if (v > UINT64_MAX / size_units[i].factor)
				return "size too large";
			*bytes = v * size_units[i].factor;
			return NULL;
		}
	}
	return "unknown size unit (use B, KiB, MiB, GiB or TiB)";
}

static const struct unit time_units[] = {
        {"", 1000000000ull},
        {"ns", 1ull},
        {"us", 1000ull},
        {"ms", 1000000ull},
        {"s", 1000000000ull},
        {"m", 60ull * 1000000000ull},
        {"h", 3600ull * 1000000000ull},
};

const char *ba_parse_duration(const char *text, uint64_t *ns)
{
	const char *p = text, *err;
	uint64_t whole, frac = 0, frac_scale = 1;

	if (!text || !*text)
		return "empty duration";
	err = read_digits(&p, 10, &whole);
	if (err)
		return err;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return "expected digits after the decimal point";
		/* Nine fractional digits are enough for nanoseconds of an hour
		 * unit's 3.6e12; the rest cannot matter and is ignored. */
		for (int n = 0; isdigit((unsigned char)*p); p++, n++) {
			if (n < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_scale *= 10;
			}
		}
	}
	for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++) {
		uint64_t f = time_units[i].factor;
		if (strcmp(p, time_units[i].name) != 0)
			continue;
		if (whole > UINT64_MAX / f)
			return "duration too long";
		/* frac / frac_scale * f, computed without overflow: f is at most
		 * 3.6e12 and frac_scale at most 1e9, so split f. */
		uint64_t part = (frac * (f / frac_scale)) + (frac * (f % frac_scale)) / frac_scale;
		if (whole * f > UINT64_MAX - part)
			return "duration too long";
		*ns = whole * f + part;
		return NULL;
	}
	return "unknown duration unit (use ns, us, ms, s, m or h)";
}
