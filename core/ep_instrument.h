/*  ep_instrument: a venue's trading rules per symbol (its filters), and the
    one check of an intent against them that both planes make, so that paper
    and live refuse the same intents. Nothing is ever rounded to fit: an
    intent that breaks a rule is refused, naming the rule and the values.

    The rules are those of Binance Spot's exchangeInfo (filters.md), kept in
    e8 units. A zero bound disables its rule, as the venue's does:
    - status: only TRADING accepts orders;
    - order types: those the symbol allows (MARKET, LIMIT);
    - PRICE_FILTER: min_price <= price <= max_price, price % tick_size == 0;
    - LOT_SIZE (every order) and MARKET_LOT_SIZE (MARKET orders):
      min_qty <= qty <= max_qty, qty % step_size == 0;
    - NOTIONAL (or the older MIN_NOTIONAL): min_notional <= price * qty <=
      max_notional; a MARKET order only where the venue applies it to MARKET
      orders;
    - PERCENT_PRICE_BY_SIDE (PERCENT_PRICE gives both sides the same):
      price within [reference * down, reference * up] of its side.
    Where the venue uses its own average price (a MARKET order's notional,
    the percent-price band), the check uses the intent's ref_price, and
    skips the rule when there is none.

    The text form, one symbol a line, is what `ep-live --export-instruments`
    writes and `paper/instruments` reads:

        SYMBOL status=TRADING types=LIMIT,MARKET price=MIN:MAX:TICK
            lot=MIN:MAX:STEP market_lot=MIN:MAX:STEP
            notional=MIN:MAX:MARKET_MIN:MARKET_MAX percent=BID_UP:BID_DOWN:ASK_UP:ASK_DOWN
            [base=ASSET quote=ASSET]

    (on one line; decimals as ep_decimal writes them, MARKET_MIN and
    MARKET_MAX 0 or 1; '#' starts a comment line). Pure: no I/O, no clock.  */
#ifndef EP_INSTRUMENT_H_INCLUDED
#define EP_INSTRUMENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_wire.h"

#define EP_INSTRUMENT_SYMBOL_MAX 32     //  a symbol, with its NUL

typedef struct {
    int64_t min_e8, max_e8, step_e8;    //  0: that bound is not checked
} ep_instrument_range_t;

#define EP_INSTRUMENT_ASSET_MAX 16      //  an asset's name, with its NUL

typedef struct {
    char symbol [EP_INSTRUMENT_SYMBOL_MAX];
    char base [EP_INSTRUMENT_ASSET_MAX];    //  the asset bought and sold ("" if not told)
    char quote [EP_INSTRUMENT_ASSET_MAX];   //  the asset it is priced in
    bool trading;                       //  status TRADING
    bool market, limit;                 //  the order types it accepts
    ep_instrument_range_t price;        //  PRICE_FILTER (step: tickSize)
    ep_instrument_range_t lot;          //  LOT_SIZE
    ep_instrument_range_t market_lot;   //  MARKET_LOT_SIZE
    int64_t min_notional_e8, max_notional_e8;
    bool min_notional_market, max_notional_market;
    int64_t bid_up_e8, bid_down_e8;     //  multipliers, e8 (1.2 -> 120000000)
    int64_t ask_up_e8, ask_down_e8;
} ep_instrument_t;

typedef struct {
    ep_instrument_t *items;             //  sorted by symbol, each once
    size_t count;
} ep_instruments_t;

//  The instrument for symbol, or NULL.
const ep_instrument_t *ep_instruments_find (const ep_instruments_t *self, const char *symbol);

//  Checks a PLACE or REPLACE (its new order) against the symbol's rules.
//  Returns true if it passes; else false with the reason ("LOT_SIZE: qty
//  0.0001 is below minQty 0.001") in reason.
bool ep_instrument_check (const ep_instrument_t *self, const ep_intent_t *intent,
                          char *reason, size_t reason_size);

//  Checks intent against the table: an unknown symbol is refused when the
//  table has any symbol at all; an empty table checks nothing.
bool ep_instruments_check (const ep_instruments_t *self, const ep_intent_t *intent,
                           char *reason, size_t reason_size);

//  Parses the text form (size bytes) into self, which it owns afterwards
//  (ep_instruments_clear). Returns 0, or -1 with "line N: why" in error and
//  self empty.
int ep_instruments_parse (ep_instruments_t *self, const char *text, size_t size,
                          char *error, size_t error_size);

//  Writes the text form of self; returns a malloc'd NUL-terminated text
//  (the caller frees it), or NULL on out of memory.
char *ep_instruments_format (const ep_instruments_t *self);

//  Adds (or replaces) an instrument, keeping the table sorted. Returns 0,
//  or -1 on out of memory (the table unchanged).
int ep_instruments_put (ep_instruments_t *self, const ep_instrument_t *instrument);

//  Frees what the table holds; it is empty afterwards.
void ep_instruments_clear (ep_instruments_t *self);

#endif
