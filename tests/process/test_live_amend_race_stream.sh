#!/usr/bin/env bash
# The amend race of test_live_amend_race.sh, told by the venue's user data
# stream: the target filled 0.7 while the stream was stalled (the fake
# venue drops what it makes meanwhile), so the plane did not know; the
# REPLACE that lowers the quantity is an amend, which ends the target
# CANCELED with that 0.7. The stream's executionReports on the renamed
# venue order carry its cumulative figures (z, Z), the target's part
# included: the replacement counts from the amend, each trade after it one
# fill, its filled_qty their sum, FILLED 0.8 at the end; nothing is asked
# by a status query.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --hold
# No poll would come during the test: only the stream tells
start_stream_stack "poll_ms = 3600000" "stream_poll_ms = 3600000" \
                   "stream_ping_ms = 500" "stream_stall_ms = 60000"

client_id () { audit "SELECT client_order_id FROM attempts WHERE kind IN (1, 5) AND intent_id = '$1'"; }
e8 () { jq -n --arg v "$1" '$v | tonumber * 100000000 | round'; }
# check_sums ID: in every report on ID, filled_qty is the sum of ID's fills
# so far (each fill id counted once); prints that last sum.
check_sums () {
    replay_reports
    jq -c --arg id "$1" 'select(.intent_id == $id)' "$WORK/all.jsonl" > "$WORK/$1.reports"
    jq -s -r 'reduce .[] as $r ({seen: {}, sum: 0, bad: []};
                 reduce ($r.fills[]?) as $f (.;
                     if .seen[$f.fill_id] then . else .seen[$f.fill_id] = true
                        | .sum += ($f.qty | tonumber * 100000000 | round) end)
                 | if ($r.filled_qty | tonumber * 100000000 | round) != .sum
                   then .bad += ["\($r.status) \($r.filled_qty) with fills of \(.sum)"] else . end)
              | if (.bad | length) > 0 then "BAD " + (.bad | join("; ")) else .sum end' \
        "$WORK/$1.reports" > "$WORK/$1.sums"
    grep -q '^BAD' "$WORK/$1.sums" && fail "$1: filled_qty is not the sum of its fills: $(cat "$WORK/$1.sums"): $(cat "$WORK/$1.reports")"
    cat "$WORK/$1.sums"
}

echo '{"intent_id":"s1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send s1"
wait_until 10 status_report s1 1

# The stream stalls: the trade on s1, and the amend's own event, are dropped
fakex_ws_mode stall
fakex_trade "$(client_id s1)" 0.7 > /dev/null
echo '{"action":"REPLACE","intent_id":"s2","strategy_id":"live","target_intent_id":"s1","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1.5","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send s2"
wait_until 15 intent_ended s1
wait_until 15 plane_reported s2
fakex_ws_mode normal
[ "$(audit "SELECT count(*) FROM attempts WHERE kind = 5 AND intent_id = 's2' AND path = '/api/v3/order/amend/keepPriority'")" = 1 ] \
    || fail "s2 was not one amend: $(audit "SELECT method, path FROM attempts WHERE kind = 5")"
[ "$(check_sums s1)" = "$(e8 0.7)" ] || fail "s1: $(cat "$WORK/s1.reports")"
jq -e -s 'map(select(.terminal)) | .[0] | .status == "CANCELED" and .filled_qty == "0.7"' \
    "$WORK/s1.reports" > /dev/null || fail "s1 ended $(cat "$WORK/s1.reports")"
[ "$(check_sums s2)" = 0 ] || fail "s2 counts what executed before the amend: $(cat "$WORK/s2.reports")"

# The stream again: two trades on the renamed order, each told by it
s2=$(client_id s2)
fakex_trade "$s2" 0.5 > "$WORK/trade-1.json"
wait_until 15 status_report s2 2
fakex_trade "$s2" 0.3 > "$WORK/trade-2.json"
wait_until 15 intent_ended s2
[ "$(check_sums s2)" = "$(e8 0.8)" ] || fail "s2 at its end: $(cat "$WORK/s2.reports")"
jq -e -s --arg a "$s2.$(jq -r .id "$WORK/trade-1.json")" --arg b "$s2.$(jq -r .id "$WORK/trade-2.json")" \
    '[.[].fills[].fill_id] | unique == ([$a, $b] | sort)' "$WORK/s2.reports" > /dev/null \
    || fail "s2's fills are not the two trades after the amend: $(cat "$WORK/s2.reports")"
jq -e -s 'map(select(.terminal)) | .[0] | .status == "FILLED" and .filled_qty == "0.8"
          and (.reason | startswith("stream: ")) and (.reason | test("0.7 of venue order"))' \
    "$WORK/s2.reports" > /dev/null || fail "s2 ended $(jq -c 'select(.terminal)' "$WORK/s2.reports")"
[ "$(fakex_requests "GET /api/v3/order")" = 0 ] \
    || fail "the venue received $(fakex_requests "GET /api/v3/order") status queries: not the stream's word"
pass "stalled stream: s1 filled 0.7 unseen, amended into s2 (CANCELED 0.7); the stream's trades on s2 count from the amend: FILLED 0.8"

check_journal_invariants
assert_no_secrets
