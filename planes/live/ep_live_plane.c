/*  ep_live_plane: the live execution plane, around one venue and its audit.

    One thread owns the plane; its sender thread only performs requests.
    Every request is built and written to the audit right before it leaves
    (s_pump), and its answer is written, reported and followed when it
    comes back (ep_live_plane_on_answer).  */
#include <assert.h>
#include <czmq.h>
#include <sys/time.h>
#include <time.h>
#include "ep_live_cancel.h"
#include "ep_live_fills.h"
#include "ep_live_follow.h"
#include "ep_live_jobs.h"
#include "ep_live_plane.h"
#include "ep_live_plane_internal.h"
#include "ep_live_reconcile.h"
#include "ep_live_session.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_sock.h"

#define S_AUDIT_RETRY_MS 1000       //  results the audit could not take: written again this often
#define S_KINDS EP_LIVE_KINDS
#define S_REASON_MAX EP_LIVE_REASON_MAX

const char *
ep_live_strerror (ep_live_status_t status)
{
    switch (status) {
        case EP_LIVE_OK:            return "done";
        case EP_LIVE_NOT_OURS:      return "the dispatch names another live worker session";
        case EP_LIVE_NOT_AN_INTENT: return "the dispatch carries no intent";
        case EP_LIVE_NO_MEMORY:     return "out of memory";
        case EP_LIVE_NO_ANSWER:     return "no answer from the sender";
    }
    return "unknown status";
}

static int64_t
s_system_wall_ms (void *arg)
{
    (void) arg;
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int64_t
s_system_mono_ms (void *arg)
{
    (void) arg;
    return ep_sock_clock_ms ();
}

int64_t
ep_live_plane_wall (ep_live_plane_t *self)
{
    return self->wall_ms (self->clock_arg);
}

int64_t
ep_live_plane_now (ep_live_plane_t *self)
{
    return self->mono_ms (self->clock_arg);
}

int64_t
ep_live_plane_venue_time (ep_live_plane_t *self)
{
    return ep_live_rules_venue_time (&self->rules, ep_live_plane_wall (self));
}

int64_t
ep_live_plane_window (ep_live_plane_t *self, const ep_dispatch_t *dispatch)
{
    int64_t not_after_ms = dispatch->not_after_ms;
    if (not_after_ms <= 0)
        return 0;
    int64_t left_ms = not_after_ms - ep_live_plane_wall (self);
    return left_ms > 0 ? left_ms : 1;
}

#define s_wall ep_live_plane_wall
#define s_now ep_live_plane_now

const char *
ep_live_kind_name (int kind)
{
    return kind == EP_AUDIT_SUBMIT ? "submit" : kind == EP_AUDIT_QUERY ? "query"
         : kind == EP_AUDIT_CANCEL ? "cancel" : kind == EP_AUDIT_RECONCILE ? "reconcile"
         : kind == EP_AUDIT_REPLACE ? "replace" : "other";
}

void
ep_live_iso_time (int64_t wall_ms, char *buf, size_t size)
{
    time_t seconds = (time_t) (wall_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char stamp [32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", stamp, (int) (wall_ms % 1000));
}

//  --------------------------------------------------------------------------
//  Reports

void
ep_live_plane_report (ep_live_plane_t *self, const ep_dispatch_t *dispatch, ep_report_t *report)
{
    const ep_intent_t *intent = dispatch->intent;
    if (intent->target_intent_id && *intent->target_intent_id)
        report->target_intent_id = intent->target_intent_id;
    report->intent_id = intent->intent_id;
    report->strategy_id = intent->strategy_id;
    report->symbol = intent->symbol;
    report->side = intent->side;
    report->plane = EP_PLANE (LIVE);
    report->router_seq = dispatch->router_seq;
    report->safety = intent->safety;
    if (report->filled_qty_e8 > 0)
        report->net_filled_qty_e8 = report->filled_qty_e8
                                  - ep_live_rules_base_fees (&self->rules, intent->symbol,
                                                             report->fills, report->n_fills);
    self->emit (self->emit_arg, dispatch, report);
    ep_log_intent (EP_LOG_INFO, intent->strategy_id, intent->intent_id, ": %s %s%s: %s",
                   ep_status_name (report->status), ep_failure_name (report->failure),
                   report->terminal ? " (terminal)" : "", report->reason);
}

void
ep_live_plane_report_plain (ep_live_plane_t *self, const ep_dispatch_t *dispatch, int status,
                            int failure, bool terminal, const char *reason, bool reconciled)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.status = status;
    report.failure = failure;
    report.terminal = terminal;
    report.reason = (char *) reason;
    report.reconciled = reconciled;
    ep_live_plane_report (self, dispatch, &report);
}

#define s_report ep_live_plane_report
#define s_report_plain ep_live_plane_report_plain

//  --------------------------------------------------------------------------
//  Sending

//  The followed order a job was about is no longer being queried.
static void
s_query_done (ep_live_plane_t *self, const char *client_order_id)
{
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, client_order_id);
    if (order)
        order->querying = false;
}

//  A submission, cancel or replace whose time to be sent ended (the
//  dispatch's not_after_ms) is not sent: a request that left now might be
//  answered after the router's deadline for the intent, which publishes
//  UNKNOWN then. Reports it FAILED / NOT_SENT and returns true if so.
static bool
s_too_late (ep_live_plane_t *self, const ep_live_job_t *job)
{
    int64_t not_after_ms = job->dispatch->not_after_ms;
    bool own = job->kind == EP_AUDIT_SUBMIT || job->kind == EP_AUDIT_CANCEL
            || job->kind == EP_AUDIT_REPLACE;
    if (!own || not_after_ms <= 0 || s_wall (self) < not_after_ms)
        return false;
    char when [40], reason [200];
    ep_live_iso_time (not_after_ms, when, sizeof when);
    snprintf (reason, sizeof reason, "not sent: its time to be sent ended at %s while %zu "
              "request(s) were ahead of it", when, job->ahead);
    s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                    reason, false);
    return true;
}

