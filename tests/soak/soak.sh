#!/usr/bin/env bash
# Chaos soak: the whole stack (router, paper worker, live worker, fake venue)
# under two randomized strategy streams (a quarter of their lines CANCELs and
# REPLACEs of their earlier intents: see stream.awk) and a stream of Safety
# Sells, while a chaos driver kills and restarts the router and both workers
# (SIGKILL or SIGTERM) or freezes them (SIGSTOP), flips the plane (strictly
# increasing epochs), halts and resumes, switches the fake venue's faults
# (among them hold, which keeps live orders resting for cancels to find, and
# fill-wins), reconciles UNKNOWN live intents and pushes hostile bytes. When
# the time is up the chaos stops, the stack is made whole, the streams finish,
# a final sweep fills every resting paper order, and once every journaled
# intent has its terminal report the venue's counts of orders and of cancels
# (/fakex/counts, /fakex/counts?kind=cancel) are saved and the stack is
# stopped with SIGTERM. Then the independent checker (soak_check.sh) reads the
# journal, the live audit and the venue's counts; its JSON is the last line of
# output, and the exit status is 0 iff every invariant holds, among them that
# no order ends twice and that the venue never saw a cancel twice.
#
#   soak.sh BIN_DIR [--minutes N | --seconds N] [--seed S]
#
# With the journal on PostgreSQL (EP_TEST_JOURNAL=postgresql: lib.sh starts
# a cluster of the soak's own), two routers run on it, an active and a
# standby (router/takeover_ms = 1000), every client and worker configured
# with both: a kill of the router is a takeover (the standby must serve
# within 20 s; the killed one starts again as the standby), and the chaos
# adds partitions (the active frozen while the server ends its connection:
# the standby takes over, and the old active, let go, must stop non-zero
# saying it lost the lease); at least one takeover by a third of the time
# and one partition by two thirds, whatever the draw. The checker reads the
# journal from PostgreSQL.
#
# Everything random comes from the seed (printed first): the streams (awk
# srand) and the chaos schedule (bash RANDOM), so `--seed S` repeats a run's
# inputs and actions (not its timing). KEEP=1 keeps the work folder.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

usage () { echo "usage: soak.sh BIN_DIR [--minutes N | --seconds N] [--seed S]" >&2; exit 2; }
[ $# -ge 1 ] || usage
bin_dir=$1; shift
seconds=150
seed=
while [ $# -gt 0 ]; do
    case $1 in
        --minutes) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || usage; seconds=$(( $2 * 60 )); shift 2 ;;
        --seconds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || usage; seconds=$2; shift 2 ;;
        --seed)    [[ "${2:-}" =~ ^[0-9]+$ ]] || usage; seed=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ -n "$seed" ] || seed=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 2147483647 ))
echo "soak: seed $seed"
started=$(date +%s)

set -- "$bin_dir"
source "$HERE/../process/lib.sh"
RANDOM=$seed
export LC_ALL=C
# The soak's own messages go to fd 9, a copy of stderr opened for the chaos,
# which runs with stderr in chaos-stderr.log (where bash's "Killed" notices of
# the daemons it killed land). Daemons are started with fd 9 closed.
say () { { echo "soak: $*" >&9; } 2>/dev/null || echo "soak: $*" >&2; }

# --- bookkeeping ------------------------------------------------------------

TAKEOVERS=0 TAKEOVER_FAILURES=0 TAKEOVER_MS_MAX=0 PARTITIONS=0 PAIR=
[ -z "${PG_DIR:-}" ] || PAIR=1
KILLS=0 KILL9=0 TERMS=0 CRASHES=0 TERM_FAILURES=0 SENDER_FAILURES=0
FLIPS=0 FLIPS_CONFIRMED=0 HALTS=0 FAULTS=0 JUNK=0 FREEZES=0 RECONCILES=0 ACTIONS=0
EPOCH=0 HALTED=0
FEED_PIDS=() SEND_PIDS=()
DONE=
META_LOG=$WORK/meta.log        # EPOCH KIND PLANE RC, one line per command sent
: > "$META_LOG"

