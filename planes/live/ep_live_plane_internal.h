/*  ep_live_plane_internal: what the live plane's own modules share (the
    plane in ep_live_plane.c, its answers in ep_live_answers.c, its cancels and
    replaces in ep_live_cancel.c).
    Nothing outside planes/live includes it.  */
#ifndef EP_LIVE_PLANE_INTERNAL_H_INCLUDED
#define EP_LIVE_PLANE_INTERNAL_H_INCLUDED

#include "ep_live_follow.h"
#include "ep_live_governor.h"
#include "ep_live_jobs.h"
#include "ep_live_plane.h"
#include "ep_live_rules.h"
#include "ep_live_session.h"
#include "ep_live_stream.h"

#define EP_LIVE_KINDS 6                 //  ep_audit_kind_t, 1 to 5
#define EP_LIVE_REASON_MAX 768          //  a report's reason

struct _ep_live_plane_t {
    ep_venue_t *venue;                  //  the venue adapter (owned)
    ep_audit_t *audit;                  //  the write-ahead record (owned)
    ep_live_jobs_t *jobs;               //  requests queued, and the sender
    ep_live_follow_t *orders;           //  resting orders followed
    int64_t poll_ms;                    //  between two queries of one order (live/poll_ms)
    int64_t poll_now_ms;                //  as now: poll_ms, or the safety interval while
                                        //  the stream is up
    ep_live_stream_t *stream;           //  the venue's user data stream, or NULL (polling)
    int64_t timeout_ms;                 //  a request's longest
    ep_live_emit_fn *emit;              //  where reports go
    void *emit_arg;
    ep_live_clock_fn *wall_ms;          //  wall clock: not-after, timestamps, absence
    ep_live_clock_fn *mono_ms;          //  monotonic clock: polls, retries, log pacing
    void *clock_arg;
    bool audit_ok;                      //  the last audit write succeeded
    int64_t next_audit_retry_ms;        //  when the results the audit kept are written again
    ep_live_session_t session;          //  whether dispatches are for this plane
    ep_live_rules_t rules;              //  the venue's clock and trading rules
    ep_live_orphans_fn *orphans;        //  where a sweep of the open orders tells
    void *orphans_arg;
    ep_live_governor_t governor;        //  the venue's rate limits (ep_live_pace.c)
    uint64_t rate_limited;              //  reported REJECTED / RATE_LIMITED unsent
    //  Metrics
    ep_histogram_t venue_seconds [EP_LIVE_KINDS];               //  request to response, by kind
    uint64_t venue_failures [EP_LIVE_KINDS][EP_FAILURE_COUNT];  //  classified outcomes, by kind
};

//  A request kind's name (ep_audit_kind_t): "submit", "query", ...
const char *ep_live_kind_name (int kind);

//  The clocks the plane reads: wall and monotonic, in ms.
int64_t ep_live_plane_wall (ep_live_plane_t *self);
int64_t ep_live_plane_now (ep_live_plane_t *self);

//  wall_ms as UTC ISO 8601, to the millisecond, in buf.
void ep_live_iso_time (int64_t wall_ms, char *buf, size_t size);

//  The venue's time (the wall clock corrected by the measured offset):
//  what requests are stamped with, and what the venue's absence rules
//  are judged against.
int64_t ep_live_plane_venue_time (ep_live_plane_t *self);

//  The venue's guard for a request on dispatch: the time left before its
//  not_after_ms (at least 1 ms), so that the venue no longer takes it
//  once the router may have published its UNKNOWN; 0 without a deadline.
int64_t ep_live_plane_window (ep_live_plane_t *self, const ep_dispatch_t *dispatch);

//  Reports on the intent of dispatch: fills in the intent's fields (and
//  target_intent_id), hands the report on and logs it.
void ep_live_plane_report (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                           ep_report_t *report);

//  A report with no fills.
void ep_live_plane_report_plain (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                                 int status, int failure, bool terminal, const char *reason,
                                 bool reconciled);

