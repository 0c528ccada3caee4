/*  fakex_rules: exchangeInfo's symbols and their filters.

    The document is kept whole (GET /api/v3/exchangeInfo answers it); the
    filters are read from it at each check, in the order it lists them, and
    once at load to refuse a document whose filter values do not read.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "fakex_rules.h"

#define S_E8    100000000LL

struct _fakex_rules_t {
    json_t *json;               //  the document
};

#define streq(a, b) (strcmp ((a), (b)) == 0)

//  A decimal string field as e8 (Binance writes them as strings; a number
//  is taken too). False if missing or not a decimal.
static bool
s_dec (json_t *object, const char *key, int64_t *value)
{
    json_t *field = json_object_get (object, key);
    if (json_is_string (field))
        return ep_decimal_parse (json_string_value (field), false, value) == EP_DECIMAL_OK;
    if (json_is_integer (field) && json_integer_value (field) >= 0
    &&  json_integer_value (field) <= INT64_MAX / S_E8) {
        *value = (int64_t) json_integer_value (field) * S_E8;
        return true;
    }
    return false;
}

static bool
s_flag (json_t *object, const char *key)
{
    return json_is_true (json_object_get (object, key));
}

//  The fields each filter this venue enforces must carry
static const char *
s_filter_keys (const char *type)
{
    if (streq (type, "PRICE_FILTER"))
        return "minPrice maxPrice tickSize";
    if (streq (type, "LOT_SIZE") || streq (type, "MARKET_LOT_SIZE"))
        return "minQty maxQty stepSize";
    if (streq (type, "NOTIONAL"))
        return "minNotional maxNotional";
    if (streq (type, "MIN_NOTIONAL"))
        return "minNotional";
    if (streq (type, "PERCENT_PRICE_BY_SIDE"))
        return "bidMultiplierUp bidMultiplierDown askMultiplierUp askMultiplierDown";
    return "";
}

static json_t *
s_symbol (fakex_rules_t *self, const char *symbol)
{
    json_t *symbols = self ? json_object_get (self->json, "symbols") : NULL;
    size_t index;
    json_t *entry;
    json_array_foreach (symbols, index, entry) {
        const char *name = json_string_value (json_object_get (entry, "symbol"));
        if (name && streq (name, symbol))
            return entry;
    }
    return NULL;
}

fakex_rules_t *
fakex_rules_load (const char *path, char *error, size_t error_size)
{
    json_error_t json_error;
    json_t *json = json_load_file (path, JSON_REJECT_DUPLICATES, &json_error);
    if (!json) {
        snprintf (error, error_size, "%s:%d: %s", path, json_error.line, json_error.text);
        return NULL;
    }
    json_t *symbols = json_object_get (json, "symbols");
    if (!json_is_array (symbols)) {
        snprintf (error, error_size, "%s: no \"symbols\" array", path);
        json_decref (json);
        return NULL;
    }
    size_t index;
    json_t *entry;
    json_array_foreach (symbols, index, entry) {
        const char *name = json_string_value (json_object_get (entry, "symbol"));
        const char *status = json_string_value (json_object_get (entry, "status"));
        const char *base = json_string_value (json_object_get (entry, "baseAsset"));
        const char *quote = json_string_value (json_object_get (entry, "quoteAsset"));
        if (!name || !status || !base || !quote || strlen (name) > FAKEX_SYMBOL_MAX
        ||  strlen (base) > FAKEX_ASSET_MAX || strlen (quote) > FAKEX_ASSET_MAX
        ||  !json_is_array (json_object_get (entry, "orderTypes"))
        ||  !json_is_array (json_object_get (entry, "filters"))) {
            snprintf (error, error_size, "%s: symbol %zu lacks symbol, status, baseAsset, "
                      "quoteAsset, orderTypes or filters", path, index);
            json_decref (json);
            return NULL;
        }
        size_t filter_index;
        json_t *filter;
        json_array_foreach (json_object_get (entry, "filters"), filter_index, filter) {
            const char *type = json_string_value (json_object_get (filter, "filterType"));
            if (!type) {
                snprintf (error, error_size, "%s: %s: a filter has no filterType", path, name);
                json_decref (json);
                return NULL;
            }
            char keys [128];
            snprintf (keys, sizeof keys, "%s", s_filter_keys (type));
            for (char *key = strtok (keys, " "); key; key = strtok (NULL, " ")) {
                int64_t value;
                if (!s_dec (filter, key, &value)) {
                    snprintf (error, error_size, "%s: %s: %s.%s is not a decimal", path, name,
                              type, key);
                    json_decref (json);
                    return NULL;
                }
            }
        }
    }
    fakex_rules_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, error_size, "out of memory");
        json_decref (json);
        return NULL;
    }
    self->json = json;
    return self;
}

void
fakex_rules_destroy (fakex_rules_t **self_p)
{
    if (*self_p) {
        json_decref ((*self_p)->json);
        free (*self_p);
        *self_p = NULL;
    }
}

json_t *
fakex_rules_json (fakex_rules_t *self)
{
    return self->json;
}

bool
fakex_rules_has (fakex_rules_t *self, const char *symbol)
{
    return s_symbol (self, symbol) != NULL;
}

void
fakex_rules_assets (fakex_rules_t *self, const char *symbol, char *base, char *quote)
{
    json_t *entry = s_symbol (self, symbol);
    if (entry) {
        snprintf (base, FAKEX_ASSET_MAX + 1, "%s",
                  json_string_value (json_object_get (entry, "baseAsset")));
        snprintf (quote, FAKEX_ASSET_MAX + 1, "%s",
                  json_string_value (json_object_get (entry, "quoteAsset")));
        return;
    }
    static const char *quotes [] = {
        "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", NULL
    };
    size_t len = strlen (symbol);
    for (const char **suffix = quotes; *suffix; suffix++) {
        size_t suffix_len = strlen (*suffix);
        if (len > suffix_len && len - suffix_len <= FAKEX_ASSET_MAX
        &&  streq (symbol + len - suffix_len, *suffix)) {
            snprintf (base, FAKEX_ASSET_MAX + 1, "%.*s", (int) (len - suffix_len), symbol);
            snprintf (quote, FAKEX_ASSET_MAX + 1, "%s", *suffix);
            return;
        }
    }
    snprintf (base, FAKEX_ASSET_MAX + 1, "%.*s", FAKEX_ASSET_MAX, symbol);
    snprintf (quote, FAKEX_ASSET_MAX + 1, "USDT");
}

//  value * multiplier, both e8, or INT64_MAX if it does not fit
static int64_t
s_times (int64_t value_e8, int64_t multiplier_e8)
{
    __int128 product = (__int128) value_e8 * multiplier_e8 / S_E8;
    return product > INT64_MAX ? INT64_MAX : (int64_t) product;
}

//  min <= value <= max and (value - min) % step == 0, each rule off at 0
static bool
s_range_ok (int64_t value, int64_t min, int64_t max, int64_t step)
{
    return (min == 0 || value >= min) && (max == 0 || value <= max)
        && (step == 0 || (value - min) % step == 0);
}

static bool
s_refuse (int *code, char *msg, size_t msg_size, int with_code, const char *text)
{
    *code = with_code;
    snprintf (msg, msg_size, "%s", text);
    return false;
}

bool
fakex_rules_check (fakex_rules_t *self, const fakex_order_t *order, int64_t avg_price_e8,
                   size_t open_orders, int *code, char *msg, size_t msg_size)
{
    json_t *entry = s_symbol (self, order->symbol);
    if (!entry)
        return s_refuse (code, msg, msg_size, -1121, "Invalid symbol.");
    if (!streq (json_string_value (json_object_get (entry, "status")), "TRADING"))
        return s_refuse (code, msg, msg_size, -2010, "Market is closed.");
    bool market = order->type == FAKEX_MARKET;
    bool type_ok = false;
    size_t index;
    json_t *item;
    json_array_foreach (json_object_get (entry, "orderTypes"), index, item)
        if (json_is_string (item)
        &&  streq (json_string_value (item), market ? "MARKET" : "LIMIT"))
            type_ok = true;
    if (!type_ok)
        return market
            ? s_refuse (code, msg, msg_size, -2010, "Market orders are not supported for this symbol.")
            : s_refuse (code, msg, msg_size, -1014, "Unsupported order combination.");
    //  A MARKET order has no price: the average stands for it
    int64_t price = market ? avg_price_e8 : order->price_e8;
    __int128 notional128 = (__int128) price * order->qty_e8 / S_E8;
    int64_t notional = notional128 > INT64_MAX ? INT64_MAX : (int64_t) notional128;
    json_t *filter;
    json_array_foreach (json_object_get (entry, "filters"), index, filter) {
        const char *type = json_string_value (json_object_get (filter, "filterType"));
        int64_t a = 0, b = 0, c = 0;
        bool ok = true;
        if (streq (type, "PRICE_FILTER") && !market) {
            s_dec (filter, "minPrice", &a);
            s_dec (filter, "maxPrice", &b);
            s_dec (filter, "tickSize", &c);
            ok = s_range_ok (order->price_e8, a, b, c);
        }
        else
        if (streq (type, "LOT_SIZE") || (streq (type, "MARKET_LOT_SIZE") && market)) {
            s_dec (filter, "minQty", &a);
            s_dec (filter, "maxQty", &b);
            s_dec (filter, "stepSize", &c);
            ok = s_range_ok (order->qty_e8, a, b, c);
        }
        else
        if (streq (type, "NOTIONAL")) {
            s_dec (filter, "minNotional", &a);
            s_dec (filter, "maxNotional", &b);
            bool min_applies = !market || s_flag (filter, "applyMinToMarket");
            bool max_applies = !market || s_flag (filter, "applyMaxToMarket");
            ok = (!min_applies || notional >= a) && (!max_applies || b == 0 || notional <= b);
        }
        else
        if (streq (type, "MIN_NOTIONAL")) {
            s_dec (filter, "minNotional", &a);
            ok = (market && !s_flag (filter, "applyToMarket")) || notional >= a;
        }
        else
        if (streq (type, "PERCENT_PRICE_BY_SIDE") && !market) {
            bool buy = order->side == FAKEX_BUY;
            s_dec (filter, buy ? "bidMultiplierUp" : "askMultiplierUp", &a);
            s_dec (filter, buy ? "bidMultiplierDown" : "askMultiplierDown", &b);
            ok = order->price_e8 <= s_times (avg_price_e8, a)
              && order->price_e8 >= s_times (avg_price_e8, b);
        }
        else
        if (streq (type, "MAX_NUM_ORDERS")) {
            json_int_t max = json_integer_value (json_object_get (filter, "maxNumOrders"));
            ok = max <= 0 || (json_int_t) open_orders < max;
        }
        if (!ok) {
            *code = -1013;
            snprintf (msg, msg_size, "Filter failure: %s", type);
            return false;
        }
    }
    return true;
}