bool
ep_live_plane_may_place (ep_live_plane_t *self, const ep_dispatch_t *dispatch)
{
    int status, failure;
    char reason [S_REASON_MAX];
    if (ep_live_rules_may_place (&self->rules, dispatch->intent, &status, &failure, reason,
                                 sizeof reason))
        return true;
    s_report_plain (self, dispatch, status, failure, true, reason, false);
    return false;
}

//  Queues a request for the venue's clock or rules.
static void
s_queue_info (ep_live_plane_t *self, ep_venue_op_t op)
{
    ep_live_job_t *job = ep_live_job_new (0, NULL);
    if (job)
        job->info = op;
    if (!job || ep_live_jobs_push (self->jobs, job)) {
        ep_log_error ("venue %s: out of memory: not asked", op == EP_VENUE_TIME ? "clock"
                                                                                : "rules");
        ep_live_job_destroy (&job);
        ep_live_rules_on_lost (&self->rules, op, s_now (self));
    }
}

//  Queues the requests for the venue's clock and rules that are due.
static void
s_ask_info (ep_live_plane_t *self)
{
    //  Another worker serves the plane, and asks for them.
    if (self->session.superseded)
        return;
    ep_venue_op_t op;
    while ((op = ep_live_rules_due (&self->rules, s_now (self))))
        s_queue_info (self, op);
}

//  Builds the request for the venue's clock or rules. Returns true if it
//  may be sent.
static bool
s_prepare_info (ep_live_plane_t *self, ep_live_job_t *job)
{
    if (job->info == EP_VENUE_OPEN_ORDERS) {
        self->venue->prepare_open (self->venue, ep_live_plane_venue_time (self), &job->request);
        job->sent_wall_ms = s_wall (self);
        return true;
    }
    if (self->venue->prepare_info (self->venue, job->info, &job->request)) {
        ep_log_error ("venue: cannot ask for its %s: %s",
                      job->info == EP_VENUE_TIME ? "clock" : "rules", job->request.params);
        ep_live_rules_on_lost (&self->rules, job->info, s_now (self));
        return false;
    }
    job->sent_wall_ms = s_wall (self);
    return true;
}

