#!/usr/bin/env bash
# Measures the takeover time of a standby router on a PostgreSQL journal,
# over KILLS kills (default 20): two routers on one journal, one active and
# one standby; the active is SIGKILLed, and the time is taken from the kill
# to the standby's ready file (written once it is bound and serving), and
# as the standby itself counts it (from the lease's lock obtained to
# serving: /healthz last_takeover_ms). The killed router then starts again
# as the standby, and the next kill goes to the other side. The paper
# worker runs and a stream of intents goes on throughout, so that each
# takeover recovers a journal with intents in flight.
# Not a test (nothing is asserted): run by hand, ~1 minute.
#   bash tests/process/measure_takeover_pg.sh BUILD/bin
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-20}
TAKEOVER_MS=${TAKEOVER_MS:-1000}
write_router_pair "paper_deadline_ms = 5000" "takeover_ms = $TAKEOVER_MS"
router_pair_metrics
start_standby "$WORK/router-a.zpl" a
wait_until 10 test -f "$WORK/ready-a.zpl"
cp "$WORK/ready-a.zpl" "$READY"
describe_planes
CLIENTS=$WORK/clients.zpl
cp "$READY" "$CLIENTS"
declare -A PID=([a]=$STANDBY_PID) METRICS=([a]=$METRICS_A [b]=$METRICS_B)
start_standby "$WORK/router-b.zpl" b
PID[b]=$STANDBY_PID
wait_until 10 role_is "$METRICS_B" standby
start_paper

# A steady stream: 20 intents a second, fire and forget.
( i=0; while true; do
      i=$((i + 1))
      printf '{"intent_id":"m-%06d","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.5","ref_price":"100"}\n' "$i"
      sleep 0.05
  done ) | "$BIN/ep-send" --config "$CLIENTS" > /dev/null 2> "$WORK/send.log" &
FEED_PID=$!

active=a
standby=b
: > "$WORK/takeovers.txt"
for k in $(seq 1 "$KILLS"); do
    rm -f "$WORK/ready-$standby.zpl"
    killed_ms=$(now_ms)
    kill -KILL "${PID[$active]}"
    wait "${PID[$active]}" 2>/dev/null || true
    wait_until 10 test -f "$WORK/ready-$standby.zpl"
    serving_ms=$(( $(now_ms) - killed_ms ))
    wait_until 5 role_is "${METRICS[$standby]}" active
    locked_ms=$(healthz "${METRICS[$standby]}" last_takeover_ms)
    echo "$serving_ms $locked_ms" >> "$WORK/takeovers.txt"
    echo "kill $k: $active killed, $standby serving after $serving_ms ms ($locked_ms ms from the lock)"
    start_standby "$WORK/router-$active.zpl" "$active"
    PID[$active]=$STANDBY_PID
    wait_until 10 role_is "${METRICS[$active]}" standby
    t=$active; active=$standby; standby=$t
    sleep 0.5       # the stream goes on with intents in flight
done
kill "$FEED_PID" 2>/dev/null || true      # ep-send, the pipeline's last command
wait "$FEED_PID" 2>/dev/null || true
settled () { [ "$(sql "SELECT COUNT(*) FROM intents i WHERE NOT EXISTS
                       (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)")" = 0 ]; }
wait_until 20 settled
stats () {   # column: median and worst
    sort -n -k"$1" "$WORK/takeovers.txt" | awk -v c="$1" '{ v[NR] = $c } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "median %s ms, worst %s ms", m, v[NR] }'
}
check_journal_invariants
echo "takeover_ms $TAKEOVER_MS, $KILLS kills: kill to serving: $(stats 1); lock to serving: $(stats 2); $(sql "SELECT COUNT(*) FROM intents") intents, $(sql "SELECT epoch FROM lease") epochs"
