#!/usr/bin/env bash
# A live worker's reports on a resting order go to a router that then dies
# (frozen, then kill -9: what the worker pushed meanwhile is lost with it).
# The restarted router still holds the order in flight with only the fills
# it journaled. When the worker reconnects it hears the router's new start,
# claims the plane again, and follows the order from the router's fills:
# the next status query reports the missed fill and the terminal FILLED.
# One terminal report, fills that add up to the cumulative quantity, and
# one order request at the venue.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config "worker_timeout_ms = 3000"
live_section "poll_ms = 500"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "lost report test" > /dev/null

# The fake venue fills a resting order one unit per status query.
echo '{"intent_id":"lr-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 1; }
wait_until 10 accepted
kill -STOP "$ROUTER_PID"
# The worker goes on following it: FILLED at the venue, reported to a router
# that cannot read.
venue_filled () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND terminal = 1 AND status = 3"; }
wait_until 15 venue_filled
before=$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1")
[ "$before" = 0 ] || fail "the router journaled the terminal report before it was frozen"
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
restart_router
filled () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 1; }
wait_until 20 filled
grep -q "followed again from the router's fills" "$WORK/live.log" || fail "the worker did not resynchronize"
n_reports=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 10 > "$WORK/all.jsonl" \
    || fail "ep-tap could not replay the reports"
[ "$(jq -s 'map(select(.terminal)) | length' "$WORK/all.jsonl")" = 1 ] || fail "not exactly one terminal report"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.filled_qty)"' "$WORK/all.jsonl")" = "FILLED 2" ] \
    || fail "terminal: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
[ "$(jq -s '[.[].fills[].qty | tonumber] | add' "$WORK/all.jsonl")" = 2 ] \
    || fail "the fills do not add up to 2: $(jq -c -s '[.[].fills[]]' "$WORK/all.jsonl")"
[ "$(jq -s '[.[].fills[].fill_id] | length == (unique | length)' "$WORK/all.jsonl")" = true ] \
    || fail "a fill id repeats"
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") order requests"
[ "$(stats_field in_flight_live)" = 0 ] || fail "the order is still in flight at the router"
check_journal_invariants
assert_no_secrets
pass "the terminal report lost with the router came back from the venue after the restart: FILLED 2, fills add up, one order request"
