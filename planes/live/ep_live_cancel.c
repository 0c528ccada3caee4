/*  ep_live_cancel: the live plane's cancels and replaces: their requests,
    written down before they leave, and what their answers mean for the
    cancel or replace and for its target.  */
#include <stdio.h>
#include <string.h>
#include "ep_live_cancel.h"
#include "ep_live_fills.h"
#include "ep_live_reconcile.h"
#include "ep_log.h"
#include "ep_names.h"

#define S_UNKNOWN_ORDER -2011           //  Binance: "Unknown order sent." (not open to cancel)
#define S_NO_SUCH_ORDER -2013           //  Binance: "Order does not exist."

//  The cancel or replace a job is for, and its target's order: a cancel or
//  replace job holds them as dispatch and target, a query it asked for as
//  change and dispatch.
static const ep_dispatch_t *
s_change (const ep_live_job_t *job)
{
    return job->change ? job->change : job->dispatch;
}

static const ep_dispatch_t *
s_target (const ep_live_job_t *job)
{
    return job->change ? job->dispatch : job->target;
}

static const char *
s_verb (const ep_live_job_t *job)
{
    return s_change (job)->intent->action == EP_ACTION (REPLACE) ? "replace" : "cancel";
}

//  The target's client order id.
static void
s_target_id (const ep_live_job_t *job, char id [EP_VENUE_CLIENT_ID_MAX + 1])
{
    const ep_intent_t *target = s_target (job)->intent;
    ep_venue_client_order_id (target->strategy_id, target->intent_id, id);
}

//  --------------------------------------------------------------------------
//  Requests

//  Whether the REPLACE can be the venue's amend: only the quantity goes
//  down (same symbol, side, type, time in force and price), and nothing of
//  the target is known to have filled (an amend keeps what executed), nor of
//  its venue order before it (an amend's new order with a base).
static bool
s_amends (const ep_venue_t *venue, const ep_intent_t *change, const ep_intent_t *target,
          const ep_live_order_t *order)
{
    return venue->prepare_change && change->type == target->type
        && change->tif == target->tif && change->limit_price_e8 == target->limit_price_e8
        && change->qty_e8 > 0 && change->qty_e8 < target->qty_e8
        && order->state.executed_qty_e8 == 0 && order->state.base_qty_e8 == 0;
}

//  Builds the venue request of a CANCEL or REPLACE on the target's order.
//  Returns 0, or -1 with the reason in reason.
static int
s_request (ep_live_plane_t *self, ep_live_job_t *job, const ep_live_order_t *order,
           char *reason, size_t size)
{
    const ep_intent_t *intent = job->dispatch->intent;
    const ep_intent_t *target = job->target->intent;
    char target_id [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id (target->strategy_id, target->intent_id, target_id);
    ep_venue_t *venue = self->venue;
    int rc;
    if (job->kind == EP_AUDIT_CANCEL)
        rc = venue->prepare (venue, EP_VENUE_CANCEL, target, target_id,
                             ep_live_plane_venue_time (self),
                             ep_live_plane_window (self, job->dispatch), &job->request);
    else {
        if (!intent->symbol || strcmp (intent->symbol, target->symbol) != 0
        ||  intent->side != target->side) {
            snprintf (reason, size, "a replace keeps the target's symbol and side (%s %s)",
                      target->symbol, ep_side_name (target->side));
            return -1;
        }
        if (!venue->prepare_change) {
            snprintf (reason, size, "the venue %s cannot replace an order", venue->name);
            return -1;
        }
        char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
        ep_venue_client_order_id (intent->strategy_id, intent->intent_id, client_order_id);
        ep_venue_op_t op = s_amends (venue, intent, target, order) ? EP_VENUE_AMEND
                                                                   : EP_VENUE_CANCEL_REPLACE;
        rc = venue->prepare_change (venue, op, intent, target_id, client_order_id,
                                    ep_live_plane_venue_time (self),
                             ep_live_plane_window (self, job->dispatch), &job->request);
    }
    if (rc)
        snprintf (reason, size, "cannot be expressed for the venue: %.600s",
                  job->request.params);
    return rc;
}

//  The target is not followed here: its order is not open on this plane.
static void
s_not_open (ep_live_plane_t *self, ep_live_job_t *job, const char *target_id)
{
    const ep_intent_t *intent = job->dispatch->intent;
    int64_t submitted_ms, window_ms;
    char reason [EP_LIVE_REASON_MAX];
    if (ep_audit_submitted (self->audit, target_id, &submitted_ms, &window_ms) == 1) {
        snprintf (reason, sizeof reason, "too late: the order %s of intent %s is no longer "
                  "open on the live plane (its terminal report was given); nothing was sent",
                  target_id, intent->target_intent_id);
        ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                                    EP_FAILURE (TOO_LATE), true, reason, false);
    }
    else {
        snprintf (reason, sizeof reason, "the live plane never placed an order for intent %s; "
                  "nothing was sent", intent->target_intent_id);
        ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                                    EP_FAILURE (INVALID_INTENT), true, reason, false);
    }
}

