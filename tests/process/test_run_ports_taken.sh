#!/usr/bin/env bash
# scripts/run says "execplane is running" only when its own router bound
# its ports and its own workers are up: with the router's port held by
# another process (a plain listener, or another execplane started by
# scripts/run) it says which port is taken and by what, and exits 1,
# never reporting the other stack's state as its own. Its normal start
# (router + paper worker, the paper plane) still says it is running, and
# the Python command it prints works as printed. It approves the paper
# definition its own worker presents, saying so, and no other that waits.
# Its ports: --port-base, from 20000 to 32000, apart from the ports the
# other tests bind (10000 to 19999, lib.sh; the kernel's ephemeral 32768
# and up).
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 > /dev/null || fail "python3 is missing"

# free BASE: ports BASE to BASE+12 can be bound now (as the daemons bind,
# with SO_REUSEADDR: a closed connection's TIME_WAIT does not count)
free () {
    python3 - "$1" <<'PY'
import socket, sys
base = int(sys.argv[1])
for port in range(base, base + 13):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}
# Below the kernel's ephemeral range too, where it is set otherwise.
top=32000
low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$low" -gt 20100 ] && [ "$low" -lt 32013 ] && top=$((low - 13))
BASE=
for _ in $(seq 50); do
    candidate=$((20000 + RANDOM % (top - 20000)))
    free "$candidate" && { BASE=$candidate; break; }
done
[ -n "$BASE" ] || fail "no 13 free ports found from 20000 to $top"

# run NAME [OPTIONS...]: scripts/run on $BASE, state in $WORK/NAME, in the
# background; its pid in RUN_PID (stopped with the test's daemons if the
# test fails), its output in $WORK/NAME.out and .err.
run () {
    local name=$1; shift
    bash "$ROOT/scripts/run" --bin "$BIN" --var "$WORK/$name" --port-base "$BASE" "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err" &
    RUN_PID=$!
    PIDS+=("$RUN_PID")
}
# finished PID: the process has exited (for wait_until)
finished () { ! running "$1"; }
# exit_of PID SECONDS: RC, its exit status, once it exits within SECONDS
exit_of () {
    wait_until "$2" finished "$1"
    RC=0
    wait "$1" || RC=$?
}

# 1. A plain listener on the router's intake port.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("listening", flush=True); time.sleep(300)' "$BASE" > "$WORK/listener.out" &
LISTENER=$!
PIDS+=("$LISTENER")
wait_until 10 grep -q listening "$WORK/listener.out"
run taken
exit_of "$RUN_PID" 60; rc=$RC
[ "$rc" = 1 ] || fail "scripts/run with its port taken exited $rc: $(cat "$WORK/taken.out" "$WORK/taken.err")"
grep -qF "port $BASE is taken" "$WORK/taken.err" || fail "the port taken is not named: $(cat "$WORK/taken.err")"
if command -v ss > /dev/null; then
    grep -qF "by python3 (pid $LISTENER)" "$WORK/taken.err" || fail "what holds the port is not named: $(cat "$WORK/taken.err")"
fi
grep -q "execplane is running" "$WORK/taken.out" && fail "scripts/run says it is running with its port taken"
kill "$LISTENER"
wait "$LISTENER" 2>/dev/null || true
pass "a listener on its port: scripts/run exits 1 naming port $BASE and its holder"

# 2. Another execplane on the same ports, started the same way: the normal
# start says it is running on the paper plane...
run first
FIRST=$RUN_PID
wait_until 60 grep -q "execplane is running" "$WORK/first.out"
grep -qF "intake    tcp://127.0.0.1:$BASE " "$WORK/first.out" || fail "the endpoints printed are not its own: $(cat "$WORK/first.out")"
"$BIN/ep-meta" --config "$WORK/first/run.zpl" status --timeout 10 > "$WORK/first.status"
[ "$(jq -r '.plane + " " + (.paper_alive | tostring)' "$WORK/first.status")" = "PAPER true" ] \
    || fail "the first stack is not on a live paper plane: $(cat "$WORK/first.status")"
# Its hint for Python, run as printed (from the tree, with the printed
# EXECPLANE_CONFIG; the build under test named), gets its intents filled.
hint=$(sed -n 's|^  \(examples/python/run [^#]*[^ #]\) *#.*|\1|p' "$WORK/first.out")
config=$(sed -n 's|^  export PATH=.* EXECPLANE_CONFIG=||p' "$WORK/first.out")
[ -n "$hint" ] && [ "$config" = "$WORK/first/run.zpl" ] \
    || fail "no examples/python/run hint, or not its EXECPLANE_CONFIG: $(cat "$WORK/first.out")"
