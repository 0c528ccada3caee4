/*  ep_live_stream: the venue's user data stream, as the live plane uses it:
    its connection's life (down, connecting, logging on, subscribing, up),
    and what its frames mean for the orders the plane follows.  */
#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <sodium.h>
#include "ep_decimal.h"
#include "ep_live_fills.h"
#include "ep_live_plane_internal.h"
#include "ep_live_stream.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_ws.h"

#define S_BACKOFF_FIRST_MS  250         //  the first reconnection's wait
#define S_PENDING_MAX       1024        //  orders spoken of before they were followed
#define S_REQUEST_MAX       1024        //  a logon or subscription request's text

typedef enum { S_DOWN, S_CONNECTING, S_LOGGING_ON, S_SUBSCRIBING, S_UP } s_state_t;

static const char *const s_state_names [] = {
    "down", "connecting", "logging on", "subscribing", "up"
};

struct _ep_live_stream_t {
    ep_ws_t *ws;                        //  the connection
    ep_live_stream_config_t config;
    s_state_t state;
    int64_t state_ms;                   //  when it came to this state (monotonic)
    int64_t next_connect_ms;            //  down: when to connect again
    int64_t backoff_ms;                 //  the next reconnection's wait
    int64_t down_since_ms;              //  when it went down after being up (wall; 0: never)
    bool was_up;                        //  it was up once: the next up is a reconnection
    uint64_t requests;                  //  our requests so far (their ids)
    char request_id [40];               //  the answer awaited
    char problem [256];                 //  why it is down
    zhashx_t *pending;                  //  client order ids spoken of before followed
    zhashx_t *balances;                 //  asset -> ep_venue_balance_t, as last told
    uint64_t frames;                    //  frames read
    uint64_t trades;                    //  trades reported from it
    uint64_t disconnects;               //  times it went down after being up
    uint64_t gaps;                      //  trades it skipped (their orders queried)
    uint64_t unreadable;                //  frames it sent that could not be read
    ep_histogram_t fill_seconds;        //  a trade's venue time to its report
};

#define s_wall ep_live_plane_wall
#define s_now ep_live_plane_now

//  ---------------------------------------------------------------------
//  The connection's life

static void
s_set_state (ep_live_plane_t *plane, s_state_t state)
{
    plane->stream->state = state;
    plane->stream->state_ms = s_now (plane);
}

//  An event for the router's journal (kind), and the same in the audit
//  (observed).
static void
s_tell (ep_live_plane_t *plane, const char *kind, const char *observed, const char *detail)
{
    ep_live_stream_t *self = plane->stream;
    ep_audit_observe (plane->audit, observed, 0, NULL, detail);
    if (self->config.event)
        self->config.event (self->config.event_arg, kind, detail);
}

//  Queries of resting orders go every poll_ms from now on, and each is
//  queried once now: what the stream did not say (or what happened while
//  it was down) is learned.
static void
s_poll_every (ep_live_plane_t *plane, int64_t poll_ms)
{
    plane->poll_now_ms = poll_ms;
    ep_live_follow_set_poll_ms (plane->orders, poll_ms);
    for (ep_live_order_t *order = ep_live_follow_first (plane->orders); order;
         order = ep_live_follow_next (plane->orders))
        order->next_poll_ms = 0;
}

static void
s_up (ep_live_plane_t *plane)
{
    ep_live_stream_t *self = plane->stream;
    s_set_state (plane, S_UP);
    self->backoff_ms = S_BACKOFF_FIRST_MS;
    char detail [200];
    size_t resting = ep_live_follow_size (plane->orders);
    if (self->was_up)
        snprintf (detail, sizeof detail, "subscribed again after %lld ms down: %zu resting "
                  "order(s) queried once", (long long) (s_wall (plane) - self->down_since_ms),
                  resting);
    else
        snprintf (detail, sizeof detail, "subscribed: %zu resting order(s) queried once",
                  resting);
    self->was_up = true;
    ep_log_info ("stream: %s; orders are queried every %lld ms while it is up", detail,
                 (long long) self->config.poll_ms);
    s_tell (plane, "stream-up", "subscribed", detail);
    s_poll_every (plane, self->config.poll_ms);
}

