/*  ep_worker_link: a worker's sockets to the router, its heartbeat, its
    claim on the plane and its receive loop.  */
#include <assert.h>
#include <czmq.h>
#include <poll.h>
#include <sodium.h>
#include "ep_log.h"
#include "ep_names.h"
#include "ep_push.h"
#include "ep_security.h"
#include "ep_sock.h"
#include "ep_utf8.h"
#include "ep_worker_link.h"

#define S_CLAIM_RETRY_MS 2500       //  above the router's wait for the heartbeat
#define S_METRICS_MS 250            //  metrics rendered at most this often

#define S_OTHERS_MAX 2                  //  sockets besides the dispatches
#define S_HELD_MAX 64                   //  stream events held before a claim, at most

struct _ep_worker_link_t {
    ep_worker_link_config_t config;     //  plane, topic, endpoints
    ep_worker_link_handler_t handler;   //  the worker's part
    void *others [S_OTHERS_MAX];        //  other sockets the loop waits on
    void (*others_ready [S_OTHERS_MAX]) (void *arg);    //  called when one is readable
    size_t n_others;
    zsock_t *intents;                   //  SUB: the plane's dispatches
    ep_push_t *results;                 //  PUSH per router: reports and heartbeats
    zsock_t *query;                     //  DEALER: claims the plane
    zsock_t *watch;                     //  PAIR: the dispatches' connection events
    unsigned established;               //  which of them are made (ep_sock_dropped)
    char session [33];                  //  this process's id, in every message
    char *definition;                   //  the plane definition's text (owned)
    char *description;                  //  the operator's description of it (owned)
    char definition_id [65];            //  its SHA-256, in every message
    char boot [40];                     //  the router start the plane was claimed from
    bool claimed;                       //  from the router that runs now
    zlistx_t *held;                     //  stream events ("event\x1fdetail") before the claim
    uint64_t number;                    //  of the last worker message sent
    uint64_t probe;                     //  the router's newest probe heard
    int64_t next_heartbeat_ms;          //  when the next heartbeat is due
    char refusal [256];                 //  the router's last refusal, as logged
    ep_metrics_t *metrics;              //  NULL: not configured
    ep_prom_t prom;                     //  the metrics as last rendered
    int64_t next_metrics_ms;            //  when they are rendered next
};

//  A new session id: 32 random hex digits.
static void
s_new_session (ep_worker_link_t *self)
{
    uint8_t nonce [16];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (self->session, sizeof self->session, nonce, sizeof nonce);
}

//  Lets go of the routers whose dispatches' connection dropped: the
//  reports' socket to each is made anew, and nothing sent after reaches it.
static void
s_let_go (void *arg)
{
    ep_worker_link_t *self = arg;
    unsigned dropped = ep_sock_dropped (self->watch, self->config.config->dispatch,
                                         &self->established);
    if (dropped)
        ep_push_renew (self->results, dropped);
}

ep_worker_link_t *
ep_worker_link_new (const ep_worker_link_config_t *config,
                    const ep_worker_link_handler_t *handler, char *err, size_t err_size)
{
    assert (config && config->config && handler && handler->dispatch);
    ep_worker_link_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    if (sodium_init () < 0) {
        snprintf (err, err_size, "libsodium failed to initialise");
        goto fail;
    }
    self->config = *config;
    self->handler = *handler;
    self->definition = strdup (config->definition ? config->definition : "");
    self->description = strdup (config->description ? config->description : "");
    if (!self->definition || !self->description) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    ep_security_sha256_hex (self->definition, strlen (self->definition), self->definition_id);
    s_new_session (self);
    const ep_config_t *endpoints = config->config;
    self->intents = ep_sock_new (ZMQ_SUB, endpoints->dispatch, false, err, err_size);
    if (!self->intents)
        goto fail;
    zsock_set_rcvhwm (self->intents, config->rcvhwm);
    self->results = ep_push_new (endpoints->results, config->sndhwm, err, err_size);
    if (!self->results)
        goto fail;
    self->query = ep_sock_new (ZMQ_DEALER, endpoints->query, false, err, err_size);
    if (!self->query)
        goto fail;
    //  A router lost (README "Two routers"): its dispatches' connection
    //  drops, and the reports' socket to it is then made anew
    //  (ep_push_renew): nothing sent after that reaches it.
    self->watch = ep_sock_watch (self->intents, err, err_size);
    if (!self->watch)
        goto fail;
    //  A report waiting for the router claimed from, which is lost meanwhile,
    //  goes to whichever router is there (and claims again) instead.
    ep_push_wake_on (self->results, self->watch, s_let_go, self);
    if (config->metrics && *config->metrics) {
        self->metrics = ep_metrics_start (config->metrics, 3 * S_CLAIM_RETRY_MS, err, err_size);
        if (!self->metrics)
            goto fail;
    }
    return self;
fail:
    ep_worker_link_destroy (&self);
    return NULL;
}

