/*  ep_audit: the live plane's own durable record, one SQLite file (WAL,
    synchronous=FULL, created 0600).

    Every request to the venue is an attempt row, committed BEFORE the
    request is sent: the intent, the client order id, method, path and the
    parameters exactly as sent minus the signature (the key and the secret
    are never in it). Its result is written afterwards: libcurl's code and
    text, the request size, the HTTP status, the venue's code and message,
    the raw body (its first EP_AUDIT_BODY_MAX bytes, with its full length),
    timings and the classification. A submission attempt is unique per
    client order id, so an intent can never be sent twice, and an attempt
    with no result at start-up is one whose fate is unknown. A result that
    cannot be written (a full disk) is kept in memory and written by
    ep_audit_retry once it can be, so that the answer is not lost and a
    restart does not take the attempt for one whose fate is unknown.

    One process at a time: the file is locked (flock, exclusive) for as
    long as the audit is open, so a second live worker on the same audit
    is refused at start.

    The observations table holds what the venue's user data stream told,
    each frame written before anything of it is reported, and the stream's
    connections, disconnections and gaps.

    The orders table holds the orders the plane follows (resting at the
    venue) until they are terminal.

    Functions return 0 (or an id) on success and -1 on a SQLite failure,
    which they log, unless stated otherwise.  */
#ifndef EP_AUDIT_H_INCLUDED
#define EP_AUDIT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "ep_venue.h"

#define EP_AUDIT_BODY_MAX (64 * 1024)  //  bytes of a response body stored; its length is kept

typedef struct _ep_audit_t ep_audit_t;

//  What an attempt is for.
typedef enum {
    EP_AUDIT_SUBMIT = 1,                //  places an order: at most once per client order id
    EP_AUDIT_QUERY = 2,                 //  follows a resting order
    EP_AUDIT_CANCEL = 3,                //  cancels an order: at most once per cancel intent
    EP_AUDIT_RECONCILE = 4,             //  a query asked for by the meta layer
    EP_AUDIT_REPLACE = 5                //  cancel-replace or amend: places the new order,
                                        //  at most once per (new) client order id
} ep_audit_kind_t;

//  An order the plane follows at the venue.
typedef struct {
    char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
    uint64_t router_seq;                //  the intent's acceptance number
    uint64_t plane_epoch;
    void *dispatch;                     //  the packed Dispatch it came in (malloc'd)
    size_t dispatch_size;
    int status;                         //  the last status reported
    int64_t executed_qty_e8;            //  cumulative, as last reported
    int64_t cum_quote_e8;               //  cumulative quote, as last reported
    uint32_t fills;                     //  fills reported so far
    char venue_order_id [32];
    //  An amend's new order is its target's venue order renamed, which
    //  keeps what it executed: what it had executed before the amend (the
    //  target's, its quantity and quote) is this order's base. Every venue
    //  figure on the order counts from it (ep_live_rebase); the figures
    //  above are the order's own. 0: an order placed anew.
    int64_t base_qty_e8;
    int64_t base_quote_e8;
} ep_audit_order_t;

//  Opens (creating if needed, mode 0600) the audit at path and locks it
//  exclusively; an audit made before body_size existed gets the column, one
//  made before the orders' bases existed gets those (0).
//  Returns NULL with the reason in err, which names the file: it cannot be
//  opened, it is not an audit, or another process holds it.
ep_audit_t *ep_audit_open (const char *path, char *err, size_t err_size);

void ep_audit_destroy (ep_audit_t **self_p);

//  Writes and commits the attempt row for request on intent (stored whole). Returns its id (> 0);
//  0 if kind is SUBMIT or REPLACE and this client order id was sent
//  before, or kind is CANCEL and this cancel intent was (the request must
//  not be sent); -1 on failure (the request must not be sent).
int64_t ep_audit_attempt (ep_audit_t *self, ep_audit_kind_t kind, uint64_t router_seq,
                          const ep_intent_t *intent, const ep_venue_request_t *request);

