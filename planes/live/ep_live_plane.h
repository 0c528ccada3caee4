/*  ep_live_plane: the live execution plane, around one venue and its audit.

    For each intent dispatched to it, the plane writes the submission
    attempt to the audit and commits it, and only then hands the request to
    its sender thread, which performs it once. The result is written to the
    audit and reported (ep_live_emit_fn). Nothing is ever sent twice: the
    audit refuses a second submission of a client order id, and an attempt
    whose result was never written (the process died) becomes an UNKNOWN
    report at the next start (ep_live_plane_recover), never a new request.

    A resting order (NEW, PARTIALLY_FILLED) is followed until it is
    terminal; each change is a report. The venue's user data stream tells
    each change as it happens (ep_live_stream); while it is down, or where
    there is none, status queries every poll_ms do.
    Observation is not resubmission. A reconciliation, asked for by the
    meta layer through the router, is one such query on an intent whose
    outcome is UNKNOWN, reported as reconciled.

    Only what was dispatched to this plane's session is sent: a dispatch
    that names another session is ignored, and one after a dispatch for
    this session means another worker serves the plane now: the requests
    queued and not sent are dropped, each submission reported FAILED /
    NOT_SENT. A submission, cancel or replace is not sent past its
    dispatch's not_after_ms (FAILED / NOT_SENT).

    Requests go by class, cancels first, then submissions and replaces,
    then status queries, each when the venue's rate limits let it
    (ep_live_governor): nothing inside a 429's or 418's Retry-After; a
    submission, cancel or replace they would hold past its not_after_ms is
    REJECTED / RATE_LIMITED unsent; a query waits. ep_live_plane_tick sends
    what has become sendable.

    The plane talks to the venue only through ep_venue.h. It knows no
    socket of the bus: its reports go to the emit callback.  */
#ifndef EP_LIVE_PLANE_H_INCLUDED
#define EP_LIVE_PLANE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_audit.h"
#include "ep_live_rules.h"
#include "ep_live_stream.h"
#include "ep_metrics.h"
#include "ep_venue.h"
#include "ep_wire.h"

typedef struct _ep_live_plane_t ep_live_plane_t;

//  What a call on the plane came to.
typedef enum {
    EP_LIVE_OK = 0,                     //  done
    EP_LIVE_NOT_OURS,                   //  the dispatch names another session: ignored
    EP_LIVE_NOT_AN_INTENT,              //  the dispatch carries no intent: ignored
    EP_LIVE_NO_MEMORY,                  //  out of memory: nothing queued (logged)
    EP_LIVE_NO_ANSWER                   //  the sender has no answer (yet, or nothing sent)
} ep_live_status_t;

//  The status's text, for a log line.
const char *ep_live_strerror (ep_live_status_t status);

//  A report on the intent of dispatch; report borrows until the call ends.
typedef void (ep_live_emit_fn) (void *arg, const ep_dispatch_t *dispatch,
                                ep_report_t *report);

//  A clock in milliseconds.
typedef int64_t (ep_live_clock_fn) (void *arg);

//  The outcome of a sweep of the venue's open orders: the orphans (open
//  with this product's client order id prefix, never placed by this
//  plane's audit), or why the sweep could not be done (problem; NULL when
//  it was). orphans belong to the call.
typedef void (ep_live_orphans_fn) (void *arg, const Execplane__V1__VenueOrder *const *orphans,
                                   size_t count, const char *problem);

typedef struct {
    ep_venue_t *venue;                  //  taken by ep_live_plane_new
    ep_audit_t *audit;                  //  taken by ep_live_plane_new
    const char *session;                //  the worker session dispatches must name (copied)
    int64_t poll_ms;                    //  between two status queries of a resting order
    int64_t timeout_ms;                 //  a request's longest: awaited at stop (plus 1 s)
    ep_live_emit_fn *emit;              //  where reports go
    void *emit_arg;
    ep_live_clock_fn *wall_ms;          //  the wall clock; NULL: the system's
    ep_live_clock_fn *mono_ms;          //  a monotonic clock; NULL: the system's
    void *clock_arg;
    ep_live_orphans_fn *orphans;        //  where sweeps of the open orders tell (NULL: no
    void *orphans_arg;                  //  sweep: at start, and on a dispatch asking)
    ep_live_rules_config_t rules;       //  the venue's clock and rules; clock_check_ms 0
                                        //  (or a venue without them): neither is kept
    ep_live_stream_config_t stream;     //  the venue's user data stream; ping_ms 0 (or a
                                        //  venue or key without one): none, orders polled
} ep_live_plane_config_t;

//  The live plane's definition (malloc'd; NULL on out of memory): the
//  canonical text of what decides where and how it executes: the venue,
//  its base URL, the account (venue's key fingerprint, never the key),
//  the key's kind, the orders it sends, the venue's rules as read
//  (instruments: their digest, ep_live_instruments_digest, on a line
//  `instruments = DIGEST`) and how often they are read, its limits, and
//  every request and following setting of config. The same settings and
//  rules give the same text, whatever the run.
char *ep_live_definition (const ep_config_t *config, const ep_venue_t *venue,
                          const char *instruments);

//  The digest of an instrument table (64 hex digits into digest): the
//  SHA-256 of its canonical text, ep_instruments_format's: one line per
//  symbol, sorted by symbol, with every rule the plane enforces (status,
//  order types, base and quote assets, price, lot and market lot bounds
//  and steps, notional bounds, percent-price multipliers) in the decimals
//  the table holds. The order in which the venue listed its symbols does
//  not change it; any rule that changes does. Returns 0, or -1 on out of
//  memory (digest "").
int ep_live_instruments_digest (const ep_instruments_t *table, char digest [65]);

