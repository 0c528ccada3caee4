#!/usr/bin/env bash
# The live plane's definition names the digest of the venue's rules
# (`instruments = SHA-256` of its instrument table), against ep-fakex
# enforcing its exchangeInfo fixture, read every 10 s (the least
# live/rules_refresh_ms):
# - the definition approved at start is served: an intent fills;
# - the venue's rules change (BTCUSDT's tick size, POST /fakex/rules): at
#   the next read the worker says which digest changed and to what, and
#   presents the new definition; the plane is unavailable meanwhile: an
#   intent is REJECTED / PLANE_UNAVAILABLE naming the new definition, the
#   venue never sees it, and `ep-meta planes` lists it, pending;
# - once approved, the plane is served again under the new rules: an
#   intent fills, one off the new tick is refused naming it, and a buy that
#   rested across the change, filled at the venue while the plane waited,
#   is reported FILLED with its one fill;
# - a worker started again on the same rules presents the same definition,
#   which needs no approval again.
source "$(dirname "$0")/lib.sh"

cp "$(dirname "$0")/../fakex/exchange_info.json" "$WORK/exchange_info.json"
# One price (a path of one), so that a resting order fills only by POST
# /fakex/trade.
start_fakex --exchange-info "$WORK/exchange_info.json" --price-path 250.25 --path-step-ms 3600000
write_config
live_section "rules_refresh_ms = 10000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "definition follows the rules" > /dev/null

line () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"%s","tif":"%s","qty":"%s"%s,"ref_price":"250"}\n' \
        "$1" "$2" "$3" "$4" "${5:+,\"limit_price\":\"$5\"}"
}
terminal () { jq -r --arg id "$1" 'select(.intent_id == $id and .terminal) | "\(.status) \(.failure) \(.reason)"' "$WORK/out.jsonl"; }
send () {
    "$BIN/ep-send" --config "$READY" --file "$WORK/in.jsonl" --wait --timeout 30 > "$WORK/out.jsonl" 2> "$WORK/send.log" \
        || fail "ep-send --wait: $(cat "$WORK/send.log")"
}
definitions () { "$BIN/ep-meta" --config "$READY" --timeout 5 planes --plane live | jq -r "$1"; }
instruments_of () { definitions "select(.id == \"$1\") | .text" | sed -n 's/^instruments = //p'; }

# --- the definition approved at start -------------------------------------------------
first=$(definitions 'select(.approved) | .id')
[ "$(wc -w <<<"$first")" = 1 ] || fail "one live definition approved at start, not: $first"
digest=$(instruments_of "$first")
[[ $digest =~ ^[0-9a-f]{64}$ ]] || fail "the definition names no instruments digest: $(definitions .text)"
grep -q "3 symbol(s) in the venue's rules (instruments $digest), plane definition $first" "$WORK/live.log" \
    || fail "the worker did not log the definition it presented"
line before MARKET IOC 0.4 > "$WORK/in.jsonl"
send
[ "$(terminal before | cut -d' ' -f1-2)" = "FILLED FAILURE_NONE" ] || fail "before: $(terminal before)"
pass "the approved definition names the instruments digest and is served"
# A buy that rests at the venue across the change (its fill comes while the
# new definition waits for approval).
resting_buy rest-1 0.4

# --- the venue's rules change ----------------------------------------------------------
jq '(.symbols[] | select(.symbol == "BTCUSDT") | .filters[] | select(.filterType == "PRICE_FILTER") | .minPrice, .tickSize) = "0.10000000"' \
    "$(dirname "$0")/../fakex/exchange_info.json" > "$WORK/exchange_info.json.new" \
    || fail "cannot change the fixture's tick size"
mv "$WORK/exchange_info.json.new" "$WORK/exchange_info.json"
[ "$(curl -s -X POST "$FAKEX_CONTROL/fakex/rules" | jq -r .symbols)" = 3 ] \
    || fail "the fake venue did not read its rules again"
