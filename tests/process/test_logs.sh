#!/usr/bin/env bash
# Log lines carry a UTC timestamp, a level, the component and, about one
# intent, its strategy and id. With --log-json every line is one JSON
# object with those members; without it, every line is text of the form
# "2026-11-26T21:25:54.164Z INFO router: ...".
source "$(dirname "$0")/lib.sh"

start_fakex --fault insufficient
write_config
live_section
"$BIN/ep-router" --config "$CFG" --ready-file "$READY.new" --log-json 2> "$WORK/router.json" &
PIDS+=($!)
wait_until 10 test -f "$READY.new"
mv "$READY.new" "$READY"
describe_planes
"$BIN/ep-live" --config "$READY" --log-json 2> "$WORK/live.json" &
PIDS+=($!)
"$BIN/ep-paper" --config "$READY" 2> "$WORK/paper.log" &
PIDS+=($!)
approve_plane LIVE
approve_plane PAPER
wait_until 10 live_alive_is true
wait_until 10 paper_alive_is true
"$BIN/ep-meta" --config "$READY" select live --reason "log test" > /dev/null
echo '{"intent_id":"log-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/out.jsonl"
[ "$(jq -r .failure "$WORK/out.jsonl")" = INSUFFICIENT_FUNDS ] || fail "the intent: $(cat "$WORK/out.jsonl")"
stop_all () { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
stop_all
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done

for f in router live; do
    [ -s "$WORK/$f.json" ] || fail "no $f log"
    jq -e -c --arg c "$f" 'select((.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
        and (.level | IN("INFO", "WARN", "ERROR")) and .component == $c and (.msg | length > 0)
        | not)' "$WORK/$f.json" > "$WORK/bad.txt" 2> "$WORK/jq.err" \
        && fail "$f: a line without ts, level, component or msg: $(head -n 1 "$WORK/bad.txt")"
    [ ! -s "$WORK/jq.err" ] || fail "$f: a line that is not JSON: $(head -n 1 "$WORK/jq.err")"
    pass "$f --log-json: $(wc -l < "$WORK/$f.json") lines, each a JSON object with ts, level, component, msg"
done
line=$(jq -c 'select(.intent_id == "log-1")' "$WORK/live.json" | head -n 1)
[ -n "$line" ] && jq -e '.strategy_id == "live" and .level == "INFO"
    and (.msg | startswith("intent live/log-1: REJECTED INSUFFICIENT_FUNDS"))' <<< "$line" > /dev/null \
    || fail "the live worker's line on the intent: ${line:-none}"
pass "a line about an intent names it: $line"

# Text: every line is TIMESTAMP LEVEL COMPONENT: MESSAGE.
grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (INFO|WARN|ERROR) paper: .+' \
    "$WORK/paper.log" && fail "a text line out of form: $(grep -Ev '^[0-9]{4}-.* (INFO|WARN|ERROR) paper: ' "$WORK/paper.log" | head -n 1)"
[ -s "$WORK/paper.log" ] || fail "no paper log"
pass "text lines: $(head -n 1 "$WORK/paper.log")"
