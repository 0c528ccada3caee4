/*  fakex_book: the fake venue's orders and its matching rule, with no I/O
    and no clock (callers pass the time). Every amount is int64 e8.

    Matching against one configured price P: MARKET fills entirely at P; a
    marketable LIMIT (BUY at or above P, SELL at or below P) fills entirely
    at P; a non-marketable LIMIT IOC/FOK expires unfilled; a non-marketable
    LIMIT GTC rests, and each later query on it fills half of its quantity
    (rounded down to 1e-8) at its limit price, the next one the rest.
    Commission on each fill: 0.1% of its notional, rounded down to 1e-8.

    Each of these changes that only when asked: P per symbol
    (fakex_book_set_price); P following a path over time, which then fills
    resting orders it crosses instead of the queries (fakex_book_set_path,
    fakex_book_advance); a MARKET order filling at most some quantity and
    expiring the rest (fakex_book_set_liquidity); the commission's amount
    and asset, and a word on every fill (fakex_book_set_hooks) and on every
    placement (fakex_book_set_report). Every fill is kept for myTrades.
    fakex_book_trade fills a resting order by the quantity a test asks.  */
#ifndef FAKEX_BOOK_H_INCLUDED
#define FAKEX_BOOK_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define FAKEX_CLIENT_ID_MAX 36
#define FAKEX_SYMBOL_MAX    20
#define FAKEX_ASSET_MAX     16

typedef enum { FAKEX_BUY, FAKEX_SELL } fakex_side_t;
typedef enum { FAKEX_MARKET, FAKEX_LIMIT } fakex_type_t;
typedef enum { FAKEX_GTC, FAKEX_IOC, FAKEX_FOK } fakex_tif_t;
typedef enum {
    FAKEX_NEW, FAKEX_PARTIALLY_FILLED, FAKEX_FILLED, FAKEX_CANCELED, FAKEX_EXPIRED
} fakex_status_t;

typedef struct {
    int64_t order_id;           //  venue order id, increasing from 1
    char client_id [FAKEX_CLIENT_ID_MAX + 1];   //  newClientOrderId
    char symbol [FAKEX_SYMBOL_MAX + 1];
    fakex_side_t side;
    fakex_type_t type;
    fakex_tif_t tif;            //  GTC for MARKET, as Binance reports it
    int64_t qty_e8;             //  origQty
    int64_t price_e8;           //  limit price; 0 for MARKET
    int64_t executed_e8;        //  executedQty
    int64_t quote_e8;           //  cummulativeQuoteQty
    fakex_status_t status;
    int64_t time_ms;            //  when placed (transactTime, time, workingTime)
    int64_t update_ms;          //  last change
} fakex_order_t;

typedef struct {
    int64_t price_e8;
    int64_t qty_e8;
    int64_t commission_e8;      //  in commission_asset
    int64_t trade_id;           //  increasing from 1, venue-wide
    char commission_asset [FAKEX_ASSET_MAX + 1];    //  USDT whatever the symbol,
                                                    //  unless a fee function says
} fakex_fill_t;

//  One fill as GET /api/v3/myTrades lists it
typedef struct {
    int64_t trade_id;
    int64_t order_id;
    char symbol [FAKEX_SYMBOL_MAX + 1];
    fakex_side_t side;
    int64_t price_e8;
    int64_t qty_e8;
    int64_t quote_e8;           //  price times qty, rounded down
    int64_t commission_e8;
    char commission_asset [FAKEX_ASSET_MAX + 1];
    int64_t time_ms;
    bool maker;                 //  the order rested when it filled
} fakex_trade_t;

//  Sets a fill's commission and its asset; the default is 0.1% of the
//  notional in USDT
typedef void (fakex_fee_fn) (void *arg, const fakex_order_t *order, int64_t qty_e8,
                             int64_t price_e8, int64_t *commission_e8, char *asset);
//  Told of every fill, after the order took it
typedef void (fakex_trade_fn) (void *arg, const fakex_order_t *order,
                               const fakex_trade_t *trade);

