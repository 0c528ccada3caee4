#!/usr/bin/env bash
# Fees on the live plane, in the three assets a venue charges them in (BNB,
# the base asset, the quote asset), each against its own ep-fakex: a MARKET
# BUY filled at once (its fills from the submission's answer) and a LIMIT
# BUY that rests and fills in two parts (its fills learned by status
# queries, then told trade by trade from GET /api/v3/myTrades, each with
# its fee). Every fill carries its fee and the asset it was charged in,
# and net_filled_qty is filled_qty less the fees taken in the base asset.
#
#   test_live_fees.sh BIN            runs the three
#   test_live_fees.sh BIN ASSET      one of them (BNB, BASE or QUOTE)
if [ $# -eq 1 ]; then
    for asset in BNB BASE QUOTE; do
        bash "$0" "$1" "$asset" || exit 1
    done
    echo "PASS: fees in BNB, the base asset and the quote asset"
    exit 0
fi
source "$(dirname "$0")/lib.sh"
asset=${2:?usage: test_live_fees.sh BIN [BNB|BASE|QUOTE]}
case $asset in
    BNB)   charged=BNB ;;
    BASE)  charged=BTC ;;
    QUOTE) charged=USDT ;;
    *) fail "unknown asset $asset" ;;
esac

start_fakex --fee-asset "$asset" --balances "USDT=1000000,BTC=100,BNB=1000" \
    --symbol-price BNBUSDT=600
write_config
live_section "poll_ms = 100" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "fees in $asset" > /dev/null

{
    echo '{"intent_id":"now","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}'
    echo '{"intent_id":"rest","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}'
} > "$WORK/in.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/in.jsonl" --wait --timeout 30 > "$WORK/out.jsonl" 2> "$WORK/send.log" \
    || fail "$asset: ep-send --wait: $(cat "$WORK/send.log")"

for id in now rest; do
    [ "$(jq -r --arg id "$id" 'select(.intent_id == $id and .terminal) | .status' "$WORK/out.jsonl")" = FILLED ] \
        || fail "$asset: $id did not fill: $(jq -c --arg id "$id" 'select(.intent_id == $id)' "$WORK/out.jsonl")"
    fills=$(jq -s -c --arg id "$id" '[.[] | select(.intent_id == $id) | .fills[]]' "$WORK/out.jsonl")
    [ "$(jq 'length > 0 and all(.fee_asset == "'"$charged"'" and (.fee | tonumber) > 0)' <<<"$fills")" = true ] \
        || fail "$asset: $id's fills do not carry a fee in $charged: $fills"
    [ "$(jq '[.[].fill_id] | length == (unique | length)' <<<"$fills")" = true ] || fail "$asset: $id: a fill told twice"
    [ "$(jq -r '[.[].qty | tonumber] | add' <<<"$fills")" = "$(jq -r --arg id "$id" 'select(.intent_id == $id and .terminal) | .filled_qty | tonumber' "$WORK/out.jsonl")" ] \
        || fail "$asset: $id's fills do not add up to what it filled"
    filled=$(jq -r --arg id "$id" 'select(.intent_id == $id and .terminal) | .filled_qty' "$WORK/out.jsonl")
    net=$(jq -r --arg id "$id" 'select(.intent_id == $id and .terminal) | .net_filled_qty' "$WORK/out.jsonl")
    base_fees=$(jq -r '[.[] | select(.fee_asset == "BTC") | .fee | tonumber] | add // 0' <<<"$fills")
    expected=$(jq -n -r "$filled - $base_fees")
    [ "$(jq -n "$net == $expected")" = true ] \
        || fail "$asset: $id: net_filled_qty $net, expected $filled less $base_fees in BTC"
done
# The resting order's fills were learned by queries and told from its trades
[ "$(audit "SELECT count(*) FROM attempts WHERE path = '/api/v3/myTrades'")" -ge 1 ] \
    || fail "$asset: no trades were asked for"
jq -e -s '[.[] | select(.intent_id == "rest") | .fills[].fill_id | test("\\.q[0-9]+$")] | any | not' "$WORK/out.jsonl" > /dev/null \
    || fail "$asset: a fill of the resting order was told without its trade"
check_journal_invariants
pass "fees in $charged: every fill carries its fee and asset; net_filled_qty takes out what was charged in the base asset"
