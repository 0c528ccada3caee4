#!/usr/bin/env bash
# ep-fakex's opt-in venue rules, each proved on its own ep-fakex driven with
# curl: --exchange-info (exchangeInfo served; symbol, status, orderTypes and
# every enforced filter refused with nothing placed), --symbol-price,
# --balances with --fee-asset in three assets, --strict-clock with
# --clock-offset-ms, --rate-limits (headers, 429, then 418 and the ban's
# end), --fault-queries, --market-liquidity, --price-path (a resting order
# filled with no query), --absent-ms, and the shapes of openOrders and
# myTrades, and POST /fakex/rules (the rules read again while it runs;
# without --exchange-info, exchangeInfo lists no symbol). Bounded: the
# longest wait is a configured window of ~2 s.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
INFO=$SRC/tests/fakex/exchange_info.json

FAKEX=$BIN/ep-fakex
KEY=fakex-test-key
SECRET=fakex-test-secret

# get PATH PARAMS [CURL ARGS...]: a signed GET, params in the query.
get () {
    local path=$1 params=$2; shift 2
    send GET "$path" "$params&signature=$(sign "$params")" "" "$KEY" "$@"
}

# market ID QTY [SIDE] [SYMBOL]; limit ID QTY PRICE [SIDE] [SYMBOL] [TIF]
market () {
    echo "symbol=${4:-BTCUSDT}&side=${3:-BUY}&type=MARKET&quantity=$2&newClientOrderId=$1&timestamp=$(now_ms)"
}
limit () {
    echo "symbol=${5:-BTCUSDT}&side=${4:-BUY}&type=LIMIT&timeInForce=${6:-GTC}&quantity=$2&price=$3&newClientOrderId=$1&timestamp=$(now_ms)"
}
by_id () { echo "symbol=${2:-BTCUSDT}&origClientOrderId=$1&timestamp=$(now_ms)"; }

fault () {
    local got
    got=$(curl -s -X POST --max-time 10 "http://127.0.0.1:$CONTROL/fakex/fault?mode=$1") \
        || fail "could not switch to fault mode $1"
    [ "$(jq -r .mode <<<"$got")" = "$1" ] || fail "fault switch to $1 answered: $got"
}

# balance ASSET: "free locked" from GET /api/v3/account
balance () {
    get /api/v3/account "timestamp=$(now_ms)"
    expect 200
    jq -r --arg a "$1" '.balances[] | select(.asset == $a) | "\(.free) \(.locked)"' <<<"$BODY"
}

# not_placed ID [SYMBOL]: the venue knows no order with this client id
not_placed () {
    query "$(by_id "$1" "${2:-BTCUSDT}")"
    expect 400 -2013
}

# --- --help -------------------------------------------------------------------
"$FAKEX" --help > "$WORK/help.txt" || fail "--help exited $?"
for o in --exchange-info --symbol-price --balances --fee-asset --strict-clock \
         --clock-offset-ms --rate-limits --weight-limit --order-limit-10s --ban-ms \
         --fault-queries --market-liquidity --price-path --path-step-ms --absent-ms \
         /api/v3/account /api/v3/openOrders /api/v3/myTrades /fakex/rate /fakex/rules; do
    grep -q -- "$o\b" "$WORK/help.txt" || fail "--help does not mention $o"
done
for args in "--port 0 --price 1 --exchange-info /nonexistent.json" \
            "--port 0 --price 1 --balances USDT" "--port 0 --price 1 --fee-asset ETH" \
            "--port 0 --price 1 --price-path 1,2" "--port 0 --price 1 --path-step-ms 5" \
            "--port 0 --price 1 --symbol-price BTCUSDT" "--port 0 --price 1 --weight-limit 0"; do
    rc=0; "$FAKEX" $args > /dev/null 2> "$WORK/err.txt" || rc=$?
    [ $rc = 2 ] || fail "ep-fakex $args exited $rc, expected 2"
done
pass "--help documents every new option and endpoint; bad values exit 2"

