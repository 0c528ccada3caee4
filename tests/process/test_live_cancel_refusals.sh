#!/usr/bin/env bash
# The router's decisions on cancels and replaces hold on the live plane as
# on paper, against ep-fakex, and what it refuses never reaches the venue:
# another strategy's order (UNAUTHORIZED to the sender alone, or
# INVALID_INTENT under its own strategy); a target the strategy never sent
# (INVALID_INTENT); a target that has ended (TOO_LATE, naming how). Under
# HALT a cancel of a resting live order takes effect and a replace is
# REJECTED / PLANE_HALTED with no request sent. After the resume, a replace
# of a partly filled live order is one cancel-replace: the target ends
# CANCELED with its fills kept, the new order rests under the replace.
# `ep-replay --verify` accepts the journal.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
"$BIN/ep-keygen" --role strategy --name evil --strategy evil --certs "$CERTS" > "$WORK/keygen-evil.log" 2>&1 \
    || fail "ep-keygen evil: $(cat "$WORK/keygen-evil.log")"
live_section "poll_ms = 200" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "live cancel refusals" > /dev/null
# Resting orders stay as they are until the test lets the venue fill one.
fakex_fault hold

# rest ID: a LIMIT BUY of 10 that rests at the venue; returns once ACCEPTED.
rest () {
    echo '{"intent_id":"'"$1"'","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"10","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send $1"
    wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.status = 1" 1
}
# send_one NAME LINE [CERT]: sends one line, waits for its reports, prints the terminal one.
send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --cert "${3:-strategy}" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>> "$WORK/send.log" || fail "ep-send --wait for $1: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
cancel_line () { echo '{"action":"CANCEL","intent_id":"'"$1"'","strategy_id":"'"${3:-live}"'","target_intent_id":"'"$2"'"}'; }
replace_line () {
    echo '{"action":"REPLACE","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"10","limit_price":"'"$3"'","ref_price":"250"}'
}
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'"; }
cancels_of () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$1" '.[$id] // 0'; }
all_cancels () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq '[.[]] | add // 0'; }
terminal_of () { sql "SELECT r.status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1"; }
ended () { wait_until 15 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1" 1; }

rest a1
rest a2
rest a3

# --- refused by the router: nothing reaches the venue ----------------------------
got=$(send_one e1 "$(cancel_line e1 a1 live)" evil)
jq -e '.status == "REJECTED" and .failure == "UNAUTHORIZED" and .strategy_id == ""
       and (.reason | test("may not speak for strategy live"))' <<<"$got" > /dev/null \
    || fail "evil's cancel naming strategy live got $got"
got=$(send_one e2 "$(cancel_line e2 a1 evil)" evil)
jq -e '.status == "REJECTED" and .failure == "INVALID_INTENT" and .reason == "strategy evil has no intent a1"' \
    <<<"$got" > /dev/null || fail "evil's cancel under its own strategy got $got"
got=$(send_one u1 "$(cancel_line u1 nothing)")
jq -e '.status == "REJECTED" and .failure == "INVALID_INTENT" and .reason == "strategy live has no intent nothing"' \
    <<<"$got" > /dev/null || fail "the cancel of an unknown intent got $got"
[ "$(all_cancels)" = 0 ] || fail "a refused cancel reached the venue: $(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel")"
[ -z "$(terminal_of a1)" ] || fail "a1 ended: $(terminal_of a1)"
pass "another strategy's order and an unknown intent: refused by the router, nothing sent to the venue, the order rests on"

# --- under HALT --------------------------------------------------------------------
"$BIN/ep-meta" --config "$READY" --timeout 10 halt --reason "live drill" > /dev/null 2>> "$WORK/meta.log" \
    || fail "ep-meta halt exited $?: $(cat "$WORK/meta.log")"
