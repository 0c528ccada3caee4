#!/usr/bin/env bash
# Orphans: an order open at the venue with this product's client order id
# prefix that the live plane's audit never placed (here placed straight at
# ep-fakex, as a run whose audit was lost would have left it). At start
# and on `ep-meta reconcile --open`, ep-live compares the venue's open
# orders with its audit: the orphan is journaled as an event `orphan`
# naming it, counted in the plane state (`orphans_found`, `last_orphan`),
# logged as an ERROR, and neither canceled nor adopted; the order the
# plane placed itself is not an orphan.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
write_config
live_section "poll_ms = 200" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router

# The orphan: a resting LIMIT BUY with an id of this product's shape
ORPHAN=epOrphan0123456789abcdefghijklmnop
[ ${#ORPHAN} = 34 ] || fail "the orphan's id is not 34 characters"
params="symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=100&newClientOrderId=$ORPHAN&newOrderRespType=FULL&timestamp=$(date +%s%3N)"
signature=$("$BIN/ep-fakex" --sign "$params" --api-secret "$API_SECRET")
code=$(curl -s -o "$WORK/orphan.json" -w '%{http_code}' -X POST -H "X-MBX-APIKEY: $API_KEY" \
       --data "$params&signature=$signature" "$FAKEX_URL/api/v3/order")
[ "$code" = 200 ] || fail "the orphan was not placed: $code $(cat "$WORK/orphan.json")"

orphan_events () { sql "SELECT count(*) FROM events WHERE kind = 'orphan' AND detail LIKE '$ORPHAN %'"; }
orphan_events_are () { [ "$(orphan_events)" = "$1" ]; }

# --- at start ------------------------------------------------------------------------
start_live
wait_until 10 orphan_events_are 1
grep -q "ERROR live: open orders: $ORPHAN (BTCUSDT BUY, venue order .*) is open at the venue and this plane's audit never placed it" \
    "$WORK/live.log" || fail "ep-live did not log the orphan"
[ "$(sql "SELECT detail FROM events WHERE kind = 'open-orders-swept' ORDER BY id LIMIT 1")" = "1 orphan(s)" ] \
    || fail "the sweep at start: $(sql "SELECT detail FROM events WHERE kind = 'open-orders-swept'")"
pass "at start: the orphan is journaled, logged and told"

# --- on request, beside an order the plane placed itself ----------------------------------
"$BIN/ep-meta" --config "$READY" select live --reason "orphans" > /dev/null
echo '{"intent_id":"mine","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" > /dev/null || fail "ep-send mine"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'mine' AND r.status = 1" 1
"$BIN/ep-meta" --config "$READY" --timeout 10 reconcile --open > "$WORK/sweep.json" 2> "$WORK/meta.log" \
    || fail "ep-meta reconcile --open exited $?: $(cat "$WORK/meta.log")"
jq -e '.last_command_applied and (.last_command_outcome | test("SWEEP_OPEN"))' "$WORK/sweep.json" > /dev/null \
    || fail "ep-meta reconcile --open printed $(cat "$WORK/sweep.json")"
wait_until 10 orphan_events_are 2
mine=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = 'mine'")
[ -n "$mine" ] || fail "the plane's own order was not submitted"
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'orphan' AND detail LIKE '$mine %'")" = 0 ] \
    || fail "the plane's own order was taken for an orphan"
state_has_orphans () {
    "$BIN/ep-meta" --config "$READY" --timeout 5 status \
        | jq -e --arg id "$ORPHAN" '.orphans_found >= 2 and (.last_orphan | startswith($id + " BTCUSDT BUY 1"))' > /dev/null
}
wait_until 10 state_has_orphans
pass "on ep-meta reconcile --open: the orphan again, in the plane state; the plane's own order is not one"

# --- never canceled nor adopted -------------------------------------------------------------
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq 'length')" = 0 ] || fail "something was canceled"
# The kill switch cancels what the plane placed, and only that
"$BIN/ep-meta" --config "$READY" --timeout 10 halt --cancel-open --reason "end" > /dev/null 2>> "$WORK/meta.log" \
    || fail "ep-meta halt --cancel-open: $(cat "$WORK/meta.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'mine' AND r.terminal = 1" 1
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -c --arg id "$ORPHAN" '[has($id), length]')" = "[false,1]" ] \
    || fail "the kill switch's cancels: $(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel")"
[ "$(audit "SELECT count(*) FROM attempts WHERE client_order_id = '$ORPHAN'")" = 0 ] \
    || fail "the live plane sent a request about the orphan"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE '%$ORPHAN%'")" = 0 ] || fail "the orphan was adopted"
check_journal_invariants
assert_no_secrets
pass "the orphan is neither canceled nor adopted"