# alive PID: lib.sh's running, with /proc/PID/stat read once: a process that
# is being reaped between two reads, or is in state X (dead), is not alive.
alive () {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}
gone () { ! alive "$1"; }

# poll_until SECONDS COMMAND...: wait_until that returns 1 instead of failing.
poll_until () {
    local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# Replaces lib.sh's cleanup, so that the checker's JSON stays the last line.
# A soak that aborts (a bounded wait failed, a daemon would not start) stops
# what still runs, shows the logs, and still ends with the checker's JSON on
# whatever the journal holds, marked aborted. The PostgreSQL cluster of
# the journal, if any (lib.sh's), is stopped last, and its folder kept
# with the soak's when the soak failed.
stop_pg () {
    [ -n "${PG_DIR:-}" ] || return 0
    bash "$PG_SCRIPT" stop "$PG_DIR" > /dev/null 2>&1 \
        || echo "soak: the PostgreSQL cluster in $PG_DIR did not stop" >&2
    [ "$1" -ne 0 ] || [ -n "${KEEP:-}" ] || rm -rf "$PG_DIR"
}
on_exit () {
    local rc=$? pid
    trap - EXIT
    if [ -z "$DONE" ]; then
        for pid in "${FEED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        for pid in "${PIDS[@]}"; do
            alive "$pid" || { wait "$pid" 2>/dev/null || true; continue; }
            kill -TERM "$pid" 2>/dev/null || true
            poll_until 10 gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        done
        echo "--- soak aborted (status $rc); logs in $WORK (kept) ---"
        for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -n 15 "$log"; }; done
        if [ -f "$JOURNAL" ] || [ -n "${PG_DIR:-}" ]; then
            bash "$HERE/soak_check.sh" "$JOURNAL" "$WORK/live-audit.db" /dev/null "$BIN/ep-replay" "$CFG" \
                --seed "$seed" --kills "$KILLS" --meta-log "$META_LOG" --crashes "$CRASHES" \
                --term-failures "$TERM_FAILURES" --sender-failures "$SENDER_FAILURES" \
                --stream-changes "${stream_changes:-0}" --takeovers "$TAKEOVERS" \
                --takeover-failures "$TAKEOVER_FAILURES" 2>/dev/null \
                | tail -n 1 | jq -c '. + {ok: false, aborted: true}' || true
        else
            echo "{\"ok\":false,\"aborted\":true,\"seed\":$seed}"
        fi
        stop_pg 1
        exit 1
    fi
    stop_pg $rc
    [ $rc -ne 0 ] || [ -n "${KEEP:-}" ] || rm -rf "$WORK"
    exit $rc
}
trap on_exit EXIT