//  A CANCEL of an order this plane placed and follows no more, though its
//  last word on it was no end (its answer was lost: it ended UNKNOWN, and
//  may rest at the venue): the target's order is made from the audit's
//  record of it (*job->target, job->unfollowed). Returns 1 if so, 0 if the
//  order is not such a one, -1 out of memory or if the audit failed.
static int
s_unfollowed_target (ep_live_plane_t *self, ep_live_job_t *job, const char *target_id)
{
    if (job->kind != EP_AUDIT_CANCEL)
        return 0;
    ep_intent_t *placed = NULL;
    uint64_t router_seq = 0;
    int status;
    bool terminal;
    int found = ep_audit_placed (self->audit, target_id, &placed, &router_seq, &status,
                                 &terminal);
    if (found != 1)
        return found;
    if (terminal) {
        execplane__v1__order_intent__free_unpacked (placed, NULL);
        return 0;                       //  it ended, and its terminal report was given
    }
    const ep_dispatch_t *cancel = job->dispatch;
    if (cancel->target_router_seq && cancel->target_router_seq != router_seq)
        ep_log_intent (EP_LOG_WARN, cancel->intent->strategy_id, cancel->intent->intent_id,
                       ": the router names the target's order %llu, this plane placed it as "
                       "%llu", (unsigned long long) cancel->target_router_seq,
                       (unsigned long long) router_seq);
    ep_dispatch_t held;
    execplane__v1__dispatch__init (&held);
    held.intent = placed;
    held.plane = EP_PLANE (LIVE);
    held.plane_epoch = cancel->plane_epoch;
    held.router_seq = cancel->target_router_seq ? cancel->target_router_seq : router_seq;
    //  What the router has of its fills, if it said (only the rest is new)
    held.known_filled_qty_e8 = cancel->known_filled_qty_e8;
    held.known_avg_price_e8 = cancel->known_avg_price_e8;
    held.known_fills = cancel->known_fills;
    job->target = ep_live_dispatch_dup (&held);
    execplane__v1__order_intent__free_unpacked (placed, NULL);
    job->unfollowed = job->target != NULL;
    return job->target ? 1 : -1;
}

