#!/usr/bin/env bash
# Hostile intake: random bytes, intents cut short, multi-frame messages and
# frames over the size limit. The router stays up; every message is counted
# (intake_messages = malformed + journaled intents); a message without a
# readable intent_id gets no report, one with a readable intent_id (a cut
# that falls on a field boundary, or random bytes that happen to decode)
# gets exactly one REJECTED report; the malformed-intake log line comes at
# most about once a second yet accounts for every malformed message; and a
# valid intent afterwards is still FILLED.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

now_ms () { echo $(( $(date +%s%N) / 1000000 )); }
malformed_lines () { grep -c 'malformed message(s) dropped without report' "$WORK/router.log" || true; }
# Sum of the counts the malformed-intake log lines give.
malformed_logged () {
    sed -n 's/.*intake: \([0-9]*\) .*malformed message(s) dropped without report.*/\1/p' \
        "$WORK/router.log" | awk '{ n += $1 } END { print n + 0 }'
}

t0=$(now_ms)
# The main dose: 5,000 hostile messages (plus one oversized frame).
"$BIN/ep-probe" junk "$READY" 5000 20240601 >>"$WORK/probe.log" 2>&1 || fail "ep-probe junk failed"
sent=5000
# Then a continuous trickle for at least 2.5 s, so the log's rate limit is
# exercised over several seconds (bounded: at most 500 more runs).
runs=0
while [ $(( $(now_ms) - t0 )) -lt 2500 ] && [ $runs -lt 500 ]; do
    runs=$((runs + 1))
    "$BIN/ep-probe" junk "$READY" 100 $((runs * 7919)) >>"$WORK/probe.log" 2>&1 \
        || fail "ep-probe junk run $runs failed"
    sent=$((sent + 100))
done

# Every message read is either counted malformed or journaled as an intent.
accounted () {
    local malformed
    malformed=$(stats_field malformed)
    [ $((malformed + $(sql "SELECT COUNT(*) FROM intents"))) -ge "$sent" ]
}
wait_until 30 accounted
kill -0 "$ROUTER_PID" 2>/dev/null || fail "the router died on hostile input"

stats=$("$BIN/ep-probe" stats "$READY") || fail "no stats from the router"
intake=$(jq -r .intake_messages <<<"$stats")
malformed=$(jq -r .malformed <<<"$stats")
n_intents=$(sql "SELECT COUNT(*) FROM intents")
[ $((malformed + n_intents)) = "$sent" ] \
    || fail "$sent messages sent, but $malformed malformed + $n_intents journaled intents"
[ "$intake" = "$sent" ] \
    || fail "intake_messages is $intake, expected $sent (= $malformed malformed + $n_intents intents)"
# Only a cut falling on a field boundary after intent_id (6 of the 38
# possible cut lengths of the probe's intent, on a third of the messages,
# about 5%) or random bytes decoding by chance can be readable; multi-frame
# messages never are. So at least 80% of the messages must be malformed.
[ $((malformed * 10)) -ge $((sent * 8)) ] \
    || fail "only $malformed of $sent hostile messages were counted malformed"

# No report without a readable intent: reports cover exactly the journaled
# intents, one terminal REJECTED report each, and nothing was dispatched.
n_reports=$(sql "SELECT COUNT(*) FROM reports")
n_covered=$(sql "SELECT COUNT(DISTINCT router_seq) FROM reports")
[ "$n_covered" = "$n_intents" ] || fail "reports cover $n_covered intents, $n_intents journaled"
[ "$n_reports" = "$n_intents" ] || fail "$n_reports reports for $n_intents rejected intents"
orphans=$(sql "SELECT COUNT(*) FROM reports r WHERE NOT EXISTS
               (SELECT 1 FROM intents i WHERE i.router_seq = r.router_seq)")
[ "$orphans" = 0 ] || fail "$orphans reports name no journaled intent"
[ "$(sql 'SELECT COUNT(*) FROM intents WHERE dispatched = 1')" = 0 ] \
    || fail "a hostile message was dispatched to the paper plane"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 30 \
    > "$WORK/reports.jsonl" || fail "ep-tap could not replay the $n_reports reports"
jq -s -e 'all(.terminal and .status == "REJECTED"
              and (.failure == "INVALID_INTENT" or .failure == "DUPLICATE_INTENT"
                   or .failure == "UNAUTHORIZED"))' \
    "$WORK/reports.jsonl" >/dev/null || fail "a report on hostile input is not REJECTED/INVALID, DUPLICATE or UNAUTHORIZED"
check_journal_invariants

# The log: every malformed message is accounted for by a log line within a
# second or so, and the lines come at most about once a second.
all_logged () { [ "$(malformed_logged)" = "$malformed" ]; }
wait_until 5 all_logged
elapsed_ms=$(( $(now_ms) - t0 ))
lines=$(malformed_lines)
max_lines=$(( (elapsed_ms + 999) / 1000 + 1 ))
[ "$lines" -ge 2 ] || fail "only $lines malformed-intake log line(s) over ${elapsed_ms} ms of hostile input"
[ "$lines" -le "$max_lines" ] \
    || fail "$lines malformed-intake log lines in ${elapsed_ms} ms: more than one a second"
# And no two of them closer than a second (900 ms, for clock granularity).
min_gap=$(grep 'malformed message(s) dropped without report' "$WORK/router.log" | cut -d' ' -f1 \
          | while read -r stamp; do date -d "$stamp" +%s%3N; done \
          | awk 'NR > 1 { gap = $1 - prev; if (min == "" || gap < min) min = gap } { prev = $1 }
                 END { print min }')
[ "$min_gap" -ge 900 ] || fail "two malformed-intake log lines only $min_gap ms apart"

# Still serving: a valid intent is filled.
echo '{"intent_id":"after-junk-1","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/valid.out" 2>>"$WORK/send.log" \
    || fail "ep-send --wait did not get a terminal report for a valid intent"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/valid.out")" = FILLED ] \
    || fail "a valid intent after the junk was not FILLED: $(cat "$WORK/valid.out")"
kill -0 "$ROUTER_PID" 2>/dev/null || fail "the router is gone"
pass "$sent hostile messages over ${elapsed_ms} ms: $malformed malformed, $n_intents readable and rejected, $lines log lines; router up, valid intent filled"
