#!/usr/bin/env bash
# The journal and the live audit prove themselves: every kind of tampering
# is found by ep-replay --verify (or --audit), which names the first row
# that does not hold and exits 1:
# - one byte changed in a published report, in a plane's report, in a
#   command's reason, in an audit row;
# - a row deleted; a row inserted; two rows' contents swapped;
# - two intents' published reports swapped and the chain recomputed: the
#   published check (each is what its plane produced) names the row;
# - the newest row edited and the whole chain recomputed by someone who
#   knows how: the file holds together, but not against a head recorded
#   before (--head, as stats and ep-tap --chain print it).
# The untouched files verify, and the head recorded is in them.
source "$(dirname "$0")/lib.sh"
RECHAIN=$(dirname "$0")/rechain.py

start_fakex
write_config "metrics = 127.0.0.1:0"
live_section
start_router
start_paper
start_live
for i in 1 2 3; do
    printf '{"intent_id":"p-%s","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$i"
done | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > /dev/null
"$BIN/ep-meta" --config "$READY" select live --reason "tamper test" > /dev/null
assert_live_fills l-1 "a live order"

# The head, as a monitor records it (ep-tap --chain), as the metrics show it
"$BIN/ep-tap" --config "$READY" --chain --timeout 3 > "$WORK/chain.jsonl" || fail "ep-tap --chain failed"
head=$(jq -r 'select(.chain_row) | "\(.chain_row):\(.chain_head)"' "$WORK/chain.jsonl" | tail -n 1)
[[ "$head" =~ ^[0-9]+:[0-9a-f]{16}$ ]] || fail "ep-tap --chain printed no head: $(cat "$WORK/chain.jsonl")"
METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/router.log" | tail -n 1)
curl -s "$METRICS/metrics" > "$WORK/metrics.txt" || fail "no metrics"
grep -q "^execplane_journal_chain_row{head=\"[0-9a-f]\{16\}\"} [0-9]*$" "$WORK/metrics.txt" \
    || fail "the metrics show no chain head"
"$BIN/ep-replay" --journal "$JOURNAL" --verify --head "$head" > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify against the head ep-tap printed: $(cat "$WORK/verify.err")"
kill -TERM "$LIVE_PID" "$PAPER_PID"; wait "$LIVE_PID" "$PAPER_PID" || fail "a worker did not stop cleanly"
kill -TERM "$ROUTER_PID"; wait "$ROUTER_PID" || fail "the router did not stop cleanly"
"$BIN/ep-replay" --journal "$JOURNAL" --verify --head "$head" > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify against its own head: $(cat "$WORK/verify.err")"
"$BIN/ep-replay" --audit "$WORK/live-audit.db" 2> "$WORK/audit.err" \
    || fail "the audit does not verify: $(cat "$WORK/audit.err")"

# tampered NAME SQL EXPECTED [--head]: a copy of the journal, changed by
# SQL, fails --verify naming EXPECTED (a regular expression).
tampered () {
    local copy=$WORK/$1.db
    sqlite3 "$JOURNAL" ".backup '$copy'"
    sqlite3 "$copy" "$2" || fail "$1: the change did not apply"
    local rc=0
    "$BIN/ep-replay" --journal "$copy" --verify ${4:+--head "$head"} > /dev/null 2> "$WORK/$1.err" || rc=$?
    [ "$rc" = 1 ] || fail "$1: ep-replay --verify exited $rc: $(cat "$WORK/$1.err")"
    grep -Eq "$3" "$WORK/$1.err" || fail "$1: not named: $(cat "$WORK/$1.err")"
}
# flip HEX: the hex with its last byte changed
flip () { local hex=$1; printf '%s%02X' "${hex:0:${#hex}-2}" $(( 0x${hex: -2} ^ 0x01 )); }

seq=$(sqlite3 "$JOURNAL" "SELECT seq FROM reports WHERE origin = 1 ORDER BY seq LIMIT 1")
payload=$(sqlite3 "$JOURNAL" "SELECT hex(payload) FROM reports WHERE seq = $seq")
tampered published "UPDATE reports SET payload = X'$(flip "$payload")' WHERE seq = $seq" \
    "reports row $seq is not what was written"
plane=$(sqlite3 "$JOURNAL" "SELECT hex(plane_payload) FROM reports WHERE seq = $seq")
tampered plane "UPDATE reports SET plane_payload = X'$(flip "$plane")' WHERE seq = $seq" \
    "reports row $seq is not what was written"
command=$(sqlite3 "$JOURNAL" "SELECT MIN(id) FROM commands")
tampered reason "UPDATE commands SET reason = 'Approved by the test' WHERE id = $command" \
    "commands row $command is not what was written"
event=$(sqlite3 "$JOURNAL" "SELECT MAX(id) FROM events")
tampered deleted "DELETE FROM events WHERE id = $event" "events row $event is gone"
tampered inserted "INSERT INTO events (at_seq, kind, detail) VALUES (1, 'start', 'forged')" \
    "events row $((event + 1)) is not in the chain"
