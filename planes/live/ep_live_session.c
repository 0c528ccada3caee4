/*  ep_live_session: whether a dispatch is for this live worker session.  */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_session.h"
#include "ep_log.h"
#include "ep_utf8.h"

#define S_IGNORED_LOG_MS 5000       //  dispatches for another session: a line at most this often

void
ep_live_session_init (ep_live_session_t *self, const char *id)
{
    assert (self && id);
    memset (self, 0, sizeof *self);
    snprintf (self->id, sizeof self->id, "%s", id);
}

void
ep_live_session_adopted (ep_live_session_t *self)
{
    self->own_seen = false;
    self->superseded = false;
}

//  The session the dispatch names, as the log may show it: the router's
//  text, but it reaches the log: one clean line.
static const char *
s_named (const ep_dispatch_t *dispatch, char *clean, size_t size)
{
    const char *named = dispatch->worker_session ? dispatch->worker_session : "";
    ep_utf8_clean (clean, size, named, strlen (named));
    return named;
}

ep_live_session_verdict_t
ep_live_session_check (ep_live_session_t *self, const ep_dispatch_t *dispatch, size_t queued)
{
    char other [80];
    const char *named = s_named (dispatch, other, sizeof other);
    if (strcmp (named, self->id) == 0) {
        self->own_seen = true;
        self->superseded = false;
        return EP_LIVE_SESSION_OURS;
    }
    if (!*named || !self->own_seen || self->superseded)
        return EP_LIVE_SESSION_OTHER;
    self->superseded = true;
    ep_log_warn ("session %s: the router dispatched router_seq %llu to live worker "
                 "session %s: this worker is no longer the live plane's worker; %zu "
                 "queued request(s) dropped unsent", self->id,
                 (unsigned long long) dispatch->router_seq, other, queued);
    return EP_LIVE_SESSION_SUPERSEDED;
}

void
ep_live_session_ignored (ep_live_session_t *self, const ep_dispatch_t *dispatch,
                         int64_t now_ms)
{
    self->ignored++;
    if (now_ms < self->next_ignored_log_ms)
        return;
    char other [80];
    const char *named = s_named (dispatch, other, sizeof other);
    const ep_intent_t *intent = dispatch->intent;
    char count [80] = "";
    if (self->ignored > 1)
        snprintf (count, sizeof count, " (%llu dispatches ignored since the last such line)",
                  (unsigned long long) self->ignored);
    if (*named)
        ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                       ": dispatch router_seq %llu names live worker session %s, not this "
                       "one (%s): another live worker serves the plane; this one submits "
                       "nothing%s", (unsigned long long) dispatch->router_seq, other,
                       self->id, count);
    else
        ep_log_intent (EP_LOG_WARN, intent->strategy_id, intent->intent_id,
                       ": dispatch router_seq %llu names no live worker session, not this "
                       "one (%s): a router that does not name the worker it adopted is "
                       "not served; this one submits nothing%s",
                       (unsigned long long) dispatch->router_seq, self->id, count);
    self->ignored = 0;
    self->next_ignored_log_ms = now_ms + S_IGNORED_LOG_MS;
}
