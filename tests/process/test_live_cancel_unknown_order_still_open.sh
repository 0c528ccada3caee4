#!/usr/bin/env bash
# A venue that lies or lags: it answers a cancel with -2011 "Unknown order
# sent." while the order is in fact still open (ep-fakex cancel-unknown).
# The cancel is sent once and followed by one audited status query, which
# shows the order open: the cancel ends REJECTED / VENUE_REJECTED, its
# reason saying the order is still open and stays followed (not TOO_LATE,
# not CANCELED), and the target's stream goes on. Once the venue fills it
# (queries fill again), the target ends FILLED exactly once with its
# fills, learned by the plane's own status queries. A later cancel, from
# the strategy or the meta layer, is TOO_LATE and sends nothing. A
# replace the venue answers so (a cancel-replace, then an amend) ends the
# same way, places nothing, and leaves its target followed.
source "$(dirname "$0")/lib.sh"

# hold as a mode, not --hold: switching to none later lets queries fill
start_fakex --fault hold
write_config
live_section "poll_ms = 100" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "lying venue test" > /dev/null

count_of () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND $2"; }
accepted () { [ "$(count_of "$1" "r.status = 1")" -ge 1 ]; }
ended_is () { [ "$(count_of "$1" "r.terminal = 1")" = "$2" ]; }
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'"; }
cancels_of () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$1" '.[$id] // 0'; }
followed () { audit "SELECT count(*) FROM orders WHERE client_order_id = '$1'"; }
# cancel ID TARGET: sends the cancel, waits for its terminal report, prints it.
cancel () {
    echo '{"action":"CANCEL","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'"}' > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/$1.jsonl" > "$WORK/$1.out" 2>> "$WORK/send.log" \
        || fail "ep-send --wait for $1: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
tap_all () {
    local n
    n=$(sql "SELECT count(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
}

# --- a resting order, and a cancel the venue says it does not know ---------------
echo '{"intent_id":"o1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send o1"
wait_until 10 accepted o1
ID=$(client_id o1)
[ -n "$ID" ] || fail "no submission of o1 in the live audit"

fakex_fault cancel-unknown
got=$(cancel c1 o1)
jq -e '.status == "REJECTED" and .failure == "VENUE_REJECTED" and .target_intent_id == "o1" and .plane == "LIVE"
       and (.reason | test("open")) and (.reason | test("stays followed"))' <<<"$got" > /dev/null \
    || fail "the cancel the venue did not know, its order open, got $got"
[ "$(cancels_of "$ID")" = 1 ] || fail "the venue saw $(cancels_of "$ID") cancels of o1"
[ "$(audit "SELECT count(*) FROM attempts WHERE kind = 3 AND intent_id = 'c1'")" = 1 ] \
    || fail "not one cancel attempt written down: $(audit "SELECT * FROM attempts WHERE kind = 3")"
[ "$(audit "SELECT venue_code FROM attempts WHERE kind = 3 AND intent_id = 'c1'")" = -2011 ] \
    || fail "the cancel attempt's venue code: $(audit "SELECT * FROM attempts WHERE kind = 3 AND intent_id = 'c1'")"
[ "$(audit "SELECT count(*) FROM attempts WHERE kind = 2 AND intent_id = 'c1'")" = 1 ] \
    || fail "not one status query written down as the cancel's: $(audit "SELECT * FROM attempts WHERE kind = 2 AND intent_id = 'c1'")"
[ "$(audit "SELECT client_order_id || ' ' || http_status || ' ' || venue_status FROM attempts WHERE kind = 2 AND intent_id = 'c1'")" = "$ID 200 NEW" ] \
    || fail "the cancel's status query did not find o1 open: $(audit "SELECT * FROM attempts WHERE kind = 2 AND intent_id = 'c1'")"
ended_is o1 0 || fail "the target ended on a cancel the venue did not take: $(count_of o1 "r.terminal = 1")"
[ "$(followed "$ID")" = 1 ] || fail "the target is no longer followed"
# and is still queried, as every resting order is, while the venue lies
asked=$(audit "SELECT id FROM attempts WHERE kind = 2 AND intent_id = 'c1'")
wait_until 10 audit_has "SELECT id FROM attempts WHERE kind = 2 AND intent_id = 'o1' AND id > $asked AND venue_status = 'NEW'"
[ "$(count_of c1 "r.terminal = 1")" = 1 ] || fail "the cancel has not one terminal report"
pass "-2011 with the order open: one cancel, one audited query, the cancel REJECTED / VENUE_REJECTED, the target followed: $(jq -r .reason <<<"$got")"

# --- the venue fills it: the target's own stream ends it -------------------------
fakex_fault none
wait_until 15 ended_is o1 1
tap_all
ends=$(jq -c 'select(.intent_id == "o1" and .terminal)' "$WORK/all.jsonl")
[ "$(jq -s length <<<"$ends")" = 1 ] || fail "o1 has not one terminal report: $ends"
jq -e '.status == "FILLED" and .filled_qty == "2" and .avg_price == "200.5"' <<<"$ends" > /dev/null \
    || fail "the target ended $ends"
# The router publishes each fill once, on the report that first has it
[ "$(jq -s '[.[] | select(.intent_id == "o1") | .fills[].qty | tonumber] | add' "$WORK/all.jsonl")" = 2 ] \
    || fail "o1's fills do not add up to 2: $(jq -c -s '[.[] | select(.intent_id == "o1") | .fills[]]' "$WORK/all.jsonl")"
[ "$(jq -s '[.[] | select(.intent_id == "o1") | .fills[].fill_id] | length == (unique | length)' "$WORK/all.jsonl")" = true ] \
    || fail "a fill id of o1 repeats"
[ "$(jq -s '[.[] | select(.intent_id == "c1")] | map(select(.terminal)) | length' "$WORK/all.jsonl")" = 1 ] \
    || fail "the cancel's stream changed: $(jq -c 'select(.intent_id == "c1")' "$WORK/all.jsonl")"
[ "$(fakex_count "$ID")" = 1 ] || fail "the venue received $(fakex_count "$ID") order requests for o1"
[ "$(cancels_of "$ID")" = 1 ] || fail "a cancel was sent again: $(cancels_of "$ID")"
[ "$(followed "$ID")" = 0 ] || fail "a filled order is still followed"
pass "the target stays followed and ends FILLED 2 once, with its fills"

# --- later cancels of the ended target are too late --------------------------------
got=$(cancel c2 o1)
jq -e '.status == "REJECTED" and .failure == "TOO_LATE" and .target_intent_id == "o1"' <<<"$got" > /dev/null \
    || fail "a cancel of the filled target got $got"
"$BIN/ep-meta" --config "$READY" --timeout 10 --as ops cancel-all --plane live --reason "after the lie" \
    > "$WORK/cancel-all.json" 2>> "$WORK/meta.log" || fail "ep-meta cancel-all exited $?: $(cat "$WORK/meta.log")"
jq -e '.last_command_applied and (.last_command_outcome | test("; 0 cancel\\(s\\) sent$"))' "$WORK/cancel-all.json" > /dev/null \
    || fail "ep-meta cancel-all printed $(cat "$WORK/cancel-all.json")"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'cancel-all.%'")" = 0 ] || fail "cancel-all canceled the filled order"
[ "$(cancels_of "$ID")" = 1 ] || fail "a later cancel reached the venue: $(cancels_of "$ID")"
tap_all
[ "$(jq -s '[.[] | select(.intent_id == "o1" and .terminal)] | length' "$WORK/all.jsonl")" = 1 ] \
    || fail "o1 ended more than once"
pass "later: the strategy's cancel is TOO_LATE, the meta layer's cancel-all finds nothing open; nothing more reaches the venue"

# --- a replace the venue says it cannot make: cancel-replace, then amend -----------
fakex_fault hold
echo '{"intent_id":"r1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send r1"
wait_until 10 accepted r1
RID=$(client_id r1)
fakex_fault cancel-unknown
# replace ID QTY PRICE: a REPLACE of r1, waited for; prints its terminal report
replace () {
    echo '{"action":"REPLACE","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"r1","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"'"$2"'","limit_price":"'"$3"'","ref_price":"250"}' > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/$1.jsonl" > "$WORK/$1.out" 2>> "$WORK/send.log" \
        || fail "ep-send --wait for $1: $(tail -n 3 "$WORK/send.log")"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}
for change in "r2 2 190 POST" "r3 1 200.5 PUT"; do
    set -- $change
    got=$(replace "$1" "$2" "$3")
    jq -e '.status == "REJECTED" and .failure == "VENUE_REJECTED" and .target_intent_id == "r1"
           and .filled_qty == "0" and (.reason | test("refused the replace")) and (.reason | test("stays followed"))' <<<"$got" > /dev/null \
        || fail "$1: a replace the venue did not know, its order open, got $got"
    [ "$(audit "SELECT method FROM attempts WHERE kind = 5 AND intent_id = '$1'")" = "$4" ] \
        || fail "$1: not one $4: $(audit "SELECT * FROM attempts WHERE kind = 5 AND intent_id = '$1'")"
    [ "$(audit "SELECT count(*) FROM attempts WHERE kind = 2 AND intent_id = '$1'")" = 1 ] \
        || fail "$1: not one status query written down as the replace's"
    ended_is r1 0 || fail "$1: the target ended on a replace the venue did not take"
    [ "$(followed "$RID")" = 1 ] || fail "$1: the target is no longer followed"
    [ "$(followed "$(audit "SELECT client_order_id FROM attempts WHERE kind = 5 AND intent_id = '$1'")")" = 0 ] \
        || fail "$1: a replacing order that was never placed is followed"
done
[ "$(cancels_of "$RID")" = 2 ] || fail "the venue saw $(cancels_of "$RID") changes of r1, not 2"
fakex_fault none
wait_until 15 ended_is r1 1
tap_all
jq -e -s 'map(select(.intent_id == "r1" and .terminal)) | length == 1 and .[0].status == "FILLED" and .[0].filled_qty == "2"' \
    "$WORK/all.jsonl" > /dev/null || fail "r1 ended $(jq -c 'select(.intent_id == "r1" and .terminal)' "$WORK/all.jsonl")"
pass "the same for a cancel-replace and an amend: REJECTED / VENUE_REJECTED, nothing placed, the target followed until FILLED"

check_journal_invariants
assert_no_secrets
