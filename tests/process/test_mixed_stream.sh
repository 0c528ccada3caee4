#!/usr/bin/env bash
# 10,000 mixed valid and invalid intents from two strategies: every intent
# gets exactly one terminal report, seq runs 1..N without a gap, and each
# intent's reports keep their order.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# gen STRATEGY: 5,000 intents, about one in five invalid or duplicate.
gen () {
    awk -v s="$1" 'BEGIN {
        srand(7);
        for (i = 1; i <= 5000; i++) {
            id = s "-" i; k = i % 10;
            side = (i % 2) ? "BUY" : "SELL";
            ref = 100 + (i % 7);
            if (k == 0)      printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"0\",\"ref_price\":\"%d\"}\n", id, s, side, ref;
            else if (k == 1) printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1\",\"ref_price\":\"%d\"}\n", id, s, side, ref;
            else if (k == 2) printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%d\"}\n", s "-" (i - 1), s, side, ref;
            else if (k == 3) printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"2\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", id, s, side, ref - 3 + 6 * (i % 2 == 0), ref;
            else if (k == 4) printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"ETHUSDT\",\"side\":\"%s\",\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1.5\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", id, s, side, ref, ref;
            else             printf "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"tif\":\"FOK\",\"qty\":\"0.25\",\"ref_price\":\"%d\"}\n", id, s, side, ref;
        }
    }'
}
# Resting GTC orders stay in flight until crossed: each stream ends with a
# sweep that crosses every resting BUY (low ref) and SELL (high ref).
sweep () {
    printf '{"intent_id":"%s-sweep-lo","strategy_id":"%s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"1"}\n' "$1" "$1"
    printf '{"intent_id":"%s-sweep-hi","strategy_id":"%s","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"1000"}\n' "$1" "$1"
}
{ gen alpha; sweep alpha; } > "$WORK/alpha.jsonl"
{ gen beta; sweep beta; } > "$WORK/beta.jsonl"

"$BIN/ep-send" --config "$READY" --wait --timeout 120 --file "$WORK/alpha.jsonl" > "$WORK/alpha.out" 2>>"$WORK/send.log" &
a=$!
"$BIN/ep-send" --config "$READY" --wait --timeout 120 --file "$WORK/beta.jsonl" > "$WORK/beta.out" 2>>"$WORK/send.log" &
b=$!
wait $a || fail "ep-send --wait for alpha did not see every terminal report"
wait $b || fail "ep-send --wait for beta did not see every terminal report"

total=10004
# Every report ever journaled, through the query socket.
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$(sql 'SELECT COUNT(*) FROM reports')" \
    --timeout 60 > "$WORK/all.jsonl"

n_intents=$(jq -s 'map(.router_seq) | unique | length' "$WORK/all.jsonl")
[ "$n_intents" = "$total" ] || fail "reports cover $n_intents intents, expected $total"
jq -s -e 'map(.seq) == [range(1; length + 1)]' "$WORK/all.jsonl" >/dev/null \
    || fail "seq is not 1..N without gap"
jq -s -e 'group_by(.router_seq) | all(map(select(.terminal)) | length == 1)' "$WORK/all.jsonl" >/dev/null \
    || fail "an intent does not have exactly one terminal report"
jq -s -e 'group_by(.router_seq) | all(last.terminal)' "$WORK/all.jsonl" >/dev/null \
    || fail "an intent has a report after its terminal report"
# Per intent, cumulative fills never go down.
jq -s -e 'group_by(.router_seq) | all(map(.filled_qty | tonumber) as $q | $q == ($q | sort))' \
    "$WORK/all.jsonl" >/dev/null || fail "an intent's reports are out of order"
# What ep-send --wait printed is the same set, per strategy.
for s in alpha beta; do
    got=$(jq -s 'map(select(.terminal)) | length' "$WORK/$s.out")
    [ "$got" = $((total / 2)) ] || fail "ep-send --wait for $s printed $got terminal reports"
done
# The expected mix is there.
dup=$(jq -s 'map(select(.failure == "DUPLICATE_INTENT")) | length' "$WORK/all.jsonl")
inv=$(jq -s 'map(select(.failure == "INVALID_INTENT")) | length' "$WORK/all.jsonl")
filled=$(jq -s 'map(select(.status == "FILLED")) | length' "$WORK/all.jsonl")
[ "$dup" = 1000 ] || fail "expected 1000 duplicates, got $dup"
[ "$inv" = 2000 ] || fail "expected 2000 invalid intents, got $inv"
[ "$filled" -gt 3000 ] || fail "expected over 3000 fills, got $filled"
check_journal_invariants
pass "$total intents: one terminal report each, seq gap-free, order kept ($dup duplicates, $inv invalid, $filled filled)"
