/*  ep_shadow: the live plane against the paper plane, on the journal's
    live intents: reading the journal, running the paper plane, comparing,
    aggregating and the text table. The HTML page is ep_shadow_html.c, the
    CSV and JSON exports ep_shadow_export.c; what they share with this file
    is ep_shadow_internal.h.  */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ep_decimal.h"
#include "ep_names.h"
#include "ep_shadow_internal.h"
#include "ep_targets.h"
#include "ep_wire.h"

const char *ep_shadow_class_names [EP_SHADOW_CLASSES] = {
    "filled", "partial", "not filled", "unknown", "open"
};

static void
s_amounts_add (ep_shadow_amounts_t *self, const char *asset, int64_t amount_e8)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->asset [i], asset) == 0) {
            self->amount_e8 [i] += amount_e8;
            return;
        }
    if (self->count == EP_SHADOW_ASSETS) {
        self->more = true;
        return;
    }
    snprintf (self->asset [self->count], EP_SHADOW_ASSET_MAX, "%s", asset);
    self->amount_e8 [self->count++] = amount_e8;
}

//  "0.1001 USDT", several joined by sep; "0" for none.
const char *
ep_shadow_amounts_format (const ep_shadow_amounts_t *self, const char *sep, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (size_t i = 0; i < self->count && used < size; i++) {
        char amount [EP_DECIMAL_BUFSIZE];
        used += (size_t) snprintf (buf + used, size - used, "%s%s %s", i ? sep : "",
                                   ep_decimal_format (self->amount_e8 [i], amount),
                                   self->asset [i]);
    }
    if (self->more && used < size)
        snprintf (buf + used, size - used, "%s(more assets)", sep);
    if (!self->count)
        snprintf (buf, size, "0");
    return buf;
}

//  The quote assets a symbol may end with, longest first where one is the
//  end of another.
static const char *s_quotes [] = {
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", NULL
};

//  Splits symbol into base and quote by the longest known quote suffix;
//  both "" when none fits.
static void
s_split (const char *symbol, char *base, char *quote)
{
    size_t length = strlen (symbol), best = 0;
    base [0] = quote [0] = 0;
    for (int i = 0; s_quotes [i]; i++) {
        size_t q = strlen (s_quotes [i]);
        if (q < length && q > best && strcmp (symbol + length - q, s_quotes [i]) == 0)
            best = q;
    }
    if (best && length - best < EP_SHADOW_ASSET_MAX) {
        snprintf (quote, EP_SHADOW_ASSET_MAX, "%s", symbol + length - best);
        snprintf (base, EP_SHADOW_ASSET_MAX, "%.*s", (int) (length - best), symbol);
    }
}

//  The currency of a row's quote-currency difference.
const char *
ep_shadow_quote_label (const ep_shadow_row_t *row)
{
    return *row->quote ? row->quote : "(unknown quote)";
}

