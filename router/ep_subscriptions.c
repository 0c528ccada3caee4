/*  ep_subscriptions: the two publishing sockets (outcomes, dispatch) are
    XPUBs in manual mode: each (un)subscription is handed to the router and
    applied to the subscriber's connection only if its key allows it. A key
    removed from the allow-list must lose the connections it has: the
    publishing sockets cannot check each message's key, so they are bound
    anew, and every subscriber reconnects through ZAP.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_security.h"
#include "ep_utf8.h"

//  A worker to its own plane's intents only; a monitor or meta key to
//  anything on outcomes; a strategy or safety key to the plane state and
//  stats only (its reports come through the query path, filtered to its
//  strategies, since a topic prefix cannot keep outcome.a from outcome.ab),
//  and its own refusals. Insecure (not curve), anything.
bool
ep_subscriptions_allowed (const ep_peer_t *peer, const char *domain, const char *topic,
                          size_t len, bool curve)
{
    if (!curve)
        return true;
    ep_role_t role = peer->info.role;
    if (streq (domain, "dispatch")) {
        const char *mine = ep_exec_topic (peer->info.plane);
        return role == EP_ROLE_WORKER && mine && len == strlen (mine)
            && memcmp (topic, mine, len) == 0;
    }
    if (role == EP_ROLE_MONITOR || role == EP_ROLE_META)
        return true;
    //  Its own refusals: keys are all 40 characters, so no key's topic is
    //  a prefix of another's.
    char own [64];
    snprintf (own, sizeof own, "refused.%s", ep_access_sender_key (peer, curve));
    return (len == 5 && memcmp (topic, "plane", 5) == 0)
        || (len == 5 && memcmp (topic, "stats", 5) == 0)
        || (len == strlen (own) && memcmp (topic, own, len) == 0);
}

//  A subscription to a plane's intents started or ended: probe them.
static void
s_changed (ep_router_t *self, zsock_t *socket, const char *topic, size_t len)
{
    if (socket != self->sock.dispatch)
        return;
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        const char *mine = ep_exec_topic (plane);
        if (len == strlen (mine) && memcmp (topic, mine, len) == 0)
            ep_link_probe (self, plane);
    }
}

//  One (un)subscription message as the XPUB handed it over.
static ep_router_status_t
s_handle (ep_router_t *self, zsock_t *socket, const char *domain, const uint8_t *data,
          size_t size, const char *user_id)
{
    bool curve = ep_security_curve ();
    //  When a subscriber goes, libzmq itself hands over its unsubscriptions,
    //  with no sender: they are already done. They are those the connection
    //  asked for, applied or not, so they say nothing of whose subscription
    //  ended: a probe finds out.
    if (curve && size >= 1 && data [0] == 0 && !user_id) {
        s_changed (self, socket, (const char *) data + 1, size - 1);
        return EP_ROUTER_OK;
    }
    ep_peer_t peer;
    ep_router_status_t status = EP_ROUTER_OK;
    if (size < 1 || (data [0] != 0 && data [0] != 1)
    ||  !ep_access_admitted (self, domain, user_id, &peer, &status))
        return status;
    const char *topic = (const char *) data + 1;
    bool subscribe = data [0] == 1;
    //  An unsubscription is authorized like a subscription: a key may only
    //  take back what it may have.
    if (!ep_subscriptions_allowed (&peer, domain, topic, size - 1, curve)) {
        char shown [65];                //  the topic as sent may hold anything
        ep_utf8_clean (shown, sizeof shown, topic, size - 1);
        return ep_access_refuse (self, EP_REFUSAL_SUBSCRIPTION, domain, peer.sender,
                                 "%s: refused %s the %s to \"%s\"", domain, peer.sender,
                                 subscribe ? "subscription" : "unsubscription", shown);
    }
    //  Applied to the sender's own connection only.
    zmq_setsockopt (zsock_resolve (socket), subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE,
                    topic, size - 1);
    s_changed (self, socket, topic, size - 1);
    return EP_ROUTER_OK;
}

ep_router_status_t
ep_subscriptions_drain (ep_router_t *self, zsock_t *socket, const char *domain)
{
    ep_router_status_t status = EP_ROUTER_OK;
    void *handle = zsock_resolve (socket);
    for (int i = 0; i < EP_ROUTER_BATCH && !status; i++) {
        zmq_msg_t msg;
        if (!ep_router_recv (handle, &msg))
            break;
        status = s_handle (self, socket, domain, zmq_msg_data (&msg), zmq_msg_size (&msg),
                           zmq_msg_gets (&msg, "User-Id"));
        zmq_msg_close (&msg);
    }
    return status;
}

//  Subscribers fill the gap through query; a worker's in-flight intents
//  end by their deadline.
static void
s_unbind (zsock_t *socket, const char *endpoint, const char *name, bool *unbound)
{
    ep_log_warn ("%s: a key was removed: binding %s anew so that every subscriber is checked "
                 "again", name, endpoint);
    if (zsock_unbind (socket, "%s", endpoint) == 0)
        *unbound = true;
    else
        ep_log_error ("%s: unbinding %s failed: %s", name, endpoint, zmq_strerror (zmq_errno ()));
}

//  The listener closes in the background: bind again once the port is free.
static void
s_rebind (zsock_t *socket, const char *endpoint, const char *name, bool *unbound)
{
    if (*unbound && zsock_bind (socket, "%s", endpoint) >= 0) {
        *unbound = false;
        ep_log_info ("%s: bound %s again", name, endpoint);
    }
}

void
ep_subscriptions_reload_keys (ep_router_t *self)
{
    ep_router_sockets_t *sock = &self->sock;
    s_rebind (sock->outcomes, self->config.outcomes, "outcomes", &sock->outcomes_unbound);
    s_rebind (sock->dispatch, self->config.dispatch, "dispatch", &sock->dispatch_unbound);
    if (ep_guard_reload (self->guard) <= 0)
        return;
    s_unbind (sock->outcomes, self->config.outcomes, "outcomes", &sock->outcomes_unbound);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        ep_peer_t peer;
        char why [256];
        if (self->link.worker [plane].key [0]
        &&  !ep_guard_check (self->guard, "dispatch", self->link.worker [plane].key, &peer,
                             why, sizeof why)) {
            s_unbind (sock->dispatch, self->config.dispatch, "dispatch", &sock->dispatch_unbound);
            break;
        }
    }
}
