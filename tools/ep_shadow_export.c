/*  ep_shadow_export: the shadow report's per-intent table as CSV (RFC 4180:
    a header line, CRLF) and as JSON (an array of objects, e8 amounts as
    decimal strings), one record per intent with the same values.  */
#include <errno.h>
#include <string.h>
#include "ep_decimal.h"
#include "ep_names.h"
#include "ep_shadow_internal.h"

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
s_record (const ep_shadow_row_t *row, s_record_t *rec)
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
    S_SET (S_BOOL, "%s", ep_shadow_class (&row->live) != ep_shadow_class (&row->paper)
                         ? "true" : "false");
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
    S_SET (S_FEES, "%s", row->live_fees.count
                         ? ep_shadow_amounts_format (&row->live_fees, "; ", fees, sizeof fees)
                         : "");
    S_SET (S_BOOL, "%s", row->fees_unconverted ? "false" : "true");
    S_SET (S_STRING, "%s", "0");
    S_SET (S_BOOL, "%s", row->live.reconciled ? "true" : "false");
    S_SET (S_STRING, "%s", row->live.definition);
    char at [48];
    S_SET (S_STRING, "%s", ep_shadow_utc (row->live.journaled_us, true, at, sizeof at));
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

int
ep_shadow_write_csv (const ep_shadow_t *self, const char *path)
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

int
ep_shadow_write_json (const ep_shadow_t *self, const char *path)
{
    FILE *out = fopen (path, "w");
    if (!out) {
        fprintf (stderr, "ep-replay: cannot write %s: %s\n", path, strerror (errno));
        return 1;
    }
    fputs ("[", out);
    s_record_t rec;
    for (size_t i = 0; i < self->count; i++) {
        const ep_shadow_row_t *row = &self->rows [i];
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
