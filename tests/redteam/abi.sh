# Red team, host-call ABI: lengths, pointers and handles a hostile guest
# passes to the boxagent and WASI host functions (attacks.txt, group abi).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require
start_servers

redteam_run_group abi
