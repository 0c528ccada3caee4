#!/usr/bin/env bash
# One fault of the fake venue, one intent on the live plane: the outcome is
# classified as the live plane promises, the audit holds the attempt and its
# result, the venue received the order at most once, and no venue key or
# secret appears in the journal, the audit or any log.
#
#   live_fault.sh BIN MODE
source "$(dirname "$0")/lib.sh"
mode=${2:?usage: live_fault.sh BIN MODE}

# mode -> expected "STATUS FAILURE" and the requests the venue must count.
case $mode in
    none)          expect="FILLED FAILURE_NONE";              count=1 ;;
    refuse)        expect="FAILED NOT_SENT";                  count=0 ;;
    close-early)   expect="UNKNOWN SEND_UNKNOWN";             count=0 ;;
    hang)          expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    http-500)      expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    http-503)      expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    code-1007)     expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    truncated)     expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    wrong-id)      expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    http-429)      expect="REJECTED RATE_LIMITED";            count=1 ;;
    http-418)      expect="REJECTED RATE_LIMITED";            count=1 ;;
    insufficient)  expect="REJECTED INSUFFICIENT_FUNDS";      count=1 ;;
    duplicate)     expect="FILLED FAILURE_NONE";              count=1 ;;   # -2010: the order exists; followed
    bad-signature) expect="REJECTED VENUE_AUTH_FAILED";       count=1 ;;
    overfill)      expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    wrong-qty)     expect="UNKNOWN SEND_UNKNOWN";             count=1 ;;
    echo-secret)   expect="REJECTED VENUE_REJECTED";          count=1 ;;
    *) fail "unknown mode $mode" ;;
esac

# refuse: the venue goes away once the worker has measured its clock (from
# the start, nothing would be written down or sent: the clock unknown)
if [ "$mode" = refuse ]; then start_fakex; else start_fakex --fault "$mode"; fi
write_config
live_section "timeout_ms = 2000" "connect_timeout_ms = 1000"
start_router
start_live
if [ "$mode" = refuse ]; then
    wait_until 10 grep -q "venue clock: the venue's clock is" "$WORK/live.log"
    fakex_fault refuse
fi
"$BIN/ep-meta" --config "$READY" select live --reason "fault $mode" > /dev/null

echo '{"intent_id":"f-1","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"0.4","ref_price":"250"}' \
    | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/out.jsonl"
got=$(jq -r 'select(.terminal) | "\(.status) \(.failure)"' "$WORK/out.jsonl")
[ "$got" = "$expect" ] || fail "$mode: got '$got', expected '$expect': $(jq -r .reason "$WORK/out.jsonl")"
[ "$(jq -r 'select(.terminal) | .plane' "$WORK/out.jsonl")" = LIVE ] || fail "$mode: not realized on the live plane"
reason=$(jq -r 'select(.terminal) | .reason' "$WORK/out.jsonl")
case $mode in
    http-429) [[ $reason == *"Retry-After: 7"* ]] || fail "429 reason lacks Retry-After: $reason" ;;
    http-418) [[ $reason == *"Retry-After: 120"* && $reason == *[Bb]an* ]] || fail "418 reason lacks the ban: $reason" ;;
    insufficient|bad-signature) [[ $reason == *-20[0-9][0-9]* || $reason == *-1022* ]] || fail "reason lacks the venue code: $reason" ;;
    duplicate)
        # First UNKNOWN, not final, saying why; then the order's real end from a query
        first=$(jq -r -s '.[0] | "\(.status) \(.failure) \(.terminal)"' "$WORK/out.jsonl")
        [ "$first" = "UNKNOWN SEND_UNKNOWN false" ] || fail "duplicate: the first report is $first"
        [[ $(jq -r -s '.[0].reason' "$WORK/out.jsonl") == *"-2010 Duplicate order sent."*"followed by status queries"* ]] \
            || fail "duplicate: the first reason: $(jq -r -s '.[0].reason' "$WORK/out.jsonl")"
        [ "$(audit "SELECT count(*) FROM attempts WHERE kind = 2")" -ge 1 ] || fail "duplicate: the order was not queried" ;;
    refuse|close-early|hang) [[ $reason == *libcurl* ]] || fail "reason lacks the libcurl code: $reason" ;;
    overfill|wrong-qty)
        case $mode in
            overfill)  said="the venue says executedQty 0.8 of an order for 0.4" ;;
            wrong-qty) said="the venue says origQty 0.8 of an order for 0.4" ;;
        esac
        [[ $reason == *"$said"*"not trusted"* ]] || fail "$mode: the reason does not say what is not trusted: $reason"
        [ "$(jq -r 'select(.terminal) | .filled_qty' "$WORK/out.jsonl")" = 0 ] \
            || fail "$mode: figures the venue cannot be trusted with were reported"
        grep -q "ERROR live: intent live/f-1: the venue's answer on .* is not trusted: $said" "$WORK/live.log" \
            || fail "$mode: no ERROR line in the live worker's log" ;;
    echo-secret) [[ $reason == *-1100* && $reason == *"****"* ]] || fail "echo-secret: the reason lacks the scrubbed echo: $reason" ;;
esac

id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
[ -n "$id" ] || fail "$mode: no submission attempt in the audit"
[ "$(fakex_count "$id")" = "$count" ] || fail "$mode: the venue received $(fakex_count "$id") requests for $id, expected $count"
row=$(audit "SELECT method, path, instr(params, 'newClientOrderId=$id') > 0, instr(params, 'signature') = 0,
              timestamp_ms > 0, recv_window_ms > 0, finished_us >= created_us, request_size IS NOT NULL
              FROM attempts WHERE kind = 1")
[ "$row" = "POST|/api/v3/order|1|1|1|1|1|1" ] || fail "$mode: the audit row is not complete: $row"
declare -A number=([FILLED]=3 [REJECTED]=6 [FAILED]=7 [UNKNOWN]=8 [FAILURE_NONE]=0
                   [INSUFFICIENT_FUNDS]=7 [VENUE_REJECTED]=6 [RATE_LIMITED]=8 [VENUE_AUTH_FAILED]=9
                   [NOT_SENT]=10 [SEND_UNKNOWN]=11)
read -r status failure <<< "$expect"
[ "$mode" = duplicate ] && { status=UNKNOWN; failure=SEND_UNKNOWN; }   # the submission's own answer
[ "$(audit "SELECT status || ' ' || failure FROM attempts WHERE kind = 1")" = "${number[$status]} ${number[$failure]}" ] \
    || fail "$mode: the audit's classification differs from the report's"
case $mode in
    none|http-*|code-1007|truncated|wrong-id|insufficient|duplicate|bad-signature|overfill|wrong-qty|echo-secret)
        [ "$(audit "SELECT http_status > 0 AND length(body) > 0 FROM attempts WHERE kind = 1")" = 1 ] \
            || fail "$mode: the audit lacks the HTTP status or the body" ;;
    refuse)
        [ "$(audit "SELECT curl_code <> 0 AND request_size = 0 FROM attempts WHERE kind = 1")" = 1 ] \
            || fail "refuse: the audit should show a libcurl error with nothing sent" ;;
esac
check_journal_invariants
assert_no_secrets
pass "$mode: $expect, $count request(s) at the venue, audit complete, no secrets"
