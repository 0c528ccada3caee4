/*  fakex_rules: the venue's trading rules per symbol, read from an
    exchangeInfo document (--exchange-info), and the check of a new order
    against them: the symbol exists, it is TRADING, its orderTypes allow the
    order, and PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL or
    MIN_NOTIONAL, PERCENT_PRICE_BY_SIDE and MAX_NUM_ORDERS pass. No I/O but
    the load, no clock: the caller passes the average price.  */
#ifndef FAKEX_RULES_H_INCLUDED
#define FAKEX_RULES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fakex_book.h"

typedef struct _fakex_rules_t fakex_rules_t;

//  Reads the exchangeInfo document at path. NULL on failure, with why in
//  error (a missing file, bad JSON, a filter whose value does not read).
fakex_rules_t *fakex_rules_load (const char *path, char *error, size_t error_size);

//  Frees the rules and NULLs the caller's pointer.
void fakex_rules_destroy (fakex_rules_t **self_p);

//  The document as loaded (borrowed).
json_t *fakex_rules_json (fakex_rules_t *self);

//  True if the symbol is listed.
bool fakex_rules_has (fakex_rules_t *self, const char *symbol);

//  The symbol's base and quote assets: from the document when self lists
//  it, else by a known quote suffix (USDT, USDC, FDUSD, BUSD, TUSD, BTC,
//  ETH, BNB, EUR), else all base and quote "USDT". Buffers of
//  FAKEX_ASSET_MAX + 1 bytes.
void fakex_rules_assets (fakex_rules_t *self, const char *symbol, char *base, char *quote);

//  Checks a new order (symbol, side, type, qty_e8, price_e8) against the
//  symbol's rules; avg_price_e8 stands for the average price and
//  open_orders counts the orders open on the symbol. True if it passes;
//  else *code and msg hold the venue's refusal (-1121, -2010, -1013, -1014).
bool fakex_rules_check (fakex_rules_t *self, const fakex_order_t *order, int64_t avg_price_e8,
                        size_t open_orders, int *code, char *msg, size_t msg_size);

#endif