//  The stream is down, for why: polling resumes at once, and it is
//  connected again after the backoff.
static void
s_down (ep_live_plane_t *plane, const char *why)
{
    ep_live_stream_t *self = plane->stream;
    if (self->state == S_DOWN)
        return;
    bool was_up = self->state == S_UP;
    s_set_state (plane, S_DOWN);
    snprintf (self->problem, sizeof self->problem, "%s", why);
    self->next_connect_ms = s_now (plane) + self->backoff_ms;
    char detail [400];
    snprintf (detail, sizeof detail, "%s; connecting again in %lld ms", why,
              (long long) self->backoff_ms);
    self->backoff_ms = self->backoff_ms * 2 > self->config.backoff_max_ms
                     ? self->config.backoff_max_ms : self->backoff_ms * 2;
    if (!was_up) {
        ep_log_warn ("stream: not up: %s", detail);
        ep_audit_observe (plane->audit, "disconnected", 0, NULL, detail);
        return;
    }
    self->disconnects++;
    self->down_since_ms = s_wall (plane);
    ep_log_warn ("stream: down: %s; resting orders are queried every %lld ms meanwhile",
                 detail, (long long) plane->poll_ms);
    s_tell (plane, "stream-down", "disconnected", detail);
    s_poll_every (plane, plane->poll_ms);
}

//  Sends the request of step (0 logon, 1 subscription) and waits for its
//  answer.
static void
s_request (ep_live_plane_t *plane, int step)
{
    ep_live_stream_t *self = plane->stream;
    char text [S_REQUEST_MAX];
    snprintf (self->request_id, sizeof self->request_id, "%s-%llu",
              step == 0 ? "logon" : "subscribe", (unsigned long long) ++self->requests);
    if (plane->venue->stream_request (plane->venue, step, ep_live_plane_venue_time (plane),
                                      self->request_id, text, sizeof text)) {
        ep_ws_close (self->ws, "the request does not fit");
        s_down (plane, "the stream's request could not be made");
        return;
    }
    ep_ws_send (self->ws, text);
    sodium_memzero (text, sizeof text);
    s_set_state (plane, step == 0 ? S_LOGGING_ON : S_SUBSCRIBING);
}

static void
s_on_answer (ep_live_plane_t *plane, const ep_venue_stream_event_t *event)
{
    ep_live_stream_t *self = plane->stream;
    if (strcmp (event->request_id, self->request_id)
    ||  (self->state != S_LOGGING_ON && self->state != S_SUBSCRIBING))
        return;                         //  not awaited: nothing to do
    if (!event->ok) {
        char why [400];
        snprintf (why, sizeof why, "the venue refused to %s: %s",
                  self->state == S_LOGGING_ON ? "log on" : "subscribe", event->problem);
        ep_ws_close (self->ws, why);
        s_down (plane, why);
        return;
    }
    if (self->state == S_LOGGING_ON)
        s_request (plane, 1);
    else
        s_up (plane);
}

//  ---------------------------------------------------------------------
//  What the stream says of orders

//  The order followed that event is about, or NULL. A cancel's event names
//  its own request in c and the order canceled in C.
static ep_live_order_t *
s_order_of (ep_live_plane_t *plane, const ep_venue_stream_event_t *event)
{
    ep_live_order_t *order = ep_live_follow_lookup (plane->orders,
                                                    event->order.echoed_client_id);
    if (!order && event->order.status == EP_STATUS (CANCELED) && *event->orig_client_order_id)
        order = ep_live_follow_lookup (plane->orders, event->orig_client_order_id);
    return order;
}

//  The order is asked about at once (unless it is already).
static void
s_query_now (ep_live_order_t *order)
{
    if (!order->querying)
        order->next_poll_ms = 0;
}

//  What the stream said of an order before it was followed.
typedef struct {
    int64_t executed_qty_e8;            //  the most it said executed
    int status;                         //  the status it said last
} s_pending_t;

//  An event on an order not followed: one this plane placed whose
//  submission's answer has not come yet. Once it is followed, it is
//  queried if the stream said more than that answer did.
static void
s_on_unfollowed (ep_live_plane_t *plane, const ep_venue_stream_event_t *event)
{
    ep_live_stream_t *self = plane->stream;
    const char *id = event->order.echoed_client_id;
    s_pending_t *pending = zhashx_lookup (self->pending, id);
    int64_t timestamp_ms, window_ms;
    if (!pending) {
        if (zhashx_size (self->pending) >= S_PENDING_MAX
        ||  ep_audit_submitted (plane->audit, id, &timestamp_ms, &window_ms) != 1
        ||  !(pending = calloc (1, sizeof *pending)))
            return;                     //  not ours, or told already and ended
        zhashx_insert (self->pending, id, pending);
    }
    if (event->order.executed_qty_e8 > pending->executed_qty_e8)
        pending->executed_qty_e8 = event->order.executed_qty_e8;
    pending->status = event->order.status;
}

