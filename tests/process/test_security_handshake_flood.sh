#!/usr/bin/env bash
# A flood of CURVE handshakes from fresh random keys (none admitted) cannot
# flood the journal, the log or the router's memory: the `refused` rows stay
# within the budget (20 detailed per 10 s across all keys, and one summary of
# the rest per 10 s), the summaries account for every refusal the router
# counted, its RSS stays flat (a second flood adds nothing), and a real
# strategy is still served.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c 'import zmq; assert zmq.has("curve")' 2> "$WORK/import.log" \
    || fail "$PY cannot import zmq with CURVE (apt install python3-zmq): $(tail -n 1 "$WORK/import.log")"
SECONDS_MAX=${FLOOD_SECONDS:-10}       # how long the flood lasts at most
HANDSHAKES=${FLOOD_HANDSHAKES:-8000}    # and how many handshakes it tries at most
MIN_REFUSED=${FLOOD_MIN_REFUSED:-2000}  # fewer refused by the router: not a flood
# The router's RSS may grow this much: 8,000 refused handshakes add 130 to
# 260 KiB (libzmq's and malloc's own), and kept 290 bytes per refused key
# before the guard's memory of keys was bounded (+2.3 MiB for 8,000).
RSS_MARGIN_KIB=$((2 * 1024))
RSS_FIRST_KIB=$RSS_MARGIN_KIB           # and this much under the first flood,
RSS_SECOND_KIB=$RSS_MARGIN_KIB          # and this much under the second
# Under AddressSanitizer freed memory waits in a quarantine before it is
# reused (256 MiB by default: the floods churn enough to fill it, +250 MiB
# of RSS that a second flood tops up), and each byte of the heap has its
# shadow (1/8). The router's quarantine is made small here, so that the
# first flood fills it: then the first may add no more than the quarantine,
# its shadow and 10 MiB of the sanitizer's own caches (up to 5 MiB seen),
# and the second no more than a quarter of the quarantine besides the real
# build's margin (the chunks it gives back settle in the allocator's size
# classes: up to +3.4 MiB seen; 290 bytes kept per refused key add 22 MiB).
ldd_out=$(ldd "$BIN/ep-router")     # captured: `ldd | grep -q` fails on SIGPIPE
case $ldd_out in
*libasan*)
    QUARANTINE_MB=16
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=$QUARANTINE_MB"
    RSS_FIRST_KIB=$(( QUARANTINE_MB * 1024 * 9 / 8 + 10 * 1024 ))
    RSS_SECOND_KIB=$(( RSS_MARGIN_KIB + QUARANTINE_MB * 1024 / 4 ))
    ;;
esac

write_config
started_ns=$(date +%s%N)
start_router
start_paper

endpoint () { sed -n "s|^ *$1 = \"\(.*\)\"$|\1|p" "$READY"; }
rss_kib () { awk '$1 == "VmRSS:" { print $2 }' "/proc/$ROUTER_PID/status"; }
refused_rows () { sql "SELECT COUNT(*) FROM events WHERE kind = 'refused'"; }
summary_rows () { sql "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE '% more refusal% in the last %'"; }
# The refusals the summaries sum up (their detail starts with the number).
summed () { sql "SELECT IFNULL(SUM(CAST(detail AS INTEGER)), 0) FROM events WHERE kind = 'refused' AND detail LIKE '% more refusal% in the last %'"; }

intent () {
    printf '{"intent_id":"%s","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$1"
}
# A first intent all the way through, so that RSS is measured warm.
intent warm-1 | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/warm.jsonl" \
    || fail "the strategy's first intent got no report"
unauthorized_before=$(stats_field unauthorized)
rss_before=$(rss_kib)

