/*  ep_live_answers: what the venue's answers to submissions and status
    queries become: reports (with the fills the router lacks), and the
    orders the plane follows. Cancels and replaces: ep_live_cancel.c.  */
#include <assert.h>
#include <czmq.h>
#include "ep_live_fills.h"
#include "ep_live_follow.h"
#include "ep_live_plane_internal.h"
#include "ep_live_reconcile.h"
#include "ep_log.h"

#define S_REASON_MAX EP_LIVE_REASON_MAX
#define s_now ep_live_plane_now
#define s_report ep_live_plane_report
#define s_report_plain ep_live_plane_report_plain

//  A report of the venue's answer: its status, figures and reason.
static void
s_report_init (ep_report_t *report, const ep_venue_result_t *result, char *reason)
{
    execplane__v1__execution_report__init (report);
    report->status = result->status;
    report->failure = result->failure;
    report->terminal = result->terminal;
    report->reason = reason;
    report->venue_order_id = (char *) result->venue_order_id;
    report->filled_qty_e8 = result->executed_qty_e8;
    report->avg_price_e8 = ep_live_avg_price (result->executed_qty_e8, result->cum_quote_e8);
    report->venue_time_ms = result->venue_time_ms;
}

void
ep_live_plane_on_submitted (ep_live_plane_t *self, ep_live_job_t *job)
{
    ep_venue_result_t *result = &job->result;
    //  An amend's new order is the target's venue order renamed: what that
    //  executed before was the target's (ended with it), the new order's
    //  figures count from there
    ep_audit_order_t state = { .router_seq = job->dispatch->router_seq };
    snprintf (state.client_order_id, sizeof state.client_order_id, "%s",
              job->request.client_order_id);
    if (job->request.op == EP_VENUE_AMEND && result->target_known) {
        state.base_qty_e8 = result->target_executed_qty_e8;
        state.base_quote_e8 = result->target_cum_quote_e8;
        snprintf (state.venue_order_id, sizeof state.venue_order_id, "%s",
                  result->venue_order_id);
        if (state.base_qty_e8 > 0
        &&  ep_audit_amended (self->audit, state.client_order_id, state.base_qty_e8,
                              state.base_quote_e8))
            ep_log_error ("order %s: the audit could not keep what its venue order executed "
                          "before the amend (%lld e-8): a reconciliation after its end would "
                          "count it again", state.client_order_id,
                          (long long) state.base_qty_e8);
        ep_live_rebase (&state, result, NULL);
    }
    ep_report_t report;
    s_report_init (&report, result, result->reason);
    ep_live_fills_t fills;
    bool have_fills = ep_live_fills_of_answer (&fills, job->request.client_order_id,
                                               result) == 0;
    report.n_fills = fills.count;
    report.fills = fills.pointers;
    s_report (self, job->dispatch, &report);
    if (!result->terminal) {
        state.plane_epoch = job->dispatch->plane_epoch;
        state.status = result->status;
        state.executed_qty_e8 = result->executed_qty_e8;
        state.cum_quote_e8 = result->cum_quote_e8;
        state.fills = (uint32_t) result->fill_count;
        snprintf (state.venue_order_id, sizeof state.venue_order_id, "%s",
                  result->venue_order_id);
        ep_live_order_t *order = ep_live_follow_put (self->orders, job->dispatch, &state,
                                                     false, false, s_now (self));
        if (order && have_fills)
            ep_live_follow_keep_fills (order, fills.pointers, fills.count);
        if (order)
            ep_live_stream_followed (self, state.client_order_id);
    }
    ep_live_fills_free (&fills);
}

//  A reconciliation the venue could not answer with the order's state.
static void
s_reconcile_without_state (ep_live_plane_t *self, ep_live_job_t *job)
{
    ep_live_absence_t facts = {
        .client_order_id = job->request.client_order_id, .result = &job->result,
        .margin_ms = self->venue->absence_margin_ms,
        .now_ms = ep_live_plane_venue_time (self)
    };
    //  Only a word of absence makes the audit's record matter
    facts.attempted = job->result.absent
                   && ep_audit_submitted (self->audit, facts.client_order_id,
                                          &facts.submitted_ms, &facts.window_ms) == 1;
    int status, failure;
    char reason [S_REASON_MAX];
    ep_live_reconcile_without_state (&facts, &status, &failure, reason, sizeof reason);
    s_report_plain (self, job->dispatch, status, failure, true, reason, true);
}

