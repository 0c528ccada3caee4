#!/usr/bin/env bash
# A REPLACE that only lowers the quantity is the venue's keep-priority
# amend: the same venue order stays, renamed, and keeps what it executed.
# When the target filled in part at the venue after the plane's last look
# and before the amend (the chaos soak's race), that part is the target's
# only: the target ends CANCELED with exactly it, and the replacement
# counts from the amend in every report (its filled_qty the sum of its own
# fills, only the trades after the amend), through status queries after a
# restart of ep-live (the base survives in the audit), a cancel of the
# replacement, and a reconciliation after its end. Over both intents the
# fills add up to what the venue executed.
#
# Deterministic: the fake venue holds resting orders (--hold: a status
# query fills nothing) and trades only on POST /fakex/trade; the plane
# polls once an hour and has no stream (HMAC keys), so it learns of the
# pre-amend trade only from the amend's answer, and of later trades only
# when a restart (an order restored is queried at once) or a cancel asks.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
write_config
live_section "poll_ms = 3600000" "timeout_ms = 5000" "connect_timeout_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "amend race test" > /dev/null

# rest ID QTY: a LIMIT BUY of QTY at 200.5, resting; returns once ACCEPTED.
rest () {
    echo '{"intent_id":"'"$1"'","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"'"$2"'","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send $1"
    wait_until 10 status_report "$1" 1
}
# replace ID TARGET QTY: a REPLACE of TARGET at the same price, QTY lower: an amend.
replace () {
    echo '{"action":"REPLACE","intent_id":"'"$1"'","strategy_id":"live","target_intent_id":"'"$2"'","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"'"$3"'","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" >> "$WORK/send.log" 2>&1 || fail "ep-send $1"
}
# client_id ID: the client order id the plane placed ID's order under.
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind IN (1, 5) AND intent_id = '$1'"; }
# reports ID: every report on ID, through ep-tap, one JSON object a line.
reports () {
    replay_reports
    jq -c --arg id "$1" 'select(.intent_id == $id)' "$WORK/all.jsonl"
}
e8 () { jq -n --arg v "$1" '$v | tonumber * 100000000 | round'; }
# check_sums ID: in every report on ID, filled_qty is the sum of ID's fills
# so far (each fill id counted once); prints that last sum.
check_sums () {
    reports "$1" > "$WORK/$1.reports"
    jq -s -r 'reduce .[] as $r ({seen: {}, sum: 0, bad: []};
                 reduce ($r.fills[]?) as $f (.;
                     if .seen[$f.fill_id] then . else .seen[$f.fill_id] = true
                        | .sum += ($f.qty | tonumber * 100000000 | round) end)
                 | if ($r.filled_qty | tonumber * 100000000 | round) != .sum
                   then .bad += ["\($r.status) \($r.filled_qty) with fills of \(.sum)"] else . end)
              | if (.bad | length) > 0 then "BAD " + (.bad | join("; ")) else .sum end' \
        "$WORK/$1.reports" > "$WORK/$1.sums"
    grep -q '^BAD' "$WORK/$1.sums" && fail "$1: filled_qty is not the sum of its fills: $(cat "$WORK/$1.sums"): $(cat "$WORK/$1.reports")"
    cat "$WORK/$1.sums"
}
# restart_live: ep-live stops on SIGTERM (exit 0) and starts again.
restart_live () {
    kill -TERM "$LIVE_PID"
    local rc=0
    wait "$LIVE_PID" || rc=$?
    [ $rc = 0 ] || fail "ep-live exited $rc on SIGTERM"
    wait_until 15 live_alive_is false
    start_live
}
amends_of () { audit "SELECT count(*) FROM attempts WHERE kind = 5 AND intent_id = '$1' AND method = 'PUT' AND path = '/api/v3/order/amend/keepPriority'"; }

# --- the race: 0.7 of a1 fills after the plane's last look, then a2 amends it ---
rest a1 2
fakex_trade "$(client_id a1)" 0.7 > "$WORK/trade-a1.json"
replace a2 a1 1.5
wait_until 15 intent_ended a1
wait_until 15 plane_reported a2
[ "$(amends_of a2)" = 1 ] || fail "a2 was not one amend: $(audit "SELECT method, path FROM attempts WHERE kind = 5")"
target=$(reports a1 | jq -c 'select(.terminal)')
jq -e '.status == "CANCELED" and .filled_qty == "0.7" and ([.fills[].qty | tonumber] | add) == 0.7
       and (.reason | test("replaced by intent a2 \\(venue AMENDED\\)"))' <<<"$target" > /dev/null \
    || fail "the amended target ended $target"
[ "$(check_sums a2)" = 0 ] || fail "a2 counts what executed before the amend: $(cat "$WORK/a2.reports")"
jq -e -s 'all(.status == "ACCEPTED" and .filled_qty == "0")' "$WORK/a2.reports" > /dev/null \
    || fail "a2 after the amend: $(cat "$WORK/a2.reports")"
