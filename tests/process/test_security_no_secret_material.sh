#!/usr/bin/env bash
# No secret key material anywhere it could leak: neither a CURVE secret key
# nor the venue secret appears in the journal, the live audit, any log, or
# the command line of any running daemon; journal and audit are 0600. A
# venue that echoes the key and secret JSON-escaped (\u0073...) leaks them
# neither decoded nor escaped.
source "$(dirname "$0")/lib.sh"

start_fakex
write_config
live_section
start_router
start_paper
start_live
"$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null <<'EOT'
{"intent_id":"n-1","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}
EOT
"$BIN/ep-meta" --config "$READY" select live --reason scan > /dev/null
"$BIN/ep-send" --config "$READY" --wait --timeout 20 > /dev/null <<'EOT'
{"intent_id":"n-2","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}
EOT
fakex_fault echo-secret
"$BIN/ep-send" --config "$READY" --wait --timeout 20 > "$WORK/echo.jsonl" <<'EOT'
{"intent_id":"n-3","strategy_id":"s","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}
EOT
jq -e 'select(.terminal) | .status == "REJECTED" and (.reason | contains("-1100"))' "$WORK/echo.jsonl" \
    > /dev/null || fail "the echoing venue's answer: $(cat "$WORK/echo.jsonl")"

# Every CURVE secret key of the set, and the venue secret.
secrets=$(sed -n 's/^ *secret-key = "\(.*\)"$/\1/p' "$CERTS"/*_secret)
[ "$(wc -l <<< "$secrets")" -ge 7 ] || fail "expected the secret keys of the whole set"
secrets=$(printf '%s\n%s\n%s\n%s\n%s\n' "$secrets" "$API_SECRET" "$(json_escaped "$API_SECRET")" \
          "$API_KEY" "$(json_escaped "$API_KEY")")
files=("$JOURNAL"* "$WORK"/live-audit.db* "$WORK"/*.log "$WORK"/*.zpl)
for pid in "$ROUTER_PID" "$PAPER_PID" "$LIVE_PID"; do
    tr '\0' ' ' < "/proc/$pid/cmdline" > "$WORK/cmdline.$pid"
    files+=("$WORK/cmdline.$pid")
done
if hits=$(grep -l -a -F -f <(printf '%s\n' "$secrets") "${files[@]}"); then
    fail "secret key material in: $hits"
fi
for f in "$JOURNAL" "$WORK/live-audit.db"; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), not 600"
done
for f in "$CERTS"/*_secret; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), not 600"
done
pass "no CURVE secret key or venue key or secret (as sent or escaped) in ${#files[@]} files and command lines; journal, audit and secret keys 0600"
