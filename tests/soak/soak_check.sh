#!/usr/bin/env bash
# The soak's independent checker: reads the router's journal and the live
# audit with the sqlite3 CLI (read only), the fake venue's /fakex/counts JSON
# with jq, and runs ep-replay --verify; knows nothing of the router's code
# beyond the journal and audit schemas and the wire's (the journal's
# payloads, read by a small awk protobuf reader for a change's action and
# target and a report's failure and reason). Prints one JSON object and
# exits 0 iff every invariant holds:
#
#   missing_terminal    journaled intents without a terminal report
#   duplicate_reports   intents (orders, cancels and replaces alike) with
#                       more than one terminal report, reports
#                       after the terminal one not marked late, and report
#                       rows that repeat another byte for byte (the same
#                       plane report twice, or the same published payload)
#   seq_gaps            seq values missing in 1..max (and router_seq gaps)
#   live_resent         client order ids the venue received more than once,
#                       submissions sharing a client order id in the audit,
#                       order requests the venue saw that the audit never wrote
#                       (as a submission, or as the new order of a replace)
#   double_dispatch     (strategy, intent_id) dispatched more than once;
#                       intents realized on both planes or off their plane
#   plane_changes_unjournaled  plane/epoch of intents and reports that no
#                       applied command explains (see plane_detail)
#   replay_identical    ep-replay --journal J --config C --verify succeeds
#   tap_mismatch        (with --tap FILE, the output of `ep-tap --from-seq 1
#                       --count N` taken before the stack stopped) seqs
#                       missing, repeated or out of order in 1..N, and reports
#                       whose router_seq, terminal flag, plane or epoch differ
#                       from the journal's; also counted: fill ids reported
#                       twice for an intent, and plane reports whose filled_qty
#                       is not the sum of the fills reported so far (of those,
#                       the ones on reports marked reconciled, apart). With
#                       --tap-count N, fewer than N reports in FILE is a mismatch.
#   change_violations   cancels and replaces (see change_detail; the figures
#                       of what was sent and what became of it are in changes):
#                       a CANCEL or REPLACE without exactly one terminal report;
#                       an order a change took effect on (a CANCEL that ended
#                       CANCELED / FAILURE_NONE, a REPLACE its target's CANCELED
#                       report names) that does not end CANCELED exactly once;
#                       an intent CANCELED twice, or both FILLED and CANCELED;
#                       an order two changes took effect on; a REJECTED change
#                       that a CANCELED report names; the venue saw a cancel
#                       twice (with --venue-cancels FILE, the JSON of
#                       /fakex/counts?kind=cancel: a value above 1, or an
#                       order with two cancel or replace attempts in the live
#                       audit, unless the second is another intent sent while
#                       the first was unanswered or after it left the order
#                       open; counted as repeated), a change attempted twice,
#                       a venue cancel the audit did not write, a change that
#                       took effect on the live plane with no request the venue
#                       saw; and changes sent (journaled, or with
#                       --stream-changes N, the CANCEL and REPLACE lines of the
#                       soak's streams) of which none took effect on either
#                       plane (so that these checks cannot pass vacuously).
#                       Routed changes (dispatched, or refused PLANE_HALTED or
#                       PLANE_UNAVAILABLE) carry their target's plane and epoch:
#                       they are left out of the rules on the plane in force
#                       above, and plane_detail.change_plane counts those that
#                       do not carry their target's.
#
#   soak_check.sh JOURNAL AUDIT FAKEX_COUNTS_JSON REPLAY_BIN CONFIG
#                 [--seed S] [--kills N] [--meta-log FILE] [--crashes N]
#                 [--term-failures N] [--sender-failures N] [--tap FILE --tap-count N]
#                 [--venue-cancels FILE] [--stream-changes N]
#                 [--takeovers N] [--takeover-failures N]
#
# JOURNAL: the SQLite file, or the PostgreSQL journal's connection string
# (read from a copy: pg_snapshot.sh).
# --meta-log: lines "EPOCH KIND PLANE RC" of the plane commands sent (RC 0:
# ep-meta saw it applied). --crashes, --term-failures, --sender-failures: the
# soak's own counts of daemons that died by themselves, exited non-zero after
# SIGTERM, and ep-send runs that failed; each must be 0. --takeovers: how
# often a standby router took over (for the record); --takeover-failures:
# takeovers that did not happen within their bound, and routers cut off
# from the journal that did not stop saying they lost the lease; must be 0.
set -euo pipefail

usage () {
    echo "usage: soak_check.sh JOURNAL AUDIT FAKEX_COUNTS_JSON REPLAY_BIN CONFIG [--seed S] [--kills N] [--meta-log FILE] [--crashes N] [--term-failures N] [--sender-failures N] [--tap FILE --tap-count N] [--venue-cancels FILE] [--stream-changes N] [--takeovers N] [--takeover-failures N]" >&2
    exit 2
}
[ $# -ge 5 ] || usage
journal=$1 audit_db=$2 counts=$3 replay=$4 config=$5
shift 5
seed=null kills=0 meta_log= crashes=0 term_failures=0 sender_failures=0 tap= tap_count= venue_cancels=
stream_changes=0 takeovers=0 takeover_failures=0
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
        --seed) seed=$2 ;;
        --kills) kills=$2 ;;
        --meta-log) meta_log=$2 ;;
        --crashes) crashes=$2 ;;
        --term-failures) term_failures=$2 ;;
        --sender-failures) sender_failures=$2 ;;
        --tap) tap=$2 ;;
        --tap-count) tap_count=$2 ;;
        --venue-cancels) venue_cancels=$2 ;;
        --stream-changes) [[ $2 =~ ^[0-9]+$ ]] || usage; stream_changes=$2 ;;
        --takeovers) [[ $2 =~ ^[0-9]+$ ]] || usage; takeovers=$2 ;;
        --takeover-failures) [[ $2 =~ ^[0-9]+$ ]] || usage; takeover_failures=$2 ;;
        *) usage ;;
    esac
    shift 2
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/soak-check.XXXXXX")
trap '[ -n "${KEEP_SCRATCH:-}" ] && echo "scratch: $scratch" >&2 || rm -rf "$scratch"' EXIT
# A journal on PostgreSQL (a connection string) is read from a copy in
# SQLite (pg_snapshot.sh: psql, one read-only snapshot), so that every
# query below is the same on either backend; ep-replay reads the server.
replay_journal=$journal
case $journal in
    postgresql://*|postgres://*)
        journal=$scratch/journal.db
        bash "$(dirname "$0")/pg_snapshot.sh" "$replay_journal" "$journal" \
            || { echo "soak_check: cannot copy the journal from PostgreSQL" >&2; exit 1; } ;;
