/*  ep_shadow_html: the shadow report as a self-contained HTML page (inline
    SVG charts, no external asset; a small inline script checks, once the
    page is laid out, that every chart has a size and says so in the body's
    data-render attribute).  */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "ep_decimal.h"
#include "ep_names.h"
#include "ep_shadow_internal.h"

//  The breakdown tables' ids, by ep_shadow_by_t.
static const char *s_by_ids [EP_SHADOW_BYS] = { "strategies", "symbols", "definitions" };

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

//  The largest price difference either way, at least 1 bps: the extent of
//  a chart's bps axis.
static double
s_extent (const ep_shadow_summary_t *sum)
{
    double extent = fmax (fabs (sum->min), fabs (sum->max));
    return extent < 1 ? 1 : extent;
}

//  Opens a chart of price differences (bps): its figure, caption and svg
//  element, and the bps axis around a zero line at mid.
static void
s_svg_bps_open (FILE *out, const char *id, const char *caption, double mid, double span,
                double extent)
{
    fprintf (out, "<figure><figcaption>%s</figcaption>\n"
             "<svg id=\"%s\" class=\"chart\" role=\"img\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
             caption, id, S_W, S_H, S_W, S_H);
    fprintf (out, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n"
             "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text>\n",
             S_PAD, mid, S_W - S_PAD, mid, S_PAD - 4, mid + 4, S_PAD - 4, mid - span + 4,
             extent, S_PAD - 4, mid + span + 4, -extent);
}

//  One intent's price difference: a .mark dot at (x, y), titled with the
//  intent, at (the time given, if any) and its bps.
static void
s_svg_dot (FILE *out, const ep_shadow_row_t *row, double x, double y, const char *at)
{
    fprintf (out, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
             row->cost_bps > 0 ? "worse" : row->cost_bps < 0 ? "better" : "same", x, y);
    s_escape (out, row->strategy_id);
    fputc ('/', out);
    s_escape (out, row->intent_id);
    fprintf (out, "%s%s: %+.2f bps</title></circle>\n", at ? " at " : "", at ? at : "",
             row->cost_bps);
}

//  The price difference of each intent filled on both planes, in
//  router_seq order: one .mark dot each, around a zero line.
static void
s_svg_dots (FILE *out, const ep_shadow_t *self, const ep_shadow_summary_t *sum)
{
    double extent = s_extent (sum);
    double mid = S_H / 2.0, span = S_H / 2.0 - S_PAD / 2.0;
    s_svg_bps_open (out, "price-diff-by-intent", "Price difference per intent filled on both "
                    "planes, in router_seq order (bps, + = live worse)", mid, span, extent);
    if (!sum->priced)
        fprintf (out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">"
                 "no intent was filled on both planes</text>\n", S_W / 2, mid - 10);
    size_t k = 0;
    double step = sum->priced > 1 ? (double) (S_W - 3 * S_PAD) / (double) (sum->priced - 1) : 0;
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
        if (!row->priced)
            continue;
        double x = sum->priced > 1 ? 1.5 * S_PAD + step * (double) k : S_W / 2.0;
        s_svg_dot (out, row, x, mid - span * row->cost_bps / extent, NULL);
        k++;
    }
    fprintf (out, "</svg></figure>\n");
}

