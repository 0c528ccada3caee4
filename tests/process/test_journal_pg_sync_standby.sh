#!/usr/bin/env bash
# A commit reported durable survives the loss of PostgreSQL's primary: the
# journal on a primary P with a synchronous standby S on the same machine
# (pg_cluster.sh standby), and the router's connection string naming both
# hosts with target_session_attrs=read-write, as the README's two machines.
# 1. S is P's synchronous standby (pg_stat_replication: sync) before and
#    after the router commits 100 intents, sent with ep-send --wait: each
#    terminal report it printed was published after its commit, which P
#    acknowledged once S had it;
# 2. with S stopped, P holds the router's commit (it waits on SyncRep) and
#    the intent gets no report; S back, the commit completes: P acknowledges
#    nothing S lacks, so the test cannot pass on an asynchronous standby;
# 3. P is lost at once (immediate stop: no shutdown, the router's
#    connection cut); intents sent meanwhile are held (the router cannot
#    commit, retries every second); S is promoted, as PostgreSQL's own
#    tools would, and the router follows its connection string to S, where
#    the held intents commit and are realized, and new ones after them;
# 4. on S alone: every report ep-send printed before the loss is there, the
#    same (seq, router_seq, payload as a replay from S gives it), seq is
#    gap-free, every intent has one terminal report, the chain verifies.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"
started=$(date +%s)

# S, P's synchronous standby (the journal's helper functions copied with it)
S_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ep-pg.XXXXXX")
chmod 711 "$S_DIR"
PG_MORE+=("$S_DIR")
S_URL=$(bash "$PG_SCRIPT" standby "$PG_DIR" "$S_DIR") || fail "cannot make a standby of the journal's cluster"
P_URL=$JOURNAL
JOURNAL="postgresql://postgres@127.0.0.1:$(cat "$PG_DIR/port"),127.0.0.1:$(cat "$S_DIR/port")/postgres?target_session_attrs=read-write"

# sync_state: how P sees S (sync, async, potential), or nothing if S is not streaming.
sync_state () {
    "$PG_BIN/psql" -X -q -A -t "$P_URL" \
        -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'"
}
sync_state_is () { [ "$(sync_state)" = "$1" ]; }
# router_waits_on_standby: the router's session on P waits for S to confirm a commit.
router_waits_on_standby () {
    [ "$("$PG_BIN/psql" -X -q -A -t "$P_URL" -c "SELECT COUNT(*) FROM pg_stat_activity
          WHERE application_name = 'ep-router' AND wait_event = 'SyncRep'")" -ge 1 ]
}
# reports_printed FILE: the terminal reports ep-send --wait printed in FILE.
reports_printed () { jq -s 'map(select(.terminal == true)) | length' "$1"; }

write_config "paper_deadline_ms = 30000" "worker_timeout_ms = 3000" "metrics = 127.0.0.1:0"
start_router
start_paper
wait_until 10 health_is 200

# 1. Commits while S is synchronous
[ "$(sync_state)" = sync ] || fail "S is not P's synchronous standby: '$(sync_state)'"
alpha_intents before 1 100 > "$WORK/before.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/before.jsonl" > "$WORK/before.out" \
    2>> "$WORK/send.log" || fail "the 100 intents before the loss did not all finish"
[ "$(reports_printed "$WORK/before.out")" = 100 ] \
    || fail "ep-send printed $(reports_printed "$WORK/before.out") terminal reports, not 100"
[ "$(sync_state)" = sync ] || fail "S was no longer synchronous after the commits: '$(sync_state)'"

# 2. S stopped: P holds the router's commit until S is back
bash "$PG_SCRIPT" stop "$S_DIR" || fail "S did not stop"
alpha_intents held 1 1 > "$WORK/held.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/held.jsonl" > "$WORK/held.out" \
    2>> "$WORK/send.log" &