//  What executed beyond what was told, with no trade of the same size to
//  tell it: a trade the stream skipped. Never guessed: the order is asked.
static void
s_gap (ep_live_plane_t *plane, ep_live_order_t *order, const ep_venue_result_t *result,
       bool trade)
{
    ep_live_stream_t *self = plane->stream;
    self->gaps++;
    char told [EP_DECIMAL_BUFSIZE], says [EP_DECIMAL_BUFSIZE], detail [300];
    snprintf (detail, sizeof detail, "order %s: the stream says %s executed, %s was told and "
              "%s: queried", order->state.client_order_id,
              ep_decimal_format (result->executed_qty_e8, says),
              ep_decimal_format (order->state.executed_qty_e8, told),
              trade ? "its trade does not make up the rest" : "it tells no trade");
    ep_log_warn ("stream: %s", detail);
    s_tell (plane, "stream-gap", "gap", detail);
    s_query_now (order);
}

static void
s_on_order (ep_live_plane_t *plane, const ep_venue_stream_event_t *event)
{
    ep_live_stream_t *self = plane->stream;
    ep_live_order_t *order = s_order_of (plane, event);
    if (!order) {
        s_on_unfollowed (plane, event);
        return;
    }
    const ep_venue_result_t *result = &event->order;
    const ep_intent_t *intent = order->dispatch->intent;
    if (result->orig_qty_e8 != intent->qty_e8 || result->executed_qty_e8 > intent->qty_e8) {
        ep_log_intent (EP_LOG_ERROR, intent->strategy_id, intent->intent_id,
                       ": the stream's figures on %s contradict the order (%s): not trusted, "
                       "the order is queried", order->state.client_order_id, result->reason);
        s_query_now (order);
        return;
    }
    const ep_audit_order_t *known = &order->state;
    //  An amend's new order: the stream's cumulative figures are the venue
    //  order's, what executed before the amend included
    ep_venue_result_t rebased = *result;
    ep_live_rebase (known, &rebased, NULL);
    result = &rebased;
    if (result->executed_qty_e8 < known->executed_qty_e8)
        return;                         //  older than what was told
    if (result->executed_qty_e8 > known->executed_qty_e8) {
        const ep_venue_fill_t *trade = event->trade ? &result->fills [0] : NULL;
        if (!trade || trade->qty_e8 != result->executed_qty_e8 - known->executed_qty_e8) {
            s_gap (plane, order, result, event->trade);
            return;
        }
        self->trades++;
        if (event->event_time_ms > 0) {
            int64_t delay_ms = ep_live_plane_venue_time (plane) - event->event_time_ms;
            ep_histogram_observe (&self->fill_seconds,
                                  (double) (delay_ms > 0 ? delay_ms : 0) / 1e3);
        }
        ep_live_plane_report_streamed (plane, order, result, trade);
        return;
    }
    //  Nothing more executed: news only if the status changed
    if (event->trade || result->status == known->status)
        return;
    if (result->terminal && order->changing) {
        //  The cancel or replace that ended it says so, with its reason
        order->ended_by_stream = true;
        return;
    }
    ep_live_plane_report_streamed (plane, order, result, NULL);
}

static void
s_on_account (ep_live_plane_t *plane, const ep_venue_stream_event_t *event)
{
    ep_live_stream_t *self = plane->stream;
    for (size_t index = 0; index < event->balance_count; index++) {
        const ep_venue_balance_t *told = &event->balances [index];
        ep_venue_balance_t *balance = zhashx_lookup (self->balances, told->asset);
        if (!balance && zhashx_size (self->balances) < 1024) {
            balance = calloc (1, sizeof *balance);
            if (balance)
                zhashx_insert (self->balances, told->asset, balance);
        }
        if (balance)
            *balance = *told;
    }
}

