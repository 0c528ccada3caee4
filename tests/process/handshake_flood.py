"""A handshake flood, for test_security_handshake_flood.sh: CURVE handshakes
to the router from a fresh random key each (none in its allow-list), as
fast as they are answered, for SECONDS or COUNT handshakes, whichever comes
first.

    handshake_flood.py SERVER_KEY SECONDS COUNT NAME=ENDPOINT...

Each key gets one socket (PUSH, or DEALER for query: any type makes the
router's ZAP handler look at the key), which never reconnects. Up to WINDOW
handshakes are under way at once; a socket is closed once its monitor says
the router refused it. Prints the handshakes tried, those the router
refused, and the seconds it took."""
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

WINDOW = 64                             # handshakes under way at once, at most
ANSWERED = (zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
            | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_SUCCEEDED
            | zmq.EVENT_DISCONNECTED)


def main():
    server_key = sys.argv[1].encode()
    seconds, count = float(sys.argv[2]), int(sys.argv[3])
    endpoints = [argument.split("=", 1) for argument in sys.argv[4:]]
    context = zmq.Context(io_threads=1)
    poller = zmq.Poller()
    pending = {}                        # monitor -> its socket
    made = refused = 0
    start = time.monotonic()

    def close(monitor):
        socket = pending.pop(monitor)
        poller.unregister(monitor)
        socket.disable_monitor()
        monitor.close(linger=0)
        socket.close(linger=0)

    while True:
        over = made >= count or time.monotonic() - start >= seconds
        if over and not pending:
            break
        if not over and len(pending) < WINDOW:
            public, secret = zmq.curve_keypair()
            name, endpoint = endpoints[made % len(endpoints)]
            socket = context.socket(zmq.DEALER if name == "query" else zmq.PUSH)
            socket.curve_serverkey = server_key
            socket.curve_publickey = public
            socket.curve_secretkey = secret
            socket.reconnect_ivl = -1   # one handshake per key
            monitor = socket.get_monitor_socket(ANSWERED)
            socket.connect(endpoint)
            pending[monitor] = socket
            poller.register(monitor, zmq.POLLIN)
            made += 1
            continue
        # The window is full, or the time is up: wait for answers (those
        # still unanswered 2 s after the end are given up).
        ready = dict(poller.poll(100 if not over else 2000))
        if over and not ready:
            break
        for monitor in ready:
            event = recv_monitor_message(monitor)
            if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                refused += 1
            close(monitor)
    elapsed = time.monotonic() - start
    for monitor in list(pending):
        close(monitor)
    context.term()
    print(f"{made} {refused} {elapsed:.2f}")


main()
