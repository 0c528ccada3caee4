#!/usr/bin/env bash
# The shadow report. Five intents on the live plane against the fake venue
# (price 250.25), one of them refused by the venue (insufficient funds):
# ep-replay --shadow runs them through the paper plane and reports, per
# intent and in aggregate, how live diverged (outcome classes, filled
# quantity, price difference in bps signed + when live did worse), as a
# table and as a self-contained HTML page. Headless Chromium loads the
# page: its four SVG charts are laid out with a size, with the marks the
# data calls for, and no script error. Then an intent whose live outcome
# was UNKNOWN (the venue hung) and was reconciled FILLED, and an intent of
# another strategy on another symbol: the report takes the reconciled
# outcome, breaks down by strategy and symbol, and its CSV and JSON
# exports say what its table says.
source "$(dirname "$0")/lib.sh"

FAKEX_PRICE=250.25 start_fakex
write_config
# A hung submission ends UNKNOWN after timeout_ms (the second part)
live_section "timeout_ms = 3000" "connect_timeout_ms = 500"
start_router
start_live
"$BIN/ep-meta" --config "$READY" select live --reason "shadow report test" > /dev/null
send () {
    echo "$1" | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/out.jsonl" \
        || fail "ep-send: $1"
}
send '{"intent_id":"s-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}'
send '{"intent_id":"s-2","strategy_id":"live","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"0.5","ref_price":"251"}'
send '{"intent_id":"s-3","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.1","ref_price":"250.25"}'
fakex_fault insufficient
send '{"intent_id":"s-4","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"250"}'
[ "$(jq -r .failure "$WORK/out.jsonl")" = INSUFFICIENT_FUNDS ] || fail "s-4 was not refused by the venue"
fakex_fault none
send '{"intent_id":"s-5","strategy_id":"live","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"0.2","ref_price":"250"}'

"$BIN/ep-replay" --shadow --journal "$JOURNAL" --config "$READY" --html "$WORK/shadow.html" \
    > "$WORK/shadow.txt" 2> "$WORK/shadow.err" || fail "ep-replay --shadow: $(cat "$WORK/shadow.err")"
cat "$WORK/shadow.txt"
row () { grep -E "^[0-9]+ +live/$1 " "$WORK/shadow.txt"; }
# BUY at 250.25 live, 250 paper: +10 bps; SELL at 250.25 live, 251 paper:
# +29.88 bps (live got less); SELL at 250.25 live, 250 paper: -10 bps.
[[ $(row s-1) == *"FILLED 0.4 @ 250.25"*"FILLED 0.4 @ 250 "*"+10.00" ]] || fail "s-1: $(row s-1)"
[[ $(row s-2) == *"FILLED 0.5 @ 250.25"*"FILLED 0.5 @ 251 "*"+29.88" ]] || fail "s-2: $(row s-2)"
[[ $(row s-3) == *"+0.00" ]] || fail "s-3: $(row s-3)"
[[ $(row s-4) == *"REJECTED INSUFFICIENT_FUNDS"*"FILLED 1 @ 250"*"-1 "*"(outcome differs)" ]] \
    || fail "s-4: $(row s-4)"
[[ $(row s-5) == *"-10.00" ]] || fail "s-5: $(row s-5)"
grep -q "^  intents  *5$" "$WORK/shadow.txt" && grep -q "^  outcome classes differ  *1$" "$WORK/shadow.txt" \
    && grep -q "^  filled on both planes  *4$" "$WORK/shadow.txt" \
    && grep -q "^    not filled -> filled  *1   differs$" "$WORK/shadow.txt" \
    && grep -q "mean +7.47, p50 +10.00, p90 +29.88, min -10.00, max +29.88" "$WORK/shadow.txt" \
    || fail "the aggregate is wrong"
# Grouped by the live plane definition that produced each outcome
definition=$(plane_field live_definition)
grep -q "^    ${definition:0:12} intents 5, outcome classes differ 1, filled on both 4" "$WORK/shadow.txt" \
    || fail "not grouped by the live definition ${definition:0:12}"
grep -q "<code>$definition</code></td><td>5</td>" "$WORK/shadow.html" \
    || fail "the page does not group by the live definition"
pass "the table: per intent, in aggregate and by plane definition"

# Self-contained: nothing fetched from elsewhere.
grep -Eiq '(src|href)=|@import|url\(' "$WORK/shadow.html" && fail "the page refers to an external asset"
[ "$(grep -c '<svg id=' "$WORK/shadow.html")" = 4 ] || fail "the page does not hold four charts"
# The fourth chart's time axis: its ends labelled with UTC times
grep -Eq 'class="tick time-start"[^>]*>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z<' "$WORK/shadow.html" \
    && grep -Eq 'class="tick time-end"[^>]*>[0-9T:.-]+Z<' "$WORK/shadow.html" \
    || fail "the chart over time does not label its ends with UTC times"

