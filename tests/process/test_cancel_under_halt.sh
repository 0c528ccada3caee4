#!/usr/bin/env bash
# HALT refuses new PLACE and REPLACE intents and still lets CANCEL through:
# under a halt, a cancel of a resting paper order, sent with the safety key
# that serves its strategy, takes effect (CANCELED),
# a replace of another resting order is REJECTED / PLANE_HALTED and that
# order rests on untouched.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# send_one NAME LINE [CERT]: sends one line with the strategy key (or
# CERT), waits for its reports, prints the terminal one.
send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --cert "${3:-strategy}" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>>"$WORK/send.log" || fail "ep-send --wait for $1 failed: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
resting () {
    printf '{"intent_id":"%s","strategy_id":"hr","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"200"}\n' "$1"
}
resting o1 > "$WORK/orders.jsonl"
resting o2 >> "$WORK/orders.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/orders.jsonl" > "$WORK/send-orders.log" 2>&1 \
    || fail "ep-send: $(cat "$WORK/send-orders.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE strategy_id = 'hr' AND status = 1" 2

"$BIN/ep-meta" --config "$READY" --timeout 10 halt --reason "cancel drill" > "$WORK/halt.json" 2>>"$WORK/meta.log" \
    || fail "ep-meta halt exited $?"
[ "$(plane_field halted)" = true ] || fail "not halted"

# The safety key, which serves strategy hr, cancels hr's order.
cancel=$(send_one c1 '{"action":"CANCEL","intent_id":"c1","strategy_id":"hr","target_intent_id":"o1"}' safety)
jq -e '.status == "CANCELED" and .failure == "FAILURE_NONE" and .target_intent_id == "o1"' <<<"$cancel" > /dev/null \
    || fail "a cancel under the halt got $cancel"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1 AND r.status = 4" 1

replace=$(send_one r1 '{"action":"REPLACE","intent_id":"r1","strategy_id":"hr","target_intent_id":"o2","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"90","ref_price":"200"}')
jq -e '.status == "REJECTED" and .failure == "PLANE_HALTED" and .target_intent_id == "o2"
       and (.reason | test("cancel drill"))' <<<"$replace" > /dev/null \
    || fail "a replace under the halt got $replace"
[ "$(sql "SELECT dispatched FROM intents WHERE intent_id = 'r1'")" = 0 ] || fail "the replace was dispatched"
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o2' AND r.terminal = 1")" = 0 ] \
    || fail "o2 ended under the halt"
# After the resume o2 is canceled too: every intent has ended, once.
"$BIN/ep-meta" --config "$READY" --timeout 10 resume --reason "drill over" > /dev/null 2>>"$WORK/meta.log" \
    || fail "ep-meta resume exited $?"
cancel=$(send_one c2 '{"action":"CANCEL","intent_id":"c2","strategy_id":"hr","target_intent_id":"o2"}')
[ "$(jq -r .status <<<"$cancel")" = CANCELED ] || fail "the cancel of o2 after the resume got $cancel"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o2' AND r.terminal = 1" 1
check_journal_invariants
pass "under HALT a CANCEL takes effect, a REPLACE is REJECTED / PLANE_HALTED and its target rests on"
