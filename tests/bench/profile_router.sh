#!/usr/bin/env bash
# Where the router's main thread spends its time at full speed.
#
#   tests/bench/profile_router.sh BIN [N]
#
# Starts a router and a paper worker from BIN (CURVE on, the journal at its
# default durability) on ephemeral loopback ports in a new folder, sends
# 20,000 intents to warm up, then records the router's main thread with
# `perf record --call-graph dwarf` while one strategy (ep-loadgen) sends N
# more (default 200000) as fast as it can. Prints ep-loadgen's line, then
# the share of the thread's samples spent in (under) each of the router's
# main steps. perf.data stays in the folder, named on the last line, for
# `perf report -i`. Needs perf (Debian's linux-perf) and the right to
# record a process of one's own (kernel.perf_event_paranoid <= 2, or root).
set -euo pipefail
bin=${1:?usage: profile_router.sh BIN [N]}
n=${2:-200000}
command -v perf > /dev/null || { echo "profile_router: needs perf (apt-get install linux-perf)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/ep-profile.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
"$bin/ep-keygen" --set --certs "$dir/certs" --strategy bench --strategy s1 > /dev/null
{
    echo router
    for key in intake outcomes control dispatch results query; do echo "    $key = tcp://127.0.0.1:!"; done
    echo "    journal = \"$dir/journal.db\""
    echo paper
    echo "    description = profile_router.sh's paper plane"
    echo security
    echo "    certs = $dir/certs"
} > "$dir/config.zpl"
"$bin/ep-router" --config "$dir/config.zpl" --ready-file "$dir/ready.zpl" 2> "$dir/router.log" &
router=$!
pids+=("$router")
for _ in $(seq 100); do [ -f "$dir/ready.zpl" ] && break; sleep 0.1; done
[ -f "$dir/ready.zpl" ] || { echo "profile_router: the router did not start; see $dir/router.log" >&2; exit 1; }
config=$dir/ready.zpl
"$bin/ep-paper" --config "$config" 2> "$dir/paper.log" &
pids+=($!)
for _ in $(seq 100); do
    [ "$("$bin/ep-meta" --config "$config" planes --pending | wc -l)" -ge 1 ] && break
    sleep 0.1
done
for id in $("$bin/ep-meta" --config "$config" planes --pending | jq -r .id); do
    "$bin/ep-meta" --config "$config" approve "$id" --reason "profile" > /dev/null
done
for _ in $(seq 100); do
    [ "$("$bin/ep-meta" --config "$config" status 2>/dev/null | jq -r .paper_alive)" = true ] && break
    sleep 0.1
done
"$bin/ep-loadgen" --config "$config" --tag warm --intents 20000 > /dev/null
# The main thread's id is the process's
perf record -q -F 1000 --call-graph dwarf,8192 -t "$router" -o "$dir/perf.data" 2> "$dir/perf.log" &
perf_pid=$!
"$bin/ep-loadgen" --config "$config" --tag run --intents "$n"
kill -INT "$perf_pid"
wait "$perf_pid" || true
perf report -i "$dir/perf.data" --children --sort symbol --stdio -g none 2> /dev/null \
    | awk '$4 ~ /^(ep_intake_handle|ep_journal_claim|ep_journal_add_intent|ep_reports_emit|ep_journal_add_report|ep_chain_values_hash|ep_router_pack|ep_commit_turn|sqlite3_wal_checkpoint_v2|ep_buf_append)$/ {
               printf "%-28s %s\n", $4, $1 }'
echo "perf.data: $dir/perf.data"
