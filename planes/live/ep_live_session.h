/*  ep_live_session: whether a dispatch is for this live worker session.

    The router names, in each dispatch, the live worker session it adopted.
    A dispatch for another session is ignored, and said so (the first time,
    then at most every 5 s with a count). A dispatch for another session
    after one for this session means the router adopted another worker:
    this one is superseded, serves no more and follows no order, until it
    is adopted anew (ep_live_session_adopted).  */
#ifndef EP_LIVE_SESSION_H_INCLUDED
#define EP_LIVE_SESSION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_wire.h"

//  What a dispatch says about this session.
typedef enum {
    EP_LIVE_SESSION_OURS,               //  it names this session
    EP_LIVE_SESSION_OTHER,              //  it names another (or none): ignore it
    EP_LIVE_SESSION_SUPERSEDED          //  as OTHER, and another worker serves now
} ep_live_session_verdict_t;

typedef struct {
    char id [64];                       //  this session's id
    bool own_seen;                      //  a dispatch named it since the last adoption
    bool superseded;                    //  a later one named another: it serves no more
    uint64_t ignored;                   //  ignored since the last line that said so
    int64_t next_ignored_log_ms;        //  when the next such line may be written
} ep_live_session_t;

//  A session named id, adopted, nothing ignored yet.
void ep_live_session_init (ep_live_session_t *self, const char *id);

//  The router adopted this session (anew): what it hears next is for it or not.
void ep_live_session_adopted (ep_live_session_t *self);

//  What dispatch (with an intent) says about this session. The first
//  SUPERSEDED is logged, with the queued requests that the caller drops.
//  OTHER and SUPERSEDED call for ep_live_session_ignored after.
ep_live_session_verdict_t ep_live_session_check (ep_live_session_t *self,
                                                 const ep_dispatch_t *dispatch, size_t queued);

//  Counts dispatch as ignored, and says so if the last line is old enough
//  (now_ms, monotonic).
void ep_live_session_ignored (ep_live_session_t *self, const ep_dispatch_t *dispatch,
                              int64_t now_ms);

#endif
