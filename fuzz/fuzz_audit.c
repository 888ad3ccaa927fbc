/*
 * fuzz_audit.c - libFuzzer target: the audit log's readers and writer
 * (sandbox/audit.h).
 *
 * `boxagent audit verify` and `audit list` read a file anyone with access
 * to the operator's home could have edited, and a tool run continues
 * whatever log it finds. Each input becomes a log file and a head file in
 * a private temporary folder; then ba_audit_verify and ba_audit_list run
 * on them, and, when the input asks, a writer continues the log and writes
 * a fresh one. Besides crashes, leaks (file descriptors included: libFuzzer
 * would run out) and sanitizer reports this target aborts when:
 *
 *   - verify fails to read a readable file, leaves its message
 *     unterminated, or says "ok" with a bad line;
 *   - verify says "ok" about a log that is not intact by audit.h's own
 *     definition, checked here independently: every line complete, at
 *     most BA_AUDIT_LINE_MAX bytes, ending in ,"hash":"<64 hex>"} with
 *     the SHA-256 of the bytes before it, a JSON object without duplicate
 *     keys whose "seq" counts from 1 and whose "prev" is the line before's
 *     hash (64 zeros first), and a well-formed head file naming the last
 *     line (or the one before, for an interrupted append);
 *   - list disagrees with verify (an intact log must list every line),
 *     hands out a line that is not NUL-terminated at len or holds a
 *     newline, or "last N" is not the last N of the same filter;
 *   - a writer refuses to continue an intact log, breaks it by
 *     continuing it, or changes where a broken one breaks;
 *   - records written to a fresh log do not verify, or their fields do not
 *     read back as written: valid UTF-8 exactly, each byte that is not
 *     valid UTF-8 as U+00XX, a long field cut to a prefix ending in "...".
 *
 * Input: byte 0 flags (bits 0-1 head file: none, the input's first line,
 * made to match the last line, made one record behind; bit 2 recompute
 * every line's "hash", and its "prev" too unless bit 7 is set, so that
 * the chain holds, or breaks only where "prev" was edited; bit 3 list
 * with a filter; bit 4 run the writer; bits 5-6 "last N"), byte 1 the
 * filter, then the head line (head mode 1) and the log.
 */
#include "check.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "sandbox/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HASH_KEY    ",\"hash\":\""
#define HASH_SUFFIX (sizeof(HASH_KEY) - 1 + 64 + 2)
#define ZEROS       "0000000000000000000000000000000000000000000000000000000000000000"
/* Fields this short fit any field's budget even if every byte becomes a
 * 6-byte \u00XX escape (the smallest budget, for capability and address,
 * is 256 bytes). */
#define SURELY_FITS 42

static char dir[256], log_path[300], head_path[310], fresh_path[310], fresh_head[320];

static void cleanup(void)
{
	unlink(log_path);
	unlink(head_path);
	unlink(fresh_head);
	unlink(fresh_path);
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/fresh", dir);
	rmdir(sub);
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (dir[0])
		return;
	if (!tmp || !*tmp)
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/ba-fuzz-audit-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("fuzz_audit: mkdtemp");
		abort();
	}
	snprintf(log_path, sizeof(log_path), "%s/audit.log", dir);
	snprintf(head_path, sizeof(head_path), "%s.head", log_path);
	snprintf(fresh_path, sizeof(fresh_path), "%s/fresh/audit.log", dir);
	snprintf(fresh_head, sizeof(fresh_head), "%s.head", fresh_path);
	atexit(cleanup);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n || close(fd) != 0) {
		perror("fuzz_audit: write");
		abort();
	}
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Bit 2: gives every line that has the shape its true hash and, with
 * fix_prev, the previous line's hash as "prev". */
static void fix_chain(char *log, size_t len, bool fix_prev)
{
	char prev[65] = ZEROS, hex[BA_SHA256_HEX_SIZE];

	for (size_t i = 0; i < len;) {
		char *line = log + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		char *p = memmem(line, n, "\"prev\":\"", 8);
		if (fix_prev && p && (size_t)(p - line) + 8 + 64 <= n)
			memcpy(p + 8, prev, 64);
		if (n >= HASH_SUFFIX + 2 &&
		    memcmp(line + n - HASH_SUFFIX, HASH_KEY, sizeof(HASH_KEY) - 1) == 0) {
			ba_sha256_hex_of(line, n - HASH_SUFFIX, hex);
			memcpy(line + n - 66, hex, 64);
			line[n - 2] = '"';
			line[n - 1] = '}';
		}
		if (n >= 66)
			memcpy(prev, line + n - 66, 64);
		i += n + 1;
	}
}

