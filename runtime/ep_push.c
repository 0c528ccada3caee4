/*  ep_push: a PUSH to whichever router of a list is there, one socket per
    router.  */
#include <czmq.h>
#include "ep_endpoints.h"
#include "ep_push.h"
#include "ep_sock.h"

struct _ep_push_t {
    zsock_t *sockets [EP_ENDPOINTS_MAX];    //  one per router; NULL: could not be made anew
    char endpoints [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    int count;
    int next;                           //  the router tried first next time
    int only;                           //  the router sent to alone; -1: any
    void *waker;                        //  readable while a send waits: woke is called
    void (*woke) (void *arg);
    void *woke_arg;
    int sndhwm;                         //  0: libzmq's
    int sndtimeo;
    int linger;
};

//  A PUSH to the router at position i, set up as the others.
static zsock_t *
s_socket (ep_push_t *self, int i, char *err, size_t err_size)
{
    zsock_t *socket = ep_sock_push_new (self->endpoints [i], self->count > 1, self->sndhwm,
                                        err, err_size);
    if (socket) {
        zsock_set_sndtimeo (socket, self->sndtimeo);
        zsock_set_linger (socket, self->linger);
    }
    return socket;
}

ep_push_t *
ep_push_new (const char *list, int sndhwm, char *err, size_t err_size)
{
    ep_push_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->sndhwm = sndhwm;
    self->only = -1;
    self->sndtimeo = -1;
    self->linger = EP_SOCK_LINGER_MS;
    self->count = ep_endpoints_split (list, self->endpoints, err, err_size);
    if (self->count < 1)
        goto fail;
    for (int i = 0; i < self->count; i++)
        if (!(self->sockets [i] = s_socket (self, i, err, err_size)))
            goto fail;
    return self;
fail:
    ep_push_destroy (&self);
    return NULL;
}

void
ep_push_destroy (ep_push_t **self_p)
{
    ep_push_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < EP_ENDPOINTS_MAX; i++)
        zsock_destroy (&self->sockets [i]);
    free (self);
    *self_p = NULL;
}

//  Sets an option of every socket there is (set: a CZMQ setter).
static void
s_set_all (ep_push_t *self, void (*set) (void *socket, int value), int value)
{
    for (int i = 0; i < self->count; i++)
        if (self->sockets [i])
            set (self->sockets [i], value);
}

void
ep_push_set_sndtimeo (ep_push_t *self, int timeout_ms)
{
    self->sndtimeo = timeout_ms;
    s_set_all (self, zsock_set_sndtimeo, timeout_ms);
}

void
ep_push_set_linger (ep_push_t *self, int linger_ms)
{
    self->linger = linger_ms;
    s_set_all (self, zsock_set_linger, linger_ms);
}

int
ep_push_sndtimeo (const ep_push_t *self)
{
    return self->sndtimeo;
}

void
ep_push_only (ep_push_t *self, int position)
{
    self->only = position >= 0 && position < self->count ? position : -1;
}

void
ep_push_wake_on (ep_push_t *self, void *socket, void (*woke) (void *arg), void *arg)
{
    self->waker = socket;
    self->woke = woke;
    self->woke_arg = arg;
}

//  Whether the router at position i may be sent to now.
static bool
s_open (const ep_push_t *self, int i)
{
    return self->sockets [i] && (self->only < 0 || self->only == i);
}

//  Sends on the socket at position i if it can take the message now.
static int
s_send_now (ep_push_t *self, int i, const char *head, const void *data, size_t size)
{
    void *handle = zsock_resolve (self->sockets [i]);
    int rc = head ? zmq_send (handle, head, strlen (head), ZMQ_SNDMORE | ZMQ_DONTWAIT)
                  : zmq_send (handle, data, size, ZMQ_DONTWAIT);
    if (rc < 0)
        return -1;
    //  Once the first frame is queued the second always follows it.
    if (head && zmq_send (handle, data, size, 0) < 0)
        return -1;
    return 0;
}

int
ep_push_send (ep_push_t *self, const char *head, const void *data, size_t size, int flags)
{
    if (self->count == 1 && !(flags & ZMQ_DONTWAIT)) {
        //  One router: what is sent waits for it, up to the send timeout.
        int rc = head ? ep_sock_send2 (self->sockets [0], head, data, size, 0)
                      : zmq_send (zsock_resolve (self->sockets [0]), data, size, 0);
        return rc < 0 ? -1 : 0;
    }
    int64_t deadline = ep_sock_deadline (self->sndtimeo);
    while (true) {
        for (int k = 0; k < self->count; k++) {
            int i = (self->next + k) % self->count;
            if (!s_open (self, i))
                continue;
            if (s_send_now (self, i, head, data, size) == 0) {
                self->next = (i + 1) % self->count;
                return i;
            }
            if (zmq_errno () != EAGAIN)
                return -1;
        }
        int left = ep_sock_left_ms (deadline);
        if ((flags & ZMQ_DONTWAIT) || left == 0) {
            errno = EAGAIN;
            return -1;
        }
        //  Until one of them can take it (a router connects, or one that
        //  pushed back reads again), or the waker tells of news.
        zmq_pollitem_t items [EP_ENDPOINTS_MAX + 1];
        int n = 0;
        for (int i = 0; i < self->count; i++)
            if (s_open (self, i))
                items [n++] = (zmq_pollitem_t) { zsock_resolve (self->sockets [i]), 0, ZMQ_POLLOUT, 0 };
        if (n == 0 && !self->waker) {
            errno = ENOTCONN;           //  no socket could be made anew
            return -1;
        }
        if (self->waker)
            items [n++] = (zmq_pollitem_t) { zsock_resolve (self->waker), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, n, left) < 0)
            return -1;
        if (self->waker && (items [n - 1].revents & ZMQ_POLLIN))
            self->woke (self->woke_arg);
    }
}

int
ep_push_renew (ep_push_t *self, unsigned dropped)
{
    if (self->count == 1)
        return 0;
    int rc = 0;
    for (int i = 0; i < self->count; i++)
        if (dropped & (1u << i)) {
            if (self->only == i)
                self->only = -1;
            if (self->sockets [i]) {
                zsock_set_linger (self->sockets [i], 0);
                zsock_destroy (&self->sockets [i]);
            }
            char err [256];
            if (!(self->sockets [i] = s_socket (self, i, err, sizeof err)))
                rc = -1;
        }
    return rc;
}
