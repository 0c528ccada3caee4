#!/usr/bin/env bash
# A resting limit order on the live plane is followed by status queries
# (observation, not resubmission) and filled in two parts: ACCEPTED,
# PARTIALLY_FILLED, FILLED, with the right cumulative quantity and average
# price; the venue received one order request.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section "poll_ms = 100"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "resting test" > /dev/null

echo '{"intent_id":"r-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out.jsonl"
[ "$(jq -r '.status' "$WORK/out.jsonl" | paste -sd' ')" = "ACCEPTED PARTIALLY_FILLED FILLED" ] \
    || fail "statuses: $(jq -r '.status' "$WORK/out.jsonl" | paste -sd' ')"
[ "$(jq -r '.filled_qty' "$WORK/out.jsonl" | paste -sd' ')" = "0 1 2" ] \
    || fail "cumulative quantities: $(jq -r '.filled_qty' "$WORK/out.jsonl" | paste -sd' ')"
[ "$(jq -r '.avg_price' "$WORK/out.jsonl" | paste -sd' ')" = "0 200.5 200.5" ] \
    || fail "average prices: $(jq -r '.avg_price' "$WORK/out.jsonl" | paste -sd' ')"
[ "$(jq -s '[.[].fills[].qty] == ["1","1"]' "$WORK/out.jsonl")" = true ] \
    || fail "fills: $(jq -c -s '[.[].fills[]]' "$WORK/out.jsonl")"
[ "$(jq -r 'select(.terminal) | .plane' "$WORK/out.jsonl")" = LIVE ] || fail "not on the live plane"
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") order requests"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 2 AND method = 'GET'")" -ge 2 ] \
    || fail "the order was not followed by status queries"
[ "$(audit "SELECT COUNT(*) FROM orders")" = 0 ] || fail "a filled order is still followed"
check_journal_invariants
assert_no_secrets
pass "ACCEPTED, PARTIALLY_FILLED 1, FILLED 2 at 200.5 through status queries; one order request"
