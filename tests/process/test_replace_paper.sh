#!/usr/bin/env bash
# REPLACE on paper, of a resting order and of a partly filled one (paper
# liquidity_cap 2): the target ends CANCELED with its fills kept and its
# reason naming the replacement; the new order lives under the REPLACE's
# intent_id, each of its reports naming the target; nothing of the target
# rests afterwards. A REPLACE that changes the side is INVALID_INTENT and
# places nothing. ep-replay --verify reproduces the paper plane's reports.
source "$(dirname "$0")/lib.sh"

write_config
printf 'paper\n    liquidity_cap = 2\n' >> "$CFG"
start_router
start_paper

send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>>"$WORK/send.log" || fail "ep-send --wait for $1 failed: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
send_nowait () {
    echo "$1" | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send: $(tail -n 3 "$WORK/send.log")"
}
reports_of () {
    local n
    n=$(sql "SELECT count(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
    jq -c --arg id "$1" 'select(.intent_id == $id)' "$WORK/all.jsonl"
}
count_of () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' $2"; }
# has ID CONDITION: ID has a report (for wait_until, which runs it anew each time).
has () { [ "$(count_of "$1" "$2")" -ge 1 ]; }
# limit ID SYMBOL QTY PRICE [ACTION TARGET]: a GTC LIMIT BUY of strategy rp, ref 200 (rests).
limit () {
    printf '{"intent_id":"%s","strategy_id":"rp","symbol":"%s","side":"BUY","type":"LIMIT","tif":"GTC","qty":"%s","limit_price":"%s","ref_price":"200"%s}' \
        "$1" "$2" "$3" "$4" "${5:+,\"action\":\"$5\",\"target_intent_id\":\"$6\"}"
}
# market ID SYMBOL REF: a MARKET SELL of strategy mx at ref REF.
market () {
    printf '{"intent_id":"%s","strategy_id":"mx","symbol":"%s","side":"SELL","type":"MARKET","qty":"1","ref_price":"%s"}' "$1" "$2" "$3"
}

# --- a resting order -----------------------------------------------------
send_nowait "$(limit o1 BTCUSDT 5 100)"
wait_until 10 has o1 "AND r.status = 1"
bad=$(send_one bad "$(limit bad BTCUSDT 5 100 REPLACE o1 | sed 's/"BUY"/"SELL"/')")
jq -e '.status == "REJECTED" and .failure == "INVALID_INTENT"' <<<"$bad" > /dev/null \
    || fail "a replace that changes the side got $bad"
send_nowait "$(limit r1 BTCUSDT 3 110 REPLACE o1)"
wait_until 10 has o1 "AND r.terminal = 1"
wait_until 10 has r1 ""
ended=$(reports_of o1 | jq -c 'select(.terminal)')
jq -e '.status == "CANCELED" and .filled_qty == "0" and (.reason | test("replaced by intent r1"))' <<<"$ended" > /dev/null \
    || fail "the replaced order ended $ended"
reports_of r1 | jq -e -s 'length >= 1 and all(.[]; .target_intent_id == "o1") and .[0].status == "ACCEPTED"
                         and (.[0].terminal | not)' > /dev/null \
    || fail "the replacement's reports: $(reports_of r1)"
# A ref of 95 crosses r1 (110) and would cross o1 (100): only r1 fills (2, the cap).
send_one m1 "$(market m1 BTCUSDT 95)" > /dev/null
wait_until 10 has r1 "AND r.status = 2"
[ "$(count_of o1 "")" = "$(reports_of o1 | jq -s length)" ] || fail "journal and tap disagree on o1"
[ "$(reports_of o1 | jq -s 'map(select(.fills | length > 0)) | length')" = 0 ] \
    || fail "o1 filled after it was replaced: $(reports_of o1)"

# --- a partly filled order -----------------------------------------------
send_nowait "$(limit p1 ETHUSDT 5 100)"
wait_until 10 has p1 "AND r.status = 1"
send_one m2 "$(market m2 ETHUSDT 95)" > /dev/null
wait_until 10 has p1 "AND r.status = 2"
send_nowait "$(limit r2 ETHUSDT 4 90 REPLACE p1)"
wait_until 10 has p1 "AND r.terminal = 1"
wait_until 10 has r2 ""
ended=$(reports_of p1 | jq -c 'select(.terminal)')
jq -e '.status == "CANCELED" and .filled_qty == "2" and .avg_price == "100"
       and (.reason | test("replaced by intent r2"))' <<<"$ended" > /dev/null \
    || fail "the partly filled order ended $ended"
[ "$(reports_of p1 | jq -s '[.[].fills[].qty | tonumber] | add')" = 2 ] || fail "p1's fills: $(reports_of p1)"
reports_of r2 | jq -e -s '.[0].status == "ACCEPTED" and .[0].target_intent_id == "p1"
                         and .[0].filled_qty == "0"' > /dev/null \
    || fail "the replacement of the partly filled order: $(reports_of r2)"

# Every order still resting is canceled, so that every intent has ended once.
send_one c1 '{"action":"CANCEL","intent_id":"c1","strategy_id":"rp","target_intent_id":"r1"}' > /dev/null
send_one c2 '{"action":"CANCEL","intent_id":"c2","strategy_id":"rp","target_intent_id":"r2"}' > /dev/null
wait_until 10 has r2 "AND r.terminal = 1"
wait_until 10 has r1 "AND r.terminal = 1"
check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err")"
pass "a replace on paper ends its target CANCELED (fills kept, reason naming it) and gives the new order its own lifecycle; replay verifies"
