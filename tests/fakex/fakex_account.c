/*  fakex_account: balances per asset, in the order they were listed.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "fakex_account.h"
#include "fakex_book.h"

typedef struct {
    char asset [FAKEX_ASSET_MAX + 1];
    int64_t total_e8;
} s_balance_t;

struct _fakex_account_t {
    s_balance_t *balances;
    size_t size;
};

static s_balance_t *
s_lookup (fakex_account_t *self, const char *asset)
{
    for (size_t index = 0; index < self->size; index++)
        if (strcmp (self->balances [index].asset, asset) == 0)
            return &self->balances [index];
    return NULL;
}

static bool
s_asset_ok (const char *asset, size_t len)
{
    if (len < 1 || len > FAKEX_ASSET_MAX)
        return false;
    for (size_t index = 0; index < len; index++)
        if (!((asset [index] >= 'A' && asset [index] <= 'Z')
           || (asset [index] >= '0' && asset [index] <= '9')))
            return false;
    return true;
}

fakex_account_t *
fakex_account_new (const char *text, char *error, size_t error_size)
{
    fakex_account_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, error_size, "out of memory");
        return NULL;
    }
    const char *cursor = text;
    while (*cursor) {
        const char *comma = strchr (cursor, ',');
        size_t len = comma ? (size_t) (comma - cursor) : strlen (cursor);
        const char *eq = memchr (cursor, '=', len);
        int64_t amount;
        char asset [FAKEX_ASSET_MAX + 1];
        size_t asset_len = eq ? (size_t) (eq - cursor) : 0;
        bool ok = eq && s_asset_ok (cursor, asset_len)
               && ep_decimal_parse_n (eq + 1, len - asset_len - 1, false, &amount)
                  == EP_DECIMAL_OK;
        if (ok) {
            snprintf (asset, sizeof asset, "%.*s", (int) asset_len, cursor);
            ok = !s_lookup (self, asset);
        }
        if (!ok || !fakex_account_add (self, asset, amount)) {
            snprintf (error, error_size, "'%.*s' is not ASSET=AMOUNT (an asset listed once)",
                      (int) (len > 60 ? 60 : len), cursor);
            fakex_account_destroy (&self);
            return NULL;
        }
        cursor += len + (comma ? 1 : 0);
    }
    return self;
}

void
fakex_account_destroy (fakex_account_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->balances);
        free (*self_p);
        *self_p = NULL;
    }
}

int64_t
fakex_account_total (fakex_account_t *self, const char *asset)
{
    s_balance_t *balance = s_lookup (self, asset);
    return balance ? balance->total_e8 : 0;
}

bool
fakex_account_add (fakex_account_t *self, const char *asset, int64_t delta_e8)
{
    s_balance_t *balance = s_lookup (self, asset);
    if (!balance) {
        s_balance_t *balances = realloc (self->balances, (self->size + 1) * sizeof *balances);
        if (!balances)
            return false;
        self->balances = balances;
        balance = &balances [self->size++];
        snprintf (balance->asset, sizeof balance->asset, "%s", asset);
        balance->total_e8 = 0;
    }
    balance->total_e8 += delta_e8;
    return true;
}

size_t
fakex_account_size (fakex_account_t *self)
{
    return self->size;
}

const char *
fakex_account_asset (fakex_account_t *self, size_t index)
{
    return index < self->size ? self->balances [index].asset : NULL;
}
