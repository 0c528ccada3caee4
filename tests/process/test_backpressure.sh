#!/usr/bin/env bash
# Back-pressure. The paper plane is slowed (2 ms an intent for its first
# 3,000) under a flood of 50,000 intents from two strategies, with every
# queue at 1,000 messages (hwm): the router dispatches only as fast as the
# plane takes them and stops reading intake meanwhile (kernel buffers
# of 64 KiB: socket_buffer), so the strategies'
# sends block instead of dropping, the router's memory stays bounded, and
# once the plane is fast again every intent is realized. A monitor that
# stops reading (SIGSTOP) does not hold dispatch back: the flood finishes
# while it is stopped, and when it resumes ep-tap fills its gap through
# query and prints every report, in seq order, without a gap.
source "$(dirname "$0")/lib.sh"

PER_STRATEGY=25000
SLOW=3000
TOTAL=$((2 * PER_STRATEGY))
write_config "hwm = 1000" "socket_buffer = 65536" "paper_deadline_ms = 300000" "worker_timeout_ms = 5000"
start_router
"$BIN/ep-paper" --config "$READY" --test-delay-us 2000 --test-delay-count "$SLOW" \
    >> "$WORK/paper.log" 2>&1 &
PAPER_PID=$!
PIDS+=("$PAPER_PID")
approve_plane PAPER
wait_until 10 paper_alive_is true
rss_kib () { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
rss_start=$(rss_kib "$ROUTER_PID" VmRSS)

for s in alpha beta; do
    awk -v s="$s" -v n="$PER_STRATEGY" 'BEGIN { for (i = 1; i <= n; i++)
        printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"100\"}\n",
            s, i, s, (i % 2 ? "BUY" : "SELL") }' > "$WORK/$s.jsonl"
done

"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq 1 --count "$TOTAL" --timeout 240 \
    > "$WORK/tap.out" 2>> "$WORK/tap.log" &
tap_pid=$!
PIDS+=("$tap_pid")
"$BIN/ep-send" --config "$READY" --file "$WORK/alpha.jsonl" > /dev/null 2>> "$WORK/send.log" &
send_a=$!
"$BIN/ep-send" --config "$READY" --file "$WORK/beta.jsonl" > /dev/null 2>> "$WORK/send.log" &
send_b=$!
PIDS+=("$send_a" "$send_b")
kill -STOP "$tap_pid"

# While the plane is slow, the router's lead over it stays bounded by the
# queues between them: the flood waits in the strategies.
processed () { sql "SELECT COUNT(*) FROM reports WHERE terminal = 1"; }
journaled () { sql "SELECT COUNT(*) FROM intents"; }
max_lead=0
while [ "$(processed)" -lt $((SLOW - 500)) ]; do
    lead=$(( $(journaled) - $(processed) ))
    [ $lead -le $max_lead ] || max_lead=$lead
    running "$PAPER_PID" || fail "the paper worker died"
    sleep 0.2
done
sending=0
running "$send_a" && sending=$((sending + 1))
running "$send_b" && sending=$((sending + 1))
[ $sending -gt 0 ] || fail "both strategies had sent everything while the plane was slow: nothing pushed back"
[ "$max_lead" -lt 10000 ] || fail "the router took $max_lead intents ahead of a slow plane"

all_done () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" "$TOTAL"; }
wait_until 120 all_done
running "$tap_pid" || fail "the monitor ended while stopped"
wait "$send_a" || fail "strategy alpha's ep-send failed"
wait "$send_b" || fail "strategy beta's ep-send failed"
rss_peak=$(rss_kib "$ROUTER_PID" VmHWM)
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents")" = "$TOTAL" ] || fail "intents were dropped: $(journaled) of $TOTAL journaled"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3")" = "$TOTAL" ] \
    || fail "not every intent was FILLED: $(sql 'SELECT status, COUNT(*) FROM reports WHERE terminal = 1 GROUP BY status')"

kill -CONT "$tap_pid"
wait "$tap_pid" || fail "the monitor did not catch up: $(tail -n 2 "$WORK/tap.log")"
[ "$(jq -s '[.[].seq] == [range(1; '$((TOTAL + 1))')]' "$WORK/tap.out")" = true ] \
    || fail "the monitor's reports are not seq 1..$TOTAL in order without a gap"
echo "router RSS: $((rss_start / 1024)) MiB at start, peak $((rss_peak / 1024)) MiB; largest lead over the slow plane: $max_lead intents"
# Under AddressSanitizer freed memory is held in quarantine (256 MiB): the
# bound holds for the real build only. (grep reads all of ldd's output: with
# -q it could stop early, and under pipefail ldd's SIGPIPE would read as
# "no libasan".)
if ! ldd "$BIN/ep-router" | grep libasan > /dev/null; then
    [ "$rss_peak" -lt $((rss_start + 100 * 1024)) ] || fail "the router grew by more than 100 MiB"
fi
pass "$TOTAL intents through a slowed plane: strategies blocked (lead at most $max_lead), none dropped, all FILLED; router peak RSS $((rss_peak / 1024)) MiB; the stopped monitor caught up without a gap"
