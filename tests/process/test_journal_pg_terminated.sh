#!/usr/bin/env bash
# The journal on PostgreSQL, and the server ends the router's connection
# again and again while intents stream in: the connection is lost inside
# turns (between writes, or during a commit, whose outcome the router then
# looks up by its chain row) as well as between them. Each time the router
# connects again and commits what it held; nothing is lost, nothing is
# journaled or published twice: every intent has exactly one terminal
# report, seq has no gap, a monitor following from seq 1 gets every report
# once, and the chain verifies.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

write_config "paper_deadline_ms = 30000" "worker_timeout_ms = 3000"
start_router
start_paper

N=3000
ROUNDS=6
for i in $(seq 1 $N); do
    printf '{"intent_id":"t-%d","strategy_id":"alpha","symbol":"BTCUSDT","side":"%s","type":"MARKET","qty":"1","ref_price":"100"}\n' \
        "$i" "$([ $((i % 2)) = 0 ] && echo BUY || echo SELL)"
done > "$WORK/stream.jsonl"
split -n l/$ROUNDS -d "$WORK/stream.jsonl" "$WORK/batch."
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq 1 --count $((N + 1)) --timeout 60 \
    > "$WORK/tap.out" 2>> "$WORK/tap.log" &
tap_pid=$!
PIDS+=("$tap_pid")

# Each batch pushed at once; the router's connection terminated as soon as
# the router journals the batch's first intents (mostly inside a turn).
journaled () { sql "SELECT COUNT(*) FROM intents"; }
more_than () { [ "$(journaled)" -gt "$1" ]; }
terminated=0
for batch in "$WORK"/batch.*; do
    before=$(journaled)
    "$BIN/ep-send" --config "$READY" --file "$batch" > /dev/null 2>> "$WORK/send.log" &
    send_pid=$!
    PIDS+=("$send_pid")
    wait_until 20 more_than "$before"
    killed=$(sql "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                  WHERE application_name = 'ep-router'")
    terminated=$((terminated + killed))
    wait "$send_pid" || fail "ep-send could not push $batch"
done
[ $terminated -ge $ROUNDS ] || fail "the router's connection was terminated only $terminated times"
# One more intent, once the stream is in: the router needs its connection
# again even if the last termination came after the last batch's turns
journaled_all () { [ "$(journaled)" -ge $N ]; }
wait_until 30 journaled_all
echo '{"intent_id":"last","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/last.out" 2>> "$WORK/send.log" \
    || fail "the intent after the stream did not finish"
N=$((N + 1))
all_done () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" $N; }
wait_until 30 all_done
wait "$tap_pid" || fail "the monitor did not get the $N reports"
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents")" = $N ] || fail "not $N intents journaled"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3")" = $N ] \
    || fail "not every intent was FILLED: $(sql 'SELECT status, COUNT(*) FROM reports WHERE terminal = 1 GROUP BY status')"
[ "$(jq -s "map(.seq) == [range(1; $((N + 1)))]" "$WORK/tap.out")" = true ] \
    || fail "the monitor's reports are not seq 1..$N, each once"
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify: $(cat "$WORK/verify.err")"
running "$ROUTER_PID" || fail "the router stopped"
again=$(grep -c "connected to PostgreSQL again" "$WORK/router.log" || true)
held=$(grep -c "journal: cannot commit" "$WORK/router.log" || true)
[ "$again" -ge "$terminated" ] || fail "the router connected again $again times for $terminated terminations"
pass "$N intents while the server ended the router's connection $terminated times: connected again $again times, $held commits held for a retry; one terminal report each, seq gap-free, the chain verifies"