//  A frame: written to the audit first; then what it says is acted on.
static void
s_on_text (ep_live_plane_t *plane, char *text)
{
    ep_live_stream_t *self = plane->stream;
    self->frames++;
    ep_venue_stream_event_t event;
    memset (&event, 0, sizeof event);
    plane->venue->stream_read (plane->venue, text, &event);
    if (event.kind == EP_VENUE_STREAM_ANSWER) {
        ep_audit_observe (plane->audit, "answer", 0, NULL, text);
        s_on_answer (plane, &event);
        ep_venue_stream_event_reset (&event);
        return;
    }
    //  Kept under the order it is about: a cancel's names the cancel in c
    //  and the order in C
    const char *id = event.order.echoed_client_id;
    ep_live_order_t *order = *id ? s_order_of (plane, &event) : NULL;
    if (order)
        id = order->state.client_order_id;
    else
    if (event.order.status == EP_STATUS (CANCELED) && *event.orig_client_order_id)
        id = event.orig_client_order_id;
    bool kept = ep_audit_observe (plane->audit, "event", event.event_time_ms, id, text) == 0;
    if (!kept) {
        //  Nothing is reported that the audit does not hold: asked instead
        plane->audit_ok = false;
        ep_log_error ("stream: an event the audit could not take is not reported%s%s",
                      order ? "; its order is queried: " : "", order ? id : "");
        if (order)
            s_query_now (order);
    }
    else
    if (plane->session.superseded)
        ;                               //  another worker serves the plane and tells it
    else
    if (event.kind == EP_VENUE_STREAM_ORDER)
        s_on_order (plane, &event);
    else
    if (event.kind == EP_VENUE_STREAM_ACCOUNT)
        s_on_account (plane, &event);
    else
    if (event.kind == EP_VENUE_STREAM_ENDED) {
        ep_ws_close (self->ws, event.problem);
        s_down (plane, event.problem);
    }
    else
    if (*event.problem) {
        self->unreadable++;
        ep_log_warn ("stream: a frame not understood: %s%s", event.problem,
                     order ? "; its order is queried" : "");
        if (order)
            s_query_now (order);
    }
    ep_venue_stream_event_reset (&event);
}

//  ---------------------------------------------------------------------
//  The plane's side

//  Frees a balance or a pending word, malloc'd
static void
s_item_free (void **item)
{
    free (*item);
    *item = NULL;
}

ep_live_stream_t *
ep_live_stream_new (ep_live_plane_t *plane, const ep_live_stream_config_t *config)
{
    assert (plane && config);
    ep_venue_t *venue = plane->venue;
    char why [300] = "the venue has none";
    const char *url = venue->stream_url ? venue->stream_url (venue, why, sizeof why) : NULL;
    if (!url) {
        ep_log_info ("stream: none (%s): resting orders are queried every %lld ms", why,
                     (long long) plane->poll_ms);
        return NULL;
    }
    ep_live_stream_t *self = calloc (1, sizeof *self);
    if (!self) {
        ep_log_error ("stream: out of memory: resting orders are queried instead");
        return NULL;
    }
    self->config = *config;
    ep_ws_config_t ws = { .url = url, .connect_timeout_ms = config->connect_timeout_ms,
                          .ping_ms = config->ping_ms, .stall_ms = config->stall_ms };
    self->ws = ep_ws_new (&ws, why, sizeof why);
    self->pending = zhashx_new ();
    self->balances = zhashx_new ();
    if (self->pending)
        zhashx_set_destructor (self->pending, s_item_free);
    if (!self->ws || !self->pending || !self->balances) {
        ep_log_error ("stream: cannot be used (%s): resting orders are queried instead",
                      self->ws ? "out of memory" : why);
        ep_live_stream_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->balances, s_item_free);
    static const double seconds [] = { 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
                                       250e-3, 500e-3, 1, 2.5, 5, 10 };
    ep_histogram_init (&self->fill_seconds, seconds, sizeof seconds / sizeof *seconds);
    self->backoff_ms = S_BACKOFF_FIRST_MS;
    self->state = S_DOWN;
    self->next_connect_ms = 0;          //  at once
    snprintf (self->problem, sizeof self->problem, "not connected yet");
    ep_log_info ("stream: %s; resting orders are queried every %lld ms while it is up, every "
                 "%lld ms while it is down", url, (long long) config->poll_ms,
                 (long long) plane->poll_ms);
    return self;
}

void
ep_live_stream_destroy (ep_live_stream_t **self_p)
{
    assert (self_p);
    ep_live_stream_t *self = *self_p;
    if (!self)
        return;
    ep_ws_destroy (&self->ws);
    zhashx_destroy (&self->pending);
    zhashx_destroy (&self->balances);
    free (self);
    *self_p = NULL;
}

void *
ep_live_stream_socket (ep_live_stream_t *self)
{
    assert (self);
    return ep_ws_socket (self->ws);
}

void
ep_live_stream_on_frames (ep_live_plane_t *plane)
{
    ep_live_stream_t *self = plane->stream;
    if (!self)
        return;
    char *text;
    ep_ws_event_t event;
    while ((event = ep_ws_read (self->ws, &text)) != EP_WS_NOTHING) {
        if (event == EP_WS_OPEN) {
            ep_audit_observe (plane->audit, "connected", 0, NULL, "connected: logging on");
            s_request (plane, 0);
        }
        else
        if (event == EP_WS_CLOSED)
            s_down (plane, text);
        else
            s_on_text (plane, text);
        free (text);
    }
}

