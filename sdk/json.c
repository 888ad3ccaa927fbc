/*
 * json.c - the SDK's JSON parser (into a small DOM), its JSON writer and
 * the growable byte buffer both use.
 *
 * The parser reads untrusted text: it is strict RFC 8259, bounded in depth
 * (so the recursion is bounded) and in number length, and it validates
 * UTF-8 so that everything it hands to a tool is well-formed text. Errors
 * carry a line and column, because a model reading the error must be able
 * to find its mistake.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boxagent.h"

struct bx_json {
	bx_type type;
	bool boolean;
	double number;
	/* BX_STRING: the decoded text; BX_NUMBER: the literal as written. */
	char *str;
	size_t str_len;
	/* BX_ARRAY / BX_OBJECT */
	size_t count;
	size_t cap;
	bx_json **items;
	char **keys; /* BX_OBJECT only; NUL-terminated */
	size_t *key_lens;
};

/* ---------------------------------------------------------------- memory */

void *bx_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		bx_error("out of memory");
	return p;
}

void *bx_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		bx_error("out of memory");
	return q;
}

char *bx_strndup(const char *s, size_t n)
{
	char *p = bx_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---------------------------------------------------------------- buffer */

static void buf_reserve(bx_buf *b, size_t extra)
{
	if (extra > BX_OUT_MAX || b->len > BX_OUT_MAX - extra)
		bx_error("result is larger than %u MiB", BX_OUT_MAX >> 20);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = bx_realloc(b->data, cap);
	b->cap = cap;
}

void bx_buf_append(bx_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void bx_buf_puts(bx_buf *b, const char *s)
{
	bx_buf_append(b, s, strlen(s));
}

void bx_buf_putc(bx_buf *b, char c)
{
	bx_buf_append(b, &c, 1);
}

void bx_buf_printf(bx_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		va_end(ap2);
		bx_buf_append(b, small, (size_t)n);
		return;
	}
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void bx_buf_free(bx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- UTF-8 */

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one: overlong forms, surrogates (U+D800..DFFF) and
 * code points above U+10FFFF are invalid (RFC 3629).
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
	const char *s;
	size_t len;
	size_t pos;
	char *err;
	size_t err_len;
	bool failed;
} parser;

BX_PRINTF(3, 4) static void fail_at(parser *p, size_t pos, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	if (!p->err || !p->err_len)
		return;
	size_t line = 1, col = 1;
	for (size_t i = 0; i < pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	int n = snprintf(p->err, p->err_len, "line %zu, column %zu: ", line, col);
	if (n < 0 || (size_t)n >= p->err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
	va_end(ap);
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bx_json *new_value(bx_type t)
{
	bx_json *v = bx_malloc(sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

/* Describes the byte at pos for messages: "'x'", "end of input", ... */
static const char *describe(parser *p, size_t pos, char *tmp, size_t tmp_len)
{
	if (pos >= p->len)
		return "the end of the input";
	unsigned char c = (unsigned char)p->s[pos];
	if (c >= 0x20 && c < 0x7F)
		snprintf(tmp, tmp_len, "'%c'", c);
	else
		snprintf(tmp, tmp_len, "byte 0x%02x", c);
	return tmp;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Parses a string starting at the opening quote into buf. */
static bool parse_string_into(parser *p, bx_buf *buf)
{
	size_t start = p->pos;
	p->pos++; /* opening quote */
	/* Reused buffers (object keys) start empty and NUL-terminated. */
	buf->len = 0;
	bx_buf_append(buf, "", 0);
	for (;;) {
		if (p->pos >= p->len) {
			fail_at(p, start, "string is not terminated");
			return false;
		}
		/* Copy the plain run in one go. */
		size_t run = p->pos;
		while (p->pos < p->len) {
			unsigned char c = (unsigned char)p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > run)
			bx_buf_append(buf, p->s + run, p->pos - run);
		if (p->pos >= p->len)
			continue;
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return true;
		}
		if (c < 0x20) {
			fail_at(p, p->pos,
			        "control character 0x%02x in a string (escape it, e.g. \\n)", c);
			return false;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);
			if (!n) {
				fail_at(p, p->pos, "invalid UTF-8 in a string");
				return false;
			}
			bx_buf_append(buf, p->s + p->pos, n);
			p->pos += n;
			continue;
		}
		/* Backslash escape. */
		size_t esc = p->pos;
		if (p->pos + 1 >= p->len) {
			fail_at(p, start, "string is not terminated");
			return false;
		}
		char e = p->s[p->pos + 1];
		p->pos += 2;
		char ch;
		switch (e) {
		case '"':
			ch = '"';
			break;
		case '\\':
			ch = '\\';
			break;
		case '/':
			ch = '/';
			break;
		case 'b':
			ch = '\b';
			break;
		case 'f':
			ch = '\f';
			break;
		case 'n':
			ch = '\n';
			break;
		case 'r':
			ch = '\r';
			break;
		case 't':
			ch = '\t';
			break;
		case 'u': {
			uint32_t cp;
			if (p->pos + 4 > p->len || hex4(p->s + p->pos, &cp) < 0) {
				fail_at(p, esc, "\\u must be followed by 4 hex digits");
				return false;
			}
			p->pos += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				fail_at(p, esc, "unpaired low surrogate \\u%04x", (unsigned)cp);
				return false;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				if (p->pos + 6 > p->len || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u' || hex4(p->s + p->pos + 2, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF) {
					fail_at(p, esc,
					        "high surrogate \\u%04x is not followed by a low "
					        "surrogate",
					        (unsigned)cp);
					return false;
				}
				p->pos += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			char enc[4];
			bx_buf_append(buf, enc, utf8_encode(cp, enc));
			continue;
		}
		default:
			if ((unsigned char)e > 0x20 && (unsigned char)e < 0x7F)
				fail_at(p, esc, "invalid escape '\\%c' in a string", e);
			else
				fail_at(p, esc, "invalid escape in a string");
			return false;
		}
		bx_buf_putc(buf, ch);
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bx_json *parse_number(parser *p)
{
	size_t start = p->pos;
	size_t i = p->pos;
	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i])) {
		fail_at(p, start, "invalid number");
		return NULL;
	}
	if (p->s[i] == '0') {
		i++;
		if (i < p->len && is_digit(p->s[i])) {
			fail_at(p, start, "numbers may not have leading zeros");
			return NULL;
		}
	} else {
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: digits must follow '.'");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: digits must follow the exponent");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i - start > BX_JSON_MAX_NUMBER) {
		fail_at(p, start, "number is longer than %d characters", BX_JSON_MAX_NUMBER);
		return NULL;
	}
	bx_json *v = new_value(BX_NUMBER);
	v->str = bx_strndup(p->s + start, i - start);
	v->str_len = i - start;
	/* The literal was checked above, so strtod reads exactly it. */
	v->number = strtod(v->str, NULL);
	p->pos = i;
	return v;
}

static bool match_word(parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static void add_item(bx_json *c, bx_json *item, char *key, size_t key_len)
{
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		c->items = bx_realloc(c->items, cap * sizeof(*c->items));
		if (c->type == BX_OBJECT) {
			c->keys = bx_realloc(c->keys, cap * sizeof(*c->keys));
			c->key_lens = bx_realloc(c->key_lens, cap * sizeof(*c->key_lens));
		}
		c->cap = cap;
	}
	c->items[c->count] = item;
	if (c->type == BX_OBJECT) {
		c->keys[c->count] = key;
		c->key_lens[c->count] = key_len;
	}
	c->count++;
}

static bx_json *parse_value(parser *p, int depth);

static bx_json *parse_array(parser *p, int depth)
{
	bx_json *a = new_value(BX_ARRAY);
	p->pos++; /* '[' */
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return a;
	}
	for (;;) {
		bx_json *item = parse_value(p, depth + 1);
		if (!item)
			goto fail;
		add_item(a, item, NULL, 0);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ']') {
				fail_at(p, p->pos, "trailing comma before ']'");
				goto fail;
			}
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return a;
		}
		char tmp[16];
		fail_at(p, p->pos, "expected ',' or ']' in an array, found %s",
		        describe(p, p->pos, tmp, sizeof(tmp)));
		goto fail;
	}
fail:
	bx_json_free(a);
	return NULL;
}

static bx_json *parse_object(parser *p, int depth)
{
	bx_json *o = new_value(BX_OBJECT);
	bx_buf key = {0};
	p->pos++; /* '{' */
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return o;
	}
	for (;;) {
		char tmp[16];
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			fail_at(p, p->pos, "expected a string key in an object, found %s",
			        describe(p, p->pos, tmp, sizeof(tmp)));
			goto fail;
		}
		size_t key_pos = p->pos;
		if (!parse_string_into(p, &key))
			goto fail;
		for (size_t i = 0; i < o->count; i++) {
			if (o->key_lens[i] == key.len &&
			    memcmp(o->keys[i], key.data, key.len) == 0) {
				fail_at(p, key_pos, "duplicate key \"%s\"", key.data);
				goto fail;
			}
		}
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			fail_at(p, p->pos, "expected ':' after an object key, found %s",
			        describe(p, p->pos, tmp, sizeof(tmp)));
			goto fail;
		}
		p->pos++;
		bx_json *item = parse_value(p, depth + 1);
		if (!item)
			goto fail;
		add_item(o, item, bx_strndup(key.data, key.len), key.len);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == '}') {
				fail_at(p, p->pos, "trailing comma before '}'");
				goto fail;
			}
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			bx_buf_free(&key);
			return o;
		}
		fail_at(p, p->pos, "expected ',' or '}' in an object, found %s",
		        describe(p, p->pos, tmp, sizeof(tmp)));
		goto fail;
	}
