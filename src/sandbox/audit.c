/*
 * audit.c - the tamper-evident audit log (audit.h; docs/audit.md).
 *
 * Writing: every record is one line, written with a single write() on an
 * O_APPEND descriptor while holding flock(LOCK_EX) on the log. Under the
 * lock the writer re-reads the log's last line (another process may have
 * appended since) and checks it against the head file, so the chain is
 * continued from what is really on disk, never from a cached value. Then
 * the head file is rewritten in place before the lock is dropped, so log
 * and head change together as far as any reader holding LOCK_SH can see.
 *
 * Reading (verify, list): the size of the log and the head file are taken
 * together under LOCK_SH, then the lock is dropped and the file is read up
 * to that size. Writers only ever append whole lines under LOCK_EX, so the
 * snapshot is consistent without blocking writers for the length of a
 * long verify or a slow pager.
 *
 * Lines are parsed with jansson; the hash is computed over the raw bytes,
 * never over a re-serialisation, so that any outside tool can check it.
 */
#include "sandbox/audit.h"

#include "core/buf.h"
#include "core/sha256.h"
#include "core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAD_SUFFIX ".head"
#define HEAD_MAX    128 /* "SEQ HASH\n" is at most 20 + 1 + 64 + 1 bytes */
#define HASH_HEX    64
#define ZERO_HASH   "0000000000000000000000000000000000000000000000000000000000000000"
/* What ends every line: ,"hash":"<64 hex>"} - the hash covers the bytes
 * before it. */
#define HASH_KEY        ",\"hash\":\""
#define HASH_KEY_LEN    (sizeof(HASH_KEY) - 1)
#define HASH_SUFFIX_LEN (HASH_KEY_LEN + HASH_HEX + 2)
#define RUN_ID_MAX      63

/* Escaped-length budgets per field. Their sum plus the fixed parts of a
 * line (keys, seq, time, bytes, prev, hash: under 400 bytes) stays below
 * BA_AUDIT_LINE_MAX, so a record always fits whatever a tool passes. */
#define BUDGET_RUN        (RUN_ID_MAX * 6)
#define BUDGET_TOOL       512
#define BUDGET_CAPABILITY 256
#define BUDGET_TARGET     8192
#define BUDGET_ADDRESS    256
#define BUDGET_REASON     4096
_Static_assert(BUDGET_RUN + BUDGET_TOOL + BUDGET_CAPABILITY + BUDGET_TARGET + BUDGET_ADDRESS +
                               BUDGET_REASON + 512 <
                       BA_AUDIT_LINE_MAX,
               "field budgets must leave room for the fixed parts of a line");

/* Reads are done in chunks this big; it must hold a whole line. */
#define READ_CHUNK (64 * 1024)
_Static_assert(READ_CHUNK > BA_AUDIT_LINE_MAX, "a read chunk must hold a line");

struct ba_audit {
	pthread_mutex_t mutex; /* flock() does not exclude threads sharing an fd */
	int fd;
	char *path;
	char *head_path;
	char run_id[RUN_ID_MAX + 1];
	char error[768];
	ba_buf line; /* the record being built, reused */
	ba_audit_observer_fn observer;
	void *observer_user;
};

/* The last record of a log as far as a writer cares. */
typedef struct tail_state {
	uint64_t seq; /* 0 for an empty log */
	char hash[HASH_HEX + 1];
	off_t size; /* bytes in the log */
} tail_state;

/* A parsed line. Strings are borrowed from root. */
typedef struct record {
	json_t *root;
	uint64_t seq;
	const char *time, *run, *tool, *decision, *capability, *target, *address, *reason, *prev,
	        *hash;
	int64_t bytes; /* -1 when absent */
} record;

/* ------------------------------------------------------------------ util */

__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t out_len, const char *format,
                                                      ...)
{
	va_list ap;

	if (!out || out_len == 0)
		return;
	va_start(ap, format);
	vsnprintf(out, out_len, format, ap);
	va_end(ap);
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static int lock_fd(int fd, int op)
{
	int r;

	do
		r = flock(fd, op);
	while (r != 0 && errno == EINTR);
	return r;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != HASH_HEX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int ba_audit_default_path(char *out, size_t out_len)
{
	const char *dir;
	int n;

	if (!out || out_len == 0)
		return -1;
	if ((dir = getenv("BOXAGENT_HOME")) && dir[0])
		n = snprintf(out, out_len, "%s/audit.log", dir);
	else if ((dir = getenv("XDG_DATA_HOME")) && dir[0] == '/')
		n = snprintf(out, out_len, "%s/boxagent/audit.log", dir);
	else if ((dir = getenv("HOME")) && dir[0])
		n = snprintf(out, out_len, "%s/.local/share/boxagent/audit.log", dir);
	else {
		fmt(out, out_len,
		    "no place for the audit log: none of BOXAGENT_HOME, XDG_DATA_HOME or HOME "
		    "is set");
		return -1;
	}
	if (n < 0 || (size_t)n >= out_len) {
		fmt(out, out_len, "the audit log path is too long");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ time */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no timegm() and no time zone state is needed. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/*
 * Parses an RFC 3339 time into milliseconds since the epoch:
 * YYYY-MM-DD, or YYYY-MM-DD(T|t| )HH:MM[:SS[.fraction]](Z|z|+HH:MM|-HH:MM).
 * A bare date means midnight UTC; a time without a zone is refused rather
 * than guessed. Returns NULL or a static message.
 */
static const char *parse_time(const char *s, int64_t *ms)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off = 0;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return "expected a date like 2026-11-26 or a time like 2026-11-26T21:45:00Z";
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return "no such date";
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return "expected T between the date and the time";
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return "expected the time as HH:MM or HH:MM:SS";
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return "expected the time as HH:MM or HH:MM:SS";
			if (*p == '.') {
				int scale = 100, n = 0;
				p++;
				for (; *p >= '0' && *p <= '9'; p++, n++) {
					frac_ms += (*p - '0') * scale;
					scale /= 10;
				}
				if (n == 0)
					return "expected digits after the decimal point";
			}
		}
		/* 60 is a leap second. */
		if (h > 23 || mi > 59 || sec > 60)
			return "no such time of day";
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 ||
			    om > 59)
				return "expected the offset as +HH:MM or -HH:MM";
			off = sign * (oh * 60 + om);
		} else if (*p == '\0') {
			return "the time has no zone: add Z for UTC or an offset like +02:00";
		} else {
			return "unexpected characters in the time";
		}
		if (*p)
			return "unexpected characters after the time";
	}
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	        (int64_t)off * 60) *
	       1000) +
	      frac_ms;
	return NULL;
}

