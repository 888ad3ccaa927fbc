/*
 * list_dir - lists a directory of the workspace, optionally recursively
 * and filtered by a glob.
 *
 * Input:  {"path": "src", "recursive": true, "glob": "*.c", "max_entries": 200}
 * Output: {"path", "entries": [{"path", "type", "size"}], "count", "truncated"}
 *
 * Entry paths are relative to the workspace, so they can be passed to
 * read_file as they are; the glob is matched against the path relative
 * to the listed directory (bx_glob_match: "*.c" matches at any depth,
 * patterns with a slash by segment). Entries come sorted, a
 * directory's contents right after it. Recursion does not follow symlinks
 * and does not descend into .git, whose contents drown everything else.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boxagent.h"

#define SCAN_MAX  100000 /* entries looked at, at most      */
#define DEPTH_MAX 64     /* directory levels descended       */

typedef struct entry {
	char *rel; /* relative to the listed directory; owned */
	const char *type;
	int64_t size; /* -1 = not a file */
} entry;

typedef struct walk {
	const char *root; /* resolved guest path of the listed directory */
	bool recursive;
	const char *glob;
	entry *items;
	size_t count, cap;
	size_t scanned;
	bool truncated;
} walk;

static void add(walk *w, const char *rel, const char *type, int64_t size)
{
	if (w->count == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->items = bx_realloc(w->items, w->cap * sizeof(*w->items));
	}
	w->items[w->count].rel = bx_strndup(rel, strlen(rel));
	w->items[w->count].type = type;
	w->items[w->count].size = size;
	w->count++;
}

static void scan(walk *w, const char *rel, int depth)
{
	char dir[BX_PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s%s%s", w->root, *rel ? "/" : "", rel);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return;
	DIR *d = opendir(dir);
	if (!d) {
		if (depth == 0)
			bx_error("cannot list %s: %s", bx_path_display(dir), bx_errno_text(errno));
		bx_log(BX_LOG_WARN, "cannot list %s: %s", bx_path_display(dir),
		       bx_errno_text(errno));
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (++w->scanned > SCAN_MAX) {
			w->truncated = true;
			break;
		}
		char child[BX_PATH_MAX];
		n = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", name);
		if (n < 0 || (size_t)n >= sizeof(child) - strlen(w->root) - 1)
			continue; /* too long to name; nothing sensible to report */
		char full[BX_PATH_MAX];
		snprintf(full, sizeof(full), "%s/%s", w->root, child);

		const char *type = "other";
		int64_t size = -1;
		struct stat st;
		if (lstat(full, &st) == 0) {
			if (S_ISREG(st.st_mode)) {
				type = "file";
				size = (int64_t)st.st_size;
			} else if (S_ISDIR(st.st_mode)) {
				type = "dir";
			} else if (S_ISLNK(st.st_mode)) {
				type = "symlink";
			}
		} else if (de->d_type == DT_DIR) {
			type = "dir";
		} else if (de->d_type == DT_REG) {
			type = "file";
		}
		if (!w->glob || bx_glob_match(w->glob, child))
			add(w, child, type, size);
		if (w->recursive && strcmp(type, "dir") == 0 && strcmp(name, ".git") != 0 &&
		    depth + 1 < DEPTH_MAX)
			scan(w, child, depth + 1);
		if (w->truncated)
			break;
	}
	closedir(d);
}

/* Path order with '/' lowest, so "a/b" sorts right after "a" and before
 * "a.txt": a directory's contents follow it. */
static int cmp_entry(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const entry *)a)->rel;
	const unsigned char *y = (const unsigned char *)((const entry *)b)->rel;
	while (*x && *x == *y) {
		x++;
		y++;
	}
	unsigned cx = *x == '/' ? 1 : *x, cy = *y == '/' ? 1 : *y;
	return (int)cx - (int)cy;
}

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "path", "recursive", "glob", "max_entries", NULL);
	const char *arg = bx_arg_string_opt(in, "path", ".");
	bool recursive = bx_arg_bool_opt(in, "recursive", false);
	const char *glob = bx_arg_string_opt(in, "glob", NULL);
	int64_t max = bx_arg_int_opt(in, "max_entries", 1000, 1, 10000);
	if (glob && !*glob)
		glob = NULL;

	char root[BX_PATH_MAX];
	const char *perr = bx_path_resolve(arg, strlen(arg), root, sizeof(root));
	if (perr)
		bx_error("%s", perr);
	struct stat st;
	if (stat(root, &st) < 0)
		bx_error("cannot list %s: %s", bx_path_display(root), bx_errno_text(errno));
	if (!S_ISDIR(st.st_mode))
		bx_error("%s is not a directory (use read_file to read a file)",
		         bx_path_display(root));

	/* Entries below "/" would print as "//x" otherwise. */
	walk w = {.root = strcmp(root, "/") == 0 ? "" : root, .recursive = recursive, .glob = glob};
	scan(&w, "", 0);
	qsort(w.items, w.count, sizeof(*w.items), cmp_entry);
	if (w.count > (size_t)max) {
		w.count = (size_t)max;
		w.truncated = true;
	}

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_string(o, "path", bx_path_display(root));
	bx_out_key(o, "entries");
	bx_out_begin_array(o);
	for (size_t i = 0; i < w.count; i++) {
		char full[BX_PATH_MAX * 2];
		snprintf(full, sizeof(full), "%s/%s", w.root, w.items[i].rel);
		bx_out_begin_object(o);
		bx_out_kv_string(o, "path", bx_path_display(full));
		bx_out_kv_string(o, "type", w.items[i].type);
		if (w.items[i].size >= 0)
			bx_out_kv_int(o, "size", w.items[i].size);
		bx_out_end_object(o);
	}
	bx_out_end_array(o);
	bx_out_kv_int(o, "count", (int64_t)w.count);
	bx_out_kv_bool(o, "truncated", w.truncated);
	bx_out_end_object(o);
	bx_result_out(o);
}
