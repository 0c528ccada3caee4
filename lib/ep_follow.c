/*  ep_follow: live subscription plus query-based gap filling.  */
#include <czmq.h>
#include "ep_follow.h"
#include "ep_endpoints.h"
#include "ep_security.h"
#include "ep_sock.h"

#define S_QUERY_LIMIT 1000

struct _ep_follow_t {
    zsock_t *sub;                       //  outcomes: outcome.*, plane
    zsock_t *query;                     //  DEALER to the router's query socket
    uint64_t from_seq;                  //  as asked; 0 = after the newest
    uint64_t next_seq;                  //  the next seq to hand out
    bool ready;                         //  first plane state seen
    bool asking;                        //  a query is outstanding
    uint64_t asked_to;                  //  its upper bound (0: the newest)
    zlistx_t *held;                     //  live reports past a gap (ep_report_t *)
    zlistx_t *ready_reports;            //  in order, ready to hand out
    ep_plane_state_t *plane;            //  newest plane state
    bool plane_fresh;                   //  a plane state arrived since last asked
    bool polling;                       //  a strategy key: reports come by query only
    uint64_t chain_row;                 //  the journal's chain head, from stats
    char chain_head [17];               //  (its row, and its hash's first 16 hex digits)
    bool chain_fresh;                   //  a new head since it was last asked
    //  The router followed, and its loss (README "Two routers")
    zsock_t *watch;                     //  PAIR: the subscription's socket events
    char outcomes [EP_ENDPOINT_MAX];    //  its endpoints, one per router
    unsigned drops;                     //  dropped since last told (ep_sock_dropped)
    uint64_t drops_losses;              //  losses before the first of them
    unsigned established;               //  connections made (ep_sock_dropped)
    int64_t heard_ms;                   //  when the last plane state came
    bool lost;                          //  the router went away; none heard since
    bool dropped;                       //  its connection dropped; none heard since
    uint64_t losses;                    //  connections dropped so far (counted once a
                                        //  router heard)
    int64_t back_ms;                    //  when a router was heard again after the last
    uint64_t settle_seq;                //  caught up through this: the loss is settled
    bool settling;                      //  settle_seq is set
    uint64_t settled;                   //  losses settled so far
    int64_t paper_deadline_ms;          //  the routers' (router/paper_deadline_ms),
    int64_t live_deadline_ms;           //  as the configuration says
    //  What became of intents (frame "intents"): the newest answer
    Execplane__V1__IntentsReply *fates;
    bool fates_refused;                 //  a request refused since last told
};

//  No plane state for this long: the router is lost (it publishes one at
//  least once a second).
#define S_LOST_MS 3000
//  After a loss, a router heard for this long, plus the deadline of its
//  active plane, has read what was sent to it before it was heard and
//  reported on it (every intent the router reads has a report by its
//  plane's deadline): what has no report then was never read.
#define S_SETTLE_MS 1000
//  The longest a wait goes without looking at the clock.
#define S_TICK_MS 250

//  How often a strategy key asks for news while it waits.
#define S_POLL_MS 20

//  Disconnects sub from every endpoint of list and connects it again.
static int
s_connect_watched (zsock_t *sub, const char *list, char *err, size_t err_size)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    int count = ep_endpoints_split (list, items, err, err_size);
    for (int i = 0; i < count; i++)
        zsock_disconnect (sub, "%s", items [i]);
    return count < 0 ? -1 : ep_endpoints_connect (sub, list, err, err_size);
}

ep_follow_t *
ep_follow_new (const ep_config_t *config, uint64_t from_seq, char *err, size_t err_size)
{
    ep_follow_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->from_seq = from_seq;
    self->held = zlistx_new ();
    self->ready_reports = zlistx_new ();
    //  A strategy or safety key may not subscribe to outcome.*: the router
    //  filters its reports to its own strategies on the query path instead.
    zcert_t *cert = ep_security_cert ();
    const char *role = cert ? zcert_meta (cert, "role") : NULL;
    self->polling = role && (streq (role, "strategy") || streq (role, "safety"));
    self->sub = ep_sock_new (ZMQ_SUB, config->outcomes, false, err, err_size);
    if (self->sub) {
        zsock_set_rcvhwm (self->sub, 0);
        if (!self->polling)
            zsock_set_subscribe (self->sub, "outcome.");
        //  Subscriptions travel in order: once `plane` flows, so do reports.
        zsock_set_subscribe (self->sub, "plane");
        self->query = ep_sock_new (ZMQ_DEALER, config->query, false, err, err_size);
    }
    //  A router's going away is told at once (a reset, or ZMTP heartbeats
    //  unanswered), not only by its silence. The subscription connects
    //  again once watched: a connection made before would never be told
    //  as made, and so its drop would not count (ep_sock_dropped).
    if (self->query)
        self->watch = ep_sock_watch (self->sub, err, err_size);
    if (self->watch && s_connect_watched (self->sub, config->outcomes, err, err_size))
        ep_sock_unwatch (self->sub, &self->watch);
    snprintf (self->outcomes, sizeof self->outcomes, "%s", config->outcomes);
    self->paper_deadline_ms = config->paper_deadline_ms;
    self->live_deadline_ms = config->live_deadline_ms;
    if (!self->watch)
        ep_follow_destroy (&self);
    return self;
}

