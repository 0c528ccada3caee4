#!/usr/bin/env bash
# Prometheus metrics and health. The router and both workers serve
# /metrics and /healthz on loopback ports of their own (port 0: one is
# picked and logged; the router's ready file names it). Scraped with curl:
# the text is well-formed Prometheus, names follow the conventions, and the
# values move as intents flow (intents by outcome, commits, batches, the
# paper plane's executions, the live worker's venue latency and classified
# failures). /healthz answers 200 while what matters holds (the journal is
# writable and the active plane's worker alive) and 503 once it does not.
# A metrics address off loopback is refused at start.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config "metrics = 127.0.0.1:0" "worker_timeout_ms = 1000"
printf 'paper\n    metrics = 127.0.0.1:0\n' >> "$CFG"
live_section "metrics = 127.0.0.1:0" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router

ROUTER_METRICS=$(router_metrics)
[[ $ROUTER_METRICS =~ ^http://127\.0\.0\.1:[1-9][0-9]*$ ]] \
    || fail "the ready file does not name the router's metrics port: $ROUTER_METRICS"
grep -q "metrics on $ROUTER_METRICS/metrics" "$WORK/router.log" || fail "the router did not log its metrics URL"

status_of () { curl -s -o /dev/null -w '%{http_code}' "$1"; }
health_at () { [ "$(status_of "$1/healthz")" = "$2" ]; }
# metric URL NAME{LABELS}: the sample's value, or "none".
metric () { curl -s "$1/metrics" | awk -v k="$2" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'; }
metric_is () { [ "$(metric "$1" "$2")" = "$3" ]; }
logged_url () { sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$1" | tail -n 1; }

# No worker yet: the router is up, but not healthy.
wait_until 5 health_at "$ROUTER_METRICS" 503
curl -s "$ROUTER_METRICS/healthz" | jq -e '.healthy == false and .active_worker_alive == false
    and .journal == "writable" and .active_plane == "PAPER"' > /dev/null \
    || fail "router /healthz without a worker: $(curl -s "$ROUTER_METRICS/healthz")"
pass "router /healthz: 503 with no paper worker"

start_paper
wait_until 10 grep -q "metrics on" "$WORK/paper.log"
PAPER_METRICS=$(logged_url "$WORK/paper.log")
wait_until 5 health_at "$ROUTER_METRICS" 200
wait_until 5 health_at "$PAPER_METRICS" 200
pass "router and paper /healthz: 200"

# Well-formed text: every sample belongs to a family declared with # TYPE,
# names are execplane_* in snake case (digits allowed after the prefix, as
# in execplane_venue_orders_10s), counters end in _total, and every
# line is NAME{LABELS} VALUE.
check_text () {
    curl -s "$1/metrics" > "$WORK/scrape.txt"
    python3 - "$WORK/scrape.txt" 2> "$WORK/check.err" <<'PY' \
        || fail "$1/metrics is not well-formed: $(tail -n 1 "$WORK/check.err")"
import re, sys
types = {}
sample = re.compile(r'^([a-z_][a-z0-9_]*)(\{([a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*)?\})? (-?[0-9.e+-]+|\+Inf)$')
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        _, _, name, kind = line.split(' ')
        assert re.match(r'^execplane_[a-z][a-z0-9_]*$', name), name
        assert kind in ('counter', 'gauge', 'histogram'), line
        assert kind != 'counter' or name.endswith('_total'), name
        types[name] = kind
        continue
    if line.startswith('# HELP ') or not line:
        continue
    m = sample.match(line)
    assert m, 'bad sample line: ' + line
    name = m.group(1)
    family = re.sub(r'_(bucket|sum|count)$', '', name) if name not in types else name
    assert family in types, 'no # TYPE for ' + name
PY
}
check_text "$ROUTER_METRICS"
check_text "$PAPER_METRICS"
pass "the metrics text is well-formed"

filled='execplane_intents_total{plane="PAPER",status="FILLED",failure="FAILURE_NONE"}'
[ "$(metric "$ROUTER_METRICS" "$filled")" = none ] || fail "intents counted before any was sent"
commits_before=$(metric "$ROUTER_METRICS" execplane_journal_commit_seconds_count)
for i in 1 2 3 4 5; do
    echo '{"intent_id":"m-'$i'","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}'
done | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null || fail "ep-send failed"
wait_until 5 metric_is "$ROUTER_METRICS" "$filled" 5
metric_is "$ROUTER_METRICS" execplane_intents_accepted_total 5 || fail "accepted is not 5"
metric_is "$ROUTER_METRICS" 'execplane_in_flight{plane="PAPER"}' 0 || fail "in flight is not 0"
commits_after=$(metric "$ROUTER_METRICS" execplane_journal_commit_seconds_count)
[ "$commits_after" -gt "$commits_before" ] || fail "no journal commit observed ($commits_before, $commits_after)"
[ "$(metric "$ROUTER_METRICS" execplane_dispatch_batch_size_count)" -ge 1 ] || fail "no dispatch batch observed"
wait_until 5 metric_is "$PAPER_METRICS" execplane_paper_intents_executed_total 5
metric_is "$PAPER_METRICS" 'execplane_paper_reports_total{status="FILLED"}' 5 || fail "paper FILLED is not 5"
metric_is "$PAPER_METRICS" execplane_paper_fills_total 5 || fail "paper fills is not 5"
pass "values move: 5 intents FILLED, $commits_before -> $commits_after commits"

# The live worker: venue latency and classified failures.
start_live
wait_until 10 grep -q "metrics on" "$WORK/live.log"
LIVE_METRICS=$(logged_url "$WORK/live.log")
wait_until 5 health_at "$LIVE_METRICS" 200
"$BIN/ep-meta" --config "$READY" select live --reason "metrics test" > /dev/null
echo '{"intent_id":"l-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null
fakex_fault insufficient
echo '{"intent_id":"l-2","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null
wait_until 5 metric_is "$LIVE_METRICS" 'execplane_venue_request_seconds_count{kind="submit"}' 2
metric_is "$LIVE_METRICS" 'execplane_venue_requests_total{kind="submit",failure="FAILURE_NONE"}' 1 \
    || fail "the live worker did not count the filled submission"
metric_is "$LIVE_METRICS" 'execplane_venue_requests_total{kind="submit",failure="INSUFFICIENT_FUNDS"}' 1 \
    || fail "the live worker did not classify the refused submission"
sum=$(metric "$LIVE_METRICS" 'execplane_venue_request_seconds_sum{kind="submit"}')
python3 -c "import sys; sys.exit(0 if 0 < float('$sum') < 10 else 1)" || fail "venue latency sum $sum"
check_text "$LIVE_METRICS"
wait_until 5 metric_is "$ROUTER_METRICS" 'execplane_intents_total{plane="LIVE",status="REJECTED",failure="INSUFFICIENT_FUNDS"}' 1
wait_until 5 metric_is "$ROUTER_METRICS" 'execplane_active_plane{plane="LIVE"}' 1
pass "live: 2 submissions timed ($sum s in all), 1 classified INSUFFICIENT_FUNDS"

# The active plane's worker dies: the router is unhealthy, and says why.
kill -9 "$LIVE_PID"
wait_until 10 health_at "$ROUTER_METRICS" 503
curl -s "$ROUTER_METRICS/healthz" | jq -e '.active_plane == "LIVE" and .active_worker_alive == false' \
    > /dev/null || fail "router /healthz: $(curl -s "$ROUTER_METRICS/healthz")"
metric_is "$ROUTER_METRICS" 'execplane_worker_alive{plane="LIVE"}' 0 || fail "the live worker still counts as alive"
pass "router /healthz: 503 once the active plane's worker is gone"
[ "$(status_of "$ROUTER_METRICS/other")" = 404 ] || fail "an unknown path is not 404"

# Off loopback: refused, before anything starts.
write_config "metrics = 0.0.0.0:0"
rc=0; "$BIN/ep-router" --config "$CFG" 2> "$WORK/bad.log" || rc=$?
[ $rc = 2 ] && grep -q "not a loopback address" "$WORK/bad.log" \
    || fail "a metrics address off loopback: exit $rc, $(cat "$WORK/bad.log")"
pass "a metrics address off loopback is refused: $(cat "$WORK/bad.log")"
