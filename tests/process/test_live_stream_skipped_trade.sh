#!/usr/bin/env bash
# A trade the user data stream skips while it stays up is never guessed:
# the fake venue stalls too briefly for the stall to be seen, and a trade
# made meanwhile reaches no one. The next trade's executionReport says
# more executed than was told and more than its own trade: that is a gap,
# a "stream-gap" event in the journal and a "gap" observation in the
# audit, and the order is queried at once (no poll would come in time).
# The query tells both trades, each with its fee, in one report; the next
# trade comes from the stream again; each fill is told once.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
start_stream_stack "poll_ms = 600000" "stream_poll_ms = 600000" \
                   "stream_ping_ms = 500" "stream_stall_ms = 60000"

resting_buy skip-1 3
id=$ORDER

# Trade 1 while the stream is stalled: its events are dropped
fakex_ws_mode stall
fakex_trade "$id" 1 > "$WORK/trade-1.json"
fakex_ws_mode normal
# Trade 2 on the same connection: z says 2, its own trade 1, 0 was told
fakex_trade "$id" 1 > "$WORK/trade-2.json"
wait_until 10 stream_events_at_least stream-gap 1
sql "SELECT detail FROM events WHERE kind = 'stream-gap'" > "$WORK/gap.txt"
grep -q "^order $id: the stream says 2 executed, 0 was told and its trade does not make up the rest: queried\$" \
    "$WORK/gap.txt" || fail "the gap: $(cat "$WORK/gap.txt")"
audit_has "SELECT 1 FROM observations WHERE kind = 'gap' AND text LIKE 'order $id:%'" \
    || fail "the gap is not in the audit"
wait_until 10 plane_reports_at_least 2
[ "$(fakex_requests "GET /api/v3/order")" -ge 1 ] || fail "the skipped trade was not asked about"
# Trade 3, from the stream
fakex_trade "$id" 1 > "$WORK/trade-3.json"
wait_until 10 plane_reports_at_least 3

replay_reports
[ "$(jq -r 'select(.status != "ACCEPTED") | "\(.status) \(.filled_qty) \(.fills | length)"' "$WORK/all.jsonl" | paste -sd,)" \
    = "PARTIALLY_FILLED 2 2,FILLED 3 1" ] || fail "reports: $(jq -c . "$WORK/all.jsonl")"
jq -r 'select(.status == "PARTIALLY_FILLED") | .reason' "$WORK/all.jsonl" > "$WORK/reason.txt"
grep -q '^stream: ' "$WORK/reason.txt" && fail "the gap was told by the stream: $(cat "$WORK/reason.txt")"
jq -r 'select(.status == "FILLED") | .reason' "$WORK/all.jsonl" | grep '^stream: ' > /dev/null \
    || fail "the last trade was not the stream's"
jq -s -c '[.[] | .first_fill as $first | .fills | to_entries[] | {n: ($first + .key), fill: .value}]
          | unique_by(.n) | map(.fill)' "$WORK/all.jsonl" > "$WORK/fills.json"
[ "$(jq '[.[].fill_id] | unique | length' "$WORK/fills.json")" = 3 ] || fail "fills: $(cat "$WORK/fills.json")"
for n in 1 2 3; do
    want=$(jq -c --arg id "$id" '{fill_id: "\($id).\(.id)", fee: (.commission | tonumber), fee_asset: .commissionAsset}' \
           "$WORK/trade-$n.json")
    jq -e --argjson want "$want" 'map({fill_id, fee: (.fee | tonumber), fee_asset}) | index([$want]) != null' \
        "$WORK/fills.json" > /dev/null || fail "trade $n ($want) is not among the fills: $(cat "$WORK/fills.json")"
done
[ "$(stream_events stream-down)" = 0 ] || fail "the stream went down: the gap was not seen on a live stream"
check_journal_invariants
assert_no_secrets
pass "a trade the stream skipped: a stream-gap event and audit observation, its order queried, both trades told once with their fees"
