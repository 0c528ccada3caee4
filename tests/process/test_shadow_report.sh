#!/usr/bin/env bash
# The shadow report. Five intents on the live plane against the fake venue
# (price 250.25), one of them refused by the venue (insufficient funds):
# ep-replay --shadow runs them through the paper plane and reports, per
# intent and in aggregate, how live diverged (outcome classes, filled
# quantity, price difference in bps signed + when live did worse), as a
# table and as a self-contained HTML page. Headless Chromium loads the
# page: its three SVG charts are laid out with a size, with the marks the
# data calls for, and no script error.
source "$(dirname "$0")/lib.sh"

FAKEX_PRICE=250.25 start_fakex
write_config
live_section
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
[ "$(grep -c '<svg id=' "$WORK/shadow.html")" = 3 ] || fail "the page does not hold three charts"

# Rendered by Chromium: the page's own check, once laid out, says ok.
command -v chromium > /dev/null || fail "chromium is missing (apt install chromium)"
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium" --virtual-time-budget=5000 \
    --dump-dom "file://$WORK/shadow.html" > "$WORK/dom.html" 2> "$WORK/chromium.log" \
    || fail "chromium failed: $(tail -n 3 "$WORK/chromium.log")"
render=$(sed -n 's/.*<body data-render="\([^"]*\)".*/\1/p' "$WORK/dom.html")
[ "$render" = "ok outcome-classes=10@642x242 price-diff-histogram=11@642x242 price-diff-by-intent=4@642x242" ] \
    || fail "the page as rendered: '${render:-no data-render}'"
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium" --window-size=1000,1400 \
    --screenshot="$WORK/shadow.png" "file://$WORK/shadow.html" > /dev/null 2>> "$WORK/chromium.log" \
    || fail "chromium could not take a screenshot: $(tail -n 3 "$WORK/chromium.log")"
[ "$(stat -c %s "$WORK/shadow.png")" -gt 10000 ] || fail "the screenshot is empty"
# SHADOW_SCREENSHOT=FILE keeps the screenshot, for a person to look at.
[ -z "${SHADOW_SCREENSHOT:-}" ] || cp "$WORK/shadow.png" "$SHADOW_SCREENSHOT"
pass "Chromium renders the page: $render"
