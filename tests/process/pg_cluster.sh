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
#   pg_cluster.sh stop DIR     stops it (fast; immediate if that fails),
#                              bounded; the files stay for whoever removes DIR
#   pg_cluster.sh url DIR      prints the connection string again
#   pg_cluster.sh psql DIR SQL one query, unaligned, tuples only
#
# PostgreSQL refuses to run as root: as root, the cluster runs as nobody
# (DIR and its parents made reachable to it); otherwise as the caller.
# No password: trust on the cluster's own socket and 127.0.0.1 only.
set -euo pipefail

die () { echo "pg_cluster: $*" >&2; exit 1; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg_cluster.sh start|stop|url|psql DIR [SQL]"

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

# free_port: a port of the dynamic range nothing listens on (the cluster
# fails to start if another process takes it meanwhile: start tries again).
free_port () {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

case "$cmd" in
start)
    bin=$(pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/port" ]; then
        port=$(cat "$dir/port")
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=20 -c shared_buffers=16MB" \
            start > "$dir/pg_ctl.log" 2>&1 \
            || die "the cluster did not start again: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
        cat "$dir/url"
        exit 0
    fi
    [ ! -e "$dir/data" ] || die "$dir/data exists"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody:nogroup "$dir"
        # nobody must reach DIR: every parent searchable by others
        parent=$(dirname "$dir")
        while [ "$parent" != / ]; do
            [ -x "$parent" ] && perm=$(stat -c %A "$parent") && [ "${perm:9:1}" = x -o "${perm:9:1}" = t ] \
                || die "$parent is not searchable by others: the cluster's owner (nobody) cannot reach $dir"
            parent=$(dirname "$parent")
        done
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync > "$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    for attempt in 1 2 3; do
        port=$(free_port)
        # fsync off would make no commit durable: left on, as in production
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
               -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=20 -c shared_buffers=16MB" \
               start > "$dir/pg_ctl.log" 2>&1; then
            url="postgresql://postgres@127.0.0.1:$port/postgres"
            echo "$url" > "$dir/url"
            echo "$port" > "$dir/port"
            echo "$url"
            exit 0
        fi
        grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null || break
    done
    die "the cluster did not start: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    bin=$(pg_bin)
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
