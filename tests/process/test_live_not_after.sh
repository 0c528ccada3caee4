#!/usr/bin/env bash
# A live order is never sent after its intent's terminal report. The fake
# venue hangs, so each request takes live/timeout_ms (1.5 s) and the rest
# queue behind it; the router's deadline for a live intent is 6 s, so each
# dispatch may be sent only within 6 - 1.5 - 1 = 3.5 s of it. Six intents
# at once: those sent are answered UNKNOWN by the live worker (libcurl
# timeout) before the router's deadline; those whose time ran out in the
# queue are reported FAILED / NOT_SENT by the worker, never written down
# nor sent. No terminal report comes from the router ("no answer"), no
# request reaches the venue after its intent's terminal report, and no
# report follows a terminal one.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config "live_deadline_ms = 6000" "worker_timeout_ms = 3000"
live_section "timeout_ms = 1500" "connect_timeout_ms = 500"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "not-after test" > /dev/null

# A monitor that stamps each report with the time it saw it (ms).
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq 1 --count 7 --timeout 60 \
    2>> "$WORK/tap.log" | while IFS= read -r line; do
        printf '%s\t%s\n' "$(date +%s%3N)" "$line"
    done > "$WORK/tap.tsv" &
tap_pid=$!
PIDS+=("$tap_pid")
intent () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250"}\n' "$1"
}
# One order first, so the monitor is known to follow before the test starts.
intent t-0 | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null || fail "t-0"
wait_until 10 grep -q '"intent_id":"t-0"' "$WORK/tap.tsv"

fakex_fault hang
for i in 1 2 3 4 5 6; do intent "t-$i"; done \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 40 > "$WORK/out.jsonl" \
    || fail "not every intent got a terminal report: $(cat "$WORK/out.jsonl")"
wait "$tap_pid" || fail "the monitor did not see 7 reports: $(cat "$WORK/tap.log")"

# Every terminal report is the live plane's own.
[ "$(sql "SELECT COUNT(*) FROM reports WHERE origin = 0")" = 0 ] \
    || fail "the router reported on its own (a deadline fired): $(jq -c 'select(.terminal) | [.intent_id, .status, .reason]' "$WORK/out.jsonl")"
grep -q 'no answer from' "$WORK/out.jsonl" && fail "a report says the router got no answer"
[ "$(sql "SELECT COUNT(*) FROM reports")" = 7 ] || fail "expected one report per intent"
sent=$(jq -r 'select(.terminal and .status == "UNKNOWN") | .intent_id' "$WORK/out.jsonl")
late=$(jq -r 'select(.terminal and .status == "FAILED" and .failure == "NOT_SENT") | .intent_id' "$WORK/out.jsonl")
[ -n "$sent" ] && [ -n "$late" ] && [ $(( $(wc -l <<< "$sent") + $(wc -l <<< "$late") )) = 6 ] \
    || fail "expected some sent (UNKNOWN) and some not sent in time (NOT_SENT): $(jq -c '[.intent_id, .status, .failure]' "$WORK/out.jsonl")"
jq -e 'select(.status == "FAILED") | .reason
       | test("^not sent: its time to be sent ended at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z while [0-9]+ request\\(s\\) were ahead of it$")' \
    "$WORK/out.jsonl" > /dev/null || fail "the NOT_SENT reason: $(jq -r 'select(.status == "FAILED") | .reason' "$WORK/out.jsonl")"

# Those not sent were neither written down nor seen by the venue: the
# venue saw exactly the client order ids the audit holds, once each.
for id in $late; do
    [ "$(audit "SELECT COUNT(*) FROM attempts WHERE intent_id = '$id'")" = 0 ] \
        || fail "$id was reported NOT_SENT but has an attempt in the audit"
done
counts=$(curl -s "$FAKEX_CONTROL/fakex/counts")
[ "$(jq -c 'keys' <<< "$counts")" = "$(audit "SELECT client_order_id FROM attempts WHERE kind = 1" | jq -R . | jq -s -c 'sort')" ] \
    || fail "the venue's requests differ from the audit's attempts: $counts"
[ "$(jq '[.[]] | all(. == 1)' <<< "$counts")" = true ] || fail "an order reached the venue twice: $counts"

# No request reached the venue after its intent's terminal report.
to_ms () { date -d "$1" +%s%3N; }
while IFS='|' read -r id client; do
    arrived=$(to_ms "$(grep "POST order $client:" "$WORK/fakex.log" | head -n 1 | cut -d' ' -f1)")
    reported=$(awk -F'\t' -v id="$id" 'index($2, "\"intent_id\":\"" id "\"") && index($2, "\"terminal\":true") { print $1; exit }' "$WORK/tap.tsv")
    [ -n "$reported" ] || fail "$id: no terminal report seen"
    [ "$arrived" -lt "$reported" ] || fail "$id reached the venue at $arrived ms, after its terminal report at $reported ms"
done < <(audit "SELECT intent_id, client_order_id FROM attempts WHERE kind = 1")
[ "$(sql "SELECT COUNT(*) FROM reports WHERE late = 1")" = 0 ] || fail "late reports were journaled"
check_journal_invariants
pass "$(wc -l <<< "$sent") sent and answered by the live worker before the router's deadline, $(wc -l <<< "$late") not sent in time (NOT_SENT, never at the venue); none sent after its terminal report"