void
ep_worker_link_destroy (ep_worker_link_t **self_p)
{
    assert (self_p);
    ep_worker_link_t *self = *self_p;
    if (!self)
        return;
    ep_metrics_stop (&self->metrics);
    ep_prom_free (&self->prom);
    ep_sock_unwatch (self->intents, &self->watch);
    zsock_destroy (&self->intents);
    zsock_destroy (&self->query);
    zlistx_destroy (&self->held);
    ep_push_destroy (&self->results);
    free (self->definition);
    free (self->description);
    free (self);
    *self_p = NULL;
}

const char *
ep_worker_link_definition (const ep_worker_link_t *self)
{
    return self->definition_id;
}

int
ep_worker_link_redefine (ep_worker_link_t *self, const char *definition)
{
    assert (self && definition);
    char *copy = strdup (definition);
    if (!copy)
        return -1;
    //  Under the session and definition the router adopted
    if (*self->boot) {                  //  claimed before, from some router
        ep_worker_link_bye (self);
        s_new_session (self);
    }
    free (self->definition);
    self->definition = copy;
    ep_security_sha256_hex (self->definition, strlen (self->definition), self->definition_id);
    self->claimed = false;
    self->refusal [0] = '\0';          //  the router's next refusal is news
    return 0;
}

const char *
ep_worker_link_session (const ep_worker_link_t *self)
{
    return self->session;
}

const char *
ep_worker_link_boot (const ep_worker_link_t *self)
{
    return self->boot;
}

bool
ep_worker_link_claimed (const ep_worker_link_t *self)
{
    return self->claimed;
}

void
ep_worker_link_subscribe (ep_worker_link_t *self)
{
    zsock_set_subscribe (self->intents, self->config.topic);
}

void
ep_worker_link_probe (ep_worker_link_t *self, uint64_t probe)
{
    if (probe > self->probe)
        self->probe = probe;
}

bool
ep_worker_link_new_router (const ep_worker_link_t *self, const char *router_boot)
{
    return strcmp (router_boot ? router_boot : "", self->boot) != 0;
}

void
ep_worker_link_head (ep_worker_link_t *self, uint64_t tick, ep_worker_msg_t *message)
{
    execplane__v1__worker_message__init (message);
    message->plane = self->config.plane;
    message->session = self->session;
    message->definition_id = self->definition_id;
    message->tick = tick;
    message->number = ++self->number;
    message->probe = self->probe;
}

int
ep_worker_link_send (ep_worker_link_t *self, const char *kind, const void *data, size_t size,
                     int flags)
{
    if (!*self->definition)
        return -1;                      //  the router would only ignore it
    return ep_push_send (self->results, kind, data, size, flags) < 0 ? -1 : 0;
}

int
ep_worker_link_report (ep_worker_link_t *self, uint64_t tick, ep_report_t *report)
{
    ep_worker_msg_t message;
    ep_worker_link_head (self, tick, &message);
    message.n_reports = 1;
    message.reports = &report;
    size_t size = execplane__v1__worker_message__get_packed_size (&message);
    uint8_t *data = malloc (size);
    if (!data) {
        ep_log_intent (EP_LOG_ERROR, report->strategy_id, report->intent_id,
                       ": out of memory: report not sent");
        return -1;
    }
    execplane__v1__worker_message__pack (&message, data);
    ep_worker_link_send (self, "reports", data, size, 0);
    free (data);
    return 0;
}

