/*  ep_binance_instruments: the instrument table from Binance's exchangeInfo
    answer (`GET /api/v3/exchangeInfo`, filters.md). A filter that is
    present is read whole or the answer is refused: a table with a rule
    half read would let through what the venue refuses, or refuse what it
    takes. Filters this product has no use for (ICEBERG_PARTS,
    MAX_NUM_ORDERS, TRAILING_DELTA, ...) are passed over. Pure: no I/O.  */
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_decimal.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)
#define S_ASSET_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

//  Reads the decimal strings keys [0 .. count) of filter into values;
//  NULL, or the first key that is missing or does not parse.
static const char *
s_decimals (const json_t *filter, const char *const *keys, int64_t **values, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        json_t *field = json_object_get (filter, keys [index]);
        if (!json_is_string (field)
        ||  ep_decimal_parse_n (json_string_value (field), json_string_length (field), false,
                                values [index]) != EP_DECIMAL_OK)
            return keys [index];
    }
    return NULL;
}

//  A boolean field, false when absent; NULL, or key if it is not a boolean.
static const char *
s_boolean (const json_t *filter, const char *key, bool *value)
{
    json_t *field = json_object_get (filter, key);
    *value = json_is_true (field);
    return !field || json_is_boolean (field) ? NULL : key;
}

static const char *
s_range (const json_t *filter, const char *min, const char *max, const char *step,
         ep_instrument_range_t *range)
{
    const char *keys [] = { min, max, step };
    int64_t *values [] = { &range->min_e8, &range->max_e8, &range->step_e8 };
    return s_decimals (filter, keys, values, 3);
}

//  Reads one filter into instrument; NULL, or the field that is wrong.
static const char *
s_filter (const json_t *filter, const char *type, ep_instrument_t *instrument)
{
    if (streq (type, "PRICE_FILTER"))
        return s_range (filter, "minPrice", "maxPrice", "tickSize", &instrument->price);
    if (streq (type, "LOT_SIZE"))
        return s_range (filter, "minQty", "maxQty", "stepSize", &instrument->lot);
    if (streq (type, "MARKET_LOT_SIZE"))
        return s_range (filter, "minQty", "maxQty", "stepSize", &instrument->market_lot);
    if (streq (type, "MIN_NOTIONAL")) {
        const char *keys [] = { "minNotional" };
        int64_t *values [] = { &instrument->min_notional_e8 };
        const char *wrong = s_decimals (filter, keys, values, 1);
        return wrong ? wrong : s_boolean (filter, "applyToMarket",
                                          &instrument->min_notional_market);
    }
    if (streq (type, "NOTIONAL")) {
        const char *keys [] = { "minNotional", "maxNotional" };
        int64_t *values [] = { &instrument->min_notional_e8, &instrument->max_notional_e8 };
        const char *wrong = s_decimals (filter, keys, values, 2);
        if (!wrong)
            wrong = s_boolean (filter, "applyMinToMarket", &instrument->min_notional_market);
        return wrong ? wrong : s_boolean (filter, "applyMaxToMarket",
                                          &instrument->max_notional_market);
    }
    if (streq (type, "PERCENT_PRICE")) {
        const char *keys [] = { "multiplierUp", "multiplierDown" };
        int64_t *values [] = { &instrument->bid_up_e8, &instrument->bid_down_e8 };
        const char *wrong = s_decimals (filter, keys, values, 2);
        instrument->ask_up_e8 = instrument->bid_up_e8;
        instrument->ask_down_e8 = instrument->bid_down_e8;
        return wrong;
    }
    if (streq (type, "PERCENT_PRICE_BY_SIDE")) {
        const char *keys [] = { "bidMultiplierUp", "bidMultiplierDown", "askMultiplierUp",
                                "askMultiplierDown" };
        int64_t *values [] = { &instrument->bid_up_e8, &instrument->bid_down_e8,
                               &instrument->ask_up_e8, &instrument->ask_down_e8 };
        return s_decimals (filter, keys, values, 4);
    }
    return NULL;
}