fail:
	bx_buf_free(&key);
	bx_json_free(o);
	return NULL;
}

static bx_json *parse_value(parser *p, int depth)
{
	skip_ws(p);
	if (depth > BX_JSON_MAX_DEPTH) {
		fail_at(p, p->pos, "nesting is deeper than %d levels", BX_JSON_MAX_DEPTH);
		return NULL;
	}
	if (p->pos >= p->len) {
		fail_at(p, p->pos, "expected a value, found the end of the input");
		return NULL;
	}
	char c = p->s[p->pos];
	switch (c) {
	case '{':
		return parse_object(p, depth);
	case '[':
		return parse_array(p, depth);
	case '"': {
		bx_buf b = {0};
		if (!parse_string_into(p, &b)) {
			bx_buf_free(&b);
			return NULL;
		}
		bx_json *v = new_value(BX_STRING);
		v->str = b.data; /* taken */
		v->str_len = b.len;
		return v;
	}
	case 't':
	case 'f':
	case 'n':
		if (match_word(p, "true") || match_word(p, "false")) {
			bx_json *v = new_value(BX_BOOL);
			v->boolean = c == 't';
			return v;
		}
		if (match_word(p, "null"))
			return new_value(BX_NULL);
		fail_at(p, p->pos, "invalid literal (expected true, false or null)");
		return NULL;
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p);
		break;
	}
	char tmp[16];
	fail_at(p, p->pos, "expected a value, found %s", describe(p, p->pos, tmp, sizeof(tmp)));
	return NULL;
}

