#!/usr/bin/env bash
# The benchmark's own tools measure what they say. ep-raw-pipeline paced
# delivers every message and reports ordered latency percentiles, with CURVE
# too, and with --hops 2 up to the worker; ep-sync-probe times the syncs it was asked for, rests when asked to,
# and leaves no file behind; ep-loadgen against the real stack counts a
# terminal report for every intent it pushed, and its count of them matches
# the journal's; paced, it keeps the pace; it gives up --timeout after the
# last report.
TEST_STRATEGIES="bench s1 s2"
source "$(dirname "$0")/lib.sh"

ordered () {    # ordered JSON: p50 <= p99 <= max, p50 > 0
    jq -e '.p50_us > 0 and .p50_us <= .p99_us and .p99_us <= .max_us' <<< "$1" > /dev/null
}

raw=$("$BIN/ep-raw-pipeline" --messages 3000 --rate 3000 --size 96 --reply-size 160 --timeout 30 \
      2> "$WORK/raw.log") || fail "ep-raw-pipeline paced: $(cat "$WORK/raw.log")"
[ "$(jq '[.messages, .lost, .rate] | @csv' -r <<< "$raw")" = "3000,0,3000" ] \
    || fail "ep-raw-pipeline paced: $raw"
ordered "$raw" || fail "ep-raw-pipeline percentiles out of order: $raw"
# It took about a second, as paced: a source that did not pace would take
# a few milliseconds.
jq -e '.elapsed_ms >= 900' <<< "$raw" > /dev/null || fail "ep-raw-pipeline did not pace: $raw"
pass "ep-raw-pipeline --rate: $raw"

# With CURVE on every hop (the broker a CURVE server, the others its
# clients), every message still arrives, in order: a hop whose two ends
# disagreed on CURVE would never connect, and the run would fail.
raw=$("$BIN/ep-raw-pipeline" --messages 2000 --rate 2000 --size 96 --reply-size 160 --curve \
      --timeout 30 2> "$WORK/raw-curve.log") || fail "ep-raw-pipeline --curve: $(cat "$WORK/raw-curve.log")"
[ "$(jq '[.messages, .lost, .curve] | @csv' -r <<< "$raw")" = "2000,0,true" ] \
    || fail "ep-raw-pipeline --curve: $raw"
ordered "$raw" || fail "ep-raw-pipeline --curve percentiles out of order: $raw"
grep -q "CURVE" "$WORK/raw-curve.log" || fail "ep-raw-pipeline --curve does not say so: $(cat "$WORK/raw-curve.log")"
pass "ep-raw-pipeline --curve: $raw"

# With --hops 2 the latency ends at the worker (strategy -> router ->
# worker, the live benchmark's floor): every message still reaches the sink.
raw=$("$BIN/ep-raw-pipeline" --messages 1000 --rate 2000 --size 96 --reply-size 160 --curve --hops 2 \
      --timeout 30 2> "$WORK/raw-hops.log") || fail "ep-raw-pipeline --hops 2: $(cat "$WORK/raw-hops.log")"
[ "$(jq '[.messages, .lost, .hops] | @csv' -r <<< "$raw")" = "1000,0,2" ] \
    || fail "ep-raw-pipeline --hops 2: $raw"
ordered "$raw" || fail "ep-raw-pipeline --hops 2 percentiles out of order: $raw"
grep -q "send to worker (2 hops)" "$WORK/raw-hops.log" || fail "ep-raw-pipeline --hops 2 does not say so: $(cat "$WORK/raw-hops.log")"
for args in "--hops 2" "--hops 3 --rate 10"; do
    rc=0
    "$BIN/ep-raw-pipeline" --messages 10 $args > /dev/null 2> "$WORK/raw-bad.log" || rc=$?
    [ "$rc" = 2 ] && grep -q -- "--hops" "$WORK/raw-bad.log" \
        || fail "ep-raw-pipeline $args: exit $rc, $(cat "$WORK/raw-bad.log")"
done
pass "ep-raw-pipeline --hops 2: $raw"

