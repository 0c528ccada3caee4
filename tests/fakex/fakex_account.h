/*  fakex_account: the fake venue's balances per asset (--balances), moved
    by fills: a BUY pays the quote asset and receives the base, a SELL the
    reverse, and the commission leaves its own asset. What an open order
    locks is not kept here: the venue reckons it from the book.  */
#ifndef FAKEX_ACCOUNT_H_INCLUDED
#define FAKEX_ACCOUNT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _fakex_account_t fakex_account_t;

//  Reads "USDT=10000,BTC=1,BNB=5" (assets in capitals and digits, amounts
//  with at most 8 decimals). NULL if the text does not read or memory ran
//  out; then error says why.
fakex_account_t *fakex_account_new (const char *text, char *error, size_t error_size);

//  Frees the account and NULLs the caller's pointer.
void fakex_account_destroy (fakex_account_t **self_p);

//  The asset's whole balance (free and locked), 0 if never held.
int64_t fakex_account_total (fakex_account_t *self, const char *asset);

//  Adds delta_e8 (negative: takes) to the asset's balance, listing the
//  asset if new. False if out of memory.
bool fakex_account_add (fakex_account_t *self, const char *asset, int64_t delta_e8);

//  The assets, in the order first listed.
size_t fakex_account_size (fakex_account_t *self);
const char *fakex_account_asset (fakex_account_t *self, size_t index);

#endif
