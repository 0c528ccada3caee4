#!/usr/bin/env bash
# The live plane keeps within the venue's rate limits, against ep-fakex
# enforcing them (--rate-limits, a request weight limit of 3000 a minute,
# published in its exchangeInfo, which the plane reads):
# (a) 200 resting LIMIT orders (--hold), polled at live/poll_ms = 1000: an
#     ungoverned plane would send 200 x 4 weight a second, 3000 in under 4
#     s. Followed for 30 s: the venue never answers 429 or 418, no minute
#     of its requests weighs more than the limit, and every order is still
#     followed, its queries coming further apart;
# (b) a 429 (fault http-429, Retry-After 7): no request at all reaches the
#     venue for 7 s after it (its request log and the audit's attempts),
#     an ERROR line says until when, the metrics show it, an intent sent
#     meanwhile whose time to be sent ends inside the wait is REJECTED /
#     RATE_LIMITED and never sent; then traffic resumes;
# (c) the same for a 418 (fault http-418, --ban-retry-after 2), and an
#     intent sent during the ban whose time to be sent outlasts it waits
#     and is sent once the ban is over.
# Bounded: every wait is a poll of a condition with a limit; ~60 s.
source "$(dirname "$0")/lib.sh"

LIMIT=3000
start_fakex --exchange-info "$(dirname "$0")/../fakex/exchange_info.json" --hold \
    --rate-limits --weight-limit "$LIMIT" --order-limit-10s 1000 --ban-retry-after 2
# A live intent may be sent within 6 - 1.5 - 1 = 3.5 s of its dispatch
write_config "live_deadline_ms = 6000" "worker_timeout_ms = 3000"
live_section "metrics = 127.0.0.1:0" "timeout_ms = 1500" "connect_timeout_ms = 500" \
    "poll_ms = 1000"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "rate limits" > /dev/null

LIVE_METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/live.log" | tail -n 1)
[ -n "$LIVE_METRICS" ] || fail "ep-live did not log its metrics URL"
metric () { curl -s "$LIVE_METRICS/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'; }
metric_is () { [ "$(metric "$1")" = "$2" ]; }
metric_above () { local v; v=$(metric "$1"); [ "$v" != none ] && [ "$v" -gt "$2" ]; }
# The venue's limits and clock are read before any order is sent
wait_until 10 metric_is execplane_venue_weight_limit "$LIMIT"
wait_until 10 metric_is execplane_venue_clock_known 1

now_ms () { date +%s%3N; }
intent () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"0.1","limit_price":"%s","ref_price":"250"}\n' "$1" "${2:-200.5}"
}
requests () { curl -s "$FAKEX_CONTROL/fakex/requests"; }
rate () { curl -s "$FAKEX_CONTROL/fakex/rate"; }
# The most weight any 60 s of the venue's request log holds (its weights)
heaviest_minute () {
    requests | jq -r '.requests[] | "\(.[0]) \(.[1])"' | awk '
        { ms[NR] = $1; w[NR] = 1 }
        $2 == "GET" && $3 == "/api/v3/order" { w[NR] = 4 }
        $3 == "/api/v3/exchangeInfo" { w[NR] = 20 }
        END { first = 1; sum = 0; most = 0
              for (i = 1; i <= NR; i++) {
                  sum += w[i]
                  while (ms[i] - ms[first] >= 60000) { sum -= w[first]; first++ }
                  if (sum > most) most = sum
              }
              print most }'
}

# --- (a) 200 resting orders under a small limit --------------------------
for i in $(seq 1 200); do intent "r-$i"; done > "$WORK/resting.jsonl"
"$BIN/ep-send" --config "$READY" < "$WORK/resting.jsonl" > /dev/null
accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 200; }
wait_until 30 accepted
start=$(now_ms)
wait_until 5 metric_is execplane_live_orders_followed 200
# Followed for 30 s: every order queried, and queries still coming at the end
queried_all () { [ "$(audit "SELECT COUNT(DISTINCT client_order_id) FROM attempts WHERE kind = 2")" = 200 ]; }
wait_until 20 queried_all
late_query () { audit_has "SELECT 1 FROM attempts WHERE kind = 2 AND created_us / 1000 > $start + 30000"; }
wait_until 45 late_query
[ "$(rate | jq '.retry_until_ms + .banned_until_ms')" = 0 ] || fail "the venue rate-limited the plane: $(rate)"
[ "$(audit "SELECT COUNT(*) FROM attempts WHERE http_status IN (429, 418)")" = 0 ] \
    || fail "the venue answered 429 or 418: $(audit "SELECT http_status, reason FROM attempts WHERE http_status IN (429, 418)")"
heaviest=$(heaviest_minute)
[ "$heaviest" -le "$LIMIT" ] || fail "a minute of requests weighed $heaviest, beyond $LIMIT"
[ "$(metric execplane_live_orders_followed)" = 200 ] || fail "an order is no longer followed"
# Queries kept coming in the last 10 s, each order queried a few times at
# most where an ungoverned plane would have queried it every second
recent=$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 2 AND created_us / 1000 > $start + 20000")
[ "$recent" -gt 0 ] || fail "no order was queried in the last 10 s"
most=$(audit "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM attempts WHERE kind = 2 GROUP BY client_order_id)")
[ "$most" -le 4 ] || fail "an order was queried $most times in ~32 s"
queries=$(audit "SELECT COUNT(*) FROM attempts WHERE kind = 2")
pass "(a) 200 resting orders followed for 30 s under $LIMIT weight a minute: $queries queries (at most $most per order), the heaviest minute $heaviest, no 429"

