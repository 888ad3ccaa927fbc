# boxagent run end to end with Anthropic's Messages format: text, then
# list_dir and read_file as tool_use blocks, then the streamed answer; the
# session resumed with the tool_use/tool_result history; no key anywhere.
. "$(dirname "$0")/lib/cli_agent.sh"

export ANTHROPIC_API_KEY=$ANTHROPIC_KEY

fakellm anthropic_ls_read.script
check 0 run --model anthropic/claude-sonnet-4-5 --workspace "$WS" "What do my notes say?"
expect_stdout_contains "I'll look at the workspace first."
expect_stdout_contains "The notes say the meeting moved to Tuesday at 10."
expect_stderr_contains '[tool] list_dir {"path": "."}'
expect_stderr_contains '  allow fs.read:/workspace (workspace)'
expect_stderr_contains '[tool] read_file {"path": "notes.txt"}'
expect_stderr_contains 'stop: end'
expect_stderr_contains '3 steps, 2 tool calls'
# Usage from message_start and message_delta: 980+1104+1210 in, 52+60+19 out.
expect_stderr_contains '(3294 in, 131 out)'
expect_requests 3
ID=$(session_id)
[ -n "$ID" ] || fail "no session id in the summary line"

# The wire format: the tools, the system prompt apart, tool results as
# tool_result blocks of a user message, marked untrusted.
expect_request_contains 1 'POST /v1/messages'
expect_request_contains 1 '"model":"claude-sonnet-4-5"'
expect_request_contains 1 '"system":'
expect_request_contains 1 '"input_schema":'
expect_request_contains 2 '"type":"tool_use"'
expect_request_contains 2 '"id":"toolu_01E2eList"'
expect_request_contains 2 '"type":"tool_result"'
expect_request_contains 2 '"tool_use_id":"toolu_01E2eList"'
expect_request_contains 2 'untrusted'
expect_request_contains 3 'Bring the Q3 numbers.'

check 0 sessions
expect_stdout_contains "$ID"
expect_stdout_contains "anthropic/claude-sonnet-4-5"

# Resumed: the earlier tool_use and tool_result blocks are sent again.
fakellm anthropic_resume.script
check 0 run --session "$ID" "And when again?"
expect_stdout "Still Tuesday at 10."
expect_request_contains 1 '"tool_use_id":"toolu_01E2eRead"'
expect_request_contains 1 'Bring the Q3 numbers.'
expect_request_contains 1 "I'll look at the workspace first."
expect_request_contains 1 "And when again?"
expect_request_contains 1 'x-api-key: sk-ant-test-456'

no_keys