//  What the router already has of the order a query is about: the
//  order's last report, or for a reconciliation of an order not followed,
//  the figures the dispatch carries (only the rest is a new fill), counted
//  from the order's base if it is an amend's new order.
static ep_audit_order_t
s_known (ep_live_plane_t *self, const ep_live_job_t *job, const ep_live_order_t *order)
{
    ep_audit_order_t known = { .router_seq = job->dispatch->router_seq };
    if (order)
        known = order->state;
    else
    if (job->kind == EP_AUDIT_RECONCILE) {
        known.executed_qty_e8 = job->dispatch->known_filled_qty_e8;
        known.cum_quote_e8 = ep_live_quote (job->dispatch->known_filled_qty_e8,
                                            job->dispatch->known_avg_price_e8);
        known.fills = job->dispatch->known_fills;
        ep_audit_amended_base (self->audit, job->request.client_order_id,
                               &known.base_qty_e8, &known.base_quote_e8);
    }
    snprintf (known.client_order_id, sizeof known.client_order_id, "%s",
              job->request.client_order_id);
    return known;
}

//  The trades that make up what result executed beyond known: those past
//  the ones whose quantities add up to what known had, if what is left adds
//  up to the rest exactly. Returns their count (0: they do not tell it, or
//  no trades were given) and the first of them in *first.
static size_t
s_new_trades (const ep_venue_result_t *trades, const ep_audit_order_t *known,
              const ep_venue_result_t *result, size_t *first)
{
    if (!trades || trades->fill_count == 0)
        return 0;
    int64_t before = 0, after = 0;
    size_t index = 0;
    while (index < trades->fill_count && before < known->executed_qty_e8)
        before += trades->fills [index++].qty_e8;
    if (before != known->executed_qty_e8)
        return 0;
    *first = index;
    for (; index < trades->fill_count; index++)
        after += trades->fills [index].qty_e8;
    return after == result->executed_qty_e8 - known->executed_qty_e8
         ? trades->fill_count - *first : 0;
}

//  Reports result on dispatch with count trades (those executed beyond
//  known, each a fill with its fee) or, without them, what executed beyond
//  known as one fill at its average price; updates known to result.
static void
s_report_new_fills (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                    const ep_venue_result_t *result, const ep_venue_fill_t *trades,
                    size_t count, const char *reason, bool reconciled, ep_live_order_t *order,
                    ep_audit_order_t *known)
{
    ep_report_t report;
    s_report_init (&report, result, (char *) reason);
    report.reconciled = reconciled || (order && order->reconciled);
    ep_live_fills_t new_fills = { 0 };
    ep_fill_t fill;
    ep_fill_t *fills [1] = { &fill };
    char fill_id [EP_LIVE_FILL_ID_MAX];
    report.first_fill = known->fills;
    if (count && ep_live_fills_of_trades (&new_fills, known->client_order_id, trades,
                                          count) == 0) {
        //  Each trade with its fee, as the venue lists it
        known->fills += (uint32_t) count;
        report.n_fills = new_fills.count;
        report.fills = new_fills.pointers;
        for (size_t index = 0; order && index < new_fills.count; index++)
            ep_live_follow_add_fill (order, new_fills.pointers [index]);
    }
    else
    if (result->executed_qty_e8 > known->executed_qty_e8) {
        known->fills++;
        ep_live_fill_of_query (known, result, known->fills, &fill, fill_id);
        report.n_fills = 1;
        report.fills = fills;
        if (order)
            ep_live_follow_add_fill (order, &fill);
    }
    if (order && order->n_fills) {
        //  All the order's fills: the router keeps those it does not have.
        report.first_fill = known->fills - (uint32_t) order->n_fills;
        report.n_fills = order->n_fills;
        report.fills = order->fills;
    }
    s_report (self, dispatch, &report);
    ep_live_fills_free (&new_fills);
    known->status = result->status;
    known->executed_qty_e8 = result->executed_qty_e8;
    known->cum_quote_e8 = result->cum_quote_e8;
    snprintf (known->venue_order_id, sizeof known->venue_order_id, "%s",
              result->venue_order_id);
    known->plane_epoch = dispatch->plane_epoch;
}

void
ep_live_plane_report_trades (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                             const ep_venue_result_t *result, const ep_venue_result_t *trades,
                             const char *reason, bool reconciled, ep_live_order_t *order,
                             ep_audit_order_t *known)
{
    size_t first = 0;
    size_t count = s_new_trades (trades, known, result, &first);
    if (!count && trades && result->executed_qty_e8 > known->executed_qty_e8)
        ep_log_warn ("order %s: its trades do not tell what it executed (%s): one fill "
                     "without its fee", known->client_order_id, trades->reason);
    s_report_new_fills (self, dispatch, result, count ? trades->fills + first : NULL, count,
                        reason, reconciled, order, known);
}

