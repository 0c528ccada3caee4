#!/usr/bin/env bash
# The kill switch with orders resting on both planes. Resting paper orders
# of two strategies, then a switch to live, then resting live orders (at
# ep-fakex, --hold) of two strategies: the switch moves and cancels
# nothing (the paper orders stay open, the paper worker keeps them).
# `ep-meta halt --cancel-open` then cancels every one of them on the plane
# that holds it: each ends CANCELED exactly once, its reason naming the
# kill switch and the command; each of the router's cancels is journaled
# with the command's sender and a cancel-cause event; the venue sees one
# cancel per live order. A PLACE is refused PLANE_HALTED. A repeated
# halt --cancel-open, while the first one's cancels are still held by the
# frozen workers and again once every order has ended, sends no second
# cancel. ep-replay --verify holds.
source "$(dirname "$0")/lib.sh"

start_fakex --hold
# Both workers are frozen for a moment below: neither may be taken for
# dead, nor its cancels for lost, meanwhile.
write_config "worker_timeout_ms = 10000" "paper_deadline_ms = 15000"
printf 'paper\n    metrics = 127.0.0.1:0\n' >> "$CFG"
live_section "poll_ms = 100" "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_paper
start_live
wait_until 10 grep -q "metrics on" "$WORK/paper.log"
PAPER_METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/paper.log" | tail -n 1)

REASON="kill switch drill on both planes"
CAUSE="halt --cancel-open by ops: $REASON"

