#!/usr/bin/env bash
# The router killed between a cancel's dispatch and its answer, and
# restarted on its journal: the cancel gets exactly one terminal report
# (FAILED by the restarted router, which cannot know what the plane did);
# what the frozen worker then says of it is journaled as late, never as a
# second end. The target ends once, whichever way the race went: canceled
# by the first cancel if the worker had it, else still resting and then
# canceled by a second cancel. One terminal report per intent, and
# ep-replay --verify reproduces the paper plane's reports.
source "$(dirname "$0")/lib.sh"

write_config "worker_timeout_ms = 10000" "paper_deadline_ms = 5000"
start_router
start_paper

terminals () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1"; }
dispatched () { [ "$(sql "SELECT count(*) FROM intents WHERE intent_id = '$1' AND dispatched = 1")" = 1 ]; }
gone () { ! running "$1"; }

echo '{"intent_id":"o1","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send.log" 2>&1 || fail "ep-send o1: $(cat "$WORK/send.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE status = 1" 1

kill -STOP "$PAPER_PID"
echo '{"action":"CANCEL","intent_id":"c1","strategy_id":"kr","target_intent_id":"o1"}' \
    | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send c1: $(cat "$WORK/send.log")"
wait_until 10 dispatched c1
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
[ "$(terminals c1)" = 0 ] || fail "the cancel ended before the crash"

kill -CONT "$PAPER_PID"
restart_router
[ "$(terminals c1)" = 1 ] || fail "the restarted router did not settle the cancel in flight"
[ "$(sql "SELECT status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'c1' AND r.terminal = 1")" = 7 ] \
    || fail "the cancel in flight at the crash did not end FAILED"
wait_until 15 paper_alive_is true

# A second cancel: too late if the worker ran the first, else it cancels.
echo '{"action":"CANCEL","intent_id":"c2","strategy_id":"kr","target_intent_id":"o1"}' > "$WORK/c2.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/c2.jsonl" > "$WORK/c2.out" 2>> "$WORK/send.log" \
    || fail "ep-send --wait c2: $(tail -n 3 "$WORK/send.log")"
c2=$(jq -c 'select(.terminal)' "$WORK/c2.out")
jq -e '.status == "CANCELED" or (.failure == "TOO_LATE" and .reason == "the target o1 already ended CANCELED")' <<<"$c2" > /dev/null \
    || fail "the second cancel got $c2"
ended_o1 () { [ "$(terminals o1)" -ge 1 ]; }
wait_until 10 ended_o1
[ "$(sql "SELECT status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1")" = 4 ] \
    || fail "o1 did not end CANCELED"
for id in o1 c1 c2; do [ "$(terminals "$id")" = 1 ] || fail "$id has $(terminals "$id") terminal reports"; done
[ "$(sql "SELECT count(*) FROM reports WHERE late = 1 AND router_seq NOT IN (SELECT router_seq FROM intents WHERE intent_id = 'c1')")" = 0 ] \
    || fail "a late report on another intent than the cancel in flight at the crash"
check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err")"
pass "router killed with a cancel in flight: the cancel ends once (FAILED, the plane's answer late), the target once (CANCELED), replay verifies ($(jq -r .status <<<"$c2") for the second cancel)"
