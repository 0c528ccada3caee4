#!/usr/bin/env bash
# ep-fakex, the fake Binance venue other tests trust, does what its --help
# says: Binance's documented signature vectors verify, authentication and
# recvWindow are enforced, orders fill at the configured price with 0.1%
# commission, a resting GTC order fills half then the rest, cancel works,
# requests are counted per client order id, and every fault mode answers
# as specified. Signatures come from `ep-fakex --sign` (openssl is not on a
# default Debian 12), which is itself pinned to the documented vectors.
source "$(dirname "$0")/lib.sh"

FAKEX=$BIN/ep-fakex
KEY=fakex-test-key
SECRET=fakex-test-secret
PRICE=250.25
# Binance's documentation example (venue-binance.md)
DOC_KEY=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A
DOC_SECRET=NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j
DOC_PARAMS='symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
DOC_SIGNATURE=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71
# The same request split between query string and body (the docs' third
# example): totalParams is the query followed directly by the body
DOC_QUERY='symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC'
DOC_BODY='quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
DOC_MIXED_SIGNATURE=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77

# market ID QTY [SIDE] and limit ID QTY PRICE TIF [SIDE]: new-order params
market () {
    echo "symbol=BTCUSDT&side=${3:-BUY}&type=MARKET&quantity=$2&newClientOrderId=$1&newOrderRespType=FULL&timestamp=$(now_ms)"
}
limit () {
    echo "symbol=BTCUSDT&side=${5:-BUY}&type=LIMIT&timeInForce=$4&quantity=$2&price=$3&newClientOrderId=$1&timestamp=$(now_ms)"
}
by_id () { echo "symbol=BTCUSDT&origClientOrderId=$1&timestamp=$(now_ms)"; }

fault () {
    local port=${2:-$PORT} got
    got=$(curl -s -X POST --max-time 10 "http://127.0.0.1:$port/fakex/fault?mode=$1") \
        || fail "could not switch to fault mode $1"
    [ "$(jq -r .mode <<<"$got")" = "$1" ] || fail "fault switch to $1 answered: $got"
}

counts () { curl -s --max-time 10 "http://127.0.0.1:${1:-$PORT}/fakex/counts"; }
count_of () { counts "${2:-$PORT}" | jq -r --arg id "$1" '.[$id] // 0'; }

# --- command line ------------------------------------------------------------
"$FAKEX" --help > "$WORK/help.txt" || fail "--help exited $?"
grep -q 'Usage: ep-fakex' "$WORK/help.txt" || fail "--help shows no usage"
for mode in none refuse close-early hang http-500 http-503 code-1007 truncated wrong-id \
            http-429 http-418 insufficient duplicate bad-signature overfill wrong-qty echo-secret; do
    grep -q "^  $mode " "$WORK/help.txt" || fail "--help does not document fault mode $mode"
done
grep -q "$KEY" "$WORK/help.txt" && grep -q "$SECRET" "$WORK/help.txt" \
    || fail "--help does not document the default key and secret"
for args in "--price 1" "--port 0" "--port 0 --price 0" "--port 0 --price 1.123456789" \
            "--port 0 --price -1" "--port 0 --price 1 --fault sometimes" "--port 70000 --price 1" \
            "--port 0 --price 1 --no-such-option" "--port 0 --price 1 stray"; do
    rc=0; "$FAKEX" $args > /dev/null 2> "$WORK/err.txt" || rc=$?
    [ $rc = 2 ] || fail "ep-fakex $args exited $rc, expected 2"
    [ "$(wc -l < "$WORK/err.txt")" = 1 ] || fail "ep-fakex $args did not say one line on stderr"
done
pass "--help documents every mode; bad usage exits 2 with an error"

# --- signing: the documented vectors ------------------------------------------
[ "$("$FAKEX" --sign "$DOC_PARAMS" --api-secret "$DOC_SECRET")" = "$DOC_SIGNATURE" ] \
    || fail "--sign does not reproduce the documented signature"
[ "$("$FAKEX" --sign "$DOC_QUERY$DOC_BODY" --api-secret "$DOC_SECRET")" = "$DOC_MIXED_SIGNATURE" ] \
    || fail "--sign does not reproduce the documented query+body signature"
