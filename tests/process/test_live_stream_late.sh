#!/usr/bin/env bash
# No fill is told twice whichever path saw it first: the user data stream
# lags (the fake venue holds its events), a status query tells the trade
# with its fee, then the stream's late executionReport of that same trade
# comes: it is written to the audit and told to no one. The next trade is
# told once too, by whichever path sees it first.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
# The safety query every second, so that it sees the held trade first
start_stream_stack "poll_ms = 600000" "stream_poll_ms = 1000" \
                   "stream_ping_ms = 500" "stream_stall_ms = 60000"

resting_buy late-1 2
id=$ORDER

fakex_ws_mode late
fakex_trade "$id" 1 > "$WORK/trade-1.json"
wait_until 10 plane_reports_at_least 2
fakex_ws_mode normal
trade=$(jq -r .id "$WORK/trade-1.json")
wait_until 10 audit_has "SELECT 1 FROM observations WHERE kind = 'event' AND client_order_id = '$id'
                         AND text LIKE '%\"x\":\"TRADE\"%' AND text LIKE '%\"t\":$trade,%'"
# The next trade: its report comes after the late frame was read
fakex_trade "$id" 1 > "$WORK/trade-2.json"
wait_until 10 plane_reports_at_least 3

replay_reports
[ "$(jq -r 'select(.status != "ACCEPTED") | "\(.status) \(.filled_qty)"' "$WORK/all.jsonl" | paste -sd,)" \
    = "PARTIALLY_FILLED 1,FILLED 2" ] || fail "reports: $(jq -c . "$WORK/all.jsonl")"
jq -r 'select(.status == "PARTIALLY_FILLED") | .reason' "$WORK/all.jsonl" > "$WORK/reason.txt"
grep -q '^stream: ' "$WORK/reason.txt" && fail "the held trade was told by the stream: $(cat "$WORK/reason.txt")"
[ "$(plane_reports)" = 3 ] || fail "$(plane_reports) reports from the plane, not 3"
jq -s -c '[.[] | .first_fill as $first | .fills | to_entries[] | {n: ($first + .key), id: .value.fill_id}]
          | unique_by(.n) | map(.id)' "$WORK/all.jsonl" > "$WORK/fills.json"
[ "$(jq -c . "$WORK/fills.json")" = "[\"$id.$trade\",\"$id.$(jq -r .id "$WORK/trade-2.json")\"]" ] \
    || fail "fills: $(cat "$WORK/fills.json")"
check_journal_invariants
assert_no_secrets
pass "a trade told by a query is not told again by the stream's late report of it; each fill once"