static void
s_free_reports (zlistx_t **list_p)
{
    if (!*list_p)
        return;
    ep_report_t *report;
    while ((report = zlistx_detach (*list_p, NULL)))
        execplane__v1__execution_report__free_unpacked (report, NULL);
    zlistx_destroy (list_p);
}

void
ep_follow_destroy (ep_follow_t **self_p)
{
    ep_follow_t *self = *self_p;
    if (!self)
        return;
    ep_sock_unwatch (self->sub, &self->watch);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->query);
    s_free_reports (&self->held);
    s_free_reports (&self->ready_reports);
    if (self->plane)
        execplane__v1__plane_state__free_unpacked (self->plane, NULL);
    if (self->fates)
        execplane__v1__intents_reply__free_unpacked (self->fates, NULL);
    free (self);
    *self_p = NULL;
}

static void
s_ask (ep_follow_t *self, uint64_t to_seq)
{
    ep_query_request_t request;
    execplane__v1__query_request__init (&request);
    request.from_seq = self->next_seq;
    request.to_seq = to_seq;
    request.limit = S_QUERY_LIMIT;
    uint8_t data [64];
    size_t size = execplane__v1__query_request__pack (&request, data);
    //  With no router to take it now, it is asked again when one is heard.
    if (ep_sock_send2 (self->query, "reports", data, size, ZMQ_DONTWAIT))
        return;
    self->asking = true;
    self->asked_to = to_seq;
}

//  The router went away: its connection dropped, or it fell silent. What
//  was asked of it will not be answered; the next router heard is asked
//  from where the reports stopped. Only a dropped connection loses what
//  was sent on it: a router merely silent (a commit that waits for a full
//  disk) still holds what it has not read yet.
static void
s_lose (ep_follow_t *self, bool dropped)
{
    if (!self->ready)
        return;
    if (dropped && !self->dropped) {
        self->dropped = true;
        self->losses++;
        self->settling = false;
    }
    if (!self->lost) {
        self->lost = true;
        self->asking = false;
    }
}

//  Moves held live reports that are now in order to the ready list, and
//  asks for the range before the first held one if there is a gap.
static void
s_settle (ep_follow_t *self)
{
    ep_report_t *report;
    while ((report = zlistx_first (self->held))) {
        if (report->seq < self->next_seq) {
            zlistx_detach_cur (self->held);
            execplane__v1__execution_report__free_unpacked (report, NULL);
        }
        else
        if (report->seq == self->next_seq) {
            zlistx_detach_cur (self->held);
            zlistx_add_end (self->ready_reports, report);
            self->next_seq++;
        }
        else {
            if (!self->asking)
                s_ask (self, report->seq - 1);
            break;
        }
    }
}

static void
s_on_reply (ep_follow_t *self, const uint8_t *data, size_t size)
{
    self->asking = false;
    ep_query_reply_t *reply = execplane__v1__query_reply__unpack (NULL, size, data);
    if (!reply)
        return;
    //  The reply covers every seq up to through_seq: one missing in it was
    //  examined and is not ours to see (a strategy key sees its own only).
    for (size_t i = 0; i < reply->n_reports; i++) {
        ep_report_t *report = execplane__v1__execution_report__unpack (
            NULL, reply->reports [i].len, reply->reports [i].data);
        if (!report)
            continue;
        if (report->seq >= self->next_seq && report->seq <= reply->through_seq) {
            self->next_seq = report->seq + 1;
            zlistx_add_end (self->ready_reports, report);
        }
        else
            execplane__v1__execution_report__free_unpacked (report, NULL);
    }
    if (reply->through_seq >= self->next_seq)
        self->next_seq = reply->through_seq + 1;
    bool more = reply->through_seq < reply->head_seq
             && (self->asked_to == 0 || reply->through_seq < self->asked_to);
    uint64_t to = self->asked_to;
    execplane__v1__query_reply__free_unpacked (reply, NULL);
    if (more)
        s_ask (self, to);
    s_settle (self);
}

