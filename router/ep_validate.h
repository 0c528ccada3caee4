/*  ep_validate: what the router accepts as an OrderIntent. Pure functions
    on a decoded intent, with no state, so that a fuzzer drives exactly the
    code the router runs.  */
#ifndef EP_VALIDATE_H_INCLUDED
#define EP_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "ep_wire.h"

//  What the text of an intent, as it came on the wire, allows.
typedef enum {
    EP_TEXT_OK = 0,             //  every string is well-formed UTF-8 without NUL
    EP_TEXT_UNREADABLE,         //  intent_id or strategy_id is not: no report can name it
    EP_TEXT_BAD_FIELD           //  another string is not: the intent is INVALID_INTENT
} ep_text_t;

//  Checks the strings of the OrderIntent in data (size bytes) before
//  anything trusts its decoded form: protobuf-c checks no UTF-8 and cuts a
//  string at its first NUL, so a decoded id could name another intent than
//  the one sent. A readable intent gets a report (a rejection, if nothing
//  else); an unreadable one is only counted. On EP_TEXT_BAD_FIELD, *field
//  names the field.
ep_text_t ep_validate_text (const uint8_t *data, size_t size, const char **field);

//  Checks everything but the ids, duplicates and what a target is:
//  symbol, enums, time in force, quantities and prices (above 0, at most
//  EP_MAX_E8), the Safety Sell rule; and by action: a PLACE names no
//  target; a CANCEL names a valid target other than itself and sets no
//  order field (symbol, side, type, tif, qty, prices, safety); a REPLACE
//  names a target and a complete LIMIT order. Returns true if valid, else false with a reason a person
//  understands in reason (size bytes).
bool ep_validate_intent (const ep_intent_t *intent, char *reason, size_t size);

#endif
