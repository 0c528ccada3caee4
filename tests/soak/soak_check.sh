#!/usr/bin/env bash
# The soak's independent checker: reads the router's journal and the live
# audit with the sqlite3 CLI (read only), the fake venue's /fakex/counts JSON
# with jq, and runs ep-replay --verify; knows nothing of the router's code
# beyond the journal and audit schemas. Prints one JSON object and exits 0
# iff every invariant holds:
#
#   missing_terminal    journaled intents without a terminal report
#   duplicate_reports   intents with more than one terminal report, reports
#                       after the terminal one not marked late, and report
#                       rows that repeat another byte for byte (the same
#                       plane report twice, or the same published payload)
#   seq_gaps            seq values missing in 1..max (and router_seq gaps)
#   live_resent         client order ids the venue received more than once,
#                       submissions sharing a client order id in the audit,
#                       order requests the venue saw that the audit never wrote
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
#
#   soak_check.sh JOURNAL AUDIT FAKEX_COUNTS_JSON REPLAY_BIN CONFIG
#                 [--seed S] [--kills N] [--meta-log FILE] [--crashes N]
#                 [--term-failures N] [--sender-failures N] [--tap FILE --tap-count N]
#
# --meta-log: lines "EPOCH KIND PLANE RC" of the plane commands sent (RC 0:
# ep-meta saw it applied). --crashes, --term-failures, --sender-failures: the
# soak's own counts of daemons that died by themselves, exited non-zero after
# SIGTERM, and ep-send runs that failed; each must be 0.
set -euo pipefail

usage () {
    echo "usage: soak_check.sh JOURNAL AUDIT FAKEX_COUNTS_JSON REPLAY_BIN CONFIG [--seed S] [--kills N] [--meta-log FILE] [--crashes N] [--term-failures N] [--sender-failures N] [--tap FILE --tap-count N]" >&2
    exit 2
}
[ $# -ge 5 ] || usage
journal=$1 audit_db=$2 counts=$3 replay=$4 config=$5
shift 5
seed=null kills=0 meta_log= crashes=0 term_failures=0 sender_failures=0 tap= tap_count=
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
        *) usage ;;
    esac
    shift 2
done
[ -f "$journal" ] || { echo "soak_check: no journal $journal" >&2; exit 1; }

