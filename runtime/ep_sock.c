/*  ep_sock: socket setup with linger and size limits.  */
#include <limits.h>
#include <string.h>
#include <time.h>
#include "ep_endpoints.h"
#include "ep_sock.h"
#include "ep_wire.h"

static int s_buffer;                    //  kernel buffer per connection; 0: the OS's
static ep_sock_secure_fn *s_secure;     //  ep_security's, once it is set up; NULL: none

void
ep_sock_set_secure (ep_sock_secure_fn *secure)
{
    s_secure = secure;
}

//  Secures a socket as the process is, before it binds or connects.
static void
s_secure_apply (zsock_t *self, bool server, const char *domain)
{
    if (s_secure)
        s_secure (self, server, domain);
}

void
ep_sock_set_buffer (int64_t bytes)
{
    s_buffer = (int) bytes;
}

//  Set before bind or connect: they hold for connections made after them.
static void
s_limits (zsock_t *self, int64_t max_msg)
{
    zsock_set_linger (self, EP_SOCK_LINGER_MS);
    zsock_set_maxmsgsize (self, (int) max_msg);
    if (s_buffer > 0) {
        zsock_set_sndbuf (self, s_buffer);
        zsock_set_rcvbuf (self, s_buffer);
    }
}

zsock_t *
ep_sock_server_new (int type, int64_t max_msg, const char *domain)
{
    zsock_t *self = zsock_new (type);
    if (self) {
        s_limits (self, max_msg);
        s_secure_apply (self, true, domain);
    }
    return self;
}

zsock_t *
ep_sock_new (int type, const char *endpoint, bool bind, char *err, size_t err_size)
{
    //  A DEALER talks only to the router's query socket, whose replies
    //  (report batches, resting orders) are larger than any intent.
    return ep_sock_new_sized (type, endpoint, bind, type == ZMQ_DEALER ? EP_MAX_REPLY : EP_MAX_MSG,
                              err, err_size);
}

//  A socket that connects: set up, secured, and (sndhwm > 0) with that
//  high-water mark, before any connection is made.
static zsock_t *
s_connecting (int type, int64_t max_msg, int sndhwm, char *err, size_t err_size)
{
    zsock_t *self = zsock_new (type);
    if (!self) {
        snprintf (err, err_size, "cannot create socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    s_limits (self, max_msg);
    if (sndhwm > 0)
        zsock_set_sndhwm (self, sndhwm);
    s_secure_apply (self, false, "");
    return self;
}

zsock_t *
ep_sock_new_sized (int type, const char *endpoint, bool bind, int64_t max_msg,
                   char *err, size_t err_size)
{
    if (bind) {
        zsock_t *self = ep_sock_server_new (type, max_msg, "");
        if (!self)
            snprintf (err, err_size, "cannot create socket: %s", zmq_strerror (zmq_errno ()));
        else
        if (zsock_bind (self, "%s", endpoint) < 0) {
            snprintf (err, err_size, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
            zsock_destroy (&self);
        }
        return self;
    }
    zsock_t *self = s_connecting (type, max_msg, 0, err, err_size);
    if (!self)
        return NULL;
    //  Whichever router of a list is active: nothing waits in a queue for
    //  one that is not there (a standby binds nothing), and a connection
    //  whose router went silent is dropped (a machine lost without a TCP
    //  reset), so that what is sent goes to the router that serves. One
    //  router alone is waited for, as ever: what is sent while it restarts
    //  waits in the queue for it.
    if ((type == ZMQ_PUSH || type == ZMQ_DEALER) && strchr (endpoint, ','))
        zsock_set_immediate (self, 1);
    //  Not on a PUSH: a router that pushes back (stops reading intake)
    //  stops reading the heartbeats too, and a connection it holds back
    //  must not be dropped. A PUSH's connection to a router lost is
    //  let go of (ep_push_renew) when the same router's outcomes or
    //  dispatch connection is.
    if (type != ZMQ_PUSH) {
        zsock_set_heartbeat_ivl (self, EP_SOCK_HEARTBEAT_MS);
        zsock_set_heartbeat_timeout (self, EP_SOCK_HEARTBEAT_TIMEOUT_MS);
    }
    if (ep_endpoints_connect (self, endpoint, err, err_size))
        zsock_destroy (&self);
    return self;
}

zsock_t *
ep_sock_push_new (const char *endpoint, bool one_of_several, int sndhwm, char *err,
                  size_t err_size)
{
    zsock_t *self = s_connecting (ZMQ_PUSH, EP_MAX_MSG, sndhwm, err, err_size);
    if (!self)
        return NULL;
    if (one_of_several)
        zsock_set_immediate (self, 1);
    if (zsock_connect (self, "%s", endpoint) < 0) {
        snprintf (err, err_size, "cannot connect %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self);
    }
    return self;
}

int
ep_sock_send2 (zsock_t *self, const char *topic, const void *data, size_t size, int flags)
{
    void *handle = zsock_resolve (self);
    if (zmq_send (handle, topic, strlen (topic), ZMQ_SNDMORE | flags) < 0)
        return -1;
    //  Once the first frame is queued the second always follows it.
    return zmq_send (handle, data, size, 0) < 0 ? -1 : 0;
}

void
ep_sock_discard (zsock_t *self)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (self)))
        zmsg_destroy (&msg);
}

int64_t
ep_sock_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ep_sock_deadline (int timeout_ms)
{
    return timeout_ms < 0 ? -1 : ep_sock_clock_ms () + timeout_ms;
}

int
ep_sock_left_ms (int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - ep_sock_clock_ms ();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int) left;
}

zsock_t *
ep_sock_watch (zsock_t *socket, char *err, size_t err_size)
{
    char address [64];
    snprintf (address, sizeof address, "inproc://ep-sock-watch-%p", (void *) socket);
    zsock_t *watch = zsock_new (ZMQ_PAIR);
    if (!watch
    ||  zmq_socket_monitor (zsock_resolve (socket), address,
                            ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) < 0
    ||  zsock_connect (watch, "%s", address) < 0) {
        snprintf (err, err_size, "cannot watch a socket's connections: %s",
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&watch);
    }
    return watch;
}

void
ep_sock_unwatch (zsock_t *socket, zsock_t **watch_p)
{
    if (socket && *watch_p)
        zmq_socket_monitor (zsock_resolve (socket), NULL, 0);
    zsock_destroy (watch_p);
}

unsigned
ep_sock_dropped (zsock_t *watch, const char *list, unsigned *established)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    char err [256];
    int count = ep_endpoints_split (list, items, err, sizeof err);
    unsigned dropped = 0;
    zmsg_t *event;
    while ((event = zmsg_recv_nowait (watch))) {
        zframe_t *head = zmsg_first (event);
        zframe_t *where = zmsg_next (event);
        uint16_t kind = 0;
        if (head && zframe_size (head) >= 2)
            memcpy (&kind, zframe_data (head), 2);
        unsigned position = EP_SOCK_DROPPED_ANY;   //  an endpoint the list names otherwise
        for (int i = 0; where && i < count; i++)
            if (zframe_streq (where, items [i]))
                position = 1u << i;
        if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            *established |= position;
        else
        if (kind == ZMQ_EVENT_DISCONNECTED && (*established & position)) {
            //  Only a connection that was made: a router that is there
            //  but does not finish the handshake never carried anything.
            *established &= ~position;
            dropped |= position | EP_SOCK_DROPPED_ANY;
        }
        zmsg_destroy (&event);
    }
    return dropped;
}

