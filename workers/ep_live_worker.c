/*  ep-live: the live worker, a loop around a venue adapter and its audit.

    For each intent dispatched on exec.live it writes the submission attempt
    to the audit and commits it, and only then hands the request to the
    sender thread, which performs it once. The result is written to the
    audit and reported to the router. Nothing is ever sent twice: the audit
    refuses a second submission of a client order id, and an attempt whose
    result was never written (the worker died) becomes an UNKNOWN report at
    the next start, never a new request.

    A resting order (NEW, PARTIALLY_FILLED) is followed by status queries
    every poll_ms until it is terminal; each change is a report.
    Observation is not resubmission. A reconciliation, asked for by the meta
    layer through the router, is one such query on an intent whose outcome
    is UNKNOWN, reported as reconciled.

    Only what the router dispatched to this worker's session is sent: the
    router names the live worker session it adopted in every dispatch, and
    a worker that hears a dispatch for another session (a second ep-live,
    or one that outlived its adoption) ignores it, and drops the requests
    it had queued but not sent. A submission is not sent past its
    dispatch's not_after_ms: the router's deadline for the intent would
    fire before its answer came. The audit is locked by one process.

    The main thread owns the sockets and the audit; the sender thread only
    performs requests, so heartbeats go on while a request waits.  */
#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "ep_audit.h"
#include "ep_config.h"
#include "ep_security.h"
#include "ep_restore.h"
#include "ep_signal.h"
#include "ep_decimal.h"
#include "ep_log.h"
#include "ep_metrics.h"
#include "ep_names.h"
#include "ep_sock.h"
#include "ep_utf8.h"
#include "ep_venue_binance.h"
#include "ep_wire.h"

#define S_RESTORE_RETRY_MS 2500     //  above the router's wait for the heartbeat
//  One "does not exist" is no proof of absence: Binance may say it for tens
//  of seconds after creation. Absence is conclusive this long after the
//  attempt's recvWindow closed (after which the venue cannot newly accept it).
#define S_ABSENCE_MARGIN_MS 60000
#define S_METRICS_MS 250            //  metrics rendered at most this often
#define S_AUDIT_RETRY_MS 1000       //  results the audit could not take: written again this often
#define S_IGNORED_LOG_MS 5000       //  dispatches for another session: a line at most this often
#define S_KINDS 5                   //  ep_audit_kind_t, 1 to 4

typedef struct {
    int64_t attempt_id;                 //  its audit row
    ep_audit_kind_t kind;               //  submit, query or reconcile
    size_t ahead;                       //  requests ahead of it when it was queued
    ep_dispatch_t *dispatch;            //  the intent it is about (owned)
    ep_venue_request_t request;         //  what is sent
    ep_venue_result_t result;           //  what came back (filled by the sender)
} s_job_t;

typedef struct {
    ep_audit_order_t state;             //  what was last reported (dispatch unused here)
    ep_dispatch_t *dispatch;            //  the order's intent (owned)
    int64_t next_poll_ms;               //  when to query it next
    bool querying;                      //  a query is queued or in flight
    bool reconciled;                    //  followed after a reconciliation
    //  Its last fills, up to state.fills (the first may be unknown here):
    //  each report on it carries them all, so that a router that lost a
    //  report gets the fills it missed with the next.
    ep_fill_t **fills;
    size_t n_fills;
} s_order_t;

typedef struct {
    ep_config_t config;                 //  endpoints, venue and audit settings
    ep_venue_t *venue;                  //  the venue adapter
    ep_audit_t *audit;                  //  the write-ahead record
    zsock_t *intents;                   //  SUB exec.live
    zsock_t *results;                   //  PUSH reports and heartbeats
    zsock_t *query;                     //  DEALER: claims the plane
    zactor_t *sender;                   //  performs requests, one at a time
    zlistx_t *jobs;                     //  jobs waiting for the sender (s_job_t *)
    bool sending;                       //  the sender holds a job
    zhashx_t *orders;                   //  client order id -> s_order_t *, followed
    char session [33];                  //  this process's id
    char boot [40];                     //  the router start it claimed the plane from
    uint64_t number;                    //  of the last worker message sent
    uint64_t probe;                     //  the router's newest probe heard on exec.live
    int64_t next_heartbeat_ms;
    //  Prometheus metrics and the health check (live/metrics)
    ep_metrics_t *metrics;              //  NULL: not configured
    ep_prom_t prom;
    int64_t next_metrics_ms;
    ep_histogram_t venue_seconds [S_KINDS];             //  request to response, by kind
    uint64_t venue_failures [S_KINDS][EP_FAILURE_COUNT];      //  classified outcomes, by kind
    bool claimed;                       //  the plane, from the router that runs now
    bool audit_ok;                      //  the last audit write succeeded
    int64_t next_audit_retry_ms;        //  when the results the audit kept are written again
    //  Dispatches the router made to another live worker session
    bool own_seen;                      //  one named this session since the last claim
    bool superseded;                    //  a later one named another: this one serves no more
    uint64_t ignored;                   //  ignored since the last line that said so
    int64_t next_ignored_log_ms;        //  when the next such line may be written
} s_worker_t;

//  --------------------------------------------------------------------------
//  The sender thread: performs one request at a time, never retries.

static void
s_sender_actor (zsock_t *pipe, void *arg)
{
    ep_venue_t *venue = arg;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        zframe_t *frame = zmsg_first (msg);
        bool term = zframe_streq (frame, "$TERM");
        s_job_t *job = NULL;
        if (!term && zframe_size (frame) == sizeof job)
            memcpy (&job, zframe_data (frame), sizeof job);
        zmsg_destroy (&msg);
        if (term)
            break;
        if (job) {
            venue->send (venue, &job->request, &job->result);
            zsock_send (pipe, "p", job);
        }
    }
}

static void
s_job_destroy (s_job_t **job_p)
{
    s_job_t *job = *job_p;
    if (!job)
        return;
    ep_venue_result_reset (&job->result);
    if (job->dispatch)
        execplane__v1__dispatch__free_unpacked (job->dispatch, NULL);
    free (job);
    *job_p = NULL;
}

//  --------------------------------------------------------------------------
//  Reports

static int64_t
s_wall_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

//  Average price of a cumulative fill, rounded down; 0 when nothing filled.
static int64_t
s_avg_price (int64_t executed_qty_e8, int64_t cum_quote_e8)
{
    if (executed_qty_e8 <= 0)
        return 0;
    return (int64_t) ((__int128) cum_quote_e8 * 100000000 / executed_qty_e8);
}

