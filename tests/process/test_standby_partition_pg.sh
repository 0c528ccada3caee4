#!/usr/bin/env bash
# The active router cut off from the database while it runs: A is frozen
# (SIGSTOP) and the server ends its connection (pg_terminate_backend on the
# backend holding the lease's lock), so that the lock lapses while A cannot
# know it. B, the standby, takes the lease and serves; intents are sent to
# A's own intake meanwhile (unread: A is frozen). A is then let go
# (SIGCONT), as a router that comes back from a partition.
#
# Asserted: A publishes nothing after B took the lease (a monitor that
# listens to A alone saw only reports the journal holds, byte for byte, and
# none after A was frozen), commits nothing (the intents sent to A while
# frozen are not journaled), and stops, exiting non-zero, saying the lease
# was lost; B serves what is sent to it; seq is gap-free. A started again
# is the standby, bound to nothing, and writes nothing.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

write_router_pair "paper_deadline_ms = 5000" "takeover_ms = 300"
router_pair_metrics
start_router "$WORK/router-a.zpl"
A_PID=$ROUTER_PID
CLIENTS=$WORK/clients.zpl
cp "$READY" "$CLIENTS"
# A alone: each list cut to A's endpoint (its first).
ONLY_A=$WORK/only-a.zpl
sed -E 's#^( *(intake|outcomes|control|dispatch|results|query) *= *"?)([^,"]*),[^"]*#\1\3#' \
    "$CLIENTS" > "$ONLY_A"
[ "$(grep -c 'tcp://[^,]*,' "$ONLY_A" || true)" = 0 ] || fail "only-a.zpl still lists B: $(grep intake "$ONLY_A")"
wait_until 10 role_is "$METRICS_A" active
start_standby "$WORK/router-b.zpl" b
B_PID=$STANDBY_PID
wait_until 10 role_is "$METRICS_B" standby
start_paper

gen () {
    for i in $(seq "$2" "$3"); do
        printf '{"intent_id":"%s-%04d","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.5","ref_price":"100"}\n' "$1" "$i"
    done
}
lines_at_least () { [ "$(wc -l < "$1")" -ge "$2" ]; }

# The monitor of A alone, from seq 1.
"$BIN/ep-tap" --config "$ONLY_A" --from-seq 1 > "$WORK/tap-a.out" 2> "$WORK/tap-a.log" &
TAP_A=$!
PIDS+=("$TAP_A")
# A strategy connected to A alone, for the intents A must never commit.
mkfifo "$WORK/to-a"
"$BIN/ep-send" --config "$ONLY_A" --file "$WORK/to-a" > /dev/null 2> "$WORK/send-a.log" &
SEND_A=$!
PIDS+=("$SEND_A")
exec 4> "$WORK/to-a"
gen warm 1 10 >&4
gen first 1 100 > "$WORK/first.jsonl"
"$BIN/ep-send" --config "$CLIENTS" --wait --timeout 20 --file "$WORK/first.jsonl" > /dev/null 2>> "$WORK/send.log" \
    || fail "the first 100 intents: $(tail -n 2 "$WORK/send.log")"
wait_until 10 sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 110
before_stop=$(sql "SELECT MAX(seq) FROM reports")
wait_until 10 lines_at_least "$WORK/tap-a.out" "$before_stop"

# The partition: A frozen, its connection ended by the server.
kill -STOP "$A_PID"
ended=$(sql "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted")
[ "$ended" = 1 ] || fail "not one backend held the lease's lock: $ended"
wait_until 10 test -f "$WORK/ready-b.zpl"
wait_until 5 role_is "$METRICS_B" active
gen stale 1 20 >&4
wait_until 10 intake_queued "$WORK/router-a.zpl" 1 1000
gen second 1 50 > "$WORK/second.jsonl"
"$BIN/ep-send" --config "$CLIENTS" --wait --timeout 30 --file "$WORK/second.jsonl" > "$WORK/second.out" 2>> "$WORK/send.log" \
    || fail "B did not serve the 50 intents sent to it: $(tail -n 2 "$WORK/send.log")"

# A comes back: it must find the lease lost and stop, publishing nothing.
kill -CONT "$A_PID"
stops_failing "$A_PID" "losing the lease"
grep -q "the lease was lost: another router is active (epoch 1 was ours): stopping" "$WORK/router.log" \
    || fail "A did not log that it lost the lease: $(tail -n 3 "$WORK/router.log")"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'stale-%'")" = 0 ] \
    || fail "an intent sent to A after B took the lease was journaled"
exec 4>&-
kill -TERM "$TAP_A" "$SEND_A" 2>/dev/null || true
wait "$TAP_A" 2>/dev/null || true
wait "$SEND_A" 2>/dev/null || true

check_journal_invariants
n_reports=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$CLIENTS" --from-seq 1 --count "$n_reports" --timeout 10 > "$WORK/all.jsonl" \
    || fail "ep-tap could not replay the $n_reports reports from B"
n_a=$(wc -l < "$WORK/tap-a.out")
[ "$n_a" = "$before_stop" ] || fail "A's monitor saw $n_a reports, A had published $before_stop before it was frozen"
head -n "$n_a" "$WORK/all.jsonl" | cmp -s - "$WORK/tap-a.out" \
    || fail "what A's monitor saw differs from the journal's reports"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'second-%'")" = 50 ] || fail "B did not journal the 50 intents"
# A started again comes back as the standby (B holds the lease), writes
# nothing, and stops cleanly on SIGTERM (the cleanup checks its exit 0).
n_events=$(sql "SELECT COUNT(*) FROM events")
start_standby "$WORK/router-a.zpl" a2
wait_until 10 role_is "$METRICS_A" standby
binds_nothing "$WORK/router-a.zpl" 1 "$STANDBY_PID" || fail "A, started again as the standby, listens on one of its endpoints"
[ "$(sql "SELECT COUNT(*) FROM events")" = "$n_events" ] || fail "the standby wrote to the journal"
[ "$(healthz "$METRICS_A" lease_epoch)" = 0 ] || fail "the standby says it holds a lease"
pass "A frozen at seq $before_stop and its connection ended; B took the lease and served 50 intents; A, let go, stopped (exit $rc) with nothing more published or committed (20 intents sent to it never journaled); $n_reports reports gap-free"
