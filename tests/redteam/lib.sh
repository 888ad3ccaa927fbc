# lib.sh - the red-team harness (docs/redteam.md), sourced by the group
# scripts tests/redteam/GROUP.sh, which are bash (they re-exec themselves
# under bash when the test runner starts them with sh).
#
# For each line of attacks.txt in the group, redteam_run_group:
#   - builds a fresh workspace and a manifest with the ports filled in,
#   - runs the attack tool with `boxagent tool run` (under a 60 s guard),
#   - asserts: no "ESCAPED" and no "UNEXPECTED" in its output; the host
#     survived (status 0-4, no signal, no sanitizer report); the status is
#     the expected one; a status 1 carries the tool's "blocked:" verdict;
#     the expected deny record is in the audit log (read back with
#     `boxagent audit --decision deny --json`); the QUIET test servers saw
#     no connection; and the attack's own check_NAME hook, if any,
#   - prints "# attack NAME: blocked (exit N, ...)".
# Then it verifies the group's audit log, tampers with one line and
# expects verify to fail, and exits 1 if any attack failed.
#
# REDTEAM_ONLY=NAME[,NAME] runs only those attacks (for debugging);
# REDTEAM_KEEP=1 keeps the scratch folder and prints its path.

. "$(dirname "$0")/../cli/lib/common.sh"
set +e

REDTEAM_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
REDTEAM_BIN=${REDTEAM_BIN:-$BUILD/redteam}
HTTPD_BIN=${HTTPD_BIN:-$BUILD/tests/httpd}
LOG=$WORK/audit.log
FAILED_ATTACKS=""
PASSED=0
HTTPD_PIDS=""
PORT_A="" PORT_B="" PORT_DEAD=""
SECRET_VALUE=""
SECRET_ARGS=""

redteam_cleanup() {
	for fd in ${HTTPD_FDS:-}; do
		eval "exec $fd>&-"
	done
	for pid in $HTTPD_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "${REDTEAM_KEEP:-}" ]; then
		echo "# kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap redteam_cleanup EXIT

# Skips the whole group (exit 77) when what it tests does not exist yet.
redteam_require() {
	if [ ! -x "$BOXAGENT" ]; then
		echo "redteam: no boxagent at $BOXAGENT"
		exit 1
	fi
	"$BOXAGENT" tool --help >"$WORK/help" 2>&1
	if ! grep -q "tool run" "$WORK/help"; then
		echo "redteam: skipped: this boxagent has no 'tool run'"
		exit 77
	fi
	if [ ! -f "$REDTEAM_BIN/fs_dotdot.wasm" ]; then
		echo "redteam: the attack tools are not built ($REDTEAM_BIN); run make with mk/redteam.mk"
		exit 1
	fi
}

# start_httpd VAR: starts a test server, stores its port in VAR. The
# server lives until its stdin (a fifo held open here) closes.
HTTPD_FDS=""
start_httpd() {
	local name=$1 fifo=$WORK/httpd-$1.in port="" fd i
	if [ ! -x "$HTTPD_BIN" ]; then
		echo "redteam: no test server at $HTTPD_BIN"
		exit 1
	fi
	mkfifo "$fifo"
	"$HTTPD_BIN" <"$fifo" >"$WORK/httpd-$name.port" 2>"$WORK/httpd-$name.log" &
	HTTPD_PIDS="$HTTPD_PIDS $!"
	exec {fd}>"$fifo"
	HTTPD_FDS="$HTTPD_FDS $fd"
	for i in $(seq 100); do
		read -r port <"$WORK/httpd-$name.port" 2>/dev/null
		[ -n "$port" ] && break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "redteam: httpd $name did not start:"
		cat "$WORK/httpd-$name.log"
		exit 1
	fi
	eval "$name=\$port"
}

# A port with nothing behind it: start a server, note its port, stop it.
dead_port() {
	local fifo=$WORK/httpd-dead.in port="" fd pid i
	mkfifo "$fifo"
	"$HTTPD_BIN" <"$fifo" >"$WORK/httpd-dead.port" 2>/dev/null &
	pid=$!
	exec {fd}>"$fifo"
	for i in $(seq 100); do
		read -r port <"$WORK/httpd-dead.port" 2>/dev/null
		[ -n "$port" ] && break
		sleep 0.05
	done
	eval "exec $fd>&-"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PORT_DEAD=$port
}

