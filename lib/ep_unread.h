/*  ep_unread: which intents a strategy sent were never read, after the
    router it followed was lost (README "Two routers").

    Each intent sent is entered with the follower's count of dropped
    connections at the time; a report on it takes it out. After a loss, the
    intents entered before it (they may have gone to the router lost) are
    asked about, once the new router is heard, on its query socket (frame
    "intents"): those its journal holds were read, and their reports come
    from the journal; those it does not hold, while nothing waits unread on
    its intake, were never read. (The question goes on another connection
    than the intents: it is asked no sooner than 200 ms after the loss was
    seen, and after the intake let go of the router lost, so that an
    intent sent just before, that went to the new router, is on its intake
    by then.) A router that does not know the frame
    answers nothing: after three asks unanswered (or refused), a second
    apart, the loss is judged by the bound instead (ep_follow_settled: what has no report
    by the time the loss is settled was never read).  */
#ifndef EP_UNREAD_H_INCLUDED
#define EP_UNREAD_H_INCLUDED

#include <stdint.h>
#include <czmq.h>
#include "ep_follow.h"

typedef struct _ep_unread_t ep_unread_t;

//  Judges against follow's losses and answers (not owned). NULL if out of
//  memory.
ep_unread_t *ep_unread_new (ep_follow_t *follow);

void ep_unread_destroy (ep_unread_t **self_p);

//  key ("STRATEGY\x1fINTENT") was sent when the follower had counted
//  losses lost connections: it may have gone to a router lost later.
void ep_unread_sent (ep_unread_t *self, const char *key, uint64_t losses);

//  A report on key came: a router read it.
void ep_unread_heard (ep_unread_t *self, const char *key);

//  Asks, takes the answers, and appends to found (strdup'd keys, the
//  caller's) every intent now known never read; each is forgotten here.
void ep_unread_judge (ep_unread_t *self, zlistx_t *found);

#endif