void
ep_worker_link_orphans (void *link, const Execplane__V1__VenueOrder *const *orphans,
                        size_t count, const char *problem)
{
    ep_worker_link_t *self = (ep_worker_link_t *) link;
    ep_worker_msg_t message;
    ep_worker_link_head (self, 0, &message);
    message.n_orphans = count;
    message.orphans = (Execplane__V1__VenueOrder **) orphans;
    message.swept = true;
    message.sweep_problem = (char *) (problem ? problem : "");
    size_t size = execplane__v1__worker_message__get_packed_size (&message);
    uint8_t *data = malloc (size);
    if (!data) {
        ep_log_error ("out of memory: the open orders' sweep was not told");
        return;
    }
    execplane__v1__worker_message__pack (&message, data);
    ep_worker_link_send (self, "orphans", data, size, 0);
    free (data);
}

//  A held event's detail: item ("event\x1fdetail") is cut to the event.
static const char *
s_held_detail (char *item)
{
    char *detail = strchr (item, '\x1f');
    if (!detail)
        return "";
    *detail = '\0';
    return detail + 1;
}

void
ep_worker_link_stream_event (void *link, const char *event, const char *detail)
{
    ep_worker_link_t *self = (ep_worker_link_t *) link;
    if (!self->claimed) {
        //  A router that has not adopted this worker ignores it: told once
        //  the plane is claimed (the oldest let go past S_HELD_MAX).
        if (!self->held && (self->held = zlistx_new ()))
            zlistx_set_destructor (self->held, (zlistx_destructor_fn *) zstr_free);
        if (self->held && zlistx_size (self->held) >= S_HELD_MAX) {
            char *oldest = zlistx_detach (self->held, NULL);
            if (oldest)
                ep_log_warn ("stream event %s (%s) not told to the router: more than %d "
                             "came before the plane was claimed (the live audit has it)",
                             oldest, s_held_detail (oldest), S_HELD_MAX);
            zstr_free (&oldest);
        }
        char *item = zsys_sprintf ("%s\x1f%s", event, detail ? detail : "");
        if (self->held && item)
            zlistx_add_end (self->held, item);
        else
            zstr_free (&item);
        return;
    }
    ep_worker_msg_t message;
    ep_worker_link_head (self, 0, &message);
    message.stream_event = (char *) event;
    message.stream_detail = (char *) detail;
    uint8_t data [1024];
    if (execplane__v1__worker_message__get_packed_size (&message) > sizeof data) {
        ep_log_error ("the stream's event %s is too long to tell the router", event);
        return;
    }
    size_t size = execplane__v1__worker_message__pack (&message, data);
    ep_worker_link_send (self, "stream", data, size, 0);
}

//  A message of kind with no reports: a heartbeat or a goodbye.
static void
s_signal (ep_worker_link_t *self, const char *kind, int flags)
{
    ep_worker_msg_t message;
    ep_worker_link_head (self, 0, &message);
    uint8_t data [256];
    size_t size = execplane__v1__worker_message__pack (&message, data);
    ep_worker_link_send (self, kind, data, size, flags);
}

void
ep_worker_link_heartbeat (ep_worker_link_t *self)
{
    s_let_go (self);
    if (self->handler.before_heartbeat)
        self->handler.before_heartbeat (self->handler.arg);
    s_signal (self, "hb", 0);
    self->next_heartbeat_ms = ep_sock_clock_ms () + self->config.config->heartbeat_ms;
}

void
ep_worker_link_bye (ep_worker_link_t *self)
{
    s_signal (self, "bye", ZMQ_DONTWAIT);
}