# forget_pid PID: out of PIDS once reaped, so that a reused PID is never signalled.
forget_pid () {
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# reap PID NAME WHAT: waits (bounded: 15 s) until PID is gone, as WHAT (a
# signal sent, a lease lost) should make it; if it is not, says so, kills
# it and sets FAILED to 1 (else 0). Then reaps it: its exit status in
# REAPED.
reap () {
    local pid=$1 name=$2 what=$3 end=$(( $(date +%s) + 15 ))
    FAILED=0 REAPED=0
    # (stderr aside while it dies: bash's "Killed" job notice is no news here)
    { while alive "$pid" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done; } 2>/dev/null
    if alive "$pid"; then
        say "$name (pid $pid) still running 15 s after $what: killed"
        FAILED=1
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 10 gone "$pid"
    fi
    wait "$pid" 2>/dev/null || REAPED=$?
    forget_pid "$pid"
}

# stop_daemon PID SIGNAL NAME: signals it, waits (bounded) until it is gone
# and reaps it. After SIGTERM a daemon must exit 0.
stop_daemon () {
    local pid=$1 sig=$2 name=$3
    kill -"$sig" "$pid" 2>/dev/null || true
    reap "$pid" "$name" "SIG$sig"
    TERM_FAILURES=$((TERM_FAILURES + FAILED))
    if [ "$sig" = TERM ] && [ "$REAPED" -ne 0 ]; then
        say "$name (pid $pid) exited $REAPED after SIGTERM"
        TERM_FAILURES=$((TERM_FAILURES + 1))
    fi
}

# Chaos restarts do not wait for a worker to be heard: the router may be
# busy, and the end of the soak waits for both (bounded).
spawn_paper () {
    "$BIN/ep-paper" --config "$READY" >>"$WORK/paper.log" 2>&1 </dev/null 9>&- &
    PAPER_PID=$!; PIDS+=("$PAPER_PID")
}
spawn_live () {
    "$BIN/ep-live" --config "$READY" >>"$WORK/live.log" 2>&1 </dev/null 9>&- &
    LIVE_PID=$!; PIDS+=("$LIVE_PID")
}

# --- two routers (PAIR) ------------------------------------------------------
# ACTIVE and STANDBY are the members (a, b: $WORK/router-a.zpl, router-b.zpl)
# running as each; ROUTER_PID is the active's pid, STANDBY_PID the standby's.

metrics_of () { if [ "$1" = a ]; then echo "$METRICS_A"; else echo "$METRICS_B"; fi; }

spawn_standby () {
    "$BIN/ep-router" --config "$WORK/router-$STANDBY.zpl" --ready-file "$WORK/ready-$STANDBY.zpl" \
        >>"$WORK/router-$STANDBY.log" 2>&1 </dev/null 9>&- &
    STANDBY_PID=$!; PIDS+=("$STANDBY_PID")
}

# takeover SINCE_NS: the active has stopped (or lost its connection): the
# standby must serve within 20 s of SINCE_NS (a takeover failure, and the
# end of the soak, if not). Then the roles swap: OLD_PID is the router that
# was active, and the caller starts a standby (spawn_standby) once it is gone.
takeover () {
    local ms
    if ! poll_until 20 role_is "$(metrics_of "$STANDBY")" active; then
        TAKEOVER_FAILURES=$((TAKEOVER_FAILURES + 1))
        fail "the standby ($STANDBY) did not take over within 20 s"
    fi
    ms=$(( ($(date +%s%N) - $1) / 1000000 ))
    TAKEOVERS=$((TAKEOVERS + 1))
    [ "$ms" -le "$TAKEOVER_MS_MAX" ] || TAKEOVER_MS_MAX=$ms
    chaos_log "takeover by $STANDBY in $ms ms"
    OLD_PID=$ROUTER_PID
    local old=$ACTIVE
    ACTIVE=$STANDBY ROUTER_PID=$STANDBY_PID STANDBY=$old
}

# lease_lost_lines: how often the routers logged that they lost the lease.
lease_lost_lines () { cat "$WORK"/router*.log | grep -c "the lease was lost: another router is active" || true; }

# partition: the active frozen (SIGSTOP) while the server ends the
# connection that holds the lease's lock, so that it cannot know: the
# standby takes over; the old active, let go, must stop by itself, non-zero,
# saying it lost the lease (a takeover failure if not); it starts again as
# the standby.
partition () {
    local ended status lost
    PARTITIONS=$((PARTITIONS + 1))
    lost=$(lease_lost_lines)
    kill -STOP "$ROUTER_PID"
    chaos_log "partition $ACTIVE"
    ended=$(sql "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted")
    if [ "$ended" != 1 ]; then
        say "partition: not one backend held the lease's lock ($ended): the active ($ACTIVE) served without it"
        TAKEOVER_FAILURES=$((TAKEOVER_FAILURES + 1))
        kill -CONT "$ROUTER_PID"
        return
    fi
    takeover "$(date +%s%N)"
    kill -CONT "$OLD_PID"
    reap "$OLD_PID" "partition: the old active" "it lost the lease"
    TAKEOVER_FAILURES=$((TAKEOVER_FAILURES + FAILED))
    status=$REAPED
    if [ "$status" = 0 ] || [ "$(lease_lost_lines)" -le "$lost" ]; then
        say "partition: the old active exited $status and logged $(( $(lease_lost_lines) - lost )) lease losses"
        TAKEOVER_FAILURES=$((TAKEOVER_FAILURES + 1))
    fi
    pause_ms 0 1000
    spawn_standby
}

# check_alive: a daemon that exited although nobody stopped it is a crash:
# counted, logged with its status, restarted (an active router's crash is a
# takeover when there is a standby).
check_alive () {
    local name pid status
    for name in router paper live fakex ${PAIR:+standby}; do
        case $name in
            router) pid=$ROUTER_PID ;; paper) pid=$PAPER_PID ;;
            live) pid=$LIVE_PID ;; fakex) pid=$FAKEX_PID ;; standby) pid=$STANDBY_PID ;;
        esac
        alive "$pid" && continue
        status=0; wait "$pid" 2>/dev/null || status=$?
        forget_pid "$pid"
        CRASHES=$((CRASHES + 1))
        say "$name (pid $pid) exited by itself with status $status at +$(( $(date +%s) - started )) s"
        case $name in
            router) if [ -n "$PAIR" ]; then takeover "$(date +%s%N)"; spawn_standby
                    else restart_router 9>&-; fi ;;
            standby) spawn_standby ;;
            paper) spawn_paper ;; live) spawn_live ;;
            fakex) fail "the fake venue died: cannot go on" ;;
        esac
    done
}