# The servers every network-facing group uses.
start_servers() {
	start_httpd PORT_A
	start_httpd PORT_B
	dead_port
}

# connections PORT: how many connections the test server on PORT has
# accepted so far (its /count route; the query itself is one more).
connections() {
	local fd line count=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || {
		echo "?"
		return
	}
	printf 'GET /count HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&$fd
	while IFS= read -r line <&$fd; do
		line=${line%$'\r'}
		case $line in
		[0-9]*) count=$line ;;
		esac
	done
	eval "exec $fd>&-"
	echo "${count:-?}"
}

# The standard workspace: a few files, a folder, nothing else. Attacks add
# to it in setup_NAME hooks (symlinks to /etc and /proc).
make_workspace() {
	mkdir -p "$1/sub" "$2"
	printf 'hello from the workspace\n' >"$1/hello.txt"
	printf 'inner\n' >"$1/sub/inner.txt"
	printf 'allowed\n' >"$1/allowed.txt"
	printf 'top secret sibling\n' >"$1/secret.txt"
}

# snapshot DIR: every entry with type, size, link target and content hash.
snapshot() {
	(cd "$1" && find . -printf '%p %y %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

subst() {
	local s=$1
	s=${s//@PORT_A@/$PORT_A}
	s=${s//@PORT_B@/$PORT_B}
	s=${s//@PORT_DEAD@/$PORT_DEAD}
	s=${s//@WORK@/$WORK}
	s=${s//@SECRET_ARGS@/$SECRET_ARGS}
	echo "$s"
}

# attack_fail MESSAGE: records a failure of the current attack.
attack_fail() {
	ATTACK_OK=0
	echo "FAILED attack $NAME: $*"
}

# Context for hooks: NAME, DIR (scratch folder of the attack), WS, OUTSIDE,
# OUT, ERR, STATUS, ELAPSED_MS, EXTRA_ENV (array, set by setup hooks),
# RUN_PREFIX (array: a command that execs its arguments, e.g. to lower a
# ulimit),
# INPUT_EXTRA (more JSON members, set by setup hooks or the group).
run_attack() {
	local group=$1 exits=$3 kind=$4 target=$5 quiet=$6 args_text=$7
	local log before runs line cap tgt found="" k want st before_a="" before_b=""
	local -a args
	NAME=$2
	DIR=$WORK/$NAME
	WS=$DIR/ws
	OUTSIDE=$DIR/outside
	OUT=$DIR/stdout
	ERR=$DIR/stderr
	ATTACK_OK=1
	EXTRA_ENV=()
	RUN_PREFIX=()
	INPUT_EXTRA=""
	RSS_KB=""
	mkdir -p "$DIR/tool"
	make_workspace "$WS" "$OUTSIDE"
	if [ ! -f "$REDTEAM_BIN/$NAME.wasm" ] || [ ! -f "$REDTEAM_BIN/$NAME.yaml" ]; then
		attack_fail "$REDTEAM_BIN/$NAME.wasm or .yaml is missing"
		FAILED_ATTACKS="$FAILED_ATTACKS $NAME"
		return
	fi
	cp "$REDTEAM_BIN/$NAME.wasm" "$DIR/tool/"
	subst "$(cat "$REDTEAM_BIN/$NAME.yaml")" >"$DIR/tool/tool.yaml"
	target=$(subst "$target")
	read -r -a args <<<"$(subst "$args_text")"
	log=$LOG
	for ((k = 0; k < ${#args[@]}; k++)); do
		[ "${args[k]}" = "--audit-log" ] && log=${args[k + 1]}
	done
	[ "$log" = "$LOG" ] && args+=(--audit-log "$LOG")
	if declare -F group_setup >/dev/null; then
		group_setup
	fi
	if declare -F "setup_$NAME" >/dev/null; then
		"setup_$NAME"
	fi
	INPUT="{\"port_a\":\"$PORT_A\",\"port_b\":\"$PORT_B\",\"port_dead\":\"$PORT_DEAD\",\"cap_mib\":\"32\",\"outside\":\"$OUTSIDE\"${INPUT_EXTRA:-}}"
	before=0
	[ -f "$log" ] && before=$(wc -l <"$log")
	case $quiet in *A*) before_a=$(connections "$PORT_A") ;; esac
	case $quiet in *B*) before_b=$(connections "$PORT_B") ;; esac

	local t0 t1
	t0=$(date +%s%N)
	local -a timer=()
	# GNU time, when installed, reports the host's peak memory (hooks use it).
	[ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M -o "$DIR/rss")
	env "${EXTRA_ENV[@]}" "${timer[@]}" timeout -s KILL 60 "${RUN_PREFIX[@]}" \
		"$BOXAGENT" tool run "$DIR/tool/tool.yaml" --workspace "$WS" --input "$INPUT" \
		"${args[@]}" </dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
	RSS_KB=$(tail -n 1 "$DIR/rss" 2>/dev/null)

	# The verdict of the tool itself.
	if grep -aq "ESCAPED" "$OUT"; then
		attack_fail "THE ATTACK WORKED: $(grep -a -m1 ESCAPED "$OUT" | tr -d '\000' | cut -c1-400)"
	fi
	if grep -aq "^UNEXPECTED\|^HARNESS" "$OUT"; then
		attack_fail "refused, but not as documented: $(grep -a -m1 '^UNEXPECTED\|^HARNESS' "$OUT" | cut -c1-400)"
	fi
	# The host survived.
	if [ "$STATUS" -eq 137 ] && [ "$ELAPSED_MS" -ge 59000 ]; then
		attack_fail "boxagent hung: killed after 60 s"
	elif [ "$STATUS" -gt 4 ]; then
		attack_fail "boxagent died: exit status $STATUS (a signal if > 128)"
	fi
	if grep -aq "AddressSanitizer\|LeakSanitizer\|runtime error:\|Segmentation fault" "$ERR"; then
		attack_fail "sanitizer report: $(grep -a -m1 'Sanitizer\|runtime error' "$ERR")"
	fi
	# The expected status.
	case ",$exits," in
	*",$STATUS,"*) ;;
	*) attack_fail "exit status $STATUS, expected $exits" ;;
	esac
	if [ "$STATUS" -eq 1 ] && ! grep -aq "^blocked:" "$OUT"; then
		attack_fail "exit status 1 without the tool's \"blocked:\" verdict"
	fi

	# The deny record, from this run only (its run ids).
	local deny_note="no deny expected"
	if [ "$kind" != "-" ] && [ "$STATUS" -ne 2 ]; then
		runs=$(tail -n +$((before + 1)) "$log" 2>/dev/null | grep -o '"run":"[^"]*"' | sort -u)
		if [ -z "$runs" ]; then
			attack_fail "the run left no audit record at all in $log"
		elif ! "$BOXAGENT" audit --audit-log "$log" --decision deny --json >"$DIR/denies" 2>"$DIR/denies.err"; then
			attack_fail "boxagent audit --decision deny failed: $(cat "$DIR/denies.err")"
		else
			while IFS= read -r line; do
				cap=$(printf '%s' "$line" | sed -n 's/.*"capability":"\([^"]*\)".*/\1/p')
				tgt=$(printf '%s' "$line" | sed -n 's/.*"target":"\(\([^"\\]\|\\.\)*\)".*/\1/p')
				case ",$kind," in *",$cap,"*) ;; *) continue ;; esac
				if [ "$target" = "-" ] || [[ $tgt == *"$target"* ]]; then
					found="$cap $tgt"
					break
				fi
			done < <(grep -F -f <(printf '%s\n' "$runs") "$DIR/denies")
			if [ -n "$found" ]; then
				deny_note="deny recorded: $(printf '%s' "$found" | cut -c1-160)"
			else
				attack_fail "no deny record with capability $kind and target containing '$target'; this run's denies: $(grep -F -f <(printf '%s\n' "$runs") "$DIR/denies" | sed -n 's/.*\("capability":"[^"]*","target":"[^"]*"\).*/\1/p' | head -5 | tr '\n' ' ')"
			fi
		fi
	elif [ "$kind" != "-" ]; then
		deny_note="refused before running"
	fi

	# Servers that must not have been contacted.
	local after
	if [ -n "$before_a" ]; then
		after=$(connections "$PORT_A")
		[ "$after" = "$((before_a + 1))" ] ||
			attack_fail "server A saw $((after - before_a - 1)) connection(s) during the attack"
	fi
	if [ -n "$before_b" ]; then
		after=$(connections "$PORT_B")
		[ "$after" = "$((before_b + 1))" ] ||
			attack_fail "server B saw $((after - before_b - 1)) connection(s) during the attack"
	fi

	if declare -F "check_$NAME" >/dev/null; then
		"check_$NAME"
	fi
	if declare -F group_check >/dev/null; then
		group_check
	fi

	if [ "$ATTACK_OK" -eq 1 ]; then
		PASSED=$((PASSED + 1))
		echo "# attack $NAME: blocked (exit $STATUS, $deny_note)"
	else
		FAILED_ATTACKS="$FAILED_ATTACKS $NAME"
		echo "--- $NAME: boxagent exit $STATUS after ${ELAPSED_MS} ms; stdout:"
		head -c 2000 "$OUT" | cut -c1-300
		echo "--- $NAME: stderr:"
		head -c 3000 "$ERR" | cut -c1-300
		echo "---"
	fi
}

# Hook helpers.
max_seconds() {
	[ "$ELAPSED_MS" -le $(($1 * 1000)) ] ||
		attack_fail "took ${ELAPSED_MS} ms, more than $1 s"
}
empty_dir() {
	[ -z "$(ls -A "$1")" ] || attack_fail "$1 is not empty: $(ls -A "$1" | tr '\n' ' ')"
}

# verify_and_tamper LOG: the chain verifies; an edited line, or a removed
# last line, makes verify fail.
verify_and_tamper() {
	local log=$1 n
	[ -s "$log" ] || {
		echo "# audit log $(basename "$log") is empty: nothing to verify"
		return
	}
	if ! "$BOXAGENT" audit verify --audit-log "$log" >"$WORK/verify.out" 2>&1; then
		echo "FAILED audit: verify of the untouched log failed: $(cat "$WORK/verify.out")"
		FAILED_ATTACKS="$FAILED_ATTACKS audit-verify"
		return
	fi
	echo "# audit log $(basename "$log"): $(wc -l <"$log") records, verify ok"
	# Dropping the last line must be caught (the head file).
	cp "$log" "$WORK/truncated.log"
	cp "$log.head" "$WORK/truncated.log.head" 2>/dev/null
	sed -i '$d' "$WORK/truncated.log"
	"$BOXAGENT" audit verify --audit-log "$WORK/truncated.log" >"$WORK/verify.out" 2>&1
	n=$?
	if [ "$n" -ne 1 ]; then
		echo "FAILED audit: verify after dropping the last line exited $n, expected 1"
		FAILED_ATTACKS="$FAILED_ATTACKS audit-truncate"
	fi
	# Turning a deny into an allow (or, without denies, renaming the tool
	# of the first record) must be caught.
	n=$(grep -n '"decision":"deny"' "$log" | head -1 | cut -d: -f1)
	if [ -n "$n" ]; then
		sed -i "${n}s/\"decision\":\"deny\"/\"decision\":\"allow\"/" "$log"
	else
		n=1
		sed -i '1s/"tool":"/"tool":"x/' "$log"
	fi
	"$BOXAGENT" audit verify --audit-log "$log" >"$WORK/verify.out" 2>&1
	local st=$?
	if [ "$st" -ne 1 ]; then
		echo "FAILED audit: verify after editing line $n exited $st, expected 1"
		FAILED_ATTACKS="$FAILED_ATTACKS audit-tamper"
	else
		echo "# audit log tampered at line $n: verify fails ($(head -c 120 "$WORK/verify.out" | tr '\n' ' '))"
	fi
}

# redteam_run_group GROUP: every attack of GROUP in attacks.txt, then the
# audit checks. Exits with the verdict.
redteam_run_group() {
	local group=$1 g name exits kind target quiet rest
	local -a lines
	mapfile -t lines < <(grep -v '^[[:space:]]*#' "$REDTEAM_DIR/attacks.txt" | grep -v '^[[:space:]]*$')
	for line in "${lines[@]}"; do
		read -r g name exits kind target quiet rest <<<"$line"
		[ "$g" = "$group" ] || continue
		if [ -n "${REDTEAM_ONLY:-}" ]; then
			case ",$REDTEAM_ONLY," in *",$name,"*) ;; *) continue ;; esac
		fi
		run_attack "$g" "$name" "$exits" "$kind" "$target" "$quiet" "${rest:-}"
	done
	if declare -F group_end >/dev/null; then
		group_end
	fi
	[ -f "$LOG" ] && verify_and_tamper "$LOG"
	if [ -n "$FAILED_ATTACKS" ]; then
		echo "redteam $group: $PASSED blocked; FAILED:$FAILED_ATTACKS"
		exit 1
	fi
	echo "# redteam $group: all $PASSED attacks blocked"
	exit 0
}
