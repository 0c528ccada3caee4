#!/usr/bin/env bash
# kill -9 the paper worker in the middle of a stream, restart it, finish the
# stream: every intent ends with exactly one terminal report; the ones the
# dead worker could not run end FAILED (dispatched, never answered) or
# REJECTED (sent while the router knew it dead) with PLANE_UNAVAILABLE;
# every other one is realized (FILLED by the plane); resting GTC orders
# survive the restart (restored, then crossed by a final sweep); and
# ep-replay --verify still matches the journal.
source "$(dirname "$0")/lib.sh"

# A worker_timeout well above the time the worker is frozen, so that the
# router keeps dispatching to it until it dies; then it learns of the death
# from the worker's connection (its subscription goes) at once.
write_config "worker_timeout_ms = 5000" "paper_deadline_ms = 2000"
start_router
start_paper
first_paper=$PAPER_PID

# gen PHASE COUNT: COUNT valid intents on one symbol, all of which fill on a
# living plane: MARKET (IOC, FOK, unspecified), marketable LIMIT IOC and GTC,
# and resting LIMIT GTC (near the refs, crossed by later intents, or far
# away, crossed only by the sweep).
gen () {
    awk -v p="$1" -v n="$2" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = p "-" i; k = i % 8; buy = i % 2;
            side = buy ? "BUY" : "SELL"; ref = 100 + (i % 7);
            head = sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"kp\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\"", id, side);
            if (k == 0)      body = sprintf("\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%d\"", ref);
            else if (k == 1) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? ref - 3 : ref + 3, ref);
            else if (k == 2) body = sprintf("\"type\":\"MARKET\",\"tif\":\"FOK\",\"qty\":\"0.25\",\"ref_price\":\"%d\"", ref);
            else if (k == 3) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1.5\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? ref + 1 : ref - 1, ref);
            else if (k == 4) body = sprintf("\"type\":\"MARKET\",\"tif\":\"IOC\",\"qty\":\"2\",\"ref_price\":\"%d\"", ref);
            else if (k == 5) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? ref + 2 : ref - 2, ref);
            else if (k == 6) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"3\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? 50 : 200, ref);
            else             body = sprintf("\"type\":\"MARKET\",\"qty\":\"0.5\",\"ref_price\":\"%d\"", ref);
            print head "," body "}";
        }
    }'
}
gen A 2000 > "$WORK/A.jsonl"        # streaming when the worker is killed
gen B 200 > "$WORK/B.jsonl"         # right after the kill: dispatched, never answered
gen R 200 > "$WORK/R.jsonl"         # once the router knows the worker is dead
gen C 600 > "$WORK/C.jsonl"         # after the restart
# The sweep crosses every resting BUY (ref 1) and SELL (ref 1000).
{
    echo '{"intent_id":"sweep-lo","strategy_id":"kp","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"1"}'
    echo '{"intent_id":"sweep-hi","strategy_id":"kp","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"1000"}'
} >> "$WORK/C.jsonl"
total=3002
journaled () { [ "$(sql 'SELECT COUNT(*) FROM intents')" -ge "$1" ]; }
# Reports the plane itself made (not the router's), journaled.
answered () { [ "$(sql 'SELECT COUNT(*) FROM reports WHERE origin = 1')" -ge "$1" ]; }
gone () { ! running "$1"; }

# One ep-send for the whole stream, fed through a FIFO phase by phase.
mkfifo "$WORK/stream"
"$BIN/ep-send" --config "$READY" --file "$WORK/stream" >>"$WORK/send.out" 2>>"$WORK/send.log" &
send_pid=$!
PIDS+=("$send_pid")
exec 3>"$WORK/stream"

