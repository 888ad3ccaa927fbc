# web_fetch under boxagent tool run, against the real loopback httpd:
# HTML reduced to text, plain text, statuses, truncation, and the
# egress chokepoint refusing what is not granted.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/web_fetch/tool.yaml

# httpd prints its port, then serves until its stdin (our fifo) closes.
mkfifo "$WORK/httpd.in"
"$BUILD/tests/httpd" <"$WORK/httpd.in" >"$WORK/httpd.port" &
HTTPD_PID=$!
exec 9>"$WORK/httpd.in"
trap 'exec 9>&-; kill "$HTTPD_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
i=0
until [ -s "$WORK/httpd.port" ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
PORT=$(head -n 1 "$WORK/httpd.port")
[ -n "$PORT" ] || fail "httpd did not start"
BASE=http://127.0.0.1:$PORT

# The shipped manifest declares public https only: with --yes, a loopback
# http URL is refused by the host, and the reason reaches the model.
check 1 tool run "$TOOL" --yes --audit-log "$WORK/audit.log" --input "{\"url\":\"$BASE/html\"}"
expect_stdout_contains "cannot fetch $BASE/html: "
expect_stdout_contains "not granted"
# Granting loopback does not widen what the manifest declares.
check 1 tool run "$TOOL" --grant "network:http://127.0.0.1:$PORT" --audit-log "$WORK/audit.log" \
	--input "{\"url\":\"$BASE/text\"}"
expect_stdout_contains "not granted"
check 0 audit --audit-log "$WORK/audit.log" --decision deny --capability network --json
expect_stdout_contains "$BASE/html"

# The same tool with loopback declared (a copy of the manifest), as an
# operator would for a local documentation server.
mkdir -p "$WORK/local"
cp "$BUILD/tools/web_fetch/web_fetch.wasm" "$WORK/local/"
sed "s|network:GET:https://\*|network:GET:http://127.0.0.1:$PORT|" "$TOOL" \
	>"$WORK/local/tool.yaml"
grep -q "127.0.0.1:$PORT" "$WORK/local/tool.yaml" || fail "manifest copy not rewritten"
fetch() { # fetch STATUS INPUT
	check "$1" tool run "$WORK/local/tool.yaml" --yes --audit-log "$WORK/audit.log" --input "$2"
}

fetch 0 "{\"url\":\"$BASE/html\"}"
expect_stdout_contains '"status":200,"content_type":"text/html'
expect_stdout_contains '"title":"Test page & friends"'
expect_stdout_contains '"text":"# Main heading\n\nFirst paragraph with [a relative link]('"$BASE"'/text) and [an absolute link](https://example.com/page?a=1&b=2).\n\n## Second heading\n\nEntities: 1 < 2 && 3 > 2, it'"'"'s \"quoted\".\n\n- first item\n- second item\n\n1. one\n2. two"'
if grep -q 'script text' "$OUT"; then fail "script content leaked into the text"; fi
if grep -q 'font-family' "$OUT"; then fail "style content leaked into the text"; fi

fetch 0 "{\"url\":\"$BASE/text\"}"
expect_stdout "{\"url\":\"$BASE/text\",\"status\":200,\"content_type\":\"text/plain; charset=utf-8\",\"text\":\"hello from httpd\\n\",\"truncated\":false}"
fetch 0 "{\"url\":\"$BASE/json\"}"
expect_stdout_contains '"text":"{\"ok\":true,\"items\":[1,2,3]}'
fetch 0 "{\"url\":\"$BASE/status/404\"}"
expect_stdout_contains '"status":404'
fetch 0 "{\"url\":\"$BASE/redirect?to=/text\"}"
expect_stdout_contains '"text":"hello from httpd\n"'
fetch 0 "{\"url\":\"$BASE/big?n=5000\",\"max_bytes\":100}"
expect_stdout_contains '"truncated":true'
expect_stdout_contains "\"text\":\"$(head -c 100 /dev/zero | tr '\0' x)\""

# Bad input.
fetch 1 '{"url":"ftp://example.com/"}'
expect_stdout_contains 'url must start with https:// or http://'
fetch 1 '{}'
expect_stdout '{"error":"missing required field \"url\" (a string)"}'
fetch 1 "{\"url\":\"$BASE/text\",\"max_bytes\":0}"
expect_stdout_contains 'must be between 1 and'
fetch 1 "{\"url\":\"http://127.0.0.2:$PORT/text\"}"
expect_stdout_contains 'not granted'
