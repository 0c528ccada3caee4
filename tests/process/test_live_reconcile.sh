#!/usr/bin/env bash
# ep-meta reconcile on an UNKNOWN intent the venue did place: an explicit
# report marked reconciled, with the fills, journaled and published; the
# venue still received one order request. Reconciled a second time, it
# reports the same state with no fill repeated. Reconcile refuses what it cannot
# do: an unknown intent, a paper intent.
source "$(dirname "$0")/lib.sh"

start_fakex --fault hang
write_config
live_section "timeout_ms = 1000" "connect_timeout_ms = 500"
start_router
start_paper
start_live
"$BIN/ep-send" --config "$READY" --wait --timeout 30 > /dev/null <<'EOT'
{"intent_id":"p-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"250"}
EOT
"$BIN/ep-meta" --config "$READY" select live --reason "reconcile test" > /dev/null

echo '{"intent_id":"u-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out.jsonl"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/out.jsonl")" = "UNKNOWN SEND_UNKNOWN" ] \
    || fail "the hung submission did not end UNKNOWN"
fakex_fault none
"$BIN/ep-meta" --config "$READY" reconcile u-1 --strategy live --reason "venue hung" \
    > "$WORK/reconciled.json" 2> "$WORK/meta.log" || fail "ep-meta reconcile failed: $(cat "$WORK/meta.log")"
jq -e '.reconciled and .status == "FILLED" and .filled_qty == "0.4" and .avg_price == "250.25"
       and (.fills | length) == 1 and .fills[0].qty == "0.4" and (.terminal | not)
       and (.reason | startswith("reconciled:"))' "$WORK/reconciled.json" > /dev/null \
    || fail "the reconciled report: $(cat "$WORK/reconciled.json")"
id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") order requests"
# The reconciliation's status query, audited (the trades of what it found
# filled are asked for under the reconciliation too)
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 4 AND path = '/api/v3/order'")" = 1 ] \
    || fail "the reconciliation is not audited"
[ "$(sql "SELECT COUNT(*) FROM commands WHERE kind = 4 AND applied = 1")" = 1 ] \
    || fail "the reconcile command is not journaled as applied"
[ "$(sql "SELECT COUNT(*) FROM reports r JOIN intents i ON i.router_seq = r.router_seq
          WHERE i.intent_id = 'u-1' AND r.terminal = 1")" = 1 ] || fail "u-1 has more than one terminal report"
# Reconciled again: the router passes on the fills it has, so the venue's
# unchanged answer brings no new fill (a fill is never reported twice).
"$BIN/ep-meta" --config "$READY" reconcile u-1 --strategy live --reason "again" \
    > "$WORK/reconciled-again.json" 2> "$WORK/meta.log" || fail "the second reconcile failed: $(cat "$WORK/meta.log")"
jq -e '.reconciled and .status == "FILLED" and .filled_qty == "0.4" and .avg_price == "250.25"
       and (.fills | length) == 0' "$WORK/reconciled-again.json" > /dev/null \
    || fail "the second reconciliation repeated a fill: $(cat "$WORK/reconciled-again.json")"

# An order the venue never placed (503, not placed): right after the attempt
# its absence is no proof; the reconciled report stays UNKNOWN and says when
# it becomes conclusive.
fakex_fault http-503
echo '{"intent_id":"u-2","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out2.jsonl"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/out2.jsonl")" = UNKNOWN ] || fail "a 503 did not end UNKNOWN"
fakex_fault none
"$BIN/ep-meta" --config "$READY" reconcile u-2 > "$WORK/reconciled2.json" 2> "$WORK/meta2.log" \
    || fail "ep-meta reconcile u-2 failed: $(cat "$WORK/meta2.log")"
jq -e '.reconciled and .status == "UNKNOWN" and .failure == "SEND_UNKNOWN"
       and (.reason | test("not conclusive before [0-9T:-]+Z"))' "$WORK/reconciled2.json" > /dev/null \
    || fail "a fresh not-found must stay UNKNOWN and say when it is conclusive: $(cat "$WORK/reconciled2.json")"

rc=0; "$BIN/ep-meta" --config "$READY" reconcile nope-1 --timeout 5 2> "$WORK/err.log" || rc=$?
[ $rc = 1 ] && grep -q "no intent nope-1" "$WORK/err.log" || fail "reconcile of an unknown intent: rc $rc, $(cat "$WORK/err.log")"
rc=0; "$BIN/ep-meta" --config "$READY" reconcile p-1 --timeout 5 2> "$WORK/err.log" || rc=$?
[ $rc = 1 ] && grep -q "not dispatched to the live plane" "$WORK/err.log" || fail "reconcile of a paper intent: rc $rc"
check_journal_invariants
assert_no_secrets
pass "UNKNOWN intent reconciled: FILLED 0.4 at 250.25 reported as reconciled; one order request; refusals explicit"