//  Wall-clock microseconds as UTC ISO 8601 ("" for 0).
const char *
ep_shadow_utc (int64_t us, bool with_date, char *buf, size_t size)
{
    if (us <= 0) {
        snprintf (buf, size, "%s", "");
        return buf;
    }
    time_t seconds = (time_t) (us / 1000000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char stamp [40];
    strftime (stamp, sizeof stamp, with_date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%06dZ", stamp, (int) (us % 1000000));
    return buf;
}

//  The price differences' histogram: bucket i holds [edge i-1, edge i).
static const double s_edges [EP_SHADOW_BUCKETS - 1] = { -50, -20, -10, -5, -1, 1, 5, 10, 20, 50 };
const char *ep_shadow_bucket_names [EP_SHADOW_BUCKETS] = {
    "< -50", "-50..-20", "-20..-10", "-10..-5", "-5..-1", "-1..1", "1..5", "5..10",
    "10..20", "20..50", ">= 50"
};

static int
s_bucket (double bps)
{
    int i = 0;
    while (i < EP_SHADOW_BUCKETS - 1 && bps >= s_edges [i])
        i++;
    return i;
}

ep_shadow_class_t
ep_shadow_class (const ep_shadow_side_t *side)
{
    if (!side->known)
        return EP_SHADOW_OPEN;
    if (side->status == EP_STATUS (FILLED))
        return EP_SHADOW_FILLED;
    if (side->status == EP_STATUS (UNKNOWN))
        return EP_SHADOW_UNKNOWN;
    if (side->filled_e8 > 0)
        return EP_SHADOW_PARTIAL;
    if (side->status == EP_STATUS (ACCEPTED) || side->status == EP_STATUS (PARTIALLY_FILLED))
        return EP_SHADOW_OPEN;                  //  resting, nothing filled yet
    return EP_SHADOW_NONE;
}

static void
s_side_set (ep_shadow_side_t *side, const ep_report_t *report)
{
    side->known = true;
    side->status = report->status;
    side->failure = report->failure;
    side->filled_e8 = report->filled_qty_e8;
    side->avg_e8 = report->avg_price_e8;
    snprintf (side->reason, sizeof side->reason, "%s", report->reason ? report->reason : "");
    snprintf (side->definition, sizeof side->definition, "%s",
              report->plane_definition ? report->plane_definition : "");
    side->reconciled = report->reconciled;
    side->journaled_us = report->journaled_us;
}

static ep_shadow_row_t *
s_find (ep_shadow_t *self, uint64_t router_seq)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->rows [mid].router_seq < router_seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->count && self->rows [lo].router_seq == router_seq ? &self->rows [lo] : NULL;
}

//  The paper book's reports: each updates its intent's paper outcome.
static void
s_on_paper (void *arg, const ep_report_t *report)
{
    ep_shadow_row_t *row = s_find (arg, report->router_seq);
    if (row)
        s_side_set (&row->paper, report);
}

static ep_shadow_row_t *
s_add (ep_shadow_t *self, uint64_t router_seq, const ep_intent_t *intent)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? 2 * self->capacity : 256;
        ep_shadow_row_t *rows = realloc (self->rows, capacity * sizeof *rows);
        if (!rows) {
            self->failed = true;
            return NULL;
        }
        self->rows = rows;
        self->capacity = capacity;
    }
    ep_shadow_row_t *row = &self->rows [self->count++];
    memset (row, 0, sizeof *row);
    row->router_seq = router_seq;
    snprintf (row->strategy_id, sizeof row->strategy_id, "%s", intent->strategy_id);
    snprintf (row->intent_id, sizeof row->intent_id, "%s", intent->intent_id);
    snprintf (row->symbol, sizeof row->symbol, "%s", intent->symbol);
    row->side = intent->side;
    row->type = intent->type;
    row->qty_e8 = intent->qty_e8;
    return row;
}

//  --------------------------------------------------------------------------
//  Aggregate

const char *ep_shadow_by_names [EP_SHADOW_BYS] = { "strategy", "symbol", "live plane definition" };

static const char *
s_key (const ep_shadow_row_t *row, ep_shadow_by_t by)
{
    return by == EP_SHADOW_BY_STRATEGY ? row->strategy_id
         : by == EP_SHADOW_BY_SYMBOL ? row->symbol : row->live.definition;
}

static void
s_group_add (ep_shadow_group_t *group, const ep_shadow_row_t *row);

//  Fills groups (at most EP_SHADOW_GROUPS; the rest are counted in *others).
size_t
ep_shadow_groups (const ep_shadow_t *self, ep_shadow_by_t by,
                  ep_shadow_group_t groups [EP_SHADOW_GROUPS], size_t *others)
{
    size_t count = 0;
    *others = 0;
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
        const char *key = s_key (row, by);
        ep_shadow_group_t *group = NULL;
        for (size_t g = 0; g < count && !group; g++)
            if (strcmp (groups [g].key, key) == 0)
                group = &groups [g];
        if (!group && count < EP_SHADOW_GROUPS) {
            group = &groups [count++];
            memset (group, 0, sizeof *group);
            snprintf (group->key, sizeof group->key, "%s", key);
        }
        if (!group) {
            (*others)++;
            continue;
        }
        s_group_add (group, row);
    }
    return count;
}