//  Builds the job's request and writes the attempt down. Returns true if
//  it may be sent; otherwise it was reported or logged as needed.
static bool
s_prepare (ep_live_plane_t *self, ep_live_job_t *job)
{
    if (job->kind == EP_AUDIT_CANCEL || job->kind == EP_AUDIT_REPLACE)
        return ep_live_cancel_prepare (self, job);
    const ep_intent_t *intent = job->dispatch->intent;
    bool submit = job->kind == EP_AUDIT_SUBMIT;
    char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id (intent->strategy_id, intent->intent_id, client_order_id);
    if (submit && !ep_live_plane_may_place (self, job->dispatch))
        return false;
    int rc = job->queried
           ? self->venue->prepare_trades (self->venue, intent->symbol,
                                          job->queried->venue_order_id, client_order_id,
                                          ep_live_plane_venue_time (self), &job->request)
           : self->venue->prepare (self->venue, submit ? EP_VENUE_SUBMIT : EP_VENUE_QUERY,
                                   intent, client_order_id, ep_live_plane_venue_time (self),
                                   submit ? ep_live_plane_window (self, job->dispatch) : 0,
                                   &job->request);
    if (rc) {
        char reason [EP_VENUE_PARAMS_MAX + 64];
        snprintf (reason, sizeof reason, "cannot be expressed for the venue: %s",
                  job->request.params);
        if (job->queried) {
            //  Told without the trades: one fill without its fee
            snprintf (job->result.reason, sizeof job->result.reason, "%.400s", reason);
            ep_live_plane_on_queried (self, job);
            return false;
        }
        if (submit)
            s_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                            EP_FAILURE (INVALID_INTENT), true, reason, false);
        if (job->change)
            ep_live_cancel_unanswered (self, job, reason);
        return false;
    }
    //  Written down before it is sent; a query a cancel or replace asked
    //  for is written down as theirs.
    const ep_dispatch_t *owner = job->change ? job->change : job->dispatch;
    job->attempt_id = ep_audit_attempt (self->audit, job->kind, owner->router_seq,
                                        owner->intent, &job->request);
    self->audit_ok = job->attempt_id >= 0;
    if (job->attempt_id == 0)
        ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                       ": already submitted as %s: never sent twice", client_order_id);
    else
    if (job->attempt_id < 0 && submit)
        s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                        "the audit could not record the attempt, so it was not sent", false);
    if (job->attempt_id < 0 && job->change)
        ep_live_cancel_unanswered (self, job, "the audit could not record the status query");
    if (job->attempt_id <= 0) {
        s_query_done (self, client_order_id);
        return false;
    }
    return true;
}

//  Hands the next job to the sender, if it is idle. The request is built
//  and written down only now, right before it leaves: its timestamp is
//  fresh (a job that waited would otherwise fall out of the recvWindow),
//  and the attempt row means "sent now", not "waiting".
static void
s_pump (ep_live_plane_t *self)
{
    ep_live_job_t *job;
    //  Stopping, the request in flight finishes and no other starts.
    while (!ep_live_jobs_sending (self->jobs) && !zsys_interrupted
       &&  (job = ep_live_pace_next (self))) {
        if (job->info ? !s_prepare_info (self, job)
                      : s_too_late (self, job) || !s_prepare (self, job))
            ep_live_job_destroy (&job);
        else {
            ep_live_pace_sent (self, job);
            ep_live_jobs_send (self->jobs, job);
        }
    }
}

ep_live_status_t
ep_live_plane_queue (ep_live_plane_t *self, ep_audit_kind_t kind, ep_dispatch_t *dispatch,
                     ep_dispatch_t *change)
{
    ep_live_job_t *job = ep_live_job_new (kind, dispatch);
    if (!job) {
        const ep_intent_t *intent = dispatch->intent;
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": out of memory: not sent");
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        if (change)
            execplane__v1__dispatch__free_unpacked (change, NULL);
        return EP_LIVE_NO_MEMORY;
    }
    job->change = change;
    return ep_live_plane_push (self, job);
}

ep_live_status_t
ep_live_plane_push (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_intent_t *intent = job->dispatch->intent;
    if (ep_live_jobs_push (self->jobs, job)) {
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": out of memory: not sent");
        ep_live_job_destroy (&job);
        return EP_LIVE_NO_MEMORY;
    }
    if (ep_live_jobs_sending (self->jobs))
        ep_log_intent (EP_LOG_INFO, intent->strategy_id, intent->intent_id,
                       " waits: %zu request(s) ahead of it", ep_live_jobs_waiting (self->jobs));
    s_pump (self);
    return EP_LIVE_OK;
}

