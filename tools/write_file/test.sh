# write_file under boxagent tool run: create, replace, create_dirs, and
# what the sandbox refuses (outside the workspace, read-only grants).
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/write_file/tool.yaml
WS=$WORK/ws
mkdir -p "$WS/sub"

tool() { # tool STATUS INPUT [ARGS...]
	want=$1 input=$2
	shift 2
	check "$want" tool run "$TOOL" --yes --workspace "$WS" --audit-log "$WORK/audit.log" \
		--input "$input" "$@"
}

# Create, then replace; the bytes on disk are exactly the content.
tool 0 '{"path":"new.txt","content":"line 1\nline 2\n"}'
expect_stdout '{"path":"new.txt","bytes_written":14,"created":true}'
[ "$(cat "$WS/new.txt")" = "line 1
line 2" ] || fail "new.txt has the wrong content"
tool 0 '{"path":"/workspace/new.txt","content":"caf\u00e9 \ud83d\ude00"}'
expect_stdout '{"path":"new.txt","bytes_written":10,"created":false}'
[ "$(cat "$WS/new.txt")" = "café 😀" ] || fail "new.txt was not replaced: $(cat "$WS/new.txt")"
tool 0 '{"path":"sub/empty.txt","content":""}'
[ -f "$WS/sub/empty.txt" ] && [ ! -s "$WS/sub/empty.txt" ] || fail "empty file not created"

# Missing directories: an error unless create_dirs.
tool 1 '{"path":"a/b/c.txt","content":"x"}'
expect_stdout_contains 'its directory does not exist (pass create_dirs: true'
[ ! -e "$WS/a" ] || fail "a/ was created without create_dirs"
tool 0 '{"path":"a/b/c.txt","content":"x","create_dirs":true}'
expect_stdout '{"path":"a/b/c.txt","bytes_written":1,"created":true}'
[ "$(cat "$WS/a/b/c.txt")" = "x" ] || fail "a/b/c.txt not written"

# No temporary files are left behind.
leftover=$(find "$WS" -name '.*.tmp-*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"

# Errors.
tool 1 '{"path":"sub","content":"x"}'
expect_stdout '{"error":"sub is a directory"}'
tool 1 '{"path":"new.txt"}'
expect_stdout '{"error":"missing required field \"content\" (a string)"}'
tool 1 '{"path":"new.txt","content":{"not":"a string"}}'
expect_stdout '{"error":"field \"content\" must be a string, not an object"}'
tool 1 '{"path":"","content":"x"}'
expect_stdout '{"error":"field \"path\" must not be empty"}'
tool 1 '{"path":"/etc/evil","content":"x"}'
expect_stdout_contains 'cannot write /etc/evil: not permitted'
tool 1 '{"path":"../escape.txt","content":"x"}'
expect_stdout_contains 'not permitted'
[ ! -e "$WORK/escape.txt" ] || fail "a write escaped the workspace"

# Granted only read access (declared fs.write ∩ granted fs.read), the
# tool cannot write, and the denial is in the audit log.
check 1 tool run "$TOOL" --grant fs.read:/workspace --workspace "$WS" \
	--audit-log "$WORK/audit.log" --input '{"path":"ro.txt","content":"x"}'
expect_stdout_contains 'cannot write ro.txt'
[ ! -e "$WS/ro.txt" ] || fail "ro.txt was written through a read-only grant"
check 0 audit --audit-log "$WORK/audit.log" --decision deny --json
expect_stdout_contains 'ro.txt'

# Regression: fs.read and fs.write of the same folder granted together are
# one writable folder, in either order (two preopens of /workspace used to
# shadow each other, and the later grant decided).
check 0 tool run "$TOOL" --grant fs.read:/workspace --grant fs.write:/workspace \
	--workspace "$WS" --audit-log "$WORK/audit.log" --input '{"path":"rw1.txt","content":"x"}'
[ -f "$WS/rw1.txt" ] || fail "rw1.txt not written with read+write grants"
check 0 tool run "$TOOL" --grant fs.write:/workspace --grant fs.read:/workspace \
	--workspace "$WS" --audit-log "$WORK/audit.log" --input '{"path":"rw2.txt","content":"x"}'
[ -f "$WS/rw2.txt" ] || fail "rw2.txt not written with write+read grants"
