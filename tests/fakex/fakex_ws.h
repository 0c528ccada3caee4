/*  fakex_ws: the fake venue's WebSocket API (--ws-port): Binance's
    /ws-api/v3 subset a user data stream needs (session.logon,
    userDataStream.subscribe and .unsubscribe, ping), served by
    libwebsockets on 127.0.0.1 in a thread of its own, and the stream's
    faults (drop, down, stall).

    Any thread may publish an event; it is queued, under a mutex, for every
    subscribed connection, and the service thread sends it.  */
#ifndef FAKEX_WS_H_INCLUDED
#define FAKEX_WS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "fakex_params.h"

//  Events one connection may have waiting; past that it is closed
#define FAKEX_WS_QUEUE_MAX  10000
//  Events GET /fakex/ws/events keeps
#define FAKEX_WS_EVENTS_MAX 10000

typedef struct {
    const char *api_key;        //  the one key session.logon takes
    const unsigned char *ed25519_key;   //  FAKEX_ED25519_KEY_BYTES, or NULL:
                                        //  session.logon is then refused
    int64_t clock_offset_ms;    //  the server's clock runs this far from the host's
    bool strict_clock;          //  Binance's timestamp rule, as the REST API has it
} fakex_ws_config_t;

typedef struct _fakex_ws_t fakex_ws_t;

//  Listens on 127.0.0.1:port (0: any free port), sets *bound to the port
//  it got, and starts the service thread. config's strings must outlive
//  the server. NULL if it could not.
fakex_ws_t *fakex_ws_start (const fakex_ws_config_t *config, uint16_t port, uint16_t *bound);

//  Closes every connection, stops the thread, frees the server and NULLs
//  the caller's pointer.
void fakex_ws_stop (fakex_ws_t **self_p);

//  Sends event (a user data stream event; taken) to every subscribed
//  connection as {"subscriptionId": N, "event": event}, or drops it in the
//  down and stall modes.
void fakex_ws_publish (fakex_ws_t *self, json_t *event);

//  Switches the stream's mode: normal, drop (close every connection, then
//  normal), down (close every connection, refuse upgrades with 503),
//  stall (service nothing) or late (hold events, sent once normal). False
//  if mode is none of these.
bool fakex_ws_set_mode (fakex_ws_t *self, const char *mode);

//  {"mode", "connections", "logons", "subscriptions", "events_sent",
//  "events_dropped"}
json_t *fakex_ws_status_json (fakex_ws_t *self);

//  [[send_time_us, "<frame as sent>"], ...]: the last FAKEX_WS_EVENTS_MAX
//  events sent, oldest first
json_t *fakex_ws_events_json (fakex_ws_t *self);

#endif