# --- 1. --exchange-info and --symbol-price --------------------------------------
start_fakex_named rules --port 0 --price 50000 --exchange-info "$INFO" \
    --symbol-price ETHUSDT=3000 --symbol-price BNBUSDT=600 --control-port 0
RULES_PORT=$PORT RULES_CONTROL=$CONTROL
send GET /api/v3/exchangeInfo "" ""
expect 200
expect_fields '[(.symbols | length), (.symbols | map(.status) | join(","))]' $'3\tTRADING,TRADING,BREAK'
[ "$(field .serverTime)" -gt 1765000000000 ] || fail "exchangeInfo's serverTime is not the server's"
expect_fields '.symbols[0].filters[0] | [.filterType, .minPrice, .maxPrice, .tickSize]' \
    $'PRICE_FILTER\t0.01000000\t1000000.00000000\t0.01000000'
send GET /api/v3/exchangeInfo "symbol=ETHUSDT" ""
expect_fields '[.symbols[].symbol]' ETHUSDT
send GET /api/v3/exchangeInfo "symbol=NOPEUSDT" ""
expect 400 -1121 "Invalid symbol."

# Each refusal: nothing placed
refuse () {
    local id=$1 code=$2 msg=$3 params=$4 symbol=${5:-BTCUSDT}
    order "$params"
    expect 400 "$code" "$msg"
    if [ "$code" != -1121 ]; then not_placed "$id" "$symbol"; fi
}
refuse r1 -1121 "Invalid symbol." "$(market r1 1 BUY NOPEUSDT)" NOPEUSDT
refuse r2 -2010 "Market is closed." "$(limit r2 1 600 BUY BNBUSDT)" BNBUSDT
refuse r3 -2010 "Market orders are not supported for this symbol." "$(market r3 1 BUY ETHUSDT)" ETHUSDT
refuse r4 -1013 "Filter failure: PRICE_FILTER" "$(limit r4 0.001 49000.005)"
refuse r5 -1013 "Filter failure: PRICE_FILTER" "$(limit r5 0.001 1000000.01)"
refuse r6 -1013 "Filter failure: LOT_SIZE" "$(limit r6 0.000015 49000)"
refuse r7 -1013 "Filter failure: LOT_SIZE" "$(limit r7 9001 49000)"
refuse r8 -1013 "Filter failure: MARKET_LOT_SIZE" "$(market r8 60)"
refuse r9 -1013 "Filter failure: NOTIONAL" "$(limit r9 0.00001 49000)"
refuse r10 -1013 "Filter failure: NOTIONAL" "$(market r10 0.00001)"
refuse r11 -1013 "Filter failure: MIN_NOTIONAL" "$(limit r11 0.001 2900 BUY ETHUSDT)" ETHUSDT
refuse r12 -1013 "Filter failure: PERCENT_PRICE_BY_SIDE" "$(limit r12 0.001 250000.01)"
refuse r13 -1013 "Filter failure: PERCENT_PRICE_BY_SIDE" "$(limit r13 0.001 9999.99 SELL)"
get /api/v3/openOrders "timestamp=$(now_ms)"
expect 200
[ "$(field length)" = 0 ] || fail "a refused order rests: $BODY"
# What passes: at the edges, and each symbol at its own price
order "$(limit ok1 0.00011 49000)"
expect 200
# The first order placed: no refusal took an order id
expect_fields '[.orderId, .status, .price, .origQty]' $'1\tNEW\t49000.00000000\t0.00011000'
order "$(limit ok2 0.001 250000)"
expect 200
expect_fields '[.status, .fills[0].price]' $'FILLED\t50000.00000000'
order "$(market ok3 50)"
expect 200
expect_fields '[.status, .fills[0].price]' $'FILLED\t50000.00000000'
order "$(limit ok4 0.01 3100 BUY ETHUSDT)"
expect 200
expect_fields '[.status, .fills[0].price]' $'FILLED\t3000.00000000'
# A cancel-replace's new order meets the same rules
params="symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00011&price=49000.005&newClientOrderId=ok5&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=ok1&timestamp=$(now_ms)"
send POST /api/v3/order/cancelReplace "" "$params&signature=$(sign "$params")"
expect 400 -2021
expect_fields '[.data.cancelResult, .data.newOrderResult, .data.newOrderResponse.code, .data.newOrderResponse.msg]' \
    $'SUCCESS\tFAILURE\t-1013\tFilter failure: PRICE_FILTER'
