#!/usr/bin/env bash
# A strategy key cannot forge another strategy's terminal report. While
# demo's real intent X rests, key `evil` (which speaks for strategy evil
# only) pushes an intent claiming strategy_id demo and intent_id X. The
# refusal must reach evil alone: never outcome.demo, demo's journal view,
# demo's query replay or demo's client, which must still see X resting.
# evil's own client learns why, from its own stream (refused.<its key>).
source "$(dirname "$0")/lib.sh"
use_python
write_config
"$BIN/ep-keygen" --role strategy --name evil --strategy evil --certs "$CERTS" > "$WORK/keygen-evil.log" 2>&1 \
    || fail "ep-keygen evil: $(cat "$WORK/keygen-evil.log")"
start_router
start_paper
wait_until 10 paper_alive_is true
EVIL_KEY=$(public_key evil)
[ ${#EVIL_KEY} = 40 ] || fail "no public key for evil"

# A monitor on demo's topic, live, and one on evil's refusals (a strategy
# key may subscribe to refused.<its own key>, and nothing else of the kind).
"$BIN/ep-tap" --config "$READY" --strategy demo --timeout 20 > "$WORK/tap-demo.jsonl" 2> "$WORK/tap-demo.log" &
PIDS+=("$!")
"$PY" - "$READY" "$EVIL_KEY" > "$WORK/evil-sub.out" 2> "$WORK/evil-sub.log" <<'PYEOF' &
import signal, sys, zmq
from execplane_client import _Connection, pb
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
config, key = sys.argv[1], sys.argv[2]
conn = _Connection(config, "evil", False)
conn.sub.setsockopt(zmq.SUBSCRIBE, b"outcome.demo")      # refused: not its strategy
conn.sub.setsockopt(zmq.SUBSCRIBE, ("refused." + key).encode())
poller = zmq.Poller(); poller.register(conn.sub, zmq.POLLIN)
print("ready", flush=True)
while poller.poll(20000):
    topic, payload = conn.sub.recv_multipart()[:2]
    report = pb.ExecutionReport(); report.ParseFromString(payload)
    print(topic.decode(), report.intent_id, report.strategy_id or "-", report.sender_key,
          pb.Failure.Name(report.failure), flush=True)
PYEOF
PIDS+=("$!")
wait_until 10 grep -q ready "$WORK/evil-sub.out"

# demo's X rests: a LIMIT BUY below the reference price.
echo '{"intent_id":"X","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"100","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" > "$WORK/send-demo.log" 2>&1 || fail "ep-send demo: $(cat "$WORK/send-demo.log")"
wait_until 10 sql_at_least "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND status = 1" 1

# The attack: evil claims demo's X (and one more id, Y, demo never used).
printf '%s\n' \
    '{"intent_id":"X","strategy_id":"demo","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"200"}' \
    '{"intent_id":"Y","strategy_id":"demo","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"200"}' \
    | "$BIN/ep-send" --config "$READY" --cert evil --wait --timeout 15 > "$WORK/evil.jsonl" 2> "$WORK/evil.log" \
    || fail "evil's ep-send --wait did not get its answers: $(cat "$WORK/evil.log")"

# evil's client got both refusals, from its own stream, saying why.
[ "$(jq -s 'length' "$WORK/evil.jsonl")" = 2 ] || fail "evil got: $(cat "$WORK/evil.jsonl")"
jq -e --arg key "$EVIL_KEY" 'select(.status == "REJECTED" and .failure == "UNAUTHORIZED"
        and .strategy_id == "" and .sender_key == $key and .terminal
        and (.reason | test("may not speak for strategy demo")))' "$WORK/evil.jsonl" > /dev/null \
    || fail "evil's refusals: $(cat "$WORK/evil.jsonl")"
[ "$(jq -r .intent_id "$WORK/evil.jsonl" | sort | tr '\n' ' ')" = "X Y " ] || fail "evil's refusals: $(cat "$WORK/evil.jsonl")"
pass "the sender learns why, on its own stream (sender_key = its key, no strategy)"
evil_heard () { [ "$(grep -c -F "refused.$EVIL_KEY " "$WORK/evil-sub.out")" = 2 ]; }
wait_until 10 evil_heard
grep -q "^outcome" "$WORK/evil-sub.out" && fail "evil subscribed to outcome.demo: $(cat "$WORK/evil-sub.out")"
pass "evil's key follows refused.<its key> live, and may not follow outcome.demo"

# demo's journal view: only its own intent and report.
[ "$(sql "SELECT count(*) FROM reports WHERE strategy_id = 'demo' AND status = 6")" = 0 ] \
    || fail "a refusal is journaled under strategy demo"
[ "$(sql "SELECT count(*) FROM intents WHERE strategy_id = 'demo'")" = 1 ] \
    || fail "evil's intents are journaled under strategy demo"
[ "$(sql "SELECT count(*) FROM intent_keys WHERE strategy_id = 'demo' AND intent_id = 'Y'")" = 0 ] \
    || fail "evil used up demo's intent id Y"
pass "demo's journal view holds none of evil's intents or refusals"

# demo's query replay and demo's client: X still rests, no terminal report.
"$PY" - "$READY" > "$WORK/demo-client.out" 2> "$WORK/demo-client.log" <<'PYEOF' || fail "demo's client: $(cat "$WORK/demo-client.log")"
import sys
from execplane_client import Strategy, ExecplaneError, pb
with Strategy(sys.argv[1], cert="strategy") as demo:
    reports, _, _ = demo._ask(1)
    seen = [(r.intent_id, r.strategy_id, pb.Status.Name(r.status)) for r in reports]
    assert seen == [("X", "demo", "ACCEPTED")], f"demo's query replay: {seen}"
    demo.sent["X"] = {"demo"}
    demo.next_seq = 1
    try:
        got = list(demo.wait(["X"], timeout=2))
        raise SystemExit(f"demo's client took a terminal report for X: {got}")
    except ExecplaneError:
        print("X still open")
PYEOF
grep -q "X still open" "$WORK/demo-client.out" || fail "demo's client: $(cat "$WORK/demo-client.out")"
pass "demo's query replay and client see X resting, nothing of evil's"

# A monitor of demo's topic saw only X accepted.
wait_until 10 grep -q '"ACCEPTED"' "$WORK/tap-demo.jsonl"
[ "$(jq -r '[.intent_id, .status] | @csv' "$WORK/tap-demo.jsonl")" = '"X","ACCEPTED"' ] \
    || fail "ep-tap --strategy demo: $(cat "$WORK/tap-demo.jsonl")"
# And every report is either demo's or told to evil alone.
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 3 --timeout 10 > "$WORK/all.jsonl" 2>&1 || fail "ep-tap --from-seq 1"
[ "$(jq -r '[.strategy_id, .sender_key != ""] | @csv' "$WORK/all.jsonl" | sort | tr '\n' ' ')" \
    = '"",true "",true "demo",false ' ] || fail "the journal's reports: $(cat "$WORK/all.jsonl")"
pass "outcome.demo carried only demo's own report"
