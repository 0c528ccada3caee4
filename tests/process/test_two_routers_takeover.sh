#!/usr/bin/env bash
# Two routers, A and B, on two sets of ports and one journal, one running
# at a time: every client and the paper worker are configured with both
# (each socket key lists A's endpoint and B's) and follow whichever runs.
# A is stopped (SIGSTOP) with a batch of intents sent to it unread, then
# SIGKILLed while the stream goes on, and B is started on its own ports
# with the same journal: exactly what a takeover looks like to clients.
#
# Asserted: every intent ep-send sent has exactly one terminal report in
# the journal, or ep-send --wait names it as never read (and exits 1), never
# both; the batch A never read is named, every one; seq is gap-free; the
# ep-tap started before the kill, never restarted, printed exactly the
# journal's reports (no gap, no duplicate, byte for byte what a replay
# gives), and so did the Python client's Monitor (monitor.py); the paper
# worker re-claimed its plane from B and fills what is sent to it.
source "$(dirname "$0")/lib.sh"

write_router_pair "paper_deadline_ms = 5000"
start_router "$WORK/router-a.zpl"
A_PID=$ROUTER_PID
clients_judged_by_router
grep -q "intake = \"*tcp://127.0.0.1:[0-9]*,tcp://127.0.0.1:[0-9]*" "$CLIENTS" \
    || fail "the ready file does not list both routers' intake: $(grep intake "$CLIENTS")"
start_paper

# The monitor and the strategy, never restarted.
follow_across_takeover

# The same in Python (examples/python/monitor.py, the client's Monitor).
use_python
SRC=$(cd "$(dirname "$0")/../.." && pwd)
"$PY" "$SRC/examples/python/monitor.py" --config "$CLIENTS" --from-seq 1 > "$WORK/py.out" 2> "$WORK/py.log" 3>&- &
PY_PID=$!
PIDS+=("$PY_PID")

market_intents before 1 300 >&3
wait_until 20 terminal_at_least 300

# A stops reading: a batch sent now reaches its socket and is never read.
kill -STOP "$A_PID"
market_intents unread 1 20 >&3
wait_until 10 intake_queued "$WORK/router-a.zpl" 1 1000
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null || true
max_seq=$(sql "SELECT IFNULL(MAX(seq), 0) FROM reports")
# The stream goes on while no router runs: ep-send holds each intent until
# a router is there (ZMQ_IMMEDIATE), and sends it to B.
market_intents after 1 200 >&3 &
FEED_PID=$!
start_router "$WORK/router-b.zpl" 3>&-     # the router must not hold the stream open
B_PID=$ROUTER_PID
wait_until 20 gone "$FEED_PID"
exec 3>&-

# ep-send ends once every intent has its terminal report or is never read
# (exit 1): every intent sent is journaled, or named never read.
fates_across_takeover 1 < <({ market_intents before 1 300; market_intents unread 1 20; market_intents after 1 200; } | jq -r .intent_id)
grep -q "intent(s) never read (kr/" "$WORK/send.log" || fail "ep-send's summary does not name the intents never read"
[ "$(sql "SELECT COUNT(*) FROM intents i WHERE (SELECT COUNT(*) FROM reports r
           WHERE r.router_seq = i.router_seq AND r.terminal = 1) != 1")" = 0 ] \
    || fail "a journaled intent has no terminal report, or more than one"
# Every intent of the batch A never read is named so; ep-send printed each
# terminal report it waited for, once.
unread_batch_named unread 1 20
check_journal_invariants

# The Python client asks B the same question (examples/python/execplane_fates.py):
# an intent A never read is not held; one A read and filled is, ended.
"$PY" - "$CLIENTS" > "$WORK/fates.txt" 2> "$WORK/fates.log" <<'PYEOF' || fail "execplane_fates: $(tail -n 1 "$WORK/fates.log")"
import sys
from execplane_client import Strategy
from execplane_fates import fates
import execplane_pb2 as pb
with Strategy(sys.argv[1]) as strategy:
    answer = fates(strategy, [("kr", "unread-0001"), ("kr", "before-0001")])
    for fate in answer.fates:
        print(fate.intent_id, fate.held, fate.router_seq > 0, fate.ended,
              pb.Status.Name(fate.status))
PYEOF
[ "$(cat "$WORK/fates.txt")" = "unread-0001 False False False STATUS_UNSPECIFIED
before-0001 True True True FILLED" ] || fail "the Python client's fates from B: $(cat "$WORK/fates.txt")"

# The paper worker serves B: it re-claimed the plane from B's boot (what
# reached B before that was refused PLANE_UNAVAILABLE, each once, above),
# and fills what is sent now.
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'after-%'")" = 200 ] \
    || fail "not every intent sent after the kill reached B"
wait_until 10 paper_alive_is true
[ "$(grep -c 'restored with .* processed through [1-9]' "$WORK/router.log")" -ge 1 ] \
    || fail "the paper worker did not re-claim its plane from B"
market_intents final 1 20 > "$WORK/final.jsonl"
"$BIN/ep-send" --config "$CLIENTS" --wait --timeout 20 --file "$WORK/final.jsonl" > "$WORK/final.out" 2>> "$WORK/send.log" \
    || fail "ep-send --wait to B failed: $(tail -n 1 "$WORK/send.log")"
[ "$(jq -s '[.[] | select(.terminal and .status == "FILLED")] | length' "$WORK/final.out")" = 20 ] \
    || fail "the paper worker under B did not fill the 20 intents sent once it was alive"
filled_after=$(jq -s '[.[] | select(.terminal and (.intent_id | startswith("after-")) and .status == "FILLED")] | length' "$WORK/send.out")

# The monitor's stream, never restarted: exactly the journal's reports.
monitor_equals_journal
py_tapped () { [ "$(wc -l < "$WORK/py.out")" -gt "$n_reports" ]; }
wait_until 20 py_tapped
kill -TERM "$PY_PID"
wait "$PY_PID" 2>/dev/null || true      # Python's own exit on SIGTERM
# (Any report journaled after the replay's count came after them, each once.)
py_seqs=$(tail -n +2 "$WORK/py.out" | jq -r .seq | paste -sd,)
[ "$py_seqs" = "$(seq -s, 1 "$(( $(wc -l < "$WORK/py.out") - 1 ))")" ] \
    || fail "the Python monitor's seqs are not 1..n, each once: $py_seqs"
sed -n "2,$(( n_reports + 1 ))p" "$WORK/py.out" > "$WORK/py.jsonl"
cmp -s "$WORK/py.jsonl" "$WORK/all.jsonl" \
    || fail "the Python monitor's stream differs from the journal's reports: $(diff "$WORK/py.jsonl" "$WORK/all.jsonl" | head -n 5)"
[ "$n_reports" -gt "$max_seq" ] || fail "no report after the takeover"
pass "A killed at seq $max_seq; B took over: $n_reports reports followed without a gap, $n_never intent(s) named never read (the 20 A never read among them), every other intent of 520 ended once ($filled_after of the 200 sent during the takeover filled under B)"
