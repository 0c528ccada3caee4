/*  ep_router: the lifecycle and the loop. Each turn reads what is ready,
    socket by socket, through the module that owns it; then the turn's
    deadlines; then one commit; and only then publishes and dispatches
    (ep_delivery) and answers queries, which read only what is committed.  */
#include <czmq.h>
#include <time.h>
#include <sodium.h>
#include "ep_router_internal.h"
#include "ep_endpoints.h"
#include "ep_log.h"
#include "ep_security.h"
#include "ep_sock.h"

int64_t
ep_router_wall_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

uint8_t *
ep_router_pack (const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *data = malloc (*size ? *size : 1);
    if (data)
        protobuf_c_message_pack (message, data);
    return data;
}

const char *
ep_router_strerror (ep_router_status_t status)
{
    switch (status) {
        case EP_ROUTER_OK:              return "ok";
        case EP_ROUTER_JOURNAL_WRITE:   return "journal write failed";
        case EP_ROUTER_NO_MEMORY:       return "out of memory";
        case EP_ROUTER_JOURNAL_COMMIT:  return "journal commit failed";
        case EP_ROUTER_UNCOMMITTED:     return "stopped with writes never committed";
        case EP_ROUTER_JOURNAL_SYNC:    return "journal sync failed";
        case EP_ROUTER_LEASE_LOST:      return "the lease was lost: another router is active";
    }
    return "?";
}

ep_router_status_t
ep_router_journaled (ep_journal_status_t status)
{
    return status == EP_JOURNAL_OK ? EP_ROUTER_OK : EP_ROUTER_JOURNAL_WRITE;
}

bool
ep_router_recv (void *handle, zmq_msg_t *msg)
{
    zmq_msg_init (msg);
    if (zmq_msg_recv (msg, handle, ZMQ_DONTWAIT) >= 0)
        return true;
    zmq_msg_close (msg);
    return false;
}

ep_router_status_t
ep_router_event (ep_router_t *self, const char *kind, const char *detail)
{
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_event (self->journal, self->last_seq, kind, detail))
        return EP_ROUTER_JOURNAL_WRITE;
    return EP_ROUTER_OK;
}

//  --------------------------------------------------------------------------
//  The loop

//  The sockets the loop polls, by name. Intake comes last, so that it can
//  be left out (back-pressure, draining) by polling one slot fewer.
typedef enum {
    S_SLOT_CONTROL,
    S_SLOT_RESULTS,
    S_SLOT_QUERY,
    S_SLOT_DISPATCH,                    //  (un)subscriptions of workers
    S_SLOT_OUTCOMES,                    //  (un)subscriptions of clients
    S_SLOT_ZAP,                         //  handshakes under CURVE
    S_SLOT_INTAKE,
    S_SLOTS
} s_slot_t;

//  A handler of two-frame messages (kind or topic, body, sender's User-Id).
typedef ep_router_status_t (s_frames_fn) (ep_router_t *self, const char *kind,
                                          const uint8_t *data, size_t size,
                                          const char *user_id);

//  Reads up to a batch of two-frame messages from socket, handing each to
//  fn, until one fails.
static ep_router_status_t
s_drain2 (ep_router_t *self, zsock_t *socket, s_frames_fn *fn)
{
    ep_router_status_t status = EP_ROUTER_OK;
    void *handle = zsock_resolve (socket);
    for (int i = 0; i < EP_ROUTER_BATCH && !status; i++) {
        zmq_msg_t head, body;
        if (!ep_router_recv (handle, &head))
            break;
        zmq_msg_init (&body);
        bool two = zmq_msg_more (&head) && zmq_msg_recv (&body, handle, 0) >= 0;
        //  Anything beyond two frames is not ours: skip it.
        while (zmq_msg_more (two ? &body : &head)) {
            zmq_msg_t extra;
            zmq_msg_init (&extra);
            zmq_msg_recv (&extra, handle, 0);
            bool more = zmq_msg_more (&extra);
            zmq_msg_close (&extra);
            if (!more)
                break;
        }
        if (two) {
            char kind [32];
            size_t len = zmq_msg_size (&head) < sizeof kind - 1 ? zmq_msg_size (&head)
                                                                  : sizeof kind - 1;
            memcpy (kind, zmq_msg_data (&head), len);
            kind [len] = 0;
            status = fn (self, kind, zmq_msg_data (&body), zmq_msg_size (&body),
                         zmq_msg_gets (&head, "User-Id"));
        }
        zmq_msg_close (&head);
        zmq_msg_close (&body);
    }
    return status;
}

