/*  ep_shadow: the live plane against the paper plane, on the journal's
    live intents. A text table and a self-contained HTML page (inline SVG
    charts, no external asset; a small inline script checks, once the page
    is laid out, that every chart has a size and says so in the body's
    data-render attribute).  */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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
} s_side_t;

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
} s_row_t;

typedef struct {
    s_row_t *rows;                      //  in router_seq order
    size_t count, capacity;
    bool failed;                        //  out of memory
} s_shadow_t;

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

typedef struct {
    size_t intents, priced, differ, qty_differ;
    size_t matrix [S_CLASSES][S_CLASSES];       //  [live][paper]
    size_t live_classes [S_CLASSES], paper_classes [S_CLASSES];
    size_t buckets [S_BUCKETS];
    int64_t qty_diff_e8;                //  sum of live - paper filled
    double mean, p50, p90, min, max;    //  of cost_bps over the priced
} s_summary_t;

//  The live intents by the live plane definition they were realized under
//  (every outcome traces to the environment that produced it).
#define S_GROUPS 16
typedef struct {
    char definition [65];               //  "" for none (a report before definitions)
    size_t intents, differ, priced;
    double cost_sum;                    //  of cost_bps over the priced
} s_group_t;

//  Fills groups (at most S_GROUPS; the rest are counted in *others).
static size_t
s_groups (const s_shadow_t *self, s_group_t groups [S_GROUPS], size_t *others)
{
    size_t count = 0;
    *others = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        s_group_t *group = NULL;
        for (size_t g = 0; g < count && !group; g++)
            if (strcmp (groups [g].definition, row->live.definition) == 0)
                group = &groups [g];
        if (!group && count < S_GROUPS) {
            group = &groups [count++];
            memset (group, 0, sizeof *group);
            snprintf (group->definition, sizeof group->definition, "%s", row->live.definition);
        }
        if (!group) {
            (*others)++;
            continue;
        }
        group->intents++;
        group->differ += s_class (&row->live) != s_class (&row->paper);
        if (row->priced) {
            group->priced++;
            group->cost_sum += row->cost_bps;
        }
    }
    return count;
}

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
        if (row->priced) {
            if (bps)
                bps [sum->priced] = row->cost_bps;
            sum->priced++;
            total += row->cost_bps;
            sum->buckets [s_bucket (row->cost_bps)]++;
        }
    }
    if (sum->priced && bps) {
        qsort (bps, sum->priced, sizeof *bps, s_compare_double);
        sum->mean = total / (double) sum->priced;
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

static void
s_print_text (const s_shadow_t *self, const s_summary_t *sum, const ep_paper_config_t *paper,
              FILE *out)
{
    char qty [EP_DECIMAL_BUFSIZE], cap [EP_DECIMAL_BUFSIZE];
    fprintf (out, "shadow: %zu live intent(s) run through the paper plane (slippage_bps %lld, "
             "liquidity_cap %s)\n\n", sum->intents, (long long) paper->slippage_bps,
             ep_decimal_format (paper->liquidity_cap_e8, cap));
    fprintf (out, "%-10s %-28s %-4s %-12s %-34s %-34s %-12s %s\n", "router_seq", "intent",
             "side", "qty", "live", "paper", "qty diff", "price diff bps (+: live worse)");
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [i];
        char id [2 * EP_ID_MAX + 2], live [96], paper_text [96], diff [EP_DECIMAL_BUFSIZE];
        char bps [32] = "-";
        snprintf (id, sizeof id, "%s/%s", row->strategy_id, row->intent_id);
        if (row->priced)
            snprintf (bps, sizeof bps, "%+.2f", row->cost_bps);
        fprintf (out, "%-10llu %-28s %-4s %-12s %-34s %-34s %-12s %s%s\n",
                 (unsigned long long) row->router_seq, id,
                 ep_side_name (row->side) ? ep_side_name (row->side) : "?",
                 ep_decimal_format (row->qty_e8, qty), s_outcome (&row->live, live, sizeof live),
                 s_outcome (&row->paper, paper_text, sizeof paper_text),
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff), bps,
                 s_class (&row->live) != s_class (&row->paper) ? "   (outcome differs)" : "");
    }
    fprintf (out, "\naggregate\n");
    fprintf (out, "  intents                      %zu\n", sum->intents);
    fprintf (out, "  outcome classes differ       %zu\n", sum->differ);
    fprintf (out, "  filled on both planes        %zu\n", sum->priced);
    if (sum->priced)
        fprintf (out, "  price diff bps               mean %+.2f, p50 %+.2f, p90 %+.2f, "
                 "min %+.2f, max %+.2f\n", sum->mean, sum->p50, sum->p90, sum->min, sum->max);
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
    s_group_t groups [S_GROUPS];
    size_t others, count = s_groups (self, groups, &others);
    fprintf (out, "  by live plane definition:\n");
    for (size_t g = 0; g < count; g++) {
        fprintf (out, "    %-12.12s intents %zu, outcome classes differ %zu, filled on both %zu",
                 *groups [g].definition ? groups [g].definition : "(none)", groups [g].intents,
                 groups [g].differ, groups [g].priced);
        if (groups [g].priced)
            fprintf (out, ", price diff mean %+.2f bps",
                     groups [g].cost_sum / (double) groups [g].priced);
        fprintf (out, "\n");
    }
    if (others)
        fprintf (out, "    %zu intent(s) under other definitions\n", others);
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
    "  var charts = document.querySelectorAll('svg.chart'), parts = [], ok = charts.length === 3;\n"
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
    fprintf (out, "<tr><th>filled quantity, live &minus; paper</th><td>%s over %zu intent(s)"
             "</td></tr></table>\n", ep_decimal_format (sum->qty_diff_e8, qty), sum->qty_differ);

    s_svg_bars (out, "outcome-classes", "Outcome classes: live and paper", S_CLASSES,
                s_class_names, sum->live_classes, "live", sum->paper_classes, "paper");
    s_svg_bars (out, "price-diff-histogram",
                "Distribution of the price difference (bps, + = live worse)", S_BUCKETS,
                s_bucket_names, sum->buckets, NULL, NULL, NULL);
    s_svg_dots (out, self, sum);

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
    s_group_t groups [S_GROUPS];
    size_t others, count = s_groups (self, groups, &others);
    fprintf (out, "</table>\n<h2>By live plane definition</h2>\n<table id=\"definitions\">"
             "<tr><th>definition</th><th>intents</th><th>outcome classes that differ</th>"
             "<th>filled on both</th><th>price diff mean, bps</th></tr>\n");
    for (size_t g = 0; g < count; g++) {
        fprintf (out, "<tr><td><code>%s</code></td><td>%zu</td><td>%zu</td><td>%zu</td><td>",
                 *groups [g].definition ? groups [g].definition : "(none)", groups [g].intents,
                 groups [g].differ, groups [g].priced);
        if (groups [g].priced)
            fprintf (out, "%+.2f", groups [g].cost_sum / (double) groups [g].priced);
        else
            fprintf (out, "&ndash;");
        fprintf (out, "</td></tr>\n");
    }
    if (others)
        fprintf (out, "<tr><td>other definitions</td><td>%zu</td><td></td><td></td><td></td>"
                 "</tr>\n", others);
    fprintf (out, "</table>\n<h2>Per intent</h2>\n<table id=\"intents\"><tr><th>router_seq</th>"
             "<th>intent</th><th>symbol</th><th>side</th><th>qty</th><th>live</th>"
             "<th>paper</th><th>qty diff</th><th>price diff, bps</th></tr>\n");
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
        fprintf (out, "</td><td title=\"");
        s_escape (out, row->paper.reason);
        fprintf (out, "\">");
        s_escape (out, s_outcome (&row->paper, paper_text, sizeof paper_text));
        fprintf (out, "</td><td>%s</td><td>",
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff));
        if (row->priced)
            fprintf (out, "%+.2f", row->cost_bps);
        else
            fprintf (out, "&ndash;");
        fprintf (out, "</td></tr>\n");
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

