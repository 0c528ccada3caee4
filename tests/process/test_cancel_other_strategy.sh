#!/usr/bin/env bash
# A key cannot cancel another strategy's order. Key `evil` (which speaks
# for strategy evil only) sends a CANCEL of demo's resting order X: naming
# strategy demo, it is refused UNAUTHORIZED and told to evil alone (its
# own stream, no strategy); naming its own strategy, X is no intent of
# evil's (INVALID_INTENT). X rests on, and demo's stream holds no refusal.
source "$(dirname "$0")/lib.sh"

write_config
"$BIN/ep-keygen" --role strategy --name evil --strategy evil --certs "$CERTS" > "$WORK/keygen-evil.log" 2>&1 \
    || fail "ep-keygen evil: $(cat "$WORK/keygen-evil.log")"
start_router
start_paper
EVIL_KEY=$(public_key evil)

echo '{"intent_id":"X","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send-demo.log" 2>&1 || fail "ep-send demo: $(cat "$WORK/send-demo.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND status = 1" 1

printf '%s\n' \
    '{"action":"CANCEL","intent_id":"c1","strategy_id":"demo","target_intent_id":"X"}' \
    '{"action":"CANCEL","intent_id":"c2","strategy_id":"evil","target_intent_id":"X"}' \
    | "$BIN/ep-send" --config "$READY" --cert evil --wait --timeout 15 > "$WORK/evil.jsonl" 2> "$WORK/evil.log" \
    || fail "evil's ep-send --wait did not get its answers: $(cat "$WORK/evil.log")"

jq -s -e --arg key "$EVIL_KEY" '.[] | select(.intent_id == "c1") | .status == "REJECTED"
        and .failure == "UNAUTHORIZED" and .strategy_id == "" and .sender_key == $key
        and .terminal and (.reason | test("may not speak for strategy demo"))' "$WORK/evil.jsonl" > /dev/null \
    || fail "the cancel naming demo got: $(cat "$WORK/evil.jsonl")"
jq -s -e '.[] | select(.intent_id == "c2") | .status == "REJECTED" and .failure == "INVALID_INTENT"
        and .strategy_id == "evil" and .target_intent_id == "X"
        and .reason == "strategy evil has no intent X"' "$WORK/evil.jsonl" > /dev/null \
    || fail "the cancel naming evil got: $(cat "$WORK/evil.jsonl")"

[ "$(sql "SELECT count(*) FROM intents WHERE intent_id IN ('c1', 'c2') AND dispatched = 1")" = 0 ] \
    || fail "journal: a cancel of another strategy's order was dispatched"
[ "$(sql "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND terminal = 1")" = 0 ] \
    || fail "demo's stream got a terminal report: X should rest on"
pass "another strategy's order cannot be canceled: UNAUTHORIZED to the sender alone, or INVALID_INTENT under its own strategy"
