#!/usr/bin/env bash
# Runs after every process test of this build (a ctest fixture cleanup):
# no program of this build may still be running, nor a PostgreSQL cluster
# the tests made (pg_cluster.sh, in ${TMPDIR:-/tmp}/ep-pg.*). Every test
# stops what it started, even when it fails; one that does not leaves an
# orphan here.
set -euo pipefail
BUILD=$(cd "${1:?usage: check_orphans.sh BUILD_DIR}" && pwd -P)
orphans=()
for exe in /proc/[0-9]*/exe; do
    target=$(readlink "$exe" 2>/dev/null) || continue
    case "$target" in
        "$BUILD"/*) pid=${exe#/proc/}; orphans+=("${pid%/exe} $(tr '\0' ' ' < "/proc/${pid%/exe}/cmdline" 2>/dev/null)") ;;
    esac
done
TESTS_TMP=$(cd "${TMPDIR:-/tmp}" && pwd -P)
for cmdline in /proc/[0-9]*/cmdline; do
    args=$(tr '\0' ' ' < "$cmdline" 2>/dev/null) || continue
    case "$args" in
        */bin/postgres\ -D\ "$TESTS_TMP"/ep-pg.*) pid=${cmdline#/proc/}; orphans+=("${pid%/cmdline} $args") ;;
    esac
done
if [ ${#orphans[@]} -gt 0 ]; then
    echo "FAIL: ${#orphans[@]} process(es) of $BUILD or its tests' PostgreSQL outlived the tests:" >&2
    printf '  %s\n' "${orphans[@]}" >&2
    exit 1
fi
echo "PASS: no process of $BUILD left running"