//  The plane's settings as config gives them (live/poll_ms, timeout_ms, the
//  clock's and rules', the stream's); venue, audit, session and the
//  callbacks are left for the caller to fill in.
ep_live_plane_config_t ep_live_plane_settings (const ep_config_t *config);

//  Makes the plane and starts its sender thread. Returns NULL on out of
//  memory; then venue and audit are still the caller's.
ep_live_plane_t *ep_live_plane_new (const ep_live_plane_config_t *config);

//  Drops what is still queued as ep_live_plane_stop does, stops the sender,
//  destroys the venue, writes the results the audit kept if it can (it
//  says what is lost), closes the audit and NULLs *self_p.
void ep_live_plane_destroy (ep_live_plane_t **self_p);

//  What the last run left: attempts with no result are closed as unknown
//  (each submission reported UNKNOWN / SEND_UNKNOWN, never sent again);
//  resting orders are followed again, queried at once.
void ep_live_plane_recover (ep_live_plane_t *self);

//  The router's view after it was claimed: each live order it holds is
//  followed from the fills it has of it, queried at once unless this
//  plane knows no more of it than the router (then its fills are the
//  router's). Nothing is ever submitted again. Dispatches count as
//  adopted anew (none seen for this session yet). Returns how many orders
//  are followed again from the router's fills.
size_t ep_live_plane_resync (ep_live_plane_t *self, const ep_restore_reply_t *reply);

//  Queues the intent of dispatch (taken, always): a reconciliation if
//  dispatch->reconcile, else a submission; the sender takes them one at a
//  time, in order. EP_LIVE_NOT_OURS or EP_LIVE_NOT_AN_INTENT: ignored,
//  logged at most every few seconds. EP_LIVE_NO_MEMORY: not queued, not
//  reported.
ep_live_status_t ep_live_plane_dispatch (ep_live_plane_t *self, ep_dispatch_t *dispatch);

//  Time-driven work: writes again the results the audit could not take,
//  every second, queues the status queries that are due, and sends what
//  the venue's rate limits held and now let go.
void ep_live_plane_tick (ep_live_plane_t *self);

//  The sender's end to wait on (a zactor_t *): readable when it has the
//  answer to the request in flight.
void *ep_live_plane_sender (ep_live_plane_t *self);

//  Takes the sender's answer, waiting up to timeout_ms (-1: as long as it
//  takes): writes it to the audit, reports it, follows the order, then
//  hands the next request to the sender. EP_LIVE_NO_ANSWER: none came, or
//  nothing was in flight.
ep_live_status_t ep_live_plane_on_answer (ep_live_plane_t *self, int timeout_ms);

//  Stopping: the request in flight finishes (up to timeout_ms plus a
//  second) and is written down; the requests queued are dropped, each
//  submission reported FAILED / NOT_SENT. No request starts afterwards.
void ep_live_plane_stop (ep_live_plane_t *self);

//  The user data stream's end to wait on (a zsock_t *), or NULL if the
//  plane has no stream: readable when it has said something.
void *ep_live_plane_stream (ep_live_plane_t *self);

//  Acts on what the stream said (ep_live_stream.h), if the plane has one,
//  then does the time-driven work (ep_live_plane_tick) it may have made due.
void ep_live_plane_on_stream (ep_live_plane_t *self);

//  The venue's rules as the plane last read them (empty until read), with
//  in *reads how many times it has read them: 0 while never, and then in
//  *problem (if not NULL) why the last read failed ("" before any answer).
//  A plane that keeps no rules (its venue publishes none) counts as having
//  read them once, with an empty table. The table is the plane's, valid
//  until its next read.
const ep_instruments_t *ep_live_plane_instruments (const ep_live_plane_t *self,
                                                   uint64_t *reads, const char **problem);

//  Drops the requests queued and not yet sent, as ep_live_plane_stop does
//  (each submission, cancel or replace reported FAILED / NOT_SENT with
//  why; queries asked again later); the one in flight finishes. For a
//  worker that lets its plane go while it keeps running.
void ep_live_plane_drop_queued (ep_live_plane_t *self, const char *why);

//  The worker's session is now session (copied): dispatches must name it,
//  and none is seen for it yet (the router adopts it anew).
void ep_live_plane_rename (ep_live_plane_t *self, const char *session);

//  How many requests wait behind the one in flight.
size_t ep_live_plane_waiting (ep_live_plane_t *self);

//  How many resting orders are followed.
size_t ep_live_plane_following (ep_live_plane_t *self);

//  Whether the last audit write succeeded and no result waits for room;
//  *waiting (if not NULL) is how many results wait.
bool ep_live_plane_writable (ep_live_plane_t *self, size_t *waiting);

//  Appends the plane's metric families to prom: venue request times and
//  outcomes by kind, requests waiting and in flight, orders followed, the
//  audit's state, the venue's clock and rules, its rate limits.
void ep_live_plane_metrics (ep_live_plane_t *self, ep_prom_t *prom);

//  The plane's part of /healthz: JSON members (no braces) saying the audit's
//  state and the venue's clock's, written to json. Returns whether both are
//  good: the audit writable with no result waiting, the clock known and
//  within live/clock_max_offset_ms (or not kept at all).
bool ep_live_plane_health (ep_live_plane_t *self, char *json, size_t json_size);


#endif
