/*  ep_decimal: exact conversion between decimal text and int64 e8.

    All arithmetic is on the uint64 magnitude, checked before it can wrap,
    so no input reaches signed overflow; the sign is applied last, which is
    what lets "-92233720368.54775808" (INT64_MIN) through.  */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ep_decimal.h"

#define S_SCALE     100000000ULL        //  1e8
#define S_DECIMALS  8

ep_decimal_error_t
ep_decimal_parse (const char *text, bool allow_negative, int64_t *value_e8)
{
    return ep_decimal_parse_n (text, text ? strlen (text) : 0, allow_negative, value_e8);
}

ep_decimal_error_t
ep_decimal_parse_n (const char *text, size_t len, bool allow_negative, int64_t *value_e8)
{
    if (!text || len == 0)
        return EP_DECIMAL_EMPTY;

    const char *p = text;
    const char *end = text + len;
    bool negative = false;
    if (*p == '+')
        return EP_DECIMAL_NEGATIVE;
    if (*p == '-') {
        if (!allow_negative)
            return EP_DECIMAL_NEGATIVE;
        negative = true;
        p++;
    }
    //  Largest magnitude the sign permits: 2^63 - 1, or 2^63 for negatives
    const uint64_t limit = (uint64_t) INT64_MAX + (negative ? 1 : 0);

    //  Whole part: digits only (never isdigit, which follows the locale).
    //  Once it exceeds what can scale into range we stop accumulating but
    //  keep checking syntax, so junk is reported as junk, not overflow.
    uint64_t whole = 0;
    bool too_big = false;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        if (!too_big) {
            whole = whole * 10 + (uint64_t) (*p - '0');
            if (whole > limit / S_SCALE)
                too_big = true;
        }
        p++;
    }
    if (p == digits)
        return EP_DECIMAL_SYNTAX;

    uint64_t fraction = 0;
    size_t decimals = 0;
    if (p < end && *p == '.') {
        p++;
        const char *fraction_digits = p;
        while (p < end && *p >= '0' && *p <= '9') {
            if (decimals < S_DECIMALS)
                fraction = fraction * 10 + (uint64_t) (*p - '0');
            decimals++;
            p++;
        }
        if (p == fraction_digits)
            return EP_DECIMAL_SYNTAX;
    }
    if (p != end)
        return EP_DECIMAL_SYNTAX;
    if (decimals > S_DECIMALS)
        return EP_DECIMAL_TOO_PRECISE;
    if (too_big)
        return EP_DECIMAL_OVERFLOW;

    for (size_t pad = decimals; pad < S_DECIMALS; pad++)
        fraction *= 10;
    //  whole <= limit / 1e8, so whole * 1e8 <= limit: no wrap
    uint64_t scaled = whole * S_SCALE;
    if (scaled > limit - fraction)
        return EP_DECIMAL_OVERFLOW;
    uint64_t magnitude = scaled + fraction;

    if (!negative)
        *value_e8 = (int64_t) magnitude;
    else
    if (magnitude == (uint64_t) INT64_MAX + 1)
        *value_e8 = INT64_MIN;
    else
        *value_e8 = -(int64_t) magnitude;
    return EP_DECIMAL_OK;
}

const char *
ep_decimal_strerror (ep_decimal_error_t error)
{
    switch (error) {
        case EP_DECIMAL_OK:          return "no error";
        case EP_DECIMAL_EMPTY:       return "empty";
        case EP_DECIMAL_SYNTAX:      return "not a decimal number";
        case EP_DECIMAL_NEGATIVE:    return "sign not allowed";
        case EP_DECIMAL_TOO_PRECISE: return "more than 8 decimals";
        case EP_DECIMAL_OVERFLOW:    return "too large";
    }
    return "unknown decimal error";
}

char *
ep_decimal_format (int64_t value_e8, char buf [EP_DECIMAL_BUFSIZE])
{
    //  Unsigned negation is defined for INT64_MIN, where -value_e8 is not
    bool negative = value_e8 < 0;
    uint64_t magnitude = negative ? (uint64_t) 0 - (uint64_t) value_e8
                                  : (uint64_t) value_e8;
    uint64_t whole = magnitude / S_SCALE;
    uint64_t fraction = magnitude % S_SCALE;

    int len = snprintf (buf, EP_DECIMAL_BUFSIZE, "%s%" PRIu64, negative ? "-" : "", whole);
    if (fraction) {
        len += snprintf (buf + len, EP_DECIMAL_BUFSIZE - (size_t) len, ".%08" PRIu64, fraction);
        while (buf [len - 1] == '0')
            buf [--len] = '\0';
    }
    return buf;
}

bool
ep_decimal_avg_price (__int128 notional, int64_t qty_e8, int64_t *avg_e8)
{
    if (qty_e8 <= 0) {
        *avg_e8 = 0;
        return true;
    }
    __int128 average = notional / qty_e8;
    if (notional % qty_e8 != 0 && notional < 0)
        average--;
    if (average > INT64_MAX || average < INT64_MIN)
        return false;
    *avg_e8 = (int64_t) average;
    return true;
}
