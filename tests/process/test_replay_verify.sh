#!/usr/bin/env bash
# ep-replay --verify: a journal made by a paper worker running with slippage
# and a liquidity cap (MARKET, LIMIT GTC/IOC/FOK, resting and crossing,
# partial fills) replays to the digest of the reports it recorded (exit 0,
# a 64-hex digest); the same journal with one plane-produced report altered
# by one byte fails verification (exit 1), and so does a replay with another
# slippage setting. The router's ready file carries the paper settings the
# worker and ep-replay read.
source "$(dirname "$0")/lib.sh"

write_config
printf 'paper\n    slippage_bps = 7\n    liquidity_cap = 0.5\n' >> "$CFG"
start_router

# The ready file is what the worker and ep-replay are given: it must keep
# the paper section.
paper_key () {
    awk -v key="$1" '/^[^ \t]/ { section = $1 }
        section == "paper" && $1 == key { v = $3; gsub(/"/, "", v); print v }' "$READY"
}
[ "$(paper_key slippage_bps)" = 7 ] || fail "the ready file lost paper/slippage_bps: $(cat "$READY")"
[ "$(paper_key liquidity_cap)" = 0.5 ] || fail "the ready file lost paper/liquidity_cap: $(cat "$READY")"

start_paper

# gen N: N intents over two symbols, eight kinds (see the comments), then
# sweeps that cross every resting order until it is filled (cap 0.5 per
# fill, so a resting qty 2 needs four crossings).
gen () {
    awk -v n="$1" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = "rp-" i; k = i % 8; buy = (int(i / 8) % 2 == 0);
            side = buy ? "BUY" : "SELL";
            sym = (i % 3) ? "BTCUSDT" : "ETHUSDT";
            ref = 100 + (i % 5);
            away = buy ? ref - 2 : ref + 2;     # does not cross now; later refs may
            near = buy ? ref + 1 : ref - 1;     # marketable now
            head = sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"rp\",\"symbol\":\"%s\",\"side\":\"%s\",", id, sym, side);
            if (k == 0)      printf "%s\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%d\"}\n", head, ref;                    # capped: IOC remainder expires
            else if (k == 1) printf "%s\"type\":\"MARKET\",\"tif\":\"IOC\",\"qty\":\"0.3\",\"ref_price\":\"%d\"}\n", head, ref;     # filled with slippage
            else if (k == 2) printf "%s\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"2\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", head, away, ref;   # rests
            else if (k == 3) printf "%s\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1.5\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", head, near, ref; # partial, rests
            else if (k == 4) printf "%s\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", head, near, ref;   # partial, expires
            else if (k == 5) printf "%s\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"1\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", head, away, ref;   # expires unfilled
            else if (k == 6) printf "%s\"type\":\"LIMIT\",\"tif\":\"FOK\",\"qty\":\"0.4\",\"limit_price\":\"%d\",\"ref_price\":\"%d\"}\n", head, near, ref;  # filled
            else             printf "%s\"type\":\"MARKET\",\"tif\":\"FOK\",\"qty\":\"2\",\"ref_price\":\"%d\"}\n", head, ref;                     # over the cap: expires
        }
        split("BTCUSDT ETHUSDT", syms, " ");
        for (r = 1; r <= 5; r++)
            for (s = 1; s <= 2; s++) {
                printf "{\"intent_id\":\"sweep-lo-%d-%d\",\"strategy_id\":\"rp\",\"symbol\":\"%s\",\"side\":\"SELL\",\"type\":\"MARKET\",\"qty\":\"0.1\",\"ref_price\":\"1\"}\n", r, s, syms[s];
                printf "{\"intent_id\":\"sweep-hi-%d-%d\",\"strategy_id\":\"rp\",\"symbol\":\"%s\",\"side\":\"BUY\",\"type\":\"MARKET\",\"qty\":\"0.1\",\"ref_price\":\"1000\"}\n", r, s, syms[s];
            }
    }'
}
N=400
gen $N > "$WORK/stream.jsonl"
total=$(wc -l < "$WORK/stream.jsonl")
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/stream.jsonl" \
    > "$WORK/stream.out" 2>>"$WORK/send.log" || fail "ep-send --wait did not see every terminal report"
got=$(jq -s 'map(select(.terminal)) | length' "$WORK/stream.out")
[ "$got" = "$total" ] || fail "$got terminal reports for $total intents"

# The stream did what it is meant to: every kind of outcome, slippage applied.
for status in FILLED PARTIALLY_FILLED EXPIRED ACCEPTED; do
    n=$(jq -s --arg s "$status" 'map(select(.status == $s)) | length' "$WORK/stream.out")
    [ "$n" -gt 0 ] || fail "no $status report in the stream"