typedef enum {
    FAKEX_BOOK_OK = 0,
    FAKEX_BOOK_DUPLICATE,       //  the client order id is on an open order
    FAKEX_BOOK_NOTIONAL,        //  quantity times price does not fit int64 e8
    FAKEX_BOOK_NOMEM            //  out of memory
} fakex_book_error_t;

typedef struct _fakex_book_t fakex_book_t;

//  A book that matches against price_e8 (> 0). NULL if out of memory.
fakex_book_t *fakex_book_new (int64_t price_e8);

//  Frees the book and NULLs the caller's pointer.
void fakex_book_destroy (fakex_book_t **self_p);

//  Gives symbol its own price instead of the book's. False if out of memory.
bool fakex_book_set_price (fakex_book_t *self, const char *symbol, int64_t price_e8);

//  Makes the book's price (not a symbol's own) follow prices: prices [0]
//  from start_ms, the next one each step_ms, staying at the last. While a
//  path is set, queries fill nothing: fakex_book_advance fills resting
//  orders the price crosses. False if out of memory.
bool fakex_book_set_path (fakex_book_t *self, const int64_t *prices, size_t size,
                          int64_t step_ms, int64_t start_ms);

//  The price symbol trades at, at now_ms.
int64_t fakex_book_price (fakex_book_t *self, const char *symbol, int64_t now_ms);

//  A MARKET order fills at most qty_e8 (> 0) and expires the rest; 0 (the
//  default): no limit.
void fakex_book_set_liquidity (fakex_book_t *self, int64_t qty_e8);

//  The fee and trade functions, either may be NULL.
void fakex_book_set_hooks (fakex_book_t *self, fakex_fee_fn *fee, fakex_trade_fn *trade,
                           void *arg);

//  What a placement tells the report function besides its fills: the order
//  as placed (before it matches), and its expiry (IOC/FOK unfilled, or a
//  MARKET order's unfilled rest)
typedef enum { FAKEX_REPORT_NEW, FAKEX_REPORT_EXPIRED } fakex_report_t;
typedef void (fakex_report_fn) (void *arg, const fakex_order_t *order, fakex_report_t kind);

//  The report function (with the hooks' arg), or NULL; the trade function
//  tells the fills in between, so a listener sees NEW, each fill, EXPIRED.
void fakex_book_set_report (fakex_book_t *self, fakex_report_fn *report);

//  With a price path: fills, whole and at its limit price, each resting
//  order the price at now_ms crosses (a BUY at or above it, a SELL at or
//  below it), unless the book holds. Returns how many filled.
size_t fakex_book_advance (fakex_book_t *self, int64_t now_ms);

//  Every order placed, in order, and every fill, in order.
size_t fakex_book_size (fakex_book_t *self);
const fakex_order_t *fakex_book_at (fakex_book_t *self, size_t index);
size_t fakex_book_trades (fakex_book_t *self);
const fakex_trade_t *fakex_book_trade_at (fakex_book_t *self, size_t index);

//  Finds an order as fakex_book_query does (open_only: as fakex_book_cancel
//  does), changing nothing. False if not found.
bool fakex_book_find (fakex_book_t *self, const char *symbol, int64_t order_id,
                      const char *client_id, bool open_only, fakex_order_t *order);

//  True if the order is NEW or PARTIALLY_FILLED.
bool fakex_order_is_open (const fakex_order_t *order);

//  Places an order described by request (client_id, symbol, side, type,
//  tif, qty_e8, price_e8; the rest is ignored) and matches it. On success
//  *order is the order as placed, and *filled says whether *fill holds its
//  one fill. On error nothing is placed.
fakex_book_error_t fakex_book_place (fakex_book_t *self, const fakex_order_t *request,
                                     int64_t now_ms, fakex_order_t *order,
                                     fakex_fill_t *fill, bool *filled);

