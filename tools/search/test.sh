# search under boxagent tool run: regex matches with paths and line
# numbers, case folding, globs, limits, binary files, and errors.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/search/tool.yaml
WS=$WORK/ws
mkdir -p "$WS/src/lib" "$WS/.git"
printf 'int main(void)\n{\n\t/* TODO: parse args */\n\treturn 0;\n}\n' >"$WS/src/main.c"
printf '// todo lower case\nstatic int helper;\n// FIXME later\n' >"$WS/src/lib/util.c"
printf 'TODO in a header\n' >"$WS/src/lib/util.h"
printf 'TODO: write docs\r\n' >"$WS/README.md"
printf 'TODO\0binary' >"$WS/blob.bin"
printf 'TODO in git\n' >"$WS/.git/HEAD"

tool() { # tool STATUS INPUT
	check "$1" tool run "$TOOL" --yes --workspace "$WS" --audit-log "$WORK/audit.log" \
		--input "$2"
}

# Sorted walk, 1-based lines, workspace-relative paths, CR stripped;
# binary files and .git skipped.
tool 0 '{"pattern":"TODO"}'
expect_stdout '{"pattern":"TODO","matches":[{"path":"README.md","line":1,"text":"TODO: write docs"},{"path":"src/lib/util.h","line":1,"text":"TODO in a header"},{"path":"src/main.c","line":3,"text":"\t/* TODO: parse args */"}],"count":3,"truncated":false,"files_searched":4,"skipped_binary":1}'

# Case folding, alternation and anchors (POSIX extended syntax).
tool 0 '{"pattern":"todo|fixme","ignore_case":true,"path":"src/lib","glob":"*.c"}'
expect_stdout '{"pattern":"todo|fixme","matches":[{"path":"src/lib/util.c","line":1,"text":"// todo lower case"},{"path":"src/lib/util.c","line":3,"text":"// FIXME later"}],"count":2,"truncated":false,"files_searched":1}'
tool 0 '{"pattern":"^[{}]$","path":"src/main.c"}'
expect_stdout_contains '"matches":[{"path":"src/main.c","line":2,"text":"{"},{"path":"src/main.c","line":5,"text":"}"}]'
tool 0 '{"pattern":"[[:digit:]]+;$","path":"src"}'
expect_stdout_contains '"line":4,"text":"\treturn 0;"'
tool 0 '{"pattern":"nothing matches this"}'
expect_stdout_contains '"matches":[],"count":0'

# max_matches stops early and says so.
tool 0 '{"pattern":"TODO","max_matches":1}'
expect_stdout_contains '"count":1,"truncated":true'

# Long lines are cut.
awk 'BEGIN { s = ""; for (i = 0; i < 1000; i++) s = s "x"; print "needle " s }' >"$WS/long.txt"
tool 0 '{"pattern":"needle","path":"long.txt"}'
expect_stdout_contains 'xxx..."}'

# Errors.
tool 1 '{"pattern":"(unclosed"}'
expect_stdout_contains 'invalid pattern \"(unclosed\"'
tool 1 '{"pattern":""}'
expect_stdout '{"error":"field \"pattern\" must not be empty"}'
tool 1 '{"path":"src"}'
expect_stdout '{"error":"missing required field \"pattern\" (a string)"}'
tool 1 '{"pattern":"x","path":"nope"}'
expect_stdout '{"error":"cannot search nope: No such file or directory"}'
tool 1 '{"pattern":"root","path":"/etc"}'
expect_stdout_contains 'not permitted'
tool 1 '{"pattern":"x","ignore_case":"yes"}'
expect_stdout_contains 'must be a boolean'
