#!/usr/bin/env bash
# A live worker reports a partial fill to a router that then dies (frozen,
# then kill -9: the report is lost with it). While no router runs, the
# order fills completely; that report waits in the worker's queue and is
# the first thing the restarted router reads. The intent is then terminal
# at the router, so no resynchronization touches it: the partial fill
# reaches the journal only because every report on a followed order
# repeats the order's earlier fills and the router keeps those it lacks.
# The fills add up to the cumulative quantity, each once.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config "worker_timeout_ms = 3000"
live_section "poll_ms = 300"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "lost fill test" > /dev/null

# The fake venue fills a resting order one unit per status query.
echo '{"intent_id":"lf-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 1; }
wait_until 10 accepted
kill -STOP "$ROUTER_PID"
# The first query: PARTIALLY_FILLED 1, pushed to a router that cannot read.
partial () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND status = 2"; }
wait_until 15 partial
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
# The next: FILLED 2, queued for whichever router comes next.
venue_filled () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND terminal = 1 AND status = 3"; }
wait_until 15 venue_filled
[ "$(sql "SELECT COUNT(*) FROM reports WHERE status = 2")" = 0 ] \
    || fail "the router journaled the partial fill before it died: the test proves nothing"
restart_router
filled () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 1; }
wait_until 20 filled
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
[ "$(jq -r 'select(.terminal) | "\(.first_fill) \(.fills | length)"' "$WORK/all.jsonl")" = "0 2" ] \
    || fail "the terminal report does not carry both fills from the first: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
[ "$(stats_field fill_gaps)" = 0 ] || fail "the router saw a gap in the fills"
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") order requests"
check_journal_invariants
assert_no_secrets
pass "a partial fill lost with the router reached the journal with the next report: fills 1 + 1 = FILLED 2, each once"
