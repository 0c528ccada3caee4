/*  ep_shadow: the live plane against the paper plane, on the journal's
    live intents. A text table and a self-contained HTML page (inline SVG
    charts, no external asset; a small inline script checks, once the page
    is laid out, that every chart has a size and says so in the body's
    data-render attribute).  */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ep_decimal.h"
#include "ep_names.h"
#include "ep_shadow.h"
#include "ep_targets.h"
#include "ep_wire.h"

typedef enum { S_FILLED, S_PARTIAL, S_NONE, S_UNKNOWN, S_OPEN, S_CLASSES } s_class_t;
static const char *s_class_names [S_CLASSES] = {
    "filled", "partial", "not filled", "unknown", "open"
};

typedef struct {
    bool known;                         //  live: a terminal report; paper: any report
    int status, failure;
    int64_t filled_e8, avg_e8;
    char reason [160];
    char definition [65];               //  the plane definition it was produced under
    bool reconciled;                    //  live: the outcome of a reconciliation
    int64_t journaled_us;               //  live: when the router journaled it (0: not told)
} s_side_t;

//  Amounts per asset (fees, differences in a quote currency).
#define S_ASSETS 6
#define S_ASSET_MAX 32
typedef struct {
    char asset [S_ASSETS][S_ASSET_MAX];
    int64_t amount_e8 [S_ASSETS];
    size_t count;
    bool more;                          //  assets beyond S_ASSETS, left out
} s_amounts_t;

typedef struct {
    uint64_t router_seq;
    char strategy_id [EP_ID_MAX + 1];
    char intent_id [EP_ID_MAX + 1];
    char symbol [EP_ID_MAX + 1];
    int side, type;
    int64_t qty_e8;
    s_side_t live, paper;
    bool priced;                        //  filled on both planes
    double cost_bps;                    //  + : live worse for the side
    char base [S_ASSET_MAX], quote [S_ASSET_MAX];  //  "" when the symbol does not split
    s_amounts_t live_fees;              //  of all the live fills, per fee asset
    int64_t fee_quote_e8;               //  the live fees convertible to the quote asset, in it
    bool fees_unconverted;              //  some live fee is in another asset
    double net_bps;                     //  cost_bps with the converted fees (priced only)
    int64_t quote_diff_e8;              //  live - paper cost for the side (priced only)
    double notional;                    //  min (filled) x paper price (priced only)
} s_row_t;

typedef struct {
    s_row_t *rows;                      //  in router_seq order
    size_t count, capacity;
    bool failed;                        //  out of memory
} s_shadow_t;

static void
s_amounts_add (s_amounts_t *self, const char *asset, int64_t amount_e8)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->asset [i], asset) == 0) {
            self->amount_e8 [i] += amount_e8;
            return;
        }
    if (self->count == S_ASSETS) {
        self->more = true;
        return;
    }
    snprintf (self->asset [self->count], S_ASSET_MAX, "%s", asset);
    self->amount_e8 [self->count++] = amount_e8;
}

//  "0.1001 USDT", several joined by sep; "0" for none.
static const char *
s_amounts_format (const s_amounts_t *self, const char *sep, char *buf, size_t size)
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
    if (best && length - best < S_ASSET_MAX) {
        snprintf (quote, S_ASSET_MAX, "%s", symbol + length - best);
        snprintf (base, S_ASSET_MAX, "%.*s", (int) (length - best), symbol);
    }
}

//  The currency of a row's quote-currency difference.
static const char *
s_quote_label (const s_row_t *row)
{
    return *row->quote ? row->quote : "(unknown quote)";
}

//  Wall-clock microseconds as UTC ISO 8601 ("" for 0).
static const char *
s_utc (int64_t us, bool with_date, char *buf, size_t size)
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
#define S_BUCKETS 11
static const double s_edges [S_BUCKETS - 1] = { -50, -20, -10, -5, -1, 1, 5, 10, 20, 50 };
static const char *s_bucket_names [S_BUCKETS] = {
    "< -50", "-50..-20", "-20..-10", "-10..-5", "-5..-1", "-1..1", "1..5", "5..10",
    "10..20", "20..50", ">= 50"
};

static int
s_bucket (double bps)
{
    int i = 0;
    while (i < S_BUCKETS - 1 && bps >= s_edges [i])
        i++;
    return i;
}

static s_class_t
s_class (const s_side_t *side)
{
    if (!side->known)
        return S_OPEN;
    if (side->status == EP_STATUS (FILLED))
        return S_FILLED;
    if (side->status == EP_STATUS (UNKNOWN))
        return S_UNKNOWN;
    if (side->filled_e8 > 0)
        return S_PARTIAL;
    if (side->status == EP_STATUS (ACCEPTED) || side->status == EP_STATUS (PARTIALLY_FILLED))
        return S_OPEN;                  //  resting, nothing filled yet
    return S_NONE;
}

static void
s_side_set (s_side_t *side, const ep_report_t *report)
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

static s_row_t *
s_find (s_shadow_t *self, uint64_t router_seq)
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
    s_row_t *row = s_find (arg, report->router_seq);
    if (row)
        s_side_set (&row->paper, report);
}