bool
ep_live_cancel_prepare (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_intent_t *intent = job->dispatch->intent;
    char target_id [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id (intent->strategy_id, intent->target_intent_id, target_id);
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, target_id);
    int unfollowed = order ? 0 : s_unfollowed_target (self, job, target_id);
    if (!order && unfollowed == 0) {
        s_not_open (self, job, target_id);
        return false;
    }
    if (order && job->dispatch->target_router_seq && order->state.router_seq
    &&  job->dispatch->target_router_seq != order->state.router_seq)
        ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                       ": the router names the target's order %llu, this plane follows it as "
                       "%llu", (unsigned long long) job->dispatch->target_router_seq,
                       (unsigned long long) order->state.router_seq);
    if (order)
        job->target = ep_live_dispatch_dup (order->dispatch);
    if (!job->target) {
        ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (FAILED),
                                    EP_FAILURE (NOT_SENT), true, unfollowed < 0
                                    ? "the audit could not tell what the target's order is, "
                                      "so it was not sent" : "out of memory: not sent", false);
        return false;
    }
    //  A replace places an order: the venue's clock and rules must allow it
    if (job->kind == EP_AUDIT_REPLACE && !ep_live_plane_may_place (self, job->dispatch))
        return false;
    char reason [EP_LIVE_REASON_MAX];
    if (s_request (self, job, order, reason, sizeof reason)) {
        ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                                    EP_FAILURE (INVALID_INTENT), true, reason, false);
        return false;
    }
    //  Written down before it is sent
    job->attempt_id = ep_audit_attempt (self->audit, job->kind, job->dispatch->router_seq,
                                        intent, &job->request);
    self->audit_ok = job->attempt_id >= 0;
    if (job->attempt_id == 0)
        ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                       ": this %s was sent before: never sent twice", s_verb (job));
    else
    if (job->attempt_id < 0)
        ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (FAILED),
                                    EP_FAILURE (NOT_SENT), true, "the audit could not record "
                                    "the attempt, so it was not sent", false);
    //  Its answer tells how the order ended, not the stream (ep_live_stream)
    if (order && job->attempt_id > 0)
        order->changing = true;
    return job->attempt_id > 0;
}

//  --------------------------------------------------------------------------
//  Answers

//  What the router has of an order this plane follows no more: the
//  figures the cancel's dispatch carried (only the rest is a new fill),
//  counted from its base if it is an amend's new order.
static ep_audit_order_t
s_router_known (ep_live_plane_t *self, const ep_live_job_t *job)
{
    const ep_dispatch_t *target = s_target (job);
    ep_audit_order_t known = { .router_seq = target->router_seq,
                               .plane_epoch = target->plane_epoch };
    known.executed_qty_e8 = target->known_filled_qty_e8;
    known.cum_quote_e8 = ep_live_quote (target->known_filled_qty_e8,
                                        target->known_avg_price_e8);
    known.fills = target->known_fills;
    s_target_id (job, known.client_order_id);
    ep_audit_amended_base (self->audit, known.client_order_id, &known.base_qty_e8,
                           &known.base_quote_e8);
    return known;
}

//  The end of the order known (status, as the venue's cumulative figures
//  on it say), in ended: counted from its base (an amend's new order), and
//  never below what known has.
static void
s_ended (const ep_audit_order_t *known, int status, int64_t executed_qty_e8,
         int64_t cum_quote_e8, const char *venue_order_id, ep_venue_result_t *ended)
{
    memset (ended, 0, sizeof *ended);
    ended->status = status;
    ended->failure = EP_FAILURE (FAILURE_NONE);
    ended->terminal = true;
    ended->executed_qty_e8 = executed_qty_e8;
    ended->cum_quote_e8 = cum_quote_e8;
    snprintf (ended->venue_order_id, sizeof ended->venue_order_id, "%s", venue_order_id);
    ep_live_rebase (known, ended, NULL);
    if (ended->executed_qty_e8 <= known->executed_qty_e8) {
        ended->executed_qty_e8 = known->executed_qty_e8;
        ended->cum_quote_e8 = known->cum_quote_e8;
    }
}