static ep_router_status_t
s_on_control (ep_router_t *self, const char *topic, const uint8_t *data, size_t size,
              const char *user_id)
{
    return ep_control_on_message (self, topic, data, size, user_id, NULL);
}

static ep_router_status_t
s_on_result (ep_router_t *self, const char *kind, const uint8_t *data, size_t size,
             const char *user_id)
{
    return ep_link_on_message (self, kind, data, size, user_id, NULL);
}

//  How long the loop may sleep: until the next plane state, deadline,
//  worker timeout or end of draining; at once while dispatches wait.
static long
s_timeout (ep_router_t *self, int64_t now, bool backlog)
{
    //  (while the lease is unconfirmed, the plane state waits for it)
    int64_t wake = self->lease.unconfirmed ? self->lease.next_ms : self->state.next_ms;
    int64_t deadline = ep_inflight_next_deadline (self->inflight);
    if (deadline < wake)
        wake = deadline;
    if (self->drain.on && self->drain.until_ms < wake)
        wake = self->drain.until_ms;
    if (self->lease.epoch && self->lease.next_ms < wake)
        wake = self->lease.next_ms;
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
        if (self->link.worker [plane].alive) {
            int64_t lost = self->link.worker [plane].last_heard_ms
                         + self->config.worker_timeout_ms;
            if (lost < wake)
                wake = lost;
        }
    long timeout = backlog ? EP_ROUTER_RETRY_MS : (wake > now ? (long) (wake - now) : 0);
    if ((self->sock.outcomes_unbound || self->sock.dispatch_unbound || self->restores.count)
    &&  timeout > 10)
        timeout = 10;                   //  binding anew, or restores wait: look again soon
    return timeout;
}

//  Reads what the poll found ready, socket by socket, until one fails.
static ep_router_status_t
s_read (ep_router_t *self, const zmq_pollitem_t *slots, int polled)
{
    ep_router_status_t status = EP_ROUTER_OK;
    if (slots [S_SLOT_CONTROL].revents & ZMQ_POLLIN)
        status = s_drain2 (self, self->sock.control, s_on_control);
    if (!status && (slots [S_SLOT_RESULTS].revents & ZMQ_POLLIN))
        status = s_drain2 (self, self->sock.results, s_on_result);
    if (!status && (slots [S_SLOT_ZAP].revents & ZMQ_POLLIN))
        status = ep_access_handle_zap (self);
    if (!status && (slots [S_SLOT_DISPATCH].revents & ZMQ_POLLIN))
        status = ep_subscriptions_drain (self, self->sock.dispatch, "dispatch");
    if (!status && (slots [S_SLOT_OUTCOMES].revents & ZMQ_POLLIN))
        status = ep_subscriptions_drain (self, self->sock.outcomes, "outcomes");
    if (!status && polled > S_SLOT_INTAKE && (slots [S_SLOT_INTAKE].revents & ZMQ_POLLIN))
        status = ep_intake_drain (self);
    return status;
}

//  True if something other than a paper dispatch leaves the router this
//  turn, at now: reports, the plane state, stats, metrics, answers to
//  queries. It must wait until the journal is on disk.
static bool
s_goes_out (ep_router_t *self, int64_t now, bool query_ready, int64_t next_stats_ms)
{
    return ep_outbox_count (&self->outbox) > 0
        || self->state.dirty || now >= self->state.next_ms
        || now >= next_stats_ms
        || (self->metrics.server && now >= self->metrics.next_ms)
        || query_ready || self->restores.count > 0;
}