bx_json *bx_json_parse(const char *text, size_t len, char *err, size_t err_len)
{
	parser p = {.s = text, .len = len, .err = err, .err_len = err_len};
	if (err && err_len)
		err[0] = '\0';
	/* A UTF-8 byte order mark is tolerated, as many editors write one. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.pos = 3;
	bx_json *v = parse_value(&p, 1);
	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.pos < p.len) {
		char tmp[16];
		fail_at(&p, p.pos, "unexpected %s after the JSON value",
		        describe(&p, p.pos, tmp, sizeof(tmp)));
		bx_json_free(v);
		return NULL;
	}
	return v;
}

void bx_json_free(bx_json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->count; i++) {
		bx_json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->key_lens);
	free(v->str);
	free(v);
}

/* ------------------------------------------------------------- accessors */

bx_type bx_json_type(const bx_json *v)
{
	return v ? v->type : BX_NULL;
}

const char *bx_type_name(bx_type t)
{
	switch (t) {
	case BX_NULL:
		return "null";
	case BX_BOOL:
		return "boolean";
	case BX_NUMBER:
		return "number";
	case BX_STRING:
		return "string";
	case BX_ARRAY:
		return "array";
	case BX_OBJECT:
		return "object";
	}
	return "?";
}

bx_json *bx_json_get(const bx_json *v, const char *key)
{
	if (!v || v->type != BX_OBJECT || !key)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < v->count; i++)
		if (v->key_lens[i] == n && memcmp(v->keys[i], key, n) == 0)
			return v->items[i];
	return NULL;
}

bx_json *bx_json_at(const bx_json *v, size_t i)
{
	if (!v || (v->type != BX_ARRAY && v->type != BX_OBJECT) || i >= v->count)
		return NULL;
	return v->items[i];
}

size_t bx_json_len(const bx_json *v)
{
	if (!v || (v->type != BX_ARRAY && v->type != BX_OBJECT))
		return 0;
	return v->count;
}

const char *bx_json_key_at(const bx_json *v, size_t i)
{
	if (!v || v->type != BX_OBJECT || i >= v->count)
		return NULL;
	return v->keys[i];
}

const char *bx_json_string(const bx_json *v)
{
	return v && v->type == BX_STRING ? v->str : NULL;
}