not_placed ok5
pass "--exchange-info: exchangeInfo served; symbol, status, orderTypes and each filter refused with nothing placed; --symbol-price prices a symbol"

# --- 2. --balances and --fee-asset ----------------------------------------------
# BTCUSDT at 50000, BNBUSDT at 600: a BUY of 0.1 BTC costs 5000 USDT and
# its 0.1% commission is 5 USDT, 0.0001 BTC or 5/600 BNB
for fee in BNB BASE QUOTE; do
    start_fakex_named "fee-$fee" --port 0 --price 50000 --exchange-info "$INFO" \
        --symbol-price BNBUSDT=600 --balances "USDT=10000,BTC=1,BNB=5" --fee-asset $fee
    order "$(market b1 0.1)"
    expect 200
    case $fee in
        BNB)   want_fee=$'0.00833333\tBNB'; usdt=5000.00000000; btc=1.10000000; bnb=4.99166667 ;;
        BASE)  want_fee=$'0.00010000\tBTC'; usdt=5000.00000000; btc=1.09990000; bnb=5.00000000 ;;
        QUOTE) want_fee=$'5.00000000\tUSDT'; usdt=4995.00000000; btc=1.10000000; bnb=5.00000000 ;;
    esac
    expect_fields '.fills[0] | [.commission, .commissionAsset]' "$want_fee"
    [ "$(balance USDT)" = "$usdt 0.00000000" ] || fail "$fee: USDT is $(balance USDT), expected $usdt"
    [ "$(balance BTC)" = "$btc 0.00000000" ] || fail "$fee: BTC is $(balance BTC), expected $btc"
    [ "$(balance BNB)" = "$bnb 0.00000000" ] || fail "$fee: BNB is $(balance BNB), expected $bnb"
    get /api/v3/account "timestamp=$(now_ms)"
    expect_fields '[.accountType, .canTrade, .commissionRates.taker, (.balances | length)]' \
        $'SPOT\ttrue\t0.00100000\t3'
    get /api/v3/myTrades "symbol=BTCUSDT&timestamp=$(now_ms)"
    expect_fields '.[0] | [.commission, .commissionAsset]' "$want_fee"
done
QUOTE_PORT=$PORT
# Too little BNB for a BNB fee: the asset received pays it, as on Binance
start_fakex_named fee-nobnb --port 0 --price 50000 --exchange-info "$INFO" \
    --symbol-price BNBUSDT=600 --balances "USDT=10000,BTC=1,BNB=0.001" --fee-asset BNB
order "$(market b1 0.1)"
expect_fields '.fills[0] | [.commission, .commissionAsset]' $'0.00010000\tBTC'
order "$(market b2 0.1 SELL)"
expect_fields '.fills[0] | [.commission, .commissionAsset]' $'5.00000000\tUSDT'
[ "$(balance BNB)" = "0.00100000 0.00000000" ] || fail "BNB was charged: $(balance BNB)"
[ "$(balance BTC)" = "0.99990000 0.00000000" ] || fail "BTC: $(balance BTC)"
[ "$(balance USDT)" = "9995.00000000 0.00000000" ] || fail "USDT: $(balance USDT)"
PORT=$QUOTE_PORT
# On the last (QUOTE, 4995 USDT): a resting order locks its cost; what is
# free is what the next order may spend
order "$(limit b2 0.05 40000)"
expect 200
[ "$(balance USDT)" = "2995.00000000 2000.00000000" ] || fail "a resting BUY locks: $(balance USDT)"
order "$(limit b3 0.075 40000)"
expect 400 -2010 "Account has insufficient balance for requested action."
not_placed b3
order "$(market b4 0.06)"
expect 400 -2010 "Account has insufficient balance for requested action."
order "$(limit b5 1.2 60000 SELL)"
expect 400 -2010 "Account has insufficient balance for requested action."
order "$(limit b6 1 60000 SELL)"
expect 200
[ "$(balance BTC)" = "0.10000000 1.00000000" ] || fail "a resting SELL locks: $(balance BTC)"
cancel "$(by_id b2)"
expect 200
[ "$(balance USDT)" = "4995.00000000 0.00000000" ] || fail "a cancel unlocks: $(balance USDT)"
order "$(market b7 0.1 SELL)"
expect 200
[ "$(balance USDT)" = "9990.00000000 0.00000000" ] || fail "a SELL pays the quote less its fee: $(balance USDT)"
pass "--balances: insufficient balance refused, fills move balances, resting orders lock; --fee-asset BNB, BASE, QUOTE charged and reported"

