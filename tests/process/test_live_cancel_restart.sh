#!/usr/bin/env bash
# A restart in the middle of a live cancel: while the venue holds the
# cancel (fault hang, after it canceled the order), its attempt is already
# committed in the audit with no result; kill -9 of ep-live then, and a
# restart, give the cancel exactly one terminal report (UNKNOWN /
# SEND_UNKNOWN, never sent again) and its target exactly one (CANCELED,
# learned by following it again); the venue saw one cancel.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
write_config "live_deadline_ms = 60000"
live_section "poll_ms = 100" "timeout_ms = 30000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "cancel restart test" > /dev/null

echo '{"intent_id":"o1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send o1"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE status = 1" 1
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
cancels () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$id" '.[$id] // 0'; }
cancels_are () { [ "$(cancels)" = "$1" ]; }

fakex_fault hang
echo '{"action":"CANCEL","intent_id":"c1","strategy_id":"live","target_intent_id":"o1"}' > "$WORK/c1.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/c1.jsonl" > "$WORK/c1.out" &
send=$!
wait_until 10 audit_has "SELECT 1 FROM attempts WHERE kind = 3"
wait_until 10 cancels_are 1
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 3 AND finished_us IS NULL")" = 1 ] \
    || fail "the cancel is not in the audit, unfinished, while the venue holds it"

kill -KILL "$LIVE_PID"
wait_until 10 live_alive_is false
fakex_fault none
start_live
wait $send || fail "ep-send saw no terminal report of the cancel after the restart"
[ "$(jq -s 'map(select(.terminal)) | length' "$WORK/c1.out")" = 1 ] || fail "not one terminal report of the cancel"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure) \(.target_intent_id)"' "$WORK/c1.out")
[ "$got" = "UNKNOWN SEND_UNKNOWN o1" ] || fail "the cancel after the restart: $got"
# The target, followed again, ends as the venue has it: canceled
wait_until 15 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1" 1
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1")" = 1 ] \
    || fail "o1 ended more than once"
[ "$(sql "SELECT r.status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'o1' AND r.terminal = 1")" = 4 ] \
    || fail "o1 did not end CANCELED"
[ "$(cancels)" = 1 ] || fail "the venue saw $(cancels) cancels"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 3")" = 1 ] || fail "a second cancel attempt"
check_journal_invariants
assert_no_secrets
pass "kill -9 while the venue held a cancel: one UNKNOWN for the cancel, one CANCELED for its target, one cancel at the venue"
