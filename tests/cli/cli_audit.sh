# boxagent audit [list] / audit verify, on a log written here in shell
# with sha256sum: that the C verifier accepts it also shows that the format
# (docs/audit.md) can be reproduced by an outside tool.
. "$(dirname "$0")/lib/common.sh"

LOG=$WORK/audit.log
ZEROS=0000000000000000000000000000000000000000000000000000000000000000
prev=$ZEROS
seq=0

# add TIME RUN TOOL DECISION CAPABILITY TARGET ADDRESS BYTES REASON
# Strings are given already JSON-escaped; ADDRESS or BYTES "-" = omitted.
add() {
	seq=$((seq + 1))
	body="{\"seq\":$seq,\"time\":\"$1\",\"run\":\"$2\",\"tool\":\"$3\",\"decision\":\"$4\""
	body="$body,\"capability\":\"$5\",\"target\":\"$6\""
	[ "$7" = - ] || body="$body,\"address\":\"$7\""
	[ "$8" = - ] || body="$body,\"bytes\":$8"
	body="$body,\"reason\":\"$9\",\"prev\":\"$prev\""
	# The hash covers the line up to (not including) ,"hash":
	hash=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
	printf '%s,"hash":"%s"}\n' "$body" "$hash" >>"$LOG"
	printf '%s %s\n' "$seq" "$hash" >"$LOG.head"
	prev=$hash
}

add 2020-11-20T08:00:00.000Z run1 web_fetch allow network https://example.com/a \
	93.184.216.34 512 'matched network:https://example.com/**'
add 2020-11-20T08:00:01.250Z run1 web_fetch deny network 'http://127.0.0.1:8080/' \
	127.0.0.1 0 'address 127.0.0.1 is loopback'
add 2020-11-21T09:30:00.000Z run2 reader allow fs.read /data/report.txt - 100 \
	'matched fs.read:/data'
add 2020-11-21T09:30:02.000Z run2 reader deny fs.write '/etc/\u001b[31mpasswd' - - \
	'not granted: \"quoted\"\nsecond line \u202e \u00ff café'
add 2020-11-22T10:00:00.000Z run3 reader deny limit fuel - - 'fuel exhausted'
cp "$LOG" "$WORK/good.log"
cp "$LOG.head" "$WORK/good.log.head"

# verify: intact.
check 0 audit verify --audit-log "$LOG"
expect_stdout "audit log $LOG: 5 records, chain intact"

# list: a table with a header and one line per record.
check 0 audit --audit-log "$LOG"
[ "$(wc -l <"$OUT")" -eq 6 ] || fail "expected a header and 5 rows"
expect_stdout_contains "TIME"
expect_stdout_contains "REASON"
expect_stdout_contains "2020-11-20T08:00:01.250Z  deny"
expect_stdout_contains "93.184.216.34"
# Terminal-unsafe text is shown escaped, never raw: ESC, newline, the
# right-to-left override, and a byte that was not UTF-8.
expect_stdout_contains '/etc/\x1b[31mpasswd'
expect_stdout_contains 'not granted: "quoted"\nsecond line \u202e \xff café'
if grep -q "$(printf '\033')" "$OUT"; then fail "raw ESC in the table"; fi

# --json prints the stored lines unchanged.
check 0 audit list --json --audit-log "$LOG"
cmp -s "$OUT" "$LOG" || fail "--json output differs from the log"

# Filters.
count() { # count N: the --json output has N lines
	[ "$(wc -l <"$OUT")" -eq "$1" ] || fail "expected $1 records, got $(wc -l <"$OUT")"
}
check 0 audit --json --audit-log "$LOG" --tool reader
count 3
check 0 audit --json --audit-log "$LOG" --decision deny
count 3
check 0 audit --json --audit-log "$LOG" --decision allow --tool reader
count 1
expect_stdout_contains '"seq":3,'
check 0 audit --json --audit-log "$LOG" --capability network
count 2
check 0 audit --json --audit-log "$LOG" --run run2
count 2
check 0 audit --json --audit-log "$LOG" --contains loopback
count 1
check 0 audit --json --audit-log "$LOG" --contains=/data/
count 1
check 0 audit --json --audit-log "$LOG" --since 2020-11-21
count 3
check 0 audit --json --audit-log "$LOG" --since 2020-11-21T10:30:01+01:00
count 2
check 0 audit --json --audit-log "$LOG" --since 1h
count 0
check 0 audit --json --audit-log "$LOG" --since 36500d
count 5
check 0 audit --json --audit-log "$LOG" --last 2
count 2
expect_stdout_contains '"seq":4,'
expect_stdout_contains '"seq":5,'
check 0 audit --json --audit-log "$LOG" --last 1 --decision allow
count 1
expect_stdout_contains '"seq":3,'
check 0 audit --audit-log "$LOG" --tool nobody
expect_stdout ""
expect_stderr_contains "no matching records"