# meta KIND [PLANE]: one plane command with the next epoch, logged with its
# exit status (a command may go unconfirmed when the router dies under it).
meta () {
    local kind=$1 plane=${2:-} rc=0
    EPOCH=$((EPOCH + 1))
    if [ "$kind" = select ]; then
        "$BIN/ep-meta" --config "$READY" --timeout 5 --as "soak:$EPOCH" --epoch "$EPOCH" \
            select "$plane" --reason "soak chaos" >>"$WORK/meta.out" 2>>"$WORK/meta.err" </dev/null || rc=$?
    else
        "$BIN/ep-meta" --config "$READY" --timeout 5 --as "soak:$EPOCH" --epoch "$EPOCH" \
            "$kind" --reason "soak chaos" >>"$WORK/meta.out" 2>>"$WORK/meta.err" </dev/null || rc=$?
    fi
    echo "$EPOCH $kind ${plane:--} $rc" >> "$META_LOG"
    return $rc
}

# rand N: R is a random number in 0..N-1 (bash RANDOM, seeded: main shell only).
rand () { R=$(( RANDOM % $1 )); }
# pause_ms LO HI: sleeps a random time between LO and HI ms.
pause_ms () { rand $(( $2 - $1 + 1 )); local ms=$(( $1 + R )); sleep "$(( ms / 1000 )).$(printf '%03d' $(( ms % 1000 )))"; }

# (hold keeps the venue's resting orders resting, for cancels and replaces to
# find; fill-wins fills each one a cancel or replace reaches just before it)
FAULTS_LIST=(none refuse close-early hang http-500 http-503 code-1007 truncated wrong-id
             http-429 http-418 insufficient duplicate bad-signature hold hold fill-wins)

# chaos_log TEXT: one line of what the chaos did, with the time since start.
chaos_log () { echo "+$(( $(date +%s) - started )) $*" >> "$WORK/chaos.log"; }

# kill_restart NAME SIGNAL: stops a daemon with SIGNAL and starts it again
# (the router on the same ports and journal); counted as a kill.
kill_restart () {
    local name=$1 sig=$2
    case $name in
        paper)  stop_daemon "$PAPER_PID" "$sig" paper; pause_ms 0 1500; spawn_paper ;;
        live)   stop_daemon "$LIVE_PID" "$sig" live; pause_ms 0 1500; spawn_live ;;
        router)
            stop_daemon "$ROUTER_PID" "$sig" router
            if [ -n "$PAIR" ]; then takeover "$(date +%s%N)"; pause_ms 0 1000; spawn_standby
            else pause_ms 0 1000; restart_router 9>&-; fi ;;
        standby) stop_daemon "$STANDBY_PID" "$sig" standby; pause_ms 0 1000; spawn_standby ;;
    esac
    KILLS=$((KILLS + 1))
    if [ "$sig" = KILL ]; then KILL9=$((KILL9 + 1)); else TERMS=$((TERMS + 1)); fi
    chaos_log "SIG$sig $name"
}