void
ep_live_stream_tick (ep_live_plane_t *plane)
{
    ep_live_stream_t *self = plane->stream;
    if (!self)
        return;
    int64_t now = s_now (plane);
    if (self->state == S_DOWN && now >= self->next_connect_ms) {
        s_set_state (plane, S_CONNECTING);
        ep_ws_connect (self->ws);
    }
    else
    if (self->state != S_DOWN && self->state != S_UP
    &&  now - self->state_ms > self->config.connect_timeout_ms + 1000) {
        char why [128];
        snprintf (why, sizeof why, "no answer while %s for %lld ms",
                  s_state_names [self->state], (long long) (now - self->state_ms));
        ep_ws_close (self->ws, why);
        s_down (plane, why);
    }
}

bool
ep_live_stream_up (const ep_live_stream_t *self)
{
    return self && self->state == S_UP;
}

void
ep_live_stream_followed (ep_live_plane_t *plane, const char *client_order_id)
{
    ep_live_stream_t *self = plane->stream;
    s_pending_t *pending = self ? zhashx_lookup (self->pending, client_order_id) : NULL;
    if (!pending)
        return;
    ep_live_order_t *order = ep_live_follow_lookup (plane->orders, client_order_id);
    if (order && (pending->executed_qty_e8 - order->state.base_qty_e8
                  > order->state.executed_qty_e8
                  || pending->status != order->state.status))
        s_query_now (order);
    zhashx_delete (self->pending, client_order_id);
}

void
ep_live_stream_metrics (ep_live_stream_t *self, ep_prom_t *prom)
{
    assert (prom);
    ep_prom_one (prom, "execplane_live_stream_up", "gauge",
                 "1 while the venue's user data stream is subscribed and heard",
                 ep_live_stream_up (self));
    if (!self)
        return;
    ep_prom_one (prom, "execplane_live_stream_frames_total", "counter",
                 "Frames read from the venue's user data stream", (int64_t) self->frames);
    ep_prom_one (prom, "execplane_live_stream_trades_total", "counter",
                 "Trades reported as the stream told them", (int64_t) self->trades);
    ep_prom_one (prom, "execplane_live_stream_disconnects_total", "counter",
                 "Times the stream went down after being up", (int64_t) self->disconnects);
    ep_prom_one (prom, "execplane_live_stream_gaps_total", "counter",
                 "Trades the stream skipped (their orders were queried)",
                 (int64_t) self->gaps);
    ep_prom_one (prom, "execplane_live_stream_unreadable_total", "counter",
                 "Frames from the stream that could not be read", (int64_t) self->unreadable);
    ep_prom_family (prom, "execplane_live_stream_fill_seconds", "histogram",
                    "From a trade's time at the venue to its report");
    ep_prom_histogram (prom, "execplane_live_stream_fill_seconds", NULL, &self->fill_seconds);
    ep_prom_family (prom, "execplane_venue_balance", "gauge",
                    "The account's balances as the stream last told them, by asset and "
                    "kind (free, locked)");
    for (ep_venue_balance_t *balance = zhashx_first (self->balances); balance;
         balance = zhashx_next (self->balances)) {
        char asset [64], labels [128];
        ep_prom_label_escape (asset, sizeof asset, balance->asset);
        snprintf (labels, sizeof labels, "asset=\"%s\",kind=\"free\"", asset);
        ep_prom_double (prom, "execplane_venue_balance", labels,
                        (double) balance->free_e8 / EP_E8);
        snprintf (labels, sizeof labels, "asset=\"%s\",kind=\"locked\"", asset);
        ep_prom_double (prom, "execplane_venue_balance", labels,
                        (double) balance->locked_e8 / EP_E8);
    }
}

void
ep_live_stream_health (ep_live_stream_t *self, char *json, size_t size)
{
    if (!self) {
        snprintf (json, size, "\"stream\":\"none\"");
        return;
    }
    json_t *problem = json_string (self->state == S_UP ? "" : self->problem);
    char *quoted = problem ? json_dumps (problem, JSON_ENCODE_ANY) : NULL;
    snprintf (json, size, "\"stream\":\"%s\"%s%s", s_state_names [self->state],
              self->state == S_UP || !quoted ? "" : ",\"stream_problem\":",
              self->state == S_UP || !quoted ? "" : quoted);
    free (quoted);
    json_decref (problem);
}
