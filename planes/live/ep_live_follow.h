/*  ep_live_follow: the resting orders the live plane follows.

    An order the venue holds open (NEW, PARTIALLY_FILLED) is followed by
    status queries until it is terminal. Each is kept here with what was
    last reported of it, and in the audit, dispatch included, so that a
    restarted plane follows it too. Observation is not resubmission:
    nothing here sends anything; the plane asks for the queries that are
    due.  */
#ifndef EP_LIVE_FOLLOW_H_INCLUDED
#define EP_LIVE_FOLLOW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_audit.h"
#include "ep_wire.h"

typedef struct {
    ep_audit_order_t state;             //  what was last reported (dispatch unused here)
    ep_dispatch_t *dispatch;            //  the order's intent (owned)
    int64_t next_poll_ms;               //  when to query it next (monotonic)
    bool querying;                      //  a query is queued or in flight
    bool reconciled;                    //  followed after a reconciliation
    bool changing;                      //  a cancel or replace of it was sent: its answer
                                        //  tells how it ended
    bool ended_by_stream;               //  meanwhile the stream said it ended: asked
                                        //  again if that answer does not tell
    //  Its last fills, up to state.fills (the first may be unknown here):
    //  each report on it carries them all, so that a router that lost a
    //  report gets the fills it missed with the next.
    ep_fill_t **fills;
    size_t n_fills;
} ep_live_order_t;

typedef struct _ep_live_follow_t ep_live_follow_t;

//  Follows orders, persisted in audit (not owned), queried every poll_ms.
//  Returns NULL on out of memory.
ep_live_follow_t *ep_live_follow_new (ep_audit_t *audit, int64_t poll_ms);

//  Forgets every order (the audit keeps them) and NULLs *self_p.
void ep_live_follow_destroy (ep_live_follow_t **self_p);

//  Resting orders are queried every poll_ms from now on (from their next
//  query).
void ep_live_follow_set_poll_ms (ep_live_follow_t *self, int64_t poll_ms);

//  The order followed as client_order_id, or NULL.
ep_live_order_t *ep_live_follow_lookup (ep_live_follow_t *self, const char *client_order_id);

//  How many orders are followed.
size_t ep_live_follow_size (ep_live_follow_t *self);

//  Records state as the order's, reported on dispatch (copied): starts or
//  goes on following it, its next query poll_ms after now_ms, and persists
//  it. A terminal order is dropped here and from the audit instead.
//  Returns the order followed, or NULL (terminal, or out of memory: logged,
//  and the order is not followed).
ep_live_order_t *ep_live_follow_put (ep_live_follow_t *self, const ep_dispatch_t *dispatch,
                                     const ep_audit_order_t *state, bool terminal,
                                     bool reconciled, int64_t now_ms);

//  Follows an order the audit kept (its packed dispatch in state), due at
//  once. Returns 0, or -1 if it cannot be restored (logged).
int ep_live_follow_restore (ep_live_follow_t *self, const ep_audit_order_t *state);

//  The order's fills are these, from its first; its state counts them. On
//  out of memory it keeps none (logged): later reports number from there.
void ep_live_follow_keep_fills (ep_live_order_t *order, ep_fill_t *const *fills,
                                size_t n_fills);

//  Appends one more fill to the order's; on out of memory it keeps none
//  (logged).
void ep_live_follow_add_fill (ep_live_order_t *order, const ep_fill_t *fill);

//  Iterates over the orders: the first, then the next, NULL past the last.
//  Nothing may be followed or dropped meanwhile.
ep_live_order_t *ep_live_follow_first (ep_live_follow_t *self);
ep_live_order_t *ep_live_follow_next (ep_live_follow_t *self);

//  A copy of dispatch (free it with execplane__v1__dispatch__free_unpacked),
//  or NULL on out of memory.
ep_dispatch_t *ep_live_dispatch_dup (const ep_dispatch_t *dispatch);

#endif