//  Writes and commits the result of attempt id (the body cut to
//  EP_AUDIT_BODY_MAX bytes, body_size its full length). On failure (logged)
//  returns -1 and keeps a copy of the result, which ep_audit_retry writes.
int ep_audit_result (ep_audit_t *self, int64_t id, const ep_venue_result_t *result);

//  Writes the results kept after failed writes, oldest first, as far as
//  it can. Returns how many are still waiting (0: none).
size_t ep_audit_retry (ep_audit_t *self);

//  How many results are kept in memory, waiting to be written.
size_t ep_audit_waiting (const ep_audit_t *self);

//  Closes attempt id, which has no result, as unknown, with reason.
int ep_audit_result_unknown (ep_audit_t *self, int64_t id, const char *reason);

//  Calls fn for every attempt without a result, oldest first.
//  intent belongs to the call.
typedef void (ep_audit_attempt_fn) (void *arg, int64_t id, ep_audit_kind_t kind,
                                    uint64_t router_seq, const ep_intent_t *intent,
                                    const char *client_order_id);
int ep_audit_unfinished (ep_audit_t *self, ep_audit_attempt_fn *fn, void *arg);

//  Finds the submission (or replace) attempt of client_order_id: returns 1 and sets
//  *timestamp_ms and *recv_window_ms (as sent) if there is one, 0 if not.
int ep_audit_submitted (ep_audit_t *self, const char *client_order_id,
                        int64_t *timestamp_ms, int64_t *recv_window_ms);

//  The order this plane placed as client_order_id (its submission or
//  replace attempt): its intent (*intent, freed by the caller with
//  execplane__v1__order_intent__free_unpacked) and router_seq, and this
//  plane's last word on the order: *status and *terminal of the newest
//  finished attempt on it that gave the order's state (a submission's or
//  replace's answer other than UNKNOWN, or an answer without failure to a
//  query, reconciliation or cancel of it); STATUS_UNSPECIFIED if none did.
//  Returns 1, 0 if this audit placed no such order, -1.
int ep_audit_placed (ep_audit_t *self, const char *client_order_id, ep_intent_t **intent,
                     uint64_t *router_seq, int *status, bool *terminal);

//  Stores (inserts or replaces) an order the plane follows.
int ep_audit_order_put (ep_audit_t *self, const ep_audit_order_t *order);

//  Stops following client_order_id (it is terminal).
int ep_audit_order_drop (ep_audit_t *self, const char *client_order_id);

//  Writes down that client_order_id is an amend's new order whose venue
//  order had executed base_qty_e8 (quote base_quote_e8) before the amend:
//  kept after the order is followed no more, so that a reconciliation or
//  a cancel of it later counts from there too.
int ep_audit_amended (ep_audit_t *self, const char *client_order_id, int64_t base_qty_e8,
                      int64_t base_quote_e8);

//  The base of client_order_id (ep_audit_amended): returns 1 and sets
//  *base_qty_e8 and *base_quote_e8, 0 if it has none (both 0), -1.
int ep_audit_amended_base (ep_audit_t *self, const char *client_order_id,
                           int64_t *base_qty_e8, int64_t *base_quote_e8);

//  Writes and commits an observation: what the venue's user data stream
//  said (kind "event": the frame's text, event_time_ms its time, about
//  client_order_id or ""), or what became of the stream ("connected",
//  "subscribed", "disconnected", "gap": text says what). Never an attempt.
int ep_audit_observe (ep_audit_t *self, const char *kind, int64_t event_time_ms,
                      const char *client_order_id, const char *text);

//  Calls fn for every order followed. order->dispatch belongs to the call.
typedef void (ep_audit_order_fn) (void *arg, const ep_audit_order_t *order);
int ep_audit_orders (ep_audit_t *self, ep_audit_order_fn *fn, void *arg);

#endif