//  The quote of a cumulative fill from its average price (as s_avg_price
//  rounds, to within a unit of the last place).
static int64_t
s_quote (int64_t executed_qty_e8, int64_t avg_price_e8)
{
    return (int64_t) ((__int128) executed_qty_e8 * avg_price_e8 / 100000000);
}

//  Sends one report on the intent of dispatch to the router.
static void
s_report (s_worker_t *self, const ep_dispatch_t *dispatch, ep_report_t *report)
{
    const ep_intent_t *intent = dispatch->intent;
    report->intent_id = intent->intent_id;
    report->strategy_id = intent->strategy_id;
    report->symbol = intent->symbol;
    report->side = intent->side;
    report->plane = EP_PLANE (LIVE);
    report->router_seq = dispatch->router_seq;
    report->safety = intent->safety;
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = EP_PLANE (LIVE);
    message.session = self->session;
    message.tick = dispatch->router_seq;
    message.number = ++self->number;
    message.probe = self->probe;
    message.n_reports = 1;
    message.reports = &report;
    size_t size = execplane__v1__worker_message__get_packed_size (&message);
    uint8_t *data = malloc (size);
    if (!data) {
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": out of memory: report not sent");
        return;
    }
    execplane__v1__worker_message__pack (&message, data);
    ep_sock_send2 (self->results, "reports", data, size, 0);
    free (data);
    ep_log_intent (EP_LOG_INFO, intent->strategy_id, intent->intent_id, ": %s %s%s: %s",
                   ep_status_name (report->status), ep_failure_name (report->failure),
                   report->terminal ? " (terminal)" : "", report->reason);
}

//  A report with no fills: a failure, or a status without news of fills.
static void
s_report_plain (s_worker_t *self, const ep_dispatch_t *dispatch, int status, int failure,
                bool terminal, const char *reason, bool reconciled)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.status = status;
    report.failure = failure;
    report.terminal = terminal;
    report.reason = (char *) reason;
    report.reconciled = reconciled;
    s_report (self, dispatch, &report);
}

//  --------------------------------------------------------------------------
//  Following resting orders

static void
s_order_forget_fills (s_order_t *order)
{
    ep_wire_fills_free (order->fills, order->n_fills);
    order->fills = NULL;
    order->n_fills = 0;
}

//  The order's fills are these, from its first; its state counts them.
static void
s_order_keep_fills (s_order_t *order, ep_fill_t *const *fills, size_t n_fills)
{
    s_order_forget_fills (order);
    order->state.fills = (uint32_t) n_fills;
    for (size_t i = 0; i < n_fills; i++)
        if (ep_wire_fills_append (&order->fills, &order->n_fills, fills [i])) {
            //  Without all of them, none: the next reports number from here.
            ep_log_warn ("out of memory: the fills of a followed order are not repeated");
            s_order_forget_fills (order);
            return;
        }
}

static void
s_order_destroy (void **item)
{
    s_order_t *order = *item;
    if (order->dispatch)
        execplane__v1__dispatch__free_unpacked (order->dispatch, NULL);
    s_order_forget_fills (order);
    free (order);
    *item = NULL;
}

//  Persists and (re)starts following an order; drops it once terminal.
static void
s_follow (s_worker_t *self, const ep_dispatch_t *dispatch, const ep_audit_order_t *state,
          bool terminal, bool reconciled)
{
    if (terminal) {
        zhashx_delete (self->orders, state->client_order_id);
        ep_audit_order_drop (self->audit, state->client_order_id);
        return;
    }
    s_order_t *order = zhashx_lookup (self->orders, state->client_order_id);
    if (!order) {
        order = calloc (1, sizeof *order);
        size_t size = execplane__v1__dispatch__get_packed_size (dispatch);
        uint8_t *data = malloc (size ? size : 1);
        if (!order || !data) {
            free (order);
            free (data);
            ep_log_error ("out of memory: order %s not followed", state->client_order_id);
            return;
        }
        execplane__v1__dispatch__pack (dispatch, data);
        order->dispatch = execplane__v1__dispatch__unpack (NULL, size, data);
        free (data);
        zhashx_insert (self->orders, state->client_order_id, order);
    }
    order->state = *state;
    order->state.dispatch = NULL;
    order->next_poll_ms = ep_sock_clock_ms () + self->config.poll_ms;
    order->reconciled = order->reconciled || reconciled;
    //  The audit keeps the dispatch, so a restarted worker follows it too.
    size_t size = execplane__v1__dispatch__get_packed_size (order->dispatch);
    uint8_t *data = malloc (size ? size : 1);
    if (data) {
        execplane__v1__dispatch__pack (order->dispatch, data);
        ep_audit_order_t persisted = order->state;
        persisted.dispatch = data;
        persisted.dispatch_size = size;
        ep_audit_order_put (self->audit, &persisted);
        free (data);
    }
}

//  --------------------------------------------------------------------------
//  Jobs

//  A wall-clock time in ms as UTC ISO 8601, to the second or the millisecond.
static void
s_iso_time (int64_t wall_ms, bool millis, char *buf, size_t size)
{
    time_t seconds = (time_t) (wall_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char stamp [32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis)
        snprintf (buf, size, "%s.%03dZ", stamp, (int) (wall_ms % 1000));
    else
        snprintf (buf, size, "%sZ", stamp);
}

//  A submission whose time to be sent ended (the dispatch's not_after_ms)
//  is not sent: a request that left now might be answered after the
//  router's deadline for the intent, which publishes UNKNOWN then. Reports
//  it FAILED / NOT_SENT and returns true if so.
static bool
s_too_late (s_worker_t *self, const s_job_t *job)
{
    int64_t not_after_ms = job->dispatch->not_after_ms;
    if (job->kind != EP_AUDIT_SUBMIT || not_after_ms <= 0 || s_wall_ms () < not_after_ms)
        return false;
    char when [40], reason [200];
    s_iso_time (not_after_ms, true, when, sizeof when);
    snprintf (reason, sizeof reason, "not sent: its time to be sent ended at %s while %zu "
              "request(s) were ahead of it", when, job->ahead);
    s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                    reason, false);
    return true;
}