# count_of SQL_WHERE ID: ID's reports that match (intent and report joined).
count_of () { sql "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = '$1' AND $2"; }
accepted () { [ "$(count_of "$1" "r.status = 1")" -ge 1 ]; }
ended_is () { [ "$(count_of "$1" "r.terminal = 1")" = "$2" ]; }
metric () { curl -s "$1/metrics" | awk -v k="$2" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'; }
paper_resting_is () { [ "$(metric "$PAPER_METRICS" execplane_paper_resting_orders)" = "$1" ]; }
order () {   # order ID STRATEGY SYMBOL LIMIT REF: a LIMIT BUY GTC below the reference: it rests
    printf '{"intent_id":"%s","strategy_id":"%s","symbol":"%s","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"%s","ref_price":"%s"}\n' "$@"
}
client_id () { audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'"; }
cancels_of () { curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq -r --arg id "$1" '.[$id] // 0'; }
halt () {    # halt OUT: the kill switch, its printed plane state in $WORK/OUT.json
    "$BIN/ep-meta" --config "$READY" --timeout 10 --as ops halt --cancel-open --reason "$REASON" \
        > "$WORK/$1.json" 2>> "$WORK/meta.log" || fail "ep-meta halt --cancel-open ($1) exited $?: $(tail -n 3 "$WORK/meta.log")"
    jq -e '.halted' "$WORK/$1.json" > /dev/null || fail "$1: not halted: $(cat "$WORK/$1.json")"
}
kill_switch_intents () { sql "SELECT count(*) FROM intents WHERE intent_id LIKE 'kill-switch.%'"; }

PAPER_ORDERS="p1 p2 p3"
LIVE_ORDERS="l1 l2"

# --- resting paper orders, two strategies ---------------------------------------
{ order p1 demo BTCUSDT 100 200; order p2 alpha BTCUSDT 100 200; order p3 demo ETHUSDT 100 200; } > "$WORK/paper.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/paper.jsonl" > "$WORK/send.log" 2>&1 || fail "ep-send: $(cat "$WORK/send.log")"
for id in $PAPER_ORDERS; do wait_until 10 accepted "$id"; done
wait_until 10 paper_resting_is 3

# --- the switch to live, then resting live orders, two strategies ----------------
"$BIN/ep-meta" --config "$READY" --timeout 10 --as ops select live --reason "go live" > "$WORK/select.json" 2>> "$WORK/meta.log" \
    || fail "ep-meta select live exited $?: $(tail -n 3 "$WORK/meta.log")"
[ "$(jq -r .plane "$WORK/select.json")" = LIVE ] || fail "not on live: $(cat "$WORK/select.json")"
{ order l1 live BTCUSDT 200.5 250; order l2 beta BTCUSDT 200.5 250; } > "$WORK/live.jsonl"
"$BIN/ep-send" --config "$READY" --file "$WORK/live.jsonl" >> "$WORK/send.log" 2>&1 || fail "ep-send: $(cat "$WORK/send.log")"
for id in $LIVE_ORDERS; do wait_until 10 accepted "$id"; done
for id in $LIVE_ORDERS; do
    [ "$(sql "SELECT plane FROM intents WHERE intent_id = '$id'")" = 2 ] || fail "$id is not on the live plane"
    [ -n "$(client_id "$id")" ] || fail "no submission of $id in the live audit"
done

# The switch moved nothing: the paper orders are open, on paper, and the
# paper worker still holds them; nothing of them reached the venue.
for id in $PAPER_ORDERS; do
    ended_is "$id" 0 || fail "the switch ended $id"
    [ "$(sql "SELECT plane FROM intents WHERE intent_id = '$id'")" = 1 ] || fail "$id is not on the paper plane"
done
paper_resting_is 3 || fail "the paper worker holds $(metric "$PAPER_METRICS" execplane_paper_resting_orders) resting orders, not 3"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq '[.[]] | add // 0')" = 2 ] \
    || fail "the venue received $(curl -s "$FAKEX_CONTROL/fakex/counts") order requests, not the two live ones"
[ "$(audit "SELECT count(*) FROM orders")" = 2 ] || fail "the live plane does not follow the two live orders"
pass "a switch to live moves nothing: 3 paper orders rest with the paper worker, 2 live orders at the venue"

# --- the kill switch, and a repeat while its cancels are held -------------------
# Both workers are frozen, so that every cancel of the first halt is still
# in flight when the second one comes: the second must send none.
kill -STOP "$PAPER_PID" "$LIVE_PID"
halt halt1
jq -e '.last_command_applied and (.last_command_outcome | test("; 5 cancel\\(s\\) sent$"))' "$WORK/halt1.json" > /dev/null \
    || fail "the kill switch printed $(cat "$WORK/halt1.json")"
[ "$(kill_switch_intents)" = 5 ] || fail "the kill switch made $(kill_switch_intents) cancels, expected 5"
halt halt2
jq -e '.last_command_applied and (.last_command_outcome | test("; 0 cancel\\(s\\) sent$"))' "$WORK/halt2.json" > /dev/null \
    || fail "a repeated kill switch, its cancels in flight, printed $(cat "$WORK/halt2.json")"
[ "$(kill_switch_intents)" = 5 ] || fail "the repeated kill switch made cancels: $(kill_switch_intents) in all"
kill -CONT "$PAPER_PID" "$LIVE_PID"

for id in $PAPER_ORDERS $LIVE_ORDERS; do wait_until 15 ended_is "$id" 1; done
wait_until 15 sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id LIKE 'kill-switch.%' AND r.terminal = 1" 5

n_reports=$(sql "SELECT count(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 10 > "$WORK/all.jsonl" \
    || fail "ep-tap could not replay the reports"
for id in $PAPER_ORDERS $LIVE_ORDERS; do
    plane=PAPER; case $id in l*) plane=LIVE ;; esac
    ends=$(jq -c --arg id "$id" 'select(.intent_id == $id and .terminal)' "$WORK/all.jsonl")
    [ "$(jq -s length <<<"$ends")" = 1 ] || fail "$id has not one terminal report: $ends"
    jq -e --arg cause "$CAUSE" --arg plane "$plane" \
        '.status == "CANCELED" and .filled_qty == "0" and .plane == $plane
         and (.reason | contains($cause))' <<<"$ends" > /dev/null \
        || fail "$id ended $ends"
    # Its canceler: one kill-switch intent under its strategy, on its plane,
    # sent by the meta key, its cause journaled, itself CANCELED
    strategy=$(sql "SELECT strategy_id FROM intents WHERE intent_id = '$id'")
    canceler=$(jq -r -s --arg id "$id" --arg s "$strategy" 'map(select(.terminal and .target_intent_id == $id
                   and .strategy_id == $s and (.intent_id | startswith("kill-switch.")))) | map(.intent_id) | join(" ")' "$WORK/all.jsonl")
    [[ $canceler =~ ^kill-switch\.[0-9]+$ ]] || fail "$id has not one canceler of the kill switch: '$canceler'"
    # live names its canceler as well (paper names only the command)
    [ "$plane" = PAPER ] || jq -e --arg c "$canceler" '.reason | contains("by intent " + $c + ": ")' <<<"$ends" > /dev/null \
        || fail "$id's reason does not name $canceler: $ends"
    row=$(sql "SELECT strategy_id || ' ' || plane || ' ' || (sender LIKE 'meta%') FROM intents WHERE intent_id = '$canceler'")
    [ "$row" = "$strategy $(sql "SELECT plane FROM intents WHERE intent_id = '$id'") 1" ] \
        || fail "$id's canceler $canceler is journaled as '$row'"
    seq=$(sql "SELECT router_seq FROM intents WHERE intent_id = '$canceler'")
    target=$(sql "SELECT router_seq FROM intents WHERE intent_id = '$id'")
    [ "$(sql "SELECT count(*) FROM events WHERE kind = 'cancel-cause' AND detail = '$seq cancels $target: $CAUSE'")" = 1 ] \
        || fail "$canceler's cause is not journaled: $(sql "SELECT detail FROM events WHERE kind = 'cancel-cause'")"
    jq -e -s --arg c "$canceler" --arg id "$id" \
        'map(select(.intent_id == $c and .terminal)) | length == 1 and .[0].status == "CANCELED"
         and .[0].failure == "FAILURE_NONE" and .[0].target_intent_id == $id' "$WORK/all.jsonl" > /dev/null \
        || fail "$canceler ended $(jq -c --arg c "$canceler" 'select(.intent_id == $c and .terminal)' "$WORK/all.jsonl")"
