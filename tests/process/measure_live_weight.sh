#!/usr/bin/env bash
# Measures the request weight the live plane spends per resting order per
# minute: 200 resting LIMIT orders at ep-fakex (--hold, --rate-limits at
# Binance's 6000 weight a minute, published in its exchangeInfo), the
# default live/poll_ms (1000). After a 30 s warm-up, the venue's request
# log over one measured minute: its status queries (weight 4 each) per
# order. Not a test (nothing is asserted beyond the venue never answering
# 429): run by hand, ~2 minutes.
#   bash tests/process/measure_live_weight.sh BUILD/bin
source "$(dirname "$0")/lib.sh"

ORDERS=${ORDERS:-200}
start_fakex --exchange-info "$(dirname "$0")/../fakex/exchange_info.json" --hold --rate-limits
write_config
live_section "metrics = 127.0.0.1:0"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "weight measure" > /dev/null
LIVE_METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/live.log" | tail -n 1)
metric () { curl -s "$LIVE_METRICS/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'; }
metric_is () { [ "$(metric "$1")" = "$2" ]; }
wait_until 10 metric_is execplane_venue_clock_known 1

for i in $(seq 1 "$ORDERS"); do
    printf '{"intent_id":"m-%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"0.1","limit_price":"200.5","ref_price":"250"}\n' "$i"
done | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" "$ORDERS"; }
wait_until 60 accepted
from=$(( $(date +%s%3N) + 30000 ))
to=$(( from + 60000 ))
past () { [ "$(date +%s%3N)" -gt "$to" ]; }
wait_until 100 past
read -r queries weight < <(curl -s "$FAKEX_CONTROL/fakex/requests" | jq -r --argjson a "$from" --argjson b "$to" '
    [.requests[] | select(.[0] >= $a and .[0] < $b)]
    | [(map(select(.[1] == "GET /api/v3/order")) | length),
       (map(if .[1] == "GET /api/v3/order" then 4 elif .[1] == "GET /api/v3/exchangeInfo" then 20 else 1 end) | add // 0)]
    | @tsv')
[ "$(curl -s "$FAKEX_CONTROL/fakex/rate" | jq '.retry_until_ms + .banned_until_ms')" = 0 ] \
    || fail "the venue rate-limited the plane"
echo "orders resting: $(metric execplane_live_orders_followed)"
echo "measured minute: $queries status queries, $weight weight in all (limit $(metric execplane_venue_weight_limit))"
echo "weight per resting order per minute: $(awk -v w="$queries" -v n="$ORDERS" 'BEGIN { printf "%.2f", w * 4 / n }')"
echo "plane's count of the last minute now: $(metric execplane_venue_weight_used)"
