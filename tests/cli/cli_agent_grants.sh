# Capabilities in boxagent run: a tool call needing what nobody granted is
# denied (no terminal = no approval), the model sees why, the audit log
# records it; --grant allows it against the real loopback httpd; a
# workspace policy entry allows it without --grant, a deny entry refuses
# it; `boxagent policy` lists and removes entries.
. "$(dirname "$0")/lib/cli_agent.sh"

export OPENAI_API_KEY=$OPENAI_KEY

# web_fetch as shipped (public https only) asked for a host nobody granted.
fakellm fetch_denied.script
check 0 run --workspace "$WS" --tool web_fetch "fetch it"
expect_stdout "Sorry, that call failed."
expect_stderr_contains '[tool] web_fetch {"url":"https://x.example/secret"}'
expect_stderr_contains '  deny  network:GET:https://*:443 (no terminal)'
# The model is told the capability is not granted.
expect_request_contains 2 "not granted"
expect_request_contains 2 "call_e2eFetch10"
check 0 audit --decision deny --tool web_fetch --json
expect_stdout_contains '"capability":"network"'
check 0 audit verify

# A copy of web_fetch that declares the loopback server (as an operator
# would for a local documentation server); its grant is the operator's.
start_httpd
GRANT="network:GET:http://127.0.0.1:$HTTPD_PORT"
mkdir -p "$WORK/local"
cp "$(dirname "$BOXAGENT")/tools/web_fetch/web_fetch.wasm" "$WORK/local/"
sed "s|network:GET:https://\*|$GRANT|" "$(dirname "$BOXAGENT")/tools/web_fetch/tool.yaml" \
	>"$WORK/local/tool.yaml"
grep -qF "$GRANT" "$WORK/local/tool.yaml" || fail "manifest copy not rewritten"
mkdir -p "$WORK/fetch"
sed "s|@PORT@|$HTTPD_PORT|g" "$FIXTURES/openai_fetch_local.sse.in" >"$WORK/fetch/openai_fetch_local.sse"
cp "$FIXTURES/openai_fetched.sse" "$WORK/fetch/"
cp "$FIXTURES/fetch_local.script.in" "$WORK/fetch/fetch_local.script"

# Declared but not granted: denied, the server never sees a request.
fakellm "$WORK/fetch/fetch_local.script"
check 0 run --workspace "$WS" --tool "$WORK/local" "fetch the local page"
expect_stderr_contains "  deny  $GRANT (no terminal)"
expect_request_contains 2 "not granted"
if grep -qF "hello from httpd" "$(request 2)"; then fail "the denied fetch reached the server"; fi
check 0 audit --decision deny --contains "127.0.0.1:$HTTPD_PORT"
expect_stdout_contains "web_fetch"

# --grant: allowed, and the page reaches the model (as untrusted data).
fakellm "$WORK/fetch/fetch_local.script"
check 0 run --workspace "$WS" --tool "$WORK/local/tool.yaml" --grant "$GRANT" "fetch the local page"
expect_stdout "The page says hello."
expect_stderr_contains "  allow $GRANT (grant)"
expect_stderr_contains "  ok "
expect_request_contains 2 "hello from httpd"
expect_request_contains 2 "untrusted"
check 0 audit --decision allow --tool web_fetch --json
expect_stdout_contains "127.0.0.1:$HTTPD_PORT"

# Policy: usage errors, then an allow entry for this workspace and tool.
check 2 policy
check 2 policy allow "$GRANT"
expect_stderr_contains "--workspace"
check 2 policy allow --workspace "$WS"
check 2 policy allow --workspace "$WS" "shell:rm -rf"
expect_stderr_contains "shell:rm -rf"
check 2 policy allow --workspace "$WORK/missing" "$GRANT"
check 2 policy allow --workspace "$WS" --tool 'Bad Name' "$GRANT"
check 2 policy frobnicate
check 0 policy list
expect_stderr_contains "no policy entries"
# The workspace is canonical: a path with "." and ".." names the same one.
check 0 policy allow --workspace "$WS/src/.." --tool web_fetch "$GRANT"
check 0 policy list --workspace "$WS"
expect_stdout_contains "allow"
expect_stdout_contains "web_fetch"
expect_stdout_contains "$GRANT"
check 0 policy list --json
expect_stdout_contains "\"tool\":\"web_fetch\""
expect_stdout_contains "\"decision\":\"allow\""

fakellm "$WORK/fetch/fetch_local.script"
check 0 run --workspace "$WS" --tool "$WORK/local" "fetch the local page"
expect_stdout "The page says hello."
expect_stderr_contains "  allow $GRANT (policy)"
expect_request_contains 2 "hello from httpd"

# The entry is for this workspace only.
mkdir -p "$WORK/other"
fakellm "$WORK/fetch/fetch_local.script"
check 0 run --workspace "$WORK/other" --tool "$WORK/local" "fetch the local page"
expect_stderr_contains "  deny  $GRANT (no terminal)"

# Removing the entry; then a deny entry for every tool, which refuses
# without asking (the source says so).
check 0 policy remove --workspace "$WS" --tool web_fetch "$GRANT"
expect_stdout_contains "removed"
check 1 policy remove --workspace "$WS" --tool web_fetch "$GRANT"
check 0 policy deny --workspace "$WS" "$GRANT"
check 0 policy list --workspace "$WS"
expect_stdout_contains "deny"
expect_stdout_contains "*"
fakellm "$WORK/fetch/fetch_local.script"
check 0 run --workspace "$WS" --tool "$WORK/local" "fetch the local page"
expect_stderr_contains "  deny  $GRANT (policy deny)"
check 0 policy remove --workspace "$WS" "$GRANT"
check 0 policy list --workspace "$WS"
expect_stderr_contains "no policy entries"

no_keys