static void
s_on_plane (ep_follow_t *self, const uint8_t *data, size_t size)
{
    ep_plane_state_t *state = execplane__v1__plane_state__unpack (NULL, size, data);
    if (!state)
        return;
    if (self->plane)
        execplane__v1__plane_state__free_unpacked (self->plane, NULL);
    self->plane = state;
    self->plane_fresh = true;
    int64_t now = ep_sock_clock_ms ();
    self->heard_ms = now;
    if (!self->ready) {
        self->ready = true;
        self->next_seq = self->from_seq ? self->from_seq : state->last_seq + 1;
    }
    if (self->lost) {
        //  A router again (the same restarted, or another taking over)
        self->lost = false;
        self->back_ms = now;
        self->settling = false;
    }
    self->dropped = false;
    //  Settled once every report journaled by then is handed on.
    int64_t deadline_ms = state->plane == EP_PLANE (LIVE) ? self->live_deadline_ms
                                                           : self->paper_deadline_ms;
    if (self->settled < self->losses && !self->settling
    &&  now >= self->back_ms + S_SETTLE_MS + deadline_ms) {
        self->settle_seq = state->last_seq;
        self->settling = true;
    }
    //  A journaled report we have not seen and nothing live after it: ask.
    if (state->last_seq >= self->next_seq && !self->asking && zlistx_size (self->held) == 0)
        s_ask (self, state->last_seq);
    else
    if (!self->asking)
        s_settle (self);
}

static void
s_on_report (ep_follow_t *self, const uint8_t *data, size_t size)
{
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, data);
    if (!report)
        return;
    if (!self->ready || report->seq < self->next_seq) {
        //  Before ready we do not know where to start; the query brings it.
        execplane__v1__execution_report__free_unpacked (report, NULL);
        return;
    }
    zlistx_add_end (self->held, report);
    s_settle (self);
}

//  An answer to the intents asked about: kept, the newest only.
static void
s_on_fates (ep_follow_t *self, const uint8_t *data, size_t size)
{
    Execplane__V1__IntentsReply *reply = execplane__v1__intents_reply__unpack (NULL, size, data);
    if (!reply)
        return;
    if (self->fates)
        execplane__v1__intents_reply__free_unpacked (self->fates, NULL);
    self->fates = reply;
}

//  The router's counters: the journal's chain head, if it moved.
static void
s_on_stats (ep_follow_t *self, const uint8_t *data, size_t size)
{
    ep_stats_t *stats = execplane__v1__stats__unpack (NULL, size, data);
    if (!stats)
        return;
    if (stats->chain_row != self->chain_row) {
        self->chain_row = stats->chain_row;
        snprintf (self->chain_head, sizeof self->chain_head, "%.16s", stats->chain_head);
        self->chain_fresh = true;
    }
    execplane__v1__stats__free_unpacked (stats, NULL);
}

