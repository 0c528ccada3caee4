#!/usr/bin/env bash
# kill -9 the router in the middle of a stream, restart it on the same
# journal: seq and router_seq carry on from the journal without a gap or a
# repeat (what was journaled before the crash is untouched), the restart is
# recorded, the intents that were dispatched but unanswered at the crash get
# their terminal report at start-up while answered resting orders stay in
# flight (and are filled later), the paper worker reconnects and restores by
# itself, intent_ids used before the crash are DUPLICATE_INTENT, and every
# journaled intent ends with exactly one terminal report.
#
# PUSH has no acknowledgement: intents the dead router had read but not
# committed are lost to the strategy, so everything here is asserted about
# journaled intents. The frozen worker goes on to run intents the restarted
# router had already failed (their reports are journaled as late, and those
# still resting are kept as zombies for the worker's restore), so the paper
# reports stay exactly what a replay of the journal produces.
source "$(dirname "$0")/lib.sh"

write_config "worker_timeout_ms = 5000" "paper_deadline_ms = 5000"
start_router
start_paper

# gen PHASE COUNT: valid intents on one symbol: MARKET, marketable LIMIT,
# resting LIMIT GTC near the refs and far from them (filled only by a sweep).
gen () {
    awk -v p="$1" -v n="$2" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = p "-" i; k = i % 6; buy = i % 2;
            side = buy ? "BUY" : "SELL"; ref = 100 + (i % 7);
            head = sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"kr\",\"symbol\":\"BTCUSDT\",\"side\":\"%s\"", id, side);
            if (k == 0)      body = sprintf("\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%d\"", ref);
            else if (k == 1) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? ref - 3 : ref + 3, ref);
            else if (k == 2) body = sprintf("\"type\":\"MARKET\",\"tif\":\"FOK\",\"qty\":\"0.25\",\"ref_price\":\"%d\"", ref);
            else if (k == 3) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1.5\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? ref + 1 : ref - 1, ref);
            else if (k == 4) body = sprintf("\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"3\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"", buy ? 50 : 200, ref);
            else             body = sprintf("\"type\":\"MARKET\",\"tif\":\"IOC\",\"qty\":\"0.5\",\"ref_price\":\"%d\"", ref);
            print head "," body "}";
        }
    }'
}
gen A 1500 > "$WORK/A1.jsonl"
gen A 3000 | tail -n 1500 > "$WORK/A2.jsonl"     # while the worker is frozen
gen A 4000 | tail -n 1000 > "$WORK/A3.jsonl"     # from the crash on
finished () { [ "$(sql 'SELECT COUNT(*) FROM reports WHERE terminal = 1')" -ge "$1" ]; }
gone () { ! running "$1"; }
# Dispatched, no report of any kind yet.
UNANSWERED="FROM intents i WHERE i.dispatched = 1 AND NOT EXISTS
            (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq)"

# The pre-crash stream: one ep-send (no --wait) fed through a FIFO.
mkfifo "$WORK/stream"
"$BIN/ep-send" --config "$READY" --file "$WORK/stream" >>"$WORK/send.out" 2>>"$WORK/send.log" &
send_pid=$!
PIDS+=("$send_pid")
exec 3>"$WORK/stream"
cat "$WORK/A1.jsonl" >&3 &
cat_pid=$!
wait_until 20 finished 300
wait_until 20 gone "$cat_pid"
# Freeze the worker (the router still counts it alive for 5 s), so intents
# are certainly dispatched and unanswered when the router dies: those the
# router journals after the freeze (answers the worker sent before it may
# still settle the ones before).
kill -STOP "$PAPER_PID"
frozen_at=$(sql "SELECT IFNULL(MAX(router_seq), 0) FROM intents")
unanswered_since_freeze () {
    [ "$(sql "SELECT COUNT(*) $UNANSWERED AND i.router_seq > $frozen_at")" -ge "$1" ]
}
cat "$WORK/A2.jsonl" >&3 &
cat_pid=$!
wait_until 20 unanswered_since_freeze 20
wait_until 20 gone "$cat_pid"
kill -KILL "$ROUTER_PID"
wait "$ROUTER_PID" 2>/dev/null || true
# The stream goes on: ep-send queues what it cannot deliver (and loses what
# was on the wire), then reconnects to the restarted router by itself.
cat "$WORK/A3.jsonl" >&3 &
cat_pid=$!

