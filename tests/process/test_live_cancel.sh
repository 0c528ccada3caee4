#!/usr/bin/env bash
# Cancels of resting live orders against ep-fakex, through the real router
# and ep-live. A cancel that takes effect ends CANCELED / FAILURE_NONE and
# ends its target CANCELED, its reason naming the cancel; the audit holds
# the cancel attempt with its result. Each fault on the cancel request
# (hang, http-500, code-1007, truncated, http-503) makes the cancel
# UNKNOWN / SEND_UNKNOWN, the target stays followed and its own stream
# tells what became of it. When the fill wins the race (fill-wins: the
# order fills just before the cancel, which is -2011), the cancel is
# REJECTED / TOO_LATE and the target ends FILLED with its fills, learned by
# one status query. The venue never sees a cancel twice; the journal keeps
# one terminal report per intent.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
write_config
live_section "poll_ms = 100" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "live cancel test" > /dev/null

# rest ID: a LIMIT BUY of 2 below the venue's price, which rests (--hold: the
# venue's status queries fill nothing of it); returns once it is ACCEPTED.
rest () {
    echo '{"intent_id":"'"$1"'","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send $1"
    wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.status = 1" 1
}
# cancel ID TARGET: sends the cancel, waits for its terminal report, prints it.
cancel () {
    echo '{"action":"CANCEL","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'"}' > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/$1.jsonl" > "$WORK/$1.out" 2>> "$WORK/send.log" \
        || fail "ep-send --wait for $1: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
# ended ID: the terminal report of ID, as ep-tap prints it, once there is one.
ended () {
    wait_until 15 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1" 1
    local n
    n=$(sql "SELECT count(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
    jq -c --arg id "$1" 'select(.intent_id == $id and .terminal)' "$WORK/all.jsonl"
}
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'"; }
cancels_of () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$1" '.[$id] // 0'; }

# --- a cancel that takes effect -------------------------------------------------
rest o1
got=$(cancel c1 o1)
jq -e '.status == "CANCELED" and .failure == "FAILURE_NONE" and .target_intent_id == "o1" and .plane == "LIVE"' \
    <<<"$got" > /dev/null || fail "the cancel got $got"
target=$(ended o1)
jq -e '.status == "CANCELED" and .filled_qty == "0" and (.reason | test("c1"))' <<<"$target" > /dev/null \
    || fail "the target ended $target"
[ "$(cancels_of "$(client_id o1)")" = 1 ] || fail "the venue saw $(cancels_of "$(client_id o1)") cancels of o1"
[ "$(audit "SELECT method || ' ' || status FROM attempts WHERE kind = 3 AND intent_id = 'c1'")" = "DELETE 4" ] \
    || fail "the audit's cancel attempt: $(audit "SELECT * FROM attempts WHERE kind = 3")"
[ "$(audit "SELECT count(*) FROM orders")" = 0 ] || fail "a canceled order is still followed"
pass "a cancel of a resting live order ends both CANCELED, the target's reason naming it; one DELETE, audited"

# --- each fault on the cancel request -------------------------------------------
for mode in http-500 code-1007 truncated hang; do
    rest "o-$mode"
    fakex_fault "$mode"
    got=$(cancel "c-$mode" "o-$mode")
    fakex_fault none
    jq -e '.status == "UNKNOWN" and .failure == "SEND_UNKNOWN" and .target_intent_id == "o-'"$mode"'"' \
        <<<"$got" > /dev/null || fail "$mode: the cancel got $got"
    # The venue did cancel: the target's own stream says so
    target=$(ended "o-$mode")
    jq -e '.status == "CANCELED"' <<<"$target" > /dev/null || fail "$mode: the target ended $target"
    [ "$(cancels_of "$(client_id "o-$mode")")" = 1 ] || fail "$mode: a cancel was sent again"
done
rest o-503
fakex_fault http-503
got=$(cancel c-503 o-503)
fakex_fault none
jq -e '.status == "UNKNOWN" and .failure == "SEND_UNKNOWN"' <<<"$got" > /dev/null \
    || fail "http-503: the cancel got $got"
[ "$(cancels_of "$(client_id o-503)")" = 1 ] || fail "http-503: a cancel was sent again"
[ "$(audit "SELECT count(*) FROM orders WHERE client_order_id = '$(client_id o-503)'")" = 1 ] \
    || fail "http-503: the target is no longer followed"
# Another cancel, as the meta layer may issue, takes effect
got=$(cancel c-503-again o-503)
jq -e '.status == "CANCELED"' <<<"$got" > /dev/null || fail "the second cancel got $got"
jq -e '.status == "CANCELED"' <<<"$(ended o-503)" > /dev/null || fail "o-503 did not end CANCELED"
[ "$(cancels_of "$(client_id o-503)")" = 2 ] || fail "http-503: the venue saw $(cancels_of "$(client_id o-503)") cancels"
pass "hang, http-500, code-1007, truncated: the cancel is UNKNOWN, the target ends by its own stream; http-503: UNKNOWN, the target rests on; never re-sent"

# --- the fill wins the race -------------------------------------------------------
rest w1
fakex_fault fill-wins
got=$(cancel cw w1)
fakex_fault none
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and .target_intent_id == "w1"' <<<"$got" > /dev/null \
    || fail "fill-wins: the cancel got $got"
target=$(ended w1)
jq -e '.status == "FILLED" and .filled_qty == "2" and ([.fills[].qty | tonumber] | add) == 2' \
    <<<"$target" > /dev/null || fail "fill-wins: the target ended $target"
[ "$(audit "SELECT count(*) FROM attempts WHERE kind = 2 AND intent_id = 'cw'")" = 1 ] \
    || fail "fill-wins: not one status query written down as the cancel's"
[ "$(cancels_of "$(client_id w1)")" = 1 ] || fail "fill-wins: a cancel was sent again"
pass "the fill wins the race: -2011, one query, the cancel TOO_LATE and the target FILLED with its fills"

# --- replaces ---------------------------------------------------------------------
# replace ID TARGET QTY PRICE: a REPLACE of TARGET into a LIMIT BUY (not waited for).
replace () {
    echo '{"action":"REPLACE","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"'"$3"'","limit_price":"'"$4"'","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send $1"
}
accepted () { sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.status = 1" 1; }
rest p1
replace p2 p1 2 190
target=$(ended p1)
jq -e '.status == "CANCELED" and (.reason | test("replaced by intent p2"))' <<<"$target" > /dev/null \
    || fail "the replaced order ended $target"
wait_until 10 accepted p2
[ "$(audit "SELECT method || ' ' || path FROM attempts WHERE kind = 5 AND intent_id = 'p2'")" = "POST /api/v3/order/cancelReplace" ] \
    || fail "the replace was not one cancel-replace: $(audit "SELECT * FROM attempts WHERE kind = 5")"
got=$(cancel cp2 p2)
jq -e '.status == "CANCELED"' <<<"$got" > /dev/null || fail "the replacing order could not be canceled: $got"
jq -e '.status == "CANCELED" and (.reason | test("cp2"))' <<<"$(ended p2)" > /dev/null \
    || fail "the replacing order did not end CANCELED"
pass "a replace at another price is one cancel-replace: the target ends CANCELED, the new order rests under the replace and is canceled in turn"

rest q1
replace q2 q1 1 200.5
target=$(ended q1)
jq -e '.status == "CANCELED" and (.reason | test("replaced by intent q2"))' <<<"$target" > /dev/null \
    || fail "the amended order ended $target"
wait_until 10 accepted q2
[ "$(audit "SELECT method || ' ' || path FROM attempts WHERE kind = 5 AND intent_id = 'q2'")" = "PUT /api/v3/order/amend/keepPriority" ] \
    || fail "the lower quantity was not an amend: $(audit "SELECT * FROM attempts WHERE kind = 5")"
got=$(cancel cq2 q2)
jq -e '.status == "CANCELED"' <<<"$got" > /dev/null || fail "the amended order could not be canceled: $got"
pass "a replace that only lowers the quantity is one keep-priority amend"

check_journal_invariants
assert_no_secrets