int
ep_shadow_run (sqlite3 *db, const char *journal, const ep_paper_config_t *paper, FILE *out,
               const char *html_path)
{
    s_shadow_t shadow = { .rows = NULL };
    ep_paper_book_t *book = ep_paper_book_new (paper);
    sqlite3_stmt *intents = NULL, *terminal = NULL, *lookup = NULL;
    int rc = 1;
    if (!book) {
        fprintf (stderr, "ep-replay: invalid paper configuration\n");
        return 1;
    }
    if (sqlite3_prepare_v2 (db, "SELECT router_seq, payload FROM intents WHERE dispatched = 1"
                            " AND plane = ?1 ORDER BY router_seq", -1, &intents, NULL)
    ||  sqlite3_prepare_v2 (db, "SELECT payload FROM reports WHERE router_seq = ?1"
                            " AND terminal = 1 ORDER BY late, seq LIMIT 1", -1, &terminal, NULL)
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
        sqlite3_reset (terminal);
        sqlite3_bind_int64 (terminal, 1, (sqlite3_int64) row->router_seq);
        step = sqlite3_step (terminal);
        if (step == SQLITE_ROW) {
            ep_report_t *report = execplane__v1__execution_report__unpack (
                NULL, (size_t) sqlite3_column_bytes (terminal, 0), sqlite3_column_blob (terminal, 0));
            if (report) {
                s_side_set (&row->live, report);
                execplane__v1__execution_report__free_unpacked (report, NULL);
            }
        }
        else
        if (step != SQLITE_DONE)
            goto db_error;
        row->priced = row->live.filled_e8 > 0 && row->paper.filled_e8 > 0
                   && row->live.avg_e8 > 0 && row->paper.avg_e8 > 0;
        if (row->priced) {
            row->cost_bps = (double) (row->live.avg_e8 - row->paper.avg_e8) * 1e4
                          / (double) row->paper.avg_e8;
            if (row->side == EP_SIDE (SELL))
                row->cost_bps = -row->cost_bps;
        }
    }
    s_summary_t summary;
    s_summarize (&shadow, &summary);
    s_print_text (&shadow, &summary, paper, out);
    rc = html_path ? s_write_html (&shadow, &summary, paper, journal, html_path) : 0;
    goto done;

db_error:
    fprintf (stderr, "ep-replay: %s: %s\n", journal, sqlite3_errmsg (db));
    rc = 1;
done:
    sqlite3_finalize (intents);
    sqlite3_finalize (terminal);
    sqlite3_finalize (lookup);
    ep_paper_book_destroy (&book);
    free (shadow.rows);
    return rc;
}