//  Hands the next job to the sender, if it is idle. The request is built
//  and written down only now, right before it leaves: its timestamp is
//  fresh (a job that waited would otherwise fall out of the recvWindow),
//  and the attempt row means "sent now", not "waiting".
static void
s_pump_sender (s_worker_t *self)
{
    s_job_t *job;
    //  Stopping, the request in flight finishes and no other starts.
    while (!self->sending && !zsys_interrupted && (job = zlistx_detach (self->jobs, NULL))) {
        const ep_intent_t *intent = job->dispatch->intent;
        bool submit = job->kind == EP_AUDIT_SUBMIT;
        if (s_too_late (self, job)) {
            s_job_destroy (&job);
            continue;
        }
        char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
        ep_venue_client_order_id (intent->strategy_id, intent->intent_id, client_order_id);
        if (self->venue->prepare (self->venue, submit ? EP_VENUE_SUBMIT : EP_VENUE_QUERY,
                                  intent, client_order_id, s_wall_ms (), &job->request)) {
            char reason [EP_VENUE_PARAMS_MAX + 64];
            snprintf (reason, sizeof reason, "cannot be expressed for the venue: %s",
                      job->request.params);
            if (submit)
                s_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                                EP_FAILURE (INVALID_INTENT), true, reason, false);
            s_job_destroy (&job);
            continue;
        }
        //  Written down before it is sent.
        job->attempt_id = ep_audit_attempt (self->audit, job->kind, job->dispatch->router_seq,
                                            intent, &job->request);
        self->audit_ok = job->attempt_id >= 0;
        if (job->attempt_id == 0)
            ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                           ": already submitted as %s: never sent twice", client_order_id);
        else
        if (job->attempt_id < 0 && submit)
            s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                            "the audit could not record the attempt, so it was not sent",
                            false);
        if (job->attempt_id <= 0) {
            s_order_t *order = zhashx_lookup (self->orders, client_order_id);
            if (order)
                order->querying = false;
            s_job_destroy (&job);
            continue;
        }
        self->sending = true;
        zsock_send (self->sender, "p", job);
    }
}

//  Queues a job on the intent of dispatch (taking it); the sender takes
//  jobs one at a time, in order.
static int
s_queue (s_worker_t *self, ep_audit_kind_t kind, ep_dispatch_t *dispatch)
{
    s_job_t *job = calloc (1, sizeof *job);
    if (!job) {
        ep_log_intent (EP_LOG_ERROR, dispatch->intent->strategy_id, dispatch->intent->intent_id,
                       ": out of memory: not sent");
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return -1;
    }
    job->kind = kind;
    job->dispatch = dispatch;
    job->ahead = zlistx_size (self->jobs) + (self->sending ? 1 : 0);
    zlistx_add_end (self->jobs, job);
    if (self->sending)
        ep_log_intent (EP_LOG_INFO, dispatch->intent->strategy_id, dispatch->intent->intent_id,
                       " waits: %zu request(s) ahead of it", zlistx_size (self->jobs));
    s_pump_sender (self);
    return 0;
}

//  The fills a query reveals: the change in cumulative quantity and quote
//  since the last report, as one fill at their average price.
static void
s_query_fill (const ep_audit_order_t *known, const ep_venue_result_t *result,
              ep_fill_t *fill, char *fill_id, size_t fill_id_size, uint32_t number)
{
    int64_t qty = result->executed_qty_e8 - known->executed_qty_e8;
    int64_t quote = result->cum_quote_e8 - known->cum_quote_e8;
    snprintf (fill_id, fill_id_size, "%s.q%u", known->client_order_id, number);
    fill->fill_id = fill_id;
    fill->qty_e8 = qty;
    fill->price_e8 = s_avg_price (qty, quote);
    fill->fee_e8 = 0;                   //  an order query does not report fees
}

static void
s_on_submitted (s_worker_t *self, s_job_t *job)
{
    ep_venue_result_t *result = &job->result;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.status = result->status;
    report.failure = result->failure;
    report.terminal = result->terminal;
    report.reason = result->reason;
    report.venue_order_id = result->venue_order_id;
    report.filled_qty_e8 = result->executed_qty_e8;
    report.avg_price_e8 = s_avg_price (result->executed_qty_e8, result->cum_quote_e8);
    ep_fill_t *fills = calloc (result->fill_count + 1, sizeof *fills);
    ep_fill_t **pointers = calloc (result->fill_count + 1, sizeof *pointers);
    char (*ids) [80] = calloc (result->fill_count + 1, sizeof *ids);
    if (fills && pointers && ids)
        for (size_t i = 0; i < result->fill_count; i++) {
            execplane__v1__fill__init (&fills [i]);
            snprintf (ids [i], sizeof ids [i], "%s.%s", job->request.client_order_id,
                      result->fills [i].trade_id);
            fills [i].fill_id = ids [i];
            fills [i].qty_e8 = result->fills [i].qty_e8;
            fills [i].price_e8 = result->fills [i].price_e8;
            fills [i].fee_e8 = result->fills [i].fee_e8;
            pointers [i] = &fills [i];
            report.n_fills++;
        }
    report.fills = pointers;
    s_report (self, job->dispatch, &report);
    if (!result->terminal) {
        ep_audit_order_t state = { .router_seq = job->dispatch->router_seq };
        snprintf (state.client_order_id, sizeof state.client_order_id, "%s",
                  job->request.client_order_id);
        state.plane_epoch = job->dispatch->plane_epoch;
        state.status = result->status;
        state.executed_qty_e8 = result->executed_qty_e8;
        state.cum_quote_e8 = result->cum_quote_e8;
        state.fills = (uint32_t) result->fill_count;
        snprintf (state.venue_order_id, sizeof state.venue_order_id, "%s",
                  result->venue_order_id);
        s_follow (self, job->dispatch, &state, false, false);
        s_order_t *order = zhashx_lookup (self->orders, state.client_order_id);
        if (order && fills && pointers && ids)
            s_order_keep_fills (order, pointers, report.n_fills);
    }
    free (fills);
    free (pointers);
    free (ids);
}

//  A reconciliation the venue could not answer with the order's state.
static void
s_reconcile_without_state (s_worker_t *self, s_job_t *job)
{
    ep_venue_result_t *result = &job->result;
    const char *id = job->request.client_order_id;
    char reason [768];
    int64_t submitted_ms = 0, window_ms = 0;
    if (result->venue_code != -2013) {
        snprintf (reason, sizeof reason, "reconciled: the venue could not be asked about %s "
                  "(%s); still unknown: reconcile again", id, result->reason);
        s_report_plain (self, job->dispatch, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN),
                        true, reason, true);
        return;
    }
    if (ep_audit_submitted (self->audit, id, &submitted_ms, &window_ms) != 1) {
        snprintf (reason, sizeof reason, "reconciled: this live plane never attempted %s, "
                  "and the venue does not know it: it was not placed", id);
        s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT),
                        true, reason, true);
        return;
    }
    int64_t conclusive_ms = submitted_ms + window_ms + S_ABSENCE_MARGIN_MS;
    if (s_wall_ms () < conclusive_ms) {
        char stamp [32];
        s_iso_time (conclusive_ms, false, stamp, sizeof stamp);
        snprintf (reason, sizeof reason, "reconciled: the venue does not know %s yet; its "
                  "absence is not conclusive before %s (recvWindow plus %d s after the "
                  "attempt): reconcile again after it", id, stamp, S_ABSENCE_MARGIN_MS / 1000);
        s_report_plain (self, job->dispatch, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN),
                        true, reason, true);
    }
    else {
        snprintf (reason, sizeof reason, "reconciled: the venue has no order %s, %lld s after "
                  "the attempt and past its recvWindow: it was not placed", id,
                  (long long) ((s_wall_ms () - submitted_ms) / 1000));
        s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT),
                        true, reason, true);
    }
}

