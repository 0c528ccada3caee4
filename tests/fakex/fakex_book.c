/*  fakex_book: orders, matching and their Binance JSON forms.

    Orders stay in one array in placement order, so the latest order with a
    client id is the last match; a test run places at most a few thousand,
    so a linear search is plenty.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "fakex_book.h"

#define S_E8          100000000LL   //  1e8: one unit in e8
#define S_COMMISSION  1000          //  commission is notional / 1000 (0.1%)

typedef struct {
    char symbol [FAKEX_SYMBOL_MAX + 1];
    int64_t price_e8;
} s_price_t;

struct _fakex_book_t {
    int64_t price_e8;           //  the price every marketable order fills at
    s_price_t *prices;          //  symbols with their own price
    size_t prices_size;
    int64_t *path;              //  the book's price path, or NULL
    size_t path_size;
    int64_t path_step_ms;
    int64_t path_start_ms;
    int64_t liquidity_e8;       //  most a MARKET order fills, or 0
    fakex_fee_fn *fee;          //  hooks, or NULL
    fakex_trade_fn *on_trade;
    fakex_report_fn *report;
    void *hook_arg;
    fakex_trade_t *trades;      //  every fill, in order
    size_t trades_size;
    size_t trades_max;
    fakex_order_t *orders;      //  every order ever placed, in order
    size_t size;                //  orders in use
    size_t max;                 //  orders allocated
    int64_t next_order_id;      //  next venue order id
    int64_t next_trade_id;      //  next fill's trade id
    bool hold;                  //  queries leave resting orders as they are
};

fakex_book_t *
fakex_book_new (int64_t price_e8)
{
    fakex_book_t *self = calloc (1, sizeof *self);
    if (self) {
        self->price_e8 = price_e8;
        self->next_order_id = 1;
        self->next_trade_id = 1;
    }
    return self;
}

void
fakex_book_destroy (fakex_book_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->orders);
        free ((*self_p)->prices);
        free ((*self_p)->path);
        free ((*self_p)->trades);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
fakex_book_set_price (fakex_book_t *self, const char *symbol, int64_t price_e8)
{
    for (size_t index = 0; index < self->prices_size; index++)
        if (strcmp (self->prices [index].symbol, symbol) == 0) {
            self->prices [index].price_e8 = price_e8;
            return true;
        }
    s_price_t *prices = realloc (self->prices, (self->prices_size + 1) * sizeof *prices);
    if (!prices)
        return false;
    self->prices = prices;
    snprintf (prices [self->prices_size].symbol, sizeof prices->symbol, "%s", symbol);
    prices [self->prices_size].price_e8 = price_e8;
    self->prices_size++;
    return true;
}

bool
fakex_book_set_path (fakex_book_t *self, const int64_t *prices, size_t size,
                     int64_t step_ms, int64_t start_ms)
{
    int64_t *path = malloc (size * sizeof *path);
    if (!path)
        return false;
    memcpy (path, prices, size * sizeof *path);
    free (self->path);
    self->path = path;
    self->path_size = size;
    self->path_step_ms = step_ms > 0 ? step_ms : 1;
    self->path_start_ms = start_ms;
    return true;
}

int64_t
fakex_book_price (fakex_book_t *self, const char *symbol, int64_t now_ms)
{
    for (size_t index = 0; index < self->prices_size; index++)
        if (strcmp (self->prices [index].symbol, symbol) == 0)
            return self->prices [index].price_e8;
    if (self->path) {
        int64_t step = now_ms > self->path_start_ms
                     ? (now_ms - self->path_start_ms) / self->path_step_ms : 0;
        return self->path [step < (int64_t) self->path_size ? (size_t) step
                                                             : self->path_size - 1];
    }
    return self->price_e8;
}

void
fakex_book_set_liquidity (fakex_book_t *self, int64_t qty_e8)
{
    self->liquidity_e8 = qty_e8;
}

void
fakex_book_set_hooks (fakex_book_t *self, fakex_fee_fn *fee, fakex_trade_fn *trade, void *arg)
{
    self->fee = fee;
    self->on_trade = trade;
    self->hook_arg = arg;
}

void
fakex_book_set_report (fakex_book_t *self, fakex_report_fn *report)
{
    self->report = report;
}

size_t
fakex_book_size (fakex_book_t *self)
{
    return self->size;
}

const fakex_order_t *
fakex_book_at (fakex_book_t *self, size_t index)
{
    return index < self->size ? &self->orders [index] : NULL;
}

size_t
fakex_book_trades (fakex_book_t *self)
{
    return self->trades_size;
}

const fakex_trade_t *
fakex_book_trade_at (fakex_book_t *self, size_t index)
{
    return index < self->trades_size ? &self->trades [index] : NULL;
}

//  qty * price in e8, rounded down, or -1 if it does not fit int64
static int64_t
s_notional (int64_t qty_e8, int64_t price_e8)
{
    __int128 product = (__int128) qty_e8 * price_e8 / S_E8;
    return product > INT64_MAX ? -1 : (int64_t) product;
}

//  Commission from the exact product, not from the rounded notional
static int64_t
s_commission (int64_t qty_e8, int64_t price_e8)
{
    return (int64_t) ((__int128) qty_e8 * price_e8 / ((__int128) S_E8 * S_COMMISSION));
}

static bool
s_is_open (const fakex_order_t *order)
{
    return order->status == FAKEX_NEW || order->status == FAKEX_PARTIALLY_FILLED;
}

bool
fakex_order_is_open (const fakex_order_t *order)
{
    return s_is_open (order);
}

static void
s_fill (fakex_book_t *self, fakex_order_t *order, int64_t qty_e8, int64_t price_e8,
        int64_t now_ms, fakex_fill_t *fill, bool maker, fakex_trade_t *trade_out)
{
    order->executed_e8 += qty_e8;
    //  Checked at placement: each part is at most the whole notional
    int64_t quote_e8 = s_notional (qty_e8, price_e8);
    order->quote_e8 += quote_e8;
    order->status = order->executed_e8 == order->qty_e8 ? FAKEX_FILLED : FAKEX_PARTIALLY_FILLED;
    order->update_ms = now_ms;
    fakex_trade_t trade = {
        .trade_id = self->next_trade_id++,
        .order_id = order->order_id,
        .side = order->side,
        .price_e8 = price_e8,
        .qty_e8 = qty_e8,
        .quote_e8 = quote_e8,
        .commission_e8 = s_commission (qty_e8, price_e8),
        .commission_asset = "USDT",
        .time_ms = now_ms,
        .maker = maker
    };
    memcpy (trade.symbol, order->symbol, sizeof trade.symbol);
    if (self->fee)
        self->fee (self->hook_arg, order, qty_e8, price_e8, &trade.commission_e8,
                   trade.commission_asset);
    if (fill) {
        fill->price_e8 = price_e8;
        fill->qty_e8 = qty_e8;
        fill->commission_e8 = trade.commission_e8;
        fill->trade_id = trade.trade_id;
        memcpy (fill->commission_asset, trade.commission_asset, sizeof fill->commission_asset);
    }
    //  The list is for myTrades: a fill it cannot hold is still a fill
    if (self->trades_size == self->trades_max) {
        size_t max = self->trades_max ? self->trades_max * 2 : 64;
        fakex_trade_t *trades = realloc (self->trades, max * sizeof *trades);
        if (trades) {
            self->trades = trades;
            self->trades_max = max;
        }
    }
    if (self->trades_size < self->trades_max)
        self->trades [self->trades_size++] = trade;
    if (trade_out)
        *trade_out = trade;
    if (self->on_trade)
        self->on_trade (self->hook_arg, order, &trade);
}

fakex_book_error_t
fakex_book_place (fakex_book_t *self, const fakex_order_t *request, int64_t now_ms,
                  fakex_order_t *order, fakex_fill_t *fill, bool *filled)
{
    for (size_t index = 0; index < self->size; index++)
        if (s_is_open (&self->orders [index])
        &&  strcmp (self->orders [index].client_id, request->client_id) == 0)
            return FAKEX_BOOK_DUPLICATE;
    bool is_limit = request->type == FAKEX_LIMIT;
    int64_t price_e8 = fakex_book_price (self, request->symbol, now_ms);
    if (s_notional (request->qty_e8, price_e8) < 0
    ||  (is_limit && s_notional (request->qty_e8, request->price_e8) < 0))
        return FAKEX_BOOK_NOTIONAL;
    if (self->size == self->max) {
        size_t max = self->max ? self->max * 2 : 64;
        fakex_order_t *orders = realloc (self->orders, max * sizeof *orders);
        if (!orders)
            return FAKEX_BOOK_NOMEM;
        self->orders = orders;
        self->max = max;
    }
    fakex_order_t *placed = &self->orders [self->size++];
    *placed = *request;
    placed->order_id = self->next_order_id++;
    placed->tif = is_limit ? request->tif : FAKEX_GTC;
    placed->price_e8 = is_limit ? request->price_e8 : 0;
    placed->executed_e8 = 0;
    placed->quote_e8 = 0;
    placed->status = FAKEX_NEW;
    placed->time_ms = now_ms;
    placed->update_ms = now_ms;

    if (self->report)
        self->report (self->hook_arg, placed, FAKEX_REPORT_NEW);
    bool marketable = !is_limit
                   || (request->side == FAKEX_BUY && request->price_e8 >= price_e8)
                   || (request->side == FAKEX_SELL && request->price_e8 <= price_e8);
    *filled = false;
    if (marketable) {
        int64_t qty_e8 = placed->qty_e8;
        //  A thin market: MARKET fills what there is and expires the rest
        bool thin = !is_limit && self->liquidity_e8 > 0 && self->liquidity_e8 < qty_e8;
        if (thin)
            qty_e8 = self->liquidity_e8;
        s_fill (self, placed, qty_e8, price_e8, now_ms, fill, false, NULL);
        if (thin)
            placed->status = FAKEX_EXPIRED;
        *filled = true;
    }
    else
    if (placed->tif != FAKEX_GTC)
        placed->status = FAKEX_EXPIRED;
    if (self->report && placed->status == FAKEX_EXPIRED)
        self->report (self->hook_arg, placed, FAKEX_REPORT_EXPIRED);
    *order = *placed;
    return FAKEX_BOOK_OK;
}

static fakex_order_t *
s_find (fakex_book_t *self, const char *symbol, int64_t order_id, const char *client_id,
        bool open_only)
{
    for (size_t index = self->size; index-- > 0;) {
        fakex_order_t *order = &self->orders [index];
        if (strcmp (order->symbol, symbol) != 0 || (open_only && !s_is_open (order)))
            continue;
        if (order_id > 0) {
            if (order->order_id != order_id)
                continue;
            if (client_id && strcmp (order->client_id, client_id) != 0)
                return NULL;
            return order;
        }
        if (client_id && strcmp (order->client_id, client_id) == 0)
            return order;
    }
    return NULL;
}

bool
fakex_book_query (fakex_book_t *self, const char *symbol, int64_t order_id,
                  const char *client_id, int64_t now_ms, fakex_order_t *order)
{
    fakex_order_t *found = s_find (self, symbol, order_id, client_id, false);
    if (!found)
        return false;
    //  Only a resting GTC order is open here: the others ended at placement.
    //  Under a price path, the path fills it, not the query.
    if (s_is_open (found) && !self->hold && !self->path) {
        int64_t qty_e8 = found->executed_e8 == 0 ? found->qty_e8 / 2 : 0;
        //  Half of 1e-8 rounds to nothing: fill it whole instead
        if (qty_e8 == 0)
            qty_e8 = found->qty_e8 - found->executed_e8;
        s_fill (self, found, qty_e8, found->price_e8, now_ms, NULL, true, NULL);
    }
    *order = *found;
    return true;
}

bool
fakex_book_find (fakex_book_t *self, const char *symbol, int64_t order_id,
                 const char *client_id, bool open_only, fakex_order_t *order)
{
    fakex_order_t *found = s_find (self, symbol, order_id, client_id, open_only);
    if (found)
        *order = *found;
    return found != NULL;
}

size_t
fakex_book_advance (fakex_book_t *self, int64_t now_ms)
{
    size_t filled = 0;
    for (size_t index = 0; self->path && !self->hold && index < self->size; index++) {
        fakex_order_t *order = &self->orders [index];
        if (!s_is_open (order))
            continue;
        int64_t price_e8 = fakex_book_price (self, order->symbol, now_ms);
        if ((order->side == FAKEX_BUY && order->price_e8 >= price_e8)
        ||  (order->side == FAKEX_SELL && order->price_e8 <= price_e8)) {
            s_fill (self, order, order->qty_e8 - order->executed_e8, order->price_e8, now_ms,
                    NULL, true, NULL);
            filled++;
        }
    }
    return filled;
}

bool
fakex_book_cancel (fakex_book_t *self, const char *symbol, int64_t order_id,
                   const char *client_id, int64_t now_ms, fakex_order_t *order)
{
    fakex_order_t *found = s_find (self, symbol, order_id, client_id, true);
    if (!found)
        return false;
    found->status = FAKEX_CANCELED;
    found->update_ms = now_ms;
    *order = *found;
    return true;
}

void
fakex_book_hold (fakex_book_t *self, bool hold)
{
    self->hold = hold;
}

bool
fakex_book_fill_open (fakex_book_t *self, const char *symbol, int64_t order_id,
                      const char *client_id, int64_t now_ms)
{
    fakex_order_t *found = s_find (self, symbol, order_id, client_id, true);
    if (!found)
        return false;
    s_fill (self, found, found->qty_e8 - found->executed_e8, found->price_e8, now_ms, NULL, true,
            NULL);
    return true;
}

fakex_book_trade_t
fakex_book_trade (fakex_book_t *self, const char *client_id, int64_t qty_e8, int64_t now_ms,
                  fakex_trade_t *trade)
{
    for (size_t index = self->size; index-- > 0;) {
        fakex_order_t *order = &self->orders [index];
        if (!s_is_open (order) || strcmp (order->client_id, client_id) != 0)
            continue;
        if (qty_e8 <= 0 || qty_e8 > order->qty_e8 - order->executed_e8)
            return FAKEX_TRADE_QTY;
        s_fill (self, order, qty_e8, order->price_e8, now_ms, NULL, true, trade);
        return FAKEX_TRADE_OK;
    }
    return FAKEX_TRADE_UNKNOWN;
}

fakex_book_amend_t
fakex_book_amend (fakex_book_t *self, const char *symbol, int64_t order_id,
                  const char *client_id, const char *new_client_id, int64_t new_qty_e8,
                  int64_t now_ms, fakex_order_t *order)
{
    fakex_order_t *found = s_find (self, symbol, order_id, client_id, true);
    if (!found)
        return FAKEX_AMEND_UNKNOWN;
    if (new_qty_e8 >= found->qty_e8)
        return FAKEX_AMEND_INCREASE;
    if (new_qty_e8 <= found->executed_e8)
        return FAKEX_AMEND_BELOW_EXECUTED;
    found->qty_e8 = new_qty_e8;
    if (new_client_id)
        snprintf (found->client_id, sizeof found->client_id, "%s", new_client_id);
    found->update_ms = now_ms;
    *order = *found;
    return FAKEX_AMEND_OK;
}

//  Binance writes decimals with 8 places: "0.50000000", "100.00000000"
json_t *
fakex_decimal8 (int64_t value_e8)
{
    char text [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (value_e8, text);
    char *point = strchr (text, '.');
    size_t len = strlen (text);
    size_t decimals = point ? len - (size_t) (point - text) - 1 : 0;
    if (!point)
        text [len++] = '.';
    //  At most 21 characters plus the padding: fits EP_DECIMAL_BUFSIZE
    while (decimals++ < 8)
        text [len++] = '0';
    text [len] = '\0';
    return json_string (text);
}

static const char *
s_side_name (fakex_side_t side)
{
    return side == FAKEX_BUY ? "BUY" : "SELL";
}

static const char *
s_type_name (fakex_type_t type)
{
    return type == FAKEX_MARKET ? "MARKET" : "LIMIT";
}

static const char *
s_tif_name (fakex_tif_t tif)
{
    return tif == FAKEX_GTC ? "GTC" : tif == FAKEX_IOC ? "IOC" : "FOK";
}

static const char *
s_status_name (fakex_status_t status)
{
    switch (status) {
        case FAKEX_NEW:              return "NEW";
        case FAKEX_PARTIALLY_FILLED: return "PARTIALLY_FILLED";
        case FAKEX_FILLED:           return "FILLED";
        case FAKEX_CANCELED:         return "CANCELED";
        case FAKEX_EXPIRED:          return "EXPIRED";
    }
    return "REJECTED";
}

//  json_object_set_new takes ownership even on failure, so a chain of them
//  needs one check at the end
static bool
s_set (json_t *object, const char *key, json_t *value, bool ok)
{
    return json_object_set_new (object, key, value) == 0 && value && ok;
}

json_t *
fakex_order_full_json (const fakex_order_t *order, const fakex_fill_t *fill,
                       const char *client_id)
{
    json_t *json = json_object ();
    json_t *fills = json_array ();
    if (!json || !fills) {
        json_decref (json);
        json_decref (fills);
        return NULL;
    }
    bool ok = true;
    ok = s_set (json, "symbol", json_string (order->symbol), ok);
    ok = s_set (json, "orderId", json_integer (order->order_id), ok);
    ok = s_set (json, "orderListId", json_integer (-1), ok);
    ok = s_set (json, "clientOrderId", json_string (client_id ? client_id : order->client_id), ok);
    ok = s_set (json, "transactTime", json_integer (order->time_ms), ok);
    ok = s_set (json, "price", fakex_decimal8 (order->price_e8), ok);
    ok = s_set (json, "origQty", fakex_decimal8 (order->qty_e8), ok);
    ok = s_set (json, "executedQty", fakex_decimal8 (order->executed_e8), ok);
    ok = s_set (json, "origQuoteOrderQty", fakex_decimal8 (0), ok);
    ok = s_set (json, "cummulativeQuoteQty", fakex_decimal8 (order->quote_e8), ok);
    ok = s_set (json, "status", json_string (s_status_name (order->status)), ok);
    ok = s_set (json, "timeInForce", json_string (s_tif_name (order->tif)), ok);
    ok = s_set (json, "type", json_string (s_type_name (order->type)), ok);
    ok = s_set (json, "side", json_string (s_side_name (order->side)), ok);
    ok = s_set (json, "workingTime", json_integer (order->time_ms), ok);
    ok = s_set (json, "selfTradePreventionMode", json_string ("NONE"), ok);
    if (fill) {
        json_t *entry = json_object ();
        ok = ok && entry;
        if (entry) {
            ok = s_set (entry, "price", fakex_decimal8 (fill->price_e8), ok);
            ok = s_set (entry, "qty", fakex_decimal8 (fill->qty_e8), ok);
            ok = s_set (entry, "commission", fakex_decimal8 (fill->commission_e8), ok);
            ok = s_set (entry, "commissionAsset", json_string (fill->commission_asset), ok);
            ok = s_set (entry, "tradeId", json_integer (fill->trade_id), ok);
            ok = json_array_append_new (fills, entry) == 0 && ok;
        }
    }
    ok = s_set (json, "fills", fills, ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
fakex_order_query_json (const fakex_order_t *order)
{
    json_t *json = json_object ();
    if (!json)
        return NULL;
    bool ok = true;
    ok = s_set (json, "symbol", json_string (order->symbol), ok);
    ok = s_set (json, "orderId", json_integer (order->order_id), ok);
    ok = s_set (json, "orderListId", json_integer (-1), ok);
    ok = s_set (json, "clientOrderId", json_string (order->client_id), ok);
    ok = s_set (json, "price", fakex_decimal8 (order->price_e8), ok);
    ok = s_set (json, "origQty", fakex_decimal8 (order->qty_e8), ok);
    ok = s_set (json, "executedQty", fakex_decimal8 (order->executed_e8), ok);
    ok = s_set (json, "cummulativeQuoteQty", fakex_decimal8 (order->quote_e8), ok);
    ok = s_set (json, "status", json_string (s_status_name (order->status)), ok);
    ok = s_set (json, "timeInForce", json_string (s_tif_name (order->tif)), ok);
    ok = s_set (json, "type", json_string (s_type_name (order->type)), ok);
    ok = s_set (json, "side", json_string (s_side_name (order->side)), ok);
    ok = s_set (json, "stopPrice", fakex_decimal8 (0), ok);
    ok = s_set (json, "icebergQty", fakex_decimal8 (0), ok);
    ok = s_set (json, "time", json_integer (order->time_ms), ok);
    ok = s_set (json, "updateTime", json_integer (order->update_ms), ok);
    ok = s_set (json, "isWorking", json_true (), ok);
    ok = s_set (json, "workingTime", json_integer (order->time_ms), ok);
    ok = s_set (json, "origQuoteOrderQty", fakex_decimal8 (0), ok);
    ok = s_set (json, "selfTradePreventionMode", json_string ("NONE"), ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
fakex_order_cancel_json (const fakex_order_t *order, const char *cancel_id, int64_t now_ms)
{
    json_t *json = json_object ();
    if (!json)
        return NULL;
    bool ok = true;
    ok = s_set (json, "symbol", json_string (order->symbol), ok);
    ok = s_set (json, "origClientOrderId", json_string (order->client_id), ok);
    ok = s_set (json, "orderId", json_integer (order->order_id), ok);
    ok = s_set (json, "orderListId", json_integer (-1), ok);
    ok = s_set (json, "clientOrderId", json_string (cancel_id), ok);
    ok = s_set (json, "transactTime", json_integer (now_ms), ok);
    ok = s_set (json, "price", fakex_decimal8 (order->price_e8), ok);
    ok = s_set (json, "origQty", fakex_decimal8 (order->qty_e8), ok);
    ok = s_set (json, "executedQty", fakex_decimal8 (order->executed_e8), ok);
    ok = s_set (json, "origQuoteOrderQty", fakex_decimal8 (0), ok);
    ok = s_set (json, "cummulativeQuoteQty", fakex_decimal8 (order->quote_e8), ok);
    ok = s_set (json, "status", json_string (s_status_name (order->status)), ok);
    ok = s_set (json, "timeInForce", json_string (s_tif_name (order->tif)), ok);
    ok = s_set (json, "type", json_string (s_type_name (order->type)), ok);
    ok = s_set (json, "side", json_string (s_side_name (order->side)), ok);
    ok = s_set (json, "selfTradePreventionMode", json_string ("NONE"), ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
fakex_order_amended_json (const fakex_order_t *order, const char *orig_client_id,
                          int64_t now_ms, int64_t execution_id)
{
    json_t *json = json_object ();
    json_t *amended = json_object ();
    if (!json || !amended) {
        json_decref (json);
        json_decref (amended);
        return NULL;
    }
    bool ok = true;
    ok = s_set (json, "transactTime", json_integer (now_ms), ok);
    ok = s_set (json, "executionId", json_integer (execution_id), ok);
    ok = s_set (amended, "symbol", json_string (order->symbol), ok);
    ok = s_set (amended, "orderId", json_integer (order->order_id), ok);
    ok = s_set (amended, "orderListId", json_integer (-1), ok);
    ok = s_set (amended, "origClientOrderId", json_string (orig_client_id), ok);
    ok = s_set (amended, "clientOrderId", json_string (order->client_id), ok);
    ok = s_set (amended, "price", fakex_decimal8 (order->price_e8), ok);
    ok = s_set (amended, "qty", fakex_decimal8 (order->qty_e8), ok);
    ok = s_set (amended, "executedQty", fakex_decimal8 (order->executed_e8), ok);
    ok = s_set (amended, "preventedQty", fakex_decimal8 (0), ok);
    ok = s_set (amended, "quoteOrderQty", fakex_decimal8 (0), ok);
    ok = s_set (amended, "cumulativeQuoteQty", fakex_decimal8 (order->quote_e8), ok);
    ok = s_set (amended, "status", json_string (s_status_name (order->status)), ok);
    ok = s_set (amended, "timeInForce", json_string (s_tif_name (order->tif)), ok);
    ok = s_set (amended, "type", json_string (s_type_name (order->type)), ok);
    ok = s_set (amended, "side", json_string (s_side_name (order->side)), ok);
    ok = s_set (amended, "workingTime", json_integer (order->time_ms), ok);
    ok = s_set (amended, "selfTradePreventionMode", json_string ("NONE"), ok);
    ok = s_set (json, "amendedOrder", amended, ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
fakex_trade_json (const fakex_trade_t *trade)
{
    json_t *json = json_object ();
    if (!json)
        return NULL;
    bool ok = true;
    ok = s_set (json, "symbol", json_string (trade->symbol), ok);
    ok = s_set (json, "id", json_integer (trade->trade_id), ok);
    ok = s_set (json, "orderId", json_integer (trade->order_id), ok);
    ok = s_set (json, "orderListId", json_integer (-1), ok);
    ok = s_set (json, "price", fakex_decimal8 (trade->price_e8), ok);
    ok = s_set (json, "qty", fakex_decimal8 (trade->qty_e8), ok);
    ok = s_set (json, "quoteQty", fakex_decimal8 (trade->quote_e8), ok);
    ok = s_set (json, "commission", fakex_decimal8 (trade->commission_e8), ok);
    ok = s_set (json, "commissionAsset", json_string (trade->commission_asset), ok);
    ok = s_set (json, "time", json_integer (trade->time_ms), ok);
    ok = s_set (json, "isBuyer", json_boolean (trade->side == FAKEX_BUY), ok);
    ok = s_set (json, "isMaker", json_boolean (trade->maker), ok);
    ok = s_set (json, "isBestMatch", json_true (), ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}

json_t *
fakex_execution_report_json (const fakex_order_t *order, const fakex_trade_t *trade,
                             const char *exec_type, const char *client_id,
                             const char *orig_client_id, int64_t event_ms, int64_t execution_id)
{
    json_t *json = json_object ();
    if (!json)
        return NULL;
    int64_t last_qty = trade ? trade->qty_e8 : 0;
    int64_t last_price = trade ? trade->price_e8 : 0;
    bool ok = true;
    ok = s_set (json, "e", json_string ("executionReport"), ok);
    ok = s_set (json, "E", json_integer (event_ms), ok);
    ok = s_set (json, "s", json_string (order->symbol), ok);
    ok = s_set (json, "c", json_string (client_id), ok);
    ok = s_set (json, "S", json_string (s_side_name (order->side)), ok);
    ok = s_set (json, "o", json_string (s_type_name (order->type)), ok);
    ok = s_set (json, "f", json_string (s_tif_name (order->tif)), ok);
    ok = s_set (json, "q", fakex_decimal8 (order->qty_e8), ok);
    ok = s_set (json, "p", fakex_decimal8 (order->price_e8), ok);
    ok = s_set (json, "P", fakex_decimal8 (0), ok);
    ok = s_set (json, "F", fakex_decimal8 (0), ok);
    ok = s_set (json, "g", json_integer (-1), ok);
    ok = s_set (json, "C", json_string (orig_client_id), ok);
    ok = s_set (json, "x", json_string (exec_type), ok);
    ok = s_set (json, "X", json_string (s_status_name (order->status)), ok);
    ok = s_set (json, "r", json_string ("NONE"), ok);
    ok = s_set (json, "i", json_integer (order->order_id), ok);
    ok = s_set (json, "l", fakex_decimal8 (last_qty), ok);
    ok = s_set (json, "z", fakex_decimal8 (order->executed_e8), ok);
    ok = s_set (json, "L", fakex_decimal8 (last_price), ok);
    ok = s_set (json, "n", fakex_decimal8 (trade ? trade->commission_e8 : 0), ok);
    ok = s_set (json, "N", trade ? json_string (trade->commission_asset) : json_null (), ok);
    ok = s_set (json, "T", json_integer (trade ? trade->time_ms : order->update_ms), ok);
    ok = s_set (json, "t", json_integer (trade ? trade->trade_id : -1), ok);
    ok = s_set (json, "I", json_integer (execution_id), ok);
    ok = s_set (json, "w", json_boolean (s_is_open (order)), ok);
    ok = s_set (json, "m", json_boolean (trade && trade->maker), ok);
    ok = s_set (json, "M", json_false (), ok);
    ok = s_set (json, "O", json_integer (order->time_ms), ok);
    ok = s_set (json, "Z", fakex_decimal8 (order->quote_e8), ok);
    //  The trade's own quote quantity: what myTrades says as quoteQty
    ok = s_set (json, "Y", fakex_decimal8 (trade ? trade->quote_e8 : 0), ok);
    ok = s_set (json, "Q", fakex_decimal8 (0), ok);
    ok = s_set (json, "W", json_integer (order->time_ms), ok);
    ok = s_set (json, "V", json_string ("NONE"), ok);
    if (!ok)
        json_decref (json);
    return ok ? json : NULL;
}