# Usage errors: status 2.
check 2 audit --audit-log "$LOG" --decision maybe
expect_stderr_contains "--decision must be allow or deny"
check 2 audit --audit-log "$LOG" --last 0
check 2 audit --audit-log "$LOG" --last many
check 2 audit --audit-log "$LOG" --since yesterday
check 2 audit --audit-log "$LOG" --since 2020-11-21T10:00
expect_stderr_contains "no zone"
check 2 audit --audit-log "$LOG" --bogus
expect_stderr_contains "unknown argument '--bogus'"
check 2 audit frobnicate
expect_stderr_contains "unknown subcommand 'frobnicate'"
check 2 audit verify --audit-log "$LOG" extra
check 2 audit verify --audit-log
check 0 audit --help
expect_stdout_contains "boxagent audit verify"
check 0 help audit verify
expect_stdout_contains "usage: boxagent audit verify"

# No log: status 2, naming the path.
check 2 audit verify --audit-log "$WORK/none.log"
expect_stderr_contains "no audit log at $WORK/none.log"
check 2 audit --audit-log "$WORK/none.log"
expect_stderr_contains "no audit log at $WORK/none.log"

# The default path: $BOXAGENT_HOME/audit.log, else $XDG_DATA_HOME/boxagent,
# else ~/.local/share/boxagent.
export BOXAGENT_HOME="$WORK/home"
check 2 audit verify
expect_stderr_contains "no audit log at $WORK/home/audit.log"
mkdir -p "$WORK/home"
cp "$LOG" "$LOG.head" "$WORK/home/"
check 0 audit verify
expect_stdout "audit log $WORK/home/audit.log: 5 records, chain intact"
unset BOXAGENT_HOME
XDG_DATA_HOME="$WORK/xdg" HOME="$WORK/h" "$BOXAGENT" audit verify >"$OUT" 2>"$ERR" && fail "no log should be status 2"
expect_stderr_contains "no audit log at $WORK/xdg/boxagent/audit.log"
env -u XDG_DATA_HOME HOME="$WORK/h" "$BOXAGENT" audit verify >"$OUT" 2>"$ERR" && fail "no log should be status 2"
expect_stderr_contains "no audit log at $WORK/h/.local/share/boxagent/audit.log"

# Tampering. An edit in line 3 (one character, with sed): status 1,
# naming the line.
sed -i 's/report\.txt/rep0rt.txt/' "$LOG"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "audit log $LOG: chain broken at line 3:"
expect_stdout_contains "edited"
# list still shows an edited log; judging it is verify's job.
check 0 audit --json --audit-log "$LOG"
count 5

# The last line deleted: the chain that is left is valid, the head file
# says what is missing.
cp "$WORK/good.log" "$LOG"
sed -i '$d' "$LOG"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "chain broken at line 4:"
expect_stdout_contains "head file says seq 5"

# A line in the middle deleted.
cp "$WORK/good.log" "$LOG"
sed -i '2d' "$LOG"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "chain broken at line 2: seq 3 where 2 was expected"

# Lines 2 and 3 swapped.
cp "$WORK/good.log" "$LOG"
sed -i '2{h;d};3G' "$LOG"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "chain broken at line 2:"

# No head file: not verified.
cp "$WORK/good.log" "$LOG"
rm "$LOG.head"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "not verified"
expect_stdout_contains "is missing"

# A malformed line: status 1 from verify, status 2 from list; both name it.
cp "$WORK/good.log" "$LOG"
cp "$WORK/good.log.head" "$LOG.head"
sed -i '4s/.*/{oops/' "$LOG"
check 1 audit verify --audit-log "$LOG"
expect_stdout_contains "chain broken at line 4: not a valid record"
check 2 audit --audit-log "$LOG"
expect_stderr_contains "line 4 is not a valid record"

# The documented one-liner checks a line's hash with standard tools.
line=$(sed -n 3p "$WORK/good.log")
want=$(printf '%s' "$line" | sed 's/.*,"hash":"\([0-9a-f]*\)"}$/\1/')
got=$(printf '%s' "$line" | sed 's/,"hash":"[0-9a-f]*"}$//' | tr -d '\n' | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "the one-liner gives $got, the line says $want"
