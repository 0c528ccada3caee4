#!/usr/bin/env bash
# The Python examples against the real stack, CURVE on: monitor.py follows
# from now, strategy.py pushes four intents and prints each terminal
# report; the monitor sees exactly those four, in seq order, with the plane
# state first; a second monitor from seq 1 gets the same reports from the
# journal (the query path), the very lines ep-tap prints. The module they
# import is generated from the schema by protoc at build time.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY_GEN=$(dirname "$BIN")/python
[ -f "$PY_GEN/execplane_pb2.py" ] || fail "no $PY_GEN/execplane_pb2.py: protoc was not found at build time"
export PYTHONPATH=$PY_GEN:$SRC/examples/python
# Debian's interpreter, with python3-zmq and python3-protobuf (a python3
# found first on PATH may be another one).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c "import zmq, google.protobuf" 2> "$WORK/import.log" \
    || fail "$PY cannot import zmq and google.protobuf (apt install python3-zmq python3-protobuf): $(tail -n 1 "$WORK/import.log")"

write_config
start_router
start_paper

"$PY" "$SRC/examples/python/monitor.py" --config "$READY" --count 4 --timeout 20 > "$WORK/monitor.out" 2> "$WORK/monitor.log" &
monitor_pid=$!
PIDS+=("$monitor_pid")
wait_until 10 grep -q plane_state "$WORK/monitor.out"

"$PY" "$SRC/examples/python/strategy.py" alpha 4 "$READY" > "$WORK/strategy.out" 2> "$WORK/strategy.log" \
    || fail "strategy.py: $(cat "$WORK/strategy.log")"
[ "$(sort "$WORK/strategy.out")" = "$(printf 'alpha-py-%d FILLED FAILURE_NONE 0.5 at 64000.25\n' 0 1 2 3)" ] \
    || fail "strategy.py printed: $(cat "$WORK/strategy.out")"
pass "strategy.py: four intents, four FILLED"

rc=0; wait "$monitor_pid" || rc=$?
[ $rc = 0 ] || fail "monitor.py exited $rc: $(cat "$WORK/monitor.log")"
head -n 1 "$WORK/monitor.out" | jq -e '.plane_state.plane == "PAPER" and .plane_state.paper_alive' > /dev/null \
    || fail "monitor.py's plane state: $(head -n 1 "$WORK/monitor.out")"
tail -n +2 "$WORK/monitor.out" > "$WORK/live.jsonl"
[ "$(jq -r '[.strategy_id, .status, .terminal] | @csv' "$WORK/live.jsonl" | sort -u)" = '"alpha","FILLED",true' ] \
    || fail "monitor.py's reports: $(cat "$WORK/live.jsonl")"
[ "$(jq -s 'map(.seq | tonumber) | . == (sort | unique) and length == 4' "$WORK/live.jsonl")" = true ] \
    || fail "monitor.py's reports are not four, in seq order: $(jq -c .seq "$WORK/live.jsonl" | tr '\n' ' ')"
pass "monitor.py followed the four reports live, in seq order"

"$PY" "$SRC/examples/python/monitor.py" --config "$READY" --from-seq 1 --count 4 --timeout 10 > "$WORK/replay.out" 2> "$WORK/replay.log" \
    || fail "monitor.py from seq 1: $(cat "$WORK/replay.log")"
diff <(tail -n +2 "$WORK/replay.out") "$WORK/live.jsonl" > /dev/null \
    || fail "the replay from the journal differs from what was seen live"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 4 --timeout 10 > "$WORK/tap.jsonl"
diff "$WORK/tap.jsonl" "$WORK/live.jsonl" > "$WORK/tap.diff" \
    || fail "monitor.py and ep-tap print different lines: $(head -n 6 "$WORK/tap.diff")"
pass "monitor.py from seq 1 replays the same reports ep-tap prints, byte for byte"