static void
s_on_queried (s_worker_t *self, s_job_t *job)
{
    ep_venue_result_t *result = &job->result;
    bool reconcile = job->kind == EP_AUDIT_RECONCILE;
    const char *id = job->request.client_order_id;
    s_order_t *order = zhashx_lookup (self->orders, id);
    if (order)
        order->querying = false;
    if (result->status == EP_STATUS (STATUS_UNSPECIFIED)) {
        if (reconcile)
            s_reconcile_without_state (self, job);
        else
            ep_log_warn ("order %s: status query gave no news: %s", id, result->reason);
        return;
    }
    ep_audit_order_t known = { .router_seq = job->dispatch->router_seq };
    if (order)
        known = order->state;
    else
    if (reconcile) {
        //  What the router already has: only the rest is a new fill.
        known.executed_qty_e8 = job->dispatch->known_filled_qty_e8;
        known.cum_quote_e8 = s_quote (job->dispatch->known_filled_qty_e8,
                                      job->dispatch->known_avg_price_e8);
        known.fills = job->dispatch->known_fills;
    }
    snprintf (known.client_order_id, sizeof known.client_order_id, "%s", id);
    bool changed = result->status != known.status
                || result->executed_qty_e8 != known.executed_qty_e8;
    if (!changed && !reconcile)
        return;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    char reason [768];
    snprintf (reason, sizeof reason, "%s%s", reconcile ? "reconciled: " : "", result->reason);
    report.status = result->status;
    report.failure = result->failure;
    report.terminal = result->terminal;
    report.reason = reason;
    report.venue_order_id = result->venue_order_id;
    report.filled_qty_e8 = result->executed_qty_e8;
    report.avg_price_e8 = s_avg_price (result->executed_qty_e8, result->cum_quote_e8);
    report.reconciled = reconcile || (order && order->reconciled);
    ep_fill_t fill;
    ep_fill_t *fills [1] = { &fill };
    char fill_id [80];
    report.first_fill = known.fills;
    if (result->executed_qty_e8 > known.executed_qty_e8) {
        execplane__v1__fill__init (&fill);
        known.fills++;
        s_query_fill (&known, result, &fill, fill_id, sizeof fill_id, known.fills);
        report.n_fills = 1;
        report.fills = fills;
        if (order && ep_wire_fills_append (&order->fills, &order->n_fills, &fill)) {
            ep_log_warn ("out of memory: the fills of order %s are not repeated", id);
            s_order_forget_fills (order);
        }
    }
    if (order && order->n_fills) {
        //  All the order's fills: the router keeps those it does not have.
        report.first_fill = known.fills - (uint32_t) order->n_fills;
        report.n_fills = order->n_fills;
        report.fills = order->fills;
    }
    s_report (self, job->dispatch, &report);
    known.status = result->status;
    known.executed_qty_e8 = result->executed_qty_e8;
    known.cum_quote_e8 = result->cum_quote_e8;
    snprintf (known.venue_order_id, sizeof known.venue_order_id, "%s", result->venue_order_id);
    known.plane_epoch = job->dispatch->plane_epoch;
    s_follow (self, job->dispatch, &known, result->terminal, reconcile);
}

static void
s_on_sent (s_worker_t *self, s_job_t *job)
{
    self->sending = false;
    const ep_intent_t *intent = job->dispatch->intent;
    self->audit_ok = ep_audit_result (self->audit, job->attempt_id, &job->result) == 0;
    if (!self->audit_ok) {
        //  The audit keeps it in memory; the report goes out as usual.
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": attempt %lld: the result could not be written to the audit; kept "
                       "in memory and written again every %d ms until it is",
                       (long long) job->attempt_id, S_AUDIT_RETRY_MS);
        self->next_audit_retry_ms = ep_sock_clock_ms () + S_AUDIT_RETRY_MS;
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
    if (job->kind == EP_AUDIT_SUBMIT)
        s_on_submitted (self, job);
    else
        s_on_queried (self, job);
    s_job_destroy (&job);
    s_pump_sender (self);
}

static void
s_poll_orders (s_worker_t *self)
{
    //  Another worker serves the plane, and follows them.
    if (self->superseded)
        return;
    int64_t now = ep_sock_clock_ms ();
    for (s_order_t *order = zhashx_first (self->orders); order;
         order = zhashx_next (self->orders)) {
        if (order->querying || now < order->next_poll_ms)
            continue;
        size_t size = execplane__v1__dispatch__get_packed_size (order->dispatch);
        uint8_t *data = malloc (size ? size : 1);
        if (!data)
            continue;
        execplane__v1__dispatch__pack (order->dispatch, data);
        ep_dispatch_t *copy = execplane__v1__dispatch__unpack (NULL, size, data);
        free (data);
        if (copy && s_queue (self, EP_AUDIT_QUERY, copy) == 0)
            order->querying = true;
        order->next_poll_ms = now + self->config.poll_ms;
    }
}

//  --------------------------------------------------------------------------
//  Start-up

static void
s_recover_attempt (void *arg, int64_t id, ep_audit_kind_t kind, uint64_t router_seq,
                   const ep_intent_t *intent, const char *client_order_id)
{
    s_worker_t *self = arg;
    char reason [256];
    snprintf (reason, sizeof reason, "the live worker stopped before the venue's answer to "
              "%s was known; it is never sent again: reconcile to learn its fate",
              client_order_id);
    ep_audit_result_unknown (self->audit, id, reason);
    if (kind != EP_AUDIT_SUBMIT)
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
    s_worker_t *self = arg;
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, state->dispatch_size,
                                                               state->dispatch);
    s_order_t *order = calloc (1, sizeof *order);
    if (!dispatch || !order) {
        ep_log_error ("order %s could not be restored", state->client_order_id);
        free (order);
        if (dispatch)
            execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return;
    }
    order->state = *state;
    order->state.dispatch = NULL;
    order->dispatch = dispatch;
    zhashx_insert (self->orders, state->client_order_id, order);
}

