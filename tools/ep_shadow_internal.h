/*  ep_shadow_internal: what the shadow report's parts share. ep_shadow.c
    reads the journal, runs the paper plane, compares, aggregates and
    prints the text table; ep_shadow_html.c writes the HTML page and
    ep_shadow_export.c the CSV and JSON exports, from the same rows and
    summary. Private to tools/: the public entry is ep_shadow.h.  */
#ifndef EP_SHADOW_INTERNAL_H_INCLUDED
#define EP_SHADOW_INTERNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ep_shadow.h"
#include "ep_wire.h"

//  An outcome's class, as the report compares them across the planes.
typedef enum {
    EP_SHADOW_FILLED, EP_SHADOW_PARTIAL, EP_SHADOW_NONE, EP_SHADOW_UNKNOWN, EP_SHADOW_OPEN,
    EP_SHADOW_CLASSES
} ep_shadow_class_t;
extern const char *ep_shadow_class_names [EP_SHADOW_CLASSES];

typedef struct {
    bool known;                         //  live: a terminal report; paper: any report
    int status, failure;
    int64_t filled_e8, avg_e8;
    char reason [160];
    char definition [65];               //  the plane definition it was produced under
    bool reconciled;                    //  live: the outcome of a reconciliation
    int64_t journaled_us;               //  live: when the router journaled it (0: not told)
} ep_shadow_side_t;

//  Amounts per asset (fees, differences in a quote currency).
#define EP_SHADOW_ASSETS 6
#define EP_SHADOW_ASSET_MAX 32
typedef struct {
    char asset [EP_SHADOW_ASSETS][EP_SHADOW_ASSET_MAX];
    int64_t amount_e8 [EP_SHADOW_ASSETS];
    size_t count;
    bool more;                          //  assets beyond EP_SHADOW_ASSETS, left out
} ep_shadow_amounts_t;

typedef struct {
    uint64_t router_seq;
    char strategy_id [EP_ID_MAX + 1];
    char intent_id [EP_ID_MAX + 1];
    char symbol [EP_ID_MAX + 1];
    int side, type;
    int64_t qty_e8;
    ep_shadow_side_t live, paper;
    bool priced;                        //  filled on both planes
    double cost_bps;                    //  + : live worse for the side
    //  "" when the symbol does not split
    char base [EP_SHADOW_ASSET_MAX], quote [EP_SHADOW_ASSET_MAX];
    ep_shadow_amounts_t live_fees;      //  of all the live fills, per fee asset
    int64_t fee_quote_e8;               //  the live fees convertible to the quote asset, in it
    bool fees_unconverted;              //  some live fee is in another asset
    double net_bps;                     //  cost_bps with the converted fees (priced only)
    int64_t quote_diff_e8;              //  live - paper cost for the side (priced only)
    double notional;                    //  min (filled) x paper price (priced only)
} ep_shadow_row_t;

typedef struct {
    ep_shadow_row_t *rows;              //  in router_seq order
    size_t count, capacity;
    bool failed;                        //  out of memory
} ep_shadow_t;

//  The price differences' histogram: bucket i holds [edge i-1, edge i).
#define EP_SHADOW_BUCKETS 11
extern const char *ep_shadow_bucket_names [EP_SHADOW_BUCKETS];

//  The live intents by strategy, by symbol and by the live plane definition
//  they were realized under (every outcome traces to the environment that
//  produced it).
typedef enum {
    EP_SHADOW_BY_STRATEGY, EP_SHADOW_BY_SYMBOL, EP_SHADOW_BY_DEFINITION, EP_SHADOW_BYS
} ep_shadow_by_t;
extern const char *ep_shadow_by_names [EP_SHADOW_BYS];

#define EP_SHADOW_GROUPS 16
typedef struct {
    char key [EP_ID_MAX + 65];          //  "" for none (a report before definitions)
    size_t intents, differ, priced;
    double cost_sum;                    //  of cost_bps over the priced
    double weighted_sum, notional_sum;  //  of cost_bps x notional, of notional
    ep_shadow_amounts_t quote_diff;     //  per quote asset
} ep_shadow_group_t;

typedef struct {
    size_t intents, priced, differ, qty_differ;
    size_t matrix [EP_SHADOW_CLASSES][EP_SHADOW_CLASSES];   //  [live][paper]
    size_t live_classes [EP_SHADOW_CLASSES], paper_classes [EP_SHADOW_CLASSES];
    size_t buckets [EP_SHADOW_BUCKETS];
    int64_t qty_diff_e8;                //  sum of live - paper filled
    double mean, p50, p90, min, max;    //  of cost_bps over the priced
    ep_shadow_group_t all;              //  every intent as one group
    double net_mean, net_weighted_sum;  //  of net_bps over the priced
    ep_shadow_amounts_t live_fees;      //  of every live fill, per fee asset
    size_t fees_unconverted;            //  intents with a fee in another asset
    size_t reconciled;                  //  intents whose live outcome is reconciled
    int64_t first_us, last_us;          //  journaled_us of the priced, min and max
} ep_shadow_summary_t;

//  Formats amounts as "0.1001 USDT", several joined by sep, "0" for none.
const char *ep_shadow_amounts_format (const ep_shadow_amounts_t *self, const char *sep,
                                      char *buf, size_t size);

//  Returns the currency of a row's quote-currency difference.
const char *ep_shadow_quote_label (const ep_shadow_row_t *row);

//  Formats wall-clock microseconds as UTC ISO 8601 ("" for 0).
const char *ep_shadow_utc (int64_t us, bool with_date, char *buf, size_t size);

//  Returns the class of a side's outcome.
ep_shadow_class_t ep_shadow_class (const ep_shadow_side_t *side);

//  Fills groups by a key (at most EP_SHADOW_GROUPS; the rest are counted
//  in *others) and returns how many it filled.
size_t ep_shadow_groups (const ep_shadow_t *self, ep_shadow_by_t by,
                         ep_shadow_group_t groups [EP_SHADOW_GROUPS], size_t *others);

//  Returns the notional-weighted mean of a group's price differences.
double ep_shadow_weighted (const ep_shadow_group_t *group);

//  Formats a side's outcome: "FILLED 0.4 @ 250.25", "REJECTED ...".
const char *ep_shadow_outcome (const ep_shadow_side_t *side, char *buf, size_t size);

//  Formats a row's live fees, "(not converted)" after some in another asset.
const char *ep_shadow_fees_text (const ep_shadow_row_t *row, char *buf, size_t size);

//  Formats a group's quote-currency difference ("-" when nothing was priced).
const char *ep_shadow_group_quote (const ep_shadow_group_t *group, char *buf, size_t size);

//  Writes the HTML page to path; returns 0, 1 on an I/O error (said on stderr).
int ep_shadow_write_html (const ep_shadow_t *self, const ep_shadow_summary_t *sum,
                          const ep_paper_config_t *paper, const char *journal, const char *path);

//  Writes the per-intent table as CSV to path; returns 0, 1 on an I/O error.
int ep_shadow_write_csv (const ep_shadow_t *self, const char *path);

//  Writes the per-intent table as JSON to path; returns 0, 1 on an I/O error.
int ep_shadow_write_json (const ep_shadow_t *self, const char *path);

#endif