static int format_now(char out[64])
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
		return -1;
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	return 0;
}

/* ------------------------------------------------------------ escaping */

/*
 * The JSON form of the character at s: writes it to out (at least 7 bytes)
 * and returns its length; *consumed is set to the input bytes it stands
 * for. Quote and backslash are escaped; \b \f \n \r \t get their short
 * forms; other control characters and DEL become \u00XX. Valid UTF-8 is
 * kept as it is. A byte that does not start valid UTF-8 becomes \u00XX
 * with the byte's value - the writer never escapes a valid character in
 * U+0080..U+00FF, so in the raw line such an escape always means "this
 * byte, which was not UTF-8", and the original bytes can be recovered.
 */
static size_t escape_char(const unsigned char *s, char *out, size_t *consumed)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];
	size_t n;

	*consumed = 1;
	switch (c) {
	case '"':
		memcpy(out, "\\\"", 2);
		return 2;
	case '\\':
		memcpy(out, "\\\\", 2);
		return 2;
	case '\b':
		memcpy(out, "\\b", 2);
		return 2;
	case '\f':
		memcpy(out, "\\f", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	default:
		break;
	}
	if (c >= 0x20 && c < 0x7F) {
		out[0] = (char)c;
		return 1;
	}
	/* s is NUL-terminated: at most 4 bytes, and none past the NUL. */
	n = c < 0x80 ? 0 : ba_utf8_char((const char *)s, strnlen((const char *)s, 4));
	if (n > 0) {
		memcpy(out, s, n);
		*consumed = n;
		return n;
	}
	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

/* Appends "ESCAPED" to line; when the escaped text is longer than budget
 * it is cut at a character boundary and ends with "...". */
static int append_string(ba_buf *line, const char *value, size_t budget)
{
	const unsigned char *s = (const unsigned char *)(value ? value : "");
	size_t total = 0, consumed, n;
	char piece[8];

	for (const unsigned char *p = s; *p; p += consumed)
		total += escape_char(p, piece, &consumed);
	if (ba_buf_append(line, "\"", 1) != 0)
		return -1;
	for (size_t used = 0; *s; s += consumed) {
		n = escape_char(s, piece, &consumed);
		if (total > budget && used + n > budget - 3) {
			if (ba_buf_append(line, "...", 3) != 0)
				return -1;
			break;
		}
		if (ba_buf_append(line, piece, n) != 0)
			return -1;
		used += n;
	}
	return ba_buf_append(line, "\"", 1);
}

/* ------------------------------------------------------------ parsing */

static void record_free(record *rec)
{
	if (rec->root)
		json_decref(rec->root);
	rec->root = NULL;
}

static int get_string(json_t *root, const char *key, bool required, const char **out, char *why,
                      size_t why_len)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		*out = NULL;
		if (!required)
			return 0;
		fmt(why, why_len, "no \"%s\" field", key);
		return -1;
	}
	if (!json_is_string(v)) {
		fmt(why, why_len, "\"%s\" is not a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/*
 * Parses one line (len bytes, no newline) into rec: the hash suffix in
 * place, JSON without duplicate keys, every field with its type. Does not
 * check the hash itself (list shows edited lines; verify checks). On -1
 * rec holds nothing and why says what is wrong.
 */
static int parse_record(const char *line, size_t len, record *rec, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *v;
	int64_t ms;
	const char *e;

	memset(rec, 0, sizeof(*rec));
	if (len == 0) {
		fmt(why, why_len, "empty line");
		return -1;
	}
	if (len < HASH_SUFFIX_LEN + 2 || line[len - 1] != '}' || line[len - 2] != '"' ||
	    memcmp(line + len - HASH_SUFFIX_LEN, HASH_KEY, HASH_KEY_LEN) != 0 ||
	    !is_hex64(line + len - HASH_HEX - 2, HASH_HEX)) {
		fmt(why, why_len, "does not end with ,\"hash\":\"<64 lower-case hex digits>\"}");
		return -1;
	}
	rec->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec->root) {
		fmt(why, why_len, "malformed JSON at column %d: %s", jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(rec->root)) {
		fmt(why, why_len, "not a JSON object");
		goto bad;
	}
	v = json_object_get(rec->root, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		fmt(why, why_len, "\"seq\" is not a positive integer");
		goto bad;
	}
	rec->seq = (uint64_t)json_integer_value(v);
	if (get_string(rec->root, "time", true, &rec->time, why, why_len) ||
	    get_string(rec->root, "run", true, &rec->run, why, why_len) ||
	    get_string(rec->root, "tool", true, &rec->tool, why, why_len) ||
	    get_string(rec->root, "decision", true, &rec->decision, why, why_len) ||
	    get_string(rec->root, "capability", true, &rec->capability, why, why_len) ||
	    get_string(rec->root, "target", true, &rec->target, why, why_len) ||
	    get_string(rec->root, "address", false, &rec->address, why, why_len) ||
	    get_string(rec->root, "reason", true, &rec->reason, why, why_len) ||
	    get_string(rec->root, "prev", true, &rec->prev, why, why_len) ||
	    get_string(rec->root, "hash", true, &rec->hash, why, why_len))
		goto bad;
	if ((e = parse_time(rec->time, &ms)) != NULL) {
		fmt(why, why_len, "\"time\" is not an RFC 3339 time: %s", e);
		goto bad;
	}
	if (strcmp(rec->decision, "allow") != 0 && strcmp(rec->decision, "deny") != 0) {
		fmt(why, why_len, "\"decision\" is neither \"allow\" nor \"deny\"");
		goto bad;
	}
	rec->bytes = -1;
	v = json_object_get(rec->root, "bytes");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			fmt(why, why_len, "\"bytes\" is not a non-negative integer");
			goto bad;
		}
		rec->bytes = json_integer_value(v);
	}
	if (!is_hex64(rec->prev, strlen(rec->prev))) {
		fmt(why, why_len, "\"prev\" is not 64 lower-case hex digits");
		goto bad;
	}
	/* The suffix check found the hash at the end, and duplicates are
	 * refused, so these are the same text; say so explicitly anyway. */
	if (memcmp(rec->hash, line + len - HASH_HEX - 2, HASH_HEX) != 0) {
		fmt(why, why_len, "\"hash\" is not the last field");
		goto bad;
	}
	return 0;
bad:
	record_free(rec);
	return -1;
}