(cd "$ROOT" && env -u PYTHONPATH EXECPLANE_CONFIG="$config" EXECPLANE_BUILD="$(dirname "$BIN")" \
    timeout 60 bash -c "$hint") > "$WORK/hint.out" 2> "$WORK/hint.err" \
    || fail "the Python hint '$hint': $(cat "$WORK/hint.err")"
[ "$(cut -d' ' -f2 "$WORK/hint.out" | sort -u)" = FILLED ] && [ "$(grep -c . "$WORK/hint.out")" = 3 ] \
    || fail "the Python hint '$hint' printed: $(cat "$WORK/hint.out")"
pass "its Python hint, $hint, run as printed: three intents FILLED"
# ... and a second one exits 1 naming the first's router.
run second
exit_of "$RUN_PID" 60; rc=$RC
[ "$rc" = 1 ] || fail "a second scripts/run on the same ports exited $rc: $(cat "$WORK/second.out" "$WORK/second.err")"
grep -q "execplane is running" "$WORK/second.out" && fail "the second scripts/run says it is running: $(cat "$WORK/second.out")"
# The first of the stack's ports it finds taken: the metrics port (the
# router serves /healthz before it binds, so that a standby answers) or
# intake.
taken=$(sed -n 's/.*: port \([0-9]*\) is taken.*/\1/p' "$WORK/second.err" | head -n 1)
[ -n "$taken" ] && [ "$taken" -ge "$BASE" ] && [ "$taken" -le $((BASE + 12)) ] \
    || fail "the second does not name one of the stack's ports ($BASE to $((BASE + 12))): $(cat "$WORK/second.err")"
if command -v ss > /dev/null; then
    grep -qE "by ep-router \(pid [0-9]+\)" "$WORK/second.err" || fail "the second does not name the router holding it: $(cat "$WORK/second.err")"
fi
running "$FIRST" || fail "the first scripts/run stopped"
pass "a second scripts/run on the same ports exits 1: $(head -n 1 "$WORK/second.err")"
# Stopped as by Ctrl-C: every process it started stops, and it exits 0.
kill -TERM "$FIRST"
exit_of "$FIRST" 30; rc=$RC
[ "$rc" = 0 ] || fail "scripts/run exited $rc after SIGTERM"
grep -q "^stopped; the journal is in" "$WORK/first.out" || fail "scripts/run did not say it stopped"
free "$BASE" || fail "scripts/run left a process on its ports"
pass "scripts/run stops on SIGTERM, exit 0, its ports free again"

# 4. Its first start approved the definition its own paper worker presents,
# and said so; started again, it approves nothing else: a paper definition
# another worker presented meanwhile still waits for an operator.
id=$(sed -n "s/^approved the paper plane's definition \([0-9a-f]\{12\}\): .*/\1/p" "$WORK/first.out")
[ -n "$id" ] || fail "the first start did not say it approved its paper definition: $(cat "$WORK/first.out")"
[ "$(sqlite3 "$WORK/first/journal.db" "SELECT COUNT(*) FROM commands WHERE kind = 7 AND applied = 1")" = 1 ] \
    || fail "the approval is not journaled as one applied command"
"$BIN/ep-router" --config "$WORK/first/run.zpl" >> "$WORK/other.log" 2>&1 &
PIDS+=("$!"); ROUTER=$!
sed 's/^paper$/paper\n    slippage_bps = 25/' "$WORK/first/run.zpl" > "$WORK/first/other.zpl"
"$BIN/ep-paper" --config "$WORK/first/other.zpl" >> "$WORK/other.log" 2>&1 &
PIDS+=("$!"); OTHER=$!
pending () { "$BIN/ep-meta" --config "$WORK/first/run.zpl" --timeout 5 planes --pending --plane PAPER > "$WORK/pending" && [ -s "$WORK/pending" ]; }
wait_until 20 pending
other=$(jq -r .id "$WORK/pending")
[ "${other:0:12}" != "$id" ] || fail "another slippage gave the same definition"
kill -TERM "$OTHER" "$ROUTER"; exit_of "$OTHER" 10; exit_of "$ROUTER" 10
run first
FIRST=$RUN_PID
wait_until 60 grep -q "execplane is running" "$WORK/first.out"
grep -q "^the paper plane's definition $id was approved before" "$WORK/first.out" \
    || fail "started again, it does not name its approved definition: $(cat "$WORK/first.out")"
grep -q "^approved " "$WORK/first.out" && fail "started again, it approved: $(grep "^approved " "$WORK/first.out")"
"$BIN/ep-meta" --config "$WORK/first/run.zpl" --timeout 5 planes --pending --plane PAPER > "$WORK/pending"
[ "$(jq -r .id "$WORK/pending")" = "$other" ] || fail "the other definition does not wait: $(cat "$WORK/pending")"
kill -TERM "$FIRST"; exit_of "$FIRST" 30
pass "scripts/run approves the paper definition its worker presents (${id}), no other that waits (${other:0:12})"
