#!/usr/bin/env bash
# SIGTERM: the router stops reading intents and commands, waits up to
# drain_ms for the planes to answer what it dispatched, commits, publishes,
# and exits 0. Past the bound it exits 0 all the same and the next start
# settles what is left. A second SIGTERM ends it at once.
source "$(dirname "$0")/lib.sh"

intents () {   # intents PREFIX COUNT
    for i in $(seq "$2"); do
        printf '{"intent_id":"%s-%d","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$1" "$i"
    done
}
UNANSWERED="FROM intents i WHERE i.dispatched = 1 AND NOT EXISTS
            (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)"
unanswered_at_least () { sql_at_least "SELECT COUNT(*) $UNANSWERED" "$1"; }
gone () { ! running "$1"; }
# ms_since START_NS
ms_since () { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. A slow plane (20 ms an intent) with intents in flight: the router waits
#    for all of them.
write_config "drain_ms = 20000" "paper_deadline_ms = 30000" "worker_timeout_ms = 3000"
start_router
"$BIN/ep-paper" --config "$READY" --test-delay-us 20000 >> "$WORK/paper.log" 2>&1 &
PAPER_PID=$!
PIDS+=("$PAPER_PID")
approve_plane PAPER
wait_until 10 paper_alive_is true
intents a 100 | "$BIN/ep-send" --config "$READY" > /dev/null 2>> "$WORK/send.log"
wait_until 10 unanswered_at_least 50
kill -TERM "$ROUTER_PID"
wait_until 20 gone "$ROUTER_PID"
wait "$ROUTER_PID" || fail "the router did not exit 0 after draining"
[ "$(sql "SELECT COUNT(*) $UNANSWERED")" = 0 ] || fail "intents left unanswered by a drain that had time"
grep -q "stopping: every dispatched intent answered" "$WORK/router.log" || fail "the drain is not logged"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'stop'")" = 1 ] || fail "no stop event"
check_journal_invariants
drained=$(sql "SELECT COUNT(*) FROM intents")

# 2. A frozen plane: the router gives up after drain_ms (1.5 s) and exits 0;
#    the restarted router fails what was left.
sed -i 's/drain_ms = .*/drain_ms = 1500/' "$READY"
restart_router
wait_until 10 paper_alive_is true
kill -STOP "$PAPER_PID"
intents b 20 | "$BIN/ep-send" --config "$READY" > /dev/null 2>> "$WORK/send.log"
wait_until 10 unanswered_at_least 20
start=$(date +%s%N)
kill -TERM "$ROUTER_PID"
wait_until 10 gone "$ROUTER_PID"
took=$(ms_since "$start")
wait "$ROUTER_PID" || fail "the router did not exit 0 at the end of its drain"
[ "$took" -ge 1400 ] && [ "$took" -lt 5000 ] || fail "the drain bound of 1500 ms took $took ms"
grep -q "stopping: 20 dispatched intent(s) still unanswered after" "$WORK/router.log" \
    || fail "the unfinished drain is not logged: $(grep stopping "$WORK/router.log" | tail -n 2)"
restart_router
kill -CONT "$PAPER_PID"
[ "$(sql "SELECT COUNT(*) $UNANSWERED")" = 0 ] || fail "the restart did not settle the intents the drain left"

# 3. A second SIGTERM during a long drain ends the router at once.
sed -i 's/drain_ms = .*/drain_ms = 60000/' "$READY"
kill -TERM "$ROUTER_PID"; wait "$ROUTER_PID" || fail "the router did not stop cleanly"
restart_router
wait_until 10 paper_alive_is true
kill -STOP "$PAPER_PID"
intents c 20 | "$BIN/ep-send" --config "$READY" > /dev/null 2>> "$WORK/send.log"
wait_until 10 unanswered_at_least 20
kill -TERM "$ROUTER_PID"
wait_until 10 grep -q "waiting up to 60000 ms" "$WORK/router.log"
start=$(date +%s%N)
kill -TERM "$ROUTER_PID"
wait_until 5 gone "$ROUTER_PID"
took=$(ms_since "$start")
status=0; wait "$ROUTER_PID" || status=$?
[ "$status" = 143 ] || fail "after a second SIGTERM the router exited $status, not by the signal (143)"
grep -q "ep-router: a second stop signal: exiting at once" "$WORK/router.log" || fail "the second signal is not said"
kill -CONT "$PAPER_PID"
restart_router
settled () { [ "$(sql "SELECT COUNT(*) $UNANSWERED")" = 0 ]; }
wait_until 20 settled
check_journal_invariants
pass "drained $drained intents from a slow plane; the 1.5 s bound held with a frozen one; a second SIGTERM ended the router in $took ms"