# What the journal held at the crash.
max_seq=$(sql "SELECT IFNULL(MAX(seq), 0) FROM reports")
max_rs=$(sql "SELECT IFNULL(MAX(router_seq), 0) FROM intents")
before_digest=$(sql "SELECT seq, router_seq, terminal, late, hex(payload) FROM reports ORDER BY seq" | sha256sum)
sql "SELECT router_seq $UNANSWERED ORDER BY router_seq" > "$WORK/unanswered.txt"
sql "SELECT router_seq FROM intents i WHERE i.dispatched = 1
     AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)
     AND EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.origin = 1)
     ORDER BY router_seq" > "$WORK/resting.txt"
n_unanswered=$(wc -l < "$WORK/unanswered.txt")
n_resting=$(wc -l < "$WORK/resting.txt")
[ "$n_unanswered" -ge 20 ] || fail "only $n_unanswered unanswered intents journaled at the crash"
[ "$n_resting" -gt 0 ] || fail "no answered resting order was in flight at the crash"
# 100 intent_ids journaled (and finished) before the crash, to be sent again.
sql "SELECT intent_id FROM intents i WHERE EXISTS (SELECT 1 FROM reports r
     WHERE r.router_seq = i.router_seq AND r.terminal = 1)
     ORDER BY (router_seq * 7919) % 1009, router_seq LIMIT 100" > "$WORK/dup_ids.txt"
[ "$(wc -l < "$WORK/dup_ids.txt")" = 100 ] || fail "fewer than 100 finished intents before the crash"

kill -CONT "$PAPER_PID"
restart_router 3>&-                      # the router must not hold the stream open
wait_until 30 gone "$cat_pid"
exec 3>&-
wait_until 30 gone "$send_pid"
wait "$send_pid" || fail "the pre-crash ep-send failed (see send.log)"
a3=$(sql "SELECT COUNT(*) FROM intents WHERE router_seq > $max_rs AND intent_id LIKE 'A-%'")
[ "$a3" -gt 0 ] || fail "none of the stream sent after the crash reached the restarted router"

# After the restart: new intents, the 100 reused intent_ids, 250 more far
# resting SELLs, and a sweep that crosses every resting BUY (ref 1) and SELL
# (ref 1000): the SELL side, some 700 orders filled in one tick, makes one
# worker message far over EP_MAX_MSG (64 KiB), which the router must take.
wait_until 10 paper_alive_is true
{
    gen B 300
    for i in $(seq 250); do
        printf '{"intent_id":"F-%d","strategy_id":"kr","symbol":"BTCUSDT","side":"SELL","type":"LIMIT","tif":"GTC","qty":"1","limit_price":"300","ref_price":"100"}\n' "$i"
    done
    while read -r id; do
        printf '{"intent_id":"%s","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$id"
    done < "$WORK/dup_ids.txt"
    echo '{"intent_id":"sweep-lo","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"1"}'
    echo '{"intent_id":"sweep-hi","strategy_id":"kr","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"1000"}'
} > "$WORK/B.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/B.jsonl" > "$WORK/B.out" 2>>"$WORK/send.log" \
    || fail "ep-send --wait after the restart did not see every terminal report"

settled () {
    [ "$(sql 'SELECT COUNT(*) FROM intents i WHERE NOT EXISTS (SELECT 1 FROM reports r
             WHERE r.router_seq = i.router_seq AND r.terminal = 1)')" = 0 ] || return 1
    [ "$(stats_field in_flight_paper)" = 0 ]
}
wait_until 30 settled
check_journal_invariants

# seq and router_seq carry on from the journal: gap-free (above), the
# pre-crash reports untouched, router_seq 1..N.
after_digest=$(sql "SELECT seq, router_seq, terminal, late, hex(payload) FROM reports WHERE seq <= $max_seq ORDER BY seq" | sha256sum)
[ "$after_digest" = "$before_digest" ] || fail "reports journaled before the crash changed after the restart"
[ "$(sql 'SELECT MAX(router_seq) = COUNT(*) FROM intents')" = 1 ] || fail "router_seq has a gap or a repeat"
[ "$(sql "SELECT MIN(seq) FROM reports WHERE seq > $max_seq")" = $((max_seq + 1)) ] \
    || fail "the first report after the restart is not seq $((max_seq + 1))"