static void
s_group_add (ep_shadow_group_t *group, const ep_shadow_row_t *row)
{
    group->intents++;
    group->differ += ep_shadow_class (&row->live) != ep_shadow_class (&row->paper);
    if (row->priced) {
        group->priced++;
        group->cost_sum += row->cost_bps;
        group->weighted_sum += row->cost_bps * row->notional;
        group->notional_sum += row->notional;
        s_amounts_add (&group->quote_diff, ep_shadow_quote_label (row), row->quote_diff_e8);
    }
}

//  The notional-weighted mean of a group's price differences.
double
ep_shadow_weighted (const ep_shadow_group_t *group)
{
    return group->notional_sum > 0 ? group->weighted_sum / group->notional_sum
         : group->priced ? group->cost_sum / (double) group->priced : 0;
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_summarize (const ep_shadow_t *self, ep_shadow_summary_t *sum)
{
    memset (sum, 0, sizeof *sum);
    sum->intents = self->count;
    double *bps = malloc ((self->count ? self->count : 1) * sizeof *bps);
    double total = 0;
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
        ep_shadow_class_t live = ep_shadow_class (&row->live);
        ep_shadow_class_t paper = ep_shadow_class (&row->paper);
        sum->matrix [live][paper]++;
        sum->live_classes [live]++;
        sum->paper_classes [paper]++;
        if (live != paper)
            sum->differ++;
        int64_t diff = row->live.filled_e8 - row->paper.filled_e8;
        sum->qty_diff_e8 += diff;
        if (diff)
            sum->qty_differ++;
        s_group_add (&sum->all, row);
        for (size_t f = 0; f < row->live_fees.count; f++)
            s_amounts_add (&sum->live_fees, row->live_fees.asset [f], row->live_fees.amount_e8 [f]);
        sum->live_fees.more |= row->live_fees.more;
        sum->fees_unconverted += row->fees_unconverted;
        sum->reconciled += row->live.reconciled;
        if (row->priced) {
            if (bps)
                bps [sum->priced] = row->cost_bps;
            sum->priced++;
            total += row->cost_bps;
            sum->net_mean += row->net_bps;
            sum->net_weighted_sum += row->net_bps * row->notional;
            sum->buckets [s_bucket (row->cost_bps)]++;
            int64_t at = row->live.journaled_us;
            if (at > 0 && (!sum->first_us || at < sum->first_us))
                sum->first_us = at;
            if (at > sum->last_us)
                sum->last_us = at;
        }
    }
    if (sum->priced && bps) {
        qsort (bps, sum->priced, sizeof *bps, s_compare_double);
        sum->mean = total / (double) sum->priced;
        sum->net_mean /= (double) sum->priced;
        sum->min = bps [0];
        sum->max = bps [sum->priced - 1];
        sum->p50 = bps [(size_t) (0.50 * (double) (sum->priced - 1) + 0.5)];
        sum->p90 = bps [(size_t) (0.90 * (double) (sum->priced - 1) + 0.5)];
    }
    free (bps);
}

//  --------------------------------------------------------------------------
//  Text

const char *
ep_shadow_outcome (const ep_shadow_side_t *side, char *buf, size_t size)
{
    char qty [EP_DECIMAL_BUFSIZE], price [EP_DECIMAL_BUFSIZE];
    if (!side->known)
        snprintf (buf, size, "(no terminal report)");
    else
    if (side->filled_e8 > 0)
        snprintf (buf, size, "%s %s @ %s", ep_status_name (side->status),
                  ep_decimal_format (side->filled_e8, qty), ep_decimal_format (side->avg_e8, price));
    else
    if (side->failure)
        snprintf (buf, size, "%s %s", ep_status_name (side->status), ep_failure_name (side->failure));
    else
        snprintf (buf, size, "%s", ep_status_name (side->status));
    return buf;
}

//  A row's live fees as text: "0.1001 USDT", "(not converted)" after
//  them when some are in an asset other than the symbol's base or quote.
const char *
ep_shadow_fees_text (const ep_shadow_row_t *row, char *buf, size_t size)
{
    char amounts [256];
    snprintf (buf, size, "%s%s",
              ep_shadow_amounts_format (&row->live_fees, ", ", amounts, sizeof amounts),
              row->fees_unconverted ? " (not converted)" : "");
    return buf;
}

