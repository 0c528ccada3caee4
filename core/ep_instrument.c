/*  ep_instrument: a venue's trading rules per symbol, and the one check.  */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "ep_instrument.h"

//  --------------------------------------------------------------------------
//  The check

//  value_e8 as text, in one of a few buffers (a reason names several values).
typedef struct {
    char text [4][EP_DECIMAL_BUFSIZE];
    int next;
} s_texts_t;

static const char *
s_text (s_texts_t *texts, int64_t value_e8)
{
    char *buf = texts->text [texts->next++ % 4];
    return ep_decimal_format (value_e8, buf);
}

//  Checks value against range, the rule named name, the value called what.
static bool
s_in_range (const ep_instrument_range_t *range, int64_t value_e8, const char *name,
            const char *what, const char *step_name, char *reason, size_t size)
{
    s_texts_t texts = { .next = 0 };
    if (range->min_e8 > 0 && value_e8 < range->min_e8)
        snprintf (reason, size, "%s: %s %s is below its minimum %s", name, what,
                  s_text (&texts, value_e8), s_text (&texts, range->min_e8));
    else
    if (range->max_e8 > 0 && value_e8 > range->max_e8)
        snprintf (reason, size, "%s: %s %s is above its maximum %s", name, what,
                  s_text (&texts, value_e8), s_text (&texts, range->max_e8));
    else
    if (range->step_e8 > 0 && value_e8 % range->step_e8 != 0)
        snprintf (reason, size, "%s: %s %s is not a multiple of %s %s (nothing is rounded)",
                  name, what, s_text (&texts, value_e8), step_name,
                  s_text (&texts, range->step_e8));
    else
        return true;
    return false;
}

//  price * qty in e8, saturated to int64.
static int64_t
s_notional (int64_t price_e8, int64_t qty_e8)
{
    __int128 notional = (__int128) price_e8 * qty_e8 / 100000000;
    return notional > INT64_MAX ? INT64_MAX : (int64_t) notional;
}

static bool
s_notional_ok (const ep_instrument_t *self, bool market, int64_t price_e8, int64_t qty_e8,
               char *reason, size_t size)
{
    if (price_e8 <= 0)
        return true;                    //  no reference for a MARKET order
    int64_t notional = s_notional (price_e8, qty_e8);
    s_texts_t texts = { .next = 0 };
    if (self->min_notional_e8 > 0 && (!market || self->min_notional_market)
    &&  notional < self->min_notional_e8)
        snprintf (reason, size, "NOTIONAL: price x qty %s is below minNotional %s",
                  s_text (&texts, notional), s_text (&texts, self->min_notional_e8));
    else
    if (self->max_notional_e8 > 0 && (!market || self->max_notional_market)
    &&  notional > self->max_notional_e8)
        snprintf (reason, size, "NOTIONAL: price x qty %s is above maxNotional %s",
                  s_text (&texts, notional), s_text (&texts, self->max_notional_e8));
    else
        return true;
    return false;
}

static bool
s_percent_ok (const ep_instrument_t *self, const ep_intent_t *intent, char *reason, size_t size)
{
    bool buy = intent->side == EP_SIDE (BUY);
    int64_t up = buy ? self->bid_up_e8 : self->ask_up_e8;
    int64_t down = buy ? self->bid_down_e8 : self->ask_down_e8;
    int64_t ref = intent->ref_price_e8, price = intent->limit_price_e8;
    if (ref <= 0)
        return true;
    //  price <= ref * up and price >= ref * down, exactly: both sides x 1e8
    __int128 scaled = (__int128) price * 100000000;
    s_texts_t texts = { .next = 0 };
    if (up > 0 && scaled > (__int128) ref * up)
        snprintf (reason, size, "PERCENT_PRICE_BY_SIDE: %s price %s is above %s x %s "
                  "(ref_price x %sMultiplierUp)", buy ? "BUY" : "SELL", s_text (&texts, price),
                  s_text (&texts, ref), s_text (&texts, up), buy ? "bid" : "ask");
    else
    if (down > 0 && scaled < (__int128) ref * down)
        snprintf (reason, size, "PERCENT_PRICE_BY_SIDE: %s price %s is below %s x %s "
                  "(ref_price x %sMultiplierDown)", buy ? "BUY" : "SELL",
                  s_text (&texts, price), s_text (&texts, ref), s_text (&texts, down),
                  buy ? "bid" : "ask");
    else
        return true;
    return false;
}