esac
[ -f "$journal" ] || { echo "soak_check: no journal $journal" >&2; exit 1; }

# q SQL: one number (or row) from the journal, read only.
q () { sqlite3 -readonly -batch -noheader "$journal" "$1"; }
# qa SQL: the same from the audit (0 when there is no audit).
qa () {
    if [ -f "$audit_db" ]; then sqlite3 -readonly -batch -noheader "$audit_db" "$1"; else echo 0; fi
}

# Cancels and replaces: the journal's payloads are the wire's protobuf
# messages (schemas/execplane.proto); pb.awk reads the fields needed, of the
# OrderIntent (12 action, 13 target_intent_id) and of the ExecutionReport
# (9 failure, 10 reason). They go, with the live audit's cancel and replace
# attempts and the venue's cancel counts, into a scratch database (cdb) with
# the journal attached read only: qc runs SQL there.
cdb=$scratch/changes.db
cat > "$scratch/pb.awk" <<'AWK'
# Input: tab-separated columns, the last one a protobuf message in hex.
# Output: the other columns, then the fields numbered in `fields` (a comma
# separated list: varints as numbers, strings with anything but printable
# ASCII, quotes and backslashes as '?'; empty when absent).
BEGIN {
    FS = OFS = "\t"
    for (i = 0; i < 256; i++) {
        h = sprintf("%02X", i); HV[h] = i
        CH[h] = (i >= 32 && i < 127 && i != 34 && i != 92) ? sprintf("%c", i) : "?"
    }
    nf = split(fields, want, ",")
    for (i = 1; i <= nf; i++) WANT[want[i]] = 1
}
function varint(    v, mul, b) {
    v = 0; mul = 1
    do { b = HV[substr(S, 2 * P + 1, 2)]; P++; if (mul < 1e15) v += (b % 128) * mul; mul *= 128 } while (b >= 128 && P < N)
    return v
}
function decode(hex,    key, f, wt, len, s, j) {
    split("", F); S = hex; N = length(hex) / 2; P = 0
    while (P < N) {
        key = varint(); f = int(key / 8); wt = key % 8
        if (wt == 0) F[f] = varint()
        else if (wt == 2) {
            len = varint()
            if (f in WANT) { s = ""; for (j = 0; j < len; j++) s = s CH[substr(S, 2 * (P + j) + 1, 2)]; F[f] = s }
            P += len
        }
        else if (wt == 1) P += 8
        else if (wt == 5) P += 4
        else return -1
    }
    return 0
}
{
    out = $1
    for (i = 2; i < NF; i++) out = out OFS $i
    decode($NF)
    for (i = 1; i <= nf; i++) out = out OFS ((want[i] in F) ? F[want[i]] : "")
    print out
}
AWK
sqlite3 -readonly -batch -noheader -separator $'\t' "$journal" \
    "SELECT router_seq, strategy_id, intent_id, plane, plane_epoch, dispatched, hex(payload) FROM intents" \
    | awk -v fields=12,13 -f "$scratch/pb.awk" > "$scratch/ci.tsv"
sqlite3 -readonly -batch -noheader -separator $'\t' "$journal" \
    "SELECT seq, router_seq, plane, status, terminal, late, origin, hex(payload) FROM reports" \
    | awk -v fields=9,10 -f "$scratch/pb.awk" > "$scratch/cr.tsv"
# The audit's cancel (3) and replace (5) attempts, with the client order id of
# the order each cancels: a cancel's own, a replace's in its parameters.
: > "$scratch/ca.tsv"
if [ -f "$audit_db" ]; then
    sqlite3 -readonly -batch -noheader -separator $'\t' "$audit_db" \
        "SELECT id, kind, strategy_id, intent_id, client_order_id, IFNULL(status, ''),
                IFNULL(failure, ''), created_us, IFNULL(finished_us, ''), params
         FROM attempts WHERE kind IN (3, 5)" \
        | awk 'BEGIN { FS = OFS = "\t" }
               { t = $5
                 if ($2 == 5 && match($10, /(^|&)(cancelOrigClientOrderId|origClientOrderId)=[^&]*/)) {
                     t = substr($10, RSTART, RLENGTH); sub(/^&/, "", t); sub(/^[^=]*=/, "", t) }
                 $10 = t; print }' > "$scratch/ca.tsv"
fi
: > "$scratch/cv.tsv"
if [ -n "$venue_cancels" ] && [ -s "$venue_cancels" ]; then
    jq -r 'to_entries[] | "\(.key)\t\(.value)"' "$venue_cancels" > "$scratch/cv.tsv"