/* The head text for modes 2 and 3, from the last complete line. */
static int make_head(const char *log, size_t len, bool behind, char *out, size_t out_len)
{
	size_t end = len;
	while (end > 0 && log[end - 1] != '\n')
		end--; /* drop an incomplete last line */
	if (end == 0)
		return snprintf(out, out_len, "0 %s\n", ZEROS);
	size_t start = end - 1;
	while (start > 0 && log[start - 1] != '\n')
		start--;
	unsigned long long seq = 1;
	const char *hash = ZEROS, *prev = ZEROS;
	json_t *root = json_loadb(log + start, end - 1 - start, 0, NULL);
	json_t *v = json_object_get(root, "seq");
	if (json_is_integer(v))
		seq = (unsigned long long)json_integer_value(v);
	v = json_object_get(root, "hash");
	if (json_is_string(v) && strlen(json_string_value(v)) == 64)
		hash = json_string_value(v);
	v = json_object_get(root, "prev");
	if (json_is_string(v) && strlen(json_string_value(v)) == 64)
		prev = json_string_value(v);
	int n = behind ? snprintf(out, out_len, "%llu %s\n", seq - 1, prev)
	               : snprintf(out, out_len, "%llu %s\n", seq, hash);
	json_decref(root);
	return n;
}

/* Reads the head text strictly, as audit.h describes it. */
static bool parse_head(const char *h, size_t n, unsigned long long *seq, char hash[65])
{
	char buf[130], *end;
	if (n == 0 || n >= sizeof(buf) || h[0] < '0' || h[0] > '9')
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	errno = 0;
	*seq = strtoull(buf, &end, 10);
	if (errno || *end != ' ' || (size_t)(end - buf) + 66 != n || !is_hex64(end + 1) ||
	    end[65] != '\n')
		return false;
	memcpy(hash, end + 1, 64);
	hash[64] = '\0';
	return true;
}

/* Is the log intact by audit.h's definition? *lines gets its line count. */
static bool intact(const char *log, size_t len, const char *head, size_t head_len, bool has_head,
                   uint64_t *lines)
{
	char prev[65] = ZEROS, last_prev[65] = ZEROS, hex[BA_SHA256_HEX_SIZE];
	uint64_t seq = 0;
	bool ok = true;

	for (size_t i = 0; i < len && ok;) {
		const char *line = log + i, *nl = memchr(line, '\n', len - i);
		if (!nl)
			return false;
		size_t n = (size_t)(nl - line);
		i += n + 1;
		if (n + 1 > BA_AUDIT_LINE_MAX || n < HASH_SUFFIX + 2 ||
		    memcmp(line + n - HASH_SUFFIX, HASH_KEY, sizeof(HASH_KEY) - 1) != 0 ||
		    !is_hex64(line + n - 66) || line[n - 2] != '"' || line[n - 1] != '}')
			return false;
		ba_sha256_hex_of(line, n - HASH_SUFFIX, hex);
		if (memcmp(hex, line + n - 66, 64) != 0)
			return false;
		json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
		json_t *s = json_object_get(root, "seq"), *p = json_object_get(root, "prev"),
		       *h = json_object_get(root, "hash");
		ok = json_is_object(root) && json_is_integer(s) &&
		     (uint64_t)json_integer_value(s) == seq + 1 && json_is_string(p) &&
		     strcmp(json_string_value(p), prev) == 0 && json_is_string(h) &&
		     strcmp(json_string_value(h), hex) == 0;
		json_decref(root);
		memcpy(last_prev, prev, 65);
		memcpy(prev, hex, 64);
		seq++;
	}
	if (!ok)
		return false;
	*lines = seq;
	unsigned long long hseq = 0;
	char hhash[65];
	if (has_head && !parse_head(head, head_len, &hseq, hhash))
		return false;
	if (seq == 0)
		return !has_head || hseq == 0;
	return has_head && ((hseq == seq && strcmp(hhash, prev) == 0) ||
	                    (hseq + 1 == seq && strcmp(hhash, last_prev) == 0));
}

/* ------------------------------------------------------------- listing */

typedef struct listed {
	uint64_t count;
	char *text; /* every line, each followed by '\n' */
	size_t len;
} listed;