bool
ep_instrument_check (const ep_instrument_t *self, const ep_intent_t *intent, char *reason,
                     size_t reason_size)
{
    assert (self && intent && reason);
    bool market = intent->type == EP_TYPE (MARKET);
    bool limit = intent->type == EP_TYPE (LIMIT);
    if (!self->trading) {
        snprintf (reason, reason_size, "symbol %s is not trading", self->symbol);
        return false;
    }
    if ((market && !self->market) || (limit && !self->limit)) {
        snprintf (reason, reason_size, "symbol %s does not accept %s orders", self->symbol,
                  market ? "MARKET" : "LIMIT");
        return false;
    }
    if (!s_in_range (&self->lot, intent->qty_e8, "LOT_SIZE", "qty", "stepSize", reason,
                     reason_size))
        return false;
    if (market && !s_in_range (&self->market_lot, intent->qty_e8, "MARKET_LOT_SIZE", "qty",
                               "stepSize", reason, reason_size))
        return false;
    if (limit && !s_in_range (&self->price, intent->limit_price_e8, "PRICE_FILTER", "price",
                              "tickSize", reason, reason_size))
        return false;
    if (!s_notional_ok (self, market, market ? intent->ref_price_e8 : intent->limit_price_e8,
                        intent->qty_e8, reason, reason_size))
        return false;
    return !limit || s_percent_ok (self, intent, reason, reason_size);
}

//  --------------------------------------------------------------------------
//  The table

