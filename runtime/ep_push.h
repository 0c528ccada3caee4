/*  ep_push: a PUSH to whichever router of a list is there, one socket per
    router (README "Two routers").

    One PUSH connected to several routers cannot let go of one of them at
    a known moment: a disconnect ends the connection on libzmq's I/O
    thread, and until the sending thread hears of it, what is sent may
    still go to the router being let go of. Here each router has a socket
    of its own, and letting go of a router replaces its socket, so that
    nothing sent after ep_push_renew returns can reach the old connection.
    With several routers a socket sends only on a connection that is up
    (ZMQ_IMMEDIATE: a standby binds nothing, a router not there takes
    nothing), in turn among those that are; with one router what is sent
    waits for it, as a lone PUSH does.  */
#ifndef EP_PUSH_H_INCLUDED
#define EP_PUSH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _ep_push_t ep_push_t;

//  Connects one PUSH to each endpoint of list (ep_endpoints.h), set up
//  as ep_sock_new sets a PUSH up, with sndhwm as its high-water mark
//  (messages; 0: libzmq's). Returns NULL, with the reason in err.
ep_push_t *ep_push_new (const char *list, int sndhwm, char *err, size_t err_size);

void ep_push_destroy (ep_push_t **self_p);

//  Settings of every socket, now and after a renewal: how long a send
//  may wait for a router (ms, -1: forever), and how long what is queued
//  is kept trying when the push is destroyed (ms).
void ep_push_set_sndtimeo (ep_push_t *self, int timeout_ms);
void ep_push_set_linger (ep_push_t *self, int linger_ms);
int ep_push_sndtimeo (const ep_push_t *self);

//  Sends one message: head (a frame of its own, NULL for none) then data,
//  to one router whose connection is up. flags: 0 (waits up to the send
//  timeout for one) or ZMQ_DONTWAIT. Returns the position in the list of
//  the router it went to, or -1 with zmq_errno set (EAGAIN: no router
//  could take it in time; EINTR: interrupted).
int ep_push_send (ep_push_t *self, const char *head, const void *data, size_t size, int flags);

//  Sends to the router at position alone from now on (-1: to any), as a
//  worker does to the router it claimed its plane from. A send then waits
//  for that router; letting go of it (ep_push_renew) lifts the limit.
void ep_push_only (ep_push_t *self, int position);

//  While a send waits, whenever socket (a zsock_t or a ZeroMQ socket) is
//  readable, woke (arg) is called: it may let go of routers
//  (ep_push_renew), as when socket tells of a connection to a router that
//  dropped, and the send then waits for whichever may take it. Without
//  it, a send limited to one router (ep_push_only) that is lost would
//  wait for that router alone.
void ep_push_wake_on (ep_push_t *self, void *socket, void (*woke) (void *arg), void *arg);

//  Lets go of the routers whose bit is set in dropped (bit i: position i
//  of the list, as ep_sock_dropped tells of a socket connected to the
//  same routers in the same order): what waited for one of them is
//  dropped, and its socket is replaced by a new one that connects to it
//  again, sending nothing until a router is there. Nothing for a single
//  router. Returns 0, or -1 if a new socket could not be made (that
//  router is then not sent to until the next renewal).
int ep_push_renew (ep_push_t *self, unsigned dropped);

#endif
