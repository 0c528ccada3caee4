/*  ep_json: the contract's JSON-lines form of intents, reports, plane state,
    stats and plane definitions (contract.md, "JSON lines"). Keys are the protobuf field names;
    an *_e8 field appears without the suffix as an exact decimal string; an
    enum appears as its name. Built on jansson and ep_decimal.  */
#ifndef EP_JSON_H_INCLUDED
#define EP_JSON_H_INCLUDED

#include <stddef.h>
#include "ep_wire.h"

//  A plane definition as the router lists it (frame "definitions").
typedef Execplane__V1__PlaneDefinition ep_json_definition_t;

//  Parses one JSON object (one line, NUL-terminated) into *intent, which the
//  caller has initialised with execplane__v1__order_intent__init; strings in
//  it are malloc'd and freed by ep_json_intent_clear. Keys: intent_id,
//  strategy_id, symbol, side, type, tif, qty, limit_price, ref_price,
//  decided_at (integer), safety (bool). Absent keys keep their defaults;
//  an unknown key, a wrong type, a bad enum name or a bad decimal is an
//  error. Quantities and prices may not be negative.
//  Returns 0 on success; on error -1, with a one-line explanation naming the
//  key in err (err_size bytes), and *intent cleared.
int ep_json_intent_parse (const char *line, ep_intent_t *intent, char *err, size_t err_size);

//  Frees the strings ep_json_intent_parse allocated and re-initialises *intent.
void ep_json_intent_clear (ep_intent_t *intent);

//  Each of these returns one JSON object on one line, without a newline,
//  keys in the .proto field order, as a malloc'd string the caller frees;
//  NULL only if out of memory.
char *ep_json_intent_format (const ep_intent_t *intent);
char *ep_json_report_format (const ep_report_t *report);
char *ep_json_plane_state_format (const ep_plane_state_t *state);
char *ep_json_stats_format (const ep_stats_t *stats);
char *ep_json_definition_format (const ep_json_definition_t *definition);

#endif
