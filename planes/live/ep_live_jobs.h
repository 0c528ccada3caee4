/*  ep_live_jobs: the live plane's requests to the venue, queued by class
    and in order within each, and the sender thread that performs them one
    at a time.

    Three classes, first served first: cancels (and the queries a cancel
    or replace asked for), then submissions, replaces and the venue's
    clock and rules, then status queries (polls, reconciliations). A
    cancel queued behind a hundred queries goes before them all.

    The sender only performs requests (ep_venue_t.send: once, never a
    retry); everything else happens on the thread that owns the queue, so
    that heartbeats go on while a request waits for its answer.  */
#ifndef EP_LIVE_JOBS_H_INCLUDED
#define EP_LIVE_JOBS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_audit.h"
#include "ep_venue.h"
#include "ep_wire.h"

//  The classes, first served first.
typedef enum {
    EP_LIVE_CLASS_CANCEL = 0,           //  cancels, and the queries they asked for
    EP_LIVE_CLASS_PLACE = 1,            //  submissions, replaces, the venue's clock and rules
    EP_LIVE_CLASS_QUERY = 2             //  status queries and reconciliations
} ep_live_class_t;
#define EP_LIVE_CLASSES 3

typedef struct {
    int64_t attempt_id;                 //  its audit row
    ep_audit_kind_t kind;               //  submit, query, cancel, reconcile or replace
    size_t ahead;                       //  requests ahead of it when it was queued: in
                                        //  its class and those before, and in flight
    ep_dispatch_t *dispatch;            //  the intent it is about (owned)
    ep_dispatch_t *target;              //  a cancel or replace: the target's order (owned)
    ep_dispatch_t *change;              //  a query a cancel or replace asked for (the venue
                                        //  said -2011): that cancel or replace (owned)
    bool unfollowed;                    //  a cancel (or the query it asked for) of an
                                        //  order this plane follows no more, which ended
                                        //  UNKNOWN: its target is told as reconciled
    ep_venue_result_t *queried;         //  a request for the trades of an order: the
                                        //  status query's answer they detail (owned)
    ep_venue_op_t info;                 //  a request for the venue's clock or rules
                                        //  (EP_VENUE_TIME, EP_VENUE_RULES; then kind,
                                        //  dispatch and attempt_id are 0): 0 if not
    int64_t sent_wall_ms;               //  this host's clock when it was sent
    ep_venue_request_t request;         //  what is sent
    ep_venue_result_t result;           //  what came back (filled by the sender)
} ep_live_job_t;

//  A job of kind on dispatch, which it takes. Returns NULL on out of
//  memory (then dispatch is still the caller's).
ep_live_job_t *ep_live_job_new (ep_audit_kind_t kind, ep_dispatch_t *dispatch);

//  The class a job is queued in, by its kind.
ep_live_class_t ep_live_job_class (const ep_live_job_t *job);

//  Frees the job, its dispatches and its result, and NULLs *job_p.
void ep_live_job_destroy (ep_live_job_t **job_p);

typedef struct _ep_live_jobs_t ep_live_jobs_t;

//  An empty queue and its sender thread, which performs requests on venue
//  (not owned). Returns NULL on failure.
ep_live_jobs_t *ep_live_jobs_new (ep_venue_t *venue);

//  Stops the sender (a request it performs finishes first), frees the
//  jobs still queued and NULLs *self_p.
void ep_live_jobs_destroy (ep_live_jobs_t **self_p);

//  Queues job at the back of its class, counting the requests ahead of
//  it. Returns 0, or -1 on out of memory (the job is still the caller's).
int ep_live_jobs_push (ep_live_jobs_t *self, ep_live_job_t *job);

//  Takes the job at the front of the first class that has one, or NULL if
//  none waits.
ep_live_job_t *ep_live_jobs_pop (ep_live_jobs_t *self);

//  The job at the front of klass, left queued, or NULL.
ep_live_job_t *ep_live_jobs_front (ep_live_jobs_t *self, ep_live_class_t klass);

//  Takes the job at the front of klass, or NULL.
ep_live_job_t *ep_live_jobs_take (ep_live_jobs_t *self, ep_live_class_t klass);

//  How many jobs wait (the one the sender holds aside).
size_t ep_live_jobs_waiting (const ep_live_jobs_t *self);

//  How many of them are about orders (not the venue's clock, rules or
//  open orders).
size_t ep_live_jobs_waiting_orders (const ep_live_jobs_t *self);

//  Whether the sender holds a job.
bool ep_live_jobs_sending (const ep_live_jobs_t *self);

//  Hands job to the sender, which must be idle.
void ep_live_jobs_send (ep_live_jobs_t *self, ep_live_job_t *job);

//  The sender's end (a zactor_t *): readable once it has an answer.
void *ep_live_jobs_sender (ep_live_jobs_t *self);

//  Takes back the job the sender performed, its result filled in, waiting
//  up to timeout_ms (-1: for as long as it takes). Returns NULL if none
//  came (the sender still holds it) or none was sent.
ep_live_job_t *ep_live_jobs_answer (ep_live_jobs_t *self, int timeout_ms);

#endif
