#!/usr/bin/env bash
# Selecting LIVE while only a paper worker runs: intents sent before the
# select are realized on PAPER; `ep-meta select live` is applied (exit 0)
# with a warning that the plane has no worker; after it every intent gets
# an explicit REJECTED / PLANE_UNAVAILABLE report stamped plane LIVE (never a
# silent fallback to paper), and the select is journaled as applied, with
# its issuer and sender.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# batch NAME N: N market and crossing-limit intents of strategy sel.
batch () {
    awk -v b="$1" -v n="$2" 'BEGIN {
        for (i = 1; i <= n; i++) {
            side = (i % 2) ? "BUY" : "SELL";
            if (i % 3 == 0)
                printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"sel\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1\",\"limit_price\":\"100\",\"ref_price\":\"100\"}\n", b, i, side;
            else
                printf "{\"intent_id\":\"%s-%d\",\"strategy_id\":\"sel\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\",\"type\":\"MARKET\",\"qty\":\"0.5\",\"ref_price\":\"100\"}\n", b, i, side;
        }
    }'
}
N=20
batch first $N > "$WORK/first.jsonl"
batch second $N > "$WORK/second.jsonl"

"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/first.jsonl" \
    > "$WORK/first.out" 2>>"$WORK/send.log" || fail "ep-send --wait for the first batch failed"

AS="test-meta:select-live"
"$BIN/ep-meta" --config "$READY" --timeout 10 --as "$AS" select live \
    --reason "go live with no live worker" > "$WORK/select.json" 2> "$WORK/select.err" \
    || fail "ep-meta select live exited $? (expected 0)"
# Applied, and said: the live plane has no worker.
[ "$(wc -l < "$WORK/select.err")" = 1 ] \
    && grep -q "^ep-meta: warning: select live applied, but the live plane has no worker: every intent is REJECTED / PLANE_UNAVAILABLE" "$WORK/select.err" \
    || fail "ep-meta select live with no live worker does not warn: '$(cat "$WORK/select.err")'"
jq -e '.plane == "LIVE" and .epoch == 1 and .halted == false' "$WORK/select.json" >/dev/null \
    || fail "ep-meta select live printed $(cat "$WORK/select.json"), expected plane LIVE epoch 1"
[ "$(plane_field live_alive)" = false ] || fail "a live worker is alive, but none was started"

"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/second.jsonl" \
    > "$WORK/second.out" 2>>"$WORK/send.log" || fail "ep-send --wait for the second batch failed"

# First batch: one terminal report each, all on PAPER, realized (FILLED).
got=$(jq -s 'map(select(.terminal)) | length' "$WORK/first.out")
[ "$got" = "$N" ] || fail "first batch: $got terminal reports, expected $N"
jq -s -e 'all(.plane == "PAPER")' "$WORK/first.out" >/dev/null \
    || fail "first batch: a report is not on PAPER: $(jq -s -c 'map(select(.plane != "PAPER")) | first' "$WORK/first.out")"
jq -s -e 'all(.failure != "PLANE_UNAVAILABLE")' "$WORK/first.out" >/dev/null \
    || fail "first batch: a report says PLANE_UNAVAILABLE"
jq -s -e 'map(select(.terminal)) | all(.status == "FILLED" and .plane_epoch == 0)' \
    "$WORK/first.out" >/dev/null || fail "first batch: a terminal report is not FILLED at epoch 0"

# Second batch: every intent exactly one report, REJECTED / PLANE_UNAVAILABLE on LIVE.
got=$(jq -s 'length' "$WORK/second.out")
[ "$got" = "$N" ] || fail "second batch: $got reports, expected exactly $N (one rejection each)"
jq -s -e 'map(.intent_id) | unique | length == '"$N" "$WORK/second.out" >/dev/null \
    || fail "second batch: reports do not cover $N distinct intents"
bad=$(jq -s -c 'map(select(.status != "REJECTED" or .failure != "PLANE_UNAVAILABLE" or .plane != "LIVE"
                    or .terminal != true or .plane_epoch != 1 or (.fills | length) != 0)) | first // empty' "$WORK/second.out")
[ -z "$bad" ] || fail "second batch: expected REJECTED/PLANE_UNAVAILABLE on LIVE epoch 1, got $bad"

# The journal agrees: nothing of the second batch was dispatched, nothing of
# it was answered by a plane.
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'first-%' AND plane = 1 AND dispatched = 1")" = "$N" ] \
    || fail "journal: the first batch is not all dispatched to PAPER"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'second-%' AND plane = 2 AND plane_epoch = 1 AND dispatched = 0")" = "$N" ] \
    || fail "journal: the second batch is not all journaled as LIVE, epoch 1, not dispatched"
[ "$(sql "SELECT COUNT(*) FROM reports r JOIN intents i USING (router_seq)
          WHERE i.intent_id LIKE 'second-%' AND (r.origin <> 0 OR r.plane <> 2 OR r.status <> 6)")" = 0 ] \
    || fail "journal: a second-batch report is not a router-made LIVE rejection"

# The select is journaled: kind SELECT, plane LIVE, epoch 1, applied, with
# who issued it, the sender and the reason. (ep-meta repeats its command
# until it sees the outcome, so a late copy may follow, journaled as refused.)
# (the test's approval of the paper plane's definition aside)
row=$(sql "SELECT kind, plane, epoch, applied, issued_by, reason FROM commands WHERE applied = 1 AND kind <> 7")
[ "$row" = "1|2|1|1|$AS|go live with no live worker" ] \
    || fail "journal: applied commands are '$row', expected one SELECT LIVE epoch 1 by $AS"
[ "$(sql "SELECT COUNT(*) FROM commands WHERE kind <> 7 AND (issued_by <> '$AS' OR epoch <> 1)")" = 0 ] \
    || fail "journal: commands other than the select: $(sql "SELECT * FROM commands")"
sender=$(sql "SELECT sender FROM commands WHERE applied = 1 AND kind <> 7")
[ -n "$sender" ] || fail "journal: the select has no sender"
sql "SELECT outcome FROM commands WHERE applied = 1 AND kind <> 7" | grep -q '^applied: SELECT LIVE, epoch 1' \
    || fail "journal: the select's outcome is '$(sql "SELECT outcome FROM commands WHERE applied = 1 AND kind <> 7")'"

# Back to paper, whose worker is alive: no warning.
"$BIN/ep-meta" --config "$READY" --timeout 10 select paper --reason "back" \
    > "$WORK/back.json" 2> "$WORK/back.err" || fail "ep-meta select paper exited $?"
[ ! -s "$WORK/back.err" ] || fail "ep-meta select paper with its worker alive said: $(cat "$WORK/back.err")"

check_journal_invariants
pass "$N intents realized on PAPER before the select, $N rejected PLANE_UNAVAILABLE on LIVE after; select journaled (sender $sender)"
