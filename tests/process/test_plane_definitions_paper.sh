#!/usr/bin/env bash
# No execution environment is used before it is defined, documented and
# approved, on the paper plane:
# - on a new journal the paper worker presents its definition and is not
#   adopted: the plane state says why, an intent is REJECTED
#   PLANE_UNAVAILABLE saying why;
# - approval is refused from strategy, monitor and worker keys, and for a
#   definition without a description (the worker's paper/description);
# - approved by the meta key, the plane is realized, and every report names
#   the definition; ep-replay --verify still holds;
# - a router restart keeps the approval (the same worker is adopted again
#   at once); a worker with other settings (another definition) needs its
#   own approval.
source "$(dirname "$0")/lib.sh"

write_config "metrics = 127.0.0.1:0"
start_router
ROUTER_METRICS=$(sed -n "s|.*metrics on \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p" "$WORK/router.log" | tail -n 1)
healthz_says () { curl -s "$ROUTER_METRICS/healthz" | jq -r .definition_problem | grep -q "$1"; }
# Described in its own configuration, once with no description at all
undescribed=$WORK/undescribed.zpl
sed '/^ *description = /d' "$READY" > "$undescribed"
"$BIN/ep-paper" --config "$undescribed" >> "$WORK/paper.log" 2>&1 &
PAPER_PID=$!
PIDS+=("$PAPER_PID")
pending () { [ -n "$("$BIN/ep-meta" --config "$READY" planes --pending --plane PAPER)" ]; }
plane_field_has () { plane_field "$1" | grep -q "$2"; }
wait_until 10 pending
id=$("$BIN/ep-meta" --config "$READY" planes --pending --plane PAPER | jq -r .id)
[ "${#id}" = 64 ] || fail "the definition's id: $id"
"$BIN/ep-meta" --config "$READY" planes --plane PAPER | jq -r .text > "$WORK/text"
grep -q '^plane = PAPER$' "$WORK/text" && grep -q '^slippage_bps = 0$' "$WORK/text" \
    || fail "the definition's text: $(cat "$WORK/text")"
[ "$(printf '%s' "$(cat "$WORK/text")
" | sha256sum | cut -c1-64)" = "$id" ] || fail "the id is not the SHA-256 of the text"

# Not adopted: unavailable, and said why
[ "$(plane_field paper_alive)" = false ] || fail "paper is alive under a definition not approved"
plane_field paper_definition_problem | grep -q "paper definition ${id:0:12} is not approved" \
    || fail "the plane state does not say why: $(plane_field paper_definition_problem)"
wait_until 10 healthz_says "paper definition ${id:0:12} is not approved"
echo '{"intent_id":"d-1","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/d-1.jsonl"
[ "$(jq -r '"\(.status) \(.failure)"' "$WORK/d-1.jsonl")" = "REJECTED PLANE_UNAVAILABLE" ] \
    || fail "d-1: $(cat "$WORK/d-1.jsonl")"
jq -r .reason "$WORK/d-1.jsonl" | grep -q "is not approved" || fail "d-1 does not say why"

# Refused: no description; and from keys that are not the meta layer's
rc=0; "$BIN/ep-meta" --config "$READY" --timeout 5 approve "$id" --reason "try" 2> "$WORK/refused.txt" || rc=$?
[ "$rc" = 1 ] || fail "approving a definition without a description exited $rc"
grep -q "has no description" "$WORK/refused.txt" || fail "not said: $(cat "$WORK/refused.txt")"
kill -TERM "$PAPER_PID"; wait "$PAPER_PID" || fail "ep-paper did not stop cleanly"
start_paper_unapproved () {
    "$BIN/ep-paper" --config "$READY" >> "$WORK/paper.log" 2>&1 &
    PAPER_PID=$!
    PIDS+=("$PAPER_PID")
}
start_paper_unapproved
described () { "$BIN/ep-meta" --config "$READY" planes --plane PAPER | jq -e 'select(.description != "")' > /dev/null; }
wait_until 10 described
for cert in strategy monitor paper; do
    rc=0; "$BIN/ep-meta" --config "$READY" --cert "$cert" --timeout 3 approve "$id" --reason "try" 2>/dev/null || rc=$?
    [ "$rc" != 0 ] || fail "the $cert key approved a definition"