//  Waits up to timeout_ms for one message and handles it. Returns -1 on
//  timeout or interrupt.
static int
s_pump (ep_follow_t *self, int timeout_ms)
{
    zmq_pollitem_t items [] = {
        { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->query), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->watch), 0, ZMQ_POLLIN, 0 },
    };
    if (timeout_ms < 0 || timeout_ms > S_TICK_MS)
        timeout_ms = S_TICK_MS;
    int rc = zmq_poll (items, 3, timeout_ms);
    ep_follow_check (self);
    if (rc <= 0 || zsys_interrupted)
        return -1;
    if ((items [2].revents & ZMQ_POLLIN) && !(items [0].revents & ZMQ_POLLIN)
    &&  !(items [1].revents & ZMQ_POLLIN))
        return -1;
    if (items [1].revents & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->query);
        char *kind = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        if (kind && body && streq (kind, "reports"))
            s_on_reply (self, zframe_data (body), zframe_size (body));
        else
        if (kind && body && streq (kind, "intents"))
            s_on_fates (self, zframe_data (body), zframe_size (body));
        else
        if (kind && streq (kind, "refused"))
            self->fates_refused = true;
        zstr_free (&kind);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    for (int i = 0; i < 256 && (items [0].revents & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv_nowait (self->sub);
        if (!msg)
            break;
        char *topic = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        if (topic && body) {
            if (streq (topic, "plane"))
                s_on_plane (self, zframe_data (body), zframe_size (body));
            else
            if (streq (topic, "stats"))
                s_on_stats (self, zframe_data (body), zframe_size (body));
            else
            if (strncmp (topic, "outcome.", 8) == 0)
                s_on_report (self, zframe_data (body), zframe_size (body));
        }
        zstr_free (&topic);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    return 0;
}

void
ep_follow_check (ep_follow_t *self)
{
    unsigned dropped = ep_sock_dropped (self->watch, self->outcomes, &self->established);
    if (dropped) {
        if (!self->drops)
            self->drops_losses = self->losses;
        self->drops |= dropped;
        s_lose (self, true);
    }
    if (self->ready && !self->lost && ep_sock_clock_ms () - self->heard_ms > S_LOST_MS)
        s_lose (self, false);
}

unsigned
ep_follow_drops (ep_follow_t *self, uint64_t *losses_before)
{
    ep_follow_check (self);
    unsigned drops = self->drops;
    *losses_before = self->drops ? self->drops_losses : self->losses;
    self->drops = 0;
    return drops;
}

uint64_t
ep_follow_losses (ep_follow_t *self)
{
    return self->losses;
}

uint64_t
ep_follow_settled (ep_follow_t *self)
{
    if (self->settling && !self->lost && self->next_seq > self->settle_seq
    &&  zlistx_size (self->ready_reports) == 0) {
        self->settled = self->losses;
        self->settling = false;
    }
    return self->settled;
}

bool
ep_follow_heard (ep_follow_t *self)
{
    ep_follow_check (self);
    return self->ready && !self->lost && !self->dropped;
}

int
ep_follow_ask_fates (ep_follow_t *self, const Execplane__V1__IntentsRequest *request)
{
    size_t size = execplane__v1__intents_request__get_packed_size (request);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return -1;
    execplane__v1__intents_request__pack (request, data);
    int rc = ep_sock_send2 (self->query, "intents", data, size, ZMQ_DONTWAIT);
    free (data);
    return rc ? -1 : 0;
}

Execplane__V1__IntentsReply *
ep_follow_fates (ep_follow_t *self, bool *refused)
{
    Execplane__V1__IntentsReply *reply = self->fates;
    self->fates = NULL;
    *refused = self->fates_refused;
    self->fates_refused = false;
    return reply;
}

void
ep_follow_watch_chain (ep_follow_t *self)
{
    zsock_set_subscribe (self->sub, "stats");
}

bool
ep_follow_chain (ep_follow_t *self, uint64_t *row, char head [17])
{
    bool fresh = self->chain_fresh;
    self->chain_fresh = false;
    *row = self->chain_row;
    snprintf (head, 17, "%s", self->chain_head);
    return fresh;
}

int
ep_follow_ready (ep_follow_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    while (!self->ready) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 || s_pump (self, left) < 0) {
            if (zsys_interrupted || (deadline >= 0 && ep_sock_clock_ms () >= deadline))
                return -1;
        }
    }
    return 0;
}

const ep_plane_state_t *
ep_follow_plane (ep_follow_t *self)
{
    return self->plane;
}

ep_report_t *
ep_follow_next (ep_follow_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    while (zlistx_size (self->ready_reports) == 0) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 && deadline >= 0)
            return NULL;
        int wait = self->polling && (left < 0 || left > S_POLL_MS) ? S_POLL_MS : left;
        if (s_pump (self, wait) < 0) {
            if (zsys_interrupted || ep_sock_left_ms (deadline) == 0)
                return NULL;
            if (self->polling && self->ready && !self->asking)
                s_ask (self, 0);
        }
    }
    return zlistx_detach (self->ready_reports, NULL);
}

const ep_plane_state_t *
ep_follow_next_plane (ep_follow_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    self->plane_fresh = false;
    while (!self->plane_fresh) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 && deadline >= 0)
            return NULL;
        if (s_pump (self, left) < 0 && (zsys_interrupted || ep_sock_left_ms (deadline) == 0))
            return NULL;
    }
    return self->plane;
}
