# list_dir under boxagent tool run: flat and recursive listings, globs,
# truncation, sorting, and errors.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/list_dir/tool.yaml
WS=$WORK/ws
mkdir -p "$WS/src/lib" "$WS/docs" "$WS/.git/objects"
printf 'int main;\n' >"$WS/src/main.c"
printf 'x\n' >"$WS/src/lib/util.c"
printf 'y\n' >"$WS/src/lib/util.h"
printf '# hi\n' >"$WS/README.md"
printf 'z\n' >"$WS/docs/guide.md"
printf 'ref\n' >"$WS/.git/objects/ab"
printf 'a.txt\n' >"$WS/a.txt"
ln -s src "$WS/link"

tool() { # tool STATUS INPUT
	check "$1" tool run "$TOOL" --yes --workspace "$WS" --audit-log "$WORK/audit.log" \
		--input "$2"
}

# Flat listing of the workspace, sorted, sizes for files.
tool 0 '{}'
expect_stdout '{"path":".","entries":[{"path":".git","type":"dir"},{"path":"README.md","type":"file","size":5},{"path":"a.txt","type":"file","size":6},{"path":"docs","type":"dir"},{"path":"link","type":"symlink"},{"path":"src","type":"dir"}],"count":6,"truncated":false}'

# Recursive: a directory's contents follow it; .git and symlinks are not
# entered; paths are relative to the workspace, ready for read_file.
tool 0 '{"path":"src","recursive":true}'
expect_stdout '{"path":"src","entries":[{"path":"src/lib","type":"dir"},{"path":"src/lib/util.c","type":"file","size":2},{"path":"src/lib/util.h","type":"file","size":2},{"path":"src/main.c","type":"file","size":10}],"count":4,"truncated":false}'
tool 0 '{"recursive":true}'
expect_stdout_contains '{"path":".git","type":"dir"}'
expect_stdout_contains '"count":11,'
if grep -q 'objects' "$OUT"; then fail "recursion entered .git"; fi

# Globs: no slash matches the name at any depth; with slashes, by segment.
tool 0 '{"recursive":true,"glob":"*.c"}'
expect_stdout '{"path":".","entries":[{"path":"src/lib/util.c","type":"file","size":2},{"path":"src/main.c","type":"file","size":10}],"count":2,"truncated":false}'
tool 0 '{"recursive":true,"glob":"src/**/*.h"}'
expect_stdout_contains '"entries":[{"path":"src/lib/util.h","type":"file","size":2}]'
tool 0 '{"recursive":true,"glob":"*.md"}'
expect_stdout_contains '"count":2,'
tool 0 '{"recursive":true,"glob":"./src/*.c"}'
expect_stdout_contains '"entries":[{"path":"src/main.c","type":"file","size":10}]'
tool 0 '{"path":"src","glob":"*.[ch]"}'
expect_stdout_contains '"entries":[{"path":"src/main.c"'

# Truncation keeps the first entries in order.
tool 0 '{"recursive":true,"max_entries":2}'
expect_stdout '{"path":".","entries":[{"path":".git","type":"dir"},{"path":"README.md","type":"file","size":5}],"count":2,"truncated":true}'

# Errors.
tool 1 '{"path":"nope"}'
expect_stdout '{"error":"cannot list nope: No such file or directory"}'
tool 1 '{"path":"a.txt"}'
expect_stdout_contains 'a.txt is not a directory'
tool 1 '{"path":"/etc"}'
expect_stdout_contains 'cannot list /etc: not permitted'
# The sandbox's root is a virtual, empty directory.
tool 0 '{"path":"/"}'
expect_stdout '{"path":"/","entries":[],"count":0,"truncated":false}'
tool 1 '{"recursive":1}'
expect_stdout '{"error":"field \"recursive\" must be a boolean (true or false), not a number"}'
tool 1 '{"max_entries":0}'
expect_stdout_contains 'must be between 1 and 10000'
tool 1 '{"glob":["*.c"]}'
expect_stdout_contains 'must be a string, not an array'
