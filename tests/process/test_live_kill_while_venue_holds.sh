#!/usr/bin/env bash
# Write-ahead, and never twice: while the venue holds a submission, its
# attempt is already committed in the audit (with no result); kill -9 of
# ep-live then, and a restart, give exactly one UNKNOWN / SEND_UNKNOWN
# report, and the venue still counts one request for the order.
source "$(dirname "$0")/lib.sh"

start_fakex --fault hang
write_config "live_deadline_ms = 60000"
live_section "timeout_ms = 30000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "kill test" > /dev/null

echo '{"intent_id":"k-1","strategy_id":"live","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > "$WORK/out.jsonl" &
send=$!
wait_until 10 test -s "$WORK/live-audit.db"
wait_until 10 audit_has "SELECT 1 FROM attempts WHERE kind = 1"
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
wait_until 10 fakex_count_is "$id" 1
# The venue holds the request: the attempt is already durable, unfinished.
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 1 AND finished_us IS NULL")" = 1 ] \
    || fail "the attempt is not in the audit, unfinished, while the venue holds the request"

kill -KILL "$LIVE_PID"
wait_until 10 live_alive_is false
start_live
wait $send || fail "ep-send saw no terminal report after the restart"

[ "$(jq -s 'map(select(.terminal)) | length' "$WORK/out.jsonl")" = 1 ] || fail "not exactly one terminal report"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/out.jsonl")
[ "$got" = "UNKNOWN SEND_UNKNOWN" ] || fail "after the restart: $got"
jq -r 'select(.terminal) | .reason' "$WORK/out.jsonl" | grep -q "never sent again" \
    || fail "the reason does not say the attempt is never sent again"
[ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") requests for $id"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 1")" = 1 ] || fail "a second submission attempt"
[ "$(audit "SELECT status FROM attempts WHERE kind = 1 AND finished_us IS NOT NULL")" = 8 ] \
    || fail "the attempt was not closed as UNKNOWN in the audit"
check_journal_invariants
assert_no_secrets
pass "attempt durable while the venue held it; after kill -9 and restart one UNKNOWN report, one request"
