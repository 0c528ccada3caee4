#!/usr/bin/env bash
# Halt and resume: while halted, a normal intent is REJECTED / PLANE_HALTED
# with a reason naming the halt, a Safety Sell passes the halt and is FILLED
# on paper, a safety BUY is REJECTED / INVALID_INTENT; `ep-meta status` shows
# the halt; after resume a normal intent is FILLED again.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper

# intent ID SIDE [SAFETY]: one MARKET intent as a JSON line.
intent () {
    printf '{"intent_id":"%s","strategy_id":"hr","symbol":"BTCUSDT","side":"%s","type":"MARKET","qty":"1","ref_price":"100"%s}\n' \
        "$1" "$2" "${3:+,\"safety\":$3}"
}
# send_one NAME LINE [CERT]: sends one intent with the strategy key (or
# CERT), waits for its reports, prints the terminal one.
send_one () {
    echo "$2" > "$WORK/$1.jsonl"
    "$BIN/ep-send" --config "$READY" --cert "${3:-strategy}" --wait --timeout 20 --file "$WORK/$1.jsonl" \
        > "$WORK/$1.out" 2>>"$WORK/send.log" || fail "ep-send --wait for $1 failed"
    jq -c 'select(.terminal)' "$WORK/$1.out"
}

before=$(send_one before "$(intent before-1 BUY)")
[ "$(jq -r .status <<<"$before")" = FILLED ] || fail "before the halt: $before"

HALT_REASON="risk limit breached in test"
"$BIN/ep-meta" --config "$READY" --timeout 10 --as test-meta:halt halt --reason "$HALT_REASON" \
    > "$WORK/halt.json" 2>>"$WORK/meta.log" || fail "ep-meta halt exited $?"
jq -e '.halted == true and .plane == "PAPER" and .epoch == 1' "$WORK/halt.json" >/dev/null \
    || fail "ep-meta halt printed $(cat "$WORK/halt.json")"
[ "$(plane_field halted)" = true ] || fail "ep-meta status does not show halted true after the halt"

# A normal intent is refused, and the reason names the halt.
normal=$(send_one halted-normal "$(intent halted-1 SELL)")
jq -e '.status == "REJECTED" and .failure == "PLANE_HALTED" and (.fills | length) == 0' \
    <<<"$normal" >/dev/null || fail "a normal intent during the halt got $normal"
jq -r .reason <<<"$normal" | grep -qF "$HALT_REASON" \
    || fail "the PLANE_HALTED reason does not name the halt: $(jq -r .reason <<<"$normal")"
jq -r .reason <<<"$normal" | grep -qi "halt" \
    || fail "the PLANE_HALTED reason does not say halted: $(jq -r .reason <<<"$normal")"

# A Safety Sell passes the halt and is realized on paper.
safety=$(send_one safety-sell "$(intent safety-1 SELL true)" safety)
jq -e '.status == "FILLED" and .plane == "PAPER" and .safety == true and .failure == "FAILURE_NONE"
       and .filled_qty == "1" and (.fills | length) == 1' <<<"$safety" >/dev/null \
    || fail "a Safety Sell during the halt got $safety"
[ "$(sql "SELECT dispatched FROM intents WHERE intent_id = 'safety-1'")" = 1 ] \
    || fail "journal: the Safety Sell was not dispatched"
[ "$(sql "SELECT COUNT(*) FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'safety-1' AND r.origin = 1")" -ge 1 ] \
    || fail "journal: the Safety Sell has no report from the paper plane"

# A safety BUY is not a Safety Sell: invalid.
sbuy=$(send_one safety-buy "$(intent safety-2 BUY true)" safety)
jq -e '.status == "REJECTED" and .failure == "INVALID_INTENT"' <<<"$sbuy" >/dev/null \
    || fail "a safety BUY during the halt got $sbuy"

[ "$(plane_field halted)" = true ] || fail "ep-meta status no longer shows halted before the resume"

"$BIN/ep-meta" --config "$READY" --timeout 10 --as test-meta:resume resume --reason "all clear" \
    > "$WORK/resume.json" 2>>"$WORK/meta.log" || fail "ep-meta resume exited $?"
jq -e '.halted == false and .epoch == 2' "$WORK/resume.json" >/dev/null \
    || fail "ep-meta resume printed $(cat "$WORK/resume.json")"
[ "$(plane_field halted)" = false ] || fail "ep-meta status does not show halted false after the resume"

after=$(send_one after "$(intent after-1 BUY)")
jq -e '.status == "FILLED" and .plane == "PAPER" and .failure == "FAILURE_NONE"' <<<"$after" >/dev/null \
    || fail "a normal intent after the resume got $after"

# Journaled as applied (ep-meta may repeat a command until it sees the
# outcome, so only the applied ones are counted).
# (the test's approvals of the planes' definitions aside)
[ "$(sql "SELECT group_concat(kind || ':' || epoch, ',') FROM (SELECT kind, epoch FROM commands WHERE applied = 1 AND kind <> 7 ORDER BY id) AS c")" = "2:1,3:2" ] \
    || fail "journal: applied commands are $(sql "SELECT group_concat(kind || ':' || epoch) FROM commands WHERE applied = 1 AND kind <> 7"), expected HALT epoch 1, RESUME epoch 2"
check_journal_invariants
pass "halt rejects normal intents (PLANE_HALTED), passes a Safety Sell (FILLED), refuses a safety BUY; resume fills again"