static s_row_t *
s_add (s_shadow_t *self, uint64_t router_seq, const ep_intent_t *intent)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? 2 * self->capacity : 256;
        s_row_t *rows = realloc (self->rows, capacity * sizeof *rows);
        if (!rows) {
            self->failed = true;
            return NULL;
        }
        self->rows = rows;
        self->capacity = capacity;
    }
    s_row_t *row = &self->rows [self->count++];
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


//  The live intents by strategy, by symbol and by the live plane definition
//  they were realized under (every outcome traces to the environment that
//  produced it).
typedef enum { S_BY_STRATEGY, S_BY_SYMBOL, S_BY_DEFINITION, S_BYS } s_by_t;
static const char *s_by_names [S_BYS] = { "strategy", "symbol", "live plane definition" };
static const char *s_by_ids [S_BYS] = { "strategies", "symbols", "definitions" };

#define S_GROUPS 16
typedef struct {
    char key [EP_ID_MAX + 65];          //  "" for none (a report before definitions)
    size_t intents, differ, priced;
    double cost_sum;                    //  of cost_bps over the priced
    double weighted_sum, notional_sum;  //  of cost_bps x notional, of notional
    s_amounts_t quote_diff;             //  per quote asset
} s_group_t;

static const char *
s_key (const s_row_t *row, s_by_t by)
{
    return by == S_BY_STRATEGY ? row->strategy_id
         : by == S_BY_SYMBOL ? row->symbol : row->live.definition;
}

static void
s_group_add (s_group_t *group, const s_row_t *row);

