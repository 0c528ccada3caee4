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