void
ep_live_plane_report_streamed (ep_live_plane_t *self, ep_live_order_t *order,
                               const ep_venue_result_t *result, const ep_venue_fill_t *trade)
{
    char reason [S_REASON_MAX];
    snprintf (reason, sizeof reason, "stream: %s", result->reason);
    ep_audit_order_t known = order->state;
    const ep_dispatch_t *dispatch = order->dispatch;
    s_report_new_fills (self, dispatch, result, trade, trade ? 1 : 0, reason, false, order,
                        &known);
    //  A terminal order is dropped here (its dispatch with it): not used after
    ep_live_follow_put (self->orders, dispatch, &known, result->terminal, false, s_now (self));
}

void
ep_live_plane_report_state (ep_live_plane_t *self, const ep_dispatch_t *dispatch,
                            const ep_venue_result_t *result, const char *reason,
                            bool reconciled, ep_live_order_t *order, ep_audit_order_t *known)
{
    ep_live_plane_report_trades (self, dispatch, result, NULL, reason, reconciled, order,
                                 known);
}

//  Reports what a status query (result) learned beyond known, with the
//  order's trades if they were asked for, and updates known to it.
static void
s_report_query (ep_live_plane_t *self, ep_live_job_t *job, const ep_venue_result_t *result,
                const ep_venue_result_t *trades, ep_live_order_t *order,
                ep_audit_order_t *known)
{
    bool reconcile = job->kind == EP_AUDIT_RECONCILE;
    char reason [S_REASON_MAX];
    snprintf (reason, sizeof reason, "%s%s", reconcile ? "reconciled: " : "", result->reason);
    ep_live_plane_report_trades (self, job->dispatch, result, trades, reason, reconcile, order,
                                 known);
}

//  A query that found the order executed more: its trades are asked for,
//  to report each with its fee (the query's answer waits in the new job).
//  Returns true if they were.
static bool
s_ask_trades (ep_live_plane_t *self, ep_live_job_t *job, const ep_audit_order_t *known)
{
    ep_venue_result_t *result = &job->result;
    if (!self->venue->prepare_trades || job->queried || job->change
    ||  result->executed_qty_e8 <= known->executed_qty_e8 || !result->venue_order_id [0])
        return false;
    ep_dispatch_t *copy = ep_live_dispatch_dup (job->dispatch);
    ep_live_job_t *trades = copy ? ep_live_job_new (job->kind, copy) : NULL;
    ep_venue_result_t *queried = trades ? malloc (sizeof *queried) : NULL;
    if (!queried) {
        if (trades)
            ep_live_job_destroy (&trades);
        else
        if (copy)
            execplane__v1__dispatch__free_unpacked (copy, NULL);
        return false;
    }
    //  The query's answer moves to the new job
    *queried = *result;
    memset (result, 0, sizeof *result);
    trades->queried = queried;
    trades->unfollowed = job->unfollowed;
    return ep_live_plane_push (self, trades) == EP_LIVE_OK;
}

void
ep_live_plane_on_queried (ep_live_plane_t *self, ep_live_job_t *job)
{
    //  The answer to a request for trades: the query's answer is the order's
    ep_venue_result_t *trades = job->queried ? &job->result : NULL;
    ep_venue_result_t *result = job->queried ? job->queried : &job->result;
    bool reconcile = job->kind == EP_AUDIT_RECONCILE;
    const char *id = job->request.client_order_id;
    ep_live_order_t *order = ep_live_follow_lookup (self->orders, id);
    if (order)
        order->querying = false;
    //  A poll of an order followed no more (a cancel ended it meanwhile)
    //  is news to nobody: the order's terminal report was given
    if (!order && job->kind == EP_AUDIT_QUERY && !job->change) {
        ep_log_info ("order %s: no longer followed; its status query is not reported", id);
        return;
    }
    if (result->status == EP_STATUS (STATUS_UNSPECIFIED)) {
        if (reconcile)
            s_reconcile_without_state (self, job);
        else
            ep_log_warn ("order %s: status query gave no news: %s", id, result->reason);
        return;
    }
    ep_audit_order_t known = s_known (self, job, order);
    //  The figures of an amend's new order count from its base; the query's
    //  answer was rebased before its trades were asked for
    ep_live_rebase (&known, job->queried ? NULL : result, trades);
    bool changed = result->status != known.status
                || result->executed_qty_e8 != known.executed_qty_e8;
    if (!changed && !reconcile)
        return;
    if (!trades && s_ask_trades (self, job, &known)) {
        if (order)
            order->querying = true;     //  no other query before the trades are told
        return;
    }
    s_report_query (self, job, result, trades, order, &known);
    ep_live_follow_put (self->orders, job->dispatch, &known, result->terminal, reconcile,
                        s_now (self));
}

