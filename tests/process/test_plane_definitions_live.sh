#!/usr/bin/env bash
# No execution environment is used before it is defined, documented and
# approved, on the live plane:
# - a live worker on a definition not approved is never adopted and never
#   receives a dispatch: the fake venue is sent no order at all;
# - its definition names the venue, the base URL and the account (the key's
#   fingerprint, never the key);
# - approved, it trades; revoked, it takes no new order at once, while the
#   order resting on it is still followed to its end;
# - the same worker restarted with another base_url presents another
#   definition, which needs its own approval.
source "$(dirname "$0")/lib.sh"

start_fakex --price-path 250.25 --path-step-ms 3600000
write_config
live_section "poll_ms = 200"
start_router
launch_live
pending () { [ -n "$("$BIN/ep-meta" --config "$READY" planes --pending --plane LIVE)" ]; }
wait_until 10 pending
id=$("$BIN/ep-meta" --config "$READY" planes --pending --plane LIVE | jq -r .id)
"$BIN/ep-meta" --config "$READY" planes --plane LIVE | jq -r .text > "$WORK/text"
grep -q "^base_url = $FAKEX_URL\$" "$WORK/text" || fail "no base_url in: $(cat "$WORK/text")"
account=$(printf '%s' "$API_KEY" | sha256sum | cut -c1-16)
grep -q "^account = $account\$" "$WORK/text" || fail "no account fingerprint in: $(cat "$WORK/text")"
grep -q -F "$API_KEY" "$WORK/text" && fail "the key is in the definition"

# Not approved: never adopted, nothing dispatched, nothing sent
"$BIN/ep-meta" --config "$READY" select live --reason "definitions test" > /dev/null
send_market () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"250"}\n' "$1" \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/$1.jsonl" || true
}
send_market l-1
[ "$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/l-1.jsonl")" = "REJECTED PLANE_UNAVAILABLE" ] \
    || fail "l-1: $(cat "$WORK/l-1.jsonl")"
jq -r .reason "$WORK/l-1.jsonl" | grep -q "live definition ${id:0:12} is not approved" \
    || fail "l-1 does not say why: $(jq -r .reason "$WORK/l-1.jsonl")"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq length)" = 0 ] \
    || fail "the venue was sent orders: $(curl -s "$FAKEX_CONTROL/fakex/counts")"
[ "$(plane_field live_alive)" = false ] || fail "the live worker was adopted"

# Approved: it trades; an order rests at the venue
"$BIN/ep-meta" --config "$READY" approve "$id" --reason "the fake venue, checked" > /dev/null \
    || fail "approval refused"
wait_until 20 live_alive_is true
printf '{"intent_id":"l-2","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}\n' \
    | "$BIN/ep-send" --config "$READY" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 1; }
wait_until 10 accepted

# Revoked: no new order, at once; the resting one is still followed
"$BIN/ep-meta" --config "$READY" revoke "$id" --reason "wrong account" > /dev/null || fail "revoke refused"
send_market l-3
[ "$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/l-3.jsonl")" = "REJECTED PLANE_UNAVAILABLE" ] \
    || fail "l-3 after the revocation: $(cat "$WORK/l-3.jsonl")"
jq -r .reason "$WORK/l-3.jsonl" | grep -q "is revoked (by .*: wrong account)" \
    || fail "l-3 does not say why: $(jq -r .reason "$WORK/l-3.jsonl")"
l2=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = 'l-2'")
fakex_trade "$l2" 2 > /dev/null
filled () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3 AND origin = 1" 1; }
wait_until 10 filled
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq length)" = 1 ] \
    || fail "orders sent: $(curl -s "$FAKEX_CONTROL/fakex/counts")"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$(sql "SELECT COUNT(*) FROM reports")" --timeout 10 \
    > "$WORK/all.jsonl" || fail "ep-tap could not replay the reports"
[ "$(jq -r 'select(.intent_id == "l-2" and .terminal) | "\(.status) \(.plane_definition)"' "$WORK/all.jsonl")" = "FILLED $id" ] \
    || fail "l-2: $(jq -c 'select(.intent_id == "l-2")' "$WORK/all.jsonl")"

# Another base URL (the same venue, by another name) is another environment
kill -TERM "$LIVE_PID"; wait "$LIVE_PID" || fail "ep-live did not stop cleanly"
wait_until 10 live_alive_is false
other_url=${FAKEX_URL/127.0.0.1/localhost}
sed "s|^\( *base_url = \).*|\1$other_url|" "$READY" > "$WORK/other.zpl"
"$BIN/ep-live" --config "$WORK/other.zpl" >> "$WORK/live.log" 2>&1 &
LIVE_PID=$!
PIDS+=("$LIVE_PID")
wait_until 10 pending
other=$("$BIN/ep-meta" --config "$READY" planes --pending --plane LIVE | jq -r .id)
[ "$other" != "$id" ] || fail "another base_url gave the same definition"
"$BIN/ep-meta" --config "$READY" planes --plane LIVE | jq -r --arg id "$other" 'select(.id == $id) | .text' \
    | grep -q "^base_url = $other_url\$" || fail "the new definition does not name its base URL"
[ "$(plane_field live_alive)" = false ] || fail "the worker on the new definition was adopted"
send_market l-4
jq -r 'select(.terminal) | .reason' "$WORK/l-4.jsonl" | grep -q "live definition ${other:0:12} is not approved" \
    || fail "l-4 under the new definition: $(cat "$WORK/l-4.jsonl")"
"$BIN/ep-meta" --config "$READY" approve "$other" --reason "the same fake venue" > /dev/null \
    || fail "approval of the new definition refused"
wait_until 20 live_alive_is true
check_journal_invariants
assert_no_secrets
pass "live: never dispatched to before approval; revoked, no new order while the resting one ends FILLED; another base_url needs its own approval"
