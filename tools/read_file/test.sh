# read_file under boxagent tool run: whole files, line ranges, and every
# kind of bad input or refused path giving a clear {"error": ...}.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/read_file/tool.yaml
WS=$WORK/ws
mkdir -p "$WS/sub"
printf 'one\ntwo\nthree\nfour' >"$WS/notes.txt"
printf 'a\nb\n' >"$WS/sub/two.txt"
: >"$WS/empty.txt"
printf 'bin\0ary' >"$WS/blob.bin"
printf 'caf\303\251 \342\202\254\n' >"$WS/utf8.txt"
printf 'tab\there "quoted" back\\slash\n' >"$WS/escapes.txt"

tool() { # tool STATUS INPUT [ARGS...]
	want=$1 input=$2
	shift 2
	check "$want" tool run "$TOOL" --yes --workspace "$WS" --audit-log "$WORK/audit.log" \
		--input "$input" "$@"
}

# Whole files and ranges; relative and /workspace paths are the same file.
tool 0 '{"path":"notes.txt"}'
expect_stdout '{"path":"notes.txt","content":"one\ntwo\nthree\nfour","start_line":1,"end_line":4,"total_lines":4}'
tool 0 '{"path":"/workspace/notes.txt","start_line":2,"end_line":3}'
expect_stdout '{"path":"notes.txt","content":"two\nthree\n","start_line":2,"end_line":3,"total_lines":4}'
tool 0 '{"path":"./sub/../notes.txt","start_line":4,"end_line":99}'
expect_stdout '{"path":"notes.txt","content":"four","start_line":4,"end_line":4,"total_lines":4}'
tool 0 '{"path":"sub/two.txt","end_line":1}'
expect_stdout '{"path":"sub/two.txt","content":"a\n","start_line":1,"end_line":1,"total_lines":2}'
tool 0 '{"path":"empty.txt"}'
expect_stdout '{"path":"empty.txt","content":"","start_line":1,"end_line":0,"total_lines":0}'
tool 0 '{"path":"utf8.txt"}'
expect_stdout_contains '"content":"café €\n"'
tool 0 '{"path":"escapes.txt"}'
expect_stdout_contains '"content":"tab\there \"quoted\" back\\slash\n"'

# Files the tool refuses itself.
tool 1 '{"path":"missing.txt"}'
expect_stdout '{"error":"cannot read missing.txt: No such file or directory"}'
tool 1 '{"path":"blob.bin"}'
expect_stdout_contains 'blob.bin is a binary file'
tool 1 '{"path":"sub"}'
expect_stdout_contains 'sub is a directory'
tool 1 '{"path":"notes.txt","start_line":9}'
expect_stdout '{"error":"start_line 9 is past the end of notes.txt (4 lines)"}'
tool 1 '{"path":"notes.txt","start_line":3,"end_line":2}'
expect_stdout '{"error":"end_line (2) is before start_line (3)"}'
yes 'a line of sixty characters, give or take a few, to fill it up' | head -n 20000 \
	>"$WS/big.txt"
tool 1 '{"path":"big.txt"}'
expect_stdout_contains 'larger than 1 MiB; pass start_line and end_line'
tool 0 '{"path":"big.txt","start_line":19999,"end_line":20005}'
expect_stdout_contains '"start_line":19999,"end_line":20000,"total_lines":20000}'

# Bad input: never a trap, always an error naming the problem. (Text
# that is not JSON at all is refused by boxagent before the tool runs.)
tool 2 'not json'
tool 1 '[1]'
expect_stdout '{"error":"input must be a JSON object, not an array"}'
tool 1 '{}'
expect_stdout '{"error":"missing required field \"path\" (a string)"}'
tool 1 '{"path":7}'
expect_stdout '{"error":"field \"path\" must be a string, not a number"}'
tool 1 '{"path":"notes.txt","start_line":0}'
expect_stdout_contains 'must be between 1 and'
tool 1 '{"path":"notes.txt","start_line":"2"}'
expect_stdout_contains 'must be an integer, not a string'
tool 1 '{"path":"notes.txt","line":2}'
expect_stdout_contains 'unknown field \"line\"'

# Outside the workspace: the sandbox refuses, and the audit log says so.
tool 1 '{"path":"/etc/passwd"}'
expect_stdout_contains 'cannot read /etc/passwd: not permitted'
tool 1 '{"path":"../../../etc/passwd"}'
expect_stdout_contains 'not permitted'
check 0 audit --audit-log "$WORK/audit.log" --decision deny --json
expect_stdout_contains '/etc/passwd'

# Without a grant the tool sees no workspace at all.
check 1 tool run "$TOOL" --workspace "$WS" --audit-log "$WORK/audit.log" \
	--input '{"path":"notes.txt"}'
expect_stdout_contains 'not permitted'
