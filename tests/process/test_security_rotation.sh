#!/usr/bin/env bash
# Key rotation without restart: removing a strategy's certificate from the
# allow-list refuses its next intents within 5 seconds, on the connection it
# already has; adding one admits a new key.
source "$(dirname "$0")/lib.sh"

write_config
"$BIN/ep-keygen" --role strategy --name rotating --strategy alpha --certs "$CERTS" > /dev/null
start_router
start_paper

# One long-lived ep-send: its connection outlives the removal.
mkfifo "$WORK/feed"
"$BIN/ep-send" --config "$READY" --cert rotating --timeout 60 --file "$WORK/feed" 2>> "$WORK/send.log" &
sender=$!
PIDS+=($sender)
exec 7> "$WORK/feed"
line () { printf '{"intent_id":"%s","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$1"; }
line before-1 >&7
wait_until 10 sql_at_least "SELECT COUNT(*) FROM intents WHERE intent_id = 'before-1'" 1

rm "$CERTS/public/rotating"
start=$(date +%s%N)
n=0
refused () { [ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'intake:%no longer admitted%'")" -ge 1 ]; }
until refused; do
    n=$((n + 1))
    line "after-$n" >&7
    [ $(( $(date +%s%N) - start )) -lt 5000000000 ] || fail "the removed key was still admitted after 5 s"
    sleep 0.2
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
# Everything sent from then on is refused, never journaled: the router's
# count of refusals shows it read them.
refusals=$(stats_field unauthorized)
for i in 1 2 3; do line "late-$i" >&7; done
wait_until 10 stats_at_least unauthorized $((refusals + 3))
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'late-%'")" = 0 ] \
    || fail "an intent from the removed key was journaled"
exec 7>&-

# A key added now is admitted, with no restart.
"$BIN/ep-keygen" --role strategy --name newcomer --strategy alpha --certs "$CERTS" > /dev/null
wait_until 10 sh -c "line=\$(printf '{\"intent_id\":\"new-%s\",\"strategy_id\":\"alpha\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"100\"}' \$\$);
    echo \"\$line\" | '$BIN/ep-send' --config '$READY' --cert newcomer --wait --timeout 2 | grep -q FILLED"
kill -0 "$ROUTER_PID" || fail "the router died"
# The outcomes socket was bound anew (the removed key's subscriptions went)
# and still serves the keys that remain.
wait_until 5 grep -q "outcomes: bound .* again" "$WORK/router.log"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 2 --timeout 10 > /dev/null \
    || fail "a monitor cannot follow the outcomes after the rotation"
pass "a removed key was refused ${took} ms after its certificate went, on its open connection; a new key admitted"
