#!/usr/bin/env bash
# No daemon can leave its secrets (the CURVE secret key, the venue's API
# key and secret) in a core file: ep-router, ep-paper and ep-live run with
# no core file size (soft and hard limit 0) and are not dumpable, which
# also keeps /proc/PID/mem and ptrace from other processes of the user.
# What the process says of itself is asked through gdb: prctl
# (PR_GET_DUMPABLE) must return 0.
source "$(dirname "$0")/lib.sh"
command -v gdb > /dev/null || fail "gdb is required (scripts/deps installs it)"

start_fakex
# gdb stops a daemon while it attaches: no worker may be declared dead meanwhile.
write_config "worker_timeout_ms = 10000"
live_section
start_router
start_paper
start_live
for pid in "$ROUTER_PID" "$PAPER_PID" "$LIVE_PID"; do
    name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -d' ' -f1)
    grep -E -q '^Max core file size +0 +0 +bytes' "/proc/$pid/limits" \
        || fail "$name may write a core file: $(grep 'Max core file size' "/proc/$pid/limits")"
    # PR_GET_DUMPABLE is 3
    gdb -nx -q -p "$pid" -batch -ex 'print (int) prctl (3, 0, 0, 0, 0)' > "$WORK/gdb.$pid.log" 2>&1 \
        || fail "gdb could not ask $name: $(tail -n 5 "$WORK/gdb.$pid.log")"
    grep -q '^\$1 = 0$' "$WORK/gdb.$pid.log" \
        || fail "$name is dumpable: $(grep '^\$1' "$WORK/gdb.$pid.log" || tail -n 5 "$WORK/gdb.$pid.log")"
    running "$pid" || fail "$name did not survive being asked"
done
[ "$(plane_field paper_alive)" = true ] && [ "$(plane_field live_alive)" = true ] \
    || fail "a worker was lost while gdb looked at it"
pass "ep-router, ep-paper and ep-live: core file size 0 (soft and hard), not dumpable"
