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

#endif