held_pid=$!
PIDS+=("$held_pid")
wait_until 10 router_waits_on_standby
[ ! -s "$WORK/held.out" ] || fail "a report was published while P waited for S: $(cat "$WORK/held.out")"
bash "$PG_SCRIPT" start "$S_DIR" > /dev/null || fail "S did not start again"
wait "$held_pid" || fail "the intent whose commit waited for S did not finish once S was back"
[ "$(reports_printed "$WORK/held.out")" = 1 ] || fail "no terminal report on the held intent: $(cat "$WORK/held.out")"
wait_until 20 sync_state_is sync
cat "$WORK/before.out" "$WORK/held.out" > "$WORK/printed.jsonl"
n_printed=$(wc -l < "$WORK/printed.jsonl")

# 3. P lost at once; intents sent meanwhile; S promoted
bash "$PG_SCRIPT" stop "$PG_DIR" immediate || fail "P did not stop"
lost=$(date +%s%N)
alpha_intents during 1 50 > "$WORK/during.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 60 --file "$WORK/during.jsonl" > "$WORK/during.out" \
    2>> "$WORK/send.log" &
during_pid=$!
PIDS+=("$during_pid")
wait_until 20 grep -q "journal: cannot commit" "$WORK/router.log"
[ ! -s "$WORK/during.out" ] || fail "a report was published while no primary could commit it: $(head -n 1 "$WORK/during.out")"
bash "$PG_SCRIPT" promote "$S_DIR" || fail "S was not promoted"
wait "$during_pid" || fail "the 50 intents sent while P was lost did not all finish once S was promoted"
[ "$(reports_printed "$WORK/during.out")" = 50 ] \
    || fail "ep-send printed $(reports_printed "$WORK/during.out") terminal reports after the promotion, not 50"
followed_ms=$(( ($(date +%s%N) - lost) / 1000000 ))
wait_until 20 grep -q "journal: committed again" "$WORK/router.log"
grep -q "journal: connected to PostgreSQL again" "$WORK/router.log" \
    || fail "the router did not say it connected again"
running "$ROUTER_PID" || fail "the router stopped"
wait_until 10 health_is 200
alpha_intents after 1 20 > "$WORK/after.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/after.jsonl" > "$WORK/after.out" \
    2>> "$WORK/send.log" || fail "the 20 intents sent once the router was on S did not all finish"

# 4. On S alone (P is gone: nothing can be read from it)
JOURNAL=$S_URL
[ "$(sql "SELECT pg_is_in_recovery ()")" = 0 ] || fail "S is not a primary"
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents")" = 171 ] || fail "S holds $(sql "SELECT COUNT(*) FROM intents") intents, not 171"
# Every report printed is on S with its seq and router_seq, and is the
# report S holds: a replay through the router (from S) gives it byte for byte
jq -r '"\(.seq)|\(.router_seq)"' "$WORK/printed.jsonl" | sort > "$WORK/printed.keys"
sql "SELECT seq, router_seq FROM reports" | sort > "$WORK/journal.keys"
missing=$(comm -23 "$WORK/printed.keys" "$WORK/journal.keys")
[ -z "$missing" ] || fail "reports ep-send printed are not on S (seq|router_seq): $(echo "$missing" | head -n 5)"
replay_reports
missing=$(sort "$WORK/printed.jsonl" | comm -23 - <(sort "$WORK/all.jsonl"))
[ -z "$missing" ] || fail "reports ep-send printed differ from S's: $(echo "$missing" | head -n 3)"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3")" = 171 ] \
    || fail "not every intent was FILLED: $(sql 'SELECT status, COUNT(*) FROM reports WHERE terminal = 1 GROUP BY status')"
"$BIN/ep-replay" --journal "$S_URL" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal on S does not verify: $(cat "$WORK/verify.err")"
pass "$n_printed reports printed while S was synchronous are all on S after P's loss; P held a commit while S was down; the router served on S $((followed_ms / 1000)).$((followed_ms % 1000 / 100)) s after P was lost (in $(( $(date +%s) - started )) s)"