//  Drops every job queued and not yet sent, with why: each submission is
//  reported FAILED / NOT_SENT (nothing left for the venue), each query is
//  asked again later, if at all.
static void
s_drop_jobs (ep_live_plane_t *self, const char *why)
{
    ep_live_job_t *job;
    while ((job = ep_live_jobs_pop (self->jobs))) {
        if (job->info) {
            ep_live_rules_on_lost (&self->rules, job->info, s_now (self));
            ep_live_job_destroy (&job);
            continue;
        }
        const ep_intent_t *intent = job->dispatch->intent;
        if (job->kind == EP_AUDIT_SUBMIT || job->kind == EP_AUDIT_CANCEL
        ||  job->kind == EP_AUDIT_REPLACE)
            s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT),
                            true, why, false);
        else {
            if (job->change)
                ep_live_cancel_unanswered (self, job, why);
            char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
            ep_venue_client_order_id (intent->strategy_id, intent->intent_id, client_order_id);
            s_query_done (self, client_order_id);
            ep_log_intent (EP_LOG_INFO, intent->strategy_id, intent->intent_id,
                           ": %s query not asked: %s", ep_live_kind_name (job->kind), why);
        }
        ep_live_job_destroy (&job);
    }
}

//  --------------------------------------------------------------------------
//  Answers (the reports they make: ep_live_answers.c)

//  Writes the answer down, counts it, and logs a distrusted one.
static void
s_record (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_intent_t *intent = job->dispatch->intent;
    self->audit_ok = ep_audit_result (self->audit, job->attempt_id, &job->result) == 0;
    if (!self->audit_ok) {
        //  The audit keeps it in memory; the report goes out as usual.
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": attempt %lld: the result could not be written to the audit; kept "
                       "in memory and written again every %d ms until it is",
                       (long long) job->attempt_id, S_AUDIT_RETRY_MS);
        self->next_audit_retry_ms = s_now (self) + S_AUDIT_RETRY_MS;
    }
    if (job->result.distrusted)
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": the venue's answer on %s contradicts the order and is not trusted: "
                       "%s; reported UNKNOWN: look at the order at the venue",
                       job->request.client_order_id, job->result.reason);
    if (job->kind > 0 && job->kind < S_KINDS) {
        ep_histogram_observe (&self->venue_seconds [job->kind],
                              (double) job->result.elapsed_us / 1e6);
        if (job->result.failure >= 0 && job->result.failure < EP_FAILURE_COUNT)
            self->venue_failures [job->kind][job->result.failure]++;
    }
}

//  The answer to a job: written down, reported, followed; the job is freed.
static void
s_finish (ep_live_plane_t *self, ep_live_job_t **job_p)
{
    ep_live_job_t *job = *job_p;
    ep_live_pace_heard (self, job);
    if (job->info == EP_VENUE_OPEN_ORDERS) {
        ep_live_rules_on_answer (&self->rules, &job->result, s_now (self));
        ep_live_sweep_on_answer (self, &job->result);
        ep_live_job_destroy (job_p);
        return;
    }
    if (job->info) {
        ep_live_rules_on_info (&self->rules, self->venue, &job->request, &job->result,
                               job->sent_wall_ms, s_now (self));
        ep_live_job_destroy (job_p);
        return;
    }
    s_record (self, job);
    ep_live_rules_on_answer (&self->rules, &job->result, s_now (self));
    if (job->kind == EP_AUDIT_SUBMIT)
        ep_live_plane_on_submitted (self, job);
    else
    if (job->kind == EP_AUDIT_CANCEL || job->kind == EP_AUDIT_REPLACE || job->change)
        ep_live_cancel_on_answer (self, job);
    else
        ep_live_plane_on_queried (self, job);
    ep_live_job_destroy (job_p);
}

//  --------------------------------------------------------------------------
//  Dispatches

