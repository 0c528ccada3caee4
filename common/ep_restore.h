/*  ep_restore: a worker's request to be restored by the router (the query
    socket's "restore"), shared by the paper and the live worker.  */
#ifndef EP_RESTORE_H_INCLUDED
#define EP_RESTORE_H_INCLUDED

#include <czmq.h>
#include "ep_wire.h"

//  Asks once, on query (a DEALER), to be plane's worker as session, to be
//  answered once the router has read the session's worker messages up to
//  through_number; waits up to timeout_ms. Stale replies to an earlier ask
//  are discarded first. Returns the reply (free it with
//  execplane__v1__restore_reply__free_unpacked), or NULL if none came. The
//  router may refuse the claim (frames "refused" and a UTF-8 reason: the
//  live plane's adopted worker is alive): each distinct reason (figures
//  aside) is logged once, `cannot claim the PLANE plane: REASON; standing
//  by`, and the call
//  waits out the rest of timeout_ms and returns NULL, so the caller asks
//  again as it does when no answer came.
ep_restore_reply_t *ep_restore_ask (zsock_t *query, int plane, const char *session,
                                    uint64_t through_number, int timeout_ms);

#endif