//  A group's quote-currency difference ("-" when nothing was priced).
const char *
ep_shadow_group_quote (const ep_shadow_group_t *group, char *buf, size_t size)
{
    if (!group->priced)
        snprintf (buf, size, "-");
    else
        ep_shadow_amounts_format (&group->quote_diff, ", ", buf, size);
    return buf;
}

static void
s_print_groups (const ep_shadow_t *self, ep_shadow_by_t by, FILE *out)
{
    ep_shadow_group_t groups [EP_SHADOW_GROUPS];
    size_t others, count = ep_shadow_groups (self, by, groups, &others);
    fprintf (out, "  by %s:\n", ep_shadow_by_names [by]);
    for (size_t g = 0; g < count; g++) {
        const char *key = *groups [g].key ? groups [g].key : "(none)";
        if (by == EP_SHADOW_BY_DEFINITION)
            fprintf (out, "    %-12.12s", key);
        else
            fprintf (out, "    %-12s", key);
        fprintf (out, " intents %zu, outcome classes differ %zu, filled on both %zu",
                 groups [g].intents, groups [g].differ, groups [g].priced);
        if (groups [g].priced) {
            char quote [256];
            fprintf (out, ", price diff mean %+.2f bps, notional-weighted %+.2f bps, "
                     "quote diff %s", groups [g].cost_sum / (double) groups [g].priced,
                     ep_shadow_weighted (&groups [g]),
                     ep_shadow_group_quote (&groups [g], quote, sizeof quote));
        }
        fprintf (out, "\n");
    }
    if (others)
        fprintf (out, "    %zu intent(s) under other %s values\n", others, ep_shadow_by_names [by]);
}

