#!/usr/bin/env bash
# A live worker that outlives its adoption sends nothing more. The serving
# worker holds one request at a hanging venue and three queued behind it;
# it is frozen long enough for the router to give it up, and the worker
# standing by takes the plane over and fills two new intents. When the
# first one wakes, the dispatches it hears are for the new worker: it says
# it is no longer the live plane's worker and drops its three queued
# requests unsent (reporting them NOT_SENT, which the router no longer
# takes from it), and it sends none of the new worker's. Every client order
# id reaches the venue at most once; every intent has exactly one terminal
# report.
source "$(dirname "$0")/lib.sh"

start_fakex --fault hang
# timeout_ms outlasts the freeze: the held request is still held when the
# first worker wakes. live_deadline_ms leaves 3 s to send each dispatch.
write_config "worker_timeout_ms = 1500" "live_deadline_ms = 14000"
live_section "timeout_ms = 10000" "connect_timeout_ms = 1000"
start_router
start_live
sed "s|audit = \"$WORK/live-audit.db\"|audit = \"$WORK/standby-audit.db\"|" "$READY" > "$WORK/standby.zpl"
"$BIN/ep-live" --config "$WORK/standby.zpl" >> "$WORK/standby.log" 2>&1 &
PIDS+=("$!")
wait_until 20 grep -q "cannot claim the LIVE plane: .*; standing by" "$WORK/standby.log"
"$BIN/ep-meta" --config "$READY" select live --reason "superseded worker test" > /dev/null

intents () {   # intents FROM TO
    for i in $(seq "$1" "$2"); do
        printf '{"intent_id":"s-%d","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250"}\n' "$i"
    done
}
intents 1 4 | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > "$WORK/first.out" 2>> "$WORK/send.log" &
first_pid=$!
PIDS+=("$first_pid")
# s-1 is held at the venue, s-2 to s-4 wait behind it.
wait_until 10 grep -q "intent live/s-4 waits: 3 request(s) ahead of it" "$WORK/live.log"
[ "$(audit "SELECT COUNT(*) FROM attempts")" = 1 ] || fail "more than one request left the first worker"
fakex_fault none

kill -STOP "$LIVE_PID"
wait_until 20 grep -q "plane claimed from router start" "$WORK/standby.log"
intents 5 6 | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/second.out" \
    || fail "the new worker did not serve s-5 and s-6"
[ "$(jq -s 'map(select(.terminal and .status == "FILLED")) | length' "$WORK/second.out")" = 2 ] \
    || fail "s-5 and s-6: $(cat "$WORK/second.out")"
kill -CONT "$LIVE_PID"
wait_until 10 grep -q "this worker is no longer the live plane's worker; 3 queued request(s) dropped unsent" "$WORK/live.log"
for i in 2 3 4; do
    grep -q "intent live/s-$i: FAILED NOT_SENT (terminal): not sent: this worker is no longer the live plane's worker" "$WORK/live.log" \
        || fail "s-$i was not reported NOT_SENT by the first worker"
done
wait "$first_pid" || fail "s-1 to s-4 did not all get a terminal report"

# The first worker sent s-1 only; the new one s-5 and s-6 (and asked about
# the orders it took over, which is no submission).
[ "$(audit "SELECT group_concat(intent_id) FROM attempts WHERE kind = 1")" = s-1 ] \
    || fail "the first worker submitted: $(audit "SELECT group_concat(intent_id) FROM attempts WHERE kind = 1")"
[ "$(sqlite3 -readonly "$WORK/standby-audit.db" "SELECT group_concat(intent_id) FROM (SELECT intent_id FROM attempts WHERE kind = 1 ORDER BY id)")" = s-5,s-6 ] \
    || fail "the new worker submitted something other than s-5 and s-6"
counts=$(curl -s "$FAKEX_CONTROL/fakex/counts")
[ "$(jq 'length' <<< "$counts")" = 3 ] && [ "$(jq '[.[]] | all(. == 1)' <<< "$counts")" = true ] \
    || fail "the venue's order requests: $counts"
check_journal_invariants
assert_no_secrets
pass "a frozen live worker, superseded while it slept, dropped its 3 queued requests unsent and sent none of its successor's"
