/*  ep_recovery: a start reads back what the journal holds. The applied
    plane state, the newest seqs, and the intents still in flight: one its
    plane acknowledged stays in flight (a resting order); one no plane
    answered gets its terminal report now (it may or may not have run);
    a zombie stays as it was; the newest live orders that ended UNKNOWN
    are remembered for the router's own cancels (ep_target).  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_utf8.h"

//  What the journal's callbacks share.
typedef struct {
    ep_router_t *router;
    ep_router_status_t status;          //  the first failure
} s_recovery_t;

//  An entry's cumulative fill is its plane's last word on it.
static void
s_restore_fill_totals (ep_router_t *self, ep_inflight_entry_t *entry)
{
    ep_known_fills_t known = ep_reports_known_fills (self, entry->router_seq);
    entry->filled_qty_e8 = known.filled_qty_e8;
    entry->avg_price_e8 = known.avg_price_e8;
    entry->fills = known.fills;
}

static void
s_recover_intent (void *arg, uint64_t router_seq, int plane, uint64_t epoch, bool acked,
                  const void *payload, size_t size)
{
    s_recovery_t *recovery = arg;
    ep_router_t *self = recovery->router;
    if (recovery->status)
        return;
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    if (!intent)
        return;
    ep_inflight_entry_t *entry = ep_inflight_add (self->inflight, router_seq, intent, plane,
                                                  epoch, 0, acked);
    execplane__v1__order_intent__free_unpacked (intent, NULL);
    if (!entry) {
        recovery->status = EP_ROUTER_NO_MEMORY;
        return;
    }
    entry->intake_us = ep_journal_intake_us (self->journal, router_seq);
    if (acked) {
        //  A resting order stays in flight; its cumulative fill is its
        //  plane's last word on it.
        s_restore_fill_totals (self, entry);
        return;
    }
    recovery->status = ep_reports_expire (self, entry, "the router restarted before the plane "
                                          "answered");
}

//  A zombie: its terminal report is made, but its plane holds it resting.
static void
s_recover_zombie (void *arg, uint64_t router_seq, int plane, uint64_t epoch, bool acked,
                  const void *payload, size_t size)
{
    (void) acked;
    s_recovery_t *recovery = arg;
    ep_router_t *self = recovery->router;
    if (recovery->status)
        return;
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    ep_inflight_entry_t *entry = intent
        ? ep_inflight_add (self->inflight, router_seq, intent, plane, epoch, 0, true) : NULL;
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    if (!entry) {
        recovery->status = EP_ROUTER_NO_MEMORY;
        return;
    }
    entry->intake_us = ep_journal_intake_us (self->journal, router_seq);
    entry->zombie = true;
    s_restore_fill_totals (self, entry);
}

//  The plane state saved when a command last applied (a new journal
//  starts on paper). Returns 0, or -1 if it cannot be read.
static int
s_load_state (ep_router_t *self)
{
    void *payload = NULL;
    size_t size = 0;
    if (ep_journal_load_state (self->journal, &payload, &size))
        return -1;
    self->state.plane = EP_PLANE (PAPER);         //  a new journal starts on paper
    if (size) {
        ep_plane_state_t *state = execplane__v1__plane_state__unpack (NULL, size, payload);
        if (!state) {
            free (payload);
            ep_log_error ("journal: the saved plane state does not decode");
            return -1;
        }
        self->state.plane = state->plane;
        self->state.epoch = state->epoch;
        self->state.halted = state->halted;
        //  Cleaned: a journal written before text was checked may hold a
        //  string cut inside a character, which no client could decode.
        ep_utf8_clean (self->state.issued_by, sizeof self->state.issued_by, state->issued_by,
                       strlen (state->issued_by));
        ep_utf8_clean (self->state.reason, sizeof self->state.reason, state->reason,
                       strlen (state->reason));
        self->state.changed_at_seq = state->changed_at_seq;
        execplane__v1__plane_state__free_unpacked (state, NULL);
    }
    free (payload);
    return 0;
}

ep_router_status_t
ep_recovery_run (ep_router_t *self)
{
    if (s_load_state (self) || ep_definitions_load (self))
        return EP_ROUTER_JOURNAL_WRITE;
    self->last_seq = ep_journal_last_seq (self->journal);
    self->last_router_seq = ep_journal_last_router_seq (self->journal);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
        self->link.worker [plane].processed_through =
            ep_journal_processed_through (self->journal, plane);
    char detail [128];
    snprintf (detail, sizeof detail, "boot %s, last seq %llu, last router_seq %llu",
              self->boot, (unsigned long long) self->last_seq,
              (unsigned long long) self->last_router_seq);
    s_recovery_t recovery = { self, EP_ROUTER_OK };
    if (ep_router_event (self, "start", detail)
    ||  ep_journal_open_intents (self->journal, s_recover_intent, &recovery)
    ||  ep_journal_zombies (self->journal, s_recover_zombie, &recovery))
        return EP_ROUTER_JOURNAL_WRITE;
    if (!recovery.status)
        recovery.status = ep_target_recover_unknown (self);
    if (recovery.status) {
        ep_log_error ("%s: stopping, nothing more will be accepted",
                      ep_router_strerror (recovery.status));
        self->failure = recovery.status;    //  nothing of this start is journaled
        return recovery.status;
    }
    if (ep_journal_commit (self->journal))
        return EP_ROUTER_JOURNAL_COMMIT;
    ep_log_info ("started on plane %s epoch %llu%s: %s; %zu intent(s) still in flight",
                 ep_plane_name (self->state.plane), (unsigned long long) self->state.epoch,
                 self->state.halted ? " (halted)" : "", detail,
                 ep_inflight_count (self->inflight, 0));
    return EP_ROUTER_OK;
}