size_t bx_json_string_len(const bx_json *v)
{
	return v && v->type == BX_STRING ? v->str_len : 0;
}

double bx_json_number(const bx_json *v, double def)
{
	return v && v->type == BX_NUMBER ? v->number : def;
}

bool bx_json_bool(const bx_json *v, bool def)
{
	return v && v->type == BX_BOOL ? v->boolean : def;
}

bool bx_json_is_int(const bx_json *v, int64_t *out)
{
	if (!v || v->type != BX_NUMBER || !isfinite(v->number))
		return false;
	double d = v->number;
	/* 2^63 is exactly representable; anything at or above it overflows. */
	if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return false;
	if (out)
		*out = (int64_t)d;
	return true;
}

const char *bx_json_get_string(const bx_json *obj, const char *key, const char *def)
{
	const char *s = bx_json_string(bx_json_get(obj, key));
	return s ? s : def;
}

double bx_json_get_number(const bx_json *obj, const char *key, double def)
{
	return bx_json_number(bx_json_get(obj, key), def);
}

bool bx_json_get_bool(const bx_json *obj, const char *key, bool def)
{
	return bx_json_bool(bx_json_get(obj, key), def);
}

/* ---------------------------------------------------------------- writer */

#define OUT_MAX_DEPTH 64

struct bx_out {
	bx_buf buf;
	int depth;
	bool done; /* a complete top-level value was written */
	struct {
		bool is_object;
		bool after_key;
		size_t count;
	} level[OUT_MAX_DEPTH];
};

bx_out *bx_out_new(void)
{
	bx_out *o = bx_malloc(sizeof(*o));
	memset(o, 0, sizeof(*o));
	bx_buf_append(&o->buf, "", 0);
	return o;
}

void bx_out_free(bx_out *o)
{
	if (!o)
		return;
	bx_buf_free(&o->buf);
	free(o);
}

/* Called before every value: the comma, and a check that a value is due. */
static void before_value(bx_out *o)
{
	if (o->depth == 0) {
		if (o->done)
			bx_error("internal error: a second top-level JSON value was written");
		return;
	}
	if (o->level[o->depth - 1].is_object) {
		if (!o->level[o->depth - 1].after_key)
			bx_error("internal error: a JSON object value was written without a key");
		o->level[o->depth - 1].after_key = false;
		return;
	}
	if (o->level[o->depth - 1].count++)
		bx_buf_putc(&o->buf, ',');
}

static void after_value(bx_out *o)
{
	if (o->depth == 0)
		o->done = true;
}

static void open_level(bx_out *o, bool is_object)
{
	before_value(o);
	if (o->depth >= OUT_MAX_DEPTH)
		bx_error("internal error: JSON output nested deeper than %d", OUT_MAX_DEPTH);
	o->level[o->depth].is_object = is_object;
	o->level[o->depth].after_key = false;
	o->level[o->depth].count = 0;
	o->depth++;
	bx_buf_putc(&o->buf, is_object ? '{' : '[');
}

static void close_level(bx_out *o, bool is_object)
{
	if (o->depth == 0 || o->level[o->depth - 1].is_object != is_object ||
	    o->level[o->depth - 1].after_key)
		bx_error("internal error: unbalanced JSON output");
	o->depth--;
	bx_buf_putc(&o->buf, is_object ? '}' : ']');
	after_value(o);
}

void bx_out_begin_object(bx_out *o)
{
	open_level(o, true);
}

void bx_out_end_object(bx_out *o)
{
	close_level(o, true);
}

void bx_out_begin_array(bx_out *o)
{
	open_level(o, false);
}

void bx_out_end_array(bx_out *o)
{
	close_level(o, false);
}