# One chaos action, chosen at random.
chaos_action () {
    local sig name pid
    # A halt lasts a chaos interval or two.
    if [ $HALTED = 1 ]; then
        rand 3
        if [ $R != 0 ]; then
            HALTS=$((HALTS + 1)); chaos_log "resume"
            meta resume && HALTED=0 || true
            return
        fi
    fi
    rand 2; [ $R = 0 ] && sig=KILL || sig=TERM
    rand 100
    if [ $R -lt 15 ]; then
        kill_restart paper $sig
    elif [ $R -lt 30 ]; then
        kill_restart live $sig
    elif [ $R -lt 40 ]; then
        if [ -n "$PAIR" ]; then
            rand 4
            case $R in 0) partition ;; 1) kill_restart standby $sig ;; *) kill_restart router $sig ;; esac
        else
            kill_restart router $sig
        fi
    elif [ $R -lt 52 ]; then
        # Freeze a daemon (SIGSTOP), often past the deadlines and the
        # router's worker timeout: a frozen worker's intents are failed
        # (paper) or left UNKNOWN (live) by the router and what it says later
        # is late; a frozen router wakes up to a backlog and a jump of its
        # clock. Then thaw it, kill it, or kill the router under a worker.
        rand 3
        case $R in
            0) name=paper; pid=$PAPER_PID ;;
            1) name=live; pid=$LIVE_PID ;;
            *) name=router; pid=$ROUTER_PID ;;
        esac
        FREEZES=$((FREEZES + 1))
        kill -STOP "$pid"
        chaos_log "SIGSTOP $name"
        pause_ms 500 7000
        rand 4
        if [ $R = 0 ]; then
            kill_restart "$name" KILL
        elif [ $R = 1 ] && [ $name != router ]; then
            kill_restart router KILL; kill -CONT "$pid"; chaos_log "SIGCONT $name"
        else
            kill -CONT "$pid"; chaos_log "SIGCONT $name"
        fi
    elif [ $R -lt 67 ]; then
        rand 2; FLIPS=$((FLIPS + 1))
        if [ $R = 0 ]; then name=paper; else name=live; fi
        chaos_log "select $name"
        if meta select $name; then FLIPS_CONFIRMED=$((FLIPS_CONFIRMED + 1)); fi
    elif [ $R -lt 72 ]; then
        HALTS=$((HALTS + 1))
        if [ $HALTED = 0 ]; then chaos_log "halt"; meta halt && HALTED=1 || true
        else chaos_log "resume"; meta resume && HALTED=0 || true; fi
        # (an unconfirmed halt may still have applied: the next one resumes)
        [ "$(tail -n 1 "$META_LOG" | cut -d' ' -f2,4)" != "halt 1" ] || HALTED=1
    elif [ $R -lt 76 ]; then
        # Reconcile an UNKNOWN live intent: the venue is asked, the order is
        # never sent again (the checker counts the venue's order requests).
        rand 1000000
        local unknown="FROM reports r JOIN intents i USING (router_seq)
                       WHERE r.terminal = 1 AND r.status = 8 AND r.plane = 2"
        local n row
        n=$(sql "SELECT COUNT(*) $unknown")
        if [ "$n" -gt 0 ]; then
            row=$(sql "SELECT i.strategy_id || ' ' || i.intent_id $unknown ORDER BY r.seq LIMIT 1 OFFSET $(( R % n ))")
            RECONCILES=$((RECONCILES + 1))
            chaos_log "reconcile ${row#* }"
            "$BIN/ep-meta" --config "$READY" --timeout 5 reconcile "${row#* }" --strategy "${row%% *}" \
                --reason "soak chaos" >>"$WORK/reconcile.out" 2>>"$WORK/meta.err" </dev/null || true
        fi
    elif [ $R -lt 96 ]; then
        rand 3
        if [ $R = 0 ]; then name=none; else rand ${#FAULTS_LIST[@]}; name=${FAULTS_LIST[$R]}; fi
        fakex_fault "$name"; FAULTS=$((FAULTS + 1))
        chaos_log "fault $name"
    else
        # Hostile bytes on intake: counted by the router, never reported.
        rand 100000; JUNK=$((JUNK + 1))
        chaos_log "junk"
        timeout 30 "$BIN/ep-probe" junk "$READY" 50 $(( R + 1 )) >>"$WORK/probe.log" 2>&1 </dev/null || true
    fi
}

