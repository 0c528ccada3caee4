#!/usr/bin/env bash
# With the user data stream up, a cancel of a resting order that filled in
# part (its trade told by the stream) ends the order once: CANCELED with
# the fill it had, its reason naming the cancel (the cancel's answer tells
# it, not the stream's CANCELED event, which comes first), and the cancel
# itself CANCELED. Then, with the fake venue's public key not the key's
# (every signature refused, -1022), the stream is refused at logon: the
# worker says why in /healthz, orders are followed by queries, and a new
# order is refused by the venue, explicitly.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
start_stream_stack "poll_ms = 100" "stream_poll_ms = 600000" \
                   "stream_ping_ms = 500" "stream_stall_ms = 3000" "metrics = 127.0.0.1:0"

echo '{"intent_id":"sc-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
wait_until 10 plane_reports_at_least 1
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
fakex_trade "$id" 0.5 > /dev/null
wait_until 10 plane_reports_at_least 2

echo '{"intent_id":"sc-2","strategy_id":"live","action":"CANCEL","target_intent_id":"sc-1"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/cancel.jsonl"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/cancel.jsonl")" = CANCELED ] \
    || fail "the cancel: $(cat "$WORK/cancel.jsonl")"
target_ended () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 2; }
wait_until 10 target_ended
replay_reports
jq -c 'select(.intent_id == "sc-1" and .terminal)' "$WORK/all.jsonl" > "$WORK/target.jsonl"
[ "$(wc -l < "$WORK/target.jsonl")" = 1 ] || fail "the order ended $(wc -l < "$WORK/target.jsonl") times"
[ "$(jq -r '"\(.status) \(.filled_qty)"' "$WORK/target.jsonl")" = "CANCELED 0.5" ] \
    || fail "the order's end: $(cat "$WORK/target.jsonl")"
jq -r .reason "$WORK/target.jsonl" | grep '^canceled by intent sc-2' > /dev/null \
    || fail "the order's end does not name the cancel: $(jq -r .reason "$WORK/target.jsonl")"
# The stream's CANCELED event, whenever it came, is in the audit under the order
wait_until 10 audit_has "SELECT 1 FROM observations WHERE client_order_id = '$id' AND text LIKE '%\"X\":\"CANCELED\"%'"
[ "$(fakex_requests "GET /api/v3/order")" = 0 ] || fail "status queries while the stream was up"

# A key the venue does not know: the stream is refused at logon, said so;
# a new order is refused by the venue, explicitly
kill -TERM "$LIVE_PID"; wait "$LIVE_PID" || fail "ep-live did not stop cleanly"
openssl genpkey -algorithm ed25519 -out "$WORK/other.pem" 2>/dev/null || fail "openssl genpkey failed"
{ printf 'api_key = %s\n' "$API_KEY"; cat "$WORK/other.pem"; } > "$WORK/venue.keys"
start_live
refused () { grep -q 'stream: not up: the venue refused to log on: HTTP status 400, code -1022' "$WORK/live.log"; }
wait_until 10 refused
METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/live.log" | tail -n 1)
# /healthz is refreshed every 250 ms
healthz_says_why () {
    curl -s "$METRICS/healthz" > "$WORK/healthz.json"
    jq -r .stream_problem "$WORK/healthz.json" | grep 'refused to log on' > /dev/null
}
wait_until 10 healthz_says_why
[ "$(jq -r .stream "$WORK/healthz.json")" = down ] || fail "healthz: $(cat "$WORK/healthz.json")"
echo '{"intent_id":"sc-3","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/refused.jsonl"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/refused.jsonl")" = "REJECTED VENUE_AUTH_FAILED" ] \
    || fail "an order signed with a key the venue does not know: $(cat "$WORK/refused.jsonl")"
jq -r 'select(.terminal) | .reason' "$WORK/refused.jsonl" | grep -- '-1022' > /dev/null \
    || fail "the refusal does not say -1022: $(cat "$WORK/refused.jsonl")"
check_journal_invariants
assert_no_secrets
grep -q -F -- "-----BEGIN" "$WORK/live.log" && fail "a private key is in the log"
pass "a cancel with the stream up ends the order once, naming the cancel; a key the venue does not know is refused at logon and on orders, and said so"