//  The end of an order this plane follows no more (it ended UNKNOWN), as
//  the venue's answer to its cancel says: reported on the target as a
//  reconciliation's report, with what it filled beyond what the router has.
static void
s_end_unfollowed (ep_live_plane_t *self, ep_live_job_t *job, int status,
                  const char *venue_status, int64_t executed_qty_e8, int64_t cum_quote_e8)
{
    const ep_dispatch_t *change = s_change (job);
    ep_audit_order_t known = s_router_known (self, job);
    ep_venue_result_t ended;
    s_ended (&known, status, executed_qty_e8, cum_quote_e8, job->result.venue_order_id,
             &ended);
    char reason [EP_LIVE_REASON_MAX];
    bool caused = change->cause && *change->cause;
    if (status == EP_STATUS (CANCELED))
        snprintf (reason, sizeof reason, "reconciled: canceled by intent %s%s%s (venue %s); "
                  "it had ended UNKNOWN%s%.300s", change->intent->intent_id, caused ? ": " : "",
                  caused ? change->cause : "", venue_status, *ended.reason ? "; " : "",
                  ended.reason);
    else
        snprintf (reason, sizeof reason, "reconciled: the venue says it ended %s, asked by "
                  "intent %s; it had ended UNKNOWN%s%.300s", venue_status,
                  change->intent->intent_id, *ended.reason ? "; " : "", ended.reason);
    ep_live_plane_report_state (self, s_target (job), &ended, reason, true, NULL, &known);
}

//  Ends the target (followed as job->target) with the venue's word on it:
//  status, cumulative figures, its fills so far kept; followed no more.
static void
s_end_target (ep_live_plane_t *self, ep_live_job_t *job, int status, const char *venue_status,
              int64_t executed_qty_e8, int64_t cum_quote_e8)
{
    const ep_dispatch_t *change = s_change (job);
    char target_id [EP_VENUE_CLIENT_ID_MAX + 1];
    s_target_id (job, target_id);
    if (job->unfollowed) {
        s_end_unfollowed (self, job, status, venue_status, executed_qty_e8, cum_quote_e8);
        return;
    }
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, target_id);
    if (!order)
        return;                         //  ended already: its report was given
    ep_venue_result_t ended;
    s_ended (&order->state, status, executed_qty_e8, cum_quote_e8, order->state.venue_order_id,
             &ended);
    //  Its reason names the cancel, and the plane command that caused it
    char reason [EP_LIVE_REASON_MAX];
    bool caused = change->cause && *change->cause;
    snprintf (reason, sizeof reason, "%s by intent %s%s%s (venue %s)%s%.300s",
              change->intent->action == EP_ACTION (REPLACE) ? "replaced" : "canceled",
              change->intent->intent_id, caused ? ": " : "", caused ? change->cause : "",
              venue_status, *ended.reason ? "; " : "", ended.reason);
    ep_audit_order_t known = order->state;
    ep_live_plane_report_state (self, s_target (job), &ended, reason, false, order, &known);
    ep_live_follow_put (self->orders, s_target (job), &known, true, false,
                        ep_live_plane_now (self));
}

//  What becomes of the target when the change ends without its state.
static const char *
s_still (const ep_live_job_t *job)
{
    return job->unfollowed ? "the order is not followed (it ended UNKNOWN): reconcile it to "
                             "learn what became of it"
                           : "the order stays followed: its own reports tell what became "
                             "of it";
}

//  The cancel's or replace's own terminal report.
static void
s_report_change (ep_live_plane_t *self, const ep_live_job_t *job, int status, int failure,
                 const char *reason)
{
    ep_live_plane_report_plain (self, s_change (job), status, failure, true, reason, false);
}

void
ep_live_cancel_unanswered (ep_live_plane_t *self, ep_live_job_t *job, const char *why)
{
    char reason [EP_LIVE_REASON_MAX];
    snprintf (reason, sizeof reason, "the venue did not take the %s (it knows no open order "
              "%s) and the order's state could not be asked: %s; %s", s_verb (job),
              job->request.client_order_id, why, s_still (job));
    s_report_change (self, job, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), reason);
}

//  The venue knows no open order to cancel: proof of nothing by itself.
//  The target is queried once, as the change's; the change waits for it.
static void
s_ask_target (ep_live_plane_t *self, ep_live_job_t *job)
{
    ep_live_job_t *query = ep_live_job_new (EP_AUDIT_QUERY, job->target);
    if (!query) {
        ep_live_cancel_unanswered (self, job, "out of memory");
        return;
    }
    query->change = job->dispatch;
    query->unfollowed = job->unfollowed;
    job->target = NULL;
    job->dispatch = NULL;
    ep_live_plane_push (self, query);
}

