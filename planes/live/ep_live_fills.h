/*  ep_live_fills: the fills a venue's answer reveals, as reports carry them.

    A submission's answer lists its trades: each becomes a fill named
    CLIENT_ORDER_ID.TRADE_ID. A status query gives only cumulative figures:
    what changed since the last report becomes one fill at its average
    price, named CLIENT_ORDER_ID.qN, N its number among the order's fills.
    Pure: no I/O, no clock.  */
#ifndef EP_LIVE_FILLS_H_INCLUDED
#define EP_LIVE_FILLS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "ep_audit.h"
#include "ep_venue.h"
#include "ep_wire.h"

#define EP_LIVE_FILL_ID_MAX 80          //  a fill id, with its NUL

//  The average price of a cumulative fill (ep_decimal_avg_price), rounded
//  down; 0 when nothing filled or when it does not fit.
int64_t ep_live_avg_price (int64_t executed_qty_e8, int64_t cum_quote_e8);

//  The quote of a cumulative fill from its average price (as
//  ep_live_avg_price rounds, to within a unit of the last place).
int64_t ep_live_quote (int64_t executed_qty_e8, int64_t avg_price_e8);

//  The fills of one answer, ready for a report: pointers [0 .. count).
typedef struct {
    ep_fill_t *fills;                   //  the fills themselves
    ep_fill_t **pointers;               //  what ep_report_t.fills takes
    char (*ids) [EP_LIVE_FILL_ID_MAX];  //  their ids
    char (*assets) [EP_VENUE_FEE_ASSET_MAX];    //  their fee assets
    size_t count;                       //  how many
} ep_live_fills_t;

//  Makes the fills of a submission's answer on client_order_id. Returns 0,
//  or -1 on out of memory (then fills is empty: a report without them).
int ep_live_fills_of_answer (ep_live_fills_t *fills, const char *client_order_id,
                             const ep_venue_result_t *result);

//  Makes the fills of count trades (a venue's list) of client_order_id,
//  named CLIENT_ORDER_ID.TRADE_ID with their fees. Returns 0, or -1 on out
//  of memory (then fills is empty).
int ep_live_fills_of_trades (ep_live_fills_t *fills, const char *client_order_id,
                             const ep_venue_fill_t *trades, size_t count);

//  Frees what ep_live_fills_of_answer made; fills is empty afterwards.
void ep_live_fills_free (ep_live_fills_t *fills);

//  The fill a query reveals: the change in cumulative quantity and quote
//  from known (the last report) to result, as one fill at their average
//  price, numbered number; its id is written in fill_id, which fill
//  points to. The fee is 0: an order query does not report fees.
void ep_live_fill_of_query (const ep_audit_order_t *known, const ep_venue_result_t *result,
                            uint32_t number, ep_fill_t *fill,
                            char fill_id [EP_LIVE_FILL_ID_MAX]);

//  An amend's new order is its target's venue order renamed, which keeps
//  what it executed: that part, its base (known->base_qty_e8 and
//  base_quote_e8), was the target's. Rebases an observation of the venue
//  order (a status query's or cancel's answer, a stream event) onto the new
//  order, the one place where this is done: result (with a status; NULL:
//  none) counts from the base: its executed quantity, quote and average
//  price less the base's (never below 0; PARTIALLY_FILLED with nothing
//  beyond the base is ACCEPTED), and its reason says how much of the venue
//  order executed under the target; trades (the venue order's
//  trades, an EP_VENUE_TRADES answer; NULL: none) lose their first ones,
//  those that make up the base, or all of them if none add up to it
//  exactly (then they tell nothing). Without a base nothing changes.
void ep_live_rebase (const ep_audit_order_t *known, ep_venue_result_t *result,
                     ep_venue_result_t *trades);

#endif
