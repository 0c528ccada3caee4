/*  ep_sock: sockets set up the way every guarantee needs them.

    CZMQ's default linger is 0, which silently drops queued messages when a
    socket closes; every socket made here lingers (EP_SOCK_LINGER_MS) and
    every receiving socket refuses messages over EP_MAX_MSG bytes (a DEALER,
    which only hears the router's query replies, over EP_MAX_REPLY). Every
    socket is secured as ep_security says, before it binds or connects:
    ep_security hands its setting over through ep_sock_set_secure, so
    that sockets (the runtime) do not depend on certificates (security).  */
#ifndef EP_SOCK_H_INCLUDED
#define EP_SOCK_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define EP_SOCK_LINGER_MS 2000

//  A connecting socket's ZMTP heartbeat (ZMQ_HEARTBEAT_IVL), and how long
//  a connection may stay silent before it is dropped (_TIMEOUT).
#define EP_SOCK_HEARTBEAT_MS         1000
#define EP_SOCK_HEARTBEAT_TIMEOUT_MS 3000

//  Secures socket before it binds or connects: server (the router), with
//  domain as its ZAP domain, or client.
typedef void (ep_sock_secure_fn) (zsock_t *socket, bool server, const char *domain);

//  Every socket made from now on is secured by secure (NULL: none, in the
//  clear). ep_security_init sets it; nothing else should.
void ep_sock_set_secure (ep_sock_secure_fn *secure);

//  Creates a socket of the given ZMQ type and binds (bind true) or connects
//  it to endpoint. Connecting, endpoint may list several, comma-separated
//  (one per router, ep_endpoints.h): the socket connects to each, and a
//  PUSH or DEALER then sends only on connections that are up
//  (ZMQ_IMMEDIATE: it blocks while there is none); with one endpoint what
//  is sent waits for its router. Connections carry ZMTP heartbeats, but a
//  PUSH's (ep_push sends to one of several routers and lets go of a lost
//  one). Returns NULL, with the reason in err, on failure.
zsock_t *ep_sock_new (int type, const char *endpoint, bool bind, char *err, size_t err_size);

//  Watching a connecting socket's connections to the routers of a list
//  (README "Two routers"). ep_sock_watch returns a PAIR socket that
//  receives socket's monitor events (readable when one came), or NULL with
//  err set; ep_sock_unwatch ends it (safe on NULL).
zsock_t *ep_sock_watch (zsock_t *socket, char *err, size_t err_size);
void ep_sock_unwatch (zsock_t *socket, zsock_t **watch_p);

//  Reads the events waiting on watch. Returns 0 if no connection that was
//  made (its handshake done) dropped; else EP_SOCK_DROPPED_ANY, with bit i
//  set for each position i of list whose endpoint's connection dropped (a
//  machine gone is dropped by the ZMTP heartbeats; an endpoint that names
//  a host, not an address, is told as ANY alone). *established (0 at
//  first) keeps, from call to call, which connections are made.
#define EP_SOCK_DROPPED_ANY (1u << 31)
unsigned ep_sock_dropped (zsock_t *watch, const char *list, unsigned *established);

//  A PUSH connected to one endpoint, with sndhwm as its high-water mark
//  (messages; 0: libzmq's). one_of_several: the router is one of a list
//  (ep_push), and the socket sends only on a connection that is up
//  (ZMQ_IMMEDIATE). NULL, with the reason in err, on failure.
zsock_t *ep_sock_push_new (const char *endpoint, bool one_of_several, int sndhwm, char *err,
                           size_t err_size);

//  Same, refusing received messages over max_msg bytes.
zsock_t *ep_sock_new_sized (int type, const char *endpoint, bool bind, int64_t max_msg,
                            char *err, size_t err_size);

//  A socket for the router to set up and then bind: lingering, refusing
//  messages over max_msg bytes, and secured as the process is (ep_security)
//  with domain as its ZAP domain. NULL on failure.
zsock_t *ep_sock_server_new (int type, int64_t max_msg, const char *domain);

//  Discards the messages waiting on self (stale replies to an earlier ask).
void ep_sock_discard (zsock_t *self);

//  The kernel's send and receive buffer of every connection made from now
//  on, in bytes (router/socket_buffer; 0: the OS's own, which grows to
//  megabytes on loopback). Set by ep_security_setup from the configuration.
void ep_sock_set_buffer (int64_t bytes);

//  Sends a two-frame message, topic then payload. flags: 0 or ZMQ_DONTWAIT.
//  Returns 0, or -1 with errno set (EAGAIN when it would block).
int ep_sock_send2 (zsock_t *self, const char *topic, const void *data, size_t size, int flags);

//  Milliseconds on a monotonic clock.
int64_t ep_sock_clock_ms (void);

//  The deadline timeout_ms from now on that clock; -1 (none) for a
//  negative timeout.
int64_t ep_sock_deadline (int timeout_ms);

//  Milliseconds left until deadline, from 0 to INT_MAX; -1 stays -1 (none).
int ep_sock_left_ms (int64_t deadline);

#endif
