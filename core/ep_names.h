/*  ep_names: the contract's enum names, both ways.

    Each *_name returns the enum value's name as contract.md spells it
    ("BUY", "FILLED", "FAILURE_NONE", ...) or NULL for a value outside the
    enum. Each *_parse returns the value for an exact, case-sensitive name, or
    -1 for anything else.  */
#ifndef EP_NAMES_H_INCLUDED
#define EP_NAMES_H_INCLUDED

const char *ep_side_name (int value);
int ep_side_parse (const char *name);
const char *ep_type_name (int value);
int ep_type_parse (const char *name);
const char *ep_tif_name (int value);
int ep_tif_parse (const char *name);
const char *ep_plane_name (int value);
int ep_plane_parse (const char *name);
const char *ep_status_name (int value);
int ep_status_parse (const char *name);
const char *ep_failure_name (int value);
int ep_failure_parse (const char *name);
const char *ep_command_name (int value);
int ep_command_parse (const char *name);
const char *ep_action_name (int value);
int ep_action_parse (const char *name);

#endif