done
[ "$(plane_field paper_alive)" = false ] || fail "paper is alive after refused approvals"

# Approved by the meta key: realized, every report names the definition
"$BIN/ep-meta" --config "$READY" approve "$id" --reason "checked by the test" > /dev/null \
    || fail "the meta key could not approve"
wait_until 10 paper_alive_is true
[ "$(plane_field paper_definition)" = "$id" ] || fail "the plane state names $(plane_field paper_definition)"
[ -z "$(plane_field paper_definition_problem)" ] || fail "a problem is still said"
healthz_clear () { [ "$(curl -s "$ROUTER_METRICS/healthz" | jq -r '"\(.healthy) \(.active_definition)"')" = "true $id" ]; }
wait_until 10 healthz_clear
"$BIN/ep-meta" --config "$READY" planes --plane PAPER | jq -e --arg id "$id" \
    'select(.id == $id and .approved and .decision_reason == "checked by the test")' > /dev/null \
    || fail "ep-meta planes: $("$BIN/ep-meta" --config "$READY" planes)"
"$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/filled.jsonl" <<'EOT'
{"intent_id":"d-2","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}
{"intent_id":"d-3","strategy_id":"demo","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"100"}
EOT
[ "$(jq -r 'select(.terminal) | .status' "$WORK/filled.jsonl" | paste -sd' ')" = "FILLED FILLED" ] \
    || fail "after approval: $(cat "$WORK/filled.jsonl")"
[ "$(jq -r .plane_definition "$WORK/filled.jsonl" | sort -u)" = "$id" ] \
    || fail "reports name: $(jq -r .plane_definition "$WORK/filled.jsonl" | sort -u)"
sql "SELECT COUNT(*) FROM commands WHERE kind = 7 AND applied = 1" | grep -qx 1 \
    || fail "the approval is not journaled as a command"

# A restart of the router keeps the approval: the same worker is adopted
kill -TERM "$ROUTER_PID"; wait "$ROUTER_PID" || fail "the router did not stop cleanly"
restart_router
wait_until 20 paper_alive_is true
echo '{"intent_id":"d-4","strategy_id":"demo","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 10 > "$WORK/d-4.jsonl"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.plane_definition)"' "$WORK/d-4.jsonl")" = "FILLED $id" ] \
    || fail "after a restart: $(cat "$WORK/d-4.jsonl")"

# Another setting is another environment: not served until approved
kill -TERM "$PAPER_PID"; wait "$PAPER_PID" || fail "ep-paper did not stop cleanly"
wait_until 10 paper_alive_is false
sed 's/^\(    slippage_bps = \).*/\125/' "$READY" > "$WORK/slippage.zpl"
grep -qx '    slippage_bps = 25' "$WORK/slippage.zpl" || fail "slippage_bps not set to 25"
"$BIN/ep-paper" --config "$WORK/slippage.zpl" >> "$WORK/paper.log" 2>&1 &
PAPER_PID=$!
PIDS+=("$PAPER_PID")
wait_until 10 pending
other=$("$BIN/ep-meta" --config "$READY" planes --pending --plane PAPER | jq -r .id)
[ "$other" != "$id" ] || fail "another slippage gave the same definition"
wait_until 10 plane_field_has paper_definition_problem "paper definition ${other:0:12} is not approved"
[ "$(plane_field paper_alive)" = false ] || fail "paper is alive under the new definition"

"$BIN/ep-replay" --journal "$JOURNAL" --verify > "$WORK/verify.txt" || fail "ep-replay --verify: $(cat "$WORK/verify.txt")"
check_journal_invariants
pass "paper: not adopted until approved (by the meta key, described), every report names its definition, approvals kept across a restart, another definition needs its own"
