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

live_resting_order lr-1 500
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
check_filled_once    # every report through ep-tap in $WORK/all.jsonl
[ "$(stats_field in_flight_live)" = 0 ] || fail "the order is still in flight at the router"
check_journal_invariants
assert_no_secrets
pass "the terminal report lost with the router came back from the venue after the restart: FILLED 2, fills add up, one order request"
