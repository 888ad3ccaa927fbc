# Red team, network: loopback and private addresses in every spelling,
# redirects, URL confusion, header smuggling, proxies and raw sockets
# (attacks.txt, group net). Two real test servers (A and B) on loopback.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require
start_servers

setup_net_proxy_env() {
	local p="http://127.0.0.1:$PORT_B"
	EXTRA_ENV=(http_proxy="$p" HTTP_PROXY="$p" https_proxy="$p" HTTPS_PROXY="$p"
		ALL_PROXY="$p" all_proxy="$p" no_proxy= NO_PROXY=)
}

redteam_run_group net