static void
s_print_text (const ep_shadow_t *self, const ep_shadow_summary_t *sum,
              const ep_paper_config_t *paper, FILE *out)
{
    char qty [EP_DECIMAL_BUFSIZE], cap [EP_DECIMAL_BUFSIZE];
    fprintf (out, "shadow: %zu live intent(s) run through the paper plane (slippage_bps %lld, "
             "liquidity_cap %s)\n\n", sum->intents, (long long) paper->slippage_bps,
             ep_decimal_format (paper->liquidity_cap_e8, cap));
    fprintf (out, "%-10s %-28s %-4s %-12s %-34s %-34s %-26s %-12s %-16s %-8s %s\n", "router_seq",
             "intent", "side", "qty", "live", "paper", "live fees (paper: 0)", "qty diff",
             "quote diff", "net bps", "price diff bps (+: live worse)");
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
        char id [2 * EP_ID_MAX + 2], live [96], paper_text [96], diff [EP_DECIMAL_BUFSIZE];
        char bps [32] = "-", net [32] = "-";
        char quote [EP_DECIMAL_BUFSIZE + EP_SHADOW_ASSET_MAX + 2] = "-";
        char fees [300];
        snprintf (id, sizeof id, "%s/%s", row->strategy_id, row->intent_id);
        if (row->priced) {
            char amount [EP_DECIMAL_BUFSIZE];
            snprintf (bps, sizeof bps, "%+.2f", row->cost_bps);
            snprintf (net, sizeof net, "%+.2f", row->net_bps);
            snprintf (quote, sizeof quote, "%s %s", ep_decimal_format (row->quote_diff_e8, amount),
                      ep_shadow_quote_label (row));
        }
        fprintf (out, "%-10llu %-28s %-4s %-12s %-34s %-34s %-26s %-12s %-16s %-8s %s%s%s\n",
                 (unsigned long long) row->router_seq, id,
                 ep_side_name (row->side) ? ep_side_name (row->side) : "?",
                 ep_decimal_format (row->qty_e8, qty),
                 ep_shadow_outcome (&row->live, live, sizeof live),
                 ep_shadow_outcome (&row->paper, paper_text, sizeof paper_text),
                 ep_shadow_fees_text (row, fees, sizeof fees),
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff), quote, net,
                 bps, ep_shadow_class (&row->live) != ep_shadow_class (&row->paper)
                      ? "   (outcome differs)" : "",
                 row->live.reconciled ? "   (live outcome reconciled)" : "");
    }
    fprintf (out, "\naggregate\n");
    fprintf (out, "  intents                      %zu\n", sum->intents);
    fprintf (out, "  outcome classes differ       %zu\n", sum->differ);
    fprintf (out, "  filled on both planes        %zu\n", sum->priced);
    fprintf (out, "  live outcomes reconciled     %zu\n", sum->reconciled);
    if (sum->priced) {
        char quote [256];
        fprintf (out, "  price diff bps               mean %+.2f, p50 %+.2f, p90 %+.2f, "
                 "min %+.2f, max %+.2f\n", sum->mean, sum->p50, sum->p90, sum->min, sum->max);
        fprintf (out, "  price diff bps, weighted     %+.2f (by notional: filled on both x paper "
                 "price)\n", ep_shadow_weighted (&sum->all));
        fprintf (out, "  net of live fees, bps        mean %+.2f, notional-weighted %+.2f\n",
                 sum->net_mean, sum->all.notional_sum > 0
                 ? sum->net_weighted_sum / sum->all.notional_sum : sum->net_mean);
        fprintf (out, "  price diff, quote currency   %s (+: money live lost)\n",
                 ep_shadow_group_quote (&sum->all, quote, sizeof quote));
    }
    char fees [256];
    fprintf (out, "  live fees                    %s; paper fees 0\n",
             ep_shadow_amounts_format (&sum->live_fees, ", ", fees, sizeof fees));
    if (sum->fees_unconverted)
        fprintf (out, "  fees not converted           %zu intent(s) paid a fee in an asset other "
                 "than their symbol's base or quote: not in their net bps\n",
                 sum->fees_unconverted);
    fprintf (out, "  filled qty, live - paper     %s over %zu intent(s) that differ\n",
             ep_decimal_format (sum->qty_diff_e8, qty), sum->qty_differ);
    fprintf (out, "  outcome classes (live -> paper):\n");
    for (int l = 0; l < EP_SHADOW_CLASSES; l++)
        for (int p = 0; p < EP_SHADOW_CLASSES; p++)
            if (sum->matrix [l][p])
                fprintf (out, "    %-10s -> %-10s %zu%s\n", ep_shadow_class_names [l],
                         ep_shadow_class_names [p], sum->matrix [l][p], l != p ? "   differs" : "");
    if (sum->priced) {
        fprintf (out, "  price diff distribution (bps):\n");
        for (int b = 0; b < EP_SHADOW_BUCKETS; b++)
            if (sum->buckets [b])
                fprintf (out, "    %-10s %zu\n", ep_shadow_bucket_names [b], sum->buckets [b]);
    }
    s_print_groups (self, EP_SHADOW_BY_DEFINITION, out);
    s_print_groups (self, EP_SHADOW_BY_STRATEGY, out);
    s_print_groups (self, EP_SHADOW_BY_SYMBOL, out);
}

//  --------------------------------------------------------------------------

//  A row's live fills (of every published report on it): their fees per
//  asset, and those convertible to the quote asset, in it.
static void
s_add_fees (ep_shadow_row_t *row, const ep_report_t *report)
{
    for (size_t f = 0; f < report->n_fills; f++) {
        const ep_fill_t *fill = report->fills [f];
        if (!fill->fee_e8 && !(fill->fee_asset && *fill->fee_asset))
            continue;
        const char *asset = fill->fee_asset && *fill->fee_asset ? fill->fee_asset : "(unknown)";
        s_amounts_add (&row->live_fees, asset, fill->fee_e8);
        if (!fill->fee_e8)
            continue;
        if (*row->quote && strcmp (asset, row->quote) == 0)
            row->fee_quote_e8 += fill->fee_e8;
        else
        if (*row->base && strcmp (asset, row->base) == 0)
            row->fee_quote_e8 += (int64_t) ((__int128) fill->fee_e8 * fill->price_e8 / EP_E8);
        else
            row->fees_unconverted = true;
    }
}

