#!/usr/bin/env bash
# A journal that fails SQLite's integrity check at start-up: the router
# refuses to start, says why, and leaves the file (and its WAL) byte for
# byte as it was; ep-replay (--shadow, --verify, a replay) refuses it as
# well, exit 1. Likewise a file that is not an SQLite database, and an
# SQLite database that is not a journal. A sound journal still starts.
source "$(dirname "$0")/lib.sh"

write_config
start_router
start_paper
for i in $(seq 300); do
    printf '{"intent_id":"c-%d","strategy_id":"alpha","symbol":"BTCUSDT","side":"BUY","type":"MARKET","qty":"1","ref_price":"%d"}\n' "$i" $((50 + i % 40))
done > "$WORK/intents.jsonl"
"$BIN/ep-send" --config "$READY" --wait --timeout 30 --file "$WORK/intents.jsonl" > /dev/null \
    2>> "$WORK/send.log" || fail "the intents did not finish"
kill -TERM "$PAPER_PID" "$ROUTER_PID"
wait "$PAPER_PID" "$ROUTER_PID" || fail "the stack did not stop cleanly"
[ ! -e "$JOURNAL-wal" ] || [ ! -s "$JOURNAL-wal" ] || fail "the journal's WAL was not checkpointed at stop"
cp "$JOURNAL" "$WORK/sound.db"

# refused JOURNAL WHY: the router refuses to start on JOURNAL with a message
# matching WHY, exits non-zero within 10 s, and changes no byte of it.
refused () {
    local before after rc=0
    digest () { { cat "$1"; [ ! -e "$1-wal" ] || cat "$1-wal"; } | sha256sum; }
    before=$(digest "$1")
    sed "s|journal = .*|journal = $1|" "$READY" > "$WORK/refused.zpl"
    timeout 10 "$BIN/ep-router" --config "$WORK/refused.zpl" > "$WORK/refused.out" 2>&1 || rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "the router did not refuse $1 (exit $rc): $(tail -n 3 "$WORK/refused.out")"
    grep -q -E "$2" "$WORK/refused.out" || fail "no clear message for $1: $(cat "$WORK/refused.out")"
    grep -q "left as it is" "$WORK/refused.out" || fail "the message does not say the file is left alone"
    after=$(digest "$1")
    [ "$before" = "$after" ] || fail "the router changed $1"
    echo "refused $1: $(grep -o 'ep-router: .*' "$WORK/refused.out" | head -n 1)"
}

# Damage: a page in the middle of the table data overwritten with noise.
pages=$(( $(stat -c %s "$JOURNAL") / 4096 ))
[ "$pages" -ge 8 ] || fail "the journal is too small to damage ($pages pages)"
cp "$WORK/sound.db" "$WORK/damaged.db"
dd if=/dev/urandom of="$WORK/damaged.db" bs=4096 seek=$((pages / 2)) count=2 conv=notrunc status=none
refused "$WORK/damaged.db" "fails SQLite's integrity check"

# ep-replay refuses it too, whatever it was asked (a shadow report above
# all: one of a damaged journal would be a report on what is left of it),
# exit 1, one line; the sound copy replays.
for mode in --shadow --verify ""; do
    rc=0
    "$BIN/ep-replay" --config "$READY" --journal "$WORK/damaged.db" $mode \
        > "$WORK/replay.out" 2> "$WORK/replay.err" || rc=$?
    [ $rc = 1 ] && [ "$(wc -l < "$WORK/replay.err")" = 1 ] \
        && grep -q "^ep-replay: journal $WORK/damaged.db fails SQLite's integrity check (.*): refusing to read it" "$WORK/replay.err" \
        || fail "ep-replay $mode on a damaged journal (exit $rc): $(cat "$WORK/replay.err")"
    [ ! -s "$WORK/replay.out" ] || fail "ep-replay $mode printed a report of a damaged journal"
    cp "$WORK/replay.err" "$WORK/replay.err.damaged"
done
"$BIN/ep-replay" --config "$READY" --journal "$WORK/sound.db" --shadow > "$WORK/replay.out" 2> "$WORK/replay.err" \
    || fail "ep-replay --shadow on the sound journal: $(cat "$WORK/replay.err")"
echo "ep-replay on the damaged journal: $(cat "$WORK/replay.err.damaged")"

head -c 65536 /dev/urandom > "$WORK/noise.db"
refused "$WORK/noise.db" "cannot be read|fails SQLite's integrity check"

sqlite3 "$WORK/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
refused "$WORK/other.db" "not an execplane journal"

# The sound copy starts and still holds its 300 intents.
cp "$WORK/sound.db" "$JOURNAL"
restart_router
[ "$(sql "SELECT COUNT(*) FROM intents")" = 300 ] || fail "the sound journal lost intents"
grep -q "started on plane PAPER" "$WORK/router.log" || fail "the sound journal did not start"
pass "a damaged journal, a non-database and a foreign database refused and left untouched; a sound one starts"
