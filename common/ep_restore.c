/*  ep_restore: a worker's request to be restored by the router.  */
#include <poll.h>
#include "ep_log.h"
#include "ep_names.h"
#include "ep_restore.h"
#include "ep_sock.h"
#include "ep_utf8.h"

//  The router's last refusal, as logged: each distinct one is logged once.
static char s_refusal [256];

//  The router refused the claim: says why (once per distinct reason).
static void
s_refused (int plane, zframe_t *reason)
{
    char text [sizeof s_refusal];
    ep_utf8_clean (text, sizeof text, reason ? (const char *) zframe_data (reason) : "",
                   reason ? zframe_size (reason) : 0);
    if (streq (text, s_refusal))
        return;
    snprintf (s_refusal, sizeof s_refusal, "%s", text);
    ep_log_warn ("cannot claim the %s plane: %s; standing by", ep_plane_name (plane),
                 *text ? text : "the router gave no reason");
}

ep_restore_reply_t *
ep_restore_ask (zsock_t *query, int plane, const char *session, uint64_t through_number,
                int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    ep_restore_request_t request;
    execplane__v1__restore_request__init (&request);
    request.plane = plane;
    request.session = (char *) session;
    request.through_number = through_number;
    uint8_t data [128];
    size_t size = execplane__v1__restore_request__pack (&request, data);
    ep_sock_discard (query);
    ep_sock_send2 (query, "restore", data, size, ZMQ_DONTWAIT);
    zmq_pollitem_t item = { zsock_resolve (query), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;                    //  the router is not there yet
    zmsg_t *msg = zmsg_recv (query);
    char *kind = msg ? zmsg_popstr (msg) : NULL;
    zframe_t *body = msg ? zmsg_pop (msg) : NULL;
    ep_restore_reply_t *reply = kind && body && streq (kind, "restore")
        ? execplane__v1__restore_reply__unpack (NULL, zframe_size (body), zframe_data (body))
        : NULL;
    bool refused = kind && streq (kind, "refused");
    if (refused)
        s_refused (plane, body);
    else
    if (reply)
        s_refusal [0] = 0;              //  a later refusal is news again
    zstr_free (&kind);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    //  Asked again no sooner than on no answer: a refusal comes at once.
    //  A signal ends the wait (poll returns EINTR).
    int64_t left = deadline - zclock_mono ();
    if (refused && left > 0)
        poll (NULL, 0, (int) left);
    return reply;
}
