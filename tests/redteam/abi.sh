# Red team, host-call ABI: lengths, pointers and handles a hostile guest
# passes to the boxagent and WASI host functions (attacks.txt, group abi).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require
start_servers

# 1024 descriptors is the usual soft limit (ulimit -n) of a login shell or
# a systemd service; the attack runs under it, whatever the test machine
# allows.
setup_abi_fd_exhaustion() {
	RUN_PREFIX=(bash -c 'ulimit -S -n 1024 && exec "$@"' with-1024-fds)
}

redteam_run_group abi