static void on_line(const char *line, size_t len, void *user)
{
	listed *l = user;
	if (strlen(line) != len || memchr(line, '\n', len))
		ba_fuzz_fail("list: a line of %zu bytes is not terminated at its length, or holds "
		             "a newline",
		             len);
	char *t = realloc(l->text, l->len + len + 1);
	if (!t)
		abort();
	memcpy(t + l->len, line, len);
	t[l->len + len] = '\n';
	l->text = t;
	l->len += len + 1;
	l->count++;
}

static int list(const char *path, const ba_audit_filter *f, listed *l)
{
	char err[512];

	memset(l, 0, sizeof(*l));
	memset(err, 0xa5, sizeof(err));
	int rc = ba_audit_list(path, f, on_line, l, err, sizeof(err));
	if (rc != 0 && (rc != -1 || !memchr(err, '\0', sizeof(err)) || !err[0]))
		ba_fuzz_fail("list: returned %d without a message", rc);
	return rc;
}

static void check_filtered(const ba_audit_filter *base)
{
	listed all, last;
	ba_audit_filter f = *base;
	uint64_t n = f.last;

	f.last = 0;
	int rc = list(log_path, &f, &all);
	f.last = n;
	int rc2 = list(log_path, &f, &last);
	if (rc != rc2)
		ba_fuzz_fail("list: %d without \"last\", %d with last %llu", rc, rc2,
		             (unsigned long long)n);
	if (rc == 0 && n > 0) {
		uint64_t want = all.count < n ? all.count : n;
		if (last.count != want ||
		    (last.len && (last.len > all.len ||
		                  memcmp(all.text + all.len - last.len, last.text, last.len) != 0)))
			ba_fuzz_fail("list: last %llu gave %llu lines, not the last %llu of %llu",
			             (unsigned long long)n, (unsigned long long)last.count,
			             (unsigned long long)want, (unsigned long long)all.count);
	}
	free(all.text);
	free(last.text);
}

/* ------------------------------------------------------------- writing */

/* What a field written from s must read back as (JSON-decoded): valid
 * UTF-8 as it is, any other byte B as the character U+00BB. */
static char *expected(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	char *out = malloc(2 * n + 1), *o = out;
	if (!out)
		abort();
	for (size_t i = 0; i < n;) {
		size_t k = ba_utf8_char(s + i, n - i);
		if (k) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			*o++ = (char)(0xc0 | p[i] >> 6);
			*o++ = (char)(0x80 | (p[i] & 0x3f));
			i++;
		}
	}
	*o = '\0';
	return out;
}

static void check_field(json_t *root, const char *key, const char *written)
{
	json_t *v = json_object_get(root, key);
	if (!written) {
		if (v)
			ba_fuzz_fail("write: \"%s\" is there though it was not given", key);
		return;
	}
	if (!json_is_string(v))
		ba_fuzz_fail("write: \"%s\" is missing or not a string", key);
	const char *got = json_string_value(v);
	size_t got_len = json_string_length(v);
	char *want = expected(written);
	if (strlen(written) <= SURELY_FITS) {
		if (got_len != strlen(want) || memcmp(got, want, got_len) != 0)
			ba_fuzz_fail("write: \"%s\" reads back as \"%.100s\", not \"%.100s\"", key,
			             got, want);
	} else if (got_len != strlen(want) || memcmp(got, want, got_len) != 0) {
		/* Cut: a prefix of the whole, then "...". */
		if (got_len < 3 || memcmp(got + got_len - 3, "...", 3) != 0 ||
		    got_len - 3 > strlen(want) || memcmp(got, want, got_len - 3) != 0)
			ba_fuzz_fail("write: \"%s\" of %zu bytes reads back as %zu bytes that are "
			             "neither it nor a prefix and \"...\"",
			             key, strlen(written), got_len);
	}
	free(want);
}

static void check_verify_result(int rc, const ba_audit_verify_result *r, const char *what)
{
	if (rc != 0)
		ba_fuzz_fail("%s: verify could not read the log: %.200s", what, r->message);
	if (!memchr(r->message, '\0', sizeof(r->message)) || !r->message[0])
		ba_fuzz_fail("%s: verify left no message", what);
	if (r->ok && r->bad_line)
		ba_fuzz_fail("%s: verify says ok with bad line %llu", what,
		             (unsigned long long)r->bad_line);
}

/* Splits the data into up to n NUL-terminated strings at NUL and '\n'. */
static size_t pieces(const uint8_t *d, size_t len, char **out, size_t n)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= len && k < n; i++) {
		if (i < len && d[i] != 0 && d[i] != '\n')
			continue;
		out[k] = malloc(i - start + 1);
		if (!out[k])
			abort();
		memcpy(out[k], d + start, i - start);
		out[k][i - start] = '\0';
		k++;
		start = i + 1;
	}
	return k;
}

