#!/usr/bin/env bash
# The Python examples against the real stack, CURVE on: monitor.py follows
# from now, strategy.py pushes four intents and prints each terminal
# report; the monitor sees exactly those four, in seq order, with the plane
# state first; a second monitor from seq 1 gets the same reports from the
# journal (the query path), the very lines ep-tap prints. The module they
# import is generated from the schema by protoc at build time.
# The examples run as the README says, through their launcher
# (examples/python/run), with PYTHONPATH unset and a python3 first on PATH
# that cannot import zmq (as a pyenv or venv one may be): the launcher
# passes it over for Debian's. The replay runs through the launcher that
# `cmake --install` puts in share/execplane/python, next to the modules.
# With no interpreter fit, the launcher names each one it tried, says what
# to install, runs nothing and exits non-zero.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
use_python

# A Python without Debian's modules (no site-packages), first on PATH.
FAKE=$WORK/fake-bin
mkdir "$FAKE"
printf '#!/bin/sh\necho "$*" >> "%s"\nexec "%s" -S "$@"\n' "$WORK/fake-python3.calls" "$PY" > "$FAKE/python3"
chmod +x "$FAKE/python3"
! "$FAKE/python3" -c 'import zmq' 2> /dev/null || fail "the fake python3 can import zmq: it tests nothing"
: > "$WORK/fake-python3.calls"
# The launcher as a user runs it: their PATH, no PYTHONPATH; the build
# tree is named (the one under test need not be the tree's build/).
launch () {
    env -u PYTHONPATH -u EXECPLANE_PYTHON PATH="$FAKE:$PATH" EXECPLANE_BUILD="$(dirname "$BIN")" "$@"
}
RUN=$SRC/examples/python/run

# No interpreter fit (a zmq that cannot be imported, ahead of every real
# one on PYTHONPATH): nothing runs, and the launcher says why.
mkdir "$WORK/broken"
echo 'raise ImportError("this zmq cannot be imported")' > "$WORK/broken/zmq.py"
echo "open('$WORK/ran', 'w')" > "$WORK/marker.py"
rc=0
launch env PYTHONPATH="$WORK/broken" "$RUN" "$WORK/marker.py" > "$WORK/unfit.out" 2> "$WORK/unfit.log" || rc=$?
[ $rc != 0 ] || fail "the launcher exited 0 with no interpreter fit"
[ ! -e "$WORK/ran" ] || fail "the launcher ran the script with an interpreter that cannot import zmq"
for says in "  $FAKE/python3: ImportError: this zmq cannot be imported" \
            "  /usr/bin/python3: ImportError: this zmq cannot be imported" \
            "apt install python3-zmq python3-protobuf" "pip install pyzmq protobuf"; do
    grep -qF -e "$says" "$WORK/unfit.log" \
        || fail "with no interpreter fit the launcher does not say '$says': $(cat "$WORK/unfit.log")"
done
pass "no interpreter fit: exit $rc, $(grep -c '^  /' "$WORK/unfit.log") interpreters named, what to install said"

write_config
start_router
start_paper

launch "$RUN" monitor.py --config "$READY" --count 4 --timeout 20 > "$WORK/monitor.out" 2> "$WORK/monitor.log" &
monitor_pid=$!
PIDS+=("$monitor_pid")
wait_until 10 grep -q plane_state "$WORK/monitor.out"

launch "$RUN" strategy.py alpha 4 "$READY" > "$WORK/strategy.out" 2> "$WORK/strategy.log" \
    || fail "strategy.py: $(cat "$WORK/strategy.log")"
[ "$(sort "$WORK/strategy.out")" = "$(printf 'alpha-py-%d FILLED FAILURE_NONE 0.5 at 64000.25\n' 0 1 2 3)" ] \
    || fail "strategy.py printed: $(cat "$WORK/strategy.out")"
pass "strategy.py: four intents, four FILLED"
# The fake python3 was asked first, each time, and never ran an example.
checks=$(grep -c -x -F -e '-c import zmq, google.protobuf' "$WORK/fake-python3.calls" || true)
[ "$checks" -ge 2 ] && ! grep -q -e 'monitor\.py\|strategy\.py' "$WORK/fake-python3.calls" \
    || fail "the launcher did not pass over the python3 first on PATH: $(cat "$WORK/fake-python3.calls")"
pass "the launcher passed over the python3 first on PATH ($checks checks) and ran both examples with another"

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

cmake --install "$(dirname "$BIN")" --prefix "$WORK/prefix" > "$WORK/install.log" 2>&1 \
    || fail "cmake --install: $(tail -n 5 "$WORK/install.log")"
launch env -u EXECPLANE_BUILD "$WORK/prefix/share/execplane/python/run" monitor.py --config "$READY" \
    --from-seq 1 --count 4 --timeout 10 > "$WORK/replay.out" 2> "$WORK/replay.log" \
    || fail "the installed monitor.py from seq 1: $(cat "$WORK/replay.log")"
diff <(tail -n +2 "$WORK/replay.out") "$WORK/live.jsonl" > /dev/null \
    || fail "the replay from the journal differs from what was seen live"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 4 --timeout 10 > "$WORK/tap.jsonl"
diff "$WORK/tap.jsonl" "$WORK/live.jsonl" > "$WORK/tap.diff" \
    || fail "monitor.py and ep-tap print different lines: $(head -n 6 "$WORK/tap.diff")"
pass "the installed monitor.py, through the installed launcher, from seq 1 replays the same reports ep-tap prints, byte for byte"

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
