#!/usr/bin/env bash
# ep-fakex, the fake venue the live cancel tests trust, cancels, replaces
# and amends as its --help says: DELETE /api/v3/order cancels an open order
# and says -2011 for one that is not open; POST /api/v3/order/cancelReplace
# (STOP_ON_FAILURE) places nothing when its cancel fails; PUT
# /api/v3/order/amend/keepPriority lowers the quantity in place; each meets
# the same faults as a submission (hang, http-500, http-503, code-1007,
# truncated), acting first where a submission would be placed; fill-wins
# fills the order just before the cancel arrives (-2011, then FILLED on a
# query); cancel-unknown answers a cancel, cancel-replace or amend -2011
# while leaving its order open; hold keeps a resting order unfilled by
# queries; /fakex/counts counts cancels apart (?kind=cancel), per client
# order id of the order they cancel.
source "$(dirname "$0")/lib.sh"

FAKEX=$BIN/ep-fakex
KEY=fakex-test-key
SECRET=fakex-test-secret

now_ms () { date +%s%3N; }

"$FAKEX" --port 0 --control-port 0 --price 100 > "$WORK/fakex.out" 2>> "$WORK/fakex.log" &
PIDS+=("$!")
wait_until 10 grep -q '^ep-fakex control on ' "$WORK/fakex.out"
PORT=$(sed -n 's/^ep-fakex listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/fakex.out")
CONTROL=$(sed -n 's/^ep-fakex control on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/fakex.out")
[ -n "$PORT" ] && [ -n "$CONTROL" ] || fail "ep-fakex printed no ports"

sign () { "$FAKEX" --sign "$1" --api-secret "$SECRET"; }

# send METHOD PATH PARAMS [in-body]: signed, in the query string or the body
send () {
    local method=$1 path=$2 params="$3&signature=$(sign "$3")"
    local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$method" --max-time 5
                -H "X-MBX-APIKEY: $KEY")
    local url="http://127.0.0.1:$PORT$path"
    if [ -n "${4:-}" ]; then args+=(--data "$params"); else url="$url?$params"; fi
    rm -f "$WORK/body"
    CURL_RC=0
    CODE=$(curl "${args[@]}" "$url") || CURL_RC=$?
    BODY=$(cat "$WORK/body" 2>/dev/null || true)
}

fault () {
    local got
    got=$(curl -s -X POST --max-time 10 "http://127.0.0.1:$CONTROL/fakex/fault?mode=$1")
    [ "$(jq -r .mode <<<"$got")" = "$1" ] || fail "fault switch to $1 answered: $got"
}

field () { jq -r "$1" <<<"$BODY"; }
expect () {
    [ "$CODE" = "$1" ] || fail "expected HTTP $1, got $CODE (curl $CURL_RC): $BODY"
    [ $# -lt 2 ] || [ "$(field .code)" = "$2" ] || fail "expected code $2, got: $BODY"
}

rest () {    # a BUY LIMIT GTC below the price: it rests
    send POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=${2:-1}&price=90&newClientOrderId=$1&timestamp=$(now_ms)" body
    expect 200
    [ "$(field .status)" = NEW ] || fail "order $1 does not rest: $BODY"
}
by_id () { echo "symbol=BTCUSDT&origClientOrderId=$1&timestamp=$(now_ms)"; }
cancel () { send DELETE /api/v3/order "$(by_id "$1")"; }
query () { send GET /api/v3/order "$(by_id "$1")"; }
replace () {
    send POST /api/v3/order/cancelReplace "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=${3:-80}&newClientOrderId=$2&newOrderRespType=FULL&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=$1&timestamp=$(now_ms)" body
}
amend () {
    send PUT /api/v3/order/amend/keepPriority "symbol=BTCUSDT&origClientOrderId=$1&newClientOrderId=$2&newQty=$3&timestamp=$(now_ms)" body
}
cancels_of () {
    curl -s --max-time 5 "http://127.0.0.1:$CONTROL/fakex/counts?kind=cancel" \
        | jq -r --arg id "$1" '.[$id] // 0'
}

"$FAKEX" --help > "$WORK/help.txt" || fail "--help exited $?"
grep -q '^  fill-wins ' "$WORK/help.txt" || fail "--help does not document fill-wins"
grep -q '^  hold ' "$WORK/help.txt" || fail "--help does not document hold"
grep -q '^  cancel-unknown ' "$WORK/help.txt" || fail "--help does not document cancel-unknown"

# --- hold, cancel, counts -------------------------------------------------------
fault hold
rest c1
query c1
[ "$(field .status)" = NEW ] || fail "under hold a query filled the order: $BODY"
cancel c1
expect 200
[ "$(field .status)/$(field .origClientOrderId)" = CANCELED/c1 ] || fail "cancel answered: $BODY"
cancel c1
expect 400 -2011
[ "$(cancels_of c1)" = 2 ] || fail "cancels of c1 counted $(cancels_of c1), expected 2"
[ "$(curl -s "http://127.0.0.1:$CONTROL/fakex/counts" | jq -r '.c1')" = 1 ] \
    || fail "a cancel was counted among the orders"
pass "a resting order is canceled once; a second cancel is -2011; cancels are counted apart"

# --- fill-wins ------------------------------------------------------------------
rest w1
fault fill-wins
query w1
[ "$(field .status)" = NEW ] || fail "under fill-wins a query filled the order: $BODY"
cancel w1
expect 400 -2011
query w1
[ "$(field .status)/$(field .executedQty)" = FILLED/1.00000000 ] \
    || fail "the fill that won the race is not there: $BODY"
fault hold
pass "fill-wins: the order fills just before the cancel, which is -2011"

# --- faults on the cancel -------------------------------------------------------
for mode in http-500 code-1007 truncated; do
    rest "f$mode"
    fault "$mode"
    cancel "f$mode"
    fault hold
    case $mode in
        http-500)  [ "$CODE" = 500 ] || fail "$mode: HTTP $CODE" ;;
        code-1007) expect 408 -1007 ;;
        truncated) [ "$CODE" = 200 ] && ! jq -e . <<<"$BODY" > /dev/null 2>&1 \
                       || fail "$mode: not a truncated answer: $CODE $BODY" ;;
    esac
    query "f$mode"
    [ "$(field .status)" = CANCELED ] || fail "$mode: the cancel did not act first: $BODY"