changed () { grep -q "the venue's rules changed (3 symbol(s)): instruments $digest is now [0-9a-f]\{64\}, so plane definition $first is now [0-9a-f]\{64\}" "$WORK/live.log"; }
wait_until 30 changed
second=$(sed -n "s/.*so plane definition $first is now \([0-9a-f]\{64\}\);.*/\1/p" "$WORK/live.log" | tail -n 1)
new_digest=$(sed -n "s/.*instruments $digest is now \([0-9a-f]\{64\}\),.*/\1/p" "$WORK/live.log" | tail -n 1)
[ -n "$second" ] && [ "$second" != "$first" ] && [ "$new_digest" != "$digest" ] \
    || fail "the new definition ($second) or digest ($new_digest) is not new"
wait_until 15 live_alive_is false
listed () { [ "$(instruments_of "$second")" = "$new_digest" ]; }
wait_until 10 listed
[ "$(definitions "select(.id == \"$second\") | .approved")" = false ] || fail "the new definition is approved already"
plane_pending LIVE | grep -qx "$second" || fail "ep-meta planes --pending does not list $second"
counts_before=$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')
line during MARKET IOC 0.4 > "$WORK/in.jsonl"
send
[[ $(terminal during) == "REJECTED PLANE_UNAVAILABLE no live worker is alive: live definition ${second:0:12} is not approved"* ]] \
    || fail "during: $(terminal during)"
[[ $(terminal during) == *"ep-meta approve $second "* ]] || fail "during's reason names no approval: $(terminal during)"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')" = "$counts_before" ] \
    || fail "the venue saw an intent while the new definition was not approved"
pass "the venue's rules changed: the new definition (instruments ${new_digest:0:12}) is presented and listed; meanwhile REJECTED / PLANE_UNAVAILABLE naming it"
# The market crosses the resting buy while the plane waits.
fakex_trade "$ORDER" 0.4 > /dev/null

# --- approved: served again under the new rules ----------------------------------------
approve_plane LIVE
wait_until "$STARTUP" live_alive_is true
{
    line after MARKET IOC 0.4
    line offtick LIMIT GTC 0.001 240.05
} > "$WORK/in.jsonl"
send
[ "$(terminal after | cut -d' ' -f1-2)" = "FILLED FAILURE_NONE" ] || fail "after: $(terminal after)"
[ "$(terminal offtick)" = "REJECTED INVALID_INTENT not sent: the venue's rules: PRICE_FILTER: price 240.05 is not a multiple of tickSize 0.1 (nothing is rounded)" ] \
    || fail "offtick: $(terminal offtick)"
wait_until 30 intent_ended rest-1
replay_reports
[ "$(jq -r 'select(.intent_id == "rest-1" and .terminal) | "\(.status) \(.filled_qty)"' "$WORK/all.jsonl")" = "FILLED 0.4" ] \
    || fail "the buy that rested across the change did not end FILLED 0.4: $(jq -c 'select(.intent_id == "rest-1")' "$WORK/all.jsonl")"
[ "$(jq -s '[.[] | select(.intent_id == "rest-1") | .fills[]] | length' "$WORK/all.jsonl")" = 1 ] \
    || fail "the buy that rested across the change was not reported with exactly one fill"
pass "approved: the plane is served again, under the new rules, and the fill of the buy that rested across the change is reported once"

# --- the same rules after a restart: the same definition ---------------------------------
kill -TERM "$LIVE_PID"
wait "$LIVE_PID" || fail "ep-live did not stop cleanly"
wait_until 10 live_alive_is false
start_live
[ "$(definitions .id | wc -l)" = 2 ] || fail "a restart on the same rules presented another definition: $(definitions .id)"
[ "$(grep -c "plane definition $second\$" "$WORK/live.log")" = 1 ] \
    || fail "the restarted worker did not present $second: $(grep 'plane definition' "$WORK/live.log")"
line restarted MARKET IOC 0.4 > "$WORK/in.jsonl"
send
[ "$(terminal restarted | cut -d' ' -f1-2)" = "FILLED FAILURE_NONE" ] || fail "restarted: $(terminal restarted)"
pass "started again on the same rules: the same definition, approved already"
check_journal_invariants
assert_no_secrets
