/*  ep_utf8: text the product accepts, and text it shortens.

    Every string that enters the product (an intent's ids, a command's
    reason, a venue's message) is UTF-8 without control characters, or it
    is refused: an embedded NUL is refused, never cut at. Every string the
    product shortens is cut at a character boundary, so what it publishes
    always decodes (Google protobuf refuses a string field that is not
    valid UTF-8).  */
#ifndef EP_UTF8_H_INCLUDED
#define EP_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  True if the size bytes at s are well-formed UTF-8 (RFC 3629: no
//  overlong forms, no surrogates, nothing above U+10FFFF) and hold no
//  control character (U+0000 to U+001F, U+007F to U+009F).
bool ep_utf8_text_valid (const char *s, size_t size);

//  True if the size bytes at s are well-formed UTF-8 with no NUL; other
//  control characters are allowed.
bool ep_utf8_well_formed (const char *s, size_t size);

//  The length of the longest prefix of the string s that is at most max
//  bytes and ends at a character boundary (s is assumed well-formed).
size_t ep_utf8_prefix (const char *s, size_t max);

//  Copies the string src into dst (size bytes, size > 0), cut at a
//  character boundary if it does not fit, and NUL-terminates it. Returns
//  true if it was cut.
bool ep_utf8_copy (char *dst, size_t size, const char *src);

//  Cuts off the string s's last character if it is incomplete (as a
//  snprintf that ran out of room may leave it). s is otherwise assumed
//  well-formed.
void ep_utf8_trim (char *s);

//  Copies size bytes of untrusted text at src into dst (dst_size bytes,
//  dst_size > 0) as valid text: each ill-formed byte becomes '?', each
//  control character a space, and the result is cut at a character
//  boundary if it does not fit. Returns the length written.
size_t ep_utf8_clean (char *dst, size_t dst_size, const char *src, size_t size);

#endif