a2=$(client_id a2)
[ "$(audit "SELECT base_qty_e8 || ' ' || executed_qty_e8 FROM orders WHERE client_order_id = '$a2'")" = "70000000 0" ] \
    || fail "the audit does not follow a2 from its base: $(audit "SELECT * FROM orders")"
pass "a1 filled 0.7 unseen, then amended into a2: a1 ends CANCELED with 0.7, a2 rests ACCEPTED with 0"

# --- a restart while a2 rests: its base survives, its trades count from it ------
fakex_trade "$a2" 0.5 > "$WORK/trade-a2-1.json"
restart_live
wait_until 15 status_report a2 2
[ "$(check_sums a2)" = "$(e8 0.5)" ] || fail "a2 after the restart: $(cat "$WORK/a2.reports")"
jq -e -s --arg id "$a2.$(jq -r .id "$WORK/trade-a2-1.json")" \
    '[.[].fills[]] | length == 1 and .[0].fill_id == $id' "$WORK/a2.reports" > /dev/null \
    || fail "a2's fill is not the trade after the amend: $(cat "$WORK/a2.reports")"
fakex_trade "$a2" 0.3 > "$WORK/trade-a2-2.json"
restart_live
wait_until 15 intent_ended a2
[ "$(check_sums a2)" = "$(e8 0.8)" ] || fail "a2 at its end: $(cat "$WORK/a2.reports")"
last=$(jq -c 'select(.terminal)' "$WORK/a2.reports")
jq -e '.status == "FILLED" and .filled_qty == "0.8" and (.reason | test("0.7 of venue order [0-9]+ executed under the order it amends"))' \
    <<<"$last" > /dev/null || fail "a2 ended $last"
[ "$(audit "SELECT count(*) FROM orders")" = 0 ] || fail "a filled order is still followed"
pass "restarts while a2 rests: its base survives; it ends FILLED 0.8, the trades after the amend only"

# --- over both intents: what the venue executed, once -----------------------------
both=$(jq -n --argjson a "$(check_sums a1)" --argjson b "$(check_sums a2)" '$a + $b')
[ "$both" = "$(e8 1.5)" ] || fail "a1 and a2 add up to $both e-8, the venue executed 1.5"
jq -e -s '[.[].fills[].fill_id] | length == (unique | length)' "$WORK/all.jsonl" > /dev/null \
    || fail "a fill id repeats"
[ "$(amends_of a2)" = 1 ] || fail "the audit shows $(amends_of a2) amends"
pass "a1 0.7 + a2 0.8 = the venue's 1.5, one amend in the audit"

# --- a reconciliation after a2's end counts from the base too --------------------
"$BIN/ep-meta" --config "$READY" reconcile a2 --strategy live --reason "amend base" \
    > "$WORK/reconciled.json" 2> "$WORK/meta.log" || fail "ep-meta reconcile a2: $(cat "$WORK/meta.log")"
jq -e '.reconciled and .status == "FILLED" and .filled_qty == "0.8" and (.fills | length) == 0' \
    "$WORK/reconciled.json" > /dev/null || fail "a2 reconciled: $(cat "$WORK/reconciled.json")"
pass "a2 reconciled after its end: FILLED 0.8, no fill again"

# --- the replacement canceled later: its cancel counts from the amend ------------
rest b1 2
fakex_trade "$(client_id b1)" 0.4 > /dev/null
replace b2 b1 1.2
wait_until 15 intent_ended b1
wait_until 15 plane_reported b2
[ "$(amends_of b2)" = 1 ] || fail "b2 was not one amend"
jq -e -s 'map(select(.terminal)) | .[0] | .status == "CANCELED" and .filled_qty == "0.4"' \
    <<<"$(reports b1)" > /dev/null || fail "b1 ended $(reports b1)"
fakex_trade "$(client_id b2)" 0.3 > /dev/null
echo '{"action":"CANCEL","intent_id":"cb2","strategy_id":"live","target_intent_id":"b2"}' > "$WORK/cb2.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/cb2.jsonl" > "$WORK/cb2.out" 2>> "$WORK/send.log" \
    || fail "ep-send --wait cb2"
jq -e 'select(.terminal) | .status == "CANCELED"' "$WORK/cb2.out" > /dev/null || fail "cb2: $(cat "$WORK/cb2.out")"
wait_until 15 intent_ended b2
[ "$(check_sums b2)" = "$(e8 0.3)" ] || fail "b2 at its cancel: $(cat "$WORK/b2.reports")"
last=$(jq -c 'select(.terminal)' "$WORK/b2.reports")
jq -e '.status == "CANCELED" and .filled_qty == "0.3" and (.reason | test("canceled by intent cb2"))' \
    <<<"$last" > /dev/null || fail "b2 ended $last"
both=$(jq -n --argjson a "$(check_sums b1)" --argjson b "$(check_sums b2)" '$a + $b')
[ "$both" = "$(e8 0.7)" ] || fail "b1 and b2 add up to $both e-8, the venue executed 0.7"
pass "b2, amended from b1 after 0.4 filled unseen, filled 0.3 and was canceled: it ends CANCELED 0.3"

check_journal_invariants
assert_no_secrets