# --- (b) and (c): nothing sent inside a 429's or a 418's Retry-After --------
eth () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"ETHUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"0.1","limit_price":"300","ref_price":"250"}\n' "$1"
}
# send FILE: one intent, waiting for its terminal report in $WORK/FILE.jsonl
send () { "$BIN/ep-send" --config "$READY" --wait --timeout 15 > "$WORK/$1.jsonl" || fail "$1: no terminal report"; }
terminal_is () {
    jq -e --arg s "$2" --arg f "$3" 'select(.terminal) | .status == $s and .failure == $f' \
        "$WORK/$1.jsonl" > /dev/null || fail "$1: expected $2 / $3: $(cat "$WORK/$1.jsonl")"
}
# hit FAULT NAME: one submission meets FAULT; sets HIT_MS, when the venue read it
hit () {
    local before
    before=$(requests | jq '.requests | length')
    fakex_fault "$1"
    eth "$2-hit" | send "$2-hit"
    fakex_fault none
    terminal_is "$2-hit" REJECTED RATE_LIMITED
    HIT_MS=$(requests | jq --argjson n "$before" '[.requests[$n:][] | select(.[1] == "POST /api/v3/order")][0][0]')
    [ "$HIT_MS" != null ] || fail "$2-hit never reached the venue"
}
# quiet_for NAME SECONDS LOG: the first request after HIT_MS came SECONDS
# later or more, the audit wrote no attempt in between, and LOG is logged once
quiet_for () {
    local next_ms attempts
    next_ms=$(requests | jq --argjson t "$HIT_MS" '[.requests[] | select(.[0] > $t)][0][0]')
    [ "$next_ms" != null ] || fail "($1) no request after the fault"
    [ $(( next_ms - HIT_MS )) -ge $(( $2 * 1000 )) ] \
        || fail "($1) a request reached the venue $(( next_ms - HIT_MS )) ms after the fault, inside Retry-After ($2 s): $(requests | jq -c --argjson t "$HIT_MS" '[.requests[] | select(.[0] > $t)][0:3]')"
    attempts=$(audit "SELECT COUNT(*) FROM attempts WHERE created_us / 1000 > $HIT_MS AND created_us / 1000 < $HIT_MS + $2 * 1000")
    [ "$attempts" = 0 ] || fail "($1) the audit has $attempts attempt(s) inside Retry-After"
    [ "$(grep -c "ERROR live: venue rate limit: $3" "$WORK/live.log")" = 1 ] \
        || fail "($1) expected one ERROR line: $(grep 'venue rate limit' "$WORK/live.log")"
    QUIET_MS=$(( next_ms - HIT_MS ))
}

# (b) A 429 with Retry-After 7. Sent during it, an intent whose time to be
# sent (3.5 s) ends before the wait does is REJECTED / RATE_LIMITED unsent.
hit http-429 b
eth b-wait | send b-wait
terminal_is b-wait REJECTED RATE_LIMITED
jq -e 'select(.terminal) | .reason | test("^not sent: rate limited: the venue.s 429 \\(Retry-After\\) holds requests until [0-9T:.-]+Z, after its time to be sent ends at [0-9T:.-]+Z$")' \
    "$WORK/b-wait.jsonl" > /dev/null || fail "b-wait's reason: $(cat "$WORK/b-wait.jsonl")"
[ -z "$(audit "SELECT 1 FROM attempts WHERE intent_id = 'b-wait'")" ] || fail "b-wait was written down"
wait_until 3 metric_above execplane_venue_banned_seconds 0
wait_until 3 metric_is execplane_live_rate_limited_total 1
# Once it has passed, traffic resumes: an intent is sent and fills
wait_until 12 metric_is execplane_venue_banned_seconds 0
eth b-after | send b-after
terminal_is b-after FILLED FAILURE_NONE
quiet_for b 7 "too much sent"
pass "(b) after a 429 (Retry-After 7 s) nothing reached the venue for $QUIET_MS ms; an intent that could not wait was REJECTED / RATE_LIMITED unsent; then traffic resumed"

# (c) A 418 with Retry-After 2 (--ban-retry-after): an intent sent during
# the ban, whose time to be sent outlasts it, waits and is sent after it.
hit http-418 c
eth c-wait | send c-wait
terminal_is c-wait FILLED FAILURE_NONE
quiet_for c 2 "this IP is banned"
waited=$(( $(audit "SELECT created_us / 1000 FROM attempts WHERE intent_id = 'c-wait'") - HIT_MS ))
[ "$waited" -ge 2000 ] || fail "(c) c-wait was sent $waited ms after the 418"
wait_until 3 metric_is execplane_live_rate_limited_total 1
[ "$(rate | jq '.banned_until_ms + .retry_until_ms')" = 0 ] || fail "the venue itself banned the plane: $(rate)"
pass "(c) after a 418 (Retry-After 2 s) nothing reached the venue for $QUIET_MS ms; an intent sent meanwhile waited and was sent $waited ms after it, then filled"
