#!/usr/bin/env bash
# The venue's user data stream may come up before the live plane is claimed:
# here the venue's REST API cannot be reached at first, so its rules are not
# read, the plane's definition (which names their digest) not presented, and
# no router has adopted the worker (a router ignores a worker it has not
# adopted), while the stream, on a port of its own, is up. What the stream
# said meanwhile is not lost: once the rules are read (asked again 5 s
# later) and the plane claimed, its coming up is an event in the journal,
# once.
source "$(dirname "$0")/lib.sh"

start_fakex_stream --balances "USDT=100000,BTC=10"
rest_port=$(free_ports 1)
write_config
FAKEX_URL=http://127.0.0.1:$rest_port live_section "stream_url = $FAKEX_WS"
start_router
launch_live

# Subscribed at the venue; the rules unread: nothing presented, not claimed.
subscribed () { [ "$(curl -s -f "$FAKEX_CONTROL/fakex/ws" | jq -r .subscriptions)" -ge 1 ]; }
wait_until 20 subscribed
wait_until 10 grep -q "the live plane is not claimed: the venue's rules (exchangeInfo) cannot be read" "$WORK/live.log"
[ "$(plane_field live_alive)" = false ] || fail "the live plane is alive before its rules were read"
[ "$(stream_events stream-up)" = 0 ] \
    || fail "a stream event was journaled from a worker the router has not adopted"

# The venue's REST API comes up (another fake venue, the same key).
"$BIN/ep-fakex" --port "$rest_port" --control-port 0 --price "${FAKEX_PRICE:-250.25}" \
    --api-key "$API_KEY" --api-secret "$API_SECRET" --ed25519-public-key "$WORK/ed25519.pub" \
    > "$WORK/fakex-rest.out" 2>> "$WORK/fakex-rest.log" &
PIDS+=("$!")
approve_plane LIVE
wait_until "$STARTUP" live_alive_is true
wait_until 10 stream_events_at_least stream-up 1
[ "$(stream_events stream-up)" = 1 ] || fail "the stream's coming up was journaled $(stream_events stream-up) times"
[ "$(curl -s -f "$FAKEX_CONTROL/fakex/ws" | jq -r .subscriptions)" = 1 ] \
    || fail "the stream subscribed again: this test is about the first subscription"
pass "the stream came up while the venue's rules could not be read; told once the plane was claimed, once"
