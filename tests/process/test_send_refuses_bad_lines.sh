#!/usr/bin/env bash
# ep-send refuses a line that does not parse, naming the line, sends the
# others, and exits 1; the decimals it sends are exact.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

cat > "$WORK/in.jsonl" <<'EOT'
{"intent_id":"ok-1","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.12345678","ref_price":"64000.00000001"}
{"intent_id":"bad-1","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.123456789","ref_price":"1"}
{"intent_id":"bad-2","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":0.5,"ref_price":"1"}
this is not json
{"intent_id":"bad-3","strategy_id":"s","symbol":"BTCUSDT","side":"HOLD","type":"MARKET","qty":"1","ref_price":"1"}
{"intent_id":"bad-4","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"92233720368.54775808","ref_price":"1"}
{"intent_id":"ok-2","strategy_id":"s","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"0.00000001"}
EOT
rc=0
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/in.jsonl" > "$WORK/out.jsonl" 2> "$WORK/err.log" || rc=$?
[ $rc = 1 ] || fail "ep-send exited $rc with refused lines, expected 1"
for n in 2 3 4 5 6; do
    grep -q "line $n refused" "$WORK/err.log" || fail "no error naming line $n"
done
grep -q "line 2 refused.*8 decimals" "$WORK/err.log" || fail "line 2's error does not say why"
[ "$(jq -s 'map(select(.terminal)) | length' "$WORK/out.jsonl")" = 2 ] || fail "expected reports for the 2 good lines"
[ "$(sql 'SELECT COUNT(*) FROM intents')" = 2 ] || fail "a refused line reached the router"
jq -e -s 'map(select(.intent_id == "ok-1"))[0] | .filled_qty == "0.12345678" and .avg_price == "64000.00000001"' \
    "$WORK/out.jsonl" >/dev/null || fail "decimals were not carried exactly"
pass "bad lines refused by number, good lines sent, exit 1, decimals exact"

# The demo sent twice: the second time every intent is a DUPLICATE_INTENT,
# and ep-send says why, once; with --id-prefix the same file goes through
# under new ids (a CANCEL's target_intent_id prefixed too).
DEMO=$(cd "$(dirname "$0")/../.." && pwd)/examples/intents.jsonl
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$DEMO" > "$WORK/demo1.jsonl" 2> "$WORK/demo1.err" \
    || fail "the demo's intents: $(cat "$WORK/demo1.err")"
grep -q DUPLICATE "$WORK/demo1.err" && fail "a hint about duplicates on the first run: $(cat "$WORK/demo1.err")"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$DEMO" > "$WORK/demo2.jsonl" 2> "$WORK/demo2.err" \
    || fail "the demo's intents again: $(cat "$WORK/demo2.err")"
[ "$(jq -s 'map(select(.failure == "DUPLICATE_INTENT")) | length' "$WORK/demo2.jsonl")" = 5 ] \
    || fail "the demo sent twice: not 5 DUPLICATE_INTENT: $(cat "$WORK/demo2.jsonl")"
[ "$(grep -c DUPLICATE_INTENT "$WORK/demo2.err")" = 1 ] \
    && grep -q "5 intent(s) rejected as DUPLICATE_INTENT (demo-.*unique per strategy forever.*--id-prefix" "$WORK/demo2.err" \
    || fail "ep-send does not say once why the intents are duplicates: $(cat "$WORK/demo2.err")"
# (demo-9 is new: a CANCEL of an unprefixed demo-9 would be INVALID_INTENT)
{ cat "$DEMO"
  echo '{"intent_id":"demo-9","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"0.25","limit_price":"63500","ref_price":"64000.25"}'
  echo '{"intent_id":"demo-c","strategy_id":"demo","action":"CANCEL","target_intent_id":"demo-9"}'; } \
    > "$WORK/demo-cancel.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --id-prefix run2- --file "$WORK/demo-cancel.jsonl" \
    > "$WORK/demo3.jsonl" 2> "$WORK/demo3.err" || fail "--id-prefix: $(cat "$WORK/demo3.err")"
grep -q DUPLICATE "$WORK/demo3.jsonl" "$WORK/demo3.err" && fail "--id-prefix still duplicates: $(cat "$WORK/demo3.jsonl")"
[ "$(jq -rs 'map(.intent_id) | unique | join(" ")' "$WORK/demo3.jsonl")" \
    = "run2-demo-1 run2-demo-2 run2-demo-3 run2-demo-4 run2-demo-5 run2-demo-9 run2-demo-c" ] \
    || fail "--id-prefix: not the prefixed ids: $(cat "$WORK/demo3.jsonl")"
jq -e -s 'map(select(.intent_id == "run2-demo-c" and .terminal))[0].status == "CANCELED"' \
    "$WORK/demo3.jsonl" > /dev/null || fail "the CANCEL's target was not prefixed: $(cat "$WORK/demo3.jsonl")"
rc=0; "$BIN/ep-send" --config "$READY" --id-prefix "$(printf 'x%.0s' $(seq 60))" --file "$DEMO" \
    > /dev/null 2> "$WORK/long.err" || rc=$?
[ $rc = 1 ] && [ "$(grep -c 'with --id-prefix is 66 characters, more than 64' "$WORK/long.err")" = 5 ] \
    && [ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'xxx%'")" = 0 ] \
    || fail "ids made too long by --id-prefix not refused by line (exit $rc): $(cat "$WORK/long.err")"
pass "the demo sent twice: 5 DUPLICATE_INTENT and one line saying why; --id-prefix sends it again"
