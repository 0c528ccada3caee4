#!/usr/bin/env bash
# A plane command applies only with a strictly higher epoch: a repeated or
# lower epoch is refused (ep-meta exits 1 and says why), leaves the plane
# as it was, and is journaled like the applied one, with its issuer, sender,
# reason and outcome. The next command without --epoch takes current + 1.
source "$(dirname "$0")/lib.sh"

write_config
start_router

# meta NAME ARGS...: runs ep-meta, keeps stdout and stderr, prints the exit code.
meta () {
    local name=$1; shift
    local rc=0
    "$BIN/ep-meta" --config "$READY" --timeout 10 "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    echo $rc
}

rc=$(meta a --as meta-a --epoch 5 select paper --reason a)
[ "$rc" = 0 ] || fail "select paper --epoch 5 exited $rc: $(cat "$WORK/a.err")"
jq -e '.plane == "PAPER" and .epoch == 5 and .issued_by == "meta-a"' "$WORK/a.out" >/dev/null \
    || fail "select paper --epoch 5 printed $(cat "$WORK/a.out")"

# The same epoch again: refused.
rc=$(meta b --as meta-b --epoch 5 select live --reason b)
[ "$rc" = 1 ] || fail "select live --epoch 5 (a repeated epoch) exited $rc, expected 1"
grep -qi "refused" "$WORK/b.err" || fail "select live --epoch 5: no refusal on stderr: $(cat "$WORK/b.err")"
grep -q "epoch 5 is not above the current 5" "$WORK/b.err" \
    || fail "select live --epoch 5: the refusal does not say why: $(cat "$WORK/b.err")"
[ ! -s "$WORK/b.out" ] || fail "select live --epoch 5 printed a state on stdout: $(cat "$WORK/b.out")"

# A lower epoch: refused.
rc=$(meta c --as meta-c --epoch 3 select live --reason c)
[ "$rc" = 1 ] || fail "select live --epoch 3 (a lower epoch) exited $rc, expected 1"
grep -q "epoch 3 is not above the current 5" "$WORK/c.err" \
    || fail "select live --epoch 3: the refusal does not say why: $(cat "$WORK/c.err")"

# Nothing changed.
"$BIN/ep-meta" --config "$READY" --timeout 5 status > "$WORK/status.json" || fail "ep-meta status failed"
jq -e '.plane == "PAPER" and .epoch == 5 and .issued_by == "meta-a" and .reason == "a"' \
    "$WORK/status.json" >/dev/null || fail "after the refusals the state is $(cat "$WORK/status.json")"

# Every command journaled, applied or refused, with who, from where and why.
# ep-meta publishes its command again until it sees the outcome, so the
# router may read (and journal) one more than once: every copy is checked.
# Columns: kind plane epoch reason applied.
commands_of () { sql "SELECT DISTINCT kind, plane, epoch, reason, applied FROM commands WHERE issued_by = '$1' ${2:-}"; }
[ "$(commands_of meta-a 'AND applied = 1')" = "1|1|5|a|1" ] \
    || fail "journal: no applied SELECT PAPER epoch 5 from meta-a: $(commands_of meta-a)"
[ "$(sql "SELECT COUNT(*) FROM commands WHERE applied = 1")" = 1 ] \
    || fail "journal: $(sql "SELECT COUNT(*) FROM commands WHERE applied = 1") applied commands, expected only meta-a's"
[ "$(commands_of meta-b)" = "1|2|5|b|0" ] || fail "journal: meta-b's commands are '$(commands_of meta-b)', expected a refused SELECT LIVE epoch 5"
[ "$(commands_of meta-c)" = "1|2|3|c|0" ] || fail "journal: meta-c's commands are '$(commands_of meta-c)', expected a refused SELECT LIVE epoch 3"
[ "$(sql "SELECT COUNT(*) FROM commands WHERE sender IS NULL OR sender = ''")" = 0 ] \
    || fail "journal: a command has no sender"
sql "SELECT outcome FROM commands WHERE issued_by = 'meta-a' AND applied = 1" | grep -q '^applied' \
    || fail "journal: the applied command's outcome is '$(sql "SELECT outcome FROM commands WHERE issued_by = 'meta-a'")'"
for who in meta-b meta-c; do
    outcomes=$(sql "SELECT outcome FROM commands WHERE issued_by = '$who'")
    n=$(grep -c . <<<"$outcomes")
    [ "$(grep -ci "refused" <<<"$outcomes")" = "$n" ] || fail "journal: $who's outcome does not say refused: '$outcomes'"
    [ "$(grep -ci "is not above the current 5" <<<"$outcomes")" = "$n" ] \
        || fail "journal: $who's outcome does not say the epoch is stale: '$outcomes'"
done

# Without --epoch, ep-meta takes the current epoch plus one.
rc=$(meta d --as meta-d halt --reason d)
[ "$rc" = 0 ] || fail "halt without --epoch exited $rc: $(cat "$WORK/d.err")"
jq -e '.epoch == 6 and .halted == true and .plane == "PAPER"' "$WORK/d.out" >/dev/null \
    || fail "halt without --epoch printed $(cat "$WORK/d.out"), expected epoch 6"
[ "$(sql "SELECT kind || '|' || epoch || '|' || applied FROM commands WHERE issued_by = 'meta-d'")" = "2|6|1" ] \
    || fail "journal: the halt is not journaled as applied at epoch 6"
pass "epochs 5 (repeat) and 3 (lower) refused and journaled; state stayed PAPER epoch 5; the next command took epoch 6"
