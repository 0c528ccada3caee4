/*  ep_inflight: the router's table of intents dispatched to a plane that
    have no terminal report yet, keyed by router_seq, with the per-plane
    deadline by which the plane must first answer.

    An entry is "acked" once its plane has reported on it; from then on it
    has no deadline (a resting order may rest for as long as it rests). The
    deadlines of one plane expire in dispatch order, because every entry of
    a plane gets the same timeout, so each plane keeps a FIFO of candidates.  */
#ifndef EP_INFLIGHT_H_INCLUDED
#define EP_INFLIGHT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_wire.h"

typedef struct {
    uint64_t router_seq;                //  the key: the intent's acceptance number
    int plane;                          //  the plane it was dispatched to
    uint64_t plane_epoch;               //  the epoch it was dispatched under
    int64_t deadline_ms;                //  unacked: when it times out
    bool acked;                         //  the plane has reported on it
    bool zombie;                        //  terminal report made, yet the plane holds it
    bool safety;                        //  a Safety Sell
    int side;                           //  copied from the intent
    int64_t filled_qty_e8;              //  cumulative, from the plane's last report
    int64_t avg_price_e8;               //  likewise
    uint32_t fills;                     //  how many of its fills the router has
    char intent_id [EP_ID_MAX + 1];
    char strategy_id [EP_ID_MAX + 1];
    char symbol [EP_ID_MAX + 1];
    int action;                         //  PLACE, CANCEL or REPLACE
    char target_intent_id [EP_ID_MAX + 1];  //  a CANCEL's or REPLACE's target
    uint64_t canceled_by;               //  the router's own cancel of it, once sent
    int64_t intake_us;                  //  when the router read it (wall clock; 0: unknown)
} ep_inflight_entry_t;

typedef struct _ep_inflight_t ep_inflight_t;

//  Returns NULL on out of memory.
ep_inflight_t *ep_inflight_new (void);
void ep_inflight_destroy (ep_inflight_t **self_p);

//  Adds an entry for intent (copied) and returns it, or NULL on out of
//  memory. A router_seq already present is an API misuse (assert).
ep_inflight_entry_t *ep_inflight_add (ep_inflight_t *self, uint64_t router_seq,
                                      const ep_intent_t *intent, int plane,
                                      uint64_t plane_epoch, int64_t deadline_ms, bool acked);

//  Returns the entry for router_seq, or NULL.
ep_inflight_entry_t *ep_inflight_find (ep_inflight_t *self, uint64_t router_seq);

//  Removes the entry for router_seq, if present.
void ep_inflight_remove (ep_inflight_t *self, uint64_t router_seq);

//  Returns an unacked entry of plane whose deadline is <= now_ms, oldest
//  first, or NULL. The caller removes or acks it before asking again.
ep_inflight_entry_t *ep_inflight_expired (ep_inflight_t *self, int plane, int64_t now_ms);

//  The earliest pending deadline of any plane, or INT64_MAX if none.
int64_t ep_inflight_next_deadline (ep_inflight_t *self);

//  Number of entries of plane (0: of every plane).
size_t ep_inflight_count (ep_inflight_t *self, int plane);

//  Calls fn for every entry, in no particular order. fn must not add or
//  remove entries.
typedef void (ep_inflight_fn) (void *arg, ep_inflight_entry_t *entry);
void ep_inflight_each (ep_inflight_t *self, ep_inflight_fn *fn, void *arg);

#endif