if command -v openssl > /dev/null; then
    text="symbol=ETHUSDT&side=SELL&quantity=0.1&timestamp=$(now_ms)"
    want=$(printf '%s' "$text" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
    [ "$("$FAKEX" --sign "$text")" = "$want" ] || fail "--sign disagrees with openssl"
fi

# A fake holding the documentation's key verifies the documented requests:
# they pass the signature check and stop at the timestamp (2017), -1021.
start_fakex_named doc --port 0 --price 0.1 --api-key "$DOC_KEY" --api-secret "$DOC_SECRET"
send POST /api/v3/order "" "$DOC_PARAMS&signature=$DOC_SIGNATURE" "$DOC_KEY"
expect 400 -1021
send POST /api/v3/order "$DOC_PARAMS&signature=$DOC_SIGNATURE" "" "$DOC_KEY"
expect 400 -1021
send POST /api/v3/order "$DOC_QUERY" "$DOC_BODY&signature=$DOC_MIXED_SIGNATURE" "$DOC_KEY"
expect 400 -1021
send POST /api/v3/order "" "$DOC_PARAMS&signature=${DOC_SIGNATURE^^}" "$DOC_KEY"
expect 400 -1021
send POST /api/v3/order "" "${DOC_PARAMS/quantity=1/quantity=2}&signature=$DOC_SIGNATURE" "$DOC_KEY"
expect 400 -1022
[ "$(field .msg)" = "Signature for this request is not valid." ] || fail "-1022 message: $BODY"
send POST /api/v3/order "$DOC_QUERY" "$DOC_BODY&signature=$DOC_SIGNATURE" "$DOC_KEY"
expect 400 -1022
pass "the documented signatures verify (query, body, split), a tampered one does not"

# --- the venue ----------------------------------------------------------------
start_fakex_named venue --port 0 --price "$PRICE" --control-port 0
[ -n "$CONTROL" ] || fail "no control port line"

before=$(now_ms)
order "$(market m1 0.4)"
expect 200
expect_fields '[.symbol, .orderListId, .clientOrderId, .price, .origQty, .executedQty, .origQuoteOrderQty, .cummulativeQuoteQty, .status, .timeInForce, .type, .side, .selfTradePreventionMode]' \
    "$(printf '%s\t' BTCUSDT -1 m1 0.00000000 0.40000000 0.40000000 0.00000000 100.10000000 FILLED GTC MARKET BUY NONE | sed 's/\t$//')"
expect_fields '.fills | length | [.]' 1
expect_fields '.fills[0] | [.price, .qty, .commission, .commissionAsset]' \
    "$(printf '250.25000000\t0.40000000\t0.10010000\tUSDT')"
[ "$(field '.transactTime >= '"$before"' and .workingTime == .transactTime and (.orderId | type) == "number" and (.fills[0].tradeId | type) == "number"')" = true ] \
    || fail "times or ids wrong: $BODY"
first_id=$(field .orderId)
order "$(market m2 1.23456789 SELL)"
expect 200
expect_fields '[.side, .cummulativeQuoteQty, .fills[0].commission]' "$(printf 'SELL\t308.95061447\t0.30895061')"
[ "$(field .orderId)" -gt "$first_id" ] || fail "order ids do not increase"
order "$(market m3 0.00000003)"
expect 200
expect_fields '[.cummulativeQuoteQty, .fills[0].commission]' "$(printf '0.00000750\t0.00000000')"
# Parameters and signature in the query string only
params=$(market m4 1)
send POST /api/v3/order "$params&signature=$(sign "$params")" ""
expect 200
expect_fields '[.clientOrderId, .status]' "$(printf 'm4\tFILLED')"
pass "MARKET orders fill at the configured price with 0.1% commission, rounded down"

order "$(limit l1 2 300 GTC)"
expect 200
expect_fields '[.price, .status, .executedQty, .fills[0].price, .timeInForce]' \
    "$(printf '300.00000000\tFILLED\t2.00000000\t250.25000000\tGTC')"
order "$(limit l2 2 200 IOC SELL)"
expect 200
expect_fields '[.status, .fills[0].price]' "$(printf 'FILLED\t250.25000000')"
order "$(limit l3 1 200 IOC)"
expect 200
expect_fields '[.status, .executedQty, .cummulativeQuoteQty, (.fills | length)]' \
    "$(printf 'EXPIRED\t0.00000000\t0.00000000\t0')"
order "$(limit l4 1 300 FOK SELL)"
expect 200
expect_fields '[.status, .timeInForce, (.fills | length)]' "$(printf 'EXPIRED\tFOK\t0')"
pass "marketable LIMIT orders fill at the configured price; non-marketable IOC/FOK expire"

order "$(limit g1 1.00000001 200 GTC)"
expect 200
expect_fields '[.status, .executedQty, (.fills | length)]' "$(printf 'NEW\t0.00000000\t0')"
g1_id=$(field .orderId)
order "$(limit g1 1 200 GTC)"
expect 400 -2010
[ "$(field .msg)" = "Duplicate order sent." ] || fail "duplicate open id: $BODY"
query "$(by_id g1)"
expect 200
expect_fields '[.status, .executedQty, .cummulativeQuoteQty, .price, .isWorking]' \
    "$(printf 'PARTIALLY_FILLED\t0.50000000\t100.00000000\t200.00000000\ttrue')"
[ "$(field '(.fills == null) and (.time | type) == "number" and (.updateTime | type) == "number"')" = true ] \
    || fail "a query answer has fills, or lacks time/updateTime: $BODY"
query "symbol=BTCUSDT&orderId=$g1_id&timestamp=$(now_ms)"
expect 200
expect_fields '[.clientOrderId, .status, .executedQty, .cummulativeQuoteQty]' \
    "$(printf 'g1\tFILLED\t1.00000001\t200.00000200')"
query "$(by_id g1)"
expect_fields '[.status, .executedQty]' "$(printf 'FILLED\t1.00000001')"
# Unique only among open orders: a filled order's id can be used again
order "$(market g1 0.1)"
expect 200
pass "a GTC order rests, fills half then the rest across two queries; its id frees up once filled"

order "$(limit c1 3 100 GTC)"
expect 200
cancel "$(by_id c1)"
expect 200
expect_fields '[.status, .origClientOrderId, .executedQty]' "$(printf 'CANCELED\tc1\t0.00000000')"
cancel "$(by_id c1)"
expect 400 -2011
query "$(by_id c1)"
expect_fields '[.status]' CANCELED
query "$(by_id nosuchorder)"
expect 400 -2013
[ "$(field .msg)" = "Order does not exist." ] || fail "-2013 message: $BODY"
pass "cancel, cancel of a closed order (-2011), unknown order (-2013)"

# --- authentication and validation --------------------------------------------
params=$(market a1 1)
send POST /api/v3/order "" "$params&signature=$(sign "$params" not-the-secret)"
expect 400 -1022
send POST /api/v3/order "" "$params"
expect 400 -1102
send POST /api/v3/order "" "$params&signature=$(sign "$params")" someone-else
expect 401 -2015
[ "$(field .msg)" = "Invalid API-key, IP, or permissions for action." ] || fail "-2015 message: $BODY"
send POST /api/v3/order "" "$params&signature=$(sign "$params")" ""
expect 401 -2015
order "$(market a2 1 | sed "s/timestamp=[0-9]*/timestamp=$(( $(now_ms) - 10000 ))/")"
expect 400 -1021
[ "$(field .msg)" = "Timestamp for this request is outside of the recvWindow." ] || fail "-1021 message: $BODY"
order "$(market a3 1 | sed "s/timestamp=[0-9]*/timestamp=$(( $(now_ms) + 10000 ))/")"
expect 400 -1021
order "$(market a4 1 | sed "s/timestamp=[0-9]*/recvWindow=20000\&timestamp=$(( $(now_ms) - 10000 ))/")"
expect 200
order "$(market a5 1)&recvWindow=60001"
expect 400 -1131
order "symbol=BTCUSDT&side=BUY&type=MARKET&newClientOrderId=v1&timestamp=$(now_ms)"
expect 400 -1102
[[ "$(field .msg)" == *"'quantity'"* ]] || fail "-1102 does not name quantity: $BODY"
order "$(market v2 1 SIDEWAYS)"
expect 400 -1117
order "$(limit v3 1 100 GTC | sed 's/&timeInForce=GTC//')"
expect 400 -1102
order "$(market v4 1)&timeInForce=IOC"
expect 400 -1106
order "$(market v5 0)"
expect 400 -1013
order "$(market v6 abc)"
expect 400 -1100
order "$(market "$(printf 'x%.0s' $(seq 37))" 1)"
expect 400 -1100
order "$(market 'bad.id' 1)"
expect 400 -1100
order "$(market v8 1)&icebergQty=1"
expect 400 -1104
pass "bad signature, wrong key, stale timestamp, recvWindow and malformed orders are refused"

# --- counts -------------------------------------------------------------------
for _ in 1 2; do order "$(market k1 1)"; expect 200; done
params=$(market k1 1)
send POST /api/v3/order "" "$params&signature=$(sign "$params" not-the-secret)"
expect 400 -1022
[ "$(count_of k1)" = 3 ] || fail "k1 counted $(count_of k1) times, expected 3: $(counts)"
[ "$(count_of m1)" = 1 ] && [ "$(count_of g1)" = 3 ] && [ "$(count_of a1)" = 4 ] \
    || fail "counts per client order id are wrong: $(counts)"
[ "$(count_of never-sent)" = 0 ] || fail "an id never sent is counted"
[ "$(counts "$CONTROL")" = "$(counts)" ] || fail "the control port shows other counts"
pass "/fakex/counts counts every order request per client order id, rejected ones too"

# --- fault modes --------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/fakex/fault?mode=sometimes")
[ "$code" = 400 ] || fail "an unknown fault mode answered $code, expected 400"
[ "$(curl -s "http://127.0.0.1:$PORT/fakex/fault" | jq -r .mode)" = none ] || fail "GET /fakex/fault"

# not_placed ID: the venue does not know the order
not_placed () {
    query "$(by_id "$1")"
    expect 400 -2013
}
# placed ID: the venue filled the order
placed () {
    query "$(by_id "$1")"
    expect 200
    expect_fields '[.clientOrderId, .status]' "$(printf '%s\tFILLED' "$1")"
}
counted_once () {
    [ "$(count_of "$1")" = 1 ] || fail "$1 counted $(count_of "$1") times: $(counts)"
}

fault http-503
order "$(market f503 1)"
expect 503 -1008
[ "$(field .msg)" = "Server is currently overloaded with other requests. Please try again in a few minutes." ] \
    || fail "-1008 message: $BODY"
not_placed f503; counted_once f503
# Queries and /fakex/* are never faulted
placed m1
[ "$(counts | jq -r .f503)" = 1 ] || fail "/fakex/counts is faulted"

fault http-429
order "$(market f429 1)"
expect 429 -1003
grep -qi '^Retry-After: 7' "$WORK/headers" || fail "429 without Retry-After: 7"
[ "$(field .msg)" = "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API." ] \
    || fail "429 message: $BODY"
not_placed f429; counted_once f429

fault http-418
order "$(market f418 1)"
expect 418 -1003
grep -qi '^Retry-After: 120' "$WORK/headers" || fail "418 without Retry-After: 120"
[ "$(field .msg)" = "Way too much request weight used; IP banned until 1700000000000. Please use WebSocket Streams for live updates to avoid bans." ] \
    || fail "418 message: $BODY"
not_placed f418; counted_once f418

fault insufficient
order "$(market fins 1)"
expect 400 -2010
[ "$(field .msg)" = "Account has insufficient balance for requested action." ] || fail "insufficient: $BODY"
not_placed fins; counted_once fins

fault duplicate
order "$(market fdup 1)"
expect 400 -2010
[ "$(field .msg)" = "Duplicate order sent." ] || fail "duplicate: $BODY"
placed fdup; counted_once fdup

fault bad-signature
order "$(market fsig 1)"
expect 400 -1022
not_placed fsig; counted_once fsig
pass "http-503, http-429, http-418, insufficient, bad-signature: answered as specified, counted, not placed; duplicate: -2010 with the order placed"

fault http-500
order "$(market f500 1)"
expect 500
jq -e . <<<"$BODY" > /dev/null 2>&1 && fail "the 500 body is JSON: $BODY"
grep -qi '^Content-Type: text/html' "$WORK/headers" || fail "the 500 body is not HTML"
placed f500; counted_once f500

fault code-1007
order "$(market f1007 1)"
expect 408 -1007
[ "$(field .msg)" = "Timeout waiting for response from backend server. Send status unknown; execution status unknown." ] \
    || fail "-1007 message: $BODY"
placed f1007; counted_once f1007

fault truncated
order "$(market ftrunc 1)"
expect 200
jq -e . <<<"$BODY" > /dev/null 2>&1 && fail "the truncated body is valid JSON: $BODY"
[[ "$BODY" == '{"symbol":"BTCUSDT","orderId":'* ]] || fail "the truncated body is not the FULL answer's start: $BODY"
[ ${#BODY} -gt 150 ] || fail "the truncated body is too short: $BODY"
placed ftrunc; counted_once ftrunc

fault wrong-id
order "$(market fwrong 1)"
expect 200
expect_fields '[.status]' FILLED
[ "$(field .clientOrderId)" != fwrong ] || fail "wrong-id answered the right id: $BODY"
placed fwrong; counted_once fwrong

fault overfill
order "$(market fover 1)"
expect 200
expect_fields '[.status, .clientOrderId, .origQty]' "$(printf 'FILLED\tfover\t1.00000000')"
jq -e '(.executedQty | tonumber) > (.origQty | tonumber)' <<<"$BODY" > /dev/null \
    || fail "overfill did not say more executed than ordered: $BODY"
placed fover; counted_once fover

fault wrong-qty
order "$(market fqty 1)"
expect 200
expect_fields '[.status, .clientOrderId, .origQty, .executedQty]' "$(printf 'FILLED\tfqty\t2\t1.00000000')"
placed fqty; counted_once fqty
pass "http-500, code-1007, truncated, wrong-id, overfill, wrong-qty: the order is placed, the answer is damaged"

fault echo-secret
order "$(market fecho 1)"
expect 400 -1100
# Only a JSON decoder shows them: the raw body holds neither key nor secret
[[ "$(field .msg)" == *"API-key $KEY with secret $SECRET."* ]] || fail "echo-secret message: $(field .msg)"
grep -q -F -e "$SECRET" -e "$KEY" "$WORK/body" && fail "echo-secret sent the secret unescaped: $BODY"
grep -q -F '\u0073\u0065\u0063' "$WORK/body" || fail "echo-secret is not escaped as \\uXXXX: $BODY"
not_placed fecho; counted_once fecho
pass "echo-secret: not placed; the key and secret come back JSON-escaped"

fault hang
start=$(date +%s)
order "$(market fhang 1)" --max-time 2
[ "$CURL_RC" = 28 ] || fail "a hung order request ended with curl $CURL_RC (HTTP $CODE), expected a timeout (28)"
[ $(( $(date +%s) - start )) -le 5 ] || fail "the hung request took too long to time out"
counted_once fhang
placed fhang
# A second hung request does not block the first's neighbours either
order "$(market fhang2 1)" --max-time 1
[ "$CURL_RC" = 28 ] || fail "the second hung request ended with curl $CURL_RC"
counted_once fhang2
fault none
order "$(market after-hang 1)"
expect 200
pass "hang: the order is counted and placed, never answered, and the server keeps serving"

fault close-early
order "$(market fclose 1)"
[ "$CODE" = 000 ] && [ "$CURL_RC" != 0 ] || fail "close-early answered HTTP $CODE (curl $CURL_RC): $BODY"
[ "$(count_of fclose)" = 0 ] || fail "close-early counted the request: $(counts)"
not_placed fclose
fault none
order "$(market after-close 1)"
expect 200
pass "close-early: the connection closes unanswered, nothing counted or placed; /fakex/* still works"

fault refuse "$CONTROL"
order "$(market frefuse 1)"
[ "$CURL_RC" = 7 ] || fail "refuse: curl ended with $CURL_RC (HTTP $CODE), expected 7 (connection refused)"
[ "$(count_of frefuse "$CONTROL")" = 0 ] || fail "refuse counted the request"
[ "$(curl -s "http://127.0.0.1:$CONTROL/fakex/fault" | jq -r .mode)" = refuse ] || fail "control port lost"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CONTROL/api/v3/ping")
[ "$code" = 404 ] || fail "the control port served a venue path ($code)"
fault none "$CONTROL"
order "$(market after-refuse 1)"
expect 200
not_placed frefuse
pass "refuse: the main port refuses connections; the control port reopens it"

# Without a control port, refuse is one-way; a fake can start in it
start_fakex_named refused --port 0 --price 1 --fault refuse
order "$(market frefused 1)"
[ "$CURL_RC" = 7 ] || fail "--fault refuse: curl ended with $CURL_RC, expected 7"
pass "--fault refuse at start: the port is named, then refused"

# --- no secret or signature in any log ----------------------------------------
for log in "$WORK"/*.log; do
    grep -F -e "$SECRET" -e "$DOC_SECRET" -e "$DOC_SIGNATURE" -e "$DOC_MIXED_SIGNATURE" "$log" \
        && fail "$log shows a secret or a signature"
    grep -F -f "$WORK/signatures.txt" "$log" && fail "$log shows a request signature"
    grep -q 'signature=' "$log" && fail "$log shows a signature parameter"
done
pass "the logs show no secret and no signature"
