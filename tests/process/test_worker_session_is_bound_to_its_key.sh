#!/usr/bin/env bash
# A worker session is bound to the key that presented it. Live dispatches
# name the adopted session, so any live-plane key can learn it; a second
# live key that speaks as that session (a forged "bye", heartbeat, report,
# or claim) is refused and journaled, and the plane keeps its worker. The
# real worker, stopped cleanly, says so: the plane is unavailable at once,
# not after worker_timeout_ms (a minute here).
source "$(dirname "$0")/lib.sh"
use_python
start_fakex
write_config "worker_timeout_ms = 60000"
live_section
"$BIN/ep-keygen" --role worker --plane live --name live2 --certs "$CERTS" > /dev/null
start_router
start_paper
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "impersonation test" > /dev/null
wait_until 10 grep -q "LIVE worker [0-9a-f]* alive" "$WORK/router.log"
SESSION=$(grep -o "LIVE worker [0-9a-f]* alive" "$WORK/router.log" | tail -n 1 | cut -d' ' -f3)

"$PY" - "$READY" "$SESSION" > "$WORK/forge.out" 2> "$WORK/forge.log" <<'PYEOF' || fail "the forger: $(cat "$WORK/forge.log")"
import sys, zmq
from execplane_client import _Connection, pb
config, session = sys.argv[1], sys.argv[2]
conn = _Connection(config, "live2", False)
results = conn._socket(zmq.PUSH, "router/results")
forged = pb.ExecutionReport(intent_id="x", strategy_id="live", router_seq=1, status=pb.FILLED,
                            terminal=True, filled_qty_e8=100000000, avg_price_e8=1)
for kind, message in ((b"bye", pb.WorkerMessage(plane=pb.LIVE, session=session, number=1)),
                      (b"hb", pb.WorkerMessage(plane=pb.LIVE, session=session, number=2)),
                      (b"reports", pb.WorkerMessage(plane=pb.LIVE, session=session, number=3,
                                                    tick=1, reports=[forged]))):
    results.send_multipart([kind, message.SerializeToString()])
# And a claim as that session, through query.
request = pb.RestoreRequest(plane=pb.LIVE, session=session)
conn.query.send_multipart([b"restore", request.SerializeToString()])
if conn.query.poll(5000):
    print(" ".join(frame.decode(errors="replace") for frame in conn.query.recv_multipart()[:2]))
conn.close()
PYEOF
grep -q "^refused worker session $SESSION belongs to another key$" "$WORK/forge.out" \
    || fail "the forged claim was answered: $(cat "$WORK/forge.out")"
wait_until 10 sql_at_least "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'results: refused live2:%session $SESSION belongs to another key'" 1
[ "$(plane_field live_alive)" = true ] || fail "a forged bye took the live plane's worker away"
[ "$(sql "SELECT COUNT(*) FROM reports")" = 0 ] || fail "a forged report was journaled"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'bogus-report'")" = 0 ] || fail "a forged report was taken as the plane's"
assert_live_fills after-forgery "a live intent after the forgery"
pass "another live key speaking as the adopted session is refused; the plane keeps its worker"

kill -TERM "$LIVE_PID"
wait "$LIVE_PID" || fail "ep-live did not stop cleanly"
wait_until 5 live_alive_is false
grep -q "LIVE worker $SESSION lost: it stopped" "$WORK/router.log" || fail "the router did not hear the worker stop"
pass "a worker that stops says so: its plane is unavailable at once"
