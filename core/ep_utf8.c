/*  ep_utf8: validating, cleaning and cutting UTF-8 text.  */
#include <string.h>
#include "ep_utf8.h"

//  The length of the well-formed character at s (at most left bytes), and
//  its code point in *code; 0 if the bytes there are not one.
static size_t
s_char (const uint8_t *s, size_t left, uint32_t *code)
{
    uint8_t c = s [0];
    if (c < 0x80) {
        *code = c;
        return 1;
    }
    size_t length;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf) {
        length = 2;
        min = 0x80;
        *code = c & 0x1f;
    }
    else
    if (c >= 0xe0 && c <= 0xef) {
        length = 3;
        min = 0x800;
        *code = c & 0x0f;
    }
    else
    if (c >= 0xf0 && c <= 0xf4) {
        length = 4;
        min = 0x10000;
        *code = c & 0x07;
    }
    else
        return 0;                       //  a continuation byte, 0xc0, 0xc1 or 0xf5..0xff
    if (left < length)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((s [i] & 0xc0) != 0x80)
            return 0;
        *code = (*code << 6) | (s [i] & 0x3f);
    }
    if (*code < min || *code > 0x10ffff || (*code >= 0xd800 && *code <= 0xdfff))
        return 0;
    return length;
}

static bool
s_control (uint32_t code)
{
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

static bool
s_valid (const char *s, size_t size, bool controls)
{
    const uint8_t *at = (const uint8_t *) s, *end = at + size;
    while (at < end) {
        uint32_t code;
        size_t length = s_char (at, (size_t) (end - at), &code);
        if (length == 0 || code == 0 || (!controls && s_control (code)))
            return false;
        at += length;
    }
    return true;
}

bool
ep_utf8_text_valid (const char *s, size_t size)
{
    return s_valid (s, size, false);
}

bool
ep_utf8_well_formed (const char *s, size_t size)
{
    return s_valid (s, size, true);
}

size_t
ep_utf8_prefix (const char *s, size_t max)
{
    size_t length = strnlen (s, max + 1);
    if (length <= max)
        return length;
    //  Back off the continuation bytes of the character that max cuts.
    length = max;
    while (length > 0 && ((uint8_t) s [length] & 0xc0) == 0x80)
        length--;
    return length;
}

bool
ep_utf8_copy (char *dst, size_t size, const char *src)
{
    size_t length = ep_utf8_prefix (src, size - 1);
    memmove (dst, src, length);
    dst [length] = 0;
    return src [length] != 0;
}

void
ep_utf8_trim (char *s)
{
    size_t length = strlen (s);
    size_t start = length;
    //  The last character starts at the last byte that is no continuation.
    while (start > 0 && length - start < 4 && ((uint8_t) s [start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0)
        return;
    start--;
    uint32_t code;
    if (s_char ((const uint8_t *) s + start, length - start, &code) != length - start)
        s [start] = 0;
}

size_t
ep_utf8_clean (char *dst, size_t dst_size, const char *src, size_t size)
{
    const uint8_t *at = (const uint8_t *) src, *end = at + size;
    size_t written = 0;
    while (at < end) {
        uint32_t code;
        size_t length = s_char (at, (size_t) (end - at), &code);
        const char *out = (const char *) at;
        size_t out_length = length;
        if (length == 0) {
            out = "?";
            out_length = 1;
            length = 1;
        }
        else
        if (s_control (code)) {
            out = " ";
            out_length = 1;
        }
        if (written + out_length > dst_size - 1)
            break;                      //  whole characters only
        memcpy (dst + written, out, out_length);
        written += out_length;
        at += length;
    }
    dst [written] = 0;
    return written;
}