ep_live_status_t
ep_live_plane_dispatch (ep_live_plane_t *self, ep_dispatch_t *dispatch)
{
    assert (self && dispatch);
    if (dispatch->sweep_open && !dispatch->intent
    &&  ep_live_session_check (&self->session, dispatch, 0) == EP_LIVE_SESSION_OURS) {
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        ep_live_sweep_ask (self);
        s_pump (self);
        return EP_LIVE_OK;
    }
    if (!dispatch->intent) {
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return EP_LIVE_NOT_AN_INTENT;
    }
    size_t orders = ep_live_jobs_waiting_orders (self->jobs);
    ep_live_session_verdict_t verdict = ep_live_session_check (&self->session, dispatch, orders);
    if (verdict != EP_LIVE_SESSION_OURS) {
        //  What this one queued is not sent, and it follows no order any more.
        if (verdict == EP_LIVE_SESSION_SUPERSEDED)
            s_drop_jobs (self, "not sent: this worker is no longer the live plane's worker");
        ep_live_session_ignored (&self->session, dispatch, s_now (self));
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return EP_LIVE_NOT_OURS;
    }
    ep_audit_kind_t kind = dispatch->reconcile ? EP_AUDIT_RECONCILE
                         : dispatch->intent->action == EP_ACTION (CANCEL) ? EP_AUDIT_CANCEL
                         : dispatch->intent->action == EP_ACTION (REPLACE) ? EP_AUDIT_REPLACE
                         : EP_AUDIT_SUBMIT;
    return ep_live_plane_queue (self, kind, dispatch, NULL);
}

//  --------------------------------------------------------------------------
//  Following, restarts

static void
s_poll_orders (ep_live_plane_t *self)
{
    //  Another worker serves the plane, and follows them.
    if (self->session.superseded)
        return;
    int64_t now = s_now (self);
    int64_t poll_ms = ep_live_pace_poll_ms (self);
    for (ep_live_order_t *order = ep_live_follow_first (self->orders); order;
         order = ep_live_follow_next (self->orders)) {
        if (order->querying || now < order->next_poll_ms)
            continue;
        ep_dispatch_t *copy = ep_live_dispatch_dup (order->dispatch);
        if (copy && ep_live_plane_queue (self, EP_AUDIT_QUERY, copy, NULL) == EP_LIVE_OK)
            order->querying = true;
        order->next_poll_ms = now + poll_ms;
    }
}

void
ep_live_plane_tick (ep_live_plane_t *self)
{
    assert (self);
    int64_t now = s_now (self);
    if (ep_audit_waiting (self->audit) && now >= self->next_audit_retry_ms) {
        //  The last write is these: all written, the audit is writable.
        self->audit_ok = ep_audit_retry (self->audit) == 0;
        self->next_audit_retry_ms = now + S_AUDIT_RETRY_MS;
    }
    s_ask_info (self);
    ep_live_stream_tick (self);
    s_poll_orders (self);
    s_pump (self);
}

static void
s_recover_attempt (void *arg, int64_t id, ep_audit_kind_t kind, uint64_t router_seq,
                   const ep_intent_t *intent, const char *client_order_id)
{
    ep_live_plane_t *self = arg;
    char reason [256];
    snprintf (reason, sizeof reason, "the live worker stopped before the venue's answer to "
              "%s was known; it is never sent again: reconcile to learn its fate",
              client_order_id);
    ep_audit_result_unknown (self->audit, id, reason);
    //  A submission, a cancel, a replace, or a query one of these asked
    //  for: each is the intent's only answer, never sent again
    bool own = kind == EP_AUDIT_SUBMIT || kind == EP_AUDIT_CANCEL || kind == EP_AUDIT_REPLACE
            || (kind == EP_AUDIT_QUERY && intent->action != EP_ACTION (PLACE));
    if (!own)
        return;
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.intent = (ep_intent_t *) intent;
    dispatch.plane = EP_PLANE (LIVE);
    dispatch.router_seq = router_seq;
    s_report_plain (self, &dispatch, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                    reason, false);
}

static void
s_recover_order (void *arg, const ep_audit_order_t *state)
{
    ep_live_plane_t *self = arg;
    ep_live_follow_restore (self->orders, state);
}

void
ep_live_plane_recover (ep_live_plane_t *self)
{
    assert (self);
    ep_audit_unfinished (self->audit, s_recover_attempt, self);
    ep_audit_orders (self->audit, s_recover_order, self);
}

