/*
 * edit_file - replaces exact text in a workspace file.
 *
 * Input:  {"path": "src/main.c", "old_text": "...", "new_text": "...",
 *          "replace_all": false}
 * Output: {"path", "replacements"}
 *
 * old_text must occur exactly once unless replace_all is true: an edit
 * that could land in two places is refused, with the count, so the model
 * adds context instead of changing the wrong spot. Matching is exact
 * (whitespace included). The file is rewritten atomically.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boxagent.h"

#define FILE_MAX (16u << 20)

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "path", "old_text", "new_text", "replace_all", NULL);
	const char *arg = bx_arg_name(in, "path");
	const char *old_text = bx_arg_string(in, "old_text");
	const char *new_text = bx_arg_string(in, "new_text");
	size_t old_len = bx_json_string_len(bx_json_get(in, "old_text"));
	size_t new_len = bx_json_string_len(bx_json_get(in, "new_text"));
	bool replace_all = bx_arg_bool_opt(in, "replace_all", false);
	if (old_len == 0)
		bx_error("old_text is empty; to write a whole file use write_file");
	if (old_len == new_len && memcmp(old_text, new_text, old_len) == 0)
		bx_error("new_text is the same as old_text; nothing to change");

	char path[BX_PATH_MAX];
	const char *perr = bx_path_resolve(arg, strlen(arg), path, sizeof(path));
	if (perr)
		bx_error("%s", perr);
	const char *shown = bx_path_display(path);

	size_t len;
	char *data = bx_read_file(path, FILE_MAX, &len);
	if (!data) {
		if (errno == EISDIR)
			bx_error("%s is a directory", shown);
		if (errno == EFBIG)
			bx_error("%s is larger than 16 MiB, more than edit_file edits", shown);
		if (errno == ENODEV)
			bx_error("%s is not a regular file", shown);
		bx_error("cannot read %s: %s", shown, bx_errno_text(errno));
	}
	if (bx_is_binary(data, len))
		bx_error("%s is a binary file (it contains NUL bytes); edit_file edits text only",
		         shown);

	/* Count non-overlapping occurrences, left to right. */
	size_t count = 0;
	for (const char *p = data, *end = data + len;;) {
		const char *hit = memmem(p, (size_t)(end - p), old_text, old_len);
		if (!hit)
			break;
		count++;
		p = hit + old_len;
	}
	if (count == 0)
		bx_error(
		        "old_text was not found in %s (it must match exactly, including whitespace "
		        "and indentation; read the file to copy the text)",
		        shown);
	if (count > 1 && !replace_all)
		bx_error(
		        "old_text occurs %zu times in %s; pass replace_all or include more context "
		        "to pick one",
		        count, shown);

	bx_buf out = {0};
	const char *p = data, *end = data + len;
	for (;;) {
		const char *hit = memmem(p, (size_t)(end - p), old_text, old_len);
		if (!hit)
			break;
		bx_buf_append(&out, p, (size_t)(hit - p));
		bx_buf_append(&out, new_text, new_len);
		p = hit + old_len;
	}
	bx_buf_append(&out, p, (size_t)(end - p));

	if (bx_write_file_atomic(path, out.data, out.len) < 0)
		bx_error("cannot write %s: %s", shown, bx_errno_text(errno));

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_string(o, "path", shown);
	bx_out_kv_int(o, "replacements", (int64_t)count);
	bx_out_end_object(o);
	bx_result_out(o);
}
