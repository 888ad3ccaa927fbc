/*
 * utf8.h - UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. U+0000 is a valid character.
 *
 * Text from tools, models and files is checked with these before it goes
 * where only UTF-8 may go (JSON, the audit log, the store, a terminal).
 */
#ifndef BA_CORE_UTF8_H
#define BA_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the valid character at s (borrowed; n bytes
 * left), or 0 when s does not start one - or n is 0. Never reads past
 * s[n - 1]. */
size_t ba_utf8_char(const char *s, size_t n);

/* Whether all len bytes at s (borrowed) are valid UTF-8. */
bool ba_utf8_valid(const char *s, size_t len);

/*
 * The longest prefix of the len bytes at s (borrowed) that is at most max
 * bytes long and does not end inside a character: where the cut would
 * split one, it moves back to that character's start. It backs up over
 * at most 3 continuation bytes (the most a character has), so text that
 * is not UTF-8 loses at most 3 bytes more than max asks. Returns len
 * when max >= len.
 */
size_t ba_utf8_cut(const char *s, size_t len, size_t max);

/*
 * A copy of the len bytes at s (borrowed) with every byte that does not
 * start a valid character made U+FFFD (the replacement character), as
 * decoders do; valid text is copied as it is. The copy is NUL-terminated
 * and taken by the caller (free()); *out_len (may be NULL) gets its
 * length. NULL when out of memory.
 */
char *ba_utf8_replace_invalid(const char *s, size_t len, size_t *out_len);

#endif /* BA_CORE_UTF8_H */
