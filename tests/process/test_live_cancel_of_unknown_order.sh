#!/usr/bin/env bash
# A live order whose submission ended UNKNOWN / SEND_UNKNOWN may rest at the
# venue all the same (http-500: ep-fakex places the order, then answers
# 500). A CANCEL of it is not refused TOO_LATE: the router sends it to the
# live plane, which sends it once, by the order's client order id, written
# to the audit first. The cancel ends CANCELED / FAILURE_NONE; the target's
# stream ends CANCELED once after its UNKNOWN (a report marked reconciled);
# the venue saw one cancel. Another cancel of it is then TOO_LATE, naming
# CANCELED, and sends nothing. The kill switch (cancel-all) reaches such an
# order too. The journal keeps one terminal report per intent, and
# ep-replay --verify passes.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
write_config
live_section "poll_ms = 100" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "unknown cancel test" > /dev/null

reports_of () {    # ID: every report of ID, as ep-tap prints them, in order
    local n
    n=$(sql "SELECT count(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
    jq -c --arg id "$1" 'select(.intent_id == $id)' "$WORK/all.jsonl"
}
# unknown_rest ID: a LIMIT BUY below the price, placed at the venue whose
# answer is lost (http-500): the intent ends UNKNOWN / SEND_UNKNOWN.
unknown_rest () {
    fakex_fault http-500
    echo '{"intent_id":"'"$1"'","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/$1.out" || fail "ep-send $1"
    fakex_fault none
    jq -e 'select(.terminal) | .status == "UNKNOWN" and .failure == "SEND_UNKNOWN"' "$WORK/$1.out" \
        > /dev/null || fail "$1 did not end UNKNOWN: $(cat "$WORK/$1.out")"
    [ "$(fakex_count "$(client_id "$1")")" = 1 ] || fail "the venue did not receive $1 once"
}
cancel () {    # ID TARGET: sends the cancel, prints its terminal report
    echo '{"action":"CANCEL","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'"}' > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/$1.jsonl" > "$WORK/$1.out" 2>> "$WORK/send.log" \
        || fail "ep-send --wait for $1: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'"; }
cancels_of () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$1" '.[$id] // 0'; }
# ended_canceled_once ID: ID's stream is its UNKNOWN, then one CANCELED
# (reconciled, not terminal: its one terminal report was the UNKNOWN).
ended_canceled_once () {
    wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.status = 4" 1
    reports_of "$1" > "$WORK/$1.stream"
    [ "$(jq -s -c 'map(.status)' "$WORK/$1.stream")" = '["UNKNOWN","CANCELED"]' ] \
        || fail "the stream of $1: $(cat "$WORK/$1.stream")"
    jq -s -e '.[0].terminal and (.[1].terminal | not) and .[1].reconciled
              and .[1].filled_qty == "0"' "$WORK/$1.stream" > /dev/null \
        || fail "the stream of $1: $(cat "$WORK/$1.stream")"
}

# --- a strategy's cancel of an order that ended UNKNOWN ---------------------------
unknown_rest o1
got=$(cancel c1 o1)
jq -e '.status == "CANCELED" and .failure == "FAILURE_NONE" and .target_intent_id == "o1" and .plane == "LIVE"' \
    <<<"$got" > /dev/null || fail "the cancel got $got"
ended_canceled_once o1
jq -s -e '.[1].reason | test("c1")' "$WORK/o1.stream" > /dev/null \
    || fail "the target's CANCELED does not name the cancel: $(cat "$WORK/o1.stream")"
[ "$(cancels_of "$(client_id o1)")" = 1 ] || fail "the venue saw $(cancels_of "$(client_id o1)") cancels of o1"
[ "$(audit "SELECT method || ' ' || status FROM attempts WHERE kind = 3 AND intent_id = 'c1'")" = "DELETE 4" ] \
    || fail "the audit's cancel attempt: $(audit "SELECT * FROM attempts WHERE kind = 3")"
pass "a cancel of a live order that ended UNKNOWN goes to the venue once and ends both CANCELED"

# --- once canceled, another cancel is too late and sends nothing ------------------
got=$(cancel c2 o1)
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and (.reason | test("CANCELED"))' \
    <<<"$got" > /dev/null || fail "the second cancel got $got"
[ "$(cancels_of "$(client_id o1)")" = 1 ] || fail "a second cancel reached the venue"
reports_of o1 > "$WORK/o1.again"
[ "$(wc -l < "$WORK/o1.again")" = 2 ] || fail "o1's stream grew: $(cat "$WORK/o1.again")"
pass "a second cancel is TOO_LATE, naming CANCELED, and sends nothing"

# --- the kill switch reaches it too -----------------------------------------------
unknown_rest o2
"$BIN/ep-meta" --config "$READY" --timeout 10 --as ops cancel-all --plane live --reason "unknown order" \
    > "$WORK/cancel-all.json" 2>> "$WORK/meta.log" || fail "ep-meta cancel-all exited $?: $(cat "$WORK/meta.log")"
jq -e '.last_command_applied and (.last_command_outcome | test("1 cancel\\(s\\) sent"))' "$WORK/cancel-all.json" > /dev/null \
    || fail "ep-meta cancel-all printed $(cat "$WORK/cancel-all.json")"
ended_canceled_once o2
jq -s -e '.[1].reason | test("cancel-all by ops: unknown order")' "$WORK/o2.stream" > /dev/null \
    || fail "the target's CANCELED does not name the command: $(cat "$WORK/o2.stream")"
[ "$(cancels_of "$(client_id o2)")" = 1 ] || fail "the venue saw $(cancels_of "$(client_id o2)") cancels of o2"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id LIKE 'cancel-all.%' AND r.terminal = 1 AND r.status = 4" 1
pass "cancel-all cancels a live order that ended UNKNOWN, once"

check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err") $(cat "$WORK/digest")"
assert_no_secrets
pass "one terminal report per intent; ep-replay --verify passes"