/* Whether the line's "hash" is the SHA-256 of the bytes before ,"hash":.
 * Only for lines parse_record accepted. */
static bool hash_matches(const char *line, size_t len)
{
	char hex[BA_SHA256_HEX_SIZE];

	ba_sha256_hex_of(line, len - HASH_SUFFIX_LEN, hex);
	return memcmp(hex, line + len - HASH_HEX - 2, HASH_HEX) == 0;
}

/* ------------------------------------------------------------ head file */

typedef struct head_state {
	bool exists;
	bool malformed;
	uint64_t seq;
	char hash[HASH_HEX + 1];
} head_state;

/* Reads "SEQ HASH\n". -1 only for I/O errors other than "does not exist";
 * a file that is there but not in that form is head->malformed. */
static int read_head(const char *head_path, head_state *head, char *err, size_t err_len)
{
	char buf[HEAD_MAX + 1], *end;
	ssize_t n;
	size_t got = 0;
	int fd;

	memset(head, 0, sizeof(*head));
	fd = open(head_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fmt(err, err_len, "cannot open the head file %s: %s", head_path, strerror(errno));
		return -1;
	}
	head->exists = true;
	while (got < sizeof(buf) - 1) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fmt(err, err_len, "cannot read the head file %s: %s", head_path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	/* Strict: digits, one space, 64 hex digits, newline, nothing else. */
	head->malformed = true;
	if (got == 0 || buf[0] < '0' || buf[0] > '9')
		return 0;
	errno = 0;
	unsigned long long seq = strtoull(buf, &end, 10);
	if (errno || *end != ' ' || (size_t)(end - buf) + 1 + HASH_HEX + 1 != got ||
	    !is_hex64(end + 1, HASH_HEX) || end[1 + HASH_HEX] != '\n')
		return 0;
	head->seq = seq;
	memcpy(head->hash, end + 1, HASH_HEX);
	head->hash[HASH_HEX] = '\0';
	head->malformed = false;
	return 0;
}

/* Rewrites the head file in place. Only called with the log locked
 * exclusively, and every reader takes the lock before reading the head,
 * so nobody sees it half-written; a line under 100 bytes is one write
 * within one page. In place, not temp file + rename: ext4 flushes data
 * on a rename over an existing file, which cost ~600 us per record, and a
 * tool run records several. hash is the first 64 bytes at that pointer. */
static int write_head(ba_audit *a, uint64_t seq, const char *hash)
{
	char text[HEAD_MAX];
	int n = snprintf(text, sizeof(text), "%" PRIu64 " %.*s\n", seq, HASH_HEX, hash);
	int fd;
	ssize_t w;

	fd = open(a->head_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fmt(a->error, sizeof(a->error), "cannot open %s: %s", a->head_path,
		    strerror(errno));
		return -1;
	}
	do
		w = pwrite(fd, text, (size_t)n, 0);
	while (w < 0 && errno == EINTR);
	/* Sequence numbers only grow, so the text never gets shorter; the
	 * truncate is for a head file someone padded by hand. */
	if (w != n || ftruncate(fd, n) != 0) {
		fmt(a->error, sizeof(a->error), "cannot write %s: %s", a->head_path,
		    w < 0    ? strerror(errno)
		    : w != n ? "short write"
		             : strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		fmt(a->error, sizeof(a->error), "cannot write %s: %s", a->head_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ writing */

/* mkdir -p of the directories above path, each new one 0700. Existing
 * directories are left as they are: they may be shared on purpose. */
static int make_parents(const char *path, char *err, size_t err_len)
{
	char *dir = concat(path, "");
	struct stat st;

	if (!dir) {
		fmt(err, err_len, "out of memory");
		return -1;
	}
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			fmt(err, err_len, "cannot create the directory %s: %s", dir,
			    strerror(errno));
			free(dir);
			return -1;
		}
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fmt(err, err_len, "%s is not a directory", dir);
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

static int open_log(const char *path, char *err, size_t err_len)
{
	struct stat st;
	int fd;

	if (make_parents(path, err, err_len) != 0)
		return -1;
	/* O_RDWR rather than O_WRONLY: the tail is read back with pread(),
	 * which O_APPEND does not affect. */
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fmt(err, err_len, "cannot open the audit log %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fmt(err, err_len, "the audit log %s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

#define REFUSE_HINT                                                                          \
	"; refusing to append, which would fork the chain (see 'boxagent audit verify' and " \
	"docs/audit.md)"

/*
 * Reads the log's last record and checks it against the head file, with
 * the log locked. Scans back from the end instead of reading the file.
 * When the head is exactly one record behind and that record chains to it,
 * a writer stopped between its two steps; the head is brought up to date
 * (nothing can be hidden that way: see docs/audit.md). Anything else that
 * does not match is refused.
 */
static int read_tail(ba_audit *a, tail_state *tail)
{
	char buf[BA_AUDIT_LINE_MAX + 1], why[256];
	struct stat st;
	head_state head;
	record rec;
	size_t n, start;
	ssize_t r;
	char *nl;

	if (fstat(a->fd, &st) != 0) {
		fmt(a->error, sizeof(a->error), "cannot stat %s: %s", a->path, strerror(errno));
		return -1;
	}
	tail->size = st.st_size;
	if (read_head(a->head_path, &head, a->error, sizeof(a->error)) != 0)
		return -1;
	if (head.malformed) {
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the head file %s is malformed" REFUSE_HINT, a->path,
		    a->head_path);
		return -1;
	}
	if (st.st_size == 0) {
		if (head.exists && head.seq != 0) {
			fmt(a->error, sizeof(a->error),
			    "audit log %s is empty but its head file says it had %" PRIu64
			    " records" REFUSE_HINT,
			    a->path, head.seq);
			return -1;
		}
		tail->seq = 0;
		memcpy(tail->hash, ZERO_HASH, sizeof(ZERO_HASH));
		return 0;
	}

	n = st.st_size < (off_t)sizeof(buf) ? (size_t)st.st_size : sizeof(buf);
	do
		r = pread(a->fd, buf, n, st.st_size - (off_t)n);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n) {
		fmt(a->error, sizeof(a->error), "cannot read the end of %s: %s", a->path,
		    r < 0 ? strerror(errno) : "short read");
		return -1;
	}
	if (buf[n - 1] != '\n') {
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the last line is incomplete (no newline at the end)" REFUSE_HINT,
		    a->path);
		return -1;
	}
	nl = memrchr(buf, '\n', n - 1);
	if (!nl && (off_t)n < st.st_size) {
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the last line is longer than %d bytes" REFUSE_HINT, a->path,
		    BA_AUDIT_LINE_MAX);
		return -1;
	}
	start = nl ? (size_t)(nl - buf) + 1 : 0;
	/* A log that is exactly one over-long line fits buf with its newline
	 * and passes the check above; readers refuse such a line, so the
	 * writer must not continue after it (found by fuzz_audit). */
	if (n - start > BA_AUDIT_LINE_MAX) { /* line and newline, as next_line() */
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the last line is longer than %d bytes" REFUSE_HINT, a->path,
		    BA_AUDIT_LINE_MAX);
		return -1;
	}
	buf[n - 1] = '\0';
	if (parse_record(buf + start, n - 1 - start, &rec, why, sizeof(why)) != 0) {
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the last line is not a valid record: %s" REFUSE_HINT, a->path,
		    why);
		return -1;
	}
	if (!hash_matches(buf + start, n - 1 - start)) {
		fmt(a->error, sizeof(a->error),
		    "audit log %s: the last line's hash does not match its contents" REFUSE_HINT,
		    a->path);
		record_free(&rec);
		return -1;
	}
	tail->seq = rec.seq;
	memcpy(tail->hash, rec.hash, HASH_HEX + 1);

	if (!head.exists) {
		fmt(a->error, sizeof(a->error),
		    "audit log %s has records but no head file %s, so removed records could not "
		    "be detected" REFUSE_HINT,
		    a->path, a->head_path);
		record_free(&rec);
		return -1;
	}
	if (head.seq == rec.seq && strcmp(head.hash, rec.hash) == 0) {
		record_free(&rec);
		return 0;
	}
	if (head.seq + 1 == rec.seq && strcmp(head.hash, rec.prev) == 0) {
		record_free(&rec);
		return write_head(a, tail->seq, tail->hash);
	}
	fmt(a->error, sizeof(a->error),
	    "audit log %s: the last record (seq %" PRIu64 ") does not match the head file %s "
	    "(seq %" PRIu64
	    "): records were removed from the end or a file was replaced" REFUSE_HINT,
	    a->path, rec.seq, a->head_path, head.seq);
	record_free(&rec);
	return -1;
}

/* Locks the log that is at a->path now. If the file was moved away or
 * deleted since it was opened, records follow the path: that is where
 * readers will look. */
static int lock_current(ba_audit *a)
{
	struct stat fs, ps;

	for (int attempt = 0; attempt < 4; attempt++) {
		if (lock_fd(a->fd, LOCK_EX) != 0) {
			fmt(a->error, sizeof(a->error), "cannot lock %s: %s", a->path,
			    strerror(errno));
			return -1;
		}
		if (fstat(a->fd, &fs) == 0 && stat(a->path, &ps) == 0 && fs.st_dev == ps.st_dev &&
		    fs.st_ino == ps.st_ino)
			return 0;
		lock_fd(a->fd, LOCK_UN);
		int fd = open_log(a->path, a->error, sizeof(a->error));
		if (fd < 0)
			return -1;
		close(a->fd);
		a->fd = fd;
	}
	fmt(a->error, sizeof(a->error), "the audit log %s keeps being replaced", a->path);
	return -1;
}

ba_audit *ba_audit_open(const char *path, char *err, size_t err_len)
{
	unsigned char random[8];
	ba_audit *a;
	tail_state tail;
	ssize_t r;

	if (!path || !path[0]) {
		fmt(err, err_len, "no audit log path given");
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		fmt(err, err_len, "out of memory");
		return NULL;
	}
	a->fd = -1;
	ba_buf_init(&a->line, BA_AUDIT_LINE_MAX);
	pthread_mutex_init(&a->mutex, NULL);
	a->path = concat(path, "");
	a->head_path = concat(path, HEAD_SUFFIX);
	if (!a->path || !a->head_path) {
		fmt(err, err_len, "out of memory");
		goto fail;
	}
	do
		r = getrandom(random, sizeof(random), 0);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(random)) {
		fmt(err, err_len, "cannot get random bytes for the run id: %s",
		    r < 0 ? strerror(errno) : "short read");
		goto fail;
	}
	for (size_t i = 0; i < sizeof(random); i++)
		snprintf(a->run_id + 2 * i, 3, "%02x", random[i]);

	a->fd = open_log(path, err, err_len);
	if (a->fd < 0)
		goto fail;
	/* Check now that the log can be continued, so that a broken log is
	 * reported when a run starts rather than at its first decision. */
	if (lock_current(a) != 0) {
		fmt(err, err_len, "%s", a->error);
		goto fail;
	}
	int status = read_tail(a, &tail);
	lock_fd(a->fd, LOCK_UN);
	if (status != 0) {
		fmt(err, err_len, "%s", a->error);
		goto fail;
	}
	return a;
fail:
	ba_audit_close(a);
	return NULL;
}

