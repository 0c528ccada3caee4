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

live_resting_order lf-1 300
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
check_filled_once    # every report through ep-tap in $WORK/all.jsonl
[ "$(jq -r 'select(.terminal) | "\(.first_fill) \(.fills | length)"' "$WORK/all.jsonl")" = "0 2" ] \
    || fail "the terminal report does not carry both fills from the first: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
[ "$(stats_field fill_gaps)" = 0 ] || fail "the router saw a gap in the fills"
check_journal_invariants
assert_no_secrets
pass "a partial fill lost with the router reached the journal with the next report: fills 1 + 1 = FILLED 2, each once"
