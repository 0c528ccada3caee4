#!/usr/bin/env bash
# Each key does what its role allows and no more: a strategy key speaks for
# its own strategies only and sends no Safety Sell (UNAUTHORIZED, journaled
# with the key); a strategy key cannot reach control; a worker key serves
# its own plane only; a strategy key sees its own strategies' reports only.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section
# Two more keys: a strategy that speaks for "alpha" only, and one for "beta".
"$BIN/ep-keygen" --role strategy --name only-alpha --strategy alpha --certs "$CERTS" > /dev/null
"$BIN/ep-keygen" --role strategy --name only-beta --strategy beta --certs "$CERTS" > /dev/null
start_router
start_paper
alpha_key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$CERTS/public/only-alpha")

send () {  # send CERT LINE: pushes one intent (no wait: a key may not see the report)
    echo "$2" | "$BIN/ep-send" --config "$READY" --cert "$1" --timeout 10 2>> "$WORK/send.log"
}
line () {  # line ID STRATEGY [SAFETY]
    printf '{"intent_id":"%s","strategy_id":"%s","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"100"%s}\n' \
        "$1" "$2" "${3:+,\"safety\":true}"
}
send only-alpha "$(line a-1 alpha)"
send only-alpha "$(line b-1 beta)"
send only-alpha "$(line a-2 alpha true)"
wait_until 10 sql_at_least 'SELECT COUNT(*) FROM reports WHERE terminal = 1' 3

[ "$(sql "SELECT r.status FROM reports r JOIN intents i USING (router_seq) WHERE i.intent_id = 'a-1' AND r.terminal = 1")" = 3 ] \
    || fail "alpha's own intent was not FILLED"
row=$(sql "SELECT r.status, i.sender LIKE 'only-alpha:$alpha_key' FROM reports r JOIN intents i USING (router_seq)
           WHERE i.intent_id = 'b-1' AND r.terminal = 1")
[ "$row" = "6|1" ] || fail "speaking for beta with alpha's key: $row (expected REJECTED, journaled with the key)"
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count 3 --timeout 10 > "$WORK/all.jsonl"
jq -e -s 'map(select(.intent_id == "b-1"))[0] | .failure == "UNAUTHORIZED" and (.reason | test("may not speak for strategy beta"))' \
    "$WORK/all.jsonl" > /dev/null || fail "b-1 is not UNAUTHORIZED with a reason"
jq -e -s 'map(select(.intent_id == "a-2"))[0] | .failure == "UNAUTHORIZED" and (.reason | test("safety key"))' \
    "$WORK/all.jsonl" > /dev/null || fail "a Safety Sell from a strategy key is not UNAUTHORIZED"
# b-1 was not claimed: beta's own key can still use that id.
echo "$(line b-1 beta)" | "$BIN/ep-send" --config "$READY" --cert only-beta --wait --timeout 10 > "$WORK/beta.jsonl"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/beta.jsonl")" = FILLED ] \
    || fail "an id used by an impostor was burned for its strategy"

# A strategy key sees only its own strategies' reports, through query: the
# beta key sees every report on beta and nothing else. The impostor's
# refusal is not among them: it was told to the only-alpha key alone.
n_beta=$(sql "SELECT COUNT(*) FROM reports WHERE strategy_id = 'beta'")
[ "$n_beta" -ge 1 ] || fail "expected a report on beta"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE strategy_id = 'beta' AND status = 6")" = 0 ] \
    || fail "the impostor's refusal is in beta's journal view"
rc=0; "$BIN/ep-tap" --config "$READY" --cert only-beta --from-seq 1 --count $((n_beta + 1)) --timeout 3 \
    > "$WORK/beta-tap.jsonl" || rc=$?
[ $rc = 1 ] || fail "the beta key saw more than beta's $n_beta reports"
[ "$(wc -l < "$WORK/beta-tap.jsonl")" = "$n_beta" ] || fail "the beta key saw $(wc -l < "$WORK/beta-tap.jsonl") of beta's $n_beta reports"
[ "$(jq -r -s 'map(.strategy_id) | unique | join(",")' "$WORK/beta-tap.jsonl")" = beta ] \
    || fail "the beta key saw another strategy's reports"

# A strategy key cannot reach control: refused, journaled, plane unchanged.
rc=0; "$BIN/ep-meta" --config "$READY" --cert strategy --timeout 3 select live --reason nope 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "ep-meta with a strategy key exited $rc"
[ "$(plane_field plane)" = PAPER ] || fail "a strategy key changed the plane"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'control: refused the handshake%strategy key%'")" -ge 1 ] \
    || fail "the strategy key's attempt on control was not journaled"

# A paper worker key run as the live worker: its claim of the live plane is
# refused (so it never subscribes to exec.live) and its heartbeats are not
# heard; live intents never reach it.
"$BIN/ep-live" --config "$READY" --cert paper >> "$WORK/fake-live.log" 2>&1 &
PIDS+=($!)
wait_until 10 sql_at_least "SELECT COUNT(*) FROM events WHERE kind = 'refused' AND detail LIKE 'query: restore of the LIVE plane refused to paper:%'" 1
[ "$(plane_field live_alive)" = false ] || fail "a paper worker key made the live plane alive"
"$BIN/ep-meta" --config "$READY" select live --reason "no live worker" > /dev/null
echo "$(line l-1 alpha)" | "$BIN/ep-send" --config "$READY" --cert only-alpha --wait --timeout 10 > "$WORK/live.jsonl"
[ "$(jq -r 'select(.terminal) | .failure' "$WORK/live.jsonl")" = PLANE_UNAVAILABLE ] \
    || fail "with only a paper key on the live worker, a live intent got $(cat "$WORK/live.jsonl")"
[ "$(curl -s "$FAKEX_CONTROL/fakex/counts" | jq 'length')" = 0 ] || fail "the venue received an order"
check_journal_invariants
pass "strategy keys speak for their own strategies only, see their own reports only, reach no control; worker keys serve their own plane"
