/*  ep_router: the router daemon's state and loop.

    One thread, one poll loop. Each turn drains a batch from every socket
    that is ready, journals what it read in one transaction, commits, and
    only then publishes: reports on outcome.<strategy_id>, intents on
    exec.<plane>, plane state on `plane`, counters on `stats`.  */
#ifndef EP_ROUTER_H_INCLUDED
#define EP_ROUTER_H_INCLUDED

#include "ep_config.h"

typedef struct _ep_router_t ep_router_t;

//  Opens the journal, recovers from it (intents that were in flight when
//  the router last stopped get their terminal reports now), and binds every
//  socket. ready_file, if not NULL, receives a complete config with the
//  endpoints actually bound (for tcp://host:* wildcards). Returns NULL with
//  the reason in err.
ep_router_t *ep_router_new (const ep_config_t *config, const char *ready_file,
                            char *err, size_t err_size);

//  Runs until SIGINT or SIGTERM, or a journal failure. Returns 0 on a clean
//  stop, -1 on failure.
int ep_router_run (ep_router_t *self);

//  Commits, records the stop, closes the sockets (with linger) and frees.
void ep_router_destroy (ep_router_t **self_p);

#endif