//  Fills groups (at most S_GROUPS; the rest are counted in *others).
static size_t
s_groups (const s_shadow_t *self, s_by_t by, s_group_t groups [S_GROUPS], size_t *others)
{
    size_t count = 0;
    *others = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        const char *key = s_key (row, by);
        s_group_t *group = NULL;
        for (size_t g = 0; g < count && !group; g++)
            if (strcmp (groups [g].key, key) == 0)
                group = &groups [g];
        if (!group && count < S_GROUPS) {
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
s_group_add (s_group_t *group, const s_row_t *row)
{
    group->intents++;
    group->differ += s_class (&row->live) != s_class (&row->paper);
    if (row->priced) {
        group->priced++;
        group->cost_sum += row->cost_bps;
        group->weighted_sum += row->cost_bps * row->notional;
        group->notional_sum += row->notional;
        s_amounts_add (&group->quote_diff, s_quote_label (row), row->quote_diff_e8);
    }
}

//  The notional-weighted mean of a group's price differences.
static double
s_weighted (const s_group_t *group)
{
    return group->notional_sum > 0 ? group->weighted_sum / group->notional_sum
         : group->priced ? group->cost_sum / (double) group->priced : 0;
}

typedef struct {
    size_t intents, priced, differ, qty_differ;
    size_t matrix [S_CLASSES][S_CLASSES];       //  [live][paper]
    size_t live_classes [S_CLASSES], paper_classes [S_CLASSES];
    size_t buckets [S_BUCKETS];
    int64_t qty_diff_e8;                //  sum of live - paper filled
    double mean, p50, p90, min, max;    //  of cost_bps over the priced
    s_group_t all;                      //  every intent as one group
    double net_mean, net_weighted_sum;  //  of net_bps over the priced
    s_amounts_t live_fees;              //  of every live fill, per fee asset
    size_t fees_unconverted;            //  intents with a fee in another asset
    size_t reconciled;                  //  intents whose live outcome is reconciled
    int64_t first_us, last_us;          //  journaled_us of the priced, min and max
} s_summary_t;

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_summarize (const s_shadow_t *self, s_summary_t *sum)
{
    memset (sum, 0, sizeof *sum);
    sum->intents = self->count;
    double *bps = malloc ((self->count ? self->count : 1) * sizeof *bps);
    double total = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        s_class_t live = s_class (&row->live), paper = s_class (&row->paper);
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

static const char *
s_outcome (const s_side_t *side, char *buf, size_t size)
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
static const char *
s_fees_text (const s_row_t *row, char *buf, size_t size)
{
    char amounts [256];
    snprintf (buf, size, "%s%s", s_amounts_format (&row->live_fees, ", ", amounts, sizeof amounts),
              row->fees_unconverted ? " (not converted)" : "");
    return buf;
}

//  A group's quote-currency difference ("-" when nothing was priced).
static const char *
s_group_quote (const s_group_t *group, char *buf, size_t size)
{
    if (!group->priced)
        snprintf (buf, size, "-");
    else
        s_amounts_format (&group->quote_diff, ", ", buf, size);
    return buf;
}

static void
s_print_groups (const s_shadow_t *self, s_by_t by, FILE *out)
{
    s_group_t groups [S_GROUPS];
    size_t others, count = s_groups (self, by, groups, &others);
    fprintf (out, "  by %s:\n", s_by_names [by]);
    for (size_t g = 0; g < count; g++) {
        const char *key = *groups [g].key ? groups [g].key : "(none)";
        if (by == S_BY_DEFINITION)
            fprintf (out, "    %-12.12s", key);
        else
            fprintf (out, "    %-12s", key);
        fprintf (out, " intents %zu, outcome classes differ %zu, filled on both %zu",
                 groups [g].intents, groups [g].differ, groups [g].priced);
        if (groups [g].priced) {
            char quote [256];
            fprintf (out, ", price diff mean %+.2f bps, notional-weighted %+.2f bps, "
                     "quote diff %s", groups [g].cost_sum / (double) groups [g].priced,
                     s_weighted (&groups [g]), s_group_quote (&groups [g], quote, sizeof quote));
        }
        fprintf (out, "\n");
    }
    if (others)
        fprintf (out, "    %zu intent(s) under other %s values\n", others, s_by_names [by]);
}

static void
s_print_text (const s_shadow_t *self, const s_summary_t *sum, const ep_paper_config_t *paper,
              FILE *out)
{
    char qty [EP_DECIMAL_BUFSIZE], cap [EP_DECIMAL_BUFSIZE];
    fprintf (out, "shadow: %zu live intent(s) run through the paper plane (slippage_bps %lld, "
             "liquidity_cap %s)\n\n", sum->intents, (long long) paper->slippage_bps,
             ep_decimal_format (paper->liquidity_cap_e8, cap));
    fprintf (out, "%-10s %-28s %-4s %-12s %-34s %-34s %-26s %-12s %-16s %-8s %s\n", "router_seq",
             "intent", "side", "qty", "live", "paper", "live fees (paper: 0)", "qty diff",
             "quote diff", "net bps", "price diff bps (+: live worse)");
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        char id [2 * EP_ID_MAX + 2], live [96], paper_text [96], diff [EP_DECIMAL_BUFSIZE];
        char bps [32] = "-", net [32] = "-", quote [EP_DECIMAL_BUFSIZE + S_ASSET_MAX + 2] = "-";
        char fees [300];
        snprintf (id, sizeof id, "%s/%s", row->strategy_id, row->intent_id);
        if (row->priced) {
            char amount [EP_DECIMAL_BUFSIZE];
            snprintf (bps, sizeof bps, "%+.2f", row->cost_bps);
            snprintf (net, sizeof net, "%+.2f", row->net_bps);
            snprintf (quote, sizeof quote, "%s %s", ep_decimal_format (row->quote_diff_e8, amount),
                      s_quote_label (row));
        }
        fprintf (out, "%-10llu %-28s %-4s %-12s %-34s %-34s %-26s %-12s %-16s %-8s %s%s%s\n",
                 (unsigned long long) row->router_seq, id,
                 ep_side_name (row->side) ? ep_side_name (row->side) : "?",
                 ep_decimal_format (row->qty_e8, qty), s_outcome (&row->live, live, sizeof live),
                 s_outcome (&row->paper, paper_text, sizeof paper_text),
                 s_fees_text (row, fees, sizeof fees),
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff), quote, net,
                 bps, s_class (&row->live) != s_class (&row->paper) ? "   (outcome differs)" : "",
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
                 "price)\n", s_weighted (&sum->all));
        fprintf (out, "  net of live fees, bps        mean %+.2f, notional-weighted %+.2f\n",
                 sum->net_mean, sum->all.notional_sum > 0
                 ? sum->net_weighted_sum / sum->all.notional_sum : sum->net_mean);
        fprintf (out, "  price diff, quote currency   %s (+: money live lost)\n",
                 s_group_quote (&sum->all, quote, sizeof quote));
    }
    char fees [256];
    fprintf (out, "  live fees                    %s; paper fees 0\n",
             s_amounts_format (&sum->live_fees, ", ", fees, sizeof fees));
    if (sum->fees_unconverted)
        fprintf (out, "  fees not converted           %zu intent(s) paid a fee in an asset other "
                 "than their symbol's base or quote: not in their net bps\n",
                 sum->fees_unconverted);
    fprintf (out, "  filled qty, live - paper     %s over %zu intent(s) that differ\n",
             ep_decimal_format (sum->qty_diff_e8, qty), sum->qty_differ);
    fprintf (out, "  outcome classes (live -> paper):\n");
    for (int l = 0; l < S_CLASSES; l++)
        for (int p = 0; p < S_CLASSES; p++)
            if (sum->matrix [l][p])
                fprintf (out, "    %-10s -> %-10s %zu%s\n", s_class_names [l], s_class_names [p],
                         sum->matrix [l][p], l != p ? "   differs" : "");
    if (sum->priced) {
        fprintf (out, "  price diff distribution (bps):\n");
        for (int b = 0; b < S_BUCKETS; b++)
            if (sum->buckets [b])
                fprintf (out, "    %-10s %zu\n", s_bucket_names [b], sum->buckets [b]);
    }
    s_print_groups (self, S_BY_DEFINITION, out);
    s_print_groups (self, S_BY_STRATEGY, out);
    s_print_groups (self, S_BY_SYMBOL, out);
}

//  --------------------------------------------------------------------------
//  HTML

static void
s_escape (FILE *out, const char *text)
{
    for (; text && *text; text++) {
        switch (*text) {
            case '&': fputs ("&amp;", out); break;
            case '<': fputs ("&lt;", out); break;
            case '>': fputs ("&gt;", out); break;
            case '"': fputs ("&quot;", out); break;
            case '\'': fputs ("&#39;", out); break;
            default: fputc (*text, out);
        }
    }
}

#define S_W 640                         //  chart width
#define S_H 240                         //  chart height
#define S_PAD 40                        //  room for the axes' labels

//  A bar chart: n bars (values, labels), in one colour or, with a second
//  series, two per label. Each bar is a .mark.
static void
s_svg_bars (FILE *out, const char *id, const char *title, int n, const char *const *labels,
            const size_t *a, const char *a_name, const size_t *b, const char *b_name)
{
    size_t top = 1;
    for (int i = 0; i < n; i++) {
        if (a [i] > top)
            top = a [i];
        if (b && b [i] > top)
            top = b [i];
    }
    double slot = (double) (S_W - 2 * S_PAD) / n;
    double bar = b ? slot * 0.38 : slot * 0.7;
    fprintf (out, "<figure><figcaption>%s</figcaption>\n"
             "<svg id=\"%s\" class=\"chart\" role=\"img\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
             title, id, S_W, S_H, S_W, S_H);
    fprintf (out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
             S_PAD, S_H - S_PAD, S_W - S_PAD, S_H - S_PAD);
    fprintf (out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu</text>\n",
             S_PAD - 4, S_PAD + 4, top);
    double span = S_H - 2 * S_PAD;
    for (int i = 0; i < n; i++) {
        double x = S_PAD + slot * i + (slot - (b ? 2 * bar : bar)) / 2;
        for (int series = 0; series < (b ? 2 : 1); series++) {
            size_t value = series ? b [i] : a [i];
            double h = span * (double) value / (double) top;
            fprintf (out, "<rect class=\"mark %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\"><title>%s%s%s: %zu</title></rect>\n",
                     series ? "paper" : "live", x + series * bar, S_H - S_PAD - h, bar, h,
                     labels [i], b ? ", " : "", b ? (series ? b_name : a_name) : "", value);
            if (value)
                fprintf (out, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\">%zu</text>\n",
                         x + series * bar + bar / 2, S_H - S_PAD - h - 3, value);
        }
        fprintf (out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                 S_PAD + slot * i + slot / 2, S_H - S_PAD + 14, labels [i]);
    }
    if (b)
        fprintf (out, "<rect class=\"live\" x=\"%d\" y=\"8\" width=\"10\" height=\"10\"/>"
                 "<text class=\"tick\" x=\"%d\" y=\"17\">%s</text>"
                 "<rect class=\"paper\" x=\"%d\" y=\"8\" width=\"10\" height=\"10\"/>"
                 "<text class=\"tick\" x=\"%d\" y=\"17\">%s</text>\n",
                 S_W - 150, S_W - 136, a_name, S_W - 80, S_W - 66, b_name);
    fprintf (out, "</svg></figure>\n");
}

//  The price difference of each intent filled on both planes, in
//  router_seq order: one .mark dot each, around a zero line.
static void
s_svg_dots (FILE *out, const s_shadow_t *self, const s_summary_t *sum)
{
    double extent = fmax (fabs (sum->min), fabs (sum->max));
    if (extent < 1)
        extent = 1;
    double mid = S_H / 2.0, span = S_H / 2.0 - S_PAD / 2.0;
    fprintf (out, "<figure><figcaption>Price difference per intent filled on both planes, in "
             "router_seq order (bps, + = live worse)</figcaption>\n"
             "<svg id=\"price-diff-by-intent\" class=\"chart\" role=\"img\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
             S_W, S_H, S_W, S_H);
    fprintf (out, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n",
             S_PAD, mid, S_W - S_PAD, mid, S_PAD - 4, mid + 4, S_PAD - 4, mid - span + 4,
             extent, S_PAD - 4, mid + span + 4, -extent);
    if (!sum->priced)
        fprintf (out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">"
                 "no intent was filled on both planes</text>\n", S_W / 2, mid - 10);
    size_t k = 0;
    double step = sum->priced > 1 ? (double) (S_W - 3 * S_PAD) / (double) (sum->priced - 1) : 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        if (!row->priced)
            continue;
        double x = sum->priced > 1 ? 1.5 * S_PAD + step * (double) k : S_W / 2.0;
        double y = mid - span * row->cost_bps / extent;
        fprintf (out, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
                 row->cost_bps > 0 ? "worse" : row->cost_bps < 0 ? "better" : "same", x, y);
        s_escape (out, row->strategy_id);
        fputc ('/', out);
        s_escape (out, row->intent_id);
        fprintf (out, ": %+.2f bps</title></circle>\n", row->cost_bps);
        k++;
    }
    fprintf (out, "</svg></figure>\n");
}

