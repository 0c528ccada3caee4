/*  ep_targets: the order a journaled CANCEL or REPLACE meant, read back as
    the router resolved it: the router_seq of its target_intent_id within
    the intent's own strategy (the journal's intent_keys). ep-replay's
    verification and its shadow report both replay through it.  */
#ifndef EP_TARGETS_H_INCLUDED
#define EP_TARGETS_H_INCLUDED

#include <sqlite3.h>
#include <stdint.h>
#include "ep_wire.h"

//  Prepares the lookup on db into *lookup; returns SQLITE_OK or the error.
int ep_targets_prepare (sqlite3 *db, sqlite3_stmt **lookup);

//  Stores in *router_seq the target's router_seq, or 0 if the journal has
//  no such intent. Returns SQLITE_DONE, or the database's error code.
int ep_targets_seq (sqlite3_stmt *lookup, const ep_intent_t *intent, uint64_t *router_seq);

#endif