//  Follows one live order the router holds from what it has of it.
//  Returns true if it is followed again from the router's fills.
static bool
s_resync_order (ep_live_plane_t *self, const ep_resting_order_t *held)
{
    ep_dispatch_t *dispatch = held->dispatch;
    //  A cancel places no order: nothing of it rests to be followed
    if (!dispatch || !dispatch->intent || dispatch->intent->action == EP_ACTION (CANCEL))
        return false;
    ep_audit_order_t known = { .router_seq = dispatch->router_seq,
                               .plane_epoch = dispatch->plane_epoch };
    ep_venue_client_order_id (dispatch->intent->strategy_id, dispatch->intent->intent_id,
                              known.client_order_id);
    for (size_t f = 0; f < held->n_fills; f++) {
        ep_fill_t *fill = held->fills [f];
        known.executed_qty_e8 += fill->qty_e8;
        known.cum_quote_e8 += ep_live_quote (fill->qty_e8, fill->price_e8);
        known.fills++;
    }
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, known.client_order_id);
    if (order && order->state.executed_qty_e8 == known.executed_qty_e8) {
        //  The router has all this plane has; its fills are the list.
        ep_live_follow_keep_fills (order, held->fills, held->n_fills);
        return false;
    }
    if (order) {
        snprintf (known.venue_order_id, sizeof known.venue_order_id, "%s",
                  order->state.venue_order_id);
        known.base_qty_e8 = order->state.base_qty_e8;
        known.base_quote_e8 = order->state.base_quote_e8;
    }
    else                                //  an amend's new order counts from its base
        ep_audit_amended_base (self->audit, known.client_order_id, &known.base_qty_e8,
                               &known.base_quote_e8);
    known.status = EP_STATUS (STATUS_UNSPECIFIED);  //  the next answer is news
    order = ep_live_follow_put (self->orders, dispatch, &known, false, false, s_now (self));
    if (order) {
        ep_live_follow_keep_fills (order, held->fills, held->n_fills);
        order->next_poll_ms = 0;        //  ask the venue now
    }
    return true;
}

size_t
ep_live_plane_resync (ep_live_plane_t *self, const ep_restore_reply_t *reply)
{
    assert (self && reply);
    //  Adopted anew: what this plane hears next is for it or not.
    ep_live_session_adopted (&self->session);
    size_t missed = 0;
    for (size_t i = 0; i < reply->n_orders; i++)
        if (s_resync_order (self, reply->orders [i]))
            missed++;
    return missed;
}

//  --------------------------------------------------------------------------
//  The plane's life

ep_live_plane_config_t
ep_live_plane_settings (const ep_config_t *config)
{
    assert (config);
    ep_live_plane_config_t settings = {
        .poll_ms = config->poll_ms, .timeout_ms = config->timeout_ms,
        .rules = { .clock_check_ms = config->clock_check_ms,
                   .clock_max_offset_ms = config->clock_max_offset_ms,
                   .rules_refresh_ms = config->rules_refresh_ms },
        .stream = { .ping_ms = config->stream_ping_ms, .stall_ms = config->stream_stall_ms,
                    .poll_ms = config->stream_poll_ms,
                    .backoff_max_ms = config->stream_backoff_max_ms,
                    .connect_timeout_ms = config->connect_timeout_ms }
    };
    return settings;
}

ep_live_plane_t *
ep_live_plane_new (const ep_live_plane_config_t *config)
{
    assert (config && config->venue && config->audit && config->session && config->emit);
    ep_live_plane_t *self = calloc (1, sizeof *self);
    if (!self)
        goto fail;
    self->orders = ep_live_follow_new (config->audit, config->poll_ms);
    self->jobs = self->orders ? ep_live_jobs_new (config->venue) : NULL;
    if (!self->jobs)
        goto fail;
    self->venue = config->venue;
    self->audit = config->audit;
    ep_live_session_init (&self->session, config->session);
    self->poll_ms = config->poll_ms;
    self->poll_now_ms = config->poll_ms;
    self->timeout_ms = config->timeout_ms;
    self->emit = config->emit;
    self->emit_arg = config->emit_arg;
    self->wall_ms = config->wall_ms ? config->wall_ms : s_system_wall_ms;
    self->mono_ms = config->mono_ms ? config->mono_ms : s_system_mono_ms;
    self->clock_arg = config->clock_arg;
    self->orphans = config->orphans;
    self->orphans_arg = config->orphans_arg;
    self->audit_ok = true;
    static const double seconds [] = { 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3,
                                       500e-3, 1, 2.5, 5, 10, 30 };
    for (int kind = 0; kind < S_KINDS; kind++)
        ep_histogram_init (&self->venue_seconds [kind], seconds, sizeof seconds / sizeof *seconds);
    //  The clock and the rules are asked for first, ahead of any order
    ep_live_rules_init (&self->rules, &config->rules,
                        config->venue->prepare_info && config->rules.clock_check_ms > 0);
    ep_live_governor_init (&self->governor, &self->rules.limits);
    if (config->stream.ping_ms > 0)
        self->stream = ep_live_stream_new (self, &config->stream);
    s_ask_info (self);
    ep_live_sweep_ask (self);           //  orphans from an earlier run: at start
    s_pump (self);
    return self;
fail:
    if (self) {
        ep_live_follow_destroy (&self->orders);
        free (self);
    }
    return NULL;
}

