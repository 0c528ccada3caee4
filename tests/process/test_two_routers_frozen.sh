#!/usr/bin/env bash
# Two routers on one journal, and a machine lost without a TCP reset: router
# A is frozen (SIGSTOP: its connections stay up, nothing answers) and B is
# started on its own ports with the same journal. The clients and the paper
# worker let go of A when its ZMTP heartbeats go unanswered (3 s), connect
# their PUSH to it anew (nothing more waits for A), and follow B.
#
# Asserted: every intent ep-send sent has exactly one terminal report or is
# named never read (those that went to A, all sent after the freeze), never
# both, including those sent once ep-send let go of A (without that, they
# would be neither: sent to A, after the loss); seq is gap-free; the ep-tap
# started before the freeze, never restarted, printed exactly the journal's
# reports; the paper worker serves B.
source "$(dirname "$0")/lib.sh"

write_router_pair "paper_deadline_ms = 3000"
start_router "$WORK/router-a.zpl"
A_PID=$ROUTER_PID
clients_judged_by_router
start_paper

# The monitor and the strategy, never restarted.
follow_across_takeover
market_intents before 1 200 >&3
wait_until 20 terminal_at_least 200

# A's machine is lost: no reset, no answer. B takes over.
kill -STOP "$A_PID"
max_seq=$(sql "SELECT IFNULL(MAX(seq), 0) FROM reports")
start_router "$WORK/router-b.zpl" 3>&-
market_intents after 1 200 >&3
# Once ep-send and ep-tap let go of their outcomes connections to A (ZMTP
# heartbeats unanswered: each closed its own, and A never will: FIN-WAIT),
# ep-send connects its intake to A anew before it sends again: what it
# sends then goes to B alone.
a_outcomes=$(sed -n 's/^ *outcomes *= *"*\([^,]*\),.*/\1/p' "$WORK/router-a.zpl")
let_go () {
    [ "$(ss -Htn state fin-wait-1 state fin-wait-2 "( dport = :${a_outcomes##*:} )" | wc -l)" -ge 2 ]
}
wait_until 15 let_go
market_intents late 1 50 >&3
exec 3>&-
fates_across_takeover any < <({ market_intents before 1 200; market_intents after 1 200; market_intents late 1 50; } | jq -r .intent_id)
# Only what was sent after the freeze (the late ones, sent as ep-send lets
# go of A, may still have gone to A's connection while libzmq ended it).
! grep -qv -e '^after-' -e '^late-' "$WORK/never_read.txt" \
    || fail "an intent sent before the freeze was named never read: $(grep -v -e '^after-' -e '^late-' "$WORK/never_read.txt" | head -n 3)"
n_late=$(grep -c '^late-' "$WORK/never_read.txt" || true)
check_journal_invariants

# The paper worker let go of A and serves B.
wait_until 15 paper_alive_is true
market_intents final 1 20 > "$WORK/final.jsonl"
"$BIN/ep-send" --config "$CLIENTS" --wait --timeout 20 --file "$WORK/final.jsonl" > "$WORK/final.out" 2>> "$WORK/send.log" \
    || fail "ep-send --wait to B failed: $(tail -n 1 "$WORK/send.log")"
[ "$(jq -s '[.[] | select(.terminal and .status == "FILLED")] | length' "$WORK/final.out")" = 20 ] \
    || fail "the paper worker under B did not fill the 20 intents sent once it was alive"

monitor_equals_journal
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null || true
pass "A frozen at seq $max_seq; B took over: $n_reports reports followed without a gap, $n_never intent(s) sent to the frozen A named never read, every other of 450 ended once ($n_late of the 50 sent as A was let go of named never read)"