void ba_audit_close(ba_audit *audit)
{
	if (!audit)
		return;
	if (audit->fd >= 0)
		close(audit->fd);
	pthread_mutex_destroy(&audit->mutex);
	ba_buf_release(&audit->line);
	free(audit->path);
	free(audit->head_path);
	free(audit);
}

const char *ba_audit_run_id(const ba_audit *audit)
{
	return audit->run_id;
}

void ba_audit_set_run_id(ba_audit *audit, const char *run_id)
{
	size_t n = run_id ? strnlen(run_id, RUN_ID_MAX) : 0;

	pthread_mutex_lock(&audit->mutex);
	memcpy(audit->run_id, run_id ? run_id : "", n);
	audit->run_id[n] = '\0';
	pthread_mutex_unlock(&audit->mutex);
}

const char *ba_audit_error(const ba_audit *audit)
{
	return audit->error;
}

/* Builds the line for seq after prev in a->line, newline included. */
static int build_line(ba_audit *a, const ba_audit_event *ev, uint64_t seq, const char *prev)
{
	ba_buf *line = &a->line;
	char now[64], hex[BA_SHA256_HEX_SIZE];

	if (format_now(now) != 0) {
		fmt(a->error, sizeof(a->error), "cannot read the clock: %s", strerror(errno));
		return -1;
	}
	ba_buf_reset(line);
	if (ba_buf_printf(line, "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"run\":", seq, now) ||
	    append_string(line, a->run_id, BUDGET_RUN) || ba_buf_append_str(line, ",\"tool\":") ||
	    append_string(line, ev->tool, BUDGET_TOOL) ||
	    ba_buf_append_str(line,
	                      ev->allowed ? ",\"decision\":\"allow\"" : ",\"decision\":\"deny\"") ||
	    ba_buf_append_str(line, ",\"capability\":") ||
	    append_string(line, ev->capability, BUDGET_CAPABILITY) ||
	    ba_buf_append_str(line, ",\"target\":") ||
	    append_string(line, ev->target, BUDGET_TARGET))
		goto too_long;
	if (ev->address && (ba_buf_append_str(line, ",\"address\":") ||
	                    append_string(line, ev->address, BUDGET_ADDRESS)))
		goto too_long;
	if (ev->bytes >= 0 && ba_buf_printf(line, ",\"bytes\":%" PRId64, ev->bytes))
		goto too_long;
	if (ba_buf_append_str(line, ",\"reason\":") ||
	    append_string(line, ev->reason, BUDGET_REASON) ||
	    ba_buf_printf(line, ",\"prev\":\"%s\"", prev))
		goto too_long;
	ba_sha256_hex_of(line->data, line->len, hex);
	if (ba_buf_printf(line, HASH_KEY "%s\"}\n", hex))
		goto too_long;
	return 0;
too_long:
	/* The budgets make this unreachable short of running out of memory. */
	fmt(a->error, sizeof(a->error), "cannot build the audit record: out of memory");
	return -1;
}

