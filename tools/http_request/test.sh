# http_request under boxagent tool run, against the real loopback httpd:
# methods, headers, JSON and text bodies, JSON responses, and the egress
# chokepoint refusing what is not granted.
. "$(dirname "$0")/../../tests/cli/lib/common.sh"

BUILD=${BUILD:-build}
TOOL=$BUILD/tools/http_request/tool.yaml

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

# The shipped manifest declares public https only.
check 1 tool run "$TOOL" --yes --audit-log "$WORK/audit.log" \
	--input "{\"method\":\"POST\",\"url\":\"$BASE/echo\",\"json\":{}}"
expect_stdout_contains "POST $BASE/echo failed: "
expect_stdout_contains "not granted"
check 0 audit --audit-log "$WORK/audit.log" --decision deny --capability network --json
expect_stdout_contains "$BASE/echo"

# Run as a bare module with an explicit loopback grant (then only --grant
# capabilities apply).
WASM=$BUILD/tools/http_request/http_request.wasm
req() { # req STATUS INPUT
	check "$1" tool run "$WASM" --grant "network:http://127.0.0.1:$PORT" \
		--audit-log "$WORK/audit.log" --input "$2"
}

# POST with a JSON body: the server sees the method, our header, the
# content type and the body; its JSON answer comes back parsed.
req 0 "{\"method\":\"post\",\"url\":\"$BASE/echo\",\"headers\":{\"X-Test\":\"yes\"},\"json\":{\"a\":[1,2.50,\"\\u00e9\"],\"b\":null}}"
expect_stdout_contains '"status":200,"headers":{"content-type":"application/json"'
expect_stdout_contains '"json":{"method":"POST","path":"/echo","headers":{'
expect_stdout_contains '"x-test":"yes"'
expect_stdout_contains '"content-type":"application/json"'
# httpd echoes body bytes >= 0x80 as \u00XX, so the two UTF-8 bytes of
# "é" come back as two characters.
expect_stdout_contains '"body":"{\"a\":[1,2.50,\"Ã©\"],\"b\":null}"'
expect_stdout_contains '"truncated":false}'

# A text body with our own content type.
req 0 "{\"method\":\"PUT\",\"url\":\"$BASE/echo\",\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"raw text\"}"
expect_stdout_contains '"method":"PUT"'
expect_stdout_contains '"content-type":"text/plain"'
expect_stdout_contains '"body":"raw text"'

# GET (the default method): JSON and text responses, other statuses.
req 0 "{\"url\":\"$BASE/json\"}"
expect_stdout_contains '"json":{"ok":true,"items":[1,2,3]}'
req 0 "{\"url\":\"$BASE/text\"}"
expect_stdout_contains '"body":"hello from httpd\n"'
req 0 "{\"method\":\"POST\",\"url\":\"$BASE/echo\",\"json\":null,\"body\":null}"
expect_stdout_contains '"method":"POST"'
expect_stdout_contains '"body":""'
req 0 "{\"method\":\"DELETE\",\"url\":\"$BASE/echo\"}"
expect_stdout_contains '"method":"DELETE"'
req 0 "{\"url\":\"$BASE/status/503\"}"
expect_stdout_contains '"status":503'
req 0 "{\"url\":\"$BASE/big?n=3000\",\"max_bytes\":10}"
expect_stdout_contains '"body":"xxxxxxxxxx","truncated":true}'

# Refused before anything is sent.
req 1 "{\"url\":\"$BASE/echo\",\"json\":1,\"body\":\"x\"}"
expect_stdout '{"error":"pass either \"json\" or \"body\", not both"}'
req 1 "{\"method\":\"BREW\",\"url\":\"$BASE/echo\"}"
expect_stdout_contains 'method \"BREW\" is not one of GET'
req 1 "{\"url\":\"$BASE/echo\",\"headers\":{\"X-A\":\"v\\r\\nX-Injected: 1\"}}"
expect_stdout_contains 'contains a line break'
req 1 "{\"url\":\"$BASE/echo\",\"headers\":{\"Bad Name\":\"v\"}}"
expect_stdout_contains 'is not a valid header name'
req 1 "{\"url\":\"$BASE/echo\",\"headers\":[\"X-A: v\"]}"
expect_stdout_contains 'field \"headers\" must be an object, not an array'
req 1 '{"method":"GET"}'
expect_stdout '{"error":"missing required field \"url\" (a string)"}'
req 1 '{"url":"file:///etc/passwd"}'
expect_stdout_contains 'url must start with https:// or http://'

# The host's own refusals come back with its reason: another port, a
# header the host controls.
req 1 "{\"url\":\"http://127.0.0.1:1/\"}"
expect_stdout_contains 'not granted'
req 1 "{\"url\":\"$BASE/echo\",\"headers\":{\"Host\":\"evil.example\"}}"
expect_stdout_contains 'header Host may not be set by a tool'