void
ep_live_plane_destroy (ep_live_plane_t **self_p)
{
    assert (self_p);
    ep_live_plane_t *self = *self_p;
    if (!self)
        return;
    s_drop_jobs (self, "the live worker stopped before sending it: nothing was sent");
    ep_live_stream_destroy (&self->stream);
    ep_live_jobs_destroy (&self->jobs);
    ep_live_follow_destroy (&self->orders);
    ep_live_rules_clear (&self->rules);
    ep_venue_destroy (&self->venue);
    //  A last chance for the results the audit kept; it says what is lost.
    ep_audit_retry (self->audit);
    ep_audit_destroy (&self->audit);
    free (self);
    *self_p = NULL;
}

void *
ep_live_plane_sender (ep_live_plane_t *self)
{
    return ep_live_jobs_sender (self->jobs);
}

void *
ep_live_plane_stream (ep_live_plane_t *self)
{
    assert (self);
    return self->stream ? ep_live_stream_socket (self->stream) : NULL;
}

void
ep_live_plane_on_stream (ep_live_plane_t *self)
{
    assert (self);
    ep_live_stream_on_frames (self);
    ep_live_plane_tick (self);
}

ep_live_status_t
ep_live_plane_on_answer (ep_live_plane_t *self, int timeout_ms)
{
    assert (self);
    ep_live_job_t *job = ep_live_jobs_answer (self->jobs, timeout_ms);
    if (!job)
        return EP_LIVE_NO_ANSWER;
    s_finish (self, &job);
    s_pump (self);
    return EP_LIVE_OK;
}

void
ep_live_plane_stop (ep_live_plane_t *self)
{
    assert (self);
    //  A request in flight finishes (bounded by the venue timeout) and its
    //  result is written down before the plane goes.
    if (ep_live_jobs_sending (self->jobs)) {
        ep_live_job_t *job = ep_live_jobs_answer (self->jobs, (int) self->timeout_ms + 1000);
        if (job)
            s_finish (self, &job);
    }
    //  Never written down, never sent: said so for each submission.
    s_drop_jobs (self, "the live worker stopped before sending it: nothing was sent");
}

//  --------------------------------------------------------------------------
//  What it tells about itself

const ep_instruments_t *
ep_live_plane_instruments (const ep_live_plane_t *self, uint64_t *reads, const char **problem)
{
    assert (self && reads);
    *reads = self->rules.enabled ? self->rules.reads : 1;
    if (problem)
        *problem = self->rules.rules_problem;
    return &self->rules.table;
}

void
ep_live_plane_drop_queued (ep_live_plane_t *self, const char *why)
{
    assert (self && why);
    s_drop_jobs (self, why);
}

void
ep_live_plane_rename (ep_live_plane_t *self, const char *session)
{
    assert (self && session);
    ep_live_session_init (&self->session, session);
}

size_t
ep_live_plane_waiting (ep_live_plane_t *self)
{
    return ep_live_jobs_waiting (self->jobs);
}

size_t
ep_live_plane_following (ep_live_plane_t *self)
{
    return ep_live_follow_size (self->orders);
}

bool
ep_live_plane_writable (ep_live_plane_t *self, size_t *waiting)
{
    size_t count = ep_audit_waiting (self->audit);
    if (waiting)
        *waiting = count;
    return self->audit_ok && count == 0;
}

