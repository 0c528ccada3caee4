#!/usr/bin/env bash
# The live plane under the venue's rules, against ep-fakex enforcing them
# (its exchangeInfo fixture, the venue's timestamp rule, its clock 2 s
# behind this host's, so that a request stamped with this host's clock is
# refused -1021):
# - while the venue's rules cannot be read (its port refuses), the worker
#   does not claim the plane (its definition names their digest) and says
#   why in its log: a submission is REJECTED / PLANE_UNAVAILABLE and never
#   reaches the venue, and /healthz is 503 saying the rules are not read;
# - once the venue answers, the rules are read, the definition naming their
#   digest is approved, the venue's clock is measured and requests are
#   stamped with the venue's time: a valid order fills, and /healthz is 200
#   with the offset in the metrics;
# - an intent that breaks its symbol's rules (LOT_SIZE, PRICE_FILTER,
#   NOTIONAL, a symbol not trading, a symbol the venue lacks, an order type
#   it does not take) is REJECTED / INVALID_INTENT naming the rule, and the
#   venue never sees it; so is a MARKET FOK, which a MARKET order on the
#   venue cannot honour;
# - `ep-live --export-instruments FILE` writes the same rules for the paper
#   plane, which then refuses the same intent with the same rule.
source "$(dirname "$0")/lib.sh"

start_fakex --exchange-info "$(dirname "$0")/../fakex/exchange_info.json" --strict-clock \
    --clock-offset-ms -2000 --fault refuse
write_config
live_section "metrics = 127.0.0.1:0" "timeout_ms = 2000" "connect_timeout_ms = 1000" \
    "clock_check_ms = 60000"
# The file ep-live exports below, which the paper worker reads when it starts
printf 'paper\n    instruments = %s\n' "$WORK/instruments.txt" >> "$CFG"
start_router
# Not start_live: the plane is not claimed while the venue refuses
launch_live
"$BIN/ep-meta" --config "$READY" select live --reason "venue rules" > /dev/null

wait_until 10 grep -q "metrics on http://127\.0\.0\.1:[0-9]*/metrics" "$WORK/live.log"
LIVE_METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/live.log" | tail -n 1)
[ -n "$LIVE_METRICS" ] || fail "ep-live did not log its metrics URL"
metric () { curl -s "$LIVE_METRICS/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'; }
health_code () { curl -s -o /dev/null -w '%{http_code}' "$LIVE_METRICS/healthz"; }
health_code_is () { [ "$(health_code)" = "$1" ]; }

line () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"%s","side":"BUY","type":"%s","tif":"%s","qty":"%s"%s,"ref_price":"250"}\n' \
        "$1" "$2" "$3" "$4" "$5" "${6:+,\"limit_price\":\"$6\"}"
}
terminal () { jq -r --arg id "$1" 'select(.intent_id == $id and .terminal) | "\(.status) \(.failure) \(.reason)"' "$WORK/out.jsonl"; }
send () {
    "$BIN/ep-send" --config "$READY" --file "$WORK/in.jsonl" --wait --timeout 30 > "$WORK/out.jsonl" 2> "$WORK/send.log" \
        || fail "ep-send --wait: $(cat "$WORK/send.log")"
}

# --- the rules cannot be read: the plane is not claimed ---------------------------------
wait_until 10 grep -q "the live plane is not claimed: the venue's rules (exchangeInfo) cannot be read (.*Couldn't connect" "$WORK/live.log"
wait_until 10 health_code_is 503
curl -s "$LIVE_METRICS/healthz" | jq -e '.claimed_from_router == false and .instruments == "not read"' > /dev/null \
    || fail "/healthz while the rules are not read: $(curl -s "$LIVE_METRICS/healthz")"
line early BTCUSDT MARKET IOC 0.4 > "$WORK/in.jsonl"
send
[[ $(terminal early) == "REJECTED PLANE_UNAVAILABLE no live worker is alive"* ]] || fail "early: $(terminal early)"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')" = 0 ] || fail "the venue saw an order while the rules were not read"
pass "while the venue's rules cannot be read: the plane is not claimed (the log says why), REJECTED / PLANE_UNAVAILABLE, nothing sent, /healthz 503"

# --- read, approved, the clock measured: stamped with the venue's time ------------------
fakex_fault none
approve_plane LIVE
wait_until "$STARTUP" live_alive_is true
grep -q "symbol(s) in the venue's rules (instruments [0-9a-f]\{64\}), plane definition" "$WORK/live.log" \
    || fail "the definition presented once the rules were read was not logged"
