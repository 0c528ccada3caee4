#!/usr/bin/env bash
# With the paper and the live worker both up, the meta layer switches the
# plane back and forth between batches: every intent is realized by exactly
# one plane: the paper reports plus the venue's order requests equal the
# intents, and no intent reached both.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section
start_router
start_paper
start_live

batch () {  # batch NAME COUNT
    awk -v b="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
        printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"sw\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"0.1\",\"ref_price\":\"250\"}\n",
            b, i, (i % 2 ? "BUY" : "SELL") }' \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 60 >> "$WORK/out.jsonl"
}
batch a 40
"$BIN/ep-meta" --config "$READY" select live --reason "switch 1" > /dev/null
batch b 40
"$BIN/ep-meta" --config "$READY" select paper --reason "switch 2" > /dev/null
batch c 40
"$BIN/ep-meta" --config "$READY" select live --reason "switch 3" > /dev/null
batch d 40

total=160
[ "$(jq -s 'map(select(.terminal and .status == "FILLED")) | length' "$WORK/out.jsonl")" = $total ] \
    || fail "not every intent was FILLED"
paper=$(sql "SELECT COUNT(DISTINCT router_seq) FROM reports WHERE origin = 1 AND plane = 1")
venue=$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq '[.[]] | add // 0')
[ $((paper + venue)) = $total ] || fail "paper realized $paper, the venue received $venue: not $total"
[ "$paper" = 80 ] && [ "$venue" = 80 ] || fail "expected 80 and 80, got $paper and $venue"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq '[.[] | select(. > 1)] | length')" = 0 ] \
    || fail "an order was sent to the venue twice"
for b in a c; do
    [ "$(jq -s --arg b "$b-" 'map(select(.terminal and (.intent_id | startswith($b)) and .plane != "PAPER")) | length' "$WORK/out.jsonl")" = 0 ] \
        || fail "batch $b left the paper plane"
done
for b in b d; do
    [ "$(jq -s --arg b "$b-" 'map(select(.terminal and (.intent_id | startswith($b)) and .plane != "LIVE")) | length' "$WORK/out.jsonl")" = 0 ] \
        || fail "batch $b left the live plane"
done
check_journal_invariants
pass "$total intents across three switches: $paper on paper, $venue at the venue, none on both"
