#!/usr/bin/env bash
# ep-tap --from-seq replays the journal through `query`, then follows live:
# while intents keep flowing, what it prints is every report exactly once,
# in seq order; --strategy keeps one strategy's reports and nothing else.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

gen () {  # gen STRATEGY FROM TO
    awk -v s="$1" -v a="$2" -v b="$3" 'BEGIN { for (i = a; i <= b; i++)
        printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%d\"}\n",
            s, i, s, (i % 2 ? "BUY" : "SELL"), 100 + i % 5 }'
}

# Before the tap starts: 2,000 reports already journaled.
{ gen alpha 1 1000; gen beta 1 1000; } | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > /dev/null
# The tap starts from seq 1 while another 4,000 intents stream in.
total=6000
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count $total --timeout 60 > "$WORK/tap.jsonl" 2>"$WORK/tap.log" &
tap=$!
"$BIN/ep-tap" --config "$READY" --from-seq 1 --strategy beta --count 3000 --timeout 60 > "$WORK/beta.jsonl" 2>"$WORK/tap-beta.log" &
tap_beta=$!
{ gen alpha 1001 3000; gen beta 1001 3000; } | "$BIN/ep-send" --config "$READY" --wait --timeout 60 > /dev/null
wait $tap || fail "ep-tap did not print $total reports"
wait $tap_beta || fail "ep-tap --strategy beta did not print 3000 reports"

jq -s -e --argjson n $total 'map(.seq) == [range(1; $n + 1)]' "$WORK/tap.jsonl" >/dev/null \
    || fail "ep-tap --from-seq 1 did not print seq 1..$total exactly once each, in order"
[ "$(jq -s 'map(select(.strategy_id != "beta")) | length' "$WORK/beta.jsonl")" = 0 ] \
    || fail "ep-tap --strategy beta printed another strategy's report"
expected=$(sql "SELECT group_concat(seq) FROM (SELECT seq FROM reports WHERE strategy_id = 'beta' ORDER BY seq) AS r")
got=$(jq -r -s 'map(.seq) | join(",")' "$WORK/beta.jsonl")
[ "$got" = "$expected" ] || fail "ep-tap --strategy beta differs from the journal's beta reports"
# The same reports, byte for byte in JSON, as a second replay of the journal.
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count $total --timeout 30 > "$WORK/again.jsonl"
cmp -s "$WORK/tap.jsonl" "$WORK/again.jsonl" || fail "live-followed and replayed reports differ"
pass "ep-tap --from-seq 1 across the replay/live boundary: $total reports, no gap, no duplicate"
