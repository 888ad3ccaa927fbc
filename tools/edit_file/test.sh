# edit_file under boxagent tool run: unique replacements, replace_all, and
# the refusals that keep an edit from landing in the wrong place.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/edit_file/tool.yaml
WS=$WORK/ws
mkdir -p "$WS"
printf 'def f():\n    return 1\n\ndef g():\n    return 1\n' >"$WS/code.py"
printf 'x\0y' >"$WS/blob.bin"

tool() { # tool STATUS INPUT
	check "$1" tool run "$TOOL" --yes --workspace "$WS" --audit-log "$WORK/audit.log" \
		--input "$2"
}

# Ambiguous: refused with the count, file untouched.
before=$(cat "$WS/code.py")
tool 1 '{"path":"code.py","old_text":"return 1","new_text":"return 2"}'
expect_stdout '{"error":"old_text occurs 2 times in code.py; pass replace_all or include more context to pick one"}'
[ "$(cat "$WS/code.py")" = "$before" ] || fail "a refused edit changed the file"

# More context makes it unique.
tool 0 '{"path":"code.py","old_text":"def g():\n    return 1","new_text":"def g():\n    return 2"}'
expect_stdout '{"path":"code.py","replacements":1}'
[ "$(sed -n 5p "$WS/code.py")" = "    return 2" ] || fail "g() was not edited"
[ "$(sed -n 2p "$WS/code.py")" = "    return 1" ] || fail "f() was edited"

# replace_all.
tool 0 '{"path":"code.py","old_text":"return","new_text":"yield","replace_all":true}'
expect_stdout '{"path":"code.py","replacements":2}'
[ "$(grep -c yield "$WS/code.py")" = 2 ] || fail "replace_all missed one"

# Not found: exact matching, whitespace included.
tool 1 '{"path":"code.py","old_text":"def f():\n  yield 1","new_text":"x"}'
expect_stdout_contains 'old_text was not found in code.py (it must match exactly'

# Other refusals.
tool 1 '{"path":"code.py","old_text":"","new_text":"x"}'
expect_stdout_contains 'old_text is empty'
tool 1 '{"path":"code.py","old_text":"def","new_text":"def"}'
expect_stdout_contains 'new_text is the same as old_text'
tool 1 '{"path":"missing.py","old_text":"a","new_text":"b"}'
expect_stdout '{"error":"cannot read missing.py: No such file or directory"}'
tool 1 '{"path":"blob.bin","old_text":"x","new_text":"z"}'
expect_stdout_contains 'blob.bin is a binary file'
tool 1 '{"path":"code.py","old_text":"def"}'
expect_stdout '{"error":"missing required field \"new_text\" (a string)"}'
tool 1 '{"path":"code.py","old_text":"def","new_text":"x","replace_all":"true"}'
expect_stdout_contains 'must be a boolean'
tool 1 '{"path":"/etc/hosts","old_text":"a","new_text":"b"}'
expect_stdout_contains 'not permitted'

# No temporary files are left behind.
leftover=$(find "$WS" -name '.*.tmp-*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"