//  The price difference of each intent filled on both planes against the
//  wall-clock time its live outcome was journaled: one .mark dot each,
//  around a zero line, the axis' ends labelled with their UTC times.
static void
s_svg_time (FILE *out, const s_shadow_t *self, const s_summary_t *sum)
{
    double extent = fmax (fabs (sum->min), fabs (sum->max));
    if (extent < 1)
        extent = 1;
    double mid = S_H / 2.0 - 8, span = S_H / 2.0 - S_PAD / 2.0 - 8;
    double left = 1.5 * S_PAD, width = S_W - 3 * S_PAD;
    fprintf (out, "<figure><figcaption>Price difference over time: each intent filled on both "
             "planes at the time its live outcome was journaled (bps, + = live worse; UTC)"
             "</figcaption>\n"
             "<svg id=\"price-diff-over-time\" class=\"chart\" role=\"img\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
             S_W, S_H, S_W, S_H);
    fprintf (out, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n",
             S_PAD, mid, S_W - S_PAD, mid, S_PAD - 4, mid + 4, S_PAD - 4, mid - span + 4,
             extent, S_PAD - 4, mid + span + 4, -extent);
    fprintf (out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
             left, S_H - 22, left + width, S_H - 22);
    if (sum->first_us) {
        char first [48], last [48];
        s_utc (sum->first_us, true, first, sizeof first);
        s_utc (sum->last_us, sum->last_us / 86400000000LL != sum->first_us / 86400000000LL,
               last, sizeof last);
        fprintf (out, "<text class=\"tick time-start\" x=\"%.1f\" y=\"%d\" "
                 "text-anchor=\"start\">%s</text>\n"
                 "<text class=\"tick time-end\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                 left, S_H - 8, first, left + width, S_H - 8, last);
    }
    else
        fprintf (out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">"
                 "no intent filled on both planes has a journaled time</text>\n", S_W / 2,
                 mid - 10);
    double range = (double) (sum->last_us - sum->first_us);
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        if (!row->priced || row->live.journaled_us <= 0)
            continue;
        double x = range > 0 ? left + width * (double) (row->live.journaled_us - sum->first_us)
                             / range : S_W / 2.0;
        double y = mid - span * row->cost_bps / extent;
        char at [48];
        fprintf (out, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
                 row->cost_bps > 0 ? "worse" : row->cost_bps < 0 ? "better" : "same", x, y);
        s_escape (out, row->strategy_id);
        fputc ('/', out);
        s_escape (out, row->intent_id);
        fprintf (out, " at %s: %+.2f bps</title></circle>\n",
                 s_utc (row->live.journaled_us, true, at, sizeof at), row->cost_bps);
    }
    fprintf (out, "</svg></figure>\n");
}