done
rest f503
fault http-503
cancel f503
expect 503 -1008
fault hold
query f503
[ "$(field .status)" = NEW ] || fail "http-503: the cancel acted: $BODY"
rest fhang
fault hang
cancel fhang
[ "$CURL_RC" = 28 ] || fail "hang: the cancel was answered: $CODE $BODY"
fault hold
query fhang
[ "$(field .status)" = CANCELED ] || fail "hang: the cancel did not act: $BODY"
[ "$(cancels_of fhang)" = 1 ] || fail "hang: counted $(cancels_of fhang)"
pass "a cancel meets hang, http-500, code-1007 and truncated after acting, http-503 before"

# --- cancel-replace ---------------------------------------------------------------
rest r1
replace r1 r2
expect 200
[ "$(field .cancelResponse.status)/$(field .newOrderResponse.clientOrderId)/$(field .newOrderResponse.status)" = CANCELED/r2/NEW ] \
    || fail "cancel-replace answered: $BODY"
replace r1 r3
expect 400 -2021
[ "$(field .data.cancelResult)/$(field .data.newOrderResult)/$(field .data.cancelResponse.code)" = FAILURE/NOT_ATTEMPTED/-2011 ] \
    || fail "a failed cancel-replace answered: $BODY"
query r3
expect 400 -2013
[ "$(cancels_of r1)" = 2 ] || fail "cancel-replaces of r1 counted $(cancels_of r1)"
rest r4
fault http-500
replace r4 r5
fault hold
[ "$CODE" = 500 ] || fail "cancel-replace under http-500: HTTP $CODE"
query r5
[ "$(field .status)" = NEW ] || fail "cancel-replace under http-500 did not act: $BODY"
pass "cancel-replace cancels then places; a failed cancel places nothing; faults act first"

# --- amend ----------------------------------------------------------------------
rest a1 2
amend a1 a2 1.5
expect 200
[ "$(field .amendedOrder.clientOrderId)/$(field .amendedOrder.origClientOrderId)/$(field .amendedOrder.qty)" = a2/a1/1.50000000 ] \
    || fail "amend answered: $BODY"
query a2
[ "$(field .status)/$(field .origQty)" = NEW/1.50000000 ] || fail "the amended order: $BODY"
amend a2 a3 3
expect 400 -2038
amend a9 a10 1
expect 400 -2011
pass "amend lowers the quantity in place and renames the order; an increase is refused"

# --- cancel-unknown -------------------------------------------------------------
fault hold
rest u1 2
fault cancel-unknown
query u1
[ "$(field .status)" = NEW ] || fail "under cancel-unknown a query filled the order: $BODY"
cancel u1
expect 400 -2011
replace u1 u2
expect 400 -2021
[ "$(field .data.cancelResult)/$(field .data.newOrderResult)/$(field .data.cancelResponse.code)" = FAILURE/NOT_ATTEMPTED/-2011 ] \
    || fail "a cancel-replace under cancel-unknown answered: $BODY"
amend u1 u3 1
expect 400 -2011
query u1
[ "$(field .status)/$(field .origQty)" = NEW/2.00000000 ] || fail "cancel-unknown changed the order: $BODY"
query u2
expect 400 -2013
[ "$(cancels_of u1)" = 3 ] || fail "cancels of u1 under cancel-unknown counted $(cancels_of u1), expected 3"
fault none
cancel u1
expect 200
[ "$(field .status)" = CANCELED ] || fail "once the venue tells the truth, the cancel answered: $BODY"
pass "cancel-unknown: a cancel, cancel-replace and amend are -2011 while the order stays open and unchanged"
