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

zsock_t *
ep_sock_new_sized (int type, const char *endpoint, bool bind, int64_t max_msg,
                   char *err, size_t err_size)
{
    zsock_t *self = zsock_new (type);
    if (!self) {
        snprintf (err, err_size, "cannot create socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    s_limits (self, max_msg);
    s_secure_apply (self, bind, "");
    if (bind) {
        if (zsock_bind (self, "%s", endpoint) < 0) {
            snprintf (err, err_size, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
            zsock_destroy (&self);
        }
        return self;
    }
    //  Whichever router of a list is active: nothing waits in a queue for
    //  one that is not there (a standby binds nothing), and a connection
    //  whose router went silent is dropped (a machine lost without a TCP
    //  reset), so that what is sent goes to the router that serves. One
    //  router alone is waited for, as ever: what is sent while it restarts
    //  waits in the queue for it.
    if ((type == ZMQ_PUSH || type == ZMQ_DEALER) && strchr (endpoint, ','))
        zsock_set_immediate (self, 1);
    zsock_set_heartbeat_ivl (self, EP_SOCK_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (self, EP_SOCK_HEARTBEAT_TIMEOUT_MS);
    if (ep_endpoints_connect (self, endpoint, err, err_size))
        zsock_destroy (&self);
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