//  Finds the order on symbol by order_id (when > 0; client_id, if not NULL,
//  must then match too) or else by client_id (the latest order with it),
//  advances it if it rests, and copies it into *order. False if not found.
bool fakex_book_query (fakex_book_t *self, const char *symbol, int64_t order_id,
                       const char *client_id, int64_t now_ms, fakex_order_t *order);

//  Cancels the open order found as fakex_book_query finds it (by client_id:
//  the open one) and copies it into *order. False if no such open order.
bool fakex_book_cancel (fakex_book_t *self, const char *symbol, int64_t order_id,
                        const char *client_id, int64_t now_ms, fakex_order_t *order);

//  While hold is true, queries leave resting orders as they are (they fill
//  only by a fill-wins cancel). False at first.
void fakex_book_hold (fakex_book_t *self, bool hold);

//  Fills what is left of the open order found as fakex_book_cancel finds it,
//  at its limit price: a fill that wins the race against a cancel. False if
//  no such open order.
bool fakex_book_fill_open (fakex_book_t *self, const char *symbol, int64_t order_id,
                           const char *client_id, int64_t now_ms);

typedef enum {
    FAKEX_TRADE_OK = 0,
    FAKEX_TRADE_UNKNOWN,        //  no open order with that client id
    FAKEX_TRADE_QTY             //  zero, or more than the order has left
} fakex_book_trade_t;

//  A trade of qty_e8 on the latest open order with client_id (any symbol)
//  at its limit price, as if the market had crossed it: the order is the
//  maker; the fee and trade functions see it as any fill. *trade is the fill.
fakex_book_trade_t fakex_book_trade (fakex_book_t *self, const char *client_id, int64_t qty_e8,
                                     int64_t now_ms, fakex_trade_t *trade);

typedef enum {
    FAKEX_AMEND_OK = 0,
    FAKEX_AMEND_UNKNOWN,        //  no such open order
    FAKEX_AMEND_INCREASE,       //  the new quantity is not below the order's
    FAKEX_AMEND_BELOW_EXECUTED  //  the new quantity is not above what executed
} fakex_book_amend_t;

//  Lowers the open order's quantity to new_qty_e8 in place (its id and
//  place kept), renaming it new_client_id if not NULL, and copies it into
//  *order.
fakex_book_amend_t fakex_book_amend (fakex_book_t *self, const char *symbol, int64_t order_id,
                                     const char *client_id, const char *new_client_id,
                                     int64_t new_qty_e8, int64_t now_ms, fakex_order_t *order);

//  JSON renderings, in Binance's key order, decimals with 8 places. NULL
//  only if out of memory.
//  The newOrderRespType=FULL answer; fill may be NULL. client_id, if not
//  NULL, replaces the order's own (for the wrong-id fault).
json_t *fakex_order_full_json (const fakex_order_t *order, const fakex_fill_t *fill,
                               const char *client_id);
//  The GET /api/v3/order answer.
json_t *fakex_order_query_json (const fakex_order_t *order);
//  The DELETE /api/v3/order answer; cancel_id is the cancel's own client id.
json_t *fakex_order_cancel_json (const fakex_order_t *order, const char *cancel_id,
                                 int64_t now_ms);

//  One entry of GET /api/v3/myTrades.
json_t *fakex_trade_json (const fakex_trade_t *trade);

//  Binance's 8-decimal string of value_e8.
json_t *fakex_decimal8 (int64_t value_e8);

//  The PUT /api/v3/order/amend/keepPriority answer, orig_client_id the
//  order's id before the amend.
json_t *fakex_order_amended_json (const fakex_order_t *order, const char *orig_client_id,
                                  int64_t now_ms, int64_t execution_id);

//  The user data stream's executionReport event for a change of order:
//  exec_type is x (NEW, TRADE, CANCELED, EXPIRED, REPLACED), trade the fill
//  of a TRADE (else NULL), client_id c and orig_client_id C ("" if none).
json_t *fakex_execution_report_json (const fakex_order_t *order, const fakex_trade_t *trade,
                                     const char *exec_type, const char *client_id,
                                     const char *orig_client_id, int64_t event_ms,
                                     int64_t execution_id);

#endif
