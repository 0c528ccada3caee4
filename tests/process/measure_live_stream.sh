#!/usr/bin/env bash
# Measures what the venue's user data stream changes, at ep-fakex:
# - the requests per resting order per minute: ORDERS resting LIMIT orders,
#   the default live/poll_ms and live/stream_poll_ms, counted over one
#   minute after a 20 s warm-up (MODE=stream: an Ed25519 key and the
#   stream; MODE=poll: an HMAC key, status queries alone);
# - with MODE=stream, the fill latency: TRADES trades made one at a time on
#   those orders (POST /fakex/trade), from the fake venue sending each
#   executionReport (its own clock, microseconds) to a monitor (ep-tap)
#   reading the published report that carries its fill; p50 and p99.
# Not a test (nothing is asserted): run by hand, ~2 minutes.
#   MODE=stream bash tests/process/measure_live_stream.sh BUILD/bin
source "$(dirname "$0")/lib.sh"

MODE=${MODE:-stream}
ORDERS=${ORDERS:-50}
TRADES=${TRADES:-200}
if [ "$MODE" = stream ]; then
    start_fakex_stream
    write_config
    live_section "stream_url = $FAKEX_WS"
else
    start_fakex --price-path "${FAKEX_PRICE:-250.25}" --path-step-ms 3600000
    write_config
    live_section
fi
start_router
start_live
[ "$MODE" != stream ] || wait_until 10 stream_events_at_least stream-up 1
"$BIN/ep-meta" --config "$READY" select live --reason "stream measure" > /dev/null

for i in $(seq 1 "$ORDERS"); do
    printf '{"intent_id":"m-%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1000","limit_price":"200.5","ref_price":"250"}\n' "$i"
done | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" "$ORDERS"; }
wait_until 60 accepted
from=$(( $(date +%s%3N) + 20000 ))
to=$(( from + 60000 ))
past () { [ "$(date +%s%3N)" -gt "$to" ]; }
wait_until 100 past
queries=$(curl -s "$FAKEX_CONTROL/fakex/requests" | jq --argjson a "$from" --argjson b "$to" '
    [.requests[] | select(.[0] >= $a and .[0] < $b and (.[1] == "GET /api/v3/order" or .[1] == "GET /api/v3/myTrades"))] | length')
echo "mode $MODE: $ORDERS resting orders, $queries status queries and trade lists in one minute:" \
     "$(jq -n --argjson q "$queries" --argjson n "$ORDERS" '$q / $n') per order per minute"
[ "$MODE" = stream ] || exit 0

# Fill latency: a monitor timestamps each report as it reads it
use_python
# From the next seq: nothing is missed however late it subscribes; the
# first trade is a warm-up (its report may come by replay) and not counted
from_seq=$(( $(sql "SELECT COALESCE(MAX(seq), 0) FROM reports") + 1 ))
"$BIN/ep-tap" --config "$READY" --from-seq "$from_seq" --timeout 300 --count "$(( TRADES + 1 ))" \
    | "$PY" -u -c 'import sys, time
for line in sys.stdin:
    print(time.time_ns() // 1000, line, end="", flush=True)' > "$WORK/tapped.txt" &
TAP=$!
for n in $(seq 0 "$TRADES"); do
    i=$(( n % ORDERS + 1 ))
    id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = 'm-$i'")
    before=$(wc -l < "$WORK/tapped.txt")
    fakex_trade "$id" 1 > /dev/null
    grown () { [ "$(wc -l < "$WORK/tapped.txt")" -gt "$before" ]; }
    wait_until 10 grown
done
wait "$TAP" || true
curl -s "$FAKEX_CONTROL/fakex/ws/events" > "$WORK/events.json"
"$PY" - "$WORK/tapped.txt" "$WORK/events.json" <<'EOF'
import json, sys
sent = {}
for at, frame in json.load(open(sys.argv[2])):
    event = json.loads(frame).get("event", {})
    if event.get("e") == "executionReport" and event.get("x") == "TRADE":
        sent["%s.%s" % (event["c"], event["t"])] = at
delays = []
for line in list(open(sys.argv[1]))[1:]:
    at, report = line.split(" ", 1)
    report = json.loads(report)
    fills = report.get("fills", [])
    if fills and fills[-1]["fill_id"] in sent:
        delays.append(int(at) - sent[fills[-1]["fill_id"]])
delays.sort()
if not delays:
    sys.exit("no trade matched")
pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
print("fill latency, venue event sent to report read by a monitor: %d trades, p50 %d us, p99 %d us, max %d us"
      % (len(delays), pick(0.50), pick(0.99), delays[-1]))
EOF
