#!/usr/bin/env bash
# A CANCEL of a resting paper order takes effect: the cancel ends CANCELED
# / FAILURE_NONE naming its target, the target's own stream ends CANCELED
# with its reason naming the cancel; what rested is gone (a later crossing
# ref fills nothing of it, before and after a worker restart, whose
# restore leaves it out); the journal keeps one terminal report per intent,
# and ep-replay --verify reproduces the paper plane's reports.
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
# reports_of INTENT_ID: every report journaled on it, as ep-tap prints them.
reports_of () {
    local n
    n=$(sql "SELECT count(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
    jq -c --arg id "$1" 'select(.intent_id == $id)' "$WORK/all.jsonl"
}
# market ID REF: a MARKET SELL of another strategy whose ref would cross
# a BUY resting at 100 or above.
market () {
    printf '{"intent_id":"%s","strategy_id":"mx","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"%s"}' "$1" "$2"
}

echo '{"intent_id":"o1","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"5","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send-o1.log" 2>&1 || fail "ep-send o1: $(cat "$WORK/send-o1.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND status = 1" 1

cancel=$(send_one c1 '{"action":"CANCEL","intent_id":"c1","strategy_id":"demo","target_intent_id":"o1"}')
jq -e '.status == "CANCELED" and .failure == "FAILURE_NONE" and .target_intent_id == "o1"
       and .plane == "PAPER" and .strategy_id == "demo"' <<<"$cancel" > /dev/null \
    || fail "the cancel got $cancel"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1" 1
ended=$(reports_of o1 | jq -c 'select(.terminal)')
jq -e '.status == "CANCELED" and .filled_qty == "0" and (.reason | test("c1"))' <<<"$ended" > /dev/null \
    || fail "the target ended $ended"

# Nothing of o1 rests: a ref that would cross it fills none of it.
m1=$(send_one m1 "$(market m1 90)")
[ "$(jq -r .status <<<"$m1")" = FILLED ] || fail "the market order got $m1"
[ "$(reports_of o1 | jq -s 'length')" = 2 ] || fail "o1 got reports after its cancel: $(reports_of o1)"

# A restarted worker is not handed o1 back.
kill -TERM "$PAPER_PID"
wait "$PAPER_PID" || fail "the paper worker exited $? on SIGTERM"
wait_until 10 paper_alive_is false
start_paper
restored=$(grep "restored with" "$WORK/router.log" | tail -n 1)
[ "$(grep -c "restored with" "$WORK/router.log")" -ge 2 ] || fail "no restore of the second worker"
grep -q "restored with 0 resting order" <<<"$restored" || fail "the restarted worker: $restored"
m2=$(send_one m2 "$(market m2 90)")
[ "$(jq -r .status <<<"$m2")" = FILLED ] || fail "the market order after the restart got $m2"
[ "$(reports_of o1 | jq -s 'length')" = 2 ] || fail "o1 got reports after the restart: $(reports_of o1)"

check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err")"
pass "a cancel of a resting paper order ends it CANCELED (reason naming the cancel), nothing of it rests or is restored, and replay verifies"