/* Cuts the log back to size after a failed append (the lock is held). */
static void take_back(ba_audit *a, off_t size)
{
	size_t used = strlen(a->error);

	if (ftruncate(a->fd, size) != 0)
		fmt(a->error + used, sizeof(a->error) - used,
		    "; and cannot remove the partial record: %s", strerror(errno));
}

int ba_audit_record(ba_audit *a, const ba_audit_event *ev)
{
	tail_state tail;
	ssize_t w;
	int status = -1;

	if (!a)
		return -1;
	pthread_mutex_lock(&a->mutex);
	a->error[0] = '\0';
	if (!ev) {
		fmt(a->error, sizeof(a->error), "no event to record");
		goto out;
	}
	if (lock_current(a) != 0)
		goto out;
	if (read_tail(a, &tail) != 0 || build_line(a, ev, tail.seq + 1, tail.hash) != 0)
		goto unlock;
	do
		w = write(a->fd, a->line.data, a->line.len);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)a->line.len) {
		fmt(a->error, sizeof(a->error), "cannot append to %s: %s", a->path,
		    w < 0 ? strerror(errno) : "short write (disk full?)");
		/* A partial line would make the log unusable for every later
		 * writer; take it back while we still hold the lock. */
		if (w > 0)
			take_back(a, tail.size);
		goto unlock;
	}
	if (write_head(a, tail.seq + 1, a->line.data + a->line.len - HASH_HEX - 3) != 0) {
		/* The record is there but the head is not: take the record back so
		 * that the call either happened or did not. If that fails too, the
		 * head is one behind, which the next writer repairs. */
		take_back(a, tail.size);
		goto unlock;
	}
	status = 0;
