#!/usr/bin/env bash
# Two more live workers on one live plane, each with its own audit: one
# with the same live key as the first, one with a second live-plane key.
# While the first is alive the router refuses their claims and they stand
# by, saying why, and subscribe to no intent (a queue nobody reads would
# hold dispatch back); only the first submits. When it is killed one of
# them takes over and submits only what is dispatched to it. Every
# client order id reaches the venue exactly once, and every intent has
# exactly one terminal report. A further ep-live on an audit in use is
# refused at start (exit 1, naming the file).
source "$(dirname "$0")/lib.sh"

start_fakex
write_config "worker_timeout_ms = 2000"
live_section
"$BIN/ep-keygen" --role worker --plane live --name live2 --certs "$CERTS" \
    > "$WORK/keygen-live2.log" 2>&1 || fail "ep-keygen live2: $(cat "$WORK/keygen-live2.log")"
start_router
start_paper
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "a second live worker" > /dev/null

# another_live NAME CERT: an ep-live with its own audit ($WORK/NAME-audit.db)
# and log ($WORK/NAME.log), under certificate CERT.
another_live () {
    sed "s|audit = \"$WORK/live-audit.db\"|audit = \"$WORK/$1-audit.db\"|" "$READY" > "$WORK/$1.zpl"
    grep -q "$1-audit.db" "$WORK/$1.zpl" || fail "no audit of its own for $1"
    "$BIN/ep-live" --config "$WORK/$1.zpl" --cert "$2" >> "$WORK/$1.log" 2>&1 &
    PIDS+=("$!")
}
another_live same-key live
another_live live2 live2
for name in same-key live2; do
    wait_until 20 grep -q "cannot claim the LIVE plane: .*; standing by" "$WORK/$name.log"
done
[ "$(plane_field live_alive)" = true ] || fail "the live plane lost its worker"

intents () {   # intents PREFIX FROM TO
    for i in $(seq "$2" "$3"); do
        printf '{"intent_id":"%s-%d","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250"}\n' "$1" "$i"
    done
}
intents w 1 20 > "$WORK/first.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/first.jsonl" > "$WORK/first.out" \
    2>> "$WORK/send.log" || fail "the 20 live intents did not all finish"
[ "$(jq -s 'map(select(.terminal and .status == "FILLED")) | length' "$WORK/first.out")" = 20 ] \
    || fail "not every intent was FILLED once: $(jq -c -s 'map(select(.terminal)) | group_by(.status) | map([.[0].status, length])' "$WORK/first.out")"

# The first worker dies; the two standing by claim the plane (both may be
# answered if they ask at the same moment: the router keeps the last).
kill -KILL "$LIVE_PID"
took_over () { grep -l "plane claimed from router start" "$WORK/same-key.log" "$WORK/live2.log"; }
wait_until 30 took_over
wait_until 20 live_alive_is true
intents after 1 5 > "$WORK/after.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/after.jsonl" > "$WORK/after.out" \
    2>> "$WORK/send.log" || fail "the 5 live intents after the takeover did not all finish"
[ "$(jq -s 'map(select(.terminal and .status == "FILLED")) | length' "$WORK/after.out")" = 5 ] \
    || fail "not every intent after the takeover was FILLED: $(cat "$WORK/after.out")"

# The venue's own counts: each of the 25 client order ids exactly once.
counts=$(curl -s "$FAKEX_CONTROL/fakex/counts")
[ "$(jq 'length' <<< "$counts")" = 25 ] || fail "the venue saw $(jq 'length' <<< "$counts") client order ids, not 25: $counts"
[ "$(jq '[.[]] | all(. == 1)' <<< "$counts")" = true ] || fail "an order reached the venue more than once: $counts"
# Only the worker that serves wrote attempts: the first one's 20, the new
# one's 5 (the after-* intents), the other none.
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 1")" = 20 ] || fail "the first worker's audit"
submitted () { sqlite3 -readonly "$WORK/$1-audit.db" "SELECT COUNT(*) FROM attempts WHERE kind = 1 AND intent_id LIKE 'after-%'"; }
attempts () { sqlite3 -readonly "$WORK/$1-audit.db" "SELECT COUNT(*) FROM attempts"; }
if [ "$(submitted same-key)" = 5 ]; then served=same-key; other=live2; else served=live2; other=same-key; fi
[ "$(submitted "$served")" = 5 ] && [ "$(attempts "$served")" = 5 ] \
    || fail "no worker submitted exactly the 5 orders after the takeover: $(submitted same-key) and $(submitted live2)"
[ "$(attempts "$other")" = 0 ] || fail "the other worker wrote $(attempts "$other") attempts"
check_journal_invariants

# One ep-live per audit: another on the serving worker's audit is refused.
rc=0
timeout 20 "$BIN/ep-live" --config "$WORK/$served.zpl" > "$WORK/third.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "a second ep-live on an audit in use exited $rc, not 1: $(cat "$WORK/third.log")"
[ "$(wc -l < "$WORK/third.log")" = 1 ] && grep -q "^ep-live: audit $WORK/$served-audit.db is locked by another process" "$WORK/third.log" \
    || fail "the refusal does not name the audit in one line: $(cat "$WORK/third.log")"
assert_no_secrets
pass "two standby live workers (same key, second key) submitted nothing while the first served; after it was killed, the one that took over submitted only what was dispatched to it; 25 orders, each at the venue once; a second ep-live on an audit in use exits 1"
