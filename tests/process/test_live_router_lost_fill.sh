#!/usr/bin/env bash
# A live worker reports a partial fill to a router that then dies (frozen,
# then kill -9: the report is lost with it). While no router runs, the
# order fills completely; that report waits in the worker's queue and is
# the first thing the restarted router reads. The intent is then terminal
# at the restarted router, so no resynchronization touches it: the partial
# fill reaches the journal only because every report on a followed order
# repeats the order's earlier fills and the router keeps those it lacks.
# The fills add up to the cumulative quantity, each once.
#
# The partial report must be in the dead router's socket buffer, not in
# the worker's queue: the audit has the query's answer before the report
# leaves (the worker asks for the order's trades in between), so the test
# waits for the report itself. Should it still reach the restarted router,
# the test says so and fails: it would prove nothing.
source "$(dirname "$0")/lib.sh"

live_resting_order lf-1 1000          # a status query a second
kill -STOP "$ROUTER_PID"
# The first query: PARTIALLY_FILLED 1, pushed to a router that cannot read.
partial () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND status = 2"; }
wait_until 15 partial
# The venue then holds the order as it is (queries fill no more) until the
# router is dead: its FILLED report cannot reach the router that dies.
fakex_fault hold
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 2 AND status = 3")" = 0 ] \
    || fail "the order filled before the venue held it: its FILLED report may die with the router"
# The worker logs a report once its socket has it ...
reported () { grep -q 'intent live/lf-1: PARTIALLY_FILLED' "$WORK/live.log"; }
wait_until 15 reported
# ... which writes it to the router's connection, ahead of anything sent
# after it (a heartbeat every 100 ms): once the bytes waiting in the frozen
# router's results connection grow past what they were when the report was
# handed over, the report is among them.
results_port=$(sed -n 's|^ *results = "tcp://127\.0\.0\.1:\([0-9]*\)"$|\1|p' "$READY")
[ -n "$results_port" ] || fail "no results endpoint in $READY"
port_hex=$(printf '%04X' "$results_port")
# The bytes the router has not read on its side of the results connections
# (/proc/net/tcp read at once: small reads of it are slow and may tear).
unread () {
    awk -v port="$port_hex" '
        function hex(text,    i, n) {
            n = 0
            for (i = 1; i <= length(text); i++)
                n = n * 16 + index("0123456789ABCDEF", substr(text, i, 1)) - 1
            return n
        }
        NR > 1 && $4 == "01" && split($2, address, ":") == 2 && address[2] == port {
            split($5, queues, ":"); total += hex(queues[2])
        }
        END { print total + 0 }' /proc/net/tcp
}
handed_over=$(unread)
grown () { [ "$(unread)" -gt "$handed_over" ]; }
wait_until 5 grown
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
# The next query: FILLED 2, queued for whichever router comes next.
fakex_fault none
venue_filled () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND terminal = 1 AND status = 3"; }
wait_until 15 venue_filled
[ "$(sql "SELECT COUNT(*) FROM reports WHERE status = 2")" = 0 ] \
    || fail "the router journaled the partial fill before it died: the test proves nothing"
restart_router
filled () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 1; }
wait_until 20 filled
[ "$(sql "SELECT COUNT(*) FROM reports WHERE status = 2")" = 0 ] \
    || fail "the partial report reached the restarted router (it was still in the worker when the first died): the test proves nothing"
check_filled_once    # every report through ep-tap in $WORK/all.jsonl
[ "$(jq -r 'select(.terminal) | "\(.first_fill) \(.fills | length)"' "$WORK/all.jsonl")" = "0 2" ] \
    || fail "the terminal report does not carry both fills from the first: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
[ "$(stats_field fill_gaps)" = 0 ] || fail "the router saw a gap in the fills"
check_journal_invariants
assert_no_secrets
pass "a partial fill lost with the router reached the journal with the next report: fills 1 + 1 = FILLED 2, each once"