# --- 3. --strict-clock and --clock-offset-ms ------------------------------------
# The server runs 3 s behind the host: the host looks 3 s fast
start_fakex_named clock --port 0 --price 50000 --strict-clock --clock-offset-ms -3000
send GET /api/v3/time "" ""
server=$(field .serverTime)
host=$(now_ms)
skew=$(( host - server ))
[ $skew -ge 2900 ] && [ $skew -le 3500 ] || fail "serverTime is $skew ms behind the host, expected ~3000"
order "$(market c1 0.001)"          # the host's timestamp: 3000 ms ahead
expect 400 -1021 "Timestamp for this request was 1000ms ahead of the server's time."
send GET /api/v3/time "" ""
ts=$(( $(field .serverTime) + 1500 ))
order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c2&timestamp=$ts"
expect 400 -1021 "Timestamp for this request was 1000ms ahead of the server's time."
send GET /api/v3/time "" ""
ts=$(( $(field .serverTime) + 300 ))
order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c3&timestamp=$ts"
expect 200
send GET /api/v3/time "" ""
ts=$(( $(field .serverTime) - 6000 ))
order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c4&timestamp=$ts"
expect 400 -1021 "Timestamp for this request is outside of the recvWindow."
order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c5&recvWindow=10000&timestamp=$ts"
expect 200
# Without --strict-clock (the ep-fakex of section 1), 3 s ahead is within recvWindow
PORT=$RULES_PORT
order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=49000&newClientOrderId=c6&timestamp=$(( $(now_ms) + 3000 ))"
expect 200
pass "--strict-clock: 1000 ms ahead and older than recvWindow are -1021; --clock-offset-ms shifts /api/v3/time and the check; the default is unchanged"

# --- 4. --rate-limits -------------------------------------------------------------
start_fakex_named rate --port 0 --price 50000 --exchange-info "$INFO" --rate-limits \
    --weight-limit 60 --ban-ms 1500 --control-port 0
rate () { curl -s --max-time 10 "http://127.0.0.1:$CONTROL/fakex/rate"; }
send GET /api/v3/time "" ""
expect 200
[ "$(header X-MBX-USED-WEIGHT-1M)" = 1 ] || fail "time: weight $(header X-MBX-USED-WEIGHT-1M)"
order "$(limit w1 0.001 49000)"
expect 200
[ "$(header X-MBX-USED-WEIGHT-1M)" = 2 ] && [ "$(header X-MBX-ORDER-COUNT-10S)" = 1 ] \
    && [ "$(header X-MBX-ORDER-COUNT-1D)" = 1 ] || fail "order headers: $(cat "$WORK/headers")"
query "$(by_id w1)"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 6 ] && [ -z "$(header X-MBX-ORDER-COUNT-10S)" ] \
    || fail "query headers: $(cat "$WORK/headers")"