static const char *s_style =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:72em}"
    "h1{font-size:1.5em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;"
    "font-variant-numeric:tabular-nums}th{background:#f4f4f4}"
    "tr.differs td{background:#fff4e5}figure{margin:1.5em 0}"
    "figcaption{font-weight:600;margin-bottom:.3em}svg.chart{display:block;"
    "border:1px solid #eee;background:#fff}.axis{stroke:#888}"
    ".tick,.value{font-size:11px;fill:#555}rect.live,.live{fill:#3b6fb6}"
    "rect.paper,.paper{fill:#e39b2d}circle.worse{fill:#c0392b}circle.better{fill:#27ae60}"
    "circle.same{fill:#888}";

//  Sets data-render on the body once laid out: "ok" and each chart's marks
//  and size, or "failed" with what went wrong.
static const char *s_check_script =
    "<script>\n"
    "var shadowErrors = [];\n"
    "window.addEventListener('error', function (e) { shadowErrors.push(String(e.message)); });\n"
    "window.addEventListener('load', function () {\n"
    "  var charts = document.querySelectorAll('svg.chart'), parts = [], ok = charts.length === 4;\n"
    "  charts.forEach(function (svg) {\n"
    "    var box = svg.getBoundingClientRect(), marks = svg.querySelectorAll('.mark').length;\n"
    "    if (!(box.width > 0 && box.height > 0)) ok = false;\n"
    "    parts.push(svg.id + '=' + marks + '@' + Math.round(box.width) + 'x' + Math.round(box.height));\n"
    "  });\n"
    "  if (shadowErrors.length) ok = false;\n"
    "  document.body.setAttribute('data-render', (ok ? 'ok ' : 'failed ') + parts.join(' ')\n"
    "    + (shadowErrors.length ? ' errors: ' + shadowErrors.join('; ') : ''));\n"
    "});\n"
    "</script>\n";

static void
s_html_groups (FILE *out, const s_shadow_t *self, s_by_t by)
{
    s_group_t groups [S_GROUPS];
    size_t others, count = s_groups (self, by, groups, &others);
    fprintf (out, "<h2>By %s</h2>\n<table id=\"%s\"><tr><th>%s</th><th>intents</th>"
             "<th>outcome classes that differ</th><th>filled on both</th>"
             "<th>price diff mean, bps</th><th>notional-weighted, bps</th>"
             "<th>quote diff (+ = live lost)</th></tr>\n", s_by_names [by], s_by_ids [by],
             by == S_BY_DEFINITION ? "definition" : s_by_names [by]);
    for (size_t g = 0; g < count; g++) {
        fprintf (out, "<tr><td><code>");
        s_escape (out, *groups [g].key ? groups [g].key : "(none)");
        fprintf (out, "</code></td><td>%zu</td><td>%zu</td><td>%zu</td><td>",
                 groups [g].intents, groups [g].differ, groups [g].priced);
        if (groups [g].priced) {
            char quote [256];
            fprintf (out, "%+.2f</td><td>%+.2f</td><td>",
                     groups [g].cost_sum / (double) groups [g].priced, s_weighted (&groups [g]));
            s_escape (out, s_group_quote (&groups [g], quote, sizeof quote));
        }
        else
            fprintf (out, "&ndash;</td><td>&ndash;</td><td>&ndash;");
        fprintf (out, "</td></tr>\n");
    }
    if (others)
        fprintf (out, "<tr><td>others</td><td>%zu</td><td></td><td></td><td></td><td></td>"
                 "<td></td></tr>\n", others);
    fprintf (out, "</table>\n");
}

