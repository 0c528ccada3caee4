#!/usr/bin/env bash
# The journal on PostgreSQL, and the connection lost in the middle of a
# turn's pipeline: the router sends a turn's writes without waiting for
# them and reads their results with its commit. Here a session of the
# test's own holds a lock on the intents table, so that the turn of intent
# "cut-1" waits in the server on its intent row with the commit sent
# behind it; the server then ends the router's connection. The router must
# take that as PostgreSQL lost (not as a refusal, which would stop it):
# hold the turn, connect again, look the commit up by its chain row (it
# never took effect), and run the turn's writes again once the lock is
# gone.
#
# Asserted: the router held a commit for a retry and connected again; it
# did not stop; "cut-1" and the intent after it are journaled once and end
# FILLED once; a monitor following from seq 1 gets the journal's reports,
# each once; the chain verifies.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

write_config "paper_deadline_ms = 30000" "worker_timeout_ms = 3000"
start_router
start_paper
order () {
    printf '{"intent_id":"%s","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$1"
}
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq 1 --count 3 --timeout 60 \
    > "$WORK/tap.out" 2>> "$WORK/tap.log" &
tap_pid=$!
PIDS+=("$tap_pid")
order before-1 | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null 2>> "$WORK/send.log" \
    || fail "the first intent did not finish"

# The lock, held by a session of its own until the test ends it
"$PG_BIN/psql" -X -q "$JOURNAL?application_name=ep-test-locker" > /dev/null 2> "$WORK/locker.log" <<'EOF' &
BEGIN;
LOCK TABLE intents IN EXCLUSIVE MODE;
SELECT pg_sleep(120);
EOF
locker_pid=$!
PIDS+=("$locker_pid")
locked () {
    [ "$(sql "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
              WHERE c.relname = 'intents' AND l.mode = 'ExclusiveLock' AND l.granted")" -ge 1 ]
}
wait_until 10 locked

order cut-1 | "$BIN/ep-send" --config "$READY" > /dev/null 2>> "$WORK/send.log" \
    || fail "ep-send could not push cut-1"
# The router's turn waits on the lock: its intent row, then its commit
router_waits () {
    [ "$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'ep-router'
              AND wait_event_type = 'Lock'")" -ge 1 ]
}
wait_until 10 router_waits
[ "$(sql "SELECT COUNT(*) FROM pg_terminate_backend((SELECT pid FROM pg_stat_activity
          WHERE application_name = 'ep-router' AND wait_event_type = 'Lock'))")" = 1 ] \
    || fail "could not end the router's connection"
held () { grep -q "journal: cannot commit" "$WORK/router.log"; }
wait_until 10 held
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ep-test-locker'" > /dev/null
wait "$locker_pid" 2>/dev/null || true

order after-1 | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null 2>> "$WORK/send.log" \
    || fail "the intent after the cut did not finish"
all_done () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 3; }
wait_until 30 all_done
wait "$tap_pid" || fail "the monitor did not get the 3 reports"
running "$ROUTER_PID" || fail "the router stopped: $(tail -n 3 "$WORK/router.log")"
grep -q "connected to PostgreSQL again" "$WORK/router.log" || fail "the router did not connect again"
check_journal_invariants
for id in before-1 cut-1 after-1; do
    [ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id = '$id'")" = 1 ] || fail "$id is not journaled once"
    [ "$(sql "SELECT COUNT(*) FROM reports r JOIN intents i ON i.router_seq = r.router_seq
              WHERE i.intent_id = '$id' AND r.terminal = 1 AND r.status = 3")" = 1 ] \
        || fail "$id did not end FILLED once"
done
[ "$(sql "SELECT COUNT(*) FROM reports")" = 3 ] || fail "not 3 reports journaled"
[ "$(jq -s 'map(.seq) == [1, 2, 3]' "$WORK/tap.out")" = true ] \
    || fail "the monitor's reports are not seq 1..3, each once"
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify: $(cat "$WORK/verify.err")"
pass "the connection lost while a turn's pipeline waited in the server: the commit was held, looked up and made again; 3 intents, one terminal report each, the chain verifies"