//  Renders the worker's metrics for the metrics server, if it runs.
static void
s_update_metrics (ep_worker_link_t *self)
{
    if (!self->metrics || !self->handler.metrics)
        return;
    ep_prom_reset (&self->prom);
    char health [768] = "";
    bool healthy = self->handler.metrics (self->handler.arg, &self->prom, health, sizeof health);
    ep_metrics_update (self->metrics, &self->prom, healthy, health);
    self->next_metrics_ms = ep_sock_clock_ms () + S_METRICS_MS;
}

//  --------------------------------------------------------------------------
//  Claiming the plane

//  The router refused the claim: says why (once per distinct reason).
static void
s_refused (ep_worker_link_t *self, zframe_t *reason)
{
    char text [sizeof self->refusal];
    ep_utf8_clean (text, sizeof text, reason ? (const char *) zframe_data (reason) : "",
                   reason ? zframe_size (reason) : 0);
    if (streq (text, self->refusal))
        return;
    snprintf (self->refusal, sizeof self->refusal, "%s", text);
    ep_log_warn ("cannot claim the %s plane: %s; standing by",
                 ep_plane_name (self->config.plane),
                 *text ? text : "the router gave no reason");
}

//  Asks once to be the plane's worker, to be answered once the router has
//  read this session's messages through the last; waits up to timeout_ms.
//  Stale replies to an earlier ask are discarded first. Returns the reply,
//  or NULL if none came. A refusal (frames "refused" and a UTF-8 reason)
//  comes at once: the rest of timeout_ms is waited out, so that the
//  caller asks again no sooner than when no answer came.
static ep_restore_reply_t *
s_ask (ep_worker_link_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    ep_restore_request_t request;
    execplane__v1__restore_request__init (&request);
    request.plane = self->config.plane;
    request.session = self->session;
    request.through_number = self->number;
    request.definition = self->definition;
    request.description = self->description;
    size_t size = execplane__v1__restore_request__get_packed_size (&request);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return NULL;
    execplane__v1__restore_request__pack (&request, data);
    ep_sock_discard (self->query);
    ep_sock_send2 (self->query, "restore", data, size, ZMQ_DONTWAIT);
    free (data);
    zmq_pollitem_t item = { zsock_resolve (self->query), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;                    //  the router is not there yet
    zmsg_t *msg = zmsg_recv (self->query);
    char *kind = msg ? zmsg_popstr (msg) : NULL;
    zframe_t *body = msg ? zmsg_pop (msg) : NULL;
    ep_restore_reply_t *reply = kind && body && streq (kind, "restore")
        ? execplane__v1__restore_reply__unpack (NULL, zframe_size (body), zframe_data (body))
        : NULL;
    bool refused = kind && streq (kind, "refused");
    if (refused)
        s_refused (self, body);
    else
    if (reply)
        self->refusal [0] = 0;          //  a later refusal is news again
    zstr_free (&kind);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    //  A signal ends the wait (poll returns EINTR).
    int64_t left = deadline - zclock_mono ();
    if (refused && left > 0)
        poll (NULL, 0, (int) left);
    return reply;
}

//  The stream events held while the plane was not claimed, told now.
static void
s_tell_held (ep_worker_link_t *self)
{
    char *item;
    while (self->held && (item = zlistx_detach (self->held, NULL))) {
        const char *detail = s_held_detail (item);
        ep_worker_link_stream_event (self, item, detail);
        zstr_free (&item);
    }
}

ep_restore_reply_t *
ep_worker_link_claim (ep_worker_link_t *self)
{
    self->claimed = false;
    //  Whichever router answers: the heartbeat goes to any that is there.
    ep_push_only (self->results, -1);
    while (!zsys_interrupted) {
        s_update_metrics (self);        //  unhealthy until claimed
        //  A heartbeat first, on the reports' own way: the router answers
        //  once it has read it, so every report sent before is in its view.
        ep_worker_link_heartbeat (self);
        ep_restore_reply_t *reply = s_ask (self, S_CLAIM_RETRY_MS);
        if (reply) {
            snprintf (self->boot, sizeof self->boot, "%s", reply->router_boot);
            self->claimed = true;
            //  From now on, reports go to the router that answered alone:
            //  one cut off from the journal while its process still runs
            //  (a partition) keeps its connections up, and what it read
            //  it could never commit. The events held go there too.
            ep_push_only (self->results, (int) reply->router_member - 1);
            s_tell_held (self);
            return reply;
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The receive loop

//  Reads up to batch dispatches (topic, body) that are there, handing each
//  on; a long batch does not hold the heartbeat back.
static void
s_read_dispatches (ep_worker_link_t *self)
{
    void *intents = zsock_resolve (self->intents);
    for (int i = 0; i < self->config.batch; i++) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&topic, intents, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
            break;
        }
        if (zmq_msg_more (&topic) && zmq_msg_recv (&body, intents, 0) >= 0)
            self->handler.dispatch (self->handler.arg, zmq_msg_data (&body),
                                    zmq_msg_size (&body));
        zmq_msg_close (&topic);
        zmq_msg_close (&body);
        if (ep_sock_clock_ms () >= self->next_heartbeat_ms)
            ep_worker_link_heartbeat (self);
    }
}

void
ep_worker_link_watch (ep_worker_link_t *self, void *other, void (*ready) (void *arg))
{
    assert (other && ready && self->n_others < S_OTHERS_MAX);
    self->others [self->n_others] = other;
    self->others_ready [self->n_others++] = ready;
}

void
ep_worker_link_wait (ep_worker_link_t *self, int timeout_ms)
{
    zmq_pollitem_t items [S_OTHERS_MAX];
    for (size_t i = 0; i < self->n_others; i++)
        items [i] = (zmq_pollitem_t) { zsock_resolve (self->others [i]), 0, ZMQ_POLLIN, 0 };
    int64_t deadline = ep_sock_clock_ms () + timeout_ms;
    while (!zsys_interrupted) {
        if (self->metrics && ep_sock_clock_ms () >= self->next_metrics_ms)
            s_update_metrics (self);
        int64_t wait = deadline - ep_sock_clock_ms ();
        if (wait > S_METRICS_MS)
            wait = S_METRICS_MS;
        if (wait <= 0)
            break;
        int ready = self->n_others ? zmq_poll (items, (int) self->n_others, (long) wait)
                                   : poll (NULL, 0, (int) wait);
        if (ready < 0)
            break;                      //  a signal
        if (ready == 0)
            continue;
        for (size_t i = 0; i < self->n_others; i++)
            if (items [i].revents & ZMQ_POLLIN)
                self->others_ready [i] (self->handler.arg);
        return;
    }
}

void
ep_worker_link_run (ep_worker_link_t *self)
{
    const ep_worker_link_handler_t *handler = &self->handler;
    while (!zsys_interrupted) {
        ep_security_nag ();
        if (ep_sock_clock_ms () >= self->next_heartbeat_ms)
            ep_worker_link_heartbeat (self);
        if (handler->turn)
            handler->turn (handler->arg);
        //  Dispatches before the other sockets: for the live plane, one for
        //  another session says that no request may start.
        zmq_pollitem_t items [1 + S_OTHERS_MAX] = {
            { zsock_resolve (self->intents), 0, ZMQ_POLLIN, 0 },
        };
        for (size_t i = 0; i < self->n_others; i++)
            items [1 + i] = (zmq_pollitem_t) { zsock_resolve (self->others [i]), 0, ZMQ_POLLIN, 0 };
        int64_t wait = self->next_heartbeat_ms - ep_sock_clock_ms ();
        if (zmq_poll (items, 1 + (int) self->n_others, wait > 0 ? (long) wait : 0) < 0)
            continue;
        if (items [0].revents & ZMQ_POLLIN)
            s_read_dispatches (self);
        if (handler->after_dispatches)
            handler->after_dispatches (handler->arg);
        for (size_t i = 0; i < self->n_others; i++)
            if (items [1 + i].revents & ZMQ_POLLIN)
                self->others_ready [i] (handler->arg);
        if (self->metrics && ep_sock_clock_ms () >= self->next_metrics_ms)
            s_update_metrics (self);
    }
}