static int
s_write_html (const s_shadow_t *self, const s_summary_t *sum, const ep_paper_config_t *paper,
              const char *journal, const char *path)
{
    FILE *out = fopen (path, "w");
    if (!out) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    char qty [EP_DECIMAL_BUFSIZE], cap [EP_DECIMAL_BUFSIZE];
    fprintf (out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
             "<title>execplane shadow report</title>\n<style>%s</style>\n%s</head>\n"
             "<body data-render=\"pending\">\n<h1>Shadow report: live against paper</h1>\n",
             s_style, s_check_script);
    fprintf (out, "<p>The %zu live intent(s) of <code>", sum->intents);
    s_escape (out, journal);
    fprintf (out, "</code>, run in router_seq order through the paper plane (slippage_bps %lld, "
             "liquidity_cap %s). A price difference is in basis points of the paper price, "
             "+ when live did worse for the side.</p>\n", (long long) paper->slippage_bps,
             ep_decimal_format (paper->liquidity_cap_e8, cap));
    fprintf (out, "<table id=\"summary\"><tr><th>intents</th><td>%zu</td></tr>"
             "<tr><th>outcome classes that differ</th><td>%zu</td></tr>"
             "<tr><th>filled on both planes</th><td>%zu</td></tr>", sum->intents, sum->differ,
             sum->priced);
    if (sum->priced)
        fprintf (out, "<tr><th>price difference, bps</th><td>mean %+.2f, p50 %+.2f, p90 %+.2f, "
                 "min %+.2f, max %+.2f</td></tr>", sum->mean, sum->p50, sum->p90, sum->min,
                 sum->max);
    if (sum->priced) {
        char quote [256];
        fprintf (out, "<tr><th>price difference, bps, notional-weighted</th><td>%+.2f</td></tr>"
                 "<tr><th>net of live fees, bps</th><td>mean %+.2f, notional-weighted %+.2f</td>"
                 "</tr><tr><th>price difference, quote currency (+ = money live lost)</th><td>",
                 s_weighted (&sum->all), sum->net_mean, sum->all.notional_sum > 0
                 ? sum->net_weighted_sum / sum->all.notional_sum : sum->net_mean);
        s_escape (out, s_group_quote (&sum->all, quote, sizeof quote));
        fprintf (out, "</td></tr>");
    }
    char fees [256];
    fprintf (out, "<tr><th>live fees</th><td>");
    s_escape (out, s_amounts_format (&sum->live_fees, ", ", fees, sizeof fees));
    fprintf (out, "; paper fees 0%s</td></tr>", sum->fees_unconverted
             ? " (some in an asset other than the symbol's base or quote: not converted)" : "");
    fprintf (out, "<tr><th>live outcomes reconciled</th><td>%zu</td></tr>", sum->reconciled);
    fprintf (out, "<tr><th>filled quantity, live &minus; paper</th><td>%s over %zu intent(s)"
             "</td></tr></table>\n", ep_decimal_format (sum->qty_diff_e8, qty), sum->qty_differ);

    s_svg_bars (out, "outcome-classes", "Outcome classes: live and paper", S_CLASSES,
                s_class_names, sum->live_classes, "live", sum->paper_classes, "paper");
    s_svg_bars (out, "price-diff-histogram",
                "Distribution of the price difference (bps, + = live worse)", S_BUCKETS,
                s_bucket_names, sum->buckets, NULL, NULL, NULL);
    s_svg_dots (out, self, sum);
    s_svg_time (out, self, sum);

    fprintf (out, "<h2>Outcome classes, live &rarr; paper</h2>\n<table id=\"matrix\">"
             "<tr><th>live \\ paper</th>");
    for (int p = 0; p < S_CLASSES; p++)
        fprintf (out, "<th>%s</th>", s_class_names [p]);
    fprintf (out, "</tr>\n");
    for (int l = 0; l < S_CLASSES; l++) {
        fprintf (out, "<tr><th>%s</th>", s_class_names [l]);
        for (int p = 0; p < S_CLASSES; p++)
            fprintf (out, "<td>%zu</td>", sum->matrix [l][p]);
        fprintf (out, "</tr>\n");
    }
    fprintf (out, "</table>\n");
    s_html_groups (out, self, S_BY_DEFINITION);
    s_html_groups (out, self, S_BY_STRATEGY);
    s_html_groups (out, self, S_BY_SYMBOL);
    fprintf (out, "<h2>Per intent</h2>\n<table id=\"intents\"><tr><th>router_seq</th>"
             "<th>intent</th><th>symbol</th><th>side</th><th>qty</th><th>live</th>"
             "<th>paper</th><th>live fees</th><th>qty diff</th><th>quote diff</th><th>net bps</th>"
             "<th>price diff, bps</th><th>live journaled (UTC)</th></tr>\n");
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        char live [96], paper_text [96], diff [EP_DECIMAL_BUFSIZE];
        bool differs = s_class (&row->live) != s_class (&row->paper);
        fprintf (out, "<tr%s><td>%llu</td><td>", differs ? " class=\"differs\"" : "",
                 (unsigned long long) row->router_seq);
        s_escape (out, row->strategy_id);
        fputc ('/', out);
        s_escape (out, row->intent_id);
        fprintf (out, "</td><td>");
        s_escape (out, row->symbol);
        fprintf (out, "</td><td>%s</td><td>%s</td><td title=\"",
                 ep_side_name (row->side) ? ep_side_name (row->side) : "?",
                 ep_decimal_format (row->qty_e8, qty));
        s_escape (out, row->live.reason);
        fprintf (out, "\">");
        s_escape (out, s_outcome (&row->live, live, sizeof live));
        if (row->live.reconciled)
            fprintf (out, " <em>(reconciled)</em>");
        fprintf (out, "</td><td title=\"");
        s_escape (out, row->paper.reason);
        fprintf (out, "\">");
        s_escape (out, s_outcome (&row->paper, paper_text, sizeof paper_text));
        char row_fees [300], at [48];
        fprintf (out, "</td><td>");
        s_escape (out, s_fees_text (row, row_fees, sizeof row_fees));
        fprintf (out, "</td><td>%s</td><td>",
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff));
        if (row->priced) {
            char amount [EP_DECIMAL_BUFSIZE];
            fprintf (out, "%s ", ep_decimal_format (row->quote_diff_e8, amount));
            s_escape (out, s_quote_label (row));
            fprintf (out, "</td><td>%+.2f</td><td>%+.2f", row->net_bps, row->cost_bps);
        }
        else
            fprintf (out, "&ndash;</td><td>&ndash;</td><td>&ndash;");
        fprintf (out, "</td><td>%s</td></tr>\n",
                 s_utc (row->live.journaled_us, true, at, sizeof at));
    }
    fprintf (out, "</table>\n</body></html>\n");
    int rc = ferror (out) ? 1 : 0;
    if (fclose (out) || rc) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------

