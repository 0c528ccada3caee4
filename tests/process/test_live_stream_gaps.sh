#!/usr/bin/env bash
# When the venue's user data stream fails, nothing it would have told is
# lost, and nothing is told twice:
# - dropped mid-fill (closed, and refused while "down"): a trade made
#   while it is down reaches no one; once the stream is back, every resting
#   order is queried once, and that query tells the missed trade, with its
#   fee, exactly once; the next trade comes from the stream again;
# - stalled (the connection open, nothing answered, not even our pings):
#   detected within live/stream_stall_ms, polling resumes at once, and a
#   trade made meanwhile is told by a status query.
# Each disconnection and reconnection is an event in the journal and an
# observation in the audit.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
# While it is down, a query every 60 s: the one made at once when it goes
# down, and the one at reconnection, are the only ones in time.
start_stream_stack "poll_ms = 60000" "stream_poll_ms = 600000" \
                   "stream_ping_ms = 200" "stream_stall_ms = 1500" "stream_backoff_max_ms = 500"

echo '{"intent_id":"gap-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"4","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
wait_until 10 plane_reports_at_least 1
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
# Each trade is one more report from the plane (ACCEPTED was the first)

# Trade 1, from the stream
fakex_trade "$id" 1 > "$WORK/trade-1.json"
wait_until 10 plane_reports_at_least 2

# Down: closed, and refused. Trade 2 reaches no one.
fakex_ws_mode down
wait_until 10 stream_events_at_least stream-down 1
queries_before=$(fakex_requests "GET /api/v3/order")
fakex_trade "$id" 1 > "$WORK/trade-2.json"
[ "$(plane_reports)" = 2 ] || fail "a trade made while the stream was down was told before it came back"
# Back: the reconnection's query tells trade 2
fakex_ws_mode normal
wait_until 10 stream_events_at_least stream-up 2
wait_until 10 plane_reports_at_least 3
[ "$(fakex_requests "GET /api/v3/order")" -gt "$queries_before" ] \
    || fail "trade 2 was told without a status query"
# Trade 3, from the stream again
fakex_trade "$id" 1 > "$WORK/trade-3.json"
wait_until 10 plane_reports_at_least 4

# Stalled: nothing answered, and trade 4 is made before the stall is
# seen: the query made at once when it is seen tells it
queries_before=$(fakex_requests "GET /api/v3/order")
fakex_ws_mode stall
fakex_trade "$id" 1 > "$WORK/trade-4.json"
wait_until 10 stream_events_at_least stream-down 2
sql "SELECT detail FROM events WHERE kind = 'stream-down' ORDER BY id DESC LIMIT 1" | grep '^stalled: nothing heard for' > /dev/null \
    || fail "the stall was not told as one: $(sql "SELECT detail FROM events WHERE kind = 'stream-down'")"
wait_until 10 plane_reports_at_least 5
[ "$(fakex_requests "GET /api/v3/order")" -gt "$queries_before" ] \
    || fail "the stalled stream's trade was told without a status query"
fakex_ws_mode normal
wait_until 10 stream_events_at_least stream-up 3

# Four trades, four fills: each the venue's trade, with its fee, told once
replay_reports
[ "$(jq -s 'map(select(.terminal)) | length' "$WORK/all.jsonl")" = 1 ] || fail "not exactly one terminal report"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.filled_qty)"' "$WORK/all.jsonl")" = "FILLED 4" ] \
    || fail "terminal: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
jq -s -c '[.[] | .first_fill as $first | .fills | to_entries[] | {n: ($first + .key), fill: .value}]
          | unique_by(.n) | map(.fill)' "$WORK/all.jsonl" > "$WORK/fills.json"
[ "$(jq length "$WORK/fills.json")" = 4 ] || fail "fills: $(cat "$WORK/fills.json")"
[ "$(jq '[.[].fill_id] | unique | length' "$WORK/fills.json")" = 4 ] || fail "a fill is told twice"
for n in 1 2 3 4; do
    want=$(jq -c --arg id "$id" '{fill_id: "\($id).\(.id)", fee: (.commission | tonumber), fee_asset: .commissionAsset}' \
           "$WORK/trade-$n.json")
    jq -e --argjson want "$want" 'map({fill_id, fee: (.fee | tonumber), fee_asset}) | index([$want]) != null' \
        "$WORK/fills.json" > /dev/null || fail "trade $n ($want) is not among the fills: $(cat "$WORK/fills.json")"
done
[ "$(jq '[.[].qty | tonumber] | add' "$WORK/fills.json")" = 4 ] || fail "the fills do not add up to 4"

# The stream's life, in the audit too
[ "$(audit "SELECT COUNT(*) FROM observations WHERE kind = 'disconnected'")" -ge 2 ] \
    || fail "the disconnections are not in the audit"
[ "$(audit "SELECT COUNT(*) FROM observations WHERE kind = 'subscribed'")" -ge 3 ] \
    || fail "the reconnections are not in the audit"
check_journal_invariants
assert_no_secrets
pass "a trade missed while the stream was down told once by the reconnection's query; a stall detected, polling resumed; four fills, each once"
