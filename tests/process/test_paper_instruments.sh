#!/usr/bin/env bash
# With `paper/instruments`, the paper plane refuses what the venue's rules
# refuse, REJECTED / INVALID_INTENT naming the rule and the values, and
# rounds nothing: a quantity off the lot step, a price off the tick, a
# notional below the minimum, a symbol the table lacks, a symbol not
# trading. An order within the rules fills as before. ep-replay --verify
# accepts the journal with the same file, and not with another. A file
# that cannot be read stops ep-paper at start (exit 2), naming the file and
# the line.
source "$(dirname "$0")/lib.sh"

cat > "$WORK/instruments.txt" <<'EOF'
# two symbols, as ep-live exports them
BTCUSDT status=TRADING types=LIMIT,MARKET price=0.01:1000000:0.01 lot=0.00001:9000:0.00001 market_lot=0:100:0 notional=5:9000000:1:0 percent=5:0.2:5:0.2
ETHUSDT status=BREAK types=LIMIT price=0:0:0 lot=0:0:0 market_lot=0:0:0 notional=0:0:0:0 percent=0:0:0:0
EOF
write_config
printf 'paper\n    instruments = %s\n' "$WORK/instruments.txt" >> "$CFG"
start_router
start_paper

line () {
    printf '{"intent_id":"%s","strategy_id":"demo","symbol":"%s","side":"BUY","type":"%s","tif":"%s","qty":"%s"%s,"ref_price":"100"}\n' \
        "$1" "$2" "$3" "$4" "$5" "${6:+,\"limit_price\":\"$6\"}"
}
{
    line ok   BTCUSDT MARKET IOC 0.5
    line step BTCUSDT MARKET IOC 0.000015
    line tick BTCUSDT LIMIT  GTC 1 99.999
    line tiny BTCUSDT MARKET IOC 0.01
    line none DOGEUSDT MARKET IOC 1
    line brk  ETHUSDT LIMIT  GTC 1 99
} > "$WORK/intents.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/intents.jsonl" --wait --timeout 20 > "$WORK/out.jsonl" 2> "$WORK/send.log" \
    || fail "ep-send --wait: $(cat "$WORK/send.log")"

reason_of () { jq -r --arg id "$1" 'select(.intent_id == $id and .terminal) | "\(.status) \(.failure) \(.reason)"' "$WORK/out.jsonl"; }
[ "$(reason_of ok)" = "FILLED FAILURE_NONE filled at 100 (ref 100, 0 bps slippage)" ] || fail "ok: $(reason_of ok)"
[ "$(reason_of step)" = "REJECTED INVALID_INTENT instrument rules: LOT_SIZE: qty 0.000015 is not a multiple of stepSize 0.00001 (nothing is rounded)" ] \
    || fail "step: $(reason_of step)"
[ "$(reason_of tick)" = "REJECTED INVALID_INTENT instrument rules: PRICE_FILTER: price 99.999 is not a multiple of tickSize 0.01 (nothing is rounded)" ] \
    || fail "tick: $(reason_of tick)"
[ "$(reason_of tiny)" = "REJECTED INVALID_INTENT instrument rules: NOTIONAL: price x qty 1 is below minNotional 5" ] \
    || fail "tiny: $(reason_of tiny)"
[ "$(reason_of none)" = "REJECTED INVALID_INTENT instrument rules: symbol DOGEUSDT is not in the instrument table" ] \
    || fail "none: $(reason_of none)"
[ "$(reason_of brk)" = "REJECTED INVALID_INTENT instrument rules: symbol ETHUSDT is not trading" ] \
    || fail "brk: $(reason_of brk)"
pass "paper refuses what the instrument rules refuse, naming the rule and the values, and fills the rest"

"$BIN/ep-replay" --config "$READY" --journal "$JOURNAL" --verify > "$WORK/replay.txt" 2>&1 \
    || fail "ep-replay --verify with the same rules: $(cat "$WORK/replay.txt")"
grep -v '^ETHUSDT' "$WORK/instruments.txt" > "$WORK/other.txt"
sed "s|instruments = .*|instruments = $WORK/other.txt|" "$READY" > "$WORK/other.zpl"
if "$BIN/ep-replay" --config "$WORK/other.zpl" --journal "$JOURNAL" --verify > "$WORK/replay-other.txt" 2>&1; then
    fail "ep-replay --verify accepted the journal with other rules: $(cat "$WORK/replay-other.txt")"
fi
pass "ep-replay --verify holds with the rules the plane ran with, and not with others"

printf 'BTCUSDT status=TRADING lot=1:2\n' > "$WORK/bad.txt"
sed "s|instruments = .*|instruments = $WORK/bad.txt|" "$READY" > "$WORK/bad.zpl"
status=0
"$BIN/ep-paper" --config "$WORK/bad.zpl" > "$WORK/bad.log" 2>&1 || status=$?
[ $status = 2 ] || fail "ep-paper with a bad instrument file exited $status"
grep -q "paper/instruments: $WORK/bad.txt: line 1: BTCUSDT: cannot read lot=1:2" "$WORK/bad.log" \
    || fail "ep-paper's error: $(cat "$WORK/bad.log")"
pass "an instrument file that cannot be read stops ep-paper at start, naming the file and the line"
