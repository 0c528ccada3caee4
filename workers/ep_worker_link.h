/*  ep_worker_link: what every worker shares in its talk with the router.

    A worker reads the dispatches of its plane on a subscription, pushes
    its reports and heartbeats on the results socket, and claims its plane
    (is restored) on the query socket. The link owns those three sockets
    and the worker's session id, numbers every message it sends, repeats
    the router's newest probe, beats the heart every router/heartbeat_ms,
    serves the worker's metrics, and runs the receive loop that hands each
    dispatch to the worker. The worker keeps its plane; the link knows no
    plane beyond its number and topic.  */
#ifndef EP_WORKER_LINK_H_INCLUDED
#define EP_WORKER_LINK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_config.h"
#include "ep_metrics.h"
#include "ep_wire.h"

typedef struct _ep_worker_link_t ep_worker_link_t;

//  What the worker does at each point of the loop; any may be NULL but
//  dispatch. Each is called with arg.
typedef struct {
    //  A dispatch's bytes, as received on the plane's topic.
    void (*dispatch) (void *arg, const uint8_t *data, size_t size);
    //  Right before each heartbeat: a worker that holds messages back
    //  sends them now, so that their numbers stay below the heartbeat's.
    void (*before_heartbeat) (void *arg);
    //  Once a turn, before the loop waits: time-driven work.
    void (*turn) (void *arg);
    //  Once a turn, after the dispatches it read.
    void (*after_dispatches) (void *arg);
    //  Renders the worker's metrics into prom and its health check's
    //  fields (a JSON object's inside) into health; returns whether the
    //  worker is healthy. Called at most every 250 ms, and while claiming.
    bool (*metrics) (void *arg, ep_prom_t *prom, char *health, size_t health_size);
    void *arg;
} ep_worker_link_handler_t;

typedef struct {
    int plane;                          //  EP_PLANE (PAPER) or EP_PLANE (LIVE)
    const char *topic;                  //  its dispatches' topic, "exec.paper"
    const ep_config_t *config;          //  router endpoints, heartbeat_ms
    int rcvhwm;                         //  of the subscription
    int sndhwm;                         //  of the results socket; 0: libzmq's default
    const char *metrics;                //  HOST:PORT for /metrics and /healthz; "": none
    int batch;                          //  dispatches read in one turn at most
    //  The plane definition the worker runs (its canonical text, copied),
    //  presented in every claim with its description, and named by id in
    //  every message: the router adopts it only under an approved one.
    const char *definition;
    const char *description;
} ep_worker_link_config_t;

//  Makes the session id and the sockets (not yet subscribed) and starts
//  the metrics server. Returns NULL with the reason in err.
ep_worker_link_t *ep_worker_link_new (const ep_worker_link_config_t *config,
                                      const ep_worker_link_handler_t *handler,
                                      char *err, size_t err_size);

//  The id of the plane definition the worker presents (64 hex digits).
const char *ep_worker_link_definition (const ep_worker_link_t *self);

//  Presents definition (its canonical text, copied) from now on, in every
//  claim and message. A link that claimed its plane under the one before
//  lets it go as a worker restarted with the new definition would: it says
//  goodbye (the plane is unavailable at once), takes a new session id and
//  counts as unclaimed; the caller then claims the plane again
//  (ep_worker_link_claim), which the router grants once the new definition
//  is approved, and tells the plane its new session. A link that never
//  claimed keeps its session. Returns 0, or -1 on out of memory (nothing
//  changed).
int ep_worker_link_redefine (ep_worker_link_t *self, const char *definition);

//  For a worker not ready to claim its plane yet: waits up to timeout_ms
//  for one of the sockets it watches (ep_worker_link_watch) to be readable,
//  calls its ready function, and keeps the metrics current (unhealthy: not
//  claimed). No heartbeat, no dispatch. A signal ends the wait.
void ep_worker_link_wait (ep_worker_link_t *self, int timeout_ms);

//  Stops the metrics server, closes the sockets and NULLs *self_p.
void ep_worker_link_destroy (ep_worker_link_t **self_p);

