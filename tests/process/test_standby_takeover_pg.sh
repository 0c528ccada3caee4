#!/usr/bin/env bash
# Two routers, A and B, started together on one PostgreSQL journal: A takes
# the lease and serves; B is a standby, says so on /healthz, and binds none
# of its endpoints, so that clients and the paper worker (configured with
# both routers' endpoint lists) reach only A. A is stopped (SIGSTOP) with a
# batch of intents sent to it unread, then SIGKILLed while the stream goes
# on: its connection ends, its lease's lock lapses, and B, trying every
# router/takeover_ms, takes the lease, recovers from the journal as a
# restart does, binds and serves.
#
# Asserted: B serves within router/takeover_ms and its recovery of the
# kill; every intent ep-send sent has exactly one terminal report in the
# journal, or ep-send --wait names it as never read, never both; seq is
# gap-free; the ep-tap started before the kill, never restarted, printed
# exactly the journal's reports; the lease's epoch went from 1 to 2, both
# journaled; B's /healthz and metrics say active, epoch 2, one takeover.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

TAKEOVER_MS=200
write_router_pair "paper_deadline_ms = 5000" "takeover_ms = $TAKEOVER_MS"
router_pair_metrics
start_router "$WORK/router-a.zpl"
A_PID=$ROUTER_PID
clients_judged_by_router
wait_until 10 role_is "$METRICS_A" active
start_standby "$WORK/router-b.zpl" b
B_PID=$STANDBY_PID
wait_until 10 role_is "$METRICS_B" standby
[ "$(healthz "$METRICS_A" lease_epoch)" = 1 ] || fail "A's lease is not epoch 1: $(curl -s "http://$METRICS_A/healthz")"
binds_nothing "$WORK/router-b.zpl" 2 "$B_PID" || fail "the standby B listens on one of its endpoints"
[ ! -e "$WORK/ready-b.zpl" ] || fail "the standby B wrote its ready file"
grep -q "standby: another router holds the lease" "$WORK/router-b.log" || fail "B does not log that it is a standby"
start_paper

# The monitor and the strategy, never restarted.
follow_across_takeover

market_intents before 1 300 >&3
wait_until 20 terminal_at_least 300
role_is "$METRICS_B" standby || fail "B left standby while A held the lease"

kill -STOP "$A_PID"
market_intents unread 1 20 >&3
wait_until 10 intake_queued "$WORK/router-a.zpl" 1 1000
killed_ms=$(now_ms)
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null || true
max_seq=$(sql "SELECT IFNULL(MAX(seq), 0) FROM reports")
market_intents after 1 200 >&3 &
FEED_PID=$!
# B serves: its ready file, written once it is bound, within the lock's
# lapse (at once: the process is gone), takeover_ms, and recovery.
wait_until 5 test -f "$WORK/ready-b.zpl"
serving_ms=$(( $(now_ms) - killed_ms ))
[ "$serving_ms" -le $((TAKEOVER_MS + 2000)) ] || fail "B served ${serving_ms} ms after the kill"
wait_until 20 gone "$FEED_PID"
exec 3>&-

fates_across_takeover 1 < <({ market_intents before 1 300; market_intents unread 1 20; market_intents after 1 200; } | jq -r .intent_id)
unread_batch_named unread 1 20
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'after-%'")" = 200 ] \
    || fail "not every intent sent after the kill reached B"

# The monitor's stream, never restarted: exactly the journal's reports.
monitor_equals_journal
[ "$n_reports" -gt "$max_seq" ] || fail "no report after the takeover"

# The lease: epoch 2 now B's, each taking journaled; B says so.
[ "$(sql "SELECT epoch FROM lease")" = 2 ] || fail "the lease's epoch is not 2: $(sql "SELECT * FROM lease")"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'lease'")" = 2 ] || fail "not two lease events"
sql "SELECT detail FROM events WHERE kind = 'lease' ORDER BY id DESC LIMIT 1" > "$WORK/lease_event.txt"
grep -q "^epoch 2 taken by boot .* (a takeover)" "$WORK/lease_event.txt" || fail "the takeover's event: $(cat "$WORK/lease_event.txt")"
role_is "$METRICS_B" active || fail "B's /healthz does not say active"
[ "$(healthz "$METRICS_B" lease_epoch)" = 2 ] || fail "B's /healthz: lease_epoch is not 2"
[ "$(healthz "$METRICS_B" takeovers)" = 1 ] || fail "B's /healthz: takeovers is not 1"
took=$(healthz "$METRICS_B" last_takeover_ms)
curl -s "http://$METRICS_B/metrics" > "$WORK/metrics_b.txt"
grep -q '^execplane_router_active 1$' "$WORK/metrics_b.txt" || fail "B's metrics: not active"
grep -q '^execplane_lease_epoch 2$' "$WORK/metrics_b.txt" || fail "B's metrics: epoch not 2"
grep -q '^execplane_takeovers_total 1$' "$WORK/metrics_b.txt" || fail "B's metrics: takeovers not 1"
pass "A killed at seq $max_seq; B (standby, nothing bound) served ${serving_ms} ms after the kill (takeover_ms $TAKEOVER_MS; ${took} ms from the lock to serving); $n_reports reports followed without a gap, $n_never intent(s) named never read, every other intent of 520 ended once"