//  A row's live fills (of every published report on it): their fees per
//  asset, and those convertible to the quote asset, in it.
static void
s_add_fees (s_row_t *row, const ep_report_t *report)
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
s_live (sqlite3_stmt *stmt, s_row_t *row)
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
s_compare (s_row_t *row)
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
//  Exports: the per-intent table as CSV (RFC 4180) and as JSON

#define S_COLUMNS 27
static const char *s_columns [S_COLUMNS] = {
    "router_seq", "strategy", "intent", "symbol", "side", "qty", "live_status", "live_failure",
    "live_filled", "live_avg_price", "paper_status", "paper_failure", "paper_filled",
    "paper_avg_price", "qty_diff", "outcome_differs", "bps", "net_bps", "quote_diff",
    "quote_asset", "live_fees", "fees_converted", "paper_fees", "reconciled",
    "plane_definition", "journaled_at", "journaled_us"
};

//  How a value is written in JSON: a string, a number, a boolean, or the
//  fees' object ({"USDT": "0.1001"}); "" is null for a number.
typedef enum { S_STRING, S_NUMBER, S_BOOL, S_FEES } s_kind_t;

typedef struct {
    char text [S_COLUMNS][300];
    s_kind_t kind [S_COLUMNS];
} s_record_t;

static void
s_record (const s_row_t *row, s_record_t *rec)
{
    memset (rec, 0, sizeof *rec);
    char buf [EP_DECIMAL_BUFSIZE];
    int c = 0;
#define S_SET(kind_, ...) do { rec->kind [c] = kind_; \
        snprintf (rec->text [c], sizeof rec->text [c], __VA_ARGS__); c++; } while (0)
    const char *side = ep_side_name (row->side);
    bool live_known = row->live.known, paper_known = row->paper.known;
    S_SET (S_NUMBER, "%llu", (unsigned long long) row->router_seq);
    S_SET (S_STRING, "%s", row->strategy_id);
    S_SET (S_STRING, "%s", row->intent_id);
    S_SET (S_STRING, "%s", row->symbol);
    S_SET (S_STRING, "%s", side ? side : "");
    S_SET (S_STRING, "%s", ep_decimal_format (row->qty_e8, buf));
    S_SET (S_STRING, "%s", live_known ? ep_status_name (row->live.status) : "");
    S_SET (S_STRING, "%s", live_known && row->live.failure ? ep_failure_name (row->live.failure) : "");
    S_SET (S_STRING, "%s", ep_decimal_format (row->live.filled_e8, buf));
    S_SET (S_STRING, "%s", ep_decimal_format (row->live.avg_e8, buf));
    S_SET (S_STRING, "%s", paper_known ? ep_status_name (row->paper.status) : "");
    S_SET (S_STRING, "%s", paper_known && row->paper.failure ? ep_failure_name (row->paper.failure) : "");
    S_SET (S_STRING, "%s", ep_decimal_format (row->paper.filled_e8, buf));
    S_SET (S_STRING, "%s", ep_decimal_format (row->paper.avg_e8, buf));
    S_SET (S_STRING, "%s", ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, buf));
    S_SET (S_BOOL, "%s", s_class (&row->live) != s_class (&row->paper) ? "true" : "false");
    if (row->priced) {
        S_SET (S_NUMBER, "%.2f", row->cost_bps + 0.0);
        S_SET (S_NUMBER, "%.2f", row->net_bps + 0.0);
        S_SET (S_STRING, "%s", ep_decimal_format (row->quote_diff_e8, buf));
    }
    else {
        S_SET (S_NUMBER, "%s", "");
        S_SET (S_NUMBER, "%s", "");
        S_SET (S_NUMBER, "%s", "");     //  null: nothing to compare
    }
    S_SET (S_STRING, "%s", row->quote);
    char fees [300];
    S_SET (S_FEES, "%s", row->live_fees.count ? s_amounts_format (&row->live_fees, "; ", fees,
                                                                  sizeof fees) : "");
    S_SET (S_BOOL, "%s", row->fees_unconverted ? "false" : "true");
    S_SET (S_STRING, "%s", "0");
    S_SET (S_BOOL, "%s", row->live.reconciled ? "true" : "false");
    S_SET (S_STRING, "%s", row->live.definition);
    char at [48];
    S_SET (S_STRING, "%s", s_utc (row->live.journaled_us, true, at, sizeof at));
    if (row->live.journaled_us > 0)
        S_SET (S_NUMBER, "%lld", (long long) row->live.journaled_us);
    else
        S_SET (S_NUMBER, "%s", "");
