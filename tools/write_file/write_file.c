/*
 * write_file - creates or replaces a file in the workspace.
 *
 * Input:  {"path": "notes/todo.md", "content": "...", "create_dirs": true}
 * Output: {"path", "bytes_written", "created"}
 *
 * The write is atomic (a temporary file renamed over the target), so a
 * failure never leaves a half-written file. Missing parent directories are
 * an error unless create_dirs is true, so that a mistyped path does not
 * silently grow a new directory tree.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "boxagent.h"

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "path", "content", "create_dirs", NULL);
	const char *arg = bx_arg_name(in, "path");
	bx_arg_string(in, "content");
	const bx_json *content = bx_json_get(in, "content");
	bool create_dirs = bx_arg_bool_opt(in, "create_dirs", false);

	char path[BX_PATH_MAX];
	const char *perr = bx_path_resolve(arg, strlen(arg), path, sizeof(path));
	if (perr)
		bx_error("%s", perr);
	const char *shown = bx_path_display(path);

	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode))
		bx_error("%s is a directory", shown);
	if (!exists && create_dirs && bx_mkdir_parents(path) < 0)
		bx_error("cannot create the directories for %s: %s", shown, bx_errno_text(errno));

	if (bx_write_file_atomic(path, bx_json_string(content), bx_json_string_len(content)) < 0) {
		int e = errno;
		if (e == ENOENT && !create_dirs)
			bx_error("cannot write %s: its directory does not exist (pass create_dirs: "
			         "true to create it)",
			         shown);
		bx_error("cannot write %s: %s", shown, bx_errno_text(e));
	}

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_string(o, "path", shown);
	bx_out_kv_int(o, "bytes_written", (int64_t)bx_json_string_len(content));
	bx_out_kv_bool(o, "created", !exists);
	bx_out_end_object(o);
	bx_result_out(o);
}