unlock:
	lock_fd(a->fd, LOCK_UN);
out:;
	/* Read under the mutex (ba_audit_set_observer may run on another
	 * thread), called outside the locks: an observer that is slow (a
	 * terminal) must not hold up other writers of the log. */
	ba_audit_observer_fn observer = a->observer;
	void *observer_user = a->observer_user;
	pthread_mutex_unlock(&a->mutex);
	if (status == 0 && observer)
		observer(observer_user, ev);
	return status;
}

void ba_audit_set_observer(ba_audit *a, ba_audit_observer_fn fn, void *user)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mutex);
	a->observer = fn;
	a->observer_user = user;
	pthread_mutex_unlock(&a->mutex);
}

/* ------------------------------------------------------------ reading */

/* Lines of a log up to a fixed size, in chunks. */
typedef struct line_reader {
	int fd;
	off_t pos, end; /* next byte to read; the snapshot size        */
	char *buf;      /* READ_CHUNK + 1 bytes                        */
	size_t start, len;
	uint64_t line_no;
} line_reader;

/* 1 with a line (NUL-terminated in place, without its newline; *complete
 * false when the file ended before a newline), 0 at the end, -1 with a
 * message on an I/O error, LINE_TOO_LONG for a line longer than
 * BA_AUDIT_LINE_MAX (r->line_no is that line). */
#define LINE_TOO_LONG (-2)
static int next_line(line_reader *r, char **line, size_t *len, bool *complete, char *err,
                     size_t err_len)
{
	for (;;) {
		char *nl = r->len ? memchr(r->buf + r->start, '\n', r->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - (r->buf + r->start));
			r->line_no++;
			if (n + 1 > BA_AUDIT_LINE_MAX)
				goto too_long;
			*line = r->buf + r->start;
			*len = n;
			*complete = true;
			*nl = '\0';
			r->start += n + 1;
			r->len -= n + 1;
			return 1;
		}
		if (r->len >= BA_AUDIT_LINE_MAX) {
			r->line_no++;
			goto too_long;
		}
		if (r->pos >= r->end) {
			if (r->len == 0)
				return 0;
			r->line_no++;
			*line = r->buf + r->start;
			*len = r->len;
			*complete = false;
			r->buf[r->start + r->len] = '\0';
			r->start += r->len;
			r->len = 0;
			return 1;
		}
		memmove(r->buf, r->buf + r->start, r->len);
		r->start = 0;
		size_t want = READ_CHUNK - r->len;
		if ((off_t)want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		ssize_t got = pread(r->fd, r->buf + r->len, want, r->pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			fmt(err, err_len, "cannot read line %" PRIu64 ": %s", r->line_no + 1,
			    got < 0 ? strerror(errno) : "the file shrank while being read");
			return -1;
		}
		r->pos += got;
		r->len += (size_t)got;
	}
too_long:
	fmt(err, err_len, "line %" PRIu64 " is longer than %d bytes", r->line_no,
	    BA_AUDIT_LINE_MAX);
	return LINE_TOO_LONG;
}

