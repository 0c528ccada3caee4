#!/usr/bin/env bash
# Stopping ep-live while the venue holds a submission. SIGTERM: it waits
# for the request to end (here the 3 s timeout), writes its result in the
# audit, reports it (UNKNOWN: the venue may have it), reports the intent
# queued behind it FAILED NOT_SENT without starting it, and exits 0. A second
# SIGTERM ends it at once; the attempt stays unfinished in the audit, and
# the restarted worker reports it UNKNOWN and never sends it again.
source "$(dirname "$0")/lib.sh"

start_fakex --fault hang
write_config "live_deadline_ms = 60000"
live_section "timeout_ms = 3000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "sigterm test" > /dev/null
gone () { ! running "$1"; }

# submit ID: one live intent, its reports to $WORK/ID.jsonl; waits until the
# venue holds it. Sets SEND (the ep-send pid) and COID (its client order id).
submit () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"250"}\n' "$1" \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > "$WORK/$1.jsonl" 2>> "$WORK/send.log" &
    SEND=$!
    wait_until 10 audit_has "SELECT 1 FROM attempts WHERE kind = 1 AND finished_us IS NULL"
    COID=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND finished_us IS NULL")
    wait_until 10 fakex_count_is "$COID" 1
}

# 1. One SIGTERM: the request in flight ends by its timeout, then the
# worker. The intent queued behind it is never sent: FAILED NOT_SENT.
submit t-1
printf '{"intent_id":"t-1b","strategy_id":"live","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"250"}\n' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > "$WORK/t-1b.jsonl" 2>> "$WORK/send.log" &
SEND_B=$!
wait_until 10 grep -q "intent live/t-1b waits: 1 request(s) ahead of it" "$WORK/live.log"
kill -TERM "$LIVE_PID"
wait_until 15 gone "$LIVE_PID"
wait "$LIVE_PID" || fail "ep-live did not exit 0 after finishing its request"
wait "$SEND" || fail "no terminal report for the request in flight at SIGTERM"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/t-1.jsonl")
[ "$got" = "UNKNOWN SEND_UNKNOWN" ] || fail "the timed-out request at SIGTERM: $got"
wait "$SEND_B" || fail "no terminal report for the intent queued at SIGTERM"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/t-1b.jsonl")
[ "$got" = "FAILED NOT_SENT" ] || fail "the intent queued at SIGTERM: $got"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')" = 1 ] \
    || fail "the venue received a request started after SIGTERM: $(curl -s "$FAKEX_CONTROL/fakex/counts")"
[ "$(audit "SELECT COUNT(*) FROM attempts")" = 1 ] || fail "an attempt was started after SIGTERM"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE client_order_id = '$COID' AND finished_us IS NOT NULL")" = 1 ] \
    || fail "the attempt's result was not written before the worker went"

# 2. Two SIGTERMs: at once, the attempt left unfinished, then UNKNOWN at restart.
sed -i 's/timeout_ms = 3000/timeout_ms = 30000/' "$READY"
start_live
submit t-2
kill -TERM "$LIVE_PID"
wait_until 10 grep -q "stopping" "$WORK/live.log"
kill -TERM "$LIVE_PID"
wait_until 5 gone "$LIVE_PID"
status=0; wait "$LIVE_PID" || status=$?
[ "$status" = 143 ] || fail "after a second SIGTERM ep-live exited $status, not by the signal (143)"
grep -q "ep-live: a second stop signal: exiting at once" "$WORK/live.log" || fail "the second signal is not said"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE client_order_id = '$COID' AND finished_us IS NULL")" = 1 ] \
    || fail "the attempt abandoned at the second signal is not left unfinished"
start_live
wait "$SEND" || fail "no terminal report after the restart"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/t-2.jsonl")
[ "$got" = "UNKNOWN SEND_UNKNOWN" ] || fail "the abandoned attempt after the restart: $got"
[ "$(fakex_count "$COID")" = 1 ] || fail "the venue received $(fakex_count "$COID") requests for $COID"
check_journal_invariants
assert_no_secrets
pass "SIGTERM waited for the held request and reported it; a second SIGTERM exited at once and the restart reported UNKNOWN without resending"
