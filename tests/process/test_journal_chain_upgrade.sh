#!/usr/bin/env bash
# A journal written when every row had a chain row of its own (the
# fixture: three paper intents, their reports, the approval and the
# events) is taken up by the router as it is: new rows join the same chain
# as one chain row a commit, ep-replay --verify checks both kinds from the
# first row to the head, and a changed row of either kind is named.
source "$(dirname "$0")/lib.sh"
FIXTURE=$(dirname "$0")/fixtures/journal-chained-by-row.db

cp "$FIXTURE" "$JOURNAL"
[ "$(sql "SELECT COUNT(*) FROM chain WHERE tbl = '*'")" = 0 ] || fail "the fixture already chains commits"
old_rows=$(sql "SELECT COUNT(*) FROM chain")
write_config
start_router
start_paper
approve_plane paper
wait_until 10 paper_alive_is true
for i in 1 2 3; do
    echo "{\"intent_id\":\"new-$i\",\"strategy_id\":\"alpha\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"qty\":\"0.01\",\"ref_price\":\"64000\"}"
done > "$WORK/intents.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 10 --file "$WORK/intents.jsonl" > "$WORK/reports.jsonl" \
    || fail "ep-send: $(cat "$WORK/reports.jsonl")"
[ "$(jq -r .status "$WORK/reports.jsonl" | sort -u)" = FILLED ] || fail "not all filled: $(cat "$WORK/reports.jsonl")"
kill -TERM "$PAPER_PID"; wait "$PAPER_PID" || fail "the paper worker did not stop cleanly"
kill -TERM "$ROUTER_PID"; wait "$ROUTER_PID" || fail "the router did not stop cleanly"

# Both kinds, in one chain: the old rows untouched, commits after them
[ "$(sql "SELECT COUNT(*) FROM chain WHERE id <= $old_rows AND tbl <> '*'")" = "$old_rows" ] \
    || fail "the old chain rows changed"
sql_at_least "SELECT COUNT(*) FROM chain WHERE id > $old_rows AND tbl = '*'" 1 \
    || fail "the new rows were not chained by commit"
[ "$(sql "SELECT COUNT(*) FROM chain WHERE id > $old_rows AND tbl <> '*'")" = 0 ] \
    || fail "rows written in a transaction were chained one by one"
"$BIN/ep-replay" --journal "$JOURNAL" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the upgraded journal does not verify: $(cat "$WORK/verify.err")"
grep -q "the chain holds" "$WORK/verify.err" || fail "no verdict: $(cat "$WORK/verify.err")"

# A changed row of each kind is named
flip () { local hex=$1; printf '%s%02X' "${hex:0:${#hex}-2}" $(( 0x${hex: -2} ^ 0x01 )); }
for which in old new; do
    cp "$JOURNAL" "$WORK/$which.db"
    intent=$(sql "SELECT router_seq FROM intents WHERE intent_id LIKE '$which-%' ORDER BY 1 LIMIT 1")
    payload=$(sql "SELECT hex(payload) FROM intents WHERE router_seq = $intent")
    sqlite3 "$WORK/$which.db" "UPDATE intents SET payload = X'$(flip "$payload")' WHERE router_seq = $intent"
    rc=0
    "$BIN/ep-replay" --journal "$WORK/$which.db" --verify > /dev/null 2> "$WORK/$which.err" || rc=$?
    [ "$rc" = 1 ] && grep -q "intents row $intent is not what was written" "$WORK/$which.err" \
        || fail "the changed $which intent was not named ($rc): $(cat "$WORK/$which.err")"
done
pass "a journal chained row by row takes commits into the same chain; both kinds verify, and a change to either is named"
