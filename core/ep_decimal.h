/*  ep_decimal: exact conversion between decimal text and int64 fixed point
    in units of 1e-8 (e8). The one place where this conversion lives: JSON,
    the venue and the command line all go through it. No floating point.

    Accepted text: an optional '-' (only when allow_negative), one or more
    digits, then optionally '.' and one to eight digits. No '+', no spaces,
    no exponent, no leading '.', no trailing '.'. The scaled value must fit
    in int64.  */
#ifndef EP_DECIMAL_H_INCLUDED
#define EP_DECIMAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    EP_DECIMAL_OK = 0,
    EP_DECIMAL_EMPTY,           //  no text at all
    EP_DECIMAL_SYNTAX,          //  not digits[.digits]
    EP_DECIMAL_NEGATIVE,        //  a sign where none is allowed
    EP_DECIMAL_TOO_PRECISE,     //  more than 8 decimals
    EP_DECIMAL_OVERFLOW         //  outside int64 once scaled
} ep_decimal_error_t;

//  Parses text (NUL-terminated) into *value_e8. On error, returns the
//  classification and leaves *value_e8 unchanged.
ep_decimal_error_t ep_decimal_parse (const char *text, bool allow_negative, int64_t *value_e8);

//  Same, for len bytes of text that need not be NUL-terminated.
ep_decimal_error_t ep_decimal_parse_n (const char *text, size_t len, bool allow_negative, int64_t *value_e8);

//  A person-readable description of an error ("more than 8 decimals").
const char *ep_decimal_strerror (ep_decimal_error_t error);

//  Size of a buffer that holds any formatted value with its NUL.
#define EP_DECIMAL_BUFSIZE 32

//  Formats value_e8 exactly, with trailing zeros of the fraction removed and
//  no '.' for whole numbers: 12345678 -> "0.12345678", 100000000 -> "1",
//  -50000000 -> "-0.5", INT64_MIN is handled. Returns buf.
char *ep_decimal_format (int64_t value_e8, char buf[EP_DECIMAL_BUFSIZE]);

//  One e8 unit: 1e8 e8 is 1.
#define EP_E8 100000000

//  The average price (e8) of qty_e8 traded for notional, the sum of
//  qty_e8 * price_e8 over its fills (so in units of 1e-16), rounded toward
//  minus infinity, as every plane reports it. Stores 0 when qty_e8 is not
//  positive. Returns false, *avg_e8 unchanged, if it does not fit int64.
bool ep_decimal_avg_price (__int128 notional, int64_t qty_e8, int64_t *avg_e8);

//  The notional of a quote amount (e8) as ep_decimal_avg_price takes it.
static inline __int128
ep_decimal_notional (int64_t quote_e8)
{
    return (__int128) quote_e8 * EP_E8;
}

#endif