# Rendered by Chromium: the page's own check, once laid out, says ok.
command -v chromium > /dev/null || fail "chromium is missing (apt install chromium)"
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium" --virtual-time-budget=5000 \
    --dump-dom "file://$WORK/shadow.html" > "$WORK/dom.html" 2> "$WORK/chromium.log" \
    || fail "chromium failed: $(tail -n 3 "$WORK/chromium.log")"
render=$(sed -n 's/.*<body data-render="\([^"]*\)".*/\1/p' "$WORK/dom.html")
[ "$render" = "ok outcome-classes=10@642x242 price-diff-histogram=11@642x242 price-diff-by-intent=4@642x242 price-diff-over-time=4@642x242" ] \
    || fail "the page as rendered: '${render:-no data-render}'"
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium" --window-size=1000,1400 \
    --screenshot="$WORK/shadow.png" "file://$WORK/shadow.html" > /dev/null 2>> "$WORK/chromium.log" \
    || fail "chromium could not take a screenshot: $(tail -n 3 "$WORK/chromium.log")"
[ "$(stat -c %s "$WORK/shadow.png")" -gt 10000 ] || fail "the screenshot is empty"
# SHADOW_SCREENSHOT=FILE keeps the screenshot, for a person to look at.
[ -z "${SHADOW_SCREENSHOT:-}" ] || cp "$WORK/shadow.png" "$SHADOW_SCREENSHOT"
pass "Chromium renders the page: $render"

# Fees, notional weights and the quote currency. The fake venue charges
# 0.1% of the notional in USDT, the quote asset: s-1 paid 0.1001 USDT on
# 0.4 at 250.25, 0.25025 USDT per unit or 10.01 bps of paper's 250, so
# net +20.01; live lost (250.25 - 250) x 0.4 = 0.1 USDT on it.
[[ $(row s-1) == *"0.1001 USDT"*" 0.1 USDT "*"+20.01 "*"+10.00" ]] || fail "s-1's fees and differences: $(row s-1)"
[[ $(row s-2) == *"0.375 USDT"* ]] || fail "s-2's quote difference: $(row s-2)"
[[ $(row s-4) == *" 0 "*"-1 "*"(outcome differs)" ]] || fail "s-4 paid no fee: $(row s-4)"
# Weighted by 0.4 x 250, 0.5 x 251, 0.1 x 250.25, 0.2 x 250 of notional
bps2=$(awk 'BEGIN { printf "%+.2f", (250.25-251)*-1e4/251 }')
weighted=$(awk -v b="$bps2" 'BEGIN { printf "%+.2f", (10*100 + b*125.5 + 0*25.025 - 10*50) / (100+125.5+25.025+50) }')
grep -q "^  price diff bps, weighted  *$weighted " "$WORK/shadow.txt" || fail "the notional-weighted mean is not $weighted"
grep -q "^  price diff, quote currency  *0.425 USDT " "$WORK/shadow.txt" || fail "the total quote difference is not 0.425 USDT"
grep -q "^  live fees  *[0-9.]* USDT; paper fees 0$" "$WORK/shadow.txt" || fail "the fees in aggregate"
pass "fees, net and notional-weighted differences, the difference in the quote currency"

# --- a reconciled outcome, another strategy and symbol, the exports -------
fakex_fault hang
echo '{"intent_id":"u-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/u1.jsonl"
[ "$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/u1.jsonl")" = "UNKNOWN SEND_UNKNOWN" ] \
    || fail "the hung submission did not end UNKNOWN: $(cat "$WORK/u1.jsonl")"
fakex_fault none
# Before the reconciliation, the shadow report says UNKNOWN
"$BIN/ep-replay" --shadow --journal "$JOURNAL" --config "$READY" > "$WORK/before.txt" \
    2> "$WORK/shadow.err" || fail "ep-replay --shadow: $(cat "$WORK/shadow.err")"
[[ $(grep -E "^[0-9]+ +live/u-1 " "$WORK/before.txt") == *"UNKNOWN SEND_UNKNOWN"*"(outcome differs)" ]] \
    || fail "u-1 before its reconciliation: $(grep -E " live/u-1 " "$WORK/before.txt")"
"$BIN/ep-meta" --config "$READY" reconcile u-1 --strategy live --reason "venue hung" \
    > "$WORK/reconciled.json" 2> "$WORK/meta.log" || fail "ep-meta reconcile failed: $(cat "$WORK/meta.log")"
