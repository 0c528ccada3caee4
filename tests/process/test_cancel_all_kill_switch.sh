#!/usr/bin/env bash
# The meta layer's cancels on paper. `ep-meta cancel-all --strategy demo`
# cancels demo's resting orders and only those, each by a cancel of the
# router's own whose cause (the command) the canceled order's report
# names; `ep-meta halt --cancel-open` (the kill switch) halts and cancels
# every order still resting. Each cancel is journaled with the command's
# sender and its cause; every intent ends once.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

ended () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1"; }
ended_is () { [ "$(ended "$1")" = "$2" ]; }
reason_of () { sql "SELECT r.payload FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND r.terminal = 1" | tr -c '[:print:]' ' '; }
resting () {
    printf '{"intent_id":"%s","strategy_id":"%s","symbol":"%s","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"200"}\n' "$1" "$2" "$3"
}
{ resting o1 demo BTCUSDT; resting o2 alpha BTCUSDT; resting o3 demo ETHUSDT; } > "$WORK/orders.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/orders.jsonl" > "$WORK/send.log" 2>&1 || fail "ep-send: $(cat "$WORK/send.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE status = 1" 3

"$BIN/ep-meta" --config "$READY" --timeout 10 --as ops cancel-all --strategy demo --reason "end of day" \
    > "$WORK/cancel-all.json" 2>> "$WORK/meta.log" || fail "ep-meta cancel-all exited $?: $(cat "$WORK/meta.log")"
jq -e '.last_command_applied and (.last_command_outcome | test("2 cancel\\(s\\) sent"))' "$WORK/cancel-all.json" > /dev/null \
    || fail "ep-meta cancel-all printed $(cat "$WORK/cancel-all.json")"
wait_until 10 ended_is o1 1
wait_until 10 ended_is o3 1
for id in o1 o3; do
    reason_of "$id" | grep -q "cancel-all by ops: end of day" || fail "$id's end does not name the command: $(reason_of "$id")"
done
[ "$(ended o2)" = 0 ] || fail "alpha's o2 was canceled by a cancel-all of demo"
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'cancel-cause' AND detail LIKE '%: cancel-all by ops: end of day'")" = 2 ] \
    || fail "journal: the cancels' cause is not journaled"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'cancel-all.%' AND strategy_id = 'demo' AND sender LIKE 'meta%'")" = 2 ] \
    || fail "journal: the router's cancels are not journaled with the command's sender: $(sql "SELECT intent_id, strategy_id, sender FROM intents")"

"$BIN/ep-meta" --config "$READY" --timeout 10 --as ops halt --cancel-open --reason "kill switch drill" \
    > "$WORK/halt.json" 2>> "$WORK/meta.log" || fail "ep-meta halt --cancel-open exited $?: $(cat "$WORK/meta.log")"
jq -e '.halted' "$WORK/halt.json" > /dev/null || fail "not halted: $(cat "$WORK/halt.json")"
wait_until 10 ended_is o2 1
reason_of o2 | grep -q "halt --cancel-open by ops: kill switch drill" || fail "o2's end does not name the halt: $(reason_of o2)"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'kill-switch.%'")" = 1 ] \
    || fail "the kill switch sent $(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'kill-switch.%'") cancels, expected 1"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE terminal = 1" 6
check_journal_invariants
# The router's own cancels replay with the cause it journaled for each.
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err") $(cat "$WORK/digest")"
pass "cancel-all cancels one strategy's resting orders, halt --cancel-open halts and cancels the rest; each canceled order names the command; replay verifies"