fi
sqlite3 -batch "$cdb" <<SQL
CREATE TABLE ci (router_seq INTEGER PRIMARY KEY, strategy_id TEXT, intent_id TEXT, plane INTEGER,
                 plane_epoch INTEGER, dispatched INTEGER, action INTEGER, target TEXT);
CREATE TABLE cr (seq INTEGER PRIMARY KEY, router_seq INTEGER, plane INTEGER, status INTEGER,
                 terminal INTEGER, late INTEGER, origin INTEGER, failure INTEGER, reason TEXT);
CREATE TABLE ca (id INTEGER PRIMARY KEY, kind INTEGER, strategy_id TEXT, intent_id TEXT,
                 client_order_id TEXT, status INTEGER, failure INTEGER, created_us INTEGER,
                 finished_us INTEGER, target_cid TEXT);
CREATE TABLE cv (client_order_id TEXT PRIMARY KEY, n INTEGER);
.mode tabs
.import $scratch/ci.tsv ci
.import $scratch/cr.tsv cr
.import $scratch/ca.tsv ca
.import $scratch/cv.tsv cv
UPDATE ci SET action = 0 WHERE action = '';
UPDATE cr SET failure = 0 WHERE failure = '';
UPDATE ca SET status = NULL WHERE status = '';
UPDATE ca SET failure = NULL WHERE failure = '';
UPDATE ca SET finished_us = NULL WHERE finished_us = '';
CREATE INDEX cr_by_intent ON cr (router_seq);
CREATE INDEX ci_by_key ON ci (strategy_id, intent_id);
SQL
qc () {
    sqlite3 -batch -noheader -cmd "ATTACH 'file:$journal?mode=ro' AS j" "$cdb" "$1"
}
# Changes: the CANCEL (1) and REPLACE (2) intents, with their terminal report
# (tstatus, tfailure) and their target's router_seq (the first intent of
# their strategy under target_intent_id). Routed: those the router sent to
# the plane and epoch that hold the target (dispatched, or refused there:
# PLANE_HALTED, PLANE_UNAVAILABLE), which carry the target's plane and epoch.
qc "CREATE TABLE ch AS SELECT c.router_seq, c.strategy_id, c.intent_id, c.plane, c.plane_epoch,
        c.dispatched, c.action, c.target,
        (SELECT k.router_seq FROM j.intent_keys k WHERE k.strategy_id = c.strategy_id
                                                    AND k.intent_id = c.target) AS target_rs,
        (SELECT r.status FROM cr r WHERE r.router_seq = c.router_seq AND r.terminal = 1
         ORDER BY r.seq LIMIT 1) AS tstatus,
        (SELECT r.failure FROM cr r WHERE r.router_seq = c.router_seq AND r.terminal = 1
         ORDER BY r.seq LIMIT 1) AS tfailure,
        (SELECT COUNT(*) FROM cr r WHERE r.router_seq = c.router_seq AND r.terminal = 1) AS nterminal
     FROM ci c WHERE c.action IN (1, 2);
     CREATE TABLE routed AS SELECT router_seq FROM ch WHERE dispatched = 1 OR tfailure IN (3, 4);
     CREATE INDEX ch_by_target ON ch (target_rs);"
# The other intents, for the rules on the plane in force.
NOTROUTED="(SELECT * FROM intents WHERE router_seq NOT IN (SELECT router_seq FROM routed))"

# Terminal: terminal = 1. Late reports (late = 1) are never terminal.
intents=$(q "SELECT COUNT(*) FROM intents")
reports=$(q "SELECT COUNT(*) FROM reports")
terminal=$(q "SELECT COUNT(*) FROM intents i WHERE EXISTS
              (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)")
missing_terminal=$(( intents - terminal ))
# (the first few, for the record: strategy/intent_id@router_seq plane)
missing_sample=$(q "SELECT json_group_array(strategy_id || '/' || intent_id || '@' || router_seq
                    || (CASE plane WHEN 1 THEN ' PAPER' ELSE ' LIVE' END)) FROM (SELECT * FROM intents i
                    WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq
                    AND r.terminal = 1) ORDER BY router_seq LIMIT 5)")