# --- the stack --------------------------------------------------------------

# After a 418 the live plane sends nothing, queries included, until its
# Retry-After has passed: a 5 s ban (the venue's are 2 minutes and more)
# keeps the settling at the end within its bounds.
start_fakex --ban-retry-after 5
settings=("worker_timeout_ms = 3000" "paper_deadline_ms = 4000" "live_deadline_ms = 8000")
live_settings=("timeout_ms = 2000" "connect_timeout_ms = 1000" "poll_ms = 200")
if [ -n "$PAIR" ]; then
    write_router_pair "${settings[@]}" "takeover_ms = 1000"
    router_pair_metrics
    for member in a b; do CFG=$WORK/router-$member.zpl live_section "${live_settings[@]}"; done
    ACTIVE=a STANDBY=b
    start_router "$WORK/router-a.zpl"
    wait_until 10 role_is "$METRICS_A" active
    spawn_standby
    wait_until 20 role_is "$METRICS_B" standby
else
    write_config "${settings[@]}"
    live_section "${live_settings[@]}"
    start_router
fi
# Each worker's plane definition is approved through ep-meta as it first
# claims its plane (start_paper, start_live: approve_plane); the workers the
# chaos restarts run the same configuration, so the same approved definition.
start_paper
start_live
[ -z "$(plane_pending PAPER || true)$(plane_pending LIVE || true)" ] \
    || fail "a plane definition is still awaiting approval before the chaos"

