#!/usr/bin/env bash
# A CANCEL of an intent its strategy never sent is REJECTED /
# INVALID_INTENT by the router, with a reason naming the missing intent and
# target_intent_id on the report; nothing is dispatched, and the
# strategy's resting order is untouched.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# send_one NAME LINE [CERT]: sends one line, waits for its reports, prints
# the terminal one.
send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --cert "${3:-strategy}" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>>"$WORK/send.log" || fail "ep-send --wait for $1 failed: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}

# demo's o1 rests: a LIMIT BUY below the reference price.
echo '{"intent_id":"o1","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send-o1.log" 2>&1 || fail "ep-send o1: $(cat "$WORK/send-o1.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND status = 1" 1

cancel=$(send_one cancel '{"action":"CANCEL","intent_id":"c1","strategy_id":"demo","target_intent_id":"nothing"}')
jq -e '.status == "REJECTED" and .failure == "INVALID_INTENT" and .intent_id == "c1"
       and .strategy_id == "demo" and .target_intent_id == "nothing"
       and .reason == "strategy demo has no intent nothing"' <<<"$cancel" > /dev/null \
    || fail "the cancel of an unknown intent got $cancel"
[ "$(sql "SELECT dispatched FROM intents WHERE intent_id = 'c1'")" = 0 ] \
    || fail "journal: the cancel of an unknown intent was dispatched"
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1")" = 0 ] \
    || fail "the resting order o1 ended"
# o1 is in flight still: the only intent without its terminal report.
[ "$(sql "SELECT count(*) FROM intents i WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)")" = 1 ] \
    || fail "journal: expected only o1 open"
pass "a CANCEL of an unknown intent is REJECTED / INVALID_INTENT naming it, and nothing is dispatched"