wait_until 15 health_code_is 200
offset=$(metric execplane_venue_clock_offset_ms)
[ "$offset" -le -1900 ] && [ "$offset" -ge -2100 ] || fail "the measured offset is $offset ms, not about -2000"
grep -q "venue clock: the venue's clock is [0-9]* ms behind this host's" "$WORK/live.log" \
    || fail "the measurement was not logged"
wait_until 15 test "$(metric execplane_venue_symbols)" = 3
line ok BTCUSDT MARKET IOC 0.4 > "$WORK/in.jsonl"
send
[ "$(terminal ok | cut -d' ' -f1-2)" = "FILLED FAILURE_NONE" ] || fail "ok: $(terminal ok)"
[ "$(audit "SELECT count(*) FROM attempts WHERE status = 6 AND body LIKE '%-1021%'")" = 0 ] \
    || fail "the venue refused a timestamp"
pass "once measured (offset $offset ms): requests carry the venue's time and are accepted; /healthz 200"

# --- the venue's rules, before sending ---------------------------------------------------
{
    line step  BTCUSDT LIMIT  GTC 0.000015 240
    line tick  BTCUSDT LIMIT  GTC 1 240.005
    line small BTCUSDT MARKET IOC 0.01
    line brk   BNBUSDT LIMIT  GTC 1 240
    line none  DOGEUSDT MARKET IOC 1
    line mkt   ETHUSDT MARKET IOC 1
    line fok   BTCUSDT MARKET FOK 0.4
} > "$WORK/in.jsonl"
submissions_before=$(audit "SELECT count(*) FROM attempts WHERE kind = 1")
send
expect_rule () {
    [ "$(terminal "$1")" = "REJECTED INVALID_INTENT not sent: the venue's rules: $2" ] || fail "$1: $(terminal "$1")"
}
expect_rule step  "LOT_SIZE: qty 0.000015 is not a multiple of stepSize 0.00001 (nothing is rounded)"
expect_rule tick  "PRICE_FILTER: price 240.005 is not a multiple of tickSize 0.01 (nothing is rounded)"
expect_rule small "NOTIONAL: price x qty 2.5 is below minNotional 5"
expect_rule brk   "symbol BNBUSDT is not trading"
expect_rule none  "symbol DOGEUSDT is not in the instrument table"
expect_rule mkt   "symbol ETHUSDT does not accept MARKET orders"
[[ $(terminal fok) == "REJECTED INVALID_INTENT cannot be expressed for the venue: a MARKET FOK cannot be honoured"* ]] \
    || fail "fok: $(terminal fok)"
[ "$(audit "SELECT count(*) FROM attempts WHERE kind = 1")" = "$submissions_before" ] \
    || fail "an intent the rules refuse was written down as a submission"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')" = 1 ] \
    || fail "the venue saw an intent the rules refuse: $(curl -s "$FAKEX_CONTROL/fakex/counts")"
refused_is () { [ "$(metric execplane_live_refused_before_sending_total)" = "$1" ]; }
wait_until 5 refused_is 6
pass "the venue's rules refuse before sending, naming the rule and the values; the venue saw none of them"

# --- the same rules for the paper plane ------------------------------------------------------
"$BIN/ep-live" --config "$READY" --export-instruments "$WORK/instruments.txt" > "$WORK/export.log" 2>&1 \
    || fail "ep-live --export-instruments: $(cat "$WORK/export.log")"
grep -q '^BTCUSDT status=TRADING types=LIMIT,MARKET price=0.01:1000000:0.01 lot=0.00001:9000:0.00001' \
    "$WORK/instruments.txt" || fail "the exported rules: $(cat "$WORK/instruments.txt")"
start_paper
"$BIN/ep-meta" --config "$READY" select paper --reason "the same rules on paper" > /dev/null
line pstep BTCUSDT LIMIT GTC 0.000015 240 > "$WORK/in.jsonl"
send
[ "$(terminal pstep)" = "REJECTED INVALID_INTENT instrument rules: LOT_SIZE: qty 0.000015 is not a multiple of stepSize 0.00001 (nothing is rounded)" ] \
    || fail "paper with the exported rules: $(terminal pstep)"
pass "ep-live --export-instruments writes the venue's rules; paper refuses the same intent by the same rule"
check_journal_invariants
assert_no_secrets
