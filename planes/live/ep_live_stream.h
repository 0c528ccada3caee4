/*  ep_live_stream: the venue's user data stream, as the live plane uses it.

    While the stream is up (connected, logged on, subscribed), what it
    says of an order the plane follows is reported at once: each trade a
    fill with its id, price, quantity, fee and fee asset, each change of
    status a report. Resting orders are then queried only every
    live/stream_poll_ms, a slow safety net. Every frame is written to the
    audit, as an observation, before anything of it is reported; a frame
    the audit cannot take is not reported, and its order is queried.

    When the stream goes down (the venue closed it, the network, a stall:
    nothing heard for live/stream_stall_ms), polling resumes at once at
    live/poll_ms, and the stream is connected again after a backoff that
    doubles up to live/stream_backoff_max_ms. Once it is up again, every
    resting order is queried once, so that what happened while it was down
    is learned. No fill is told twice: one the queries told is not told
    again by the stream, nor the other way round (the cumulative figures
    decide). A trade the stream skipped (its figures run ahead of what was
    told) is never guessed: its order is queried.

    Disconnections, reconnections and gaps are observations in the audit
    and events told to the router (ep_live_stream_event_fn).  */
#ifndef EP_LIVE_STREAM_H_INCLUDED
#define EP_LIVE_STREAM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_metrics.h"

typedef struct _ep_live_plane_t ep_live_plane_t;
typedef struct _ep_live_stream_t ep_live_stream_t;

//  An event of the stream's life for the router's journal: kind is
//  "stream-up", "stream-down" or "stream-gap".
typedef void (ep_live_stream_event_fn) (void *arg, const char *kind, const char *detail);

typedef struct {
    int64_t ping_ms;                    //  our pings, this often
    int64_t stall_ms;                   //  nothing heard this long: down
    int64_t poll_ms;                    //  a resting order's safety query while up
    int64_t backoff_max_ms;             //  reconnections back off up to this
    int64_t connect_timeout_ms;         //  to connect, and for each answer to log on
    ep_live_stream_event_fn *event;     //  where the stream's life is told (NULL: nowhere)
    void *event_arg;
} ep_live_stream_config_t;

//  The plane's stream, if its venue has one its key may use: connecting
//  at once. NULL (the reason logged) when there is none; the plane then
//  follows orders by polling.
ep_live_stream_t *ep_live_stream_new (ep_live_plane_t *plane,
                                      const ep_live_stream_config_t *config);

void ep_live_stream_destroy (ep_live_stream_t **self_p);

//  The socket to poll (a zsock_t *).
void *ep_live_stream_socket (ep_live_stream_t *self);

//  Reads and acts on everything the stream has said.
void ep_live_stream_on_frames (ep_live_plane_t *plane);

//  Time-driven work: connects again when the backoff is over, and gives
//  up on a logon that goes unanswered.
void ep_live_stream_tick (ep_live_plane_t *plane);

//  Whether the stream is up: subscribed, and heard within stall_ms.
bool ep_live_stream_up (const ep_live_stream_t *self);

//  A submission's answer made the plane follow client_order_id: if the
//  stream spoke of it before, the order is queried at once (what it said
//  then could not be matched to an order followed).
void ep_live_stream_followed (ep_live_plane_t *plane, const char *client_order_id);

//  Metrics: the stream's state, its events, disconnections, the delay
//  from a venue event to its report, and the balances it told.
void ep_live_stream_metrics (ep_live_stream_t *self, ep_prom_t *prom);

//  The stream's part of /healthz, as JSON members (no braces), in json.
void ep_live_stream_health (ep_live_stream_t *self, char *json, size_t size);

#endif