read -r a b < <(sqlite3 "$JOURNAL" "SELECT group_concat(seq, ' ') FROM (SELECT seq FROM reports ORDER BY seq LIMIT 2)")
tampered swapped "UPDATE reports SET payload = CASE seq WHEN $a THEN (SELECT payload FROM reports WHERE seq = $b)
                  ELSE (SELECT payload FROM reports WHERE seq = $a) END WHERE seq IN ($a, $b)" \
    "reports row $a is not what was written"
# A commit's list of its rows changed (a row's hash in it): the list no
# longer hashes to what the chain holds
commit=$(sqlite3 "$JOURNAL" "SELECT MAX(id) FROM chain WHERE tbl = '*' AND length(rows) > 0")
[ -n "$commit" ] || fail "the journal has no chain row of a commit"
rows=$(sqlite3 "$JOURNAL" "SELECT hex(rows) FROM chain WHERE id = $commit")
tampered listed "UPDATE chain SET rows = X'$(flip "$rows")' WHERE id = $commit" \
    "chain row $commit: its list of rows is not what was written"

# Two intents' plane reports swapped and the chain recomputed: the chain
# holds, but a published report is no longer what its plane produced
read -r a b < <(sqlite3 "$JOURNAL" "SELECT group_concat(seq, ' ') FROM (SELECT MIN(seq) AS seq
                FROM reports WHERE origin = 1 AND plane_payload IS NOT NULL GROUP BY router_seq
                ORDER BY seq LIMIT 2)")
sqlite3 "$JOURNAL" ".backup '$WORK/republished.db'"
sqlite3 "$WORK/republished.db" "UPDATE reports SET plane_payload = CASE seq WHEN $a THEN
    (SELECT plane_payload FROM reports WHERE seq = $b) ELSE (SELECT plane_payload FROM reports WHERE seq = $a) END
    WHERE seq IN ($a, $b)"
python3 "$RECHAIN" "$WORK/republished.db" || fail "could not recompute the chain"
rc=0
"$BIN/ep-replay" --journal "$WORK/republished.db" --verify > /dev/null 2> "$WORK/republished.err" || rc=$?
[ "$rc" = 1 ] && grep -q "reports row $a: its published intent_id is not what its plane produced" \
    "$WORK/republished.err" || fail "the swapped plane reports were not named ($rc): $(cat "$WORK/republished.err")"

# A report's own column rewritten (its status) and the chain recomputed:
# the published report no longer carries its row's status
sqlite3 "$JOURNAL" ".backup '$WORK/restated.db'"
sqlite3 "$WORK/restated.db" "UPDATE reports SET status = status + 1 WHERE seq = $a"
python3 "$RECHAIN" "$WORK/restated.db" || fail "could not recompute the chain"
rc=0
"$BIN/ep-replay" --journal "$WORK/restated.db" --verify > /dev/null 2> "$WORK/restated.err" || rc=$?
[ "$rc" = 1 ] && grep -q "reports row $a: its published status is not its row's" \
    "$WORK/restated.err" || fail "the rewritten status was not named ($rc): $(cat "$WORK/restated.err")"

# The newest row edited, the chain recomputed: it holds in itself, not
# against the recorded head
newest=$(sqlite3 "$JOURNAL" "SELECT MAX(seq) FROM reports")
sqlite3 "$JOURNAL" ".backup '$WORK/rewritten.db'"
sqlite3 "$WORK/rewritten.db" "UPDATE reports SET payload = X'$(flip "$(sqlite3 "$JOURNAL" "SELECT hex(payload) FROM reports WHERE seq = $newest")")' WHERE seq = $newest"
python3 "$RECHAIN" "$WORK/rewritten.db" || fail "could not recompute the chain"
"$BIN/ep-replay" --journal "$WORK/rewritten.db" --verify > /dev/null 2> "$WORK/rewritten.err" \
    || fail "a recomputed chain should hold in itself: $(cat "$WORK/rewritten.err")"
rc=0
"$BIN/ep-replay" --journal "$WORK/rewritten.db" --verify --head "$head" > /dev/null 2> "$WORK/rewritten.err" || rc=$?
[ "$rc" = 1 ] && grep -q "chain row ${head%%:*} is not the recorded head" "$WORK/rewritten.err" \
    || fail "the rewrite was not found against the recorded head ($rc): $(cat "$WORK/rewritten.err")"

# An audit row changed
sqlite3 "$WORK/live-audit.db" ".backup '$WORK/audit-copy.db'"
attempt=$(sqlite3 "$WORK/audit-copy.db" "SELECT MIN(id) FROM attempts WHERE kind = 1")
sqlite3 "$WORK/audit-copy.db" "UPDATE attempts SET params = params || '&x=1' WHERE id = $attempt"
rc=0
"$BIN/ep-replay" --audit "$WORK/audit-copy.db" 2> "$WORK/audit-copy.err" || rc=$?
[ "$rc" = 1 ] && grep -q "attempts row $attempt is not what was written" "$WORK/audit-copy.err" \
    || fail "the changed audit row was not named ($rc): $(cat "$WORK/audit-copy.err")"
pass "a changed published report, plane report, command reason, commit list and audit row, a deleted, an inserted and a swapped row, published reports swapped under a recomputed chain, and a recomputed chain against its recorded head: each found, the row named"
