#!/usr/bin/env bash
# The venue's keys are kept as closely as the CURVE secret keys: a keys
# file open to group or others is refused (exit 1, one line naming the
# file and its mode), and keys taken from the environment
# (EP_VENUE_API_KEY, EP_VENUE_API_SECRET) are taken out of it once read:
# the running ep-live's /proc/PID/environ holds neither, and the venue
# still gets orders signed with them.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section
start_router

# A keys file readable by others: refused before anything starts.
chmod 644 "$WORK/venue.keys"
rc=0
timeout 20 "$BIN/ep-live" --config "$READY" > "$WORK/open-keys.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "ep-live with a 0644 keys file exited $rc, not 1: $(cat "$WORK/open-keys.log")"
[ "$(wc -l < "$WORK/open-keys.log")" = 1 ] \
    && grep -q "^ep-live: keys file $WORK/venue.keys is open to group or others (mode 0644): chmod 600 it$" "$WORK/open-keys.log" \
    || fail "the refusal is not one line naming the file and mode: $(cat "$WORK/open-keys.log")"
chmod 640 "$WORK/venue.keys"
rc=0
timeout 20 "$BIN/ep-live" --config "$READY" > "$WORK/group-keys.log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "(mode 0640)" "$WORK/group-keys.log" || fail "a 0640 keys file: exit $rc, $(cat "$WORK/group-keys.log")"

# Keys from the environment, with no keys file at all.
sed "s|keys = \"$WORK/venue.keys\"|keys = \"$WORK/absent.keys\"|" "$READY" > "$WORK/env.zpl"
grep -q absent.keys "$WORK/env.zpl" || fail "could not point live/keys elsewhere"
EP_VENUE_API_KEY=$API_KEY EP_VENUE_API_SECRET=$API_SECRET \
    "$BIN/ep-live" --config "$WORK/env.zpl" >> "$WORK/live.log" 2>&1 &
LIVE_PID=$!
PIDS+=("$LIVE_PID")
approve_plane LIVE
wait_until 10 live_alive_is true
[ -r "/proc/$LIVE_PID/environ" ] \
    || fail "cannot read /proc/$LIVE_PID/environ: ep-live is not dumpable, so only root may (run as root)"
tr '\0' '\n' < "/proc/$LIVE_PID/environ" > "$WORK/environ.txt"
grep -q -F -e "$API_SECRET" -e "$API_KEY" "$WORK/environ.txt" \
    && fail "/proc/$LIVE_PID/environ still shows the venue key or secret"
# The names may stay in the block the kernel shows; their values are zeroed.
grep -q '^EP_VENUE_API_[A-Z]*=.' "$WORK/environ.txt" \
    && fail "/proc/$LIVE_PID/environ still holds a value for them"
# And the keys it took are the ones it signs with.
"$BIN/ep-meta" --config "$READY" select live --reason "keys from the environment" > /dev/null
echo '{"intent_id":"k-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/out.jsonl"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/out.jsonl")" = FILLED ] \
    || fail "an order signed with the keys from the environment: $(cat "$WORK/out.jsonl")"
rm -f "$WORK/environ.txt"
assert_no_secrets
pass "0644 and 0640 keys files refused with the file and mode; keys from the environment are gone from /proc/PID/environ and sign orders"
