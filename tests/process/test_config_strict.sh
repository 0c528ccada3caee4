#!/usr/bin/env bash
# Every program reads its configuration strictly: a typo in a key or a
# section, or a section given twice, is bad usage (exit 2) said in exactly
# one line on stderr naming the file, the line and the nearest known name.
# And the file the router writes for its clients (the ready file) passes.
source "$(dirname "$0")/lib.sh"

# What each program needs on its line besides --config to reach the check.
declare -A line=(
    [ep-router]="--ready-file $WORK/never.zpl"
    [ep-paper]=""
    [ep-live]=""
    [ep-send]="--file /dev/null"
    [ep-tap]="--count 1 --timeout 1"
    [ep-meta]="--timeout 1 status"
    [ep-replay]="--journal $WORK/no-journal.db --verify"
    [ep-keygen]="--role monitor --name m --certs $WORK/keys"
)
# One bad file per case: its text, and the line the error must say.
printf '# a typo in a key\nrouter\n    hwm = 2000\n\n    jurnal_sync = normal\n' > "$WORK/key.zpl"
printf 'router\n    hwm = 2000\npaperr\n    slippage_bps = 5\n' > "$WORK/section.zpl"
printf 'paper\n    slippage_bps = 5\nsecurity\n    curve = 1\npaper = ""\n    liquidity_cap = 1\n' \
    > "$WORK/twice.zpl"
expect_key="config $WORK/key.zpl line 5: unknown key router/jurnal_sync (did you mean router/journal_sync?)"
expect_section="config $WORK/section.zpl line 3: unknown section paperr (did you mean paper?)"
expect_twice="config $WORK/twice.zpl line 5: section paper given twice (first at line 1)"

for p in ep-router ep-paper ep-live ep-send ep-tap ep-meta ep-replay ep-keygen; do
    for case in key section twice; do
        expect=expect_$case
        rc=0
        # shellcheck disable=SC2086
        "$BIN/$p" --config "$WORK/$case.zpl" ${line[$p]} < /dev/null > "$WORK/out.txt" \
            2> "$WORK/err.txt" || rc=$?
        [ $rc = 2 ] || fail "$p with $case.zpl exited $rc, expected 2: $(cat "$WORK/err.txt")"
        [ "$(wc -l < "$WORK/err.txt")" = 1 ] \
            || fail "$p with $case.zpl must say one line on stderr, said: $(cat "$WORK/err.txt")"
        [ "$(cat "$WORK/err.txt")" = "$p: ${!expect}" ] \
            || fail "$p with $case.zpl said: $(cat "$WORK/err.txt"), expected: $p: ${!expect}"
    done
    pass "$p refuses a typo in a key or section, and a section twice, with the line"
done
[ ! -e "$WORK/keys" ] || fail "ep-keygen wrote certificates despite a bad configuration"

# ep-live --export-instruments reads the configuration through the venue
rc=0
"$BIN/ep-live" --config "$WORK/key.zpl" --export-instruments "$WORK/rules.txt" \
    2> "$WORK/err.txt" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$WORK/err.txt")" = 1 ] && grep -qF "$expect_key" "$WORK/err.txt" \
    || fail "ep-live --export-instruments with a typo exited $rc: $(cat "$WORK/err.txt")"

# The ready file the router writes is read by its clients and workers.
write_config
start_router
grep -q '^paper' "$READY" && grep -q '^live' "$READY" || fail "the ready file lacks a section"
"$BIN/ep-meta" --config "$READY" --timeout 10 status > "$WORK/status.txt" 2> "$WORK/err.txt" \
    || fail "ep-meta could not use the router's ready file: $(cat "$WORK/err.txt")"
pass "the router's ready file passes the strict check"
