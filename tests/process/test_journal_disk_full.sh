#!/usr/bin/env bash
# The journal's file system fills up (the router's file size limit is cut to
# 1 KiB with prlimit, so every write past it fails with EFBIG): the router
# publishes nothing it could not commit, reads nothing more (intake blocks),
# logs why, and keeps the intents it had read. When the limit is lifted it
# commits them, publishes their reports and carries on: every intent sent
# gets exactly one terminal report, seq has no gap, and the outage is
# journaled as an event. Its /healthz says 503, journal failing, while the
# disk is full, and 200 again after.
source "$(dirname "$0")/lib.sh"
command -v prlimit > /dev/null || fail "prlimit (util-linux) is required"

write_config "paper_deadline_ms = 30000" "worker_timeout_ms = 3000" "metrics = 127.0.0.1:0"
# The router logs through a pipe: a log file would hit the same size limit.
rm -f "$READY.new"
"$BIN/ep-router" --config "$CFG" --ready-file "$READY.new" > >(cat >> "$WORK/router.log") 2>&1 &
ROUTER_PID=$!
PIDS+=("$ROUTER_PID")
wait_until 10 test -f "$READY.new"
mv "$READY.new" "$READY"
describe_planes
start_paper
wait_until 10 health_is 200

alpha_intents before 1 50 > "$WORK/before.jsonl"
alpha_intents during 1 200 > "$WORK/during.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/before.jsonl" > /dev/null \
    2>> "$WORK/send.log" || fail "the intents before the outage did not all finish"
n_before=$(sql "SELECT COUNT(*) FROM intents")
seq_before=$(sql "SELECT MAX(seq) FROM reports")
[ "$n_before" = 50 ] || fail "expected 50 intents before the outage, journal has $n_before"

# A monitor from the next seq on: it must see nothing until the journal commits.
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq $((seq_before + 1)) --count 200 \
    --timeout 60 > "$WORK/tap.out" 2>> "$WORK/tap.log" &
tap_pid=$!
PIDS+=("$tap_pid")

prlimit --pid "$ROUTER_PID" --fsize=1024:unlimited
"$BIN/ep-send" --config "$READY" --file "$WORK/during.jsonl" > /dev/null 2>> "$WORK/send.log" \
    || fail "ep-send could not push the intents during the outage"
wait_until 20 grep -q "journal: cannot commit" "$WORK/router.log"
wait_until 20 grep -q "journal: still cannot commit after 1 retries" "$WORK/router.log"
grep "journal: cannot commit" "$WORK/router.log" | head -n 1 | grep -q "File too large" \
    || fail "the log does not say why the journal cannot commit: $(grep 'cannot commit' "$WORK/router.log" | head -n 1)"
running "$ROUTER_PID" || fail "the router died on a full disk"
wait_until 10 health_is 503
curl -s "$(router_metrics)/healthz" | jq -e '.journal == "failing"' > /dev/null \
    || fail "/healthz during the outage: $(curl -s "$(router_metrics)/healthz")"
[ "$(sql "SELECT COUNT(*) FROM intents")" = "$n_before" ] || fail "intents were journaled during the outage"
[ ! -s "$WORK/tap.out" ] || fail "reports were published that the journal did not hold: $(head -n 3 "$WORK/tap.out")"

# Space returns.
prlimit --pid "$ROUTER_PID" --fsize=unlimited
all_done () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" 250; }
wait_until 30 all_done
wait_until 30 grep -q "journal: committed again" "$WORK/router.log"
wait_until 10 health_is 200
wait "$tap_pid" || fail "the monitor did not get the 200 reports after the outage"
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'during-%'")" = 200 ] \
    || fail "not all 200 intents sent during the outage were journaled"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3")" = 250 ] \
    || fail "not every intent was FILLED: $(sql 'SELECT status, COUNT(*) FROM reports WHERE terminal = 1 GROUP BY status')"
[ "$(jq -s 'map(.seq) == [range('$((seq_before + 1))'; '$((seq_before + 201))')]' "$WORK/tap.out")" = true ] \
    || fail "the monitor's reports after the outage are not seq $((seq_before + 1)).. without a gap"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'journal' AND detail LIKE 'commits failed for %File too large%'")" = 1 ] \
    || fail "the outage is not journaled as an event"
running "$ROUTER_PID" || fail "the router stopped"
# The writes held while the disk was full were written again as they were:
# the journal's chain holds
"$BIN/ep-replay" --journal "$JOURNAL" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify after the full disk: $(cat "$WORK/verify.err")"
pass "journal full: nothing published or journaled while it was, $(grep -c 'cannot commit' "$WORK/router.log") log lines; 200 intents realized once space returned"