orphan_reports=$(q "SELECT COUNT(*) FROM reports r WHERE NOT EXISTS
                    (SELECT 1 FROM intents i WHERE i.router_seq = r.router_seq)")

multi_terminal=$(q "SELECT COUNT(*) FROM (SELECT router_seq FROM reports WHERE terminal = 1
                    GROUP BY router_seq HAVING COUNT(*) > 1)")
after_terminal=$(q "SELECT COUNT(*) FROM reports r JOIN reports t ON t.router_seq = r.router_seq
                    AND t.terminal = 1 AND r.seq > t.seq WHERE r.late = 0")
same_plane_report=$(q "SELECT IFNULL(SUM(n - 1), 0) FROM (SELECT COUNT(*) n FROM reports
                       WHERE origin = 1 AND plane_payload IS NOT NULL
                       GROUP BY router_seq, plane_payload HAVING n > 1)")
same_payload=$(q "SELECT IFNULL(SUM(n - 1), 0) FROM (SELECT COUNT(*) n FROM reports
                  GROUP BY payload HAVING n > 1)")
duplicate_reports=$(( multi_terminal + after_terminal + same_plane_report + same_payload ))

max_seq=$(q "SELECT IFNULL(MAX(seq), 0) FROM reports")
bad_seq=$(q "SELECT COUNT(*) FROM reports WHERE seq < 1")
seq_gaps=$(( max_seq - reports + bad_seq ))
max_rs=$(q "SELECT IFNULL(MAX(router_seq), 0) FROM intents")
router_seq_gaps=$(( max_rs - intents + $(q "SELECT COUNT(*) FROM intents WHERE router_seq < 1") ))

# Dispatch: an intent key is realized at most once; what a plane realized
# was dispatched to it.
double_dispatch=$(q "SELECT COUNT(*) FROM (SELECT strategy_id, intent_id FROM intents
                     WHERE dispatched = 1 GROUP BY strategy_id, intent_id HAVING COUNT(*) > 1)")
key_mismatch=$(q "SELECT COUNT(*) FROM intent_keys k WHERE NOT EXISTS (SELECT 1 FROM intents i
                  WHERE i.router_seq = k.router_seq AND i.strategy_id = k.strategy_id
                  AND i.intent_id = k.intent_id)")
paper_off_plane=$(q "SELECT COUNT(DISTINCT r.router_seq) FROM reports r JOIN intents i USING (router_seq)
                     WHERE r.origin = 1 AND (i.dispatched = 0 OR i.plane <> r.plane)")

# The live plane: the audit and the venue.
live_submissions=$(qa "SELECT COUNT(*) FROM attempts WHERE kind = 1")
audit_shared=$(qa "SELECT COUNT(*) FROM (SELECT client_order_id FROM attempts WHERE kind = 1
                   GROUP BY client_order_id HAVING COUNT(*) > 1)")
if [ -s "$counts" ]; then
    venue_resent=$(jq '[.[] | select(. > 1)] | length' "$counts")
    venue_orders=$(jq '[.[]] | add // 0' "$counts")
    if [ -f "$audit_db" ]; then
        qa "SELECT client_order_id FROM attempts WHERE kind IN (1, 5)" | sort -u > "$journal.audit-ids.tmp"
    else
        : > "$journal.audit-ids.tmp"
    fi
    venue_unaudited=$(jq -r 'keys[]' "$counts" | sort -u | comm -23 - "$journal.audit-ids.tmp" | wc -l)
    rm -f "$journal.audit-ids.tmp"
else
    venue_resent=0 venue_orders=null venue_unaudited=0
fi
live_resent=$(( venue_resent + audit_shared + venue_unaudited ))
live_off_plane=0
if [ -f "$audit_db" ]; then
    # Every submission names a journaled intent dispatched to the live plane,
    # and none of them was also realized on paper.
    qa "SELECT router_seq || '|' || strategy_id || '|' || intent_id FROM attempts WHERE kind = 1
        ORDER BY router_seq" > "$journal.audit-subs.tmp"
    q "SELECT router_seq || '|' || strategy_id || '|' || intent_id FROM intents
       WHERE dispatched = 1 AND plane = 2 ORDER BY router_seq" | sort > "$journal.live-intents.tmp"
    live_off_plane=$(sort "$journal.audit-subs.tmp" | comm -23 - "$journal.live-intents.tmp" | wc -l)
    q "SELECT DISTINCT router_seq FROM reports WHERE origin = 1 AND plane = 1" | sort > "$journal.paper-rs.tmp"
    both=$(cut -d'|' -f1 "$journal.audit-subs.tmp" | sort -u | comm -12 - "$journal.paper-rs.tmp" | wc -l)
    live_off_plane=$(( live_off_plane + both ))
    rm -f "$journal".*.tmp
fi
double_dispatch=$(( double_dispatch + key_mismatch + paper_off_plane + live_off_plane ))

# The plane. Applied SELECT/HALT/RESUME commands (kinds 1..3) are the only
# changes: their epochs strictly increase in the order they were journaled;
# every intent carries the epoch in force (0 before any) and the plane and
# halt that command left; its reports carry its plane; an intent rejected on
# the spot (dispatched 0, its one report at seq s) came after every command
# journaled before s (at_seq < s) and before every one journaled after it;
# a dispatched intent came after every command whose epoch it carries.
APPLIED="(SELECT id, at_seq, kind, plane, epoch FROM commands WHERE applied = 1 AND kind IN (1, 2, 3))"
epoch_order=$(q "SELECT COUNT(*) FROM $APPLIED a JOIN $APPLIED b ON b.id > a.id AND b.epoch <= a.epoch")
epoch_unapplied=$(q "SELECT COUNT(*) FROM intents i WHERE i.plane_epoch <> 0 AND NOT EXISTS
                     (SELECT 1 FROM $APPLIED a WHERE a.epoch = i.plane_epoch)")
plane_mismatch=$(q "SELECT COUNT(*) FROM intents i WHERE i.plane <> IFNULL((SELECT a.plane FROM $APPLIED a
                    WHERE a.kind = 1 AND a.epoch <= i.plane_epoch ORDER BY a.epoch DESC LIMIT 1), 1)")
halt_violations=$(q "SELECT COUNT(*) FROM intents i WHERE i.dispatched = 1
                     AND IFNULL((SELECT a.kind FROM $APPLIED a WHERE a.kind IN (2, 3)
                                 AND a.epoch <= i.plane_epoch ORDER BY a.epoch DESC LIMIT 1), 3) = 2
                     AND IFNULL(i.sender, '') NOT LIKE 'safety:%'")
epoch_backwards=$(qc "SELECT COUNT(*) FROM (SELECT plane_epoch e, LAG (plane_epoch) OVER (ORDER BY router_seq) p
                                             FROM $NOTROUTED) WHERE e < p")
report_plane=$(q "SELECT COUNT(*) FROM reports r JOIN intents i USING (router_seq) WHERE r.plane <> i.plane")
FIRST="(SELECT router_seq, MIN(seq) s FROM reports GROUP BY router_seq)"
order_rejected=$(qc "SELECT COUNT(*) FROM $NOTROUTED i JOIN $FIRST f USING (router_seq) WHERE i.dispatched = 0
                    AND EXISTS (SELECT 1 FROM $APPLIED a WHERE (a.at_seq < f.s AND a.epoch > i.plane_epoch)
                                                        OR (a.at_seq >= f.s AND a.epoch <= i.plane_epoch))")
order_dispatched=$(qc "SELECT COUNT(*) FROM $NOTROUTED i JOIN $FIRST f USING (router_seq) WHERE i.dispatched = 1
                      AND EXISTS (SELECT 1 FROM $APPLIED a WHERE a.at_seq >= f.s AND a.epoch <= i.plane_epoch)")
# A routed CANCEL or REPLACE carries the plane and epoch of its target.
change_plane=$(qc "SELECT COUNT(*) FROM ch c LEFT JOIN intents t ON t.router_seq = c.target_rs
                   WHERE c.router_seq IN (SELECT router_seq FROM routed)
                   AND (t.router_seq IS NULL OR c.plane <> t.plane OR c.plane_epoch <> t.plane_epoch)")
# What the meta layer did: every applied change is one the soak sent, and
# every command ep-meta saw applied is journaled as applied, as sent.
meta_unconfirmed=0 meta_foreign=0
if [ -n "$meta_log" ] && [ -f "$meta_log" ]; then
    declare -A kind_no=([select]=1 [halt]=2 [resume]=3) plane_no=([paper]=1 [live]=2 [-]=0)
    while read -r epoch kind plane rc; do
        [ "$rc" = 0 ] || continue
        want_plane=${plane_no[$plane]}
        if [ "$kind" = select ]; then cond="plane = $want_plane"; else cond=1; fi
        [ "$(q "SELECT COUNT(*) FROM commands WHERE applied = 1 AND epoch = $epoch
                AND kind = ${kind_no[$kind]} AND $cond")" = 1 ] || meta_unconfirmed=$((meta_unconfirmed + 1))
    done < "$meta_log"
    sent=$(awk '{ printf "%s%s", (NR > 1 ? "," : ""), $1 }' "$meta_log")
    meta_foreign=$(q "SELECT COUNT(*) FROM $APPLIED a WHERE a.epoch NOT IN (${sent:-0})")
fi
plane_changes_unjournaled=$(( epoch_order + epoch_unapplied + plane_mismatch + halt_violations
    + epoch_backwards + report_plane + order_rejected + order_dispatched + meta_unconfirmed + meta_foreign
    + change_plane ))

# What a monitor saw: ep-tap --from-seq 1 is the journal, report for report.
tap_mismatch=0 tap_reports=null duplicate_fills=0 fill_sum_mismatch=0 fill_sum_reconciled=0
if [ -n "$tap" ]; then
    tap_reports=$(jq -s 'length' "$tap")
    # (--tap-count: the reports ep-tap was asked for, all there were then)
    [ -z "$tap_count" ] || [ "$tap_reports" = "$tap_count" ] || tap_mismatch=$((tap_mismatch + 1))
    # seq, router_seq, terminal, plane, epoch of each report, as the tap printed them...
    jq -r '[.seq, .router_seq, (if .terminal then 1 else 0 end),
            (if .plane == "PAPER" then 1 elif .plane == "LIVE" then 2 else 0 end),
            (.plane_epoch // 0)] | join("|")' "$tap" > "$tap.rows.tmp"
    # ...and as the journal has them (its first tap_reports reports).
    q "SELECT r.seq || '|' || r.router_seq || '|' || r.terminal || '|' || r.plane || '|' || i.plane_epoch
       FROM reports r JOIN intents i USING (router_seq) WHERE r.seq <= $tap_reports ORDER BY r.seq" \
        > "$tap.journal.tmp"
    expected=$(seq 1 "$tap_reports" | paste -sd' ')
    [ "$(cut -d'|' -f1 "$tap.rows.tmp" | paste -sd' ')" = "$expected" ] || tap_mismatch=$((tap_mismatch + 1))
    tap_mismatch=$(( tap_mismatch + $(diff "$tap.rows.tmp" "$tap.journal.tmp" | grep -c '^>' || true) ))
    rm -f "$tap.rows.tmp" "$tap.journal.tmp"
    # Fills: exact decimals as integers e8; a report with fills is the plane's,
    # and its filled_qty is the intent's cumulative fill.
    # (the mismatches on reports marked reconciled are also counted apart)
    read -r duplicate_fills fill_sum_mismatch fill_sum_reconciled < <(jq -s -r '
        def e8: tostring | split(".") as $p
            | ($p[0] | tonumber) * 100000000 + ((($p[1] // "") + "00000000")[0:8] | tonumber);
        group_by(.router_seq) | map(sort_by(.seq)
            | ([.[].fills[]?.fill_id] | (length - (unique | length))) as $dup
            | (reduce .[] as $r ({sum: 0, bad: 0, rec: 0};
                  .sum += ([$r.fills[]?.qty | e8] | add // 0)
                  | if ($r.fills | length) > 0 and ($r.filled_qty | e8) != .sum
                    then .bad += 1 | .rec += (if $r.reconciled then 1 else 0 end) else . end)) as $acc
            | [$dup, $acc.bad, $acc.rec])
        | "\(map(.[0]) | add // 0) \(map(.[1]) | add // 0) \(map(.[2]) | add // 0)"' "$tap")
fi

# --- cancels and replaces -------------------------------------------------
# A CANCEL took effect when it ended CANCELED / FAILURE_NONE; a REPLACE when
# a CANCELED report of its target names it ("replaced by intent R"). NAMES
# ID: a report's reason names the intent ID ("... by intent ID", then the end,
# ":" or " ").
names () { echo "(r.reason LIKE '%$1 ' || $2 OR r.reason LIKE '%$1 ' || $2 || ':%' OR r.reason LIKE '%$1 ' || $2 || ' %')"; }
qc "CREATE TABLE eff AS
        SELECT router_seq, strategy_id, intent_id, action, plane, target_rs FROM ch
        WHERE action = 1 AND tstatus = 4 AND tfailure = 0
    UNION ALL
        SELECT c.router_seq, c.strategy_id, c.intent_id, c.action, c.plane, c.target_rs FROM ch c
        WHERE c.action = 2 AND EXISTS (SELECT 1 FROM cr r WHERE r.router_seq = c.target_rs
                                       AND r.status = 4 AND $(names 'replaced by intent' c.intent_id))"
# (a) each CANCEL and REPLACE ends exactly once (and, as every intent, at most once: multi_terminal)
change_terminal=$(qc "SELECT COUNT(*) FROM ch WHERE nterminal <> 1")
# (b) a target a change took effect on ends CANCELED exactly once
target_not_canceled=$(qc "SELECT COUNT(*) FROM eff e WHERE e.target_rs IS NULL
                          OR (SELECT COUNT(*) FROM cr r WHERE r.router_seq = e.target_rs AND r.status = 4) <> 1")
#     no intent ends CANCELED twice, nor both FILLED and CANCELED
canceled_twice=$(qc "SELECT COUNT(*) FROM (SELECT router_seq FROM cr WHERE status = 4
                     GROUP BY router_seq HAVING COUNT(*) > 1)")
filled_and_canceled=$(qc "SELECT COUNT(*) FROM (SELECT router_seq FROM cr WHERE status IN (3, 4)
                          GROUP BY router_seq HAVING COUNT(DISTINCT status) = 2)")
#     no target is taken by two changes
taken_twice=$(qc "SELECT COUNT(*) FROM (SELECT target_rs FROM eff GROUP BY target_rs HAVING COUNT(*) > 1)")
#     a change REJECTED (INVALID_INTENT, PLANE_HALTED, PLANE_UNAVAILABLE,
#     UNAUTHORIZED, TOO_LATE) ended nothing: no CANCELED report names it.
#     (Not so one that ended FAILED or UNKNOWN: the router's deadline passed
#     while the plane held it, and the plane may have acted; late reports say.)
refused_took_effect=$(qc "SELECT COUNT(*) FROM ch c WHERE c.tstatus = 6 AND c.tfailure IN (1, 3, 4, 5, 14)
                          AND c.router_seq = (SELECT k.router_seq FROM j.intent_keys k
                                              WHERE k.strategy_id = c.strategy_id AND k.intent_id = c.intent_id)
                          AND EXISTS (SELECT 1 FROM cr r WHERE r.router_seq = c.target_rs AND r.status = 4
                                      AND ($(names 'canceled by intent' c.intent_id)
                                           OR $(names 'replaced by intent' c.intent_id)))")
# (c) the venue never saw a cancel twice: its cancel, cancel-replace and
# amend requests per client order id of the order they cancel (venue, from
# /fakex/counts?kind=cancel), and the audit's cancel and replace attempts per
# that id (audit), are 1. One exception, which the contract allows and which
# is counted apart (repeated): another CANCEL or REPLACE of the same order,
# an intent of its own under its own id, each written down once, and none
# sent after the plane learned that an earlier one had closed the order
# (CANCELED or TOO_LATE for a cancel; placed or TOO_LATE for a replace): sent
# while the earlier one was unanswered (within 2 s of its answer, for the
# plane to take it in), or after it left the order open (refused, or its
# answer unknown). A request the venue saw more often than the audit wrote
# one, or one sent to an order known closed, is a cancel seen twice.
CLOSED="((c.kind = 3 AND (c.status = 4 OR c.failure = 14))
         OR (c.kind = 5 AND (c.status IN (1, 2, 3) OR c.failure = 14)))"
REPEAT_OK="(NOT EXISTS (SELECT 1 FROM ca c JOIN ca d ON d.target_cid = c.target_cid AND d.id > c.id
                        WHERE c.target_cid = @T@ AND $CLOSED
                        AND d.created_us > IFNULL(c.finished_us, 0) + 2000000))"
venue_cancel_requests=null venue_cancel_orders=null venue_cancel_twice=0 venue_cancel_max=null venue_cancel_repeated=null
if [ -n "$venue_cancels" ]; then
    read -r venue_cancel_requests venue_cancel_orders venue_cancel_max venue_cancel_repeated < <(qc \
        "SELECT IFNULL(SUM(n), 0), COUNT(*), IFNULL(MAX(n), 0), IFNULL(SUM(n > 1), 0) FROM cv" | tr '|' ' ')
    venue_cancel_twice=$(qc "SELECT COUNT(*) FROM cv v WHERE v.n > 1 AND NOT (
                             v.n <= (SELECT COUNT(*) FROM ca a WHERE a.target_cid = v.client_order_id)
                             AND ${REPEAT_OK//@T@/v.client_order_id})")
fi
audit_cancel_attempts=$(qc "SELECT COUNT(*) FROM ca")
audit_cancel_repeated=$(qc "SELECT COUNT(*) FROM (SELECT target_cid FROM ca GROUP BY target_cid HAVING COUNT(*) > 1)")
audit_cancel_twice=$(qc "SELECT COUNT(*) FROM (SELECT target_cid t FROM ca GROUP BY target_cid HAVING COUNT(*) > 1)
                         WHERE NOT ${REPEAT_OK//@T@/t}")
#     a change is attempted once; the venue saw no request the audit did not write
change_attempted_twice=$(qc "SELECT COUNT(*) FROM (SELECT 1 FROM ca GROUP BY strategy_id, intent_id HAVING COUNT(*) > 1)")
cancel_unaudited=$(qc "SELECT COUNT(*) FROM cv v WHERE v.n > (SELECT COUNT(*) FROM ca a WHERE a.target_cid = v.client_order_id)")
#     a change that took effect on the live plane was written down and reached the venue
live_effective_unseen=0
if [ -n "$venue_cancels" ]; then
    live_effective_unseen=$(qc "SELECT COUNT(*) FROM eff e WHERE e.plane = 2 AND NOT EXISTS
                                (SELECT 1 FROM ca a JOIN cv v ON v.client_order_id = a.target_cid
                                 WHERE a.strategy_id = e.strategy_id AND a.intent_id = e.intent_id)")
fi
# (d) what was exercised: changes sent (journaled), their outcomes, and how
# many took effect on each plane; sent but none took effect fails.
read -r cancels_sent replaces_sent < <(qc "SELECT IFNULL(SUM(action = 1), 0), IFNULL(SUM(action = 2), 0) FROM ch" | tr '|' ' ')
read -r effective_paper effective_live canceled_by_cancel replaced < <(qc \
    "SELECT IFNULL(SUM(plane = 1), 0), IFNULL(SUM(plane = 2), 0), IFNULL(SUM(action = 1), 0),
            IFNULL(SUM(action = 2), 0) FROM eff" | tr '|' ' ')
outcomes () {
    qc "SELECT json_group_object(k, n) FROM (SELECT
            (CASE tstatus WHEN 1 THEN 'ACCEPTED' WHEN 2 THEN 'PARTIALLY_FILLED' WHEN 3 THEN 'FILLED'
             WHEN 4 THEN 'CANCELED' WHEN 5 THEN 'EXPIRED' WHEN 6 THEN 'REJECTED' WHEN 7 THEN 'FAILED'
             WHEN 8 THEN 'UNKNOWN' ELSE 'NONE' END) || '/' ||
            (CASE tfailure WHEN 0 THEN 'FAILURE_NONE' WHEN 1 THEN 'INVALID_INTENT' WHEN 2 THEN 'DUPLICATE_INTENT'
             WHEN 3 THEN 'PLANE_HALTED' WHEN 4 THEN 'PLANE_UNAVAILABLE' WHEN 5 THEN 'UNAUTHORIZED'
             WHEN 6 THEN 'VENUE_REJECTED' WHEN 7 THEN 'INSUFFICIENT_FUNDS' WHEN 8 THEN 'RATE_LIMITED'
             WHEN 9 THEN 'VENUE_AUTH_FAILED' WHEN 10 THEN 'NOT_SENT' WHEN 11 THEN 'SEND_UNKNOWN'
             WHEN 12 THEN 'VENUE_UNAVAILABLE' WHEN 13 THEN 'INTERNAL' WHEN 14 THEN 'TOO_LATE'
             ELSE IFNULL(tfailure, 'NONE') END) AS k, COUNT(*) n
         FROM ch WHERE action = $1 GROUP BY k ORDER BY n DESC)"
}
cancel_outcomes=$(outcomes 1)
replace_outcomes=$(outcomes 2)
changes_unexercised=0
[ $(( cancels_sent + replaces_sent + stream_changes )) = 0 ] || [ $(( effective_paper + effective_live )) -gt 0 ] \
    || changes_unexercised=1
change_violations=$(( change_terminal + target_not_canceled + canceled_twice + filled_and_canceled + taken_twice
    + refused_took_effect + venue_cancel_twice + audit_cancel_twice + change_attempted_twice + cancel_unaudited
    + live_effective_unseen + changes_unexercised ))

# Paper determinism: the journal's paper reports are what a replay makes.
replay_identical=false
replay_out=$("$replay" --journal "$replay_journal" --config "$config" --verify 2>&1 >/dev/null) && replay_identical=true
echo "soak_check: $replay_out" >&2

# For the record.
applied_changes=$(q "SELECT COUNT(*) FROM $APPLIED a")
late=$(q "SELECT COUNT(*) FROM reports WHERE late = 1")
unknown=$(q "SELECT COUNT(*) FROM reports WHERE terminal = 1 AND status = 8")
on_paper=$(q "SELECT COUNT(*) FROM intents WHERE dispatched = 1 AND plane = 1")
on_live=$(q "SELECT COUNT(*) FROM intents WHERE dispatched = 1 AND plane = 2")
restarts=$(q "SELECT COUNT(*) FROM events WHERE kind = 'start'")

ok=false
if [ "$intents" -gt 0 ] && [ $missing_terminal = 0 ] && [ $orphan_reports = 0 ] \
   && [ $duplicate_reports = 0 ] && [ $seq_gaps = 0 ] && [ $router_seq_gaps = 0 ] \
   && [ $live_resent = 0 ] && [ $double_dispatch = 0 ] && [ $plane_changes_unjournaled = 0 ] \
   && [ $replay_identical = true ] && [ "$crashes" = 0 ] && [ "$term_failures" = 0 ] \
   && [ "$sender_failures" = 0 ] && [ $tap_mismatch = 0 ] && [ $duplicate_fills = 0 ] \
   && [ $fill_sum_mismatch = 0 ] && [ $change_violations = 0 ] && [ "$takeover_failures" = 0 ]; then
    ok=true
fi
jq -n -c \
    --argjson ok $ok --argjson seed "$seed" --argjson kills "$kills" \
    --argjson intents "$intents" --argjson terminal "$terminal" --argjson missing_terminal "$missing_terminal" \
    --argjson duplicate_reports "$duplicate_reports" --argjson seq_gaps "$seq_gaps" \
    --argjson live_resent "$live_resent" --argjson plane_changes_unjournaled "$plane_changes_unjournaled" \
    --argjson replay_identical "$replay_identical" --argjson double_dispatch "$double_dispatch" \
    --argjson takeovers "$takeovers" --argjson takeover_failures "$takeover_failures" \
    --argjson crashes "$crashes" --argjson term_failures "$term_failures" --argjson sender_failures "$sender_failures" \
    --argjson reports "$reports" --argjson late "$late" --argjson unknown "$unknown" \
    --argjson on_paper "$on_paper" --argjson on_live "$on_live" --argjson live_submissions "$live_submissions" \
    --argjson venue_orders "$venue_orders" --argjson restarts "$restarts" --argjson applied_changes "$applied_changes" \
    --argjson missing_sample "$missing_sample" \
    --argjson tap_mismatch "$tap_mismatch" --argjson tap_reports "$tap_reports" \
    --argjson duplicate_fills "$duplicate_fills" --argjson fill_sum_mismatch "$fill_sum_mismatch" \
    --argjson fill_sum_reconciled "$fill_sum_reconciled" \
    --argjson change_violations "$change_violations" \
    --argjson changes "{\"stream_changes\":$stream_changes,\"cancels_sent\":$cancels_sent,\"replaces_sent\":$replaces_sent,\"took_effect_paper\":$effective_paper,\"took_effect_live\":$effective_live,\"canceled_by_cancel\":$canceled_by_cancel,\"replaced\":$replaced,\"cancel_outcomes\":$cancel_outcomes,\"replace_outcomes\":$replace_outcomes,\"venue_cancel_requests\":$venue_cancel_requests,\"venue_cancel_orders\":$venue_cancel_orders,\"venue_cancel_max\":$venue_cancel_max,\"venue_cancel_repeated\":$venue_cancel_repeated,\"audit_cancel_attempts\":$audit_cancel_attempts,\"audit_cancel_repeated\":$audit_cancel_repeated}" \
    --argjson change_detail "{\"change_terminal_not_one\":$change_terminal,\"target_not_canceled_once\":$target_not_canceled,\"canceled_twice\":$canceled_twice,\"filled_and_canceled\":$filled_and_canceled,\"target_taken_twice\":$taken_twice,\"refused_took_effect\":$refused_took_effect,\"venue_cancel_twice\":$venue_cancel_twice,\"audit_cancel_twice\":$audit_cancel_twice,\"change_attempted_twice\":$change_attempted_twice,\"venue_cancel_unaudited\":$cancel_unaudited,\"live_effective_unseen\":$live_effective_unseen,\"unexercised\":$changes_unexercised}" \
    --argjson dup "{\"multi_terminal\":$multi_terminal,\"not_late_after_terminal\":$after_terminal,\"same_plane_report\":$same_plane_report,\"same_payload\":$same_payload,\"orphan_reports\":$orphan_reports,\"router_seq_gaps\":$router_seq_gaps}" \
    --argjson live "{\"venue_resent\":$venue_resent,\"audit_shared_id\":$audit_shared,\"venue_unaudited\":$venue_unaudited,\"off_plane\":$live_off_plane,\"paper_off_plane\":$paper_off_plane,\"key_mismatch\":$key_mismatch}" \
    --argjson plane "{\"epoch_order\":$epoch_order,\"epoch_unapplied\":$epoch_unapplied,\"plane_mismatch\":$plane_mismatch,\"halt_violations\":$halt_violations,\"epoch_backwards\":$epoch_backwards,\"report_plane\":$report_plane,\"order_rejected\":$order_rejected,\"order_dispatched\":$order_dispatched,\"meta_unconfirmed\":$meta_unconfirmed,\"meta_foreign\":$meta_foreign,\"change_plane\":$change_plane}" \
    '{ok: $ok, seed: $seed, kills: $kills, intents: $intents, terminal: $terminal,
      missing_terminal: $missing_terminal, missing_sample: $missing_sample, duplicate_reports: $duplicate_reports, seq_gaps: $seq_gaps,
      live_resent: $live_resent, plane_changes_unjournaled: $plane_changes_unjournaled,
      replay_identical: $replay_identical, double_dispatch: $double_dispatch,
      tap_mismatch: $tap_mismatch, duplicate_fills: $duplicate_fills, fill_sum_mismatch: $fill_sum_mismatch,
      fill_sum_mismatch_reconciled: $fill_sum_reconciled,
      change_violations: $change_violations,
      crashes: $crashes, term_failures: $term_failures, sender_failures: $sender_failures,
      takeovers: $takeovers, takeover_failures: $takeover_failures,
      reports: $reports, late_reports: $late, unknown: $unknown, on_paper: $on_paper, on_live: $on_live,
      tap_reports: $tap_reports, live_submissions: $live_submissions, venue_orders: $venue_orders, router_starts: $restarts,
      applied_plane_commands: $applied_changes,
      changes: $changes, change_detail: $change_detail,
      duplicate_detail: $dup, live_detail: $live, plane_detail: $plane}'
[ $ok = true ]