static const char *
s_kind_name (int kind)
{
    return kind == EP_AUDIT_SUBMIT ? "submit" : kind == EP_AUDIT_QUERY ? "query"
         : kind == EP_AUDIT_CANCEL ? "cancel" : kind == EP_AUDIT_RECONCILE ? "reconcile" : "other";
}

static void
s_update_metrics (s_worker_t *self)
{
    ep_prom_t *prom = &self->prom;
    ep_prom_reset (prom);
    char labels [128];
    ep_prom_family (prom, "execplane_venue_request_seconds", "histogram",
                    "Time from sending a venue request to the end of its answer, by kind");
    for (int kind = EP_AUDIT_SUBMIT; kind < S_KINDS; kind++) {
        snprintf (labels, sizeof labels, "kind=\"%s\"", s_kind_name (kind));
        ep_prom_histogram (prom, "execplane_venue_request_seconds", labels,
                           &self->venue_seconds [kind]);
    }
    ep_prom_family (prom, "execplane_venue_requests_total", "counter",
                    "Venue requests by kind and classified outcome (FAILURE_NONE: no failure)");
    for (int kind = EP_AUDIT_SUBMIT; kind < S_KINDS; kind++)
        for (int failure = 0; failure < EP_FAILURE_COUNT; failure++)
            if (self->venue_failures [kind][failure]) {
                snprintf (labels, sizeof labels, "kind=\"%s\",failure=\"%s\"",
                          s_kind_name (kind), ep_failure_name (failure));
                ep_prom_int (prom, "execplane_venue_requests_total", labels,
                             (int64_t) self->venue_failures [kind][failure]);
            }
    ep_prom_family (prom, "execplane_live_requests_waiting", "gauge",
                    "Venue requests queued behind the one in flight");
    ep_prom_int (prom, "execplane_live_requests_waiting", "", (int64_t) zlistx_size (self->jobs));
    ep_prom_family (prom, "execplane_live_request_in_flight", "gauge",
                    "1 while a venue request is in flight");
    ep_prom_int (prom, "execplane_live_request_in_flight", "", self->sending);
    ep_prom_family (prom, "execplane_live_orders_followed", "gauge",
                    "Resting venue orders followed by status queries");
    ep_prom_int (prom, "execplane_live_orders_followed", "", (int64_t) zhashx_size (self->orders));
    //  Writable: the last write succeeded and no result waits for room.
    size_t waiting = ep_audit_waiting (self->audit);
    bool writable = self->audit_ok && waiting == 0;
    ep_prom_family (prom, "execplane_live_audit_writable", "gauge",
                    "1 while the last audit write succeeded and no result waits to be written");
    ep_prom_int (prom, "execplane_live_audit_writable", "", writable);
    ep_prom_family (prom, "execplane_live_audit_results_waiting", "gauge",
                    "Venue answers the audit could not take yet, kept in memory");
    ep_prom_int (prom, "execplane_live_audit_results_waiting", "", (int64_t) waiting);
    ep_prom_family (prom, "execplane_worker_restored", "gauge",
                    "1 once the worker has claimed the plane from the router that runs now");
    ep_prom_int (prom, "execplane_worker_restored", "", self->claimed);
    char health [200];
    snprintf (health, sizeof health, "\"plane\":\"LIVE\",\"claimed_from_router\":%s,"
              "\"audit\":\"%s\",\"audit_results_waiting\":%zu",
              self->claimed ? "true" : "false", writable ? "writable" : "failing", waiting);
    ep_metrics_update (self->metrics, prom, self->claimed && writable, health);
    self->next_metrics_ms = ep_sock_clock_ms () + S_METRICS_MS;
}

static void
s_signal (s_worker_t *self, const char *kind, int flags)
{
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = EP_PLANE (LIVE);
    message.session = self->session;
    message.number = ++self->number;
    message.probe = self->probe;
    uint8_t data [128];
    size_t size = execplane__v1__worker_message__pack (&message, data);
    ep_sock_send2 (self->results, kind, data, size, flags);
}

static void
s_heartbeat (s_worker_t *self)
{
    s_signal (self, "hb", 0);
    self->next_heartbeat_ms = ep_sock_clock_ms () + self->config.heartbeat_ms;
}

//  Claims the plane from the router. Its answer names the router's start
//  and the live orders it holds in flight, with the fills it has of them:
//  the caller resynchronizes with those (s_resync). Returns the answer, or
//  NULL if interrupted first.
static ep_restore_reply_t *
s_claim_plane (s_worker_t *self)
{
    self->claimed = false;
    while (!zsys_interrupted) {
        if (self->metrics)
            s_update_metrics (self);    //  unhealthy until claimed
        //  A heartbeat first, on the reports' own way: the router answers
        //  once it has read it, so every report sent before is in its view.
        s_heartbeat (self);
        ep_restore_reply_t *reply = ep_restore_ask (self->query, EP_PLANE (LIVE), self->session,
                                                    self->number, S_RESTORE_RETRY_MS);
        if (reply) {
            snprintf (self->boot, sizeof self->boot, "%s", reply->router_boot);
            self->claimed = true;
            //  Adopted anew: what this worker hears next is for it or not.
            self->own_seen = false;
            self->superseded = false;
            return reply;
        }
    }
    return NULL;
}