# q SQL: one number (or row) from the journal, read only.
q () { sqlite3 -readonly -batch -noheader "$journal" "$1"; }
# qa SQL: the same from the audit (0 when there is no audit).
qa () {
    if [ -f "$audit_db" ]; then sqlite3 -readonly -batch -noheader "$audit_db" "$1"; else echo 0; fi
}

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
        qa "SELECT client_order_id FROM attempts WHERE kind = 1" | sort -u > "$journal.audit-ids.tmp"
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
epoch_backwards=$(q "SELECT COUNT(*) FROM intents i JOIN intents p ON p.router_seq = i.router_seq - 1
                     WHERE i.plane_epoch < p.plane_epoch")
report_plane=$(q "SELECT COUNT(*) FROM reports r JOIN intents i USING (router_seq) WHERE r.plane <> i.plane")
FIRST="(SELECT router_seq, MIN(seq) s FROM reports GROUP BY router_seq)"
order_rejected=$(q "SELECT COUNT(*) FROM intents i JOIN $FIRST f USING (router_seq) WHERE i.dispatched = 0
                    AND EXISTS (SELECT 1 FROM $APPLIED a WHERE (a.at_seq < f.s AND a.epoch > i.plane_epoch)
                                                        OR (a.at_seq >= f.s AND a.epoch <= i.plane_epoch))")
order_dispatched=$(q "SELECT COUNT(*) FROM intents i JOIN $FIRST f USING (router_seq) WHERE i.dispatched = 1
                      AND EXISTS (SELECT 1 FROM $APPLIED a WHERE a.at_seq >= f.s AND a.epoch <= i.plane_epoch)")
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
    + epoch_backwards + report_plane + order_rejected + order_dispatched + meta_unconfirmed + meta_foreign ))

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

# Paper determinism: the journal's paper reports are what a replay makes.
replay_identical=false
replay_out=$("$replay" --journal "$journal" --config "$config" --verify 2>&1 >/dev/null) && replay_identical=true
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
   && [ $fill_sum_mismatch = 0 ]; then
    ok=true
fi
jq -n -c \
    --argjson ok $ok --argjson seed "$seed" --argjson kills "$kills" \
    --argjson intents "$intents" --argjson terminal "$terminal" --argjson missing_terminal "$missing_terminal" \
    --argjson duplicate_reports "$duplicate_reports" --argjson seq_gaps "$seq_gaps" \
    --argjson live_resent "$live_resent" --argjson plane_changes_unjournaled "$plane_changes_unjournaled" \
    --argjson replay_identical "$replay_identical" --argjson double_dispatch "$double_dispatch" \
    --argjson crashes "$crashes" --argjson term_failures "$term_failures" --argjson sender_failures "$sender_failures" \
    --argjson reports "$reports" --argjson late "$late" --argjson unknown "$unknown" \
    --argjson on_paper "$on_paper" --argjson on_live "$on_live" --argjson live_submissions "$live_submissions" \
    --argjson venue_orders "$venue_orders" --argjson restarts "$restarts" --argjson applied_changes "$applied_changes" \
    --argjson missing_sample "$missing_sample" \
    --argjson tap_mismatch "$tap_mismatch" --argjson tap_reports "$tap_reports" \
    --argjson duplicate_fills "$duplicate_fills" --argjson fill_sum_mismatch "$fill_sum_mismatch" \
    --argjson fill_sum_reconciled "$fill_sum_reconciled" \
    --argjson dup "{\"multi_terminal\":$multi_terminal,\"not_late_after_terminal\":$after_terminal,\"same_plane_report\":$same_plane_report,\"same_payload\":$same_payload,\"orphan_reports\":$orphan_reports,\"router_seq_gaps\":$router_seq_gaps}" \
    --argjson live "{\"venue_resent\":$venue_resent,\"audit_shared_id\":$audit_shared,\"venue_unaudited\":$venue_unaudited,\"off_plane\":$live_off_plane,\"paper_off_plane\":$paper_off_plane,\"key_mismatch\":$key_mismatch}" \
    --argjson plane "{\"epoch_order\":$epoch_order,\"epoch_unapplied\":$epoch_unapplied,\"plane_mismatch\":$plane_mismatch,\"halt_violations\":$halt_violations,\"epoch_backwards\":$epoch_backwards,\"report_plane\":$report_plane,\"order_rejected\":$order_rejected,\"order_dispatched\":$order_dispatched,\"meta_unconfirmed\":$meta_unconfirmed,\"meta_foreign\":$meta_foreign}" \
    '{ok: $ok, seed: $seed, kills: $kills, intents: $intents, terminal: $terminal,
      missing_terminal: $missing_terminal, missing_sample: $missing_sample, duplicate_reports: $duplicate_reports, seq_gaps: $seq_gaps,
      live_resent: $live_resent, plane_changes_unjournaled: $plane_changes_unjournaled,
      replay_identical: $replay_identical, double_dispatch: $double_dispatch,
      tap_mismatch: $tap_mismatch, duplicate_fills: $duplicate_fills, fill_sum_mismatch: $fill_sum_mismatch,
      fill_sum_mismatch_reconciled: $fill_sum_reconciled,
      crashes: $crashes, term_failures: $term_failures, sender_failures: $sender_failures,
      reports: $reports, late_reports: $late, unknown: $unknown, on_paper: $on_paper, on_live: $on_live,
      tap_reports: $tap_reports, live_submissions: $live_submissions, venue_orders: $venue_orders, router_starts: $restarts,
      applied_plane_commands: $applied_changes,
      duplicate_detail: $dup, live_detail: $live, plane_detail: $plane}'
[ $ok = true ]