done
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'cancel-cause' AND detail LIKE '%: $CAUSE'")" = 5 ] \
    || fail "not 5 cancel-cause events: $(sql "SELECT detail FROM events WHERE kind = 'cancel-cause'")"
for id in $LIVE_ORDERS; do
    [ "$(cancels_of "$(client_id "$id")")" = 1 ] || fail "the venue saw $(cancels_of "$(client_id "$id")") cancels of $id"
done
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq '[.[]] | add // 0')" = 2 ] \
    || fail "the venue saw cancels $(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel")"
[ "$(audit "SELECT count(*) FROM orders")" = 0 ] || fail "the live plane still follows a canceled order"
wait_until 10 paper_resting_is 0
pass "halt --cancel-open cancels the 3 paper and 2 live orders once each, naming the command; journaled with sender and cause; one DELETE per live order"

# --- under HALT -------------------------------------------------------------------
order h1 live BTCUSDT 200.5 250 | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/h1.jsonl" 2>> "$WORK/send.log" \
    || fail "ep-send --wait h1: $(tail -n 3 "$WORK/send.log")"
jq -e -s 'map(select(.terminal)) | length == 1 and .[0].status == "REJECTED" and .[0].failure == "PLANE_HALTED"' \
    "$WORK/h1.jsonl" > /dev/null || fail "a PLACE under HALT got $(cat "$WORK/h1.jsonl")"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq '[.[]] | add // 0')" = 2 ] || fail "a PLACE under HALT reached the venue"

halt halt3
jq -e '.last_command_applied and (.last_command_outcome | test("; 0 cancel\\(s\\) sent$"))' "$WORK/halt3.json" > /dev/null \
    || fail "a kill switch with nothing open printed $(cat "$WORK/halt3.json")"
[ "$(kill_switch_intents)" = 5 ] || fail "a kill switch with nothing open made cancels: $(kill_switch_intents) in all"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel" | jq '[.[]] | add // 0')" = 2 ] \
    || fail "the venue saw another cancel: $(curl -s "$FAKEX_CONTROL/fakex/counts?kind=cancel")"
pass "under HALT a PLACE is refused PLANE_HALTED; a repeated kill switch (its cancels in flight, or nothing open) sends no cancel"

check_journal_invariants
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2> "$WORK/replay.err" \
    || fail "ep-replay --verify exited $?: $(cat "$WORK/replay.err") $(cat "$WORK/digest")"
grep -q ": identical$" "$WORK/replay.err" || fail "ep-replay --verify: $(cat "$WORK/replay.err")"
assert_no_secrets
pass "one terminal report per intent; ep-replay --verify: identical"
