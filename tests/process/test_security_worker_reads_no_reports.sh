#!/usr/bin/env bash
# A worker key gets restore through `query`, and nothing else: its request
# for reports is refused (journaled, no answer), while a monitor key's is
# answered and the paper worker still restores.
source "$(dirname "$0")/lib.sh"
use_python
write_config
start_router
start_paper
echo '{"intent_id":"w-1","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > /dev/null || fail "ep-send"

ask () {  # ask CERT: what a "reports" query from seq 1 gets
    "$PY" - "$READY" "$1" <<'PYEOF'
import sys
from execplane_client import _Connection, ExecplaneError
conn = _Connection(sys.argv[1], sys.argv[2], False)
try:
    reports, _, _ = conn._ask(1, timeout=2.0)
    print("answered", len(reports))
except ExecplaneError as error:
    print("no answer")
conn.close()
PYEOF
}
[ "$(ask monitor)" = "answered 1" ] || fail "the monitor key's query was not answered"
[ "$(ask paper)" = "no answer" ] || fail "a worker key read reports"
[ "$(ask live)" = "no answer" ] || fail "a worker key read reports"
wait_until 5 sql_at_least "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'query: refused paper:%restored%'" 1
kill -TERM "$PAPER_PID"; wait "$PAPER_PID" || fail "ep-paper did not stop cleanly"
start_paper
wait_until 10 grep -q "restored with" "$WORK/router.log"
pass "a worker key restores through query and reads no report"
