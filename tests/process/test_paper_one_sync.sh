#!/usr/bin/env bash
# The paper plane's path waits for the disk once, not twice. N paper
# intents, sent one at a time and each waited for (ep-send --wait), cost
# about N journal commits that wait for the disk (those of their
# reports), not 2N: the turn that reads an intent and only dispatches it
# to the paper worker commits without waiting (sync="deferred"). Nothing
# else leaves the router while such a commit is not on disk
# (execplane_unsynced_sends_total stays 0), every report is journaled,
# and the journal that a restarted router opens holds every intent and
# its report.
source "$(dirname "$0")/lib.sh"

N=30
write_config "metrics = 127.0.0.1:0"
start_router
start_paper

ROUTER_METRICS=$(router_metrics)
scrape () { curl -s "$ROUTER_METRICS/metrics" > "$WORK/scrape.txt"; }
# value NAME{LABELS}: from the last scrape, or "none".
value () { awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "none" : v }' "$WORK/scrape.txt"; }
full='execplane_journal_commits_total{sync="full"}'
deferred='execplane_journal_commits_total{sync="deferred"}'
# The metrics are rendered every 250 ms: wait until they are there.
metrics_show () { scrape; [ "$(value "$full")" != none ]; }
wait_until 5 metrics_show || fail "no $full in the router's metrics"
full0=$(value "$full") deferred0=$(value "$deferred")
[ "$deferred0" != none ] || fail "no $deferred in the router's metrics"

for i in $(seq "$N"); do
    printf '{"intent_id":"one-%d","strategy_id":"det","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"100"}\n' "$i" \
        > "$WORK/one.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/one.jsonl" \
        >> "$WORK/send.out" 2>>"$WORK/send.log" \
        || fail "ep-send --wait one-$i: $(tail -n 3 "$WORK/send.log")"
done
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
          WHERE i.intent_id LIKE 'one-%' AND r.terminal = 1 AND r.origin = 1")" = "$N" ] \
    || fail "not every intent has its plane's terminal report journaled"

# The counters after the last report: rendered at the next update.
last_seq=$(sql "SELECT max(seq) FROM reports")
caught_up () { scrape; [ "$(value execplane_report_last_seq)" = "$last_seq" ]; }
wait_until 5 caught_up || fail "the metrics never showed report seq $last_seq"
full1=$(value "$full") deferred1=$(value "$deferred")
syncs=$(value execplane_journal_syncs_total) unsynced=$(value execplane_unsynced_sends_total)
synced=$(( full1 - full0 )) nosync=$(( deferred1 - deferred0 ))
echo "$N intents: $synced commits waited for the disk, $nosync did not, $syncs syncs alone"

[ "$unsynced" = 0 ] || fail "$unsynced message(s) left the router while a commit was not on disk"
# One per intent (its report's), and a few more: an intent read in the
# turn that also publishes the plane state or renders the metrics (every
# second, every 250 ms) waits with them. Every commit used to wait: 2N.
[ "$synced" -lt $(( 3 * N / 2 )) ] \
    || fail "$synced commits waited for the disk for $N intents: the paper path should wait once"
[ "$nosync" -ge $(( N / 2 )) ] \
    || fail "only $nosync of $N intents' commits went without waiting for the disk"
pass "$N paper intents: $synced synced commits (not $(( 2 * N ))), $nosync deferred"
pass "nothing but paper dispatches left the router before a commit was on disk"

# A restarted router opens what was committed: every intent and report.
kill -TERM "$PAPER_PID"
wait "$PAPER_PID" || fail "the paper worker exited $? on TERM"
kill -TERM "$ROUTER_PID"
wait "$ROUTER_PID" || fail "the router exited $? on TERM"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'one-%'")" = "$N" ] \
    || fail "the journal does not hold the $N intents"
"$BIN/ep-replay" --journal "$JOURNAL" --verify > "$WORK/verify.out" 2>&1 \
    || fail "ep-replay --verify: $(tail -n 3 "$WORK/verify.out")"
pass "the journal holds every intent and report, and its chain verifies"