got=$(send_one h1 "$(replace_line h1 a2 199)")
jq -e '.status == "REJECTED" and .failure == "PLANE_HALTED" and (.reason | test("live drill"))' <<<"$got" > /dev/null \
    || fail "a replace under the halt got $got"
[ "$(audit "SELECT count(*) FROM attempts WHERE intent_id = 'h1'")" = 0 ] || fail "the refused replace was sent"
got=$(send_one h2 "$(cancel_line h2 a1)")
jq -e '.status == "CANCELED" and .failure == "FAILURE_NONE" and .plane == "LIVE"' <<<"$got" > /dev/null \
    || fail "a cancel under the halt got $got"
ended a1
[ "$(terminal_of a1)" = 4 ] || fail "a1 ended with status $(terminal_of a1), not CANCELED"
[ "$(cancels_of "$(client_id a1)")" = 1 ] || fail "the venue saw $(cancels_of "$(client_id a1)") cancels of a1"
pass "under HALT a live cancel takes effect (one DELETE at the venue) and a replace is PLANE_HALTED, unsent"

# --- too late ------------------------------------------------------------------------
got=$(send_one t1 "$(cancel_line t1 a1)")
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and .reason == "the target a1 already ended CANCELED"' \
    <<<"$got" > /dev/null || fail "a cancel of an ended order got $got"
[ "$(cancels_of "$(client_id a1)")" = 1 ] || fail "the too-late cancel reached the venue"
pass "a cancel of an order that has ended is TOO_LATE, naming how it ended, and is not sent"

# --- a replace of a partly filled order ---------------------------------------------
"$BIN/ep-meta" --config "$READY" --timeout 10 resume --reason "drill over" > /dev/null 2>> "$WORK/meta.log" \
    || fail "ep-meta resume exited $?"
partly () { sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'a2' AND r.status = 2" 1; }
# Every status query now fills a unit of each resting order: a2 (and a3)
# fill in part; holding again after the first part leaves them open.
fakex_fault none
wait_until 10 partly
fakex_fault hold
replace_line p1 a2 199 | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send p1"
ended a2
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$(sql "SELECT count(*) FROM reports")" --timeout 10 \
    > "$WORK/all.jsonl" || fail "ep-tap could not replay the reports"
target=$(jq -c 'select(.intent_id == "a2" and .terminal)' "$WORK/all.jsonl")
jq -e '.status == "CANCELED" and (.reason | test("replaced by intent p1"))
       and (.filled_qty | tonumber) >= 1 and (.filled_qty | tonumber) < 10' <<<"$target" > /dev/null \
    || fail "the partly filled target ended $target"
[ "$(jq -s '[.[] | select(.intent_id == "a2") | .fills[].fill_id] | length == (unique | length)' "$WORK/all.jsonl")" = true ] \
    || fail "a fill of a2 is counted twice"
[ "$(audit "SELECT method || ' ' || path FROM attempts WHERE kind = 5 AND intent_id = 'p1'")" = "POST /api/v3/order/cancelReplace" ] \
    || fail "the replace of a partly filled order was not one cancel-replace: $(audit "SELECT * FROM attempts WHERE kind = 5")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'p1' AND r.status = 1" 1
[ -z "$(terminal_of p1)" ] || fail "the replacing order ended $(terminal_of p1)"
pass "a replace of a partly filled live order: one cancel-replace, the target CANCELED with its fills kept, the new order rests"

# Cleanup through the kill switch, then every intent has ended once.
"$BIN/ep-meta" --config "$READY" --timeout 10 halt --cancel-open --reason "end of test" > /dev/null 2>> "$WORK/meta.log" \
    || fail "ep-meta halt --cancel-open exited $?"
for id in a3 p1; do ended "$id"; done
check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --verify > "$WORK/replay.txt" 2>&1 \
    || fail "ep-replay --verify: $(cat "$WORK/replay.txt")"
assert_no_secrets
pass "every intent ended once; ep-replay --verify accepts the journal"
