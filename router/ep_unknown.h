/*  ep_unknown: the live orders whose terminal report is UNKNOWN, which the
    router's own cancels (CANCEL_ALL, HALT with cancel_open) still reach.

    An order whose submission ended UNKNOWN / SEND_UNKNOWN may rest at the
    venue: a cancel of it goes to the live plane like a cancel of an order
    in flight (ep_target). A strategy's own cancel finds its target in the
    journal; a sweep of open orders finds such an order here. The set holds
    the live PLACE and REPLACE intents that ended UNKNOWN during this run,
    and those the journal held at start (ep_recovery), with no later word of
    the plane on them (a later report that it rests makes it a zombie,
    which is in flight; one that it ended takes it out). It is bounded:
    EP_UNKNOWN_MAX entries, the newest router_seqs; an older one is dropped
    (counted, and logged by the caller) and is then reached only by a
    cancel that names it, or after a reconciliation.  */
#ifndef EP_UNKNOWN_H_INCLUDED
#define EP_UNKNOWN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_wire.h"

#define EP_UNKNOWN_MAX 1024             //  UNKNOWN live orders remembered, at most

typedef struct {
    uint64_t router_seq;                //  the order's intent
    uint64_t plane_epoch;               //  the live epoch it was dispatched under
    uint64_t canceled_by;               //  the router's own cancel of it, once sent
    char strategy_id [EP_ID_MAX + 1];
    char intent_id [EP_ID_MAX + 1];
} ep_unknown_entry_t;

typedef struct {
    ep_unknown_entry_t *entries;        //  in no particular order
    size_t count;
    size_t size;                        //  allocated
    uint64_t dropped;                   //  the oldest dropped for room
} ep_unknown_t;

//  Remembers router_seq (again: its entry is returned as it is). When the
//  set is full the oldest router_seq is dropped (*dropped, if not NULL, is
//  set to it; else 0), unless router_seq is older still: then it is not
//  added and NULL is returned with *dropped set to it. NULL with *dropped 0:
//  out of memory.
ep_unknown_entry_t *ep_unknown_add (ep_unknown_t *self, uint64_t router_seq,
                                    const char *strategy_id, const char *intent_id,
                                    uint64_t plane_epoch, uint64_t *dropped);

//  The entry of router_seq, or NULL.
ep_unknown_entry_t *ep_unknown_find (ep_unknown_t *self, uint64_t router_seq);

//  Forgets router_seq, if it is there. Returns true if it was.
bool ep_unknown_remove (ep_unknown_t *self, uint64_t router_seq);

//  Frees the set's memory; it is then empty.
void ep_unknown_clear (ep_unknown_t *self);

#endif