//  A report sent to a router that then died is lost with it, so the
//  router may hold an order in flight that this worker has finished, or
//  know fewer of its fills. Each live order the router holds is followed
//  from what the router has of it: the next status query reports whatever
//  the router missed, as new fills, and the terminal state. Nothing is
//  ever submitted again.
static void
s_resync (s_worker_t *self, ep_restore_reply_t *reply)
{
    size_t missed = 0;
    for (size_t i = 0; i < reply->n_orders; i++) {
        ep_dispatch_t *dispatch = reply->orders [i]->dispatch;
        if (!dispatch || !dispatch->intent)
            continue;
        ep_audit_order_t known = { .router_seq = dispatch->router_seq,
                                   .plane_epoch = dispatch->plane_epoch };
        ep_venue_client_order_id (dispatch->intent->strategy_id, dispatch->intent->intent_id,
                                  known.client_order_id);
        for (size_t f = 0; f < reply->orders [i]->n_fills; f++) {
            ep_fill_t *fill = reply->orders [i]->fills [f];
            known.executed_qty_e8 += fill->qty_e8;
            known.cum_quote_e8 += s_quote (fill->qty_e8, fill->price_e8);
            known.fills++;
        }
        s_order_t *order = zhashx_lookup (self->orders, known.client_order_id);
        if (order && order->state.executed_qty_e8 == known.executed_qty_e8) {
            //  The router has all this worker has; its fills are the list.
            s_order_keep_fills (order, reply->orders [i]->fills, reply->orders [i]->n_fills);
            continue;
        }
        if (order)
            snprintf (known.venue_order_id, sizeof known.venue_order_id, "%s",
                      order->state.venue_order_id);
        known.status = EP_STATUS (STATUS_UNSPECIFIED);  //  the next answer is news
        s_follow (self, dispatch, &known, false, false);
        order = zhashx_lookup (self->orders, known.client_order_id);
        if (order) {
            s_order_keep_fills (order, reply->orders [i]->fills, reply->orders [i]->n_fills);
            order->next_poll_ms = 0;    //  ask the venue now
        }
        missed++;
    }
    ep_log_info ("session %s: plane claimed from router start %s: %zu live order(s) in "
                 "flight there, %zu of them followed again from the router's fills",
                 self->session, self->boot, reply->n_orders, missed);
}

//  Claims the plane and resynchronizes; returns 0, or -1 if interrupted.
static int
s_claim_and_resync (s_worker_t *self)
{
    ep_restore_reply_t *reply = s_claim_plane (self);
    if (!reply)
        return -1;
    s_resync (self, reply);
    execplane__v1__restore_reply__free_unpacked (reply, NULL);
    return 0;
}

//  Takes name out of the environment, if it is there: its value is zeroed
//  where it lies (so /proc/PID/environ no longer shows it), then unset.
static void
s_env_forget (const char *name)
{
    char *value = getenv (name);
    if (!value)
        return;
    sodium_memzero (value, strlen (value));
    unsetenv (name);
}

//  Copies a key read from the environment; -1 if it does not fit.
static int
s_env_copy (const char *name, const char *value, char *buf, size_t size,
            char *err, size_t err_size)
{
    if (strlen (value) >= size) {
        snprintf (err, err_size, "%s is longer than %zu bytes", name, size - 1);
        return -1;
    }
    snprintf (buf, size, "%s", value);
    return 0;
}

//  Reads the venue keys: `api_key = ...` and `api_secret = ...` lines in
//  the keys file, or EP_VENUE_API_KEY and EP_VENUE_API_SECRET, which are
//  taken out of the environment once read. A keys file open to group or
//  others is refused, as a secret certificate is. Every copy this makes
//  on the way is zeroed; key and secret are the caller's to zero.
static int
s_load_keys (const char *path, char *key, char *secret, size_t size, char *err, size_t err_size)
{
    *key = *secret = 0;
    const char *env_key = getenv ("EP_VENUE_API_KEY");
    const char *env_secret = getenv ("EP_VENUE_API_SECRET");
    if (env_key && env_secret && *env_key && *env_secret) {
        int rc = s_env_copy ("EP_VENUE_API_KEY", env_key, key, size, err, err_size);
        if (rc == 0)
            rc = s_env_copy ("EP_VENUE_API_SECRET", env_secret, secret, size, err, err_size);
        s_env_forget ("EP_VENUE_API_KEY");
        s_env_forget ("EP_VENUE_API_SECRET");
        return rc;
    }
    //  One of them alone is not used, and not left there either.
    s_env_forget ("EP_VENUE_API_KEY");
    s_env_forget ("EP_VENUE_API_SECRET");
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, err_size, "no venue keys: %s cannot be read, and EP_VENUE_API_KEY and "
                  "EP_VENUE_API_SECRET are not set", path);
        return -1;
    }
    struct stat st;
    if (fstat (fileno (file), &st) || (st.st_mode & 077)) {
        snprintf (err, err_size, "keys file %s is open to group or others (mode %04o): "
                  "chmod 600 it", path, (unsigned) (st.st_mode & 07777));
        fclose (file);
        return -1;
    }
    //  stdio reads through this buffer, which is zeroed after.
    char buffer [BUFSIZ];
    setvbuf (file, buffer, _IOFBF, sizeof buffer);
    char line [1024], name [32], value [512];
    while (fgets (line, sizeof line, file)) {
        if (sscanf (line, " %31[a-z_] = %511s", name, value) != 2)
            continue;
        if (streq (name, "api_key"))
            snprintf (key, size, "%s", value);
        else
        if (streq (name, "api_secret"))
            snprintf (secret, size, "%s", value);
    }
    fclose (file);
    sodium_memzero (buffer, sizeof buffer);
    sodium_memzero (line, sizeof line);
    sodium_memzero (value, sizeof value);
    if (!*key || !*secret) {
        snprintf (err, err_size, "keys file %s needs `api_key = ...` and `api_secret = ...`",
                  path);
        return -1;
    }
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-live [--config FILE] [--cert NAME] [--insecure] [--log-json]\n"
        "\n"
        "The live execution plane's worker: submits intents dispatched on exec.live\n"
        "to the venue (live/venue, live/base_url), writing each attempt to the audit\n"
        "(live/audit) before it is sent and its result after; never retries; follows\n"
        "resting orders with status queries (live/poll_ms). An attempt whose result\n"
        "was never written (the worker died) is reported UNKNOWN at the next start,\n"
        "never sent again.\n"
        "\n"
        "Venue keys: the file live/keys with lines `api_key = ...` and\n"
        "`api_secret = ...` (mode 600: one open to group or others is refused), or\n"
        "EP_VENUE_API_KEY and EP_VENUE_API_SECRET (taken out of the environment once\n"
        "read). They never reach a log, the audit, the journal or a report.\n"
        "\n"
        "One ep-live per audit (the file is locked), and one serves the plane: it\n"
        "sends only what the router dispatches to its own session.\n"
        "\n"
        "  --config FILE   ZPL configuration (default: built-in defaults)\n"
        "  --cert NAME     this program's certificate: CERTS/NAME_secret (default live)\n"
        "  --insecure      run without CURVE, in the clear (logged as a warning)\n"
        "  --log-json      log one JSON object per line (ts, level, component,\n"
        "                  strategy_id and intent_id where there is one, msg)\n"
        "  --version       print the version and exit\n"
        "  --help          this text\n"
        "\n"
        "Configuration: router/dispatch, router/results, router/query (where the\n"
        "router is), router/heartbeat_ms, router/hwm; live/venue, live/base_url,\n"
        "live/keys, live/audit, live/recv_window_ms, live/connect_timeout_ms,\n"
        "live/timeout_ms (per request), live/poll_ms; live/metrics (HOST:PORT on\n"
        "loopback: /metrics and /healthz over HTTP); security/curve, security/certs.\n"
        "\n"
        "Logs go to standard error. On SIGINT or SIGTERM the request in flight\n"
        "finishes and is written down; requests still queued are reported FAILED\n"
        "NOT_SENT. Exit: 0 clean stop, 1 failure, 2 bad usage or configuration.\n");
}

