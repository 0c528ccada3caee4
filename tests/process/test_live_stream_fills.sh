#!/usr/bin/env bash
# The venue's user data stream tells the live plane each trade as it
# happens. With an Ed25519 key (the fake venue verifies every signature
# with its public half, REST and session.logon alike), a resting LIMIT
# order filled in three trades at the venue is reported three times from
# the stream: three fills whose ids, prices, quantities, fees and fee
# assets are the venue's own trades (myTrades), ACCEPTED, PARTIALLY_FILLED
# twice, FILLED. While the stream is up the venue receives no status query
# and no myTrades request at all: no request weight is spent on polling.
# Every frame is in the audit, as an observation, before its report.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
# Queries every 100 ms without the stream: any poll would show at once
start_stream_stack "poll_ms = 100" "stream_poll_ms = 600000" \
                   "stream_ping_ms = 500" "stream_stall_ms = 3000" "metrics = 127.0.0.1:0"

echo '{"intent_id":"st-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"3","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 1; }
wait_until 10 accepted
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ -n "$id" ] || fail "no submission in the audit"

# Three trades at the venue, each reported before the next is made
for n in 1 2 3; do
    before=$(plane_reports)
    fakex_trade "$id" 1 > "$WORK/trade-$n.json"
    more_reports () { [ "$(plane_reports)" -gt "$before" ]; }
    wait_until 10 more_reports
done

replay_reports
[ "$(jq -r '.status' "$WORK/all.jsonl" | paste -sd' ')" = "ACCEPTED PARTIALLY_FILLED PARTIALLY_FILLED FILLED" ] \
    || fail "statuses: $(jq -r '.status' "$WORK/all.jsonl" | paste -sd' ')"
[ "$(jq -r '.filled_qty' "$WORK/all.jsonl" | paste -sd' ')" = "0 1 2 3" ] \
    || fail "cumulative quantities: $(jq -r '.filled_qty' "$WORK/all.jsonl" | paste -sd' ')"
jq -r 'select(.status != "ACCEPTED") | .reason' "$WORK/all.jsonl" | grep -v '^stream: ' > /dev/null \
    && fail "a report that is not the stream's: $(jq -r .reason "$WORK/all.jsonl")"

# Each fill is the venue's trade, with its id, price, quantity and fee
jq -s -c '[.[].fills[]] | unique_by(.fill_id)' "$WORK/all.jsonl" > "$WORK/fills.json"
[ "$(jq length "$WORK/fills.json")" = 3 ] || fail "fills: $(cat "$WORK/fills.json")"
for n in 1 2 3; do
    trade=$(cat "$WORK/trade-$n.json")
    want=$(jq -c --arg id "$id" '{fill_id: "\($id).\(.id)", qty: (.qty | tonumber),
            price: (.price | tonumber), fee: (.commission | tonumber), fee_asset: .commissionAsset}' <<<"$trade")
    jq -e --argjson want "$want" 'map({fill_id, qty: (.qty | tonumber), price: (.price | tonumber),
            fee: (.fee | tonumber), fee_asset}) | index([$want]) != null' "$WORK/fills.json" > /dev/null \
        || fail "trade $n ($want) is not among the fills: $(cat "$WORK/fills.json")"
done

# Not one status query or trade list while the stream was up
[ "$(fakex_requests "GET /api/v3/order")" = 0 ] \
    || fail "the venue received $(fakex_requests "GET /api/v3/order") status queries"
[ "$(fakex_requests "GET /api/v3/myTrades")" = 0 ] \
    || fail "the venue received $(fakex_requests "GET /api/v3/myTrades") trade lists"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 2")" = 0 ] || fail "the audit shows status queries"
[ "$(audit "SELECT COUNT(*) FROM orders")" = 0 ] || fail "a filled order is still followed"

# The frames are in the audit: the three trades with their ids, each an
# observation on the order
for n in 1 2 3; do
    trade_id=$(jq -r .id "$WORK/trade-$n.json")
    [ "$(audit "SELECT COUNT(*) FROM observations WHERE kind = 'event' AND client_order_id = '$id'
                AND text LIKE '%\"x\":\"TRADE\"%' AND text LIKE '%\"t\":$trade_id,%'")" = 1 ] \
        || fail "trade $trade_id is not in the audit once"
done
audit_has "SELECT 1 FROM observations WHERE kind = 'subscribed'" || fail "no 'subscribed' observation"
[ "$(audit "SELECT COUNT(*) FROM observations WHERE text LIKE '%$API_KEY%'")" = 0 ] \
    || fail "the key is in an observation"

# The balances the stream told are in the live worker's metrics: 3 BTC
# more, 601.5 USDT and the fees less (the venue's own figures)
want_btc=$(jq -s '10 + 3' "$WORK"/trade-*.json)
METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/live.log" | tail -n 1)
curl -s "$METRICS/metrics" > "$WORK/metrics.txt" || fail "no metrics at $METRICS"
grep -q '^execplane_live_stream_up 1$' "$WORK/metrics.txt" || fail "the stream is not up in the metrics"
grep -q "^execplane_venue_balance{asset=\"BTC\",kind=\"free\"} $want_btc\$" "$WORK/metrics.txt" \
    || fail "BTC balance: $(grep execplane_venue_balance "$WORK/metrics.txt")"
grep -q '^execplane_live_stream_trades_total 3$' "$WORK/metrics.txt" || fail "trades told: $(grep stream_trades "$WORK/metrics.txt")"
grep -q 'stream: a frame not understood' "$WORK/live.log" && fail "a frame of the stream was not understood"
check_journal_invariants
assert_no_secrets
grep -q -F -- "-----BEGIN" "$WORK/live.log" && fail "the private key is in the log"
pass "three trades from the stream: three fills with the venue's ids and fees, FILLED; no status query while it was up"