cat "$WORK/A.jsonl" >&3 &
cat_pid=$!
# Frozen once it has answered some (some of them rest), not merely once
# they are journaled: a slow start must not leave nothing to restore.
wait_until 20 answered 300
# Frozen, the worker still looks alive (connected, heartbeats not yet
# missed): B is dispatched to it and never answered. Then it dies: its
# connection goes, and from then on the plane is unavailable at once.
kill -STOP "$first_paper"
wait_until 20 gone "$cat_pid"
timeout 20 cat "$WORK/B.jsonl" >&3 || fail "ep-send did not take the intents"
wait_until 20 journaled 2200
kill -KILL "$first_paper"
wait "$first_paper" 2>/dev/null || true
wait_until 10 paper_alive_is false
timeout 20 cat "$WORK/R.jsonl" >&3 || fail "ep-send did not take the intents"
wait_until 20 journaled 2400               # R was read while the worker was dead
start_paper 3>&-                          # the worker must not hold the stream open
timeout 20 cat "$WORK/C.jsonl" >&3 || fail "ep-send did not take the intents"
exec 3>&-
wait_until 30 gone "$send_pid"
wait "$send_pid" || fail "ep-send failed (see send.log)"

# Bounded: every intent journaled and terminal, nothing left in flight.
settled () {
    [ "$(sql 'SELECT COUNT(*) FROM intents')" = "$total" ] || return 1
    [ "$(sql 'SELECT COUNT(*) FROM intents i WHERE NOT EXISTS (SELECT 1 FROM reports r
             WHERE r.router_seq = i.router_seq AND r.terminal = 1)')" = 0 ] || return 1
    [ "$(stats_field in_flight_paper)" = 0 ]
}
wait_until 30 settled
check_journal_invariants

n_reports=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 30 \
    > "$WORK/all.jsonl" || fail "ep-tap could not replay the $n_reports reports"
jq -s 'map(select(.terminal))' "$WORK/all.jsonl" > "$WORK/terminal.json"
count () { jq "[.[] | select($1)] | length" "$WORK/terminal.json"; }
unavailable='.failure == "PLANE_UNAVAILABLE"'
failed=$(count ".status == \"FAILED\" and $unavailable")
rejected=$(count ".status == \"REJECTED\" and $unavailable")
filled=$(count '.status == "FILLED"')
[ "$(jq length "$WORK/terminal.json")" = "$total" ] || fail "not one terminal report per intent"
[ $((failed + rejected + filled)) = "$total" ] \
    || fail "$total intents: $filled FILLED, $failed FAILED and $rejected REJECTED with PLANE_UNAVAILABLE; the rest ended otherwise"
# The kill mattered, in both ways.
[ "$failed" -gt 0 ] || fail "no intent dispatched to the dead worker ended FAILED/PLANE_UNAVAILABLE"
[ "$rejected" -gt 0 ] || fail "no intent ended REJECTED/PLANE_UNAVAILABLE while the worker was dead"
[ "$(count "(.intent_id | startswith(\"B-\")) and .status == \"FAILED\" and $unavailable")" = 200 ] \
    || fail "not every intent dispatched to the frozen worker ended FAILED/PLANE_UNAVAILABLE"
[ "$(count "(.intent_id | startswith(\"R-\")) and .status == \"REJECTED\" and $unavailable")" = 200 ] \
    || fail "not every intent sent while the worker was known dead ended REJECTED/PLANE_UNAVAILABLE"
# Every FILLED one was filled by the plane, and the restarted worker ran all
# that came after it, the sweep included.
plane_filled=$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND origin = 1 AND status = 3")
[ "$plane_filled" = "$filled" ] || fail "$filled FILLED terminal reports, $plane_filled from the plane"
[ "$(count '(.intent_id | startswith("C-") or startswith("sweep-")) and .status == "FILLED"')" = 602 ] \
    || fail "not every intent sent after the restart was FILLED"
# Resting orders went through the restart: the new worker was restored with
# some, and the sweep filled them (in_flight_paper is 0).
grep -q "restored with [1-9][0-9]* resting order" "$WORK/router.log" \
    || fail "the restarted worker was not restored with any resting order"
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify >/dev/null 2>>"$WORK/replay.log" \
    || fail "ep-replay --verify: the journal's paper reports differ from a replay ($(tail -n 1 "$WORK/replay.log"))"
pass "$total intents, worker killed mid-stream: $filled FILLED, $failed FAILED and $rejected REJECTED (PLANE_UNAVAILABLE); resting orders restored; replay verified"
