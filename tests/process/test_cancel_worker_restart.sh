#!/usr/bin/env bash
# The paper worker killed between a cancel's dispatch and its answer: the
# cancel gets one terminal report (FAILED by the router at its deadline,
# naming its target) and never a second; the target stays followed, is
# restored to the next worker, and a new cancel ends it CANCELED, once.
# The journal keeps one terminal report per intent, and ep-replay --verify
# reproduces the paper plane's reports (the lost cancel never touched a book).
source "$(dirname "$0")/lib.sh"

write_config "paper_deadline_ms = 3000" "worker_timeout_ms = 10000"
start_router
start_paper

terminals () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1"; }
ended () { [ "$(terminals "$1")" -ge 1 ]; }
dispatched () { [ "$(sql "SELECT count(*) FROM intents WHERE intent_id = '$1' AND dispatched = 1")" = 1 ]; }

echo '{"intent_id":"o1","strategy_id":"kp","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"3","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send.log" 2>&1 || fail "ep-send o1: $(cat "$WORK/send.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE status = 1" 1

# The worker is frozen, then killed, with the cancel dispatched to it.
kill -STOP "$PAPER_PID"
echo '{"action":"CANCEL","intent_id":"c1","strategy_id":"kp","target_intent_id":"o1"}' \
    | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send c1: $(cat "$WORK/send.log")"
wait_until 10 dispatched c1
kill -KILL "$PAPER_PID"
wait "$PAPER_PID" 2>/dev/null || true

wait_until 20 ended c1
c1=$(sql "SELECT status, origin FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'c1' AND r.terminal = 1")
[ "$c1" = "7|0" ] || fail "the cancel lost with the worker ended $c1, expected FAILED by the router"
[ "$(terminals o1)" = 0 ] || fail "the target ended with the worker"

start_paper
grep "restored with" "$WORK/router.log" | tail -n 1 | grep -q "restored with 1 resting order" \
    || fail "the new worker was not restored with o1: $(grep "restored with" "$WORK/router.log" | tail -n 1)"
echo '{"action":"CANCEL","intent_id":"c2","strategy_id":"kp","target_intent_id":"o1"}' > "$WORK/c2.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/c2.jsonl" > "$WORK/c2.out" 2>> "$WORK/send.log" \
    || fail "ep-send --wait c2: $(tail -n 3 "$WORK/send.log")"
jq -e 'select(.terminal) | .status == "CANCELED" and .target_intent_id == "o1"' "$WORK/c2.out" > /dev/null \
    || fail "the second cancel got $(cat "$WORK/c2.out")"
wait_until 10 ended o1
[ "$(sql "SELECT status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1")" = 4 ] \
    || fail "o1 did not end CANCELED"
for id in o1 c1 c2; do [ "$(terminals "$id")" = 1 ] || fail "$id has $(terminals "$id") terminal reports"; done
check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err")"
pass "a cancel lost with its worker ends FAILED once; its target is restored and a new cancel ends it CANCELED once; replay verifies"
