#!/usr/bin/env bash
# The journal on PostgreSQL, and the server refuses a write in the middle
# of a turn: the router sends a turn's writes in a pipeline and reads
# their results later (at the next claim, or with the commit), and a write
# the server refused must still be final. Here a CHECK constraint added
# behind the router's back refuses the intent row of "poison" (its
# duplicate-id claim passes; the row after it is refused).
#
# Asserted: the intent before is journaled and published; the turn holding
# "poison" never commits (its intent row, and its claim, are not in the
# journal) and no report of it is published; the monitor saw exactly the
# journal's reports; the router stops, exiting non-zero, saying
# PostgreSQL refused a write and why (found at the next claim, whose
# result the router waits for, or at the commit).
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"

monitored_stack

psql_write "ALTER TABLE intents ADD CONSTRAINT no_poison CHECK (intent_id <> 'poison')" > /dev/null
{ kr_order after-1; kr_order poison; kr_order after-2; } > "$WORK/after.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/after.jsonl" > /dev/null 2>> "$WORK/send.log" || true
stops_failing "$ROUTER_PID" "PostgreSQL refused a write"
# Found at the next claim's result, or with the commit's
grep -q 'ERROR router: journal: .*violates check constraint "no_poison"' "$WORK/router.log" \
    || fail "the router did not say PostgreSQL refused a write: $(tail -n 3 "$WORK/router.log")"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id = 'poison'")" = 0 ] \
    || fail "the refused intent was journaled"
[ "$(sql "SELECT COUNT(*) FROM intent_keys WHERE intent_id = 'poison'")" = 0 ] \
    || fail "the claim of the refused turn was committed"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id = 'before-1'")" = 1 ] || fail "before-1 is not journaled"
n_reports=$(sql "SELECT COUNT(*) FROM reports")
tapped () { [ "$(wc -l < "$WORK/tap.out")" -ge "$n_reports" ]; }
wait_until 10 tapped
kill -TERM "$TAP_PID"
wait "$TAP_PID" 2>/dev/null || true
[ "$(jq -r .seq "$WORK/tap.out" | paste -sd,)" = "$(seq -s, 1 "$n_reports")" ] \
    || fail "the monitor's reports are not the journal's $n_reports: $(jq -c '[.seq, .intent_id]' "$WORK/tap.out" | paste -sd' ')"
! grep -q '"poison"' "$WORK/tap.out" || fail "a report of the refused turn was published"
pass "a write refused inside a turn's pipeline: the turn never committed, nothing of it published ($n_reports reports, each journaled and published once); the router stopped (exit $rc)"