//  Drops every job queued and not yet sent, with why: each submission is
//  reported FAILED / NOT_SENT (nothing left for the venue), each query is
//  asked again later, if at all.
static void
s_drop_jobs (s_worker_t *self, const char *why)
{
    s_job_t *job;
    while ((job = zlistx_detach (self->jobs, NULL))) {
        const ep_intent_t *intent = job->dispatch->intent;
        if (job->kind == EP_AUDIT_SUBMIT)
            s_report_plain (self, job->dispatch, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT),
                            true, why, false);
        else {
            char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
            ep_venue_client_order_id (intent->strategy_id, intent->intent_id, client_order_id);
            s_order_t *order = zhashx_lookup (self->orders, client_order_id);
            if (order)
                order->querying = false;
            ep_log_intent (EP_LOG_INFO, intent->strategy_id, intent->intent_id,
                           ": %s query not asked: %s", s_kind_name (job->kind), why);
        }
        s_job_destroy (&job);
    }
}

//  Whether the dispatch is for this worker: the router names, in each,
//  the live worker session it adopted. Any other is ignored, and said so
//  (the first time, then at most every S_IGNORED_LOG_MS with a count). A
//  dispatch for another session after one for this session means the
//  router adopted another worker: what this one queued is not sent, and
//  it follows no order any more.
static bool
s_dispatch_is_ours (s_worker_t *self, const ep_dispatch_t *dispatch)
{
    const char *named = dispatch->worker_session ? dispatch->worker_session : "";
    if (streq (named, self->session)) {
        self->own_seen = true;
        self->superseded = false;
        return true;
    }
    //  The router's text, but it reaches the log: one clean line.
    char other [80];
    ep_utf8_clean (other, sizeof other, named, strlen (named));
    const ep_intent_t *intent = dispatch->intent;
    if (*named && self->own_seen && !self->superseded) {
        self->superseded = true;
        ep_log_warn ("session %s: the router dispatched router_seq %llu to live worker "
                     "session %s: this worker is no longer the live plane's worker; %zu "
                     "queued request(s) dropped unsent", self->session,
                     (unsigned long long) dispatch->router_seq, other,
                     zlistx_size (self->jobs));
        s_drop_jobs (self, "not sent: this worker is no longer the live plane's worker");
    }
    self->ignored++;
    int64_t now = ep_sock_clock_ms ();
    if (now >= self->next_ignored_log_ms) {
        char count [80] = "";
        if (self->ignored > 1)
            snprintf (count, sizeof count, " (%llu dispatches ignored since the last such line)",
                      (unsigned long long) self->ignored);
        if (*named)
            ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                           ": dispatch router_seq %llu names live worker session %s, not this "
                           "one (%s): another live worker serves the plane; this one submits "
                           "nothing%s", (unsigned long long) dispatch->router_seq, other,
                           self->session, count);
        else
            ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                           ": dispatch router_seq %llu names no live worker session, not this "
                           "one (%s): a router that does not name the worker it adopted is "
                           "not served; this one submits nothing%s",
                           (unsigned long long) dispatch->router_seq, self->session, count);
        self->ignored = 0;
        self->next_ignored_log_ms = now + S_IGNORED_LOG_MS;
    }
    return false;
}

