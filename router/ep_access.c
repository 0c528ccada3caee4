/*  ep_access: who may send what, as the router applies it. The guard
    (ep_guard) decides; this module counts every refusal, and logs and
    journals those the guard's budget allows (an `events` row of kind
    `refused`), summing up the others once per interval, so that a flood of
    refusals costs the journal a bounded number of rows.  */
#include <czmq.h>
#include <stdarg.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_utf8.h"
#include "ep_zap.h"

//  Logs and journals a refusal.
static ep_router_status_t
s_journal_refusal (ep_router_t *self, const char *detail)
{
    ep_log_warn ("%s", detail);
    return ep_router_event (self, "refused", detail);
}

ep_router_status_t
ep_access_summarize (ep_router_t *self, bool final)
{
    char detail [512];
    if (ep_guard_refusal_summary (self->guard, final, detail, sizeof detail))
        return s_journal_refusal (self, detail);
    return EP_ROUTER_OK;
}

ep_router_status_t
ep_access_refuse (ep_router_t *self, ep_refusal_kind_t kind, const char *domain,
                  const char *key, const char *format, ...)
{
    self->stats.unauthorized++;
    if (!ep_guard_record_refusal (self->guard, kind, domain, key ? key : ""))
        return EP_ROUTER_OK;
    char detail [512];
    va_list args;
    va_start (args, format);
    vsnprintf (detail, sizeof detail, format, args);
    va_end (args);
    ep_utf8_trim (detail);
    return s_journal_refusal (self, detail);
}

bool
ep_access_admitted (ep_router_t *self, const char *domain, const char *user_id,
                    ep_peer_t *peer, ep_router_status_t *status)
{
    char why [256];
    *status = EP_ROUTER_OK;
    if (ep_guard_check (self->guard, domain, user_id, peer, why, sizeof why))
        return true;
    *status = ep_access_refuse (self, EP_REFUSAL_MESSAGE, domain, user_id,
                                "%s: refused %s: %s", domain, peer->sender, why);
    return false;
}

const char *
ep_access_sender_key (const ep_peer_t *peer, bool curve)
{
    const char *colon = strchr (peer->sender, ':');     //  names hold no colon; keys may
    return curve && colon ? colon + 1 : "insecure";
}

ep_router_status_t
ep_access_handle_zap (ep_router_t *self)
{
    for (int i = 0; i < 64; i++) {
        ep_zap_refusal_t refusal;
        zmq_pollitem_t item = { zsock_resolve (ep_guard_zap (self->guard)), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 0) <= 0)
            break;
        if (ep_zap_handle (ep_guard_zap_handler (self->guard), &refusal) != 1)
            continue;
        ep_router_status_t status = ep_access_refuse (
            self, EP_REFUSAL_HANDSHAKE, refusal.domain, refusal.key,
            "%s: refused the handshake of key %s: %s", refusal.domain,
            refusal.key [0] ? refusal.key : "?", refusal.why);
        if (status)
            return status;
    }
    return EP_ROUTER_OK;
}