//  The index of symbol, or where it would go (*found false).
static size_t
s_search (const ep_instruments_t *self, const char *symbol, bool *found)
{
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (self->items [middle].symbol, symbol);
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

const ep_instrument_t *
ep_instruments_find (const ep_instruments_t *self, const char *symbol)
{
    assert (self && symbol);
    bool found;
    size_t index = s_search (self, symbol, &found);
    return found ? &self->items [index] : NULL;
}

bool
ep_instruments_check (const ep_instruments_t *self, const ep_intent_t *intent, char *reason,
                      size_t reason_size)
{
    assert (self && intent && reason);
    if (self->count == 0)
        return true;
    const char *symbol = intent->symbol ? intent->symbol : "";
    const ep_instrument_t *instrument = ep_instruments_find (self, symbol);
    if (!instrument) {
        snprintf (reason, reason_size, "symbol %s is not in the instrument table", symbol);
        return false;
    }
    return ep_instrument_check (instrument, intent, reason, reason_size);
}

int
ep_instruments_put (ep_instruments_t *self, const ep_instrument_t *instrument)
{
    assert (self && instrument);
    bool found;
    size_t index = s_search (self, instrument->symbol, &found);
    if (!found) {
        ep_instrument_t *items = realloc (self->items, (self->count + 1) * sizeof *items);
        if (!items)
            return -1;
        self->items = items;
        memmove (&items [index + 1], &items [index], (self->count - index) * sizeof *items);
        self->count++;
    }
    self->items [index] = *instrument;
    return 0;
}

void
ep_instruments_clear (ep_instruments_t *self)
{
    assert (self);
    free (self->items);
    *self = (ep_instruments_t) { 0 };
}

//  --------------------------------------------------------------------------
//  The text form

//  One token of a line: [start, end) of text, blanks skipped.
typedef struct {
    const char *at, *end;               //  what is left of the line
} s_line_t;

static bool
s_token (s_line_t *line, const char **start, size_t *len)
{
    while (line->at < line->end && (*line->at == ' ' || *line->at == '\t' || *line->at == '\r'))
        line->at++;
    if (line->at == line->end)
        return false;
    *start = line->at;
    while (line->at < line->end && *line->at != ' ' && *line->at != '\t' && *line->at != '\r')
        line->at++;
    *len = (size_t) (line->at - *start);
    return true;
}

static bool
s_equals (const char *text, size_t len, const char *word)
{
    return strlen (word) == len && memcmp (text, word, len) == 0;
}

//  Parses count decimals separated by ':' into values; true if all parse.
static bool
s_decimals (const char *text, size_t len, int64_t *values, int count)
{
    const char *end = text + len;
    for (int index = 0; index < count; index++) {
        const char *stop = text;
        while (stop < end && *stop != ':')
            stop++;
        if ((stop == end) != (index == count - 1))
            return false;
        if (ep_decimal_parse_n (text, (size_t) (stop - text), false, &values [index]))
            return false;
        text = stop + 1;
    }
    return true;
}

static bool
s_range (const char *text, size_t len, ep_instrument_range_t *range)
{
    int64_t values [3];
    if (!s_decimals (text, len, values, 3))
        return false;
    *range = (ep_instrument_range_t) { values [0], values [1], values [2] };
    return true;
}

static bool
s_types (const char *text, size_t len, ep_instrument_t *instrument)
{
    const char *end = text + len;
    while (text < end) {
        const char *stop = text;
        while (stop < end && *stop != ',')
            stop++;
        if (s_equals (text, (size_t) (stop - text), "MARKET"))
            instrument->market = true;
        else
        if (s_equals (text, (size_t) (stop - text), "LIMIT"))
            instrument->limit = true;
        else
            return false;           //  an order type this product does not send
        text = stop < end ? stop + 1 : stop;
    }
    return true;
}

//  One key=value of a line into instrument; true if it is known and valid.
static bool
s_field (const char *text, size_t len, ep_instrument_t *instrument)
{
    const char *equals = memchr (text, '=', len);
    if (!equals)
        return false;
    size_t key_len = (size_t) (equals - text);
    const char *value = equals + 1;
    size_t value_len = len - key_len - 1;
    int64_t values [4];
    if (s_equals (text, key_len, "base") || s_equals (text, key_len, "quote")) {
        char *asset = s_equals (text, key_len, "base") ? instrument->base : instrument->quote;
        if (value_len == 0 || value_len >= EP_INSTRUMENT_ASSET_MAX)
            return false;
        memcpy (asset, value, value_len);
        asset [value_len] = '\0';
        return true;
    }
    if (s_equals (text, key_len, "status")) {
        instrument->trading = s_equals (value, value_len, "TRADING");
        return value_len > 0;
    }
    if (s_equals (text, key_len, "types"))
        return s_types (value, value_len, instrument);
    if (s_equals (text, key_len, "price"))
        return s_range (value, value_len, &instrument->price);
    if (s_equals (text, key_len, "lot"))
        return s_range (value, value_len, &instrument->lot);
    if (s_equals (text, key_len, "market_lot"))
        return s_range (value, value_len, &instrument->market_lot);
    if (s_equals (text, key_len, "notional")) {
        if (!s_decimals (value, value_len, values, 4)
        ||  (values [2] != 0 && values [2] != 100000000)
        ||  (values [3] != 0 && values [3] != 100000000))
            return false;
        instrument->min_notional_e8 = values [0];
        instrument->max_notional_e8 = values [1];
        instrument->min_notional_market = values [2] != 0;
        instrument->max_notional_market = values [3] != 0;
        return true;
    }
    if (s_equals (text, key_len, "percent")) {
        if (!s_decimals (value, value_len, values, 4))
            return false;
        instrument->bid_up_e8 = values [0];
        instrument->bid_down_e8 = values [1];
        instrument->ask_up_e8 = values [2];
        instrument->ask_down_e8 = values [3];
        return true;
    }
    return false;
}

//  Parses one line (not a comment, not blank) into instrument.
static bool
s_parse_line (s_line_t *line, ep_instrument_t *instrument, char *why, size_t why_size)
{
    const char *token;
    size_t len;
    memset (instrument, 0, sizeof *instrument);
    s_token (line, &token, &len);
    if (len >= sizeof instrument->symbol) {
        snprintf (why, why_size, "a symbol longer than %zu characters",
                  sizeof instrument->symbol - 1);
        return false;
    }
    memcpy (instrument->symbol, token, len);
    while (s_token (line, &token, &len))
        if (!s_field (token, len, instrument)) {
            snprintf (why, why_size, "%s: cannot read %.*s", instrument->symbol,
                      (int) (len > 60 ? 60 : len), token);
            return false;
        }
    return true;
}

int
ep_instruments_parse (ep_instruments_t *self, const char *text, size_t size, char *error,
                      size_t error_size)
{
    assert (self && (text || size == 0) && error);
    *self = (ep_instruments_t) { 0 };
    const char *end = text + size;
    for (int number = 1; text < end; number++) {
        const char *stop = memchr (text, '\n', (size_t) (end - text));
        s_line_t line = { text, stop ? stop : end };
        text = stop ? stop + 1 : end;
        const char *token;
        size_t len;
        s_line_t peek = line;
        if (!s_token (&peek, &token, &len) || *token == '#')
            continue;
        ep_instrument_t instrument;
        char why [160];
        if (!s_parse_line (&line, &instrument, why, sizeof why))
            snprintf (error, error_size, "line %d: %s", number, why);
        else
        if (ep_instruments_find (self, instrument.symbol))
            snprintf (error, error_size, "line %d: %s is listed twice", number,
                      instrument.symbol);
        else
        if (ep_instruments_put (self, &instrument) == 0)
            continue;
        else
            snprintf (error, error_size, "line %d: out of memory", number);
        ep_instruments_clear (self);
        return -1;
    }
    return 0;
}

//  Appends to a growing text; false on out of memory.
typedef struct {
    char *data;
    size_t len, size;
} s_text_t;

static bool
s_append (s_text_t *out, const char *piece)
{
    size_t len = strlen (piece);
    if (out->len + len + 1 > out->size) {
        size_t size = (out->size ? out->size * 2 : 256) + len;
        char *data = realloc (out->data, size);
        if (!data)
            return false;
        out->data = data;
        out->size = size;
    }
    memcpy (out->data + out->len, piece, len + 1);
    out->len += len;
    return true;
}

static void
s_format_one (const ep_instrument_t *item, char *line, size_t size)
{
    char v [12][EP_DECIMAL_BUFSIZE];
    const ep_instrument_range_t *ranges [3] = { &item->price, &item->lot, &item->market_lot };
    for (int index = 0; index < 3; index++) {
        ep_decimal_format (ranges [index]->min_e8, v [index * 3]);
        ep_decimal_format (ranges [index]->max_e8, v [index * 3 + 1]);
        ep_decimal_format (ranges [index]->step_e8, v [index * 3 + 2]);
    }
    ep_decimal_format (item->min_notional_e8, v [9]);
    ep_decimal_format (item->max_notional_e8, v [10]);
    char percent [4][EP_DECIMAL_BUFSIZE];
    ep_decimal_format (item->bid_up_e8, percent [0]);
    ep_decimal_format (item->bid_down_e8, percent [1]);
    ep_decimal_format (item->ask_up_e8, percent [2]);
    ep_decimal_format (item->ask_down_e8, percent [3]);
    snprintf (line, size, "%s status=%s types=%s price=%s:%s:%s lot=%s:%s:%s "
              "market_lot=%s:%s:%s notional=%s:%s:%d:%d percent=%s:%s:%s:%s\n",
              item->symbol, item->trading ? "TRADING" : "NOT_TRADING",
              item->market && item->limit ? "LIMIT,MARKET"
              : item->limit ? "LIMIT" : item->market ? "MARKET" : "",
              v [0], v [1], v [2], v [3], v [4], v [5], v [6], v [7], v [8], v [9], v [10],
              item->min_notional_market, item->max_notional_market,
              percent [0], percent [1], percent [2], percent [3]);
    if (item->base [0] && item->quote [0]) {
        size_t len = strlen (line);
        snprintf (line + len - 1, size - len + 1, " base=%s quote=%s\n", item->base,
                  item->quote);
    }
}

char *
ep_instruments_format (const ep_instruments_t *self)
{
    assert (self);
    s_text_t out = { 0 };
    if (!s_append (&out, "# execplane instruments: one symbol a line (see ep_instrument.h)\n"))
        return NULL;
    for (size_t index = 0; index < self->count; index++) {
        char line [768];
        s_format_one (&self->items [index], line, sizeof line);
        if (!s_append (&out, line)) {
            free (out.data);
            return NULL;
        }
    }
    return out.data;
}
