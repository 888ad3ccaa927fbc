/*
 * read_file - reads a text file in the workspace, optionally a range of
 * lines.
 *
 * Input:  {"path": "src/main.c", "start_line": 10, "end_line": 20}
 * Output: {"path", "content", "start_line", "end_line", "total_lines"}
 *
 * Lines are numbered from 1 and the range is inclusive; end_line past the
 * end is clamped. Binary files (NUL bytes) are refused, and so is content
 * over 1 MiB: a model cannot use more at once, and asking for a range is
 * the way to read a bigger file (up to 16 MiB scanned).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boxagent.h"

#define MAX_CONTENT (1u << 20)  /* bytes returned at most              */
#define MAX_SCAN    (16u << 20) /* file size read when a range is given */

int main(void)
{
	bx_json *in = bx_input();
	bx_check_fields(in, "path", "start_line", "end_line", NULL);
	const char *arg = bx_arg_name(in, "path");
	int64_t start = bx_arg_int_opt(in, "start_line", 1, 1, INT32_MAX);
	int64_t end = bx_arg_int_opt(in, "end_line", -1, 1, INT32_MAX);
	bool ranged = bx_json_get(in, "start_line") || bx_json_get(in, "end_line");
	if (end != -1 && end < start)
		bx_error("end_line (%lld) is before start_line (%lld)", (long long)end,
		         (long long)start);

	char path[BX_PATH_MAX];
	const char *perr = bx_path_resolve(arg, strlen(arg), path, sizeof(path));
	if (perr)
		bx_error("%s", perr);
	const char *shown = bx_path_display(path);

	size_t len;
	char *data = bx_read_file(path, ranged ? MAX_SCAN : MAX_CONTENT, &len);
	if (!data) {
		if (errno == EISDIR)
			bx_error("%s is a directory (use list_dir to see what is in it)", shown);
		if (errno == EFBIG && !ranged)
			bx_error(
			        "%s is larger than 1 MiB; pass start_line and end_line to read a part "
			        "of it",
			        shown);
		if (errno == EFBIG)
			bx_error("%s is larger than 16 MiB, more than read_file reads", shown);
		if (errno == ENODEV)
			bx_error("%s is not a regular file", shown);
		bx_error("cannot read %s: %s", shown, bx_errno_text(errno));
	}
	if (bx_is_binary(data, len))
		bx_error("%s is a binary file (it contains NUL bytes); read_file reads text only",
		         shown);

	/* One pass: count lines and note where the range starts and ends. A
	 * last line without a newline still counts. */
	int64_t total = 0;
	size_t from = len, to = len;
	if (start == 1)
		from = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		total++;
		if (total == start - 1)
			from = i + 1;
		if (total == end)
			to = i + 1;
	}
	if (len && data[len - 1] != '\n')
		total++;
	if (start > total && !(start == 1 && total == 0))
		bx_error("start_line %lld is past the end of %s (%lld lines)", (long long)start,
		         shown, (long long)total);
	if (end == -1 || end > total)
		end = total;
	if (from > to)
		from = to;
	if (to - from > MAX_CONTENT)
		bx_error("lines %lld-%lld of %s are more than 1 MiB; ask for fewer lines",
		         (long long)start, (long long)end, shown);

	bx_out *o = bx_out_new();
	bx_out_begin_object(o);
	bx_out_kv_string(o, "path", shown);
	bx_out_key(o, "content");
	bx_out_string_n(o, data + from, to - from);
	bx_out_kv_int(o, "start_line", start);
	bx_out_kv_int(o, "end_line", end);
	bx_out_kv_int(o, "total_lines", total);
	bx_out_end_object(o);
	bx_result_out(o);
}
