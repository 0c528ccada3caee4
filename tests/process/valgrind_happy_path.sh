#!/usr/bin/env bash
# The happy path with the router and both workers under Valgrind's
# memcheck: paper intents, a switch to the live plane against the fake
# venue, live intents, a monitor's replay, a clean stop. Each of the three
# must end with zero errors and zero leaked bytes (definite, indirect,
# possible).
source "$(dirname "$0")/lib.sh"
command -v valgrind > /dev/null || fail "valgrind is required (scripts/deps installs it)"

WRAP=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
      --show-leak-kinds=definite,indirect,possible
      --errors-for-leak-kinds=definite,indirect,possible
      --track-origins=yes --log-file="$WORK/valgrind-%p.txt")
STARTUP=60
start_fakex
# Under Valgrind everything is some 20 times slower: deadlines to match.
write_config "worker_timeout_ms = 10000" "paper_deadline_ms = 30000" "live_deadline_ms = 60000"
live_section
start_router
start_paper
start_live

batch () {  # batch NAME COUNT: MARKET orders and marketable LIMIT GTC ones
    awk -v b="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) {
        buy = i % 2; side = buy ? "BUY" : "SELL";
        if (i % 3) order = "\"type\":\"MARKET\"";
        else order = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"limit_price\":\"%s\"", buy ? "251" : "249");
        printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"alpha\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",%s,\"qty\":\"0.1\",\"ref_price\":\"250\"}\n", b, i, side, order } }' \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 120 >> "$WORK/out.jsonl"
}
batch paper 30
"$BIN/ep-meta" --config "$READY" --timeout 30 select live --reason "valgrind: live" > /dev/null
batch live 10
"$BIN/ep-meta" --config "$READY" --timeout 30 select paper --reason "valgrind: back" > /dev/null
batch again 10
n_reports=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq 1 --count "$n_reports" --timeout 60 \
    > "$WORK/tap.out" || fail "the monitor could not replay the reports"
[ "$(jq -s 'map(select(.terminal and .status == "FILLED")) | length' "$WORK/out.jsonl")" = 50 ] \
    || fail "not every intent was FILLED"
check_journal_invariants

# A clean stop of each, then its memcheck summary.
for pid in "$LIVE_PID" "$PAPER_PID" "$ROUTER_PID"; do
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    log=$WORK/valgrind-$pid.txt
    [ -f "$log" ] || fail "no Valgrind log for process $pid"
    [ $status = 0 ] || fail "process $pid exited $status under Valgrind: $(grep -A 12 -m 1 -E 'Invalid|uninitialised|lost in' "$log")"
    grep -q "ERROR SUMMARY: 0 errors" "$log" || fail "memcheck errors in $log"
    grep -q -E "All heap blocks were freed|definitely lost: 0 bytes" "$log" || fail "leaks in $log"
    echo "$(grep -m 1 -o 'Command: .*' "$log" | cut -c10- | awk '{print $1}'): $(grep -o 'ERROR SUMMARY: .*' "$log"); $(grep -E -o 'in use at exit: .*' "$log")"
done
pass "router, paper and live under memcheck: zero errors, zero leaks"