rc=0
"$BIN/ep-raw-pipeline" --messages 10 --rate 10 --size 8 > /dev/null 2> "$WORK/raw-bad.log" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--rate needs" "$WORK/raw-bad.log" \
    || fail "ep-raw-pipeline --rate with 8-byte messages: exit $rc, $(cat "$WORK/raw-bad.log")"
pass "ep-raw-pipeline refuses --rate with messages too small for a stamp"

sync=$("$BIN/ep-sync-probe" --dir "$WORK" --syncs 200) || fail "ep-sync-probe failed"
[ "$(jq .syncs <<< "$sync")" = 200 ] && ordered "$sync" || fail "ep-sync-probe: $sync"
! compgen -G "$WORK/ep-sync-probe.*" > /dev/null || fail "ep-sync-probe left its file"
# With --pause it rests before each sync: 100 syncs after 2 ms each take
# 200 ms at least (a probe that did not rest takes about 15).
started=$(date +%s%N)
sync=$("$BIN/ep-sync-probe" --dir "$WORK" --syncs 100 --pause 2000) || fail "ep-sync-probe --pause failed"
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
[ "$(jq .syncs <<< "$sync")" = 100 ] && ordered "$sync" || fail "ep-sync-probe --pause: $sync"
[ "$took_ms" -ge 200 ] || fail "ep-sync-probe --pause 2000 took $took_ms ms for 100 syncs"
rc=0
"$BIN/ep-sync-probe" --dir "$WORK/nowhere" > /dev/null 2> "$WORK/sync-bad.log" || rc=$?
[ "$rc" = 1 ] && grep -q "nowhere" "$WORK/sync-bad.log" \
    || fail "ep-sync-probe in a missing directory: exit $rc"
pass "ep-sync-probe: $sync"

write_config
start_router
start_paper
out=$("$BIN/ep-loadgen" --config "$READY" --cert strategy --tag t --intents 4000 --strategies 2 \
      --timeout 60 2> "$WORK/loadgen.log") || fail "ep-loadgen: $(cat "$WORK/loadgen.log")"
[ "$(jq '[.intents, .terminal, .lost] | @csv' -r <<< "$out")" = "4000,4000,0" ] \
    || fail "ep-loadgen: $out"
ordered "$out" || fail "ep-loadgen percentiles out of order: $out"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1")" = 4000 ] \
    || fail "the journal holds $(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1") terminal reports, not 4000"
pass "ep-loadgen: $out"

# Paced, it keeps the pace: 4,000 intents at 20,000/s cannot all be sent
# before 199.85 ms (the last is due then, and goes at most 0.1 ms early).
out=$("$BIN/ep-loadgen" --config "$READY" --cert strategy --tag paced --intents 4000 --rate 20000 \
      --timeout 60 2> "$WORK/loadgen-paced.log") || fail "ep-loadgen --rate: $(cat "$WORK/loadgen-paced.log")"
[ "$(jq '[.intents, .terminal, .lost, .rate] | @csv' -r <<< "$out")" = "4000,4000,0,20000" ] \
    || fail "ep-loadgen --rate: $out"
jq -e '.elapsed_ms >= 199' <<< "$out" > /dev/null || fail "ep-loadgen --rate 20000 did not pace: $out"
pass "ep-loadgen --rate: $out"

# It gives up --timeout after the last report, however long the router
# goes on publishing its plane state: a third strategy, which the key may
# not speak for, has its 10 intents refused and told to it alone, so they
# are lost, and the run ends about 2 s after the other 20 are answered
# (bounded here by 30 s: a run kept alive by the plane state never ends).
rc=0
out=$(timeout 30 "$BIN/ep-loadgen" --config "$READY" --cert strategy --tag lost --intents 30 \
      --strategies 3 --timeout 2 2> "$WORK/loadgen-lost.log") || rc=$?
[ "$rc" != 124 ] || fail "ep-loadgen --timeout 2 still waiting after 30 s: $(cat "$WORK/loadgen-lost.log")"
[ "$(jq '[.intents, .terminal, .lost] | @csv' -r <<< "$out")" = "30,20,10" ] \
    || fail "ep-loadgen with a strategy refused: exit $rc, $out"
pass "ep-loadgen gives up --timeout after the last report: $out"
