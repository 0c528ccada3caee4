/*  ep_drain: stopping. Asked to stop (a first SIGTERM or SIGINT), the
    router reads no intent or command from then on, and the planes get up
    to drain_ms to answer what they were given; what is still unanswered
    then is settled by the next start.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"

static void
s_count_unanswered (void *arg, ep_inflight_entry_t *entry)
{
    if (!entry->acked && !entry->zombie)
        (*(size_t *) arg)++;
}

//  Dispatched intents the planes have not answered yet.
static size_t
s_unanswered (ep_router_t *self)
{
    size_t count = 0;
    ep_inflight_each (self->inflight, s_count_unanswered, &count);
    return count;
}

bool
ep_drain_due (ep_router_t *self, int64_t now)
{
    if (!zsys_interrupted)
        return false;
    size_t unanswered = s_unanswered (self);
    if (!self->drain.on) {
        self->drain.on = true;
        self->drain.started_ms = now;
        self->drain.until_ms = now + self->config.drain_ms;
        ep_log_info ("stopping: %zu dispatched intent(s) unanswered, waiting up to %lld ms "
                     "for them", unanswered, (long long) self->config.drain_ms);
    }
    if (unanswered == 0 && ep_outbox_count (&self->pending) == 0) {
        ep_log_info ("stopping: every dispatched intent answered, in %lld ms",
                     (long long) (now - self->drain.started_ms));
        return true;
    }
    if (now >= self->drain.until_ms) {
        ep_log_warn ("stopping: %zu dispatched intent(s) still unanswered after %lld ms: "
                     "the next start settles them", unanswered,
                     (long long) (now - self->drain.started_ms));
        return true;
    }
    return false;
}