jq -e '.reconciled and .status == "FILLED" and .filled_qty == "0.4"' "$WORK/reconciled.json" > /dev/null \
    || fail "the reconciliation: $(cat "$WORK/reconciled.json")"
echo '{"intent_id":"a-1","strategy_id":"alpha","symbol":"ETHUSDT","side":"BUY","type":"MARKET","qty":"0.2","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/a1.jsonl" || fail "ep-send a-1"
[ "$(jq -r 'select(.terminal) | .status' "$WORK/a1.jsonl")" = FILLED ] || fail "a-1: $(cat "$WORK/a1.jsonl")"

"$BIN/ep-replay" --shadow --journal "$JOURNAL" --config "$READY" --html "$WORK/shadow2.html" \
    --csv "$WORK/shadow.csv" --json "$WORK/shadow.json" > "$WORK/shadow2.txt" 2> "$WORK/shadow.err" \
    || fail "ep-replay --shadow --csv --json: $(cat "$WORK/shadow.err")"
cat "$WORK/shadow2.txt"
row2 () { grep -E "^[0-9]+ +$1 " "$WORK/shadow2.txt"; }
# u-1's final live outcome is the reconciled one (its first terminal
# report said UNKNOWN): FILLED 0.4 at 250.25 against paper's 250.
[[ $(row2 live/u-1) == *"FILLED 0.4 @ 250.25"*"FILLED 0.4 @ 250 "*"+10.00   (live outcome reconciled)" ]] \
    || fail "u-1 after its reconciliation: $(row2 live/u-1)"
[[ $(row2 alpha/a-1) == *"FILLED 0.2 @ 250.25"*"FILLED 0.2 @ 250 "*"+10.00" ]] || fail "a-1: $(row2 alpha/a-1)"
grep -q "^  intents  *7$" "$WORK/shadow2.txt" && grep -q "^  outcome classes differ  *1$" "$WORK/shadow2.txt" \
    && grep -q "^  filled on both planes  *6$" "$WORK/shadow2.txt" \
    && grep -q "^  live outcomes reconciled  *1$" "$WORK/shadow2.txt" || fail "the aggregate with u-1 and a-1"
grep -q "<em>(reconciled)</em>" "$WORK/shadow2.html" || fail "the page does not say u-1 is reconciled"
# The breakdowns: by strategy (live 6, alpha 1) and by symbol (BTCUSDT 6, ETHUSDT 1)
block () { sed -n "/^  by $1:\$/,/^  [a-z]/p" "$WORK/shadow2.txt"; }
block strategy | grep -q "^    live  *intents 6, outcome classes differ 1, filled on both 5, .*quote diff 0.525 USDT$" \
    && block strategy | grep -q "^    alpha  *intents 1, outcome classes differ 0, filled on both 1, price diff mean +10.00 bps, notional-weighted +10.00 bps, quote diff 0.05 USDT$" \
    || fail "by strategy: $(block strategy)"
block symbol | grep -q "^    BTCUSDT  *intents 6, outcome classes differ 1, filled on both 5," \
    && block symbol | grep -q "^    ETHUSDT  *intents 1, outcome classes differ 0, filled on both 1," \
    || fail "by symbol: $(block symbol)"
grep -q "^    ${definition:0:12} intents 7, " "$WORK/shadow2.txt" || fail "by definition, with u-1 and a-1"
grep -q '<table id="strategies">' "$WORK/shadow2.html" && grep -q '<table id="symbols">' "$WORK/shadow2.html" \
    && grep -q '<code>alpha</code></td><td>1</td>' "$WORK/shadow2.html" || fail "the page's breakdowns"
pass "the reconciled outcome replaces UNKNOWN; by strategy and by symbol"

# CSV (RFC 4180: CRLF, a header): one row per intent, the table's intents,
# statuses and bps. Nothing here needs quoting, so fields split on commas.
tr -d '\r' < "$WORK/shadow.csv" > "$WORK/shadow.lf.csv"
[ "$(head -n 1 "$WORK/shadow.lf.csv")" = "router_seq,strategy,intent,symbol,side,qty,live_status,live_failure,live_filled,live_avg_price,paper_status,paper_failure,paper_filled,paper_avg_price,qty_diff,outcome_differs,bps,net_bps,quote_diff,quote_asset,live_fees,fees_converted,paper_fees,reconciled,plane_definition,journaled_at,journaled_us" ] \
    || fail "the CSV's header: $(head -n 1 "$WORK/shadow.lf.csv")"