cancel "$(by_id w1)"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 7 ] || fail "cancel weight: $(header X-MBX-USED-WEIGHT-1M)"
get /api/v3/openOrders "symbol=BTCUSDT&timestamp=$(now_ms)"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 13 ] || fail "openOrders weight: $(header X-MBX-USED-WEIGHT-1M)"
get /api/v3/myTrades "symbol=BTCUSDT&orderId=1&timestamp=$(now_ms)"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 18 ] || fail "myTrades weight: $(header X-MBX-USED-WEIGHT-1M)"
send GET /api/v3/exchangeInfo "" ""
[ "$(header X-MBX-USED-WEIGHT-1M)" = 38 ] || fail "exchangeInfo weight: $(header X-MBX-USED-WEIGHT-1M)"
get /api/v3/account "timestamp=$(now_ms)"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 58 ] || fail "account weight: $(header X-MBX-USED-WEIGHT-1M)"
[ "$(rate | jq -r .used_weight)" = 58 ] || fail "/fakex/rate: $(rate)"
get /api/v3/account "timestamp=$(now_ms)"       # 58 + 20 > 60
expect 429 -1003
retry=$(header Retry-After)
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 60 ] || fail "429 Retry-After: '$retry'"
[ "$(header X-MBX-USED-WEIGHT-1M)" = 58 ] || fail "429 weight: $(header X-MBX-USED-WEIGHT-1M)"
send GET /api/v3/time "" ""                     # inside Retry-After: banned
expect 418 -1003
[ "$(header Retry-After)" = 2 ] || fail "418 Retry-After: $(header Retry-After)"
[ "$(rate | jq -r .banned_until_ms)" -gt 0 ] || fail "/fakex/rate shows no ban: $(rate)"
query "$(by_id w1)"                             # queries too
expect 418 -1003
order "$(market w2 0.001)"
expect 418 -1003
not_banned () { [ "$(rate | jq -r .banned_until_ms)" = 0 ]; }
wait_until 5 not_banned
send GET /api/v3/time "" ""
expect 200
[ "$(header X-MBX-USED-WEIGHT-1M)" = 1 ] || fail "after the ban: weight $(header X-MBX-USED-WEIGHT-1M)"
# The order count: one more than --order-limit-10s is 429 -1015
start_fakex_named orders --port 0 --price 50000 --rate-limits --order-limit-10s 2
for id in o1 o2; do order "$(market $id 0.001)"; expect 200; done
[ "$(header X-MBX-ORDER-COUNT-10S)" = 2 ] || fail "order count: $(header X-MBX-ORDER-COUNT-10S)"
order "$(market o3 0.001)"
expect 429 -1015
[ -n "$(header Retry-After)" ] || fail "429 -1015 without Retry-After"
pass "--rate-limits: weights per endpoint in X-MBX-USED-WEIGHT-1M, order counts, 429 then 418 for every request until the ban ends, -1015 over the order limit"

# --- 5. --fault-queries -------------------------------------------------------------
start_fakex_named fq --port 0 --price 50000 --fault-queries --hold --control-port 0
order "$(limit q1 1 40000)"
expect 200
fault http-500; query "$(by_id q1)"; expect 500
grep -q '500 Internal Server Error' <<<"$BODY" || fail "http-500 query: $BODY"
fault http-503; query "$(by_id q1)"; expect 503 -1008
fault code-1007; query "$(by_id q1)"; expect 408 -1007
fault truncated; query "$(by_id q1)"; expect 200
! jq -e . <<<"$BODY" > /dev/null 2>&1 || fail "truncated query answered whole JSON: $BODY"
fault hang
get /api/v3/order "$(by_id q1)" --max-time 1
[ "$CURL_RC" = 28 ] || fail "hang: the query was answered ($CURL_RC, $CODE)"
fault none; query "$(by_id q1)"; expect 200
expect_fields '[.status]' NEW
# Without --fault-queries (section 1's ep-fakex), queries stay unfaulted
PORT=$RULES_PORT CONTROL=$RULES_CONTROL
fault http-500; query "$(by_id c6)"; expect 200; fault none
pass "--fault-queries: hang, http-500, http-503, code-1007, truncated strike status queries; not without it"