/* Writes s[0..n) as a JSON string literal; invalid UTF-8 -> U+FFFD. */
static void write_escaped(bx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	bx_buf_putc(b, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (i < n && u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\')
			i++;
		if (i > run)
			bx_buf_append(b, s + run, i - run);
		if (i >= n)
			break;
		unsigned char c = u[i];
		if (c >= 0x80) {
			size_t len = utf8_seq(u + i, n - i);
			if (len) {
				bx_buf_append(b, s + i, len);
				i += len;
			} else {
				bx_buf_append(b, "\xEF\xBF\xBD", 3);
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"':
			bx_buf_append(b, "\\\"", 2);
			break;
		case '\\':
			bx_buf_append(b, "\\\\", 2);
			break;
		case '\n':
			bx_buf_append(b, "\\n", 2);
			break;
		case '\r':
			bx_buf_append(b, "\\r", 2);
			break;
		case '\t':
			bx_buf_append(b, "\\t", 2);
			break;
		case '\b':
			bx_buf_append(b, "\\b", 2);
			break;
		case '\f':
			bx_buf_append(b, "\\f", 2);
			break;
		default: {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			bx_buf_append(b, e, 6);
			break;
		}
		}
	}
	bx_buf_putc(b, '"');
}

void bx_out_key(bx_out *o, const char *key)
{
	if (o->depth == 0 || !o->level[o->depth - 1].is_object || o->level[o->depth - 1].after_key)
		bx_error("internal error: a JSON key was written outside an object");
	if (o->level[o->depth - 1].count++)
		bx_buf_putc(&o->buf, ',');
	write_escaped(&o->buf, key, strlen(key));
	bx_buf_putc(&o->buf, ':');
	o->level[o->depth - 1].after_key = true;
}

void bx_out_string_n(bx_out *o, const char *s, size_t n)
{
	before_value(o);
	write_escaped(&o->buf, s, n);
	after_value(o);
}

void bx_out_string(bx_out *o, const char *s)
{
	if (!s) {
		bx_out_null(o);
		return;
	}
	bx_out_string_n(o, s, strlen(s));
}

void bx_out_int(bx_out *o, int64_t v)
{
	before_value(o);
	bx_buf_printf(&o->buf, "%lld", (long long)v);
	after_value(o);
}

void bx_out_number(bx_out *o, double v)
{
	before_value(o);
	if (!isfinite(v))
		bx_buf_puts(&o->buf, "null");
	else if (v == floor(v) && fabs(v) < 1e15)
		bx_buf_printf(&o->buf, "%lld", (long long)v);
	else {
		/* The shortest of %.15g and %.17g that reads back exactly. */
		char tmp[40];
		snprintf(tmp, sizeof(tmp), "%.15g", v);
		if (strtod(tmp, NULL) != v)
			snprintf(tmp, sizeof(tmp), "%.17g", v);
		bx_buf_puts(&o->buf, tmp);
	}
	after_value(o);
}

void bx_out_bool(bx_out *o, bool v)
{
	before_value(o);
	bx_buf_puts(&o->buf, v ? "true" : "false");
	after_value(o);
}

void bx_out_null(bx_out *o)
{
	before_value(o);
	bx_buf_puts(&o->buf, "null");
	after_value(o);
}

static void write_json(bx_out *o, const bx_json *v, int depth)
{
	if (depth > BX_JSON_MAX_DEPTH)
		bx_error("internal error: JSON value nested too deeply to write");
	switch (bx_json_type(v)) {
	case BX_NULL:
		bx_out_null(o);
		break;
	case BX_BOOL:
		bx_out_bool(o, v->boolean);
		break;
	case BX_NUMBER:
		before_value(o);
		bx_buf_append(&o->buf, v->str, v->str_len);
		after_value(o);
		break;
	case BX_STRING:
		bx_out_string_n(o, v->str, v->str_len);
		break;
	case BX_ARRAY:
		bx_out_begin_array(o);
		for (size_t i = 0; i < v->count; i++)
			write_json(o, v->items[i], depth + 1);
		bx_out_end_array(o);
		break;
	case BX_OBJECT:
		bx_out_begin_object(o);
		for (size_t i = 0; i < v->count; i++) {
			/* Keys may hold NULs (from \u0000), so not bx_out_key. */
			if (o->level[o->depth - 1].count++)
				bx_buf_putc(&o->buf, ',');
			write_escaped(&o->buf, v->keys[i], v->key_lens[i]);
			bx_buf_putc(&o->buf, ':');
			o->level[o->depth - 1].after_key = true;
			write_json(o, v->items[i], depth + 1);
		}
		bx_out_end_object(o);
		break;
	}
}

void bx_out_json(bx_out *o, const bx_json *v)
{
	write_json(o, v, 1);
}

void bx_out_kv_string(bx_out *o, const char *key, const char *s)
{
	bx_out_key(o, key);
	bx_out_string(o, s);
}

void bx_out_kv_int(bx_out *o, const char *key, int64_t v)
{
	bx_out_key(o, key);
	bx_out_int(o, v);
}

void bx_out_kv_bool(bx_out *o, const char *key, bool v)
{
	bx_out_key(o, key);
	bx_out_bool(o, v);
}

const char *bx_out_text(const bx_out *o, size_t *len)
{
	if (len)
		*len = o->buf.len;
	return o->buf.data;
}