//  What every turn does once it has read: keys, refusals, liveness and
//  deadlines, then the commit.
static ep_router_status_t
s_settle (ep_router_t *self, bool query_ready, int64_t next_stats_ms)
{
    ep_subscriptions_reload_keys (self);
    ep_router_status_t status = ep_access_summarize (self, false);
    int64_t now = ep_sock_clock_ms ();
    if (!status)
        status = ep_link_check (self, now);
    if (!status)
        status = ep_reports_expire_due (self, now);
    if (!status)
        status = ep_commit_turn (self, s_goes_out (self, ep_sock_clock_ms (), query_ready,
                                                   next_stats_ms));
    return status;
}

//  What goes out once the turn is committed. Paper dispatches may leave
//  before the commit is on disk; anything else only after (ep_commit.c).
static ep_router_status_t
s_publish (ep_router_t *self, bool query_ready, int64_t *next_stats_ms)
{
    int64_t now = ep_sock_clock_ms ();
    //  Time passed since the commit: what became due since then syncs here.
    ep_router_status_t status = EP_ROUTER_OK;
    if (s_goes_out (self, now, query_ready, *next_stats_ms))
        status = ep_commit_durable (self);
    if (status)
        return status;
    ep_delivery_flush (self);
    //  A lease that cannot be confirmed: nothing that no commit precedes
    if ((self->state.dirty || now >= self->state.next_ms) && !self->lease.unconfirmed) {
        ep_commit_sent (self);
        ep_control_publish (self);
        self->state.dirty = false;
        self->state.next_ms = now + EP_ROUTER_STATE_MS;
    }
    ep_intake_log_malformed (self, now);
    if (now >= *next_stats_ms && !self->lease.unconfirmed) {
        ep_commit_sent (self);
        ep_router_metrics_publish_stats (self);
        *next_stats_ms = now + EP_ROUTER_STATE_MS;
    }
    if (self->metrics.server && now >= self->metrics.next_ms) {
        ep_commit_sent (self);
        ep_router_metrics_update (self, now);
        self->metrics.next_ms = now + EP_ROUTER_METRICS_MS;
    }
    //  Queries read only what is committed, so they come after the commit.
    if (self->restores.count || query_ready)
        ep_commit_sent (self);
    if (self->restores.count)
        status = ep_query_serve_waiting (self);
    if (!status && query_ready)
        status = ep_query_drain (self);
    return status;
}

static int s_serve (ep_router_t *self, char *err, size_t err_size);

