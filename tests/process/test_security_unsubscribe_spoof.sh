#!/usr/bin/env bash
# Unsubscribe frames cannot mark the live plane dead. Peers on `dispatch`
# send unsubscriptions from exec.live that they never subscribed, then
# subscribe and go (libzmq then hands over the end of what they asked for,
# applied or not, with no sender): a second live-plane key (its own
# connection's subscription, nothing else) and the paper worker's key
# (refused: it may not take back what it may not have; journaled). The
# live plane stays alive and executes: whether its worker is subscribed
# is proven per connection, by the worker repeating the router's probes.
# Once the real worker is killed the plane is dead within
# worker_timeout_ms.
source "$(dirname "$0")/lib.sh"
use_python
start_fakex
write_config "worker_timeout_ms = 1500"
live_section
"$BIN/ep-keygen" --role worker --plane live --name live2 --certs "$CERTS" > /dev/null
start_router
start_paper
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "unsubscribe spoof test" > /dev/null

spoof () {  # spoof CERT N: N connections to dispatch (XSUB, as an attacker speaks), each
            # subscribing to exec.live, unsubscribing, subscribing again, then going
    "$PY" - "$READY" "$1" "$2" <<'PYEOF'
import sys, zmq
from zmq.utils.monitor import recv_monitor_message
from execplane_client import _Connection
conn = _Connection(sys.argv[1], sys.argv[2], False)
for _ in range(int(sys.argv[3])):
    dispatch = conn.context.socket(zmq.XSUB)
    dispatch.linger = 1000
    dispatch.curve_publickey, dispatch.curve_secretkey = conn.public, conn.secret
    dispatch.curve_serverkey = conn.router
    # Frames an XSUB sends before its connection is up are dropped: wait
    # for the handshake, bounded.
    monitor = dispatch.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    dispatch.connect(conn.config["router/dispatch"])
    if not monitor.poll(5000):
        raise SystemExit("no handshake with dispatch within 5 s")
    recv_monitor_message(monitor)
    dispatch.disable_monitor()
    monitor.close()
    for frame in (b"\x01exec.live", b"\x00exec.live", b"\x01exec.live"):
        dispatch.send(frame)
    dispatch.close()    # with linger: what was sent leaves before the connection ends
conn.close()
PYEOF
}
unauthorized_before=$(stats_field unauthorized)
spoof live2 20 || fail "the spoofing client (live2) failed"
spoof paper 20 || fail "the spoofing client (paper) failed"
wait_until 10 sql_at_least "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'dispatch: refused paper:%subscription to \"exec.live\"'" 1
wait_until 10 stats_at_least unauthorized $((unauthorized_before + 20))
# Past worker_timeout_ms after the spoofing, the plane is still alive.
spoofed_at=$(date +%s%N)
until [ $(( ($(date +%s%N) - spoofed_at) / 1000000 )) -gt 3000 ]; do
    [ "$(plane_field live_alive)" = true ] || fail "the spoofed unsubscriptions marked the live plane dead"
done
grep -q "LIVE worker .* lost" "$WORK/router.log" && fail "the router lost the live worker: $(grep lost "$WORK/router.log")"

assert_live_fills after-spoof "a live intent after the spoofing"
pass "40 spoofing connections, 20 of them refused (un)subscriptions: the live plane stays alive and fills"

kill -KILL "$LIVE_PID"
wait_until 5 live_alive_is false
pass "the real worker gone, the plane is dead within worker_timeout_ms"
check_journal_invariants
