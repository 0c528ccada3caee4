#!/usr/bin/env bash
# Reports say when things happened, outside determinism: the router stamps
# when it read the intent (intake_us) and when it journaled the report
# (journaled_us), in order; a live report carries the venue's time of the
# order (venue_time_ms) and its fills the venue's trade time, within the
# router's two times; paper has no clock (its fills' trade_time_ms is 0),
# and its replay digest is unchanged by any of it (ep-replay --verify).
# The router's metrics hold the delay from intake to the terminal report.
# Every journal row has its wall-clock time: its commit's chain row's.
source "$(dirname "$0")/lib.sh"
start_us=$(date +%s%6N)

start_fakex
write_config "metrics = 127.0.0.1:0"
live_section
start_router
start_paper
start_live
for i in 1 2 3; do
    printf '{"intent_id":"t-%s","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$i" \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > /dev/null
done
"$BIN/ep-meta" --config "$READY" select live --reason "times test" > /dev/null
assert_live_fills l-1 "a live order"
replay_reports

# Every report: read, then journaled, in the order of their seqs
jq -e -s 'all(.[]; .intake_us > 0 and .journaled_us >= .intake_us)' "$WORK/all.jsonl" > /dev/null \
    || fail "a report without its times, or journaled before read: $(jq -c '{seq, intake_us, journaled_us}' "$WORK/all.jsonl")"
jq -e -s '[.[].journaled_us] as $t | $t == ($t | sort)' "$WORK/all.jsonl" > /dev/null \
    || fail "journal times out of seq order: $(jq -r .journaled_us "$WORK/all.jsonl" | paste -sd' ')"
jq -e -s '[.[] | select(.plane == "PAPER" and .intent_id == "t-2")][0].intake_us
          > [.[] | select(.plane == "PAPER" and .intent_id == "t-1")][-1].journaled_us' "$WORK/all.jsonl" > /dev/null \
    || fail "t-2 was read before t-1 was journaled"

# Paper: no clock of its own
jq -e -s '[.[] | select(.plane == "PAPER") | .fills[].trade_time_ms] | length > 0 and all(. == 0)' \
    "$WORK/all.jsonl" > /dev/null || fail "a paper fill carries a time"
[ "$(jq -s '[.[] | select(.plane == "PAPER") | .venue_time_ms] | max' "$WORK/all.jsonl")" = 0 ] \
    || fail "a paper report carries a venue time"

# Live: the venue's times, between the router's read and its journal
jq -e -s '[.[] | select(.intent_id == "l-1" and .terminal)][0]
          | .venue_time_ms > 0 and .venue_time_ms * 1000 >= .intake_us - 1000000
            and .venue_time_ms * 1000 <= .journaled_us + 1000000
            and (.fills | length > 0 and all(.trade_time_ms == .venue_time_ms or .trade_time_ms > 0))' \
    "$WORK/all.jsonl" > /dev/null || fail "l-1's venue times: $(jq -c 'select(.intent_id == "l-1")' "$WORK/all.jsonl")"

# The delay from intake to the terminal report, by plane
METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/router.log" | tail -n 1)
metric_at_least () {
    curl -s "$METRICS/metrics" > "$WORK/metrics.txt"
    awk -v k="$1" -v n="$2" '$1 == k && $2 >= n { found = 1 } END { exit !found }' "$WORK/metrics.txt"
}
wait_until 10 metric_at_least 'execplane_intake_to_terminal_seconds_count{plane="PAPER"}' 3
wait_until 10 metric_at_least 'execplane_intake_to_terminal_seconds_count{plane="LIVE"}' 1

"$BIN/ep-replay" --journal "$JOURNAL" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "ep-replay --verify: $(cat "$WORK/verify.err")"
check_journal_invariants
# The chain's times (one a commit, covering each row it wrote, as --verify
# checked): wall clock within this run, in the order of the commits
[ "$(sql "SELECT COUNT(*) FROM chain WHERE at_us < $start_us OR at_us > $(date +%s%6N)")" = 0 ] \
    || fail "a chain row's time is outside the run: $(sql "SELECT id, at_us FROM chain") (from $start_us)"
[ "$(sql "SELECT COUNT(*) FROM chain c JOIN chain p ON p.id = c.id - 1 WHERE c.at_us < p.at_us")" = 0 ] \
    || fail "chain times out of order: $(sql "SELECT id, at_us FROM chain")"
pass "reports carry their intake and journal times in order, live ones the venue's; paper none; the replay digest holds; journal rows stamped by their commits"