//  A failed cancel, or a replace that failed as a whole: its failure as
//  classified (the target stays followed, its own stream tells).
static void
s_change_failed (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_venue_result_t *result = &job->result;
    char reason [EP_LIVE_REASON_MAX];
    int status = result->failure == EP_FAILURE (NOT_SENT) ? EP_STATUS (FAILED)
               : result->failure == EP_FAILURE (SEND_UNKNOWN) ? EP_STATUS (UNKNOWN)
               : EP_STATUS (REJECTED);
    snprintf (reason, sizeof reason, "%s%s%s", result->reason,
              status == EP_STATUS (UNKNOWN) ? "; " : "",
              status == EP_STATUS (UNKNOWN) ? s_still (job) : "");
    s_report_change (self, job, status, result->failure, reason);
}

static void
s_on_canceled (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_venue_result_t *result = &job->result;
    bool state = result->status != EP_STATUS (STATUS_UNSPECIFIED)
              && result->status != EP_STATUS (UNKNOWN);
    if (!state) {
        if (result->venue_code == S_UNKNOWN_ORDER || result->venue_code == S_NO_SUCH_ORDER)
            s_ask_target (self, job);
        else
            s_change_failed (self, job);
        return;
    }
    char reason [EP_LIVE_REASON_MAX];
    if (!result->terminal) {
        //  PENDING_CANCEL: fills may yet come; the order's stream tells
        snprintf (reason, sizeof reason, "the venue has not finished the cancel (%s); %s",
                  result->venue_status, s_still (job));
        s_report_change (self, job, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), reason);
        return;
    }
    s_end_target (self, job, result->status, result->venue_status, result->executed_qty_e8,
                  result->cum_quote_e8);
    if (result->status == EP_STATUS (CANCELED))
        s_report_change (self, job, EP_STATUS (CANCELED), EP_FAILURE (FAILURE_NONE),
                         result->reason);
    else {
        snprintf (reason, sizeof reason, "too late: the order had already ended %s",
                  result->venue_status);
        s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (TOO_LATE), reason);
    }
}

static void
s_on_replaced (ep_live_plane_t *self, ep_live_job_t *job)
{
    const ep_venue_result_t *result = &job->result;
    if (result->target_known)
        s_end_target (self, job, result->target_status, result->target_venue_status,
                      result->target_executed_qty_e8, result->target_cum_quote_e8);
    if (!result->target_known
    &&  (result->target_code == S_UNKNOWN_ORDER || result->target_code == S_NO_SUCH_ORDER)) {
        s_ask_target (self, job);
        return;
    }
    //  The new order's answer, as a submission's: reported, followed if it
    //  rests, under the replace's own router_seq
    ep_live_plane_on_submitted (self, job);
}