//  Reports the order's state in result (its status, figures and reason
//  as given) on dispatch, with what it filled beyond known as a new fill,
//  and updates known to it. order: the order as followed, or NULL.
void ep_live_plane_report_state (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                                 const ep_venue_result_t *result, const char *reason,
                                 bool reconciled, ep_live_order_t *order,
                                 ep_audit_order_t *known);

//  Asks the venue for its open orders (ep_live_sweep.c), if it can list
//  them; the answer goes to ep_live_sweep_on_answer.
void ep_live_sweep_ask (ep_live_plane_t *self);

//  Compares the open orders of result with the audit and tells the
//  orphans (or why there was no answer) through the plane's callback.
void ep_live_sweep_on_answer (ep_live_plane_t *self, const ep_venue_result_t *result);

//  Whether the order of dispatch (a submission, or a replace's new order)
//  may be placed by the venue's clock and rules; if not, its terminal
//  report is made and false returned.
bool ep_live_plane_may_place (ep_live_plane_t *self, const ep_dispatch_t *dispatch);

//  As ep_live_plane_report_state, with the order's trades (an
//  EP_VENUE_TRADES answer, or NULL): when those past what known had add up
//  to what result executed beyond it, each is a fill with its fee;
//  otherwise one fill at the average price, without a fee.
void ep_live_plane_report_trades (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                                  const ep_venue_result_t *result,
                                  const ep_venue_result_t *trades, const char *reason,
                                  bool reconciled, ep_live_order_t *order,
                                  ep_audit_order_t *known);

//  What the stream said of an order followed (result: its state, and
//  trade its new trade or NULL; what it executed beyond the order's last
//  report is trade, or nothing): reported, the order followed or dropped.
void ep_live_plane_report_streamed (ep_live_plane_t *self, ep_live_order_t *order,
                                    const ep_venue_result_t *result,
                                    const ep_venue_fill_t *trade);

//  A submission's answer (or a replace's new order): reported with its
//  fills, and followed if it rests.
void ep_live_plane_on_submitted (ep_live_plane_t *self, ep_live_job_t *job);

//  A status query's answer: what changed is reported; the order is
//  followed or dropped.
void ep_live_plane_on_queried (ep_live_plane_t *self, ep_live_job_t *job);

//  Queues a job of kind on dispatch (taken, always), for the cancel or
//  replace change (taken, always; NULL: none), and starts the next
//  request if the sender is idle. EP_LIVE_NO_MEMORY: not queued (logged).
ep_live_status_t ep_live_plane_queue (ep_live_plane_t *self, ep_audit_kind_t kind,
                                      ep_dispatch_t *dispatch, ep_dispatch_t *change);

//  Queues job (taken, always) as ep_live_plane_queue does.
ep_live_status_t ep_live_plane_push (ep_live_plane_t *self, ep_live_job_t *job);

//  ep_live_pace.c: the requests paced by the venue's rate limits.

//  The next job that may be sent now, taken from the queue: cancels
//  first, then submissions and replaces, then queries, each when the
//  governor lets it go. A submission, cancel or replace it would hold past
//  its not_after_ms is reported REJECTED / RATE_LIMITED (naming the limit
//  and when it frees) and freed on the way. NULL: none may go now (tick
//  asks again).
ep_live_job_t *ep_live_pace_next (ep_live_plane_t *self);

//  The job's request leaves now: counted.
void ep_live_pace_sent (ep_live_plane_t *self, const ep_live_job_t *job);

//  What the job's answer says of the venue's limits: its counts, and a 429
//  or 418 (logged once as an ERROR with the time it ends).
void ep_live_pace_heard (ep_live_plane_t *self, const ep_live_job_t *job);

//  How far apart one resting order's status queries are now.
int64_t ep_live_pace_poll_ms (ep_live_plane_t *self);

//  The rate limits' metrics.
void ep_live_pace_metrics (ep_live_plane_t *self, ep_prom_t *prom);

#endif
