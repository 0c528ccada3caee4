#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's packages
# (the newest /usr/lib/postgresql/*/bin), owned by no system account:
#
#   pg_cluster.sh start DIR    creates DIR (which must not exist, or be
#                              empty), a cluster in DIR/data listening on
#                              127.0.0.1 only, on a free port, its socket in
#                              DIR; prints the journal's connection string
#                              (also in DIR/url) and returns once it serves.
#                              A cluster DIR holds already (stopped) starts
#                              again, on the same port
#   pg_cluster.sh standby PRIMARY DIR
#                              a streaming standby of the cluster running in
#                              PRIMARY, in DIR as start makes one (its own
#                              port; start, stop, url and psql work on it),
#                              named `standby`, and synchronous: PRIMARY's
#                              synchronous_standby_names becomes
#                              'FIRST 1 (standby)', so that each commit waits
#                              until the standby has it on disk (one standby a
#                              primary). Returns once PRIMARY says it is sync
#   pg_cluster.sh promote DIR  the standby in DIR becomes a primary (takes
#                              writes); returns once it has
#   pg_cluster.sh stop DIR [immediate]
#                              stops it (fast; immediate if that fails),
#                              bounded; the files stay for whoever removes DIR.
#                              immediate: at once, as a machine lost (no
#                              shutdown checkpoint, clients cut off)
#   pg_cluster.sh url DIR      prints the connection string again
#   pg_cluster.sh psql DIR SQL one query, unaligned, tuples only
#
# PostgreSQL refuses to run as root: as root, the cluster runs as nobody
# (DIR and its parents made reachable to it); otherwise as the caller.
# No password: trust on the cluster's own socket and 127.0.0.1 only
# (replication connections included, as initdb allows them).
set -euo pipefail

die () { echo "pg_cluster: $*" >&2; exit 1; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg_cluster.sh start|stop|url|psql|promote DIR [SQL], stop DIR [immediate], standby PRIMARY DIR"

pg_bin () {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] && [ -x "$bin/initdb" ] \
        || die "no PostgreSQL server (apt install postgresql; scripts/deps does)"
    echo "$bin"
}

# as_owner CMD...: CMD as the cluster's owner.
as_owner () {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

# free_port: a port nothing listens on, at random in 61000-65000: above
# the kernel's ephemeral range (32768-60999 by default: a cluster started
# again on its port must not find it taken by some connection's own end)
# and away from the ports the tests name (10000-32000). The cluster fails
# to start if another process takes it meanwhile: start tries again.
free_port () {
    python3 - <<'EOF'
import random, socket
while True:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(61000, 65000)))
        break
    except OSError:
        s.close()
print(s.getsockname()[1])
s.close()
EOF
}

# serve DIR PORT: the cluster in DIR/data serving on PORT; returns once it
# does (false if it did not start within 30 s).
serve () {
    as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $2 -k $1 -c max_connections=20 -c shared_buffers=16MB" \
        start > "$1/pg_ctl.log" 2>&1
}

# own_dir DIR: as root, DIR is nobody's and nobody reaches it (every parent
# searchable by others).
own_dir () {
    [ "$(id -u)" -eq 0 ] || return 0
    chown nobody:nogroup "$1"
    local parent perm
    parent=$(dirname "$1")
    while [ "$parent" != / ]; do
        [ -x "$parent" ] && perm=$(stat -c %A "$parent") && [ "${perm:9:1}" = x -o "${perm:9:1}" = t ] \
            || die "$parent is not searchable by others: the cluster's owner (nobody) cannot reach $1"
        parent=$(dirname "$parent")
    done
}

# serve_new DIR: the cluster just made in DIR/data serving on a free port;
# DIR/url and DIR/port written, the connection string printed.
serve_new () {
    local attempt port url
    for attempt in 1 2 3; do
        port=$(free_port)
        # fsync off would make no commit durable: left on, as in production
        if serve "$1" "$port"; then
            url="postgresql://postgres@127.0.0.1:$port/postgres"
            echo "$url" > "$1/url"
            echo "$port" > "$1/port"
            echo "$url"
            return 0
        fi
        grep -q "could not bind\|already in use" "$1/server.log" 2>/dev/null || break
    done
    die "the cluster did not start: $(tail -n 5 "$1/server.log" 2>/dev/null)"
}

case "$cmd" in
start)
    bin=$(pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/port" ]; then
        serve "$dir" "$(cat "$dir/port")" \
            || die "the cluster did not start again: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
        cat "$dir/url"
        exit 0
    fi
    [ ! -e "$dir/data" ] || die "$dir/data exists"
    own_dir "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync > "$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    serve_new "$dir"
    ;;
standby)
    primary=$(cd "$dir" && pwd) && [ -f "$primary/url" ] || die "no cluster in $dir"
    dir=${3:-}
    [ -n "$dir" ] || die "usage: pg_cluster.sh standby PRIMARY DIR"
    bin=$(pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/data" ] || die "$dir/data exists"
    own_dir "$dir"
    # -R: standby.signal and primary_conninfo; then the standby's own name,
    # and no synchronous standby of its own once promoted (the primary's
    # setting may be in the copy)
    from="host=127.0.0.1 port=$(cat "$primary/port") user=postgres application_name=standby"
    as_owner "$bin/pg_basebackup" -d "$from" -D "$dir/data" -R -X stream -c fast --no-sync \
        > "$dir/basebackup.log" 2>&1 || die "pg_basebackup failed: $(tail -n 5 "$dir/basebackup.log")"
    printf "primary_conninfo = '%s'\nsynchronous_standby_names = ''\n" "$from" \
        | as_owner tee -a "$dir/data/postgresql.auto.conf" > /dev/null
    serve_new "$dir" > /dev/null
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$(cat "$primary/url")" \
        -c "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby)'" \
        -c "SELECT pg_reload_conf ()" > /dev/null || die "cannot make the standby synchronous"
    for _ in $(seq 200); do
        state=$("$bin/psql" -X -q -A -t "$(cat "$primary/url")" \
                    -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")
        [ "$state" != sync ] || { cat "$dir/url"; exit 0; }
        sleep 0.1
    done
    die "the standby in $dir is not the primary's synchronous standby after 20 s (state: ${state:-none})"
    ;;
promote)
    bin=$(pg_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 30 promote > "$dir/promote.log" 2>&1 \
        || die "the standby in $dir was not promoted: $(tail -n 5 "$dir/promote.log" "$dir/server.log")"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    bin=$(pg_bin)
    if [ "${3:-}" = immediate ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 10 -m immediate stop > /dev/null 2>&1 \
            || die "the cluster in $dir did not stop"
        exit 0
    fi
    [ -z "${3:-}" ] || die "stop DIR [immediate], not $3"
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 20 -m fast stop > /dev/null 2>&1 \
        || as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 10 -m immediate stop > /dev/null 2>&1 \
        || die "the cluster in $dir did not stop"
    ;;
url)
    cat "$dir/url"
    ;;
psql)
    bin=$(pg_bin)
    "$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$(cat "$dir/url")" -c "${3:?SQL}"
    ;;
*)
    die "unknown command $cmd"
    ;;
esac
