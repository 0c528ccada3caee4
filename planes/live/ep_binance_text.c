/*  ep_binance_text: the Binance adapter's texts: formatting that cuts at a
    character boundary, the venue's words made one clean line, and the
    scrubbing that keeps the key, the secret and the signature out of
    every text a result carries, as sent and as a JSON decoder reads it.  */
#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_utf8.h"

#define S_SCRUB_MIN         8               //  shorter needles would scrub innocent text
#define S_TEXT_MAX          2048            //  a formatted text before it is cut to its place

//  vsnprintf whose truncation is intended, at a character boundary: texts
//  carry the venue's words, and a character cut in two would not decode
void
ep_binance_vprintf (char *buf, size_t size, const char *format, va_list args)
{
    assert (size > 0 && size < S_TEXT_MAX);
    char whole [S_TEXT_MAX];
    vsnprintf (whole, sizeof (whole), format, args);
    ep_utf8_copy (buf, size, whole);
}

//  snprintf whose truncation is intended: reasons are cut, never overrun
void
ep_binance_printf (char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    ep_binance_vprintf (buf, size, format, args);
    va_end (args);
}

//  Appends at *len; false (and buf unusable) if it did not fit
bool
ep_binance_appendf (char *buf, size_t size, size_t *len, const char *format, ...)
{
    if (*len >= size)
        return false;
    va_list args;
    va_start (args, format);
    int written = vsnprintf (buf + *len, size - *len, format, args);
    va_end (args);
    if (written < 0 || (size_t) written >= size - *len)
        return false;
    *len += (size_t) written;
    return true;
}

//  Copies len bytes of the venue's text into buf as one line of valid
//  UTF-8: a venue's message ends up in reasons, logs, the journal and the
//  audit, where a newline would forge a line and a broken character would
//  not decode (ill-formed bytes become '?', control characters spaces)
void
ep_binance_copy_printable (char *buf, size_t size, const char *text, size_t len)
{
    if (size == 0)
        return;
    ep_utf8_clean (buf, size, text, len);
}

//  ASCII only: a locale must not change what "insufficient balance" matches
bool
ep_binance_contains_nocase (const char *haystack, const char *needle)
{
    size_t needle_len = strlen (needle);
    for (const char *start = haystack; *start; start++) {
        size_t index = 0;
        while (index < needle_len && start [index]) {
            char a = start [index], b = needle [index];
            if (a >= 'A' && a <= 'Z')
                a = (char) (a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char) (b - 'A' + 'a');
            if (a != b)
                break;
            index++;
        }
        if (index == needle_len)
            return true;
    }
    return false;
}

//  Overwrites every occurrence of needle in text [0..len) with '*', same
//  length, so a body stays the shape it was (and JSON stays JSON)
void
ep_binance_scrub_raw (char *text, size_t len, const char *needle)
{
    size_t needle_len = needle ? strlen (needle) : 0;
    if (!text || needle_len < S_SCRUB_MIN || needle_len > len)
        return;
    for (size_t at = 0; at + needle_len <= len; at++)
        if (memcmp (text + at, needle, needle_len) == 0) {
            memset (text + at, '*', needle_len);
            at += needle_len - 1;
        }
}

static int
s_hex_digit (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

//  The \uXXXX escape at text (len bytes left), or -1 if there is none
static long
s_unicode_escape (const char *text, size_t len)
{
    if (len < 6 || text [0] != '\\' || text [1] != 'u')
        return -1;
    long code = 0;
    for (size_t index = 2; index < 6; index++) {
        int digit = s_hex_digit (text [index]);
        if (digit < 0)
            return -1;
        code = code * 16 + digit;
    }
    return code;
}

//  One unit of text as a JSON decoder reads it: an escape (\n, \/,
//  \u0041, a surrogate pair), or one plain byte. Writes the bytes it
//  stands for to out (up to 4) and their count to *out_len; returns the
//  raw bytes it takes (at least 1)
static size_t
s_json_unit (const char *text, size_t len, char out [4], size_t *out_len)
{
    *out_len = 1;
    out [0] = text [0];
    if (text [0] != '\\' || len < 2)
        return 1;
    static const char names [] = "\"\\/bfnrt";
    static const char decoded [] = "\"\\/\b\f\n\r\t";
    const char *simple = text [1] ? strchr (names, text [1]) : NULL;
    if (simple) {
        out [0] = decoded [simple - names];
        return 2;
    }
    long code = s_unicode_escape (text, len);
    if (code < 0)
        return 1;               //  not an escape: the backslash itself
    size_t used = 6;
    if (code >= 0xd800 && code <= 0xdbff) {
        long low = s_unicode_escape (text + 6, len - 6);
        if (low < 0xdc00 || low > 0xdfff)
            return 1;           //  a lone surrogate decodes to nothing we match
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        used = 12;
    }
    else
    if (code >= 0xdc00 && code <= 0xdfff)
        return 1;
    //  UTF-8, as the decoder would hand the string over
    if (code < 0x80)
        out [0] = (char) code;
    else
    if (code < 0x800) {
        out [0] = (char) (0xc0 | (code >> 6));
        out [1] = (char) (0x80 | (code & 0x3f));
        *out_len = 2;
    }
    else
    if (code < 0x10000) {
        out [0] = (char) (0xe0 | (code >> 12));
        out [1] = (char) (0x80 | ((code >> 6) & 0x3f));
        out [2] = (char) (0x80 | (code & 0x3f));
        *out_len = 3;
    }
    else {
        out [0] = (char) (0xf0 | (code >> 18));
        out [1] = (char) (0x80 | ((code >> 12) & 0x3f));
        out [2] = (char) (0x80 | ((code >> 6) & 0x3f));
        out [3] = (char) (0x80 | (code & 0x3f));
        *out_len = 4;
    }
    return used;
}

//  Overwrites with '*' every stretch of text [0..len) that a JSON decoder
//  would read as needle, escaped or not ("\u0073\u0065..." for "se..."):
//  each raw byte of the stretch becomes a '*', so JSON stays JSON and the
//  decoded strings no longer hold it
static void
s_scrub_decoded (char *text, size_t len, const char *needle)
{
    size_t needle_len = needle ? strlen (needle) : 0;
    if (!text || needle_len < S_SCRUB_MIN)
        return;
    char unit [4];
    size_t unit_len;
    size_t at = 0;
    while (at < len) {
        size_t first = s_json_unit (text + at, len - at, unit, &unit_len);
        size_t raw = at, matched = 0;
        while (matched < needle_len && raw < len) {
            size_t used = s_json_unit (text + raw, len - raw, unit, &unit_len);
            if (unit_len > needle_len - matched || memcmp (unit, needle + matched, unit_len))
                break;
            matched += unit_len;
            raw += used;
        }
        if (matched == needle_len) {
            memset (text + at, '*', raw - at);
            at = raw;
        }
        else
            at += first;
    }
    sodium_memzero (unit, sizeof (unit));
}

//  Scrubs needle from text as sent and as a JSON decoder would read it
void
ep_binance_scrub (char *text, size_t len, const char *needle)
{
    ep_binance_scrub_raw (text, len, needle);
    s_scrub_decoded (text, len, needle);
}
