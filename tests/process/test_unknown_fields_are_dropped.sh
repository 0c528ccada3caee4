#!/usr/bin/env bash
# An intent carrying a field the schema does not know (here one that
# protobuf-c accepts but could not decode once re-encoded: an overlong field
# number 0, found by fuzzing) is realized as usual: the unknown field is
# ignored, never forwarded to the worker.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper
# intent_id "uf-1", strategy "s", BTCUSDT, BUY, MARKET, qty 0.5, ref 100,
# then the unknown field: 80 00 e9 08.
printf '\x0a\x04uf-1\x12\x01s\x1a\x07BTCUSDT\x20\x01\x28\x01\x38\x80\xe1\xeb\x17\x48\x80\xc8\xaf\xa0\x25\x80\x00\xe9\x08' \
    > "$WORK/intent.bin"
"$BIN/ep-probe" push "$READY" "$WORK/intent.bin" || fail "ep-probe push failed"
wait_until 10 sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 1
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 1 --timeout 10 > "$WORK/report.jsonl"
jq -e '.intent_id == "uf-1" and .status == "FILLED" and .filled_qty == "0.5" and .plane == "PAPER"' \
    "$WORK/report.jsonl" > /dev/null || fail "the intent with an unknown field got $(cat "$WORK/report.jsonl")"
grep -q "undecodable dispatch" "$WORK/paper.log" && fail "the worker received an undecodable dispatch"
pass "an unknown (overlong field-0) field is ignored and the intent is FILLED on paper"
