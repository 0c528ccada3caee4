/*  ep_restore: a worker's request to be restored by the router.  */
#include "ep_restore.h"
#include "ep_sock.h"

ep_restore_reply_t *
ep_restore_ask (zsock_t *query, int plane, const char *session, uint64_t through_number,
                int timeout_ms)
{
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
    zstr_free (&kind);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return reply;
}
