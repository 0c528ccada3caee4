#!/usr/bin/env bash
# A paper intent's commit does not wait for the disk, so a machine lost
# before the next sync loses the intent, and what the paper worker computed
# from it. Here the loss is played with a journal put back as it was before
# the last intents (the paper worker, elsewhere, survives): the router
# restarts on it (a new boot), and the paper worker restores from it alone.
# Its book holds what the journal holds (the lost orders are gone, not
# merged in), the router_seqs the journal never had are given to new
# intents, which the worker runs, and a sweep fills only the orders the
# journal knows: no report names an intent the journal does not hold.
source "$(dirname "$0")/lib.sh"

write_config "worker_timeout_ms = 5000"
start_router
start_paper

# rest ID PRICE: a BUY LIMIT GTC far below the reference price: it rests.
rest () {
    printf '{"intent_id":"%s","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"%s","ref_price":"100"}\n' "$1" "$2"
}
send_file () {
    "$BIN/ep-send" --config "$READY" --file "$1" >> "$WORK/send.out" 2>> "$WORK/send.log" \
        || fail "ep-send $1: $(tail -n 3 "$WORK/send.log")"
}
restored () { [ "$(grep -c "restored $1 resting order" "$WORK/paper.log")" -ge "${2:-1}" ]; }

rest kept-1 60 > "$WORK/kept.jsonl"
send_file "$WORK/kept.jsonl"
wait_until 10 plane_reported kept-1
# What the disk holds when the machine goes.
sqlite3 "$JOURNAL" ".backup '$WORK/on-disk.db'"
kept_rs=$(sql "SELECT max(router_seq) FROM intents")

{ rest lost-1 61; rest lost-2 62; } > "$WORK/lost.jsonl"
send_file "$WORK/lost.jsonl"
wait_until 10 plane_reported lost-2
lost_rs=$(sql "SELECT max(router_seq) FROM intents")

# The machine is lost: the router dies, and its journal is what was on disk.
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
rm -f "$JOURNAL-wal" "$JOURNAL-shm"
cp "$WORK/on-disk.db" "$JOURNAL"
restart_router
wait_until 20 restored 1 || fail "the paper worker did not restore 1 resting order from the new router"
wait_until 10 paper_alive_is true
pass "the surviving paper worker restored from the new router: the journal's 1 resting order"

# New intents take the router_seqs the lost ones had: the worker runs them.
{
    printf '{"intent_id":"new-1","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.5","ref_price":"100"}\n'
    printf '{"intent_id":"new-2","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.5","ref_price":"100"}\n'
} > "$WORK/new.jsonl"
send_file "$WORK/new.jsonl"
wait_until 10 plane_reported new-2 || fail "the worker did not run the intents after the loss"
[ "$(sql "SELECT router_seq FROM intents WHERE intent_id = 'new-1'")" = $(( kept_rs + 1 )) ] \
    && [ $(( kept_rs + 2 )) -le "$lost_rs" ] \
    || fail "new-1 did not take a router_seq the lost intents had"
plane_reported new-1 && intent_ended new-1 && intent_ended new-2 \
    || fail "new-1 and new-2 have no terminal report from the plane"
pass "new intents on the lost router_seqs are run"

# A sweep down through every resting BUY: only the order the journal knows fills.
printf '{"intent_id":"sweep","strategy_id":"kr","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"0.1","ref_price":"1"}\n' \
    > "$WORK/sweep.jsonl"
send_file "$WORK/sweep.jsonl"
wait_until 10 intent_ended sweep || fail "the sweep has no terminal report"
# kept-1's plane reports: its acknowledgement, then its fill.
kept_fill () {
    sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
                  WHERE i.intent_id = 'kept-1' AND r.origin = 1" 2
}
wait_until 10 kept_fill || fail "the sweep did not reach the journal's resting order"
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'bogus-report'")" = 0 ] \
    || fail "the worker reported on intents the journal does not hold"
[ "$(sql "SELECT count(*) FROM reports r WHERE NOT EXISTS
          (SELECT 1 FROM intents i WHERE i.router_seq = r.router_seq)")" = 0 ] \
    || fail "a report names a router_seq the journal has no intent for"
# A lost order still in the book would fill under a new intent's router_seq.
[ "$(sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
          WHERE i.intent_id LIKE 'new-%' AND r.late = 1")" = 0 ] \
    || fail "a report arrived on new-1 or new-2 after it ended: a lost order was still in the book"
[ "$(sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'lost-%'")" = 0 ] \
    || fail "the lost intents are in the journal"
pass "after the loss, the worker reports only on intents the journal holds"