int
ep_router_run (ep_router_t *self)
{
    if (self->lease.standby) {
        int waited = ep_lease_wait (self);
        if (waited)
            return waited > 0 ? 0 : -1;
        char err [512];
        if (s_serve (self, err, sizeof err)) {
            ep_log_error ("taking over: %s", err);
            self->failure = EP_ROUTER_JOURNAL_WRITE;
            return -1;
        }
        ep_lease_serving (self);
    }
    zsock_t *zap = ep_guard_zap (self->guard);
    zmq_pollitem_t slots [S_SLOTS] = {
        [S_SLOT_CONTROL]  = { zsock_resolve (self->sock.control), 0, ZMQ_POLLIN, 0 },
        [S_SLOT_RESULTS]  = { zsock_resolve (self->sock.results), 0, ZMQ_POLLIN, 0 },
        [S_SLOT_QUERY]    = { zsock_resolve (self->sock.query), 0, ZMQ_POLLIN, 0 },
        [S_SLOT_DISPATCH] = { zsock_resolve (self->sock.dispatch), 0, ZMQ_POLLIN, 0 },
        [S_SLOT_OUTCOMES] = { zsock_resolve (self->sock.outcomes), 0, ZMQ_POLLIN, 0 },
        //  Insecure, there is no ZAP handler: a placeholder that asks for nothing.
        [S_SLOT_ZAP]      = { zsock_resolve (zap ? zap : self->sock.control), 0,
                              zap ? ZMQ_POLLIN : 0, 0 },
        [S_SLOT_INTAKE]   = { zsock_resolve (self->sock.intake), 0, ZMQ_POLLIN, 0 },
    };
    self->state.dirty = true;
    int64_t next_stats_ms = 0;
    ep_router_status_t status = ep_commit_defer (self, true);
    while (!status) {
        int64_t now = ep_sock_clock_ms ();
        if (ep_drain_due (self, now))
            break;
        status = ep_lease_confirm (self, now);
        if (status)
            break;
        slots [S_SLOT_CONTROL].events = self->drain.on ? 0 : ZMQ_POLLIN;
        //  Back-pressure: while dispatches wait for room, intake is not read.
        bool backlog = ep_outbox_count (&self->pending) > 0;
        int polled = backlog || self->drain.on ? S_SLOT_INTAKE : S_SLOTS;
        ep_security_nag ();
        if (zmq_poll (slots, polled, s_timeout (self, now, backlog)) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            ep_log_error ("poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        bool query_ready = slots [S_SLOT_QUERY].revents & ZMQ_POLLIN;
        status = s_read (self, slots, polled);
        if (!status)
            status = s_settle (self, query_ready, next_stats_ms);
        if (!status)
            status = s_publish (self, query_ready, &next_stats_ms);
    }
    //  What follows waits for the disk at each commit again (after a
    //  failure, ep_router_destroy syncs what was committed).
    if (!status)
        status = ep_commit_end (self);
    if (status) {
        //  Once: after an unretried commit, the journal's own log says why.
        if (status != EP_ROUTER_LEASE_LOST && ep_journal_lease_lost (self->journal))
            status = EP_ROUTER_LEASE_LOST;
        if (status == EP_ROUTER_LEASE_LOST)
            ep_log_error ("%s (epoch %llu was ours): stopping, nothing more is committed or "
                          "published", ep_router_strerror (status),
                          (unsigned long long) self->lease.epoch);
        else
        if (status != EP_ROUTER_UNCOMMITTED)
            ep_log_error ("%s: stopping, nothing more will be accepted",
                          ep_router_strerror (status));
        self->failure = status;
        return -1;
    }
    //  Stopping does not lose the refusals counted since the last summary.
    if (ep_access_summarize (self, true) || ep_journal_commit (self->journal))
        ep_log_error ("journal: the last summary of refusals was not committed");
    return 0;
}

//  --------------------------------------------------------------------------
//  Lifecycle

//  Creates and binds the router's sockets. Returns 0, or -1 with the reason in err.
static int
s_bind (ep_router_t *self, char *err, size_t err_size)
{
    //  The ZAP domain of each socket is its name. Outcomes and dispatch are
    //  XPUBs in manual mode: each subscription is checked against the
    //  subscriber's key before it is applied. A worker sends all the
    //  reports of one tick as one message: an intent that crosses hundreds
    //  of resting orders makes one far larger than any intent, so results
    //  takes up to EP_MAX_REPLY.
    ep_router_sockets_t *sock = &self->sock;
    struct { zsock_t **socket; int type; char *endpoint; int64_t max_msg; const char *name; }
    binds [] = {
        { &sock->intake,   ZMQ_PULL,   self->config.intake,   EP_MAX_MSG,   "intake" },
        { &sock->outcomes, ZMQ_XPUB,   self->config.outcomes, EP_MAX_MSG,   "outcomes" },
        { &sock->control,  ZMQ_SUB,    self->config.control,  EP_MAX_MSG,   "control" },
        { &sock->dispatch, ZMQ_XPUB,   self->config.dispatch, EP_MAX_MSG,   "dispatch" },
        { &sock->results,  ZMQ_PULL,   self->config.results,  EP_MAX_REPLY, "results" },
        { &sock->query,    ZMQ_ROUTER, self->config.query,    EP_MAX_MSG,   "query" },
    };
    for (size_t i = 0; i < sizeof binds / sizeof binds [0]; i++) {
        zsock_t *socket = ep_sock_server_new (binds [i].type, binds [i].max_msg, binds [i].name);
        if (!socket) {
            snprintf (err, err_size, "cannot create the %s socket", binds [i].name);
            return -1;
        }
        *binds [i].socket = socket;
        //  At the HWM, dispatch pushes back (never drops) and so stops
        //  intake, whose senders then block; outcomes drop for a subscriber
        //  that does not keep up: it fills the gap from query.
        if (binds [i].type == ZMQ_XPUB) {
            zsock_set_xpub_manual (socket, 1);
            zsock_set_sndhwm (socket, (int) self->config.hwm);
        }
        if (socket == sock->dispatch) {
            zsock_set_sndhwm (socket, (int) (self->config.hwm / ep_config_batch (&self->config)));
            zsock_set_xpub_nodrop (socket, 1);
        }
        if (socket == sock->intake)
            zsock_set_rcvhwm (socket, (int) self->config.hwm);
        //  Of a list (one endpoint per router), only this router's own.
        char own [EP_ENDPOINT_MAX];
        if (ep_endpoints_own (&self->config, binds [i].name, own, err, err_size))
            return -1;
        if (zsock_bind (socket, "%s", own) < 0) {
            snprintf (err, err_size, "cannot bind %s %s: %s", binds [i].name,
                      own, zmq_strerror (zmq_errno ()));
            return -1;
        }
        //  Keep what was bound, so a tcp://host:* wildcard becomes a port:
        //  from now on the router's configuration names its own endpoint.
        const char *bound = zsock_endpoint (socket);
        snprintf (binds [i].endpoint, EP_ENDPOINT_MAX, "%s", bound ? bound : own);
    }
    zsock_set_subscribe (sock->control, "control.plane");
    return 0;
}

//  Writes the ready file: the configuration with the endpoints bound, in
//  their lists beside the other routers' (what clients and workers use).
static int
s_save_ready (ep_router_t *self, const ep_config_t *config, const char *ready_file)
{
    ep_config_t *ready = malloc (sizeof *ready);
    if (!ready)
        return -1;
    *ready = self->config;
    char *lists [EP_ENDPOINTS_KEYS] = {
        ready->intake, ready->outcomes, ready->control,
        ready->dispatch, ready->results, ready->query
    };
    int rc = 0;
    for (int i = 0; i < EP_ENDPOINTS_KEYS && rc == 0; i++)
        rc = ep_endpoints_splice (config, ep_endpoints_keys [i],
                                  ep_endpoints_list (&self->config, ep_endpoints_keys [i]),
                                  lists [i], EP_ENDPOINT_MAX);
    if (rc == 0)
        rc = ep_config_save (ready, ready_file);
    free (ready);
    return rc;
}

//  What a start does once the lease is this router's: recovery from the
//  journal, the sockets bound, the ready file written. Returns 0, or -1
//  with the reason in err.
static int
s_serve (ep_router_t *self, char *err, size_t err_size)
{
    char journal [EP_JOURNAL_LOCATION_MAX];     //  as it may be logged: no password
    ep_journal_redacted (self->config.journal, journal, sizeof journal);
    if (self->lease.epoch) {
        char detail [128];
        snprintf (detail, sizeof detail, "epoch %llu taken by boot %s%s",
                  (unsigned long long) self->lease.epoch, self->boot,
                  self->lease.locked_ms ? " from a router that lost it (a takeover)" : "");
        if (ep_router_event (self, "lease", detail)) {
            snprintf (err, err_size, "journal %s: the lease's event not written", journal);
            return -1;
        }
    }
    if (ep_recovery_run (self)) {
        snprintf (err, err_size, "journal %s: recovery failed (see the log)", journal);
        return -1;
    }
    //  Under CURVE the ZAP handler must be there before any socket binds.
    ep_config_t *config = malloc (sizeof *config);  //  as configured: the lists to splice into
    if (!config) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    *config = self->config;
    self->guard = ep_guard_new (&self->config, err, err_size);
    int rc = self->guard && s_bind (self, err, err_size) == 0 ? 0 : -1;
    if (rc == 0 && self->ready_file && s_save_ready (self, config, self->ready_file)) {
        snprintf (err, err_size, "cannot write %s", self->ready_file);
        rc = -1;
    }
    free (config);
    if (rc)
        return -1;
    ep_log_info ("intake %s, outcomes %s, control %s, dispatch %s, results %s, query %s, "
                 "journal %s", self->config.intake, self->config.outcomes,
                 self->config.control, self->config.dispatch, self->config.results,
                 self->config.query, journal);
    return 0;
}

ep_router_t *
ep_router_new (const ep_config_t *config, const char *ready_file, char *err, size_t err_size)
{
    ep_router_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    ep_arena_init (&self->arena);
    self->config = *config;
    //  Which endpoint of each list is this router's: known before the
    //  journal is opened (a router that cannot tell must not recover it).
    for (int i = 0; i < EP_ENDPOINTS_KEYS; i++) {
        char own [EP_ENDPOINT_MAX];
        if (ep_endpoints_own (config, ep_endpoints_keys [i], own, err, err_size)) {
            free (self);
            return NULL;
        }
    }
    self->link.next_probe = (uint64_t) zclock_time () * 1000;
    if (ep_delivery_send_budget_ms (config) <= 0) {
        snprintf (err, err_size, "router/live_deadline_ms (%lld) must exceed live/timeout_ms "
                  "(%lld) by more than %d ms: a live order is sent only while its answer can "
                  "still come back before the router's deadline",
                  (long long) config->live_deadline_ms, (long long) config->timeout_ms,
                  EP_ROUTER_SEND_MARGIN_MS);
        free (self);
        return NULL;
    }
    execplane__v1__stats__init (&self->stats);
    uint8_t nonce [8];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (self->boot, sizeof self->boot, nonce, sizeof nonce);
    self->inflight = ep_inflight_new ();
    self->journal = ep_journal_open (config->journal, streq (config->journal_sync, "full"),
                                     err, err_size);
    if (!self->inflight || !self->journal)
        goto fail;
    if (ready_file && !(self->ready_file = strdup (ready_file))) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    if (ep_lease_start (self, err, err_size))
        goto fail;
    ep_router_metrics_init (self);
    if (*self->config.router_metrics) {
        //  Stalled: no update for three times the longest turn between updates.
        self->metrics.server = ep_metrics_start (self->config.router_metrics,
                                                 3 * EP_ROUTER_STATE_MS + 2000, err, err_size);
        if (!self->metrics.server)
            goto fail;
        //  The ready file names the port taken (127.0.0.1:0 picks one).
        snprintf (self->config.router_metrics, sizeof self->config.router_metrics, "%s",
                  ep_metrics_address (self->metrics.server));
    }
    //  A standby serves once it has the lease (ep_router_run)
    if (!self->lease.standby && s_serve (self, err, err_size))
        goto fail;
    return self;
fail:
    ep_router_destroy (&self);
    return NULL;
}

void
ep_router_destroy (ep_router_t **self_p)
{
    ep_router_t *self = *self_p;
    if (!self)
        return;
    //  A standby never writes: the journal is the active's
    if (self->journal && !self->lease.standby) {
        if (!self->failure) {
            ep_journal_begin (self->journal);
            ep_journal_add_event (self->journal, self->last_seq, "stop", self->boot);
        }
        ep_journal_commit (self->journal);
        //  Left deferring syncs (the loop ended early): on disk before anything goes.
        bool durable = !self->durability.deferring || ep_journal_sync (self->journal) == 0;
        //  What was committed may still be published before the sockets go.
        if (durable && self->sock.outcomes && self->sock.dispatch && !self->failure)
            ep_delivery_flush (self);
    }
    ep_metrics_stop (&self->metrics.server);
    ep_prom_free (&self->metrics.prom);
    zsock_destroy (&self->sock.intake);
    zsock_destroy (&self->sock.outcomes);
    zsock_destroy (&self->sock.control);
    zsock_destroy (&self->sock.dispatch);
    zsock_destroy (&self->sock.results);
    zsock_destroy (&self->sock.query);
    ep_guard_destroy (&self->guard);
    ep_journal_destroy (&self->journal);
    ep_inflight_destroy (&self->inflight);
    ep_unknown_clear (&self->unknown);
    ep_definitions_clear (self);
    ep_outbox_clear (&self->outbox);
    ep_outbox_clear (&self->pending);
    ep_buf_free (&self->batch);
    ep_arena_destroy (&self->arena);
    ep_query_clear (self);
    free (self->ready_file);
    free (self);
    *self_p = NULL;
}
