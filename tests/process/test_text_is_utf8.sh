#!/usr/bin/env bash
# Text is cut at character boundaries and refused when it is not UTF-8
# without control characters. `ep-meta halt --reason` with 200 'é' (400
# bytes) is applied, and the reason the router keeps (at most 255 bytes) is
# cut between two characters, so that Google protobuf (the Python monitor)
# decodes the plane state, before and after a restart. ep-meta refuses a
# control character; the router refuses a command whose text is not UTF-8
# or holds a NUL (journaled, not applied).
source "$(dirname "$0")/lib.sh"
use_python
write_config
start_router

long=$(printf 'é%.0s' $(seq 200))
"$BIN/ep-meta" --config "$READY" --timeout 10 halt --reason "$long" > "$WORK/halt.json" 2> "$WORK/halt.log" \
    || fail "ep-meta halt: $(cat "$WORK/halt.log")"

read_state () {  # the plane state as the Python monitor (Google protobuf) decodes it
    "$PY" - "$READY" <<'PYEOF'
import sys
from execplane_client import Monitor
with Monitor(sys.argv[1]) as monitor:
    state = monitor.plane
    reason = state.reason
    assert state.halted, "not halted"
    assert 0 < len(reason.encode()) <= 255 and set(reason) == {"\u00e9"}, repr(reason)
    print(len(reason), state.last_command_outcome)
PYEOF
}
read_state > "$WORK/state.out" 2> "$WORK/state.log" || fail "the Python monitor: $(cat "$WORK/state.log")"
grep -q "^127 " "$WORK/state.out" || fail "the reason kept: $(cat "$WORK/state.out") (expected 127 whole 'é')"
pass "a 400-byte reason is kept as 127 whole characters; Google protobuf decodes the state"

kill -TERM "$ROUTER_PID"
wait "$ROUTER_PID" || fail "the router did not stop cleanly"
restart_router
read_state > "$WORK/state2.out" 2> "$WORK/state2.log" || fail "after a restart, the Python monitor: $(cat "$WORK/state2.log")"
pass "and so it does after a restart"

rc=0; "$BIN/ep-meta" --config "$READY" --timeout 5 resume --reason "$(printf 'a\001b')" 2> "$WORK/ctl.log" || rc=$?
[ $rc = 2 ] && grep -q "not UTF-8 text without control characters" "$WORK/ctl.log" \
    || fail "ep-meta with a control character in --reason exited $rc: $(cat "$WORK/ctl.log")"
pass "ep-meta refuses a control character"

# Commands sent as they are, with the meta key: a NUL, bytes that are no
# UTF-8, a control character. Each is refused and journaled; none applies.
"$PY" - "$READY" > "$WORK/raw.out" 2> "$WORK/raw.log" <<'PYEOF' || fail "raw commands: $(cat "$WORK/raw.log")"
import sys, time, zmq
from execplane_client import _Connection, pb
conn = _Connection(sys.argv[1], "meta", False)
conn.sub.setsockopt(zmq.SUBSCRIBE, b"plane")
control = conn._socket(zmq.PUB, "router/control")
conn._await_plane(10)
epoch = conn.plane.epoch
for n, reason in enumerate((b"ab\x00cd", b"\xc3\x28", b"line\nbreak")):
    # RESUME (3), epoch, issued_by "raw-n", the reason as bytes.
    issued_by = b"raw-%d" % n
    command = (b"\x08\x03" + b"\x18" + bytes([epoch + 1 + n]) + b"\x22" + bytes([len(issued_by)])
               + issued_by + b"\x2a" + bytes([len(reason)]) + reason)
    deadline = time.monotonic() + 10
    while conn.plane.last_command_issued_by != issued_by.decode() and time.monotonic() < deadline:
        control.send_multipart([b"control.plane", command])
        conn._read_sub(0.2)
    print(conn.plane.last_command_issued_by, conn.plane.last_command_applied,
          conn.plane.halted, conn.plane.last_command_outcome)
PYEOF
cat "$WORK/raw.out"
[ "$(grep -c "^raw-[0-9] False True refused: reason is not UTF-8 text without control characters$" "$WORK/raw.out")" = 3 ] \
    || fail "raw commands with bad text were not all refused"
[ "$(sql "SELECT COUNT(*) FROM commands WHERE applied = 0 AND outcome LIKE 'refused: reason is not UTF-8%'")" = 3 ] \
    || fail "the refusals are not journaled"
pass "a command whose text holds a NUL, no UTF-8 or a control character is refused and journaled"
