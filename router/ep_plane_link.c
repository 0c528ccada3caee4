/*  ep_plane_link: each plane's worker as the router knows it. One worker
    session is the plane's (adopted): only its reports count, and only the
    key that presented the session may speak as it. Another worker's
    reports are fenced off while the adopted one is alive; a live worker
    may claim the plane only once the adopted one is gone.

    A plane's worker is alive while it is heard (heartbeats within
    worker_timeout_ms) and subscribed to exec.<plane>: what is dispatched to
    a worker that is not subscribed is lost, so then the plane is treated
    as unavailable, and its intents are rejected at once.

    Whether it is subscribed, only the worker can say: libzmq hands over a
    subscription's end without saying whose connection ended, and any
    worker key could send unsubscriptions or subscribe and go. So each
    time a subscription to exec.<plane> starts or ends, the router sends a
    probe there, and the plane's worker repeats the newest it heard in
    every message: it is subscribed if it has repeated one and, since the
    latest was sent, repeated that one too or had worker_timeout_ms to.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_decimal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_security.h"
#include "ep_sock.h"
#include "ep_utf8.h"

const char *
ep_link_strerror (ep_link_verdict_t verdict)
{
    switch (verdict) {
        case EP_LINK_ACCEPTED:      return "accepted";
        case EP_LINK_UNAUTHORIZED:  return "refused: the sender may not send results";
        case EP_LINK_UNDECODABLE:   return "ignored: undecodable worker message";
        case EP_LINK_WRONG_PLANE:   return "refused: a worker key of another plane";
        case EP_LINK_FOREIGN_KEY:   return "refused: the session belongs to another key";
        case EP_LINK_FENCED:        return "fenced: another worker serves the plane";
        case EP_LINK_UNAPPROVED:    return "ignored: its plane definition is not approved";
    }
    return "?";
}

bool
ep_link_subscribed (const ep_router_t *self, const ep_worker_t *worker, int64_t now)
{
    return worker->probe_heard > 0
        && (worker->probe_heard >= worker->probe_sent
            || now - worker->probe_sent_ms < self->config.worker_timeout_ms);
}

ep_router_status_t
ep_link_set_alive (ep_router_t *self, int plane, bool alive, const char *why)
{
    ep_worker_t *worker = &self->link.worker [plane];
    if (alive && !ep_link_subscribed (self, worker, ep_sock_clock_ms ()))
        alive = false;
    if (worker->alive == alive)
        return EP_ROUTER_OK;
    worker->alive = alive;
    self->state.dirty = true;
    char detail [256];
    snprintf (detail, sizeof detail, "%s worker %s %s: %s", ep_plane_name (plane),
              worker->session, alive ? "alive" : "lost", why);
    (alive ? ep_log_info : ep_log_warn) ("%s", detail);
    return ep_router_event (self, "worker", detail);
}

//  The session is bound to the key that presented it: the router names
//  the session in every live dispatch, so another worker key could learn
//  it and speak as it.
ep_router_status_t
ep_link_adopt (ep_router_t *self, int plane, const char *session, const char *key,
               const char *why)
{
    ep_worker_t *worker = &self->link.worker [plane];
    if (strcmp (worker->session, session)) {
        worker->alive = false;
        snprintf (worker->session, sizeof worker->session, "%s", session);
        snprintf (worker->key, sizeof worker->key, "%s", key);
        worker->probe_heard = 0;        //  the new worker proves its own subscription
    }
    worker->last_heard_ms = ep_sock_clock_ms ();
    return ep_link_set_alive (self, plane, true, why);
}

//  The key that presented the session (always, when insecure).
bool
ep_link_session_key_matches (const ep_worker_t *worker, const char *key, bool curve)
{
    return !curve || !*worker->key || (key && streq (worker->key, key));
}

//  Only one live worker may ever submit: while the adopted one is alive,
//  another live worker's claim is refused (it stands by, and claims the
//  plane once the adopted one is gone). A paper worker that asks takes
//  over from the one before (paper realizes nothing outside).
bool
ep_link_may_claim (const ep_router_t *self, int plane, const char *session, const char *key,
                   bool curve, char *why, size_t why_size)
{
    const ep_worker_t *adopted = &self->link.worker [plane];
    if (streq (adopted->session, session) && !ep_link_session_key_matches (adopted, key, curve))
        snprintf (why, why_size, "worker session %s belongs to another key", session);
    else
    if (plane == EP_PLANE (LIVE) && adopted->alive && strcmp (adopted->session, session))
        snprintf (why, why_size, "the live plane is served by worker session %s: another "
                  "live worker may claim it only once that one is gone", adopted->session);
    else
        return true;
    return false;
}

//  A hello on exec.<plane>, with a new probe of who is subscribed. A
//  worker that (re)subscribes to its intents learns from it at once which
//  start of the router it is talking to: a dispatch with no intent, only
//  router_boot. One that restored from an earlier start restores again (a
//  report it sent to a router that then died is lost with it).
void
ep_link_probe (ep_router_t *self, int plane)
{
    ep_worker_t *worker = &self->link.worker [plane];
    worker->probe_sent = ++self->link.next_probe;
    worker->probe_sent_ms = ep_sock_clock_ms ();
    ep_dispatch_t hello;
    execplane__v1__dispatch__init (&hello);
    hello.plane = plane;
    hello.router_boot = self->boot;
    hello.probe = worker->probe_sent;
    uint8_t data [96];
    size_t size = execplane__v1__dispatch__pack (&hello, data);
    ep_sock_send2 (self->sock.dispatch, ep_exec_topic (plane), data, size, ZMQ_DONTWAIT);
}

ep_router_status_t
ep_link_check (ep_router_t *self, int64_t now)
{
    ep_router_status_t status = EP_ROUTER_OK;
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE) && !status; plane++) {
        ep_worker_t *worker = &self->link.worker [plane];
        if (worker->alive && now - worker->last_heard_ms >= self->config.worker_timeout_ms)
            status = ep_link_set_alive (self, plane, false, "no heartbeat");
        else
        if (worker->alive && !ep_link_subscribed (self, worker, now))
            status = ep_link_set_alive (self, plane, false, "it did not confirm its "
                                        "subscription to its intents within "
                                        "worker_timeout_ms");
    }
    return status;
}

//  A worker key serves its own plane only, and a session speaks only
//  through the key that presented it.
ep_link_verdict_t
ep_link_admits (const ep_router_t *self, int plane, const char *session, const ep_peer_t *peer,
                const char *user_id, bool curve)
{
    if (curve && peer->info.plane != plane)
        return EP_LINK_WRONG_PLANE;
    const ep_worker_t *worker = &self->link.worker [plane];
    if (streq (worker->session, session) && !ep_link_session_key_matches (worker, user_id, curve))
        return EP_LINK_FOREIGN_KEY;
    return EP_LINK_ACCEPTED;
}

//  Admits message (ep_link_admits), or refuses it: counted, and logged and
//  journaled within the guard's budget.
static ep_link_verdict_t
s_admit (ep_router_t *self, const ep_worker_msg_t *message, const ep_peer_t *peer,
         const char *user_id, ep_router_status_t *status)
{
    int plane = message->plane;
    ep_link_verdict_t verdict = ep_link_admits (self, plane, message->session, peer, user_id,
                                                ep_security_curve ());
    if (verdict == EP_LINK_WRONG_PLANE)
        *status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, "results", user_id,
                                    "results: refused %s: a %s worker key may not report "
                                    "for %s", peer->sender, ep_plane_name (peer->info.plane),
                                    ep_plane_name (plane));
    else
    if (verdict == EP_LINK_FOREIGN_KEY)
        *status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, "results", user_id,
                                    "results: refused %s: %s worker session %s belongs to "
                                    "another key", peer->sender, ep_plane_name (plane),
                                    message->session);
    return verdict;
}

//  Another worker serves this plane: its reports would realize intents
//  twice, so they are fenced off.
static ep_router_status_t
s_fence (ep_router_t *self, const ep_worker_msg_t *message)
{
    const ep_worker_t *worker = &self->link.worker [message->plane];
    self->stats.fenced_reports += message->n_reports;
    if (!message->n_reports)
        return EP_ROUTER_OK;
    ep_log_warn ("%s worker %s is not the plane's worker (%s is): %zu report(s) fenced",
                 ep_plane_name (message->plane), message->session, worker->session,
                 message->n_reports);
    return ep_router_event (self, "fenced", message->session);
}

//  A sweep of the venue's open orders by the live plane: each orphan (an
//  order open there that its audit never placed) is journaled as an event
//  and counted in the plane state the meta layer hears; the sweep itself
//  is journaled with what it found, or why it could not be done.
static ep_router_status_t
s_orphans (ep_router_t *self, const ep_worker_msg_t *message)
{
    ep_router_status_t status = EP_ROUTER_OK;
    for (size_t i = 0; i < message->n_orphans && !status; i++) {
        const Execplane__V1__VenueOrder *order = message->orphans [i];
        char qty [EP_DECIMAL_BUFSIZE], executed [EP_DECIMAL_BUFSIZE], line [256];
        snprintf (line, sizeof line, "%.64s %.32s %s %s (executed %s) %.24s, venue order %.32s",
                  order->client_order_id, order->symbol,
                  ep_side_name (order->side) ? ep_side_name (order->side) : "?",
                  ep_decimal_format (order->qty_e8, qty),
                  ep_decimal_format (order->executed_qty_e8, executed), order->status,
                  order->venue_order_id);
        ep_utf8_copy (self->state.last_orphan, sizeof self->state.last_orphan, line);
        self->state.orphans_found++;
        self->state.dirty = true;
        ep_log_error ("live plane: an order open at the venue that its audit never placed "
                      "(an orphan): %s", self->state.last_orphan);
        status = ep_router_event (self, "orphan", self->state.last_orphan);
    }
    char summary [600];
    if (*message->sweep_problem)
        snprintf (summary, sizeof summary, "not done: %.500s", message->sweep_problem);
    else
        snprintf (summary, sizeof summary, "%zu orphan(s)", message->n_orphans);
    if (!status)
        status = ep_router_event (self, "open-orders-swept", summary);
    return status;
}

//  A change in the live plane's user data stream: journaled as an event of
//  its kind, if it is one of the stream's.
static ep_router_status_t
s_stream_event (ep_router_t *self, const ep_worker_msg_t *message)
{
    static const char *const kinds [] = { "stream-up", "stream-down", "stream-gap" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (streq (message->stream_event, kinds [i])) {
            char detail [512];
            ep_utf8_copy (detail, sizeof detail, message->stream_detail);
            ep_log_info ("live plane: %s: %s", kinds [i], detail);
            return ep_router_event (self, kinds [i], detail);
        }
    ep_log_warn ("live plane: a stream event of unknown kind ignored");
    return EP_ROUTER_OK;
}

//  The plane's worker was heard: it is alive, and its reports are taken.
static ep_router_status_t
s_heard (ep_router_t *self, const char *kind, const ep_worker_msg_t *message,
         const uint8_t *data, size_t size)
{
    ep_worker_t *worker = &self->link.worker [message->plane];
    worker->last_heard_ms = ep_sock_clock_ms ();
    if (message->probe > worker->probe_heard)
        worker->probe_heard = message->probe;
    ep_router_status_t status = ep_link_set_alive (self, message->plane, true, "heartbeat");
    if (streq (kind, "orphans") && message->plane == EP_PLANE (LIVE) && !status)
        return s_orphans (self, message);
    if (streq (kind, "stream") && message->plane == EP_PLANE (LIVE) && !status)
        return s_stream_event (self, message);
    if (!streq (kind, "reports"))
        return status;
    //  Each report's bytes as the plane produced them, for the journal.
    ep_slice_t produced [EP_ROUTER_SLICES];
    size_t n_produced = ep_wire_fields (data, size, 4, produced, EP_ROUTER_SLICES);
    for (size_t i = 0; i < message->n_reports && !status; i++)
        status = ep_reports_from_plane (self, message->plane, message->reports [i],
                                        n_produced == message->n_reports && i < EP_ROUTER_SLICES
                                        ? &produced [i] : NULL);
    //  Never past the newest intent this router holds: a worker that ran
    //  intents a lost machine took with it must not skip their numbers.
    if (message->tick > worker->processed_through && message->tick <= self->last_router_seq)
        worker->processed_through = message->tick;
    return status;
}

//  A worker not adopted yet whose plane definition is not approved: it is
//  not adopted, and what it says is ignored (logged once per definition).
//  Returns true if so.
static bool
s_unapproved (ep_router_t *self, const ep_worker_msg_t *message)
{
    ep_worker_t *worker = &self->link.worker [message->plane];
    char why [512];
    if (ep_definitions_may_serve (self, message->plane, message->definition_id, why, sizeof why))
        return false;
    if (strcmp (worker->refused_definition, message->definition_id)) {
        snprintf (worker->refused_definition, sizeof worker->refused_definition, "%s",
                  message->definition_id);
        self->state.dirty = true;
        ep_log_warn ("%s worker %s not adopted: %s", ep_plane_name (message->plane),
                     message->session, why);
    }
    return true;
}

//  Handles a decoded message from an admitted sender.
static ep_link_verdict_t
s_handle (ep_router_t *self, const char *kind, const ep_worker_msg_t *message,
          const ep_peer_t *peer, const char *user_id, const uint8_t *data, size_t size,
          ep_router_status_t *status)
{
    ep_link_verdict_t verdict = s_admit (self, message, peer, user_id, status);
    if (verdict != EP_LINK_ACCEPTED)
        return verdict;
    int plane = message->plane;
    ep_worker_t *worker = &self->link.worker [plane];
    //  A worker that stops says so: its plane is unavailable at once, and
    //  the next worker need not wait for worker_timeout_ms to take over.
    if (streq (kind, "bye")) {
        if (streq (worker->session, message->session))
            *status = ep_link_set_alive (self, plane, false, "it stopped");
        return EP_LINK_ACCEPTED;
    }
    if (strcmp (worker->heard_session, message->session))
        snprintf (worker->heard_session, sizeof worker->heard_session, "%s", message->session);
    worker->heard_number = message->number;
    if (strcmp (worker->session, message->session)) {
        if (worker->alive) {
            *status = s_fence (self, message);
            return EP_LINK_FENCED;
        }
        if (s_unapproved (self, message))
            return EP_LINK_UNAPPROVED;
        snprintf (worker->definition, sizeof worker->definition, "%s", message->definition_id);
        *status = ep_link_adopt (self, plane, message->session, user_id ? user_id : "",
                                 "first heartbeat");
    }
    ep_router_status_t heard = s_heard (self, kind, message, data, size);
    if (!*status)
        *status = heard;
    return EP_LINK_ACCEPTED;
}

ep_router_status_t
ep_link_on_message (ep_router_t *self, const char *kind, const uint8_t *data, size_t size,
                    const char *user_id, ep_link_verdict_t *verdict)
{
    ep_link_verdict_t ignored;
    if (!verdict)
        verdict = &ignored;
    ep_router_status_t status = EP_ROUTER_OK;
    ep_peer_t peer;
    *verdict = EP_LINK_UNAUTHORIZED;
    if (!ep_access_admitted (self, "results", user_id, &peer, &status))
        return status;
    //  Decoded into the arena, which is reset when the message is handled.
    ep_worker_msg_t *message = execplane__v1__worker_message__unpack (&self->arena.allocator,
                                                                      size, data);
    ep_wire_drop_unknown_in (message ? &message->base : NULL, &self->arena.allocator);
    if (!message || (message->plane != EP_PLANE (PAPER) && message->plane != EP_PLANE (LIVE))) {
        ep_log_warn ("results: undecodable worker message (%zu bytes) ignored", size);
        *verdict = EP_LINK_UNDECODABLE;
    }
    else
        *verdict = s_handle (self, kind, message, &peer, user_id, data, size, &status);
    ep_arena_reset (&self->arena);
    return status;
}
