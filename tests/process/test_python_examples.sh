#!/usr/bin/env bash
# The Python examples against the real stack, CURVE on: monitor.py follows
# from now, strategy.py pushes four intents and prints each terminal
# report; the monitor sees exactly those four, in seq order, with the plane
# state first; a second monitor from seq 1 gets the same reports from the
# journal (the query path), equal to what ep-tap prints. The module they
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
[ "$(jq -c '[.seq, .intent_id, .status, .filled_qty, .avg_price]' "$WORK/tap.jsonl")" \
  = "$(jq -c '[(.seq | tonumber), .intent_id, .status, (.filled_qty_e8 | tonumber / 1e8 | tostring), (.avg_price_e8 | tonumber / 1e8 | tostring)]' "$WORK/live.jsonl")" ] \
    || fail "monitor.py and ep-tap disagree"
pass "monitor.py from seq 1 replays the same reports ep-tap prints"

# The README shows strategy.py whole: the same file, line for line, and in
# 20 lines or fewer.
awk '/^## Python/ { p = 1 } p && /^```python/ { q = 1; next } q && /^```/ { exit } q' "$SRC/README.md" \
    > "$WORK/readme-strategy.py"
diff "$WORK/readme-strategy.py" "$SRC/examples/python/strategy.py" > "$WORK/readme.diff" \
    || fail "README's Python strategy differs from examples/python/strategy.py: $(head -n 5 "$WORK/readme.diff")"
[ "$(wc -l < "$SRC/examples/python/strategy.py")" -le 20 ] || fail "strategy.py is longer than 20 lines"
pass "the README shows strategy.py as it is ($(wc -l < "$SRC/examples/python/strategy.py") lines)"
