#!/usr/bin/env bash
# A commit under a stale epoch fails. The router holds the lease (the
# advisory lock, epoch 1) and never confirms it between commits here
# (router/takeover_ms at its longest); the lease's row is then moved on to
# epoch 2 behind its back, as a router that took the lease would. The next
# intent's turn must not commit: its fence reads the row, finds epoch 2,
# and the transaction fails for good.
#
# Asserted: intents before the bump are journaled and published; the one
# after is not journaled and no report of it is published; the router
# stops, exiting non-zero, saying the fence found epoch 2 and the lease
# was lost.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

monitored_stack "takeover_ms = 600000"
[ "$(sql "SELECT epoch FROM lease")" = 1 ] || fail "the lease is not epoch 1"
wait_until 10 test -s "$WORK/tap.out"
n_before=$(sql "SELECT COUNT(*) FROM reports")

psql_write "UPDATE lease SET epoch = 2" > /dev/null
kr_order after-1 > "$WORK/after.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/after.jsonl" > /dev/null 2>> "$WORK/send.log" || true
stops_failing "$ROUTER_PID" "its fence failed"
grep -q "the lease (epoch 1) is lost: the fence found epoch 2" "$WORK/router.log" \
    || fail "the router did not log the fence's failure: $(tail -n 3 "$WORK/router.log")"
grep -q "the lease was lost: another router is active (epoch 1 was ours): stopping" "$WORK/router.log" \
    || fail "the router did not log that it stops for the lease"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id = 'after-1'")" = 0 ] \
    || fail "the intent of the stale epoch's turn was journaled"
[ "$(sql "SELECT COUNT(*) FROM reports")" = "$n_before" ] || fail "a report was journaled under the stale epoch"
kill -TERM "$TAP_PID"
wait "$TAP_PID" 2>/dev/null || true
[ "$(wc -l < "$WORK/tap.out")" = "$n_before" ] || fail "the monitor saw $(wc -l < "$WORK/tap.out") reports, the journal holds $n_before"
! grep -q '"after-1"' "$WORK/tap.out" || fail "a report of the stale epoch's turn was published"
pass "epoch moved to 2 behind the router's back: its next turn's commit failed at the fence, nothing of it journaled or published; the router stopped (exit $rc)"
