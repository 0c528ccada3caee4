# Process-test helpers: real daemons on ephemeral loopback ports, in a
# private folder, all stopped when the test exits. Source it with the bin
# directory as $1.
set -euo pipefail

BIN=${1:?usage: test_x.sh BIN_DIR}
BIN=$(cd "$BIN" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ep-test.XXXXXX")
CFG=$WORK/config.zpl           # what the router starts from
READY=$WORK/ready.zpl          # the same with the ports it bound: what clients use
JOURNAL=$WORK/journal.db
PIDS=()
PG_DIR=
PG_MORE=()    # further clusters the test started (pg_cluster.sh standby): stopped as PG_DIR
ROUTER_PID=
PAPER_PID=
# WRAP: a command the daemons are started under (valgrind); STARTUP: how
# long a daemon may take to come up, in seconds.
WRAP=()
STARTUP=${STARTUP:-10}

# running PID: the process exists and is not a zombie waiting to be reaped.
running () {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

cleanup () {
    local rc=$?
    # A daemon still running is stopped with SIGTERM and must exit 0: a
    # sanitizer finding or a failed shutdown makes the test fail.
    for pid in "${PIDS[@]}"; do
        if ! running "$pid"; then
            wait "$pid" 2>/dev/null || true     # a test killed it on purpose
            continue
        fi
        kill -CONT "$pid" 2>/dev/null || true   # a test may have frozen it
        kill -TERM "$pid" 2>/dev/null || continue
        local status=0
        for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
        if running "$pid"; then
            echo "FAIL: process $pid did not stop within 10 s of SIGTERM" >&2
            kill -KILL "$pid" 2>/dev/null || true
            [ $rc -ne 0 ] || rc=1
        fi
        wait "$pid" 2>/dev/null || status=$?
        if [ $status -ne 0 ]; then
            echo "FAIL: process $pid exited $status after SIGTERM" >&2
            [ $rc -ne 0 ] || rc=1
        fi
    done
    # The journal's PostgreSQL cluster (EP_TEST_JOURNAL=postgresql) and the
    # test's others, once the router is gone
    local pg
    for pg in ${PG_DIR:+"$PG_DIR"} ${PG_MORE[@]+"${PG_MORE[@]}"}; do
        bash "$PG_SCRIPT" stop "$pg" \
            || { echo "FAIL: the PostgreSQL cluster in $pg did not stop" >&2; [ $rc -ne 0 ] || rc=1; }
    done
    if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK"/*.log 2>/dev/null; then
        echo "FAIL: sanitizer findings in the logs above" >&2
        [ $rc -ne 0 ] || rc=1
    fi
    if [ $rc -ne 0 ]; then
        echo "--- logs in $WORK ---"
        for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -n 30 "$log"; }; done
        for pg in ${PG_DIR:+"$PG_DIR"} ${PG_MORE[@]+"${PG_MORE[@]}"}; do
            echo "== $pg/server.log"; tail -n 30 "$pg/server.log" 2>/dev/null || true
        done
    elif [ -z "${KEEP:-}" ]; then
        rm -rf "$WORK"
        for pg in ${PG_DIR:+"$PG_DIR"} ${PG_MORE[@]+"${PG_MORE[@]}"}; do rm -rf "$pg"; done
    fi
    exit $rc
}
trap cleanup EXIT

fail () { echo "FAIL: $*" >&2; exit 1; }
pass () { echo "PASS: $*"; }

# EP_TEST_JOURNAL=postgresql: the router's journal in a throwaway
# PostgreSQL cluster of this test's own (pg_cluster.sh), stopped when the
# test ends; $JOURNAL is its connection string, and `sql` speaks to it.
PG_SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg_cluster.sh
if [ "${EP_TEST_JOURNAL:-sqlite}" = postgresql ]; then
    # Not under $WORK (private to this user): the cluster may run as nobody
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ep-pg.XXXXXX")
    chmod 711 "$PG_DIR"
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    JOURNAL=$(bash "$PG_SCRIPT" start "$PG_DIR") || fail "cannot start a PostgreSQL cluster"
    # SQLite's functions the tests' queries use, for `sql`
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$JOURNAL" > /dev/null <<'EOF' \
        || fail "cannot add SQLite's functions to the cluster"
CREATE FUNCTION ifnull (anycompatible, anycompatible) RETURNS anycompatible
    LANGUAGE sql IMMUTABLE AS 'SELECT COALESCE ($1, $2)';
CREATE FUNCTION hex (bytea) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT upper (encode ($1, ''hex''))';
CREATE FUNCTION ep_concat (text, anyelement, text) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2::text ELSE $1 || $3 || $2::text END';
CREATE FUNCTION ep_concat (text, anyelement) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT ep_concat ($1, $2, '','')';
CREATE AGGREGATE group_concat (anyelement, text) (SFUNC = ep_concat, STYPE = text);
CREATE AGGREGATE group_concat (anyelement) (SFUNC = ep_concat, STYPE = text);
EOF
elif [ "${EP_TEST_JOURNAL:-sqlite}" != sqlite ]; then
    fail "EP_TEST_JOURNAL must be sqlite or postgresql, not $EP_TEST_JOURNAL"
fi


# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms, fails after SECONDS.
wait_until () {
    local limit=$1; shift
    local end=$(( $(date +%s%N) + limit * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$end" ] || fail "timed out after ${limit}s waiting for: $*"
        sleep 0.05
    done
}

# write_config [EXTRA ZPL LINES for the router section]: random free ports
# (CZMQ's `:!`) from 10000 to 19999: below Linux's range for outgoing
# connections (32768 up), so that a restarted router finds its ports free
# (another test's outgoing connection could take a port of the dynamic
# range, 49152 up, meanwhile), and below the range test_run_ports_taken
# gives scripts/run (20000 to 32000).
# Not `:*`, which takes the lowest free ones: a test running at the same
# time would get the same ports as soon as they are free, and a worker that
# outlives its router (kill and restart tests) would reconnect to the other
# test's router.
#
# Security as in production: CURVE on every socket, with a fresh set of
# certificates under $CERTS (ep-keygen --set): router, paper, live (workers),
# strategy (speaking for $TEST_STRATEGIES), safety (the same), meta, monitor.
CERTS=$WORK/certs
TEST_STRATEGIES=${TEST_STRATEGIES:-alpha beta demo det hr kp kr live mx probe rp s sel sw}
write_config () {
    if [ ! -d "$CERTS" ]; then
        local args=()
        for s in $TEST_STRATEGIES; do args+=(--strategy "$s"); done
        "$BIN/ep-keygen" --set --certs "$CERTS" "${args[@]}" > "$WORK/keygen.log" 2>&1 \
            || fail "ep-keygen --set: $(cat "$WORK/keygen.log")"
    fi
    {
        echo "router"
        for key in intake outcomes control dispatch results query; do
            echo "    $key = tcp://127.0.0.1:![10000-19999]"
        done
        echo "    journal = $JOURNAL"
        for line in "$@"; do echo "    $line"; done
        echo "security"
        echo "    certs = $CERTS"
    } > "$CFG"
}

start_router () {
    local config=${1:-$CFG}
    rm -f "$READY.new"
    ${WRAP[@]+"${WRAP[@]}"} "$BIN/ep-router" --config "$config" --ready-file "$READY.new" \
        >>"$WORK/router.log" 2>&1 &
    ROUTER_PID=$!
    PIDS+=("$ROUTER_PID")
    wait_until "$STARTUP" test -f "$READY.new"
    mv "$READY.new" "$READY"
    describe_planes
}

# describe_planes: the ready file (what every worker and client starts from)
# describes each plane ("description = test PLANE plane" in its section), as
# an operator must before a plane definition can be approved: the line goes
# right after the section's first line ("paper", or "paper = """ as the
# router writes it); a section missing is added at the end; a description
# already there is kept, an empty one replaced. Never written into $CFG:
# tests append their own sections to it, and a section given twice is
# ignored after the first.
describe_planes () {
    local plane
    for plane in paper live; do
        awk -v plane="$plane" '
            function header(line) { return line == plane || line ~ ("^" plane "[ \t]*=") }
            { lines[NR] = $0 }
            !first && header($0) { first = NR; next }
            first && !ended {
                if ($0 !~ /^[ \t]/ && $0 != "") ended = 1
                else if ($0 ~ /^[ \t]+description[ \t]*=/) {
                    value = $0
                    sub(/^[ \t]+description[ \t]*=[ \t]*/, "", value)
                    sub(/[ \t]*(#.*)?$/, "", value)
                    if (value == "" || value == "\"\"" || value == "\047\047") empty[NR] = 1
                    else described = 1
                }
            }
            END {
                for (i = 1; i <= NR; i++) {
                    if (i in empty) continue
                    print lines[i]
                    if (i == first && !described) print "    description = test " plane " plane"
                }
                if (!first) { print plane; print "    description = test " plane " plane" }
            }' "$READY" > "$READY.described" || fail "cannot describe the planes in $READY"
        mv "$READY.described" "$READY"
    done
}

# approve_plane PLANE (PAPER or LIVE), after starting PLANE's worker: waits
# until the router has seen a definition of PLANE that is neither approved
# nor revoked (the worker claimed the plane with it) and approves each such
# definition with ep-meta, as the meta key; fails the test if the router
# refuses. A worker whose definition is already approved (one started again
# with the same configuration) makes the plane alive instead, and nothing is
# approved. (A second worker started while the plane is alive, on another
# configuration, needs approve_plane called again once it claimed.)
approve_plane () {
    local plane=$1 id ids
    wait_until "$STARTUP" plane_pending_or_alive "$plane"
    ids=$(plane_pending "$plane") || return 0
    for id in $ids; do
        "$BIN/ep-meta" --config "$READY" --timeout 10 approve "$id" --reason "approved by the test" \
            >> "$WORK/approve.out" 2> "$WORK/approve.err" \
            || fail "approving the $plane definition $id: $(cat "$WORK/approve.err")"
    done
}

# plane_pending PLANE: the ids of PLANE's definitions awaiting approval, one
# a line; false if none (for wait_until).
plane_pending () {
    local ids
    ids=$("$BIN/ep-meta" --config "$READY" --timeout 5 planes --pending --plane "$1" \
              2>> "$WORK/planes.err" | jq -r .id) \
        || return 1
    [ -n "$ids" ] && echo "$ids"
}

# plane_pending_or_alive PLANE: a definition of PLANE awaits approval, or
# PLANE is alive.
plane_pending_or_alive () {
    plane_pending "$1" > /dev/null \
        || [ "$(plane_field "$(echo "$1" | tr '[:upper:]' '[:lower:]')_alive")" = true ]
}

# The ready file names the ports the router bound; a restarted router must
# bind the same ones, so it starts from the ready file (start_router then
# describes the planes in the new ready file, as it does at every start).
restart_router () {
    cp "$READY" "$WORK/restart.zpl"
    start_router "$WORK/restart.zpl"
}

plane_field () { "$BIN/ep-meta" --config "$READY" --timeout 5 status | jq -r ".$1"; }

start_paper () {
    ${WRAP[@]+"${WRAP[@]}"} "$BIN/ep-paper" --config "$READY" >>"$WORK/paper.log" 2>&1 &
    PAPER_PID=$!
    PIDS+=("$PAPER_PID")
    approve_plane PAPER
    wait_until "$STARTUP" paper_alive_is true
}

paper_alive_is () { [ "$(plane_field paper_alive)" = "$1" ]; }

# sql QUERY: one query against the journal, read only (SQLite, or psql on
# PostgreSQL, where the test's cluster has SQLite's IFNULL, hex and
# group_concat (pg_compat), and a comparison's boolean prints as SQLite's 1
# or 0 (a field that is t or f); rows print the same, "a|b").
sql () {
    if [ -n "${PG_DIR:-}" ]; then
        "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$JOURNAL" \
            -c "SET default_transaction_read_only = on" -c "$1" \
            | awk 'BEGIN { FS = OFS = "|" }
                   { for (i = 1; i <= NF; i++) if ($i == "t") $i = 1; else if ($i == "f") $i = 0
                     print }'
    else
        sqlite3 -readonly -batch -noheader "$JOURNAL" "$1"
    fi
}

# sql_at_least QUERY N: the query's number is N or more (for wait_until,
# which runs its command anew each time).
sql_at_least () { [ "$(sql "$1")" -ge "$2" ]; }

# Checks the journal's report stream: seq gap-free from 1, one terminal
# report per dispatched or rejected intent, nothing after a terminal one
# but reports marked late. One statement, so one snapshot: a router still
# running may commit between two queries (a late answer from a plane).
check_journal_invariants () {
    local row n_intents n_reports max_seq no_terminal unmarked
    row=$(sql "SELECT (SELECT COUNT(*) FROM intents),
                      (SELECT COUNT(*) FROM reports),
                      (SELECT IFNULL(MAX(seq),0) FROM reports),
                      (SELECT COUNT(*) FROM intents i WHERE (SELECT COUNT(*) FROM reports r
                           WHERE r.router_seq = i.router_seq AND r.terminal = 1) <> 1),
                      (SELECT COUNT(*) FROM reports r JOIN reports t ON t.router_seq = r.router_seq
                           AND t.terminal = 1 AND r.seq > t.seq WHERE r.late = 0)")
    IFS='|' read -r n_intents n_reports max_seq no_terminal unmarked <<< "$row"
    [ "$n_reports" = "$max_seq" ] || fail "seq has gaps: $n_reports reports, max seq $max_seq"
    [ "$no_terminal" = 0 ] || fail "$no_terminal of $n_intents intents do not have exactly one terminal report"
    [ "$unmarked" = 0 ] || fail "$unmarked reports follow their intent's terminal report without being marked late"
}

# stats_field FIELD: FIELD of the router's next `stats` message (at least one a second).
stats_field () { "$BIN/ep-probe" stats "$READY" | jq -r ".$1"; }

# stats_at_least FIELD N: for wait_until.
stats_at_least () { [ "$(stats_field "$1")" -ge "$2" ]; }

# --- the live plane against the fake venue ---------------------------------

# start_fakex [EP-FAKEX OPTIONS]: the fake venue on a free port with a control
# port, and keys made for this test. Sets FAKEX_URL (orders), FAKEX_CONTROL
# (/fakex/*), API_KEY, API_SECRET, FAKEX_PID.
start_fakex () {
    API_KEY=key$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    API_SECRET=secret$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    "$BIN/ep-fakex" --port 0 --control-port 0 --price "${FAKEX_PRICE:-250.25}" \
        --api-key "$API_KEY" --api-secret "$API_SECRET" "$@" \
        > "$WORK/fakex.out" 2>> "$WORK/fakex.log" &
    FAKEX_PID=$!
    PIDS+=("$FAKEX_PID")
    wait_until 10 grep -q "listening on" "$WORK/fakex.out"
    FAKEX_URL=http://127.0.0.1:$(sed -n 's/^ep-fakex listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/fakex.out")
    FAKEX_CONTROL=http://127.0.0.1:$(sed -n 's/^ep-fakex control on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/fakex.out")
    printf 'api_key = %s\napi_secret = %s\n' "$API_KEY" "$API_SECRET" > "$WORK/venue.keys"
    chmod 600 "$WORK/venue.keys"
}

# start_fakex_stream [EP-FAKEX OPTIONS]: start_fakex with an Ed25519 API key
# (a pair made for this run, never committed) and the fake venue's WebSocket
# API; the keys file holds the PEM private key (no HMAC secret). The price
# stays at $FAKEX_PRICE (a path of one price), so status queries fill
# nothing: only POST /fakex/trade does. Sets FAKEX_WS (the stream's URL).
start_fakex_stream () {
    openssl genpkey -algorithm ed25519 -out "$WORK/ed25519.pem" 2>/dev/null \
        || fail "openssl genpkey failed"
    chmod 600 "$WORK/ed25519.pem"
    openssl pkey -in "$WORK/ed25519.pem" -pubout -out "$WORK/ed25519.pub" \
        || fail "openssl pkey -pubout failed"
    start_fakex --ed25519-public-key "$WORK/ed25519.pub" --ws-port 0 \
        --price-path "${FAKEX_PRICE:-250.25}" --path-step-ms 3600000 "$@"
    FAKEX_WS=ws://127.0.0.1:$(sed -n 's/^ep-fakex ws on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/fakex.out")/ws-api/v3
    { printf 'api_key = %s\n' "$API_KEY"; cat "$WORK/ed25519.pem"; } > "$WORK/venue.keys"
    chmod 600 "$WORK/venue.keys"
}

# start_stream_stack [LIVE LINES...]: after start_fakex_stream, the stack
# on the live plane with the stream at $FAKEX_WS and LIVE LINES; returns
# once the stream is up and the live plane selected.
start_stream_stack () {
    write_config
    live_section "stream_url = $FAKEX_WS" "$@"
    start_router
    start_live
    wait_until 10 stream_events_at_least stream-up 1
    "$BIN/ep-meta" --config "$READY" select live --reason "stream test" > /dev/null
}

# plane_reports: how many reports the planes gave (the router's own aside).
plane_reports () { sql "SELECT COUNT(*) FROM reports WHERE origin = 1"; }
plane_reports_at_least () { [ "$(plane_reports)" -ge "$1" ]; }

# replay_reports: every report journaled, through ep-tap, in $WORK/all.jsonl.
replay_reports () {
    local n_reports
    n_reports=$(sql "SELECT COUNT(*) FROM reports")
    "$BIN/ep-tap" --config "$READY" --from-seq 1 --count "$n_reports" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the reports"
}

# stream_events KIND: how many events of KIND ("stream-up", ...) the router
# journaled.
stream_events () { sql "SELECT COUNT(*) FROM events WHERE kind = '$1'"; }
stream_events_at_least () { [ "$(stream_events "$1")" -ge "$2" ]; }

# fakex_trade CLIENT_ORDER_ID QTY: one trade on a resting order at the fake
# venue, as if the market had crossed it; prints the trade as JSON.
fakex_trade () {
    curl -s -f -X POST "$FAKEX_CONTROL/fakex/trade?origClientOrderId=$1&quantity=$2" \
        || fail "the fake venue made no trade of $2 on $1"
}

# fakex_ws_mode MODE: the fake venue's stream: normal, drop, down or stall.
fakex_ws_mode () {
    curl -s -f -X POST "$FAKEX_CONTROL/fakex/ws?mode=$1" > /dev/null || fail "cannot set ws mode $1"
}

# fakex_requests WHAT: how many requests "METHOD PATH" the venue received
# (e.g. "GET /api/v3/order": status queries).
fakex_requests () {
    curl -s "$FAKEX_CONTROL/fakex/requests" | jq --arg what "$1" '[.requests[] | select(.[1] == $what)] | length'
}

# live_section [EXTRA LINES]: the live plane's settings for $CFG, pointing at
# the fake venue (call after write_config and start_fakex).
live_section () {
    {
        echo "live"
        echo "    base_url = $FAKEX_URL"
        echo "    keys = $WORK/venue.keys"
        echo "    audit = $WORK/live-audit.db"
        for line in "$@"; do echo "    $line"; done
    } >> "$CFG"
}

# launch_live: ep-live started, its definition not approved (start_live
# approves it and waits for the plane). Sets LIVE_PID.
launch_live () {
    ${WRAP[@]+"${WRAP[@]}"} "$BIN/ep-live" --config "$READY" >> "$WORK/live.log" 2>&1 &
    LIVE_PID=$!
    PIDS+=("$LIVE_PID")
}

start_live () {
    launch_live
    approve_plane LIVE
    wait_until "$STARTUP" live_alive_is true
}

live_alive_is () { [ "$(plane_field live_alive)" = "$1" ]; }

# live_resting_order INTENT_ID POLL_MS: the stack on the live plane, and a
# LIMIT BUY of 2 that rests at the fake venue (which fills a resting order
# one unit per status query); returns once the router journaled ACCEPTED.
live_resting_order () {
    start_fakex
    write_config "worker_timeout_ms = 3000"
    live_section "poll_ms = $2"
    start_router
    start_live
    "$BIN/ep-meta" --config "$READY" select live --reason "resting order test" > /dev/null
    echo '{"intent_id":"'"$1"'","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"2","limit_price":"200.5","ref_price":"250"}' \
        | "$BIN/ep-send" --config "$READY" > /dev/null
    accepted () { sql_at_least "SELECT COUNT(*) FROM reports WHERE status = 1 AND origin = 1" 1; }
    wait_until 10 accepted
}

# check_filled_once: that order's reports, through ep-tap (kept in
# $WORK/all.jsonl): one terminal report, FILLED 2, fills that add up to 2
# with no id twice, and one order request at the venue.
check_filled_once () {
    replay_reports
    [ "$(jq -s 'map(select(.terminal)) | length' "$WORK/all.jsonl")" = 1 ] || fail "not exactly one terminal report"
    [ "$(jq -r 'select(.terminal) | "\(.status) \(.filled_qty)"' "$WORK/all.jsonl")" = "FILLED 2" ] \
        || fail "terminal: $(jq -c 'select(.terminal)' "$WORK/all.jsonl")"
    [ "$(jq -s '[.[].fills[].qty | tonumber] | add' "$WORK/all.jsonl")" = 2 ] \
        || fail "the fills do not add up to 2: $(jq -c -s '[.[].fills[]]' "$WORK/all.jsonl")"
    [ "$(jq -s '[.[].fills[].fill_id] | length == (unique | length)' "$WORK/all.jsonl")" = true ] \
        || fail "a fill id repeats"
    id=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1")
    [ "$(fakex_count "$id")" = 1 ] || fail "the venue received $(fakex_count "$id") order requests"
}

# fakex_count CLIENT_ORDER_ID: order requests the fake venue received for it.
fakex_count () {
    curl -s "$FAKEX_CONTROL/fakex/counts" | jq -r --arg id "$1" '.[$id] // 0'
}

fakex_count_is () { [ "$(fakex_count "$1")" = "$2" ]; }

fakex_fault () {
    curl -s -f -X POST "$FAKEX_CONTROL/fakex/fault?mode=$1" > /dev/null || fail "cannot set fault $1"
}

# audit QUERY: one query against the live audit, read only.
audit () { sqlite3 -readonly -batch -noheader "$WORK/live-audit.db" "$1"; }

# audit_has QUERY: the query returns at least one row.
audit_has () { [ -n "$(audit "$1" 2>/dev/null)" ]; }

# json_escaped TEXT: TEXT with every character as a JSON \uXXXX escape, as
# the fake venue's echo-secret fault sends it.
json_escaped () {
    local text=$1 out="" i
    for ((i = 0; i < ${#text}; i++)); do out+=$(printf '\\u%04x' "'${text:i:1}"); done
    printf '%s' "$out"
}

# assert_no_secrets: neither venue key nor secret (nor an Ed25519 private
# key), as sent or JSON-escaped,
# in any file of the test (journal, audit with their WAL files, logs,
# outputs), bar the keys file and the fake venue's own output (it is the
# venue: it was sent the key).
assert_no_secrets () {
    local hits private=()
    # An Ed25519 private key's base64 (start_fakex_stream), wherever it is
    [ ! -f "$WORK/ed25519.pem" ] || private=(-e "$(sed -n 2p "$WORK/ed25519.pem")")
    hits=$(grep -l -a -r -F -e "$API_SECRET" -e "$API_KEY" \
               -e "$(json_escaped "$API_SECRET")" -e "$(json_escaped "$API_KEY")" \
               ${private[@]+"${private[@]}"} "$WORK" \
        | grep -v -x -e "$WORK/venue.keys" -e "$WORK/fakex.log" -e "$WORK/fakex.out" \
                     -e "$WORK/ed25519.pem" || true)
    [ -z "$hits" ] || fail "venue key or secret found in: $hits"
}

# use_python: Debian's python3 with python3-zmq, python3-protobuf and the
# module generated from the schema ($PY, $PYTHONPATH), for tests that speak
# the wire themselves as an attacker would.
use_python () {
    local src
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    export PYTHONPATH=$(dirname "$BIN")/python:$src/examples/python
    [ -f "$(dirname "$BIN")/python/execplane_pb2.py" ] || fail "no execplane_pb2.py: protoc was not found at build time"
    PY=/usr/bin/python3
    [ -x "$PY" ] || PY=python3
    "$PY" -c "import zmq, google.protobuf" 2> "$WORK/import.log" \
        || fail "$PY cannot import zmq and google.protobuf (apt install python3-zmq python3-protobuf): $(tail -n 1 "$WORK/import.log")"
}

# status_report ID STATUS, plane_reported ID, intent_ended ID: intent ID
# (by its intent_id) has a report of that status number, one from its
# plane, a terminal one.
status_report () {
    sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
                  WHERE i.intent_id = '$1' AND r.status = $2" 1
}
plane_reported () {
    sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
                  WHERE i.intent_id = '$1' AND r.origin = 1" 1
}
intent_ended () {
    sql_at_least "SELECT count(*) FROM reports r JOIN intents i USING (router_seq)
                  WHERE i.intent_id = '$1' AND r.terminal = 1" 1
}

# conf_in DIR: DIR/execplane.zpl, the router's ready file with the
# certificates next to it, named relatively ("certs = certs").
conf_in () {
    mkdir -p "$1"
    sed 's|^\( *certs *= *\).*|\1certs|' "$READY" > "$1/execplane.zpl"
    grep -qx '    certs = certs' "$1/execplane.zpl" || fail "no relative certs line in $1/execplane.zpl"
    cp -a "$CERTS" "$1/certs"
}

# public_key NAME: the Z85 public key of certificate NAME under $CERTS.
public_key () { sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$CERTS/public/$1"; }

# assert_live_fills INTENT_ID WHAT: a MARKET BUY of 1 for strategy "live"
# (on the live plane, against the fake venue) ends FILLED; fails naming WHAT.
assert_live_fills () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"250"}\n' "$1" \
        | "$BIN/ep-send" --config "$READY" --wait --timeout 30 > "$WORK/$1.jsonl"
    [ "$(jq -r 'select(.terminal) | .status' "$WORK/$1.jsonl")" = FILLED ] \
        || fail "$2: $(cat "$WORK/$1.jsonl")"
}

# --- raw requests to ep-fakex, for the tests of the fake venue itself ------
# Signed with $SECRET and sent with $KEY, which the test sets.

now_ms () { date +%s%3N; }

# start_fakex_named NAME ARGS...: starts ep-fakex with ARGS (several may run,
# each under its NAME) and waits for its ready line; sets PORT, and CONTROL
# when it has a control port.
start_fakex_named () {
    local name=$1; shift
    "$BIN/ep-fakex" "$@" > "$WORK/$name.out" 2>> "$WORK/$name.log" &
    PIDS+=("$!")
    wait_until 10 grep -q '^ep-fakex listening on ' "$WORK/$name.out"
    PORT=$(sed -n 's/^ep-fakex listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/$name.out")
    CONTROL=$(sed -n 's/^ep-fakex control on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/$name.out")
    [ -n "$PORT" ] || fail "$name printed no port"
}

# sign PARAMS [SECRET]: the hex signature; every one is kept in
# $WORK/signatures.txt, so that a test can prove no log ever shows one.
sign () {
    local signature
    signature=$("$BIN/ep-fakex" --sign "$1" --api-secret "${2:-$SECRET}")
    echo "$signature" >> "$WORK/signatures.txt"
    echo "$signature"
}

# send METHOD PATH QUERY BODY [KEY] [CURL ARGS...]: one raw request to
# $PORT (KEY empty: no X-MBX-APIKEY header); sets CODE (HTTP status, 000
# if none), BODY, CURL_RC, and the headers in $WORK/headers.
send () {
    local method=$1 path=$2 query=$3 body=$4 key=${5-$KEY}
    shift 5 || shift $#
    local url="http://127.0.0.1:$PORT$path${query:+?$query}"
    local args=(-s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method"
                --max-time 10 "$@")
    [ -z "$key" ] || args+=(-H "X-MBX-APIKEY: $key")
    [ -z "$body" ] || args+=(--data "$body")
    rm -f "$WORK/body" "$WORK/headers"
    CURL_RC=0
    CODE=$(curl "${args[@]}" "$url") || CURL_RC=$?
    BODY=$(cat "$WORK/body" 2>/dev/null || true)
}

# order PARAMS [CURL ARGS...]: a signed POST /api/v3/order, params in the body.
order () {
    local params=$1; shift
    send POST /api/v3/order "" "$params&signature=$(sign "$params")" "$KEY" "$@"
}

# query|cancel PARAMS: a signed GET or DELETE /api/v3/order, params in the query.
query () { send GET /api/v3/order "$1&signature=$(sign "$1")" ""; }
cancel () { send DELETE /api/v3/order "$1&signature=$(sign "$1")" ""; }

# field JQ-FILTER and header NAME: of the last answer.
field () { jq -r "$1" <<<"$BODY"; }
header () { tr -d '\r' < "$WORK/headers" | sed -n "s/^$1: //Ip"; }

# expect STATUS [CODE [MSG]]: the last answer had this HTTP status (and
# Binance code, and message).
expect () {
    [ "$CODE" = "$1" ] || fail "expected HTTP $1, got $CODE (curl $CURL_RC): $BODY"
    if [ $# -ge 2 ]; then
        [ "$(field .code)" = "$2" ] || fail "expected code $2, got: $BODY"
    fi
    if [ $# -ge 3 ]; then
        [ "$(field .msg)" = "$3" ] || fail "expected msg '$3', got: $BODY"
    fi
}

# expect_fields JQ-FILTER EXPECTED: the filter's output (tab-separated) matches
expect_fields () {
    local got
    got=$(jq -r "$1 | @tsv" <<<"$BODY") || fail "answer is not JSON: $BODY"
    [ "$got" = "$2" ] || fail "for $1 expected '$2', got '$got' in: $BODY"
}

# free_ports N: N free TCP ports on 127.0.0.1, one a line, held by nothing
# once printed (for configurations that must name ports before anything binds
# them: two routers, each listing the other's endpoints). Random, in
# write_config's range: a router that binds them later must not find one
# taken by another test's connection.
free_ports () {
    python3 -c '
import random, socket, sys
held = []
while len(held) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(10000, 19999)))
        held.append(s)
    except OSError:
        s.close()
print("\n".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()' "$1"
}

# write_router_pair [EXTRA ZPL LINES for the router section]: two router
# configurations on one journal, $WORK/router-a.zpl (router/member = 1) and
# $WORK/router-b.zpl (router/member = 2), each socket key listing both
# routers' endpoints (A's first) on free ports; certificates as write_config.
write_router_pair () {
    write_config "$@"
    local ports member key i=0 pa pb
    mapfile -t ports < <(free_ports 12)
    [ "${#ports[@]}" = 12 ] || fail "free_ports: ${ports[*]}"
    for member in 1 2; do
        i=0
        {
            echo "router"
            for key in intake outcomes control dispatch results query; do
                pa=${ports[$i]}; pb=${ports[$((i + 6))]}
                echo "    $key = tcp://127.0.0.1:$pa,tcp://127.0.0.1:$pb"
                i=$((i + 1))
            done
            echo "    member = $member"
            echo "    journal = $JOURNAL"
            for line in "$@"; do echo "    $line"; done
            echo "security"
            echo "    certs = $CERTS"
        } > "$WORK/router-$([ $member = 1 ] && echo a || echo b).zpl"
    done
}

# intake_queued CONFIG MEMBER BYTES: the kernel holds at least BYTES unread
# on the intake connections of router MEMBER (1 or 2) of CONFIG (a router
# that is stopped, SIGSTOP, and so reads nothing).
intake_queued () {
    local list endpoint port queued
    list=$(sed -n 's/^ *intake *= *//p' "$1")
    endpoint=$(cut -d, -f"$2" <<<"$list")
    port=${endpoint##*:}
    queued=$(ss -Htn state established "( sport = :$port )" | awk '{ s += $1 } END { print s + 0 }')
    [ "$queued" -ge "$3" ]
}

# router_pair_metrics: gives router-a.zpl and router-b.zpl (write_router_pair)
# a metrics endpoint each, on free ports: $METRICS_A and $METRICS_B
# (HOST:PORT), so that a standby, which writes no ready file until it
# serves, can be asked what it is.
router_pair_metrics () {
    local ports
    mapfile -t ports < <(free_ports 2)
    METRICS_A=127.0.0.1:${ports[0]}
    METRICS_B=127.0.0.1:${ports[1]}
    sed -i "s/^    member = 1$/&\n    metrics = $METRICS_A/" "$WORK/router-a.zpl"
    sed -i "s/^    member = 2$/&\n    metrics = $METRICS_B/" "$WORK/router-b.zpl"
}

# healthz HOST:PORT FIELD: FIELD of the router's /healthz ("" if none answers).
healthz () {
    local body
    body=$(curl -s --max-time 2 "http://$1/healthz") || true
    jq -r ".$2 // empty" <<<"$body" 2>/dev/null || true
}

# role_is HOST:PORT ROLE: /healthz says role ROLE (active or standby).
role_is () { [ "$(healthz "$1" role)" = "$2" ]; }

# start_standby CONFIG NAME: a second router (a standby while another holds
# the lease), logging to $WORK/router-NAME.log, its ready file
# $WORK/ready-NAME.zpl once it serves; its pid in $STANDBY_PID.
start_standby () {
    rm -f "$WORK/ready-$2.zpl"
    ${WRAP[@]+"${WRAP[@]}"} "$BIN/ep-router" --config "$1" --ready-file "$WORK/ready-$2.zpl" \
        >>"$WORK/router-$2.log" 2>&1 &
    STANDBY_PID=$!
    PIDS+=("$STANDBY_PID")
}

# binds_nothing CONFIG MEMBER PID: process PID listens on no endpoint of
# router MEMBER (1 or 2) of CONFIG. Another process's listener does not
# count: tests running beside this one pick free ports too, and one may
# have taken the same port since.
binds_nothing () {
    local key endpoint port
    for key in intake outcomes control dispatch results query; do
        endpoint=$(sed -n "s/^ *$key *= *//p" "$1" | tr -d '"' | cut -d, -f"$2")
        port=${endpoint##*:}
        ! ss -Htlnp "( sport = :$port )" | grep "pid=$3," > /dev/null || return 1
    done
}

# psql_write SQL: one statement against the PostgreSQL journal, writable.
psql_write () { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$JOURNAL" -c "$1"; }

# --- A takeover's clients (two routers on one journal) ----------------------

# market_intents PREFIX FIRST LAST: MARKET intents of strategy kr, ids
# PREFIX-FIRST..PREFIX-LAST (four digits), sold and bought in turn.
market_intents () {
    for i in $(seq "$2" "$3"); do
        printf '{"intent_id":"%s-%04d","strategy_id":"kr","symbol":"BTCUSDT","side":"%s","type":"MARKET","qty":"0.5","ref_price":"%d"}\n' \
            "$1" "$i" "$([ $((i % 2)) = 0 ] && echo BUY || echo SELL)" $((100 + i % 7))
    done
}
terminal_at_least () { sql_at_least "SELECT COUNT(*) FROM reports WHERE terminal = 1" "$1"; }
gone () { ! running "$1"; }

# clients_judged_by_router: $CLIENTS, the ready file the clients use, with
# a paper deadline of 10 minutes: judged by the bound (a second plus the
# deadline), no intent could be named never read within ep-send's 50 s, so
# the router that took over is asked instead (query frame "intents").
clients_judged_by_router () {
    CLIENTS=$WORK/clients.zpl
    cp "$READY" "$CLIENTS"
    sed -i 's/^\( *paper_deadline_ms *= *\).*/\1600000/' "$CLIENTS"
    grep -q '^ *paper_deadline_ms *= *600000' "$CLIENTS" || fail "the clients' paper_deadline_ms was not set"
}

# follow_across_takeover: started before anything is sent and never
# restarted, both configured with $CLIENTS: the monitor (ep-tap from seq 1
# into $WORK/tap.out, TAP_PID) and the strategy (one ep-send --wait fed
# through a FIFO on fd 3, into $WORK/send.out and send.log, SEND_PID).
# A process started after it must not hold the FIFO open: start it 3>&-.
follow_across_takeover () {
    "$BIN/ep-tap" --config "$CLIENTS" --from-seq 1 > "$WORK/tap.out" 2> "$WORK/tap.log" &
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    mkfifo "$WORK/stream"
    "$BIN/ep-send" --config "$CLIENTS" --wait --timeout 50 --file "$WORK/stream" \
        > "$WORK/send.out" 2> "$WORK/send.log" &
    SEND_PID=$!
    PIDS+=("$SEND_PID")
    exec 3> "$WORK/stream"
}

# fates_across_takeover RC < IDS: the intents the strategy of
# follow_across_takeover sent, their ids on stdin (not a pipe: it must run
# in the shell that started ep-send, to reap it). Once it ended (within
# 60 s), it must have exited RC (any: 1 if it named an intent never read,
# else 0), and each intent it sent is journaled or named never read, never
# both. Leaves $WORK/never_read.txt and $WORK/journaled.txt (sorted ids);
# sets n_never.
fates_across_takeover () {
    local want=$1 rc=0
    sort > "$WORK/sent.txt"
    wait_until 60 gone "$SEND_PID"
    wait "$SEND_PID" || rc=$?
    sed -n 's|^ep-send: never read: kr/\([^ ]*\) .*|\1|p' "$WORK/send.log" | sort > "$WORK/never_read.txt"
    n_never=$(wc -l < "$WORK/never_read.txt")
    [ "$want" != any ] || want=$([ "$n_never" = 0 ] && echo 0 || echo 1)
    [ "$rc" = "$want" ] \
        || fail "ep-send --wait exited $rc, not $want, with $n_never intent(s) named never read: $(tail -n 3 "$WORK/send.log")"
    sql "SELECT intent_id FROM intents" | sort > "$WORK/journaled.txt"
    [ -z "$(comm -12 "$WORK/journaled.txt" "$WORK/never_read.txt")" ] \
        || fail "named never read but journaled: $(comm -12 "$WORK/journaled.txt" "$WORK/never_read.txt" | head -n 3)"
    [ "$(sort -u "$WORK/journaled.txt" "$WORK/never_read.txt")" = "$(cat "$WORK/sent.txt")" ] \
        || fail "not every intent sent is journaled or named never read: $(sort -u "$WORK/journaled.txt" "$WORK/never_read.txt" | comm -13 - "$WORK/sent.txt" | head -n 3)"
}

# unread_batch_named PREFIX FIRST LAST: after fates_across_takeover, each
# intent of market_intents PREFIX FIRST LAST (the batch sent to a router
# that never read it) was named never read, and ep-send --wait printed
# exactly one terminal report per journaled intent.
unread_batch_named () {
    market_intents "$@" | jq -r .intent_id | sort | comm -23 - "$WORK/never_read.txt" > "$WORK/missed.txt"
    [ ! -s "$WORK/missed.txt" ] || fail "the batch A never read is not all named never read: $(head -n 3 "$WORK/missed.txt")"
    jq -r 'select(.terminal) | .intent_id' "$WORK/send.out" | sort > "$WORK/send_terminal.txt"
    [ "$(cat "$WORK/send_terminal.txt")" = "$(cat "$WORK/journaled.txt")" ] \
        || fail "ep-send --wait did not print exactly one terminal report per journaled intent"
}

# resting_buy ID QTY: a LIMIT GTC buy of QTY BTCUSDT at 200.5 (below the
# fake venue's price: it rests) of strategy live, sent and seen by the
# plane; ORDER is the client order id it went to the venue with.
resting_buy () {
    printf '{"intent_id":"%s","strategy_id":"live","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","tif":"GTC","qty":"%s","limit_price":"200.5","ref_price":"250"}\n' "$1" "$2" \
        | "$BIN/ep-send" --config "$READY" > /dev/null
    wait_until 10 plane_reports_at_least 1
    ORDER=$(audit "SELECT client_order_id FROM attempts WHERE kind = 1 AND intent_id = '$1'")
    [ -n "$ORDER" ] || fail "no submission of $1 in the audit"
}

# kr_order ID: one MARKET intent of strategy kr, ID, buying 1.
kr_order () {
    printf '{"intent_id":"%s","strategy_id":"kr","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"100"}\n' "$1"
}

# monitored_stack [ROUTER LINES]: the router (write_config with the lines)
# and its paper worker, a monitor from seq 1 into $WORK/tap.out (TAP_PID),
# and one intent, before-1, sent and ended: the stack serves.
monitored_stack () {
    write_config "$@"
    start_router
    start_paper
    "$BIN/ep-tap" --config "$READY" --from-seq 1 > "$WORK/tap.out" 2> "$WORK/tap.log" &
    TAP_PID=$!
    PIDS+=("$TAP_PID")
    kr_order before-1 > "$WORK/before.jsonl"
    "$BIN/ep-send" --config "$READY" --wait --timeout 20 --file "$WORK/before.jsonl" > /dev/null 2>> "$WORK/send.log" \
        || fail "the first intent: $(tail -n 2 "$WORK/send.log")"
}

# stops_failing PID WHY: the daemon PID exits within 10 s, not 0 (WHY: what
# should have stopped it, for the failure's message); its status in $rc.
stops_failing () {
    rc=0
    wait_until 10 gone "$1"
    wait "$1" || rc=$?
    [ "$rc" != 0 ] || fail "pid $1 exited 0 after $2"
}

# router_metrics: the router's metrics address (http://HOST:PORT), as its
# ready file names it.
router_metrics () {
    echo "http://$(awk '/^router/ { s = 1; next } /^[a-z]/ { s = 0 }
        s && $1 == "metrics" { gsub(/"/, "", $3); print $3 }' "$READY")"
}

# health_is CODE: the router's /healthz answers HTTP CODE.
health_is () { [ "$(curl -s -o /dev/null -w '%{http_code}' "$(router_metrics)/healthz")" = "$1" ]; }

# alpha_intents PREFIX FROM TO: MARKET intents of strategy alpha, quantity
# 1, ids PREFIX-FROM..PREFIX-TO, sold and bought in turn.
alpha_intents () {
    for i in $(seq "$2" "$3"); do
        printf '{"intent_id":"%s-%d","strategy_id":"alpha","symbol":"BTCUSDT","side":"%s","type":"MARKET","qty":"1","ref_price":"100"}\n' \
            "$1" "$i" "$([ $((i % 2)) = 0 ] && echo BUY || echo SELL)"
    done
}

# monitor_equals_journal: the monitor that follow_across_takeover started
# has printed exactly the journal's reports (seq 1..n_reports, each once,
# byte for byte what a replay from the router serving now gives, into
# $WORK/all.jsonl); it is then stopped. Sets n_reports: what the journal
# held when asked, or more if the router journaled a report (a plane's late
# answer) before the monitor was stopped.
monitor_equals_journal () {
    n_reports=$(sql "SELECT COUNT(*) FROM reports")
    tapped () { [ "$(wc -l < "$WORK/tap.out")" -ge "$n_reports" ]; }
    wait_until 20 tapped
    kill -TERM "$TAP_PID"
    wait "$TAP_PID" || fail "ep-tap exited $? on SIGTERM"
    n_reports=$(wc -l < "$WORK/tap.out")
    "$BIN/ep-tap" --config "$CLIENTS" --from-seq 1 --count "$n_reports" --timeout 10 > "$WORK/all.jsonl" \
        || fail "ep-tap could not replay the $n_reports reports from the router serving now"
    [ "$(jq -r .seq "$WORK/tap.out" | paste -sd,)" = "$(seq -s, 1 "$n_reports")" ] \
        || fail "the monitor's seqs are not 1..$n_reports, each once"
    cmp -s "$WORK/tap.out" "$WORK/all.jsonl" || fail "the monitor's stream differs from the journal's reports"
}