# Strategy.cancel and Strategy.replace: each an intent of its own, ended by
# its own terminal report. Their targets (alpha-py-0, a BUY, and alpha-py-1,
# a SELL) had filled: REJECTED / TOO_LATE from a router that carries actions
# out, REJECTED / INVALID_INTENT naming the action from one that does not
# yet. What they carried on the wire is read back from the journal.
"$PY" - "$READY" > "$WORK/actions.out" 2> "$WORK/actions.log" <<'PY' || fail "cancel and replace: $(cat "$WORK/actions.log")"
import sys
from execplane_client import ExecplaneError, Strategy, name, pb

with Strategy(sys.argv[1]) as strategy:
    # Refused before anything is sent: a target this client did not send
    # (so no strategy to speak for), and a replace told to be a PLACE.
    for call in (lambda: strategy.cancel("alpha-py-cancel", "alpha-py-0"),
                 lambda: strategy.replace("alpha-py-replace", "alpha-py-1", strategy_id="alpha",
                                          action="PLACE")):
        try:
            call()
            sys.exit("a cancel or replace that cannot be built was sent")
        except ExecplaneError as error:
            print("refused:", error, file=sys.stderr)
    ids = [strategy.cancel("alpha-py-cancel", "alpha-py-0", strategy_id="alpha"),
           strategy.replace("alpha-py-replace", "alpha-py-1", strategy_id="alpha",
                            symbol="BTCUSDT", side="SELL", tif="GTC", qty="0.5",
                            limit_price="64000.25", ref_price="64000.25")]
    for report in strategy.wait(ids, timeout=30):
        print(report.intent_id, report.strategy_id, name(pb.Status, report.status),
              name(pb.Failure, report.failure), report.reason)
PY
while read -r id strategy status failure reason; do
    [ "$strategy $status $failure" = "alpha REJECTED TOO_LATE" ] || fail "$id: $strategy $status $failure $reason"
done < "$WORK/actions.out"
[ "$(cut -d' ' -f1 "$WORK/actions.out" | sort | tr '\n' ' ')" = "alpha-py-cancel alpha-py-replace " ] \
    || fail "not one terminal report each for the cancel and the replace: $(cat "$WORK/actions.out")"
sql "SELECT hex(payload) FROM intents WHERE strategy_id = 'alpha'
     AND intent_id IN ('alpha-py-cancel', 'alpha-py-replace') ORDER BY intent_id" \
    | "$PY" -c '
import sys
from google.protobuf import text_format
import execplane_pb2 as pb
for line in sys.stdin:
    print(text_format.MessageToString(pb.OrderIntent.FromString(bytes.fromhex(line.strip())),
                                      as_one_line=True))' > "$WORK/actions.sent"
[ "$(cat "$WORK/actions.sent")" = 'intent_id: "alpha-py-cancel" strategy_id: "alpha" action: CANCEL target_intent_id: "alpha-py-0"
intent_id: "alpha-py-replace" strategy_id: "alpha" symbol: "BTCUSDT" side: SELL type: LIMIT tif: GTC qty_e8: 50000000 limit_price_e8: 6400025000000 ref_price_e8: 6400025000000 action: REPLACE target_intent_id: "alpha-py-1"' ] \
    || fail "the cancel and replace as sent: $(cat "$WORK/actions.sent")"
pass "Strategy.cancel and Strategy.replace: one terminal report each ($(cut -d' ' -f3,4 "$WORK/actions.out" | sort -u | tr '\n' ' ')), action and target as sent"

# The README shows strategy.py whole: the same file, line for line, and in
# 20 lines or fewer.
awk '/^## Python/ { p = 1 } p && /^```python/ { q = 1; next } q && /^```/ { exit } q' "$SRC/README.md" \
    > "$WORK/readme-strategy.py"
diff "$WORK/readme-strategy.py" "$SRC/examples/python/strategy.py" > "$WORK/readme.diff" \
    || fail "README's Python strategy differs from examples/python/strategy.py: $(head -n 5 "$WORK/readme.diff")"
[ "$(wc -l < "$SRC/examples/python/strategy.py")" -le 20 ] || fail "strategy.py is longer than 20 lines"
pass "the README shows strategy.py as it is ($(wc -l < "$SRC/examples/python/strategy.py") lines)"