//  Whether the plane said a report (published not terminal, as after the
//  intent's terminal report) was terminal.
static bool
s_plane_terminal (sqlite3_stmt *stmt)
{
    if (sqlite3_column_type (stmt, 3) != SQLITE_BLOB)
        return false;
    ep_report_t *plane = execplane__v1__execution_report__unpack (
        NULL, (size_t) sqlite3_column_bytes (stmt, 3), sqlite3_column_blob (stmt, 3));
    bool terminal = plane && plane->terminal;
    if (plane)
        execplane__v1__execution_report__free_unpacked (plane, NULL);
    return terminal;
}

//  A row's live side: its final outcome, the newest reconciled terminal
//  report if any (a reconciliation resolves an UNKNOWN after the terminal
//  report), else its first terminal report; and its fees. Returns
//  SQLITE_DONE or an error code.
static int
s_live (sqlite3_stmt *stmt, ep_shadow_row_t *row)
{
    sqlite3_reset (stmt);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) row->router_seq);
    ep_report_t *first = NULL, *first_late = NULL, *reconciled = NULL;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        ep_report_t *report = execplane__v1__execution_report__unpack (
            NULL, (size_t) sqlite3_column_bytes (stmt, 2), sqlite3_column_blob (stmt, 2));
        if (!report)
            continue;
        s_add_fees (row, report);
        bool terminal = sqlite3_column_int (stmt, 0) != 0;
        bool late = sqlite3_column_int (stmt, 1) != 0;
        ep_report_t **slot = NULL;
        if (report->reconciled && (terminal || s_plane_terminal (stmt)))
            slot = &reconciled;         //  the newest wins
        else
        if (terminal && !late && !first)
            slot = &first;
        else
        if (terminal && late && !first_late)
            slot = &first_late;
        if (slot) {
            if (*slot)
                execplane__v1__execution_report__free_unpacked (*slot, NULL);
            *slot = report;
        }
        else
            execplane__v1__execution_report__free_unpacked (report, NULL);
    }
    const ep_report_t *final = reconciled ? reconciled : first ? first : first_late;
    if (final)
        s_side_set (&row->live, final);
    ep_report_t *all [] = { first, first_late, reconciled };
    for (int i = 0; i < 3; i++)
        if (all [i])
            execplane__v1__execution_report__free_unpacked (all [i], NULL);
    return step;
}

//  The row's comparisons, once both sides are known.
static void
s_compare (ep_shadow_row_t *row)
{
    row->priced = row->live.filled_e8 > 0 && row->paper.filled_e8 > 0
               && row->live.avg_e8 > 0 && row->paper.avg_e8 > 0;
    if (!row->priced)
        return;
    double sign = row->side == EP_SIDE (SELL) ? -1 : 1;
    double paper_avg = (double) row->paper.avg_e8;
    row->cost_bps = sign * (double) (row->live.avg_e8 - row->paper.avg_e8) * 1e4 / paper_avg;
    //  Fees always cost: a BUY paid them on top, a SELL got them less
    double fee_per_unit = (double) row->fee_quote_e8 * EP_E8 / (double) row->live.filled_e8;
    row->net_bps = row->cost_bps + fee_per_unit * 1e4 / paper_avg;
    int64_t both = row->live.filled_e8 < row->paper.filled_e8 ? row->live.filled_e8
                                                              : row->paper.filled_e8;
    __int128 product = (__int128) (row->live.avg_e8 - row->paper.avg_e8) * both;
    if (row->side == EP_SIDE (SELL))
        product = -product;
    //  To e8, rounded half away from zero
    __int128 half = EP_E8 / 2;
    row->quote_diff_e8 = (int64_t) ((product + (product < 0 ? -half : half)) / EP_E8);
    row->notional = (double) both / EP_E8 * paper_avg / EP_E8;
}

//  --------------------------------------------------------------------------