server_key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$CERTS/public/router")
[ ${#server_key} = 40 ] || fail "no public key in $CERTS/public/router"

# The router has answered every handshake that reached it once its count
# stops moving: two stats messages (a second apart) with the same count.
settled () {
    local a b
    a=$(stats_field unauthorized); b=$(stats_field unauthorized)
    [ "$a" = "$b" ] && echo "$b" > "$WORK/unauthorized"
}
# flood N: one flood, until the router has answered it; its figures in
# $WORK/flood-N.out (made, refused as the flooder saw, seconds).
flood () {
    "$PY" "$(dirname "$0")/handshake_flood.py" "$server_key" "$SECONDS_MAX" "$HANDSHAKES" \
        "intake=$(endpoint intake)" "query=$(endpoint query)" > "$WORK/flood-$1.out" 2> "$WORK/flood-$1.log" \
        || fail "flood $1: the flooder failed: $(tail -n 3 "$WORK/flood-$1.log")"
    wait_until 30 settled
    running "$ROUTER_PID" || fail "the router died under flood $1"
}
flood 1
rss_first=$(rss_kib)
flood 2
read -r made flood_refused flood_s < "$WORK/flood-2.out"
refused=$(( $(cat "$WORK/unauthorized") - unauthorized_before ))
[ "$refused" -ge $(( 2 * MIN_REFUSED )) ] \
    || fail "only $refused handshakes refused in two floods ($made made in ${flood_s}s, $flood_refused seen refused by the flooder, in the second): not a flood"

# (a) The rows stay within the budget for the time the router has run: at
# most 20 detailed and one summary per interval of 10 s, plus one interval
# for the one in progress and one for rounding. Checked as soon as the flood
# is over, and again once the last interval is summed up.
check_rows () {
    elapsed_s=$(( ($(date +%s%N) - started_ns) / 1000000000 ))
    intervals=$(( elapsed_s / 10 + 2 ))
    rows=$(refused_rows)
    summaries=$(summary_rows)
    [ "$rows" -le $(( intervals * 21 )) ] \
        || fail "$rows refused rows for $refused refusals in ${elapsed_s}s: more than $((intervals * 21))"
    [ "$summaries" -le "$intervals" ] || fail "$summaries summary rows in ${elapsed_s}s: more than $intervals"
}
check_rows

# (b) Nothing is hidden: once the last interval is summed up (10 s at most),
# the detailed rows and the summaries' counts add up to every refusal.
adds_up () {
    local detailed
    detailed=$(( $(refused_rows) - $(summary_rows) ))
    [ $(( detailed + $(summed) )) -eq "$(cat "$WORK/unauthorized")" ]
}
wait_until 30 adds_up

check_rows
[ "$summaries" -ge 1 ] || fail "no summary row"
summary=$(sql "SELECT detail FROM events WHERE kind = 'refused' AND detail LIKE '% more refusal% in the last %' ORDER BY id LIMIT 1")
grep -q -E '^[0-9]+ more refusals in the last [0-9]+ s \(handshakes: [0-9]+, messages: 0, subscriptions: 0\); last: (intake|query) .{40}$' <<< "$summary" \
    || fail "the summary does not say what it sums up: $summary"
# The log is bounded the same way: one line per row.
log_lines=$(grep -c -E 'refused the handshake|more refusals? in the last' "$WORK/router.log" || true)
[ "$log_lines" -le "$rows" ] || fail "$log_lines refusal log lines for $rows rows"

# (c) Memory stays flat: nothing is kept per refused key. A second flood as
# big as the first adds nothing: what the first left is libzmq's, malloc's
# (or the sanitizer's, below) own, and grows no further.
rss_after=$(rss_kib)
echo "router RSS: $rss_before KiB before the floods, $rss_first KiB after the first, $rss_after KiB after the second"
[ "$rss_after" -le $(( rss_first + RSS_SECOND_KIB )) ] \
    || fail "the router's RSS grew from $rss_first KiB to $rss_after KiB under the second flood (before the first: $rss_before KiB; bound for this build: +$RSS_SECOND_KIB KiB)"
[ "$rss_first" -le $(( rss_before + RSS_FIRST_KIB )) ] \
    || fail "the router's RSS grew from $rss_before KiB to $rss_first KiB under the flood (bound for this build: +$RSS_FIRST_KIB KiB)"

# (d) The router still serves a real strategy.
intent after-1 | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/after.jsonl" \
    || fail "the strategy's intent after the flood got no report"
[ "$(jq -r .status "$WORK/after.jsonl")" = FILLED ] || fail "after the flood: $(cat "$WORK/after.jsonl")"

pass "two floods ($made handshakes from fresh keys in ${flood_s}s in the second, $flood_refused seen refused by the flooder), $refused refused: $rows refused rows ($summaries summaries) in ${elapsed_s}s, RSS $rss_before -> $rss_first -> $rss_after KiB, a strategy still served"
