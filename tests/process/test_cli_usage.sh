#!/usr/bin/env bash
# Every program answers --help with exit 0, its text ending with its exit
# codes, and bad usage with exit 2 and exactly one line on stderr naming the
# problem and --help.
source "$(dirname "$0")/lib.sh"

# bad_usage PROGRAM EXPECTED ARGS...: exit 2, stderr exactly EXPECTED, nothing on stdout
bad_usage () {
    local p=$1 expected=$2; shift 2
    local rc=0
    "$BIN/$p" "$@" < /dev/null > "$WORK/out.txt" 2> "$WORK/err.txt" || rc=$?
    [ $rc = 2 ] || fail "$p $* exited $rc, expected 2"
    [ "$(wc -l < "$WORK/err.txt")" = 1 ] || fail "$p $*: not one line on stderr: $(cat "$WORK/err.txt")"
    [ "$(cat "$WORK/err.txt")" = "$expected" ] \
        || fail "$p $* said '$(cat "$WORK/err.txt")', expected '$expected'"
    [ ! -s "$WORK/out.txt" ] || fail "$p $* printed on stdout"
}

for p in ep-router ep-paper ep-live ep-send ep-tap ep-meta ep-replay ep-keygen; do
    "$BIN/$p" --help > "$WORK/help.txt" || fail "$p --help exited $?"
    grep -q "Usage: $p" "$WORK/help.txt" || fail "$p --help does not show its usage"
    tail -n 3 "$WORK/help.txt" | grep -Eq '^Exit( codes)?:' \
        || fail "$p --help does not end with its exit codes"
    sed -n '/^Exit/,$p' "$WORK/help.txt" | tr '\n' ' ' | grep -q '2 bad usage' \
        || fail "$p --help does not give exit 2 for bad usage"
    bad_usage $p "$p: unknown option '--no-such-option' (try --help)" --no-such-option
    bad_usage $p "$p: unknown option '--wiat' (try --help)" --wiat=3
    bad_usage $p "$p: unknown option '-q' (try --help)" -q
    bad_usage $p "$p: option '--config' needs a value (try --help)" --config
    bad_usage $p "$p: option '--help' takes no value (try --help)" --help=yes
done
for p in ep-router ep-paper ep-live ep-send ep-tap ep-keygen; do
    bad_usage $p "$p: unexpected argument 'stray' (try --help)" stray
done
bad_usage ep-send "ep-send: unknown option '--wiat' (try --help)" --wiat
rc=0; "$BIN/ep-meta" select moon --reason x 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] || fail "ep-meta select moon exited $rc"
rc=0; "$BIN/ep-meta" halt 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] && grep -q -- "--reason" "$WORK/err.txt" || fail "ep-meta halt without --reason must exit 2 naming --reason"
rc=0; "$BIN/ep-replay" 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] || fail "ep-replay without --journal exited $rc"
printf 'router\n    paper_deadline_ms = soon\n' > "$WORK/bad.zpl"
rc=0; "$BIN/ep-router" --config "$WORK/bad.zpl" 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] && grep -q "paper_deadline_ms" "$WORK/err.txt" || fail "a bad config value must exit 2 naming the key"
printf 'paper\n    slippage_bps = 10000\n' > "$WORK/absurd.zpl"
rc=0; "$BIN/ep-paper" --config "$WORK/absurd.zpl" 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] && grep -q "slippage_bps" "$WORK/err.txt" || fail "a 100% slippage must be refused naming the key"
rc=0; "$BIN/ep-router" --config "$WORK/missing.zpl" 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] || fail "a missing config file exited $rc"
# A router with nothing to talk to: ep-meta status gives up with exit 1.
printf 'router\n    outcomes = tcp://127.0.0.1:1\n' > "$WORK/nobody.zpl"
rc=0; "$BIN/ep-meta" --config "$WORK/nobody.zpl" --insecure --timeout 1 status 2> "$WORK/err.txt" || rc=$?
[ $rc = 1 ] || fail "ep-meta status with no router exited $rc, expected 1"
# Without CURVE only with --insecure: curve = 0 alone is bad usage.
printf 'security\n    curve = 0\n' > "$WORK/nocurve.zpl"
rc=0; "$BIN/ep-router" --config "$WORK/nocurve.zpl" 2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] && grep -q -- "--insecure" "$WORK/err.txt" || fail "curve = 0 without --insecure must exit 2 naming --insecure"
# No certificates where the config says: a clear error, exit 1.
printf 'security\n    certs = %s/none\n' "$WORK" > "$WORK/nocerts.zpl"
rc=0; "$BIN/ep-send" --config "$WORK/nocerts.zpl" < /dev/null 2> "$WORK/err.txt" || rc=$?
[ $rc = 1 ] && grep -q "none" "$WORK/err.txt" || fail "missing certificates must exit 1 naming the folder"
# --insecure runs in the clear and says so in the log from the start.
write_config
"$BIN/ep-router" --config "$CFG" --ready-file "$READY" --insecure >> "$WORK/router.log" 2>&1 &
PIDS+=($!)
wait_until 10 test -f "$READY"
grep -q "WARN.*running WITHOUT CURVE" "$WORK/router.log" || fail "ep-router --insecure does not warn"
pass "--help, bad usage and bad configuration answered as the contract says"
