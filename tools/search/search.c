/*
 * search - finds lines matching a regular expression in workspace files.
 *
 * Input:  {"pattern": "TODO|FIXME", "path": "src", "glob": "*.c",
 *          "ignore_case": false, "max_matches": 200}
 * Output: {"pattern", "matches": [{"path", "line", "text"}], "count",
 *          "truncated", "files_searched"}
 *
 * Patterns are POSIX extended regular expressions (regcomp with
 * REG_EXTENDED), matched line by line. path may be a file or a directory;
 * directories are searched recursively in sorted order, without following
 * symlinks or entering .git. Binary files (NUL bytes) and files over 8 MiB
 * are skipped and counted. Match text is cut at 300 bytes so one minified
 * line cannot fill the result.
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boxagent.h"

#define FILE_MAX  (8u << 20) /* larger files are skipped          */
#define TEXT_MAX  300        /* bytes of a matching line returned */
#define DEPTH_MAX 64
#define FILES_MAX 100000 /* files looked at, at most          */

typedef struct search {
	regex_t re;
	const char *glob;
	const char *root; /* the directory searched; glob is relative to it */
	bx_out *out;
	int64_t max;
	int64_t count;
	int64_t files;
	int64_t skipped_binary;
	int64_t skipped_large;
	bool truncated;
} search;

/* Writes one match; the text is cut on a UTF-8 boundary. */
static void emit(search *s, const char *path, int64_t line, const char *text, size_t len)
{
	if (len && text[len - 1] == '\r')
		len--;
	bool cut = false;
	if (len > TEXT_MAX) {
		len = TEXT_MAX;
		while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
		cut = true;
	}
	bx_out_begin_object(s->out);
	bx_out_kv_string(s->out, "path", bx_path_display(path));
	bx_out_kv_int(s->out, "line", line);
	bx_out_key(s->out, "text");
	if (cut) {
		bx_buf b = {0};
		bx_buf_append(&b, text, len);
		bx_buf_puts(&b, "...");
		bx_out_string_n(s->out, b.data, b.len);
		bx_buf_free(&b);
	} else {
		bx_out_string_n(s->out, text, len);
	}
	bx_out_end_object(s->out);
}

static void search_file(search *s, const char *path, bool explicit)
{
	size_t len;
	char *data = bx_read_file(path, FILE_MAX, &len);
	if (!data) {
		if (errno == EFBIG) {
			s->skipped_large++;
			return;
		}
		if (explicit)
			bx_error("cannot read %s: %s", bx_path_display(path), bx_errno_text(errno));
		bx_log(BX_LOG_WARN, "cannot read %s: %s", bx_path_display(path),
		       bx_errno_text(errno));
		return;
	}
	s->files++;
	if (bx_is_binary(data, len)) {
		s->skipped_binary++;
		free(data);
		return;
	}
	/* The file has no NUL bytes, so each line can be terminated in place
	 * for regexec. */
	int64_t line = 0;
	size_t i = 0;
	while (i < len && !s->truncated) {
		char *start = data + i;
		char *nl = memchr(start, '\n', len - i);
		size_t n = nl ? (size_t)(nl - start) : len - i;
		line++;
		char saved = start[n];
		start[n] = '\0';
		if (regexec(&s->re, start, 0, NULL, 0) == 0) {
			if (s->count >= s->max)
				s->truncated = true;
			else {
				emit(s, path, line, start, n);
				s->count++;
			}
		}
		start[n] = saved;
		i += n + 1;
	}
	free(data);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* rel is relative to s->root ("" for the root itself). */
static void search_dir(search *s, const char *rel, int depth)
{
	char dir[BX_PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s%s%s", s->root, *rel ? "/" : "", rel);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return;
	DIR *d = opendir(dir);
	if (!d) {
		if (depth == 0)
			bx_error("cannot search %s: %s", bx_path_display(dir),
			         bx_errno_text(errno));
		bx_log(BX_LOG_WARN, "cannot list %s: %s", bx_path_display(dir),
		       bx_errno_text(errno));
		return;
	}
	/* Names first, sorted, so results come in a stable order. */
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			names = bx_realloc(names, cap * sizeof(*names));
		}
		names[count++] = bx_strndup(de->d_name, strlen(de->d_name));
	}
	closedir(d);
	qsort(names, count, sizeof(*names), cmp_name);

	for (size_t i = 0; i < count && !s->truncated; i++) {
		char child[BX_PATH_MAX], full[BX_PATH_MAX];
		n = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		n = snprintf(full, sizeof(full), "%s/%s", s->root, child);
		if (n < 0 || (size_t)n >= sizeof(full))
			continue;
		struct stat st;
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (strcmp(names[i], ".git") != 0 && depth + 1 < DEPTH_MAX)
				search_dir(s, child, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (s->glob && !bx_glob_match(s->glob, child))
				continue;
			if (s->files >= FILES_MAX) {
				s->truncated = true;
				break;
			}
			search_file(s, full, false);
		}
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "pattern", "path", "glob", "ignore_case", "max_matches", NULL);
	const char *pattern = bx_arg_name(in, "pattern");
	const char *arg = bx_arg_string_opt(in, "path", ".");
	const char *glob = bx_arg_string_opt(in, "glob", NULL);
	bool icase = bx_arg_bool_opt(in, "ignore_case", false);
	int64_t max = bx_arg_int_opt(in, "max_matches", 200, 1, 5000);
	if (glob && !*glob)
		glob = NULL;

	search s = {.glob = glob, .max = max};
	int rc = regcomp(&s.re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
	if (rc != 0) {
		char msg[256];
		regerror(rc, &s.re, msg, sizeof(msg));
		bx_error("invalid pattern \"%s\": %s", pattern, msg);
	}

	char root[BX_PATH_MAX];
	const char *perr = bx_path_resolve(arg, strlen(arg), root, sizeof(root));
	if (perr)
		bx_error("%s", perr);
	struct stat st;
	if (stat(root, &st) < 0)
		bx_error("cannot search %s: %s", bx_path_display(root), bx_errno_text(errno));

	s.out = bx_out_new();
	bx_out_begin_object(s.out);
	bx_out_kv_string(s.out, "pattern", pattern);
	bx_out_key(s.out, "matches");
	bx_out_begin_array(s.out);
	if (S_ISDIR(st.st_mode)) {
		s.root = strcmp(root, "/") == 0 ? "" : root;
		search_dir(&s, "", 0);
	} else {
		search_file(&s, root, true);
	}
	bx_out_end_array(s.out);
	bx_out_kv_int(s.out, "count", s.count);
	bx_out_kv_bool(s.out, "truncated", s.truncated);
	bx_out_kv_int(s.out, "files_searched", s.files - s.skipped_binary);
	if (s.skipped_binary)
		bx_out_kv_int(s.out, "skipped_binary", s.skipped_binary);
	if (s.skipped_large)
		bx_out_kv_int(s.out, "skipped_large", s.skipped_large);
	bx_out_end_object(s.out);
	bx_result_out(s.out);
}
