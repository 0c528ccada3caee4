#!/usr/bin/env bash
# A key the router does not know gets nothing through: it cannot push an
# intent, change the plane, follow the outcomes, or serve as a worker.
# Nothing of it reaches the journal but the refusal records, and the router
# stays up. A client without CURVE gets nothing through either.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# A second set of certificates: its keys are not in the router's allow-list,
# but it pins the real router key (a stranger who knows the server's key).
ROGUE=$WORK/rogue
"$BIN/ep-keygen" --set --certs "$ROGUE" --strategy s > /dev/null
cp "$CERTS/public/router" "$ROGUE/public/router"
sed "s|$CERTS|$ROGUE|" "$READY" > "$WORK/rogue.zpl"
grep -q "$ROGUE" "$WORK/rogue.zpl" || fail "the rogue configuration does not name the rogue certificates"

intent='{"intent_id":"r-1","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}'
rc=0; echo "$intent" | "$BIN/ep-send" --config "$WORK/rogue.zpl" --timeout 3 2> "$WORK/rogue-send.log" || rc=$?
[ $rc = 1 ] || fail "ep-send with an unknown key exited $rc"
rc=0; "$BIN/ep-meta" --config "$WORK/rogue.zpl" --timeout 3 select live --reason rogue 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "ep-meta with an unknown key exited $rc"
rc=0; "$BIN/ep-tap" --config "$WORK/rogue.zpl" --from-seq 1 --count 1 --timeout 3 > "$WORK/rogue-tap.out" 2>/dev/null || rc=$?
[ $rc = 1 ] && [ ! -s "$WORK/rogue-tap.out" ] || fail "ep-tap with an unknown key read something"
# Plain TCP, no CURVE, with the real config: nothing either.
rc=0; echo "$intent" | "$BIN/ep-send" --config "$READY" --insecure --timeout 3 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a plaintext ep-send exited $rc"
rc=0; "$BIN/ep-meta" --config "$READY" --insecure --timeout 3 status 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a plaintext ep-meta status exited $rc"

# A worker with an unknown key is never heard: the live plane stays dead.
"$BIN/ep-paper" --config "$WORK/rogue.zpl" --cert live >> "$WORK/rogue-worker.log" 2>&1 &
PIDS+=($!)
for domain in query dispatch results; do
    wait_until 10 sql_at_least "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE '$domain:%'" 1
done
[ "$(plane_field live_alive)" = false ] || fail "a worker with an unknown key made the live plane alive"

kill -0 "$ROUTER_PID" || fail "the router died"
[ "$(sql 'SELECT COUNT(*) FROM intents')" = 0 ] || fail "an intent from an unknown key was journaled"
# The only command: the test's own approval of the paper plane's definition
[ "$(sql 'SELECT COUNT(*) FROM commands WHERE NOT (kind = 7 AND applied = 1)')" = 0 ] \
    || fail "a command from an unknown key was journaled"
[ "$(plane_field plane)" = PAPER ] && [ "$(plane_field epoch)" = 0 ] || fail "the plane changed"
for domain in intake outcomes query dispatch results; do
    [ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE '$domain: refused the handshake%unknown key%'")" -ge 1 ] \
        || fail "no refusal record for the $domain handshake"
done
# The legitimate strategy is unaffected.
echo "$intent" | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/ok.jsonl"
[ "$(jq -r .status "$WORK/ok.jsonl")" = FILLED ] || fail "the real strategy key no longer works"
pass "unknown keys and plaintext clients refused at the handshake, refusals journaled, nothing else"