[ "$(grep -c $'\r$' "$WORK/shadow.csv")" = 8 ] || fail "the CSV's lines do not end with CRLF"
[ "$(tail -n +2 "$WORK/shadow.lf.csv" | wc -l)" = 7 ] || fail "the CSV has not one row per intent"
grep -E "^[0-9]+ +[a-z]+/[a-z]-[0-9] " "$WORK/shadow2.txt" | awk '{ print $1, $2 }' > "$WORK/table.ids"
tail -n +2 "$WORK/shadow.lf.csv" | awk -F, '{ print $1, $2 "/" $3 }' > "$WORK/csv.ids"
diff "$WORK/table.ids" "$WORK/csv.ids" > /dev/null || fail "the CSV's intents are not the table's"
while IFS=, read -r seq strategy intent symbol side qty live_status live_failure \
        live_filled live_avg paper_status paper_failure paper_filled paper_avg qty_diff differs bps rest; do
    line=$(row2 "$strategy/$intent")
    [[ $line == "$seq "* ]] || fail "CSV $intent: router_seq $seq"
    [[ $line == *" $live_status "* && $line == *" $paper_status "* ]] || fail "CSV $intent: statuses $live_status $paper_status"
    if [ -n "$bps" ]; then
        want=$(printf "%+.2f" "$bps")
        [[ $line == *" $want" || $line == *" $want   (live outcome reconciled)" ]] || fail "CSV $intent: bps $bps, table: $line"
    else
        [[ $line == *" - "* ]] || fail "CSV $intent has no bps, the table has: $line"
    fi
done < <(tail -n +2 "$WORK/shadow.lf.csv")
grep -q '^[0-9]*,live,u-1,BTCUSDT,BUY,0.4,FILLED,,0.4,250.25,FILLED,,0.4,250,0,false,10.00,20.01,0.1,USDT,0.1001 USDT,true,0,true,'"$definition"',[0-9T:.-]*Z,[0-9]*$' \
    "$WORK/shadow.lf.csv" || fail "the CSV's u-1: $(grep ',u-1,' "$WORK/shadow.lf.csv")"
grep -q '^[0-9]*,live,s-4,BTCUSDT,BUY,1,REJECTED,INSUFFICIENT_FUNDS,0,0,FILLED,,1,250,-1,true,,,,USDT,,true,0,false,' \
    "$WORK/shadow.lf.csv" || fail "the CSV's s-4: $(grep ',s-4,' "$WORK/shadow.lf.csv")"
pass "the CSV export: one row per intent, as the table"

# JSON: parses, seven objects, the same values as the CSV, e8 amounts as
# decimal strings.
jq -e 'type == "array" and length == 7' "$WORK/shadow.json" > /dev/null || fail "the JSON is not an array of 7"
jq -r '.[] | [.router_seq, .strategy, .intent, .symbol, .side, .qty, .live_status, .live_failure,
              .live_filled, .live_avg_price, .paper_status, .paper_failure, .paper_filled,
              .paper_avg_price, .qty_diff, .outcome_differs,
              (if .bps == null then "" else (.bps * 100 | round | tostring) end),
              (if .net_bps == null then "" else (.net_bps * 100 | round | tostring) end),
              (.quote_diff // ""), .quote_asset, (.live_fees | to_entries | map("\(.value) \(.key)") | join("; ")),
              .fees_converted, .paper_fees, .reconciled, .plane_definition, .journaled_at,
              (.journaled_us // "")] | map(tostring) | join(",")' "$WORK/shadow.json" > "$WORK/json.csv" \
    || fail "jq cannot read the JSON"
tail -n +2 "$WORK/shadow.lf.csv" | awk -F, 'BEGIN { OFS = "," } {
    for (f = 17; f <= 18; f++) if ($f != "") $f = sprintf ("%d", ($f < 0 ? $f * 100 - 0.5 : $f * 100 + 0.5));
    print }' > "$WORK/csv.cmp"
diff "$WORK/csv.cmp" "$WORK/json.csv" > "$WORK/json.diff" || fail "the JSON and the CSV differ: $(cat "$WORK/json.diff")"
jq -e '.[] | select(.intent == "u-1") | .reconciled == true and .live_status == "FILLED"
       and .live_avg_price == "250.25" and .quote_diff == "0.1" and .live_fees.USDT == "0.1001"
       and .bps == 10 and (.journaled_us | type) == "number"' "$WORK/shadow.json" > /dev/null \
    || fail "the JSON's u-1: $(jq -c '.[] | select(.intent == "u-1")' "$WORK/shadow.json")"
pass "the JSON export: parses, the CSV's values"