//  This process's session id (32 hex digits).
const char *ep_worker_link_session (const ep_worker_link_t *self);

//  The router start the plane was last claimed from ("" before).
const char *ep_worker_link_boot (const ep_worker_link_t *self);

//  Whether the plane is claimed from the router that runs now.
bool ep_worker_link_claimed (const ep_worker_link_t *self);

//  Subscribes to the plane's dispatches. A worker standing by reads none:
//  a queue nobody reads would hold every dispatch back.
void ep_worker_link_subscribe (ep_worker_link_t *self);

//  Notes a probe heard on the subscription: every message repeats the
//  newest, so the router knows the subscription still receives.
void ep_worker_link_probe (ep_worker_link_t *self, uint64_t probe);

//  Whether router_boot names another router start than the one the plane
//  was claimed from: a router that started anew is claimed again.
bool ep_worker_link_new_router (const ep_worker_link_t *self, const char *router_boot);

//  Starts a worker message on tick: plane, session, the next number, the
//  probe. Its strings belong to the link.
void ep_worker_link_head (ep_worker_link_t *self, uint64_t tick, ep_worker_msg_t *message);

//  Sends a message of kind ("reports", "hb", "bye") on the results socket.
//  Returns 0, or -1 if it could not be queued (with ZMQ_DONTWAIT), or if
//  the link presents no definition yet (none is sent: the router would
//  ignore it, and take the empty definition for one never presented).
int ep_worker_link_send (ep_worker_link_t *self, const char *kind, const void *data,
                         size_t size, int flags);

//  Sends one report on the intent at tick as a worker message of its own.
//  Returns 0, or -1 on out of memory (logged with the intent: not sent).
int ep_worker_link_report (ep_worker_link_t *self, uint64_t tick, ep_report_t *report);

//  These two take the link as a void *, so that a plane can call them
//  back directly (the live plane's ep_live_orphans_fn and
//  ep_live_stream_event_fn).
//
//  Tells the router the outcome of a sweep of the venue's open orders: the
//  orphans found (count of them), or why there was none (problem, else
//  NULL). On out of memory it is not told (logged).
void ep_worker_link_orphans (void *link, const Execplane__V1__VenueOrder *const *orphans,
                             size_t count, const char *problem);

//  Tells the router a change in the live plane's user data stream (event
//  "stream-up", "stream-down" or "stream-gap", with detail), for its
//  journal.
void ep_worker_link_stream_event (void *link, const char *event, const char *detail);

//  Sends a heartbeat now (before_heartbeat first), and the next in
//  router/heartbeat_ms.
void ep_worker_link_heartbeat (ep_worker_link_t *self);

//  Claims the plane: a heartbeat, then asks the router to be its worker,
//  answered once it has read this worker's messages through the last;
//  again every 2.5 s until it answers. A refusal (the router keeps another
//  worker) is logged once per reason, `cannot claim the PLANE plane:
//  REASON; standing by`. From the answer on, the worker's messages go to
//  the router that answered alone (its router_member), until it claims
//  again or that router's connection drops. Returns the answer (free it
//  with execplane__v1__restore_reply__free_unpacked), or NULL if
//  interrupted.
ep_restore_reply_t *ep_worker_link_claim (ep_worker_link_t *self);

//  Has the loop also wait on other (a zsock_t or zactor_t; two at most) and call ready
//  (with the handler's arg) when it is readable, after the dispatches.
void ep_worker_link_watch (ep_worker_link_t *self, void *other, void (*ready) (void *arg));

//  The receive loop, until interrupted: heartbeats, the handler's turn,
//  then dispatches as they come (up to batch a turn), after_dispatches,
//  the watched socket, and the metrics.
void ep_worker_link_run (ep_worker_link_t *self);

//  Says goodbye to the router: the plane is unavailable from now on and
//  the next worker need not wait for the router to miss this one. Never
//  waits: the router may be gone.
void ep_worker_link_bye (ep_worker_link_t *self);

#endif
