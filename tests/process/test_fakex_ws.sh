#!/usr/bin/env bash
# ep-fakex's Ed25519 keys and WebSocket API, on one ep-fakex driven with curl
# and tests/fakex/ws_client.py: Ed25519-signed REST accepted and a bad
# signature -1022; session.logon good and bad; the user data stream's
# executionReport NEW, three test trades whose TRADE events match myTrades
# (each followed by an outboundAccountPosition), unsubscribe; the stream's
# faults: stall (no pong), drop (closed), down (503, then accepted again).
# A key pair is made for the run, in the run's folder. Every wait is a
# bounded poll.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CLIENT=$SRC/tests/fakex/ws_client.py

FAKEX=$BIN/ep-fakex
KEY=fakex-test-key


command -v openssl >/dev/null || fail "openssl is needed to make an Ed25519 key"
openssl genpkey -algorithm ed25519 -out "$WORK/k.pem" 2>/dev/null || fail "openssl genpkey failed"
openssl pkey -in "$WORK/k.pem" -pubout -out "$WORK/k.pub" || fail "openssl pkey -pubout failed"

# ed_sign PAYLOAD: base64 of its Ed25519 signature (openssl's one-shot
# -rawin signing reads a file, not a pipe)
ed_sign () {
    printf %s "$1" > "$WORK/payload"
    openssl pkeyutl -sign -inkey "$WORK/k.pem" -rawin -in "$WORK/payload" | base64 -w0
}
# percent-encodes base64's + / =
urlenc () { sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g' <<<"$1"; }

ed_order () { send POST /api/v3/order "" "$1&signature=$(urlenc "$(ed_sign "$1")")"; }
ed_get () { send GET "$1" "$2&signature=$(urlenc "$(ed_sign "$2")")" ""; }
control () { curl -s --max-time 10 -X "$1" "http://127.0.0.1:$CONTROL$2"; }


# The client runs in the background, fed commands through a FIFO held open
# on descriptor 7; what it receives is appended to $OUT, one a line
OUT=$WORK/ws.out
ws_open () {
    rm -f "$WORK/ws.in" && mkfifo "$WORK/ws.in"
    : > "$OUT"
    python3 "$CLIENT" run "$WS" "$OUT" < "$WORK/ws.in" 2>> "$WORK/client.log" &
    CLIENT_PID=$!
    exec 7> "$WORK/ws.in"
    wait_until 10 grep -q -e '^open$' -e '^http ' "$OUT"
    grep -q '^open$' "$OUT" || fail "the upgrade was refused: $(cat "$OUT")"
}
ws_close () { exec 7>&-; wait "$CLIENT_PID" 2>/dev/null || true; }
ws () { echo "$*" >&7; }
# ws_answer ID: waits for the answer with that id and sets ANSWER
ws_answer () {
    wait_until 10 grep -q "^text {\"id\":\"$1\"" "$OUT"
    ANSWER=$(sed -n "s/^text \({\"id\":\"$1\".*\)$/\1/p" "$OUT" | tail -n 1)
}
# events: the stream's events so far, one JSON a line
events () { sed -n 's/^text \({"subscriptionId".*\)$/\1/p' "$OUT" | jq -c .event; }
count_events () { [ "$(events | jq -s "map(select($1)) | length")" -ge "$2" ]; }
logon_request () {
    local id=$1 ts=$2 sig=$3
    echo "{\"id\":\"$id\",\"method\":\"session.logon\",\"params\":{\"apiKey\":\"$KEY\",\"timestamp\":$ts,\"signature\":\"$sig\"}}"
}

# --- --help and bad options -------------------------------------------------------
"$FAKEX" --help > "$WORK/help.txt" || fail "--help exited $?"
for o in --ed25519-public-key --ws-port /ws-api/v3 session.logon userDataStream.subscribe \
         /fakex/trade /fakex/ws /fakex/ws/events stall; do
    grep -q -- "$o" "$WORK/help.txt" || fail "--help does not mention $o"
done
rc=0; "$FAKEX" --port 0 --price 1 --ed25519-public-key "$WORK/k.pem" 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "a private key as --ed25519-public-key exited $rc, expected 2"
rc=0; "$FAKEX" --port 0 --price 1 --ws-port 70000 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "--ws-port 70000 exited $rc, expected 2"
pass "--help documents the options and endpoints; bad values exit 2"

start_fakex_named ws --port 0 --control-port 0 --price 100 --ws-port 0 --hold \
    --ed25519-public-key "$WORK/k.pub"
WS=$(sed -n 's/^ep-fakex ws on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/ws.out")
[ -n "$WS" ] || fail "no 'ep-fakex ws on' line"

# --- 1. Ed25519 on REST ---------------------------------------------------------------
q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1&newClientOrderId=ed1&timestamp=$(now_ms)"
ed_order "$q"
expect 200
[ "$(jq -r .status <<<"$BODY")" = FILLED ] || fail "the Ed25519-signed order did not fill: $BODY"
q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1&newClientOrderId=ed2&timestamp=$(now_ms)"
send POST /api/v3/order "" "$q&signature=$(urlenc "$(ed_sign "${q}x")")"
expect 400 -1022
hmac=$("$FAKEX" --sign "$q")
send POST /api/v3/order "" "$q&signature=$hmac"
expect 400 -1022
ed_get /api/v3/myTrades "symbol=BTCUSDT&timestamp=$(now_ms)"
expect 200
[ "$(jq length <<<"$BODY")" = 1 ] || fail "refused orders traded: $BODY"
pass "an Ed25519-signed order is placed; a bad signature and an HMAC one answer -1022"

# --- 2. the WebSocket API: paths, logon, subscribe ---------------------------------
[ "$(python3 "$CLIENT" probe "$WS" /ws/other)" = 404 ] || fail "another path was not refused with 404"
ws_open
ws 'send {"id":"early","method":"userDataStream.subscribe"}'
ws_answer early
[ "$(jq -r '[.status, .error.code] | @tsv' <<<"$ANSWER")" = $'401\t-1002' ] \
    || fail "subscribe before logon: $ANSWER"
ts=$(now_ms)
ws "send $(logon_request bad "$ts" "$(ed_sign "apiKey=$KEY&timestamp=$((ts + 1))")")"
ws_answer bad
[ "$(jq -r '[.status, .error.code] | @tsv' <<<"$ANSWER")" = $'400\t-1022' ] \
    || fail "a bad logon signature: $ANSWER"
ws "send $(logon_request good "$ts" "$(ed_sign "apiKey=$KEY&timestamp=$ts")")"
ws_answer good
[ "$(jq -r '[.status, .result.apiKey, .result.authorizedSince, .result.userDataStream] | @tsv' \
    <<<"$ANSWER")" = "200	$KEY	$ts	false" ] || fail "a good logon: $ANSWER"
ws 'send {"id":"sub","method":"userDataStream.subscribe"}'
ws_answer sub
[ "$(jq -r '[.status, .result.subscriptionId] | @tsv' <<<"$ANSWER")" = $'200\t0' ] \
    || fail "subscribe: $ANSWER"
ws 'send {"id":"p1","method":"ping"}'
ws_answer p1
[ "$(jq -c .result <<<"$ANSWER")" = '{}' ] || fail "ping: $ANSWER"
ws 'send {"id":"what","method":"order.place"}'
ws_answer what
[ "$(jq -r .status <<<"$ANSWER")" = 400 ] || fail "an unknown method: $ANSWER"
pass "session.logon refuses a bad signature and takes a good one; subscribe needs it"

# --- 3. executionReport NEW, three test trades, myTrades --------------------------
ed_order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=90&newClientOrderId=rest1&timestamp=$(now_ms)"
expect 200
ORDER_ID=$(jq -r .orderId <<<"$BODY")
wait_until 10 count_events '.e == "executionReport" and .c == "rest1" and .x == "NEW"' 1
new=$(events | jq -c 'select(.e == "executionReport" and .c == "rest1")' | head -n 1)
[ "$(jq -r '[.X, .i, .q, .p, .l, .z, .n, .N, .t, .w] | @tsv' <<<"$new")" \
    = "NEW	$ORDER_ID	1.00000000	90.00000000	0.00000000	0.00000000	0.00000000		-1	true" ] \
    || fail "the NEW report: $new"
for qty in 0.2 0.3 0.5; do
    trade=$(control POST "/fakex/trade?origClientOrderId=rest1&quantity=$qty")
    [ "$(jq -r .qty <<<"$trade")" = "${qty}0000000" ] || fail "test trade of $qty: $trade"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    "http://127.0.0.1:$CONTROL/fakex/trade?origClientOrderId=rest1&quantity=0.1")" = 404 ] \
    || fail "a trade on a filled order was not 404"
wait_until 10 count_events '.e == "executionReport" and .c == "rest1" and .x == "TRADE"' 3
ed_get /api/v3/myTrades "symbol=BTCUSDT&orderId=$ORDER_ID&timestamp=$(now_ms)"
expect 200
[ "$(jq length <<<"$BODY")" = 3 ] || fail "myTrades lists $(jq length <<<"$BODY") trades"
want=$(jq -r '.[] | [.id, .price, .qty, .commission, .commissionAsset, .quoteQty] | @tsv' <<<"$BODY")
got=$(events | jq -r 'select(.e == "executionReport" and .x == "TRADE" and .c == "rest1")
                      | [.t, .L, .l, .n, .N, .Y] | @tsv')
[ "$got" = "$want" ] || fail "TRADE events differ from myTrades:
$got
---
$want"
[ "$(events | jq -r 'select(.x == "TRADE" and .c == "rest1") | .X' | tr '\n' ' ')" \
    = "PARTIALLY_FILLED PARTIALLY_FILLED FILLED " ] || fail "the TRADE events' statuses"
# Each TRADE is followed at once by an outboundAccountPosition
pairs=$(events | jq -r 'select(.e != "executionReport" or .c == "rest1")
                        | if .e == "executionReport" then .x else .e end' | tr '\n' ' ')
[ "$pairs" = "NEW TRADE outboundAccountPosition TRADE outboundAccountPosition TRADE outboundAccountPosition " ] \
    || fail "events in order: $pairs"
last=$(events | jq -c 'select(.e == "outboundAccountPosition")' | tail -n 1)
# Our own balances from 0: ed1 bought 0.1 at 100, rest1 1 at 90, 0.1% commission in USDT
[ "$(jq -r '[.B[] | "\(.a)=\(.f)"] | join(",")' <<<"$last")" = "BTC=1.10000000,USDT=-100.10000000" ] \
    || fail "the last position: $last"
pass "an executionReport NEW, then three TRADE events matching myTrades, each with its position"

# A cancel: c is the cancel's own id, C the order's
ed_order "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.5&price=120&newClientOrderId=rest2&timestamp=$(now_ms)"
expect 200
q="symbol=BTCUSDT&origClientOrderId=rest2&newClientOrderId=cx1&timestamp=$(now_ms)"
send DELETE /api/v3/order "$q&signature=$(urlenc "$(ed_sign "$q")")" ""
expect 200
wait_until 10 count_events '.e == "executionReport" and .x == "CANCELED"' 1
canceled=$(events | jq -r 'select(.x == "CANCELED") | [.c, .C, .X, .w] | @tsv')
[ "$canceled" = $'cx1\trest2\tCANCELED\tfalse' ] || fail "the CANCELED report: $canceled"
pass "a cancel's executionReport names the cancel (c) and the order (C)"

# --- 4. unsubscribe, /fakex/ws and /fakex/ws/events -----------------------------
ws 'send {"id":"unsub","method":"userDataStream.unsubscribe"}'
ws_answer unsub
count_events '.e == "eventStreamTerminated"' 1 || fail "no eventStreamTerminated before the answer"
[ "$(grep -n eventStreamTerminated "$OUT" | cut -d: -f1)" -lt \
  "$(grep -n '"id":"unsub"' "$OUT" | cut -d: -f1)" ] || fail "eventStreamTerminated came after the answer"
status=$(control GET /fakex/ws)
[ "$(jq -r '[.mode, .connections, .logons, .subscriptions, .events_sent] | @tsv' <<<"$status")" \
    = $'normal\t1\t1\t1\t10' ] || fail "GET /fakex/ws: $status"
sent=$(control GET /fakex/ws/events)
[ "$(jq length <<<"$sent")" = 10 ] || fail "GET /fakex/ws/events lists $(jq length <<<"$sent")"
[ "$(jq -r '.[0][1] | fromjson | .event.x' <<<"$sent")" = NEW ] || fail "events: $sent"
grep -q 'ws: executionReport E=[0-9]* sent at [0-9]* us' "$WORK/ws.log" \
    || fail "no executionReport send logged"
pass "unsubscribe ends the stream with eventStreamTerminated; counters and sent events"

# --- 5. stall: no pong; normal resumes -------------------------------------------------
control POST "/fakex/ws?mode=stall" > /dev/null
[ "$(jq -r .mode <<<"$(control GET /fakex/ws)")" = stall ] || fail "mode is not stall"
ws "ping stalled"
end=$(( $(date +%s%N) + 1000000000 ))
while [ "$(date +%s%N)" -lt "$end" ]; do
    ! grep -q '^pong stalled$' "$OUT" || fail "a pong came while stalled"
    sleep 0.05
done
control POST "/fakex/ws?mode=normal" > /dev/null
wait_until 5 grep -q '^pong stalled$' "$OUT"
pass "stall: no pong for 1 s; normal: the pong comes"

# --- 6. drop closes; down refuses with 503 and drops events; normal accepts -------
control POST "/fakex/ws?mode=drop" > /dev/null
wait_until 5 grep -q '^closed$' "$OUT"
ws_close
wait_until 5 test "$(jq -r .connections <<<"$(control GET /fakex/ws)")" = 0
[ "$(jq -r .mode <<<"$(control GET /fakex/ws)")" = normal ] || fail "drop did not go back to normal"
ws_open
control POST "/fakex/ws?mode=down" > /dev/null
wait_until 5 grep -q '^closed$' "$OUT"
ws_close
[ "$(python3 "$CLIENT" probe "$WS")" = 503 ] || fail "an upgrade while down was not refused with 503"
dropped=$(jq -r .events_dropped <<<"$(control GET /fakex/ws)")
ed_order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1&newClientOrderId=gap1&timestamp=$(now_ms)"
expect 200
[ "$(jq -r .events_dropped <<<"$(control GET /fakex/ws)")" -gt "$dropped" ] \
    || fail "events made while down were not counted dropped"
control POST "/fakex/ws?mode=normal" > /dev/null
[ "$(python3 "$CLIENT" probe "$WS")" = 101 ] || fail "normal did not accept upgrades again"
ws_open
ws 'send {"id":"p2","method":"ping"}'
ws_answer p2
! grep -q gap1 "$OUT" || fail "an event made while down was delivered later"
ws_close
pass "drop closes the connection; down refuses with 503 and loses its events; normal accepts"
