/*  ep_follow: a monitor's gap-free, duplicate-free view of the reports.

    It subscribes to the outcomes socket (every outcome.* topic and `plane`)
    and asks the router's query socket for whatever it did not see: the
    range before the first live report (from_seq), and any gap between two
    live reports (the zguide Clone pattern). Reports come out strictly in
    seq order, each once.  */
#ifndef EP_FOLLOW_H_INCLUDED
#define EP_FOLLOW_H_INCLUDED

#include <stdint.h>
#include "ep_config.h"
#include "ep_wire.h"

typedef struct _ep_follow_t ep_follow_t;

//  Connects to config's outcomes and query endpoints. from_seq: the first
//  report wanted; 0 means the first one after the newest journaled when the
//  follower becomes ready. Returns NULL with the reason in err.
ep_follow_t *ep_follow_new (const ep_config_t *config, uint64_t from_seq,
                            char *err, size_t err_size);

void ep_follow_destroy (ep_follow_t **self_p);

//  A router lost and another heard (README "Two routers"). The router is
//  lost when its connection drops (a reset, or ZMTP heartbeats
//  unanswered) or when no plane state came for 3 s (it sends one at least
//  once a second); whichever router is heard next is asked for every
//  report from the last one handed out on, so the stream goes on with no
//  gap and no duplicate. ep_follow_check looks for a loss now, without
//  waiting; the waits below look too.
void ep_follow_check (ep_follow_t *self);

//  The connections to the routers that dropped since the last call, as
//  ep_sock_dropped tells them (bit i: position i of the outcomes list); 0
//  if none, and in *losses_before ep_follow_losses as it was before the
//  first of them. A PUSH to the same routers then lets go of them
//  (ep_push_renew).
unsigned ep_follow_drops (ep_follow_t *self, uint64_t *losses_before);

//  How many times the connection to the router dropped so far (a router
//  merely silent is lost too, but keeps what was sent to it: not counted).
uint64_t ep_follow_losses (ep_follow_t *self);

//  How many of those losses are settled: after the drop, a router was
//  heard for a second plus its active plane's deadline
//  (router/paper_deadline_ms or live_deadline_ms, as the configuration
//  says: every intent it read has a report by then) and every report it
//  had journaled by then (the plane state's last_seq) was handed out. Anything sent before the drop
//  that got no report by then was never read by the router that was lost,
//  and the new router does not have it.
uint64_t ep_follow_settled (ep_follow_t *self);

//  True if a router was heard (a plane state) since the last connection
//  that dropped, or ever if none did.
bool ep_follow_heard (ep_follow_t *self);

//  Asks the router followed what its journal holds of the intents in
//  request (query frame "intents", at most 256 of them). Returns 0 if it
//  went to a router, -1 if none could take it now.
int ep_follow_ask_fates (ep_follow_t *self, const Execplane__V1__IntentsRequest *request);

//  The newest answer to ep_follow_ask_fates since the last call, or NULL
//  (the caller frees it with execplane__v1__intents_reply__free_unpacked).
//  *refused is set if a router refused a request since the last call (a
//  router that does not know the frame answers nothing at all).
Execplane__V1__IntentsReply *ep_follow_fates (ep_follow_t *self, bool *refused);

//  Follows the router's stats too, for the journal's chain head.
void ep_follow_watch_chain (ep_follow_t *self);

//  The newest chain head seen (row 0: none yet), in *row and head; returns
//  whether it is new since the last call.
bool ep_follow_chain (ep_follow_t *self, uint64_t *row, char head [17]);

//  Waits until the subscription is live (the first plane state arrived).
//  Returns 0, or -1 on timeout or interrupt.
int ep_follow_ready (ep_follow_t *self, int timeout_ms);

//  The newest plane state seen, or NULL before the first.
const ep_plane_state_t *ep_follow_plane (ep_follow_t *self);

//  Returns the next report, waiting at most timeout_ms (-1: forever), or
//  NULL on timeout or interrupt. The caller frees it with
//  execplane__v1__execution_report__free_unpacked.
ep_report_t *ep_follow_next (ep_follow_t *self, int timeout_ms);

//  Waits up to timeout_ms for a new plane state (any field may have
//  changed). Returns it, or NULL on timeout or interrupt. Reports that
//  arrive meanwhile are kept for ep_follow_next.
const ep_plane_state_t *ep_follow_next_plane (ep_follow_t *self, int timeout_ms);

#endif