done
crossed=$(jq -s 'map(select(.reason | startswith("crossed by ref"))) | length' "$WORK/stream.out")
[ "$crossed" -gt 0 ] || fail "no resting order was crossed"
# rp-1: MARKET BUY 0.3 at ref 101, 7 bps against the taker: 101 * 1.0007 = 101.0707;
# rp-9: MARKET SELL 0.3 at ref 104: 104 * 0.9993 = 103.9272.
fill_price () { jq -rs --arg id "$1" 'map(select(.intent_id == $id and .terminal)) | .[0] | "\(.status) \(.fills[0].price)"' "$WORK/stream.out"; }
[ "$(fill_price rp-1)" = "FILLED 101.0707" ] || fail "rp-1 (BUY) did not fill at 101.0707 with 7 bps slippage: $(fill_price rp-1)"
[ "$(fill_price rp-9)" = "FILLED 103.9272" ] || fail "rp-9 (SELL) did not fill at 103.9272 with 7 bps slippage: $(fill_price rp-9)"
n_plane=$(sql "SELECT COUNT(*) FROM reports WHERE origin = 1 AND plane = 1")
[ "$n_plane" -gt "$total" ] || fail "only $n_plane plane-produced reports for $total intents"

# Verify against the live journal, with the ready file's settings.
"$BIN/ep-replay" --journal "$JOURNAL" --config "$READY" --verify > "$WORK/digest" 2>"$WORK/replay.err" \
    || fail "ep-replay --verify on the journal exited $?: $(cat "$WORK/replay.err")"
digest=$(cat "$WORK/digest")
[[ "$digest" =~ ^[0-9a-f]{64}$ ]] || fail "ep-replay printed '$digest', not a 64-hex digest"

# A copy made after the router stopped (the worker first, so that it never
# outlives its router): verifies the same.
kill -TERM "$PAPER_PID"
wait "$PAPER_PID" || fail "the paper worker exited $? on TERM"
kill -TERM "$ROUTER_PID"
wait "$ROUTER_PID" || fail "the router exited $? on TERM"
sqlite3 -readonly "$JOURNAL" ".backup '$WORK/copy.db'"
"$BIN/ep-replay" --journal "$WORK/copy.db" --config "$READY" --verify > "$WORK/copy.digest" 2>>"$WORK/replay.err" \
    || fail "ep-replay --verify on the unaltered copy exited $?"
[ "$(cat "$WORK/copy.digest")" = "$digest" ] || fail "the copy replays to another digest"

# Alter one byte (the last) of one plane-produced report in the copy.
seq=$(sqlite3 "$WORK/copy.db" "SELECT seq FROM reports WHERE origin = 1 AND plane = 1 ORDER BY seq LIMIT 1 OFFSET 100")
hex=$(sqlite3 "$WORK/copy.db" "SELECT hex(plane_payload) FROM reports WHERE seq = $seq")
last=${hex: -2}
altered=${hex:0:${#hex}-2}$(printf '%02X' $(( 0x$last ^ 0x01 )))
sqlite3 "$WORK/copy.db" "UPDATE reports SET plane_payload = X'$altered' WHERE seq = $seq"
[ "$(sqlite3 "$WORK/copy.db" "SELECT hex(plane_payload) FROM reports WHERE seq = $seq")" = "$altered" ] \
    || fail "could not alter report $seq in the copy"
rc=0
"$BIN/ep-replay" --journal "$WORK/copy.db" --config "$READY" --verify > "$WORK/altered.digest" 2>"$WORK/altered.err" || rc=$?
[ "$rc" = 1 ] || fail "ep-replay --verify on a journal with report $seq altered exited $rc, expected 1"
# The journal's chain names the row
grep -q "the chain does not hold: chain row [0-9]*: reports row $seq is not what was written" "$WORK/altered.err" \
    || fail "ep-replay did not name the altered row: $(cat "$WORK/altered.err")"

# Another slippage: the replay is different from what was recorded.
sed 's/^\( *slippage_bps = \).*/\1"8"/' "$READY" > "$WORK/slip8.zpl"
grep -q 'slippage_bps = "8"' "$WORK/slip8.zpl" || fail "could not write a config with slippage 8"
rc=0
"$BIN/ep-replay" --journal "$JOURNAL" --config "$WORK/slip8.zpl" --verify > "$WORK/slip8.digest" 2>"$WORK/slip8.err" || rc=$?
[ "$rc" = 1 ] || fail "ep-replay --verify with slippage 8 (recorded with 7) exited $rc, expected 1"
[ "$(cat "$WORK/slip8.digest")" != "$digest" ] || fail "slippage 8 replays to the same digest as 7"

pass "$total intents ($n_plane plane reports): replay verifies (digest $digest); one altered byte and another slippage both fail"