static void
s_handle_dispatch (s_worker_t *self, const uint8_t *data, size_t size)
{
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, size, data);
    if (!dispatch || dispatch->plane != EP_PLANE (LIVE)) {
        ep_log_error ("undecodable dispatch (%zu bytes) ignored", size);
        if (dispatch)
            execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return;
    }
    //  Heard on our own subscription: repeated in every message, so the
    //  router knows this connection still receives its intents.
    if (dispatch->probe > self->probe)
        self->probe = dispatch->probe;
    //  A router that started anew (its hello, or a dispatch from it).
    if (strcmp (dispatch->router_boot, self->boot))
        s_claim_and_resync (self);
    if (!dispatch->intent || !s_dispatch_is_ours (self, dispatch)) {
        execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return;
    }
    s_queue (self, dispatch->reconcile ? EP_AUDIT_RECONCILE : EP_AUDIT_SUBMIT, dispatch);
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config", required_argument, 0, 'c' },
        { "insecure", no_argument, 0, 'i' },
        { "cert", required_argument, 0, 'C' },
        { "log-json", no_argument, 0, 'J' },
        { "version", no_argument, 0, 'V' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *config_path = NULL;
    bool insecure = false;
    const char *cert = "live";
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'c': config_path = optarg; break;
            case 'i': insecure = true; break;
            case 'C': cert = optarg; break;
            case 'J': ep_log_json (true); break;
            case 'V': printf ("ep-live (execplane) %s\n", EP_VERSION); return 0;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "ep-live: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    ep_log_init ("live");
    //  Before any secret is read: none of them may reach a core file.
    if (ep_security_no_dumps ())
        return 1;
    s_worker_t self = { .next_heartbeat_ms = 0, .audit_ok = true };
    static const double seconds [] = { 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3,
                                       500e-3, 1, 2.5, 5, 10, 30 };
    for (int kind = 0; kind < S_KINDS; kind++)
        ep_histogram_init (&self.venue_seconds [kind], seconds, sizeof seconds / sizeof *seconds);
    char err [2048];
    int setup = ep_security_setup ("ep-live", config_path, insecure, cert, &self.config);
    if (setup)
        return setup;
    if (!streq (self.config.venue, "binance")) {
        fprintf (stderr, "ep-live: unknown venue '%s' (known: binance)\n", self.config.venue);
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    //  A full disk makes a write fail (the audit keeps the result), not
    //  the process die.
    signal (SIGXFSZ, SIG_IGN);
    //  The adapter keeps its own copies, in sodium_malloc memory; these
    //  are zeroed as soon as it has them.
    char key [512], secret [512];
    if (s_load_keys (self.config.keys, key, secret, sizeof key, err, sizeof err)) {
        sodium_memzero (key, sizeof key);
        sodium_memzero (secret, sizeof secret);
        fprintf (stderr, "ep-live: %s\n", err);
        return 1;
    }
    ep_binance_config_t binance = {
        .base_url = self.config.base_url, .api_key = key, .api_secret = secret,
        .recv_window_ms = self.config.recv_window_ms,
        .connect_timeout_ms = self.config.connect_timeout_ms,
        .timeout_ms = self.config.timeout_ms
    };
    self.venue = ep_venue_binance_new (&binance, err, sizeof err);
    sodium_memzero (secret, sizeof secret);
    sodium_memzero (key, sizeof key);
    if (!self.venue) {
        fprintf (stderr, "ep-live: %s\n", err);
        return 1;
    }
    //  Locked for as long as this process runs: another ep-live on the
    //  same audit stops here.
    self.audit = ep_audit_open (self.config.audit, err, sizeof err);
    if (!self.audit) {
        fprintf (stderr, "ep-live: %s\n", err);
        self.venue->destroy (&self.venue);
        return 1;
    }
    zsys_init ();
    ep_signal_catch ("ep-live");
    uint8_t nonce [16];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (self.session, sizeof self.session, nonce, sizeof nonce);
    self.jobs = zlistx_new ();
    self.orders = zhashx_new ();
    zhashx_set_destructor (self.orders, s_order_destroy);
    self.intents = ep_sock_new (ZMQ_SUB, self.config.dispatch, false, err, sizeof err);
    if (self.intents) {
        zsock_set_rcvhwm (self.intents, (int) self.config.hwm);
        self.results = ep_sock_new (ZMQ_PUSH, self.config.results, false, err, sizeof err);
    }
    if (self.results)
        self.query = ep_sock_new (ZMQ_DEALER, self.config.query, false, err, sizeof err);
    if (!self.query) {
        fprintf (stderr, "ep-live: %s\n", err);
        return 1;
    }
    self.sender = zactor_new (s_sender_actor, self.venue);
    ep_log_info ("session %s: venue %s at %s, audit %s", self.session, self.venue->name,
                 self.config.base_url, self.config.audit);
    if (*self.config.live_metrics) {
        self.metrics = ep_metrics_start (self.config.live_metrics, 3 * S_RESTORE_RETRY_MS,
                                         err, sizeof err);
        if (!self.metrics) {
            fprintf (stderr, "ep-live: %s\n", err);
            return 1;
        }
    }
    //  The plane first, so the router takes this session's reports. Then
    //  what the last run left: attempts with no result are UNKNOWN, never
    //  sent again; resting orders are followed again.
    ep_restore_reply_t *claimed = s_claim_plane (&self);
    int rc = claimed ? 0 : -1;
    //  Subscribed only once it serves the plane: a worker standing by
    //  reads no intents, and a queue nobody reads would hold every
    //  dispatch back (dispatch never drops). The router counts the plane
    //  alive once this worker repeats the probe its subscription brings.
    if (claimed)
        zsock_set_subscribe (self.intents, "exec.live");
    if (claimed) {
        ep_audit_unfinished (self.audit, s_recover_attempt, &self);
        ep_audit_orders (self.audit, s_recover_order, &self);
        s_resync (&self, claimed);
        execplane__v1__restore_reply__free_unpacked (claimed, NULL);
    }
    void *intents = zsock_resolve (self.intents);
    void *sender = zsock_resolve (self.sender);
    while (rc == 0 && !zsys_interrupted) {
        ep_security_nag ();
        int64_t now = ep_sock_clock_ms ();
        if (now >= self.next_heartbeat_ms)
            s_heartbeat (&self);
        if (ep_audit_waiting (self.audit) && now >= self.next_audit_retry_ms) {
            //  The last write is these: all written, the audit is writable.
            self.audit_ok = ep_audit_retry (self.audit) == 0;
            self.next_audit_retry_ms = now + S_AUDIT_RETRY_MS;
        }
        s_poll_orders (&self);
        zmq_pollitem_t items [] = {
            { intents, 0, ZMQ_POLLIN, 0 },
            { sender, 0, ZMQ_POLLIN, 0 },
        };
        int64_t wait = self.next_heartbeat_ms - ep_sock_clock_ms ();
        if (zmq_poll (items, 2, wait > 0 ? (long) wait : 0) < 0)
            continue;
        //  Dispatches before the sender's answer, which starts the next
        //  request: one for another session says that none may start.
        for (int i = 0; i < 256 && (items [0].revents & ZMQ_POLLIN); i++) {
            zmq_msg_t topic, body;
            zmq_msg_init (&topic);
            zmq_msg_init (&body);
            if (zmq_msg_recv (&topic, intents, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&topic);
                zmq_msg_close (&body);
                break;
            }
            if (zmq_msg_more (&topic) && zmq_msg_recv (&body, intents, 0) >= 0)
                s_handle_dispatch (&self, zmq_msg_data (&body), zmq_msg_size (&body));
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
        }
        if (items [1].revents & ZMQ_POLLIN) {
            s_job_t *job = NULL;
            if (zsock_recv (self.sender, "p", &job) == 0 && job)
                s_on_sent (&self, job);
        }
        if (self.metrics && ep_sock_clock_ms () >= self.next_metrics_ms)
            s_update_metrics (&self);
    }
    ep_log_info ("session %s: stopping", self.session);
    //  A request in flight finishes (bounded by the venue timeout) and its
    //  result is written down before the worker goes.
    if (self.sending) {
        s_job_t *job = NULL;
        zsock_set_rcvtimeo (self.sender, (int) self.config.timeout_ms + 1000);
        if (zsock_recv (self.sender, "p", &job) == 0 && job)
            s_on_sent (&self, job);
    }
    zactor_destroy (&self.sender);
    ep_metrics_stop (&self.metrics);
    ep_prom_free (&self.prom);
    //  Never written down, never sent: said so for each submission.
    s_drop_jobs (&self, "the live worker stopped before sending it: nothing was sent");
    //  After its last reports: the plane is unavailable from now on, and
    //  the next worker may claim it at once.
    if (self.claimed)
        s_signal (&self, "bye", ZMQ_DONTWAIT);   //  never waits: the router may be gone
    zlistx_destroy (&self.jobs);
    zhashx_destroy (&self.orders);
    zsock_destroy (&self.intents);
    zsock_destroy (&self.query);
    zsock_destroy (&self.results);
    self.venue->destroy (&self.venue);
    //  A last chance for the results the audit kept; it says what is lost.
    ep_audit_retry (self.audit);
    ep_audit_destroy (&self.audit);
    return 0;
}
