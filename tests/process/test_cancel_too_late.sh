#!/usr/bin/env bash
# A CANCEL or REPLACE whose target has already ended is REJECTED / TOO_LATE
# by the router, the reason naming how the target ended (FILLED on paper,
# REJECTED by the router); nothing is dispatched, nothing placed, and the
# journal keeps one terminal report per intent.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# send_one NAME LINE: sends one line, waits for its reports, prints the terminal one.
send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>>"$WORK/send.log" || fail "ep-send --wait for $1 failed: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}

filled=$(send_one m1 '{"intent_id":"m1","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}')
[ "$(jq -r .status <<<"$filled")" = FILLED ] || fail "the market order got $filled"

cancel=$(send_one c1 '{"action":"CANCEL","intent_id":"c1","strategy_id":"demo","target_intent_id":"m1"}')
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and .target_intent_id == "m1"
       and .reason == "the target m1 already ended FILLED"' <<<"$cancel" > /dev/null \
    || fail "the cancel of a filled order got $cancel"

replace=$(send_one r1 '{"action":"REPLACE","intent_id":"r1","strategy_id":"demo","target_intent_id":"m1","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"90","ref_price":"100"}')
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and .target_intent_id == "m1"' <<<"$replace" > /dev/null \
    || fail "the replace of a filled order got $replace"

# An intent the router refused has ended too.
send_one bad '{"intent_id":"bad","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0","ref_price":"100"}' > /dev/null
cancel=$(send_one c2 '{"action":"CANCEL","intent_id":"c2","strategy_id":"demo","target_intent_id":"bad"}')
jq -e '.status == "REJECTED" and .failure == "TOO_LATE"
       and .reason == "the target bad already ended REJECTED"' <<<"$cancel" > /dev/null \
    || fail "the cancel of a refused intent got $cancel"

[ "$(sql "SELECT count(*) FROM intents WHERE intent_id IN ('c1', 'r1', 'c2') AND dispatched = 1")" = 0 ] \
    || fail "journal: a cancel or replace that came too late was dispatched"
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'm1'")" \
  = "$(jq -s length "$WORK/m1.out")" ] || fail "the filled order got reports after the cancel"
check_journal_invariants
pass "a CANCEL or REPLACE of an order that ended is REJECTED / TOO_LATE, naming how it ended"