//  Reads one symbol of the answer; 0, or -1 with why in error.
static int
s_symbol (const json_t *entry, ep_instrument_t *instrument, char *error, size_t size)
{
    memset (instrument, 0, sizeof *instrument);
    json_t *symbol = json_object_get (entry, "symbol");
    json_t *status = json_object_get (entry, "status");
    json_t *types = json_object_get (entry, "orderTypes");
    json_t *filters = json_object_get (entry, "filters");
    if (!json_is_string (symbol) || json_string_length (symbol) == 0
    ||  json_string_length (symbol) >= sizeof instrument->symbol) {
        ep_binance_printf (error, size, "a symbol without a usable name");
        return -1;
    }
    const char *name = json_string_value (symbol);
    if (!json_is_string (status) || !json_is_array (types) || !json_is_array (filters)) {
        ep_binance_printf (error, size, "%s: status, orderTypes or filters missing", name);
        return -1;
    }
    memcpy (instrument->symbol, name, json_string_length (symbol));
    instrument->trading = streq (json_string_value (status), "TRADING");
    json_t *base = json_object_get (entry, "baseAsset");
    json_t *quote = json_object_get (entry, "quoteAsset");
    if (json_is_string (base) && json_is_string (quote)
    &&  json_string_length (base) > 0 && json_string_length (base) < sizeof instrument->base
    &&  json_string_length (quote) > 0 && json_string_length (quote) < sizeof instrument->quote
    &&  strspn (json_string_value (base), S_ASSET_CHARS) == json_string_length (base)
    &&  strspn (json_string_value (quote), S_ASSET_CHARS) == json_string_length (quote)) {
        memcpy (instrument->base, json_string_value (base), json_string_length (base));
        memcpy (instrument->quote, json_string_value (quote), json_string_length (quote));
    }
    size_t index;
    json_t *value;
    json_array_foreach (types, index, value) {
        const char *type = json_is_string (value) ? json_string_value (value) : "";
        instrument->market |= streq (type, "MARKET");
        instrument->limit |= streq (type, "LIMIT");
    }
    json_array_foreach (filters, index, value) {
        json_t *type = json_object_get (value, "filterType");
        const char *wrong = json_is_string (type)
                          ? s_filter (value, json_string_value (type), instrument)
                          : "filterType";
        if (wrong) {
            ep_binance_printf (error, size, "%s: filter %s: %s missing or not a decimal",
                               name, json_is_string (type) ? json_string_value (type) : "?",
                               wrong);
            return -1;
        }
    }
    return 0;
}

int
ep_binance_instruments (const char *body, size_t size, ep_instruments_t *table, char *error,
                        size_t error_size)
{
    assert (table && error && (body || size == 0));
    *table = (ep_instruments_t) { 0 };
    json_error_t json_error;
    json_t *json = json_loadb (body, size, JSON_REJECT_DUPLICATES, &json_error);
    json_t *symbols = json_object_get (json, "symbols");
    int rc = 0;
    if (!json_is_array (symbols)) {
        ep_binance_printf (error, error_size, "exchangeInfo: %s",
                           json ? "no symbols array" : json_error.text);
        rc = -1;
    }
    size_t index;
    json_t *entry;
    json_array_foreach (symbols, index, entry) {
        ep_instrument_t instrument;
        char why [256];
        rc = s_symbol (entry, &instrument, why, sizeof why);
        if (rc == 0 && ep_instruments_find (table, instrument.symbol)) {
            ep_binance_printf (why, sizeof why, "%s is listed twice", instrument.symbol);
            rc = -1;
        }
        if (rc == 0 && ep_instruments_put (table, &instrument)) {
            ep_binance_printf (why, sizeof why, "out of memory");
            rc = -1;
        }
        if (rc) {
            ep_binance_printf (error, error_size, "exchangeInfo: symbol %zu: %s", index, why);
            break;
        }
    }
    if (rc)
        ep_instruments_clear (table);
    json_decref (json);
    return rc;
}

//  Keeps the lowest of the limits listed for one kind.
static void
s_lowest (int64_t *held, int64_t limit)
{
    if (*held == 0 || limit < *held)
        *held = limit;
}

int
ep_binance_rate_limits (const char *body, size_t size, ep_venue_limits_t *limits, char *error,
                        size_t error_size)
{
    assert (limits && error && (body || size == 0));
    *limits = (ep_venue_limits_t) { 0 };
    json_error_t json_error;
    json_t *json = json_loadb (body, size, 0, &json_error);
    if (!json_is_object (json)) {
        ep_binance_printf (error, error_size, "exchangeInfo: %s",
                           json ? "not an object" : json_error.text);
        json_decref (json);
        return -1;
    }
    json_t *list = json_object_get (json, "rateLimits");
    size_t index;
    json_t *entry;
    int rc = 0;
    json_array_foreach (list, index, entry) {
        json_t *type = json_object_get (entry, "rateLimitType");
        json_t *interval = json_object_get (entry, "interval");
        json_t *count = json_object_get (entry, "intervalNum");
        json_t *limit = json_object_get (entry, "limit");
        if (!json_is_string (type) || !json_is_string (interval) || !json_is_integer (count)
        ||  !json_is_integer (limit) || json_integer_value (limit) <= 0) {
            ep_binance_printf (error, error_size, "exchangeInfo: rateLimits entry %zu: "
                               "rateLimitType, interval, intervalNum or limit missing or "
                               "not usable", index);
            rc = -1;
            break;
        }
        const char *kind = json_string_value (type);
        const char *unit = json_string_value (interval);
        json_int_t num = json_integer_value (count);
        int64_t value = (int64_t) json_integer_value (limit);
        if (streq (kind, "REQUEST_WEIGHT") && streq (unit, "MINUTE") && num == 1)
            s_lowest (&limits->weight_per_minute, value);
        else
        if (streq (kind, "ORDERS") && streq (unit, "SECOND") && num == 10)
            s_lowest (&limits->orders_per_10s, value);
        else
        if (streq (kind, "ORDERS") && streq (unit, "DAY") && num == 1)
            s_lowest (&limits->orders_per_day, value);
    }
    if (rc)
        *limits = (ep_venue_limits_t) { 0 };
    json_decref (json);
    return rc;
}
