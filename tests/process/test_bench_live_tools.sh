#!/usr/bin/env bash
# What `scripts/bench --live` joins works: ep-loadgen drives the live plane
# against the fake venue and, with --send-times, writes one line per intent
# (its intent_id and its send time on the wall clock); the fake venue's
# GET /fakex/receipts lists each order request it read, by client order id,
# with the wall-clock time it read it; the live audit maps each intent to
# its client order id, so every intent joins to exactly one receipt; and
# ep-http-probe, the floor's HTTP exchange, answers for what it timed. No
# figure is judged here: speed is the benchmark's to measure.
TEST_STRATEGIES="s1 s2"
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "bench tools test" > /dev/null

receipts () { curl -s -f --max-time 10 "$FAKEX_CONTROL/fakex/receipts"; }

[ "$(receipts | jq -c .)" = "[]" ] || fail "receipts before any order: $(receipts)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$FAKEX_CONTROL/fakex/receipts")
[ "$code" = 405 ] || fail "POST /fakex/receipts answered $code, not 405"
pass "GET /fakex/receipts is empty before any order; POST is refused"

# ep-http-probe, the floor's HTTP exchange: each request on a fresh
# connection must answer 200, else it exits 1.
http=$("$BIN/ep-http-probe" --url "$FAKEX_URL/api/v3/ping" --requests 20 2> "$WORK/http.log") \
    || fail "ep-http-probe: $(cat "$WORK/http.log")"
jq -e '.requests == 20 and .p50_us > 0 and .p50_us <= .p99_us and .p99_us <= .max_us
       and .connect_p50_us <= .max_us' <<< "$http" > /dev/null || fail "ep-http-probe: $http"
rc=0
"$BIN/ep-http-probe" --url "$FAKEX_URL/api/v3/no-such-path" --requests 2 > /dev/null 2> "$WORK/http-bad.log" || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 404" "$WORK/http-bad.log" \
    || fail "ep-http-probe against a 404: exit $rc, $(cat "$WORK/http-bad.log")"
pass "ep-http-probe times exchanges on fresh connections ($http) and fails on a non-200"

rc=0
"$BIN/ep-loadgen" --config "$READY" --cert strategy --tag bad --intents 1 \
    --send-times "$WORK/no/such/dir/sends.txt" > /dev/null 2> "$WORK/loadgen-bad.log" || rc=$?
[ "$rc" = 2 ] && grep -q "no/such/dir" "$WORK/loadgen-bad.log" \
    || fail "ep-loadgen --send-times to a missing folder: exit $rc, $(cat "$WORK/loadgen-bad.log")"
pass "ep-loadgen --send-times to a path it cannot write exits 2 before sending"

n=30
out=$("$BIN/ep-loadgen" --config "$READY" --cert strategy --tag lv --intents $n --strategies 2 \
      --rate 300 --timeout 30 --send-times "$WORK/sends.txt" 2> "$WORK/loadgen.log") \
    || fail "ep-loadgen on the live plane: $out $(cat "$WORK/loadgen.log")"
[ "$(jq '[.intents, .terminal, .lost] | @csv' -r <<< "$out")" = "$n,$n,0" ] \
    || fail "ep-loadgen on the live plane: $out"
[ "$(wc -l < "$WORK/sends.txt")" = $n ] || fail "--send-times wrote $(wc -l < "$WORK/sends.txt") lines for $n intents"
bad=$(grep -c -v -E '^lv-[12]-[0-9]+-[0-9]+ [1-9][0-9]{15}$' "$WORK/sends.txt" || true)
[ "$bad" = 0 ] || fail "$bad lines of --send-times are not 'INTENT_ID MICROSECONDS': $(head -3 "$WORK/sends.txt")"
[ "$(cut -d' ' -f1 "$WORK/sends.txt" | sort -u | wc -l)" = $n ] || fail "an intent_id repeats in --send-times"
filled=$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 1 AND venue_status = 'FILLED'")
[ "$filled" = $n ] || fail "the venue filled $filled of $n submissions"
pass "ep-loadgen drives the live plane ($out) and --send-times writes one line per intent"

receipts > "$WORK/receipts.json" || fail "GET /fakex/receipts failed"
[ "$(jq length "$WORK/receipts.json")" = $n ] || fail "$(jq length "$WORK/receipts.json") receipts for $n orders"
jq -e 'all(.[]; (.client_order_id | type) == "string" and (.received_us | type) == "number")' \
    "$WORK/receipts.json" > /dev/null || fail "receipts not {client_order_id, received_us}: $(head -c 300 "$WORK/receipts.json")"

# The join scripts/bench makes: send time by intent_id, the intent's client
# order id from the audit, the receipt by client order id. Every intent
# joins to one receipt, and each was read after it was sent on the same
# clock (a receipt on another clock or in other units would not be).
jq -r '.[] | [.client_order_id, .received_us] | @tsv' "$WORK/receipts.json" > "$WORK/receipts.tsv"
tr ' ' '\t' < "$WORK/sends.txt" > "$WORK/sends.tsv"
sqlite3 -batch -noheader "$WORK/join.db" > "$WORK/join.out" <<EOF || fail "the join failed: $(cat "$WORK/join.out")"
CREATE TABLE sends (intent_id TEXT PRIMARY KEY, send_us INTEGER);
CREATE TABLE receipts (client_order_id TEXT, received_us INTEGER);
.mode tabs
.import $WORK/sends.tsv sends
.import $WORK/receipts.tsv receipts
ATTACH 'file:$WORK/live-audit.db?mode=ro' AS audit;
SELECT COUNT(*), COUNT(DISTINCT s.intent_id), SUM(r.received_us >= s.send_us)
  FROM sends s JOIN audit.attempts a ON a.intent_id = s.intent_id AND a.kind = 1
  JOIN receipts r ON r.client_order_id = a.client_order_id;
EOF
[ "$(cat "$WORK/join.out")" = "$n	$n	$n" ] \
    || fail "joined (rows, intents, read after sent): $(cat "$WORK/join.out"), expected $n each"
pass "GET /fakex/receipts lists each order read; every intent joins to its receipt through the audit"
