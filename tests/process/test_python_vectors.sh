#!/usr/bin/env bash
# The Python client against the shared vectors of tests/vectors/, the ones
# test_vectors (tests/unit/test_vectors.c) checks the C side with: decimal
# text to e8 and back with the C grammar, and the error a bad quantity gets,
# and each message as the JSON line ep-tap prints. No daemon is started.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
use_python

"$PY" "$SRC/tests/process/python_vectors.py" "$SRC/tests/vectors" > "$WORK/vectors.out" 2> "$WORK/vectors.log" \
    || fail "the Python client differs from the vectors: $(head -n 40 "$WORK/vectors.out") $(tail -n 5 "$WORK/vectors.log")"
pass "the Python client agrees with every vector ($(tail -n 1 "$WORK/vectors.out"))"

# The client uses the grammar, not Python's decimal or float: nothing of
# either is imported, and "1e5" (once 100,000) is refused before sending.
grep -n -E '^\s*(import|from)\s+decimal\b|\bfloat\(|Decimal\(' "$SRC/examples/python/execplane_client.py" > "$WORK/decimal.grep" \
    && fail "execplane_client.py uses decimal or float: $(cat "$WORK/decimal.grep")"
"$PY" - > "$WORK/send.out" 2> "$WORK/send.log" <<'PY' || fail "send() with a bad quantity: $(cat "$WORK/send.log")"
import execplane_pb2 as pb
from execplane_client import ExecplaneError, Strategy

class Intake:                               # in place of the socket: what send() pushes
    sent = []
    def send(self, data):
        self.sent.append(pb.OrderIntent.FromString(data))

strategy = Strategy.__new__(Strategy)       # no connection: only what send() builds
strategy.sent, strategy.intake = {}, Intake()
for qty in ("1e5", "1,000", "NaN", "-1", " 1", "0.123456789", "0.5"):
    try:
        strategy.send(intent_id="v-1", strategy_id="v", symbol="BTCUSDT", side="BUY",
                      type="MARKET", qty=qty, ref_price="64000")
    except ExecplaneError as error:
        print(error)
print("sent", [intent.qty_e8 for intent in Intake.sent])
PY
[ "$(cat "$WORK/send.out")" = 'qty: not a decimal number ("1e5")
qty: not a decimal number ("1,000")
qty: not a decimal number ("NaN")
qty: must not be negative ("-1")
qty: not a decimal number (" 1")
qty: more than 8 decimals ("0.123456789")
sent [50000000]' ] || fail "send(): $(cat "$WORK/send.out")"
pass "send() refuses 1e5, 1,000, NaN, -1, \" 1\" and 9 decimals with ep-send's messages, and sends 0.5 alone"