//  The price difference of each intent filled on both planes against the
//  wall-clock time its live outcome was journaled: one .mark dot each,
//  around a zero line, the axis' ends labelled with their UTC times.
static void
s_svg_time (FILE *out, const ep_shadow_t *self, const ep_shadow_summary_t *sum)
{
    double extent = s_extent (sum);
    double mid = S_H / 2.0 - 8, span = S_H / 2.0 - S_PAD / 2.0 - 8;
    double left = 1.5 * S_PAD, width = S_W - 3 * S_PAD;
    s_svg_bps_open (out, "price-diff-over-time", "Price difference over time: each intent "
                    "filled on both planes at the time its live outcome was journaled (bps, + "
                    "= live worse; UTC)", mid, span, extent);
    fprintf (out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
             left, S_H - 22, left + width, S_H - 22);
    if (sum->first_us) {
        char first [48], last [48];
        ep_shadow_utc (sum->first_us, true, first, sizeof first);
        ep_shadow_utc (sum->last_us, sum->last_us / 86400000000LL != sum->first_us / 86400000000LL,
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
        const ep_shadow_row_t *row = &self->rows [i];
        if (!row->priced || row->live.journaled_us <= 0)
            continue;
        double x = range > 0 ? left + width * (double) (row->live.journaled_us - sum->first_us)
                             / range : S_W / 2.0;
        char at [48];
        s_svg_dot (out, row, x, mid - span * row->cost_bps / extent,
                   ep_shadow_utc (row->live.journaled_us, true, at, sizeof at));
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
s_html_groups (FILE *out, const ep_shadow_t *self, ep_shadow_by_t by)
{
    ep_shadow_group_t groups [EP_SHADOW_GROUPS];
    size_t others, count = ep_shadow_groups (self, by, groups, &others);
    fprintf (out, "<h2>By %s</h2>\n<table id=\"%s\"><tr><th>%s</th><th>intents</th>"
             "<th>outcome classes that differ</th><th>filled on both</th>"
             "<th>price diff mean, bps</th><th>notional-weighted, bps</th>"
             "<th>quote diff (+ = live lost)</th></tr>\n", ep_shadow_by_names [by], s_by_ids [by],
             by == EP_SHADOW_BY_DEFINITION ? "definition" : ep_shadow_by_names [by]);
    for (size_t g = 0; g < count; g++) {
        fprintf (out, "<tr><td><code>");
        s_escape (out, *groups [g].key ? groups [g].key : "(none)");
        fprintf (out, "</code></td><td>%zu</td><td>%zu</td><td>%zu</td><td>",
                 groups [g].intents, groups [g].differ, groups [g].priced);
        if (groups [g].priced) {
            char quote [256];
            fprintf (out, "%+.2f</td><td>%+.2f</td><td>",
                     groups [g].cost_sum / (double) groups [g].priced,
                     ep_shadow_weighted (&groups [g]));
            s_escape (out, ep_shadow_group_quote (&groups [g], quote, sizeof quote));
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

int
ep_shadow_write_html (const ep_shadow_t *self, const ep_shadow_summary_t *sum,
                      const ep_paper_config_t *paper, const char *journal, const char *path)
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
                 ep_shadow_weighted (&sum->all), sum->net_mean, sum->all.notional_sum > 0
                 ? sum->net_weighted_sum / sum->all.notional_sum : sum->net_mean);
        s_escape (out, ep_shadow_group_quote (&sum->all, quote, sizeof quote));
        fprintf (out, "</td></tr>");
    }
    char fees [256];
    fprintf (out, "<tr><th>live fees</th><td>");
    s_escape (out, ep_shadow_amounts_format (&sum->live_fees, ", ", fees, sizeof fees));
    fprintf (out, "; paper fees 0%s</td></tr>", sum->fees_unconverted
             ? " (some in an asset other than the symbol's base or quote: not converted)" : "");
    fprintf (out, "<tr><th>live outcomes reconciled</th><td>%zu</td></tr>", sum->reconciled);
    fprintf (out, "<tr><th>filled quantity, live &minus; paper</th><td>%s over %zu intent(s)"
             "</td></tr></table>\n", ep_decimal_format (sum->qty_diff_e8, qty), sum->qty_differ);

    s_svg_bars (out, "outcome-classes", "Outcome classes: live and paper", EP_SHADOW_CLASSES,
                ep_shadow_class_names, sum->live_classes, "live", sum->paper_classes, "paper");
    s_svg_bars (out, "price-diff-histogram",
                "Distribution of the price difference (bps, + = live worse)", EP_SHADOW_BUCKETS,
                ep_shadow_bucket_names, sum->buckets, NULL, NULL, NULL);
    s_svg_dots (out, self, sum);
    s_svg_time (out, self, sum);

    fprintf (out, "<h2>Outcome classes, live &rarr; paper</h2>\n<table id=\"matrix\">"
             "<tr><th>live \\ paper</th>");
    for (int p = 0; p < EP_SHADOW_CLASSES; p++)
        fprintf (out, "<th>%s</th>", ep_shadow_class_names [p]);
    fprintf (out, "</tr>\n");
    for (int l = 0; l < EP_SHADOW_CLASSES; l++) {
        fprintf (out, "<tr><th>%s</th>", ep_shadow_class_names [l]);
        for (int p = 0; p < EP_SHADOW_CLASSES; p++)
            fprintf (out, "<td>%zu</td>", sum->matrix [l][p]);
        fprintf (out, "</tr>\n");
    }
    fprintf (out, "</table>\n");
    s_html_groups (out, self, EP_SHADOW_BY_DEFINITION);
    s_html_groups (out, self, EP_SHADOW_BY_STRATEGY);
    s_html_groups (out, self, EP_SHADOW_BY_SYMBOL);
    fprintf (out, "<h2>Per intent</h2>\n<table id=\"intents\"><tr><th>router_seq</th>"
             "<th>intent</th><th>symbol</th><th>side</th><th>qty</th><th>live</th>"
             "<th>paper</th><th>live fees</th><th>qty diff</th><th>quote diff</th><th>net bps</th>"
             "<th>price diff, bps</th><th>live journaled (UTC)</th></tr>\n");
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
        char live [96], paper_text [96], diff [EP_DECIMAL_BUFSIZE];
        bool differs = ep_shadow_class (&row->live) != ep_shadow_class (&row->paper);
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
        s_escape (out, ep_shadow_outcome (&row->live, live, sizeof live));
        if (row->live.reconciled)
            fprintf (out, " <em>(reconciled)</em>");
        fprintf (out, "</td><td title=\"");
        s_escape (out, row->paper.reason);
        fprintf (out, "\">");
        s_escape (out, ep_shadow_outcome (&row->paper, paper_text, sizeof paper_text));
        char row_fees [300], at [48];
        fprintf (out, "</td><td>");
        s_escape (out, ep_shadow_fees_text (row, row_fees, sizeof row_fees));
        fprintf (out, "</td><td>%s</td><td>",
                 ep_decimal_format (row->live.filled_e8 - row->paper.filled_e8, diff));
        if (row->priced) {
            char amount [EP_DECIMAL_BUFSIZE];
            fprintf (out, "%s ", ep_decimal_format (row->quote_diff_e8, amount));
            s_escape (out, ep_shadow_quote_label (row));
            fprintf (out, "</td><td>%+.2f</td><td>%+.2f", row->net_bps, row->cost_bps);
        }
        else
            fprintf (out, "&ndash;</td><td>&ndash;</td><td>&ndash;");
        fprintf (out, "</td><td>%s</td></tr>\n",
                 ep_shadow_utc (row->live.journaled_us, true, at, sizeof at));
    }
    fprintf (out, "</table>\n</body></html>\n");
    int rc = ferror (out) ? 1 : 0;
    if (fclose (out) || rc) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    return 0;
}
