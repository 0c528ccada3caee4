#!/usr/bin/env bash
# The audit's disk fills up while a venue answer is being written (ep-live's
# file size limit is cut to 1 KiB with prlimit: every write that grows a
# file fails with EFBIG): the answer is not lost. The report goes to the
# router as usual; ep-live keeps the result in memory, says so, and its
# /healthz is 503 "audit failing" meanwhile. Once there is room it writes
# the result (within a second or so) and is healthy again. A restart after
# that finds the attempt finished: no second, late UNKNOWN report for the
# intent, and the audit holds what the venue answered.
source "$(dirname "$0")/lib.sh"
command -v prlimit > /dev/null || fail "prlimit (util-linux) is required"

start_fakex --fault hang
write_config "worker_timeout_ms = 3000"
live_section "timeout_ms = 3000" "connect_timeout_ms = 1000" "metrics = 127.0.0.1:0"
start_router
# ep-live logs through a pipe: a log file would hit the same size limit.
"$BIN/ep-live" --config "$READY" > >(cat >> "$WORK/live.log") 2>&1 &
LIVE_PID=$!
PIDS+=("$LIVE_PID")
approve_plane LIVE
wait_until 10 live_alive_is true
HEALTH=$(sed -n 's|.*metrics on \(http://[0-9.:]*\).*|\1|p' "$WORK/live.log" | head -n 1)/healthz
[ "$HEALTH" != /healthz ] || fail "ep-live did not log its metrics address"
live_health_is () { [ "$(curl -s -o /dev/null -w '%{http_code}' "$HEALTH")" = "$1" ]; }
wait_until 10 live_health_is 200
"$BIN/ep-meta" --config "$READY" select live --reason "audit disk full test" > /dev/null

intent () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250"}\n' "$1"
}
intent d-1 | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out.jsonl" 2>> "$WORK/send.log" &
send_pid=$!
PIDS+=("$send_pid")
# The attempt is written down and the request hangs at the venue for 3 s:
# the disk fills up before its answer (a timeout) is written.
wait_until 10 audit_has "SELECT 1 FROM attempts WHERE intent_id = 'd-1' AND finished_us IS NULL"
prlimit --pid "$LIVE_PID" --fsize=1024:unlimited
wait "$send_pid" || fail "d-1 got no terminal report while the audit was full"
[ "$(jq -r 'select(.terminal) | "\(.plane) \(.status) \(.failure)"' "$WORK/out.jsonl")" = "LIVE UNKNOWN SEND_UNKNOWN" ] \
    || fail "d-1's report: $(cat "$WORK/out.jsonl")"
wait_until 10 grep -q "intent live/d-1: attempt [0-9]*: the result could not be written to the audit; kept in memory" "$WORK/live.log"
wait_until 10 live_health_is 503
curl -s "$HEALTH" | jq -e '.audit == "failing" and .audit_results_waiting == 1' > /dev/null \
    || fail "/healthz while the audit is full: $(curl -s "$HEALTH")"
[ "$(audit "SELECT finished_us IS NULL FROM attempts WHERE intent_id = 'd-1'")" = 1 ] \
    || fail "the result was written although the disk was full"
running "$LIVE_PID" || fail "ep-live died on a full disk"

# Room again: the kept result is written, and the worker is healthy.
prlimit --pid "$LIVE_PID" --fsize=unlimited
wait_until 10 audit_has "SELECT 1 FROM attempts WHERE intent_id = 'd-1' AND finished_us IS NOT NULL"
wait_until 10 live_health_is 200
grep -q "audit: 1 result(s) kept in memory written; 0 still waiting" "$WORK/live.log" \
    || fail "ep-live did not say it wrote the kept result"

# A restart finds nothing unfinished: no second report for d-1.
kill -TERM "$LIVE_PID"
wait_until 15 sh -c "! kill -0 $LIVE_PID 2>/dev/null"
status=0; wait "$LIVE_PID" || status=$?
[ $status = 0 ] || fail "ep-live exited $status after SIGTERM"
fakex_fault none
start_live
# Claimed (the router refuses it until it has given up on the first one):
# what it would report at start precedes what it reports next.
claimed_twice () { [ "$(grep -c 'plane claimed from router start' "$WORK/live.log")" -ge 2 ]; }
wait_until 20 claimed_twice
intent d-2 | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out2.jsonl" \
    || fail "d-2 after the restart"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/out2.jsonl")" = FILLED ] || fail "d-2: $(cat "$WORK/out2.jsonl")"
[ "$(sql "SELECT COUNT(*) FROM reports r JOIN intents i ON i.router_seq = r.router_seq
          WHERE i.intent_id = 'd-1'")" = 1 ] \
    || fail "d-1 got another report after the restart: $(grep 'd-1' "$WORK/live.log" | tail -n 2)"
grep -q "stopped before the venue's answer" "$WORK/live.log" && fail "the restart took d-1 for unfinished"
[ "$(audit "SELECT status = 8 AND failure = 11 AND reason LIKE 'libcurl 28%' AND curl_code = 28
            AND finished_us >= created_us FROM attempts WHERE intent_id = 'd-1'")" = 1 ] \
    || fail "the audit does not hold the venue's outcome for d-1: $(audit "SELECT status, failure, reason FROM attempts WHERE intent_id = 'd-1'")"
check_journal_invariants
assert_no_secrets
pass "audit full while an answer was written: reported as usual, kept in memory (healthz 503), written once there was room; no second UNKNOWN after a restart"
