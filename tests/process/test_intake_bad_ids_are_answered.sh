#!/usr/bin/env bash
# Every intent that decodes, from an authenticated sender, gets exactly one
# terminal report its sender can read, whatever is wrong with it: an
# intent_id with a space, a non-ASCII letter, or none at all is REJECTED /
# INVALID_INTENT with a reason naming the field; so is a strategy_id that
# is not valid (told to the sender alone). Only ids that are not UTF-8, or
# hold a NUL (protobuf-c would cut the id there, so a report would name
# another intent), stay unreported: counted as malformed and logged.
source "$(dirname "$0")/lib.sh"
use_python
write_config
start_router
start_paper
wait_until 10 paper_alive_is true
malformed_before=$(stats_field malformed)

"$PY" - "$READY" "$(public_key strategy)" > "$WORK/client.out" 2> "$WORK/client.log" <<'PYEOF' \
    || fail "the client: $(cat "$WORK/client.log") $(cat "$WORK/client.out")"
import sys
from execplane_client import Strategy, pb
config, key = sys.argv[1], sys.argv[2]
fields = dict(symbol="BTCUSDT", side="BUY", type="MARKET", qty="1", ref_price="100")
with Strategy(config, cert="strategy") as s:
    # Well-formed text, but not valid ids: each must be answered.
    for intent_id in ("a b", "\u00e9t\u00e9", "", "tab\there"):
        s.send(intent_id=intent_id, strategy_id="demo", **fields)
    s.send(intent_id="bad-strategy", strategy_id="de mo", **fields)
    s.send(intent_id="bad-symbol", strategy_id="demo", **dict(fields, symbol="BTC\u00e9"))
    # Not UTF-8, or a NUL: no report can name these (the raw bytes of an
    # OrderIntent: field 1 intent_id, field 2 strategy_id).
    def raw(intent_id, strategy_id=b"demo"):
        return (b"\x0a" + bytes([len(intent_id)]) + intent_id
                + b"\x12" + bytes([len(strategy_id)]) + strategy_id)
    s.intake.send(raw(b"\xff\xfe"))
    s.intake.send(raw(b"ab\x00cd"))
    s.intake.send(raw(b"ok-1", b"de\x00mo"))
    # Readable ids, a symbol that is no text: answered, the symbol not echoed.
    s.sent["bytes-symbol"] = {"demo"}
    s.intake.send(raw(b"bytes-symbol") + b"\x1a\x02\xc3\x28")
    # And one good intent after them, so that all before it were read.
    s.send(intent_id="good-1", strategy_id="demo", **fields)
    want = ["a b", "\u00e9t\u00e9", "", "tab\there", "bad-strategy", "bad-symbol", "bytes-symbol",
            "good-1"]
    got = {r.intent_id: r for r in s.wait(want, timeout=15)}
    for intent_id in want:
        r = got[intent_id]
        assert intent_id != "bytes-symbol" or r.symbol == "", r.symbol
        print(repr(intent_id), pb.Status.Name(r.status), pb.Failure.Name(r.failure),
              repr(r.strategy_id), r.sender_key == key, repr(r.reason))
    # Nothing more came: no report on the unreadable ones.
    reports, _, _ = s._ask(1)
    print("total", len(reports), sorted({r.intent_id for r in reports} - set(want)))
PYEOF
cat "$WORK/client.out"
check () {  # check ID_REPR STATUS FAILURE STRATEGY TOLD_TO_SENDER REASON_PATTERN
    grep -F "$1 $2 $3 $4 $5 " "$WORK/client.out" | grep -q -E "$6" \
        || fail "intent $1: expected $2 $3 on $4 (sender stream $5) with a reason matching $6"
}
check "'a b'"        REJECTED INVALID_INTENT "'demo'" False "intent_id must be"
check "'été'"        REJECTED INVALID_INTENT "'demo'" False "intent_id must be"
check "''"           REJECTED INVALID_INTENT "'demo'" False "intent_id must be"
check "'tab\\there'" REJECTED INVALID_INTENT "'demo'" False "intent_id must be"
check "'bad-strategy'" REJECTED INVALID_INTENT "''" True "strategy_id must be"
check "'bad-symbol'" REJECTED INVALID_INTENT "'demo'" False "symbol"
check "'bytes-symbol'" REJECTED INVALID_INTENT "'demo'" False "symbol is not UTF-8 text"
check "'good-1'"     FILLED   FAILURE_NONE   "'demo'" False ""
pass "ids with a space, a non-ASCII letter, a tab or nothing are REJECTED / INVALID_INTENT, naming the field"
grep -q "^total 8 \[\]$" "$WORK/client.out" || fail "reports beyond the eight: $(grep total "$WORK/client.out")"
malformed_is () { [ "$(stats_field malformed)" = "$1" ]; }
wait_until 5 malformed_is $((malformed_before + 3))
wait_until 5 grep -q "malformed message(s) dropped" "$WORK/router.log"
pass "ids that are not UTF-8 or hold a NUL: no report, counted malformed (3) and logged"
check_journal_invariants
