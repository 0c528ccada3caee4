/*  ep_live_fills: the fills a venue's answer reveals.  */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "ep_live_fills.h"

int64_t
ep_live_avg_price (int64_t executed_qty_e8, int64_t cum_quote_e8)
{
    int64_t avg_e8 = 0;
    //  On overflow avg_e8 stays 0: no price rather than a wrong one
    ep_decimal_avg_price (ep_decimal_notional (cum_quote_e8), executed_qty_e8, &avg_e8);
    return avg_e8;
}

int64_t
ep_live_quote (int64_t executed_qty_e8, int64_t avg_price_e8)
{
    return (int64_t) ((__int128) executed_qty_e8 * avg_price_e8 / EP_E8);
}

int
ep_live_fills_of_answer (ep_live_fills_t *fills, const char *client_order_id,
                         const ep_venue_result_t *result)
{
    assert (fills && client_order_id && result);
    int rc = ep_live_fills_of_trades (fills, client_order_id, result->fills, result->fill_count);
    //  A submission's fills carry no time of their own: the order's
    for (size_t i = 0; rc == 0 && i < fills->count; i++)
        if (!fills->fills [i].trade_time_ms)
            fills->fills [i].trade_time_ms = result->venue_time_ms;
    return rc;
}

int
ep_live_fills_of_trades (ep_live_fills_t *fills, const char *client_order_id,
                         const ep_venue_fill_t *trades, size_t count)
{
    assert (fills && client_order_id && (trades || count == 0));
    *fills = (ep_live_fills_t) { 0 };
    fills->fills = calloc (count + 1, sizeof *fills->fills);
    fills->pointers = calloc (count + 1, sizeof *fills->pointers);
    fills->ids = calloc (count + 1, sizeof *fills->ids);
    fills->assets = calloc (count + 1, sizeof *fills->assets);
    if (!fills->fills || !fills->pointers || !fills->ids || !fills->assets) {
        ep_live_fills_free (fills);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        ep_fill_t *fill = &fills->fills [i];
        execplane__v1__fill__init (fill);
        snprintf (fills->ids [i], sizeof fills->ids [i], "%s.%s", client_order_id,
                  trades [i].trade_id);
        fill->fill_id = fills->ids [i];
        fill->qty_e8 = trades [i].qty_e8;
        fill->price_e8 = trades [i].price_e8;
        fill->fee_e8 = trades [i].fee_e8;
        snprintf (fills->assets [i], sizeof fills->assets [i], "%s", trades [i].fee_asset);
        fill->fee_asset = fills->assets [i];
        fill->trade_time_ms = trades [i].time_ms;
        fills->pointers [i] = fill;
    }
    fills->count = count;
    return 0;
}

void
ep_live_fills_free (ep_live_fills_t *fills)
{
    free (fills->fills);
    free (fills->pointers);
    free (fills->ids);
    free (fills->assets);
    *fills = (ep_live_fills_t) { 0 };
}

void
ep_live_fill_of_query (const ep_audit_order_t *known, const ep_venue_result_t *result,
                       uint32_t number, ep_fill_t *fill, char fill_id [EP_LIVE_FILL_ID_MAX])
{
    int64_t qty = result->executed_qty_e8 - known->executed_qty_e8;
    int64_t quote = result->cum_quote_e8 - known->cum_quote_e8;
    execplane__v1__fill__init (fill);
    snprintf (fill_id, EP_LIVE_FILL_ID_MAX, "%s.q%u", known->client_order_id, number);
    fill->fill_id = fill_id;
    fill->qty_e8 = qty;
    fill->price_e8 = ep_live_avg_price (qty, quote);
    fill->fee_e8 = 0;
    fill->trade_time_ms = result->venue_time_ms;    //  the order's change that told it
}

void
ep_live_rebase (const ep_audit_order_t *known, ep_venue_result_t *result,
                ep_venue_result_t *trades)
{
    assert (known);
    int64_t base = known->base_qty_e8;
    if (base <= 0)
        return;
    if (result && result->status != EP_STATUS (STATUS_UNSPECIFIED)) {
        char said [EP_DECIMAL_BUFSIZE], before [EP_DECIMAL_BUFSIZE];
        ep_decimal_format (result->executed_qty_e8, said);
        ep_decimal_format (base, before);
        size_t len = strlen (result->reason);
        if (result->executed_qty_e8 >= base) {
            result->executed_qty_e8 -= base;
            result->cum_quote_e8 = result->cum_quote_e8 > known->base_quote_e8
                                 ? result->cum_quote_e8 - known->base_quote_e8 : 0;
            snprintf (result->reason + len, sizeof result->reason - len,
                      "%s%s of venue order %s executed under the order it amends, before "
                      "the amend: counted from there", len ? "; " : "", before,
                      *result->venue_order_id ? result->venue_order_id : known->venue_order_id);
        }
        else
        if (result->executed_qty_e8 > 0 || result->cum_quote_e8 > 0) {
            //  Less than before the amend: a venue that contradicts itself
            snprintf (result->reason + len, sizeof result->reason - len,
                      "%sthe venue says %s executed, less than the %s before the amend",
                      len ? "; " : "", said, before);
            result->executed_qty_e8 = 0;
            result->cum_quote_e8 = 0;
        }
        result->avg_price_e8 = ep_live_avg_price (result->executed_qty_e8,
                                                  result->cum_quote_e8);
        //  Partly filled under the target only: nothing of this order yet
        if (result->status == EP_STATUS (PARTIALLY_FILLED) && result->executed_qty_e8 == 0)
            result->status = EP_STATUS (ACCEPTED);
    }
    if (trades && trades->fill_count) {
        int64_t before = 0;
        size_t index = 0;
        while (index < trades->fill_count && before < base)
            before += trades->fills [index++].qty_e8;
        if (before != base)
            index = trades->fill_count;     //  they do not tell what was the target's
        memmove (trades->fills, trades->fills + index,
                 (trades->fill_count - index) * sizeof *trades->fills);
        trades->fill_count -= index;
    }
}