/* Opens a log for reading and takes a consistent snapshot: its size and
 * its head file, read together under LOCK_SH. -1 with a message; a log
 * that does not exist is "no audit log at PATH". */
static int open_snapshot(const char *path, line_reader *r, head_state *head, char *err,
                         size_t err_len)
{
	struct stat st;
	char *head_path;
	int status;

	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		if (errno == ENOENT)
			fmt(err, err_len, "no audit log at %s", path);
		else
			fmt(err, err_len, "cannot open the audit log %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fmt(err, err_len, "the audit log %s is not a regular file", path);
		goto fail;
	}
	r->buf = malloc(READ_CHUNK + 1);
	head_path = concat(path, HEAD_SUFFIX);
	if (!r->buf || !head_path) {
		free(head_path);
		fmt(err, err_len, "out of memory");
		goto fail;
	}
	if (lock_fd(r->fd, LOCK_SH) != 0) {
		free(head_path);
		fmt(err, err_len, "cannot lock the audit log %s: %s", path, strerror(errno));
		goto fail;
	}
	status = fstat(r->fd, &st);
	r->end = st.st_size;
	if (status == 0 && head)
		status = read_head(head_path, head, err, err_len);
	else if (status != 0)
		fmt(err, err_len, "cannot stat %s: %s", path, strerror(errno));
	lock_fd(r->fd, LOCK_UN);
	free(head_path);
	if (status != 0)
		goto fail;
	return 0;
fail:
	free(r->buf);
	r->buf = NULL;
	close(r->fd);
	r->fd = -1;
	return -1;
}

static void close_snapshot(line_reader *r)
{
	free(r->buf);
	if (r->fd >= 0)
		close(r->fd);
}

__attribute__((format(printf, 3, 4))) static void broken(ba_audit_verify_result *res, uint64_t line,
                                                         const char *format, ...)
{
	va_list ap;

	res->ok = false;
	res->bad_line = line;
	va_start(ap, format);
	vsnprintf(res->message, sizeof(res->message), format, ap);
	va_end(ap);
}

int ba_audit_verify(const char *path, ba_audit_verify_result *res)
{
	char prev[HASH_HEX + 1] = ZERO_HASH, why[256], *line;
	char last_prev[HASH_HEX + 1] = ZERO_HASH;
	uint64_t last_seq = 0;
	line_reader r;
	head_state head;
	record rec;
	size_t len;
	bool complete;
	int got;

	memset(res, 0, sizeof(*res));
	if (open_snapshot(path, &r, &head, res->message, sizeof(res->message)) != 0)
		return -1;
	while ((got = next_line(&r, &line, &len, &complete, why, sizeof(why))) == 1) {
		uint64_t n = r.line_no, want = last_seq + 1;
		res->lines = n;
		if (!complete) {
			broken(res, n,
			       "the line is incomplete (no newline at the end): a write was cut "
			       "short or the file was truncated");
			goto done;
		}
		if (parse_record(line, len, &rec, why, sizeof(why)) != 0) {
			broken(res, n, "not a valid record: %s", why);
			goto done;
		}
		if (!hash_matches(line, len)) {
			broken(res, n, "its hash does not match its contents: the line was edited");
		} else if (rec.seq != want) {
			broken(res, n, "seq %" PRIu64 " where %" PRIu64 " was expected: %s",
			       rec.seq, want,
			       rec.seq < want ? "lines were inserted, repeated or moved"
			       : n == 1       ? "records are missing from the start"
			                : "a record before it is missing, or lines were moved");
		} else if (strcmp(rec.prev, prev) != 0) {
			broken(res, n, "\"prev\" is not the hash of the line before: %s",
			       n == 1 ? "the first record must have 64 zeros"
			              : "a line before it was replaced or lines were moved");
		}
		if (res->bad_line) {
			record_free(&rec);
			goto done;
		}
		last_seq = rec.seq;
		memcpy(last_prev, rec.prev, HASH_HEX + 1);
		memcpy(prev, rec.hash, HASH_HEX + 1);
		record_free(&rec);
	}
	if (got < 0) {
		/* An unreadable line breaks the chain there; a read error is not
		 * a verdict on the log. */
		if (got == LINE_TOO_LONG) {
			broken(res, r.line_no, "the line is longer than %d bytes",
			       BA_AUDIT_LINE_MAX);
			goto done;
		}
		fmt(res->message, sizeof(res->message), "audit log %s: %s", path, why);
		close_snapshot(&r);
		return -1;
	}

	/* The chain is intact; now whether it is all there. */
	res->lines = r.line_no;
	if (head.exists && head.malformed) {
		broken(res, 0, "the head file %s%s is malformed", path, HEAD_SUFFIX);
	} else if (res->lines == 0) {
		if (head.exists && head.seq != 0) {
			broken(res, 0,
			       "the log is empty but its head file says it had %" PRIu64
			       " records: it was truncated",
			       head.seq);
		} else {
			res->ok = true;
			fmt(res->message, sizeof(res->message), "0 records, chain intact");
		}
	} else if (!head.exists) {
		broken(res, 0,
		       "the head file %s%s is missing, so records removed from the end could not "
		       "be detected",
		       path, HEAD_SUFFIX);
	} else if (head.seq == last_seq && strcmp(head.hash, prev) == 0) {
		res->ok = true;
		fmt(res->message, sizeof(res->message), "%" PRIu64 " record%s, chain intact",
		    res->lines, res->lines == 1 ? "" : "s");
	} else if (head.seq + 1 == last_seq && strcmp(head.hash, last_prev) == 0) {
		/* A writer stopped between appending its line and updating the
		 * head. Nothing is missing: the line chains to the head. */
		res->ok = true;
		fmt(res->message, sizeof(res->message),
		    "%" PRIu64 " record%s, chain intact (the head file is one record behind: an "
		    "append was interrupted; the next append repairs it)",
		    res->lines, res->lines == 1 ? "" : "s");
	} else if (head.seq > last_seq) {
		broken(res, res->lines,
		       "the log ends at seq %" PRIu64 " but its head file says seq %" PRIu64
		       ": records were removed from the end",
		       last_seq, head.seq);
	} else {
		broken(res, res->lines,
		       "the last record (seq %" PRIu64
		       ") does not match the head file (seq %" PRIu64
		       "): records were removed or replaced at the end, or the head file was "
		       "changed",
		       last_seq, head.seq);
	}
done:
	close_snapshot(&r);
	return 0;
}