#undef S_SET
}

static void
s_csv_field (FILE *out, const char *text)
{
    if (!strpbrk (text, ",\"\r\n")) {
        fputs (text, out);
        return;
    }
    fputc ('"', out);
    for (; *text; text++) {
        if (*text == '"')
            fputc ('"', out);
        fputc (*text, out);
    }
    fputc ('"', out);
}

static void
s_json_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else
        if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
}

static int
s_close (FILE *out, const char *path)
{
    int failed = ferror (out);
    if (fclose (out) || failed) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    return 0;
}

static int
s_write_csv (const s_shadow_t *self, const char *path)
{
    FILE *out = fopen (path, "w");
    if (!out) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    for (int c = 0; c < S_COLUMNS; c++)
        fprintf (out, "%s%s", c ? "," : "", s_columns [c]);
    fputs ("\r\n", out);
    s_record_t rec;
    for (size_t i = 0; i < self->count; i++) {
        s_record (&self->rows [i], &rec);
        for (int c = 0; c < S_COLUMNS; c++) {
            if (c)
                fputc (',', out);
            s_csv_field (out, rec.text [c]);
        }
        fputs ("\r\n", out);
    }
    return s_close (out, path);
}

static int
s_write_json (const s_shadow_t *self, const char *path)
{
    FILE *out = fopen (path, "w");
    if (!out) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    fputs ("[", out);
    s_record_t rec;
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        s_record (row, &rec);
        fputs (i ? ",\n{" : "\n{", out);
        for (int c = 0; c < S_COLUMNS; c++) {
            fprintf (out, "%s\"%s\":", c ? "," : "", s_columns [c]);
            if (rec.kind [c] == S_FEES) {
                fputc ('{', out);
                for (size_t f = 0; f < row->live_fees.count; f++) {
                    char amount [EP_DECIMAL_BUFSIZE];
                    fprintf (out, "%s", f ? "," : "");
                    s_json_string (out, row->live_fees.asset [f]);
                    fprintf (out, ":\"%s\"", ep_decimal_format (row->live_fees.amount_e8 [f], amount));
                }
                fputc ('}', out);
            }
            else
            if (rec.kind [c] == S_NUMBER && !*rec.text [c])
                fputs ("null", out);
            else
            if (rec.kind [c] == S_NUMBER || rec.kind [c] == S_BOOL)
                fputs (rec.text [c], out);
            else
                s_json_string (out, rec.text [c]);
        }
        fputc ('}', out);
    }
    fputs ("\n]\n", out);
    return s_close (out, path);
}

//  --------------------------------------------------------------------------

int
ep_shadow_run (sqlite3 *db, const char *journal, const ep_paper_config_t *paper, FILE *out,
               const ep_shadow_output_t *output)
{
    s_shadow_t shadow = { .rows = NULL };
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
        s_row_t *row = s_add (&shadow, router_seq, intent);
        //  A cancel has no order fields: its row shows its target's
        s_row_t *target = row && intent->action == EP_ACTION (CANCEL)
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
        s_row_t *row = &shadow.rows [i];
        s_split (row->symbol, row->base, row->quote);
        if (s_live (reports, row) != SQLITE_DONE)
            goto db_error;
        s_compare (row);
    }
    s_summary_t summary;
    s_summarize (&shadow, &summary);
    s_print_text (&shadow, &summary, paper, out);
    rc = 0;
    if (output && output->html_path)
        rc |= s_write_html (&shadow, &summary, paper, journal, output->html_path);
    if (output && output->csv_path)
        rc |= s_write_csv (&shadow, output->csv_path);
    if (output && output->json_path)
        rc |= s_write_json (&shadow, output->json_path);
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