//  The target's state, asked after the venue knew no open order to
//  cancel: the target is reported as it is (ended, or still open), and
//  the change by what that proves.
//  The state of an order this plane follows no more (it ended UNKNOWN),
//  asked after the venue knew no open order to cancel: what the venue
//  says is reported on the target as a reconciliation would (an order
//  still open is followed again), and the cancel by what that proves. A
//  venue that has no such order proves it was never placed only past the
//  absence margin a reconciliation respects; before, the cancel is UNKNOWN.
static void
s_on_unfollowed_asked (ep_live_plane_t *self, ep_live_job_t *job)
{
    ep_venue_result_t *result = &job->result;
    const char *id = job->request.client_order_id;
    char reason [EP_LIVE_REASON_MAX];
    bool state = result->status != EP_STATUS (STATUS_UNSPECIFIED)
              && result->status != EP_STATUS (UNKNOWN);
    if (state) {
        ep_audit_order_t known = s_router_known (self, job);
        ep_live_rebase (&known, result, NULL);
        char told [EP_LIVE_REASON_MAX];
        snprintf (told, sizeof told, "reconciled: %s", result->reason);
        ep_live_plane_report_state (self, job->dispatch, result, told, true, NULL, &known);
        if (result->terminal) {
            snprintf (reason, sizeof reason, "too late: the order %s had already ended %s: "
                      "%s", id, ep_status_name (result->status), result->reason);
            s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (TOO_LATE), reason);
        }
        else {
            ep_live_follow_put (self->orders, job->dispatch, &known, false, true,
                                ep_live_plane_now (self));
            snprintf (reason, sizeof reason, "the venue refused the cancel (it knew no open "
                      "order) while the order is open: %s; nothing changed, the order is "
                      "followed again", result->reason);
            s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED),
                             reason);
        }
        return;
    }
    ep_live_absence_t facts = {
        .client_order_id = id, .result = result,
        .margin_ms = self->venue->absence_margin_ms, .now_ms = ep_live_plane_venue_time (self)
    };
    facts.attempted = result->absent
                   && ep_audit_submitted (self->audit, id, &facts.submitted_ms,
                                          &facts.window_ms) == 1;
    int status, failure;
    char told [512];
    ep_live_reconcile_without_state (&facts, &status, &failure, told, sizeof told);
    if (status == EP_STATUS (FAILED)) {
        //  Conclusive: the order was never placed
        ep_live_plane_report_plain (self, job->dispatch, status, failure, true, told, true);
        snprintf (reason, sizeof reason, "too late: the venue has no order %s (%.400s)", id,
                  told + strlen ("reconciled: "));
        s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (TOO_LATE), reason);
    }
    else {
        snprintf (reason, sizeof reason, "the venue knew no open order %s to cancel, and "
                  "cannot tell its state yet: %.400s; %s", id, told + strlen ("reconciled: "),
                  s_still (job));
        s_report_change (self, job, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), reason);
    }
}

static void
s_on_target_asked (ep_live_plane_t *self, ep_live_job_t *job)
{
    if (job->unfollowed) {
        s_on_unfollowed_asked (self, job);
        return;
    }
    const ep_venue_result_t *result = &job->result;
    char reason [EP_LIVE_REASON_MAX];
    bool state = result->status != EP_STATUS (STATUS_UNSPECIFIED)
              && result->status != EP_STATUS (UNKNOWN);
    //  A status query of its own may have ended the target meanwhile: its
    //  terminal report was given, and is not given twice
    if (ep_live_follow_lookup (self->orders, job->request.client_order_id))
        ep_live_plane_on_queried (self, job);
    if (!state) {
        snprintf (reason, sizeof reason, "the venue knew no open order %s to %s, and cannot "
                  "tell its state yet: %s; the order stays followed",
                  job->request.client_order_id, s_verb (job), result->reason);
        s_report_change (self, job, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), reason);
    }
    else
    if (result->terminal) {
        snprintf (reason, sizeof reason, "too late: the order had already ended: %s",
                  result->reason);
        s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (TOO_LATE), reason);
    }
    else {
        snprintf (reason, sizeof reason, "the venue refused the %s (it knew no open order) "
                  "while the order is open: %s; nothing changed, the order stays followed",
                  s_verb (job), result->reason);
        s_report_change (self, job, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), reason);
    }
}

void
ep_live_cancel_on_answer (ep_live_plane_t *self, ep_live_job_t *job)
{
    char target_id [EP_VENUE_CLIENT_ID_MAX + 1];
    s_target_id (job, target_id);
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, target_id);
    if (order)
        order->changing = false;
    if (job->change)
        s_on_target_asked (self, job);
    else
    if (job->kind == EP_AUDIT_CANCEL)
        s_on_canceled (self, job);
    else
        s_on_replaced (self, job);
    //  The stream said it ended and this answer did not: the venue is asked
    order = ep_live_follow_lookup (self->orders, target_id);
    if (order && order->ended_by_stream && !order->changing) {
        order->ended_by_stream = false;
        if (!order->querying)
            order->next_poll_ms = 0;
    }
}