/* ------------------------------------------------------------ listing */

static bool matches(const record *rec, const ba_audit_filter *f, bool have_since, int64_t since)
{
	int64_t t;

	if (!f)
		return true;
	if (f->tool && strcmp(rec->tool, f->tool) != 0)
		return false;
	if (f->decision && strcmp(rec->decision, f->decision) != 0)
		return false;
	if (f->capability && strcmp(rec->capability, f->capability) != 0)
		return false;
	if (f->run && strcmp(rec->run, f->run) != 0)
		return false;
	if (f->contains && !strstr(rec->target, f->contains) && !strstr(rec->reason, f->contains))
		return false;
	if (have_since && (parse_time(rec->time, &t) != NULL || t < since))
		return false;
	return true;
}

/* One pass over the snapshot: counts matching records, and calls fn for
 * those whose 0-based match index is at least skip. */
static int list_pass(line_reader *r, const char *path, const ba_audit_filter *f, bool have_since,
                     int64_t since, uint64_t skip, uint64_t *count,
                     void (*fn)(const char *, size_t, void *), void *user, char *err,
                     size_t err_len)
{
	char why[256], *line;
	size_t len;
	bool complete;
	record rec;
	int got;

	*count = 0;
	r->pos = 0;
	r->start = r->len = 0;
	r->line_no = 0;
	while ((got = next_line(r, &line, &len, &complete, why, sizeof(why))) == 1) {
		if (parse_record(line, len, &rec, why, sizeof(why)) != 0) {
			fmt(err, err_len,
			    "audit log %s: line %" PRIu64 " is not a valid record: %s", path,
			    r->line_no, why);
			return -1;
		}
		if (matches(&rec, f, have_since, since)) {
			if (fn && *count >= skip)
				fn(line, len, user);
			++*count;
		}
		record_free(&rec);
	}
	if (got < 0) {
		fmt(err, err_len, "audit log %s: %s", path, why);
		return -1;
	}
	return 0;
}

int ba_audit_list(const char *path, const ba_audit_filter *filter,
                  void (*fn)(const char *line, size_t len, void *user), void *user, char *err,
                  size_t err_len)
{
	line_reader r;
	int64_t since = 0;
	bool have_since = filter && filter->since;
	uint64_t total = 0, skip = 0;
	int status;

	if (have_since) {
		const char *e = parse_time(filter->since, &since);
		if (e) {
			fmt(err, err_len, "'%s' is not an RFC 3339 time: %s", filter->since, e);
			return -1;
		}
	}
	if (open_snapshot(path, &r, NULL, err, err_len) != 0)
		return -1;
	/* For "the last N" count first, then show from the right place: two
	 * reads of the same snapshot instead of holding N lines in memory. */
	if (filter && filter->last > 0) {
		status = list_pass(&r, path, filter, have_since, since, 0, &total, NULL, NULL, err,
		                   err_len);
		if (status != 0)
			goto out;
		skip = total > filter->last ? total - filter->last : 0;
	}
	status = list_pass(&r, path, filter, have_since, since, skip, &total, fn, user, err,
	                   err_len);
out:
	close_snapshot(&r);
	return status;
}