# --- 6. --market-liquidity ---------------------------------------------------------
start_fakex_named thin --port 0 --price 50000 --market-liquidity 0.3
order "$(market m1 1)"
expect 200
expect_fields '[.status, .origQty, .executedQty, .cummulativeQuoteQty, (.fills | length), .fills[0].qty]' \
    $'EXPIRED\t1.00000000\t0.30000000\t15000.00000000\t1\t0.30000000'
order "$(market m2 0.2)"
expect_fields '[.status, .executedQty]' $'FILLED\t0.20000000'
order "$(limit m3 1 50000 BUY BTCUSDT IOC)"
expect_fields '[.status, .executedQty]' $'FILLED\t1.00000000'
pass "--market-liquidity: a MARKET order fills what there is and expires the rest"

# --- 7. --price-path ---------------------------------------------------------------
# 100 for 1.2 s, then 90, then 80 from 1.5 s: a BUY at 85 fills when the price reaches
# 80, at 85, with no request in between; a SELL at 105 never fills
start_fakex_named path --port 0 --price-path 100,100,100,100,90,80 --path-step-ms 300
order "$(limit p1 1 85)"
expect 200
expect_fields '[.status]' NEW
order "$(limit p2 1 105 SELL)"
expect_fields '[.status, .executedQty]' $'NEW\t0.00000000'
query "$(by_id p1)"
expect_fields '[.status, .executedQty]' $'NEW\t0.00000000'      # a query fills nothing
sleep 2.5                       # the configured path (1.2 s) passes with no request
asked=$(now_ms)
query "$(by_id p1)"
expect_fields '[.status, .executedQty, .cummulativeQuoteQty]' $'FILLED\t1.00000000\t85.00000000'
filled_at=$(field .updateTime)
[ $(( asked - filled_at )) -ge 500 ] || fail "p1 filled at $filled_at, only when asked at $asked"
query "$(by_id p2)"
expect_fields '[.status]' NEW
order "$(market p3 1)"
expect_fields '[.fills[0].price]' 80.00000000
pass "--price-path: the price follows the path and fills a resting order with no query"

# --- 8. --absent-ms ------------------------------------------------------------------
start_fakex_named absent --port 0 --price 50000 --absent-ms 800 --hold
placed=$(now_ms)
order "$(limit a1 1 40000)"
expect 200
query "$(by_id a1)"
expect 400 -2013 "Order does not exist."
cancel "$(by_id a1)"
expect 400 -2011 "Unknown order sent."
until query "$(by_id a1)"; [ "$CODE" = 200 ]; do
    [ $(( $(now_ms) - placed )) -lt 5000 ] || fail "a1 never became visible: $BODY"
    sleep 0.05
done
[ $(( $(now_ms) - placed )) -ge 800 ] || fail "a1 was visible before 800 ms"
cancel "$(by_id a1)"
expect 200
expect_fields '[.status]' CANCELED
pass "--absent-ms: a fresh order is -2013 to a query and unknown to a cancel, then visible"

# --- 9. openOrders and myTrades ---------------------------------------------------
start_fakex_named lists --port 0 --price 50000 --symbol-price ETHUSDT=3000 --hold
order "$(limit l1 0.5 40000)"
order "$(limit l2 2 2500 SELL ETHUSDT)"
order "$(limit l3 1 2000 BUY ETHUSDT)"
order "$(market l4 0.25)"
l4=$(field .orderId)
get /api/v3/openOrders "timestamp=$(now_ms)"
expect 200
expect_fields '[.[].clientOrderId]' $'l1\tl3'
expect_fields '.[0] | keys_unsorted' \
    $'symbol\torderId\torderListId\tclientOrderId\tprice\torigQty\texecutedQty\tcummulativeQuoteQty\tstatus\ttimeInForce\ttype\tside\tstopPrice\ticebergQty\ttime\tupdateTime\tisWorking\tworkingTime\torigQuoteOrderQty\tselfTradePreventionMode'
