#!/usr/bin/env bash
# The journal on PostgreSQL, and the database goes away under the router:
# 1. the router's connection is terminated by the server while the router
#    is idle (pg_terminate_backend): the next turn connects again, and
#    every intent sent after it is journaled and answered;
# 2. the server stops (the whole cluster) while the router runs: the
#    router publishes nothing it could not commit, keeps what it read,
#    logs why, and says so on /healthz (503, journal failing); once the
#    server is back it commits the held writes and carries on: every
#    intent gets exactly one terminal report, seq has no gap, the monitor
#    gets each report once, in order, and the outage is journaled as an
#    event.
# The connection string has a password (the test's cluster trusts any):
# it is never logged.
EP_TEST_JOURNAL=postgresql
source "$(dirname "$0")/lib.sh"
SECRET=pw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
JOURNAL=${JOURNAL/postgres@/postgres:$SECRET@}

write_config "paper_deadline_ms = 30000" "worker_timeout_ms = 3000" "metrics = 127.0.0.1:0"
start_router
start_paper
wait_until 10 health_is 200

alpha_intents before 1 50 > "$WORK/before.jsonl"
alpha_intents after-kill 1 50 > "$WORK/after-kill.jsonl"
alpha_intents during 1 200 > "$WORK/during.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/before.jsonl" > /dev/null \
    2>> "$WORK/send.log" || fail "the intents before the outage did not all finish"
[ "$(sql "SELECT COUNT(*) FROM intents")" = 50 ] || fail "expected 50 intents before the outage"

# 1. The server ends the router's connection while it is idle
killed=$(sql "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
              WHERE application_name = 'ep-router'" 2>&1) || true
# (the query runs read-only: pg_terminate_backend is allowed)
[ "$killed" = 1 ] || fail "the router's connection was not found to terminate: $killed"
"$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/after-kill.jsonl" > /dev/null \
    2>> "$WORK/send.log" || fail "the intents after the connection was terminated did not all finish"
grep -q "journal: connected to PostgreSQL again" "$WORK/router.log" \
    || fail "the router did not say it connected again"
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'after-kill-%'")" = 50 ] \
    || fail "not all 50 intents sent after the connection was terminated were journaled"
seq_before=$(sql "SELECT MAX(seq) FROM reports")
n_before=$(sql "SELECT COUNT(*) FROM intents")

# 2. The server stops. A monitor from the next seq on must see nothing
# until the journal commits.
"$BIN/ep-tap" --config "$READY" --cert monitor --from-seq $((seq_before + 1)) --count 200 \
    --timeout 60 > "$WORK/tap.out" 2>> "$WORK/tap.log" &
tap_pid=$!
PIDS+=("$tap_pid")
bash "$PG_SCRIPT" stop "$PG_DIR" || fail "the cluster did not stop"
"$BIN/ep-send" --config "$READY" --file "$WORK/during.jsonl" > /dev/null 2>> "$WORK/send.log" \
    || fail "ep-send could not push the intents during the outage"
wait_until 20 grep -q "journal: cannot commit" "$WORK/router.log"
wait_until 20 grep -q "journal: still cannot commit after 2 retries" "$WORK/router.log"
grep "journal: cannot commit" "$WORK/router.log" | head -n 1 | grep -q "PostgreSQL cannot be reached" \
    || fail "the log does not say why the journal cannot commit: $(grep 'cannot commit' "$WORK/router.log" | head -n 1)"
running "$ROUTER_PID" || fail "the router died when PostgreSQL stopped"
wait_until 10 health_is 503
curl -s "$(router_metrics)/healthz" | jq -e '.journal == "failing"' > /dev/null \
    || fail "/healthz during the outage: $(curl -s "$(router_metrics)/healthz")"
[ ! -s "$WORK/tap.out" ] || fail "reports were published that the journal did not hold: $(head -n 3 "$WORK/tap.out")"

# The server is back (the same port).
bash "$PG_SCRIPT" start "$PG_DIR" > /dev/null || fail "the cluster did not start again"
all_done () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" $((n_before + 200)); }
wait_until 30 all_done
wait_until 30 grep -q "journal: committed again" "$WORK/router.log"
wait_until 10 health_is 200
wait "$tap_pid" || fail "the monitor did not get the 200 reports after the outage"
check_journal_invariants
[ "$(sql "SELECT COUNT(*) FROM intents WHERE intent_id LIKE 'during-%'")" = 200 ] \
    || fail "not all 200 intents sent during the outage were journaled"
[ "$(sql "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 3")" = 300 ] \
    || fail "not every intent was FILLED: $(sql 'SELECT status, COUNT(*) FROM reports WHERE terminal = 1 GROUP BY status')"
[ "$(jq -s 'map(.seq) == [range('$((seq_before + 1))'; '$((seq_before + 201))')]' "$WORK/tap.out")" = true ] \
    || fail "the monitor's reports after the outage are not seq $((seq_before + 1)).. without a gap"
[ "$(sql "SELECT COUNT(*) FROM events WHERE kind = 'journal' AND detail LIKE 'commits failed for %PostgreSQL cannot be reached%'")" = 1 ] \
    || fail "the outage is not journaled as an event"
# The writes held were written again as they were: the chain has a row
# for each commit, numbered without a gap
[ "$(sql "SELECT MAX(id) = COUNT(*) FROM chain")" = 1 ] || fail "the chain's rows have a gap"
# and the chain verifies (ep-replay reads the journal's rows from
# PostgreSQL, as one snapshot)
"$BIN/ep-replay" --journal "$JOURNAL" --verify > /dev/null 2> "$WORK/verify.err" \
    || fail "the journal does not verify after the outage: $(cat "$WORK/verify.err")"
running "$ROUTER_PID" || fail "the router stopped"
grep -q "journal postgresql://postgres:\*\*\*@127.0.0.1" "$WORK/router.log" \
    || fail "the router does not log its journal's connection string, password masked"
hits=$(grep -l -r -F "$SECRET" "$WORK"/*.log "$PG_DIR/server.log" || true)
[ -z "$hits" ] || fail "the journal's password is in $hits"
pass "PostgreSQL terminated the router's connection: it connected again; PostgreSQL stopped: nothing published, $(grep -c 'cannot commit' "$WORK/router.log") log lines; 200 intents realized once it was back"