# The streams: one long-running ep-send per stream (no --wait) reading a FIFO
# that a feeder fills in paced chunks. The feeder opens the FIFO itself, so
# this shell never holds it, and no daemon restarted from here inherits it.
feed () {
    local line
    while IFS= read -r line; do
        case $line in
            '#pause '*) sleep "${line#'#pause '}" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$1"
}
stream () {  # stream NAME PREFIX STRATEGY CERT [SAFETY]
    local name=$1
    awk -v seed=$(( seed * 7 + ${#SEND_PIDS[@]} + 1 )) -v prefix="$2" -v strategy="$3" \
        -v seconds="$seconds" -v safety="${5:-0}" -f "$HERE/stream.awk" > "$WORK/$name.jsonl"
    mkfifo "$WORK/$name.fifo"
    "$BIN/ep-send" --config "$READY" --cert "$4" --timeout 60 --file "$WORK/$name.fifo" \
        > "$WORK/send-$name.out" 2> "$WORK/send-$name.log" </dev/null &
    SEND_PIDS+=($!); PIDS+=($!)
    feed "$WORK/$name.jsonl" > "$WORK/$name.fifo" &
    FEED_PIDS+=($!)
}
stream alpha a alpha strategy
stream beta b beta strategy
stream safety s alpha safety 1
# (the CANCELs and REPLACEs among them: the checker fails if none took effect)
stream_changes=$(cat "$WORK"/{alpha,beta}.jsonl | grep -c '"action":"' || true)
echo "soak: stack up in $WORK; streams of $(cat "$WORK"/{alpha,beta,safety}.jsonl | grep -vc '^#') intents ($stream_changes cancels and replaces) over ${seconds} s"

# --- chaos ------------------------------------------------------------------

exec 9>&2
chaos_start=$(date +%s)
chaos_end=$(( chaos_start + seconds ))
while [ "$(date +%s)" -lt "$chaos_end" ]; do
    pause_ms 300 2000
    # With two routers, whatever the draw: a takeover by a third of the
    # time, and a partition by two thirds.
    elapsed=$(( $(date +%s) - chaos_start ))
    if [ -n "$PAIR" ] && [ "$TAKEOVERS" = 0 ] && [ $(( elapsed * 3 )) -ge "$seconds" ]; then
        { check_alive; kill_restart router KILL; } 2>>"$WORK/chaos-stderr.log"
    elif [ -n "$PAIR" ] && [ "$PARTITIONS" = 0 ] && [ $(( elapsed * 3 )) -ge $(( seconds * 2 )) ]; then
        { check_alive; partition; } 2>>"$WORK/chaos-stderr.log"
    else
        { check_alive; chaos_action; } 2>>"$WORK/chaos-stderr.log"
    fi
    ACTIONS=$((ACTIONS + 1))
done
echo "soak: chaos over after $ACTIONS actions: $KILLS kills ($KILL9 SIGKILL, $TERMS SIGTERM)${PAIR:+, $TAKEOVERS takeovers (slowest $TAKEOVER_MS_MAX ms), $PARTITIONS partitions}, $FREEZES freezes, $FLIPS plane flips ($FLIPS_CONFIRMED confirmed), $HALTS halt/resume, $FAULTS venue faults, $RECONCILES reconciles, $JUNK junk bursts"

# --- settle -----------------------------------------------------------------

fakex_fault none
check_alive 2>>"$WORK/chaos-stderr.log"
wait_until 30 paper_alive_is true
wait_until 30 live_alive_is true

# The streams finish (the feeders may lag behind the clock when the router
# was down), then each ep-send has sent what it queued.
feeders_done () { local p; for p in "${FEED_PIDS[@]}" "${SEND_PIDS[@]}"; do alive "$p" && return 1; done; return 0; }
wait_until 180 feeders_done
for p in "${FEED_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
for p in "${SEND_PIDS[@]}"; do
    status=0; wait "$p" 2>/dev/null || status=$?
    forget_pid "$p"
    # 127: bash no longer remembers the status (a long run starts thousands
    # of processes and it keeps a bounded list): ep-send says on stderr
    # when it fails, so its logs decide.
    if [ $status = 127 ] && ! grep -q "ep-send:" "$WORK"/send-*.log; then
        echo "soak: an ep-send's exit status was no longer known; its log shows no error" >&2
        status=0
    fi
    if [ $status -ne 0 ]; then
        SENDER_FAILURES=$((SENDER_FAILURES + 1))
        echo "soak: an ep-send exited $status: $(tail -n 3 "$WORK"/send-*.log | tr '\n' ' ')" >&2
    fi
done
check_alive 2>>"$WORK/chaos-stderr.log"

# Resting paper orders fill only when a later paper intent crosses them: on
# the paper plane, not halted, one sweep per side and symbol.
meta resume || fail "the final resume was not confirmed"
meta select paper || fail "the final select paper was not confirmed"
wait_until 30 paper_alive_is true
for sym in BTCUSDT ETHUSDT; do
    printf '{"intent_id":"sweep-%s-lo","strategy_id":"alpha","symbol":"%s","side":"BUY","type":"MARKET","qty":"1","ref_price":"1"}\n' "$sym" "$sym"
    printf '{"intent_id":"sweep-%s-hi","strategy_id":"alpha","symbol":"%s","side":"SELL","type":"MARKET","qty":"1","ref_price":"1000000"}\n' "$sym" "$sym"
done > "$WORK/sweep.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/sweep.jsonl" \
    > "$WORK/sweep.out" 2>> "$WORK/sweep.log" </dev/null \
    || { SENDER_FAILURES=$((SENDER_FAILURES + 1)); echo "soak: the sweep's ep-send --wait failed: $(tail -n 1 "$WORK/sweep.log")" >&2; }

# Every journaled intent gets its terminal report (bounded: the checker
# reports what is missing); then what still rests settles (zombies filled by
# the sweep, live orders followed by the worker).
all_terminal () {
    [ "$(sql "SELECT COUNT(*) FROM intents i WHERE NOT EXISTS (SELECT 1 FROM reports r
              WHERE r.router_seq = i.router_seq AND r.terminal = 1)")" = 0 ]
}
in_flight_zero () { [ "$(stats_field in_flight_paper)" = 0 ] && [ "$(stats_field in_flight_live)" = 0 ]; }
poll_until 60 all_terminal || echo "soak: not every journaled intent has a terminal report after 60 s" >&2
poll_until 30 in_flight_zero || echo "soak: intents still in flight at the end: paper $(stats_field in_flight_paper), live $(stats_field in_flight_live)" >&2
curl -s -f "$FAKEX_CONTROL/fakex/counts" > "$WORK/fakex-counts.json" || fail "cannot read /fakex/counts"
curl -s -f "$FAKEX_CONTROL/fakex/counts?kind=cancel" > "$WORK/fakex-cancels.json" \
    || fail "cannot read /fakex/counts?kind=cancel"
# What a monitor gets: every report ever journaled, through the router.
tap_count=$(sql "SELECT COUNT(*) FROM reports")
"$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$tap_count" --timeout 60 \
    > "$WORK/tap.jsonl" 2> "$WORK/tap.log" </dev/null \
    || say "ep-tap --from-seq 1 did not print the $tap_count journaled reports: $(tail -n 1 "$WORK/tap.log")"

# The stack stops as an operator stops it; every daemon must exit 0 (the
# standby first, lest it take over).
[ -z "$PAIR" ] || stop_daemon "$STANDBY_PID" TERM standby
stop_daemon "$PAPER_PID" TERM paper
stop_daemon "$LIVE_PID" TERM live
stop_daemon "$ROUTER_PID" TERM router
stop_daemon "$FAKEX_PID" TERM fakex
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK"/*.log 2>/dev/null; then
    echo "soak: sanitizer findings in the logs above" >&2
    CRASHES=$((CRASHES + 1))
fi
echo "soak: stack stopped after $(( $(date +%s) - started )) s"

# --- the verdict ------------------------------------------------------------

rc=0
bash "$HERE/soak_check.sh" "$JOURNAL" "$WORK/live-audit.db" "$WORK/fakex-counts.json" \
    "$BIN/ep-replay" "$CFG" --seed "$seed" --kills "$KILLS" --meta-log "$META_LOG" \
    --crashes "$CRASHES" --term-failures "$TERM_FAILURES" --sender-failures "$SENDER_FAILURES" \
    --tap "$WORK/tap.jsonl" --tap-count "$tap_count" --venue-cancels "$WORK/fakex-cancels.json" \
    --stream-changes "$stream_changes" --takeovers "$TAKEOVERS" --takeover-failures "$TAKEOVER_FAILURES" \
    > "$WORK/verdict.json" 2> "$WORK/check.log" || rc=$?
if [ $rc -ne 0 ]; then
    cat "$WORK/check.log" >&2
    # What failed comes first: a long log tail can be cut by whoever reads it.
    jq -r '[to_entries[] | select(.key != "seed" and .key != "kills"
                                  and ((.value | type) == "number" and .value != 0
                                       and (.key | test("^(missing_terminal|duplicate_reports|seq_gaps|live_resent|plane_changes_unjournaled|double_dispatch|tap_mismatch|duplicate_fills|fill_sum_mismatch|change_violations|crashes|term_failures|sender_failures|takeover_failures)$"))
                                       or (.key == "replay_identical" and .value != true)))
            | "\(.key)=\(.value)"] | "soak: failed on: " + join(" ")' \
        "$WORK/verdict.json" >&2 || true
    tail -n 1 "$WORK/verdict.json" >&2
    echo "--- logs in $WORK (kept) ---"
    for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -n 15 "$log"; }; done
    KEEP=1
fi
DONE=1
tail -n 1 "$WORK/verdict.json"
exit $rc