static void writer(const uint8_t *log, size_t log_len, const char *file, size_t file_len,
                   const ba_audit_verify_result *before)
{
	char err[1024], *p[6] = {0};
	size_t np = pieces(log, log_len, p, 6);
	ba_audit_event ev = {
	        .tool = np > 0 ? p[0] : "t",
	        .allowed = log_len & 1,
	        .capability = np > 1 ? p[1] : "network",
	        .target = np > 2 ? p[2] : NULL,
	        .address = np > 4 ? p[4] : NULL,
	        .bytes = np > 3 ? (int64_t)strlen(p[3]) - 1 : 5,
	        .reason = np > 3 ? p[3] : "r",
	};
	ba_audit_verify_result after;

	/* Continuing the fuzzed log. */
	memset(err, 0xa5, sizeof(err));
	ba_audit *a = ba_audit_open(log_path, err, sizeof(err));
	if (!a && (!memchr(err, '\0', sizeof(err)) || !err[0]))
		ba_fuzz_fail("open: refused without a message");
	if (!a && before->ok)
		ba_fuzz_fail("open: refused an intact log: %.300s", err);
	/* Readers refuse lines over BA_AUDIT_LINE_MAX, so a writer must not
	 * take one for the last record to continue from. */
	if (a && file_len > 0 && file[file_len - 1] == '\n') {
		size_t start = file_len - 1;
		while (start > 0 && file[start - 1] != '\n')
			start--;
		if (file_len - start > BA_AUDIT_LINE_MAX)
			ba_fuzz_fail("open: continues a log whose last line has %zu bytes (readers "
			             "refuse lines over %d)",
			             file_len - start, BA_AUDIT_LINE_MAX);
	}
	if (a) {
		int rc = ba_audit_record(a, &ev);
		if (rc != 0 && before->ok)
			ba_fuzz_fail("record: failed on an intact log: %.300s", ba_audit_error(a));
		ba_audit_close(a);
		if (rc == 0) {
			check_verify_result(ba_audit_verify(log_path, &after), &after, "continued");
			if (after.ok != before->ok ||
			    (before->ok && after.lines != before->lines + 1) ||
			    (!before->ok && after.bad_line != before->bad_line))
				ba_fuzz_fail(
				        "continued: verify went from %s (line %llu of %llu) to "
				        "%s (line %llu of %llu): %.200s",
				        before->ok ? "ok" : "broken",
				        (unsigned long long)before->bad_line,
				        (unsigned long long)before->lines,
				        after.ok ? "ok" : "broken",
				        (unsigned long long)after.bad_line,
				        (unsigned long long)after.lines, after.message);
		}
	}

	/* A fresh log: two records read back exactly as written. */
	unlink(fresh_path);
	unlink(fresh_head);
	a = ba_audit_open(fresh_path, err, sizeof(err));
	if (!a)
		ba_fuzz_fail("open: a fresh log: %.300s", err);
	char run[64];
	if (np > 5)
		ba_audit_set_run_id(a, p[5]);
	snprintf(run, sizeof(run), "%s", ba_audit_run_id(a));
	for (int i = 0; i < 2; i++)
		if (ba_audit_record(a, &ev) != 0)
			ba_fuzz_fail("record: a fresh log: %.300s", ba_audit_error(a));
	ba_audit_close(a);
	check_verify_result(ba_audit_verify(fresh_path, &after), &after, "fresh");
	if (!after.ok || after.lines != 2)
		ba_fuzz_fail("fresh: verify says %s after 2 records: %.300s",
		             after.ok ? "ok" : "broken", after.message);
	listed l;
	if (list(fresh_path, NULL, &l) != 0 || l.count != 2)
		ba_fuzz_fail("fresh: list gave %llu records", (unsigned long long)l.count);
	for (size_t i = 0, start = 0; i < 2; i++) {
		char *nl = memchr(l.text + start, '\n', l.len - start);
		json_error_t jerr;
		json_t *root = json_loadb(l.text + start, (size_t)(nl - (l.text + start)),
		                          JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(root))
			ba_fuzz_fail("fresh: record %zu is not a JSON object: %s", i + 1,
			             jerr.text);
		check_field(root, "run", run);
		check_field(root, "tool", ev.tool);
		check_field(root, "capability", ev.capability);
		check_field(root, "target", ev.target ? ev.target : "");
		check_field(root, "address", ev.address);
		check_field(root, "reason", ev.reason);
		const char *decision = json_string_value(json_object_get(root, "decision"));
		if (!decision || strcmp(decision, ev.allowed ? "allow" : "deny") != 0)
			ba_fuzz_fail("fresh: decision \"%s\"", decision ? decision : "(none)");
		json_t *bytes = json_object_get(root, "bytes");
		if (ev.bytes < 0 ? bytes != NULL
		                 : !json_is_integer(bytes) || json_integer_value(bytes) != ev.bytes)
			ba_fuzz_fail("fresh: \"bytes\" does not say %lld", (long long)ev.bytes);
		json_decref(root);
		start = (size_t)(nl - l.text) + 1;
	}
	free(l.text);

	/* Filtering by a tool name that reads back as written finds both. */
	if (strlen(ev.tool) <= SURELY_FITS) {
		char *want = expected(ev.tool);
		if (strcmp(want, ev.tool) == 0) {
			ba_audit_filter f = {.tool = ev.tool};
			if (list(fresh_path, &f, &l) != 0 || l.count != 2)
				ba_fuzz_fail("fresh: filtering by tool \"%s\" gave %llu records",
				             ev.tool, (unsigned long long)l.count);
			free(l.text);
		}
		free(want);
	}
	for (size_t i = 0; i < np; i++)
		free(p[i]);
}