# The restart is recorded, with the journal's head; the killed router left no stop event.
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'start'")" = 2 ] || fail "expected two start events"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'start' AND at_seq = $max_seq
           AND detail LIKE '%last seq $max_seq, last router_seq $max_rs'")" = 1 ] \
    || fail "no start event at seq $max_seq naming last seq $max_seq and router_seq $max_rs: $(sql "SELECT * FROM events WHERE kind = 'start'")"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'stop'")" = 0 ] || fail "a stop event for a killed router"

# The unanswered intents got their terminal reports first thing at start-up:
# FAILED/PLANE_UNAVAILABLE by the router, seq max_seq+1 .. max_seq+n.
n_reports=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 30 \
    > "$WORK/all.jsonl" || fail "ep-tap could not replay the $n_reports reports"
jq -s --argjson lo "$max_seq" --argjson n "$n_unanswered" --rawfile want "$WORK/unanswered.txt" '
    ($want | split("\n") | map(select(length > 0) | tonumber)) as $rs
    | map(select(.seq > $lo and .seq <= $lo + $n)) as $first
    | ($first | map(.router_seq)) == $rs
      and ($first | all(.terminal and .status == "FAILED" and .failure == "PLANE_UNAVAILABLE"
                        and (.reason | test("restarted before the plane answered"))))' \
    "$WORK/all.jsonl" | grep -qx true \
    || fail "the $n_unanswered intents unanswered at the crash did not get their FAILED reports at start-up"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND router_seq IN ($(paste -sd, "$WORK/unanswered.txt"))")" = "$n_unanswered" ] \
    || fail "an intent unanswered at the crash has more than one terminal report"
# Reports the frozen worker made afterwards on them are late, and only on them.
late=$(sql "SELECT COUNT(*) FROM reports WHERE late = 1")
[ "$(sql "SELECT COUNT(*) FROM reports WHERE late = 1 AND router_seq NOT IN ($(paste -sd, "$WORK/unanswered.txt"))")" = 0 ] \
    || fail "a late report on an intent that was not unanswered at the crash"
# The answered resting orders stayed in flight through the restart and were
# filled by the plane, never failed by the router.
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND origin = 1 AND status = 3
           AND router_seq IN ($(paste -sd, "$WORK/resting.txt"))")" = "$n_resting" ] \
    || fail "not every resting order in flight at the crash was filled by the plane afterwards"
# The paper worker came back by itself and was restored with resting orders.
[ "$(grep -c 'restored with [1-9][0-9]* resting order' "$WORK/router.log")" -ge 1 ] \
    || fail "the paper worker was never restored with the resting orders"

# intent_ids used before the crash are duplicates forever.
jq -s --argjson rs "$max_rs" --rawfile ids "$WORK/dup_ids.txt" '
    ($ids | split("\n") | map(select(length > 0)) | sort) as $want
    | [.[] | select(.router_seq > $rs and .failure == "DUPLICATE_INTENT" and .status == "REJECTED"
                    and .terminal)] as $dups
    | ($dups | map(.intent_id) | sort) == $want' "$WORK/all.jsonl" | grep -qx true \
    || fail "the 100 intent_ids reused after the restart were not all (and only) rejected DUPLICATE_INTENT"
[ "$(jq -s '[.[] | select(.terminal and (.intent_id | startswith("B-") or startswith("F-")
             or startswith("sweep-")) and .status == "FILLED")] | length' "$WORK/B.out")" = 552 ] \
    || fail "not every new intent after the restart was FILLED"
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > /dev/null 2> "$WORK/replay.log" \
    || fail "ep-replay --verify after the router restart: $(tail -n 1 "$WORK/replay.log")"
pass "router killed at seq $max_seq (router_seq $max_rs), $a3 intents of the stream after it: $n_unanswered unanswered intents failed at start-up, $n_resting resting orders kept and filled, $late late reports, 100 duplicates rejected"