get /api/v3/openOrders "symbol=ETHUSDT&timestamp=$(now_ms)"
expect_fields '[.[].clientOrderId]' l3
get /api/v3/myTrades "symbol=BTCUSDT&orderId=$l4&timestamp=$(now_ms)"
expect 200
expect_fields '.[] | keys_unsorted' \
    $'symbol\tid\torderId\torderListId\tprice\tqty\tquoteQty\tcommission\tcommissionAsset\ttime\tisBuyer\tisMaker\tisBestMatch'
expect_fields '.[] | [.orderId, .price, .qty, .quoteQty, .commission, .commissionAsset, .isBuyer, .isMaker]' \
    "$l4"$'\t50000.00000000\t0.25000000\t12500.00000000\t12.50000000\tUSDT\ttrue\tfalse'
get /api/v3/myTrades "symbol=ETHUSDT&timestamp=$(now_ms)"
expect_fields '[.[].qty]' 2.00000000
get /api/v3/myTrades "timestamp=$(now_ms)"
expect 400 -1102
pass "openOrders and myTrades answer in Binance's shapes"

# --- 10. POST /fakex/rules ---------------------------------------------------------
cp "$INFO" "$WORK/info.json"
start_fakex_named reread --port 0 --price 50000 --exchange-info "$WORK/info.json" --control-port 0
rules_again () { curl -s -o "$WORK/rules.out" -w '%{http_code}' -X POST "http://127.0.0.1:$CONTROL/fakex/rules"; }
btc_tick () {
    send GET /api/v3/exchangeInfo "symbol=BTCUSDT" ""
    field '.symbols[0].filters[] | select(.filterType == "PRICE_FILTER") | .tickSize'
}
order "$(limit t1 0.001 49000.05)"
expect 200
[ "$(btc_tick)" = 0.01000000 ] || fail "the fixture's tick size: $(btc_tick)"
jq '(.symbols[] | select(.symbol == "BTCUSDT") | .filters[] | select(.filterType == "PRICE_FILTER") | .minPrice, .tickSize) = "0.10000000"' \
    "$INFO" > "$WORK/info.json"
[ "$(rules_again)" = 200 ] && [ "$(jq -r .symbols "$WORK/rules.out")" = 3 ] \
    || fail "POST /fakex/rules: $(cat "$WORK/rules.out")"
[ "$(btc_tick)" = 0.10000000 ] || fail "exchangeInfo after the rules were read again: $(btc_tick)"
refuse t2 -1013 "Filter failure: PRICE_FILTER" "$(limit t2 0.001 49000.05)"
order "$(limit t3 0.001 49000.1)"
expect 200
# A file that does not read: 400, the rules before stay
echo '{"symbols": [' > "$WORK/info.json"
[ "$(rules_again)" = 400 ] || fail "POST /fakex/rules read a broken file: $(cat "$WORK/rules.out")"
grep -q "the rules before stay" "$WORK/rules.out" || fail "POST /fakex/rules on a broken file: $(cat "$WORK/rules.out")"
[ "$(btc_tick)" = 0.10000000 ] || fail "a broken file changed the rules: $(btc_tick)"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CONTROL/fakex/rules" | grep -qx 405 \
    || fail "GET /fakex/rules is not refused"
# Without --exchange-info: nothing to read again, and exchangeInfo lists no symbol
start_fakex_named norules --port 0 --price 50000 --control-port 0
[ "$(rules_again)" = 400 ] || fail "POST /fakex/rules without --exchange-info: $(cat "$WORK/rules.out")"
send GET /api/v3/exchangeInfo "" ""
expect 200
expect_fields '[(.symbols | length), (.rateLimits | length), .timezone]' $'0\t0\tUTC'
[ "$(field .serverTime)" -gt 1765000000000 ] || fail "exchangeInfo without rules: no serverTime: $BODY"
pass "POST /fakex/rules: the rules read again are in force (tick size served and enforced); a broken file keeps those before; without --exchange-info exchangeInfo lists no symbol"