/* ------------------------------------------------------------- the target */

static const char *const since_values[] = {
        NULL,      "2026-01-01", "2026-11-26T21:45:15Z", "2026-11-26T22:45:00.5+01:00",
        "garbage", "2026-02-30", "9999-12-31T23:59:60Z", "2026-11-26T21:45:15",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char head[160];
	size_t head_len = 0;
	bool has_head = true;

	if (size < 2)
		return 0;
	setup();
	unsigned flags = data[0], fsel = data[1];
	const uint8_t *rest = data + 2;
	size_t rest_len = size - 2;
	char *log = NULL;
	size_t log_len;

	switch (flags & 3) {
	case 0:
		has_head = false;
		break;
	case 1: {
		/* The head is the input's first line, newline included. */
		const uint8_t *nl = memchr(rest, '\n', rest_len);
		head_len = nl ? (size_t)(nl - rest) + 1 : rest_len;
		if (head_len > sizeof(head))
			head_len = sizeof(head);
		memcpy(head, rest, head_len);
		rest += head_len;
		rest_len -= head_len;
		break;
	}
	default:
		break;
	}
	log = malloc(rest_len ? rest_len : 1);
	if (!log)
		return 0;
	memcpy(log, rest, rest_len);
	log_len = rest_len;
	if (flags & 4)
		fix_chain(log, log_len, !(flags & 128));
	if ((flags & 3) >= 2)
		head_len = (size_t)make_head(log, log_len, (flags & 3) == 3, head, sizeof(head));

	write_file(log_path, log, log_len);
	if (has_head)
		write_file(head_path, head, head_len);
	else
		unlink(head_path);

	ba_audit_verify_result vr;
	check_verify_result(ba_audit_verify(log_path, &vr), &vr, "fuzzed");
	uint64_t lines = 0;
	if (vr.ok && !intact(log, log_len, head, head_len, has_head, &lines))
		ba_fuzz_fail("verify says a broken log is intact: %.300s", vr.message);
	if (vr.ok && lines != vr.lines)
		ba_fuzz_fail("verify counted %llu lines of %llu", (unsigned long long)vr.lines,
		             (unsigned long long)lines);

	listed l;
	int rc = list(log_path, NULL, &l);
	if (vr.ok && (rc != 0 || l.count != vr.lines))
		ba_fuzz_fail("list: %d, %llu lines of an intact log of %llu", rc,
		             (unsigned long long)l.count, (unsigned long long)vr.lines);
	free(l.text);

	if (flags & 8) {
		static const char *const tools[] = {NULL, "web_fetch"};
		static const char *const decisions[] = {NULL, NULL, "deny", "allow"};
		ba_audit_filter f = {
		        .tool = tools[fsel & 1],
		        .decision = decisions[(fsel >> 1) & 3],
		        .capability = (fsel & 8) ? "network" : NULL,
		        .contains = (fsel & 16) ? "127" : NULL,
		        .since = since_values[(fsel >> 5) & 7],
		        .last = (flags >> 5) & 3,
		};
		check_filtered(&f);
	}
	if (flags & 16)
		writer(rest, rest_len, log, log_len, &vr);
	free(log);
	return 0;
}
