"""What became of intents, asked of the router: its query socket's frame
"intents" (README "The query socket"). For each (strategy_id, intent_id)
the router says whether its journal holds it (a router read it), its
router_seq, and whether it ended and with which status. After a router was
lost (README "Two routers"), an intent sent to it that the router which
took over does not hold, while nothing waits unread on its intake, was
never read: no report will ever come on it, and nothing re-sends it.

    from execplane_client import Strategy
    from execplane_fates import fates

    with Strategy(config) as strategy:
        answer = fates(strategy, [("kr", "o-1"), ("kr", "o-2")])
        for fate in answer.fates:
            print(fate.intent_id, fate.held, fate.ended)

A strategy key asks only about the strategies it speaks for; a monitor key
about any."""
import time

import zmq

import execplane_pb2 as pb
from execplane_client import ExecplaneError

INTENTS_MAX = 256               # the most one request may ask about (the router's cap)
ASK_S = 1.0                     # an ask unanswered this long is asked again...
TRIES = 3                       # ...this many times in all


class NoAnswer(ExecplaneError):
    """The router answered nothing: one older than the frame (it ignores a
    kind it does not know), or none there."""


def fates(connection, intents, tries=TRIES):
    """The router's IntentsReply for intents, (strategy_id, intent_id)
    pairs (at most INTENTS_MAX): .fates in the order asked, .head_seq, and
    .intake_waiting (intents wait unread on its intake: one not held may
    still be read; ask again). connection: a Strategy or Monitor. Raises
    ExecplaneError with the router's reason if it refused the request, and
    NoAnswer if no answer came after tries asks, ASK_S apart."""
    intents = list(intents)
    if len(intents) > INTENTS_MAX:
        raise ExecplaneError(f"{len(intents)} intents: at most {INTENTS_MAX} per request")
    request = pb.IntentsRequest(intents=[pb.IntentRef(strategy_id=s, intent_id=i)
                                         for s, i in intents])
    body = request.SerializeToString()
    for _ in range(tries):
        try:
            connection.query.send_multipart([b"intents", body], zmq.NOBLOCK)
        except zmq.Again:
            pass                                    # no router there now
        deadline = time.monotonic() + ASK_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not connection.query.poll(int(left * 1000)):
                break
            kind, answer = connection.query.recv_multipart()[:2]
            if kind == b"intents":
                return pb.IntentsReply.FromString(answer)
            if kind == b"refused":
                raise ExecplaneError(f"the router refused: {answer.decode(errors='replace')}")
            # A late answer to another question (report replay): not ours
    raise NoAnswer(f"no answer to \"intents\" from the router's query socket after {tries} "
                   f"asks, {ASK_S} s apart (a router older than the frame answers nothing)")
