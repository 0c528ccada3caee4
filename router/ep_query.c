/*  ep_query: the router's ROUTER socket. A client reads back the reports
    it may see (report replay, from the journal: a strategy key sees only
    its strategies' and its own refusals), and asks what became of intents
    ("intents": whether the journal holds them, and how they ended); a
    worker is restored with the orders still resting on its plane, and
    becomes the plane's worker.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_security.h"
#include "ep_sock.h"

//  Sends [identity][kind][message] on query; frees nothing.
static void
s_reply (ep_router_t *self, zframe_t *identity, const char *kind, const ProtobufCMessage *message)
{
    size_t size;
    uint8_t *data = ep_router_pack (message, &size);
    if (!data)
        return;
    void *handle = zsock_resolve (self->sock.query);
    zmq_send (handle, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, kind, strlen (kind), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, data, size, ZMQ_DONTWAIT);
    free (data);
}

//  Answers a claim (restore) with [identity]["refused"][why], and logs it
//  once per claiming session, since a standby worker asks again every few
//  seconds.
static void
s_refuse_claim (ep_router_t *self, zframe_t *identity, const char *session, const char *why)
{
    void *handle = zsock_resolve (self->sock.query);
    zmq_send (handle, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, "refused", 7, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, why, strlen (why), ZMQ_DONTWAIT);
    if (strcmp (self->link.refused_claim, session)) {
        snprintf (self->link.refused_claim, sizeof self->link.refused_claim, "%s", session);
        ep_log_warn ("query: live worker %s may not claim the plane: %s", session, why);
    }
}

//  Copies of each report payload must outlive the journal cursor: the
//  reports are collected into owned copies, then packed into the reply.
typedef struct {
    ep_query_reply_t reply;
    ProtobufCBinaryData items [EP_ROUTER_QUERY_LIMIT];
    const ep_peer_t *peer;              //  who asks: a strategy key sees its own only
} s_query_t;

//  True if the report in payload was told to the sender whose key this is
//  (its own stream: a refusal journaled under no strategy).
static bool
s_told_to (const void *payload, size_t size, const char *key)
{
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    bool told = report && streq (report->sender_key, key);
    if (report)
        execplane__v1__execution_report__free_unpacked (report, NULL);
    return told;
}

bool
ep_query_shows (const ep_peer_t *peer, const char *strategy_id, const void *payload,
                size_t size, bool curve)
{
    if (!curve || (peer->info.role != EP_ROLE_STRATEGY && peer->info.role != EP_ROLE_SAFETY))
        return true;
    return *strategy_id ? ep_key_info_speaks_for (&peer->info, strategy_id)
                        : s_told_to (payload, size, ep_access_sender_key (peer, curve));
}

bool
ep_query_may_restore (const ep_peer_t *peer, int plane, bool curve)
{
    return !curve || (peer->info.role == EP_ROLE_WORKER && peer->info.plane == plane);
}

static void
s_copy_payload (void *arg, uint64_t seq, const char *strategy_id, const void *payload,
                size_t size)
{
    (void) seq;
    s_query_t *query = arg;
    if (!ep_query_shows (query->peer, strategy_id, payload, size, ep_security_curve ()))
        return;
    uint8_t *copy = malloc (size ? size : 1);
    if (!copy)
        return;
    memcpy (copy, payload, size);
    ProtobufCBinaryData *item = &query->reply.reports [query->reply.n_reports++];
    item->data = copy;
    item->len = size;
}

static void
s_serve_reports (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                 const ep_peer_t *peer)
{
    ep_query_request_t *request = execplane__v1__query_request__unpack (NULL, size, data);
    if (!request)
        return;
    static s_query_t query;
    execplane__v1__query_reply__init (&query.reply);
    query.reply.reports = query.items;
    query.peer = peer;
    unsigned limit = request->limit && request->limit < EP_ROUTER_QUERY_LIMIT ? request->limit
                                                                      : EP_ROUTER_QUERY_LIMIT;
    uint64_t through = 0;
    uint64_t from = request->from_seq ? request->from_seq : 1;
    if (ep_journal_reports (self->journal, from, request->to_seq, request->strategy_id, limit,
                            s_copy_payload, &query, &through) >= 0) {
        query.reply.through_seq = through;
        query.reply.head_seq = self->last_seq;
        s_reply (self, identity, "reports", &query.reply.base);
    }
    for (size_t i = 0; i < query.reply.n_reports; i++)
        free (query.items [i].data);
    execplane__v1__query_request__free_unpacked (request, NULL);
}

typedef struct {
    ep_router_t *router;
    int plane;
    zlistx_t *orders;                   //  ep_resting_order_t *, owned
} s_restore_t;

static void
s_collect_fill (void *arg, uint64_t seq, const void *payload, size_t size)
{
    (void) seq;
    ep_resting_order_t *order = arg;
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    if (!report)
        return;
    for (size_t i = 0; i < report->n_fills; i++)
        if (ep_wire_fills_append (&order->fills, &order->n_fills, report->fills [i]))
            break;
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
s_free_order (ep_resting_order_t *order)
{
    ep_wire_fills_free (order->fills, order->n_fills);
    if (order->dispatch) {
        if (order->dispatch->intent)
            execplane__v1__order_intent__free_unpacked (order->dispatch->intent, NULL);
        free (order->dispatch);
    }
    free (order);
}

static void
s_collect_resting (void *arg, ep_inflight_entry_t *entry)
{
    s_restore_t *restore = arg;
    //  A CANCEL places no order: nothing of it rests.
    if (entry->plane != restore->plane || !entry->acked || entry->action == EP_ACTION (CANCEL))
        return;
    int plane;
    uint64_t epoch;
    bool dispatched;
    void *payload = NULL;
    size_t size = 0;
    if (ep_journal_intent (restore->router->journal, entry->router_seq, &plane, &epoch,
                           &dispatched, &payload, &size) != 1)
        return;
    ep_resting_order_t *order = calloc (1, sizeof *order);
    ep_dispatch_t *dispatch = calloc (1, sizeof *dispatch);
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    ep_wire_drop_unknown (intent ? &intent->base : NULL);
    free (payload);
    if (!order || !dispatch || !intent) {
        free (order);
        free (dispatch);
        if (intent)
            execplane__v1__order_intent__free_unpacked (intent, NULL);
        return;
    }
    execplane__v1__resting_order__init (order);
    execplane__v1__dispatch__init (dispatch);
    dispatch->intent = intent;
    dispatch->plane = plane;
    dispatch->plane_epoch = epoch;
    dispatch->router_seq = entry->router_seq;
    dispatch->router_boot = restore->router->boot;
    order->dispatch = dispatch;
    ep_journal_plane_reports (restore->router->journal, entry->router_seq, s_collect_fill, order);
    zlistx_add_end (restore->orders, order);
}

static int
s_compare_orders (const void *a, const void *b)
{
    uint64_t x = ((const ep_resting_order_t *) a)->dispatch->router_seq;
    uint64_t y = ((const ep_resting_order_t *) b)->dispatch->router_seq;
    return x < y ? -1 : x > y;
}

//  Holds a restore until the messages its worker pushed before asking are
//  read (they travel on another socket): a report the worker sent just
//  before must be in the reply's view, or the worker would be told of an
//  order it has already finished. Returns true if it was held.
static bool
s_hold_restore (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                const ep_peer_t *peer, const ep_restore_request_t *request, int64_t until_ms)
{
    ep_worker_t *worker = &self->link.worker [request->plane];
    bool heard = streq (worker->heard_session, request->session)
              && worker->heard_number >= request->through_number;
    if (heard || !request->through_number || ep_sock_clock_ms () >= until_ms
    ||  self->restores.count == EP_ROUTER_RESTORES)
        return false;
    ep_waiting_restore_t *waiting = &self->restores.waiting [self->restores.count];
    waiting->data = malloc (size ? size : 1);
    if (!waiting->data)
        return false;
    memcpy (waiting->data, data, size);
    waiting->size = size;
    waiting->identity = zframe_dup (identity);
    waiting->peer = *peer;
    waiting->until_ms = until_ms;
    self->restores.count++;
    return true;
}

//  Answers a restore: the orders of plane still resting, in router_seq
//  order, with the fills each had.
static void
s_send_restore (ep_router_t *self, zframe_t *identity, int plane, const char *session)
{
    s_restore_t restore = { self, plane, zlistx_new () };
    zlistx_set_comparator (restore.orders, s_compare_orders);
    ep_inflight_each (self->inflight, s_collect_resting, &restore);
    zlistx_sort (restore.orders);
    ep_restore_reply_t reply;
    execplane__v1__restore_reply__init (&reply);
    reply.n_orders = zlistx_size (restore.orders);
    reply.orders = calloc (reply.n_orders + 1, sizeof *reply.orders);
    size_t n = 0;
    for (ep_resting_order_t *order = zlistx_first (restore.orders); order && reply.orders;
         order = zlistx_next (restore.orders))
        reply.orders [n++] = order;
    reply.n_orders = n;
    reply.processed_through = self->link.worker [plane].processed_through;
    reply.router_boot = self->boot;
    reply.router_member = (uint32_t) self->config.member;
    s_reply (self, identity, "restore", &reply.base);
    ep_log_info ("%s worker %s restored with %zu resting order(s), processed through %llu",
                 ep_plane_name (plane), session, n,
                 (unsigned long long) reply.processed_through);
    free (reply.orders);
    for (ep_resting_order_t *order = zlistx_first (restore.orders); order;
         order = zlistx_next (restore.orders))
        s_free_order (order);
    zlistx_destroy (&restore.orders);
}

//  A restore: only the plane's worker key asks; it is held until the
//  worker's earlier messages are read; the claim must be allowed
//  (ep_link_may_claim). The worker restored is the plane's worker from now
//  on: reports from an earlier one are fenced off.
static ep_router_status_t
s_serve_restore (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                 const ep_peer_t *peer, int64_t until_ms)
{
    ep_restore_request_t *request = execplane__v1__restore_request__unpack (NULL, size, data);
    if (!request)
        return EP_ROUTER_OK;
    ep_router_status_t status = EP_ROUTER_OK;
    int plane = request->plane;
    bool curve = ep_security_curve ();
    const char *key = curve ? ep_access_sender_key (peer, curve) : "";
    char why [512] = "", id [65] = "";
    if (!ep_query_may_restore (peer, plane, curve))
        status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, "query", peer->sender,
                                   "query: restore of the %s plane refused to %s: not that "
                                   "plane's worker key",
                                   ep_plane_name (plane) ? ep_plane_name (plane) : "?",
                                   peer->sender);
    else
    if ((plane != EP_PLANE (PAPER) && plane != EP_PLANE (LIVE))
    ||  s_hold_restore (self, identity, data, size, peer, request, until_ms))
        ;
    else
    if (!ep_link_may_claim (self, plane, request->session, key, curve, why, sizeof why))
        s_refuse_claim (self, identity, request->session, why);
    else
    if (!ep_definitions_present (self, plane, request->definition, request->description, id,
                                 why, sizeof why, &status)) {
        //  Not served under a definition no one approved: it stands by
        snprintf (self->link.worker [plane].refused_definition,
                  sizeof self->link.worker [plane].refused_definition, "%s", id);
        self->state.dirty = true;
        if (!status)
            s_refuse_claim (self, identity, request->session, why);
    }
    else {
        ep_worker_t *worker = &self->link.worker [plane];
        snprintf (worker->definition, sizeof worker->definition, "%s", id);
        worker->refused_definition [0] = '\0';
        status = ep_link_adopt (self, plane, request->session, key, "restored");
        s_send_restore (self, identity, plane, request->session);
    }
    execplane__v1__restore_request__free_unpacked (request, NULL);
    return status;
}

//  Restores held for their worker's messages: each is tried again (and
//  answered once they are read, or at its bound).
ep_router_status_t
ep_query_serve_waiting (ep_router_t *self)
{
    ep_router_status_t status = EP_ROUTER_OK;
    size_t count = self->restores.count;
    ep_waiting_restore_t waiting [EP_ROUTER_RESTORES];
    memcpy (waiting, self->restores.waiting, count * sizeof *waiting);
    self->restores.count = 0;
    for (size_t i = 0; i < count; i++) {
        ep_router_status_t served = s_serve_restore (self, waiting [i].identity,
                                                     waiting [i].data, waiting [i].size,
                                                     &waiting [i].peer, waiting [i].until_ms);
        if (!status)
            status = served;
        zframe_destroy (&waiting [i].identity);
        free (waiting [i].data);
    }
    return status;
}

void
ep_query_clear (ep_router_t *self)
{
    for (size_t i = 0; i < self->restores.count; i++) {
        zframe_destroy (&self->restores.waiting [i].identity);
        free (self->restores.waiting [i].data);
    }
    self->restores.count = 0;
}

//  Every plane definition seen, for the meta layer and monitors (a worker
//  or strategy key reads none).
static ep_router_status_t
s_serve_definitions (ep_router_t *self, zframe_t *identity, const ep_peer_t *peer)
{
    if (ep_security_curve () && peer->info.role != EP_ROLE_META
    &&  peer->info.role != EP_ROLE_MONITOR)
        return ep_access_refuse (self, EP_REFUSAL_MESSAGE, "query", peer->sender,
                                 "query: refused %s: only meta and monitor keys read the plane "
                                 "definitions", peer->sender);
    Execplane__V1__DefinitionList list = EXECPLANE__V1__DEFINITION_LIST__INIT;
    list.definitions = self->definitions.items;
    list.n_definitions = self->definitions.count;
    s_reply (self, identity, "definitions", &list.base);
    return EP_ROUTER_OK;
}

bool
ep_query_may_ask_fate (const ep_peer_t *peer, const char *strategy_id, bool curve)
{
    if (!curve || peer->info.role == EP_ROLE_MONITOR)
        return true;
    return (peer->info.role == EP_ROLE_STRATEGY || peer->info.role == EP_ROLE_SAFETY)
        && ep_key_info_speaks_for (&peer->info, strategy_id);
}

//  Answers [identity]["refused"][why].
static void
s_refuse (ep_router_t *self, zframe_t *identity, const char *why)
{
    void *handle = zsock_resolve (self->sock.query);
    zmq_send (handle, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, "refused", 7, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, why, strlen (why), ZMQ_DONTWAIT);
}

//  Why request may not be answered for peer ("" if it may): too many
//  intents, an invalid id, or a strategy the key may not ask about.
//  *denied is set when it is the key that is refused.
static void
s_judge_intents (const Execplane__V1__IntentsRequest *request, const ep_peer_t *peer,
                 char *why, size_t size, bool *denied)
{
    *why = '\0';
    *denied = false;
    if (request->n_intents > EP_QUERY_INTENTS_MAX) {
        snprintf (why, size, "intents: %zu intents asked, at most %d per request",
                  request->n_intents, EP_QUERY_INTENTS_MAX);
        return;
    }
    bool curve = ep_security_curve ();
    for (size_t i = 0; i < request->n_intents; i++) {
        const Execplane__V1__IntentRef *ref = request->intents [i];
        if (!ep_id_valid (ref->strategy_id) || !ep_id_valid (ref->intent_id)) {
            snprintf (why, size, "intents: intent %zu: strategy_id and intent_id must each "
                      "be 1 to %d of A-Z a-z 0-9 . _ : -", i + 1, EP_ID_MAX);
            return;
        }
        if (!ep_query_may_ask_fate (peer, ref->strategy_id, curve)) {
            snprintf (why, size, "intents: refused %s: the key may not ask about strategy %s",
                      peer->sender, ref->strategy_id);
            *denied = true;
            return;
        }
    }
}

//  What the journal holds of each intent asked: whether a router read it,
//  its router_seq, and how it ended if it has (reads only what is
//  committed: queries are answered after the turn's commit).
static ep_router_status_t
s_serve_intents (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                 const ep_peer_t *peer)
{
    Execplane__V1__IntentsRequest *request =
        execplane__v1__intents_request__unpack (NULL, size, data);
    if (!request) {
        s_refuse (self, identity, "intents: the request is not an IntentsRequest");
        return EP_ROUTER_OK;
    }
    char why [256];
    bool denied;
    s_judge_intents (request, peer, why, sizeof why, &denied);
    ep_router_status_t status = EP_ROUTER_OK;
    if (*why) {
        if (denied)
            status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, "query", peer->sender,
                                       "query: %s", why);
        s_refuse (self, identity, why);
        execplane__v1__intents_request__free_unpacked (request, NULL);
        return status;
    }
    size_t count = request->n_intents;
    Execplane__V1__IntentFate *fates = calloc (count + 1, sizeof *fates);
    Execplane__V1__IntentFate **items = calloc (count + 1, sizeof *items);
    bool failed = !fates || !items;
    for (size_t i = 0; i < count && !failed; i++) {
        const Execplane__V1__IntentRef *ref = request->intents [i];
        Execplane__V1__IntentFate *fate = &fates [i];
        execplane__v1__intent_fate__init (fate);
        fate->strategy_id = ref->strategy_id;
        fate->intent_id = ref->intent_id;
        uint64_t router_seq = 0;
        int found = ep_journal_find_intent (self->journal, ref->strategy_id, ref->intent_id,
                                            &router_seq);
        failed = found < 0;
        fate->held = found == 1;
        fate->router_seq = fate->held ? router_seq : 0;
        if (fate->held) {
            int ended_status = 0;
            int rc = ep_journal_ending (self->journal, router_seq, &ended_status);
            failed = rc < 0;
            fate->ended = rc == 1;
            fate->status = fate->ended ? ended_status : 0;
        }
        items [i] = fate;
    }
    if (failed)
        //  Not answered: the client asks again, or judges without it
        s_refuse (self, identity, "intents: the journal could not be read");
    else {
        Execplane__V1__IntentsReply reply = EXECPLANE__V1__INTENTS_REPLY__INIT;
        reply.fates = items;
        reply.n_fates = count;
        reply.head_seq = self->last_seq;
        reply.intake_waiting = ep_outbox_count (&self->pending) > 0 || self->drain.on
                            || (zsock_events (self->sock.intake) & ZMQ_POLLIN);
        s_reply (self, identity, "intents", &reply.base);
    }
    free (items);
    free (fates);
    execplane__v1__intents_request__free_unpacked (request, NULL);
    return status;
}

//  Answers one request, if one waits; *read is false if none did.
static ep_router_status_t
s_handle_query (ep_router_t *self, bool *read)
{
    zmsg_t *msg = zmsg_recv_nowait (self->sock.query);
    *read = msg != NULL;
    if (!msg)
        return EP_ROUTER_OK;
    zframe_t *identity = zmsg_pop (msg);
    char *kind = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    ep_peer_t peer;
    ep_router_status_t status = EP_ROUTER_OK;
    if (identity && kind && body
    &&  ep_access_admitted (self, "query", zframe_meta (body, "User-Id"), &peer, &status)) {
        if (streq (kind, "reports") && ep_security_curve () && peer.info.role == EP_ROLE_WORKER)
            //  A worker is restored through query; it reads no report.
            status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, "query", peer.sender,
                                       "query: refused %s: a worker key may only ask to be "
                                       "restored, not read reports", peer.sender);
        else
        if (streq (kind, "reports"))
            s_serve_reports (self, identity, zframe_data (body), zframe_size (body), &peer);
        else
        if (streq (kind, "restore"))
            status = s_serve_restore (self, identity, zframe_data (body), zframe_size (body),
                                      &peer, ep_sock_clock_ms () + EP_ROUTER_RESTORE_WAIT_MS);
        else
        if (streq (kind, "definitions"))
            status = s_serve_definitions (self, identity, &peer);
        else
        if (streq (kind, "intents"))
            status = s_serve_intents (self, identity, zframe_data (body), zframe_size (body),
                                      &peer);
    }
    zframe_destroy (&identity);
    zstr_free (&kind);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return status;
}

ep_router_status_t
ep_query_drain (ep_router_t *self)
{
    ep_router_status_t status = EP_ROUTER_OK;
    bool read = true;
    for (int i = 0; i < 64 && read && !status; i++)
        status = s_handle_query (self, &read);
    return status;
}
