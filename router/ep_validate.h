/*  ep_validate: what the router accepts as an OrderIntent. Pure functions
    on a decoded intent, with no state, so that a fuzzer drives exactly the
    code the router runs.  */
#ifndef EP_VALIDATE_H_INCLUDED
#define EP_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "ep_wire.h"

//  True if the intent is readable: its intent_id is 1 to 256 printable
//  ASCII characters and its strategy_id 0 to 256. A readable intent gets a
//  report (a rejection, if nothing else); anything else is only counted.
bool ep_validate_readable (const ep_intent_t *intent);

//  Checks everything but the ids and duplicates: symbol, enums, time in
//  force, quantities and prices (above 0, at most EP_MAX_E8), the Safety
//  Sell rule. Returns true if valid, else false with a reason a person
//  understands in reason (size bytes).
bool ep_validate_intent (const ep_intent_t *intent, char *reason, size_t size);

#endif
