/*  ep_shadow: how the live plane diverged from the paper plane.

    The journal's live intents, in router_seq order, run through a fresh
    paper book (the paper settings of the configuration): what paper would
    have done with exactly the intents live was given. Each intent's live
    outcome is its terminal report in the journal; its paper outcome is the
    last report the book made on it (a resting order fills, or not, as later
    intents cross it). The report compares them per intent and in
    aggregate: outcome classes, filled quantity, and the price difference
    in basis points, signed so that + is live worse for the side (a BUY
    that paid more, a SELL that got less), weighted by notional, net of
    the live fees, and in the quote currency; by strategy, symbol and
    plane definition. An intent's live outcome is its newest reconciled
    terminal report if it has one (a reconciliation that resolved an
    UNKNOWN), else its first terminal report.  */
#ifndef EP_SHADOW_H_INCLUDED
#define EP_SHADOW_H_INCLUDED

#include <sqlite3.h>
#include <stdio.h>
#include "ep_paper_book.h"

//  Where the report goes besides the text table (each NULL for none): the
//  HTML page, and the per-intent table as CSV (RFC 4180, a header line,
//  CRLF) and as JSON (an array of objects, e8 amounts as decimal strings).
typedef struct {
    const char *html_path;
    const char *csv_path;
    const char *json_path;
} ep_shadow_output_t;

//  Runs the comparison on the journal db with the paper settings given,
//  prints the text report on out and writes the files output names.
//  Returns 0, 1 on a journal or I/O error (said on stderr).
int ep_shadow_run (sqlite3 *db, const char *journal, const ep_paper_config_t *paper,
                   FILE *out, const ep_shadow_output_t *output);

#endif