int
ep_shadow_run (sqlite3 *db, const char *journal, const ep_paper_config_t *paper, FILE *out,
               const ep_shadow_output_t *output)
{
    ep_shadow_t shadow = { .rows = NULL };
    ep_paper_book_t *book = ep_paper_book_new (paper);
    sqlite3_stmt *intents = NULL, *reports = NULL, *lookup = NULL;
    int rc = 1;
    if (!book) {
        fprintf (stderr, "ep-replay: invalid paper configuration\n");
        return 1;
    }
    if (sqlite3_prepare_v2 (db, "SELECT router_seq, payload FROM intents WHERE dispatched = 1"
                            " AND plane = ?1 ORDER BY router_seq", -1, &intents, NULL)
    ||  sqlite3_prepare_v2 (db, "SELECT terminal, late, payload, plane_payload FROM reports"
                            " WHERE router_seq = ?1 ORDER BY seq", -1, &reports, NULL)
    ||  ep_targets_prepare (db, &lookup))
        goto db_error;
    sqlite3_bind_int (intents, 1, EP_PLANE (LIVE));
    int step;
    while ((step = sqlite3_step (intents)) == SQLITE_ROW) {
        uint64_t router_seq = (uint64_t) sqlite3_column_int64 (intents, 0);
        ep_intent_t *intent = execplane__v1__order_intent__unpack (
            NULL, (size_t) sqlite3_column_bytes (intents, 1), sqlite3_column_blob (intents, 1));
        if (!intent) {
            fprintf (stderr, "ep-replay: intent %llu in the journal does not decode\n",
                     (unsigned long long) router_seq);
            goto done;
        }
        //  A live cancel or replace runs on paper's copy of its target
        ep_dispatch_t dispatch = EXECPLANE__V1__DISPATCH__INIT;
        dispatch.intent = intent;
        dispatch.router_seq = router_seq;
        dispatch.plane = EP_PLANE (PAPER);
        if (intent->action != EP_ACTION (PLACE)
        &&  ep_targets_seq (lookup, intent, &dispatch.target_router_seq) != SQLITE_DONE) {
            execplane__v1__order_intent__free_unpacked (intent, NULL);
            goto db_error;
        }
        ep_shadow_row_t *row = s_add (&shadow, router_seq, intent);
        //  A cancel has no order fields: its row shows its target's
        ep_shadow_row_t *target = row && intent->action == EP_ACTION (CANCEL)
                        ? s_find (&shadow, dispatch.target_router_seq): NULL;
        if (target) {
            memcpy (row->symbol, target->symbol, sizeof row->symbol);
            row->side = target->side;
        }
        if (row && ep_paper_book_dispatch (book, &dispatch, s_on_paper, &shadow) < 0)
            shadow.failed = true;
        execplane__v1__order_intent__free_unpacked (intent, NULL);
        if (shadow.failed) {
            fprintf (stderr, "ep-replay: out of memory\n");
            goto done;
        }
    }
    if (step != SQLITE_DONE)
        goto db_error;
    for (size_t i = 0; i < shadow.count; i++) {
        ep_shadow_row_t *row = &shadow.rows [i];
        s_split (row->symbol, row->base, row->quote);
        if (s_live (reports, row) != SQLITE_DONE)
            goto db_error;
        s_compare (row);
    }
    ep_shadow_summary_t summary;
    s_summarize (&shadow, &summary);
    s_print_text (&shadow, &summary, paper, out);
    rc = 0;
    if (output && output->html_path)
        rc |= ep_shadow_write_html (&shadow, &summary, paper, journal, output->html_path);
    if (output && output->csv_path)
        rc |= ep_shadow_write_csv (&shadow, output->csv_path);
    if (output && output->json_path)
        rc |= ep_shadow_write_json (&shadow, output->json_path);
    goto done;

db_error:
    fprintf (stderr, "ep-replay: %s: %s\n", journal, sqlite3_errmsg (db));
    rc = 1;
done:
    sqlite3_finalize (intents);
    sqlite3_finalize (reports);
    sqlite3_finalize (lookup);
    ep_paper_book_destroy (&book);
    free (shadow.rows);
    return rc;
}
